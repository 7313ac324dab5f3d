"""Self-checks for the lessons' exercises: ``from checks import check``.

A lesson's exercise cell ends with a call such as::

    answer = ...                      # the student replaces ... with their answer
    check("01.coinformation_xor", answer)                       # expected value from the registry
    check("xor", answer, expected=-1.0, atol=1e-9, hint="Yeung's sign: I[X;Y;Z] = I[X;Y] - I[X;Y|Z]")

What happens:

- **correct** (within the tolerance): prints ``✓ name: correct`` and returns True;
- **not answered yet** (``answer`` is ``...`` or ``None``): prints ``… name: not answered yet``
  (and the hint) and returns False, so an exercise notebook still executes headless with its
  exercises open; with ``INFOPLANE_CHECKS=strict`` (what the solution notebooks run under)
  an unanswered check is a failure too;
- **wrong**: raises :class:`CheckFailed`, an ``AssertionError`` whose message names the
  exercise, shows the answer against the expected value and ends with the hint. A wrong
  official solution therefore fails its notebook, and so its test. With
  ``INFOPLANE_CHECKS=collect`` (grading a whole coursework notebook) a wrong answer is
  printed instead of raised and :func:`summary` counts the results.

Comparison: numbers, NumPy arrays, torch tensors and (nested) lists of numbers are compared
like ``numpy.allclose(answer, expected, rtol=rtol, atol=atol)`` after a shape check (a 0-d
array equals a float); bools, strings and None exactly; dicts key by key; tuples/lists of
mixed things element by element; sets as sets.

Expected values that come from the package are registered once, here, with
:func:`expected` (a function computing the value, evaluated on first use), so no notebook
hard-codes them and a change in the package moves the expected value with it::

    @expected("01.coinformation_xor", atol=1e-9, hint="co_information(examples.xor(), base=2)")
    def _():
        from infoplane.info import co_information, examples
        return co_information(examples.xor(), base=2)

Lessons are executed with ``lessons/`` on ``PYTHONPATH`` (``lessons/execute.py`` and
``make lab`` arrange it), so ``from checks import check`` works from ``lessons/`` and
``lessons/solutions/`` alike.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

__all__ = ["CheckFailed", "Expected", "REGISTRY", "check", "expected", "reset", "summary"]

_UNSET = object()


class CheckFailed(AssertionError):
    """A wrong answer: ``name``, ``answer``, ``expected`` and ``hint`` are attributes.

    An ``AssertionError`` so that pytest (and a notebook executed by the tests) reports it
    as a failed check, with the hint in the message.
    """

    def __init__(self, name: str, answer: Any, expected: Any, reason: str, hint: str | None) -> None:
        self.name, self.answer, self.expected, self.reason, self.hint = name, answer, expected, reason, hint
        message = f"{name}: {reason}"
        if hint:
            message += f"\n  hint: {hint}"
        super().__init__(message)


@dataclass
class Expected:
    """A registered expected answer: ``compute()`` gives the value (cached after the first call)."""

    compute: Callable[[], Any]
    rtol: float = 1e-5
    atol: float = 1e-8
    hint: str | None = None
    _value: Any = field(default=_UNSET, repr=False)

    @property
    def value(self) -> Any:
        if self._value is _UNSET:
            self._value = self.compute()
        return self._value


REGISTRY: dict[str, Expected] = {}
_RESULTS: dict[str, str] = {}


def expected(name: str, *, rtol: float = 1e-5, atol: float = 1e-8,
             hint: str | None = None) -> Callable[[Callable[[], Any]], Callable[[], Any]]:
    """Register the function below as the source of the expected answer of exercise ``name``.

    The function takes no argument and is called on the first ``check(name, ...)``.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string, got {name!r}")

    def register(fn: Callable[[], Any]) -> Callable[[], Any]:
        if name in REGISTRY:
            raise ValueError(f"name: {name!r} is already registered")
        REGISTRY[name] = Expected(fn, rtol=rtol, atol=atol, hint=hint)
        return fn

    return register


def _mode() -> str:
    mode = os.environ.get("INFOPLANE_CHECKS", "raise").strip().lower() or "raise"
    if mode not in ("raise", "strict", "collect"):
        raise ValueError(f"INFOPLANE_CHECKS: expected 'raise', 'strict' or 'collect', got {mode!r}")
    return mode


def _to_numeric(x: Any) -> np.ndarray | None:
    """x as a float/complex array if it is a number, an array, a tensor or a nested list of numbers."""
    if isinstance(x, (bool, np.bool_, str, bytes)) or x is None:
        return None
    if hasattr(x, "detach") and hasattr(x, "cpu"):      # a torch tensor, without importing torch
        x = x.detach().cpu().numpy()
    if isinstance(x, (int, float, complex, np.number, np.ndarray, list, tuple)):
        try:
            arr = np.asarray(x)
        except (ValueError, TypeError):
            return None
        if arr.dtype.kind in "iuf" or arr.dtype.kind == "c":
            return arr
    return None


def _short(x: Any) -> str:
    text = np.array2string(x, precision=6, threshold=8) if isinstance(x, np.ndarray) else repr(x)
    return text if len(text) <= 120 else text[:117] + "..."


def _compare(answer: Any, want: Any, rtol: float, atol: float, where: str = "") -> str | None:
    """None when ``answer`` matches ``want``, else the reason it does not."""
    at = f" at {where}" if where else ""
    if isinstance(want, Mapping):
        if not isinstance(answer, Mapping):
            return f"expected a dict{at}, got {type(answer).__name__}"
        if set(answer) != set(want):
            return f"keys{at} differ: missing {sorted(map(str, set(want) - set(answer)))}, " \
                   f"unexpected {sorted(map(str, set(answer) - set(want)))}"
        for k in want:
            reason = _compare(answer[k], want[k], rtol, atol, f"{where}[{k!r}]")
            if reason:
                return reason
        return None
    if isinstance(want, (set, frozenset)):
        return None if set(answer) == want else f"expected {_short(want)}{at}, got {_short(answer)}"
    w, a = _to_numeric(want), _to_numeric(answer)
    if w is not None:
        if a is None:
            return f"expected a number or an array{at}, got {type(answer).__name__} {_short(answer)}"
        if a.shape != w.shape:
            return f"expected shape {w.shape}{at}, got shape {a.shape}"
        if not np.isfinite(a).all():
            return f"the answer{at} holds NaN or inf: {_short(a)}"
        if not np.allclose(a, w, rtol=rtol, atol=atol):
            worst = float(np.max(np.abs(a - w))) if a.size else 0.0
            return (f"expected {_short(w.item() if w.ndim == 0 else w)}{at}, got "
                    f"{_short(a.item() if a.ndim == 0 else a)} (off by {worst:.3g}; "
                    f"tolerance rtol={rtol:g}, atol={atol:g})")
        return None
    if isinstance(want, (list, tuple)) and not isinstance(answer, (str, bytes)):
        try:
            items = list(answer)
        except TypeError:
            return f"expected a sequence{at}, got {type(answer).__name__}"
        if len(items) != len(want):
            return f"expected {len(want)} items{at}, got {len(items)}"
        for i, (a_i, w_i) in enumerate(zip(items, want, strict=True)):
            reason = _compare(a_i, w_i, rtol, atol, f"{where}[{i}]")
            if reason:
                return reason
        return None
    if isinstance(want, (bool, np.bool_)):
        ok = isinstance(answer, (bool, np.bool_)) and bool(answer) == bool(want)
    else:
        ok = type(answer) is type(want) and answer == want
    return None if ok else f"expected {_short(want)}{at}, got {_short(answer)}"


def check(name: str, answer: Any, expected: Any = _UNSET, *, rtol: float | None = None,
          atol: float | None = None, hint: str | None = None) -> bool:
    """Check the answer to exercise ``name``; print the verdict; raise :class:`CheckFailed` if wrong.

    Parameters
    ----------
    name : str
        The exercise, e.g. ``"03.ksg_bias"``; also the registry key when ``expected`` is omitted.
    answer : object
        The student's answer; ``...`` or ``None`` means "not answered yet".
    expected : object, optional
        The right answer. Omitted: the value registered under ``name`` with :func:`expected`.
    rtol, atol : float, optional
        Tolerances for numbers and arrays, as in ``numpy.allclose`` (default: the registered
        ones, else 1e-5 and 1e-8). State the unit of the answer in the exercise; the
        tolerance is in that unit.
    hint : str, optional
        Shown when the answer is wrong or missing (default: the registered hint).

    Returns
    -------
    bool
        True when correct, False when not answered (in the default mode).

    Raises
    ------
    CheckFailed
        The answer is wrong (or, with ``INFOPLANE_CHECKS=strict``, missing).

    Examples
    --------
    >>> check("half", 0.5000001, expected=0.5, atol=1e-6)
    ✓ half: correct
    True
    >>> check("half", 0.6, expected=0.5, hint="count the outcomes")
    Traceback (most recent call last):
    ...
    checks.CheckFailed: half: expected 0.5, got 0.6 (off by 0.1; tolerance rtol=1e-05, atol=1e-08)
      hint: count the outcomes
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"name: expected a non-empty string, got {name!r}")
    mode = _mode()
    entry = REGISTRY.get(name)
    if expected is _UNSET:
        if entry is None:
            raise ValueError(f"name: no expected value registered for {name!r}; pass expected=")
        expected = entry.value
    rtol = rtol if rtol is not None else (entry.rtol if entry else 1e-5)
    atol = atol if atol is not None else (entry.atol if entry else 1e-8)
    hint = hint if hint is not None else (entry.hint if entry else None)
    if answer is ... or answer is None and expected is not None:
        if mode == "strict":
            _RESULTS[name] = "failed"
            raise CheckFailed(name, answer, expected, "not answered", hint)
        _RESULTS[name] = "unanswered"
        print(f"… {name}: not answered yet" + (f" (hint: {hint})" if hint else ""))
        return False
    reason = _compare(answer, expected, rtol, atol)
    if reason is None:
        _RESULTS[name] = "passed"
        print(f"✓ {name}: correct")
        return True
    _RESULTS[name] = "failed"
    error = CheckFailed(name, answer, expected, reason, hint)
    if mode == "collect":
        print(f"✗ {error}")
        return False
    raise error


def summary() -> dict[str, int]:
    """Counts of ``passed``, ``failed`` and ``unanswered`` checks since the last :func:`reset`.

    Examples
    --------
    >>> reset(); _ = check("a", 1, expected=1); summary()
    ✓ a: correct
    {'passed': 1, 'failed': 0, 'unanswered': 0}
    """
    counts = {"passed": 0, "failed": 0, "unanswered": 0}
    for verdict in _RESULTS.values():
        counts[verdict] += 1
    return counts


def reset() -> None:
    """Forget the verdicts counted by :func:`summary`."""
    _RESULTS.clear()


# ---------------------------------------------------------------------- registered answers
# One block per lesson; the expected value is computed from the package on first use.

@expected("01.coinformation_xor", atol=1e-9,
          hint="the co-information I[X;Y;Z] = I[X;Y] - I[X;Y|Z], in bits (base=2)")
def _xor_coinformation() -> float:
    from infoplane.info import co_information, examples
    return co_information(examples.xor(), base=2)
