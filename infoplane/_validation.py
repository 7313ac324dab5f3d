"""Input checks shared by every layer: each raises ValueError naming the argument."""

from __future__ import annotations

import numbers

import numpy as np
import torch


def check_int(value: object, name: str, *, minimum: int | None = None) -> int:
    """Return ``value`` as an int, or raise ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ValueError(f"{name}: expected an integer, got {value!r}")
    value = int(value)
    if minimum is not None and value < minimum:
        raise ValueError(f"{name}: expected an integer >= {minimum}, got {value}")
    return value


def check_float(value: object, name: str, *, low: float | None = None, high: float | None = None,
                low_open: bool = False, high_open: bool = False) -> float:
    """Return ``value`` as a finite float within the given bounds, or raise ValueError."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise ValueError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if not np.isfinite(value):
        raise ValueError(f"{name}: expected a finite number, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name}: expected a value {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and (value >= high if high_open else value > high):
        raise ValueError(f"{name}: expected a value {'<' if high_open else '<='} {high}, got {value}")
    return value


def check_seed(seed: object, name: str = "seed", *, limit: int = 2**64) -> int:
    """A seed for torch's generators: an integer in ``[0, limit)`` (``2**64`` is torch's range)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) < limit:
        raise ValueError(f"{name}: expected an integer in [0, {limit}), got {seed!r}")
    return int(seed)


def check_finite_tensor(x: object, name: str) -> torch.Tensor:
    """``x`` as a floating-point tensor without NaN or inf, or a ValueError/TypeError naming ``name``.

    One reduction decides (the elementwise check runs only when the sum is not finite).
    """
    if not isinstance(x, torch.Tensor):
        raise TypeError(f"{name}: expected a torch.Tensor, got {type(x).__name__}")
    if not x.is_floating_point():
        raise TypeError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    if not bool(torch.isfinite(x.sum())) and not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return x


def check_base(base: object) -> float:
    """Validate a logarithm base (> 0 and != 1); return it as a float."""
    value = check_float(base, "base", low=0.0, low_open=True)
    if value == 1.0:
        raise ValueError("base: a logarithm base must differ from 1")
    return value


def check_real_dtype(x: object, name: str) -> None:
    """Raise ValueError naming ``name`` if ``x`` is a complex array, tensor or number.

    Complex values are never silently made real: NumPy and torch would drop the
    imaginary part when casting to a float type.

    Examples
    --------
    >>> check_real_dtype(np.zeros(2), "x")
    >>> check_real_dtype(np.zeros(2) + 1j, "x")
    Traceback (most recent call last):
    ...
    ValueError: x: expected real numbers, got complex dtype complex128
    """
    if isinstance(x, torch.Tensor):
        if x.is_complex():
            raise ValueError(f"{name}: expected real numbers, got complex dtype {x.dtype}")
    elif isinstance(x, (complex, np.complexfloating)):
        raise ValueError(f"{name}: expected a real number, got {x!r}")
    elif isinstance(x, np.ndarray) and x.dtype.kind == "c":
        raise ValueError(f"{name}: expected real numbers, got complex dtype {x.dtype}")


def real_array(x: object, name: str, dtype: type | np.dtype = np.float64, *,
               what: str = "real numbers") -> np.ndarray:
    """``x`` (array, tensor, nested sequence) as a NumPy array of real ``dtype``, or raise.

    Integers, booleans and float16 are cast; complex input and anything
    that is not numeric raise ValueError naming ``name`` ("expected an array of {what}").

    Examples
    --------
    >>> real_array([1, 2], "x")
    array([1., 2.])
    """
    check_real_dtype(x, name)
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        if x.dtype == torch.bfloat16:
            x = x.float()
        x = x.numpy()
    else:
        try:
            raw = np.asarray(x)
        except (TypeError, ValueError) as err:
            raise ValueError(f"{name}: expected an array of {what} ({err})") from None
        if raw.dtype.kind == "c":
            raise ValueError(f"{name}: expected real numbers, got complex dtype {raw.dtype}")
        if raw.dtype.kind == "O" and any(isinstance(v, (complex, np.complexfloating)) for v in raw.flat):
            raise ValueError(f"{name}: expected real numbers, got a complex entry")
        x = raw
    try:
        return np.asarray(x, dtype=dtype)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: expected an array of {what} ({err})") from None


def check_samples(x: object, name: str, *, min_samples: int = 1) -> np.ndarray | torch.Tensor:
    """Check a sample array of shape ``(n_samples,)`` or ``(n_samples, n_features)``.

    Accepts NumPy arrays, torch tensors and nested sequences; returns the same kind
    (NumPy for sequences) with a 1-D input turned into one column. Raises ValueError
    naming ``name`` for wrong dimensionality, zero features, too few samples, or
    non-finite values, or complex input (never made real).
    """
    if isinstance(x, torch.Tensor):
        check_real_dtype(x, name)
        if x.dtype == torch.bool:
            raise ValueError(f"{name}: expected real numbers, got dtype {x.dtype}")
        if not x.is_floating_point():
            x = x.to(torch.get_default_dtype())
        finite = bool(torch.isfinite(x).all())
    else:
        x = real_array(x, name)
        finite = bool(np.isfinite(x).all())
    if x.ndim == 1:
        x = x[:, None]
    if x.ndim != 2:
        raise ValueError(f"{name}: expected shape (n_samples, n_features), got {tuple(x.shape)}")
    if x.shape[1] == 0:
        raise ValueError(f"{name}: has 0 features")
    if x.shape[0] < min_samples:
        raise ValueError(f"{name}: needs at least {min_samples} samples, got {x.shape[0]}")
    if not finite:
        raise ValueError(f"{name}: contains NaN or infinite values")
    return x
