"""infoplane._gaussian against scipy's densities, closed forms and Monte Carlo."""

from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest
import torch
from scipy import stats

from infoplane._gaussian import (
    LOG_2PI,
    LOG_2PIE,
    ZERO_ENTROPY_LOG_VAR,
    GaussianLatent,
    GaussianMixture,
    diagonal_normal_log_prob,
    gaussian_entropy,
    gaussian_kl,
    standard_normal_log_prob,
)


def test_constants_match_their_gaussian_meaning() -> None:
    # the density of N(0, 1) at 0 is 1/sqrt(2 pi); the entropy of N(0, 1) is scipy's
    assert math.exp(-0.5 * LOG_2PI) == pytest.approx(stats.norm.pdf(0.0), rel=1e-15)
    assert 0.5 * LOG_2PIE == pytest.approx(float(stats.norm.entropy()), rel=1e-15)
    # zero-entropy noise: N(0, 1/(2 pi e)) has differential entropy 0
    zero_entropy = stats.norm(scale=math.exp(0.5 * ZERO_ENTROPY_LOG_VAR))
    assert float(zero_entropy.entropy()) == pytest.approx(0, abs=1e-15)


def test_diagonal_normal_log_prob_matches_scipy() -> None:
    rng = np.random.default_rng(0)
    x, mean, log_var = rng.normal(size=(3, 5, 4))
    ours = diagonal_normal_log_prob(torch.tensor(x), torch.tensor(mean), torch.tensor(log_var))
    ref = stats.norm(mean, np.exp(0.5 * log_var)).logpdf(x).sum(-1)
    np.testing.assert_allclose(ours.numpy(), ref, rtol=1e-12)
    ref0 = stats.multivariate_normal(np.zeros(4), np.eye(4)).logpdf(x)
    np.testing.assert_allclose(standard_normal_log_prob(torch.tensor(x)).numpy(), ref0, rtol=1e-12)
    np.testing.assert_allclose(standard_normal_log_prob(torch.tensor(x).reshape(5, 2, 2)).numpy(), ref0,
                               rtol=1e-12)


def test_gaussian_entropy_and_kl_match_scipy_and_monte_carlo() -> None:
    rng = np.random.default_rng(1)
    log_var = rng.normal(size=3)
    ref_h = sum(float(stats.norm(scale=math.exp(0.5 * v)).entropy()) for v in log_var)
    assert float(gaussian_entropy(torch.tensor(log_var))) == pytest.approx(ref_h, rel=1e-12)
    mu, lv, mu2, lv2 = (torch.tensor(rng.normal(size=(1, 3))) for _ in range(4))
    z = mu + (0.5 * lv).exp() * torch.randn(400_000, 3, generator=torch.Generator().manual_seed(0),
                                             dtype=torch.float64)
    mc = (diagonal_normal_log_prob(z, mu, lv) - diagonal_normal_log_prob(z, mu2, lv2)).mean()
    assert float(gaussian_kl(mu, lv, mu2, lv2)) == pytest.approx(float(mc), abs=0.02)
    assert float(gaussian_kl(mu, lv, mu, lv)) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match=r"^log_var:"):
        gaussian_kl(torch.zeros(2, 3), torch.zeros(2, 2))


def mixture(**kwargs: bool) -> GaussianMixture:
    means = torch.tensor([[-2.0, 0.0], [1.0, 1.0], [3.0, -1.0]], dtype=torch.float64)
    log_vars = torch.tensor([[0.0, 0.5], [-0.5, 0.0], [0.2, -0.3]], dtype=torch.float64)
    log_weights = torch.tensor([0.0, 1.0, -0.5], dtype=torch.float64)
    with torch.random.fork_rng():
        torch.set_default_dtype(torch.float64)
        try:
            return GaussianMixture(means, log_vars, log_weights, **kwargs)
        finally:
            torch.set_default_dtype(torch.float32)


def test_mixture_log_prob_matches_scipy_sum_of_weighted_densities() -> None:
    q = mixture()
    z = torch.tensor(np.random.default_rng(2).normal(size=(7, 2)) * 2)
    w = np.exp(q.log_weights().detach().numpy())
    assert w.sum() == pytest.approx(1.0, abs=1e-15)
    dens = sum(w[k] * stats.multivariate_normal(q.means[k].detach().numpy(),
                                                np.diag(np.exp(q.log_vars[k].numpy()))).pdf(z.numpy())
               for k in range(3))
    np.testing.assert_allclose(q.log_prob(z).detach().numpy(), np.log(dens), rtol=1e-12)
    post = q.log_posterior(z).exp().detach().numpy()
    np.testing.assert_allclose(post.sum(1), 1.0, rtol=1e-12)
    k1 = w[1] * stats.multivariate_normal(q.means[1].detach().numpy(),
                                          np.diag(np.exp(q.log_vars[1].numpy()))).pdf(z.numpy())
    np.testing.assert_allclose(post[:, 1], k1 / dens, rtol=1e-10)


def test_mixture_samples_follow_the_components() -> None:
    q = mixture()
    gen = torch.Generator().manual_seed(0)
    z = q.sample(20_000, component=2, generator=gen)
    np.testing.assert_allclose(z.mean(0).numpy(), q.means[2].detach().numpy(), atol=0.03)
    np.testing.assert_allclose(z.var(0).numpy(), q.log_vars[2].exp().numpy(), rtol=0.04)
    draws = q.sample(30_000, generator=torch.Generator().manual_seed(1))
    picked = q.log_posterior(draws).argmax(1)
    w = q.log_weights().exp().detach().numpy()
    # far-apart components: the MAP component of a draw is mostly the one that drew it
    assert np.abs(np.bincount(picked.numpy(), minlength=3) / 30_000 - w).max() < 0.05
    again = q.sample(30_000, generator=torch.Generator().manual_seed(1))
    assert torch.equal(again, draws)
    assert torch.equal(q.sample(3, component=0, temperature=0.0), q.means[[0, 0, 0]].detach())
    with pytest.raises(ValueError, match=r"^component:"):
        q.sample(3, component=3)
    with pytest.raises(ValueError, match=r"^n:"):
        q.sample(0)


def test_what_is_learned_is_a_parameter_and_every_parameter_gets_a_gradient() -> None:
    assert [n for n, _ in mixture().named_parameters()] == ["means"]
    q = mixture(learn_log_vars=True, learn_weights=True)
    assert {n for n, _ in q.named_parameters()} == {"means", "log_vars", "log_weights_raw"}
    assert {n for n, _ in mixture(learn_means=False).named_buffers()} == {"means", "log_vars",
                                                                          "log_weights_raw"}
    q.log_prob(torch.randn(16, 2, dtype=torch.float64)).sum().backward()
    for name, p in q.named_parameters():
        assert p.grad is not None, name
        assert bool(torch.isfinite(p.grad).all()) and bool(p.grad.abs().sum() > 0), name


def test_mixture_round_trips_pickle_and_deepcopy() -> None:
    q = mixture(learn_weights=True)
    z = torch.randn(5, 2, dtype=torch.float64)
    for clone in (pickle.loads(pickle.dumps(q)), copy.deepcopy(q)):
        assert torch.equal(clone.log_prob(z), q.log_prob(z))
    fresh = mixture(learn_weights=True)
    with torch.no_grad():
        q.means.add_(1.0)
    fresh.load_state_dict(q.state_dict())
    assert torch.equal(fresh.log_prob(z), q.log_prob(z))


def test_standard_mixture_is_the_standard_normal() -> None:
    q = GaussianMixture.standard(3)
    z = torch.randn(6, 3)
    torch.testing.assert_close(q.log_prob(z), standard_normal_log_prob(z))
    assert list(q.parameters()) == []


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"means": torch.zeros(3)}, "means"),
    ({"means": torch.zeros(2, 3), "log_vars": torch.zeros(2, 2)}, "log_vars"),
    ({"means": torch.zeros(2, 3), "log_weights": torch.zeros(3)}, "log_weights"),
    ({"means": torch.full((2, 3), math.nan)}, "means"),
])
def test_mixture_rejects_bad_shapes(kwargs: dict, argument: str) -> None:
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        GaussianMixture(**kwargs)


def test_mixture_rejects_bad_inputs() -> None:
    q = GaussianMixture.standard(2)
    with pytest.raises(ValueError, match=r"^z:"):
        q.log_prob(torch.zeros(4, 3))
    with pytest.raises(TypeError, match=r"^z:"):
        q.log_prob(np.zeros((4, 2)))


def test_gaussian_latent_declares_zero_entropy_noise() -> None:
    latent = GaussianLatent(torch.zeros(2, 3), torch.zeros(2, 3), torch.full((3,), ZERO_ENTROPY_LOG_VAR))
    assert float(gaussian_entropy(latent.log_var)) == pytest.approx(0.0, abs=1e-12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_mixture_on_cuda_agrees_with_cpu() -> None:
    q = mixture(learn_weights=True)
    z = torch.randn(100, 2, dtype=torch.float64)
    torch.testing.assert_close(q.to("cuda").log_prob(z.to("cuda")).cpu(), q.cpu().log_prob(z))
