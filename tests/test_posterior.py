"""Tests of infoplane.metrics.posterior: re-simulation, calibration, MAP, posterior MMD."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy.stats import norm

from infoplane.data import inverse_kinematics as ik
from infoplane.metrics import (
    map_mean_shift,
    posterior_calibration_error,
    posterior_mmd,
    resimulation_error,
)


def _gen(seed):
    return torch.Generator().manual_seed(seed)


def test_resimulation_error_known_offsets():
    # linear forward s(x) = A x; samples x* + e give distances ||A e||
    a = torch.tensor([[2.0, 0.0], [0.0, 1.0]], dtype=torch.float64)
    truth = torch.randn(5, 2, generator=_gen(0), dtype=torch.float64)
    offsets = torch.tensor([[1.0, 0.0], [0.0, 1.0], [0.0, 3.0]], dtype=torch.float64)
    samples = truth[:, None, :] + offsets[None]               # (5, 3, 2)
    res = resimulation_error(lambda x: x @ a.T, samples, truth @ a.T)
    assert res["mean"] == pytest.approx((2 + 1 + 3) / 3)
    assert res["median"] == pytest.approx(2.0)


def test_resimulation_error_exact_inverse_kinematics_is_zero_and_map_input():
    x = ik.sample_prior(20, seed=1)
    y = ik.forward(x)
    assert resimulation_error(ik.forward, x[:, None, :].repeat(1, 3, 1), y)["mean"] < 1e-6
    assert resimulation_error(ik.forward, x, y)["median"] < 1e-6   # 2-D: one sample per observation


def test_calibration_of_exact_posterior_is_near_zero():
    # truth ~ N(m_i, s_i^2) and samples from the same distribution: perfectly calibrated
    g = _gen(2)
    n_obs, n_s = 3000, 400
    m = torch.randn(n_obs, 2, generator=g, dtype=torch.float64)
    s = 0.1 + torch.rand(n_obs, 2, generator=g, dtype=torch.float64)
    truth = m + s * torch.randn(n_obs, 2, generator=g, dtype=torch.float64)
    samples = m[:, None] + s[:, None] * torch.randn(n_obs, n_s, 2, generator=g, dtype=torch.float64)
    res = posterior_calibration_error(samples, truth)
    # binomial noise of a pooled inlier fraction: sd <= sqrt(0.25 / 6000) = 0.0065
    assert res["median"] < 0.01
    assert abs(res["at_68"]) < 0.03
    assert res["deviation"].shape == (99,) and res["per_dimension"].shape == (99, 2)


def test_calibration_of_over_confident_posterior_matches_closed_form():
    # samples with c times the true spread: inlier probability 2 Phi(c z_alpha) - 1
    g = _gen(3)
    n_obs, n_s, c = 3000, 400, 0.5
    truth = torch.randn(n_obs, 1, generator=g, dtype=torch.float64)
    samples = c * torch.randn(n_obs, n_s, 1, generator=g, dtype=torch.float64)
    res = posterior_calibration_error(samples, truth)
    alpha = res["alpha"]
    expected = 2 * norm.cdf(c * norm.ppf((1 + alpha) / 2)) - 1 - alpha
    assert np.abs(res["deviation"] - expected).max() < 0.04
    assert res["at_68"] == pytest.approx(2 * norm.cdf(c * norm.ppf(0.84)) - 1 - 0.68, abs=0.03)
    assert res["median"] > 0.15
    under = posterior_calibration_error(3 * samples, truth)
    assert under["at_68"] > 0.15   # 1.5x too wide: 2 Phi(1.49) - 1 - 0.68 = +0.18


def test_map_mean_shift_finds_heavier_mode():
    # 70 / 30 mixture of N(+2, 0.4^2) and N(-2, 0.4^2) in 2-D: the MAP is the +2 mode
    g = _gen(4)
    n_obs, n_s = 6, 2000
    heavy = torch.rand(n_obs, n_s, 1, generator=g) < 0.7
    centers = torch.where(heavy, torch.tensor([2.0, 2.0]), torch.tensor([-2.0, -2.0]))
    samples = centers + 0.4 * torch.randn(n_obs, n_s, 2, generator=g)
    est = map_mean_shift(samples)
    assert est.shape == (n_obs, 2)
    assert ((est - torch.tensor([2.0, 2.0])).norm(dim=1) < 0.2).all()


def test_posterior_mmd_separates_same_from_shifted():
    g = _gen(5)
    a = torch.randn(4, 300, 2, generator=g)
    b = torch.randn(4, 500, 2, generator=g)
    assert abs(posterior_mmd(a, b)) < 0.01 < posterior_mmd(a, b + 1.0)


def test_bad_shapes_are_named():
    s = torch.randn(4, 10, 2)
    with pytest.raises(ValueError, match=r"^samples: expected shape"):
        posterior_calibration_error(torch.randn(4, 10), torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"^samples: need at least 2 samples"):
        posterior_calibration_error(torch.randn(4, 1, 2), torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"^truth: expected shape \(4, 2\)"):
        posterior_calibration_error(s, torch.randn(3, 2))
    with pytest.raises(ValueError, match=r"^alphas:"):
        posterior_calibration_error(s, torch.randn(4, 2), alphas=[0.5, 1.0])
    with pytest.raises(ValueError, match=r"^y_star:"):
        resimulation_error(lambda x: x, s, torch.randn(5, 2))
    with pytest.raises(ValueError, match=r"^forward: returned shape"):
        resimulation_error(lambda x: x[:, :1], s, torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"^forward: expected a callable"):
        resimulation_error(None, s, torch.randn(4, 2))
    with pytest.raises(ValueError, match=r"^samples: contains NaN"):
        map_mean_shift(torch.full((2, 5, 1), math.nan))
    with pytest.raises(ValueError, match=r"^bandwidth:"):
        map_mean_shift(s, bandwidth=0.0)
    with pytest.raises(ValueError, match=r"^reference:"):
        posterior_mmd(s, torch.randn(3, 10, 2))


# ---------------------------------------------------------------- issue 12 regressions


def test_resimulation_median_is_numpys_midpoint_median():
    # issue 12, item 13: two distances 1 and 3 per observation -> median 2 (torch's lower
    # median gave 1)
    samples = torch.tensor([[[1.0, 0.0], [3.0, 0.0]]])
    result = resimulation_error(lambda x: x, samples, torch.zeros(1, 2))
    assert result == {"mean": 2.0, "median": 2.0}
    distances = torch.rand(4, 7, 2, generator=_gen(3))
    got = resimulation_error(lambda x: x, distances, torch.zeros(4, 2))["median"]
    assert got == pytest.approx(float(np.median(distances.norm(dim=2).numpy())), rel=1e-6)


@pytest.mark.parametrize(("dtype", "shift", "tol"), [(torch.float64, 1e8, 1e-6), (torch.float32, 1e4, 5e-3)])
def test_map_mean_shift_is_shift_invariant(dtype, shift, tol):
    # issue 12, item 7: cdist's matrix-product form made the modes drift by ~0.1 away from 0;
    # the tolerance is the float resolution of the shifted data (float32: ulp(1e4) ~ 1e-3)
    s = torch.randn(2, 500, 2, generator=_gen(0), dtype=torch.float64).to(dtype)
    near = map_mean_shift(s, bandwidth=0.5)
    far = map_mean_shift(s + shift, bandwidth=0.5) - shift
    assert (far - near).abs().max() < tol


def test_complex_posteriors_are_refused_by_name():
    # issue 12, item 6: complex samples used to be made real silently
    real = torch.randn(2, 20, 2, generator=_gen(1))
    with pytest.raises(ValueError, match=r"^samples: expected real numbers"):
        map_mean_shift(real + 1j)
    with pytest.raises(ValueError, match=r"^samples: expected real numbers"):
        posterior_calibration_error(real.numpy() + 1j, real[:, 0])
    with pytest.raises(ValueError, match=r"^truth: expected real numbers"):
        posterior_calibration_error(real, real[:, 0] + 1j)
    with pytest.raises(ValueError, match=r"^reference: expected real numbers"):
        posterior_mmd(real, real + 1j)
    with pytest.raises(ValueError, match=r"^y_star: expected real numbers"):
        resimulation_error(lambda x: x, real, real[:, 0] + 1j)
    with pytest.raises(ValueError, match=r"^forward: expected real numbers"):
        resimulation_error(lambda x: x + 0j, real, real[:, 0])
    ints = torch.randint(0, 5, (2, 20, 2), generator=_gen(2))  # ints are cast, as before
    assert torch.isfinite(map_mean_shift(ints, bandwidth=1.0)).all()
