"""Entropy estimators: Kozachenko-Leonenko, Gaussian bounds, binning, KDE bounds."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import integrate, stats

from infoplane.estimators import (
    binning_entropy,
    conditional_entropy,
    entropy,
    gaussian_entropy_bound,
    kde_entropy_bound,
    kozachenko_leonenko,
)

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


def test_kl_torch_backend_and_base():
    x = np.random.default_rng(0).standard_normal((800, 3))
    cpu = kozachenko_leonenko(x, backend="cpu")
    assert kozachenko_leonenko(torch.from_numpy(x), backend="torch") == cpu
    assert entropy(x, base=2) == pytest.approx(cpu / math.log(2), rel=1e-12)


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
    with pytest.raises(ValueError, match="jitter"):
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
    with pytest.raises(ValueError, match="singular"):
        gaussian_entropy_bound(np.c_[x[:, 0], 2 * x[:, 0]])


def test_binning_entropy_exact_patterns():
    # 4 equiprobable 2-D bins and one with double weight: p = (1,1,1,1,2)/6
    x = np.array([[0.1, 0.1], [0.1, 1.1], [1.1, 0.1], [1.1, 1.1], [2.5, 2.5], [2.6, 2.7]])
    p = np.array([1, 1, 1, 1, 2]) / 6
    assert binning_entropy(x, 1.0) == pytest.approx(-np.sum(p * np.log(p)), rel=1e-12)
    assert entropy(x, "binning", bin_width=10.0) == 0.0  # one bin
    with pytest.raises(ValueError, match="bin_width"):
        entropy(x, "binning")
    with pytest.raises(ValueError, match="bin_width"):
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


def test_kde_bounds_limits_and_torch():
    # One cluster of identical centres: both bounds equal the noise entropy.
    x = np.zeros((10, 3))
    noise = gaussian_entropy(3, 0.5)
    assert kde_entropy_bound(x, 0.5) == pytest.approx(noise, abs=1e-12)
    assert kde_entropy_bound(x, 0.5, bound="lower") == pytest.approx(noise, abs=1e-12)
    y = np.random.default_rng(8).standard_normal((300, 4))
    chunked = kde_entropy_bound(torch.from_numpy(y), 0.2, max_bytes=10_000)
    assert chunked == pytest.approx(kde_entropy_bound(y, 0.2), rel=1e-10)
    with pytest.raises(ValueError, match="noise_variance"):
        entropy(y, "kde")
    with pytest.raises(ValueError, match="bound"):
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
    with pytest.raises(ValueError, match="labels"):
        conditional_entropy(x, labels[:10])


def test_bad_input():
    with pytest.raises(ValueError, match="^method"):
        entropy(np.ones((5, 1)) + np.arange(5)[:, None], "shannon")
    with pytest.raises(ValueError, match="^x: contains NaN"):
        entropy(np.array([1.0, np.nan, 2.0, 3.0, 4.0]))
    with pytest.raises(ValueError, match="^x: column 0 is constant"):
        entropy(np.ones(10))
    with pytest.raises(ValueError, match="^k"):
        entropy(np.arange(3.0), k=3)
    with pytest.raises(ValueError, match="^metric"):
        entropy(np.arange(10.0), metric="manhattan")
