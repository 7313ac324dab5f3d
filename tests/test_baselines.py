"""Tests of infoplane.inn.baselines: ABC rejection.

The conditional VAE baseline is the conditional case of the BIB-AE VAE; its tests are in
tests/test_bibae.py.
"""

from __future__ import annotations

import math

import pytest
import torch

from infoplane.inn.baselines import abc_rejection

A = torch.tensor([1.0, 2.0])   # linear forward y = a . x with prior x ~ N(0, I_2)


def _prior(n, seed):
    return torch.randn(n, 2, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def _forward(x):
    return (x @ A.to(x))[:, None]


def _exact_posterior(y):
    """x | a.x = y for x ~ N(0, I): N(a y / |a|^2, I - a a^T / |a|^2) (a degenerate Gaussian)."""
    a = A.double()
    return a * y / a.dot(a), torch.eye(2, dtype=torch.float64) - torch.outer(a, a) / a.dot(a)


def test_abc_threshold_recovers_linear_gaussian_posterior():
    y_star = torch.tensor([[0.5], [-1.5]], dtype=torch.float64)
    res = abc_rejection(_forward, _prior, y_star, 3000, epsilon=0.02, seed=0, batch_size=50_000)
    assert res.samples.shape == (2, 3000, 2)
    assert (res.epsilon < 0.02).all()
    for i in range(2):
        mean, cov = _exact_posterior(float(y_star[i]))
        s = res.samples[i]
        # sd of the mean ~ sqrt(0.8 / 3000) = 0.016; the epsilon band adds O(eps / |a|) = 0.01
        assert torch.allclose(s.mean(0), mean, atol=0.06)
        assert torch.allclose(torch.cov(s.T), cov, atol=0.08)
        assert (_forward(s)[:, 0] - y_star[i]).abs().max() < 0.02


def test_abc_quantile_keeps_the_closest_simulations():
    y_star = torch.tensor([[0.3], [2.0]], dtype=torch.float64)
    res = abc_rejection(_forward, _prior, y_star, 40, quantile=0.01, seed=3, batch_size=1000)
    assert res.simulations == 4000
    # brute force over the same simulations (same per-batch seeds)
    from infoplane.inn.baselines import _batch_seed
    xs = torch.cat([_prior(1000, _batch_seed(3, i)) for i in range(4)])
    d = (_forward(xs) - y_star.T).abs()                     # (4000, 2)
    for i in range(2):
        idx = d[:, i].argsort()[:40]
        assert torch.allclose(res.samples[i][res.samples[i][:, 0].argsort()],
                              xs[idx][xs[idx][:, 0].argsort()])
        assert float(res.epsilon[i]) == pytest.approx(float(d[idx, i].max()))


def test_abc_is_reproducible_and_validates():
    y = torch.tensor([[0.0]])
    a = abc_rejection(_forward, _prior, y, 20, quantile=0.05, seed=1)
    b = abc_rejection(_forward, _prior, y, 20, quantile=0.05, seed=1)
    assert torch.equal(a.samples, b.samples)
    with pytest.raises(ValueError, match=r"^epsilon:"):
        abc_rejection(_forward, _prior, y, 20)
    with pytest.raises(ValueError, match=r"^epsilon:"):
        abc_rejection(_forward, _prior, y, 20, epsilon=1e-9, max_simulations=1000, batch_size=500)
    with pytest.raises(ValueError, match=r"^quantile:"):
        abc_rejection(_forward, _prior, y, 20, quantile=1.5)
    with pytest.raises(ValueError, match=r"^quantile: 1e-300 needs .* more than max_simulations=50000000"):
        abc_rejection(_forward, _prior, y, 20, quantile=1e-300)   # 2e301 simulations: refused at once
    with pytest.raises(ValueError, match=r"^quantile: 0.1 needs 200 simulations .* max_simulations=199"):
        abc_rejection(_forward, _prior, y, 20, quantile=0.1, max_simulations=199)
    with pytest.raises(ValueError, match=r"^y_star:"):
        abc_rejection(_forward, _prior, torch.tensor([[math.nan]]), 20, quantile=0.5)
    with pytest.raises(ValueError, match=r"^forward:"):
        abc_rejection(lambda x: x, _prior, y, 20, quantile=0.5)   # returns 2 features, y* has 1


def test_abc_seeds_outside_torchs_range_name_seed():
    with pytest.raises(ValueError, match=r"^seed:"):
        abc_rejection(_forward, _prior, torch.tensor([[0.0]]), 20, quantile=0.5, seed=2**64)
