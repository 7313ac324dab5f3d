"""Zero-entropy and Gaussian noise: variance and entropy by closed form and by estimator."""

from __future__ import annotations

import math

import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from infoplane._gaussian import ZERO_ENTROPY_LOG_VAR
from infoplane.bottleneck import (
    ZERO_ENTROPY_VARIANCE,
    GaussianNoise,
    ZeroEntropyNoise,
    gaussian_entropy_for_std,
    gaussian_std_for_entropy,
)
from infoplane.estimators import entropy


def _gaussian_entropy_of_samples(eps: torch.Tensor) -> float:
    """Closed-form entropy 1/2 ln(2 pi e var) of each column, summed (nats)."""
    var = eps.double().var(dim=0)
    return float((0.5 * torch.log(2 * math.pi * math.e * var)).sum())


def test_zero_entropy_variance_has_zero_entropy_by_scipy():
    # peer: scipy's differential entropy of N(0, s^2), in nats
    h = float(stats.norm(scale=math.sqrt(ZERO_ENTROPY_VARIANCE)).entropy())
    assert h == pytest.approx(0.0, abs=1e-12)
    assert gaussian_entropy_for_std(math.sqrt(ZERO_ENTROPY_VARIANCE)) == pytest.approx(0.0, abs=1e-12)
    assert ZeroEntropyNoise().log_var == ZERO_ENTROPY_LOG_VAR
    assert math.exp(ZeroEntropyNoise().log_var) == pytest.approx(ZERO_ENTROPY_VARIANCE, rel=1e-14)


def test_zero_entropy_noise_variance_and_entropy():
    noise = ZeroEntropyNoise(generator=torch.Generator().manual_seed(1))
    eps = noise(torch.zeros(200_000, 3))
    # sample variance has relative standard error sqrt(2/n) ~ 0.3 %
    assert eps.var(dim=0).tolist() == pytest.approx([ZERO_ENTROPY_VARIANCE] * 3, rel=0.02)
    assert eps.mean(dim=0).abs().max() < 0.005
    assert _gaussian_entropy_of_samples(eps) == pytest.approx(0.0, abs=0.02)


def test_zero_entropy_noise_entropy_by_kozachenko_leonenko():
    noise = ZeroEntropyNoise(generator=torch.Generator().manual_seed(2))
    for dim in (1, 3):
        eps = noise(torch.zeros(4000, dim)).double().numpy()
        assert entropy(eps, method="kl") == pytest.approx(0.0, abs=0.08 * dim)


@given(st.floats(-3.0, 3.0))
def test_gaussian_noise_has_the_requested_entropy(h):
    noise = GaussianNoise(entropy=h, generator=torch.Generator().manual_seed(3))
    eps = noise(torch.zeros(50_000, 1))
    assert float(eps.var()) == pytest.approx(math.exp(2 * h) / (2 * math.pi * math.e), rel=0.05)
    assert _gaussian_entropy_of_samples(eps) == pytest.approx(h, abs=0.03)
    scipy_h = float(stats.norm(scale=noise.std).entropy())       # peer: scipy, nats per dimension
    assert noise.total_entropy(4) == pytest.approx(4 * scipy_h, rel=1e-9, abs=1e-12)
    assert noise.log_var == pytest.approx(2 * math.log(noise.std), rel=1e-9, abs=1e-12)


@given(st.floats(-20.0, 20.0))
def test_std_entropy_round_trip(h):
    assert gaussian_entropy_for_std(gaussian_std_for_entropy(h)) == pytest.approx(h, abs=1e-9)


def test_noise_in_training_and_evaluation_modes():
    x = torch.ones(1000, 2)
    off = ZeroEntropyNoise().eval()
    assert torch.equal(off(x), x)
    on = ZeroEntropyNoise(at_eval=True).eval()
    assert not torch.equal(on(x), x)
    train = ZeroEntropyNoise().train()
    assert not torch.equal(train(x), x)
    assert torch.equal(x, torch.ones(1000, 2))  # input not modified


def test_generator_makes_noise_repeatable():
    x = torch.zeros(10, 3)
    a = GaussianNoise(0.5, generator=torch.Generator().manual_seed(7))(x)
    b = GaussianNoise(0.5, generator=torch.Generator().manual_seed(7))(x)
    c = GaussianNoise(0.5, generator=torch.Generator().manual_seed(8))(x)
    assert torch.equal(a, b) and not torch.equal(a, c)


def test_noise_keeps_dtype_and_gradient():
    x = torch.zeros(5, 2, dtype=torch.float64, requires_grad=True)
    y = ZeroEntropyNoise()(x)
    assert y.dtype == torch.float64
    y.sum().backward()
    assert torch.equal(x.grad, torch.ones_like(x))


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), "1"])
def test_bad_entropy_is_rejected(bad):
    with pytest.raises(ValueError, match=r"^entropy:"):
        GaussianNoise(entropy=bad)
    with pytest.raises(ValueError, match=r"^std:"):
        gaussian_entropy_for_std(0.0)


def test_entropies_beyond_the_float_range_and_bad_generators_name_the_argument():
    from infoplane.bottleneck import GaussianNoise, NoisyBottleneckClassifier, ZeroEntropyNoise
    from infoplane.bottleneck.noise import gaussian_std_for_entropy

    with pytest.raises(ValueError, match=r"^entropy: 1000\.0 nats"):
        gaussian_std_for_entropy(1000)
    with pytest.raises(ValueError, match=r"^entropy:"):
        GaussianNoise(1e300)
    with pytest.raises(ValueError, match=r"^noise_entropy:"):
        NoisyBottleneckClassifier(4, 2, noise_entropy=1e300)
    with pytest.raises(ValueError, match=r"^noise_entropy:"):
        NoisyBottleneckClassifier(4, 2, noise_entropy=True)
    with pytest.raises(TypeError, match=r"^generator:"):
        ZeroEntropyNoise(generator="abc")
    assert gaussian_std_for_entropy(700.0) > 1e300   # still representable
    assert isinstance(GaussianNoise(1.0, generator=torch.Generator()), GaussianNoise)
