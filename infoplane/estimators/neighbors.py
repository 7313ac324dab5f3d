"""k-nearest-neighbour search for the estimators: one set of functions, two backends.

Backends
--------
``"cpu"``
    NumPy/SciPy on the CPU: ``scipy.spatial.cKDTree`` (max-norm, all cores) for the k
    nearest neighbours where the dimension is low; for counts an exact sort-and-search
    in 1-D and, in 2 to 12 dimensions, the intersection of the per-coordinate sorted
    runs as bitsets (``_count_bitsets``; scikit-learn's KDTree for large n in 2-3-D);
    and multi-threaded chunked brute force where trees stop pruning (high dimension):
    float32 distances, with every pair near a decision threshold re-checked in float64
    (see ``_exact_count_chunk``). Threads take many small chunks of queries, so that a
    core slowed down by other work does fewer of them.
``"torch"``
    Chunked brute force with ``torch.cdist`` on the inputs' device (a GPU does large n).
    Memory stays below ``max_bytes`` per chunk whatever n is.

``backend="auto"`` picks ``"torch"`` when an input is a tensor on an accelerator and
``"cpu"`` otherwise. Both work in float64. Max-norm distances ``max_d |a_d - b_d|`` are
exact in floating point (a subtraction is correctly rounded and the maximum is exact),
so both backends compute bit-identical distances and therefore identical neighbour
counts; only the choice among neighbours *tied* at exactly the k-th distance may differ.

Counting convention: every count excludes the point itself. ``strict=True`` counts
neighbours with distance ``< radius`` (KSG algorithm 1), ``strict=False`` those with
distance ``<= radius`` (KSG algorithm 2, Ross 2014).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

import numpy as np
import torch
from numpy.typing import ArrayLike
from scipy.spatial import cKDTree
from sklearn.neighbors import KDTree

from infoplane._runtime import device as checked_device
from infoplane._validation import check_int, check_samples, real_array

__all__ = ["resolve_backend", "kth_neighbor_distance", "count_within", "ksg_counts"]

BACKENDS = ("auto", "cpu", "torch")
METRICS = ("max", "euclidean")
# Dimension up to which the CPU backend uses k-d trees; above it, chunked brute force
# wins (measured at n = 2e4 on 2 cores: joint kNN + counts with trees cost 2.3 CPU-s
# for a 10-D joint space against 3.5 for brute force, 4.2 against 3.5 for 16-D).
TREE_MAX_DIM_KNN = 12
TREE_MAX_DIM_COUNT = 12
DEFAULT_MAX_BYTES = 1 << 28  # 256 MiB of distance buffers per chunk
BITSET_MAX_BYTES = 1 << 27  # 128 MiB of bitset checkpoints (see _count_bitsets)

Points = ArrayLike | torch.Tensor
Device = torch.device | str | None


def resolve_backend(backend: str, *arrays: object) -> str:
    """Choose ``"cpu"`` or ``"torch"``: ``"torch"`` when an input tensor is off the CPU.

    Examples
    --------
    >>> import numpy as np
    >>> resolve_backend("auto", np.zeros((3, 1)))
    'cpu'
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend: expected one of {BACKENDS}, got {backend!r}")
    if backend != "auto":
        return backend
    on_device = any(isinstance(a, torch.Tensor) and a.device.type != "cpu" for a in arrays)
    return "torch" if on_device else "cpu"


def _points(points: Points, name: str = "points") -> np.ndarray | torch.Tensor:
    """Checked points: real (complex refused), finite, shape (n, d) (1-D = one column)."""
    return check_samples(points, name)


def _radius(radius: ArrayLike | float, n: int) -> np.ndarray:
    if np.isscalar(radius) and not isinstance(radius, (str, bytes)):
        radius = np.full(n, radius)
    r = real_array(radius, "radius")
    if r.ndim == 2 and r.shape[1] == 1:
        r = r[:, 0]
    if r.shape != (n,):
        raise ValueError(f"radius: expected a number or shape ({n},), got {r.shape}")
    if np.isnan(r).any() or (r < 0).any():
        raise ValueError("radius: expected radii >= 0 (no NaN)")
    return np.ascontiguousarray(r, dtype=np.float64)


def _as_numpy(x: Points) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu()
        x = (x.double() if x.dtype == torch.bfloat16 else x).numpy()
    x = np.ascontiguousarray(x, dtype=np.float64)
    return x[:, None] if x.ndim == 1 else x


def _as_tensor(x: Points, device: Device) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        x = x.detach().to(device=device, dtype=torch.float64)
    else:
        x = torch.as_tensor(np.ascontiguousarray(x, dtype=np.float64), device=device)
    return x[:, None] if x.ndim == 1 else x


def _device_of(arrays: Sequence[Points], device: Device) -> torch.device:
    if device is not None:
        return checked_device(device)
    for a in arrays:
        if isinstance(a, torch.Tensor):
            return a.device
    return torch.device("cpu")


def _chunk_rows(n: int, buffers: int, max_bytes: int) -> int:
    return int(max(1, min(n, max_bytes // max(1, 8 * n * buffers))))


def _check_metric(metric: str) -> float:
    if metric not in METRICS:
        raise ValueError(f"metric: expected one of {METRICS}, got {metric!r}")
    return float("inf") if metric == "max" else 2.0


# ----------------------------------------------------------------------------- kNN


def kth_neighbor_distance(points: Points, k: int, *, metric: str = "max", backend: str = "auto",
                          device: Device = None, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Distance from each point to its k-th nearest other point.

    Parameters
    ----------
    points : array or tensor of shape (n, d)
    k : int
        Neighbour order (1 = nearest other point), ``k < n``.
    metric : {"max", "euclidean"}
    backend : {"auto", "cpu", "torch"}
    device : torch device, optional
        Device of the torch backend (default: the input's device).
    max_bytes : int
        Upper bound on the distance buffers of one brute-force chunk.

    Returns
    -------
    ndarray of shape (n,), float64 (same units as ``points``)

    Examples
    --------
    >>> import numpy as np
    >>> kth_neighbor_distance(np.array([[0.0], [1.0], [3.0]]), 1).tolist()
    [1.0, 1.0, 2.0]
    """
    p = _check_metric(metric)
    backend = resolve_backend(backend, points)
    points = _points(points)
    n = points.shape[0]
    k = check_int(k, "k", minimum=1)
    if k >= n:
        raise ValueError(f"k: must be smaller than the number of samples ({n}), got {k}")
    if backend == "cpu" and points.shape[1] <= TREE_MAX_DIM_KNN:
        # the (k+1)-th smallest distance including the point itself (distance 0) is the
        # k-th smallest among the others, duplicates or not
        return _tree_knn(_as_numpy(points), k, p, indices=False)[0]
    if backend == "cpu" and metric == "max":
        return _brute_knn_numpy(_as_numpy(points), k, max_bytes)
    dev = torch.device("cpu") if backend == "cpu" else _device_of([points], device)
    x = _as_tensor(points, dev)
    rows = _chunk_rows(n, 2, max_bytes)
    out = torch.empty(n, dtype=torch.float64, device=dev)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        # no matrix-product shortcut for Euclidean: it cancels badly for close points
        dist = torch.cdist(x[start:stop], x, p=p, compute_mode="donot_use_mm_for_euclid_dist")
        _blank_self(dist, start)
        out[start:stop] = dist.topk(k, dim=1, largest=False).values[:, -1]
    return out.cpu().numpy()


def _blank_self(dist: torch.Tensor, start: int) -> None:
    rows = torch.arange(dist.shape[0], device=dist.device)
    dist[rows, rows + start] = float("inf")


# ------------------------------------------------------------------------ counting


def count_within(points: Points, radius: ArrayLike | float, *, strict: bool, backend: str = "auto",
                 device: Device = None, max_bytes: int = DEFAULT_MAX_BYTES) -> np.ndarray:
    """Number of other points within a per-point max-norm radius.

    Parameters
    ----------
    points : array or tensor of shape (n, d)
    radius : array of shape (n,)
        One radius per point (>= 0).
    strict : bool
        ``True`` counts distances ``< radius[i]``, ``False`` distances ``<= radius[i]``.
    backend, device, max_bytes
        As in :func:`kth_neighbor_distance`.

    Returns
    -------
    ndarray of shape (n,), int64 (the point itself is not counted)

    Examples
    --------
    >>> import numpy as np
    >>> pts = np.array([[0.0], [1.0], [3.0]])
    >>> count_within(pts, np.array([1.0, 1.0, 1.0]), strict=False).tolist()
    [1, 1, 0]
    >>> count_within(pts, np.array([1.0, 1.0, 1.0]), strict=True).tolist()
    [0, 0, 0]
    """
    backend = resolve_backend(backend, points)
    points = _points(points)
    radius = _radius(radius, points.shape[0])
    if backend == "cpu" and points.shape[1] == 1:
        return _count_sorted_1d(_as_numpy(points)[:, 0], radius, strict)
    if backend == "cpu" and points.shape[1] <= TREE_MAX_DIM_COUNT:
        return _count_cpu(_as_numpy(points), radius, strict)
    if backend == "cpu":
        return _brute_count_numpy(_as_numpy(points), radius, strict, max_bytes).astype(np.int64)
    dev = _device_of([points], device)
    x = _as_tensor(points, dev)
    r = torch.as_tensor(radius, device=dev)
    n = x.shape[0]
    rows = _chunk_rows(n, 2, max_bytes)
    out = torch.empty(n, dtype=torch.int64, device=dev)
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        out[start:stop] = _count_rows(torch.cdist(x[start:stop], x, p=float("inf")),
                                      r[start:stop], strict)
    return out.cpu().numpy()


def _count_rows(dist: torch.Tensor, radius: torch.Tensor, strict: bool) -> torch.Tensor:
    """Counts per row excluding self (self has distance 0 on the diagonal)."""
    if strict:
        return (dist < radius[:, None]).sum(1) - (radius > 0).long()
    return (dist <= radius[:, None]).sum(1) - 1


def _tree_knn(x: np.ndarray, k: int, p: float,
              indices: bool = True) -> tuple[np.ndarray, np.ndarray | None]:
    """(k+1)-th distance including self (n,) and the k+1 indices (n, k+1) by a k-d tree.

    The points are queried in the tree's own order (leaf by leaf), so consecutive
    queries visit the same nodes and stay in cache (2-4x faster in low dimension for
    n = 1e5), on all cores in small chunks; the answers are put back in the input order.
    Each query's answer depends on that point and the tree only, so the results are
    those of querying in the input order. scipy's cKDTree by default; where only the
    max-norm distances are asked for (``indices=False``) in 6 or more dimensions,
    scikit-learn's KDTree with leaves of 10 points, about 35 % faster there (measured
    at n = 1e4 and 5e4 in 10-D). The k-th distance is one exact number whichever tree
    finds it (max-norm distances are exact); only the choice among tied neighbours may
    differ between the trees, so the indices always come from cKDTree.
    """
    n = len(x)
    if not indices and p == np.inf and x.shape[1] >= 6:
        sk_tree = KDTree(x, leaf_size=10, metric="chebyshev")  # 15-20 % faster than 40 here
        order = np.asarray(sk_tree.get_arrays()[1])
        xs = x[order]
        parts = _parallel(lambda a, b: sk_tree.query(xs[a:b], k=k + 1)[0][:, k], _split(n))
        kth = np.empty(n)
        kth[order] = np.concatenate(parts)
        return kth, None
    tree = cKDTree(x)
    order = tree.indices
    xs = x[order]
    parts = _parallel(lambda a, b: tree.query(xs[a:b], k=k + 1, p=p), _split(n))
    kth = np.empty(n)
    kth[order] = np.concatenate([part[0][:, k] for part in parts])
    neighbours = np.empty((n, k + 1), dtype=parts[0][1].dtype)
    neighbours[order] = np.concatenate([part[1] for part in parts])
    return kth, (neighbours if indices else None)


def _popcount_rows(bits: np.ndarray) -> np.ndarray:
    """Number of set bits in each row of a uint64 array (int64)."""
    if hasattr(np, "bitwise_count"):  # NumPy >= 2.0
        return np.bitwise_count(bits).sum(axis=1, dtype=np.int64)
    return np.unpackbits(bits.view(np.uint8), axis=1).sum(axis=1, dtype=np.int64)


def _count_cpu(x: np.ndarray, radius: np.ndarray, strict: bool) -> np.ndarray:
    """Exact counts (self excluded) in 2 to ``TREE_MAX_DIM_COUNT`` dimensions: bitsets or a tree.

    :func:`_count_bitsets` where it is faster (measured on 1 core with KSG radii: 2.5-3x
    faster than the tree at d = 5 for n = 1e4 and 5e4; slower at n = 5e4 in 2-D) and its
    checkpoints fit in ``BITSET_MAX_BYTES``; else scikit-learn's KDTree. Both are exact.
    """
    n, d = x.shape
    if d >= 4 or n <= 20_000:
        for block in (16, 32, 64, 128):
            if block < 32 and n > 20_000:
                continue
            if d * (n // block + 1) * ((n + 63) // 64) * 8 <= BITSET_MAX_BYTES:
                return _count_bitsets(x, radius, strict, block)
    return _count_tree(x, radius, strict)


def _count_tree(x: np.ndarray, radius: np.ndarray, strict: bool) -> np.ndarray:
    """Exact counts (self excluded) by scikit-learn's KDTree, in tree order, on all cores.

    scikit-learn's KDTree counts whole nodes that lie inside the radius (several times
    faster than scipy's ``query_ball_point``) and compares max-norm distances with
    ``<=`` exactly; the next float below the radius gives the strict ``<``. Queries
    run in the tree's order (``idx_array``: neighbouring queries share nodes) and in
    ``_WORKERS`` threads (``query_radius`` releases the GIL); each count depends on its
    own point and radius only, so neither changes a count.
    """
    n = x.shape[0]
    r = np.maximum(np.nextafter(radius, -np.inf), 0.0) if strict else radius
    tree = KDTree(x, metric="chebyshev")
    order = np.asarray(tree.get_arrays()[1])
    xs, rs = x[order], r[order]
    parts = _parallel(lambda a, b: tree.query_radius(xs[a:b], rs[a:b], count_only=True), _split(n))
    counts = np.empty(n, dtype=np.int64)
    counts[order] = np.concatenate(parts) - 1
    if strict:
        counts[radius <= 0] = 0
    return counts


def _split(n: int) -> list[tuple[int, int]]:
    """(start, stop) ranges of ``_MIN_THREAD_ROWS`` queries covering range(n), for
    :func:`_parallel`: many more ranges than cores, so that a core slowed down by other
    work takes fewer of them (a static split in halves waits for the slower core)."""
    return [(a, min(n, a + _MIN_THREAD_ROWS)) for a in range(0, n, _MIN_THREAD_ROWS)]


def _count_sorted_1d(v: np.ndarray, radius: np.ndarray, strict: bool) -> np.ndarray:
    """Exact 1-D counts by sorting: the same predicate ``|v_j - v_i| < r`` as brute force.

    The neighbours of each point form a contiguous run of the sorted values
    (:func:`_sorted_runs`); the count is its length without the point itself.
    """
    lo, hi = _sorted_runs(v, radius, strict)[1:]
    counts = hi - lo - 1
    if strict:
        counts[radius <= 0] = 0
    return counts


def _sorted_runs(v: np.ndarray, radius: np.ndarray,
                 strict: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sorting permutation and, per point, its run of neighbours in sorted order.

    Returns ``order`` (``v[order]`` is sorted) and ``lo``, ``hi`` of shape (n,) in the
    input order: the points j with ``|v_j - v_i| < radius[i]`` (``<=`` if not
    ``strict``), the point i itself included, are exactly ``order[lo[i]:hi[i]]``
    (empty, with ``hi < lo``, only for a strict radius of 0).

    ``fl(v_j - v_i)`` is monotone in ``v_j``, so these neighbours form a contiguous run
    of the sorted values. ``searchsorted`` on ``v_i +- r`` finds the run's ends up to
    rounding; :func:`_settle` then moves each end across whole groups of equal values
    until the exact predicate holds (one or two steps in practice, for the few ends that
    move at all). The queries run in sorted order (the i-th query is the i-th smallest
    value): consecutive searches then touch the same part of the sorted array, which
    keeps them in cache (several times faster than random order for n = 1e5).
    """
    order = np.argsort(v, kind="stable")
    s = v[order]
    r = radius[order]  # query i (sorted position): the value s[i] with radius r[i]
    hi = np.searchsorted(s, s + r, side="left" if strict else "right")
    lo = np.searchsorted(s, s - r, side="right" if strict else "left")
    _settle(s, r, hi, strict, upper=True)
    _settle(s, r, lo, strict, upper=False)
    lo_in, hi_in = np.empty_like(lo), np.empty_like(hi)
    lo_in[order], hi_in[order] = lo, hi
    return order, lo_in, hi_in


def _settle(s: np.ndarray, r: np.ndarray, end: np.ndarray, strict: bool, *, upper: bool) -> None:
    """Move the run ends ``end`` (in place) of the sorted queries ``s`` to the exact ones.

    ``upper``: ``end[i]`` must become the first position after the run of query i,
    else the first position of the run. Only the ends that still move are revisited.
    """
    n = len(s)
    active = np.arange(n)
    while active.size:
        pos, q, rad = end[active], s[active], r[active]

        def inside(j: np.ndarray, q: np.ndarray = q, rad: np.ndarray = rad) -> np.ndarray:
            ok = (j >= 0) & (j < n)
            d = np.abs(s[np.minimum(np.maximum(j, 0), n - 1)] - q)
            return ok & ((d < rad) if strict else (d <= rad))

        if upper:  # the run ends before pos: grow over s[pos]'s group or shrink to s[pos-1]'s
            grow = inside(pos)
            edge = s[np.maximum(pos - 1, 0)]
            shrink = ~inside(pos - 1) & (pos >= 1) & (edge >= q)
            if grow.any():
                pos[grow] = np.searchsorted(s, s[pos[grow]], side="right")
            if shrink.any():
                pos[shrink] = np.searchsorted(s, edge[shrink], side="left")
        else:  # the run starts at pos: grow over s[pos-1]'s group or shrink past s[pos]'s
            grow = inside(pos - 1)
            edge = s[np.minimum(pos, n - 1)]
            shrink = ~inside(pos) & (pos < n) & (edge <= q)
            if grow.any():
                pos[grow] = np.searchsorted(s, s[pos[grow] - 1], side="left")
            if shrink.any():
                pos[shrink] = np.searchsorted(s, edge[shrink], side="right")
        moved = grow | shrink
        end[active] = pos
        active = active[moved]


def _count_bitsets(x: np.ndarray, radius: np.ndarray, strict: bool, block: int,
                   max_bytes: int = 1 << 20) -> np.ndarray:
    """Exact max-norm counts in a few dimensions from per-coordinate runs and bitsets.

    ``max_c |x_jc - x_ic| < r_i`` holds exactly when ``|x_jc - x_ic| < r_i`` holds in
    every coordinate c (the maximum of exact numbers is exact), and in coordinate c
    the points that satisfy it form a run of that coordinate's sorted order
    (:func:`_sorted_runs`, exact). The count of point i is the size of the
    intersection of its d runs, found with sets of n bits (one bit per point): per
    coordinate, "checkpoint" sets hold the first ``m * block`` points of the sorted
    order for every m, so a run is the XOR of two checkpoints (the whole blocks
    inside it) plus at most ``2 (block - 1)`` bits set one by one at its ends; the
    count is the population count of the AND over coordinates, minus the point itself.
    Integer and bit operations only: the counts are those of the brute force, ties
    included. Work ~ d n^2 / 64 word operations plus d n block bits; memory
    ``d (n / block) n / 8`` bytes of checkpoints.
    """
    n, d = x.shape
    words = (n + 63) // 64
    n_blocks = -(-n // block)
    one = np.uint64(1)
    runs, checkpoints = [], []
    for c in range(d):
        order, lo, hi = _sorted_runs(x[:, c], radius, strict)
        blocks = np.zeros((n_blocks, words), dtype=np.uint64)
        np.bitwise_or.at(blocks.reshape(-1), np.arange(n) // block * words + (order >> 6),
                         np.left_shift(one, (order & 63).astype(np.uint64)))
        check = np.zeros((n_blocks + 1, words), dtype=np.uint64)
        np.bitwise_or.accumulate(blocks, axis=0, out=check[1:])
        del blocks
        runs.append((order, lo, np.maximum(hi, lo)))
        checkpoints.append(check)
    rows = int(max(1, min(n, max_bytes // (8 * words))))

    def work(q0: int, q1: int) -> np.ndarray:
        m = q1 - q0
        acc = np.empty((m, words), dtype=np.uint64)
        part = np.empty((m, words), dtype=np.uint64)
        other = np.empty((m, words), dtype=np.uint64)
        for c, ((order, lo, hi), check) in enumerate(zip(runs, checkpoints, strict=True)):
            a, b = lo[q0:q1], hi[q0:q1]
            first, last = -(-a // block), b // block  # whole blocks first..last-1 lie inside the run
            mask = part if c else acc
            np.take(check, last, axis=0, out=mask)
            np.take(check, first, axis=0, out=other)
            np.bitwise_xor(mask, other, out=mask)
            mask[first > last] = 0
            # the ends: [a, left_end) and [right_start, b), each shorter than a block
            left_end = np.minimum(first * block, b)
            right_start = np.maximum(last * block, left_end)
            lengths = np.concatenate([left_end - a, b - right_start])
            starts = np.concatenate([a, right_start])
            total = int(lengths.sum())
            if total:
                offsets = np.repeat(np.cumsum(lengths) - lengths, lengths)
                positions = np.repeat(starts, lengths) + (np.arange(total) - offsets)
                owner = np.repeat(np.concatenate([np.arange(m), np.arange(m)]), lengths)
                j = order[positions]
                np.bitwise_or.at(mask.reshape(-1), owner * words + (j >> 6),
                                 np.left_shift(one, (j & 63).astype(np.uint64)))
            if c:
                np.bitwise_and(acc, mask, out=acc)
        return _popcount_rows(acc) - 1

    chunks = [(q0, min(n, q0 + rows)) for q0 in range(0, n, rows)]
    counts = np.concatenate(_parallel(work, chunks)) if n >= _MIN_THREAD_ROWS else work(0, n)
    if strict:
        counts[radius <= 0] = 0
    return counts


# ----------------------------------------------------------------- KSG neighbourhoods


def ksg_counts(blocks: Sequence[Points], k: int, subspaces: Sequence[Sequence[int]], *,
               algorithm: str = "ksg1", backend: str = "auto", device: Device = None,
               max_bytes: int = DEFAULT_MAX_BYTES) -> list[np.ndarray]:
    """Marginal neighbour counts of the KSG estimators (Kraskov et al. 2004).

    The joint space is all ``blocks`` side by side with the max-norm. For each point
    the k nearest joint neighbours are found; then, in each subspace (a union of
    blocks), the other points are counted:

    - ``"ksg1"``: distance ``< eps_i``, the k-th joint neighbour distance (algorithm 1);
    - ``"ksg2"``: distance ``<= eps_i^S``, the largest subspace distance among the k
      joint neighbours (algorithm 2).

    Parameters
    ----------
    blocks : sequence of arrays or tensors, each (n, d_b)
    k : int
    subspaces : sequence of tuples of block indices, e.g. ``[(0,), (1,)]`` for MI or
        ``[(0, 2), (1, 2), (2,)]`` for conditional MI.
    algorithm : {"ksg1", "ksg2"}
    backend, device, max_bytes
        As in :func:`kth_neighbor_distance`.

    Returns
    -------
    list of ndarray of shape (n,), int64, one per subspace

    Examples
    --------
    >>> import numpy as np
    >>> x = np.arange(5.0)[:, None]
    >>> [c.tolist() for c in ksg_counts([x, x], 1, [(0,), (1,)])]
    [[0, 0, 0, 0, 0], [0, 0, 0, 0, 0]]
    """
    if algorithm not in ("ksg1", "ksg2"):
        raise ValueError(f"algorithm: expected 'ksg1' or 'ksg2', got {algorithm!r}")
    backend = resolve_backend(backend, *blocks)
    k = check_int(k, "k", minimum=1)
    if isinstance(blocks, (str, bytes)) or len(blocks) == 0:
        raise ValueError("blocks: expected a non-empty sequence of arrays")
    blocks = [_points(b, f"blocks[{i}]") for i, b in enumerate(blocks)]
    n = blocks[0].shape[0]
    for i, b in enumerate(blocks):
        if b.shape[0] != n:
            raise ValueError(f"blocks[{i}]: has {b.shape[0]} samples but blocks[0] has {n}")
    if k >= n:
        raise ValueError(f"k: must be smaller than the number of samples ({n}), got {k}")
    subspaces = [tuple(sub) for sub in subspaces]
    if not subspaces or any(not sub or not all(isinstance(b, int) and 0 <= b < len(blocks) for b in sub)
                            for sub in subspaces):
        raise ValueError(f"subspaces: expected non-empty tuples of block indices in [0, {len(blocks)}), "
                         f"got {subspaces}")
    joint_dim = sum(b.shape[1] for b in blocks)
    if backend == "cpu" and joint_dim <= TREE_MAX_DIM_KNN:
        return _ksg_counts_tree([_as_numpy(b) for b in blocks], k, subspaces, algorithm)
    if backend == "cpu":
        counts = _brute_ksg_numpy([_as_numpy(b) for b in blocks], k, subspaces, algorithm, max_bytes)
        return [c.astype(np.int64) for c in counts]
    dev = _device_of(blocks, device)
    tensors = [_as_tensor(b, dev) for b in blocks]
    rows = _chunk_rows(n, len(blocks) + len(subspaces) + 2, max_bytes)
    outs = [torch.empty(n, dtype=torch.int64, device=dev) for _ in subspaces]
    for start in range(0, n, rows):
        stop = min(n, start + rows)
        per_block = [torch.cdist(t[start:stop], t, p=float("inf")) for t in tensors]
        joint = per_block[0].clone()
        for dist in per_block[1:]:
            torch.maximum(joint, dist, out=joint)
        _blank_self(joint, start)
        values, index = joint.topk(k, dim=1, largest=False)
        del joint
        for out, sub in zip(outs, subspaces, strict=True):
            dist = per_block[sub[0]]
            for b in sub[1:]:
                dist = torch.maximum(dist, per_block[b])
            if algorithm == "ksg1":
                out[start:stop] = _count_rows(dist, values[:, -1], strict=True)
            else:
                radius = dist.gather(1, index).max(1).values
                out[start:stop] = _count_rows(dist, radius, strict=False)
    return [o.cpu().numpy() for o in outs]


def _ksg_counts_tree(blocks: list[np.ndarray], k: int, subspaces: Sequence[Sequence[int]],
                     algorithm: str) -> list[np.ndarray]:
    joint = np.hstack(blocks)
    n = joint.shape[0]
    eps, index = _tree_knn(joint, k, np.inf, indices=algorithm == "ksg2")
    if algorithm == "ksg2":
        index = _drop_self(index, k)
    counts = []
    for sub in subspaces:
        pts = np.hstack([blocks[b] for b in sub]) if len(sub) > 1 else blocks[sub[0]]
        if algorithm == "ksg1":
            radius, strict = eps, True
        else:
            radius, strict = np.abs(pts[index] - pts[:, None, :]).max(axis=(1, 2)), False
        counts.append(_count_sorted_1d(pts[:, 0], radius, strict) if pts.shape[1] == 1
                      else _count_cpu(pts, radius, strict))
    assert all(len(c) == n for c in counts)
    return counts


def _drop_self(index: np.ndarray, k: int) -> np.ndarray:
    """The k neighbours among k+1 returned, without the point itself."""
    n = index.shape[0]
    is_self = index == np.arange(n)[:, None]
    missing = ~is_self.any(axis=1)  # self hidden among duplicates: drop the farthest
    is_self[missing, -1] = True
    return index[~is_self].reshape(n, k)


# ------------------------------------------------- CPU brute force: float32 + exact check
#
# On the CPU the max-norm distances of a chunk of rows to all points are computed in
# float32, dimension by dimension with vectorised NumPy ufuncs (about 3x faster than
# torch.cdist in float64). Every decision is then made exactly: float32 distances are
# within ``tol`` of the float64 ones (rounding of the inputs and of one subtraction,
# <= 2^-22 of the data's magnitude; tol is 16x that), so a pair is decided in float32
# when it lies farther than tol from the threshold and re-computed in float64 otherwise
# (rare). The counts are therefore exactly those of the float64 backends.


def _tolerance(blocks64: Sequence[np.ndarray]) -> float:
    scale = max(float(np.abs(b).max()) for b in blocks64)
    return 2.0**-18 * max(scale, np.finfo(np.float64).tiny)


def _max_distances(rows: np.ndarray, columns_t: np.ndarray, tile: int = 4096) -> np.ndarray:
    """``max_d |rows[i, d] - columns_t[d, j]|`` as a (len(rows), n) array, rows' dtype.

    Column tiles keep the working set in cache while looping over dimensions.
    """
    n = columns_t.shape[1]
    dist = np.empty((rows.shape[0], n), dtype=rows.dtype)
    tmp = np.empty((rows.shape[0], min(tile, n)), dtype=rows.dtype)
    for c0 in range(0, n, tile):
        c1 = min(n, c0 + tile)
        out, scratch = dist[:, c0:c1], tmp[:, :c1 - c0]
        np.subtract(rows[:, 0:1], columns_t[0:1, c0:c1], out=out)
        np.abs(out, out=out)
        for j in range(1, rows.shape[1]):
            np.subtract(rows[:, j:j + 1], columns_t[j:j + 1, c0:c1], out=scratch)
            np.abs(scratch, out=scratch)
            np.maximum(out, scratch, out=out)
    return dist


def _max_of(arrays: Sequence[np.ndarray]) -> np.ndarray:
    if len(arrays) == 1:
        return arrays[0].copy()
    out = np.maximum(arrays[0], arrays[1])
    for a in arrays[2:]:
        np.maximum(out, a, out=out)
    return out


def _exact_pairs(blocks64: Sequence[np.ndarray], rows: np.ndarray, cols: np.ndarray) -> np.ndarray:
    """Float64 max-norm distances of the pairs (rows[i], cols[i]) over the given blocks."""
    out = np.zeros(len(rows))
    for b in blocks64:
        np.maximum(out, np.abs(b[rows] - b[cols]).max(axis=1), out=out)
    return out


def _exact_knn_chunk(joint32: np.ndarray, start: int, k: int, tol: float,
                     blocks64: Sequence[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Exact k nearest neighbours (float64 order) of rows start.. from float32 distances.

    Returns the k-th exact distance (rows,) and the neighbours' columns (rows, k).
    """
    rows_n, n = joint32.shape
    # An upper bound of each row's k-th distance from a strided subset of the columns
    # (the k-th smallest of a subset is never below the k-th smallest of all); every
    # true k-nearest neighbour then has a float32 distance <= bound + 2 tol.
    stride = max(1, n // 1024)
    subset = joint32[:, ::stride]
    bound = np.partition(subset, k - 1, axis=1)[:, k - 1] if subset.shape[1] > k else np.full(rows_n, np.inf)
    limit = (bound.astype(np.float64) + 2 * tol).astype(np.float32)
    flat = np.flatnonzero(joint32 <= limit[:, None])
    if len(flat) > rows_n * max(256, 16 * k):  # a poor bound: select exactly
        index = np.argpartition(joint32, k - 1, axis=1)[:, :k]
        kth = np.take_along_axis(joint32, index, 1).max(axis=1)
        flat = np.flatnonzero(joint32 <= (kth.astype(np.float64) + 2 * tol).astype(np.float32)[:, None])
    r, c = np.divmod(flat, n)
    exact = _exact_pairs(blocks64, r + start, c)
    order = np.lexsort((c, exact, r))
    r, c, exact = r[order], c[order], exact[order]
    first = np.searchsorted(r, np.arange(rows_n))
    take = first[:, None] + np.arange(k)
    return exact[take[:, -1]], c[take]


def _exact_count_chunk(dist32: np.ndarray, start: int, radius: np.ndarray, strict: bool, tol: float,
                       blocks64: Sequence[np.ndarray], known: np.ndarray | None = None,
                       known_exact: np.ndarray | None = None) -> np.ndarray:
    """Exact counts of ``dist < radius`` (or <=) per row from float32 distances (self = inf).

    ``known`` (rows, k) are columns whose exact distances ``known_exact`` are at hand (the
    k-NN, one of which usually sits exactly at the radius); band pairs among them are
    decided without scanning the row again.
    """
    low = (radius - tol).astype(np.float32)[:, None]
    high = (radius + tol).astype(np.float32)[:, None]
    counts = np.count_nonzero(dist32 < low, axis=1)
    band = np.count_nonzero(dist32 <= high, axis=1) - counts
    if known is not None:
        known32 = np.take_along_axis(dist32, known, 1)
        in_band = (known32 >= low) & (known32 <= high)
        inside = known_exact < radius[:, None] if strict else known_exact <= radius[:, None]
        counts = counts + np.count_nonzero(in_band & inside, axis=1)
        band = band - np.count_nonzero(in_band, axis=1)
        if not band.any():
            return counts
        known_counts = np.count_nonzero(in_band & inside, axis=1)
    unsure = np.flatnonzero(band > 0)
    if unsure.size:
        rows = dist32[unsure]
        r, c = np.nonzero((rows >= low[unsure]) & (rows <= high[unsure]))
        r = unsure[r]
        exact = _exact_pairs(blocks64, r + start, c)
        inside = exact < radius[r] if strict else exact <= radius[r]
        if known is not None:  # these rows are recounted in full
            counts[unsure] -= known_counts[unsure]
        counts += np.bincount(r[inside], minlength=len(counts))
    return counts


def _chunks(n: int, arrays_per_row: int, max_bytes: int) -> list[tuple[int, int]]:
    rows = int(min(_MAX_ROWS, max(4, max_bytes // max(1, 4 * n * arrays_per_row))))
    rows = min(rows, max(4, -(-n // (4 * _WORKERS))))  # enough chunks to keep the cores busy
    return [(s, min(n, s + rows)) for s in range(0, n, rows)]


_WORKERS = os.cpu_count() or 1
_MAX_ROWS = 32
_MIN_THREAD_ROWS = 2048
_T = TypeVar("_T")


def _parallel(fn: Callable[[int, int], _T], chunks: list[tuple[int, int]]) -> list[_T]:
    if _WORKERS == 1 or len(chunks) == 1:
        return [fn(*c) for c in chunks]
    with ThreadPoolExecutor(_WORKERS) as pool:  # NumPy ufuncs release the GIL
        return list(pool.map(lambda c: fn(*c), chunks))


def _brute_ksg_numpy(blocks64: list[np.ndarray], k: int, subspaces: Sequence[Sequence[int]], algorithm: str,
                     max_bytes: int) -> list[np.ndarray]:
    n = blocks64[0].shape[0]
    tol = _tolerance(blocks64)
    b32 = [b.astype(np.float32) for b in blocks64]
    t32 = [np.ascontiguousarray(b.T) for b in b32]

    def work(start: int, stop: int) -> list[np.ndarray]:
        per_block = [_max_distances(b[start:stop], t) for b, t in zip(b32, t32, strict=True)]
        joint = _max_of(per_block)
        diag = (np.arange(stop - start), np.arange(start, stop))
        joint[diag] = np.inf
        for dist in per_block:
            dist[diag] = np.inf
        eps, neighbours = _exact_knn_chunk(joint, start, k, tol, blocks64)
        del joint
        rows = np.repeat(np.arange(start, stop), k)
        out = []
        for sub in subspaces:
            dist = per_block[sub[0]] if len(sub) == 1 else _max_of([per_block[b] for b in sub])
            sub64 = [blocks64[b] for b in sub]
            known = _exact_pairs(sub64, rows, neighbours.ravel()).reshape(-1, k)
            if algorithm == "ksg1":
                out.append(_exact_count_chunk(dist, start, eps, True, tol, sub64, neighbours, known))
            else:
                out.append(_exact_count_chunk(dist, start, known.max(axis=1), False, tol, sub64,
                                              neighbours, known))
        return out

    parts = _parallel(work, _chunks(n, len(blocks64) + len(subspaces) + 3, max_bytes))
    return [np.concatenate([p[i] for p in parts]) for i in range(len(subspaces))]


def _brute_rows_numpy(x64: np.ndarray, max_bytes: int,
                      finish: Callable[[np.ndarray, int, int, float], np.ndarray]) -> np.ndarray:
    """Max-norm distances of row chunks to all points (self excluded), each passed to
    ``finish(dist32, start, stop, tol)``; the chunk results concatenated."""
    n = x64.shape[0]
    tol = _tolerance([x64])
    x32 = x64.astype(np.float32)
    t32 = np.ascontiguousarray(x32.T)

    def work(start: int, stop: int) -> np.ndarray:
        dist = _max_distances(x32[start:stop], t32)
        dist[np.arange(stop - start), np.arange(start, stop)] = np.inf
        return finish(dist, start, stop, tol)

    return np.concatenate(_parallel(work, _chunks(n, 3, max_bytes)))


def _brute_knn_numpy(x64: np.ndarray, k: int, max_bytes: int) -> np.ndarray:
    return _brute_rows_numpy(
        x64, max_bytes, lambda dist, start, stop, tol: _exact_knn_chunk(dist, start, k, tol, [x64])[0])


def _brute_count_numpy(x64: np.ndarray, radius: np.ndarray, strict: bool, max_bytes: int) -> np.ndarray:
    def finish(dist: np.ndarray, start: int, stop: int, tol: float) -> np.ndarray:
        return _exact_count_chunk(dist, start, radius[start:stop], strict, tol, [x64])

    return _brute_rows_numpy(x64, max_bytes, finish)
