"""Entropy from samples: k-NN, Gaussian bounds, binning and pairwise-distance (KDE) bounds.

- ``"kl"``: Kozachenko & Leonenko (1987) k-NN differential entropy, max-norm or
  Euclidean balls (Kraskov et al. 2004, eq. 20).
- ``"gaussian"``: the maximum-entropy upper bound ``1/2 ln det(2 pi e Cov)``, or with
  ``diagonal=True`` the looser per-dimension log-variance bound
  ``sum_i 1/2 ln(2 pi e Var[X_i])`` of Kirsch, Lyle & Gal, appendix A.6 (Theorem 2).
- ``"binning"``: Shwartz-Ziv & Tishby (2017): each unit is cut into bins of width
  ``bin_width`` and the *discrete* entropy of the binned patterns is returned
  (:func:`discrete_entropy`, the plug-in entropy of symbols, also serves labels).
- ``"kde"``: the pairwise-distance bounds of Kolchinsky & Tracey (2017) on the entropy
  of ``X + N(0, noise_variance I)`` (the mixture of Gaussians centred on the samples),
  as Saxe et al. (2018) use them: KL divergence for the upper bound, Bhattacharyya
  distance for the lower bound.

Differential entropies (kl, gaussian, kde) are in nats of the data's own units and
change by ``ln a`` per dimension when the data are scaled by ``a``; they are therefore
never standardised. The binning entropy is a discrete entropy (>= 0).

On discrete or rounded data a differential entropy does not exist. With ``jitter=True``
the ``"kl"`` estimator returns the entropy of the dequantised data: each repeated value
spread uniformly over the column's resolution g (the median gap between distinct
values), which is about ``H_discrete + d ln g`` for data on a grid of step g (integer
data: the discrete entropy in nats). With ``jitter=False`` tied samples give zero k-NN
distances and ValueError. When most samples are tied it warns with
:class:`~infoplane.estimators.ksg.TiedSamplesWarning`; use :func:`discrete_entropy`
for the entropy of discrete values.
"""

from __future__ import annotations

import math

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.special import digamma, gammaln

from infoplane._gaussian import LOG_2PIE
from infoplane._validation import check_float, check_int, check_real_dtype, check_samples
from infoplane.estimators import _prepare
from infoplane.estimators.neighbors import DEFAULT_MAX_BYTES, kth_neighbor_distance, resolve_backend

__all__ = [
    "entropy",
    "conditional_entropy",
    "kozachenko_leonenko",
    "gaussian_entropy_bound",
    "binning_entropy",
    "discrete_entropy",
    "kde_entropy_bound",
]

METHODS = ("kl", "gaussian", "binning", "kde")


def entropy(x: ArrayLike | torch.Tensor, method: str = "kl", *, base: float = math.e, k: int = 3,
            metric: str = "max", jitter: bool = True, seed: int = 0, diagonal: bool = False,
            bin_width: float | None = None, noise_variance: float | None = None, bound: str = "upper",
            backend: str = "auto", device: torch.device | str | None = None, warn: bool = True) -> float:
    """Entropy of samples ``x`` by the chosen estimator.

    Parameters
    ----------
    x : array or tensor of shape (n,) or (n, d)
    method : {"kl", "gaussian", "binning", "kde"}
        See the module docstring. "binning" needs ``bin_width``, "kde" needs
        ``noise_variance``.
    base : float
        Logarithm base of the result (e: nats, 2: bits).
    k, metric, jitter, seed, backend, device, warn
        For "kl": see :func:`kozachenko_leonenko`.
    diagonal : bool
        For "gaussian": the per-dimension log-variance bound instead of the full
        covariance one.
    bin_width : float
        For "binning": width of the bins, in the units of ``x``.
    noise_variance : float
        For "kde": variance of the Gaussian kernel (the added noise), units of ``x``
        squared.
    bound : {"upper", "lower"}
        For "kde": which bound.

    Returns
    -------
    float
        The entropy in units of ``base`` (nats by default).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((4000, 2))
    >>> exact = math.log(2 * math.pi * math.e)               # H of a standard 2-D Gaussian
    >>> abs(entropy(x) - exact) < 0.1, entropy(x, "gaussian") >= entropy(x) - 0.1
    (True, True)
    """
    if method == "kl":
        nats = kozachenko_leonenko(x, k, metric=metric, jitter=jitter, seed=seed, backend=backend,
                                   device=device, warn=warn)
    elif method == "gaussian":
        nats = gaussian_entropy_bound(x, diagonal=diagonal)
    elif method == "binning":
        if bin_width is None:
            raise ValueError("bin_width: the binning estimator needs an explicit bin width")
        nats = binning_entropy(x, bin_width)
    elif method == "kde":
        if noise_variance is None:
            raise ValueError("noise_variance: the KDE bounds need an explicit noise variance")
        nats = kde_entropy_bound(x, noise_variance, bound=bound, device=device)
    else:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    return _prepare.to_base(nats, base)


def conditional_entropy(x: ArrayLike | torch.Tensor, labels: ArrayLike | torch.Tensor, method: str = "kl", *,
                        base: float = math.e, **options: object) -> float:
    """Conditional entropy H[X | Y] for discrete Y: ``sum_y p(y) H[X | Y = y]``.

    Parameters
    ----------
    x : array or tensor of shape (n,) or (n, d)
    labels : array or tensor of shape (n,)
        Discrete values of Y.
    method : {"kl", "gaussian", "binning", "kde"}
        Estimator of each ``H[X | Y = y]`` (see :func:`entropy`).
    base : float
        Logarithm base of the result.
    **options
        Passed to :func:`entropy` (``k``, ``bin_width``, ``noise_variance``, ...).

    Returns
    -------
    float
        H[X | Y] in units of ``base`` (nats by default).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> y = rng.integers(0, 2, 4000)
    >>> x = 10.0 * y + rng.standard_normal(4000)      # each class a unit Gaussian
    >>> abs(conditional_entropy(x, y) - 0.5 * math.log(2 * math.pi * math.e)) < 0.05
    True
    """
    labels = _prepare.labels_array(labels)
    x = check_samples(x, "x")
    n = x.shape[0]
    if labels.shape[0] != n:
        raise ValueError(f"labels: has {labels.shape[0]} samples but x has {n}")
    values, inverse = np.unique(labels, return_inverse=True)
    total = 0.0
    for c in range(len(values)):
        members = np.flatnonzero(inverse == c)
        index = torch.as_tensor(members, device=x.device) if isinstance(x, torch.Tensor) else members
        try:
            h = entropy(x[index], method, **options)
        except ValueError as err:
            raise ValueError(f"labels: class {values[c]!r} ({members.size} samples): {err}") from None
        total += members.size / n * h
    return _prepare.to_base(total, base)


def kozachenko_leonenko(x: ArrayLike | torch.Tensor, k: int = 3, *, metric: str = "max", jitter: bool = True,
                        seed: int = 0, backend: str = "auto", device: torch.device | str | None = None,
                        warn: bool = True) -> float:
    """Kozachenko-Leonenko k-NN estimate of the differential entropy, in nats.

    ``H = psi(N) - psi(k) + ln V_d + d <ln eps_i>`` with eps_i the distance to the k-th
    neighbour and V_d the volume of the unit ball of the metric: ``2^d`` for the
    max-norm (a cube), ``pi^(d/2) / Gamma(d/2 + 1)`` for the Euclidean norm (Kraskov et
    al. 2004, eq. 20, written with radii instead of diameters).

    Parameters
    ----------
    x : array or tensor of shape (n,) or (n, d)
    k : int
        Neighbour order.
    metric : {"max", "euclidean"}
    jitter : bool
        Seeded tie-breaking noise (duplicates would give ln 0); see
        :mod:`infoplane.estimators.ksg` and the module docstring on discrete data.
        Data are not standardised.
    seed : int
    backend : {"auto", "cpu", "torch"}
    device : torch device, optional
    warn : bool
        Warn when n is small for the dimension and k (``SmallSampleWarning``) or most
        samples are tied (``TiedSamplesWarning``).

    Returns
    -------
    float
        Differential entropy in nats (units of ``x``).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> u = np.random.default_rng(0).random((4000, 1)) * 3.0   # U[0, 3]: H = ln 3
    >>> abs(kozachenko_leonenko(u) - math.log(3)) < 0.02
    True
    """
    k = check_int(k, "k", minimum=1)
    backend_name = resolve_backend(backend, x)
    (arr,), n = _prepare.preprocess({"x": x}, k=k, standardize=False, jitter=jitter, seed=seed, warn=warn)
    d = arr.shape[1]
    if warn:
        _prepare.warn_if_small(n, d, k)
    if metric == "max":
        log_volume = d * math.log(2.0)
    elif metric == "euclidean":
        log_volume = 0.5 * d * math.log(math.pi) - float(gammaln(0.5 * d + 1.0))
    else:
        raise ValueError(f"metric: expected 'max' or 'euclidean', got {metric!r}")
    dev = _prepare.resolve_device(device, x)
    points = arr if backend_name == "cpu" else torch.as_tensor(arr, device=dev)
    eps = kth_neighbor_distance(points, k, metric=metric, backend=backend_name, device=dev)
    if np.any(eps <= 0):
        raise ValueError("x: zero k-NN distances: duplicated samples (keep jitter=True) or, with "
                         "metric='euclidean', squared distances that underflow (rescale the data)")
    return float(digamma(n) - digamma(k) + log_volume + d * np.mean(np.log(eps)))


def gaussian_entropy_bound(x: ArrayLike | torch.Tensor, *, diagonal: bool = False) -> float:
    """Gaussian (maximum-entropy) upper bound on the differential entropy, in nats.

    ``H[X] <= 1/2 ln det(2 pi e Cov[X]) <= sum_i 1/2 ln(2 pi e Var[X_i])``
    (Kirsch, Lyle & Gal, appendix A.6, Theorem 2), with the sample covariance
    (denominator n - 1). Exact for Gaussian data.

    Parameters
    ----------
    x : array or tensor of shape (n,) or (n, d), n >= 2
    diagonal : bool
        Use the per-dimension log-variance bound (the right-hand side).

    Returns
    -------
    float
        The bound in nats.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> x = np.random.default_rng(0).standard_normal((20000, 1)) * 2.0
    >>> abs(gaussian_entropy_bound(x) - 0.5 * math.log(2 * math.pi * math.e * 4.0)) < 0.01
    True
    """
    checked, n = _prepare.samples({"x": x})
    arr = checked["x"]
    if n < 2:
        raise ValueError("x: needs at least 2 samples for a variance")
    d = arr.shape[1]
    const = 0.5 * d * LOG_2PIE
    # data near 1e200 (or 1e-200) would overflow (underflow) in the squares: scale each
    # column by an exact power of two and add its log back, ln det(S C S) = ln det C + 2 ln det S
    scales = _prepare.safe_scales(arr)
    log_scale = 0.0
    if scales is not None:
        arr = arr * scales
        log_scale = -float(np.sum(np.log(scales)))
    if diagonal:
        var = arr.var(axis=0, ddof=1)
        if np.any(var == 0):  # not constant (checked), but the squares underflow
            raise ValueError(f"x: the variance of column {int(np.argmax(var == 0))} underflows to 0; "
                             "rescale the data")
        return float(const + 0.5 * np.sum(np.log(var)) + log_scale)
    cov = np.atleast_2d(np.cov(arr, rowvar=False))
    sign, logdet = np.linalg.slogdet(cov)
    if sign <= 0 or not np.isfinite(logdet):
        raise ValueError("x: the sample covariance is singular (collinear columns or n <= d); "
                         "use diagonal=True")
    return float(const + 0.5 * logdet + log_scale)


def binning_entropy(x: ArrayLike | torch.Tensor, bin_width: float) -> float:
    """Discrete entropy of the binned activation patterns (Shwartz-Ziv & Tishby 2017), in nats.

    Every coordinate is mapped to ``floor(x / bin_width)``; the rows become discrete
    symbols whose empirical entropy ``-sum p ln p`` is returned. For a deterministic
    network this is the binning estimate of both H(T) and I(X;T); ``H(T) + d ln(bin_width)``
    approximates the differential entropy when bins are small and samples many.

    Parameters
    ----------
    x : array or tensor of shape (n,) or (n, d)
    bin_width : float
        Width of the bins (> 0), in the units of ``x``.

    Returns
    -------
    float
        Discrete entropy in nats, between 0 and ln n.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> round(binning_entropy(np.array([0.1, 0.2, 1.1, 1.2]), 1.0) / math.log(2), 6)  # 2 bins
    1.0
    """
    bin_width = check_float(bin_width, "bin_width", low=0.0, low_open=True)
    arr = _prepare.samples({"x": x}, allow_constant=True)[0]["x"]
    return discrete_entropy(np.floor(arr / bin_width))


def discrete_entropy(symbols: ArrayLike | torch.Tensor, *, base: float = math.e) -> float:
    """Plug-in (maximum-likelihood) entropy ``-sum_s p(s) ln p(s)`` of observed symbols.

    ``p(s)`` is the fraction of the samples equal to symbol ``s``; a 2-D input's rows
    are the symbols (activation patterns), a 1-D input's entries (labels). The one
    place the estimators and the information-plane recorder count a discrete entropy
    from samples (for exact pmfs see :mod:`infoplane.info.measures`).

    Parameters
    ----------
    symbols : array or tensor of shape (n,) or (n, d)
        Discrete values: labels (ints, strings, ...) or binned patterns.
    base : float
        Logarithm base of the result (e: nats, 2: bits).

    Returns
    -------
    float
        The entropy in units of ``base``, between 0 and log n.

    Examples
    --------
    >>> import numpy as np
    >>> round(discrete_entropy(np.array([0, 0, 1, 2]), base=2), 12)   # p = (1/2, 1/4, 1/4)
    1.5
    >>> discrete_entropy(np.array([[0, 1], [0, 1]]))        # one pattern
    0.0
    """
    check_real_dtype(symbols, "symbols")
    values = symbols.detach().cpu().numpy() if isinstance(symbols, torch.Tensor) else np.asarray(symbols)
    if values.dtype.kind == "c":
        raise ValueError(f"symbols: expected real or categorical values, got complex dtype {values.dtype}")
    if values.ndim not in (1, 2) or values.shape[0] == 0:
        raise ValueError(f"symbols: expected a non-empty array of shape (n,) or (n, d), got {values.shape}")
    if values.dtype.kind == "f" and not np.isfinite(values).all():
        raise ValueError("symbols: contains NaN or infinite values")
    _, counts = np.unique(values, axis=0 if values.ndim == 2 else None, return_counts=True)
    p = counts / counts.sum()
    return _prepare.to_base(-np.sum(p * np.log(p)), base)


def kde_entropy_bound(x: ArrayLike | torch.Tensor, noise_variance: float, *, bound: str = "upper",
                      device: torch.device | str | None = None, max_bytes: int = DEFAULT_MAX_BYTES) -> float:
    """Pairwise-distance bounds on the entropy of ``X + N(0, noise_variance I)``, in nats.

    The noisy variable is a mixture of n Gaussians ``N(x_i, s I)``, s = noise_variance.
    Kolchinsky & Tracey (2017, eqs. 9-10) bound a mixture's entropy by
    ``H(X|C) - 1/n sum_i ln 1/n sum_j exp(-D(p_i || p_j))`` with ``H(X|C) = d/2 ln(2 pi e s)``:
    an upper bound with D = KL divergence ``||x_i - x_j||^2 / (2 s)`` and a lower bound
    with D = Bhattacharyya distance ``||x_i - x_j||^2 / (8 s)``. Saxe et al. (2018) use
    them to estimate I(X;T) = H(T) - H(T|X) = H(T) - d/2 ln(2 pi e s).

    Parameters
    ----------
    x : array or tensor of shape (n,) or (n, d)
        The noiseless samples (kernel centres).
    noise_variance : float
        Variance s > 0 of the Gaussian noise / kernel, in units of ``x`` squared.
    bound : {"upper", "lower"}
    device : torch device, optional
        Where the n x n distances are computed (default: the input's device), in
        chunks of at most ``max_bytes``.

    Returns
    -------
    float
        The bound in nats.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> x = np.array([[0.0], [100.0]])                    # far apart: H = ln 2 + H(noise)
    >>> h_noise = 0.5 * math.log(2 * math.pi * math.e * 0.1)
    >>> [round(kde_entropy_bound(x, 0.1, bound=b) - h_noise, 6) for b in ("upper", "lower")]
    [0.693147, 0.693147]
    """
    s = check_float(noise_variance, "noise_variance", low=0.0, low_open=True)
    if bound not in ("upper", "lower"):
        raise ValueError(f"bound: expected 'upper' or 'lower', got {bound!r}")
    arr = _prepare.samples({"x": x}, allow_constant=True)[0]["x"]
    n, d = arr.shape
    scale = 2.0 * s if bound == "upper" else 8.0 * s
    dev = _prepare.resolve_device(device, x) or torch.device("cpu")
    # centred: cdist's matrix-product form then loses no digits to a common offset
    pts = torch.as_tensor(arr - arr.mean(axis=0), device=dev)
    max_bytes = check_int(max_bytes, "max_bytes", minimum=1)
    rows = max(1, min(n, max_bytes // (8 * n * 2)))
    total = 0.0
    for start in range(0, n, rows):
        sq = torch.cdist(pts[start:start + rows], pts).square_()
        total += float(torch.logsumexp(-sq / scale, dim=1).sum())
    mean_log_mixture = total / n - math.log(n)
    return float(0.5 * d * (LOG_2PIE + math.log(s)) - mean_log_mixture)
