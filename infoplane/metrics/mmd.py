"""Maximum mean discrepancy between two samples (Gretton et al. 2012; thesis 4.1.3).

How far apart are two distributions that we only see through samples? The squared
MMD is ``E k(a, a') + E k(b, b') - 2 E k(a, b)`` for a characteristic kernel ``k``; it is
zero exactly when the distributions agree. The thesis (4.1.3) uses the inverse
multiquadratic kernel ``k(x, x') = 1 / (1 + ||x - x'||^2 / h^2) = h^2 / (h^2 + ||x - x'||^2)``
because its heavy tails still give gradients for outliers; a Gaussian kernel
``exp(-||x - x'||^2 / (2 h^2))`` is available too. With several bandwidths ``h`` the
kernel is their average, so it stays in (0, 1] with ``k(x, x) = 1``.

The kernel sums are taken over row blocks, so memory grows with
``max_elements`` rather than with ``len(a) * len(b)``.

Examples
--------
>>> import torch
>>> from infoplane.metrics import mmd
>>> a = torch.randn(500, 2, generator=torch.Generator().manual_seed(0))
>>> b = torch.randn(500, 2, generator=torch.Generator().manual_seed(1))
>>> mmd(a, b) < 0.01 < mmd(a, b + 1.0)
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._validation import check_float, check_int, check_samples

__all__ = ["KERNELS", "kernel_matrix", "mmd"]


def _imq(d2: torch.Tensor, h: float) -> torch.Tensor:
    # thesis 4.1.3: k(x, x') = 1 / (1 + ||(x - x') / h||^2)
    return h * h / (h * h + d2)


def _gaussian(d2: torch.Tensor, h: float) -> torch.Tensor:
    return torch.exp(-d2 / (2.0 * h * h))


KERNELS: dict[str, Callable[[torch.Tensor, float], torch.Tensor]] = {
    "inverse_multiquadratic": _imq,
    "imq": _imq,
    "gaussian": _gaussian,
}

DEFAULT_BANDWIDTHS = (0.2, 0.5, 1.0, 2.0)

Kernel = str | Callable[[torch.Tensor, float], torch.Tensor]
Bandwidths = float | Sequence[float]


def _as_tensor(x: ArrayLike | torch.Tensor, name: str, min_samples: int = 2) -> torch.Tensor:
    x = check_samples(x, name, min_samples=min_samples)
    return torch.from_numpy(x) if isinstance(x, np.ndarray) else x


def _float_dtype(x: torch.Tensor) -> torch.dtype:
    return x.dtype if x.is_floating_point() else torch.get_default_dtype()


def _check_bandwidths(bandwidths: Bandwidths, dtype: torch.dtype = torch.float64) -> tuple[float, ...]:
    """Positive finite bandwidths whose squares are normal numbers of ``dtype``.

    ``h^2`` enters both kernels; outside ``[sqrt(tiny), sqrt(max)]`` of the working float
    type it underflows to 0 (``0 / 0`` at zero distance) or overflows, so such an ``h``
    is refused rather than returning NaN.
    """
    if isinstance(bandwidths, (int, float)) and not isinstance(bandwidths, bool):
        bandwidths = (bandwidths,)
    if not isinstance(bandwidths, Sequence) or isinstance(bandwidths, str) or len(bandwidths) == 0:
        raise ValueError(f"bandwidths: expected a positive number or a non-empty sequence, "
                         f"got {bandwidths!r}")
    info = torch.finfo(dtype)
    low, high = math.sqrt(info.tiny), math.sqrt(info.max) / 4.0
    out = tuple(check_float(h, "bandwidths", low=0.0, low_open=True) for h in bandwidths)
    for h in out:
        if not low <= h <= high:
            raise ValueError(f"bandwidths: {h:g} is outside [{low:.3g}, {high:.3g}], where h^2 is a normal "
                             f"{dtype} number; rescale the data")
    return out


def _resolve_kernel(kernel: Kernel) -> Callable[[torch.Tensor, float], torch.Tensor]:
    if callable(kernel):
        return kernel
    if not isinstance(kernel, str) or kernel not in KERNELS:
        raise ValueError(f"kernel: expected one of {sorted(KERNELS)} or a callable, got {kernel!r}")
    return KERNELS[kernel]


def _centred(a: torch.Tensor, b: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """``a`` and ``b`` minus their pooled mean (detached; distances do not depend on it).

    The squared distances below use the matrix-product form, which cancels badly when
    the points share a large offset (float32 data near 1e4 lose most of their digits);
    centring first makes every result shift-invariant to float tolerance.
    """
    centre = torch.cat([a.detach(), b.detach()]).mean(0)
    return a - centre, b - centre


def _sq_dist(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    # ||a||^2 + ||b||^2 - 2 a.b, clamped at 0; no square root, so gradients stay finite at 0.
    # Callers centre a and b first (_centred), so the cancellation is that of centred data.
    d2 = a.pow(2).sum(1, keepdim=True) + b.pow(2).sum(1)[None, :] - 2.0 * a @ b.T
    return d2.clamp_min(0.0)


def kernel_matrix(a: ArrayLike | torch.Tensor, b: ArrayLike | torch.Tensor,
                  kernel: Kernel = "inverse_multiquadratic",
                  bandwidths: Bandwidths = DEFAULT_BANDWIDTHS) -> torch.Tensor:
    """Kernel values ``k(a_i, b_j)`` averaged over the bandwidths; shape (len(a), len(b)).

    Parameters
    ----------
    a, b : array-like or Tensor of shape (n, d) and (m, d)
    kernel : {"inverse_multiquadratic", "imq", "gaussian"} or callable
        A callable gets squared distances and one bandwidth, ``kernel(d2, h)``.
    bandwidths : float or sequence of float
        Kernel widths ``h`` (same units as the samples).

    Returns
    -------
    Tensor of shape (n, m), dimensionless, in (0, 1] for the built-in kernels.

    Examples
    --------
    >>> import torch
    >>> from infoplane.metrics.mmd import kernel_matrix
    >>> kernel_matrix(torch.zeros(1, 2), torch.ones(1, 2), bandwidths=1.0)
    tensor([[0.3333]])
    """
    a, b = _as_tensor(a, "a", 1), _as_tensor(b, "b", 1)
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"b: expected {a.shape[1]} features like a, got {b.shape[1]}")
    fn = _resolve_kernel(kernel)
    hs = _check_bandwidths(bandwidths, _float_dtype(a))
    a, b = _centred(a, b.to(device=a.device, dtype=a.dtype))
    d2 = _sq_dist(a, b)
    return sum(fn(d2, h) for h in hs) / len(hs)


def _kernel_sum(a: torch.Tensor, b: torch.Tensor, fn: Callable[[torch.Tensor, float], torch.Tensor],
                hs: tuple[float, ...], max_elements: int) -> torch.Tensor:
    """Sum of all kernel values between the rows of ``a`` and ``b``, taken in row blocks."""
    rows = max(1, max_elements // max(1, b.shape[0]))
    total = a.new_zeros(())
    for start in range(0, a.shape[0], rows):
        d2 = _sq_dist(a[start:start + rows], b)
        total = total + sum(fn(d2, h).sum() for h in hs) / len(hs)
    return total


def mmd(a: ArrayLike | torch.Tensor, b: ArrayLike | torch.Tensor, kernel: Kernel = "inverse_multiquadratic",
        bandwidths: Bandwidths = DEFAULT_BANDWIDTHS, *, estimator: str = "unbiased",
        max_elements: int = 2**22, differentiable: bool = False) -> float | torch.Tensor:
    """Squared maximum mean discrepancy between the samples ``a`` and ``b``.

    Parameters
    ----------
    a, b : array-like or Tensor of shape (n, d) and (m, d)
        Samples of the two distributions (at least 2 each, same ``d``). A 1-D input is
        one feature.
    kernel : {"inverse_multiquadratic", "imq", "gaussian"} or callable
        Inverse multiquadratic ``h^2 / (h^2 + ||x - x'||^2)`` (thesis 4.1.3) or Gaussian
        ``exp(-||x - x'||^2 / (2 h^2))``; a callable gets ``(squared_distances, h)``.
    bandwidths : float or sequence of float
        Kernel widths ``h``; the kernel is the average over them.
    estimator : {"unbiased", "biased"}
        ``"unbiased"``: the U-statistic of Gretton et al. (2012, eq. 3), leaving out
        ``k(a_i, a_i)`` and ``k(b_j, b_j)``; its expectation is the population MMD^2 and
        it can be slightly negative. ``"biased"``: the V-statistic with the diagonal
        included (always >= 0, as in the thesis's training losses).
    max_elements : int
        Largest kernel block held in memory at once.
    differentiable : bool
        Return a 0-d tensor that carries gradients (for training losses) instead of a float.

    Returns
    -------
    float or 0-d Tensor
        The squared MMD, dimensionless (kernel units; no nats).

    Examples
    --------
    >>> import torch
    >>> from infoplane.metrics import mmd
    >>> x = torch.randn(200, 3, generator=torch.Generator().manual_seed(0))
    >>> mmd(x, x, estimator="biased")
    0.0
    """
    a, b = _as_tensor(a, "a"), _as_tensor(b, "b")
    if a.shape[1] != b.shape[1]:
        raise ValueError(f"b: expected {a.shape[1]} features like a, got {b.shape[1]}")
    if estimator not in ("unbiased", "biased"):
        raise ValueError(f"estimator: expected 'unbiased' or 'biased', got {estimator!r}")
    max_elements = check_int(max_elements, "max_elements", minimum=1)
    fn = _resolve_kernel(kernel)
    hs = _check_bandwidths(bandwidths, _float_dtype(a))
    a, b = _centred(a, b.to(device=a.device, dtype=a.dtype))
    n, m = a.shape[0], b.shape[0]
    saa = _kernel_sum(a, a, fn, hs, max_elements)
    sbb = _kernel_sum(b, b, fn, hs, max_elements)
    sab = _kernel_sum(a, b, fn, hs, max_elements)
    if estimator == "unbiased":
        zero = a.new_zeros(1, 1)
        k0 = sum(fn(zero, h) for h in hs).squeeze() / len(hs)  # k(x, x)
        value = (saa - n * k0) / (n * (n - 1)) + (sbb - m * k0) / (m * (m - 1)) - 2.0 * sab / (n * m)
    else:
        value = saa / (n * n) + sbb / (m * m) - 2.0 * sab / (n * m)
    if not bool(torch.isfinite(value.detach())):
        raise ValueError(f"a: the MMD is {float(value.detach())} in {a.dtype} (squared distances overflow "
                         "or a kernel returned NaN); rescale the data")
    if differentiable:
        return value
    value = float(value.detach())
    if estimator == "biased":
        value = max(value, 0.0)  # rounding can leave -1e-16
    return value
