"""Mutual information from samples: the k-nearest-neighbour estimators of the KSG family.

- :func:`mutual_information`: Kraskov, Stögbauer & Grassberger (2004), algorithms 1
  and 2 (eqs. 8 and 9), max-norm in the joint space, multivariate X and Y.
- :func:`multi_information`: total correlation of m variables, the m-variable forms of
  both algorithms (Kraskov et al. 2004, sec. II.C).
- :func:`conditional_mutual_information`: I(X;Y|Z) of Frenzel & Pompe (2007).
- :func:`mutual_information_discrete`: continuous X, discrete labels, Ross (2014).

All return nats unless ``base`` says otherwise. Inputs are NumPy arrays or torch
tensors on any device, shape ``(n_samples, n_features)`` (1-D means one feature).

Preprocessing (identical for every estimator here): columns are standardised to zero
mean and unit variance (``standardize=True``; KSG is invariant to per-dimension scaling
in theory, but the max-norm mixes dimensions, so scale matters at finite n; columns near
the float limits, e.g. 1e300, are first scaled by an exact power of two), then
jittered with a seeded noise (``jitter=True``): N(0, (1e-10 s)^2) on every column, and,
on a column with repeated values, uniform noise U(-g/2, g/2) on each repeated value,
with g the column's resolution: the median gap between its distinct values (robust:
one sample moved by 1e-6 does not change it; see the private helper
``infoplane.estimators._prepare.add_jitter``). Continuous data are unchanged up to 1e-10;
rounded data are dequantised instead of producing zero distances.

Discrete, rounded and duplicated data
-------------------------------------
These estimators assume independent samples of a continuous distribution. On data
with ties they return, with ``jitter=True``, the estimate for the *dequantised* data
(each repeated value spread over its grid cell): for data rounded to a fine grid this
is close to the continuous MI; for coarse discrete data it is the MI of the
dequantised variables, which is at most the discrete MI (the added noise is
independent; e.g. 0.37 nats for Gaussians of correlation 0.8 rounded to integers, whose
discrete MI is 0.40 and continuous MI 0.51).
With ``jitter=False`` the k-NN distances of tied points are zero and the value is
meaningless. Samples that are duplicated (the same point several times) are not
independent draws and bias the estimate upwards whatever the jitter. In all these cases,
when more than half of the samples of an input repeat another sample's value,
:class:`~infoplane.estimators.ksg.TiedSamplesWarning` is emitted (``warn=True``).
For discrete variables use the exact measures of :mod:`infoplane.info` on
``Distribution.from_samples(...)`` instead.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.special import digamma

from infoplane._runtime import device as default_device
from infoplane._validation import check_int
from infoplane.estimators import _prepare
from infoplane.estimators._prepare import TiedSamplesWarning
from infoplane.estimators.neighbors import count_within, ksg_counts, kth_neighbor_distance, resolve_backend

__all__ = [
    "TiedSamplesWarning",
    "mutual_information",
    "multi_information",
    "conditional_mutual_information",
    "mutual_information_discrete",
]

METHODS = ("ksg1", "ksg2")

Samples = ArrayLike | torch.Tensor
Device = torch.device | str | None


def _ksg_multi(blocks: list[np.ndarray] | list[torch.Tensor], n: int, k: int, method: str, backend: str,
               device: Device) -> float:
    """Kraskov et al. (2004) for m >= 2 blocks, in nats.

    ksg1: psi(k) + (m-1) psi(N) - < sum_b psi(n_b + 1) >              (eq. 8 for m = 2)
    ksg2: psi(k) - (m-1)/k + (m-1) psi(N) - < sum_b psi(n_b) >         (eq. 9 for m = 2)
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {METHODS}, got {method!r}")
    m = len(blocks)
    counts = ksg_counts(blocks, k, [(b,) for b in range(m)], algorithm=method,
                        backend=backend, device=device)
    if method == "ksg1":
        marginal = sum(np.mean(digamma(c + 1.0)) for c in counts)
        return float(digamma(k) + (m - 1) * digamma(n) - marginal)
    marginal = sum(np.mean(digamma(c.astype(float))) for c in counts)
    return float(digamma(k) - (m - 1) / k + (m - 1) * digamma(n) - marginal)


def mutual_information(x: Samples, y: Samples, k: int = 3, method: str = "ksg1", *, base: float = math.e,
                       standardize: bool = True, jitter: bool = True, seed: int = 0,
                       backend: str = "auto", device: Device = None, warn: bool = True) -> float:
    """Mutual information I(X;Y) of continuous samples by the KSG estimator.

    Parameters
    ----------
    x, y : array or tensor of shape (n,) or (n, d_x), (n, d_y)
        Paired samples; any NumPy array or torch tensor (any device).
    k : int
        Number of neighbours (default 3; larger k: less variance, more bias).
    method : {"ksg1", "ksg2"}
        Algorithm 1 (counts strictly inside the joint k-NN distance) or 2 (counts in
        the per-marginal rectangle, inclusive). Algorithm 1 has less variance,
        algorithm 2 less bias in high dimension.
    base : float
        Logarithm base of the result (e: nats, 2: bits).
    standardize : bool
        Scale every column to zero mean and unit variance first (default True).
    jitter : bool
        Add the seeded tie-breaking noise described in the module docstring.
    seed : int
        Seed of the jitter.
    backend : {"auto", "cpu", "torch"}
        Neighbour search backend (see :mod:`infoplane.estimators.neighbors`).
    device : torch device, optional
        Device of the torch backend (default: the inputs' device).
    warn : bool
        Emit :class:`SmallSampleWarning` when n is too small for the dimension and k,
        and :class:`TiedSamplesWarning` when most samples of an input are tied (see
        the module docstring).

    Returns
    -------
    float
        The estimate in units of ``base`` (nats by default). It can be slightly
        negative for independent variables; it is not clipped.

    Examples
    --------
    >>> from infoplane.data import correlated_gaussians
    >>> x, y, exact = correlated_gaussians(2000, d=1, rho=0.8, seed=0)
    >>> round(exact, 3), abs(mutual_information(x, y) - exact) < 0.05
    (0.511, True)
    """
    return _multi({"x": x, "y": y}, k, method, base=base, standardize=standardize, jitter=jitter,
                  seed=seed, backend=backend, device=device, warn=warn)


def multi_information(variables: Sequence[Samples], k: int = 3, method: str = "ksg1", *,
                      base: float = math.e, standardize: bool = True, jitter: bool = True, seed: int = 0,
                      backend: str = "auto", device: Device = None, warn: bool = True) -> float:
    """Multi-information (total correlation) sum_i H[X_i] - H[X_1, ..., X_m] by KSG.

    Parameters
    ----------
    variables : sequence of m >= 2 arrays or tensors, each (n,) or (n, d_i)
        The variables; each may be multivariate.
    k, method, base, standardize, jitter, seed, backend, device, warn
        As in :func:`mutual_information`.

    Returns
    -------
    float
        Total correlation in units of ``base`` (nats by default); for m = 2 it is the
        mutual information.

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> a = rng.standard_normal(2000)
    >>> tc = multi_information([a, a + rng.standard_normal(2000), rng.standard_normal(2000)])
    >>> abs(tc - 0.5 * math.log(2)) < 0.05   # I(A; A+N) = ln(2)/2, the third is independent
    True
    """
    variables = list(variables)
    if len(variables) < 2:
        raise ValueError(f"variables: expected at least 2 variables, got {len(variables)}")
    return _multi({f"variables[{i}]": v for i, v in enumerate(variables)}, k, method, base=base,
                  standardize=standardize, jitter=jitter, seed=seed, backend=backend, device=device,
                  warn=warn)


def _multi(named: dict[str, Samples], k: int, method: str, *, base: float, standardize: bool, jitter: bool,
           seed: int, backend: str, device: Device, warn: bool) -> float:
    """Total correlation of the named variables (the names appear in error messages)."""
    variables = list(named.values())
    k = check_int(k, "k", minimum=1)
    backend_name = _resolve(backend, variables)
    blocks, n = _prepare.preprocess(named, k=k, standardize=standardize, jitter=jitter, seed=seed,
                                    warn=warn and _may_be_tied(named, k), stacklevel=5)
    if warn:
        _prepare.warn_if_small(n, sum(b.shape[1] for b in blocks), k)
    dev = _prepare.resolve_device(device, *variables)
    blocks = _to_device(blocks, backend_name, dev)
    return _prepare.to_base(_ksg_multi(blocks, n, k, method, backend_name, dev), base)


def conditional_mutual_information(x: Samples, y: Samples, z: Samples, k: int = 3, *, base: float = math.e,
                                   standardize: bool = True, jitter: bool = True, seed: int = 0,
                                   backend: str = "auto", device: Device = None, warn: bool = True) -> float:
    """Conditional mutual information I(X;Y|Z) by the Frenzel & Pompe (2007) estimator.

    ``I = psi(k) - < psi(n_xz + 1) + psi(n_yz + 1) - psi(n_z + 1) >`` with eps the k-th
    neighbour distance in the joint (x, y, z) space (max-norm) and ``n_s`` the number
    of points strictly within eps in subspace s (KSG algorithm 1 counting).

    Parameters
    ----------
    x, y, z : arrays or tensors of shape (n,) or (n, d)
    k, base, standardize, jitter, seed, backend, device, warn
        As in :func:`mutual_information`.

    Returns
    -------
    float
        I(X;Y|Z) in units of ``base`` (nats by default).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> x = rng.standard_normal(2000); y = x + rng.standard_normal(2000)
    >>> z = y + rng.standard_normal(2000)                  # Markov chain X -> Y -> Z
    >>> abs(conditional_mutual_information(x, z, y)) < 0.05
    True
    """
    k = check_int(k, "k", minimum=1)
    backend_name = _resolve(backend, [x, y, z])
    named = {"x": x, "y": y, "z": z}
    blocks, n = _prepare.preprocess(named, k=k, standardize=standardize, jitter=jitter, seed=seed,
                                    warn=warn and _may_be_tied(named, k))
    if warn:
        _prepare.warn_if_small(n, sum(b.shape[1] for b in blocks), k)
    dev = _prepare.resolve_device(device, x, y, z)
    blocks = _to_device(blocks, backend_name, dev)
    n_xz, n_yz, n_z = ksg_counts(blocks, k, [(0, 2), (1, 2), (2,)], algorithm="ksg1",
                                 backend=backend_name, device=dev)
    nats = digamma(k) - np.mean(digamma(n_xz + 1.0) + digamma(n_yz + 1.0) - digamma(n_z + 1.0))
    return _prepare.to_base(nats, base)


def mutual_information_discrete(x: Samples, labels: Samples, k: int = 3, *, base: float = math.e,
                                standardize: bool = True, jitter: bool = True, seed: int = 0,
                                backend: str = "auto", device: Device = None, warn: bool = True) -> float:
    """Mutual information between continuous X and discrete labels, Ross (2014).

    For each point i of class c: d_i is the distance (max-norm) to its k_i-th nearest
    neighbour of the same class, ``k_i = min(k, n_c - 1)``, and m_i the number of
    points of any class within d_i (inclusive, so the k-th neighbour counts). Then
    ``I = psi(N) - <psi(n_c)> + <psi(k_i)> - <psi(m_i)>`` (Ross 2014, eq. 2), over the
    points whose class has at least two members (a singleton class is dropped, as in
    scikit-learn). Gao et al. (2017) extend this to mixtures with atoms; here exact
    duplicates in X are broken by the jitter instead.

    Parameters
    ----------
    x : array or tensor of shape (n,) or (n, d)
        Continuous samples.
    labels : array or tensor of shape (n,)
        Discrete values (any hashable NumPy dtype: ints, strings, ...).
    k, base, standardize, jitter, seed, backend, device, warn
        As in :func:`mutual_information`.

    Returns
    -------
    float
        I(X; labels) in units of ``base`` (nats by default).

    Examples
    --------
    >>> import math
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> labels = rng.integers(0, 2, 4000)
    >>> x = labels + 2.0 * rng.random(4000)      # U[y, y+2]: I = ln 2 - ln(2)/2
    >>> abs(mutual_information_discrete(x, labels) - 0.5 * math.log(2)) < 0.03
    True
    """
    k = check_int(k, "k", minimum=1)
    labels = _prepare.labels_array(labels)
    backend_name = _resolve(backend, [x])
    (x_arr,), n = _prepare.preprocess({"x": x}, k=k, standardize=standardize, jitter=jitter, seed=seed,
                                      warn=warn and _may_be_tied({"x": x}, k))
    if labels.shape[0] != n:
        raise ValueError(f"labels: has {labels.shape[0]} samples but x has {n}")
    _, inverse, class_counts = np.unique(labels, return_inverse=True, return_counts=True)
    n_class = class_counts[inverse]
    keep = n_class > 1
    if keep.sum() <= k:
        raise ValueError("labels: too few samples in classes with at least two members for k="
                         f"{k} ({int(keep.sum())})")
    x_arr, inverse, n_class = x_arr[keep], inverse[keep], n_class[keep]
    n = x_arr.shape[0]
    if warn:
        _prepare.warn_if_small(n, x_arr.shape[1], k)
    dev = _prepare.resolve_device(device, x)
    (x_dev,) = _to_device([x_arr], backend_name, dev)
    radius = np.empty(n)
    k_i = np.minimum(k, n_class - 1)
    for c in np.unique(inverse):
        members = np.flatnonzero(inverse == c)
        kc = int(k_i[members[0]])
        radius[members] = kth_neighbor_distance(x_dev[members], kc, backend=backend_name, device=dev)
    m_i = count_within(x_dev, radius, strict=False, backend=backend_name, device=dev)
    nats = digamma(n) - np.mean(digamma(n_class)) + np.mean(digamma(k_i)) - np.mean(digamma(m_i))
    return _prepare.to_base(nats, base)


def _may_be_tied(named: dict[str, Samples], k: int) -> bool:
    """False when no input can trigger :class:`TiedSamplesWarning`, decided cheaply.

    The warning fires when more than half of an input's rows repeat another row
    (``_prepare.tie_fraction``, a sort of whole rows: 0.2 s for n = 1e5). A row that
    repeats another repeats its first coordinate too, so the fraction of first
    coordinates that repeat another one (one sort of one column) bounds it from above;
    where that bound is <= one half for every input, the full scan cannot warn and is
    skipped. Otherwise (True) ``preprocess`` runs the full scan as before. The checks of
    ``_prepare.samples`` run here first, which ``preprocess`` would run first too, so
    bad input raises the same error.
    """
    checked, _ = _prepare.samples(named, k=k)
    for value in checked.values():
        first = np.sort(value[:, 0])
        equal = first[1:] == first[:-1]
        repeated = np.zeros(len(first), dtype=bool)
        repeated[1:] |= equal
        repeated[:-1] |= equal
        if np.mean(repeated) > _prepare.TIE_WARNING_FRACTION:
            return True
    return False


def _resolve(backend: str, arrays: Sequence[Samples]) -> str:
    return resolve_backend(backend, *arrays)


def _to_device(blocks: list[np.ndarray], backend: str, dev: Device) -> list[np.ndarray] | list[torch.Tensor]:
    """Blocks as tensors on the torch device, or unchanged NumPy for the CPU backend."""
    if backend == "cpu":
        return blocks
    target = dev if dev is not None else default_device()
    return [torch.as_tensor(b, device=target) for b in blocks]
