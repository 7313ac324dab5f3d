"""Blahut-Arimoto capacity and rate distortion against closed forms, brute force and dit."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from infoplane.info import Distribution, mutual_information
from infoplane.info.channels import channel_capacity, rate_distortion_curve

TOL = 1e-9
LN2 = math.log(2.0)


def h(p: float) -> float:
    """Binary entropy in nats (0 log 0 = 0)."""
    return -sum(t * math.log(t) for t in (p, 1.0 - p) if t > 0)


def bsc(p: float) -> np.ndarray:
    return np.array([[1 - p, p], [p, 1 - p]])


def z_channel(p: float) -> np.ndarray:
    """Input 0 is received as 0; input 1 is flipped to 0 with probability p."""
    return np.array([[1.0, 0.0], [p, 1 - p]])


def mi_of(p_x: np.ndarray, w: np.ndarray) -> float:
    """I(X;Y) in nats of input p_x through w, by infoplane's exact measures (independent code)."""
    return mutual_information(Distribution(p_x[:, None] * w, "XY"), "X", "Y")


def kkt_gap(p_x: np.ndarray, w: np.ndarray) -> float:
    """max_x D(W(.|x) || p W) - I(p; W): >= C - I(p; W) for every p (Gallager Thm 4.5.1)."""
    q = p_x @ w
    with np.errstate(divide="ignore", invalid="ignore"):
        div = np.where(w > 0, w * np.log(w / q), 0.0).sum(axis=1)
    return float(div.max() - p_x @ div)


def random_channel(seed: int, n_x: int = 4, n_y: int = 3, concentration: float = 1.0) -> np.ndarray:
    return np.random.default_rng(seed).dirichlet(np.full(n_y, concentration), size=n_x)


# ----------------------------------------------------------------------------- capacity: closed forms

@pytest.mark.parametrize("p", [0.0, 1e-3, 0.1, 0.25, 0.5, 0.75, 0.9, 1.0])
def test_binary_symmetric_channel(p):
    c, p_x = channel_capacity(bsc(p))
    assert c == pytest.approx(LN2 - h(p), abs=TOL)
    np.testing.assert_allclose(p_x, [0.5, 0.5], atol=TOL)


@pytest.mark.parametrize("e", [0.0, 0.1, 0.5, 0.9, 1.0])
def test_binary_erasure_channel(e):
    w = np.array([[1 - e, e, 0.0], [0.0, e, 1 - e]])
    c, p_x = channel_capacity(w)
    assert c == pytest.approx((1 - e) * LN2, abs=TOL)
    np.testing.assert_allclose(p_x, [0.5, 0.5], atol=TOL)


@pytest.mark.parametrize("p", [0.0, 0.05, 0.3, 0.5, 0.9, 0.99])
def test_z_channel_capacity_and_input(p):
    # I(pi) = h(pi (1 - p)) - pi h(p); setting dI/dpi = 0 gives
    # pi (1 - p) = 1 / (1 + exp(h(p) / (1 - p))), i.e. with s = p**(p / (1 - p)):
    # pi = s / (1 + (1 - p) s) and C = log(1 + (1 - p) s) = log2(1 + (1 - p) s) bits.
    s = p ** (p / (1 - p)) if p > 0 else 1.0
    pi = s / (1 + (1 - p) * s)
    c_bits, p_x = channel_capacity(z_channel(p), base=2)
    assert c_bits == pytest.approx(math.log2(1 + (1 - p) * s), abs=TOL)
    np.testing.assert_allclose(p_x, [1 - pi, pi], atol=TOL)
    # the derivation, checked on its own: pi maximises h(pi (1 - p)) - pi h(p)
    grid = np.linspace(0, 1, 20001)
    vals = [h(g * (1 - p)) - g * h(p) for g in grid]
    assert abs(grid[int(np.argmax(vals))] - pi) <= 1e-4


def test_z_channel_fully_noisy_has_zero_capacity():
    c, p_x = channel_capacity(z_channel(1.0))
    assert c == 0.0
    np.testing.assert_allclose(p_x, [0.5, 0.5], atol=0)


@pytest.mark.parametrize("n", [1, 2, 3, 5, 8])
def test_noiseless_channels(n):
    perm = np.random.default_rng(n).permutation(n)
    for w in (np.eye(n), np.eye(n)[perm]):
        c, p_x = channel_capacity(w)
        assert c == pytest.approx(math.log(n), abs=TOL)
        np.testing.assert_allclose(p_x, np.full(n, 1 / n), atol=TOL)


def test_noiseless_non_square_channel_with_empty_column():
    # inputs reach disjoint sets of outputs (one output never reached): C = ln 3
    w = np.array([[0.5, 0.5, 0.0, 0.0, 0.0], [0.0, 0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 0.0, 0.0, 1.0]])
    c, p_x = channel_capacity(w)
    assert c == pytest.approx(math.log(3), abs=TOL)
    np.testing.assert_allclose(p_x, np.full(3, 1 / 3), atol=TOL)


@pytest.mark.parametrize("eps", [0.0, 0.1, 0.5, 0.75, 0.9])
def test_quaternary_symmetric_channel(eps):
    # correct with probability 1 - eps, else one of the 3 others: C = ln 4 - h(eps) - eps ln 3
    w = (1 - eps) * np.eye(4) + eps / 3 * (1 - np.eye(4))
    c, p_x = channel_capacity(w)
    assert c == pytest.approx(math.log(4) - h(eps) - eps * math.log(3), abs=TOL)
    np.testing.assert_allclose(p_x, np.full(4, 0.25), atol=TOL)


def test_symmetric_circulant_channel():
    # rows (and columns) permutations of each other: C = ln |Y| - H(row), uniform input
    row = np.random.default_rng(4).dirichlet(np.ones(4))
    w = np.stack([np.roll(row, k) for k in range(4)])
    c, p_x = channel_capacity(w)
    assert c == pytest.approx(math.log(4) + float(row @ np.log(row)), abs=TOL)
    np.testing.assert_allclose(p_x, np.full(4, 0.25), atol=TOL)


def test_identical_rows_have_zero_capacity():
    w = np.tile(np.random.default_rng(1).dirichlet(np.ones(5)), (3, 1))
    c, p_x = channel_capacity(w)
    assert c == 0.0
    np.testing.assert_allclose(p_x, np.full(3, 1 / 3), atol=0)


def test_duplicated_inputs_share_mass_and_keep_capacity():
    w = z_channel(0.3)
    c, p_x = channel_capacity(w)
    c3, p3 = channel_capacity(w[[0, 1, 1]])
    assert c3 == pytest.approx(c, abs=1e-12)
    np.testing.assert_allclose(p3, [p_x[0], p_x[1] / 2, p_x[1] / 2], atol=1e-12)


# ----------------------------------------------------------------------------- capacity: certificates

@pytest.mark.parametrize("seed,shape,conc", [(0, (4, 3), 1.0), (1, (6, 4), 0.3), (2, (3, 7), 1.0),
                                             (3, (8, 2), 0.1), (4, (5, 5), 5.0)])
def test_capacity_achieving_input_attains_capacity(seed, shape, conc):
    w = random_channel(seed, *shape, concentration=conc)
    c, p_x = channel_capacity(w)
    assert p_x.shape == (shape[0],) and (p_x >= 0).all() and p_x.sum() == pytest.approx(1.0, abs=1e-12)
    assert mi_of(p_x, w) == pytest.approx(c, abs=1e-12)  # I(p*; W) = C
    assert kkt_gap(p_x, w) <= 1e-12  # and nothing does better: C <= max_x D(W_x || p* W)


def test_near_degenerate_channel_is_certified():
    # two almost equal rows, one outside the optimal support: plain Blahut-Arimoto needs
    # millions of iterations here (the dropped input's weight decays by exp(-6e-5) a step)
    w = np.array([[0.643884, 0.033795, 0.322321], [0.310453, 0.524138, 0.165409],
                  [0.302326, 0.527077, 0.170597], [0.298468, 0.042445, 0.659087]])
    w /= w.sum(axis=1, keepdims=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        c, p_x = channel_capacity(w)
    assert kkt_gap(p_x, w) <= 1e-12 and mi_of(p_x, w) == pytest.approx(c, abs=1e-12)
    assert p_x[2] == 0.0


def test_capacity_agrees_with_dit():
    dit_cc = pytest.importorskip("dit.algorithms").channel_capacity
    rng = np.random.default_rng(0)
    for _ in range(3):
        w = rng.dirichlet(np.ones(3), size=4)
        ours, p_x = channel_capacity(w, base=2)
        theirs, p_dit = dit_cc(w, rtol=1e-14, atol=1e-15)  # bits
        assert ours == pytest.approx(theirs, abs=TOL)
        np.testing.assert_allclose(p_x, p_dit, atol=1e-6)
    for p in (0.1, 0.4):
        assert channel_capacity(z_channel(p), base=2)[0] == pytest.approx(
            dit_cc(z_channel(p), rtol=1e-14, atol=1e-15)[0], abs=TOL)


def test_capacity_base_round_trip_and_input_types():
    w = random_channel(7, 5, 4)
    c_nats, p_nats = channel_capacity(w)
    c_bits, p_bits = channel_capacity(w, base=2)
    assert c_bits * LN2 == pytest.approx(c_nats, rel=1e-14)
    np.testing.assert_array_equal(p_bits, p_nats)
    c_t, p_t = channel_capacity(torch.tensor(w, dtype=torch.float64))
    c_l, _ = channel_capacity(w.tolist())
    assert c_t == c_nats == c_l and isinstance(p_t, np.ndarray)
    np.testing.assert_array_equal(p_t, p_nats)


def test_capacity_warns_when_max_iter_is_too_small():
    with pytest.warns(RuntimeWarning, match=r"^max_iter:"):
        c, p_x = channel_capacity(z_channel(0.3), max_iter=2)
    assert np.isfinite(c) and c <= math.log(1 + 0.7 * 0.3 ** (0.3 / 0.7)) + 1e-15


@pytest.mark.parametrize("bad", [
    [0.5, 0.5],  # 1-D
    np.full((2, 2, 2), 0.5),  # 3-D
    np.zeros((0, 2)),
    [[0.5, np.nan], [0.5, 0.5]],
    [[np.inf, 0.0], [0.5, 0.5]],
    [[1.2, -0.2], [0.5, 0.5]],
    [[0.5, 0.5 + 2e-9], [0.5, 0.5]],  # row sum off by more than 1e-9
    [[0.6, 0.6], [0.5, 0.5]],
    [[0.5 + 0.1j, 0.5], [0.5, 0.5]],
    [["a", "b"], ["c", "d"]],
])
def test_channel_rejects_bad_matrices(bad):
    with pytest.raises(ValueError, match=r"^p_y_given_x:"):
        channel_capacity(bad)


def test_channel_accepts_row_sums_within_1e9_and_rejects_a_joint_distribution():
    c, _ = channel_capacity([[0.5, 0.5 + 5e-10], [0.0, 1.0]])
    assert np.isfinite(c)
    with pytest.raises(TypeError, match=r"^p_y_given_x:"):
        channel_capacity(Distribution(np.full((2, 2), 0.25), "XY"))


@pytest.mark.parametrize("kwargs,name", [
    ({"tol": 0.0}, "tol"), ({"tol": -1.0}, "tol"), ({"tol": np.nan}, "tol"), ({"max_iter": 0}, "max_iter"),
    ({"max_iter": 2.5}, "max_iter"), ({"base": 1.0}, "base"), ({"base": -2.0}, "base"),
])
def test_channel_rejects_bad_options(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        channel_capacity(bsc(0.1), **kwargs)


# ----------------------------------------------------------------------------- rate distortion

def hamming(m: int) -> np.ndarray:
    return 1.0 - np.eye(m)


@pytest.mark.parametrize("p", [0.5, 0.3, 0.1, 0.9])
def test_bernoulli_source_hamming_distortion(p):
    p_min = min(p, 1 - p)
    beta_c = math.log((1 - p_min) / p_min)  # slope of R(D) = h(p) - h(D) at D = p_min
    betas = [0.0, 0.5 * beta_c, beta_c + 0.1, beta_c + 0.7, 3.0, 6.0, 12.0, 40.0]
    rows = rate_distortion_curve([1 - p, p], hamming(2), betas)
    assert [r["beta"] for r in rows] == betas
    for r in rows:
        d, rate = r["distortion"], r["rate"]
        assert r["converged"] and r["gap"] <= 1e-12
        if r["beta"] > beta_c:
            # -dR/dD = ln((1 - D) / D) = beta on the curved part
            assert d == pytest.approx(1 / (1 + math.exp(r["beta"])), abs=TOL)
            assert rate == pytest.approx(h(p) - h(d), abs=TOL)
            # the optimal test channel: the backward channel is BSC(D) with
            # r(xhat = 1) = (p - D) / (1 - 2 D) (Cover & Thomas, Theorem 10.3.1)
            r1 = (p - d) / (1 - 2 * d)
            r_hat = np.array([1 - r1, r1])
            backward = np.array([[1 - d, d], [d, 1 - d]])  # p(x | xhat)
            expected = (r_hat[None, :] * backward.T) / np.array([1 - p, p])[:, None]
            np.testing.assert_allclose(r["p_xhat_given_x"], expected, atol=TOL)
            np.testing.assert_allclose(r["p_xhat"], r_hat, atol=TOL)
        else:  # slope too flat: the curve's end, R = 0 at D = min(p, 1 - p)
            assert rate == pytest.approx(0.0, abs=TOL)
            if r["beta"] > 0:
                assert d == pytest.approx(p_min, abs=TOL)


@pytest.mark.parametrize("m", [3, 4, 6])
def test_uniform_source_hamming_distortion(m):
    rows = rate_distortion_curve(np.full(m, 1 / m), hamming(m), [0.5, 1.0, 2.0, 5.0, 20.0])
    for r in rows:
        d = r["distortion"]
        t = (m - 1) * math.exp(-r["beta"])
        assert d == pytest.approx(t / (1 + t), abs=TOL)  # beta = ln((1 - D) / D) + ln(m - 1)
        assert r["rate"] == pytest.approx(math.log(m) - h(d) - d * math.log(m - 1), abs=TOL)


def brute_force_lagrangian(p_x: np.ndarray, dist: np.ndarray, beta: float, n: int = 401) -> float:
    """min over a grid of binary test channels of I(X; Xhat) + beta E d (two source letters)."""
    g = np.linspace(0, 1, n)
    a, b = np.meshgrid(g, g, indexing="ij")  # q(xhat=1 | x=0), q(xhat=1 | x=1)
    q = np.stack([np.stack([1 - a, a], -1), np.stack([1 - b, b], -1)], axis=-2)  # (n, n, 2, 2)
    joint = p_x[:, None] * q
    r = joint.sum(axis=-2, keepdims=True)
    with np.errstate(divide="ignore", invalid="ignore"):
        mi = np.where(joint > 0, joint * np.log(joint / (p_x[:, None] * r)), 0.0).sum(axis=(-1, -2))
    return float((mi + beta * (joint * dist).sum(axis=(-1, -2))).min())


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rate_distortion_beats_brute_force(seed):
    rng = np.random.default_rng(seed)
    p_x = rng.dirichlet(np.ones(2))
    dist = rng.uniform(0, 2, (2, 2))
    for r in rate_distortion_curve(p_x, dist, [0.7, 2.0, 6.0]):
        ours = r["rate"] + r["beta"] * r["distortion"]
        assert ours <= brute_force_lagrangian(p_x, dist, r["beta"]) + 1e-12


@pytest.mark.parametrize("seed,n_x,n_hat", [(0, 3, 3), (1, 4, 6), (2, 5, 2)])
def test_rate_distortion_points_are_consistent(seed, n_x, n_hat):
    rng = np.random.default_rng(seed)
    p_x = rng.dirichlet(np.ones(n_x))
    dist = rng.uniform(0, 3, (n_x, n_hat))
    dist[rng.random((n_x, n_hat)) < 0.2] = 0.0
    betas = [0.3, 1.0, 3.0, 10.0, 30.0]
    rows = rate_distortion_curve(p_x, dist, betas)
    for r in rows:
        q = r["p_xhat_given_x"]
        assert q.shape == (n_x, n_hat) and (q >= 0).all()
        np.testing.assert_allclose(q.sum(axis=1), 1.0, atol=1e-12)
        np.testing.assert_allclose(r["p_xhat"], p_x @ q, atol=1e-12)
        assert r["rate"] == pytest.approx(mi_of(p_x, q), abs=1e-12)
        assert r["distortion"] == pytest.approx(float(p_x @ (q * dist).sum(axis=1)), abs=1e-12)
    # R(D) is convex and decreasing: along increasing beta, D falls, R rises, and each chord's
    # slope lies between the two tangent slopes -beta_2 <= dR/dD <= -beta_1
    for lo, hi in zip(rows, rows[1:], strict=False):
        assert hi["distortion"] <= lo["distortion"] + 1e-12 and hi["rate"] >= lo["rate"] - 1e-12
        dd = lo["distortion"] - hi["distortion"]
        if dd > 1e-6:
            slope = (hi["rate"] - lo["rate"]) / dd
            assert lo["beta"] - 1e-6 <= slope <= hi["beta"] + 1e-6
    # each slope starts afresh: the order of betas does not matter
    back = rate_distortion_curve(p_x, dist, betas[::-1])[::-1]
    for a, b in zip(rows, back, strict=True):
        assert a["rate"] == b["rate"] and a["distortion"] == b["distortion"]


def test_rate_distortion_never_worse_than_dit():
    ba = pytest.importorskip("dit.rate_distortion.blahut_arimoto")
    rng = np.random.default_rng(3)
    for _ in range(3):
        p_x = rng.dirichlet(np.ones(3))
        dist = rng.uniform(0, 1, (3, 3))
        for beta in (1.0, 3.0, 10.0):
            (theirs, _q) = ba.blahut_arimoto(p_x, beta / LN2, distortion=lambda px, q, d=dist: d,
                                             max_iters=10_000, restarts=1)  # bits, exp2(-beta d)
            (ours,) = rate_distortion_curve(p_x, dist, [beta], base=2)
            lag_ours = ours["rate"] + beta / LN2 * ours["distortion"]
            lag_theirs = theirs.rate + beta / LN2 * theirs.distortion
            assert lag_ours <= lag_theirs + 1e-12  # ours is certified optimal
            # dit stops when D changes by less than 1e-5 relative, which leaves it ~1e-4 short
            assert lag_ours == pytest.approx(lag_theirs, abs=1e-3)
            assert ours["rate"] == pytest.approx(theirs.rate, abs=1e-3)


def test_rate_distortion_hamming_agrees_with_dit_closed_form_source():
    ba = pytest.importorskip("dit.rate_distortion.blahut_arimoto")
    p_x = np.array([0.2, 0.8])
    (theirs, _q) = ba.blahut_arimoto(p_x, 4.0, max_iters=10_000, restarts=1)  # Hamming by default
    (ours,) = rate_distortion_curve(p_x, hamming(2), [4.0 * LN2], base=2)
    assert ours["distortion"] == pytest.approx(theirs.distortion, abs=1e-6)
    assert ours["rate"] == pytest.approx(theirs.rate, abs=1e-5)


def test_rate_distortion_base_round_trip_and_input_types():
    p_x = np.array([0.2, 0.5, 0.3])
    dist = np.random.default_rng(5).uniform(0, 1, (3, 4))
    nats = rate_distortion_curve(p_x, dist, [2.0, 8.0])
    bits = rate_distortion_curve(Distribution(p_x, "X"), torch.tensor(dist), [2.0, 8.0], base=2)
    for a, b in zip(nats, bits, strict=True):
        assert b["rate"] * LN2 == pytest.approx(a["rate"], rel=1e-14, abs=1e-300)
        assert b["distortion"] == a["distortion"] and b["beta"] == a["beta"] and b["base"] == 2.0
        np.testing.assert_array_equal(a["p_xhat_given_x"], b["p_xhat_given_x"])


def test_rate_distortion_zero_mass_letters_and_duplicate_reproductions():
    # a letter of zero probability changes nothing; a duplicated reproduction letter shares mass
    p_x = np.array([0.3, 0.7])
    (base,) = rate_distortion_curve(p_x, hamming(2), [3.0])
    (zero,) = rate_distortion_curve([0.3, 0.0, 0.7], [[0, 1], [1, 0], [1, 0]], [3.0])
    assert zero["rate"] == pytest.approx(base["rate"], abs=1e-12)
    assert zero["distortion"] == pytest.approx(base["distortion"], abs=1e-12)
    np.testing.assert_allclose(zero["p_xhat_given_x"].sum(axis=1), 1.0, atol=1e-12)
    (dup,) = rate_distortion_curve(p_x, [[0, 1, 1], [1, 0, 0]], [3.0])
    assert dup["rate"] == pytest.approx(base["rate"], abs=1e-12)
    r0, r1 = base["p_xhat"]
    np.testing.assert_allclose(dup["p_xhat"], [r0, r1 / 2, r1 / 2], atol=1e-12)


def test_rate_distortion_warns_when_max_iter_is_too_small():
    with pytest.warns(RuntimeWarning, match=r"^max_iter:"):
        (row,) = rate_distortion_curve([0.3, 0.7], hamming(2), [1.0], max_iter=1)
    assert not row["converged"] and row["gap"] > 1e-12 and np.isfinite(row["rate"])


@pytest.mark.parametrize("args,name", [
    (([[0.5, 0.5]], hamming(2), [1.0]), "p_x"),
    (([0.5, 0.6], hamming(2), [1.0]), "p_x"),
    (([1.5, -0.5], hamming(2), [1.0]), "p_x"),
    (([np.nan, 0.5], hamming(2), [1.0]), "p_x"),
    (([], hamming(2), [1.0]), "p_x"),
    (([0.5, 0.5], hamming(3), [1.0]), "distortion"),
    (([0.5, 0.5], [0.0, 1.0], [1.0]), "distortion"),
    (([0.5, 0.5], [[0.0, -1.0], [1.0, 0.0]], [1.0]), "distortion"),
    (([0.5, 0.5], [[0.0, np.inf], [1.0, 0.0]], [1.0]), "distortion"),
    (([0.5, 0.5], np.zeros((2, 0)), [1.0]), "distortion"),
    (([0.5, 0.5], hamming(2), []), "betas"),
    (([0.5, 0.5], hamming(2), 1.0), "betas"),
    (([0.5, 0.5], hamming(2), [[1.0]]), "betas"),
    (([0.5, 0.5], hamming(2), [-1.0]), "betas"),
    (([0.5, 0.5], hamming(2), [np.inf]), "betas"),
])
def test_rate_distortion_rejects_bad_inputs(args, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        rate_distortion_curve(*args)


@pytest.mark.parametrize("kwargs,name", [({"tol": 0.0}, "tol"), ({"max_iter": 0}, "max_iter"),
                                         ({"base": 1.0}, "base")])
def test_rate_distortion_rejects_bad_options(kwargs, name):
    with pytest.raises(ValueError, match=rf"^{name}:"):
        rate_distortion_curve([0.5, 0.5], hamming(2), [1.0], **kwargs)


def test_rate_distortion_rejects_a_joint_distribution():
    with pytest.raises(TypeError, match=r"^p_x:"):
        rate_distortion_curve(Distribution(np.full((2, 2), 0.25), "XY"), hamming(2), [1.0])
