"""Tests of infoplane.inn.baselines: ABC rejection and the conditional VAE."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from flow_helpers import assert_every_parameter_gets_a_gradient, assert_round_trips, fit_cvae

from infoplane.inn.baselines import ConditionalVAE, ConditionalVAELoss, abc_rejection

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
    with pytest.raises(ValueError, match=r"^y_star:"):
        abc_rejection(_forward, _prior, torch.tensor([[math.nan]]), 20, quantile=0.5)
    with pytest.raises(ValueError, match=r"^forward:"):
        abc_rejection(lambda x: x, _prior, y, 20, quantile=0.5)   # returns 2 features, y* has 1


def test_cvae_learns_a_linear_gaussian_posterior():
    # x ~ N(0, I_2), y = x1 + x2: p(x | y) has mean (y/2, y/2) and variance 1 along (1, -1) / sqrt(2)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4000, 2, generator=g)
    y = x.sum(1, keepdim=True)
    vae = ConditionalVAE(2, 1, latent_dim=1, hidden=(32, 32), seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny matrices: extra threads only add contention on a busy CPU
    try:
        fit_cvae(vae, x, y, epochs=15, batch_size=100, lr=1e-2, lr_end=3e-4, recon_weight=20.0, seed=0)
    finally:
        torch.set_num_threads(threads)
    y_star = torch.tensor([[-1.0], [0.0], [1.5]])
    post = vae.posterior(y_star, 2000, seed=1)
    assert post.shape == (3, 2000, 2)
    mean_err = (post.mean(1) - y_star / 2).abs().max()
    free_sd = ((post[..., 0] - post[..., 1]) / math.sqrt(2)).std(1)   # true value 1
    assert mean_err < 0.2
    assert ((free_sd - 1.0).abs() < 0.15).all()   # a collapsed or ignored z fails
    # the same seed gives the same samples
    assert torch.equal(post, vae.posterior(y_star, 2000, seed=1))


def _small_vae():
    return ConditionalVAE(2, 1, latent_dim=2, hidden=(8, 8), seed=3)


def _batch():
    g = torch.Generator().manual_seed(4)
    return torch.randn(16, 2, generator=g), torch.randn(16, 1, generator=g)


def test_cvae_loss_against_its_closed_form():
    # KL(N(m, diag e^v) || N(0, I)) = 1/2 sum (m^2 + e^v - 1 - v), checked against torch.distributions
    vae = _small_vae()
    x, y = _batch()
    loss, terms = ConditionalVAELoss(recon_weight=7.0, seed=0)(vae, (x, y))
    loss = loss.detach()
    with torch.no_grad():
        mean, log_var = vae.encode(x, y)
        q = torch.distributions.Normal(mean, (0.5 * log_var).exp())
        kl = torch.distributions.kl_divergence(q, torch.distributions.Normal(0.0, 1.0)).sum(1).mean()
        z = mean + (0.5 * log_var).exp() * torch.randn(mean.shape, generator=torch.Generator().manual_seed(0))
        recon = (vae.decode(z, y) - x).pow(2).mean()
    assert float(terms["kl"]) == pytest.approx(float(kl), rel=1e-5)
    assert float(terms["reconstruction"]) == pytest.approx(float(recon), rel=1e-6)
    assert float(loss) == pytest.approx(7.0 * float(recon) + float(kl), rel=1e-5)
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in terms.values())


def test_cvae_every_parameter_gets_a_gradient():
    vae = _small_vae()
    loss, _ = ConditionalVAELoss(seed=0)(vae, _batch())
    assert_every_parameter_gets_a_gradient(vae, loss)


def test_cvae_pickle_and_deepcopy_round_trip():
    vae = _small_vae()
    x, y = _batch()
    assert_round_trips(vae, lambda m: (m(x, y, generator=torch.Generator().manual_seed(0)),
                                       m.posterior(y[:3], 4, seed=1)))


def test_cvae_seed_gives_the_same_weights_and_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    a, b = _small_vae().state_dict(), _small_vae().state_dict()
    c = ConditionalVAE(2, 1, latent_dim=2, hidden=(8, 8), seed=4).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cvae_cuda_agrees_with_cpu():
    vae = _small_vae().double()
    x, y = (t.double() for t in _batch())
    gpu = copy.deepcopy(vae).cuda()
    loss, _ = ConditionalVAELoss(seed=0)(vae, (x, y))   # CPU generator: the same draws on both
    loss_gpu, _ = ConditionalVAELoss(seed=0)(gpu, (x.cuda(), y.cuda()))
    assert float(loss_gpu) == pytest.approx(float(loss), rel=1e-9)
    torch.testing.assert_close(gpu.posterior(y[:3], 4, seed=1).cpu(), vae.posterior(y[:3], 4, seed=1),
                               rtol=1e-9, atol=1e-9)


def test_cvae_validates_inputs():
    vae = ConditionalVAE(2, 1, hidden=(8,))
    with pytest.raises(ValueError, match=r"^batch:"):
        ConditionalVAELoss()(vae, (torch.zeros(10, 3), torch.zeros(10, 1)))
    with pytest.raises(ValueError, match=r"^batch:"):
        ConditionalVAELoss()(vae, (torch.zeros(10, 2), torch.zeros(9, 1)))
    with pytest.raises(TypeError, match=r"^model:"):
        ConditionalVAELoss()(torch.nn.Linear(2, 1), (torch.zeros(10, 2), torch.zeros(10, 1)))
    with pytest.raises(ValueError, match=r"^y:"):
        vae.posterior(torch.zeros(3, 2), 4)
    with pytest.raises(ValueError, match=r"^x_dim:"):
        ConditionalVAE(0, 1)
    with pytest.raises(ValueError, match=r"^hidden:"):
        ConditionalVAE(2, 1, hidden=32)
    with pytest.raises(ValueError, match=r"^recon_weight:"):
        ConditionalVAELoss(recon_weight=0.0)


# --- issue 12: the cVAE loss's door, shapes and dtypes -----------------------------------------


@pytest.mark.parametrize("where", ["x", "y"])
def test_cvae_loss_refuses_non_finite_and_empty_batches(where):
    vae = ConditionalVAE(2, 1, hidden=(8,), seed=0)
    x, y = torch.zeros(4, 2), torch.zeros(4, 1)
    (x if where == "x" else y)[0, 0] = float("nan")
    with pytest.raises(ValueError, match=r"^batch: contains NaN or infinite values"):
        ConditionalVAELoss(seed=0)(vae, (x, y))
    with pytest.raises(ValueError, match=r"^batch: expected a non-empty batch"):
        ConditionalVAELoss(seed=0)(vae, (torch.zeros(0, 2), torch.zeros(0, 1)))


def test_cvae_inputs_name_the_argument():
    vae = ConditionalVAE(2, 1, hidden=(8,), seed=0)
    with pytest.raises(ValueError, match=r"^x: expected shape \(n, 2\)"):
        vae(torch.zeros(3, 3), torch.zeros(3, 1))
    with pytest.raises(ValueError, match=r"^y: expected shape \(3, 1\)"):
        vae(torch.zeros(3, 2), torch.zeros(4, 1))
    with pytest.raises(ValueError, match=r"^x: has dtype torch.float64"):
        vae(torch.zeros(3, 2, dtype=torch.float64), torch.zeros(3, 1, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"^z: expected shape \(n, 2\)"):
        vae.decode(torch.zeros(3, 1), torch.zeros(3, 1))


def test_seeds_outside_torchs_range_name_seed():
    with pytest.raises(ValueError, match=r"^seed:"):
        ConditionalVAELoss(seed=2**64)
    with pytest.raises(ValueError, match=r"^seed:"):
        ConditionalVAE(2, 1, hidden=(8,), seed=0).posterior(torch.zeros(1, 1), 2, seed=2**64)
