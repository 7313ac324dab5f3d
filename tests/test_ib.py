"""Iterative IB / DIB: limits, bounds, monotone curves and objectives, determinism of DIB."""

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
