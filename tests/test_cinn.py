"""The conditional INN: exactness, joint training, and recovered conditional densities."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from flow_helpers import assert_every_parameter_gets_a_gradient, assert_round_trips, perturb
from torch.utils.data import DataLoader, TensorDataset

from infoplane.data import load_digits
from infoplane.inn import CINN, conditional_nll_loss
from infoplane.metrics import bits_per_dim, diagonal_gaussian_nll
from infoplane.train import fit


@pytest.fixture
def one_thread():
    """Small models train fastest on one thread, and the CI machine is shared."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)



MODELS = {
    "labels": (lambda: CINN(3, n_classes=4, n_blocks=3, hidden=(16, 16), n_features=5, dtype=torch.float64),
               lambda n, g: torch.randint(0, 4, (n,), generator=g)),
    "vector-condition": (lambda: CINN(3, cond_dims=2, n_blocks=3, hidden=(16, 16), dtype=torch.float64),
                         lambda n, g: torch.randn(n, 2, generator=g, dtype=torch.float64)),
    "image": (lambda: CINN((1, 4, 4), n_classes=3, n_blocks=2, conv_blocks=1, hidden=(16, 16),
                           dtype=torch.float64),
              lambda n, g: torch.randint(0, 3, (n,), generator=g)),
}


def make(name, seed=0, n=5):
    factory, conditions = MODELS[name]
    torch.manual_seed(seed)
    model = factory()
    gen = torch.Generator().manual_seed(seed + 1)
    x = torch.randn((n, *model.dims), generator=gen, dtype=torch.float64)
    y = conditions(n, gen)
    model(x * 2 + 1, y)  # ActNorm initialisation
    return perturb(model, seed, scale=0.1), x, y


@pytest.mark.parametrize("name", list(MODELS))
def test_inverse_and_log_det(name):
    model, x, y = make(name)
    z, log_det = model(x, y)
    x_back, log_det_rev = model(z, y, rev=True)
    assert float((x_back - x).abs().max().detach() / x.abs().max()) < 1e-6
    torch.testing.assert_close(log_det_rev, -log_det)
    for i in range(x.shape[0]):
        def f(xi, i=i):
            return model(xi.reshape(1, *model.dims), y[i:i + 1])[0].reshape(-1)

        jac = torch.autograd.functional.jacobian(f, x[i].reshape(-1))
        assert float(torch.linalg.slogdet(jac)[1]) == pytest.approx(float(log_det[i].detach()), abs=1e-8)


@pytest.mark.parametrize("name", list(MODELS))
def test_state_dict_train_eval_and_float32(name, tmp_path):
    model, x, y = make(name)
    z_train = model.train()(x, y)[0]
    z_eval = model.eval()(x, y)[0]
    assert torch.equal(z_train, z_eval)  # dequantisation lives in the loss, not in forward
    torch.save(model.state_dict(), tmp_path / "cinn.pt")
    other, _, _ = make(name, seed=4)
    other.load_state_dict(torch.load(tmp_path / "cinn.pt"))
    assert torch.equal(other(x, y)[0], z_eval)
    model32 = model.float()
    x32 = x.float()
    z32 = model32(x32, y)[0]
    assert float((model32(z32, y, rev=True)[0] - x32).detach().abs().max() / x32.abs().max()) < 1e-4


def test_condition_matters_and_sample_is_reproducible():
    model, x, y = make("labels")
    gen = lambda: torch.Generator().manual_seed(3)  # noqa: E731
    a = model.sample(torch.tensor([0, 1, 2]), generator=gen())
    b = model.sample(torch.tensor([0, 1, 2]), generator=gen())
    c = model.sample(torch.tensor([3, 3, 3]), generator=gen())
    assert torch.equal(a, b) and not torch.allclose(a, c)
    assert not a.requires_grad
    z = torch.randn(3, 3, generator=gen(), dtype=torch.float64) * 0.5
    torch.testing.assert_close(model.sample(torch.tensor([0, 1, 2]), temperature=0.5, generator=gen()),
                               model.decode(z, torch.tensor([0, 1, 2])))
    # style transfer round trip: encode with the true label, decode with the same label
    torch.testing.assert_close(model.decode(model.encode(x, y), y), x)


def test_deep_cinn_has_no_nan_at_initialisation(one_thread):
    torch.manual_seed(0)
    model = CINN(64, n_classes=10, n_blocks=40, hidden=(32, 32))
    d = load_digits()
    loss, terms = conditional_nll_loss(model, (d.x_train[:128], d.y_train[:128]))
    loss.backward()
    assert math.isfinite(float(loss.detach())) and math.isfinite(float(terms["bits_per_dim"]))
    for name, p in model.named_parameters():   # zero-initialised last layers block some: zeros, not None
        assert p.grad is not None, name
        assert bool(torch.isfinite(p.grad).all()), name


def test_dequantisation_noise_is_seeded_and_leaves_input_alone():
    x = torch.zeros(1000, 4)
    model = CINN(4, n_classes=2, noise=0.1, noise_kind="uniform", seed=3)
    a = model.dequantize(x)
    assert torch.equal(x, torch.zeros(1000, 4))
    assert float(a.abs().max()) <= 0.05 and float(a.std()) == pytest.approx(0.1 / math.sqrt(12), rel=0.05)
    b = CINN(4, n_classes=2, noise=0.1, noise_kind="uniform", seed=3).dequantize(x)
    assert torch.equal(a, b)
    g = CINN(4, n_classes=2, noise=0.02).dequantize(x)
    assert float(g.std()) == pytest.approx(0.02, rel=0.05)


def test_loss_is_the_brute_force_conditional_nll():
    # log q(x | y) = log N(f(x; y); 0, I) + log|det df/dx|, with the Jacobian from autograd
    model, x, y = make("labels")
    loss, terms = conditional_nll_loss(model.eval(), (x, y))
    log_q = []
    for i in range(x.shape[0]):
        def f(xi, i=i):
            return model(xi[None], y[i:i + 1])[0][0]

        jac = torch.autograd.functional.jacobian(f, x[i])
        z = f(x[i]).detach()
        log_q.append(torch.distributions.Normal(0.0, 1.0).log_prob(z).sum() + torch.linalg.slogdet(jac)[1])
    nll = -float(torch.stack(log_q).mean())
    assert float(terms["nll"]) == pytest.approx(nll, rel=1e-10)
    assert float(loss.detach()) == pytest.approx(nll / 3, rel=1e-10)                   # nats per dimension
    assert float(terms["bits_per_dim"]) == pytest.approx(nll / (3 * math.log(2)), rel=1e-10)
    assert model.bits_per_dim(x, y) == pytest.approx(nll / (3 * math.log(2)), rel=1e-10)
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in terms.values())


def test_training_mode_dequantises_and_eval_mode_does_not():
    model = CINN(3, n_classes=2, n_blocks=1, hidden=(8, 8), noise=0.5, seed=0).double()
    x, y = torch.randn(6, 3, dtype=torch.float64), torch.tensor([0, 1, 0, 1, 1, 0])
    clean = -model.log_prob(x, y).mean()
    assert float(conditional_nll_loss(model.eval(), (x, y))[1]["nll"]) == float(clean)
    noisy_x = CINN(3, n_classes=2, n_blocks=1, hidden=(8, 8), noise=0.5, seed=0).double().dequantize(x)
    _, terms = conditional_nll_loss(model.train(), (x, y))
    assert float(terms["nll"]) == pytest.approx(-float(model.log_prob(noisy_x, y).mean()), rel=1e-12)
    assert float(terms["nll"]) != pytest.approx(float(clean))


@pytest.mark.parametrize("name", list(MODELS))
def test_every_parameter_gets_a_gradient(name):
    model, x, y = make(name)
    loss, _ = conditional_nll_loss(model.eval(), (x, y))
    assert_every_parameter_gets_a_gradient(model, loss)


@pytest.mark.parametrize("name", list(MODELS))
def test_pickle_and_deepcopy_round_trip(name):
    model, x, y = make(name)
    model.noise = 0.1   # the dequantisation generator travels with the model
    assert_round_trips(model, lambda m: (m(x, y), m.sample(y, generator=torch.Generator().manual_seed(0)),
                                         m.dequantize(x), m.dequantize(x)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", list(MODELS))
def test_cuda_agrees_with_cpu(name):
    model, x, y = make(name)
    gpu = copy.deepcopy(model).cuda()
    z, log_det = model(x, y)
    z_gpu, log_det_gpu = gpu(x.cuda(), y.cuda())
    torch.testing.assert_close(z_gpu.cpu(), z, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(log_det_gpu.cpu(), log_det, rtol=1e-9, atol=1e-9)
    loss, _ = conditional_nll_loss(model.eval(), (x, y))
    loss_gpu, _ = conditional_nll_loss(gpu.eval(), (x.cuda(), y.cuda()))
    assert float(loss_gpu) == pytest.approx(float(loss), rel=1e-9)
    model.noise = gpu.noise = 0.1   # training mode dequantises: the CPU noise generator, copied
    loss, _ = conditional_nll_loss(model.train(), (x, y))
    loss_gpu, _ = conditional_nll_loss(gpu.train(), (x.cuda(), y.cuda()))
    assert float(loss_gpu) == pytest.approx(float(loss), rel=1e-9)


def test_seed_gives_the_same_weights_and_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    a = CINN(3, n_classes=2, n_blocks=2, hidden=(8, 8), seed=4).state_dict()
    b = CINN(3, n_classes=2, n_blocks=2, hidden=(8, 8), seed=4).state_dict()
    c = CINN(3, n_classes=2, n_blocks=2, hidden=(8, 8), seed=5).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)
    # seed=None draws the weights from the global RNG, as before
    torch.manual_seed(7)
    d = CINN(3, n_classes=2, n_blocks=2, hidden=(8, 8)).state_dict()
    torch.manual_seed(7)
    e = CINN(3, n_classes=2, n_blocks=2, hidden=(8, 8)).state_dict()
    assert all(torch.equal(d[k], e[k]) for k in d)
    assert not torch.equal(torch.get_rng_state(), before)


def _three_class_mixture(n: int, gen: torch.Generator):
    """Class k: equal mixture of N(±2 u_k, 0.4^2 I), u_k at angle 2 pi k / 3 (bimodal per class)."""
    y = torch.randint(0, 3, (n,), generator=gen)
    sign = (torch.randint(0, 2, (n, 1), generator=gen) * 2 - 1).float()
    return 2.0 * sign * _direction(y) + 0.4 * torch.randn(n, 2, generator=gen), y


def _direction(y):
    theta = 2 * math.pi * y.float() / 3
    return torch.stack([torch.cos(theta), torch.sin(theta)], 1)


def _true_log_prob(x, y):
    comps = [torch.distributions.Normal(s * 2.0 * _direction(y), 0.4).log_prob(x).sum(1) for s in (1, -1)]
    return torch.logsumexp(torch.stack(comps, 1), 1) - math.log(2)


def test_cinn_recovers_a_known_conditional_density(one_thread):
    gen = torch.Generator().manual_seed(0)
    x_train, y_train = _three_class_mixture(4000, gen)
    x_test, y_test = _three_class_mixture(4000, gen)
    torch.manual_seed(0)
    model = CINN(2, n_classes=3, n_blocks=6, hidden=(64, 64), n_features=16)
    loader = DataLoader(TensorDataset(x_train, y_train), batch_size=200, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    history = fit(model, conditional_nll_loss, loader, torch.optim.Adam(model.parameters(), 2e-3),
                  epochs=30, device="cpu", clip_grad_norm=5.0, progress=False)
    assert history[-1]["train/nll"] < history[0]["train/nll"]
    model.eval()
    with torch.no_grad():
        log_ratio = _true_log_prob(x_test, y_test) - model.log_prob(x_test, y_test)
    # held-out NLL - true conditional NLL estimates E_y KL(p(x|y) || q(x|y)) >= 0 (eq. 3.7)
    kl, se = float(log_ratio.mean()), float(log_ratio.std()) / math.sqrt(len(log_ratio))
    # the best class-conditional Gaussian (fitted by ML) cannot model the two modes of a class
    gauss_kl = 0.0
    for k in range(3):
        xk, tk = x_train[y_train == k], x_test[y_test == k]
        q = torch.distributions.MultivariateNormal(xk.mean(0), torch.cov(xk.T))
        gauss_kl += float((_true_log_prob(tk, torch.full((len(tk),), k)) - q.log_prob(tk)).sum())
    gauss_kl /= len(x_test)
    assert gauss_kl > 0.5
    # the cINN closes most of that gap: its KL is within 0.15 nats (1/6 of the Gaussian's; the
    # Monte-Carlo error of the estimate is about 0.01 nats), and it cannot beat the truth
    assert kl < 0.15
    assert kl > -3 * se


def test_cinn_on_digits_beats_the_diagonal_gaussian(one_thread):
    d = load_digits()
    width = 1 / 16  # the digits take the 17 values k / 16
    gen = torch.Generator().manual_seed(5)
    dequant = lambda x: x + width * (torch.rand(x.shape, generator=gen) - 0.5)  # noqa: E731
    x_test = dequant(d.x_test)
    torch.manual_seed(0)
    model = CINN(64, n_classes=10, n_blocks=6, hidden=(128, 128), n_features=16, noise=width,
                 noise_kind="uniform")
    loader = DataLoader(TensorDataset(d.x_train, d.y_train), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(1))
    fit(model, conditional_nll_loss, loader, torch.optim.Adam(model.parameters(), 1e-3), epochs=15,
        device="cpu", clip_grad_norm=10.0, progress=False)
    model.eval()
    with torch.no_grad():
        test_nll = -float(model.log_prob(x_test, d.y_test).mean())
        per_class = torch.stack([model.log_prob(x_test, torch.full((len(x_test),), k)) for k in range(10)], 1)
    baseline = diagonal_gaussian_nll(dequant(d.x_train), x_test)
    class_baseline = sum(diagonal_gaussian_nll(dequant(d.x_train[d.y_train == k]), x_test[d.y_test == k])
                         * int((d.y_test == k).sum()) for k in range(10)) / len(x_test)
    assert test_nll < class_baseline < baseline
    assert model.bits_per_dim(x_test, d.y_test, bin_width=width) < bits_per_dim(baseline, 64, bin_width=width)
    # the condition is used: Bayes' rule with the class likelihoods classifies well above chance (10 %)
    assert float((per_class.argmax(1) == d.y_test).float().mean()) > 0.7


def test_custom_conditioning_networks():
    # phi on the one-hot labels (here: none at all), and phi on a raw image condition
    model = CINN(3, n_classes=4, cond_net=torch.nn.Identity(), n_features=4, n_blocks=1, hidden=(8, 8))
    labels = torch.tensor([0, 3])
    torch.testing.assert_close(model.features(labels), torch.nn.functional.one_hot(labels, 4).float())
    phi = torch.nn.Sequential(torch.nn.Flatten(), torch.nn.Linear(2 * 5 * 5, 6))
    model = CINN(3, n_classes=None, cond_net=phi, n_features=6, n_blocks=2, hidden=(8, 8))
    x, y = torch.randn(4, 3), torch.randn(4, 2, 5, 5)
    z, _ = model(x, y)
    torch.testing.assert_close(model(z, y, rev=True)[0], x, atol=1e-5, rtol=1e-5)
    with pytest.raises(ValueError, match=r"^cond_net:"):
        CINN(3, n_classes=None)


def test_hidden_widths_shape_the_subnetworks():
    model = CINN(3, n_classes=2, n_blocks=1, hidden=(8, 6, 4), cond_hidden=(5, 7), n_features=3)
    cond = [(m.in_features, m.out_features) for m in model.cond_net if isinstance(m, torch.nn.Linear)]
    assert cond == [(2, 5), (5, 7), (7, 3)]
    coupling = model.inn.blocks[1]   # after ActNorm
    sub = [(m.in_features, m.out_features) for m in coupling.subnet1 if isinstance(m, torch.nn.Linear)]
    assert sub == [(2 + 3, 8), (8, 6), (6, 4), (4, 2)]   # x2 and phi(y) in, (s, t) of x1 out


def test_bad_inputs():
    model = CINN(3, n_classes=2, n_blocks=1, hidden=(8, 8))
    with pytest.raises(ValueError, match=r"^y:"):
        model(torch.zeros(2, 3), torch.tensor([0, 2]))
    with pytest.raises(ValueError, match=r"^y:"):
        model(torch.zeros(2, 3), torch.tensor([0.5, 1.0]))
    with pytest.raises(ValueError, match=r"^y:"):
        model(torch.zeros(2, 3), torch.tensor([0, 1, 1]))
    with pytest.raises(ValueError, match=r"^noise_kind:"):
        CINN(3, noise_kind="salt")
    with pytest.raises(ValueError, match=r"^batch:"):
        conditional_nll_loss(model, torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"^y:"):
        CINN(3, cond_dims=2, n_blocks=1)(torch.zeros(2, 3), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"^hidden:"):
        CINN(3, n_classes=2, hidden=16)
    with pytest.raises(ValueError, match=r"^cond_hidden:"):
        CINN(3, n_classes=2, cond_hidden=())
    with pytest.raises(ValueError, match=r"^seed:"):
        CINN(3, n_classes=2, seed=-1)


# --- issue 12: a NaN batch cannot poison a CINN; dtypes; empty batches ---------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_a_non_finite_batch_is_refused_and_does_not_poison_the_model(bad):
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(8, 3, generator=gen), torch.tensor([0, 1] * 4)
    poisoned = x.clone()
    poisoned[2, 1] = bad
    model = CINN(3, n_classes=2, n_blocks=2, hidden=(8, 8), seed=0)
    reference = copy.deepcopy(model)
    with pytest.raises(ValueError, match=r"^batch: contains NaN or infinite values"):
        conditional_nll_loss(model, (poisoned, y))
    with pytest.raises(ValueError, match=r"^x: ActNorm's data-dependent initialisation"):
        model(poisoned, y)                     # a plain forward on a fresh model: ActNorm refuses it
    loss, terms = conditional_nll_loss(model, (x, y))
    expected, _ = conditional_nll_loss(reference, (x, y))
    assert math.isfinite(float(loss.detach())) and float(loss.detach()) == float(expected.detach())
    z, _ = model(x, y)
    assert bool(torch.isfinite(z).all())


def test_cinn_input_dtypes_and_empty_batches_name_the_argument():
    model = CINN(3, n_classes=2, n_blocks=1, hidden=(8,), seed=0)
    y = torch.tensor([0, 1])
    with pytest.raises(ValueError, match=r"^x: has dtype torch.float64"):
        model(torch.zeros(2, 3, dtype=torch.float64), y)
    with pytest.raises(ValueError, match=r"^x: expected a floating-point tensor"):
        model(torch.zeros(2, 3, dtype=torch.int64), y)
    with pytest.raises(ValueError, match=r"^x: expected shape \(batch, 3\)"):
        model(torch.zeros(2, 4), y)
    assert not bool(model.inn.blocks[0].initialized)       # no failed call initialised ActNorm
    with pytest.raises(ValueError, match=r"^batch: expected a non-empty batch"):
        conditional_nll_loss(model, (torch.zeros(0, 3), torch.zeros(0, dtype=torch.long)))
    # the loss casts x to the model's dtype (documented): float64 data trains a float32 model
    loss64, _ = conditional_nll_loss(model, (torch.ones(2, 3, dtype=torch.float64), y))
    loss32, _ = conditional_nll_loss(model, (torch.ones(2, 3), y))
    assert float(loss64.detach()) == float(loss32.detach())


def test_one_feature_and_huge_seeds_name_the_argument():
    with pytest.raises(ValueError, match=r"^dims: a cINN's coupling blocks need at least 2 features"):
        CINN(1, n_classes=2, n_blocks=1, hidden=(8,))
    with pytest.raises(ValueError, match=r"^seed:"):
        CINN(2, n_classes=2, n_blocks=1, hidden=(8,), seed=2**64)
