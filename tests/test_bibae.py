"""BIB-AE models and objective: the negative ELBO, the presets' term sets, VQ rates, training on digits,
and the conditional VAE (the conditional case of the same model and loss)."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
import torch
from torch import distributions as dist
from torch.utils.data import DataLoader, TensorDataset

from infoplane._nn import seeded
from infoplane.bibae.loss import (
    PRESETS,
    BIBAELoss,
    aae,
    bibae,
    code_entropy,
    critic_parameters,
    generative_compression,
    shannon_ae,
    squared_error_log_scale,
    vae,
    vae_gan,
)
from infoplane.bibae.models import BIBAE, conv_decoder, conv_encoder, critic, mlp_decoder, mlp_encoder
from infoplane.data import load_digits
from infoplane.train import fit


def small_vae(encoding: str = "stochastic", critics: dict | None = None, seed: int = 0,
              **kw: object) -> BIBAE:
    with seeded(seed):
        enc = mlp_encoder(64, 4, (32,), stochastic=encoding == "stochastic")
        dec = mlp_decoder(4, 64, (32,))
    return BIBAE(enc, dec, critics=critics, encoding=encoding, seed=seed, **kw)


def test_vae_objective_is_the_negative_elbo_computed_directly() -> None:
    model = small_vae().double()
    x = torch.rand(16, 64, dtype=torch.float64)
    loss, terms = vae(likelihood="gaussian", log_scale=-1.0, generator=torch.Generator().manual_seed(3))(
        model, (x,))
    mean, log_var = model.encode(x)
    eps = torch.randn(mean.shape, generator=torch.Generator().manual_seed(3), dtype=torch.float64)
    z = mean + (0.5 * log_var).exp() * eps
    q = dist.Independent(dist.Normal(mean, (0.5 * log_var).exp()), 1)
    p = dist.Independent(dist.Normal(torch.zeros_like(mean), torch.ones_like(mean)), 1)
    lik = dist.Independent(dist.Normal(model.decoder(z), math.exp(-0.5)), 1)
    neg_elbo = (dist.kl_divergence(q, p) - lik.log_prob(x)).mean()
    torch.testing.assert_close(loss, neg_elbo)
    torch.testing.assert_close(terms["A"], dist.kl_divergence(q, p).mean().detach())


@pytest.mark.parametrize(("name", "weights", "keys"), [
    ("vae", (1, 0, 1, 0), {"A", "C"}), ("beta_vae", (1, 0, 1, 0), {"A", "C"}),
    ("aae", (0, -1, 1, 0), {"B", "C"}), ("info_vae", (1, 1, 1, 0), {"A", "B", "C"}),
    ("vae_gan", (1, 0, 1, 1), {"A", "C", "D"}), ("bibae", (1, 1, 1, 1), {"A", "B", "C", "D"}),
    ("shannon_ae", (1, 0, 1, 0), {"rate", "C"}), ("generative_compression", (1, 0, 1, 1), {"rate", "C", "D"}),
])
def test_each_preset_builds_the_terms_of_its_equation(name: str, weights: tuple, keys: set) -> None:
    build, equation = PRESETS[name]
    loss_fn = build(2.0) if name != "vae" else build()
    assert (loss_fn.a, loss_fn.b, loss_fn.c, loss_fn.d) == weights, equation
    assert loss_fn.beta == (1.0 if name == "vae" else 2.0)
    encoding = "quantised" if name in ("shannon_ae", "generative_compression") else "stochastic"
    critics = {"z": critic(4, (16,)), "x": critic(64, (16,))}
    model = small_vae(encoding, critics=critics, code_noise=0.1 if name == "generative_compression" else 0.0)
    _, terms = loss_fn(model, (torch.rand(12, 64),))
    assert {k for k in terms if k in {"A", "B", "C", "D", "rate"}} == keys


def test_the_loss_combines_the_terms_with_their_signs() -> None:
    model = small_vae(critics={"x": critic(64, (16,))})
    x = torch.rand(20, 64)
    loss_fn = BIBAELoss(a=1.0, b=1.0, c=1.0, d=1.0, beta=0.5, generator=torch.Generator().manual_seed(0))
    losses, terms = loss_fn(model, (x,))
    expected = terms["A"] - terms["B"] - 0.5 * (terms["C"] - terms["D"])
    torch.testing.assert_close(losses["model"].detach(), expected)
    assert set(losses) == {"model", "critic"}


def test_vq_rate_is_at_most_log_codebook_size() -> None:
    model = small_vae("quantised", n_codes=8)
    x = torch.rand(200, 64)
    _, terms = shannon_ae()(model, (x,))
    out = model(x)
    assert float(terms["rate"]) <= math.log(8) + 1e-6
    counts = torch.bincount(out.codes, minlength=8).double()
    p = counts[counts > 0] / counts.sum()
    assert float(terms["rate"]) == pytest.approx(float(-(p * p.log()).sum()), abs=1e-6)
    assert float(code_entropy(torch.arange(8), 8)) == pytest.approx(math.log(8))


def digits_loader() -> tuple[DataLoader, torch.Tensor]:
    data = load_digits()
    return DataLoader(TensorDataset(data.x_train), batch_size=64, shuffle=True,
                      generator=torch.Generator().manual_seed(0)), data.x_test


@pytest.mark.parametrize("preset", ["vae", "aae"])
def test_a_short_run_on_digits_reconstructs_far_better_than_the_mean_image(preset: str) -> None:
    torch.manual_seed(0)
    loader, x_test = digits_loader()
    encoding = "stochastic" if preset == "vae" else "deterministic"
    with seeded(0):
        model = BIBAE(mlp_encoder(64, 8, (128,), stochastic=encoding == "stochastic"),
                      mlp_decoder(8, 64, (128,)), encoding=encoding)
    loss_fn = vae(likelihood="bernoulli") if preset == "vae" else aae(beta=1.0, likelihood="bernoulli")
    fit(model, loss_fn, loader, torch.optim.Adam(model.parameters(), 3e-3), epochs=30, device="cpu",
        progress=False)
    model.eval()
    with torch.no_grad():
        mean, _ = model.encode(x_test)                       # decode f(x), the encoder's mean
        mse = float((torch.sigmoid(model.decoder(mean)) - x_test).pow(2).mean())
    baseline = float((x_test.mean(0, keepdim=True) - x_test).pow(2).mean())
    assert mse < 0.5 * baseline, (mse, baseline)


def test_adversarial_terms_train_their_critics_through_fit_with_a_dict_of_optimizers() -> None:
    torch.manual_seed(0)
    loader, _ = digits_loader()
    model = small_vae(critics={"x": critic(64, (32,))})
    rest, critics = critic_parameters(model)
    before = [p.detach().clone() for p in critics]
    history = fit(model, vae_gan(beta=1.0, likelihood="bernoulli"), loader,
                  {"model": torch.optim.Adam(rest, 1e-3), "critic": torch.optim.Adam(critics, 1e-3)},
                  epochs=2, device="cpu", progress=False)
    assert {"train/loss/model", "train/loss/critic", "train/D", "train/critic"} <= set(history[-1])
    assert any(not torch.equal(b, p) for b, p in zip(before, critics, strict=True))
    for p in model.parameters():
        assert p.grad is not None


def test_every_parameter_gets_a_gradient_and_the_model_pickles() -> None:
    model = small_vae(critics={"z": critic(4, (8,)), "x": critic(64, (8,))})
    losses, _ = bibae(beta=1.0, b_estimator="critic")(model, (torch.rand(10, 64),))
    (losses["model"] + losses["critic"]).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
    x = torch.rand(3, 64)
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        gen = torch.Generator().manual_seed(0)
        assert torch.equal(clone(x, gen).x_hat, model(x, torch.Generator().manual_seed(0)).x_hat)


@pytest.mark.parametrize("side", [8, 28])
def test_conv_encoder_and_decoder_shapes(side: int) -> None:
    enc, dec = conv_encoder(side, 3), conv_decoder(3, side)
    model = BIBAE(enc, dec, seed=0)
    out = model(torch.rand(2, side * side))
    assert out.x_hat.shape == (2, side * side) and out.z.shape == (2, 3)
    assert model.sample(4).shape == (4, side * side)
    assert generative_compression is not None


def test_bad_inputs_name_the_argument() -> None:
    with pytest.raises(ValueError, match=r"^encoding:"):
        small_vae("spherical")
    with pytest.raises(ValueError, match=r"^model:"):
        vae_gan()(small_vae(), (torch.rand(4, 64),))
    with pytest.raises(ValueError, match=r"^rate:"):
        vae()(small_vae("deterministic"), (torch.rand(4, 64),))
    with pytest.raises(ValueError, match=r"^batch:"):
        vae()(small_vae(), (torch.full((4, 64), math.nan),))
    with pytest.raises(ValueError, match=r"^critics:"):
        small_vae(critics={"y": critic(4)})
    with pytest.raises(ValueError, match=r"^b_estimator:"):
        BIBAELoss(b_estimator="wasserstein")
    with pytest.raises(ValueError, match=r"^side:"):
        conv_decoder(3, 10)


# --- the conditional VAE (issue 14 item 4): the conditional case of the same VAE and loss -------

def small_cvae(seed: int = 3) -> BIBAE:
    return BIBAE.conditional_mlp(2, 1, latent_dim=2, hidden=(8, 8), seed=seed)


def cvae_batch() -> tuple[torch.Tensor, torch.Tensor]:
    g = torch.Generator().manual_seed(4)
    return torch.randn(16, 2, generator=g), torch.randn(16, 1, generator=g)


def fit_cvae(model: BIBAE, x: torch.Tensor, y: torch.Tensor, *, epochs: int, batch_size: int, lr: float,
             lr_end: float, weight: float, seed: int = 0) -> list[dict]:
    """The cVAE's recipe of lesson 07 / the benchmark (thesis B.5.2): Adam with exponential decay."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, (lr_end / lr) ** (1.0 / epochs))
    history = fit(model, vae(log_scale=squared_error_log_scale(weight), seed=seed + 1), loader, opt, epochs,
                  scheduler=sched, device="cpu", progress=False)
    model.eval()
    return history


def test_cvae_learns_a_linear_gaussian_posterior() -> None:
    # x ~ N(0, I_2), y = x1 + x2: p(x | y) has mean (y/2, y/2) and variance 1 along (1, -1) / sqrt(2)
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4000, 2, generator=g)
    y = x.sum(1, keepdim=True)
    model = BIBAE.conditional_mlp(2, 1, latent_dim=1, hidden=(32, 32), seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny matrices: extra threads only add contention on a busy CPU
    try:
        history = fit_cvae(model, x, y, epochs=15, batch_size=100, lr=1e-2, lr_end=3e-4, weight=10.0, seed=0)
    finally:
        torch.set_num_threads(threads)
    assert {"train/A", "train/C", "train/reconstruction_mse"} <= set(history[-1])
    y_star = torch.tensor([[-1.0], [0.0], [1.5]])
    post = model.posterior(y_star, 2000, seed=1)
    assert post.shape == (3, 2000, 2)
    mean_err = (post.mean(1) - y_star / 2).abs().max()
    free_sd = ((post[..., 0] - post[..., 1]) / math.sqrt(2)).std(1)   # true value 1
    assert mean_err < 0.2
    assert ((free_sd - 1.0).abs() < 0.15).all()   # a collapsed or ignored z fails
    assert torch.equal(post, model.posterior(y_star, 2000, seed=1))   # the same seed, the same samples


def test_cvae_loss_is_the_weighted_squared_error_plus_the_kl_plus_a_constant() -> None:
    # -ELBO with p(x|z,y) = N(x_hat, 1/(2w)) and q(z|x,y) against N(0, I), by torch.distributions, and
    # the old cVAE's form w * sum (x - x_hat)^2 + KL plus (d/2) ln(pi / w)
    model = small_cvae().double()
    x, y = (t.double() for t in cvae_batch())
    w = 7.0
    loss, terms = vae(log_scale=squared_error_log_scale(w), seed=0)(model, (x, y))
    with torch.no_grad():
        mean, log_var = model.encode(x, y)
        q = dist.Independent(dist.Normal(mean, (0.5 * log_var).exp()), 1)
        kl = dist.kl_divergence(q, dist.Independent(dist.Normal(torch.zeros_like(mean), 1.0), 1)).mean()
        eps = torch.randn(mean.shape, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
        x_hat = model.decoder(torch.cat([mean + (0.5 * log_var).exp() * eps, y], 1))
        log_lik = dist.Independent(dist.Normal(x_hat, math.sqrt(1 / (2 * w))), 1).log_prob(x).mean()
        squared = (x_hat - x).pow(2).sum(1).mean()
    torch.testing.assert_close(loss.detach(), kl - log_lik)
    torch.testing.assert_close(loss.detach(), w * squared + kl + 0.5 * 2 * math.log(math.pi / w))
    torch.testing.assert_close(terms["A"], kl)
    torch.testing.assert_close(terms["reconstruction_mse"], squared / 2)
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in terms.values())


def test_cvae_builds_its_encoder_then_its_decoder_under_the_seed() -> None:
    before = torch.get_rng_state()
    a, b = small_cvae(3).state_dict(), small_cvae(3).state_dict()
    c = small_cvae(4).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    # the same weights as MLPs q: [x, y] -> 2 latent_dim and g: [z, y] -> x built in that order
    with seeded(3):
        enc = mlp_encoder(3, 2, (8, 8))
        dec = mlp_decoder(3, 2, (8, 8))
    expected = {**{f"encoder.{k}": v for k, v in enc.state_dict().items()},
                **{f"decoder.{k}": v for k, v in dec.state_dict().items()}}
    assert all(torch.equal(a[k], v) for k, v in expected.items())
    assert {k for k in a if not k.startswith("prior.")} == set(expected)
    assert not any(name.startswith("prior.") for name, _ in small_cvae().named_parameters())   # N(0, I) fixed


def test_cvae_every_parameter_gets_a_gradient_and_round_trips() -> None:
    model = small_cvae()
    x, y = cvae_batch()
    loss, _ = vae(seed=0)(model, (x, y))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert bool(torch.isfinite(p.grad).all()), name
        assert bool((p.grad != 0).any()), name
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        got = clone(x, torch.Generator().manual_seed(0), y=y)
        want = model(x, torch.Generator().manual_seed(0), y=y)
        assert torch.equal(got.x_hat, want.x_hat) and torch.equal(got.z, want.z)
        assert torch.equal(clone.posterior(y[:3], 4, seed=1), model.posterior(y[:3], 4, seed=1))


def test_cvae_posterior_decodes_prior_draws_with_the_observation() -> None:
    model = small_cvae()
    y_star = torch.tensor([[0.5], [-1.0]])
    post = model.posterior(y_star, 6, seed=2)
    z = torch.randn(12, 2, generator=torch.Generator().manual_seed(2))   # z ~ N(0, I), observation-major
    with torch.no_grad():
        direct = model.decoder(torch.cat([z, y_star.repeat_interleave(6, 0)], 1)).reshape(2, 6, 2)
    assert torch.equal(post, direct)
    assert model.posterior(torch.tensor([0.5]), 3, seed=0).shape == (1, 3, 2)   # 1-D: one observation


@pytest.mark.parametrize("preset", ["info_vae", "vae_gan"])
def test_other_presets_train_the_conditional_model_too(preset: str) -> None:
    model = BIBAE.conditional_mlp(2, 1, latent_dim=2, hidden=(8,), seed=0)
    with seeded(0):
        model.critics["x"] = critic(2, (8,))
    loss_fn = PRESETS[preset][0](1.0, generator=torch.Generator().manual_seed(0))
    losses, terms = loss_fn(model, cvae_batch())
    total = losses["model"] + losses["critic"] if isinstance(losses, dict) else losses
    total.backward()
    assert ({"B"} if preset == "info_vae" else {"D"}) <= set(terms)
    assert all(bool(torch.isfinite(v)) for v in terms.values())


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cvae_cuda_agrees_with_cpu() -> None:
    model = small_cvae().double()
    x, y = (t.double() for t in cvae_batch())
    gpu = copy.deepcopy(model).cuda()
    loss, _ = vae(seed=0)(model, (x, y))   # CPU generator: the same draws on both
    loss_gpu, _ = vae(seed=0)(gpu, (x.cuda(), y.cuda()))
    assert float(loss_gpu) == pytest.approx(float(loss), rel=1e-9)
    torch.testing.assert_close(gpu.posterior(y[:3], 4, seed=1).cpu(), model.posterior(y[:3], 4, seed=1),
                               rtol=1e-9, atol=1e-9)


def test_cvae_inputs_name_the_argument() -> None:
    model = small_cvae()
    x, y = cvae_batch()
    with pytest.raises(ValueError, match=r"^batch: expected x of shape \(n, 2\)"):
        vae()(model, (torch.zeros(10, 3), torch.zeros(10, 1)))
    with pytest.raises(ValueError, match=r"^batch: expected y of shape \(10, 1\)"):
        vae()(model, (torch.zeros(10, 2), torch.zeros(9, 1)))
    with pytest.raises(ValueError, match=r"^batch: a conditional model"):
        vae()(model, (x,))
    with pytest.raises(ValueError, match=r"^batch: expected a finite"):
        vae()(model, (x, torch.full_like(y, math.nan)))
    with pytest.raises(ValueError, match=r"^batch: expected a finite"):
        vae()(model, (torch.full_like(x, math.inf), y))
    with pytest.raises(ValueError, match=r"^batch: expected a non-empty batch"):
        vae()(model, (torch.zeros(0, 2), torch.zeros(0, 1)))
    with pytest.raises(TypeError, match=r"^model:"):
        vae()(torch.nn.Linear(2, 1), (x, y))
    with pytest.raises(ValueError, match=r"^x: expected shape \(n, 2\)"):
        model(torch.zeros(3, 3), y=torch.zeros(3, 1))
    with pytest.raises(ValueError, match=r"^y: expected shape \(3, 1\)"):
        model(torch.zeros(3, 2), y=torch.zeros(4, 1))
    with pytest.raises(ValueError, match=r"^y: this model is conditional"):
        model(torch.zeros(3, 2))
    with pytest.raises(TypeError, match=r"^generator:"):
        model(x, y)   # the condition goes by keyword
    with pytest.raises(ValueError, match=r"^x: has dtype torch.float64"):
        model(x.double(), y=y.double())
    with pytest.raises(ValueError, match=r"^z: expected shape \(n, 2\)"):
        model.decode(torch.zeros(3, 1), torch.zeros(3, 1))
    with pytest.raises(ValueError, match=r"^y:"):
        model.posterior(torch.zeros(3, 2), 4)
    with pytest.raises(ValueError, match=r"^y: contains NaN"):
        model.posterior(torch.tensor([[math.nan]]), 4)
    with pytest.raises(ValueError, match=r"^seed:"):
        model.posterior(y[:1], 2, seed=2**64)
    with pytest.raises(ValueError, match=r"^y: this model is unconditional"):
        small_vae().posterior(y, 2)
    with pytest.raises(ValueError, match=r"^y: this model is unconditional"):
        small_vae()(torch.rand(3, 64), y=torch.zeros(3, 1))
    with pytest.raises(ValueError, match=r"^x_dim:"):
        BIBAE.conditional_mlp(0, 1)
    with pytest.raises(ValueError, match=r"^hidden:"):
        BIBAE.conditional_mlp(2, 1, hidden=32)
    with pytest.raises(ValueError, match=r"^hidden:"):
        BIBAE.conditional_mlp(2, 1, hidden=())
    with pytest.raises(ValueError, match=r"^condition_dim:"):
        BIBAE(mlp_encoder(3, 2, (8,)), mlp_decoder(3, 2, (8,)), condition_dim=3)
    with pytest.raises(ValueError, match=r"^condition_dim:"):
        BIBAE(mlp_encoder(3, 2, (8,)), mlp_decoder(3, 2, (8,)), condition_dim=-1)
    with pytest.raises(ValueError, match=r"^seed:"):
        BIBAELoss(seed=2**64)
    with pytest.raises(ValueError, match=r"^weight:"):
        squared_error_log_scale(0.0)


def test_an_empty_batch_names_batch_for_unconditional_models_too() -> None:
    with pytest.raises(ValueError, match=r"^batch: expected a non-empty batch"):
        vae()(small_vae(), (torch.zeros(0, 64),))
