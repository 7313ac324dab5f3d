"""Density-model scores: bits per dimension and a diagonal-Gaussian baseline.

A density model reports its negative log-likelihood (NLL) in nats per sample. Bits per
dimension divide it by ``D * ln 2``. For data that were quantised into bins of width
``delta`` (e.g. 8-bit pixels scaled to [0, 1]: ``delta = 1/256``) and dequantised with
uniform noise, the continuous NLL bounds the NLL of the discrete data by
``nll - D * log(delta)`` (Theis et al. 2016), which is what ``bin_width`` adds.

Examples
--------
>>> from infoplane.metrics.density import bits_per_dim
>>> round(bits_per_dim(64 * 0.6931471805599453, 64), 6)   # 64 nats * ln 2 over 64 dims
1.0
"""

from __future__ import annotations

import math
from typing import TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._gaussian import diagonal_normal_log_prob
from infoplane._units import from_nats, to_nats
from infoplane._validation import check_float, check_int, check_real_dtype, check_samples

__all__ = ["bits_per_dim", "nll_from_bits_per_dim", "diagonal_gaussian_nll"]

Value = TypeVar("Value", float, np.ndarray, torch.Tensor)


def _check_nll(nll: Value, name: str) -> Value:
    check_real_dtype(nll, name)
    if isinstance(nll, torch.Tensor):
        if nll.dtype == torch.bool or not (nll.is_floating_point() or nll.dtype.is_signed or
                                           nll.dtype == torch.uint8):
            raise ValueError(f"{name}: expected real numbers, got dtype {nll.dtype}")
        if not bool(torch.isfinite(nll).all()):
            raise ValueError(f"{name}: contains NaN or infinite values")
        return nll
    if isinstance(nll, np.ndarray):
        if nll.dtype.kind not in "iuf":
            raise ValueError(f"{name}: expected real numbers, got dtype {nll.dtype}")
        if not np.isfinite(nll).all():
            raise ValueError(f"{name}: contains NaN or infinite values")
        return nll
    return check_float(nll, name)


def bits_per_dim(nll: Value, n_dims: int, *, bin_width: float | None = None) -> Value:
    """Convert a negative log-likelihood in nats per sample into bits per dimension.

    Parameters
    ----------
    nll : float, ndarray or tensor
        Negative log-likelihood of one sample (or of each sample) in nats.
    n_dims : int
        Number of dimensions ``D`` of one sample.
    bin_width : float, optional
        Width of the quantisation bins of the original discrete data in the units of
        ``x``; adds ``-log2(bin_width)`` per dimension, giving the bits/dim of the
        discrete data (an upper bound when the model was trained on dequantised data).

    Returns
    -------
    float, ndarray or tensor
        Bits per dimension, the same kind as ``nll``.

    Examples
    --------
    >>> round(bits_per_dim(0.0, 784, bin_width=1 / 256), 6)   # a flat density on [0, 1]^D
    8.0
    """
    nll = _check_nll(nll, "nll")
    n_dims = check_int(n_dims, "n_dims", minimum=1)
    bpd = from_nats(nll, 2) / n_dims
    if bin_width is not None:
        bin_width = check_float(bin_width, "bin_width", low=0, low_open=True)
        bpd = bpd - math.log2(bin_width)
    return bpd


def nll_from_bits_per_dim(bpd: Value, n_dims: int, *, bin_width: float | None = None) -> Value:
    """The inverse of :func:`bits_per_dim`: bits/dim back to nats per sample.

    Examples
    --------
    >>> round(nll_from_bits_per_dim(bits_per_dim(12.5, 10), 10), 10)
    12.5
    """
    bpd = _check_nll(bpd, "bpd")
    n_dims = check_int(n_dims, "n_dims", minimum=1)
    if bin_width is not None:
        bin_width = check_float(bin_width, "bin_width", low=0, low_open=True)
        bpd = bpd + math.log2(bin_width)
    return to_nats(bpd * n_dims, 2)


def diagonal_gaussian_nll(x_train: ArrayLike | torch.Tensor, x_test: ArrayLike | torch.Tensor, *,
                          min_var: float = 1e-6) -> float:
    """Mean test NLL (nats per sample) of a diagonal Gaussian fitted by maximum likelihood.

    The baseline every density model should beat: per-feature mean and variance from
    ``x_train`` (variance floored at ``min_var`` so constant pixels stay finite), scored
    on ``x_test``.

    Parameters
    ----------
    x_train, x_test : array-like of shape (n_samples, n_features)
    min_var : float
        Smallest variance allowed per feature.

    Returns
    -------
    float
        Mean negative log-likelihood of ``x_test`` in nats per sample.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.random.default_rng(0).normal(size=(20000, 1))
    >>> bool(abs(diagonal_gaussian_nll(x, x) - 0.5 * np.log(2 * np.pi * np.e)) < 0.02)
    True
    """
    x_train = check_samples(x_train, "x_train", min_samples=2)
    x_test = check_samples(x_test, "x_test")
    min_var = check_float(min_var, "min_var", low=0, low_open=True)
    x_train = torch.as_tensor(x_train, dtype=torch.float64)
    x_test = torch.as_tensor(x_test, dtype=torch.float64)
    if x_train.shape[1] != x_test.shape[1]:
        raise ValueError(f"x_test: has {x_test.shape[1]} features, x_train has {x_train.shape[1]}")
    mean = x_train.mean(0)
    var = x_train.var(0, unbiased=False).clamp_min(min_var)
    return float(-diagonal_normal_log_prob(x_test, mean, var.log()).mean())
