"""Density-model scores: bits per dimension and a diagonal-Gaussian baseline.

A density model reports its negative log-likelihood (NLL) in nats per sample. Bits per
dimension divide it by ``D * ln 2``. For data that were quantised into bins of width
``delta`` (e.g. 8-bit pixels scaled to [0, 1]: ``delta = 1/256``) and dequantised with
uniform noise, the continuous NLL bounds the NLL of the discrete data by
``nll - D * log(delta)`` (Theis et al. 2016), which is what ``bin_width`` adds.
:func:`discrete_bits_per_dim` bounds the discrete data's bits/dim for any density, whatever
noise it was trained on, by importance-weighted dequantisation.

Examples
--------
>>> from infoplane.metrics.density import bits_per_dim
>>> round(bits_per_dim(64 * 0.6931471805599453, 64), 6)   # 64 nats * ln 2 over 64 dims
1.0
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import NamedTuple, TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._gaussian import diagonal_normal_log_prob
from infoplane._units import from_nats, to_nats
from infoplane._validation import check_finite_tensor, check_float, check_int, check_real_dtype, check_samples

__all__ = ["bits_per_dim", "nll_from_bits_per_dim", "discrete_bits_per_dim", "DiscreteBitsPerDim",
           "diagonal_gaussian_nll"]

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


class DiscreteBitsPerDim(NamedTuple):
    """The result of :func:`discrete_bits_per_dim`: the bound, its standard error, the draws."""

    bits_per_dim: float
    stderr: float
    draws: int


def _bin_offsets(shape: tuple[int, ...], half_width: float, noise_std: float | None,
                 generator: torch.Generator | None, dtype: torch.dtype,
                 device: torch.device) -> tuple[torch.Tensor, torch.Tensor]:
    """Offsets e in [-w/2, w/2]^D from the proposal r and log r(e) summed per example, in nats.

    Drawn and scored in at least float32 (half precision has no inverse normal CDF on every
    device); the offsets come back in ``dtype``, log r in float64.
    """
    work = torch.promote_types(dtype, torch.float32)
    source = device if generator is None else generator.device
    u = torch.rand(shape, generator=generator, dtype=work, device=source).to(device)
    n_dims = math.prod(shape[1:])
    if noise_std is None:                                      # uniform over the bin
        log_r = torch.full((shape[0],), -n_dims * math.log(2 * half_width), dtype=torch.float64)
        return ((2 * u - 1) * half_width).to(dtype), log_r
    a = half_width / noise_std                                 # N(0, s^2) truncated to the bin
    lower = 0.5 * math.erfc(a / math.sqrt(2))                  # Phi(-a)
    mass = math.erf(a / math.sqrt(2))                          # Phi(a) - Phi(-a)
    # inverse CDF; the clamp keeps the draws that round to probability 0 or 1 at the bin's edge
    # (or 40 standard deviations out, beyond which no float draw lands anyway)
    edge = min(a, 40.0)
    std_normal = torch.special.ndtri(lower + mass * u).clamp(-edge, edge)
    log_r = -0.5 * std_normal.double().square() - 0.5 * math.log(2 * math.pi) - math.log(noise_std * mass)
    return (noise_std * std_normal).to(dtype), log_r.flatten(1).sum(1).cpu()


def discrete_bits_per_dim(log_prob: Callable[[torch.Tensor], torch.Tensor], x: torch.Tensor,
                          bin_width: float, *, draws: int = 16, noise_std: float | None = None,
                          generator: torch.Generator | None = None,
                          batch_size: int = 500) -> DiscreteBitsPerDim:
    """Bits/dim of discrete data under a continuous density: an upper bound on -log2 P(x) / D.

    Data on a grid of step ``bin_width`` (every entry of ``x`` a multiple of it) get the
    probability P(x) = integral of q over the box of side ``bin_width`` centred on x; the
    boxes do not overlap, so -log2 P(x) is a code length and its mean the discrete data's
    cross-entropy under the model, the figure flows report (Theis et al. 2016). It is
    estimated by importance-weighted dequantisation: for K = ``draws`` offsets e_k in the
    box drawn from a proposal r,

        -log P(x) <= E[-log (1/K sum_k q(x + e_k) / r(e_k))],

    which holds for every K by Jensen's inequality and tightens towards -log P(x) as K grows
    (Burda et al. 2016). With the uniform proposal (``noise_std=None``) and K = 1 it is the
    usual uniform-dequantisation bound, E_u[-log q(x + u)] / D - log2(bin_width); a normal
    proposal of std ``noise_std`` truncated to the box can suit a model trained on narrower
    noise (the IB-INN's sigma) whose density is concentrated near the grid points; any
    proposal gives a bound, and the lower of two is the tighter.

    Parameters
    ----------
    log_prob : callable
        Maps a tensor shaped like ``x[:batch_size]`` to the log density per example, (n,), in nats.
    x : Tensor of shape (n, *dims)
        The discrete data (no noise added).
    bin_width : float
        The grid step, in the units of ``x``.
    draws : int
        K, offsets per example.
    noise_std : float, optional
        Std of the truncated normal proposal; uniform over the box when None.
    generator : torch.Generator, optional
        Source of the offsets; the global RNG otherwise.
    batch_size : int
        Examples per call of ``log_prob``.

    Returns
    -------
    DiscreteBitsPerDim
        ``bits_per_dim`` (the mean over examples, bits), ``stderr`` (its standard error over
        the examples, bits) and ``draws``.

    Raises
    ------
    ValueError
        When ``x`` is not on the grid, an argument is out of range, or ``log_prob`` returns
        NaN or +inf, or density 0 at every draw of some example.
    TypeError
        When ``log_prob`` is not callable, ``x`` not a floating-point tensor, or ``generator``
        not a ``torch.Generator``.

    Examples
    --------
    >>> import math, torch
    >>> normal = torch.distributions.Normal(0.0, 1.0)
    >>> x = torch.zeros(1000, 1)                      # one point on a grid of step 0.5
    >>> result = discrete_bits_per_dim(lambda v: normal.log_prob(v).sum(1), x, 0.5, draws=4,
    ...                                generator=torch.Generator().manual_seed(0))
    >>> exact = -math.log2(float(normal.cdf(torch.tensor(0.25)) - normal.cdf(torch.tensor(-0.25))))
    >>> round(exact, 3), abs(result.bits_per_dim - exact) < 3 * result.stderr < 1e-3
    (2.341, True)
    """
    if not callable(log_prob):
        raise TypeError(f"log_prob: expected a callable, got {type(log_prob).__name__}")
    x = check_finite_tensor(x, "x")
    if x.ndim < 2 or x.shape[0] == 0 or x[0].numel() == 0:
        raise ValueError(f"x: expected shape (n, *dims) with n >= 1 and dims not empty, got {tuple(x.shape)}")
    if generator is not None and not isinstance(generator, torch.Generator):
        raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")
    bin_width = check_float(bin_width, "bin_width", low=0, low_open=True)
    draws = check_int(draws, "draws", minimum=1)
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    if noise_std is not None:
        noise_std = check_float(noise_std, "noise_std", low=0, low_open=True)
    steps = x.double() / bin_width
    if not bool(((steps - steps.round()).abs() <= 1e-4).all()):
        raise ValueError(f"x: not on the grid of step bin_width = {bin_width}")
    n_dims = math.prod(x.shape[1:])
    code_lengths = []
    with torch.no_grad():
        for start in range(0, x.shape[0], batch_size):
            chunk = x[start:start + batch_size]
            log_weights = torch.empty(draws, chunk.shape[0], dtype=torch.float64)
            for k in range(draws):
                offset, log_r = _bin_offsets(tuple(chunk.shape), bin_width / 2, noise_std, generator,
                                             chunk.dtype, chunk.device)
                log_q = torch.as_tensor(log_prob(chunk + offset)).reshape(-1)
                if log_q.shape[0] != chunk.shape[0]:
                    raise ValueError(f"log_prob: returned {log_q.shape[0]} values for "
                                     f"{chunk.shape[0]} examples")
                if bool(torch.isnan(log_q).any() | (log_q == math.inf).any()):
                    raise ValueError("log_prob: returned NaN or +inf")
                log_weights[k] = log_q.double().cpu() - log_r
            log_p = torch.logsumexp(log_weights, 0) - math.log(draws)
            code_lengths.append(-log_p / (n_dims * math.log(2.0)))
    bits = torch.cat(code_lengths)
    if not bool(torch.isfinite(bits).all()):
        raise ValueError("log_prob: density 0 at every draw in the bin of some example (an infinite "
                         "code length); more draws or a wider proposal may find its mass")
    stderr = float(bits.std() / math.sqrt(bits.shape[0])) if bits.shape[0] > 1 else 0.0
    return DiscreteBitsPerDim(float(bits.mean()), stderr, draws)


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
