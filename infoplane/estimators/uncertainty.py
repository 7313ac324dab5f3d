"""How much to trust an estimate: a resampling confidence interval and a shuffle baseline.

:func:`estimate_uncertainty` wraps any estimator ``f(*arrays, **options) -> float``:

- confidence interval by half-sampling (delete-d jackknife, d = n - m): the estimator
  is re-run on random subsets of m samples drawn *without* replacement (resampling
  with replacement would duplicate points, and duplicates wreck k-NN estimators); the
  spread of those estimates, scaled by ``sqrt(m / (n - m))`` (1 for m = n/2), estimates
  the sampling spread at n. The interval covers sampling variability, *not* the
  estimator's bias (KSG underestimates large MI in high dimension; see lesson 03).
- shuffle baseline: one argument (the last by default) is permuted, which destroys
  any dependence while keeping the marginals; the estimates on shuffled data show what
  "zero" looks like for this estimator, n and dimension, and give a permutation
  p-value. (For conditional MI a plain permutation is not the conditional-independence
  null; shuffle within strata of the conditioning variable instead.)
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._validation import check_float, check_int, check_real_dtype

__all__ = ["Uncertainty", "estimate_uncertainty"]


@dataclass(frozen=True)
class Uncertainty:
    """Result of :func:`estimate_uncertainty` (same units as the estimator).

    Attributes
    ----------
    estimate : float
        The estimator on all samples.
    ci_low, ci_high : float
        Confidence interval for the sampling variability at the chosen ``level``.
    level : float
    shuffle_mean, shuffle_high : float or None
        Mean and ``level``-quantile of the estimates on shuffled data (None with
        ``n_shuffles=0`` or a single array).
    p_value : float or None
        Permutation p-value ``(1 + #{shuffled >= estimate}) / (1 + n_shuffles)``.
    resamples, shuffles : ndarray
        The raw estimates.
    """

    estimate: float
    ci_low: float
    ci_high: float
    level: float
    shuffle_mean: float | None
    shuffle_high: float | None
    p_value: float | None
    resamples: np.ndarray
    shuffles: np.ndarray


def _take(a: ArrayLike | torch.Tensor, index: np.ndarray) -> np.ndarray | torch.Tensor:
    if isinstance(a, torch.Tensor):
        return a[torch.as_tensor(index, device=a.device)]
    return np.asarray(a)[index]


def estimate_uncertainty(estimator: Callable[..., float], *arrays: ArrayLike | torch.Tensor,
                         n_resamples: int = 30, n_shuffles: int = 30, level: float = 0.95,
                         fraction: float = 0.5, shuffle_arg: int = -1, seed: int = 0,
                         **options: object) -> Uncertainty:
    """Confidence interval and shuffle baseline of ``estimator(*arrays, **options)``.

    Parameters
    ----------
    estimator : callable
        Any estimator of this package (or yours) returning a float.
    *arrays : arrays or tensors with the same first dimension n
    n_resamples : int
        Number of half-samples for the interval (0 skips it: interval = estimate).
    n_shuffles : int
        Number of shuffles for the baseline (ignored for a single array).
    level : float
        Confidence level in (0, 1).
    fraction : float
        Subsample size m / n in (0, 1); 1/2 is the classical half-sampling.
    shuffle_arg : int
        Which array to permute (default: the last, e.g. the labels).
    seed : int
        Seed of the subsets and permutations.
    **options
        Passed to ``estimator``.

    Returns
    -------
    Uncertainty

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.estimators import mutual_information
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(500); y = x + rng.standard_normal(500)
    >>> u = estimate_uncertainty(mutual_information, x, y, n_resamples=10, n_shuffles=10)
    >>> u.ci_low < u.estimate < u.ci_high, u.shuffle_high < u.estimate, u.p_value
    (True, True, 0.09090909090909091)
    """
    if not callable(estimator):
        raise ValueError(f"estimator: expected a callable returning a float, got {type(estimator).__name__}")
    if not arrays:
        raise ValueError("arrays: give at least one sample array")
    for i, a in enumerate(arrays):
        check_real_dtype(a, f"arrays[{i}]")
        if np.ndim(a) == 0:
            raise ValueError(f"arrays[{i}]: expected an array of samples, got a scalar")
        length = a.shape[0] if hasattr(a, "shape") else len(a)
        first = arrays[0].shape[0] if hasattr(arrays[0], "shape") else len(arrays[0])
        if length != first:
            raise ValueError(f"arrays[{i}]: has {length} samples but arrays[0] has {first}")
    n_resamples = check_int(n_resamples, "n_resamples", minimum=0)
    n_shuffles = check_int(n_shuffles, "n_shuffles", minimum=0)
    level = check_float(level, "level", low=0.0, high=1.0, low_open=True, high_open=True)
    fraction = check_float(fraction, "fraction", low=0.0, high=1.0, low_open=True, high_open=True)
    n = arrays[0].shape[0] if hasattr(arrays[0], "shape") else len(arrays[0])
    m = int(round(fraction * n))
    if not 1 <= m < n:
        raise ValueError(f"fraction: gives a subsample of {m} out of {n} samples")
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    estimate = float(estimator(*arrays, **options))

    resamples = np.array([
        estimator(*(_take(a, idx) for a in arrays), **options)
        for idx in (np.sort(rng.choice(n, m, replace=False)) for _ in range(n_resamples))
    ], dtype=float)
    alpha = 0.5 * (1.0 - level)
    if n_resamples:
        deviation = (resamples - resamples.mean()) * math.sqrt(m / (n - m))
        ci_low = estimate + float(np.quantile(deviation, alpha))
        ci_high = estimate + float(np.quantile(deviation, 1.0 - alpha))
    else:
        ci_low = ci_high = estimate

    shuffles = np.empty(0)
    shuffle_mean = shuffle_high = p_value = None
    if len(arrays) > 1 and n_shuffles:
        which = shuffle_arg % len(arrays)
        values = []
        for _ in range(n_shuffles):
            permuted = list(arrays)
            permuted[which] = _take(arrays[which], rng.permutation(n))
            values.append(estimator(*permuted, **options))
        shuffles = np.array(values, dtype=float)
        shuffle_mean = float(shuffles.mean())
        shuffle_high = float(np.quantile(shuffles, level))
        p_value = float((1 + np.sum(shuffles >= estimate)) / (1 + n_shuffles))
    return Uncertainty(estimate, ci_low, ci_high, level, shuffle_mean, shuffle_high, p_value,
                       resamples, shuffles)
