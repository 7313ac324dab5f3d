"""IB-INN: its losses against direct computations, Bayes' rule, normalisation, sampling, gradients."""

from __future__ import annotations

import copy
import math
import pickle

import pytest
import torch

from infoplane.inn.blocks import AffineCoupling
from infoplane.inn.ibinn import (
    IBINN,
    ClassifierLoss,
    FeedForwardClassifier,
    IBINNLoss,
    INNSoftmaxClassifier,
    ResidualBlock,
    beta_to_gamma,
    class_nll_loss,
    equidistant_means,
    gamma_to_beta,
)
from infoplane.metrics import bits_per_dim, discrete_bits_per_dim


def scrambled(model: IBINN, seed: int = 0, scale: float = 0.3) -> IBINN:
    """Give every zero-initialised layer random weights, so the flow is far from the identity."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in model.flow.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen, dtype=p.dtype))
    return model


def small(**kwargs: object) -> IBINN:
    args = {"n_blocks": 2, "hidden": (16,), "seed": 0, **kwargs}
    return scrambled(IBINN(4, n_classes=3, **args).double())


def data(n: int = 12, dim: int = 4, seed: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    return torch.rand(n, dim, generator=gen, dtype=torch.float64), torch.arange(n) % 3


@pytest.mark.parametrize(("k", "d"), [(2, 2), (3, 7), (10, 64), (4, 3), (10, 9)])
def test_means_are_initialised_at_the_stated_distance(k: int, d: int) -> None:
    mu = equidistant_means(k, d, distance=5.0)
    assert mu.shape == (k, d)
    expected = torch.full((k * (k - 1) // 2,), 5.0, dtype=torch.float64)
    torch.testing.assert_close(torch.pdist(mu.double()), expected, atol=1e-5, rtol=0)
    model = IBINN(d, n_classes=k, n_blocks=1, hidden=(4,), mu_init=3.0, seed=0)
    assert torch.pdist(model.latent_density.means.detach().double()).sub(3.0).abs().max() < 1e-5
    with pytest.raises(ValueError, match=r"^dim:"):
        equidistant_means(5, 3)


def test_l_x_is_the_negative_log_likelihood_of_the_perturbed_input() -> None:
    model = small(sigma=0.05)
    x, y = data()
    terms = IBINNLoss(gamma=1.0, generator=torch.Generator().manual_seed(3)).terms(model, x, y)
    x_eps = x + 0.05 * torch.randn(x.shape, generator=torch.Generator().manual_seed(3), dtype=x.dtype)
    z, log_det = model.flow(x_eps)
    mu, log_w = model.latent_density.means, model.latent_density.log_weights()
    # the mixture density written out: sum_k w_k (2 pi)^(-d/2) exp(-|z - mu_k|^2 / 2)
    dens = sum(log_w[k].exp() * (2 * math.pi) ** (-2) * torch.exp(-0.5 * (z - mu[k]).pow(2).sum(1))
               for k in range(3))
    direct = -(torch.log(dens) + log_det).mean()
    torch.testing.assert_close(terms["L_X"], direct, rtol=1e-10, atol=0)
    torch.testing.assert_close(-model.log_prob(x_eps).mean(), direct, rtol=1e-10, atol=0)
    torch.testing.assert_close(-model.flow.log_prob(x_eps).mean(), direct, rtol=1e-10, atol=0)


def test_l_y_is_the_log_posterior_minus_the_log_prior() -> None:
    model = small(sigma=0.0, class_priors=torch.tensor([0.5, 0.3, 0.2]))
    x, y = data()
    terms = IBINNLoss(label_smoothing=0.0).terms(model, x, y)
    z, _ = model.flow(x)
    prior = model.latent_density.log_weights().exp().detach()     # stored in float32 ...
    torch.testing.assert_close(prior, torch.tensor([0.5, 0.3, 0.2], dtype=torch.float64))  # ... to 1e-7
    lik = torch.exp(-0.5 * torch.cdist(z, model.latent_density.means.detach()).pow(2))
    post = lik * prior / (lik * prior).sum(1, keepdim=True)
    direct = (post[torch.arange(12), y].log() - prior[y].log()).mean()
    torch.testing.assert_close(terms["L_Y"], direct, rtol=1e-10, atol=1e-12)
    # H(Y) - L_Y >= 0 would fail only if the bound CI(Y, Z) <= H(Y) were broken
    h_y = float(-(prior * prior.log()).sum())
    assert float(terms["L_Y"]) <= h_y + 1e-12
    smoothed = IBINNLoss(label_smoothing=0.1).terms(model, x, y)["L_Y"]
    t = torch.full((12, 3), 0.1 / 3, dtype=torch.float64)
    t[torch.arange(12), y] += 0.9
    expected = ((post.log() - prior.log()) * t).sum(1).mean()
    torch.testing.assert_close(smoothed, expected, rtol=1e-10, atol=1e-12)


def test_rebalanced_loss_reduces_to_its_special_cases() -> None:
    model = small(sigma=0.0)
    x, y = data()
    d = model.n_dims
    plain = IBINNLoss(label_smoothing=0.0).terms(model, x, y)
    l0, _ = IBINNLoss(gamma=0.0, label_smoothing=0.0)(model, (x, y))
    torch.testing.assert_close(l0, 2 * plain["L_X"] / d)
    linf, _ = IBINNLoss(gamma=math.inf, label_smoothing=0.0)(model, (x, y))
    torch.testing.assert_close(linf, -plain["L_Y"])
    g = 0.37
    lg, _ = IBINNLoss(gamma=g, label_smoothing=0.0)(model, (x, y))
    torch.testing.assert_close(lg, 2 / (1 + g) * (plain["L_X"] / d - g * plain["L_Y"]))
    # beta = 1 (gamma = 1/d): L_X - L_Y is the class-conditional NLL (eq. 8 discussion)
    l1, _ = IBINNLoss(gamma=beta_to_gamma(1.0, d), label_smoothing=0.0)(model, (x, y))
    nll, _ = class_nll_loss(model, (x, y))
    torch.testing.assert_close(l1, 2 / (d + 1) * nll * d)
    z, log_det = model.flow(x)
    direct_nll = (0.5 * (z - model.latent_density.means[y]).pow(2).sum(1) + 0.5 * d * math.log(2 * math.pi)
                  - log_det).mean() / d
    torch.testing.assert_close(nll, direct_nll)


def test_predictions_follow_bayes_rule() -> None:
    model = small(class_priors=torch.tensor([0.2, 0.2, 0.6]))
    x, _ = data()
    probs = model.predict_proba(x)
    torch.testing.assert_close(probs.sum(1), torch.ones(12, dtype=torch.float64))
    prior = model.latent_density.log_weights().exp().detach()
    torch.testing.assert_close(prior, torch.tensor([0.2, 0.2, 0.6], dtype=torch.float64))
    joint = model.class_log_likelihood(x).exp() * prior
    torch.testing.assert_close(probs, joint / joint.sum(1, keepdim=True), rtol=1e-8, atol=1e-12)
    torch.testing.assert_close(model.log_prob(x).exp(), joint.sum(1), rtol=1e-8, atol=1e-300)


@pytest.mark.parametrize("stretch", [None, 0.3])
def test_density_integrates_to_one_on_a_grid(stretch: float | None) -> None:
    model = IBINN(2, n_classes=2, n_blocks=2, hidden=(16,), mu_init=2.0, stretch=stretch, seed=3).double()
    model = scrambled(model, scale=0.2)
    step = 0.04
    axis = torch.arange(-9, 9, step, dtype=torch.float64) + step / 2
    grid = torch.cartesian_prod(axis, axis)
    with torch.no_grad():
        mass = float(model.log_prob(grid).exp().sum() * step**2)
    assert mass == pytest.approx(1.0, abs=5e-3)


def test_samples_round_trip_through_the_flow() -> None:
    model = small()
    y = torch.tensor([0, 1, 2, 2])
    x0 = model.sample(y, temperature=0.0)
    z0, _ = model.flow(x0)
    torch.testing.assert_close(z0, model.latent_density.means[y].detach(), atol=1e-8, rtol=0)
    gen = torch.Generator().manual_seed(0)
    x = model.sample(y, generator=gen)
    assert torch.equal(x, model.sample(y, generator=torch.Generator().manual_seed(0)))
    near_class_0 = model.sample(torch.zeros(200, dtype=torch.long), temperature=0.3)
    assert model.predict_proba(near_class_0).argmax(1).eq(0).all()


def test_every_parameter_gets_a_gradient_and_l_y_leaves_the_weights_alone() -> None:
    model = small(learn_weights=True)
    x, y = data()
    loss, _ = IBINNLoss(gamma=1.0)(model, (x, y))
    loss.backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert bool(torch.isfinite(p.grad).all()) and bool(p.grad.abs().sum() > 0), name
    model.zero_grad()
    IBINNLoss(gamma=math.inf)(model, (x, y))[0].backward()
    assert model.latent_density.log_weights_raw.grad is None or \
        float(model.latent_density.log_weights_raw.grad.abs().sum()) == 0.0


def test_fixed_means_are_buffers() -> None:
    model = IBINN(4, n_classes=3, n_blocks=1, hidden=(8,), learn_means=False, seed=0)
    assert "flow.latent_density.means" not in dict(model.named_parameters())
    assert "flow.latent_density.means" in dict(model.named_buffers())


@pytest.mark.parametrize("gamma", [1e-3, 1e-1, 1.0, 10.0, 1e3])
def test_no_nan_over_gamma(gamma: float) -> None:
    torch.manual_seed(0)
    model = IBINN(4, n_classes=3, n_blocks=2, hidden=(16,), seed=0)
    x, y = data(64)
    x = x.float()
    loss_fn = IBINNLoss(gamma=gamma, generator=torch.Generator().manual_seed(0))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(30):
        loss, terms = loss_fn(model, (x, y))
        opt.zero_grad()
        loss.backward()
        opt.step()
        assert bool(torch.isfinite(loss)), gamma
        assert all(bool(torch.isfinite(v)) for v in terms.values()), gamma


def test_logged_bits_per_dim_include_the_bin_width() -> None:
    model = small(sigma=0.0)
    x, y = data()
    _, terms = IBINNLoss(label_smoothing=0.0, bin_width=1 / 16)(model, (x, y))
    expected = terms["L_X"] / math.log(2) + 4.0       # nats/dim -> bits/dim, + log2(16)
    torch.testing.assert_close(terms["bits_per_dim"], expected)


def _noise_entropy(d: int, sigma: float) -> float:
    return 0.5 * d * math.log(2 * math.pi * math.e * sigma ** 2)


def test_bits_per_dim_is_the_cross_information_per_dimension_computed_directly() -> None:
    model, (x, _) = small(sigma=1e-3), data()
    bpd = model.bits_per_dim(x, torch.Generator().manual_seed(3), draws=2, batch_size=5)
    gen = torch.Generator().manual_seed(3)   # the same draws, in the same order, by hand
    mu, w = model.latent_density.means.detach(), model.latent_density.log_weights().exp().detach()
    nll = []
    with torch.no_grad():
        for _ in range(2):
            for chunk in x.split(5):
                z, log_det = model.flow(chunk + 1e-3 * torch.randn(chunk.shape, generator=gen, dtype=x.dtype))
                density = sum(w[k] * (2 * math.pi) ** -2 * torch.exp(-0.5 * (z - mu[k]).pow(2).sum(1))
                              for k in range(3))
                nll.append(-(density.log() + log_det))
    expected = (float(torch.cat(nll).mean()) - _noise_entropy(4, 1e-3)) / (4 * math.log(2))
    assert bpd == pytest.approx(expected, rel=1e-9)


def test_bits_per_dim_of_an_untrained_model_has_a_closed_form() -> None:
    model = IBINN(4, n_classes=2, n_blocks=1, hidden=(8,), seed=0)   # the identity map
    radius2 = float(model.latent_density.means.detach().pow(2).sum(1)[0])     # both means this far from 0
    closed = (2 * math.log(2 * math.pi) + radius2 / 2 - _noise_entropy(4, 1e-3)) / (4 * math.log(2))
    bpd = model.bits_per_dim(torch.zeros(200, 4), torch.Generator().manual_seed(0))
    assert bpd == pytest.approx(closed, abs=1e-4)   # the noise moves log q by O(sigma) only


def test_bits_per_dim_bounds_the_entropy_of_discrete_data_where_the_grid_reading_does_not() -> None:
    # two equiprobable points of a grid of step 1/16: H(X) = 1 bit, 0.5 bits per dimension
    torch.manual_seed(0)
    x = torch.tensor([[0.0, 0.0], [0.5, 0.5]]).repeat(64, 1)
    y = torch.tensor([0, 1]).repeat(64)
    model = IBINN(2, n_classes=2, n_blocks=4, hidden=(32,), clamp=3.0, seed=0)
    loss = IBINNLoss(gamma=0.0, generator=torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(900):   # by then the density has spikes at the two points (bits/dim 3.3, grid -0.7)
        value, _ = loss(model, (x, y))
        opt.zero_grad()
        value.backward()
        opt.step()
    model.eval()
    bpd = model.bits_per_dim(x, torch.Generator().manual_seed(2), draws=4)
    with torch.no_grad():
        grid = float(bits_per_dim(-model.log_prob(x).mean(), 2, bin_width=1 / 16))
    assert 0.5 - 0.01 <= bpd < 8.0
    assert grid < 0.5 < bpd   # the density read as flat over each bin promises less than H(X)
    # the discrete points' own code length, -log2 of the model's mass in each bin, is a
    # cross-entropy: never below H(X) (Gibbs), where the grid reading is
    discrete = discrete_bits_per_dim(model.log_prob, x, 1 / 16, draws=16, noise_std=1e-3,
                                     generator=torch.Generator().manual_seed(3))
    assert discrete.bits_per_dim >= 0.5 - 3 * discrete.stderr


def fit_density(model: IBINN, x: torch.Tensor, y: torch.Tensor, steps: int = 200) -> IBINN:
    """Train on L_X alone (gamma = 0) with Adam, full batch; returns the model in eval mode."""
    loss = IBINNLoss(gamma=0.0, generator=torch.Generator().manual_seed(1))
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    for _ in range(steps):
        value, _ = loss(model, (x, y))
        opt.zero_grad()
        value.backward()
        opt.step()
    return model.eval()


def test_the_soft_clamp_caps_the_log_det_and_with_it_the_bits_per_dim() -> None:
    # each coupling scales every feature by at most e^clamp: two couplings at clamp 0.5 give
    # log|det| <= 1 nat per dimension, and q(z) <= (2 pi)^(-D/2) turns that into a floor,
    # bits/dim >= (-ln sigma - 1/2 - 1) / ln 2 = 7.80, however long the model trains
    x = torch.tensor([[0.0, 0.0], [0.5, 0.5]]).repeat(64, 1)
    y = torch.tensor([0, 1]).repeat(64)
    floor = (-math.log(1e-3) - 0.5 - 2 * 0.5) / math.log(2)
    results = {}
    for clamp in (0.5, 3.0):
        model = IBINN(2, n_classes=2, n_blocks=2, hidden=(32,), clamp=clamp, seed=0)
        fit_density(model, x, y)
        with torch.no_grad():
            _, log_det = model(model.perturb(x, torch.Generator().manual_seed(2)))
        results[clamp] = (model.bits_per_dim(x, torch.Generator().manual_seed(2)), float(log_det.mean()) / 2)
    bpd, log_det_per_dim = results[0.5]
    assert 0.99 < log_det_per_dim <= 1.0    # training presses the log-det against the cap
    assert floor <= bpd < floor + 0.6
    assert results[3.0][0] < floor - 2      # a clamp of 3 leaves room (cap 6 nats per dimension)


def test_the_input_stretch_pays_the_log_det_outside_the_clamp() -> None:
    # the same two-point data and clamp 0.5 as above: AsinhStretch(1e-3) has slope ~1/s = 1000
    # at x = 0 and 4 at x = 0.5, so its own log|det| is (6.9 + 1.4) / 2 nats per dimension on
    # average (at the noise-free points), outside the couplings' cap of 1: the bits/dim fall far
    # below the floor of 7.80
    x = torch.tensor([[0.0, 0.0], [0.5, 0.5]]).repeat(64, 1)
    y = torch.tensor([0, 1]).repeat(64)
    floor = (-math.log(1e-3) - 0.5 - 2 * 0.5) / math.log(2)
    model = IBINN(2, n_classes=2, n_blocks=2, hidden=(32,), clamp=0.5, stretch=1e-3, seed=0)
    stretch = model.flow.blocks[0]
    expected = (math.log(1 / 1e-3 + 1 / math.hypot(1, 1e-3)) + math.log(2 / math.hypot(0.5, 1e-3))) / 2
    assert float(stretch(x)[1].mean()) / 2 == pytest.approx(expected, rel=1e-5)
    fit_density(model, x, y)
    # per point, the floor is (-ln sigma - 1/2 - log|det|) / ln 2 with the stretch's log|det| added to
    # the cap: about 0 at x = 0 and (6.9 - 0.5 - 1.4 - 1) / ln 2 = 5.8 bits at x = 0.5, so 2.9 on
    # average plus the half bit per dimension of which point it is: about 3.4 against 7.80
    assert model.bits_per_dim(x, torch.Generator().manual_seed(2)) < floor - 3
    # the stretch is part of the flow: samples and the twin see it too
    back, _ = model(model(x)[0], rev=True)
    torch.testing.assert_close(back, x, atol=1e-5, rtol=0)
    twin = FeedForwardClassifier(2, n_classes=2, n_blocks=2, hidden=(32,), stretch=1e-3, seed=0)
    assert type(twin.layers[0]).__name__ == "AsinhStretch"


def test_bits_per_dim_needs_noise_and_good_arguments() -> None:
    with pytest.raises(ValueError, match=r"^sigma: bits_per_dim needs input noise"):
        small(sigma=0.0).bits_per_dim(data()[0])
    with pytest.raises(ValueError, match=r"^draws:"):
        small(sigma=1e-3).bits_per_dim(data()[0], draws=0)
    with pytest.raises(ValueError, match=r"^x:"):
        small(sigma=1e-3).bits_per_dim(torch.zeros(3, 5, dtype=torch.float64))


def test_images_go_through_haar_and_conv_stages() -> None:
    model = IBINN((1, 8, 8), n_classes=10, conv_blocks=(1, 1), conv_hidden=(8, 8), n_blocks=1,
                  hidden=(32,), seed=0)
    x = torch.rand(5, 1, 8, 8)
    z, log_det = model(x)
    assert z.shape == (5, 64)
    back, _ = model(z, rev=True)
    torch.testing.assert_close(back, x, atol=1e-5, rtol=0)
    assert model.predict_proba(x).shape == (5, 10)


def test_seed_gives_the_same_weights_and_leaves_the_global_rng_alone() -> None:
    state = torch.get_rng_state()
    a = IBINN(6, n_classes=3, n_blocks=2, hidden=(8,), seed=4)
    assert torch.equal(state, torch.get_rng_state())
    b = IBINN(6, n_classes=3, n_blocks=2, hidden=(8,), seed=4)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        assert torch.equal(p, q), name


def test_pickle_and_deepcopy_keep_the_outputs() -> None:
    model = small()
    x, _ = data()
    for clone in (pickle.loads(pickle.dumps(model)), copy.deepcopy(model)):
        assert torch.equal(clone.log_prob(x), model.log_prob(x))


def test_information_terms_and_latent() -> None:
    model = small(sigma=1e-3)
    x, y = data()
    info = model.information_terms(x, y)
    assert info == model.information_terms(x, y)
    # CI(X, Z_E) = L_X - d/2 ln(2 pi e sigma^2): the noise entropy of 4 dims at sigma = 1e-3
    assert info["ci_xz"] - info["l_x"] == pytest.approx(-2 * math.log(2 * math.pi * math.e * 1e-6))
    assert info["ci_zy"] <= math.log(3) + 1e-12
    lat = model.latent(x)
    assert lat.log_var is None and torch.equal(lat.z, model(x)[0])
    from infoplane.plane import DecodesLatent, InformationPlane, KnowsInformationTerms, LatentModel

    assert isinstance(model, LatentModel) and isinstance(model, DecodesLatent)
    assert isinstance(model, KnowsInformationTerms)
    x, y = data(90)
    x = x.float()
    (row,) = InformationPlane(x, y, estimator="gaussian").record(model.float())
    # the row carries the model's own terms beside the estimated columns (which they do not overwrite),
    # and its predictions are Bayes' rule in latent space
    assert row["ci_zy"] == pytest.approx(model.information_terms(x, y)["ci_zy"])
    assert row["i_zy"] <= row["h_y"] and row["h_y_given_z"] == pytest.approx(row["h_y"] - row["i_zy"])
    accuracy = float((model.predict_proba(x).argmax(1) == y).float().mean())
    assert row["train_accuracy"] == pytest.approx(accuracy)


def test_gamma_beta_conversions_invert_each_other() -> None:
    assert beta_to_gamma(gamma_to_beta(0.25, 784), 784) == 0.25
    assert gamma_to_beta(1.0, 64) == 64.0


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: IBINN(4, n_classes=1), "n_classes"),
    (lambda: IBINN(4, n_classes=3, hidden=16), "hidden"),
    (lambda: IBINN((1, 7, 8), n_classes=3), "dims"),
    (lambda: IBINN(4, n_classes=3, class_priors=torch.ones(2)), "class_priors"),
    (lambda: IBINN(4, n_classes=3, sigma=-1.0), "sigma"),
    (lambda: IBINN(4, n_classes=3, stretch=0.0), "stretch"),
    (lambda: FeedForwardClassifier(4, n_classes=3, stretch="a"), "stretch"),
    (lambda: IBINNLoss(gamma=-1.0), "gamma"),
    (lambda: IBINNLoss(label_smoothing=1.0), "label_smoothing"),
    (lambda: IBINN(4, n_classes=3, n_blocks=1, hidden=(4,))(torch.zeros(2, 5)), "x"),
    (lambda: IBINNLoss()(IBINN(4, n_classes=3, n_blocks=1, hidden=(4,)), (torch.zeros(2, 4),
                                                                           torch.zeros(3))), "y"),
    (lambda: IBINNLoss()(torch.nn.Linear(4, 3), (torch.zeros(2, 4), torch.zeros(2))), "model"),
])
def test_bad_inputs_name_the_argument(call: object, argument: str) -> None:
    with pytest.raises((ValueError, TypeError), match=rf"^{argument}:"):
        call()


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_agrees_with_cpu() -> None:
    model = small()
    x, _ = data()
    gpu = copy.deepcopy(model).to("cuda").log_prob(x.to("cuda")).cpu()
    torch.testing.assert_close(gpu, model.log_prob(x), rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize(("dims", "options"), [
    (64, {"n_blocks": 3, "hidden": (32, 32)}),
    (9, {"n_blocks": 2, "hidden": (16,)}),
    ((1, 8, 8), {"n_blocks": 1, "hidden": (32,), "conv_blocks": (1, 2), "conv_hidden": (8, 16)}),
])
def test_feed_forward_twin_has_the_parameter_count_within_ten_percent(dims: object, options: dict) -> None:
    inn = IBINN(dims, n_classes=10, seed=0, **options)
    ff = FeedForwardClassifier(dims, n_classes=10, seed=0, **options)
    n_inn = sum(p.numel() for p in inn.parameters())
    n_ff = sum(p.numel() for p in ff.parameters())
    assert abs(n_ff - n_inn) / n_inn < 0.10
    # the same layout: one residual block per coupling, the same fixed blocks in the same order
    couplings = sum(isinstance(b, AffineCoupling) for b in inn.flow.blocks)
    assert sum(isinstance(m, ResidualBlock) for m in ff.layers) == couplings
    x = torch.rand(3, *((dims,) if isinstance(dims, int) else dims))
    assert ff(x).shape == (3, 10)


def test_baselines_learn_and_every_parameter_gets_a_gradient() -> None:
    x, y = data(60)
    x = x.float()
    for model in (FeedForwardClassifier(4, 3, n_blocks=2, hidden=(16,), seed=0),
                  INNSoftmaxClassifier(4, 3, n_blocks=2, hidden=(16,), seed=0)):
        loss_fn = ClassifierLoss()
        loss, terms = loss_fn(model, (x, y))
        loss.backward()
        for name, p in model.named_parameters():
            assert p.grad is not None, name
        if isinstance(model, INNSoftmaxClassifier):
            # the couplings start as the identity, so their first layers get no gradient yet;
            # every last layer and the head do
            assert model.head.weight.grad.abs().sum() > 0
        opt = torch.optim.Adam(model.parameters(), lr=1e-2)
        for _ in range(60):
            opt.zero_grad()
            loss_fn(model, (x, y))[0].backward()
            opt.step()
        assert float(loss_fn(model, (x, y))[1]["cross_entropy"]) < float(terms["cross_entropy"])


def test_classifier_loss_is_cross_entropy_with_smoothing() -> None:
    logits = torch.tensor([[2.0, 0.0], [0.0, 1.0]])
    y = torch.tensor([0, 0])
    loss, terms = ClassifierLoss(0.1)(lambda x: logits, (torch.zeros(2, 1), y))
    log_p = torch.log_softmax(logits, 1)
    t = torch.tensor([[0.95, 0.05], [0.95, 0.05]])
    torch.testing.assert_close(loss, -(t * log_p).sum(1).mean())
    torch.testing.assert_close(terms["cross_entropy"], -log_p[:, 0].mean())
    assert float(terms["accuracy"]) == 0.5


def test_the_latent_projection_keeps_the_layout_of_three_means_exactly() -> None:
    """Three means span a plane: their projection keeps every pairwise distance; points keep theirs to it."""
    model = IBINN(6, n_classes=3, n_blocks=2, hidden=(8,), seed=1)
    with torch.no_grad():
        model.latent_density.means.add_(torch.randn(3, 6, generator=torch.Generator().manual_seed(0)))
    x = torch.randn(7, 6, generator=torch.Generator().manual_seed(1))
    points, means = model.latent_projection(x)
    full = model.latent_density.means.detach()
    torch.testing.assert_close(torch.cdist(means, means), torch.cdist(full, full), atol=1e-5, rtol=1e-5)
    z, _ = model(x)
    # a point's projection is its orthogonal projection on the plane: never farther from a mean
    assert bool((torch.cdist(points, means) <= torch.cdist(z.detach(), full) + 1e-5).all())
    assert points.shape == (7, 2)


def test_the_gamma_trade_off_on_the_digits_at_ci_size() -> None:
    """Issue 13's Done-when at CI size (10 epochs, seed 0, the `infoplane sweep` run).

    Measured here: gamma = 3 error 2.9 % against the feed-forward twin's 3.1 %; class-NLL 18 %;
    gamma = 0.1 detects noisy digits with ROC-AUC 0.94, gamma = 3 only 0.53. The calibration
    part (the IB-INN's ECE below the twin's) is not asserted: at this size the two differ by
    less than the spread over seeds (README, IB-INN sweep).
    """
    from infoplane.cli import _ibinn_run

    accurate, generative = _ibinn_run("ibinn", 3.0, 0, 10), _ibinn_run("ibinn", 0.1, 0, 10)
    twin, nll = _ibinn_run("feed_forward", None, 0, 10), _ibinn_run("class_nll", None, 0, 10)
    assert accurate["error"] <= 1.5 * twin["error"]           # within 1.5x of the same-backbone classifier
    assert nll["error"] > 2 * accurate["error"]                # class-NLL is clearly worse in accuracy
    assert generative["ood_auc"] > 0.9                         # the two-tailed test on noisy digits
    assert generative["ood_auc"] > accurate["ood_auc"] + 0.2   # ... which larger gamma gives up
    assert generative["bits_per_dim"] < accurate["bits_per_dim"]


def test_without_smoothing_the_ibinn_is_better_calibrated_than_its_twin_in_c3_bins() -> None:
    """Issue 13's calibration criterion at CI size: seed 0, 50 epochs, no label smoothing.

    Measured here: the IB-INN at gamma = 30 errs on 1.8 % of the test digits against the
    twin's 2.2 %, and its ECE in C.3's bins with each bin's mean probability as confidence is
    0.32 % against the twin's 0.49 % (over 8 seeds: lower in 8 of 8 at 50, 100 and 200 epochs;
    README, IB-INN calibration). With C.51's bin centres as confidence the order is the other
    way (0.68 % against 0.60 %), which the first bin, [0, 0.01), makes: its centre 0.005
    charges the model whose near-zero probabilities are less often on the true class more
    (metrics.calibration, and the test of it), so that measure is not asserted.
    """
    from infoplane.cli import _ibinn_run

    ibinn = _ibinn_run("ibinn", 30.0, 0, 50, label_smoothing=0.0)
    twin = _ibinn_run("feed_forward", None, 0, 50, label_smoothing=0.0)
    assert ibinn["error"] <= 1.5 * twin["error"]
    assert ibinn["ece_mean"] < 0.8 * twin["ece_mean"]
