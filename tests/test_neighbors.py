"""Neighbour search: both backends against a NumPy brute force, and against each other."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from infoplane.estimators import neighbors
from infoplane.estimators.neighbors import count_within, ksg_counts, kth_neighbor_distance, resolve_backend

BACKENDS = ["cpu", "torch"]


def brute_max_distances(x: np.ndarray) -> np.ndarray:
    return np.abs(x[:, None, :] - x[None, :, :]).max(-1)


def tied_points(rng, n, d):
    """Coarsely rounded points: many exact ties in every coordinate and in distances."""
    return np.round(rng.standard_normal((n, d)) * 2.0) / 2.0 + rng.integers(0, 2, (n, d)) * 0.1


@pytest.fixture(params=[True, False], ids=["trees", "brute"])
def cpu_path(request, monkeypatch):
    """Run the CPU backend once with its k-d tree / sort paths and once fully brute force."""
    if not request.param:
        monkeypatch.setattr(neighbors, "TREE_MAX_DIM_KNN", 0)
        monkeypatch.setattr(neighbors, "TREE_MAX_DIM_COUNT", 0)
    return request.param


@pytest.mark.parametrize("d", [1, 2, 3, 6])
@pytest.mark.parametrize("strict", [True, False])
def test_count_within_matches_brute_force_with_ties(d, strict, cpu_path):
    rng = np.random.default_rng(d)
    x = tied_points(rng, 300, d)
    dist = brute_max_distances(x)
    # radii equal to actual pairwise distances: the worst case for < versus <=
    radius = dist[np.arange(300), rng.integers(0, 300, 300)]
    inside = dist < radius[:, None] if strict else dist <= radius[:, None]
    self_counted = (radius > 0) if strict else np.ones(300, bool)
    expected = inside.sum(1) - self_counted
    for backend in BACKENDS:
        np.testing.assert_array_equal(count_within(x, radius, strict=strict, backend=backend), expected)


@given(values=st.lists(st.floats(-1e3, 1e3, allow_nan=False, width=32), min_size=2, max_size=40),
       pick=st.integers(0, 10**6), strict=st.booleans())
def test_sorted_1d_counts_are_exact(values, pick, strict):
    """The sort-and-search path uses the exact predicate even where v +- r rounds."""
    x = np.array(values)[:, None]
    dist = brute_max_distances(x)
    n = len(x)
    radius = dist[np.arange(n), (pick + np.arange(n)) % n]
    inside = dist < radius[:, None] if strict else dist <= radius[:, None]
    expected = inside.sum(1) - ((radius > 0) if strict else 1)
    np.testing.assert_array_equal(count_within(x, radius, strict=strict, backend="cpu"), expected)


@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize("d", [1, 4, 12])
def test_kth_neighbor_distance_matches_brute_force(metric, d, cpu_path):
    rng = np.random.default_rng(10 + d)
    x = rng.standard_normal((200, d))
    if metric == "max":
        dist = brute_max_distances(x)
    else:
        dist = np.sqrt(((x[:, None, :] - x[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(dist, np.inf)
    expected = np.sort(dist, axis=1)[:, 2]
    for backend in BACKENDS:
        got = kth_neighbor_distance(x, 3, metric=metric, backend=backend)
        if metric == "max":  # exact arithmetic: bit-identical
            np.testing.assert_array_equal(got, expected)
        else:  # Euclidean sums in a different order: equal to rounding
            np.testing.assert_allclose(got, expected, rtol=1e-12)


def reference_ksg_counts(blocks, k, subspaces, algorithm):
    """Textbook KSG counting with full distance matrices."""
    per_block = [brute_max_distances(b) for b in blocks]
    joint = np.maximum.reduce(per_block)
    np.fill_diagonal(joint, np.inf)
    order = np.argsort(joint, axis=1, kind="stable")[:, :k]
    eps = np.take_along_axis(joint, order, 1)[:, -1]
    out = []
    for sub in subspaces:
        dist = np.maximum.reduce([per_block[b] for b in sub])
        np.fill_diagonal(dist, np.inf)
        if algorithm == "ksg1":
            out.append((dist < eps[:, None]).sum(1))
        else:
            radius = np.take_along_axis(dist, order, 1).max(1)
            out.append((dist <= radius[:, None]).sum(1))
    return out


@pytest.mark.parametrize("algorithm", ["ksg1", "ksg2"])
@pytest.mark.parametrize("dims", [(1, 1), (2, 3), (5, 5), (1, 1, 2)])
def test_ksg_counts_backends_identical_and_correct(algorithm, dims, cpu_path):
    rng = np.random.default_rng(sum(dims))
    base = rng.standard_normal((400, 1))
    blocks = [base + rng.standard_normal((400, d)) for d in dims]
    subspaces = [(i,) for i in range(len(dims))] + ([(0, 2), (1, 2)] if len(dims) == 3 else [])
    expected = reference_ksg_counts(blocks, 4, subspaces, algorithm)
    cpu = ksg_counts(blocks, 4, subspaces, algorithm=algorithm, backend="cpu")
    gpu_style = ksg_counts([torch.from_numpy(b) for b in blocks], 4, subspaces, algorithm=algorithm,
                           backend="torch", max_bytes=50_000)  # many small chunks
    for e, c, t in zip(expected, cpu, gpu_style, strict=True):
        np.testing.assert_array_equal(c, e)
        np.testing.assert_array_equal(t, e)


def test_auto_backend_and_bad_arguments():
    assert resolve_backend("auto", np.zeros((2, 1)), torch.zeros(2, 1)) == "cpu"
    with pytest.raises(ValueError, match=r"^backend:"):
        resolve_backend("gpu", np.zeros((2, 1)))
    with pytest.raises(ValueError, match=r"^k: must be smaller"):
        kth_neighbor_distance(np.zeros((3, 1)), 3)
    with pytest.raises(ValueError, match=r"^k: expected an integer"):
        kth_neighbor_distance(np.zeros((3, 1)), 1.5)
    with pytest.raises(ValueError, match=r"^metric:"):
        kth_neighbor_distance(np.arange(4.0), 1, metric="cosine")
    with pytest.raises(ValueError, match=r"^algorithm:"):
        ksg_counts([np.arange(4.0)[:, None]] * 2, 1, [(0,)], algorithm="ksg3")


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("algorithm", ["ksg1", "ksg2"])
def test_cuda_counts_equal_cpu_counts(algorithm):
    # continuous data: no ties at the k-th distance, so even algorithm 2's choice of
    # neighbours is unique; the k-th distances themselves agree with ties too
    rng = np.random.default_rng(40)
    base = rng.standard_normal((2000, 1))
    blocks = [base + rng.standard_normal((2000, 2)), base + rng.standard_normal((2000, 3))]
    cpu = ksg_counts(blocks, 4, [(0,), (1,)], algorithm=algorithm, backend="cpu")
    cuda = ksg_counts([torch.from_numpy(b).cuda() for b in blocks], 4, [(0,), (1,)], algorithm=algorithm)
    for c, g in zip(cpu, cuda, strict=True):
        np.testing.assert_array_equal(g, c)
    x = tied_points(rng, 2000, 3)
    np.testing.assert_array_equal(kth_neighbor_distance(torch.from_numpy(x).cuda(), 3),
                                  kth_neighbor_distance(x, 3, backend="cpu"))


# ---------------------------------------------------------------- issue 12 regressions


def test_bad_points_radii_and_blocks_are_named():
    # issue 12, items 6 and 9: complex points were made real; 1-D points, radii of the
    # wrong length and blocks of different lengths raised IndexError / torch errors
    x = np.random.default_rng(0).standard_normal((20, 2))
    with pytest.raises(ValueError, match=r"^points: expected real numbers"):
        kth_neighbor_distance(x + 1j, 1)
    with pytest.raises(ValueError, match=r"^points: expected real numbers"):
        count_within(torch.tensor(x) + 1j, 1.0, strict=True)
    with pytest.raises(ValueError, match=r"^radius: expected real numbers"):
        count_within(x, np.ones(20) + 1j, strict=True)
    with pytest.raises(ValueError, match=r"^radius: expected a number or shape \(20,\)"):
        count_within(x, np.ones(19), strict=True)
    with pytest.raises(ValueError, match=r"^radius: expected radii >= 0"):
        count_within(x, -1.0, strict=True)
    with pytest.raises(ValueError, match=r"^blocks\[1\]: expected real numbers"):
        ksg_counts([x, x + 1j], 1, [(0,), (1,)])
    with pytest.raises(ValueError, match=r"^blocks\[1\]: has 10 samples but blocks\[0\] has 20"):
        ksg_counts([x, x[:10]], 1, [(0,), (1,)])
    with pytest.raises(ValueError, match=r"^subspaces: expected non-empty tuples of block indices"):
        ksg_counts([x], 1, [(1,)])
    with pytest.raises(ValueError, match=r"^points: contains NaN"):
        kth_neighbor_distance(np.array([[0.0], [np.nan], [1.0]]), 1)
    # 1-D points are one column; ints and bfloat16 tensors are cast
    assert kth_neighbor_distance(np.array([0.0, 1.0, 3.0]), 1).tolist() == [1.0, 1.0, 2.0]
    assert kth_neighbor_distance(np.array([0, 1, 3]), 1).tolist() == [1.0, 1.0, 2.0]
    bf16 = torch.tensor([[0.0], [1.0], [3.0]]).bfloat16()
    assert kth_neighbor_distance(bf16, 1).tolist() == [1.0, 1.0, 2.0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error where CUDA is missing")
def test_unavailable_device_is_named():
    with pytest.raises(ValueError, match=r"^device: 'cuda' was asked for but CUDA is not available"):
        kth_neighbor_distance(np.arange(5.0)[:, None], 1, backend="torch", device="cuda")


# ------------------------------------------------------- issue 15, item 7: faster exact counts


def brute_counts(x, radius, strict):
    """O(n^2) reference: other points at max-norm distance < radius (<= if not strict)."""
    dist = brute_max_distances(x)
    inside = dist < radius[:, None] if strict else dist <= radius[:, None]
    return inside.sum(1) - ((radius > 0) if strict else 1)


def hard_radii(rng, x):
    """Radii equal to actual pairwise distances (the worst case for < versus <=), some 0."""
    n = len(x)
    radius = brute_max_distances(x)[np.arange(n), rng.integers(0, n, n)]
    radius[rng.random(n) < 0.05] = 0.0
    return radius


@pytest.mark.parametrize("block", [1, 3, 16, 64, 128])
@pytest.mark.parametrize("d", [2, 5])
@pytest.mark.parametrize("strict", [True, False])
@pytest.mark.parametrize("data", ["ties", "duplicates", "continuous"])
def test_bitset_counts_equal_brute_force(block, d, strict, data, monkeypatch):
    rng = np.random.default_rng(block + 10 * d)
    n = 203  # not a multiple of 64 nor of the blocks: partial words and blocks
    if data == "ties":
        x = tied_points(rng, n, d)
    elif data == "duplicates":
        x = np.repeat(rng.standard_normal((n // 3 + 1, d)), 3, axis=0)[:n]
    else:
        x = rng.standard_normal((n, d))
    radius = hard_radii(rng, x)
    expected = brute_counts(x, radius, strict)
    monkeypatch.setattr(neighbors, "_MIN_THREAD_ROWS", 16)  # many chunks on all threads
    np.testing.assert_array_equal(neighbors._count_bitsets(x, radius, strict, block, max_bytes=8 * 4 * 13),
                                  expected)
    np.testing.assert_array_equal(neighbors._count_tree(x, radius, strict), expected)


@pytest.mark.parametrize("strict", [True, False])
def test_sorted_runs_are_the_exact_neighbour_sets(strict):
    rng = np.random.default_rng(3)
    v = np.round(rng.standard_normal(300), 1)  # groups of equal values
    radius = hard_radii(rng, v[:, None])
    order, lo, hi = neighbors._sorted_runs(v, radius, strict)
    d = np.abs(v[None, :] - v[:, None])
    inside = d < radius[:, None] if strict else d <= radius[:, None]
    for i in range(len(v)):
        members = np.zeros(len(v), bool)
        members[order[lo[i]:hi[i]]] = True
        np.testing.assert_array_equal(members, inside[i])


def test_cpu_count_paths_agree_at_moderate_size(monkeypatch):
    # n above the thread chunk size, ties in every coordinate: bitsets (chosen up to n =
    # 2e4), the k-d tree and the torch brute force give the same counts
    monkeypatch.setattr(neighbors, "_MIN_THREAD_ROWS", 256)
    rng = np.random.default_rng(7)
    x = tied_points(rng, 1500, 5)
    radius = hard_radii(rng, x) / 4  # smaller radii, as KSG's: still exact distances / 4
    for strict in (True, False):
        expected = count_within(torch.from_numpy(x), radius, strict=strict, backend="torch")
        np.testing.assert_array_equal(count_within(x, radius, strict=strict, backend="cpu"), expected)
        np.testing.assert_array_equal(neighbors._count_tree(x, radius, strict), expected)
        np.testing.assert_array_equal(neighbors._count_bitsets(x, radius, strict, 32), expected)


@pytest.mark.parametrize("algorithm", ["ksg1", "ksg2"])
def test_ksg_counts_with_ties_equal_textbook_counts(algorithm, monkeypatch):
    # the joint k-NN queried in tree order on threads and the bitset marginal counts
    monkeypatch.setattr(neighbors, "_MIN_THREAD_ROWS", 64)
    rng = np.random.default_rng(11)
    base = np.round(rng.standard_normal((500, 1)), 1)
    blocks = [base + np.round(rng.standard_normal((500, d)), 1) for d in (1, 4, 2)]
    subspaces = [(0,), (1,), (2,), (0, 2), (1, 2)]
    expected = reference_ksg_counts(blocks, 3, subspaces, "ksg1")
    for e, c in zip(expected, ksg_counts(blocks, 3, subspaces, algorithm="ksg1", backend="cpu"), strict=True):
        np.testing.assert_array_equal(c, e)
    if algorithm == "ksg2":  # continuous data: the k nearest are unique, so are the radii
        blocks = [base + rng.standard_normal((500, d)) for d in (1, 4, 2)]
        expected = reference_ksg_counts(blocks, 3, subspaces, "ksg2")
        got = ksg_counts(blocks, 3, subspaces, algorithm="ksg2", backend="cpu")
        for e, c in zip(expected, got, strict=True):
            np.testing.assert_array_equal(c, e)
