"""Iterative IB / DIB: limits, bounds, monotone curves and objectives, determinism of DIB;
the DIB against exhaustive search over every partition of X, the IB against many restarts,
both against dit."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import pmfs

from infoplane.data import twelve_bit_task
from infoplane.info import (
    Distribution,
    entropy,
    examples,
    ib_curve,
    information_bottleneck,
    mutual_information,
)
from infoplane.info.ib import _Problem, plot_ib_curve

matplotlib.use("Agg")
BETAS = np.geomspace(0.3, 1000.0, 16)


def dirichlet_pxy(seed, nx=6, ny=3, concentration=0.5):
    return np.random.default_rng(seed).dirichlet(np.full(nx * ny, concentration)).reshape(nx, ny)


@pytest.fixture(scope="module")
def twelve_bit_pxy():
    _, y = twelve_bit_task()
    pxy = np.zeros((4096, 2))
    pxy[np.arange(4096), y.numpy()] = 1.0 / 4096  # uniform x, deterministic label
    return pxy


@pytest.fixture(scope="module", params=[1.0, 0.0], ids=["IB", "DIB"])
def curve(request):
    return request.param, ib_curve(dirichlet_pxy(0), BETAS, alpha=request.param, restarts=2, base=2)


def test_small_beta_gives_origin(curve):
    alpha, records = curve
    first = records[0]
    assert first["beta"] == BETAS[0] < 1.0
    assert first["i_xz"] == pytest.approx(0.0, abs=1e-6)
    assert first["i_zy"] == pytest.approx(0.0, abs=1e-6)
    r0 = information_bottleneck(dirichlet_pxy(1), beta=0.0, alpha=alpha, seed=3)
    assert r0["i_xz"] == pytest.approx(0.0, abs=1e-9) and r0["i_zy"] == pytest.approx(0.0, abs=1e-9)


def test_curve_obeys_information_bounds(curve):
    _, records = curve
    d = Distribution(dirichlet_pxy(0), "XY")
    i_xy = mutual_information(d, "X", "Y", base=2)
    for r in records:
        assert r["i_xy"] == pytest.approx(i_xy)
        assert r["i_zy"] <= i_xy + 1e-9
        assert r["i_zy"] <= r["i_xz"] + 1e-9
        assert r["i_xz"] <= r["h_z"] + 1e-9
        assert r["i_xz"] <= entropy(d, "X", base=2) + 1e-9


def test_curve_is_monotone_and_approaches_relevant_information(curve):
    _, records = curve
    i_xt = np.array([r["i_xz"] for r in records])
    i_ty = np.array([r["i_zy"] for r in records])
    assert np.all(np.diff(i_xt) >= -1e-6)
    assert np.all(np.diff(i_ty) >= -1e-6)
    assert i_ty[-1] == pytest.approx(records[-1]["i_xy"], rel=2e-2)


@given(pmfs(n_variables=2, min_outcomes=2, max_outcomes=5), st.integers(0, 2**32 - 1),
       st.sampled_from([1.0, 0.5, 0.0]), st.floats(0.5, 30.0))
def test_objective_never_increases_over_iterations(pxy, seed, alpha, beta):
    r = information_bottleneck(pxy, beta=beta, alpha=alpha, seed=seed, max_iter=200)
    h = r["history"]
    assert np.all(np.diff(h) <= 1e-10 * max(1.0, abs(h[0])))
    # the recorded objective, recomputed from the returned encoder with the exact measures
    # (clusters with q(t) = 0 were dropped from the encoder; they carry no probability)
    joint = Distribution(pxy, "XY").add_channel(r["encoder"] / r["encoder"].sum(1, keepdims=True), "X", "Z")
    h_z, h_z_x = entropy(joint, "Z"), entropy(joint, "Z", given="X")
    assert r["h_z"] == pytest.approx(h_z, abs=1e-9)
    assert r["h_z_given_x"] == pytest.approx(h_z_x, abs=1e-9)
    assert r["i_zy"] == pytest.approx(mutual_information(joint, "Z", "Y"), abs=1e-9)
    assert h[-1] == pytest.approx(h_z - alpha * h_z_x - beta * mutual_information(joint, "Z", "Y"), abs=1e-9)


def test_dib_encoders_are_deterministic():
    records = ib_curve(dirichlet_pxy(3), BETAS, alpha=0.0, restarts=2, base=2)
    assert records[0]["n_clusters"] == 1 and records[-1]["n_clusters"] > 2
    for r in records:
        enc = r["encoder"]
        assert np.all((enc == 0.0) | (enc == 1.0))
        assert np.all(enc.sum(1) == 1.0)
        assert r["h_z_given_x"] == pytest.approx(0.0, abs=1e-12)
        assert r["i_xz"] == pytest.approx(r["h_z"], abs=1e-12)


def test_ib_fixed_point_is_self_consistent():
    pxy = dirichlet_pxy(2)
    r = information_bottleneck(pxy, beta=5.0, tol=1e-12, max_iter=5000, seed=1)
    assert r["converged"]
    prob = _Problem(pxy)
    enc = r["encoder"]
    assert np.allclose(prob.step(enc, 5.0, 1.0), enc, atol=1e-8)
    # the returned I(X;T) is the mutual information of p(x) q(t|x)
    joint = Distribution(pxy, "XY").add_channel(enc, "X", "Z")
    assert r["i_xz"] == pytest.approx(mutual_information(joint, "X", "Z"), abs=1e-12)
    assert r["i_zy"] == pytest.approx(mutual_information(joint, "Z", "Y"), abs=1e-12)
    assert r["h_z"] == pytest.approx(entropy(joint, "Z"), abs=1e-12)
    assert r["i_xy"] == pytest.approx(mutual_information(joint, "X", "Y"), abs=1e-12)


@pytest.mark.parametrize("alpha", [1.0, 0.0])
def test_twelve_bit_task_reaches_minimal_sufficient_statistic(twelve_bit_pxy, alpha):
    records = ib_curve(twelve_bit_pxy, [0.5, 20.0], alpha=alpha, n_clusters=4, restarts=1, base=2)
    h_y = entropy(Distribution(twelve_bit_pxy, "XY"), "Y", base=2)
    low, high = records
    assert low["i_xz"] == pytest.approx(0.0, abs=1e-6)
    # y is a function of x: the optimum keeps exactly the label, I(X;T) = I(T;Y) = H(Y)
    assert high["i_zy"] == pytest.approx(h_y, abs=1e-6)
    assert high["i_xz"] == pytest.approx(h_y, abs=1e-6)
    assert high["n_clusters"] == 2


def test_deterministic_problem_from_docstring():
    r = information_bottleneck(np.array([[0.3, 0.0], [0.2, 0.0], [0.0, 0.5]]), beta=10.0, alpha=0.0, base=2)
    assert r["n_clusters"] == 2 and r["i_zy"] == pytest.approx(1.0)


def test_same_seed_same_result_and_results_in_given_order():
    pxy = dirichlet_pxy(4)
    a = ib_curve(pxy, [10.0, 1.0, 3.0], seed=7)
    b = ib_curve(pxy, [10.0, 1.0, 3.0], seed=7)
    assert [r["beta"] for r in a] == [10.0, 1.0, 3.0]
    assert all(np.array_equal(x["encoder"], y["encoder"]) for x, y in zip(a, b, strict=True))


def test_bad_arguments_raise_value_errors():
    pxy = dirichlet_pxy(0)
    with pytest.raises(ValueError, match=r"^pxy: probabilities must sum to 1"):
        ib_curve(pxy * 2, [1.0])
    with pytest.raises(ValueError, match=r"^pxy: expected a 2-D joint pmf"):
        ib_curve(pxy.ravel(), [1.0])
    with pytest.raises(ValueError, match=r"^pxy: expected a distribution of two variables"):
        ib_curve(examples.xor(), [1.0])
    with pytest.raises(ValueError, match=r"^betas: expected a value >= 0"):
        ib_curve(pxy, [-1.0])
    with pytest.raises(ValueError, match=r"^betas: expected at least one value"):
        ib_curve(pxy, [])
    with pytest.raises(ValueError, match=r"^beta:"):
        information_bottleneck(pxy, -1.0)
    with pytest.raises(ValueError, match=r"^alpha:"):
        ib_curve(pxy, [1.0], alpha=-0.5)
    with pytest.raises(ValueError, match=r"^n_clusters:"):
        ib_curve(pxy, [1.0], n_clusters=0)
    with pytest.raises(ValueError, match=r"^restarts:"):
        ib_curve(pxy, [1.0], restarts=0, anneal=False)
    with pytest.raises(ValueError, match=r"^tol:"):
        ib_curve(pxy, [1.0], tol=0.0)
    with pytest.raises(ValueError, match=r"^max_iter:"):
        information_bottleneck(pxy, 1.0, max_iter=0)
    with pytest.raises(ValueError, match=r"^seed:"):
        information_bottleneck(pxy, 1.0, seed=-1)
    with pytest.raises(ValueError, match=r"^base:"):
        information_bottleneck(pxy, 1.0, base=1.0)
    with pytest.raises(ValueError, match=r"^init: expected a non-negative encoder"):
        information_bottleneck(pxy, 1.0, init=np.ones((6, 2)))
    with pytest.raises(ValueError, match=r"^curve:"):
        plot_ib_curve([])


def test_plot_draws_curve_and_bound(curve):
    import matplotlib.pyplot as plt

    _, records = curve
    ax = plot_ib_curve(records, label="IB")
    lines = ax.get_lines()
    assert len(lines) == 2
    bx, by = lines[1].get_data()
    assert by[-1] == pytest.approx(records[0]["i_xy"]) and bx[1] == pytest.approx(records[0]["i_xy"])
    assert ax.get_xlabel() == "I(X;T) [bits]" and math.isclose(ax.get_xlim()[0], 0.0)
    plt.close("all")


def test_complex_joint_pmf_is_refused_by_name():
    # issue 12, item 6
    with pytest.raises(ValueError, match=r"^pxy: expected real numbers"):
        information_bottleneck(np.full((2, 2), 0.25) + 0j, 1.0)
    with pytest.raises(ValueError, match=r"^pxy: expected real numbers"):
        ib_curve(np.full((2, 2), 0.25) + 1j, [1.0, 2.0])


# --- issue 15, item 5: the DIB finds its optimum ------------------------------------------------
# The DIB's objective H(T) - beta I(T;Y) over deterministic encoders depends only on the
# partition of X they induce, so its optimum is the best of the Bell(|X|) set partitions
# (877 for |X| = 7), all scored at once below.
SIZES = [(n_x, n_y) for n_x in range(3, 8) for n_y in (2, 3)]


def small_pxy(n_x, n_y, seed=0):
    return np.random.default_rng([n_x, n_y, seed]).dirichlet(np.full(n_x * n_y, 0.5)).reshape(n_x, n_y)


def set_partitions(n):
    """Every partition of range(n) as a restricted growth string: shape (Bell(n), n)."""
    labels = np.zeros((1, 1), dtype=int)
    for _ in range(1, n):
        top = labels.max(1)
        grown = [np.column_stack([labels[top + 1 >= lab], np.full((top + 1 >= lab).sum(), lab)])
                 for lab in range(n)]
        labels = np.concatenate(grown)
    return labels


def xlogx(u):
    return np.where(u > 0, u * np.log(np.where(u > 0, u, 1.0)), 0.0)


def hard_terms(pxy, labels):
    """H(T) and I(T;Y) in nats of the hard encoders x -> labels[i, x], for every row i."""
    m = np.einsum("ixk,xy->iky", np.eye(labels.max() + 1)[labels], pxy)  # m[i, t, y] = p(T = t, y)
    h_t = -xlogx(m.sum(2)).sum(1)
    return h_t, h_t + xlogx(m).sum((1, 2)) - xlogx(pxy.sum(0)).sum()


def exhaustive_dib(pxy, betas):
    h_t, i_ty = hard_terms(pxy, set_partitions(pxy.shape[0]))
    return (h_t[None, :] - np.asarray(betas)[:, None] * i_ty[None, :]).min(1)


def transitions(pxy, beta_max):
    """The betas at which the optimal partition changes: corners of the lower envelope of
    the lines H(T) - beta I(T;Y), one line per partition, walked from beta = 0."""
    h_t, i_ty = hard_terms(pxy, set_partitions(pxy.shape[0]))
    cur, out = int(np.argmin(h_t)), []
    while (steeper := i_ty > i_ty[cur] + 1e-12).any():
        cross = (h_t[steeper] - h_t[cur]) / (i_ty[steeper] - i_ty[cur])
        if cross.min() > beta_max:
            break
        ties = np.flatnonzero(steeper)[cross <= cross.min() + 1e-12]
        cur = int(ties[np.argmax(i_ty[ties])])
        out.append(cross.min())
    return np.array(out)


def test_set_partitions_are_all_partitions_once():
    bell = [1, 1, 2, 5, 15, 52, 203, 877]
    for n in range(1, 8):
        labels = set_partitions(n)
        assert labels.shape == (bell[n], n)
        # restricted growth: each label is at most 1 + the largest before it, so every
        # partition has exactly one string; distinct strings are distinct partitions
        assert np.all(labels[:, 0] == 0)
        assert np.all(labels[:, 1:] <= np.maximum.accumulate(labels, 1)[:, :-1] + 1)
        assert len({tuple(r) for r in labels}) == bell[n]


def test_beta_grid_brackets_the_transitions():
    pxy = small_pxy(5, 3)
    t = transitions(pxy, 80.0)
    assert len(t) >= 2 and np.all(np.diff(t) > 0)
    h_t, i_ty = hard_terms(pxy, set_partitions(5))
    for beta in t:  # the optimal partition's I(T;Y) jumps across each transition
        below, above = (np.argmin(h_t - b * i_ty) for b in (beta * (1 - 1e-6), beta * (1 + 1e-6)))
        assert i_ty[above] > i_ty[below] + 1e-9


def grid_betas(pxy):
    t = transitions(pxy, 80.0)
    return np.unique(np.concatenate([np.geomspace(0.5, 80.0, 10), t, t * (1 - 1e-3), t * (1 + 1e-3)]))


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize(("n_x", "n_y"), SIZES)
def test_dib_curve_matches_exhaustive_search_over_partitions(n_x, n_y, seed):
    pxy = small_pxy(n_x, n_y, seed)
    betas = grid_betas(pxy)
    best = exhaustive_dib(pxy, betas)
    got = np.array([r["objective"] for r in ib_curve(pxy, betas, alpha=0.0)])
    assert np.abs(got - best).max() < 1e-9, (betas[np.argmax(got - best)], (got - best).max())


def test_dib_refinement_resplits_a_collapsed_encoder_to_a_sequential_optimum():
    pxy = small_pxy(6, 3, 2)
    beta = 20.0
    one = np.zeros((6, 6))
    one[:, 0] = 1.0  # every x in one cluster: the iteration alone can never split it
    plain = information_bottleneck(pxy, beta, alpha=0.0, init=one, refine=False)
    refined = information_bottleneck(pxy, beta, alpha=0.0, init=one)
    assert plain["n_clusters"] == 1 and plain["n_moves"] == 0
    assert refined["n_moves"] > 0 and refined["n_clusters"] > 2
    assert refined["objective"] < plain["objective"] - 0.5
    assert np.all(np.diff(refined["history"]) <= 1e-12)
    # no single x moved to another (or an empty) cluster lowers the objective
    labels = refined["encoder"].argmax(1)
    moved = np.repeat(labels[None, :], 6 * 7, axis=0)
    moved[np.arange(42), np.repeat(np.arange(6), 7)] = np.tile(np.arange(7), 6)
    h_t, i_ty = hard_terms(pxy, moved)
    assert (h_t - beta * i_ty).min() >= refined["objective"] - 1e-12


def batched_ib(pxy, betas, restarts, n_iter, seed=0):
    """Best objective of ``restarts`` random soft encoders per beta, all iterated together
    (the self-consistent equations, written again here over a (beta, restart) batch)."""
    n_x = pxy.shape[0]
    px = pxy.sum(1)
    py_x = pxy / px[:, None]
    betas = np.asarray(betas, dtype=float)
    enc = np.random.default_rng(seed).dirichlet(np.ones(n_x), size=(len(betas), restarts, n_x))

    def marginals(enc):
        return np.einsum("x,brxt->brt", px, enc), np.einsum("brxt,xy->brty", enc, pxy)

    for _ in range(n_iter):
        qt, pty = marginals(enc)
        with np.errstate(divide="ignore", invalid="ignore"):
            log_qy_t = np.maximum(np.log(np.where(qt[..., None] > 0, pty / qt[..., None], 1.0)), -700.0)
            score = np.where(qt > 0, np.log(qt), -np.inf)[:, :, None, :] \
                + betas[:, None, None, None] * np.einsum("xy,brty->brxt", py_x, log_qy_t)
        enc = np.exp(score - score.max(-1, keepdims=True))
        enc /= enc.sum(-1, keepdims=True)
    qt, pty = marginals(enc)
    i_xt = xlogx(px[:, None] * enc).sum((-1, -2)) - xlogx(px).sum() - xlogx(qt).sum(-1)
    i_ty = xlogx(pty).sum((-1, -2)) - xlogx(qt).sum(-1) - xlogx(pxy.sum(0)).sum()
    return (i_xt - betas[:, None] * i_ty).min(1)


# with seeds 1-2 the 6- and 7-input pmfs are ones where the curve before the refinement
# was worse than the best hard encoder (by 0.047, 0.14 and 0.07 nats)
@pytest.mark.parametrize(("n_x", "n_y", "seed"), [(3, 2, 0), (5, 3, 1), (6, 3, 1), (7, 2, 2), (7, 3, 1)])
def test_ib_curve_beats_every_hard_encoder_and_many_restarts(n_x, n_y, seed):
    pxy = small_pxy(n_x, n_y, seed)
    betas = grid_betas(pxy)
    got = np.array([r["objective"] for r in ib_curve(pxy, betas, alpha=1.0)])
    # soft encoders include the hard ones, on which I(X;T) = H(T): the IB optimum is at
    # most the DIB's exhaustive optimum
    assert np.all(got <= exhaustive_dib(pxy, betas) + 1e-9)
    # and at least as good as the best of many random restarts of the plain iteration
    assert np.all(got <= batched_ib(pxy, betas, restarts=24, n_iter=600) + 1e-6)


def test_refinement_improves_an_ib_stuck_with_too_few_clusters():
    # the same problem as the hard case above: a soft encoder that starts in one cluster
    # keeps one; the refinement's hard start splits it
    pxy = small_pxy(6, 3, 2)
    one = np.zeros((6, 6))
    one[:, 0] = 1.0
    plain = information_bottleneck(pxy, 20.0, alpha=1.0, init=one)
    refined = information_bottleneck(pxy, 20.0, alpha=1.0, init=one, refine=True)
    assert plain["n_clusters"] == 1 and refined["n_moves"] > 0
    assert refined["objective"] <= exhaustive_dib(pxy, [20.0])[0] + 1e-9 < plain["objective"] - 0.5
    assert np.all(np.diff(refined["history"]) <= 1e-12)


@given(pmfs(n_variables=2, min_outcomes=2, max_outcomes=5), st.integers(0, 2**32 - 1),
       st.sampled_from([1.0, 0.5, 0.0]), st.floats(0.5, 30.0))
def test_refinement_never_hurts_and_reports_its_encoder_exactly(pxy, seed, alpha, beta):
    plain = information_bottleneck(pxy, beta=beta, alpha=alpha, seed=seed, max_iter=200, refine=False)
    refined = information_bottleneck(pxy, beta=beta, alpha=alpha, seed=seed, max_iter=200, refine=True)
    assert refined["objective"] <= plain["objective"] + 1e-12
    assert np.all(np.diff(refined["history"]) <= 1e-10 * max(1.0, abs(refined["history"][0])))
    enc = refined["encoder"]
    joint = Distribution(pxy, "XY").add_channel(enc / enc.sum(1, keepdims=True), "X", "Z")
    exact = entropy(joint, "Z") - alpha * entropy(joint, "Z", given="X") \
        - beta * mutual_information(joint, "Z", "Y")
    assert refined["objective"] == pytest.approx(exact, abs=1e-9)


def test_refine_argument_is_checked():
    with pytest.raises(ValueError, match=r"^refine: expected True, False or None"):
        information_bottleneck(dirichlet_pxy(0), 1.0, refine="yes")
    with pytest.raises(ValueError, match=r"^refine: expected True, False or None"):
        ib_curve(dirichlet_pxy(0), [1.0], refine=1)


@pytest.mark.parametrize(("n_x", "n_y"), [(3, 2), (4, 3), (5, 2)])
def test_dib_is_at_least_as_good_as_dits_sequential_ib(n_x, n_y):
    sequential_ib = pytest.importorskip("dit.rate_distortion.bottleneck_algorithms").sequential_ib
    pxy = small_pxy(n_x, n_y, 1)
    betas = [2.0, 8.0]
    for beta, r in zip(betas, ib_curve(pxy, betas, alpha=0.0, base=2), strict=True):
        # dit minimises H(T) + beta (I(X;Y) - I(T;Y)) in bits
        theirs = sequential_ib(pxy, beta, random_state=0).objective
        assert r["objective"] + beta * r["i_xy"] <= theirs + 1e-9


@pytest.mark.parametrize(("n_x", "betas"), [(3, (2.0, 6.0)), (4, (3.0,))])
def test_ib_is_at_least_as_good_as_dits_optimizer(n_x, betas):
    dit = pytest.importorskip("dit")
    pxy = small_pxy(n_x, 2, 1)
    d = dit.Distribution([(i, j) for i in range(n_x) for j in range(2)], pxy.ravel())
    for beta in betas:
        ib = dit.rate_distortion.InformationBottleneck(d, beta, rvs=[[0], [1]])
        ib.optimize()
        theirs = ib.objective(ib._optima)  # I(X;T) + beta I(X;Y|T), bits
        r = ib_curve(pxy, [beta], alpha=1.0, base=2)[0]
        assert r["objective"] + beta * r["i_xy"] <= theirs + 1e-9
