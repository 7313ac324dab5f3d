"""Half-sampling confidence intervals and shuffle baselines."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from infoplane.data import correlated_gaussians
from infoplane.estimators import Uncertainty, estimate_uncertainty, mutual_information


def sample_mean(x):
    return float(np.mean(x))


@pytest.mark.parametrize("fraction", [0.5, 0.25])
def test_interval_width_matches_the_standard_error_of_a_mean(fraction):
    # For the sample mean the sampling sd is sigma / sqrt(n) exactly; the scaled
    # half-sample spread must reproduce it. With 400 subsets the quantiles of a
    # normal spread are accurate to ~10 %, so 25 % is a safe tolerance, while the
    # unscaled spread for fraction 0.25 would be off by sqrt(3) (73 %).
    x = np.random.default_rng(0).standard_normal(4000) * 3.0
    u = estimate_uncertainty(sample_mean, x, n_resamples=400, fraction=fraction, seed=1)
    expected_width = 2 * 1.959964 * 3.0 / math.sqrt(4000)
    assert u.ci_high - u.ci_low == pytest.approx(expected_width, rel=0.25)
    assert u.ci_low < u.estimate < u.ci_high
    assert u.shuffle_mean is None and u.p_value is None  # one array: no shuffle


def test_mutual_information_interval_and_baseline():
    x, y, exact = correlated_gaussians(1000, d=1, rho=0.6, seed=3)
    u = estimate_uncertainty(mutual_information, x, y, n_resamples=20, n_shuffles=20, seed=0)
    assert isinstance(u, Uncertainty)
    # measured sd of KSG at n = 1000, rho = 0.6 over 40 seeds: 0.029, so a 95 % interval
    # should be ~0.11 wide; accept the half-sampling width from 0.05 to 0.25 (sd
    # 0.013-0.064; 20 subsets estimate a spread to ~ +-30 %)
    assert u.ci_low < u.estimate < u.ci_high
    assert 0.05 < u.ci_high - u.ci_low < 0.25
    # dependent data: every shuffle is far below the estimate
    assert u.p_value == pytest.approx(1 / 21)
    assert u.shuffle_high < 0.05 < u.estimate - 0.1


def test_torch_inputs_and_shuffle_arg():
    x, y, _ = correlated_gaussians(300, d=1, rho=0.9, seed=1)
    tx, ty = torch.from_numpy(x), torch.from_numpy(y)
    u = estimate_uncertainty(mutual_information, tx, ty, n_resamples=3, n_shuffles=3, shuffle_arg=0)
    v = estimate_uncertainty(mutual_information, x, y, n_resamples=3, n_shuffles=3, shuffle_arg=0)
    assert u.estimate == v.estimate and np.array_equal(u.shuffles, v.shuffles)


def test_bad_arguments():
    x = np.arange(10.0)
    with pytest.raises(ValueError, match=r"^level:"):
        estimate_uncertainty(sample_mean, x, level=1.0)
    with pytest.raises(ValueError, match=r"^fraction: expected a value"):
        estimate_uncertainty(sample_mean, x, fraction=1.0)
    with pytest.raises(ValueError, match=r"^fraction: gives a subsample of 0"):
        estimate_uncertainty(sample_mean, x, fraction=0.01)
    with pytest.raises(ValueError, match=r"^seed:"):
        estimate_uncertainty(sample_mean, x, seed=-1)
    with pytest.raises(ValueError, match=r"^arrays:"):
        estimate_uncertainty(sample_mean)
    with pytest.raises(ValueError, match=r"^n_resamples:"):
        estimate_uncertainty(sample_mean, x, n_resamples=-1)


def test_bad_estimator_and_arrays_are_named():
    # issue 12, item 9: a non-callable estimator raised TypeError from deep inside; arrays
    # of different lengths an IndexError from the subsampling; complex arrays were made real
    x = np.random.default_rng(0).standard_normal(40)
    with pytest.raises(ValueError, match=r"^estimator: expected a callable"):
        estimate_uncertainty(3, x, x)
    with pytest.raises(ValueError, match=r"^arrays\[1\]: has 20 samples but arrays\[0\] has 40"):
        estimate_uncertainty(lambda a, b: 0.0, x, x[:20])
    with pytest.raises(ValueError, match=r"^arrays\[0\]: expected an array of samples, got a scalar"):
        estimate_uncertainty(lambda a: 0.0, np.float64(1.0))
    with pytest.raises(ValueError, match=r"^arrays\[1\]: expected real numbers"):
        estimate_uncertainty(lambda a, b: 0.0, x, torch.tensor(x) + 1j)
