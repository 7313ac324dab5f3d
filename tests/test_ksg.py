"""KSG mutual information, conditional MI, discrete-continuous MI, multi-information.

Tolerances come from the spread measured over 20 seeds at the same n (numbers below,
measured with this implementation and cross-checked against npeet_plus, which gives
identical values without standardisation), so a test fails on a real bias, not on luck.
"""

from __future__ import annotations

import math
import re
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from scipy import integrate, special, stats
from strategies import samples

from infoplane.data import correlated_gaussians
from infoplane.estimators import (
    SmallSampleWarning,
    _prepare,
    conditional_mutual_information,
    estimate_uncertainty,
    multi_information,
    mutual_information,
    mutual_information_discrete,
)
from infoplane.estimators.ksg import TiedSamplesWarning

N = 2000

# Measured error (estimate - exact) over seeds 0..19 at n = 2000, k = 3:
#   d=1: rho 0.3/0.6/0.9: |bias| <= 0.006, sd <= 0.020, max |err| 0.043 (both algorithms)
#   d=2: rho 0.3/0.6:     |bias| <= 0.007, sd <= 0.025, max |err| 0.057
# Tolerance 0.1 is 4 sd plus the bias: a genuine error (a wrong digamma argument shifts
# the estimate by ~1/n_x ~ 0.02-0.3 systematically, a strict/non-strict swap by > 0.1)
# fails it on every seed.
GAUSSIAN_CASES = [(1, 0.3), (1, 0.6), (1, 0.9), (2, 0.3), (2, 0.6)]


@pytest.mark.parametrize("method", ["ksg1", "ksg2"])
@pytest.mark.parametrize(("d", "rho"), GAUSSIAN_CASES)
@pytest.mark.parametrize("seed", [0, 1])
def test_correlated_gaussians_close_to_exact(method, d, rho, seed):
    x, y, exact = correlated_gaussians(N, d=d, rho=rho, seed=seed)
    assert abs(mutual_information(x, y, method=method) - exact) < 0.1


def test_strong_dependence_in_six_dimensions_is_underestimated_as_documented():
    # d = 3 per side, rho = 0.9 (exact 2.49 nats): measured bias -0.22 (ksg1) and -0.19
    # (ksg2), sd 0.03, over 20 seeds; npeet_plus gives the same numbers. The known
    # underestimation of KSG for strong dependence (Gao, Ver Steeg & Galstyan 2015).
    x, y, exact = correlated_gaussians(N, d=3, rho=0.9, seed=0)
    for method in ("ksg1", "ksg2"):
        error = mutual_information(x, y, method=method) - exact
        assert -0.35 < error < -0.08


def test_high_dimension_underestimates_as_documented():
    # d = 10 per side (20-D joint), rho = 0.6: exact 2.23 nats, but at n = 2000 KSG
    # returns 0.96-1.03 (ksg1 0.98 +- 0.02, ksg2 1.02 +- 0.02 over seeds 0-2): the k-NN
    # balls are not local in 20-D. The estimator must warn, and the test asserts the
    # documented underestimation (between 30 % and 60 % of the truth), not accuracy.
    x, y, exact = correlated_gaussians(N, d=10, rho=0.6, seed=0)
    with pytest.warns(SmallSampleWarning):
        ksg1 = mutual_information(x, y)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        ksg2 = mutual_information(x, y, method="ksg2")
    assert 0.3 * exact < ksg1 < 0.6 * exact
    assert 0.3 * exact < ksg2 < 0.6 * exact
    assert ksg2 > ksg1  # algorithm 2 is less biased in high dimension (Kraskov 2004 sec. IV)


def test_independent_data_near_zero_and_inside_shuffle_baseline():
    # Independent 1-D data at n = 2000: measured mean 0.005, sd 0.017, max 0.036 over 20
    # seeds; the permutation baseline is the same distribution, so the estimate must not
    # be significant.
    rng = np.random.default_rng(3)
    x, y = rng.standard_normal(N), rng.standard_normal(N)
    u = estimate_uncertainty(mutual_information, x, y, n_resamples=0, n_shuffles=19, seed=1)
    assert abs(u.estimate) < 0.06
    assert u.p_value > 0.05
    assert u.shuffles.min() < u.estimate < u.shuffles.max() or abs(u.estimate - u.shuffle_mean) < 0.04


def test_equals_scikit_learn_in_one_dimension():
    from sklearn.feature_selection import mutual_info_regression
    from sklearn.feature_selection._mutual_info import _compute_mi_cc
    from sklearn.preprocessing import scale

    x, y, _ = correlated_gaussians(3000, d=1, rho=0.7, seed=5)
    xs, ys = scale(x[:, 0], with_mean=False), scale(y[:, 0], with_mean=False)
    for k in (3, 5):
        ours = mutual_information(xs, ys, k=k, standardize=False, jitter=False)
        # same strict counting (sklearn: radius nextafter(eps, 0), count <= radius)
        assert ours == pytest.approx(_compute_mi_cc(xs, ys, k), rel=1e-12, abs=1e-12)
    # the public function adds its own 1e-10 noise: equal up to that perturbation
    public = mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0]
    assert mutual_information(x, y) == pytest.approx(public, abs=1e-6)


def test_torch_backend_gives_identical_estimates():
    x, y, _ = correlated_gaussians(1500, d=2, rho=0.5, seed=2)
    for method in ("ksg1", "ksg2"):
        cpu = mutual_information(x, y, method=method, backend="cpu")
        tensors = mutual_information(torch.from_numpy(x).float(), torch.from_numpy(y).float(),
                                     method=method, backend="cpu")
        brute = mutual_information(torch.from_numpy(x), torch.from_numpy(y), method=method,
                                   backend="torch")
        assert brute == cpu  # bit-identical counts give bit-identical estimates
        assert tensors == pytest.approx(cpu, abs=0.01)  # float32 input: rounded data
    assert conditional_mutual_information(x, y[:, 0], y[:, 1], backend="torch") == \
        conditional_mutual_information(x, y[:, 0], y[:, 1], backend="cpu")
    labels = (y[:, 0] > 0).astype(int)
    assert mutual_information_discrete(torch.from_numpy(x), torch.from_numpy(labels), backend="torch") == \
        mutual_information_discrete(x, labels, backend="cpu")


def test_invariant_to_scaling_and_monotone_transforms():
    x, y, exact = correlated_gaussians(N, d=2, rho=0.6, seed=4)
    reference = mutual_information(x, y)
    scaled = mutual_information(x * np.array([1e-3, 50.0]), y * 7.0)
    # standardisation undoes the scaling up to float rounding of the inputs
    assert scaled == pytest.approx(reference, abs=1e-3)
    # a monotone map per dimension keeps the MI; the estimate moves because the
    # k-NN geometry changes. tanh / exp(y/2): measured error -0.011, sd 0.019 over 10
    # seeds, so the 0.1 tolerance holds. (Strong warps such as x^3 / exp(y) bias it by
    # -0.12, sd 0.02: invariance holds only in the large-n limit.)
    warped = mutual_information(np.tanh(x), np.exp(y / 2))
    assert abs(warped - exact) < 0.1
    assert abs(warped - reference) < 0.1


def test_rounded_data_with_many_ties_stays_close():
    # Rounding to two decimals leaves ~15 % distinct values at n = 2000 per column.
    # With the dequantising jitter the estimate moves by < 0.01 over seeds 0-4
    # (measured); without it, zero distances inflate it by 0.05-0.09.
    x, y, _ = correlated_gaussians(N, d=1, rho=0.8, seed=0)
    xr, yr = np.round(x, 2), np.round(y, 2)
    assert len(np.unique(xr)) < 0.5 * N
    unrounded = mutual_information(x, y)
    rounded = mutual_information(xr, yr)
    assert abs(rounded - unrounded) < 0.03
    assert mutual_information(xr, yr, jitter=False) - unrounded > 0.03
    heavy = mutual_information(np.round(x * 2) / 2, np.round(y * 2) / 2)  # 0.5 grid
    assert np.isfinite(heavy) and heavy > 0


def test_conditional_mi_of_markov_chain():
    # X -> Y -> Z with unit Gaussian noise: I(X;Z|Y) = 0 and I(X;Y|Z) = I(X;Y) - I(X;Z)
    # = ln(2)/2 - ln(3/2)/2. Measured at n = 2000: I(X;Z|Y) mean 0.001, sd 0.016,
    # max 0.033 over 10 seeds.
    rng = np.random.default_rng(7)
    x = rng.standard_normal(N)
    y = x + rng.standard_normal(N)
    z = y + rng.standard_normal(N)
    assert abs(conditional_mutual_information(x, z, y)) < 0.06
    expected = 0.5 * math.log(2.0) - 0.5 * math.log(1.5)
    assert conditional_mutual_information(x, y, z) == pytest.approx(expected, abs=0.06)


@pytest.mark.parametrize("m", [2, 4, 8])
def test_discrete_continuous_closed_form(m):
    # X uniform on {0..m-1}, Y ~ U[X, X+2]: I = ln m - (m-1) ln 2 / m (Ross 2014, Fig. 2's
    # setting). Measured |error| at n = 2000: mean <= 0.007, sd <= 0.013, max 0.028.
    rng = np.random.default_rng(m)
    labels = rng.integers(0, m, N)
    x = labels + 2.0 * rng.random(N)
    exact = math.log(m) - (m - 1) * math.log(2.0) / m
    assert mutual_information_discrete(x, labels) == pytest.approx(exact, abs=0.05)
    assert mutual_information_discrete(x, labels, base=2) == pytest.approx(exact / math.log(2), abs=0.08)


def test_discrete_continuous_gaussian_mixture_by_numerical_integration():
    means, weights = np.array([-2.0, 0.0, 1.5]), np.array([0.5, 0.3, 0.2])

    def density(v):
        return float(np.sum(weights * stats.norm.pdf(v, means, 1.0)))

    h_x = integrate.quad(lambda v: -density(v) * math.log(density(v)), -12, 12, limit=200)[0]
    exact = h_x - 0.5 * math.log(2 * math.pi * math.e)  # I = H(X) - H(X|Y)
    rng = np.random.default_rng(11)
    labels = rng.choice(3, size=3000, p=weights)
    x = means[labels] + rng.standard_normal(3000)
    assert mutual_information_discrete(x, labels) == pytest.approx(exact, abs=0.04)
    # matches scikit-learn's implementation of the same estimator in 1-D
    from sklearn.feature_selection._mutual_info import _compute_mi_cd
    ours = mutual_information_discrete(x, labels, standardize=False, jitter=False)
    assert ours == pytest.approx(_compute_mi_cd(x, labels, 3), abs=1e-12)


def test_multi_information_matches_closed_form():
    # Three equicorrelated Gaussians (rho = 0.5): TC = -1/2 ln det(R).
    corr = np.full((3, 3), 0.5) + 0.5 * np.eye(3)
    rng = np.random.default_rng(2)
    data = rng.multivariate_normal(np.zeros(3), corr, size=N)
    exact = -0.5 * np.linalg.slogdet(corr)[1]
    for method in ("ksg1", "ksg2"):
        tc = multi_information([data[:, 0], data[:, 1], data[:, 2]], method=method)
        assert tc == pytest.approx(exact, abs=0.1)
    pair = multi_information([data[:, 0], data[:, 1]])
    assert pair == mutual_information(data[:, 0], data[:, 1])


def assume_standardisable(*arrays):
    """Columns whose standard deviation is representable (tiny entries square to 0)."""
    assume(all(a.std(axis=0).min() > 1e-100 for a in arrays))


def test_standard_deviations_that_under_or_overflow_are_computed_stably():
    # issue 12, item 12: a column whose squares underflow (or overflow) is standardised
    # through an exact power-of-two rescaling, so the estimate is that of the data
    # brought to unit scale, not an error or NaN
    x = np.zeros((20, 1))
    x[3] = 1e-200   # not constant, but its variance is 0 in floating point
    y = np.random.default_rng(0).standard_normal(20)
    unit = x * 1e200
    assert mutual_information(x, y, warn=False) == pytest.approx(mutual_information(unit, y, warn=False),
                                                                 abs=1e-12)
    huge = np.where(y > 0, 1e300, -1e300)
    assert mutual_information(y, huge, warn=False) == pytest.approx(
        mutual_information(y, np.sign(y), warn=False), abs=1e-12)
    assert math.isfinite(mutual_information(x, y, standardize=False, warn=False))


def test_mutual_information_of_data_near_the_float_limits():
    # issue 12, item 12: mutual_information(x * 1e300, x) used to fail inside NumPy
    x, y, _ = correlated_gaussians(500, d=2, rho=0.6, seed=0)
    reference = mutual_information(x, y, warn=False)
    for scale in (1e300, 1e-300):
        assert mutual_information(x * scale, y, warn=False) == pytest.approx(reference, abs=1e-12)
    assert mutual_information(x * 1e300, x, warn=False) == pytest.approx(
        mutual_information(x, x, warn=False), abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=5, max_samples=40, max_features=2, unique=True),
       y=samples(n_samples=40, max_features=2, unique=True))
def test_ksg1_is_symmetric(x, y):
    # without jitter, algorithm 1 depends on the joint k-NN distance only, which is symmetric
    y = y[: len(x)]
    assume_standardisable(x, y)
    forward = mutual_information(x, y, jitter=False, warn=False)
    assert mutual_information(y, x, jitter=False, warn=False) == pytest.approx(forward, rel=1e-12, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=5, max_samples=40, max_features=2, unique=True),
       y=samples(n_samples=40, max_features=2, unique=True),
       px=st.integers(-3, 3), py=st.integers(-3, 3), method=st.sampled_from(["ksg1", "ksg2"]))
def test_standardised_estimate_is_unchanged_by_power_of_two_scaling(x, y, px, py, method):
    # standardising (x a - mean) / std with a = 2^p is exact, so the estimate is bit-identical
    y = y[: len(x)]
    assume_standardisable(x, y)
    reference = mutual_information(x, y, method=method, warn=False)
    assert mutual_information(x * 2.0**px, y * 2.0**py, method=method, warn=False) == reference


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=5, max_samples=40, max_features=3, unique=True), k=st.integers(1, 4))
def test_information_of_a_variable_with_itself(x, k):
    # I(X;X) by KSG 1: the joint k-NN distance is the marginal one, so at most k - 1 points
    # lie strictly inside it: I >= psi(N) - psi(k), with equality when no distances tie
    n = len(x)
    assume(n > k)
    assume_standardisable(x)
    value = mutual_information(x, x, k=k, jitter=False, warn=False)
    assert value >= special.digamma(n) - special.digamma(k) - 1e-12
    assert value <= special.digamma(k) + special.digamma(n) - 2 * special.digamma(1) + 1e-12


def test_information_of_a_variable_with_itself_without_ties():
    x = np.random.default_rng(21).standard_normal((500, 2))
    for k in (1, 3, 6):
        assert mutual_information(x, x, k=k, jitter=False) == pytest.approx(
            special.digamma(500) - special.digamma(k), rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=12, max_samples=40, max_features=2, unique=True),
       labels=st.lists(st.integers(0, 2), min_size=40, max_size=40))
def test_discrete_estimate_ignores_the_names_of_the_labels(x, labels):
    labels = np.array(labels[: len(x)])
    assume_standardisable(x)
    counts = np.bincount(labels)
    assume(counts[counts > 1].sum() > 3)  # Ross drops singleton classes and needs more than k points
    names = np.array(["red", "green", "blue"])[(labels + 1) % 3]
    expected = mutual_information_discrete(x, labels, warn=False)
    assert mutual_information_discrete(x, names, warn=False) == expected


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=1, max_samples=30, max_features=3, bound=1e3),
       y=samples(n_samples=30, max_features=2), rounded=st.booleans(), jitter=st.booleans(),
       k=st.integers(1, 4), labels=st.lists(st.integers(0, 2), min_size=30, max_size=30))
def test_estimates_are_finite_or_refused_by_name(x, y, rounded, jitter, k, labels):
    # duplicated points (rounded, no jitter), constant columns, n <= k: never NaN
    x = np.round(x) if rounded else x
    y, labels = y[: len(x)], np.array(labels[: len(x)])
    options = {"k": k, "jitter": jitter, "warn": False}
    calls = [lambda m=m: mutual_information(x, y, method=m, **options) for m in ("ksg1", "ksg2")]
    calls += [lambda: mutual_information(x, y, standardize=False, **options),
              lambda: conditional_mutual_information(x, y, x[:, :1], **options),
              lambda: multi_information([x, y, y], **options),
              lambda: mutual_information_discrete(x, labels, **options)]
    for call in calls:
        try:
            value = call()
        except ValueError as err:
            assert re.match(r"^[a-z_]+(\[\d+\])?: ", str(err)), str(err)
        else:
            assert math.isfinite(value)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_and_cpu_give_identical_estimates():
    # max-norm distances are exact in float64 on any device, so the counts and estimates agree
    x, y, _ = correlated_gaussians(3000, d=2, rho=0.6, seed=8)
    cx, cy = torch.from_numpy(x).cuda(), torch.from_numpy(y).cuda()
    for method in ("ksg1", "ksg2"):
        assert mutual_information(cx, cy, method=method) == mutual_information(x, y, method=method)
    assert conditional_mutual_information(cx, cy[:, 0], cy[:, 1]) == \
        conditional_mutual_information(x, y[:, 0], y[:, 1])
    labels = (y[:, 0] > 0).astype(int)
    assert mutual_information_discrete(cx, torch.from_numpy(labels).cuda()) == \
        mutual_information_discrete(x, labels)


def test_bad_input_names_the_argument():
    x = np.random.default_rng(0).standard_normal((50, 2))
    with pytest.raises(ValueError, match=r"^x: contains NaN"):
        mutual_information(np.where(x > 2, np.nan, x), x)
    with pytest.raises(ValueError, match=r"^y: contains NaN"):
        mutual_information(x, np.full(50, np.inf))
    with pytest.raises(ValueError, match=r"^y: has 49 samples"):
        mutual_information(x, x[:49])
    with pytest.raises(ValueError, match=r"^k: needs more samples"):
        mutual_information(x[:3], x[:3], k=3)
    with pytest.raises(ValueError, match=r"^y: column 1 is constant"):
        mutual_information(x, np.c_[x[:, 0], np.ones(50)])
    with pytest.raises(ValueError, match=r"^x: has 0 features"):
        mutual_information(np.zeros((50, 0)), x)
    with pytest.raises(ValueError, match=r"^method: "):
        mutual_information(x, x, method="ksg3")
    with pytest.raises(ValueError, match=r"^base: "):
        mutual_information(x, x, base=1)
    with pytest.raises(ValueError, match=r"^labels: "):
        mutual_information_discrete(x, np.zeros(49))
    with pytest.raises(ValueError, match=r"^z: "):
        conditional_mutual_information(x, x, x[:10])
    with pytest.raises(ValueError, match=r"^variables: "):
        multi_information([x])
    with pytest.raises(ValueError, match=r"^variables\[2\]: column 0 is constant"):
        multi_information([x, x, np.ones(50)])
    with pytest.raises(ValueError, match=r"^seed: "):
        mutual_information(x, x, seed=-1)
    with pytest.raises(ValueError, match=r"^backend: "):
        mutual_information(x, x, backend="gpu")


def test_small_sample_warning_and_seeded_jitter():
    x, y, _ = correlated_gaussians(20, d=1, rho=0.5, seed=0)
    with pytest.warns(SmallSampleWarning):
        mutual_information(x, y)
    rounded = np.round(x, 1), np.round(y, 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SmallSampleWarning)
        assert mutual_information(*rounded, seed=3) == mutual_information(*rounded, seed=3)


# ---------------------------------------------------------------- issue 12 regressions


def test_complex_samples_are_refused_by_name():
    # issue 12, item 6: mutual_information(x + 5j * y, y) equalled mutual_information(x, y)
    x, y, _ = correlated_gaussians(200, d=1, rho=0.6, seed=0)
    with pytest.raises(ValueError, match=r"^x: expected real numbers"):
        mutual_information(x + 5j * y, y)
    with pytest.raises(ValueError, match=r"^y: expected real numbers"):
        mutual_information(x, torch.tensor(y) + 1j)
    with pytest.raises(ValueError, match=r"^z: expected real numbers"):
        conditional_mutual_information(x, y, y + 0j)
    with pytest.raises(ValueError, match=r"^variables\[1\]: expected real numbers"):
        multi_information([x, y + 0j])
    with pytest.raises(ValueError, match=r"^x: expected real numbers"):
        mutual_information_discrete(x + 0j, np.arange(200) % 2)
    with pytest.raises(ValueError, match=r"^labels: expected real numbers"):
        mutual_information_discrete(x, np.arange(200) % 2 + 0j)
    # ints and float16 are cast, as before
    ints = np.round(x * 1000).astype(int)
    assert mutual_information(ints, y, warn=False) == mutual_information(ints.astype(float), y, warn=False)
    assert math.isfinite(mutual_information(x.astype(np.float16), y, warn=False))


def test_duplicated_samples_warn():
    # issue 12, item 8: every point repeated three times turns a true MI of 0.223 into
    # 0.5-0.75 (duplicates are not independent draws): the estimator says so
    x, y, exact = correlated_gaussians(700, d=1, rho=0.6, seed=0)
    assert exact == pytest.approx(0.223, abs=1e-3)
    tripled = np.repeat(x, 3, axis=0), np.repeat(y, 3, axis=0)
    with pytest.warns(TiedSamplesWarning, match=r"^x: 100% of the samples repeat another sample's value"):
        mutual_information(*tripled)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TiedSamplesWarning)
        mutual_information(x, y)  # continuous data: no warning
        mutual_information(*tripled, warn=False)  # silenced on request
    with pytest.warns(TiedSamplesWarning):
        conditional_mutual_information(*tripled, tripled[0])
    with pytest.warns(TiedSamplesWarning):
        mutual_information_discrete(tripled[0], np.arange(2100) % 2)


def test_rounded_data_without_jitter_warn_that_the_value_is_meaningless():
    # issue 12, item 8: mutual_information(round(x), round(y), jitter=False) gave 9.6 nats
    # against a (discrete) truth of 0.39 without a word, while the KL entropy raised
    x, y, _ = correlated_gaussians(N, d=1, rho=0.8, seed=0)
    xr, yr = np.round(x), np.round(y)
    with pytest.warns(TiedSamplesWarning, match=r"estimate is meaningless \(keep jitter=True\)"):
        mutual_information(xr, yr, jitter=False)
    # with the jitter: the MI of the dequantised variables, below the discrete MI (the
    # dequantising noise is independent), as documented
    from infoplane.info import Distribution
    from infoplane.info import mutual_information as exact_mi
    discrete = exact_mi(Distribution.from_columns([xr.ravel(), yr.ravel()], "XY"), "X", "Y")
    assert discrete == pytest.approx(0.40, abs=0.01)
    with pytest.warns(TiedSamplesWarning, match=r"dequantised"):
        dequantised = mutual_information(xr, yr)
    assert 0.3 < dequantised < discrete  # 0.375 here


def test_jitter_resolution_is_robust_to_one_moved_sample():
    # issue 12, item 8: the resolution is the median gap between distinct values, so one
    # integer sample moved by 1e-6 changes neither it nor the estimate noticeably
    rng = np.random.default_rng(0)
    a = rng.integers(0, 4, N).astype(float)
    b = a + rng.integers(0, 2, N)
    moved = a.copy()
    moved[0] += 1e-6
    assert _prepare.resolution(moved) == _prepare.resolution(a) == 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", TiedSamplesWarning)
        assert abs(mutual_information(moved, b) - mutual_information(a, b)) < 0.01


def test_estimates_are_bit_identical_to_the_pre_speedup_code():
    # issue 15, item 7: the faster neighbour counts (bitsets, tree-ordered queries,
    # threads, the cheap tie pre-check) change no estimate; these values were computed
    # by the code before that change, on every CPU path (1-D sorting, bitsets, the
    # joint k-d tree, brute force above 12 joint dimensions), with ties and without
    pinned = [0.15086654873936745, 0.15181380769985964, 8.956606255513805, 0.364221548270657,
              1.801888930546089, 0.42757541522268827, 0.4188069376738621, 0.7325012229114858,
              0.2844048243388375, 0.3262120575082027, 0.5007210620901539, 0.5284921005445931,
              0.7321971654770056, 0.24084537167290043, 0.3377507600821251, 0.5381886629691097,
              0.5844657521643581, 0.6525277635938593, 0.1617310411291124, 0.458413595849735]
    got = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for n, d in [(1500, 1), (1500, 3), (1500, 5), (600, 8)]:
            x, y, _ = correlated_gaussians(n, d=d, rho=0.5, seed=1)
            xr, yr = np.round(x * 2) / 2, np.round(y * 2) / 2
            labels = (x[:, 0] > 0).astype(int) + (y[:, -1] > 1)
            got += [mutual_information(x, y), mutual_information(x, y, method="ksg2"),
                    mutual_information(xr, yr, jitter=False), mutual_information_discrete(y, labels),
                    conditional_mutual_information(x, y, x[:, :1] + y[:, :1])]
    assert got == pinned


def test_cheap_tie_precheck_never_changes_the_warning():
    # issue 15, item 7: the full row scan is skipped only where one column proves that at
    # most half of the rows can be tied; a tied first column alone must not warn
    rng = np.random.default_rng(5)
    x = np.column_stack([np.round(rng.standard_normal(900)), rng.standard_normal(900)])
    y = x[:, :1] + rng.standard_normal((900, 1))
    from infoplane.estimators.ksg import _may_be_tied
    assert _may_be_tied({"x": x, "y": y}, 3)  # its first column repeats: full scan
    assert not _may_be_tied({"x": x[:, ::-1], "y": y}, 3)
    with warnings.catch_warnings():
        warnings.simplefilter("error", TiedSamplesWarning)
        mutual_information(x, y)  # rows are distinct: no warning either way
        mutual_information(x[:, ::-1], y)
    with pytest.warns(TiedSamplesWarning, match=r"^x: 100% of the samples"):
        mutual_information(np.repeat(x[:300, ::-1], 3, axis=0), y)
