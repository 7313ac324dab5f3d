"""How good is a sampled posterior? Re-simulation, calibration, MAP, distance to a reference.

For an inverse problem with a known forward process ``y = s(x)`` (thesis chapter 4),
a method returns samples ``x_hat ~ q(x | y*)`` for each observation ``y*``. Shapes:
``samples`` is (n_observations, n_samples, x_dim), ``truth`` (the ``x*`` that produced
``y*``) is (n_observations, x_dim), ``y_star`` is (n_observations, y_dim).

- :func:`resimulation_error`: how far ``s(x_hat)`` lands from ``y*`` (thesis 4.2.2, Table 4.1).
- :func:`posterior_calibration_error`: do the marginal alpha-intervals hold the truth in
  a fraction alpha of the cases (thesis 4.2.2-4.2.3, Fig. 4.10)?
- :func:`map_mean_shift`: the mode of each posterior by mean shift (thesis 4.2.3).
- :func:`posterior_mmd`: squared MMD between two methods' posteriors, averaged over
  observations (e.g. against the ABC reference).

Examples
--------
>>> import torch
>>> from infoplane.metrics import posterior_calibration_error
>>> g = torch.Generator().manual_seed(0)
>>> truth = torch.randn(400, 2, generator=g)
>>> exact = torch.randn(400, 500, 2, generator=g)   # posterior = prior here
>>> posterior_calibration_error(exact, truth)["median"] < 0.03
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._validation import check_float, check_int, check_real_dtype
from infoplane.metrics.mmd import DEFAULT_BANDWIDTHS, Bandwidths, Kernel, mmd

__all__ = ["map_mean_shift", "posterior_calibration_error", "posterior_mmd", "resimulation_error"]


def _tensor(values: ArrayLike | torch.Tensor, name: str) -> torch.Tensor:
    """``values`` as a real tensor (complex refused), or ValueError naming ``name``."""
    check_real_dtype(values, name)
    if isinstance(values, torch.Tensor):
        v = values
    else:
        try:
            v = torch.as_tensor(np.asarray(values))
        except (TypeError, ValueError, RuntimeError) as err:
            raise ValueError(f"{name}: expected an array of real numbers ({err})") from None
    check_real_dtype(v, name)
    if v.dtype == torch.bool:
        raise ValueError(f"{name}: expected real numbers, got dtype {v.dtype}")
    return v


def _posterior_samples(samples: ArrayLike | torch.Tensor, name: str = "samples") -> torch.Tensor:
    x = _tensor(samples, name)
    if x.ndim != 3:
        raise ValueError(f"{name}: expected shape (n_observations, n_samples, dim), got {tuple(x.shape)}")
    if min(x.shape) == 0:
        raise ValueError(f"{name}: has an empty axis, shape {tuple(x.shape)}")
    if not x.is_floating_point():
        x = x.to(torch.get_default_dtype())
    if not bool(torch.isfinite(x).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return x


def _observations(values: ArrayLike | torch.Tensor, name: str, n_obs: int,
                  dim: int | None = None) -> torch.Tensor:
    v = _tensor(values, name)
    if v.ndim != 2 or v.shape[0] != n_obs or (dim is not None and v.shape[1] != dim):
        want = f"({n_obs}, {dim if dim is not None else 'dim'})"
        raise ValueError(f"{name}: expected shape {want}, got {tuple(v.shape)}")
    if not v.is_floating_point():
        v = v.to(torch.get_default_dtype())
    if not bool(torch.isfinite(v).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return v


def resimulation_error(forward: Callable[[torch.Tensor], torch.Tensor], samples: ArrayLike | torch.Tensor,
                       y_star: ArrayLike | torch.Tensor) -> dict[str, float]:
    """Mean and median distance ``||s(x_hat) - y*||`` over all posterior samples.

    Parameters
    ----------
    forward : callable
        The forward process ``s``: Tensor (n, x_dim) -> Tensor (n, y_dim).
    samples : Tensor of shape (n_observations, n_samples, x_dim)
        Posterior samples per observation. A 2-D (n_observations, x_dim) array (e.g.
        MAP estimates) counts as one sample per observation.
    y_star : Tensor of shape (n_observations, y_dim)
        The observations the samples were conditioned on.

    Returns
    -------
    dict
        ``{"mean": float, "median": float}``, in the units of ``y`` (Euclidean distance);
        the median of an even number of distances is the midpoint of the two middle
        ones (``numpy.median``).

    Examples
    --------
    >>> import torch
    >>> from infoplane.data import inverse_kinematics as ik
    >>> from infoplane.metrics import resimulation_error
    >>> x = ik.sample_prior(10, seed=0)
    >>> resimulation_error(ik.forward, x[:, None, :], ik.forward(x))["mean"]
    0.0
    """
    if not callable(forward):
        raise ValueError(f"forward: expected a callable, got {forward!r}")
    samples = _tensor(samples, "samples")
    if samples.ndim == 2:
        samples = samples[:, None, :]
    x = _posterior_samples(samples)
    n_obs, n_s, x_dim = x.shape
    y_star = _observations(y_star, "y_star", n_obs)
    with torch.no_grad():
        y = forward(x.reshape(n_obs * n_s, x_dim))
    check_real_dtype(y, "forward")
    y = torch.as_tensor(y)
    if y.ndim != 2 or y.shape[0] != n_obs * n_s or y.shape[1] != y_star.shape[1]:
        raise ValueError(f"forward: returned shape {tuple(y.shape)}, "
                         f"expected ({n_obs * n_s}, {y_star.shape[1]})")
    y_star = y_star.to(device=y.device, dtype=y.dtype)
    dist = (y.reshape(n_obs, n_s, -1) - y_star[:, None, :]).norm(dim=2).flatten()
    # numpy's median: the midpoint of the two middle values for an even count (torch's
    # ``median`` would return the lower one)
    return {"mean": float(dist.mean()), "median": float(np.median(dist.detach().cpu().double().numpy()))}


def _sorted_quantiles(sorted_x: np.ndarray, q: np.ndarray) -> np.ndarray:
    """Quantiles ``q`` along axis 1 of an already sorted array (numpy's 'linear' rule)."""
    n = sorted_x.shape[1]
    pos = q * (n - 1)
    lo = np.floor(pos).astype(int)
    hi = np.minimum(lo + 1, n - 1)
    w = (pos - lo)[None, :, None]
    return sorted_x[:, lo, :] * (1 - w) + sorted_x[:, hi, :] * w


def posterior_calibration_error(samples: ArrayLike | torch.Tensor, truth: ArrayLike | torch.Tensor,
                                alphas: Sequence[float] | np.ndarray | None = None) -> dict[str, object]:
    """Fraction of ground-truth inliers of the marginal alpha-intervals, minus alpha.

    For each confidence level ``alpha``, each observation and each dimension of ``x``,
    the central interval between the ``(1 - alpha) / 2`` and ``(1 + alpha) / 2``
    quantiles of the marginal posterior samples holds the true value or not; the
    inlier fraction ``alpha_inl`` pools observations and dimensions. A calibrated
    posterior has ``alpha_inl = alpha`` for every alpha (thesis 4.2.2); negative
    deviations mean over-confidence, positive under-confidence (thesis Fig. 4.10).

    Parameters
    ----------
    samples : Tensor or array of shape (n_observations, n_samples, dim)
    truth : Tensor or array of shape (n_observations, dim)
        The true parameters ``x*`` behind each observation.
    alphas : sequence of float in (0, 1), optional
        Confidence levels; default 0.01, 0.02, ..., 0.99.

    Returns
    -------
    dict
        ``"median"``: median over alpha of ``|alpha_inl - alpha|`` (the thesis's
        calibration error, a fraction; x100 for %), ``"at_68"``: ``alpha_inl - alpha`` at
        alpha = 0.68 (signed), ``"alpha"`` and ``"deviation"`` (arrays, ``alpha_inl - alpha``
        per level), ``"per_dimension"`` (array (n_alpha, dim)).

    Examples
    --------
    >>> import torch
    >>> from infoplane.metrics import posterior_calibration_error
    >>> g = torch.Generator().manual_seed(0)
    >>> truth = torch.randn(400, 1, generator=g)
    >>> narrow = 0.3 * torch.randn(400, 500, 1, generator=g)   # over-confident
    >>> posterior_calibration_error(narrow, truth)["at_68"] < -0.3
    True
    """
    x = _posterior_samples(samples)
    n_obs, n_s, dim = x.shape
    if n_s < 2:
        raise ValueError(f"samples: need at least 2 samples per observation, got {n_s}")
    t = _observations(truth, "truth", n_obs, dim).detach().cpu().double().numpy()
    if alphas is None:
        alphas = np.round(np.arange(1, 100) / 100.0, 2)
    try:
        alphas = np.asarray(alphas, dtype=float).ravel()
    except (TypeError, ValueError):
        raise ValueError(f"alphas: expected confidence levels in (0, 1), got {alphas!r}") from None
    if alphas.size == 0 or not np.all((alphas > 0) & (alphas < 1)):
        raise ValueError(f"alphas: expected confidence levels in (0, 1), got {alphas}")
    xs = np.sort(x.detach().cpu().double().numpy(), axis=1)
    lo = _sorted_quantiles(xs, (1 - alphas) / 2)   # (n_obs, n_alpha, dim)
    hi = _sorted_quantiles(xs, (1 + alphas) / 2)
    inside = (lo <= t[:, None, :]) & (t[:, None, :] <= hi)
    per_dim = inside.mean(axis=0) - alphas[:, None]
    deviation = inside.mean(axis=(0, 2)) - alphas
    at = np.isclose(alphas, 0.68)
    at_68 = float(deviation[at][0]) if at.any() else float(np.interp(0.68, alphas, deviation))
    return {"median": float(np.median(np.abs(deviation))), "at_68": at_68,
            "alpha": alphas, "deviation": deviation, "per_dimension": per_dim}


def map_mean_shift(samples: ArrayLike | torch.Tensor, bandwidth: float | None = None, *, n_starts: int = 16,
                   max_iter: int = 200, tol: float = 1e-6) -> torch.Tensor:
    """MAP estimate of each posterior: the highest mode found by Gaussian mean shift.

    Mean shift moves a point to the kernel-weighted mean of the samples around it
    until it stops; it climbs the kernel density estimate to a mode. Starting from
    ``n_starts`` samples (evenly spaced in the sample order, which is random for
    posterior samples), the mode with the largest density estimate wins.

    Parameters
    ----------
    samples : Tensor or array of shape (n_observations, n_samples, dim)
    bandwidth : float, optional
        Gaussian kernel width (units of ``x``). Default: Scott's rule per observation,
        ``n_samples ** (-1 / (dim + 4))`` times the mean marginal standard deviation.
    n_starts : int
        Starting points per observation.
    max_iter : int
        Mean-shift iterations at most.
    tol : float
        Stop when no point moves further than this.

    Returns
    -------
    Tensor of shape (n_observations, dim)

    Examples
    --------
    >>> import torch
    >>> from infoplane.metrics import map_mean_shift
    >>> g = torch.Generator().manual_seed(0)
    >>> s = torch.randn(1, 2000, 2, generator=g) + torch.tensor([1.0, -2.0])
    >>> bool((map_mean_shift(s, bandwidth=0.5) - torch.tensor([1.0, -2.0])).norm() < 0.3)
    True
    """
    x = _posterior_samples(samples).detach()
    n_obs, n_s, dim = x.shape
    n_starts = min(check_int(n_starts, "n_starts", minimum=1), n_s)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    tol = check_float(tol, "tol", low=0.0)
    if bandwidth is None:
        h = x.std(dim=1).mean(dim=1).clamp_min(1e-12) * n_s ** (-1.0 / (dim + 4))
    else:
        h = x.new_full((n_obs,), check_float(bandwidth, "bandwidth", low=0.0, low_open=True))
    idx = torch.linspace(0, n_s - 1, n_starts).round().long().to(x.device)
    out = torch.empty(n_obs, dim, dtype=x.dtype, device=x.device)
    chunk = max(1, 2**22 // (n_starts * n_s))
    for s in range(0, n_obs, chunk):
        # centred per observation: the squared distances of cdist's matrix-product form
        # then lose no precision to a large common offset (shift-invariant results)
        centre = x[s:s + chunk].mean(dim=1, keepdim=True)
        xs, hs = x[s:s + chunk] - centre, h[s:s + chunk, None, None]
        pts = xs[:, idx, :].clone()
        for _ in range(max_iter):
            w = torch.exp(-torch.cdist(pts, xs).pow(2) / (2 * hs * hs))   # (b, n_starts, n_s)
            new = (w @ xs) / w.sum(2, keepdim=True).clamp_min(1e-300)
            moved = (new - pts).norm(dim=2).max()
            pts = new
            if float(moved) <= tol:
                break
        density = torch.exp(-torch.cdist(pts, xs).pow(2) / (2 * hs * hs)).sum(2)   # (b, n_starts)
        best = density.argmax(1)
        out[s:s + chunk] = pts[torch.arange(pts.shape[0]), best] + centre[:, 0, :]
    return out


def posterior_mmd(samples: ArrayLike | torch.Tensor, reference: ArrayLike | torch.Tensor,
                  kernel: Kernel = "inverse_multiquadratic", bandwidths: Bandwidths = DEFAULT_BANDWIDTHS,
                  estimator: str = "unbiased") -> float:
    """Squared MMD between two posteriors per observation, averaged over observations.

    Parameters
    ----------
    samples, reference : Tensor or array of shape (n_observations, n_samples, dim)
        The method's posterior samples and a reference (e.g. ABC); the sample counts
        may differ.
    kernel, bandwidths, estimator
        As in :func:`infoplane.metrics.mmd`.

    Returns
    -------
    float
        Mean squared MMD (kernel units).

    Examples
    --------
    >>> import torch
    >>> from infoplane.metrics import posterior_mmd
    >>> g = torch.Generator().manual_seed(0)
    >>> a, b = torch.randn(3, 300, 2, generator=g), torch.randn(3, 300, 2, generator=g)
    >>> posterior_mmd(a, b) < 0.01 < posterior_mmd(a, b + 1)
    True
    """
    a = _posterior_samples(samples)
    b = _posterior_samples(reference, "reference")
    if a.shape[0] != b.shape[0] or a.shape[2] != b.shape[2]:
        raise ValueError(f"reference: expected ({a.shape[0]}, n, {a.shape[2]}), got {tuple(b.shape)}")
    values = [mmd(a[i], b[i], kernel, bandwidths, estimator=estimator) for i in range(a.shape[0])]
    return float(np.mean(values))
