"""BIB-AE evaluation: IWAE against a linear-Gaussian model of known likelihood; novelty detection."""

from __future__ import annotations

import math

import pytest
import torch
from torch import distributions as dist
from torch.utils.data import DataLoader, TensorDataset

from infoplane._nn import seeded
from infoplane.bibae import BIBAE, aae, mlp_decoder, mlp_encoder, shannon_ae, vae
from infoplane.bibae.evaluation import iwae_bound, novelty_scores, rate_distortion
from infoplane.data import load_digits
from infoplane.metrics import roc_auc
from infoplane.train import fit

D_X, D_Z, SIGMA2 = 5, 2, 0.3


def linear_gaussian(exact_posterior: bool) -> tuple[BIBAE, torch.Tensor, torch.Tensor]:
    """p(z) = N(0, I), p(x|z) = N(W z + b, s I) with orthogonal columns of W, so the posterior is diagonal."""
    torch.set_default_dtype(torch.float64)
    try:
        w = torch.linalg.qr(torch.randn(D_X, D_Z, generator=torch.Generator().manual_seed(0)))[0] * \
            torch.tensor([1.5, 0.7])
        b = torch.linspace(-1, 1, D_X)
        decoder = torch.nn.Linear(D_Z, D_X)
        encoder = torch.nn.Linear(D_X, 2 * D_Z)
        post_var = 1.0 / (1.0 + (w * w).sum(0) / SIGMA2)               # diag of (I + W^T W / s)^-1
        with torch.no_grad():
            decoder.weight.copy_(w)
            decoder.bias.copy_(b)
            gain = post_var[:, None] * w.T / SIGMA2                   # mean = S W^T (x - b) / s
            encoder.weight.zero_()
            encoder.weight[:D_Z] = gain
            encoder.bias[:D_Z] = -gain @ b
            encoder.bias[D_Z:] = post_var.log()
            if not exact_posterior:
                encoder.weight[:D_Z] *= 0.6
                encoder.bias[D_Z:] += 0.8
        model = BIBAE(encoder, decoder, min_log_var=-20.0)
    finally:
        torch.set_default_dtype(torch.float32)
    return model.double(), w, b


def log_evidence(x: torch.Tensor, w: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    cov = w @ w.T + SIGMA2 * torch.eye(D_X, dtype=torch.float64)
    return dist.MultivariateNormal(b, cov).log_prob(x).mean()


def test_iwae_equals_log_p_x_with_the_exact_posterior() -> None:
    model, w, b = linear_gaussian(exact_posterior=True)
    x = torch.randn(50, D_X, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    truth = log_evidence(x, w, b)
    for k in (1, 16):
        bound = iwae_bound(model, x, k=k, log_scale=math.log(SIGMA2),
                           generator=torch.Generator().manual_seed(k))
        assert float(bound) == pytest.approx(float(truth), abs=1e-8)


def test_iwae_rises_with_k_and_stays_below_log_p_x() -> None:
    model, w, b = linear_gaussian(exact_posterior=False)
    x = torch.randn(200, D_X, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    truth = float(log_evidence(x, w, b))
    bounds = [float(iwae_bound(model, x, k=k, log_scale=math.log(SIGMA2),
                               generator=torch.Generator().manual_seed(7))) for k in (1, 4, 32, 256)]
    assert bounds == sorted(bounds)
    assert all(v <= truth + 1e-3 for v in bounds)
    assert truth - bounds[0] > 0.05            # the inexact encoder's ELBO is visibly loose
    assert truth - bounds[-1] < truth - bounds[0]


def conditional_linear_gaussian() -> tuple[BIBAE, torch.Tensor, torch.Tensor, torch.Tensor]:
    """p(x|z, y) = N(W z + V y + b, s I), so p(x|y) = N(V y + b, W W^T + s I); the exact posterior encodes."""
    model, w, b = linear_gaussian(exact_posterior=True)
    v = torch.tensor([[0.5, -1.0, 0.2, 0.0, 0.3], [1.0, 0.4, -0.6, 0.8, 0.0]], dtype=torch.float64).T
    decoder = torch.nn.Linear(D_Z + 2, D_X).double()
    encoder = torch.nn.Linear(D_X + 2, 2 * D_Z).double()
    with torch.no_grad():
        decoder.weight.copy_(torch.cat([w, v], 1))
        decoder.bias.copy_(b)
        gain = model.encoder.weight[:D_Z]                              # the posterior of x - V y
        encoder.weight.zero_()
        encoder.weight[:, :D_X] = model.encoder.weight
        encoder.weight[:D_Z, D_X:] = -gain @ v
        encoder.bias.copy_(model.encoder.bias)
    return BIBAE(encoder, decoder, min_log_var=-20.0, condition_dim=2), w, v, b


def test_conditional_iwae_equals_log_p_x_given_y_and_needs_y() -> None:
    model, w, v, b = conditional_linear_gaussian()
    gen = torch.Generator().manual_seed(3)
    x = torch.randn(40, D_X, generator=gen, dtype=torch.float64)
    y = torch.randn(40, 2, generator=gen, dtype=torch.float64)
    cov = w @ w.T + SIGMA2 * torch.eye(D_X, dtype=torch.float64)
    truth = float(dist.MultivariateNormal(y @ v.T + b, cov).log_prob(x).mean())
    assert abs(truth - float(log_evidence(x, w, b))) > 0.5     # the condition matters
    for k in (1, 8):
        bound = iwae_bound(model, x, k=k, log_scale=math.log(SIGMA2), y=y,
                           generator=torch.Generator().manual_seed(k))
        assert float(bound) == pytest.approx(truth, abs=1e-8)
    # a looser encoder (posterior variance too wide): the bound drops below log p(x|y) and rises with K
    # (a Monte Carlo estimate of a bound: it may overshoot by its noise, ~1e-3 nats here at K = 256)
    with torch.no_grad():
        model.encoder.bias[D_Z:] += 1.0
    bounds = [float(iwae_bound(model, x, k=k, log_scale=math.log(SIGMA2), y=y,
                               generator=torch.Generator().manual_seed(5))) for k in (1, 16, 256)]
    assert bounds == sorted(bounds) and bounds[-1] <= truth + 1e-2 and truth - bounds[0] > 0.2
    with pytest.raises(ValueError, match=r"^y: this model is conditional"):
        iwae_bound(model, x)
    with pytest.raises(ValueError, match=r"^y: expected shape \(40, 2\)"):
        iwae_bound(model, x, y=y[:, :1])
    point = rate_distortion(model, vae(likelihood="gaussian", log_scale=math.log(SIGMA2),
                                       generator=torch.Generator().manual_seed(0)), x, y=y)
    assert point["rate"] > 0 and point["distortion"] > 0
    scores = novelty_scores(model, x, y=y)["reconstruction"]
    x_hat = model.decode(model.encode(x, y)[0], y)
    assert torch.allclose(scores, (x_hat - x).pow(2).sum(1))


def test_rate_distortion_points() -> None:
    with seeded(0):
        model = BIBAE(mlp_encoder(8, 2, (16,)), mlp_decoder(2, 8, (16,)))
    x = torch.rand(30, 8)
    point = rate_distortion(model, vae(generator=torch.Generator().manual_seed(0)), x)
    _, terms = vae(generator=torch.Generator().manual_seed(0))(model, (x,))
    assert point == {"rate": pytest.approx(float(terms["A"])),
                     "distortion": pytest.approx(-float(terms["C"]))}
    with seeded(0):
        vq = BIBAE(mlp_encoder(8, 2, (16,), stochastic=False), mlp_decoder(2, 8, (16,)),
                   encoding="quantised", n_codes=4)
    assert rate_distortion(vq, shannon_ae(), x)["rate"] <= math.log(4) + 1e-9
    with pytest.raises(ValueError, match=r"^model:"):
        iwae_bound(vq, x)


def test_one_class_novelty_detection_on_digits() -> None:
    torch.manual_seed(0)
    data = load_digits()
    normal = data.x_train[data.y_train == 0]
    with seeded(0):
        model = BIBAE(mlp_encoder(64, 4, (64,), stochastic=False), mlp_decoder(4, 64, (64,)),
                      encoding="deterministic")
    loader = DataLoader(TensorDataset(normal), batch_size=32, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    fit(model, aae(likelihood="bernoulli"), loader, torch.optim.Adam(model.parameters(), 3e-3), epochs=60,
        device="cpu", progress=False)
    scores = novelty_scores(model, data.x_test, likelihood="bernoulli")["reconstruction"]
    is_zero = data.y_test == 0
    auc = roc_auc(scores[is_zero], scores[~is_zero], ood_higher=True)
    assert auc >= 0.9, auc
