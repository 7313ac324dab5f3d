"""Iterative information bottleneck (IB) and deterministic IB (DIB) on a discrete p(x, y).

Strouse & Schwab (2017) generalise the IB of Tishby, Pereira & Bialek (2000) to

    L_alpha[q(t|x)] = H(T) - alpha H(T|X) - beta I(T;Y),

alpha = 1 gives the IB (``I(X;T) - beta I(T;Y)``), alpha = 0 the DIB
(``H(T) - beta I(T;Y)``; Kirsch et al. sec. 4.2). With ``d(x,t) = KL(p(y|x) || q(y|t))``
the self-consistent equations are

    q(t|x) ∝ exp((log q(t) - beta d(x,t)) / alpha)          (alpha > 0)
    q(t|x) = 1[t = argmax_t log q(t) - beta d(x,t)]         (alpha = 0)
    q(t) = sum_x p(x) q(t|x),   q(y|t) = sum_x q(t|x) p(x,y) / q(t).

Each step minimises, over one block, ``F = E[alpha log q(t|x) - log q(t) + beta d(x,t)]``,
which equals ``L_alpha + beta I(X;Y)`` once q(t), q(y|t) are consistent with q(t|x); so
the objective never increases over iterations (it is recorded in ``history``).

The iteration stops at local optima: a DIB cluster that empties is never re-split, and
a soft IB encoder that has merged clusters rarely splits them again at a larger beta.
A **sequential refinement** follows it (the sequential IB, sIB, of Slonim, Friedman &
Tishby, SIGIR 2002, applied to the DIB objective): one x at a time moves to the cluster,
an empty one included, that lowers ``H(T) - beta I(T;Y)`` the most. With cluster joints
``m[t, y] = sum_{x in t} p(x, y)`` and ``q(t) = sum_y m[t, y]``,

    H(T) - beta I(T;Y) = sum_t [(beta - 1) q(t) log q(t) - beta sum_y m[t,y] log m[t,y]]
                         - beta H(Y),

so a move's exact change involves only the two clusters it touches, and the joints are
updated in place (cost ``O(|T| |Y|)`` per x). Sweeps repeat until none moves an x; then the
best merge of two clusters that lowers the objective (the agglomerative IB step of Slonim
& Tishby, NIPS 1999: large clusters that single moves cannot empty) is made and the
sweeps resume, until neither a move nor a merge helps. The DIB then resumes its
iteration from the result, until nothing changes any more. On hard
encoders ``H(T|X) = 0``, so ``L_alpha`` is the DIB objective there for every alpha; for
alpha > 0 the refinement hardens the iteration's encoder, refines it sequentially and
runs the soft iteration from that hard start, keeping the result if it is better.

The equations write the representation T, as the papers do; the records call it Z and use
the information-plane column names of every table in the package: ``i_xz`` = I(X;T),
``i_zy`` = I(T;Y), ``h_z`` = H(T), ``h_z_given_x`` = H(T|X), ``i_xy`` = I(X;Y).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
from numpy.typing import ArrayLike

from infoplane._units import from_nats, unit_name
from infoplane._validation import check_base, check_float, check_int, real_array
from infoplane.info.distribution import Distribution

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["ib_curve", "information_bottleneck", "plot_ib_curve"]

_TINY = 1e-300


def _check_pxy(pxy: Distribution | ArrayLike) -> np.ndarray:
    if isinstance(pxy, Distribution):
        if pxy.ndim != 2:
            raise ValueError(f"pxy: expected a distribution of two variables (X, Y), got {pxy.names}")
        return pxy.pmf
    arr = real_array(pxy, "pxy")
    if arr.ndim != 2:
        raise ValueError(f"pxy: expected a 2-D joint pmf p(x, y), got shape {arr.shape}")
    try:
        return Distribution(arr, ["X", "Y"]).pmf
    except ValueError as err:
        raise ValueError(f"pxy: {str(err).removeprefix('p: ')}") from None


def _entropy(p: np.ndarray) -> float:
    p = p[p > 0]
    return float(-(p * np.log(p)).sum())


class _Problem:
    """p(x, y) with the pieces every iteration needs."""

    def __init__(self, pxy: np.ndarray) -> None:
        self.pxy = pxy
        self.px = pxy.sum(1)
        safe = np.where(self.px > 0, self.px, 1.0)[:, None]
        self.py_x = np.where(self.px[:, None] > 0, pxy / safe, 1.0 / pxy.shape[1])
        self.neg_h_y_x = (self.py_x * np.log(np.maximum(self.py_x, _TINY))).sum(1)  # sum_y p log p
        self.i_xy = _entropy(self.px) + _entropy(pxy.sum(0)) - _entropy(pxy)

    def marginals(self, enc: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        qt = self.px @ enc
        pty = enc.T @ self.pxy
        safe = np.where(qt > 0, qt, 1.0)[:, None]
        qy_t = np.where(qt[:, None] > 0, pty / safe, 1.0 / self.pxy.shape[1])
        return qt, pty, qy_t

    def terms(self, enc: np.ndarray,
              marg: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> dict[str, float]:
        qt, pty, _ = self.marginals(enc) if marg is None else marg
        h_t = _entropy(qt)
        h_t_x = _entropy(self.px[:, None] * enc) - _entropy(self.px)
        i_ty = h_t + _entropy(pty.sum(0)) - _entropy(pty)
        return {"h_z": h_t, "h_z_given_x": max(h_t_x, 0.0), "i_xz": max(h_t - h_t_x, 0.0),
                "i_zy": max(i_ty, 0.0)}

    def step(self, enc: np.ndarray, beta: float, alpha: float,
             marg: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None) -> np.ndarray:
        qt, _, qy_t = self.marginals(enc) if marg is None else marg
        # d(x,t) = KL(p(y|x) || q(y|t)) = sum_y p log p - sum_y p(y|x) log q(y|t)
        d = self.neg_h_y_x[:, None] - self.py_x @ np.log(np.maximum(qy_t, _TINY)).T
        log_qt = np.where(qt > 0, np.log(np.where(qt > 0, qt, 1.0)), -np.inf)
        score = log_qt[None, :] - beta * d
        if alpha == 0.0:
            out = np.zeros_like(enc)
            out[np.arange(enc.shape[0]), np.argmax(score, axis=1)] = 1.0
            return out
        score = score / alpha
        score -= score.max(axis=1, keepdims=True)
        out = np.exp(score)
        return out / out.sum(axis=1, keepdims=True)


def _xlogx(u: np.ndarray) -> np.ndarray:
    return u * np.log(np.maximum(u, _TINY))  # 0 log 0 = 0


def _cluster_cost(m: np.ndarray, beta: float) -> np.ndarray:
    """Each cluster's share of ``H(T) - beta I(T;Y) + beta H(Y)`` for hard clusters.

    With ``m[t, y] = sum_{x in t} p(x, y)`` and ``q(t) = sum_y m[t, y]``,
    ``H(T) - beta I(T;Y) = sum_t [(beta - 1) q log q - beta sum_y m log m] - beta H(Y)``.
    """
    return (beta - 1.0) * _xlogx(m.sum(-1)) - beta * _xlogx(m).sum(-1)


_CHUNK = 2**18  # entries of the (x, t) table of moves evaluated at once


def _sequential(prob: _Problem, labels: np.ndarray, k: int, beta: float,
                max_sweeps: int) -> tuple[np.ndarray, list[int]]:
    """Sequential (one x at a time) hard reassignment; Slonim, Friedman & Tishby (2002).

    Each x in turn moves to the cluster (an empty one included, while fewer than ``k``
    are in use) that lowers ``H(T) - beta I(T;Y)`` the most, the exact change computed
    from the clusters' joints ``m[t, y]``, which are updated after every move. Sweeps
    repeat until one moves nothing. The changes of every move of the x not yet visited
    are evaluated together against the current joints (vectorised): the first x with an
    improving move is the next to move, so the moves are those of the one-by-one sweep.
    When a sweep moves nothing, the best improving merge of two clusters, if any, is made
    (large clusters that single moves cannot empty) and the sweeps go on.
    Returns the labels and the number of x moved in each sweep (or merge).
    """
    labels = labels.copy()
    pxy = prob.pxy
    m = np.zeros((k, pxy.shape[1]))
    np.add.at(m, labels, pxy)
    count = np.bincount(labels, minlength=k)
    cost = _cluster_cost(m, beta)
    movable = np.flatnonzero(prob.px > 0)
    # a move must gain more than the rounding error of the costs it compares
    slack = 1e-13 * (1.0 + beta)

    def candidates() -> tuple[np.ndarray, np.ndarray, int]:
        # the clusters in use and one empty one (all empty clusters are alike)
        cand = np.flatnonzero(count > 0)
        empty = np.flatnonzero(count == 0)
        if empty.size:
            cand = np.append(cand, empty[0])
        where = np.full(k, -1)
        where[cand] = np.arange(cand.size)
        return cand, where, max(1, _CHUNK // (cand.size * pxy.shape[1]))

    moves: list[int] = []
    for _ in range(max_sweeps):
        cand, where, step = candidates()
        moved = 0
        pos = 0
        size = 16  # rows looked at next: doubled while none moves, reset after a move
        while pos < movable.size:
            xs = movable[pos:pos + size]
            rows, own = pxy[xs], labels[xs]
            left = np.maximum(m[own] - rows, 0.0)
            left[count[own] == 1] = 0.0
            cost_left = _cluster_cost(left, beta)
            delta = (cost_left - cost[own])[:, None] \
                + (_cluster_cost(m[cand][None] + rows[:, None], beta) - cost[cand])
            delta[np.arange(xs.size), where[own]] = 0.0
            best = np.argmin(delta, axis=1)
            better = np.flatnonzero(delta[np.arange(xs.size), best] < -slack)
            if better.size == 0:
                pos += xs.size
                size = min(2 * size, step)
                continue
            j = better[0]
            x, a, b = xs[j], own[j], cand[best[j]]
            m[a], cost[a] = left[j], cost_left[j]
            m[b] += rows[j]
            cost[b] = _cluster_cost(m[b], beta)
            count[a] -= 1
            count[b] += 1
            labels[x] = b
            moved += 1
            pos += j + 1
            size = 16
            if count[a] == 0 or count[b] == 1:  # the clusters in use changed
                cand, where, step = candidates()
        if moved == 0:
            # no single x moves: merge the pair of clusters whose merge lowers L the most
            # (the agglomerative step of Slonim & Tishby 1999), then sweep again
            used = np.flatnonzero(count > 0)
            gain, pair = -slack, None
            chunk = max(1, _CHUNK // (used.size * pxy.shape[1]))
            for lo in range(0, used.size, chunk):
                ids = used[lo:lo + chunk]
                change = _cluster_cost(m[ids, None] + m[None, used], beta) - cost[ids, None] - cost[used]
                change[used[None, :] <= ids[:, None]] = np.inf  # each pair once, no self-merge
                i, j = np.unravel_index(np.argmin(change), change.shape)
                if change[i, j] < gain:
                    gain, pair = change[i, j], (ids[i], used[j])
            if pair is None:
                moves.append(0)
                break
            a, b = pair
            labels[labels == a] = b
            m[b] += m[a]
            m[a] = 0.0
            cost[a], cost[b] = 0.0, _cluster_cost(m[b], beta)
            moved = int(count[a])
            count[b] += count[a]
            count[a] = 0
        moves.append(moved)
    return labels, moves


def _objective(terms: dict[str, float], beta: float, alpha: float) -> float:
    return terms["h_z"] - alpha * terms["h_z_given_x"] - beta * terms["i_zy"]


def _count_clusters(prob: _Problem, enc: np.ndarray, atol: float = 1e-4) -> int:
    qt, _, qy_t = prob.marginals(enc)
    used = qy_t[qt > 1e-9]
    distinct: list[np.ndarray] = []
    for row in used:
        if not any(np.abs(row - other).max() < atol for other in distinct):
            distinct.append(row)
    return len(distinct)


def _random_encoder(n_x: int, k: int, alpha: float, rng: np.random.Generator) -> np.ndarray:
    if alpha == 0.0:
        enc = np.zeros((n_x, k))
        enc[np.arange(n_x), rng.integers(0, k, size=n_x)] = 1.0
        return enc
    return rng.dirichlet(np.ones(k), size=n_x)


def _iterate(prob: _Problem, enc: np.ndarray, beta: float, alpha: float, tol: float,
             max_iter: int) -> tuple[np.ndarray, dict[str, float], list[float], bool]:
    marg = prob.marginals(enc)
    terms = prob.terms(enc, marg)
    history = [_objective(terms, beta, alpha)]
    converged = False
    for _ in range(max_iter):
        new = prob.step(enc, beta, alpha, marg)
        marg = prob.marginals(new)
        new_terms = prob.terms(new, marg)
        value = _objective(new_terms, beta, alpha)
        change = float(np.abs(new - enc).max())
        enc, terms = new, new_terms
        history.append(value)
        if change < tol or (alpha == 0.0 and change == 0.0):
            converged = True
            break
    return enc, terms, history, converged


def _hard(labels: np.ndarray, k: int) -> np.ndarray:
    enc = np.zeros((labels.size, k))
    enc[np.arange(labels.size), labels] = 1.0
    return enc


_MAX_ROUNDS = 50  # rounds of (sequential refinement, iteration); each one lowers L


def _run(prob: _Problem, enc: np.ndarray, beta: float, alpha: float, tol: float, max_iter: int,
         refine: bool = False) -> tuple[np.ndarray, dict[str, float], list[float], bool, int]:
    """The iteration from ``enc``, then (``refine``) :func:`_refine`."""
    enc, terms, history, converged = _iterate(prob, enc, beta, alpha, tol, max_iter)
    out = (enc, terms, history, converged, 0)
    return _refine(prob, out, beta, alpha, tol, max_iter) if refine else out


def _refine(prob: _Problem, out: tuple, beta: float, alpha: float, tol: float,
            max_iter: int) -> tuple[np.ndarray, dict[str, float], list[float], bool, int]:
    """Sequential refinement of an iteration's result ``(encoder, terms, history, converged, n_moves)``.

    DIB (alpha = 0): the hard encoder is refined by :func:`_sequential`, the iteration
    resumes from the result, and so on until the refinement moves nothing; ``history``
    runs on through every step and never increases. The result is a fixed point of the
    iteration that neither a move of one x nor a merge of two clusters improves.

    alpha > 0: the encoder is hardened (each x to its most likely t) and refined
    sequentially; on hard encoders ``H(T|X) = 0``, so L_alpha is the DIB objective
    there. The iteration then runs from that hard encoder, and its result replaces the
    given one when its objective is lower (``history`` is then the winning run's);
    repeated until it no longer wins.
    """
    enc, terms, history, converged, n_moves = out
    history = list(history)
    k = enc.shape[1]
    for _ in range(_MAX_ROUNDS):
        labels, moves = _sequential(prob, np.argmax(enc, axis=1), k, beta, max_iter)
        if alpha == 0.0:
            if sum(moves) == 0:
                break
            n_moves += sum(moves)
            enc, terms, more, converged = _iterate(prob, _hard(labels, k), beta, alpha, tol, max_iter)
            history.extend(more)
        else:
            new = _iterate(prob, _hard(labels, k), beta, alpha, tol, max_iter)
            if not new[2][-1] < history[-1] - 1e-12 * (1.0 + abs(history[-1])):
                break
            n_moves += sum(moves)
            enc, terms, history, converged = new
    else:
        converged = False
    return enc, terms, history, converged, n_moves


def _record(prob: _Problem, enc: np.ndarray, terms: dict[str, float], history: list[float],
            converged: bool, n_moves: int, beta: float, alpha: float, base: float) -> dict[str, Any]:
    qt = prob.px @ enc
    return {
        "beta": beta, "alpha": alpha,
        "i_xz": from_nats(terms["i_xz"], base), "i_zy": from_nats(terms["i_zy"], base),
        "h_z": from_nats(terms["h_z"], base), "h_z_given_x": from_nats(terms["h_z_given_x"], base),
        "i_xy": from_nats(prob.i_xy, base),
        "objective": from_nats(history[-1], base), "encoder": enc[:, qt > 1e-12].copy(),
        "n_clusters": _count_clusters(prob, enc), "n_iter": len(history) - 1,
        "n_moves": n_moves,
        "converged": converged, "history": from_nats(np.asarray(history), base), "base": base,
    }


def _check_common(alpha: float, n_clusters: int | None, n_x: int, tol: float, max_iter: int,
                  base: float) -> tuple[float, int, float, int, float]:
    alpha = check_float(alpha, "alpha", low=0.0)
    k = n_x if n_clusters is None else check_int(n_clusters, "n_clusters", minimum=1)
    tol = check_float(tol, "tol", low=0.0, low_open=True)
    max_iter = check_int(max_iter, "max_iter", minimum=1)
    return alpha, k, tol, max_iter, check_base(base)


def information_bottleneck(pxy: Distribution | ArrayLike, beta: float, alpha: float = 1.0,
                           n_clusters: int | None = None, init: ArrayLike | None = None, tol: float = 1e-9,
                           max_iter: int = 1000, seed: int = 0, base: float = math.e,
                           refine: bool | None = None) -> dict[str, Any]:
    """Solve the generalised IB once at one ``beta`` by the self-consistent iteration.

    Parameters
    ----------
    pxy : array_like of shape (n_x, n_y) or Distribution of two variables
        The joint pmf p(x, y).
    beta : float
        Trade-off (>= 0) in ``H(T) - alpha H(T|X) - beta I(T;Y)``.
    alpha : float
        1 for the IB, 0 for the deterministic IB, values between interpolate.
    n_clusters : int, optional
        Size of T's alphabet (default n_x).
    init : array_like of shape (n_x, n_clusters), optional
        Initial encoder q(t|x) (rows sum to 1); default random (seeded).
    tol : float
        Stop when no entry of q(t|x) changes by more than ``tol`` in one iteration
        (DIB: when the assignment stops changing).
    max_iter : int
    seed : int
        Seed of the random initial encoder.
    base : float
        Units of the returned information values (``math.e``: nats).
    refine : bool, optional
        Follow the iteration by the sequential refinement (module docstring). Default
        (None): on for the DIB (alpha = 0), where it is a cheap exact polish of the same
        run; off for alpha > 0, so that this function is the plain iteration from ``init``
        (:func:`ib_curve` refines every alpha by default).

    Returns
    -------
    dict
        ``i_xz`` = I(X;T), ``i_zy`` = I(T;Y), ``h_z`` = H(T), ``h_z_given_x`` = H(T|X),
        ``i_xy`` = I(X;Y), ``objective`` (all in units of ``base``),
        ``encoder`` (q(t|x) without empty clusters), ``n_clusters`` (distinct clusters
        in use), ``n_iter``, ``converged``, ``history`` (objective after each iteration;
        with ``refine``, the DIB's runs on through every refinement, an alpha > 0 result
        keeps the history of the run that produced it), ``n_moves`` (x moved by the
        refinement), ``beta``, ``alpha``, ``base``.

    Examples
    --------
    >>> import numpy as np
    >>> pxy = np.array([[0.3, 0.0], [0.2, 0.0], [0.0, 0.5]])
    >>> r = information_bottleneck(pxy, beta=10.0, alpha=0.0, base=2)
    >>> r["n_clusters"], round(r["i_zy"], 6)
    (2, 1.0)
    """
    prob = _Problem(_check_pxy(pxy))
    n_x = prob.pxy.shape[0]
    beta = check_float(beta, "beta", low=0.0)
    alpha, k, tol, max_iter, base = _check_common(alpha, n_clusters, n_x, tol, max_iter, base)
    if init is None:
        enc = _random_encoder(n_x, k, alpha, np.random.default_rng(check_int(seed, "seed", minimum=0)))
    else:
        enc = np.array(init, dtype=float)
        if enc.shape != (n_x, k) or not np.isfinite(enc).all() or (enc < 0).any() or \
                not np.allclose(enc.sum(1), 1.0, atol=1e-6):
            raise ValueError(f"init: expected a non-negative encoder of shape {(n_x, k)}, rows summing to 1")
    refine = _check_refine(refine, alpha == 0.0)
    return _record(prob, *_run(prob, enc, beta, alpha, tol, max_iter, refine), beta, alpha, base)


def ib_curve(pxy: Distribution | ArrayLike, betas: Sequence[float], alpha: float = 1.0,
             n_clusters: int | None = None, restarts: int = 2, anneal: bool = True, tol: float = 1e-9,
             max_iter: int = 1000, seed: int = 0, base: float = math.e,
             progress: bool = False, refine: bool = True) -> list[dict[str, Any]]:
    """The IB (alpha = 1), DIB (alpha = 0) or generalised IB curve over ``betas``.

    At each beta the best of several runs (lowest objective) is kept: ``restarts``
    random initial encoders and, with ``anneal``, warm starts from the neighbouring
    betas' solutions. Annealing sweeps beta upward for alpha > 0 (a warm start is mixed
    with 5% random encoder to let clusters split) and downward for the DIB (which can
    merge but not split clusters), then sweeps back once, so each solution also competes
    with its neighbours'. With ``refine`` (default) every DIB run ends with the
    sequential refinement, and for alpha > 0 each beta's best run of a sweep is refined
    (module docstring): the curve then never lies above the best hard encoder that the
    refinement reaches.

    Parameters
    ----------
    pxy : array_like of shape (n_x, n_y) or Distribution of two variables
    betas : sequence of float
        Trade-off values (>= 0), any order; results come back in this order.
    alpha : float
        1 for the IB, 0 for the DIB.
    n_clusters : int, optional
        Size of T's alphabet (default n_x; pass fewer for large n_x).
    restarts : int
        Random initialisations per beta (>= 0; at least 1 when ``anneal`` is False).
    anneal : bool
        Use warm starts from neighbouring betas.
    tol, max_iter : see :func:`information_bottleneck`.
    seed : int
    base : float
        Units of the returned information values.
    progress : bool
        Show a tqdm bar.
    refine : bool
        Use the sequential refinement (see above; default True for every alpha).

    Returns
    -------
    list of dict
        One record per beta, as returned by :func:`information_bottleneck`.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(0)
    >>> pxy = rng.dirichlet(np.ones(12)).reshape(4, 3)
    >>> curve = ib_curve(pxy, [0.5, 2.0, 20.0], base=2)
    >>> all(r["i_zy"] <= r["i_xy"] + 1e-9 for r in curve)
    True
    """
    prob = _Problem(_check_pxy(pxy))
    n_x = prob.pxy.shape[0]
    try:
        beta_list = [check_float(b, "betas", low=0.0) for b in betas]
    except TypeError:
        raise ValueError("betas: expected a sequence of numbers") from None
    if not beta_list:
        raise ValueError("betas: expected at least one value")
    alpha, k, tol, max_iter, base = _check_common(alpha, n_clusters, n_x, tol, max_iter, base)
    restarts = check_int(restarts, "restarts", minimum=0 if anneal else 1)
    refine = _check_refine(refine, True)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    order = sorted(range(len(beta_list)), key=lambda i: beta_list[i], reverse=(alpha == 0.0))
    best: dict[int, tuple] = {}

    def solve(i: int, starts: list[np.ndarray]) -> None:
        # the DIB refines every run (cheap); a soft encoder only the batch's best
        improved = False
        for enc0 in starts:
            out = _run(prob, enc0, beta_list[i], alpha, tol, max_iter, refine and alpha == 0.0)
            value = out[2][-1]
            if i not in best or value < best[i][2][-1] - 1e-12:
                best[i] = out
                improved = True
        if refine and alpha > 0.0 and improved:
            best[i] = _refine(prob, best[i], beta_list[i], alpha, tol, max_iter)

    def warm(enc: np.ndarray) -> np.ndarray:
        if alpha == 0.0:
            return enc
        return 0.95 * enc + 0.05 * _random_encoder(n_x, k, alpha, rng)

    if progress:
        from tqdm.auto import tqdm
        bar = tqdm(total=len(order) * (2 if anneal else 1), desc="ib_curve")
    previous = None
    for i in order:
        starts = [_random_encoder(n_x, k, alpha, rng) for _ in range(restarts)]
        if anneal and previous is not None:
            starts.append(warm(best[previous][0]))
        if not starts:  # first beta of an annealed sweep with restarts=0
            starts = [_identity_encoder(n_x, k) if alpha == 0.0 else _random_encoder(n_x, k, alpha, rng)]
        elif alpha == 0.0 and previous is None:
            starts.append(_identity_encoder(n_x, k))
        solve(i, starts)
        previous = i
        if progress:
            bar.update()
    if anneal:
        if alpha > 0.0:  # the sweep back starts at the largest beta from x -> t = x as well
            solve(order[-1], [_identity_encoder(n_x, k)])
        for prev, i in zip(order[::-1][:-1], order[::-1][1:], strict=True):
            solve(i, [best[prev][0].copy()])
            if progress:
                bar.update()
    if progress:
        bar.close()
    return [_record(prob, *best[i], beta_list[i], alpha, base) for i in range(len(beta_list))]


def _check_refine(refine: object, default: bool) -> bool:
    if refine is None:
        return default
    if not isinstance(refine, (bool, np.bool_)):
        raise ValueError(f"refine: expected True, False or None, got {refine!r}")
    return bool(refine)


def _identity_encoder(n_x: int, k: int) -> np.ndarray:
    enc = np.zeros((n_x, k))
    enc[np.arange(n_x), np.arange(n_x) % k] = 1.0
    return enc


def plot_ib_curve(curve: Sequence[dict[str, Any]], ax: Axes | None = None, label: str | None = None,
                  bound: bool = True, color: Any = None, annotate_clusters: bool = False) -> Axes:
    """Draw an IB curve on information-plane axes, I(X;T) against I(T;Y).

    The axes are the records' ``i_xz`` and ``i_zy``, labelled in the notation of the
    equations above. Also draws the bound ``I(T;Y) <= min(I(X;T), I(X;Y))`` (data processing for the
    Markov chain T - X - Y) as a dashed line.

    Parameters
    ----------
    curve : list of dict
        Records from :func:`ib_curve` (same ``base``).
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label of the curve.
    bound : bool
        Draw the bound.
    color : optional
        Matplotlib colour of the curve.
    annotate_clusters : bool
        Write each point's number of clusters beside it.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> pxy = np.random.default_rng(0).dirichlet(np.ones(12)).reshape(4, 3)
    >>> ax = plot_ib_curve(ib_curve(pxy, [1.0, 5.0], base=2))
    >>> ax.get_xlabel()
    'I(X;T) [bits]'
    """
    import matplotlib.pyplot as plt

    need = ("beta", "i_xz", "i_zy", "base", "i_xy")
    if isinstance(curve, (str, bytes, dict)) or not isinstance(curve, Sequence) or not curve \
            or not all(isinstance(r, dict) and all(k in r for k in need) for r in curve):
        raise ValueError(f"curve: expected a non-empty list of ib_curve records (dicts with {need})")
    if label is not None and not isinstance(label, str):
        raise ValueError(f"label: expected a string, got {type(label).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.5, 4))
    pts = sorted(curve, key=lambda r: r["beta"])
    x = [r["i_xz"] for r in pts]
    y = [r["i_zy"] for r in pts]
    ax.plot(x, y, "o-", ms=4, label=label, color=color)
    if annotate_clusters:
        for r in pts:
            ax.annotate(str(r["n_clusters"]), (r["i_xz"], r["i_zy"]), fontsize=7,
                        xytext=(3, -8), textcoords="offset points")
    base = pts[0]["base"]
    unit = unit_name(base)
    if bound:
        i_xy = pts[0]["i_xy"]
        right = max(max(x), i_xy) * 1.05
        ax.plot([0, i_xy, right], [0, i_xy, i_xy], "k--", lw=1,
                label="I(T;Y) ≤ min(I(X;T), I(X;Y))")
    ax.set_xlabel(f"I(X;T) [{unit}]")
    ax.set_ylabel(f"I(T;Y) [{unit}]")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    if label is not None or bound:
        ax.legend(fontsize=8, loc="lower right")
    return ax
