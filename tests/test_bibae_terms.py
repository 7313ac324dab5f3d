"""BIB-AE terms A-D against torch.distributions, Monte Carlo and closed forms (issue 14 "Done when")."""

from __future__ import annotations

import math

import pytest
import torch
from torch import distributions as dist

from infoplane._gaussian import GaussianMixture
from infoplane.bibae import adversarial_term, critic_loss, kl_to_prior, log_likelihood, mmd_term, nwj_kl


def gaussians(n: int = 64, d: int = 3, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.randn(n, d, generator=gen, dtype=torch.float64), \
        0.5 * torch.randn(n, d, generator=gen, dtype=torch.float64)


def test_a_equals_torch_kl_divergence_for_diagonal_gaussians() -> None:
    mean, log_var = gaussians()
    q = dist.Independent(dist.Normal(mean, (0.5 * log_var).exp()), 1)
    p = dist.Independent(dist.Normal(torch.zeros_like(mean), torch.ones_like(mean)), 1)
    torch.testing.assert_close(kl_to_prior(mean, log_var), dist.kl_divergence(q, p).mean())
    # a one-component mixture prior N(m, diag s^2) gets the closed form too
    m, lv = torch.tensor([[0.3, -1.0, 2.0]], dtype=torch.float64), torch.tensor([[0.2, -0.4, 0.0]],
                                                                                  dtype=torch.float64)
    prior = GaussianMixture(m, lv, learn_means=False).double()
    p2 = dist.Independent(dist.Normal(m.expand_as(mean), (0.5 * lv).exp().expand_as(mean)), 1)
    torch.testing.assert_close(kl_to_prior(mean, log_var, prior), dist.kl_divergence(q, p2).mean())


def test_a_by_monte_carlo_agrees_with_the_closed_form_within_its_standard_error() -> None:
    mean, log_var = gaussians(n=1, d=2, seed=3)
    n = 40_000
    mean, log_var = mean.expand(n, 2), log_var.expand(n, 2)
    z = mean + (0.5 * log_var).exp() * torch.randn(n, 2, generator=torch.Generator().manual_seed(1),
                                                    dtype=torch.float64)
    # two identical components: the mixture is N(0, I), so the MC estimate must match the closed form
    prior = GaussianMixture(torch.zeros(2, 2), learn_means=False).double()
    estimate = kl_to_prior(mean, log_var, prior, z)
    q = dist.Independent(dist.Normal(mean, (0.5 * log_var).exp()), 1)
    p = dist.MixtureSameFamily(dist.Categorical(probs=torch.full((2,), 0.5, dtype=torch.float64)),
                               dist.Independent(dist.Normal(torch.zeros(2, 2, dtype=torch.float64),
                                                            torch.ones(2, 2, dtype=torch.float64)), 1))
    per_sample = q.log_prob(z) - p.log_prob(z)
    torch.testing.assert_close(estimate, per_sample.mean())
    exact = kl_to_prior(mean[:1], log_var[:1])
    se = float(per_sample.std()) / math.sqrt(n)
    assert abs(float(estimate - exact)) < 3 * se
    with pytest.raises(ValueError, match=r"^z:"):
        kl_to_prior(mean, log_var, prior)


def test_b_by_mmd_is_zero_for_equal_distributions_and_grows_with_a_shift() -> None:
    gen = torch.Generator().manual_seed(0)
    q, p = torch.randn(300, 2, generator=gen), torch.randn(300, 2, generator=gen)
    values = [float(mmd_term(q + shift, p)) for shift in (0.0, 0.5, 1.0, 2.0)]
    assert values[0] < 0.01
    assert values == sorted(values) and values[-1] > 20 * values[0]
    z = q.clone().requires_grad_(True)
    mmd_term(z + 1.0, p).backward()
    assert z.grad is not None and float(z.grad.abs().sum()) > 0


def test_a_trained_critic_estimates_the_kl_between_two_gaussians_within_ten_percent() -> None:
    torch.manual_seed(0)
    gen = torch.Generator().manual_seed(1)
    first = torch.randn(4000, 1, generator=gen) + 1.0      # N(1, 1)
    second = torch.randn(4000, 1, generator=gen)           # N(0, 1): KL = 1/2
    critic = torch.nn.Sequential(torch.nn.Linear(1, 32), torch.nn.Tanh(), torch.nn.Linear(32, 1))
    opt = torch.optim.Adam(critic.parameters(), 1e-2)
    for _ in range(400):
        opt.zero_grad()
        critic_loss(critic(first).squeeze(1), critic(second).squeeze(1)).backward()
        opt.step()
    with torch.no_grad():
        estimate = float(nwj_kl(critic(first).squeeze(1), critic(second).squeeze(1)))
        plug_in = float(critic(first).mean())
    assert estimate == pytest.approx(0.5, rel=0.10)
    assert plug_in == pytest.approx(0.5, rel=0.10)
    assert estimate <= plug_in + 0.02       # NWJ is a lower bound; E_first[l] is the plug-in


def test_nwj_is_exact_at_the_true_log_ratio() -> None:
    gen = torch.Generator().manual_seed(2)
    first = torch.randn(200_000, generator=gen, dtype=torch.float64) + 1.0
    second = torch.randn(200_000, generator=gen, dtype=torch.float64)
    log_ratio = lambda x: x - 0.5  # noqa: E731 - log N(x; 1, 1) - log N(x; 0, 1)
    assert float(nwj_kl(log_ratio(first), log_ratio(second))) == pytest.approx(0.5, abs=0.01)
    assert float(adversarial_term(log_ratio(first), log_ratio(second), kind="kl")) == pytest.approx(0.5,
                                                                                                   abs=0.01)


@pytest.mark.parametrize("likelihood", ["gaussian", "laplace", "bernoulli"])
def test_c_equals_the_sum_of_torch_log_probs(likelihood: str) -> None:
    gen = torch.Generator().manual_seed(4)
    x = torch.rand(16, 5, generator=gen, dtype=torch.float64)
    out = torch.randn(16, 5, generator=gen, dtype=torch.float64)
    log_scale = 0.3 * torch.randn(5, generator=gen, dtype=torch.float64)
    if likelihood == "gaussian":
        ref = dist.Normal(out, (0.5 * log_scale).exp()).log_prob(x)
    elif likelihood == "laplace":
        ref = dist.Laplace(out, log_scale.exp()).log_prob(x)
    else:
        x = (x > 0.5).to(x.dtype)                       # binarised data
        ref = dist.Bernoulli(logits=out).log_prob(x)
    ours = log_likelihood(x, out, likelihood, log_scale=log_scale)
    torch.testing.assert_close(ours, ref.sum(1).mean())


def test_terms_reject_bad_inputs() -> None:
    with pytest.raises(ValueError, match=r"^likelihood:"):
        log_likelihood(torch.zeros(2, 2), torch.zeros(2, 2), "poisson")
    with pytest.raises(ValueError, match=r"^x_hat:"):
        log_likelihood(torch.zeros(2, 2), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"^x:"):
        log_likelihood(torch.full((2, 2), 2.0), torch.zeros(2, 2), "bernoulli")
    with pytest.raises(ValueError, match=r"^log_var:"):
        kl_to_prior(torch.zeros(2, 3), torch.zeros(2, 2))
    with pytest.raises(ValueError, match=r"^prior:"):
        kl_to_prior(torch.zeros(2, 3), torch.zeros(2, 3), GaussianMixture.standard(2))
    with pytest.raises(ValueError, match=r"^kind:"):
        adversarial_term(torch.zeros(2), torch.zeros(2), kind="wasserstein")
