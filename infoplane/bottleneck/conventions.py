"""Conventions of the bottleneck objectives: units, signs and the trade-off parameters.

Notation of Kirsch, Lyle & Gal (*Unpacking Information Bottlenecks*). Units and signs,
for every loss of :mod:`infoplane.bottleneck`:

- every information quantity and every loss term is in **nats** (natural logarithms),
  a mean over the batch (never a sum); ``base=`` conversions happen only at the edge
  (:mod:`infoplane._units`);
- objectives are **minimised**: a loss is a cross-entropy plus a non-negative weight
  times a regularizer (an upper bound on an entropy, or a KL divergence).

The IB trade-off parameter comes in four conventions (Observation 1, sec. 4.2, 6.3):

- ``beta``: Tishby's, min I(X;Z) - beta I(Y;Z) with beta >= 1;
- ``beta_prime`` = 1/(beta - 1): IB as min H[Y|Z] + beta' I(X;Z|Y) and DIB as
  min H[Y|Z] + beta' H[Z|Y];
- ``beta_double_prime`` = 1/beta: DIB as min H[Y|Z] + beta'' H[Z];
- ``vib_beta`` = 1/beta: Alemi et al.'s weight of the VIB rate.

The surrogate weight gamma stands for beta' with the ``conditional_log_var``
regularizer (a bound on H[Z|Y]) and for beta'' with ``log_var`` (a bound on H[Z]).

Examples
--------
>>> from infoplane.bottleneck.conventions import convert_beta, gamma_to_beta
>>> convert_beta(2.0, "beta", "beta_prime"), gamma_to_beta(0.5, "log_var")
(1.0, 2.0)
"""

from __future__ import annotations

import math

__all__ = ["BETA_KINDS", "GAMMA_MEANS", "convert_beta", "gamma_to_beta", "beta_to_gamma"]

#: Names of the trade-off parameters :func:`convert_beta` knows.
BETA_KINDS = ("beta", "beta_prime", "beta_double_prime", "vib_beta")


def _check_beta(value: float, name: str, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if value < low:
        raise ValueError(f"{name}: expected a value >= {low}, got {value}")
    return value


def _to_beta(value: float, kind: str, name: str = "value") -> float:
    if kind == "beta":
        return _check_beta(value, name, 1.0)
    value = _check_beta(value, name, 0.0)
    if kind == "beta_prime":  # beta' = 1/(beta - 1)  <=>  beta = 1 + 1/beta'
        return math.inf if value == 0 else 1.0 + 1.0 / value
    # beta'' = 1/beta and Alemi's beta_VIB = 1/beta
    beta = math.inf if value == 0 else 1.0 / value
    if beta < 1.0:
        raise ValueError(f"{name}: {kind} = {value} > 1 means beta < 1, where IB maximises the "
                         "Decoder Uncertainty (Observation 1 limits beta to >= 1)")
    return beta


def convert_beta(value: float, source: str, target: str) -> float:
    """Convert an IB trade-off parameter between its conventions.

    ``beta`` is Tishby's (min I(X;Z) - beta I(Y;Z), beta >= 1), ``beta_prime`` =
    1/(beta - 1) weighs the regularizer against H[Y|Z] in the IB and DIB rewritings,
    ``beta_double_prime`` = 1/beta weighs H[Z] in DIB (Observation 1), and
    ``vib_beta`` = 1/beta is Alemi et al.'s (sec. 4.2). The limits map to ``inf``
    (beta = 1 <-> beta' = inf; beta = inf <-> beta' = beta'' = 0).

    Parameters
    ----------
    value : float
    source, target : {"beta", "beta_prime", "beta_double_prime", "vib_beta"}

    Returns
    -------
    float

    Examples
    --------
    >>> from infoplane.bottleneck import convert_beta
    >>> convert_beta(2.0, "beta", "beta_prime"), convert_beta(4.0, "beta", "beta_double_prime")
    (1.0, 0.25)
    >>> convert_beta(0.5, "beta_prime", "beta")
    3.0
    """
    return _convert(value, source, target, "value")


def _convert(value: float, source: str, target: str, name: str) -> float:
    """:func:`convert_beta`, its errors naming the caller's argument ``name``."""
    for arg, kind in (("source", source), ("target", target)):
        if kind not in BETA_KINDS:
            raise ValueError(f"{arg}: expected one of {BETA_KINDS}, got {kind!r}")
    beta = _to_beta(value, source, name)
    if target == "beta":
        return beta
    if target == "beta_prime":
        return math.inf if beta == 1.0 else 1.0 / (beta - 1.0)
    return 1.0 / beta  # 0 for beta = inf


#: What the weight gamma of each surrogate regularizer stands for (sec. 6.3).
GAMMA_MEANS = {"conditional_log_var": "beta_prime", "log_var": "beta_double_prime"}


def gamma_to_beta(gamma: float, regularizer: str) -> float:
    """Tishby's beta that the surrogate weight ``gamma`` of ``regularizer`` stands for.

    gamma of ``conditional_log_var`` (a bound on H[Z|Y]) is beta', gamma of
    ``log_var`` (a bound on H[Z]) is beta'' (Observation 8 with Observation 1);
    ``l2_activation`` has no such mapping (ValueError).

    Examples
    --------
    >>> from infoplane.bottleneck import gamma_to_beta
    >>> gamma_to_beta(0.5, "conditional_log_var"), gamma_to_beta(0.5, "log_var")
    (3.0, 2.0)
    """
    if not isinstance(regularizer, str) or regularizer not in GAMMA_MEANS:
        raise ValueError(f"regularizer: gamma maps to beta only for {sorted(GAMMA_MEANS)}, "
                         f"got {regularizer!r} (E||Z||^2 does not approximate an entropy)")
    return _convert(gamma, GAMMA_MEANS[regularizer], "beta", "gamma")


def beta_to_gamma(beta: float, regularizer: str) -> float:
    """Inverse of :func:`gamma_to_beta`.

    Examples
    --------
    >>> from infoplane.bottleneck import beta_to_gamma
    >>> beta_to_gamma(3.0, "conditional_log_var")
    0.5
    """
    if not isinstance(regularizer, str) or regularizer not in GAMMA_MEANS:
        raise ValueError(f"regularizer: gamma maps to beta only for {sorted(GAMMA_MEANS)}, "
                         f"got {regularizer!r}")
    return _convert(beta, "beta", GAMMA_MEANS[regularizer], "beta")
