"""data.toys: the benchmark-mi tasks (Czyz et al. 2023) against closed forms, scipy, Monte Carlo and KSG."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import stats

from infoplane.data.toys import (
    correlated_gaussians,
    correlation_for_mi,
    half_cube,
    spiral,
    student_t_mutual_information,
    student_t_pairs,
)
from infoplane.estimators.ksg import mutual_information


def gaussian_mi_from_scipy(d: int, rho: float) -> float:
    """h(X) + h(Y) - h(X, Y) from scipy's entropies of the population Gaussians (nats)."""
    joint = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
    h = lambda c: stats.multivariate_normal(np.zeros(len(c)), c).entropy()  # noqa: E731
    return 2 * h(np.eye(d)) - h(joint)


# --------------------------------------------------------------------------- Gaussians at a given MI

@pytest.mark.parametrize("d, mi", [(1, 0.0), (1, 1.0), (3, 0.25), (5, 2.0), (20, 2.0), (1, 6.0), (2, 16.0)])
def test_correlation_for_mi_inverts_the_closed_form(d: int, mi: float) -> None:
    rho = correlation_for_mi(mi, d)
    assert 0.0 <= rho < 1.0
    # the rounding of rho is amplified by e^(2 mi / d): 1e-8 at the largest mi / d = 8 nats
    rel = 1e-14 + 2e-16 * math.exp(2 * mi / d)
    assert -0.5 * d * math.log1p(-rho * rho) == pytest.approx(mi, rel=rel, abs=1e-15)
    _, _, exact = correlated_gaussians(4, d, rho, seed=0)
    assert exact == pytest.approx(mi, rel=rel, abs=1e-15)
    if 0.0 < mi / d <= 4.0:     # scipy's eigenvalues of the joint lose 1 - rho^2's digits beyond
        assert exact == pytest.approx(gaussian_mi_from_scipy(d, rho), rel=1e-9)


# Tolerances from repeated seeds: seeds 0-7 of each configuration (n = 10000, I = 1 nat) gave
# KSG (k = 3) errors of mean +0.011, sd 0.012 (d = 1) and +0.010, sd 0.014 (d = 2), max |error|
# 0.028 and 0.033, and plug-in errors (sample covariance) of max 0.019 / 0.025, sd 0.010 / 0.013:
# tolerances max |error| + 3 sd, rounded up to 0.01.
@pytest.mark.parametrize("d", [1, 2])
def test_gaussian_at_one_nat_against_ksg_and_the_sample_covariance(d: int) -> None:
    x, y, exact = correlated_gaussians(10_000, d, correlation_for_mi(1.0, d), seed=0)
    assert exact == pytest.approx(1.0, rel=1e-12)
    assert mutual_information(x, y, k=3) == pytest.approx(exact, abs=0.08)
    cov = np.cov(np.hstack([x, y]).T)
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    plug_in = 0.5 * (logdet(cov[:d, :d]) + logdet(cov[d:, d:]) - logdet(cov))
    assert plug_in == pytest.approx(exact, abs=0.07)


# --------------------------------------------------------------------------- the invertible transforms

def test_half_cube_is_odd_increasing_and_inverted_by_the_two_thirds_power() -> None:
    t = np.random.default_rng(0).standard_normal((500, 3)) * 10
    s = half_cube(t)
    assert s.shape == t.shape and s.dtype == np.float64
    np.testing.assert_allclose(np.sign(s) * np.abs(s) ** (2 / 3), t, rtol=1e-13, atol=1e-300)
    np.testing.assert_array_equal(half_cube(-t), -s)
    grid = np.linspace(-5, 5, 1001)
    assert (np.diff(half_cube(grid)) > 0).all()
    np.testing.assert_allclose(half_cube(np.array([4.0, 0.25])), [8.0, 0.125], rtol=1e-15)
    from_tensor = half_cube(torch.tensor([[-4.0, 9.0]]))                # a tensor in, NumPy out
    assert isinstance(from_tensor, np.ndarray)
    np.testing.assert_array_equal(from_tensor, [[-8.0, 27.0]])


def test_spiral_keeps_norms_is_undone_by_the_opposite_speed_and_leaves_its_input_alone() -> None:
    x = np.random.default_rng(1).standard_normal((400, 4)) * 2
    before = x.copy()
    s = spiral(x)
    np.testing.assert_array_equal(x, before)
    np.testing.assert_allclose(np.linalg.norm(s, axis=1), np.linalg.norm(x, axis=1), rtol=1e-13)
    np.testing.assert_array_equal(s[:, 2:], x[:, 2:])
    np.testing.assert_allclose(spiral(s, speed=-1 / 3), x, rtol=0, atol=1e-12)
    # the angle of the turn is speed * ||x||^2 (radians), counter-clockwise in (x_1, x_2)
    turned = np.arctan2(s[:, 1], s[:, 0]) - np.arctan2(x[:, 1], x[:, 0])
    np.testing.assert_allclose(np.angle(np.exp(1j * (turned - (x ** 2).sum(1) / 3))), 0.0, atol=1e-10)
    np.testing.assert_allclose(spiral(np.array([[1.0, 0.0]]), speed=math.pi / 2), [[0.0, 1.0]], atol=1e-15)
    np.testing.assert_array_equal(spiral(x, speed=0.0), x)


# --------------------------------------------------------------------------- the Student-t pair

def test_the_student_t_closed_form_matches_monte_carlo() -> None:
    """The closed form against E[log p(x, y) - log p(x) - log p(y)] with scipy's densities."""
    d, rho, nu = 2, 0.8, 5.0
    x, y, exact = student_t_pairs(100_000, d, rho, nu, seed=11)
    joint = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
    terms = (stats.multivariate_t(np.zeros(2 * d), joint, df=nu).logpdf(np.hstack([x, y]))
             - stats.multivariate_t(np.zeros(d), np.eye(d), df=nu).logpdf(x)
             - stats.multivariate_t(np.zeros(d), np.eye(d), df=nu).logpdf(y))
    se = terms.std() / math.sqrt(len(terms))
    assert exact == student_t_mutual_information(d, rho, nu)
    assert exact == pytest.approx(terms.mean(), abs=4 * se)
    # the t's dependence exceeds the Gaussian part -d/2 ln(1 - rho^2) = 1.0217 (the shared scale)
    assert exact == pytest.approx(1.072409, abs=1e-6)


@pytest.mark.parametrize("d, rho, nu", [(1, 0.0, 1.0), (1, 0.5, 0.3), (2, 0.8, 2.0), (3, -0.6, 7.5),
                                        (5, 0.9, 30.0)])
def test_the_student_t_closed_form_matches_scipys_entropies(d: int, rho: float, nu: float) -> None:
    joint = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
    h = lambda c: stats.multivariate_t(np.zeros(len(c)), c, df=nu).entropy()  # noqa: E731
    assert student_t_mutual_information(d, rho, nu) == pytest.approx(2 * h(np.eye(d)) - h(joint), rel=1e-9)


def test_the_student_t_mi_exceeds_the_gaussian_part_and_tends_to_it() -> None:
    for d, rho in ((1, 0.0), (2, 0.8), (20, 0.3)):
        gaussian = gaussian_mi_from_scipy(d, rho)
        values = [student_t_mutual_information(d, rho, nu) for nu in (0.5, 2.0, 10.0, 1e3)]
        assert all(v > gaussian for v in values) and values == sorted(values, reverse=True)
        assert student_t_mutual_information(d, rho, 1e6) == pytest.approx(gaussian, abs=1e-8)   # largest nu


def test_student_t_pairs_have_t_marginals_and_correlation_rho() -> None:
    nu, rho = 5.0, 0.6
    x, y, _ = student_t_pairs(20_000, 2, rho, nu, seed=3)
    assert x.shape == y.shape == (20_000, 2) and x.dtype == np.float64
    for column in (x[:, 0], x[:, 1], y[:, 0]):
        assert stats.kstest(column, stats.t(nu).cdf).pvalue > 1e-3
    # nu > 2: covariance nu / (nu - 2) times the dispersion, so corr(X_i, Y_i) = rho, corr(X_1, X_2) = 0
    assert np.corrcoef(x[:, 0], y[:, 0])[0, 1] == pytest.approx(rho, abs=0.03)
    assert np.corrcoef(x[:, 0], x[:, 1])[0, 1] == pytest.approx(0.0, abs=0.03)
    # a shared scale: |X| and |Y| of different coordinates are dependent although uncorrelated signs
    assert stats.spearmanr(np.abs(x[:, 1]), np.abs(y[:, 0])).statistic > 0.05


def test_the_generators_repeat_for_a_seed() -> None:
    a, b = student_t_pairs(50, 2, 0.5, 3.0, seed=7), student_t_pairs(50, 2, 0.5, 3.0, seed=7)
    assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]) and a[2] == b[2]
    assert not np.array_equal(a[0], student_t_pairs(50, 2, 0.5, 3.0, seed=8)[0])
    # the Gaussian parts are correlated_gaussians' draws (same generator, same order), then the scale
    g, h, _ = correlated_gaussians(50, 2, 0.5, seed=7)
    w = g / a[0]
    np.testing.assert_allclose(h / a[1], w, rtol=1e-12)
    np.testing.assert_allclose(w, w[:, :1].repeat(2, axis=1), rtol=1e-12)


# --------------------------------------------------------------------------- bad input, named at the door

@pytest.mark.parametrize("call, error, match", [
    (lambda: correlation_for_mi(-0.1, 2), ValueError, r"^mi:"),
    (lambda: correlation_for_mi(math.nan, 2), ValueError, r"^mi:"),
    (lambda: correlation_for_mi(16.5, 2), ValueError, r"^mi:"),         # > 8 nats per coordinate
    (lambda: correlation_for_mi("1", 2), ValueError, r"^mi:"),
    (lambda: correlation_for_mi(1.0, 0), ValueError, r"^d:"),
    (lambda: correlation_for_mi(1.0, 2.5), ValueError, r"^d:"),
    (lambda: half_cube(np.array([1.0, math.nan])), ValueError, r"^t:"),
    (lambda: half_cube(np.array([1e300])), ValueError, r"^t:"),          # |t|^1.5 overflows
    (lambda: half_cube(np.array([1 + 1j])), ValueError, r"^t:"),
    (lambda: half_cube("abc"), ValueError, r"^t:"),
    (lambda: spiral(np.zeros((5, 1))), ValueError, r"^x:"),
    (lambda: spiral(np.zeros(5)), ValueError, r"^x:"),
    (lambda: spiral(np.full((2, 2), math.inf)), ValueError, r"^x:"),
    (lambda: spiral(np.full((2, 2), 1e200)), ValueError, r"^x:"),       # ||x||^2 overflows
    (lambda: spiral(np.ones((2, 2)), speed=math.nan), ValueError, r"^speed:"),
    (lambda: spiral(np.ones((2, 2)), speed=1e308), ValueError, r"^speed:"),
    (lambda: student_t_mutual_information(0, 0.5, 3.0), ValueError, r"^d:"),
    (lambda: student_t_mutual_information(2, 1.0, 3.0), ValueError, r"^rho:"),
    (lambda: student_t_mutual_information(2, 0.5, 0.0), ValueError, r"^nu:"),
    (lambda: student_t_mutual_information(2, 0.5, 0.05), ValueError, r"^nu:"),
    (lambda: student_t_mutual_information(2, 0.5, 1e7), ValueError, r"^nu:"),
    (lambda: student_t_mutual_information(2, 0.5, math.inf), ValueError, r"^nu:"),
    (lambda: student_t_pairs(0, 2, 0.5, 3.0), ValueError, r"^n:"),
    (lambda: student_t_pairs(10, 0, 0.5, 3.0), ValueError, r"^d:"),
    (lambda: student_t_pairs(10, 2, -1.0, 3.0), ValueError, r"^rho:"),
    (lambda: student_t_pairs(10, 2, 0.5, -3.0), ValueError, r"^nu:"),
    (lambda: student_t_pairs(10, 2, 0.5, 3.0, seed=-1), ValueError, r"^seed:"),
    (lambda: student_t_pairs(10, 2, 0.5, 3.0, seed=1.5), ValueError, r"^seed:"),
])
def test_bad_input_is_named_at_the_door(call: object, error: type[Exception], match: str) -> None:
    with pytest.raises(error, match=match):
        call()
