"""Channel capacity and rate-distortion curves by the Blahut-Arimoto algorithms.

Both quantities are convex programs over a discrete distribution, solved by alternating
maximisation (capacity) or minimisation (rate distortion) as in Blahut (1972),
"Computation of channel capacity and rate-distortion functions", IEEE Trans. Inf. Theory
18(4), and Arimoto (1972); Cover & Thomas, *Elements of Information Theory* (2nd ed.),
sec. 10.8. Each iteration also computes Blahut's upper and lower bounds, so the answer is
*certified*: the iteration stops when the two bounds are within ``tol`` nats.

The plain iteration can crawl (linear convergence with a rate near 1 when two inputs or
two reproduction letters are nearly alike and one of them must vanish: millions of
iterations for 1e-12). Two accelerations keep the certificate intact, because the
bounds hold at *any* point: squared extrapolation of the iterates (SQUAREM, Varadhan &
Roland 2008, Scand. J. Stat. 35), accepted only when it does not decrease the
objective; and, every so often, Newton's method on the Kuhn-Tucker equations of a
guessed support (the optimality conditions Blahut 1972 states for both problems),
accepted only when its bounds certify it.

* :func:`channel_capacity`: ``C = max_p I(X;Y)`` of a discrete memoryless channel
  ``p(y|x)`` and the capacity-achieving input ``p(x)``.
* :func:`rate_distortion_curve`: points ``(D, R(D))`` of the rate-distortion function
  of a source ``p(x)`` under a distortion matrix ``d(x, xhat)``, one per slope ``beta``,
  with the optimal test channel ``p(xhat|x)``.

All information values are in nats inside; ``base=2`` returns bits.

Examples
--------
>>> import numpy as np
>>> from infoplane.info.channels import channel_capacity
>>> c, p = channel_capacity(np.array([[0.9, 0.1], [0.1, 0.9]]), base=2)  # BSC(0.1)
>>> round(c, 6), p.round(6).tolist()
(0.531004, [0.5, 0.5])
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np
from numpy.typing import ArrayLike

from infoplane._units import from_nats
from infoplane._validation import check_base, check_float, check_int, real_array
from infoplane.info.distribution import Distribution

__all__ = ["channel_capacity", "rate_distortion_curve"]

_ROW_SUM_ATOL = 1e-9


def _logsumexp(a: np.ndarray, axis: int) -> np.ndarray:
    """log sum exp along ``axis``; a slice that is all ``-inf`` gives ``-inf`` (no warning)."""
    m = a.max(axis=axis, keepdims=True)
    shift = np.where(np.isfinite(m), m, 0.0)
    with np.errstate(divide="ignore"):
        out = np.log(np.exp(a - shift).sum(axis=axis, keepdims=True)) + shift
    return np.squeeze(out, axis=axis)


def _log(x: np.ndarray) -> np.ndarray:
    """Natural log with ``log 0 = -inf`` and no warning."""
    with np.errstate(divide="ignore"):
        return np.log(x)


def _check_stochastic(x: object, name: str, ndim: int) -> np.ndarray:
    """A finite, non-negative array of ``ndim`` dimensions whose last axis sums to 1 (1e-9)."""
    if isinstance(x, Distribution):
        if ndim != 1 or x.ndim != 1:
            raise TypeError(f"{name}: expected an array, got a Distribution of {x.ndim} variables "
                            "(a joint pmf; for a channel pass dist.conditional(of, given))")
        x = x.pmf
    arr = real_array(x, name, what="probabilities")
    shape = "(n_x, n_y)" if ndim == 2 else "(n_x,)"
    if arr.ndim != ndim or 0 in arr.shape:
        raise ValueError(f"{name}: expected a non-empty array of shape {shape}, got shape {arr.shape}")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite values")
    if (arr < 0).any():
        raise ValueError(f"{name}: probabilities must be non-negative, got minimum {arr.min():g}")
    sums = arr.sum(axis=-1)
    bad = np.abs(sums - 1.0) > _ROW_SUM_ATOL
    if bad.any():
        where = f"row {int(np.argmax(bad))} sums" if ndim == 2 else "sums"
        raise ValueError(f"{name}: probabilities must sum to 1 (within {_ROW_SUM_ATOL:g}); "
                         f"{where} to {float(sums.flat[int(np.argmax(bad))]):.12g}")
    return arr


def _check_tol_iter(tol: float, max_iter: int) -> tuple[float, int]:
    return check_float(tol, "tol", low=0.0, low_open=True), check_int(max_iter, "max_iter", minimum=1)


class _Step(NamedTuple):
    """One evaluation of a Blahut-Arimoto map at a point (log-probabilities)."""

    next: np.ndarray  # the map's image, normalised log-probabilities
    gap: float  # upper minus lower bound at the point, nats
    score: float  # objective the map increases monotonically
    value: Any  # what the caller reports at the point


def _iterate(step: Callable[[np.ndarray], _Step], x: np.ndarray, tol: float, max_iter: int,
             polish: Callable[[np.ndarray], tuple[np.ndarray, _Step] | None] | None = None,
             ) -> tuple[np.ndarray, _Step, int]:
    """Run ``x <- step(x).next`` until ``gap <= tol``, accelerated by squared extrapolation.

    SQUAREM (Varadhan & Roland 2008, scheme S3) on the log-probabilities: from ``x``, two
    plain steps give ``r = x1 - x`` and ``v = x2 - 2 x1 + x``; the extrapolated point
    ``x - 2 a r + a^2 v`` (``a = -min(|r| / |v|, 1e6)``, at most -1) replaces ``x2`` only if
    its score is at least that of ``x2`` (otherwise ``a`` is halved towards -1, where the
    point is ``x2``), so the score never decreases and the plain iteration's convergence
    is kept; slow linear convergence (a contraction factor near 1) speeds up several-fold.

    ``polish(x)``, tried after 30, 120, 480, ... evaluations, may return a point (and its
    evaluation) found otherwise, here by Newton's method on a guessed support, which is
    what rescues near-degenerate problems (a letter whose weight decays by a factor
    ``exp(-1e-4)`` a step); it is taken only when its own bounds certify it to ``tol``.

    Returns the point whose bounds are within ``tol`` (or the last one after ``max_iter``
    evaluations), its evaluation and the number of evaluations.
    """
    here = step(x)
    n_eval, next_polish = 1, 30
    while here.gap > tol and n_eval < max_iter:
        if polish is not None and n_eval >= next_polish:
            next_polish *= 4
            found = polish(x)
            if found is not None and found[1].gap <= tol:
                return found[0], found[1], n_eval
        x1, one = here.next, step(here.next)
        n_eval += 1
        if one.gap <= tol or n_eval >= max_iter:
            return x1, one, n_eval
        x2, two = one.next, step(one.next)
        n_eval += 1
        r, v = x1 - x, x2 - 2.0 * x1 + x
        norm_v = float(np.linalg.norm(v))
        a = -min(float(np.linalg.norm(r)) / norm_v, 1e6) if norm_v > 0.0 else -1.0
        x_start, x, here = x, x2, two
        if two.gap <= tol or n_eval >= max_iter or a >= -1.0:
            continue
        while a < -1.0 and n_eval < max_iter:
            y = x_start - 2.0 * a * r + a * a * v
            y = y - _logsumexp(y, axis=0)
            trial = step(y) if np.isfinite(y).all() else None
            n_eval += trial is not None
            if trial is not None and trial.score >= two.score:
                x, here = y, trial
                break
            a = (a - 1.0) / 2.0  # back-track towards a = -1, which is x2 itself
    return x, here, n_eval


def _damped_newton(residual: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], x: np.ndarray,
                   n_positive: int, n_steps: int = 60) -> tuple[np.ndarray | None, int | None]:
    """Newton's method for ``residual(x) = 0`` keeping ``x[:n_positive] > 0``.

    ``residual(x)`` returns the residual and its Jacobian. A step that would leave the
    positive orthant is cut to 0.9 of the way to its boundary; when the same coordinate
    blocks five steps in a row (or blocked most often, when the iteration does not
    converge) it belongs outside the support and ``(None, index)`` is returned. Returns
    ``(x, None)`` at rounding-level residual, ``(None, None)`` when nothing blocked.
    """
    blocked, times = -1, 0
    counts = np.zeros(n_positive, dtype=int)
    for _ in range(n_steps):
        resid, jac = residual(x)
        if not np.isfinite(resid).all():
            return None, None
        if np.abs(resid).max() <= 1e-15:
            return x, None
        delta = np.linalg.lstsq(jac, -resid, rcond=None)[0]
        head = delta[:n_positive]
        with np.errstate(divide="ignore"):
            ratio = np.where(head < 0, -x[:n_positive] / np.where(head < 0, head, -1.0), np.inf)
        j = int(np.argmin(ratio))
        if ratio[j] <= 1.0:
            times = times + 1 if j == blocked else 1
            blocked = j
            counts[j] += 1
            if times >= 5:
                return None, j
            delta = 0.9 * ratio[j] * delta
        else:
            blocked, times = -1, 0
        x_new = x + delta
        if np.abs(x_new - x).max() <= 1e-16 * max(1.0, float(np.abs(x).max())):
            x = x_new
            break  # no more progress
        x = x_new
    resid, _ = residual(x)
    if np.abs(resid).max() <= 1e-12:
        return x, None
    return None, (int(np.argmax(counts)) if counts.any() else None)  # the coordinate that blocked most


def _active_set(kkt: Callable[[np.ndarray], np.ndarray],
                solve: Callable[[np.ndarray, np.ndarray], tuple[np.ndarray | None, int | None]],
                evaluate: Callable[[np.ndarray], _Step], log_x: np.ndarray, max_size: int,
                tol: float) -> tuple[np.ndarray, _Step] | None:
    """Guess the support of the optimum and solve its Kuhn-Tucker equations by Newton's method.

    Start from the letters that the iteration at ``log_x`` still weighs (at least 1e-3 of
    the largest weight; at most ``max_size``, the most an optimum needs); after each
    solve add the letter whose Kuhn-Tucker score ``kkt(x)`` (``D_x`` for capacity,
    ``log c(xhat)`` for rate distortion) violates the conditions most, or drop the one
    that Newton's method pushes to zero (the lightest one when it stalls); stop when a
    guess repeats. A solution is returned (with its evaluation) only if its bounds
    certify it to ``tol``; else ``None``.
    """
    x = np.exp(log_x)
    # first guess: the letters the iteration still gives weight (at most max_size of them)
    heavy = np.flatnonzero(x >= 1e-3 * x.max())
    support = [int(i) for i in heavy[np.argsort(-x[heavy], kind="stable")][:max_size]]
    start = x.copy()
    seen: set[frozenset[int]] = set()
    for _ in range(3 * x.size + 3):
        if frozenset(support) in seen:
            return None  # the guesses cycle
        seen.add(frozenset(support))
        idx = np.array(support)
        values, blocked = solve(idx, start[idx])
        if values is None:
            if len(support) == 1:
                return None
            if blocked is None:  # Newton stalled (letters nearly alike): drop the lightest
                blocked = int(np.argmin(start[idx]))
            del support[blocked]
            continue
        full = np.zeros_like(x)
        full[idx] = values
        log_full = _log(full)
        found = evaluate(log_full)
        if found.gap <= tol:
            return log_full, found
        if len(support) >= x.size:
            return None
        score = kkt(full)
        score[idx] = -np.inf
        support.append(int(np.argmax(score)))
        start = full
        start[support[-1]] = 1e-6
    return None


def channel_capacity(p_y_given_x: ArrayLike, *, tol: float = 1e-12, max_iter: int = 100_000,
                     base: float = math.e) -> tuple[float, np.ndarray]:
    """Capacity of a discrete memoryless channel and a capacity-achieving input (Blahut-Arimoto).

    ``C = max_{p(x)} I(X;Y)`` for the channel ``W(y|x) = p_y_given_x[x, y]``; Blahut (1972),
    Arimoto (1972), Cover & Thomas (2nd ed.) sec. 10.8. From the uniform
    input, each iteration computes the output law ``q = p W`` and, for every input,
    ``D_x = D(W(.|x) || q)``; then ``I(p; W) = sum_x p(x) D_x <= C <= max_x D_x``
    (Blahut's bounds; the upper one holds because ``sum_x p*(x) D_x = C + D(q* || q)`` for a
    capacity-achieving ``p*``, the Kuhn-Tucker conditions of Gallager 1968, Theorem 4.5.1),
    and the input is updated as
    ``p(x) <- p(x) exp(D_x) / sum_x' p(x') exp(D_x')``. The iteration stops when
    ``max_x D_x - I(p; W) <= tol``, so the returned value is within ``tol`` nats below the
    true capacity and the returned input achieves it: ``I(p; W)`` equals the returned
    capacity exactly. Zero entries follow ``0 log 0 = 0``. The iteration is accelerated
    (see the module notes); the bracket decides when to stop, whatever produced the point.

    Parameters
    ----------
    p_y_given_x : array_like of shape (n_x, n_y)
        The channel matrix: row ``x`` is the law of the output given input ``x`` (rows sum
        to 1 within 1e-9, entries finite and non-negative). NumPy arrays, torch tensors
        and nested sequences are accepted.
    tol : float
        Certified accuracy in nats: stop when the upper and lower bounds differ by at
        most ``tol`` (> 0).
    max_iter : int
        Most evaluations of the Blahut-Arimoto map; if the bounds are then still apart, a
        ``RuntimeWarning`` states the gap and the best point so far is returned.
    base : float
        Units of the returned capacity (``math.e``: nats, 2: bits).

    Returns
    -------
    capacity : float
        The channel capacity in units of ``base`` (``I(p; W)`` of the returned input).
    p_x : ndarray of shape (n_x,)
        A capacity-achieving input distribution. The optimum need not be unique: inputs
        with identical rows share their mass equally (so a channel whose rows are all
        equal, capacity 0, returns the uniform input).

    Raises
    ------
    ValueError
        If ``p_y_given_x`` is not a 2-D row-stochastic matrix, or ``tol``, ``max_iter``,
        ``base`` are invalid (the message starts with the argument's name).
    TypeError
        If ``p_y_given_x`` is a :class:`~infoplane.info.Distribution` (a joint pmf, not
        a channel).

    Examples
    --------
    Binary erasure channel with erasure probability 0.25: ``C = (1 - 0.25)`` bits.

    >>> import numpy as np
    >>> w = np.array([[0.75, 0.25, 0.0], [0.0, 0.25, 0.75]])
    >>> c, p = channel_capacity(w, base=2)
    >>> round(c, 9), p.round(9).tolist()
    (0.75, [0.5, 0.5])
    """
    channel = _check_stochastic(p_y_given_x, "p_y_given_x", 2)
    tol, max_iter = _check_tol_iter(tol, max_iter)
    base = check_base(base)
    # identical rows are one input as far as capacity goes: solve on the distinct rows and
    # share each one's mass equally among its copies (any split achieves capacity)
    w, inverse, counts = np.unique(channel, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    positive = w > 0
    log_w = np.log(np.where(positive, w, 1.0))
    n_x, n_y = w.shape

    def divergences(p: np.ndarray) -> np.ndarray:  # D(W(.|x) || pW) for every x, nats
        q = p @ w
        with np.errstate(divide="ignore", invalid="ignore"):
            log_q = np.log(q)  # -inf where no used input reaches y: D_x = inf for an x that does
            return np.where(positive, w * (log_w - log_q), 0.0).sum(axis=1)

    def blahut_step(log_p: np.ndarray) -> _Step:
        p = np.exp(log_p)
        div = divergences(p)
        lower = float(p[p > 0] @ div[p > 0])  # I(p; W)
        upper = float(div.max())
        if not math.isfinite(upper):  # only at a point with zeros (from Newton): not optimal
            return _Step(log_p, math.inf, -math.inf, lower)
        nxt = log_p + div  # Blahut-Arimoto update: p(x) exp(D_x) / normaliser
        return _Step(nxt - _logsumexp(nxt, axis=0), upper - lower, lower, lower)

    def kkt_system(support: np.ndarray) -> Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]]:
        """D_x(p) = lambda on the support and sum p = 1, in (p_S, lambda); d D_x / d p_x' = -K."""
        ws, pos, lws = w[support], positive[support], log_w[support]
        k = support.size

        def residual(z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            p, lam = z[:k], z[k]
            q = p @ ws
            used = q > 0
            log_q = np.log(np.where(used, q, 1.0))
            div = np.where(pos, ws * (lws - log_q), 0.0).sum(axis=1)
            kmat = (ws[:, used] / q[used]) @ ws[:, used].T
            jac = np.block([[-kmat, -np.ones((k, 1))], [np.ones((1, k)), np.zeros((1, 1))]])
            return np.append(div - lam, p.sum() - 1.0), jac
        return residual

    def solve(support: np.ndarray, start: np.ndarray) -> tuple[np.ndarray | None, int | None]:
        p = np.maximum(start, 1e-300)
        p = p / p.sum()
        z0 = np.append(p, float(p @ divergences_on(support, p)))
        z, blocked = _damped_newton(kkt_system(support), z0, support.size)
        return (None, blocked) if z is None else (z[:-1] / z[:-1].sum(), None)

    def divergences_on(support: np.ndarray, p: np.ndarray) -> np.ndarray:
        full = np.zeros(n_x)
        full[support] = p
        return divergences(full)[support]

    def newton_on_support(log_p: np.ndarray) -> tuple[np.ndarray, _Step] | None:
        return _active_set(divergences, solve, blahut_step, log_p, min(n_x, n_y), tol)

    log_p, step, _ = _iterate(blahut_step, np.full(n_x, -math.log(n_x)), tol, max_iter, newton_on_support)
    if step.gap > tol:
        warnings.warn(f"max_iter: Blahut-Arimoto stopped after {max_iter} iterations with the capacity "
                      f"bracketed to {step.gap:.3g} nats (tol={tol:g})", RuntimeWarning, stacklevel=2)
    p_x = np.exp(log_p)[inverse] / counts[inverse]
    return from_nats(max(step.value, 0.0), base), p_x


def _check_betas(betas: ArrayLike) -> np.ndarray:
    arr = real_array(betas, "betas")
    if arr.ndim != 1 or arr.size == 0:
        raise ValueError(f"betas: expected a non-empty 1-D sequence of slopes, got shape {arr.shape}")
    if not np.isfinite(arr).all() or (arr < 0).any():
        raise ValueError("betas: every slope must be finite and >= 0")
    return arr


def _rate_distortion_point(p: np.ndarray, dist: np.ndarray, beta: float, tol: float,
                           max_iter: int) -> dict[str, Any]:
    """Blahut's (1972) rate-distortion iteration at slope ``-beta``; values in nats.

    Works on the source letters with ``p(x) > 0`` and on distinct columns of ``dist``
    (identical reproduction letters share their mass equally).
    """
    cols, inverse, counts = np.unique(dist, axis=1, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    keep = p > 0
    p_k = p[keep]
    log_p = np.log(p_k)
    # -beta d(x, xhat), less its row maximum: a shift per x changes neither q(xhat|x) nor
    # c(xhat), and keeps a 0 in every row (an entry may be -inf when beta d overflows)
    with np.errstate(over="ignore"):
        a_all = -beta * (cols - cols.min(axis=1, keepdims=True))
    a = a_all[keep]  # (n_x used, n_xhat distinct)
    n_hat = a.shape[1]

    def bounds(log_r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        log_z = _logsumexp(log_r + a, axis=1)  # Z_x = sum_xhat r(xhat) exp(-beta d)
        log_c = _logsumexp(log_p[:, None] + a - log_z[:, None], axis=0)  # c(xhat)
        return log_z, log_c

    def blahut_step(log_r: np.ndarray) -> _Step:
        log_z, log_c = bounds(log_r)
        log_r_new = log_r + log_c  # r'(xhat) = sum_x p(x) q(xhat|x) = r(xhat) c(xhat)
        r_new = np.exp(log_r_new)
        gap = float(log_c.max() - np.where(r_new > 0, r_new * log_c, 0.0).sum())
        # score: -G(r) = sum_x p(x) log Z_x; each step increases it (an alternating minimisation)
        return _Step(log_r_new - _logsumexp(log_r_new, axis=0), gap, float(p_k @ log_z), None)

    def solve(support: np.ndarray, start: np.ndarray) -> tuple[np.ndarray | None, int | None]:
        """Blahut's optimality condition on the support: c(xhat) = 1 there (so sum r = 1).

        With ``b = exp(-beta d - m_x)`` (rows scaled by their maximum), ``Z = b r`` and
        ``c = b^T (p / Z)``, whose Jacobian in ``r`` is ``-b^T diag(p / Z^2) b``.
        """
        a_s = a[:, support]
        top = a_s.max(axis=1, keepdims=True)
        if not np.isfinite(top).all():  # a source letter no letter of the support can serve
            return None, None
        b = np.exp(a_s - top)

        def residual(r: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
            z = b @ r
            return (p_k / z) @ b - 1.0, -(b.T * (p_k / z**2)) @ b

        r = np.maximum(start, 1e-300)
        r, blocked = _damped_newton(residual, r / r.sum(), support.size)
        return (None, blocked) if r is None else (r / r.sum(), None)

    def newton_on_support(log_r: np.ndarray) -> tuple[np.ndarray, _Step] | None:
        return _active_set(lambda r: bounds(_log(r))[1], solve, blahut_step, log_r,
                           min(n_hat, p_k.size), tol)

    log_r, step, n_iter = _iterate(blahut_step, np.full(n_hat, -math.log(n_hat)), tol, max_iter,
                                   newton_on_support)
    # the certified point: q(xhat|x) = r exp(-beta d) / Z_x (Cover & Thomas 10.8) on every source
    # letter, including those with p(x) = 0, and then I(X; Xhat) with the output law r c
    log_z_all = _logsumexp(log_r + a_all, axis=1)
    log_q = log_r + a_all - log_z_all[:, None]
    log_r_new = log_r + bounds(log_r)[1]
    q = np.exp(log_q)
    joint = p[:, None] * q
    with np.errstate(invalid="ignore"):
        rate = float(np.where(joint > 0, joint * (log_q - log_r_new), 0.0).sum())  # I(X; Xhat)
    distortion = float((joint * cols).sum())
    r_new = np.exp(log_r_new)
    return {"rate": max(rate, 0.0), "distortion": distortion,
            "p_xhat_given_x": q[:, inverse] / counts[inverse],
            "p_xhat": (r_new / r_new.sum())[inverse] / counts[inverse],
            "gap": max(step.gap, 0.0), "n_iter": n_iter, "converged": step.gap <= tol}


def rate_distortion_curve(p_x: ArrayLike | Distribution, distortion: ArrayLike,
                          betas: Sequence[float] | ArrayLike, *, tol: float = 1e-12, max_iter: int = 100_000,
                          base: float = math.e) -> list[dict[str, Any]]:
    """Points of the rate-distortion function ``R(D)`` by Blahut's algorithm, one per slope.

    For a source ``p(x)`` and a distortion ``d(x, xhat)``, ``R(D) = min I(X; Xhat)`` over
    test channels ``p(xhat|x)`` with ``E d(X, Xhat) <= D`` (Cover & Thomas (2nd ed.) sec.
    10.2). At slope ``-beta`` the algorithm minimises the Lagrangian
    ``I(X; Xhat) + beta E d`` by alternating (Blahut 1972; Cover & Thomas sec. 10.8):
    ``p(xhat|x) = r(xhat) exp(-beta d(x, xhat)) / Z_x`` and
    ``r(xhat) <- sum_x p(x) p(xhat|x) = r(xhat) c(xhat)``, with
    ``c(xhat) = sum_x p(x) exp(-beta d(x, xhat)) / Z_x``. Blahut's bounds bracket the
    Lagrangian between ``-sum_x p(x) log Z_x - max log c`` and
    ``-sum_x p(x) log Z_x - sum r c log c``; the iteration stops when they differ by at
    most ``tol`` nats. Then the returned point lies on the curve to within that gap:
    ``R(D) <= rate <= R(D) + gap`` at ``D = distortion`` (the Lagrangian is within
    ``gap`` of its minimum and ``R(D) + beta D`` is at least that minimum). Each slope
    starts from the uniform ``r``, so the points do not depend on the order of ``betas``;
    the iteration is accelerated as the module notes say.

    Parameters
    ----------
    p_x : array_like of shape (n_x,) or Distribution of one variable
        The source pmf (finite, non-negative, summing to 1 within 1e-9; zeros allowed).
    distortion : array_like of shape (n_x, n_xhat)
        The distortion ``d(x, xhat)`` (finite, non-negative), e.g. ``1 - np.eye(n)`` for
        Hamming distortion.
    betas : sequence of float
        Slopes (>= 0), in nats per unit of distortion: ``beta = -dR/dD`` at the point
        (whatever ``base`` is). ``beta = 0`` gives rate 0; large ``beta`` gives small
        distortion.
    tol : float
        Certified accuracy of each point in nats (> 0).
    max_iter : int
        Most evaluations of Blahut's map per slope; a point that stops early has
        ``converged = False`` and a ``RuntimeWarning`` is issued.
    base : float
        Units of ``rate`` and ``gap`` (``math.e``: nats, 2: bits).

    Returns
    -------
    list of dict
        One dict per slope, in the order of ``betas``, with keys ``beta`` (as given, nats
        per unit distortion), ``rate`` (``I(X; Xhat)`` in units of ``base``),
        ``distortion`` (``E d(X, Xhat)``, units of ``d``), ``p_xhat_given_x`` (ndarray of
        shape (n_x, n_xhat), the optimal test channel), ``p_xhat`` (its output law),
        ``gap`` (certified bound on ``rate - R(distortion)``, units of ``base``),
        ``n_iter`` (evaluations of Blahut's map), ``converged`` (``gap <= tol``) and
        ``base``.

    Raises
    ------
    ValueError
        On an invalid ``p_x``, ``distortion`` (shape, sign, finiteness), ``betas``, ``tol``,
        ``max_iter`` or ``base`` (the message starts with the argument's name).
    TypeError
        If ``p_x`` is a :class:`~infoplane.info.Distribution` of more than one variable.

    Examples
    --------
    A fair bit under Hamming distortion: ``R(D) = 1 - h(D)`` bits, and
    ``D = 1 / (1 + e^beta)``.

    >>> import numpy as np
    >>> rows = rate_distortion_curve([0.5, 0.5], 1 - np.eye(2), [math.log(9)], base=2)
    >>> round(rows[0]["distortion"], 9), round(rows[0]["rate"], 6)
    (0.1, 0.531004)
    """
    p = _check_stochastic(p_x, "p_x", 1)
    dist = real_array(distortion, "distortion")
    if dist.ndim != 2 or dist.shape[0] != p.size or dist.shape[1] == 0:
        raise ValueError(f"distortion: expected shape (n_x, n_xhat) with n_x = {p.size} (the size of p_x), "
                         f"got shape {dist.shape}")
    if not np.isfinite(dist).all():
        raise ValueError("distortion: contains NaN or infinite values")
    if (dist < 0).any():
        raise ValueError(f"distortion: must be non-negative, got minimum {dist.min():g}")
    beta_arr = _check_betas(betas)
    tol, max_iter = _check_tol_iter(tol, max_iter)
    base = check_base(base)
    rows = []
    for beta in beta_arr.tolist():
        point = _rate_distortion_point(p, dist, beta, tol, max_iter)
        if not point["converged"]:
            warnings.warn(f"max_iter: at beta={beta:g} Blahut's iteration stopped after {max_iter} "
                          f"iterations with the point certified to {point['gap']:.3g} nats (tol={tol:g})",
                          RuntimeWarning, stacklevel=2)
        point["rate"] = from_nats(point["rate"], base)
        point["gap"] = from_nats(point["gap"], base)
        rows.append({"beta": beta, **point, "base": base})
    return rows
