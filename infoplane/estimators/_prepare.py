"""Shared input handling of the estimators: checks, standardisation, jitter, warnings."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._runtime import device as checked_device
from infoplane._units import from_nats
from infoplane._validation import check_int, check_real_dtype, check_samples

# Kraskov et al. (2004, sec. II.B) add noise of amplitude ~1e-10 to break ties between
# duplicated points; we use it relative to each column's scale.
TINY_JITTER = 1e-10


class SmallSampleWarning(UserWarning):
    """The sample is too small for the dimension or k: expect a strongly biased estimate."""


class TiedSamplesWarning(UserWarning):
    """Most samples repeat another sample's value: zero k-NN distances dominate.

    Emitted by the k-NN estimators (KSG, Kozachenko-Leonenko) for discrete, rounded or
    duplicated data. With ``jitter=True`` they return the estimate for the dequantised
    data; with ``jitter=False`` the estimate is meaningless. For discrete variables use
    the exact measures of :mod:`infoplane.info` on ``Distribution.from_samples`` or
    :func:`~infoplane.estimators.discrete_entropy`.
    """


# More than this fraction of samples tied to another sample triggers TiedSamplesWarning.
TIE_WARNING_FRACTION = 0.5


def samples(arrays: dict[str, ArrayLike | torch.Tensor], *, k: int | None = None,
            allow_constant: bool = False) -> tuple[dict[str, np.ndarray], int]:
    """Check named sample arrays; return float64 NumPy copies of shape (n, d) and n.

    Raises ValueError naming the argument for NaN/inf, wrong shape, 0 features,
    mismatched lengths, constant columns, and ``n <= k``.
    """
    out = {}
    n = None
    first = None
    for name, value in arrays.items():
        value = check_samples(value, name)
        if isinstance(value, torch.Tensor):
            value = value.detach().cpu().to(torch.float64).numpy()
        value = np.array(value, dtype=np.float64)  # a private copy
        if n is None:
            n, first = value.shape[0], name
        elif value.shape[0] != n:
            raise ValueError(f"{name}: has {value.shape[0]} samples but {first} has {n}")
        constant = np.flatnonzero(np.ptp(value, axis=0) == 0)
        if constant.size and not allow_constant:
            raise ValueError(f"{name}: column {int(constant[0])} is constant; a constant carries "
                             "no information and has no density (drop it)")
        out[name] = value
    if k is not None:
        k = check_int(k, "k", minimum=1)
        if n <= k:
            raise ValueError(f"k: needs more samples than neighbours, got k={k} with n={n} samples")
    return out, n


# Columns whose largest magnitude lies outside [2^-256, 2^256] are scaled by an exact
# power of two before a variance is taken: their squares would overflow or underflow.
_SAFE_EXPONENT = 256


def safe_scales(x: np.ndarray) -> np.ndarray | None:
    """Per-column powers of two that bring ``x``'s magnitudes near 1, or None if not needed.

    Multiplying by a power of two is exact, so a statistic that is scale-equivariant
    (mean, standard deviation, standardised values) computed on ``x * scales`` and
    scaled back is the same number, without the overflow of ``x**2`` for data near
    1e300 or its underflow for data near 1e-300. Columns in the safe range (all
    ordinary data) are never touched: their results stay bit-identical.
    """
    peak = np.abs(x).max(axis=0)
    exponent = np.frexp(peak)[1]
    if np.all((exponent > -_SAFE_EXPONENT) & (exponent < _SAFE_EXPONENT)):
        return None
    # 2^1000 at most: a subnormal column (magnitudes near 1e-320) is brought to ~1e-19,
    # whose squares are still normal numbers
    return np.ldexp(1.0, np.minimum(-exponent, 1000))


def column_std(x: np.ndarray, ddof: int = 0) -> np.ndarray:
    """Per-column standard deviation, computed without overflow or underflow of the squares."""
    scales = safe_scales(x)
    if scales is None:
        with np.errstate(over="ignore", under="ignore"):
            return x.std(axis=0, ddof=ddof)
    with np.errstate(over="ignore", under="ignore"):
        return (x * scales).std(axis=0, ddof=ddof) / scales


def labels_array(labels: ArrayLike | torch.Tensor, name: str = "labels") -> np.ndarray:
    """Discrete labels as a 1-D NumPy array (any hashable dtype but complex), or ValueError."""
    check_real_dtype(labels, name)
    values = labels.detach().cpu().numpy() if isinstance(labels, torch.Tensor) else np.asarray(labels)
    if values.dtype.kind == "c":
        raise ValueError(f"{name}: expected real or categorical values, got complex dtype {values.dtype}")
    if values.ndim != 1:
        raise ValueError(f"{name}: expected shape (n_samples,), got {values.shape}")
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    return values


def standardize_columns(x: np.ndarray) -> np.ndarray:
    """Zero mean and unit (population) standard deviation per column.

    Scale-invariant, so a column outside the safe range is first scaled by an exact
    power of two (:func:`safe_scales`): ``standardize_columns(x * 1e300)`` works.
    """
    scales = safe_scales(x)
    if scales is not None:
        x = x * scales
    return (x - x.mean(axis=0)) / x.std(axis=0)


def resolution(column: np.ndarray) -> float:
    """The grid step of a column: the median gap between its consecutive distinct values.

    Robust where the smallest gap is not: one integer sample moved by 1e-6 leaves the
    median gap of integer data at 1 (the smallest would drop to 1e-6). For rounded
    data it is the rounding step (most neighbouring distinct values are one step
    apart); for a single repeated value (no gap) it is 1.
    """
    gaps = np.diff(np.unique(column))
    return float(np.median(gaps)) if gaps.size else 1.0


def tie_fraction(x: np.ndarray) -> float:
    """Fraction of the rows of ``x`` that are equal to at least one other row."""
    _, inverse, counts = np.unique(x, axis=0, return_inverse=True, return_counts=True)
    return float(np.mean(counts[inverse.ravel()] > 1))


def add_jitter(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Break ties: tiny Gaussian noise everywhere, dequantising noise on tied values.

    Every column gets N(0, (1e-10 * s)^2) noise, s its standard deviation (Kraskov et
    al. 2004). In a column with repeated values (rounded or discrete data), every
    value that occurs more than once also gets uniform noise over the column's
    resolution g (:func:`resolution`, the median gap between distinct values):
    U(-g/2, g/2). Values that occur once are left as they are, so continuous data
    (no ties) change by the 1e-10 noise only. Without it, duplicated values make k-NN
    distances collapse and KSG's marginal counts explode, driving the estimate
    negative.
    """
    x = x.copy()
    for j in range(x.shape[1]):
        _, inverse, counts = np.unique(x[:, j], return_inverse=True, return_counts=True)
        if counts.max() > 1:  # repeated values: dequantise them over the column's resolution
            noise = resolution(x[:, j]) * (rng.random(x.shape[0]) - 0.5)
            x[:, j] += np.where(counts[inverse.ravel()] > 1, noise, 0.0)
    x += TINY_JITTER * column_std(x) * rng.standard_normal(x.shape)
    return x


def warn_if_tied(name: str, x: np.ndarray, jitter: bool, stacklevel: int = 4) -> None:
    """Emit :class:`TiedSamplesWarning` when most rows of ``x`` repeat another row."""
    fraction = tie_fraction(x)
    if fraction <= TIE_WARNING_FRACTION:
        return
    if jitter:
        consequence = ("the estimate is that of the data dequantised over their resolution (see "
                       "infoplane.estimators.ksg), not of discrete variables, and duplicated samples, "
                       "which are not independent draws, bias it")
    else:
        consequence = "their k-NN distances are zero and the estimate is meaningless (keep jitter=True)"
    warnings.warn(f"{name}: {fraction:.0%} of the samples repeat another sample's value (discrete, rounded "
                  f"or duplicated data): {consequence}", TiedSamplesWarning, stacklevel=stacklevel)


def preprocess(arrays: dict[str, ArrayLike | torch.Tensor], *, k: int | None, standardize: bool,
               jitter: bool, seed: int, warn: bool = False,
               stacklevel: int = 4) -> tuple[list[np.ndarray], int]:
    """Checked, optionally standardised and jittered float64 arrays (list) and n.

    With ``warn=True``, an array whose samples are mostly tied emits
    :class:`TiedSamplesWarning` (checked before the jitter).
    """
    checked, n = samples(arrays, k=k)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    out = []
    for name, value in checked.items():
        if warn:
            warn_if_tied(name, value, jitter, stacklevel=stacklevel)
        if standardize or jitter:  # both scale by the column's standard deviation
            std = column_std(value)
            # not constant (checked), but the deviation itself is out of the float range
            bad = np.flatnonzero(~np.isfinite(std) | ((std == 0) if standardize else False))
            if bad.size:
                raise ValueError(f"{name}: the standard deviation of column {int(bad[0])} is "
                                 f"{float(std[bad[0]])} in floating point; rescale the data")
        if standardize:
            value = standardize_columns(value)
        if jitter:
            value = add_jitter(value, rng)
        out.append(value)
    return out, n


def to_base(nats: float, base: float) -> float:
    """Convert nats to the unit of ``base`` (e: nats, 2: bits) as a float, via :mod:`infoplane._units`."""
    return from_nats(float(nats), base)


def warn_if_small(n: int, dim: int, k: int, stacklevel: int = 3) -> None:
    """Warn when the k-neighbourhoods cannot be local.

    With n points in d dimensions a k-NN ball spans about ``(k/n)^(1/d)`` of the data's
    range per axis. Above one half, or with fewer than 10 k points, k-NN estimators are
    strongly biased (towards zero for MI, which they underestimate in high dimension).
    """
    if n < 10 * k or (k / n) ** (1.0 / dim) > 0.5:
        warnings.warn(f"n={n} samples are few for {dim} dimensions and k={k}: the k-NN balls span "
                      f"~{(k / n) ** (1.0 / dim):.0%} of the range per axis, expect a strong bias "
                      "(k-NN MI estimates fall towards zero)", SmallSampleWarning, stacklevel=stacklevel)


def input_device(*arrays: object) -> torch.device | None:
    """Device of the first tensor among ``arrays`` (None if there is none)."""
    for a in arrays:
        if isinstance(a, torch.Tensor):
            return a.device
    return None


def resolve_device(device: torch.device | str | None, *arrays: object) -> torch.device | None:
    """``device`` checked (a ValueError naming ``device`` if unusable), else the inputs' device."""
    if device is not None:
        return checked_device(device)
    return input_device(*arrays)
