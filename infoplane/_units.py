"""Units of information, in one place: nats inside the library, ``base=`` at the edge.

Examples
--------
>>> import math
>>> from infoplane._units import from_nats, to_nats, unit_name
>>> from_nats(math.log(2), 2), unit_name(2)
(1.0, 'bits')
>>> to_nats(1.0, 2) == math.log(2)
True
"""

from __future__ import annotations

import math
from typing import TypeVar

from infoplane._validation import check_base

__all__ = ["from_nats", "to_nats", "unit_name", "unit_scale"]

Value = TypeVar("Value")


def unit_scale(base: float = math.e) -> float:
    """The factor that turns nats into units of log ``base``: 1 / ln(base).

    Examples
    --------
    >>> from infoplane._units import unit_scale
    >>> round(unit_scale(2), 6)
    1.442695
    """
    base = check_base(base)
    return 1.0 if base == math.e else 1.0 / math.log(base)


def from_nats(value: Value, base: float = math.e) -> Value:
    """Convert ``value`` (a float, array or tensor in nats) to units of log ``base``.

    A float result is returned as ``+0.0`` when it is zero, so that a quantity that is
    exactly zero never prints as ``-0.0``.

    Examples
    --------
    >>> from infoplane._units import from_nats
    >>> from_nats(-0.0, 2)
    0.0
    """
    base = check_base(base)
    out = value / math.log(base) if base != math.e else value  # divide: x / ln b, as everywhere before
    if isinstance(out, float) and out == 0.0:
        return 0.0
    return out


def to_nats(value: Value, base: float = math.e) -> Value:
    """Convert ``value`` in units of log ``base`` to nats (multiply by ln(base)).

    Examples
    --------
    >>> from infoplane._units import to_nats
    >>> round(to_nats(1.0, 10), 6)
    2.302585
    """
    base = check_base(base)
    return value if base == math.e else value * math.log(base)


def unit_name(base: float = math.e) -> str:
    """``"nats"`` for e, ``"bits"`` for 2, else ``"log base b"``.

    Examples
    --------
    >>> from infoplane._units import unit_name
    >>> unit_name(), unit_name(3)
    ('nats', 'log base 3')
    """
    base = check_base(base)
    return {math.e: "nats", 2.0: "bits"}.get(base, f"log base {base:g}")
