"""BIB-AE models and objective: the negative ELBO, the presets' term sets, VQ rates, training on digits."""

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
