"""Partial information decomposition (PID) of I[T; S1, S2] for two sources.

Williams and Beer (2010) split the information that two sources S1, S2 carry about a
target T into four non-negative atoms of the redundancy lattice of two sources,

.. code-block:: text

                 {12}             synergistic  S
                /    \\
              {1}    {2}          unique_S1  U1,  unique_S2  U2
                \\    /
                {1}{2}            redundant  R

with ``I[T;S1] = R + U1``, ``I[T;S2] = R + U2`` and ``I[T;S1,S2] = R + U1 + U2 + S``. A
redundancy measure R fixes the other three atoms through these three equations
(Williams & Beer 2010, "Nonnegative decomposition of multivariate information",
arXiv:1004.2515):

- ``"imin"``: Williams & Beer's ``I_min(T; {S1, S2}) = sum_t p(t) min_i I(T=t; S_i)``
  with the specific information ``I(T=t; S) = sum_s p(s|t) ln(p(t|s) / p(t))``
  (Williams & Beer 2010: their specific information I(S=s; A) and I_min, with the
  target called S there).
- ``"mmi"``: the minimum mutual information ``R = min(I[T;S1], I[T;S2])`` (Barrett 2015,
  Phys. Rev. E 91, 052802, who shows that the BROJA-type decompositions reduce to it
  for jointly Gaussian sources and a univariate target).
- ``"broja"``: Bertschinger, Rauh, Olbrich, Jost & Ay (2014, "Quantifying unique
  information", Entropy 16, 2161, Definition 1): over the polytope
  ``Delta_P = {Q : Q(s1, t) = P(s1, t), Q(s2, t) = P(s2, t)}``,
  ``U1 = min_Q I_Q[T;S1|S2]``, ``U2 = min_Q I_Q[T;S2|S1]`` (the same Q minimises both and
  ``I_Q[T;S1,S2]``), ``R = I[T;S1] - U1`` and ``S = I[T;S1,S2] - min_Q I_Q[T;S1,S2]``.

The BROJA program minimises the convex function ``f(Q) = -H_Q[T|S1,S2]`` (as
``I_Q[T;S1,S2] = H[T] + f(Q)``) over ``Delta_P``. :func:`pid` solves it with a
log-barrier Newton method on the affine hull of ``Delta_P`` (a null-space basis from
``scipy.linalg.null_space``), then polishes on the face of the optimum with Newton's
method without barrier. At the optimum every cell of a block ``(s1, s2)`` with
``Q(s1, s2) > 0`` is positive (``d f / d Q = ln Q(t|s1, s2)`` is ``-inf`` at a zero cell
of a non-empty block), so the face is found by dropping whole blocks. The answer comes
with a certificate: the Lagrange dual of the program is ``max_{a, b} sum a(s1,t) P(s1,t) +
sum b(s2,t) P(s2,t)`` subject to ``sum_t exp(a(s1,t) + b(s2,t)) <= 1`` for every block,
and the multipliers fitted at the optimum give a lower bound; the duality gap (nats,
``result.details["duality_gap"]``) bounds the error of every atom. It is at rounding
level: below 1e-13 nats on the standard gates and below 1e-12 nats on random pmfs up to
5 x 5 x 5 outcomes (SLSQP from a random start, ``dit``'s default BROJA solver, was off by
1e-10 to 3e-2 nats on the same problems, see ``tests/test_pid.py``). The linear algebra
is dense in the number k of cells with ``P(s1,t) P(s2,t) > 0``: about 0.1 s for
k = 64, a few seconds for k = 256.

All values are in nats unless ``base`` says otherwise.

Examples
--------
>>> from infoplane.info import examples
>>> from infoplane.info.pid import pid
>>> r = pid(examples.xor(), ("X", "Y"), "Z", measure="broja", base=2)
>>> {k: round(v, 9) for k, v in r.items()}
{'redundant': 0.0, 'unique_X': 0.0, 'unique_Y': 0.0, 'synergistic': 1.0}
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.linalg

from infoplane._units import from_nats, unit_name
from infoplane._validation import check_base
from infoplane.info.distribution import Distribution, as_distribution, parse_names

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MEASURES", "PIDResult", "pid", "plot_pid"]

#: The redundancy measures :func:`pid` knows.
MEASURES = ("imin", "mmi", "broja")

# atoms that are non-negative in exact arithmetic and come out within this many nats below
# zero (rounding) are returned as 0.0
_ROUNDING = 1e-12
# the barrier weight at which the central path is left for the polish (nats per cell)
_MU_FINAL = 1e-14


class PIDResult(Mapping[str, float]):
    """The four atoms of a two-source PID: a read-only mapping from atom name to value.

    Keys, in lattice order from bottom to top: ``"redundant"``, ``"unique_<S1>"``,
    ``"unique_<S2>"`` (with the sources' variable names) and ``"synergistic"``; the
    values are in units of log ``base`` and sum to ``I[T;S1,S2]``.

    Attributes
    ----------
    sources : tuple of str
        The two source variables.
    target : str
    measure : str
        ``"imin"``, ``"mmi"`` or ``"broja"``.
    base : float
        Logarithm base of every value (``math.e``: nats).
    mutual_information : dict
        ``"I[T;S1]"``, ``"I[T;S2]"``, ``"I[T;S1,S2]"`` (with the variable names), units of
        log ``base``.
    details : dict
        Solver information. For ``"broja"``: ``"optimum"`` (the minimising Q, a
        :class:`~infoplane.info.Distribution` over ``(S1, S2, T)``), ``"duality_gap"``
        (nats; an upper bound on the error of every atom) and ``"feasibility"`` (largest
        violation of a marginal constraint of Q). Empty for the other measures.

    Examples
    --------
    >>> from infoplane.info import examples
    >>> r = pid(examples.and_gate(), ("X", "Y"), "Z", measure="mmi", base=2)
    >>> list(r), round(r["synergistic"], 6), round(r.total, 6)
    (['redundant', 'unique_X', 'unique_Y', 'synergistic'], 0.5, 0.811278)
    """

    __slots__ = ("_atoms", "base", "details", "measure", "mutual_information", "sources", "target")

    def __init__(self, atoms: Mapping[str, float], sources: tuple[str, str], target: str, measure: str,
                 base: float, mutual_information: Mapping[str, float],
                 details: Mapping[str, Any] | None = None) -> None:
        self._atoms = dict(atoms)
        self.sources = tuple(sources)
        self.target = target
        self.measure = measure
        self.base = base
        self.mutual_information = dict(mutual_information)
        self.details = dict(details or {})

    def __getitem__(self, key: str) -> float:
        return self._atoms[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._atoms)

    def __len__(self) -> int:
        return len(self._atoms)

    @property
    def total(self) -> float:
        """``I[T;S1,S2]``, the sum of the four atoms (units of log ``base``)."""
        return self.mutual_information[f"I[{self.target};{self.sources[0]},{self.sources[1]}]"]

    def plot(self, ax: Axes | None = None, kind: str = "lattice", decimals: int = 3) -> Axes:
        """Draw the decomposition; see :func:`plot_pid`."""
        return plot_pid(self, ax=ax, kind=kind, decimals=decimals)

    def __repr__(self) -> str:
        inner = ", ".join(f"{k!r}: {v:.6g}" for k, v in self._atoms.items())
        return f"PIDResult({self.measure}, {unit_name(self.base)}, {{{inner}}})"


# ----------------------------------------------------------------------------- entry point
def pid(dist: Distribution, sources: Sequence[str], target: str, measure: str = "imin", *,
        base: float = math.e) -> PIDResult:
    """Partial information decomposition of ``I[target; source1, source2]``.

    Parameters
    ----------
    dist : Distribution
        A joint pmf containing the two sources and the target (other variables are
        marginalised out).
    sources : pair of str
        The two source variables, e.g. ``("X1", "X2")`` (``"XY"`` means ``("X", "Y")``).
    target : str
        The target variable; it must not be a source.
    measure : {"imin", "mmi", "broja"}
        The redundancy measure: Williams & Beer's I_min (2010), the minimum
        mutual information (Barrett 2015) or the BROJA unique information (Bertschinger
        et al. 2014, Definition 1). See the module docstring for the equations.
    base : float
        Logarithm base of the values (``math.e``: nats, 2: bits).

    Returns
    -------
    PIDResult
        A mapping ``{"redundant": R, "unique_<S1>": U1, "unique_<S2>": U2,
        "synergistic": S}`` in units of log ``base``, with ``R + U1 = I[T;S1]``,
        ``R + U2 = I[T;S2]`` and ``R + U1 + U2 + S = I[T;S1,S2]``. All four atoms are
        non-negative for each of the three measures (values within 1e-12 nats below 0
        from rounding are returned as 0).

    Raises
    ------
    ValueError
        ``dist`` not a Distribution; ``sources`` not two distinct variables of ``dist``;
        ``target`` unknown or one of the sources; ``measure`` unknown; a bad ``base``.

    Examples
    --------
    The AND gate: the sources share ``3/2 - (3/4) log2 3 = 0.311`` bits under I_min, and
    half a bit is synergistic.

    >>> from infoplane.info import examples
    >>> r = pid(examples.and_gate(), ("X", "Y"), "Z", base=2)
    >>> {k: round(v, 6) for k, v in r.items()}
    {'redundant': 0.311278, 'unique_X': 0.0, 'unique_Y': 0.0, 'synergistic': 0.5}

    Copying two independent bits into T = (S1, S2) is all unique under BROJA:

    >>> import numpy as np
    >>> from infoplane.info import Distribution
    >>> p = np.zeros((2, 2, 4))
    >>> for a in range(2):
    ...     for b in range(2):
    ...         p[a, b, 2 * a + b] = 0.25
    >>> r = pid(Distribution(p, ["A", "B", "T"]), ["A", "B"], "T", measure="broja", base=2)
    >>> {k: round(v, 9) for k, v in r.items()}
    {'redundant': 0.0, 'unique_A': 1.0, 'unique_B': 1.0, 'synergistic': 0.0}
    """
    dist = as_distribution(dist)
    s1, s2 = _check_sources(dist, sources)
    target = _check_target(dist, target, (s1, s2))
    if not isinstance(measure, str) or measure not in MEASURES:
        raise ValueError(f"measure: expected one of {', '.join(map(repr, MEASURES))}, got {measure!r}")
    base = check_base(base)
    p = dist.marginal([s1, s2, target]).pmf  # axes (S1, S2, T)
    i1, i2, i12 = _mutual_informations(p)
    details: dict[str, Any] = {}
    if measure == "imin":
        red = _imin(p)
        u1, u2 = i1 - red, i2 - red
    elif measure == "mmi":
        red = min(i1, i2)
        u1, u2 = i1 - red, i2 - red
    else:
        q, info = _broja_optimum(p)
        u1, u2 = _cmi_t(q, 0), _cmi_t(q, 1)  # I_Q[T;S1|S2], I_Q[T;S2|S1]
        red = i1 - u1
        details = {"optimum": Distribution(q, [s1, s2, target],
                                           alphabets=[dist.alphabets[dist.names.index(n)]
                                                      for n in (s1, s2, target)], atol=1e-8),
                   **info}
    syn = i12 - red - u1 - u2
    values = {"redundant": red, f"unique_{s1}": u1, f"unique_{s2}": u2, "synergistic": syn}
    atoms_out = {k: from_nats(_clean(v), base) for k, v in values.items()}
    mi = {f"I[{target};{s1}]": from_nats(_clean(i1), base), f"I[{target};{s2}]": from_nats(_clean(i2), base),
          f"I[{target};{s1},{s2}]": from_nats(_clean(i12), base)}
    return PIDResult(atoms_out, (s1, s2), target, measure, base, mi, details)


def _check_sources(dist: Distribution, sources: object) -> tuple[str, str]:
    if isinstance(sources, str) and sources in dist.names:
        raise ValueError(f"sources: expected two source variables, got the single variable {sources!r}")
    if not isinstance(sources, (str, Sequence)):
        raise ValueError(f"sources: expected a pair of variable names, got {sources!r}")
    names = parse_names(sources, "sources")
    if len(names) != 2:
        raise ValueError(f"sources: expected exactly two source variables, got {names}")
    missing = [n for n in names if n not in dist.names]
    if missing:
        raise ValueError(f"sources: unknown variables {missing}; this distribution has {dist.names}")
    return names[0], names[1]


def _check_target(dist: Distribution, target: object, sources: tuple[str, str]) -> str:
    if not isinstance(target, str):
        raise ValueError(f"target: expected one variable name, got {target!r}")
    if target not in dist.names:
        raise ValueError(f"target: unknown variable {target!r}; this distribution has {dist.names}")
    if target in sources:
        raise ValueError(f"target: {target!r} is also one of the sources {sources}")
    return target


def _clean(value: float) -> float:
    value = float(value)
    return 0.0 if -_ROUNDING < value <= 0.0 else value


# ----------------------------------------------------------------------------- information terms
def _kl_terms(p: np.ndarray, q: np.ndarray) -> float:
    """``sum p ln(p / q)`` over the cells where p > 0 (q > 0 there)."""
    m = p > 0
    return float((p[m] * np.log(p[m] / q[m])).sum())


def _mutual_informations(p: np.ndarray) -> tuple[float, float, float]:
    """``I[T;S1]``, ``I[T;S2]``, ``I[T;S1,S2]`` (nats) of p with axes (S1, S2, T)."""
    pt = p.sum((0, 1))
    p1t, p2t, p12 = p.sum(1), p.sum(0), p.sum(2)
    i1 = _kl_terms(p1t, p1t.sum(1, keepdims=True) * pt[None, :])
    i2 = _kl_terms(p2t, p2t.sum(1, keepdims=True) * pt[None, :])
    i12 = _kl_terms(p, p12[:, :, None] * pt[None, None, :])
    return i1, i2, i12


def _cmi_t(q: np.ndarray, source: int) -> float:
    """``I_q[T; S_source | S_other]`` (nats) of q with axes (S1, S2, T)."""
    q_ot = q.sum(source, keepdims=True)           # Q(s_other, t)
    q_so = q.sum(2, keepdims=True)                # Q(s1, s2)
    q_o = q.sum((source, 2), keepdims=True)       # Q(s_other)
    m = q > 0
    ratio = (q * q_o)[m] / (np.broadcast_to(q_so, q.shape)[m] * np.broadcast_to(q_ot, q.shape)[m])
    return float((q[m] * np.log(ratio)).sum())


def _imin(p: np.ndarray) -> float:
    """Williams & Beer's I_min (nats): ``sum_t p(t) min_i sum_s p(s|t) ln(p(s,t) / (p(s) p(t)))``."""
    pt = p.sum((0, 1))
    total = 0.0
    specific = []
    for axis in (1, 0):  # S1 then S2
        pst = p.sum(axis)  # (S_i, T)
        ps = pst.sum(1)
        spec = np.zeros(len(pt))
        for t in np.flatnonzero(pt > 0):
            col = pst[:, t]
            m = col > 0
            spec[t] = float((col[m] / pt[t] * np.log(col[m] / (ps[m] * pt[t]))).sum())
        specific.append(spec)
    for t in np.flatnonzero(pt > 0):
        total += pt[t] * min(specific[0][t], specific[1][t])
    return total


# ----------------------------------------------------------------------------- BROJA
class _Polytope:
    """``Delta_P`` on its allowed cells: Q(s1,s2,t) > 0 needs P(s1,t) > 0 and P(s2,t) > 0."""

    def __init__(self, p: np.ndarray) -> None:
        self.shape = p.shape
        self.p = p
        p1t, p2t = p.sum(1), p.sum(0)
        self.pt = p.sum((0, 1))
        allowed = (p1t[:, None, :] > 0) & (p2t[None, :, :] > 0)
        self.cells = np.nonzero(allowed)
        a, b, t = self.cells
        n1, n2, nt = p.shape
        self.k = len(a)
        rows1 = np.full((n1, nt), -1)
        rows1[p1t > 0] = np.arange(int((p1t > 0).sum()))
        rows2 = np.full((n2, nt), -1)
        rows2[p2t > 0] = np.arange(int((p2t > 0).sum())) + int((p1t > 0).sum())
        self.n_rows1 = int((p1t > 0).sum())
        m = self.n_rows1 + int((p2t > 0).sum())
        self.A = np.zeros((m, self.k))
        self.A[rows1[a, t], np.arange(self.k)] = 1.0
        self.A[rows2[b, t], np.arange(self.k)] = 1.0
        self.rhs = np.concatenate([p1t[p1t > 0], p2t[p2t > 0]])
        _, self.block = np.unique(a * n2 + b, return_inverse=True)
        self.block = self.block.ravel()
        self.n_blocks = int(self.block.max()) + 1 if self.k else 0
        self.product = p1t[a, t] * p2t[b, t] / self.pt[t]  # Q0: S1, S2 independent given T (interior)
        self.given = p[a, b, t]

    def full(self, q: np.ndarray) -> np.ndarray:
        out = np.zeros(self.shape)
        out[self.cells] = q
        return out

    def block_sums(self, q: np.ndarray) -> np.ndarray:
        return np.bincount(self.block, weights=q, minlength=self.n_blocks)

    def objective(self, q: np.ndarray) -> float:
        """``f(q) = -H_q[T|S1,S2] = sum q ln q - sum_blocks Q_b ln Q_b`` (nats)."""
        qb = self.block_sums(q)
        return float(_xlogx(q).sum() - _xlogx(qb).sum())


def _xlogx(x: np.ndarray) -> np.ndarray:
    out = np.zeros_like(x)
    m = x > 0
    out[m] = x[m] * np.log(x[m])
    return out


def _newton_direction(hess: np.ndarray, grad: np.ndarray) -> np.ndarray:
    try:
        c = scipy.linalg.cho_factor(hess)
        return -scipy.linalg.cho_solve(c, grad)
    except np.linalg.LinAlgError:
        return -np.linalg.lstsq(hess, grad, rcond=1e-13)[0]


def _barrier_value(poly: _Polytope, blocks: np.ndarray, q: np.ndarray, mu: float) -> float:
    fx = float(_xlogx(q).sum() - _xlogx(np.bincount(blocks, weights=q, minlength=poly.n_blocks)).sum())
    return fx - mu * float(np.log(q).sum()) if mu > 0 else fx


def _minimise_on(poly: _Polytope, keep: np.ndarray, q: np.ndarray, mu: float, mu_final: float,
                 basis: np.ndarray) -> np.ndarray:
    """Newton's method for ``f - mu * sum ln q`` on the cells ``keep`` (q feasible and > 0 there).

    ``mu`` is divided by 10 after each centring until it reaches ``mu_final``; ``mu = 0``
    is plain Newton on the face. Steps stay 1 % short of the boundary and are damped by
    backtracking while the Newton decrement is large (an Armijo test would only see
    rounding once it is small).
    """
    blocks = poly.block[keep]
    same = blocks[:, None] == blocks[None, :]
    while True:
        for _ in range(200):
            qb = np.bincount(blocks, weights=q, minlength=poly.n_blocks)
            grad = np.log(q) - np.log(qb[blocks])
            hess = np.diag(1.0 / q) - same / qb[blocks][:, None]
            if mu > 0:
                grad = grad - mu / q
                hess = hess + np.diag(mu / q**2)
            g = basis.T @ grad
            h = basis.T @ hess @ basis
            if not (np.isfinite(g).all() and np.isfinite(h).all()):
                break
            dx = _newton_direction(h, g) if mu > 0 else -np.linalg.lstsq(h, g, rcond=1e-14)[0]
            decrement = -float(g @ dx)  # squared Newton decrement
            if not np.isfinite(decrement) or decrement < 1e-30:
                break
            d = basis @ dx
            neg = d < 0
            step = min(1.0, 0.99 * float(np.min(-q[neg] / d[neg]))) if neg.any() else 1.0
            if decrement > 1e-8 or step < 1.0:
                f0 = _barrier_value(poly, blocks, q, mu)
                for _ in range(50):
                    trial = q + step * d
                    if ((trial > 0).all()
                            and _barrier_value(poly, blocks, trial, mu) <= f0 - 0.25 * step * decrement):
                        break
                    step *= 0.5
                else:
                    break
            trial = q + step * d
            if not (trial > 0).all():
                break
            q = trial
            if decrement < 1e-26:  # quadratic convergence: the next step is below rounding
                break
        if mu <= mu_final:
            return q
        mu = max(mu * 0.1, mu_final)


def _broja_optimum(p: np.ndarray) -> tuple[np.ndarray, dict[str, float]]:
    """The Q in Delta_P that minimises ``I_Q[T;S1,S2]``, with its duality gap (nats)."""
    poly = _Polytope(p)
    basis = scipy.linalg.null_space(poly.A, rcond=1e-12) if poly.k else np.zeros((0, 0))
    candidates = []  # the sparsest faces first: ties (at rounding) go to exact zeros
    if basis.shape[1] > 0:
        everything = np.ones(poly.k, dtype=bool)
        barrier = _minimise_on(poly, everything, poly.product.copy(), 1.0, _MU_FINAL, basis)
        qb = poly.block_sums(barrier)
        for threshold in (1e-6, 1e-9):
            keep = qb[poly.block] > threshold
            try:
                polished = _polish(poly, keep, barrier)
            except np.linalg.LinAlgError:  # pragma: no cover - a degenerate face; the barrier's answer stands
                polished = None
            if polished is not None:
                candidates.append(polished)
        candidates.append(barrier)
    candidates = [c for c in candidates if np.abs(poly.A @ c - poly.rhs).max() <= 1e-12]
    candidates += [poly.given, poly.product]  # both in Delta_P
    values = np.array([poly.objective(c) for c in candidates])
    best = values.min()
    q = candidates[int(np.flatnonzero(values <= best + 4e-16 * max(1.0, abs(best)))[0])]
    # every candidate's fitted multipliers give a lower bound on min f: keep the best bound
    lower = max(_dual_bound(poly, c) for c in candidates)
    if basis.shape[1] > 0:  # the barrier's own multipliers (any dual-feasible point bounds min f)
        lower = max(lower, _dual_bound(poly, barrier, _MU_FINAL))
    gap = max(0.0, poly.objective(q) - lower)
    residual = float(np.abs(poly.A @ q - poly.rhs).max()) if poly.k else 0.0
    full = poly.full(q)
    return full / full.sum(), {"duality_gap": gap, "feasibility": residual}


def _polish(poly: _Polytope, keep: np.ndarray, q: np.ndarray) -> np.ndarray | None:
    """Newton on the face where the cells outside ``keep`` are 0, from the barrier's answer."""
    a_face = poly.A[:, keep]
    if (a_face.sum(1) == 0).any():  # a marginal constraint lost all its cells: infeasible face
        return None
    qf = q[keep].copy()
    qf -= np.linalg.lstsq(a_face, a_face @ qf - poly.rhs, rcond=None)[0]
    if not (qf > 0).all():
        return None
    basis = scipy.linalg.null_space(a_face, rcond=1e-12)
    if basis.shape[1] > 0:
        qf = _minimise_on(poly, keep, qf, 0.0, 0.0, basis)
    out = np.zeros(poly.k)
    out[keep] = qf
    return out


def _dual_bound(poly: _Polytope, q: np.ndarray, mu: float = 0.0) -> float:
    """A lower bound on ``min f`` over Delta_P from multipliers fitted at q (nats).

    The Lagrange dual of ``min f`` over Delta_P is ``max a.P(s1,t) + b.P(s2,t)`` subject
    to ``logsumexp_t(a(s1,t) + b(s2,t)) <= 0`` for each block (f is 1-homogeneous on each
    block, so the Lagrangian is bounded below exactly then, by 0). At the optimum
    ``ln Q(t|s1,s2) = a(s1,t) + b(s2,t)`` on the non-empty blocks; the multipliers are
    fitted to that by least squares and shifted (``a -> a - c``) until feasible. For a
    point of the barrier's central path (``mu > 0``) the fit is to ``ln Q(t|s1,s2) -
    mu / Q``, which is dual feasible at the exact centre, with gap ``mu`` per cell.
    """
    if poly.k == 0:
        return poly.objective(q)
    pos = q > 0
    qb = poly.block_sums(q)
    grad = np.log(q[pos]) - np.log(qb[poly.block[pos]])
    if mu > 0:
        grad = grad - mu / q[pos]
    y = np.linalg.lstsq(poly.A[:, pos].T, grad, rcond=None)[0]
    c = poly.A.T @ y
    top = np.full(poly.n_blocks, -np.inf)
    np.maximum.at(top, poly.block, c)
    lse = top + np.log(np.bincount(poly.block, weights=np.exp(c - top[poly.block]), minlength=poly.n_blocks))
    shift = max(0.0, float(lse.max()))
    return float(poly.rhs @ y) - shift  # a -> a - shift lowers the dual by shift * sum P(s1,t) = shift


# ----------------------------------------------------------------------------- drawing
def plot_pid(result: PIDResult, ax: Axes | None = None, kind: str = "lattice", decimals: int = 3) -> Axes:
    """Draw a two-source PID: its redundancy lattice, or a bar chart of the atoms.

    Parameters
    ----------
    result : PIDResult
        What :func:`pid` returned.
    ax : matplotlib Axes, optional
        Where to draw (a new figure if omitted).
    kind : {"lattice", "bars"}
        ``"lattice"``: the Williams-Beer lattice of two sources, ``{1}{2}`` (redundant) at
        the bottom, ``{1}`` and ``{2}`` (unique) in the middle, ``{12}`` (synergistic) on
        top, each node labelled with its value and sized by it. ``"bars"``: one bar per
        atom.
    decimals : int
        Decimals of the printed values.

    Returns
    -------
    matplotlib Axes
        Labelled with the measure and the unit of the values.

    Examples
    --------
    >>> from infoplane.info import examples
    >>> r = pid(examples.xor(), "XY", "Z", base=2)
    >>> ax = plot_pid(r)
    >>> ax.get_xlabel()
    'partial information atoms [bits]'
    >>> len(plot_pid(r, kind="bars").patches)
    4
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, PIDResult):
        raise ValueError(f"result: expected a PIDResult from pid(), got {type(result).__name__}")
    if kind not in ("lattice", "bars"):
        raise ValueError(f"kind: expected 'lattice' or 'bars', got {kind!r}")
    if isinstance(decimals, bool) or not isinstance(decimals, int) or decimals < 0:
        raise ValueError(f"decimals: expected a non-negative integer, got {decimals!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.0) if kind == "lattice" else (4.5, 3.2))
    unit = unit_name(result.base)
    s1, s2 = result.sources
    keys = list(result)
    colors = ["tab:blue", "tab:green", "tab:orange", "tab:red"]
    title = f"PID of I[{result.target};{s1},{s2}] ({result.measure})"
    if kind == "bars":
        labels = ["R", f"U({s1})", f"U({s2})", "S"]
        heights = [result[k] for k in keys]
        ax.bar(range(4), heights, color=colors, width=0.7)
        for x, h in enumerate(heights):
            ax.text(x, h, f"{h:.{decimals}f}", ha="center", va="bottom", fontsize=8)
        ax.set_xticks(range(4))
        ax.set_xticklabels(labels)
        ax.axhline(0, color="black", lw=0.8)
        ax.set_ylabel(f"partial information [{unit}]")
        ax.set_title(title, fontsize=10)
        return ax
    positions = [(0.0, 0.0), (-1.0, 1.0), (1.0, 1.0), (0.0, 2.0)]
    names = [f"{{{s1}}}{{{s2}}}\nredundant", f"{{{s1}}}\nunique", f"{{{s2}}}\nunique",
             f"{{{s1},{s2}}}\nsynergistic"]
    for i, j in ((0, 1), (0, 2), (1, 3), (2, 3)):
        ax.plot([positions[i][0], positions[j][0]], [positions[i][1], positions[j][1]], color="0.6", lw=1,
                zorder=1)
    largest = max(max(result.values()), 1e-300)
    for (x, y), key, label, color in zip(positions, keys, names, colors, strict=True):
        share = result[key] / largest if largest > 0 else 0.0
        ax.scatter([x], [y], s=300 + 1700 * share, color=color, alpha=0.25 + 0.6 * share, zorder=2,
                   edgecolors="black", linewidths=0.8)
        ax.annotate(f"{label}\n{result[key]:.{decimals}f}", (x, y), ha="center", va="center", fontsize=8,
                    zorder=3)
    ax.set_xlim(-1.8, 1.8)
    ax.set_ylim(-0.6, 2.6)
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"partial information atoms [{unit}]")
    ax.set_title(title, fontsize=10)
    return ax
