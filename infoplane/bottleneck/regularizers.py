"""Surrogate regularizers: batch upper bounds on H[Z] and H[Z|Y] (Kirsch, Lyle & Gal, sec. 6.2).

All three take a batch of latents ``z`` of shape ``(batch, dim)`` and return a
differentiable 0-d tensor in nats (``l2_activation`` in squared units of Z).

- :func:`log_var` bounds H[Z] <= 1/2 ln det(2 pi e Cov[Z]) <= sum_i 1/2 ln(2 pi e Var[Z_i])
  (appendix A.6, Theorem 2: the Gaussian has maximum entropy for a given covariance,
  and Hadamard's inequality drops the off-diagonal terms).
- :func:`conditional_log_var` bounds H[Z|Y] <= E_y sum_i 1/2 ln(2 pi e Var[Z_i|y])
  (Observation 7); with zero-entropy noise it also bounds the Redundant Information
  I(X;Z|Y) <= H[Z|Y] (Observation 6).
- :func:`l2_activation` E||Z||^2 <= C' implies H[Z] <= d/2 ln(2 pi e C'/d) (the Gaussian
  with the same second moment has the largest entropy), the loosest of the three and
  the regularizer hidden in VIB's KL term (appendix A.7).

Each takes a finite batch: NaN or inf in ``z`` is a ValueError naming ``z``.

The variances are batch estimates (``unbiased=False``, i.e. divided by the number of
samples), so the bounds are approximate ("lessapprox" in Observation 7). A small
``eps`` added to every variance keeps the logarithm finite for a constant feature.
"""

from __future__ import annotations

import torch

from infoplane._gaussian import gaussian_entropy
from infoplane._validation import check_float


def _check_latent(z: torch.Tensor, name: str = "z", finite: bool = True) -> torch.Tensor:
    if not isinstance(z, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor, got {type(z).__name__}")
    if z.ndim == 1:
        z = z[:, None]
    if z.ndim != 2:
        raise ValueError(f"{name}: expected shape (batch, dim), got {tuple(z.shape)}")
    if z.shape[0] < 1 or z.shape[1] < 1:
        raise ValueError(f"{name}: expected a non-empty batch, got shape {tuple(z.shape)}")
    if z.is_complex() or z.dtype == torch.bool:
        raise ValueError(f"{name}: expected real numbers, got dtype {z.dtype}")
    if not z.is_floating_point():
        z = z.float()
    if finite and not bool(torch.isfinite(z).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return z


def l2_activation(z: torch.Tensor) -> torch.Tensor:
    """Mean squared norm E||Z||^2 over the batch (the activation L2 regularizer).

    Bound it stands for: E||Z||^2 <= C' implies H[Z|Y] <= H[Z] <= d/2 ln(2 pi e C'/d)
    nats for a ``d``-dimensional Z (Kirsch, Lyle & Gal, sec. 6.2).

    Parameters
    ----------
    z : torch.Tensor
        Latents of shape ``(batch, dim)`` (a 1-D tensor is one feature).

    Returns
    -------
    torch.Tensor
        0-d tensor, differentiable, in squared units of ``z``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import l2_activation
    >>> float(l2_activation(torch.tensor([[3.0, 4.0], [0.0, 0.0]])))
    12.5
    """
    return _l2_activation(_check_latent(z))


def _l2_activation(z: torch.Tensor) -> torch.Tensor:
    return z.pow(2).sum(dim=1).mean()


def log_var(z: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Gaussian upper bound on H[Z]: sum_i 1/2 ln(2 pi e Var[Z_i]), in nats.

    Equals the entropy of a Gaussian with independent coordinates and the batch
    variances of ``z``; it upper-bounds H[Z] for any Z with those variances (appendix
    A.6, Theorem 2). Used with weight gamma it is the DIB surrogate, gamma = beta''.

    Parameters
    ----------
    z : torch.Tensor
        Latents ``(batch, dim)``; needs at least 2 samples.
    eps : float
        Added to each variance before the logarithm.

    Returns
    -------
    torch.Tensor
        0-d differentiable tensor, nats.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bottleneck import log_var
    >>> z = torch.tensor([[-1.0], [1.0]])  # variance 1
    >>> abs(float(log_var(z, eps=0.0)) - 0.5 * math.log(2 * math.pi * math.e)) < 1e-6
    True
    """
    z = _check_latent(z)
    eps = check_float(eps, "eps", low=0.0)
    return _log_var(z, eps)


def _log_var(z: torch.Tensor, eps: float) -> torch.Tensor:
    if z.shape[0] < 2:
        raise ValueError(f"z: needs at least 2 samples for a variance, got {z.shape[0]}")
    var = z.var(dim=0, unbiased=False)
    return gaussian_entropy(torch.log(var + eps))


def conditional_log_var(z: torch.Tensor, y: torch.Tensor, eps: float = 1e-8) -> torch.Tensor:
    """Gaussian upper bound on H[Z|Y]: E_y sum_i 1/2 ln(2 pi e Var[Z_i|y]), in nats.

    The batch is split by label; each class present with at least 2 samples gives
    the per-dimension variances of its latents, and the class terms are averaged
    with weights p(y) = n_y / n over those classes (Observation 7). Classes missing
    from the batch, or with a single sample (no variance), are left out and the
    weights renormalised over the remaining ones. With zero-entropy noise it also
    bounds the Redundant Information I(X;Z|Y) <= H[Z|Y] (Observation 6), which
    makes it the IB surrogate, gamma = beta'.

    Parameters
    ----------
    z : torch.Tensor
        Latents ``(batch, dim)``.
    y : torch.Tensor
        Integer labels ``(batch,)`` on any device.
    eps : float
        Added to each variance before the logarithm.

    Returns
    -------
    torch.Tensor
        0-d differentiable tensor, nats. When no class has 2 samples it falls back to
        :func:`log_var` of the batch (an upper bound on H[Z|Y] too, since H[Z|Y] <= H[Z]).

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bottleneck import conditional_log_var
    >>> z = torch.tensor([[-1.0], [1.0], [9.0], [11.0]])  # each class has variance 1
    >>> y = torch.tensor([0, 0, 1, 1])
    >>> abs(float(conditional_log_var(z, y, eps=0.0)) - 0.5 * math.log(2 * math.pi * math.e)) < 1e-6
    True
    """
    z = _check_latent(z)
    eps = check_float(eps, "eps", low=0.0)
    if not isinstance(y, torch.Tensor):
        try:
            y = torch.as_tensor(y)
        except (TypeError, ValueError, RuntimeError):
            raise ValueError(f"y: expected integer class labels, got {type(y).__name__}") from None
    y = y.reshape(-1).to(z.device)
    if y.shape[0] != z.shape[0]:
        raise ValueError(f"y: expected {z.shape[0]} labels to match z, got {y.shape[0]}")
    if y.is_floating_point() or y.is_complex():
        raise ValueError("y: expected integer class labels")
    return _conditional_log_var(z, y, eps)


def _conditional_log_var(z: torch.Tensor, y: torch.Tensor, eps: float) -> torch.Tensor:
    if z.shape[0] < 2:
        raise ValueError(f"z: needs at least 2 samples for a variance, got {z.shape[0]}")
    classes, index, counts = torch.unique(y, return_inverse=True, return_counts=True)
    k = classes.shape[0]
    dim = z.shape[1]
    # Per-class sums by scatter (works on any device, no Python loop over classes).
    sums = torch.zeros(k, dim, device=z.device, dtype=z.dtype).index_add_(0, index, z)
    n = counts.to(z.dtype)[:, None]
    means = sums / n
    centered = z - means[index]
    sq = torch.zeros(k, dim, device=z.device, dtype=z.dtype).index_add_(0, index, centered.pow(2))
    var = sq / n
    usable = counts >= 2
    if not bool(usable.any()):
        return _log_var(z, eps)
    per_class = gaussian_entropy(torch.log(var[usable] + eps))
    weights = counts[usable].to(z.dtype)
    return (weights * per_class).sum() / weights.sum()
