"""Entropy, mutual information and their multivariate relatives on a discrete pmf.

Everything is computed exactly from a :class:`~infoplane.info.Distribution` in nats;
``base=2`` gives bits. Variables are named: ``"X"``, a list ``["X", "Y"]`` (a joint
variable) or, when no variable has that exact name, a string of one-letter names
(``"XY"``).

Sign conventions (Kirsch et al. sec. 2.1; Yeung 1991):

* ``co_information(d, ["X", "Y", "Z"])`` is Yeung's I-measure of the centre atom,
  ``I[X;Y;Z] = I[X;Y] - I[X;Y|Z]``. It is the quantity written ``I[X;Y;Z]`` in the
  expressions of :mod:`infoplane.info.expressions`. XOR (Z = X xor Y, X, Y fair bits)
  gives -1 bit; the "giant bit" (X = Y = Z, one fair bit) gives +1 bit.
* ``interaction_information`` uses McGill's sign as in ``dit``:
  ``(-1)**n * co_information`` for n variables, so for three variables it is
  ``I[X;Y|Z] - I[X;Y]`` (XOR: +1 bit) and for two it equals the mutual information.

The ``*_torch`` functions compute entropy, conditional entropy and mutual information
of pmf tensors differentiably (gradients flow to the probabilities; ``0 log 0 = 0``
with gradient 0 there), on whatever device the tensor lives.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._units import from_nats
from infoplane._validation import check_base, real_array
from infoplane.info.distribution import Distribution, as_distribution

__all__ = [
    "JointEntropies", "co_information", "co_information_from_entropies", "conditional_entropy",
    "conditional_entropy_torch", "conditional_mutual_information", "cross_entropy",
    "dual_total_correlation", "entropy", "entropy_torch", "information", "interaction_information",
    "kl_divergence", "mutual_information", "mutual_information_torch", "subset_entropies",
    "total_correlation",
]

#: Variables as the functions take them: a name, a list of names, or a string of one-letter names.
Names = str | Sequence[str]


def _xlogx_sum(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


def _names(dist: Distribution, spec: Names | None, argname: str) -> tuple[str, ...]:
    if spec is None:
        return ()
    return dist._check_subset(spec, argname)


def subset_entropies(dist: Distribution) -> np.ndarray:
    """Joint entropy (nats) of every subset of the variables, indexed by bit mask.

    Entry ``mask`` holds ``H[{names[i] : bit i of mask set}]``; entry 0 is 0. Each
    marginal is summed from a marginal with one more variable, so all ``2**n`` cost about
    as much as a few passes over the pmf.

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> h = subset_entropies(Distribution(np.full((2, 2), 0.25), "XY"))
    >>> (h / np.log(2)).round(6).tolist()
    [0.0, 1.0, 1.0, 2.0]
    """
    dist = as_distribution(dist)
    n = dist.ndim
    full = (1 << n) - 1
    marginals = {full: dist.pmf}
    out = np.zeros(1 << n)
    out[full] = _xlogx_sum(dist.pmf)
    for mask in sorted(range(1, full), key=lambda m: -bin(m).count("1")):
        # parent: add the lowest missing variable; sum that axis away
        missing = next(i for i in range(n) if not mask >> i & 1)
        parent = marginals[mask | 1 << missing]
        axis = bin((mask | 1 << missing) & ((1 << missing) - 1)).count("1")
        marginals[mask] = parent.sum(axis=axis)
        out[mask] = _xlogx_sum(marginals[mask])
    return out


class JointEntropies:
    """Joint entropies (nats) of subsets of the variables, by bit mask, each computed on first use.

    ``h[mask]`` is ``H[{names[i] : bit i of mask set}]`` of the pmf (``h[0] = 0``); the
    marginal is summed straight from the joint pmf the first time a mask is asked for and
    cached. Use it with :func:`co_information_from_entropies` when a few of the ``2**n``
    subset entropies are needed (:func:`subset_entropies` computes all of them at once).

    Parameters
    ----------
    dist : Distribution or ndarray
        The joint pmf (one axis per variable).

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> h = JointEntropies(Distribution(np.full((2, 4), 1 / 8), "XY"))
    >>> round(float(h[0b10] / np.log(2)), 6), round(float(h[0b11] / np.log(2)), 6)
    (2.0, 3.0)
    """

    def __init__(self, dist: Distribution | np.ndarray) -> None:
        self.pmf = dist.pmf if isinstance(dist, Distribution) else real_array(dist, "dist")
        self.cache = {0: 0.0}

    def __getitem__(self, mask: int) -> float:
        if mask not in self.cache:
            axes = tuple(i for i in range(self.pmf.ndim) if not mask >> i & 1)
            self.cache[mask] = _xlogx_sum(self.pmf.sum(axis=axes) if axes else self.pmf)
        return self.cache[mask]


def _mask(dist: Distribution, names: Sequence[str]) -> int:
    return sum(1 << dist.names.index(n) for n in names)


def co_information_from_entropies(h: np.ndarray | JointEntropies, group_masks: Sequence[int],
                                  given_mask: int = 0) -> float:
    """``I[G1; ...; Gk | C]`` in nats from joint entropies by bit mask (Moebius inversion).

    ``I[G1;..;Gk | C] = -sum_{T subset of {1..k}} (-1)^|T| H[union_{j in T} Gj, C]`` (the
    empty T included; Yeung 1991). One group gives ``H[G1 | C]``, two the conditional
    mutual information, more the conditional co-information.

    Parameters
    ----------
    h : ndarray or JointEntropies
        Joint entropies in nats indexed by bit mask, as from :func:`subset_entropies`.
    group_masks : sequence of int
        One bit mask per group (bit i = variable i).
    given_mask : int
        Bit mask of the conditioning variables.

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> h = subset_entropies(Distribution([[0.5, 0.0], [0.0, 0.5]], "XY"))
    >>> round(float(co_information_from_entropies(h, [0b01, 0b10]) / np.log(2)), 6)
    1.0
    """
    # I[G1;...;Gk | C] = -sum_{T subset of groups} (-1)^{|T|} H[union(T), C]  (T may be empty)
    total = 0.0
    k = len(group_masks)
    for sel in range(1 << k):
        m = given_mask
        for j in range(k):
            if sel >> j & 1:
                m |= group_masks[j]
        total -= (-1) ** bin(sel).count("1") * float(h[m])
    return total


def information(dist: Distribution, groups: Sequence[Names], given: Names | None = None,
                base: float = math.e) -> float:
    """The I-measure ``I[G1; ...; Gk | given]`` of k groups of variables (units of ``base``).

    One group gives the (conditional) entropy ``H[G1 | given]``, two give the
    (conditional) mutual information, three or more the co-information (Yeung's sign).

    Parameters
    ----------
    dist : Distribution
    groups : sequence
        Each entry a variable name or a sequence of names (a joint variable).
    given : str or sequence of str, optional
        Variables to condition on.
    base : float
        Logarithm base of the result (``math.e``: nats, 2: bits).

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> d = Distribution([[0.5, 0.0], [0.0, 0.5]], "XY")
    >>> round(information(d, ["X", "Y"], base=2), 6)
    1.0
    """
    dist = as_distribution(dist)
    base = check_base(base)
    if isinstance(groups, str) or not isinstance(groups, Sequence) or len(groups) == 0:
        raise ValueError("groups: expected a non-empty sequence of variable names or name lists")
    masks = [_mask(dist, _names(dist, g, "groups")) for g in groups]
    given_mask = _mask(dist, _names(dist, given, "given"))
    h = JointEntropies(dist.pmf)
    return from_nats(co_information_from_entropies(h, masks, given_mask), base)


def entropy(dist: Distribution, variables: Names | None = None, given: Names | None = None,
            base: float = math.e) -> float:
    """Joint or conditional entropy ``H[variables | given]``.

    Parameters
    ----------
    dist : Distribution
    variables : str or sequence of str, optional
        The variables (default: all not in ``given``).
    given : str or sequence of str, optional
        Conditioning variables.
    base : float
        Logarithm base of the result (``math.e``: nats, 2: bits).

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.info import Distribution
    >>> d = Distribution(np.full((2, 4), 1 / 8), "XY")
    >>> values = entropy(d, "Y", base=2), entropy(d, base=2), entropy(d, "X", given="Y", base=2)
    >>> [round(v, 6) for v in values]
    [2.0, 3.0, 1.0]
    """
    dist = as_distribution(dist)
    given_names = _names(dist, given, "given")
    if variables is None:
        variables = [n for n in dist.names if n not in given_names]
        if not variables:
            raise ValueError("variables: no variables left after removing those in given")
    else:
        variables = _names(dist, variables, "variables")
    return information(dist, [variables], given=given_names, base=base)


def conditional_entropy(dist: Distribution, variables: Names, given: Names, base: float = math.e) -> float:
    """``H[variables | given] = H[variables, given] - H[given]`` (units of ``base``).

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> d = Distribution([[0.25, 0.25], [0.5, 0.0]], "XY")
    >>> round(conditional_entropy(d, "Y", "X", base=2), 6)
    0.5
    """
    return entropy(dist, variables, given=given, base=base)


def mutual_information(dist: Distribution, x: Names, y: Names, given: Names | None = None,
                       base: float = math.e) -> float:
    """Mutual information ``I[x; y]``, or ``I[x; y | given]`` when ``given`` is set.

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> d = Distribution([[0.5, 0.0], [0.0, 0.5]], "XY")
    >>> round(mutual_information(d, "X", "Y", base=2), 6)
    1.0
    """
    dist = as_distribution(dist)
    x, y = _names(dist, x, "x"), _names(dist, y, "y")
    return information(dist, [x, y], given=given, base=base)


def conditional_mutual_information(dist: Distribution, x: Names, y: Names, given: Names | None,
                                   base: float = math.e) -> float:
    """``I[x; y | given] = H[x|given] + H[y|given] - H[x,y|given]`` (units of ``base``).

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> xor = Distribution.from_columns([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")
    >>> round(conditional_mutual_information(xor, "X", "Y", "Z", base=2), 6)
    1.0
    """
    if given is None:
        raise ValueError("given: conditional mutual information needs conditioning variables")
    return mutual_information(dist, x, y, given=given, base=base)


def co_information(dist: Distribution, variables: Sequence[Names] | None = None, given: Names | None = None,
                   base: float = math.e) -> float:
    """Co-information ``I[X1; ...; Xn | given]``: Yeung's measure of the centre atom.

    Sign convention: ``I[X;Y;Z] = I[X;Y] - I[X;Y|Z]``; XOR gives -1 bit, the giant bit
    +1 bit. For n = 2 it is the mutual information, for n = 1 the entropy.

    Parameters
    ----------
    dist : Distribution
    variables : sequence, optional
        Variable names or groups of names (default: every variable not in ``given``).
    given : str or sequence of str, optional
    base : float

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> xor = Distribution.from_columns([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")
    >>> round(co_information(xor, base=2), 6)
    -1.0
    """
    dist = as_distribution(dist)
    given_names = _names(dist, given, "given")
    if variables is None:
        variables = [n for n in dist.names if n not in given_names]
    elif isinstance(variables, str):
        variables = list(_names(dist, variables, "variables"))
    return information(dist, list(variables), given=given_names, base=base)


def interaction_information(dist: Distribution, variables: Sequence[Names] | None = None,
                            given: Names | None = None, base: float = math.e) -> float:
    """Interaction information with McGill's sign: ``(-1)**n`` times the co-information.

    For three variables ``I[X;Y|Z] - I[X;Y]`` (XOR: +1 bit, giant bit: -1 bit); for two
    the mutual information. Matches ``dit.multivariate.interaction_information``.

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> xor = Distribution.from_columns([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")
    >>> round(interaction_information(xor, base=2), 6)
    1.0
    """
    dist = as_distribution(dist)
    given_names = _names(dist, given, "given")
    if variables is None:
        variables = [n for n in dist.names if n not in given_names]
    elif isinstance(variables, str):
        variables = list(_names(dist, variables, "variables"))
    return from_nats((-1) ** len(variables) * co_information(dist, variables, given_names), base)


def _groups_and_given(dist: Distribution, variables: Sequence[Names] | None,
                      given: Names | None) -> tuple[list[int], int, int]:
    given_names = _names(dist, given, "given")
    if variables is None:
        variables = [n for n in dist.names if n not in given_names]
    elif isinstance(variables, str):
        variables = list(_names(dist, variables, "variables"))
    masks = [_mask(dist, _names(dist, g, "variables")) for g in variables]
    if not masks:
        raise ValueError("variables: need at least one variable")
    given_mask = _mask(dist, given_names)
    union = given_mask
    for m in masks:
        union |= m
    return masks, given_mask, union


def total_correlation(dist: Distribution, variables: Sequence[Names] | None = None,
                      given: Names | None = None, base: float = math.e) -> float:
    """Total correlation ``sum_i H[X_i | given] - H[X_1, ..., X_n | given]`` (Watanabe).

    Non-negative; zero iff the variables are (conditionally) independent.

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> giant = Distribution.from_columns([[0, 1], [0, 1], [0, 1]], "XYZ")
    >>> round(total_correlation(giant, base=2), 6)
    2.0
    """
    dist = as_distribution(dist)
    base = check_base(base)
    masks, g, union = _groups_and_given(dist, variables, given)
    h = JointEntropies(dist.pmf)
    value = sum(h[m | g] - h[g] for m in masks) - (h[union] - h[g])
    return from_nats(float(value), base)


def dual_total_correlation(dist: Distribution, variables: Sequence[Names] | None = None,
                           given: Names | None = None, base: float = math.e) -> float:
    """Dual total correlation (binding information) ``H[X_1..X_n] - sum_i H[X_i | X_rest]``.

    Conditioned on ``given`` throughout when it is set. Non-negative.

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> xor = Distribution.from_columns([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")
    >>> round(dual_total_correlation(xor, base=2), 6)
    2.0
    """
    dist = as_distribution(dist)
    base = check_base(base)
    masks, g, union = _groups_and_given(dist, variables, given)
    h = JointEntropies(dist.pmf)
    value = h[union] - h[g]
    for i in range(len(masks)):
        rest = g
        for j, other in enumerate(masks):
            if j != i:
                rest |= other
        value -= h[union] - h[rest]
    return from_nats(float(value), base)


def _as_pmf(p: Distribution | ArrayLike, name: str) -> tuple[np.ndarray, tuple | None]:
    if isinstance(p, Distribution):
        return p.pmf, p.names
    arr = real_array(p, name)
    try:
        return Distribution(arr, [f"V{i}" for i in range(arr.ndim)]).pmf, None
    except ValueError as err:
        raise ValueError(f"{name}: {str(err).removeprefix('p: ')}") from None


def _pmf_pair(p: Distribution | ArrayLike,
              q: Distribution | ArrayLike) -> tuple[np.ndarray, np.ndarray]:
    pa, p_names = _as_pmf(p, "p")
    qa, q_names = _as_pmf(q, "q")
    if pa.shape != qa.shape or (p_names and q_names and p_names != q_names):
        raise ValueError(f"q: shape {qa.shape} (names {q_names}) differs from p's {pa.shape} ({p_names})")
    return pa, qa


def cross_entropy(p: Distribution | ArrayLike, q: Distribution | ArrayLike,
                  base: float = math.e) -> float:
    """Cross-entropy ``H(p || q) = -sum_x p(x) log q(x)``; ``inf`` where q misses p's support.

    ``p`` and ``q`` are pmf arrays of equal shape or Distributions over the same names.

    Examples
    --------
    >>> cross_entropy([0.5, 0.5], [0.25, 0.75], base=2) > 1.0
    True
    """
    base = check_base(base)
    pa, qa = _pmf_pair(p, q)
    s = pa > 0
    if (qa[s] <= 0).any():
        return math.inf
    return from_nats(float(-(pa[s] * np.log(qa[s])).sum()), base)


def kl_divergence(p: Distribution | ArrayLike, q: Distribution | ArrayLike,
                  base: float = math.e) -> float:
    """Kullback-Leibler divergence ``D(p || q) = sum_x p(x) log(p(x) / q(x)) >= 0``.

    ``inf`` when q(x) = 0 somewhere p(x) > 0.

    Examples
    --------
    >>> round(kl_divergence([0.5, 0.5], [0.25, 0.75], base=2), 4)
    0.2075
    """
    base = check_base(base)
    pa, qa = _pmf_pair(p, q)
    s = pa > 0
    if (qa[s] <= 0).any():
        return math.inf
    return from_nats(max(float((pa[s] * (np.log(pa[s]) - np.log(qa[s]))).sum()), 0.0), base)


# ---------------------------------------------------------------------- torch, differentiable
def _pmf_tolerance(dtype: torch.dtype) -> float:
    """How far a pmf's total may be from 1: 1e-6, or sqrt(eps) in a coarser float type."""
    return max(1e-6, float(torch.finfo(dtype).eps) ** 0.5)


def _check_pmf_tensor(p: torch.Tensor, name: str, min_dim: int,
                      dims: tuple[int, ...] | None = None) -> torch.Tensor:
    """Check that ``p`` holds pmfs over ``dims`` (default: the last ``min_dim`` axes).

    Raises ValueError naming ``name`` for a non-tensor, a non-float or complex dtype,
    too few axes, an empty outcome axis, NaN/inf, negative entries, or totals that
    differ from 1 by more than :func:`_pmf_tolerance`.
    """
    if not isinstance(p, torch.Tensor):
        raise ValueError(f"{name}: expected a torch.Tensor, got {type(p).__name__}")
    if not p.is_floating_point():
        raise ValueError(f"{name}: expected a floating-point tensor, got {p.dtype}")
    if p.dim() < min_dim:
        raise ValueError(f"{name}: expected at least {min_dim} dimensions, got shape {tuple(p.shape)}")
    if dims is None:
        dims = tuple(range(-min_dim, 0))
    if p.numel() == 0 or any(p.shape[d] == 0 for d in dims):
        raise ValueError(f"{name}: a pmf needs at least one outcome, got shape {tuple(p.shape)}")
    with torch.no_grad():
        if not bool(torch.isfinite(p).all()):
            raise ValueError(f"{name}: contains NaN or infinite values")
        if bool((p < 0).any()):
            raise ValueError(f"{name}: probabilities must be non-negative")
        total = p.sum(dim=dims, dtype=torch.float64)
        worst = float((total - 1.0).abs().max())
        tol = _pmf_tolerance(p.dtype)
        if worst > tol:
            raise ValueError(f"{name}: each pmf must sum to 1 (within {tol:.2g}), but a total is off by "
                             f"{worst:.3g}")
    return p


def _neg_xlogx(p: torch.Tensor) -> torch.Tensor:
    # -p log p with 0 log 0 = 0 and a finite (zero) gradient at p = 0
    safe = torch.where(p > 0, p, torch.ones_like(p))
    return -p * torch.log(safe)


def entropy_torch(p: torch.Tensor, dim: int = -1, base: float = math.e) -> torch.Tensor:
    """Differentiable entropy ``-sum p log p`` of pmfs along ``dim`` (batched over the rest).

    Parameters
    ----------
    p : Tensor
        Probabilities (a float dtype); each slice along ``dim`` must sum to 1 within
        1e-6 (``sqrt(eps)`` of a coarser dtype; not renormalised, so gradients are those
        of the formula). Negative entries, bad totals and empty pmfs raise ValueError.
    dim : int
        The outcome axis.
    base : float

    Returns
    -------
    Tensor
        Entropies in units of ``base``, shape of ``p`` without ``dim``.

    Examples
    --------
    >>> import torch
    >>> entropy_torch(torch.tensor([[0.5, 0.5], [1.0, 0.0]]), base=2)
    tensor([1., 0.])
    """
    base = check_base(base)
    if isinstance(dim, bool) or not isinstance(dim, int):
        raise ValueError(f"dim: expected an integer axis, got {dim!r}")
    if isinstance(p, torch.Tensor) and not -max(p.dim(), 1) <= dim < max(p.dim(), 1):
        raise ValueError(f"dim: axis {dim} is out of range for a tensor of shape {tuple(p.shape)}")
    p = _check_pmf_tensor(p, "p", 1, dims=(dim,))
    return from_nats(_neg_xlogx(p).sum(dim=dim), base)


def conditional_entropy_torch(pxy: torch.Tensor, base: float = math.e) -> torch.Tensor:
    """Differentiable ``H[Y | X]`` of a joint pmf tensor with X on axis -2, Y on axis -1.

    Leading axes are a batch. ``H[Y|X] = H[X,Y] - H[X]``. Each joint pmf (the last two
    axes) must be non-negative and sum to 1 within 1e-6 (``sqrt(eps)`` of a coarser
    dtype), else ValueError naming ``pxy``.

    Examples
    --------
    >>> import torch
    >>> round(float(conditional_entropy_torch(torch.tensor([[0.25, 0.25], [0.5, 0.0]]), base=2)), 6)
    0.5
    """
    base = check_base(base)
    pxy = _check_pmf_tensor(pxy, "pxy", 2)
    h_xy = _neg_xlogx(pxy).sum(dim=(-2, -1))
    h_x = _neg_xlogx(pxy.sum(dim=-1)).sum(dim=-1)
    return from_nats(h_xy - h_x, base)


def mutual_information_torch(pxy: torch.Tensor, base: float = math.e) -> torch.Tensor:
    """Differentiable ``I[X; Y]`` of a joint pmf tensor with X on axis -2, Y on axis -1.

    Leading axes are a batch. ``I = H[X] + H[Y] - H[X,Y]``. Each joint pmf (the last two
    axes) must be a pmf, as in :func:`conditional_entropy_torch`. For a categorical latent
    with encoder ``q(z|x)`` (rows) and data weights ``p(x)``, pass
    ``p[:, None] * q`` to get ``I[X; Z]``.

    Examples
    --------
    >>> import torch
    >>> round(float(mutual_information_torch(torch.tensor([[0.5, 0.0], [0.0, 0.5]]), base=2)), 6)
    1.0
    """
    base = check_base(base)
    pxy = _check_pmf_tensor(pxy, "pxy", 2)
    h_x = _neg_xlogx(pxy.sum(dim=-1)).sum(dim=-1)
    h_y = _neg_xlogx(pxy.sum(dim=-2)).sum(dim=-1)
    h_xy = _neg_xlogx(pxy).sum(dim=(-2, -1))
    return from_nats(h_x + h_y - h_xy, base)
