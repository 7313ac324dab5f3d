"""Bottleneck objectives: conversions, cross-entropy bounds, VIB/CEB KL, categorical H[Y|Z]."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from hypothesis import given
from hypothesis import strategies as st

from infoplane.bottleneck import (
    CEB,
    VIB,
    CategoricalBottleneckClassifier,
    CategoricalObjective,
    CrossEntropyObjective,
    GaussianEncoderClassifier,
    NoisyBottleneckClassifier,
    SurrogateDIB,
    SurrogateIB,
    SurrogateObjective,
    beta_to_gamma,
    categorical_cross_entropies,
    categorical_decoder_uncertainty,
    convert_beta,
    decoder_cross_entropy,
    empirical_joint,
    gamma_to_beta,
    gaussian_kl,
    prediction_cross_entropy,
)
from infoplane.info import Distribution, conditional_entropy

# --- conversions --------------------------------------------------------------------------


@given(st.floats(1.0, 1e6))
def test_beta_conversions_round_trip(beta):
    for kind in ("beta_prime", "beta_double_prime", "vib_beta"):
        assert convert_beta(convert_beta(beta, "beta", kind), kind, "beta") == pytest.approx(beta, rel=1e-9)
    assert convert_beta(beta, "beta", "beta_double_prime") == pytest.approx(1 / beta)
    if beta > 1:
        assert convert_beta(beta, "beta", "beta_prime") == pytest.approx(1 / (beta - 1))
        bp = convert_beta(beta, "beta", "beta_prime")
        assert convert_beta(bp, "beta_prime", "beta_double_prime") == pytest.approx(1 / beta, rel=1e-9)


@given(st.floats(1e-6, 1.0), st.sampled_from(["conditional_log_var", "log_var"]))
def test_gamma_round_trip(gamma, regularizer):
    assert beta_to_gamma(gamma_to_beta(gamma, regularizer), regularizer) == pytest.approx(gamma, rel=1e-9)


def test_conversion_values_and_limits():
    # beta = 2 is where IB and CEB coincide: beta' = 1 (Kirsch et al. sec. 4.2)
    assert convert_beta(2.0, "beta", "beta_prime") == 1.0
    assert CEB(1.0).beta == 2.0
    assert convert_beta(1.0, "beta", "beta_prime") == math.inf
    assert convert_beta(0.0, "beta_prime", "beta") == math.inf
    assert convert_beta(math.inf, "beta", "beta_double_prime") == 0.0
    assert SurrogateIB(0.25).beta == pytest.approx(5.0)     # gamma = beta' = 1/(beta - 1)
    assert SurrogateDIB(0.25).beta == pytest.approx(4.0)    # gamma = beta'' = 1/beta
    assert SurrogateObjective(0.1, "l2_activation").beta is None


def test_bad_conversions_raise():
    with pytest.raises(ValueError, match=r"^value:"):
        convert_beta(0.5, "beta", "beta_prime")
    with pytest.raises(ValueError, match=r"^value:"):
        convert_beta(2.0, "beta_double_prime", "beta")   # beta < 1
    with pytest.raises(ValueError, match=r"^target:"):
        convert_beta(2.0, "beta", "gamma")
    with pytest.raises(ValueError, match=r"^source:"):
        convert_beta(2.0, "gamma", "beta")
    with pytest.raises(ValueError, match=r"^regularizer:"):
        gamma_to_beta(0.1, "l2_activation")
    with pytest.raises(ValueError, match=r"^regularizer:"):
        beta_to_gamma(2.0, "l2_activation")
    with pytest.raises(ValueError, match=r"^value:"):
        convert_beta(float("nan"), "beta", "beta_prime")


# --- cross-entropies (Observations 2 and 4) ---------------------------------------------------


@given(st.integers(1, 6), st.integers(1, 8), st.integers(2, 5), st.integers(0, 2**31 - 1))
def test_decoder_ce_upper_bounds_prediction_ce(samples, batch, classes, seed):
    gen = torch.Generator().manual_seed(seed)
    logits = 3 * torch.randn(samples, batch, classes, generator=gen, dtype=torch.float64)
    y = torch.randint(0, classes, (batch,), generator=gen)
    dce, _ = decoder_cross_entropy(logits, y)
    pce, _ = prediction_cross_entropy(logits, y)
    assert float(pce) <= float(dce) + 1e-12                     # Observation 2, eq. 4
    direct = np.mean([-math.log(torch.softmax(logits[s, i], 0)[y[i]]) for s in range(samples)
                      for i in range(batch)])
    assert float(dce) == pytest.approx(direct, rel=1e-9)
    if samples == 1:
        assert float(pce) == pytest.approx(float(dce), rel=1e-12)
        assert float(dce) == pytest.approx(float(F.cross_entropy(logits[0], y)), rel=1e-9)


def _dit_conditional_entropy(joint: np.ndarray) -> float:
    dit = pytest.importorskip("dit")
    outcomes, probs = [], []
    for z in range(joint.shape[0]):
        for y in range(joint.shape[1]):
            if joint[z, y] > 0:
                outcomes.append(f"{z:02d}{y:02d}")
                probs.append(joint[z, y])
    d = dit.Distribution(outcomes, probs)
    d.set_rv_names(["Z1", "Z2", "Y1", "Y2"])
    return dit.shannon.conditional_entropy(d, ["Y1", "Y2"], ["Z1", "Z2"]) * math.log(2)  # bits -> nats


def _direct_conditional_entropy(joint: np.ndarray) -> float:
    pz = joint.sum(1)
    return float(-sum(joint[z, y] * math.log(joint[z, y] / pz[z]) for z in range(joint.shape[0])
                      for y in range(joint.shape[1]) if joint[z, y] > 0))


@given(st.integers(1, 6), st.integers(2, 4), st.integers(4, 30), st.integers(0, 2**31 - 1))
def test_categorical_decoder_uncertainty_is_the_exact_conditional_entropy(c, k, n, seed):
    gen = torch.Generator().manual_seed(seed)
    pz = torch.softmax(3 * torch.randn(n, c, generator=gen, dtype=torch.float64), 1)
    y = torch.randint(0, k, (n,), generator=gen)
    joint = empirical_joint(pz, y, k)
    # the joint is the soft confusion matrix: p(z, y) = 1/n sum_i p(z|x_i) [y_i = y]
    direct_joint = np.zeros((c, k))
    for i in range(n):
        direct_joint[:, int(y[i])] += pz[i].numpy() / n
    np.testing.assert_allclose(joint.numpy(), direct_joint, atol=1e-12)
    h, terms = categorical_decoder_uncertainty(pz, y, k)
    assert float(h) == pytest.approx(_direct_conditional_entropy(direct_joint), abs=1e-9)
    # Observation 4: H[Y|Z] <= H_theta[Y|Z] for any decoder, equality for the optimal one
    random_decoder = torch.log_softmax(torch.randn(c, k, generator=gen, dtype=torch.float64), 1)
    ces = categorical_cross_entropies(pz, random_decoder, y)
    assert float(h) <= float(ces["decoder_ce"]) + 1e-9
    assert float(ces["prediction_ce"]) <= float(ces["decoder_ce"]) + 1e-9   # Observation 2
    optimal = torch.log(terms["optimal_decoder"].clamp_min(1e-300))
    best = categorical_cross_entropies(pz, optimal, y)["decoder_ce"]
    assert float(best) == pytest.approx(float(h), abs=1e-9)


def test_categorical_decoder_uncertainty_against_dit():
    gen = torch.Generator().manual_seed(4)
    pz = torch.softmax(2 * torch.randn(50, 5, generator=gen, dtype=torch.float64), 1)
    y = torch.randint(0, 3, (50,), generator=gen)
    h, _ = categorical_decoder_uncertainty(pz, y, 3)
    assert float(h) == pytest.approx(_dit_conditional_entropy(empirical_joint(pz, y, 3).numpy()), abs=1e-9)


def test_categorical_decoder_uncertainty_against_exact_module():
    gen = torch.Generator().manual_seed(5)
    pz = torch.softmax(2 * torch.randn(40, 4, generator=gen, dtype=torch.float64), 1)
    y = torch.randint(0, 3, (40,), generator=gen)
    joint = empirical_joint(pz, y, 3).numpy()
    exact = conditional_entropy(Distribution(joint, names=["Z", "Y"]), "Y", "Z")
    h, _ = categorical_decoder_uncertainty(pz, y, 3)
    assert float(h) == pytest.approx(float(exact), abs=1e-9)


def test_categorical_gradient_matches_score_function_form():
    # sec. 5.4 / A.3: dH[Y|Z]/dtheta only involves d ln p(z|x), weighted by h(p(y|z))
    gen = torch.Generator().manual_seed(6)
    logits = torch.randn(20, 4, generator=gen, dtype=torch.float64, requires_grad=True)
    y = torch.randint(0, 3, (20,), generator=gen)
    h, terms = categorical_decoder_uncertainty(torch.softmax(logits, 1), y, 3)
    (grad,) = torch.autograd.grad(h, logits)
    weights = -torch.log(terms["optimal_decoder"])[:, y].T          # (n, C): h(p(y_i|z))
    surrogate = (torch.softmax(logits, 1) * weights).sum() / 20     # E_p(z|x) weight, grad via pz
    (expected,) = torch.autograd.grad(surrogate, logits)
    torch.testing.assert_close(grad, expected)


# --- VIB and CEB ------------------------------------------------------------------------------


@given(st.integers(1, 5), st.integers(0, 2**31 - 1))
def test_gaussian_kl_against_torch_distributions(d, seed):
    gen = torch.Generator().manual_seed(seed)
    mu, lv, mu2, lv2 = (torch.randn(7, d, generator=gen, dtype=torch.float64) for _ in range(4))
    D = torch.distributions
    p = D.Independent(D.Normal(mu, (0.5 * lv).exp()), 1)
    q = D.Independent(D.Normal(mu2, (0.5 * lv2).exp()), 1)
    r = D.Independent(D.Normal(torch.zeros_like(mu), torch.ones_like(mu)), 1)
    torch.testing.assert_close(gaussian_kl(mu, lv, mu2, lv2), D.kl_divergence(p, q))
    torch.testing.assert_close(gaussian_kl(mu, lv), D.kl_divergence(p, r))


def _twins(make):
    """Two identical models with identical noise generators: one for the loss, one to replay it."""
    return make(torch.Generator().manual_seed(11)), make(torch.Generator().manual_seed(11))


def test_vib_loss_against_torch_distributions():
    model, twin = _twins(lambda g: GaussianEncoderClassifier(5, 3, hidden=(8,), latent_dim=2, seed=0,
                                                             generator=g))
    x, y = torch.randn(16, 5), torch.arange(16) % 3
    loss, terms = VIB(0.3)(model, (x, y))
    out = twin(x)   # the same draw, recomputed by a peer
    D = torch.distributions
    e = D.Independent(D.Normal(out.mean, (0.5 * out.log_var).exp()), 1)
    r = D.Independent(D.Normal(torch.zeros_like(out.mean), torch.ones_like(out.mean)), 1)
    kl = D.kl_divergence(e, r).mean()
    torch.testing.assert_close(terms["kl"], kl)
    torch.testing.assert_close(loss, F.cross_entropy(out.logits, y) + 0.3 * kl)
    assert isinstance(terms["accuracy"], torch.Tensor)
    assert float(terms["accuracy"]) == float((out.logits.argmax(1) == y).float().mean())


def test_vib_mixture_marginal_rate_is_an_unbiased_kl_estimate():
    model = GaussianEncoderClassifier(5, 3, hidden=(8,), latent_dim=2, marginal="mixture", n_components=1,
                                      seed=0)
    with torch.no_grad():  # make r(z) = N(m, diag e^l) so the KL is known in closed form
        model.marginal.means.fill_(0.3)
        model.marginal.log_vars.fill_(-0.2)
    x = torch.randn(4, 5)
    torch.manual_seed(0)
    out = model(x, samples=20_000)
    estimate = VIB.rate(out, model.marginal)
    exact = gaussian_kl(out.mean, out.log_var, torch.full_like(out.mean, 0.3),
                        torch.full_like(out.mean, -0.2))
    torch.testing.assert_close(estimate, exact, atol=0.05, rtol=0.05)


def test_vib_mixture_loss_is_the_monte_carlo_rate():
    model, twin = _twins(lambda g: GaussianEncoderClassifier(5, 3, hidden=(8,), latent_dim=2, seed=1,
                                                             marginal="mixture", n_components=3, generator=g))
    x, y = torch.randn(10, 5), torch.arange(10) % 3
    loss, terms = VIB(0.5)(model, (x, y))
    out = twin(x)
    D = torch.distributions
    e = D.Independent(D.Normal(out.mean, (0.5 * out.log_var).exp()), 1)
    m = twin.marginal
    r = D.MixtureSameFamily(D.Categorical(logits=m.log_weights_raw),
                            D.Independent(D.Normal(m.means, (0.5 * m.log_vars).exp()), 1))
    rate = (e.log_prob(out.z) - r.log_prob(out.z)).mean()
    torch.testing.assert_close(terms["kl"], rate)
    torch.testing.assert_close(loss, F.cross_entropy(out.logits, y) + 0.5 * rate)


def test_ceb_residual_term_is_kl_to_backward_encoder():
    model, twin = _twins(lambda g: GaussianEncoderClassifier(5, 3, hidden=(8,), latent_dim=2, seed=0,
                                                             backward_encoder=True, generator=g))
    x, y = torch.randn(9, 5), torch.arange(9) % 3
    loss, terms = CEB(2.0)(model, (x, y))
    out = twin(x)
    D = torch.distributions
    e = D.Independent(D.Normal(out.mean, (0.5 * out.log_var).exp()), 1)
    b = D.Independent(D.Normal(twin.backward_means[y], (0.5 * twin.backward_log_vars[y]).exp()), 1)
    kl = D.kl_divergence(e, b).mean()
    torch.testing.assert_close(terms["residual_kl"], kl)
    torch.testing.assert_close(loss, F.cross_entropy(out.logits, y) + 2.0 * kl)
    with pytest.raises(ValueError, match=r"^model:"):
        CEB(1.0)(GaussianEncoderClassifier(5, 3, hidden=(8,), latent_dim=2), (x, y))
    with pytest.raises(ValueError, match=r"^model:"):
        CEB(1.0)(NoisyBottleneckClassifier(5, 3, hidden=(8,), latent_dim=2), (x, y))


# --- surrogate objectives ---------------------------------------------------------------------


def _direct_log_var(z: np.ndarray) -> float:
    return sum(0.5 * math.log(2 * math.pi * math.e * (np.var(z[:, i]) + 1e-8)) for i in range(z.shape[1]))


def _direct_conditional_log_var(z: np.ndarray, y: np.ndarray) -> float:
    return sum(np.mean(y == c) * _direct_log_var(z[y == c]) for c in np.unique(y))


@pytest.mark.parametrize("samples", [1, 4])
def test_surrogate_objectives_against_a_replayed_direct_computation(samples):
    x, y = torch.randn(12, 6), torch.arange(12) % 3
    for loss_fn, direct in ((SurrogateIB(0.2, samples=samples), _direct_conditional_log_var),
                            (SurrogateDIB(0.2, samples=samples), lambda z, y: _direct_log_var(z))):
        model, twin = _twins(lambda g: NoisyBottleneckClassifier(6, 3, hidden=(8,), latent_dim=2, seed=0,
                                                                 generator=g))
        loss, terms = loss_fn(model, (x, y))
        out = twin(x, samples=samples)
        z = out.z.reshape(-1, 2).detach().double().numpy()
        reg = direct(z, y.repeat(samples).numpy())
        ce = F.cross_entropy(out.logits.reshape(-1, 3), y.repeat(samples))
        assert float(terms[loss_fn.regularizer].detach()) == pytest.approx(reg, rel=1e-5)
        assert float(loss.detach()) == pytest.approx(float(ce.detach()) + 0.2 * reg, rel=1e-5)
        loss.backward()
        assert model.encoder[0].weight.grad.abs().sum() > 0


def test_l2_surrogate_is_the_mean_squared_norm():
    model, twin = _twins(lambda g: NoisyBottleneckClassifier(6, 3, hidden=(8,), latent_dim=2, seed=2,
                                                             generator=g))
    x, y = torch.randn(12, 6), torch.arange(12) % 3
    _, terms = SurrogateObjective(0.1, "l2_activation")(model, (x, y))
    z = twin(x).z.detach()
    assert float(terms["l2_activation"].detach()) == pytest.approx(float((z ** 2).sum(1).mean()), rel=1e-6)
    with pytest.raises(ValueError, match=r"^model:"):
        SurrogateIB(0.1)(CategoricalBottleneckClassifier(6, 3, n_categories=4, hidden=(8,)), (x, y))


def test_deterministic_encoder_makes_both_cross_entropies_equal():
    # Observation 2: equality for a deterministic encoder (no noise)
    model = NoisyBottleneckClassifier(6, 3, hidden=(8,), latent_dim=2, noise_entropy=None, seed=0)
    x, y = torch.randn(12, 6), torch.arange(12) % 3
    logits = model(x, samples=5).logits
    torch.testing.assert_close(decoder_cross_entropy(logits, y)[0], prediction_cross_entropy(logits, y)[0])
    loss, _ = CrossEntropyObjective()(model, (x, y))
    torch.testing.assert_close(loss, F.cross_entropy(model(x).logits, y))
    plain = torch.nn.Linear(6, 3)   # any classifier returning logits works too
    torch.testing.assert_close(CrossEntropyObjective()(plain, (x, y))[0], F.cross_entropy(plain(x), y))


def test_categorical_objective_targets_against_direct_sums():
    model = CategoricalBottleneckClassifier(6, 3, n_categories=4, hidden=(8,), seed=0)
    with torch.no_grad():
        torch.nn.init.normal_(model.decoder_logits)
    x, y = torch.randn(12, 6, dtype=torch.float32), torch.arange(12) % 3
    log_probs, pz = model(x)
    q = torch.softmax(model.decoder_logits, 1).detach()
    pz_ = pz.detach().double().numpy()
    decoder_ce = np.mean([sum(-pz_[i, c] * math.log(q[c, y[i]]) for c in range(4)) for i in range(12)])
    prediction_ce = float(F.nll_loss(log_probs, y))
    joint = np.zeros((4, 3))
    for i in range(12):
        joint[:, int(y[i])] += pz_[i] / 12
    h = _direct_conditional_entropy(joint)
    for target, expected in (("decoder_ce", decoder_ce), ("prediction_ce", prediction_ce),
                             ("decoder_uncertainty", h)):
        loss, terms = CategoricalObjective(target)(model, (x, y))
        assert float(loss) == pytest.approx(expected, rel=1e-5)
        assert float(terms["h_y_given_z"]) <= float(terms["decoder_ce"]) + 1e-6   # Observation 4
        assert float(terms["prediction_ce"]) <= float(terms["decoder_ce"]) + 1e-6  # Observation 2
    with pytest.raises(ValueError, match=r"^target:"):
        CategoricalObjective("accuracy")


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match=r"^gamma:"):
        SurrogateIB(-1.0)
    with pytest.raises(ValueError, match=r"^regularizer:"):
        SurrogateObjective(0.1, "entropy")
    with pytest.raises(ValueError, match=r"^samples:"):
        VIB(0.1, samples=0)
    with pytest.raises(ValueError, match=r"^y:"):
        decoder_cross_entropy(torch.zeros(3, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"^logits:"):
        prediction_cross_entropy(torch.zeros(3), torch.tensor([0, 1, 0]))
    with pytest.raises(ValueError, match=r"^pz_given_x:"):
        empirical_joint(torch.full((2, 2), 0.7), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"^n_classes:"):
        empirical_joint(torch.eye(2), torch.tensor([0, 1]), n_classes=0)
    with pytest.raises(ValueError, match=r"^batch:"):
        VIB(0.1)(GaussianEncoderClassifier(2, 2, hidden=(4,), latent_dim=1), torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"^model:"):
        VIB(0.1)(NoisyBottleneckClassifier(2, 2, hidden=(4,), latent_dim=1), (torch.zeros(3, 2),
                                                                            torch.tensor([0, 1, 0])))


# --- issue 12: reliability at the door of the losses ----------------------------------------


def _bottleneck_losses():
    noisy = NoisyBottleneckClassifier(4, 3, hidden=(8,), latent_dim=2, seed=0)
    gauss = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2, seed=0)
    ceb = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2, backward_encoder=True, seed=0)
    cat = CategoricalBottleneckClassifier(4, 3, n_categories=5, hidden=(8,), seed=0)
    return [("ce", CrossEntropyObjective(), noisy), ("ib", SurrogateIB(0.1), noisy),
            ("dib", SurrogateDIB(0.1), noisy), ("l2", SurrogateObjective(0.1, "l2_activation"), noisy),
            ("vib", VIB(0.1), gauss),
            ("vib_mixture", VIB(0.1), GaussianEncoderClassifier(4, 3, hidden=(8,), marginal="mixture")),
            ("ceb", CEB(1.0), ceb), ("categorical", CategoricalObjective(), cat)]


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
@pytest.mark.parametrize("index", range(8))
def test_every_loss_refuses_a_non_finite_input_batch(index, bad):
    name, loss, model = _bottleneck_losses()[index]
    x = torch.randn(6, 4)
    x[2, 1] = bad
    with pytest.raises(ValueError, match=r"^batch: x contains NaN"):
        loss(model, (x, torch.tensor([0, 1, 2] * 2)))
    # a plain forward lets it through (documented): NaN comes out, no error
    out = model(x)
    assert not bool(torch.isfinite(out[0]).all()), name


@pytest.mark.parametrize("index", range(8))
def test_every_loss_refuses_an_empty_batch(index):
    name, loss, model = _bottleneck_losses()[index]
    with pytest.raises(ValueError, match=r"^batch: expected a non-empty batch"):
        loss(model, (torch.zeros(0, 4), torch.zeros(0, dtype=torch.long)))


def test_empty_inputs_of_the_cross_entropies_and_the_joint_are_errors():
    with pytest.raises(ValueError, match=r"^logits: expected a non-empty batch"):
        decoder_cross_entropy(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match=r"^logits: expected a non-empty batch"):
        prediction_cross_entropy(torch.zeros(4, 0, 3), torch.zeros(0, dtype=torch.long))
    with pytest.raises(ValueError, match=r"^pz_given_x: expected a non-empty batch"):
        empirical_joint(torch.zeros(0, 3), torch.zeros(0, dtype=torch.long))


@pytest.mark.parametrize("labels", [[0, 3], [-1, 0], [0, 100]])
def test_labels_out_of_range_name_y(labels):
    y = torch.tensor(labels)
    with pytest.raises(ValueError, match=r"^y: labels must lie in 0\.\.2"):
        decoder_cross_entropy(torch.zeros(2, 3), y)
    with pytest.raises(ValueError, match=r"^y: labels must lie in 0\.\.2"):
        prediction_cross_entropy(torch.zeros(5, 2, 3), y)
    model = NoisyBottleneckClassifier(4, 3, hidden=(8,), latent_dim=2, seed=0)
    with pytest.raises(ValueError, match=r"^y: labels must lie in 0\.\.2"):
        CrossEntropyObjective()(model, (torch.zeros(2, 4), y))


def test_surrogate_dib_names_gamma():
    with pytest.raises(ValueError, match=r"^gamma: beta_double_prime = 2\.0 > 1"):
        SurrogateDIB(gamma=2)
    with pytest.raises(ValueError, match=r"^gamma:"):
        gamma_to_beta(1.5, "log_var")
    with pytest.raises(ValueError, match=r"^beta:"):
        beta_to_gamma(0.5, "log_var")
    with pytest.raises(ValueError, match=r"^value:"):   # convert_beta's own argument
        convert_beta(2.0, "vib_beta", "beta")


@pytest.mark.parametrize("cls, regularizer",
                         [(SurrogateIB, "conditional_log_var"), (SurrogateDIB, "log_var")])
def test_a_last_batch_of_one_sample_skips_the_variance_regulariser(cls, regularizer):
    from torch.utils.data import DataLoader, TensorDataset

    from infoplane.bottleneck.regularizers import conditional_log_var, log_var
    from infoplane.train import fit

    gen = torch.Generator().manual_seed(0)
    n, batch_size = 13, 4                       # n = 1 (mod batch size): the last batch has one sample
    x = torch.randn(n, 4, generator=gen)
    y = torch.arange(n) % 2
    model = NoisyBottleneckClassifier(4, 2, hidden=(8,), latent_dim=2, noise_entropy=None, seed=0)
    loss = cls(0.5)
    # the one-sample batch alone: the loss is the cross-entropy, the regulariser term 0
    value, terms = loss(model, (x[-1:], y[-1:]))
    ce = F.cross_entropy(model(x[-1:])[0], y[-1:])
    assert float(terms[regularizer]) == 0.0
    assert float(value.detach()) == pytest.approx(float(ce.detach()), abs=1e-7)
    # through fit (lr = 0, so the weights stay): the epoch mean weights that sample by 1/n with 0
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size)
    history = fit(model, loss, loader, torch.optim.SGD(model.parameters(), lr=0.0), 1, device="cpu",
                  progress=False)
    reg = conditional_log_var if regularizer == "conditional_log_var" else log_var
    with torch.no_grad():
        full = [(len(xb), float(reg(model(xb)[1], yb) if regularizer == "conditional_log_var"
                                else reg(model(xb)[1])))
                for xb, yb in zip(x.split(batch_size), y.split(batch_size), strict=True) if len(xb) > 1]
    expected = sum(k * v for k, v in full) / n
    assert history[-1][f"train/{regularizer}"] == pytest.approx(expected, rel=1e-6)
    assert math.isfinite(history[-1]["train/loss"])


@pytest.mark.parametrize("index", range(8))
def test_a_model_that_is_not_a_module_names_model(index):
    _, loss, _ = _bottleneck_losses()[index]
    with pytest.raises(TypeError, match=r"^model:"):
        loss([1, 2], (torch.zeros(2, 4), torch.tensor([0, 1])))


def test_non_finite_logits_and_string_labels_name_the_argument():
    logits = torch.zeros(2, 3)
    logits[0, 1] = math.nan
    with pytest.raises(ValueError, match=r"^logits: contains NaN"):
        decoder_cross_entropy(logits, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"^logits: contains NaN"):
        prediction_cross_entropy(logits, torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"^y: expected integer class labels"):
        decoder_cross_entropy(torch.zeros(2, 3), ["a", "b"])
    with pytest.raises(ValueError, match=r"^regularizer:"):
        SurrogateObjective(0.1, ["log_var"])
    with pytest.raises(ValueError, match=r"^decoder_log_probs:"):
        categorical_cross_entropies(torch.full((2, 2), 0.5), torch.zeros(2, 0), torch.tensor([0, 1]))
    pz = torch.full((2, 2), 0.5)
    pz[0, 0] = math.nan
    with pytest.raises(ValueError, match=r"^pz_given_x: contains NaN"):
        empirical_joint(pz, torch.tensor([0, 1]))
