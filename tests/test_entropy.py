"""Entropy estimators: Kozachenko-Leonenko, Gaussian bounds, binning, KDE bounds."""

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

from infoplane.estimators import (
    _prepare,
    binning_entropy,
    conditional_entropy,
    discrete_entropy,
    entropy,
    gaussian_entropy_bound,
    kde_entropy_bound,
    kozachenko_leonenko,
)
from infoplane.estimators.ksg import TiedSamplesWarning

N = 2000


def gaussian_entropy(d, variance):
    return 0.5 * d * math.log(2 * math.pi * math.e * variance)


# Measured error of Kozachenko-Leonenko at n = 2000, k = 3 over seeds 0-9 (both norms):
#   Gaussian (sd 1.5): d=1 -0.002 +- 0.016, d=2 -0.01 +- 0.024, d=3 -0.033 +- 0.027
#   uniform [0,2]^d:   d=1 +0.004 +- 0.015, d=2 +0.023 +- 0.011
# Tolerance 0.12 = the largest bias plus > 3 sd.
@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize("d", [1, 2, 3])
def test_kozachenko_leonenko_gaussian(metric, d):
    x = np.random.default_rng(d).standard_normal((N, d)) * 1.5
    assert entropy(x, "kl", metric=metric) == pytest.approx(gaussian_entropy(d, 2.25), abs=0.12)


@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize("d", [1, 2])
def test_kozachenko_leonenko_uniform(metric, d):
    u = np.random.default_rng(20 + d).random((N, d)) * 2.0
    assert kozachenko_leonenko(u, metric=metric) == pytest.approx(d * math.log(2.0), abs=0.08)


def test_kozachenko_leonenko_boundary_bias_in_five_dimensions():
    # Uniform on a 5-cube: balls near the faces stick out of the support, so KL
    # overestimates (measured +0.46 max-norm, +0.41 Euclidean, sd 0.02 at n = 2000).
    u = np.random.default_rng(5).random((N, 5)) * 2.0
    assert 0.25 < kozachenko_leonenko(u) - 5 * math.log(2.0) < 0.7


def brute_kozachenko_leonenko(x, k, metric):
    """Eq. 20 of Kraskov et al. (2004) from a full NumPy distance matrix."""
    n, d = x.shape
    diff = np.abs(x[:, None, :] - x[None, :, :])
    dist = diff.max(-1) if metric == "max" else np.sqrt((diff**2).sum(-1))
    np.fill_diagonal(dist, np.inf)
    eps = np.sort(dist, axis=1)[:, k - 1]
    if metric == "max":
        log_volume = d * math.log(2.0)
    else:
        log_volume = 0.5 * d * math.log(math.pi) - special.gammaln(0.5 * d + 1)
    return special.digamma(n) - special.digamma(k) + log_volume + d * np.mean(np.log(eps))


@pytest.mark.parametrize("metric", ["max", "euclidean"])
@pytest.mark.parametrize(("d", "k"), [(1, 1), (2, 3), (4, 5)])
def test_kozachenko_leonenko_equals_brute_force(metric, d, k):
    x = np.random.default_rng(30 + d).standard_normal((300, d))
    expected = brute_kozachenko_leonenko(x, k, metric)
    got = kozachenko_leonenko(x, k, metric=metric, jitter=False, warn=False)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=5, max_samples=40, max_features=3, unique=True),
       power=st.integers(1, 4), metric=st.sampled_from(["max", "euclidean"]))
def test_kl_scales_exactly_with_powers_of_two(x, power, metric):
    # H(a X) = H(X) + d ln a for the estimator itself: a = 2^p scales every distance exactly
    a = 2.0**power
    # Euclidean trees square the distances: keep them clear of underflow (see the test below)
    assume(metric == "max" or brute_squared_distances(x).min() > 1e-290)
    h = kozachenko_leonenko(x, 3, metric=metric, jitter=False, warn=False)
    scaled = kozachenko_leonenko(a * x, 3, metric=metric, jitter=False, warn=False)
    assert scaled == pytest.approx(h + x.shape[1] * math.log(a), rel=1e-12, abs=1e-9)
    assert math.isfinite(h)


def brute_squared_distances(x):
    sq = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    np.fill_diagonal(sq, np.inf)
    return sq


def test_kl_refuses_distances_that_underflow():
    # distinct points whose squared Euclidean distances underflow: an error naming x, not -inf
    x = np.array([[0.0], [1.0], [1.8e-166], [3.2e-213], [1.0e-266]])
    with pytest.raises(ValueError, match=r"^x: zero k-NN distances"):
        kozachenko_leonenko(x, 3, metric="euclidean", jitter=False, warn=False)
    assert math.isfinite(kozachenko_leonenko(x, 3, metric="max", jitter=False, warn=False))


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=5, max_samples=40, max_features=3, unique=True), seed=st.integers(0, 1000))
def test_kl_ignores_the_order_of_the_samples(x, seed):
    rows = np.random.default_rng(seed).permutation(len(x))
    assert kozachenko_leonenko(x[rows], jitter=False, warn=False) == pytest.approx(
        kozachenko_leonenko(x, jitter=False, warn=False), rel=1e-12, abs=1e-12)


def test_kl_torch_backend_and_base():
    x = np.random.default_rng(0).standard_normal((800, 3))
    cpu = kozachenko_leonenko(x, backend="cpu")
    assert kozachenko_leonenko(torch.from_numpy(x), backend="torch") == cpu
    assert entropy(x, base=2) == pytest.approx(cpu / math.log(2), rel=1e-12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_and_cpu_entropies_agree():
    x = np.random.default_rng(15).standard_normal((3000, 3))
    cuda = torch.from_numpy(x).cuda()
    for metric in ("max", "euclidean"):
        expected = kozachenko_leonenko(x, metric=metric, backend="cpu")
        assert kozachenko_leonenko(cuda, metric=metric) == pytest.approx(expected, rel=1e-12)
    assert kozachenko_leonenko(cuda) == kozachenko_leonenko(x)   # max-norm: exact on any device
    for bound in ("upper", "lower"):
        assert kde_entropy_bound(cuda, 0.2, bound=bound) == pytest.approx(
            kde_entropy_bound(x, 0.2, bound=bound), rel=1e-10)


def test_kl_scaling_identity():
    # H(aX) = H(X) + d ln a exactly for the estimator too (distances scale by a).
    x = np.random.default_rng(1).standard_normal((500, 2))
    assert kozachenko_leonenko(3.0 * x, jitter=False) == pytest.approx(
        kozachenko_leonenko(x, jitter=False) + 2 * math.log(3.0), abs=1e-9)


def test_kl_duplicates_are_jittered_not_infinite():
    x = np.round(np.random.default_rng(2).standard_normal((N, 1)), 1)  # ~60 distinct values
    h = kozachenko_leonenko(x)
    # dequantised over the 0.1 grid: close to the Gaussian's entropy (which adds
    # Var = 0.1^2/12 of rounding noise, negligible here)
    assert h == pytest.approx(gaussian_entropy(1, 1.0), abs=0.08)
    with pytest.raises(ValueError, match=r"^x: zero k-NN distances: duplicated samples"):
        kozachenko_leonenko(x, jitter=False)


def test_gaussian_bounds():
    cov = np.array([[2.0, 0.9], [0.9, 1.0]])
    x = np.random.default_rng(3).multivariate_normal([0, 0], cov, size=20000)
    exact = 0.5 * math.log(np.linalg.det(2 * math.pi * math.e * cov))
    full = gaussian_entropy_bound(x)
    diag = gaussian_entropy_bound(x, diagonal=True)
    assert full == pytest.approx(exact, abs=0.02)  # sampling error of log det ~ 0.01
    # Kirsch et al. A.6: the diagonal bound exceeds the full one by -1/2 ln(1 - r^2)
    r2 = 0.9**2 / 2.0
    assert diag - full == pytest.approx(-0.5 * math.log(1 - r2), abs=0.02)
    assert entropy(x, "gaussian", diagonal=True) == diag
    # and it bounds the entropy of non-Gaussian data (uniform: ln 2 per dimension)
    u = np.random.default_rng(4).random((N, 2)) * 2.0
    assert gaussian_entropy_bound(u, diagonal=True) > 2 * math.log(2.0)
    with pytest.raises(ValueError, match=r"^x: the sample covariance is singular"):
        gaussian_entropy_bound(np.c_[x[:, 0], 2 * x[:, 0]])


def test_gaussian_bounds_equal_scipy():
    x = np.random.default_rng(12).standard_normal((500, 3)) @ np.array([[1, 0, 0], [0.5, 2, 0], [0, 1, 0.3]])
    cov = np.cov(x, rowvar=False)
    assert gaussian_entropy_bound(x) == pytest.approx(stats.multivariate_normal(np.zeros(3), cov).entropy(),
                                                      rel=1e-12)
    per_dim = sum(stats.norm(scale=s).entropy() for s in x.std(axis=0, ddof=1))
    assert gaussian_entropy_bound(x, diagonal=True) == pytest.approx(per_dim, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=2, max_samples=40, max_features=3, unique=True), power=st.integers(-3, 3))
def test_diagonal_gaussian_bound_shifts_by_d_ln_a(x, power):
    a = 2.0**power
    assume(x.var(axis=0, ddof=1).min() > 1e-250)   # tiny entries: the variance underflows
    h = gaussian_entropy_bound(x, diagonal=True)
    assert gaussian_entropy_bound(a * x, diagonal=True) == pytest.approx(h + x.shape[1] * math.log(a),
                                                                         rel=1e-12, abs=1e-9)


def test_diagonal_bound_of_an_underflowing_variance_is_computed_stably():
    # a valid, non-constant column whose squares underflow (issue 12, item 12): computed
    # in a stable form (an exact power-of-two rescaling), neither -inf nor an error.
    # Closed form: mean 1e-291, sample variance ((9e-291)^2 + 9 (1e-291)^2) / 9 = 1e-581.
    x = np.zeros((10, 1))
    x[0, 0] = 1e-290
    exact = 0.5 * math.log(2 * math.pi * math.e) + 0.5 * -581 * math.log(10)
    assert gaussian_entropy_bound(x, diagonal=True) == pytest.approx(exact, rel=1e-12)
    assert gaussian_entropy_bound(x) == pytest.approx(exact, rel=1e-12)


@settings(max_examples=25, deadline=None)
@given(x=samples(min_samples=1, max_samples=30, max_features=3, bound=1e3), rounded=st.booleans(),
       jitter=st.booleans(), k=st.integers(1, 4),
       labels=st.lists(st.integers(0, 2), min_size=30, max_size=30))
def test_entropies_are_finite_or_refused_by_name(x, rounded, jitter, k, labels):
    # duplicated points, constant columns, tiny samples: a finite number or a ValueError naming
    # the argument, never NaN
    x = np.round(x) if rounded else x
    labels = np.array(labels[: len(x)])
    calls = [lambda m=m: entropy(x, m, k=k, jitter=jitter, bin_width=0.5, noise_variance=0.1, warn=False)
             for m in ("kl", "gaussian", "binning", "kde")]
    calls += [lambda: entropy(x, "gaussian", diagonal=True),
              lambda: entropy(x, "kl", metric="euclidean", k=k, jitter=jitter, warn=False),
              lambda: conditional_entropy(x, labels, "kl", k=k, jitter=jitter, warn=False),
              lambda: discrete_entropy(labels)]
    for call in calls:
        try:
            value = call()
        except ValueError as err:
            assert re.match(r"^[a-z_]+: ", str(err)), str(err)
        else:
            assert math.isfinite(value)


def test_discrete_entropy_equals_scipy_and_ignores_the_labels_names():
    rng = np.random.default_rng(13)
    labels = rng.choice(5, size=1000, p=[0.4, 0.3, 0.2, 0.05, 0.05])
    counts = np.bincount(labels)
    assert discrete_entropy(labels) == pytest.approx(stats.entropy(counts), rel=1e-12)
    assert discrete_entropy(torch.from_numpy(labels), base=2) == pytest.approx(stats.entropy(counts, base=2),
                                                                                rel=1e-12)
    names = np.array(["a", "b", "c", "d", "e"])[(labels + 2) % 5]   # a bijection of the alphabet
    assert discrete_entropy(names) == pytest.approx(discrete_entropy(labels), rel=1e-12)
    rows = np.stack([labels % 2, labels // 2], 1)                   # the same symbols as rows
    assert discrete_entropy(rows) == pytest.approx(discrete_entropy(labels), rel=1e-12)
    assert discrete_entropy(np.zeros(7)) == 0.0 and math.copysign(1.0, discrete_entropy(np.zeros(7))) == 1.0
    with pytest.raises(ValueError, match=r"^symbols: expected a non-empty"):
        discrete_entropy(np.zeros(0))
    with pytest.raises(ValueError, match=r"^symbols: contains NaN"):
        discrete_entropy(np.array([0.0, np.nan]))


@settings(max_examples=25, deadline=None)
@given(x=samples(max_samples=40, max_features=3))
def test_discrete_entropy_lies_between_zero_and_log_n(x):
    h = discrete_entropy(np.round(x))
    assert 0.0 <= h <= math.log(len(x)) + 1e-12
    distinct = len(np.unique(np.round(x), axis=0))
    assert (h == 0.0) == (distinct == 1)


def test_binning_entropy_exact_patterns():
    # 4 equiprobable 2-D bins and one with double weight: p = (1,1,1,1,2)/6
    x = np.array([[0.1, 0.1], [0.1, 1.1], [1.1, 0.1], [1.1, 1.1], [2.5, 2.5], [2.6, 2.7]])
    p = np.array([1, 1, 1, 1, 2]) / 6
    assert binning_entropy(x, 1.0) == pytest.approx(-np.sum(p * np.log(p)), rel=1e-12)
    assert entropy(x, "binning", bin_width=10.0) == 0.0  # one bin
    with pytest.raises(ValueError, match=r"^bin_width:"):
        entropy(x, "binning")
    with pytest.raises(ValueError, match=r"^bin_width:"):
        binning_entropy(x, 0.0)


@given(scale=st.floats(0.1, 10.0), width=st.floats(0.05, 1.0))
def test_binning_is_invariant_to_joint_rescaling(scale, width):
    x = np.random.default_rng(0).standard_normal((200, 2))
    # floor((a x) / (a w)) equals floor(x / w) up to rounding at bin edges
    assert binning_entropy(scale * x, scale * width) == pytest.approx(binning_entropy(x, width), abs=0.05)


def test_binning_approaches_differential_entropy():
    # For fine bins and many samples, H_binned + ln(width) -> h (uniform on [0, 3]: ln 3)
    u = np.random.default_rng(6).random(200_000) * 3.0
    assert binning_entropy(u, 0.03) + math.log(0.03) == pytest.approx(math.log(3.0), abs=0.01)


def mixture_entropy_1d(centres, variance):
    """Entropy of (1/n) sum_i N(c_i, variance) by numerical integration."""
    sd = math.sqrt(variance)

    def density(v):
        return float(np.mean(stats.norm.pdf(v, centres, sd)))

    lo, hi = centres.min() - 12 * sd, centres.max() + 12 * sd
    return integrate.quad(lambda v: -density(v) * math.log(max(density(v), 1e-300)), lo, hi,
                          limit=500, points=list(np.linspace(lo, hi, 50)))[0]


@pytest.mark.parametrize("variance", [0.01, 0.1, 1.0])
def test_kde_bounds_sandwich_the_mixture_entropy(variance):
    centres = np.random.default_rng(7).standard_normal(60)
    exact = mixture_entropy_1d(centres, variance)
    upper = kde_entropy_bound(centres, variance, bound="upper")
    lower = kde_entropy_bound(centres, variance, bound="lower")
    assert lower <= exact + 1e-6 and exact <= upper + 1e-6
    assert entropy(centres, "kde", noise_variance=variance) == upper


def brute_kde_bound(x, s, scale):
    """Kolchinsky & Tracey (2017) eqs. 9-10 from the full matrix of squared distances."""
    n, d = x.shape
    sq = ((x[:, None, :] - x[None, :, :]) ** 2).sum(-1)
    log_mixture = special.logsumexp(-sq / scale, axis=1) - math.log(n)
    return 0.5 * d * math.log(2 * math.pi * math.e * s) - np.mean(log_mixture)


@pytest.mark.parametrize("bound, scale", [("upper", 2.0), ("lower", 8.0)])
def test_kde_bounds_equal_brute_force(bound, scale):
    x = np.random.default_rng(14).standard_normal((120, 3))
    assert kde_entropy_bound(x, 0.3, bound=bound) == pytest.approx(brute_kde_bound(x, 0.3, scale * 0.3),
                                                                   rel=1e-12)


def test_kde_bounds_limits_and_torch():
    # One cluster of identical centres: both bounds equal the noise entropy.
    x = np.zeros((10, 3))
    noise = gaussian_entropy(3, 0.5)
    assert kde_entropy_bound(x, 0.5) == pytest.approx(noise, abs=1e-12)
    assert kde_entropy_bound(x, 0.5, bound="lower") == pytest.approx(noise, abs=1e-12)
    y = np.random.default_rng(8).standard_normal((300, 4))
    chunked = kde_entropy_bound(torch.from_numpy(y), 0.2, max_bytes=10_000)
    assert chunked == pytest.approx(kde_entropy_bound(y, 0.2), rel=1e-10)
    with pytest.raises(ValueError, match=r"^noise_variance:"):
        entropy(y, "kde")
    with pytest.raises(ValueError, match=r"^bound:"):
        kde_entropy_bound(y, 0.2, bound="middle")


def test_conditional_entropy_for_discrete_labels():
    # Class y has N(3y, sd_y^2) data: H[X|Y] = sum_y p(y) 1/2 ln(2 pi e sd_y^2).
    rng = np.random.default_rng(9)
    labels = rng.choice(3, size=6000, p=[0.5, 0.3, 0.2])
    sds = np.array([0.5, 1.0, 2.0])
    x = 3.0 * labels + sds[labels] * rng.standard_normal(6000)
    p = np.array([np.mean(labels == c) for c in range(3)])
    exact = float(np.sum(p * 0.5 * np.log(2 * math.pi * math.e * sds**2)))
    assert conditional_entropy(x, labels) == pytest.approx(exact, abs=0.05)
    assert conditional_entropy(x, labels, "gaussian") == pytest.approx(exact, abs=0.03)
    with pytest.raises(ValueError, match=r"^labels: has 10 samples"):
        conditional_entropy(x, labels[:10])


def test_bad_input():
    with pytest.raises(ValueError, match=r"^method:"):
        entropy(np.ones((5, 1)) + np.arange(5)[:, None], "shannon")
    with pytest.raises(ValueError, match=r"^x: contains NaN"):
        entropy(np.array([1.0, np.nan, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match=r"^x: column 0 is constant"):
        entropy(np.ones(10))
    with pytest.raises(ValueError, match=r"^k: needs more samples"):
        entropy(np.arange(3.0), k=3)
    with pytest.raises(ValueError, match=r"^metric:"):
        entropy(np.arange(10.0), metric="manhattan")


# ---------------------------------------------------------------- issue 12 regressions


def test_complex_samples_are_refused_by_name():
    # issue 12, item 6: complex samples were made real silently
    x = np.random.default_rng(0).standard_normal((50, 2))
    for method, options in (("kl", {}), ("gaussian", {}), ("binning", {"bin_width": 0.5}),
                            ("kde", {"noise_variance": 0.1})):
        with pytest.raises(ValueError, match=r"^x: expected real numbers"):
            entropy(x + 1j, method, **options)
        with pytest.raises(ValueError, match=r"^x: expected real numbers"):
            entropy(torch.tensor(x) + 1j, method, **options)
    with pytest.raises(ValueError, match=r"^x: expected real numbers"):
        conditional_entropy(x + 1j, np.arange(50) % 2)
    with pytest.raises(ValueError, match=r"^labels: expected real numbers"):
        conditional_entropy(x, np.arange(50) % 2 + 0j)
    with pytest.raises(ValueError, match=r"^symbols: expected real numbers"):
        discrete_entropy(np.arange(4) + 0j)
    # ints and float16 are cast, as before
    ints = np.random.default_rng(1).integers(0, 1000, (200, 1))
    assert entropy(ints, warn=False) == entropy(ints.astype(float), warn=False)
    assert math.isfinite(entropy(x.astype(np.float16), warn=False))


def test_moving_one_integer_sample_does_not_move_the_entropy():
    # issue 12, item 8: the dequantisation width followed the smallest gap in a column, so
    # moving one of 2000 integer samples by 1e-6 moved the entropy from 1.36 to -12.45 nats
    ints = np.random.default_rng(0).integers(0, 4, N).astype(float)
    moved = ints.copy()
    moved[0] += 1e-6
    with pytest.warns(TiedSamplesWarning):
        h = entropy(ints)
    with pytest.warns(TiedSamplesWarning):
        h_moved = entropy(moved)
    assert abs(h_moved - h) < 0.01
    # dequantised over the unit grid: close to the discrete entropy in nats (ln 4 here)
    assert h == pytest.approx(discrete_entropy(ints), abs=0.05)


def test_tied_samples_warn_and_continuous_samples_do_not():
    x = np.random.default_rng(3).standard_normal((N, 1))
    with warnings.catch_warnings():
        warnings.simplefilter("error", TiedSamplesWarning)
        entropy(x)  # continuous: no ties, no warning
        entropy(np.repeat(x[:10], 2, axis=0)[:20], k=1, warn=False)  # warn=False silences it
    with pytest.warns(TiedSamplesWarning, match=r"^x: 100% of the samples repeat another sample's value"):
        entropy(np.repeat(x[:500], 3, axis=0))
    with pytest.warns(TiedSamplesWarning, match=r"estimate is meaningless"), \
            pytest.raises(ValueError, match=r"^x: zero k-NN distances"):
        entropy(np.round(x), jitter=False)


def test_jitter_leaves_values_that_occur_once_alone():
    # a continuous column with a few exact repeats: only the repeated values are
    # dequantised (over the median gap), the rest move by the 1e-10 noise only
    x = np.random.default_rng(4).standard_normal((N, 1))
    x[:5] = x[5]
    out = _prepare.add_jitter(x, np.random.default_rng(0))
    assert np.abs(out[6:] - x[6:]).max() < 1e-8
    assert 0 < np.abs(out[:6] - x[:6]).max() <= 0.5 * _prepare.resolution(x[:, 0]) + 1e-8


def test_kde_bound_is_shift_invariant():
    # issue 12, item 7: cdist's matrix-product form moved the bound by 2.2 nats for data
    # shifted by 1e8 in float64
    x = np.random.default_rng(0).standard_normal((500, 2))
    for bound in ("upper", "lower"):
        near = kde_entropy_bound(x, 0.1, bound=bound)
        assert kde_entropy_bound(x + 1e8, 0.1, bound=bound) == pytest.approx(near, abs=1e-6)
    x32 = torch.tensor(x, dtype=torch.float32)
    assert kde_entropy_bound(x32 + 1e4, 0.1) == pytest.approx(kde_entropy_bound(x32, 0.1), abs=1e-2)


@pytest.mark.parametrize("scale", [1e200, 1e300, 1e-200, 1e-300])
def test_gaussian_bounds_near_the_float_limits(scale):
    # issue 12, item 12: the diagonal bound returned inf (and the full one called a
    # perfectly good covariance singular) for data whose squares overflow
    x = np.random.default_rng(0).standard_normal((500, 2))
    for diagonal in (False, True):
        expected = gaussian_entropy_bound(x, diagonal=diagonal) + 2 * math.log(scale)
        assert gaussian_entropy_bound(x * scale, diagonal=diagonal) == pytest.approx(expected, abs=1e-9)
    assert kozachenko_leonenko(x * scale) == pytest.approx(kozachenko_leonenko(x) + 2 * math.log(scale),
                                                           abs=1e-9)


@pytest.mark.skipif(torch.cuda.is_available(), reason="checks the error where CUDA is missing")
def test_unavailable_device_is_named():
    # issue 12, item 9: torch's AssertionError "Torch not compiled with CUDA enabled"
    x = np.random.default_rng(0).standard_normal((50, 1))
    with pytest.raises(ValueError, match=r"^device: 'cuda' was asked for"):
        kde_entropy_bound(x, 0.1, device="cuda")
    with pytest.raises(ValueError, match=r"^device: 'cuda' was asked for"):
        entropy(x, backend="torch", device="cuda")
