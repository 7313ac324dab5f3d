"""Shared input handling of the estimators: checks, standardisation, jitter, warnings."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._units import from_nats
from infoplane._validation import check_int, check_samples

# Kraskov et al. (2004, sec. II.B) add noise of amplitude ~1e-10 to break ties between
# duplicated points; we use it relative to each column's scale.
TINY_JITTER = 1e-10


class SmallSampleWarning(UserWarning):
    """The sample is too small for the dimension or k: expect a strongly biased estimate."""


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


def standardize_columns(x: np.ndarray) -> np.ndarray:
    """Zero mean and unit (population) standard deviation per column."""
    return (x - x.mean(axis=0)) / x.std(axis=0)


def add_jitter(x: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Break ties: tiny Gaussian noise everywhere, dequantising noise on tied columns.

    Every column gets N(0, (1e-10 * s)^2) noise, s its standard deviation (Kraskov et
    al. 2004). A column with repeated values (rounded or discrete-looking data) also
    gets uniform noise over its resolution, the smallest gap g between its distinct
    values: U(-g/2, g/2). Without it, duplicated values make k-NN distances collapse
    and KSG's marginal counts explode, driving the estimate negative.
    """
    x = x.copy()
    for j in range(x.shape[1]):
        gaps = np.diff(np.sort(x[:, j]))
        if np.any(gaps == 0):  # repeated values: dequantise over the column's resolution
            x[:, j] += gaps[gaps > 0].min() * (rng.random(x.shape[0]) - 0.5)
    x += TINY_JITTER * x.std(axis=0) * rng.standard_normal(x.shape)
    return x


def preprocess(arrays: dict[str, ArrayLike | torch.Tensor], *, k: int | None, standardize: bool,
               jitter: bool, seed: int) -> tuple[list[np.ndarray], int]:
    """Checked, optionally standardised and jittered float64 arrays (list) and n."""
    checked, n = samples(arrays, k=k)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    out = []
    for name, value in checked.items():
        if standardize or jitter:  # both scale by the column's standard deviation
            with np.errstate(over="ignore", under="ignore"):
                std = value.std(axis=0)
            # not constant (checked), but its squares overflow (or, to standardise, underflow)
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
