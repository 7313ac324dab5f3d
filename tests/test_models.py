"""Bottleneck models: output tuples, no hidden state, declared latents, seeds, gradients, pickle, CUDA."""

from __future__ import annotations

import copy
import pickle
import subprocess
import sys

import pytest
import torch
from torch import nn

from infoplane._gaussian import ZERO_ENTROPY_LOG_VAR, GaussianLatent, GaussianMixture, gaussian_entropy
from infoplane._nn import mlp
from infoplane.bottleneck import (
    CEB,
    VIB,
    BottleneckOutput,
    CategoricalBottleneckClassifier,
    CategoricalObjective,
    CategoricalOutput,
    GaussianEncoderClassifier,
    GaussianEncoderOutput,
    NoisyBottleneckClassifier,
    SurrogateIB,
)

X = torch.randn(16, 6, generator=torch.Generator().manual_seed(0))
Y = torch.arange(16) % 3


def _noisy(seed=0, **kw):
    return NoisyBottleneckClassifier(6, 3, hidden=(8, 5), latent_dim=2, seed=seed, **kw)


def _gaussian(seed=0, **kw):
    return GaussianEncoderClassifier(6, 3, hidden=(8,), latent_dim=2, seed=seed, **kw)


def _categorical(seed=0, **kw):
    return CategoricalBottleneckClassifier(6, 3, n_categories=4, hidden=(8,), seed=seed, **kw)


FAMILIES = {"noisy": _noisy, "gaussian": _gaussian, "categorical": _categorical}


# --- forward outputs --------------------------------------------------------------------------


def test_forward_outputs_are_named_tuples_of_the_right_shapes():
    out = _noisy()(X)
    assert isinstance(out, BottleneckOutput) and out._fields == ("logits", "z")
    assert out.logits.shape == (16, 3) and out.z.shape == (16, 2)
    out = _noisy()(X, samples=4)
    assert out.logits.shape == (4, 16, 3) and out.z.shape == (4, 16, 2)
    out = _gaussian()(X)
    assert isinstance(out, GaussianEncoderOutput) and out._fields == ("logits", "z", "mean", "log_var")
    assert [t.shape for t in out] == [(16, 3), (16, 2), (16, 2), (16, 2)]
    assert _gaussian()(X, samples=5).z.shape == (5, 16, 2)
    out = _categorical()(X)
    assert isinstance(out, CategoricalOutput) and out._fields == ("log_probs", "p_z")
    assert out.log_probs.shape == (16, 3) and out.p_z.shape == (16, 4)


def test_forward_outputs_against_a_direct_computation():
    model = _noisy(noise_entropy=None)
    logits, z = model(X)
    torch.testing.assert_close(z, model.encoder(X))
    torch.testing.assert_close(logits, model.encoder(X) @ model.decoder.weight.T + model.decoder.bias)
    cat = _categorical()
    with torch.no_grad():
        nn.init.normal_(cat.decoder_logits)
    log_probs, p_z = cat(X)
    # log p(y|x) = log sum_z p(z|x) p(y|z), brute force over the categories
    enc = torch.softmax(cat.encoder(X), 1)
    dec = torch.softmax(cat.decoder_logits, 1)
    brute = torch.stack([torch.log(sum(enc[i, c] * dec[c] for c in range(4))) for i in range(16)])
    torch.testing.assert_close(log_probs, brute)
    torch.testing.assert_close(p_z, enc)


@pytest.mark.parametrize("family", FAMILIES)
def test_a_forward_pass_stores_nothing_on_the_model(family):
    model = FAMILIES[family]()
    before = {k: v for k, v in vars(model).items() if k != "_modules"}
    model(X)
    if hasattr(model, "latent"):
        model.latent(X)
    after = {k: v for k, v in vars(model).items() if k != "_modules"}
    assert after.keys() == before.keys()
    tensors = [k for k, v in after.items() if isinstance(v, torch.Tensor) and not isinstance(v, nn.Parameter)]
    assert not tensors
    for name in ("z", "mu", "log_var", "pz"):
        assert not hasattr(model, name), name


# --- the declared latent ---------------------------------------------------------------------


def test_zero_entropy_noise_latent_has_exactly_zero_encoding_entropy():
    model = _noisy().eval()
    latent = model.latent(X)
    assert isinstance(latent, GaussianLatent)
    assert latent.log_var.shape == (2,) and bool((latent.log_var == ZERO_ENTROPY_LOG_VAR).all())
    assert float(gaussian_entropy(latent.log_var)) == 0.0
    torch.testing.assert_close(latent.mean, model.encoder(X))


def test_noise_latent_matches_the_noise_it_draws():
    # the declared log-variance is the variance of z - mean (sample check, n = 40 000)
    x = X.repeat(2500, 1)
    model = _noisy(noise_entropy=0.7, generator=torch.Generator().manual_seed(1)).eval()
    latent = model.latent(x)
    var = (latent.z - latent.mean).double().var(0)
    torch.testing.assert_close(var.log().float(), latent.log_var, atol=0.03, rtol=0)
    assert float(gaussian_entropy(latent.log_var.double())) == pytest.approx(2 * 0.7, abs=1e-6)


def test_deterministic_latents_declare_no_noise():
    model = _noisy(noise_entropy=None)
    latent = model.latent(X)
    assert latent.log_var is None and torch.equal(latent.z, latent.mean)
    quiet = _noisy(noise_at_eval=False).eval()
    assert quiet.latent(X).log_var is None
    assert quiet.train().latent(X).log_var is not None
    enc = _gaussian(sample_at_eval=False).eval()
    latent = enc.latent(X)
    assert latent.log_var is None and torch.equal(latent.z, latent.mean)


def test_gaussian_encoder_latent_is_its_encoder():
    model = _gaussian(generator=torch.Generator().manual_seed(2)).eval()
    latent = model.latent(X)
    out = model.encoder(X)
    torch.testing.assert_close(latent.mean, out[:, :2])
    torch.testing.assert_close(latent.log_var, out[:, 2:].clamp(-12, 10))
    # z = mean + sigma eps with eps from the model's generator
    eps = torch.randn(16, 2, generator=torch.Generator().manual_seed(2))
    torch.testing.assert_close(latent.z, latent.mean + (0.5 * latent.log_var).exp() * eps)


@pytest.mark.parametrize("family", ["noisy", "gaussian"])
def test_decode_of_the_latent_is_the_forward_prediction(family):
    a = FAMILIES[family](generator=torch.Generator().manual_seed(3))
    b = FAMILIES[family](generator=torch.Generator().manual_seed(3))
    latent = a.latent(X)
    torch.testing.assert_close(a.decode(latent.z), b(X).logits)


# --- seeds ----------------------------------------------------------------------------------


@pytest.mark.parametrize("family", FAMILIES)
def test_same_seed_same_weights_and_the_global_rng_is_untouched(family):
    make = FAMILIES[family]
    state = torch.get_rng_state()
    a, b, c = make(seed=5), make(seed=5), make(seed=6)
    assert torch.equal(torch.get_rng_state(), state)
    sa, sb, sc = a.state_dict(), b.state_dict(), c.state_dict()
    assert all(torch.equal(sa[k], sb[k]) for k in sa)
    assert any(not torch.equal(sa[k], sc[k]) for k in sa if sa[k].abs().sum() > 0)
    torch.manual_seed(5)
    legacy = make(seed=None)   # seed=None draws from the global RNG, as before seeds existed
    assert all(torch.equal(sa[k], legacy.state_dict()[k]) for k in sa)


def test_mixture_marginal_is_a_learnable_gaussian_mixture_drawn_under_the_seed():
    model = _gaussian(seed=3, marginal="mixture", n_components=5, backward_encoder=True)
    marginal = model.marginal
    assert isinstance(marginal, GaussianMixture)
    assert {n for n, _ in marginal.named_parameters()} == {"means", "log_vars", "log_weights_raw"}
    with torch.random.fork_rng():   # replay the draws: encoder, decoder, mixture means, class means
        torch.manual_seed(3)
        mlp([6, 8, 4]), nn.Linear(2, 3)
        means = torch.randn(5, 2) * 0.5
        backward = torch.randn(3, 2)
    torch.testing.assert_close(marginal.means.detach(), means, rtol=0, atol=0)
    torch.testing.assert_close(model.backward_means.detach(), backward, rtol=0, atol=0)
    assert torch.equal(marginal.log_vars, torch.zeros(5, 2))
    assert torch.equal(marginal.log_weights_raw, torch.zeros(5))


# --- gradients, pickling, devices -------------------------------------------------------------


def _loss(family, model, device="cpu"):
    batch = (X.to(device), Y.to(device))
    if family == "noisy":
        return SurrogateIB(0.1)(model, batch)[0]
    if family == "gaussian":
        return VIB(0.1)(model, batch)[0] + CEB(0.5)(model, batch)[0]
    return CategoricalObjective("decoder_ce")(model, batch)[0]


def _full(family):
    if family == "gaussian":
        return _gaussian(marginal="mixture", n_components=3, backward_encoder=True)
    return FAMILIES[family]()


@pytest.mark.parametrize("family", FAMILIES)
def test_every_parameter_receives_a_gradient(family):
    model = _full(family)
    _loss(family, model).backward()
    for name, p in model.named_parameters():
        assert p.grad is not None, name
        assert torch.isfinite(p.grad).all(), name
        assert p.grad.abs().sum() > 0, name


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("how", ["pickle", "deepcopy"])
def test_models_round_trip_to_the_same_outputs(family, how):
    model = _full(family)
    copied = pickle.loads(pickle.dumps(model)) if how == "pickle" else copy.deepcopy(model)
    torch.manual_seed(0)
    expected = model(X)
    torch.manual_seed(0)
    got = copied(X)
    for a, b in zip(expected, got, strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)
    gen_model = FAMILIES[family](**({} if family == "categorical" else
                                    {"generator": torch.Generator().manual_seed(4)}))
    twin = pickle.loads(pickle.dumps(gen_model))   # the generator's state travels with it
    for a, b in zip(gen_model(X), twin(X), strict=True):
        torch.testing.assert_close(a, b, rtol=0, atol=0)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("family", FAMILIES)
def test_cuda_and_cpu_agree(family):
    kw = {} if family == "categorical" else {"generator": torch.Generator().manual_seed(9)}
    cpu = FAMILIES[family](**kw)
    gpu = copy.deepcopy(cpu).cuda()
    for a, b in zip(cpu(X), gpu(X.cuda()), strict=True):
        torch.testing.assert_close(a, b.cpu(), atol=1e-5, rtol=1e-5)
    loss_cpu, loss_gpu = _loss(family, cpu), _loss(family, gpu, "cuda")
    assert float(loss_cpu) == pytest.approx(float(loss_gpu), abs=1e-4)


# --- arguments --------------------------------------------------------------------------------


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match=r"^hidden:"):
        NoisyBottleneckClassifier(6, 3, hidden=128)
    with pytest.raises(ValueError, match=r"^hidden:"):
        GaussianEncoderClassifier(6, 3, hidden=(8, 0))
    with pytest.raises(ValueError, match=r"^hidden:"):
        CategoricalBottleneckClassifier(6, 3, hidden=16)
    with pytest.raises(ValueError, match=r"^n_classes:"):
        NoisyBottleneckClassifier(6, 1)
    with pytest.raises(ValueError, match=r"^n_categories:"):
        CategoricalBottleneckClassifier(6, 3, n_categories=0)
    with pytest.raises(ValueError, match=r"^marginal:"):
        GaussianEncoderClassifier(6, 3, marginal="vamp")
    with pytest.raises(ValueError, match=r"^seed:"):
        NoisyBottleneckClassifier(6, 3, seed=-1)
    with pytest.raises(ValueError, match=r"^samples:"):
        _noisy()(X, samples=0)
    with pytest.raises(ValueError, match=r"^model:"):
        _gaussian().backward_encoding(Y)


def test_importing_the_bottleneck_does_not_load_the_trainer_or_the_recorder():
    code = ("import sys, infoplane.bottleneck; "
            "print(sorted(m for m in sys.modules if m in ('infoplane.train', 'infoplane.plane')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120,
                          check=True)
    assert done.stdout.strip() == "[]"


# --- issue 12: bad inputs are a ValueError naming the argument ------------------------------


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("bad", [torch.zeros(4, 5), torch.zeros(4, 7), torch.zeros(6)])
def test_a_wrong_feature_count_names_x(family, bad):
    model = FAMILIES[family]()
    with pytest.raises(ValueError, match=r"^x: expected shape \(batch, 6\)"):
        model(bad)
    if family != "categorical":
        with pytest.raises(ValueError, match=r"^x: expected shape"):
            model.latent(bad)


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("dtype", [torch.float64, torch.int64, torch.float16])
def test_an_input_in_another_dtype_than_the_weights_names_x(family, dtype):
    model = FAMILIES[family]()
    with pytest.raises(ValueError, match=r"^x: has dtype"):
        model(X.to(dtype))
    # the documented way: convert the model, and float64 works, agreeing with float32
    out64 = copy.deepcopy(model).double().eval()
    if family == "gaussian":
        out64.sample_at_eval = False
        model.sample_at_eval = False
    if family == "noisy":
        out64.noise = nn.Identity()
        model.noise = nn.Identity()
    expected = model.eval()(X)[0].double()
    assert torch.allclose(out64(X.double())[0], expected, atol=1e-5)


def test_a_nan_input_passes_through_a_plain_forward():
    x = X.clone()
    x[0, 0] = float("nan")
    for family, make in FAMILIES.items():
        out = make()(x)[0]
        assert bool(torch.isnan(out[0]).any()), family
        assert bool(torch.isfinite(out[1:]).all()), family


@pytest.mark.parametrize("value", [float("nan"), float("inf"), 10.0, 11.0, "a"])
def test_min_log_var_must_be_a_finite_number_below_the_upper_clamp(value):
    with pytest.raises(ValueError, match=r"^min_log_var:"):
        GaussianEncoderClassifier(6, 3, min_log_var=value)


@pytest.mark.parametrize("samples", [0, -1, 1.5, True])
def test_samples_of_a_gaussian_encoder_must_be_a_positive_int(samples):
    model = _gaussian()
    with pytest.raises(ValueError, match=r"^samples:"):
        model(X, samples=samples)
    with pytest.raises(ValueError, match=r"^samples:"):
        model.encode(X, samples=samples)


@pytest.mark.parametrize("family", FAMILIES)
def test_an_activation_that_is_not_a_name_names_activation(family):
    with pytest.raises(ValueError, match=r"^activation:"):
        FAMILIES[family](activation=["relu"])
