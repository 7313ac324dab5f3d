"""SequenceINN: inverse, log-det, normalised densities, sampling, conditions, multi-scale."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from flow_helpers import assert_every_parameter_gets_a_gradient, assert_round_trips, perturb
from hypothesis import given, settings
from hypothesis import strategies as st

from infoplane._gaussian import GaussianMixture
from infoplane.inn import (
    ActNorm,
    AffineCoupling,
    ConditionalAffineCoupling,
    Flatten,
    HaarDownsampling,
    Permutation,
    RandomOrthogonal,
    SequenceINN,
    Split,
    conv_subnet,
    mlp_subnet,
)


def vector_inn():
    inn = SequenceINN(4).append(ActNorm)
    for k in range(3):
        inn.append(AffineCoupling, subnet_constructor=mlp_subnet((16, 16))).append(RandomOrthogonal, seed=k)
    return inn.append(Permutation, seed=9), None


def conditional_vector_inn():
    inn = SequenceINN((3,))
    for k in range(3):
        inn.append(ConditionalAffineCoupling, cond_dims=(2,), subnet_constructor=mlp_subnet((16, 16)))
        inn.append(RandomOrthogonal, seed=k)
    return inn, (2,)


def multiscale_image_inn():
    inn = SequenceINN((1, 4, 4)).append(HaarDownsampling)            # (4, 2, 2)
    inn.append(AffineCoupling, subnet_constructor=conv_subnet((8, 8))).append(RandomOrthogonal, seed=1)
    inn.append(Split, keep=2)                                          # (2, 2, 2) continues
    inn.append(AffineCoupling, subnet_constructor=conv_subnet((8, 8))).append(ActNorm)
    inn.append(Flatten).append(AffineCoupling, subnet_constructor=mlp_subnet((16, 16)))
    return inn, None


def conditional_image_inn():
    # a list of conditions: a vector for the first block, an image for the second
    inn = SequenceINN((2, 4, 4))
    inn.append(ConditionalAffineCoupling, cond=0, cond_dims=(3,), subnet_constructor=conv_subnet((8, 8)))
    inn.append(HaarDownsampling)
    inn.append(ConditionalAffineCoupling, cond=1, cond_dims=(1, 2, 2), subnet_constructor=conv_subnet((8, 8)))
    return inn, [(3,), (1, 2, 2)]


def mixture_latent_inn():
    # a learnable two-component latent density (means and log-variances trained)
    means = torch.tensor([[-1.0, 0.5, 0.0, 1.0], [1.0, -0.5, 0.5, 0.0]])
    latent = GaussianMixture(means, log_vars=torch.full((2, 4), -0.5), learn_log_vars=True,
                             learn_weights=True)
    inn = SequenceINN(4, latent=latent)
    for k in range(2):
        inn.append(AffineCoupling, subnet_constructor=mlp_subnet((16, 16))).append(RandomOrthogonal, seed=k)
    return inn, None


FLOWS = {"vector": vector_inn, "conditional-vector": conditional_vector_inn,
         "multiscale-image": multiscale_image_inn, "conditional-image": conditional_image_inn,
         "mixture-latent": mixture_latent_inn}


def make(name, dtype=torch.float64, seed=0, batch=6):
    torch.manual_seed(seed)
    inn, cond_dims = FLOWS[name]()
    inn = inn.to(dtype)
    gen = torch.Generator().manual_seed(seed + 100)
    x = torch.randn((batch, *inn.dims_in), generator=gen, dtype=dtype)
    if cond_dims is None:
        c = None
    elif isinstance(cond_dims, list):
        c = [torch.randn((batch, *d), generator=gen, dtype=dtype) for d in cond_dims]
    else:
        c = torch.randn((batch, *cond_dims), generator=gen, dtype=dtype)
    inn(x * 1.5 + 0.5, c)  # ActNorm data-dependent initialisation
    perturb(inn, seed, scale=0.15)  # a generic, well-conditioned non-identity map
    return inn, x, c


def rel_err(a, b) -> float:
    return float(((a - b).abs().max() / b.abs().max()).detach())


@pytest.mark.parametrize("name", list(FLOWS))
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-6), (torch.float32, 1e-4)])
def test_inverse_recovers_input(name, dtype, tol):
    inn, x, c = make(name, dtype)
    z, _ = inn(x, c)
    assert tuple(z.shape[1:]) == inn.dims_latent
    x_back, _ = inn(z, c, rev=True)
    assert rel_err(x_back, x) < tol
    x_nograd, _ = inn.inverse(z, c, grad=False)
    assert not x_nograd.requires_grad
    assert rel_err(x_nograd, x) < tol


@pytest.mark.parametrize("name", list(FLOWS))
def test_log_det_matches_autograd_jacobian_and_reverses(name):
    inn, x, c = make(name, batch=2)
    z, log_det = inn(x, c)
    _, log_det_rev = inn(z, c, rev=True)
    torch.testing.assert_close(log_det_rev, -log_det, rtol=0, atol=1e-10)
    for i in range(x.shape[0]):
        ci = None if c is None else ([t[i:i + 1] for t in c] if isinstance(c, list) else c[i:i + 1])

        def f(xi, i=i, ci=ci):
            return inn(xi.reshape(1, *inn.dims_in), ci)[0].reshape(-1)

        jac = torch.autograd.functional.jacobian(f, x[i].reshape(-1))
        assert float(torch.linalg.slogdet(jac)[1]) == pytest.approx(float(log_det[i].detach()), abs=1e-8)


@pytest.mark.parametrize("name", list(FLOWS))
def test_state_dict_train_eval_and_inputs(name, tmp_path):
    inn, x, c = make(name)
    x0 = x.clone()
    z, ld = inn.train()(x, c)
    z_eval, ld_eval = inn.eval()(x, c)
    assert torch.equal(z, z_eval) and torch.equal(ld, ld_eval)
    assert torch.equal(x, x0)
    torch.save(inn.state_dict(), tmp_path / "inn.pt")
    other, _, _ = make(name, seed=3)
    other.load_state_dict(torch.load(tmp_path / "inn.pt"))
    assert torch.equal(other(x, c)[0], z)


def test_log_prob_with_a_given_latent_integrates_to_one():
    inn = perturb(SequenceINN(1).append(ActNorm).double(), scale=0.5)
    inn.blocks[0].initialized.fill_(True)
    latent = torch.distributions.StudentT(torch.tensor(3.0, dtype=torch.float64))
    h = 0.01
    grid = torch.arange(-400, 400, h, dtype=torch.float64)[:, None]
    with torch.no_grad():
        density = torch.exp(inn.log_prob(grid, latent=latent))
    assert float(density.sum() * h) == pytest.approx(1.0, abs=2e-3)
    # and it really is a t density, not the normal default
    with torch.no_grad():
        assert not torch.allclose(inn.log_prob(grid[:5]), inn.log_prob(grid[:5], latent=latent))


def test_log_prob_of_an_affine_flow_is_the_gaussian_density():
    # ActNorm alone: x = (z - b) / s, so x ~ N(-b/s, 1/s^2) per feature (closed form)
    inn = SequenceINN(3).append(ActNorm).double()
    block = inn.blocks[0]
    with torch.no_grad():
        block.log_scale.copy_(torch.tensor([[0.5, -1.0, 0.2]]))
        block.bias.copy_(torch.tensor([[1.0, 2.0, -0.5]]))
        block.initialized.fill_(True)
    s = torch.exp(block.log_scale.detach()[0])
    mean, std = -block.bias.detach()[0] / s, 1 / s
    x = torch.randn(10, 3, dtype=torch.float64)
    expected = torch.distributions.Normal(mean, std).log_prob(x).sum(1)
    torch.testing.assert_close(inn.log_prob(x).detach(), expected)


def test_sample_uses_generator_and_temperature():
    inn = SequenceINN(3).append(AffineCoupling)  # identity at initialisation
    a = inn.sample(100, temperature=0.5, generator=torch.Generator().manual_seed(4))
    b = inn.sample(100, temperature=0.5, generator=torch.Generator().manual_seed(4))
    z = torch.randn(100, 3, generator=torch.Generator().manual_seed(4))
    assert torch.equal(a, b)
    torch.testing.assert_close(a, 0.5 * z)
    assert not a.requires_grad


def test_sample_multiscale_and_conditional_shapes():
    inn, _, _ = make("multiscale-image", torch.float32)
    x = inn.sample(5, generator=torch.Generator().manual_seed(0))
    assert tuple(x.shape) == (5, 1, 4, 4) and bool(torch.isfinite(x).all())
    inn, _, c = make("conditional-vector", torch.float32, batch=5)
    x1 = inn.sample(5, c=c, generator=torch.Generator().manual_seed(0))
    x2 = inn.sample(5, c=c + 2, generator=torch.Generator().manual_seed(0))
    assert tuple(x1.shape) == (5, 3) and not torch.allclose(x1, x2)


def test_split_puts_early_parts_first_in_the_latent():
    inn = SequenceINN((4, 2, 2)).append(Split, keep=1)
    x = torch.randn(3, 4, 2, 2)
    z, _ = inn(x)
    assert inn.dims_latent == (16,)
    torch.testing.assert_close(z[:, :12], x[:, 1:].reshape(3, -1))
    torch.testing.assert_close(z[:, 12:], x[:, :1].reshape(3, -1))


@settings(max_examples=3)
@given(n_blocks=st.sampled_from([32, 48]), seed=st.integers(0, 100))
def test_deep_network_is_finite_at_initialisation(n_blocks, seed):
    inn = SequenceINN(8)
    for k in range(n_blocks):
        inn.append(ConditionalAffineCoupling, cond_dims=(2,), subnet_constructor=mlp_subnet((16, 16)))
        inn.append(RandomOrthogonal, seed=seed + k).append(ActNorm)
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(32, 8, generator=gen) * 5
    c = torch.randn(32, 2, generator=gen)
    log_p = inn.log_prob(x, c)
    assert bool(torch.isfinite(log_p).all())
    log_p.mean().backward()
    for name, p in inn.named_parameters():   # the zero-initialised last layers block some: zeros, not None
        assert p.grad is not None, name
        assert bool(torch.isfinite(p.grad).all()), name


def test_default_latent_log_prob_matches_torch():
    z = torch.randn(5, 6, dtype=torch.float64)
    expected = torch.distributions.Normal(0.0, 1.0).log_prob(z).sum(1)
    torch.testing.assert_close(SequenceINN(6).latent_log_prob(z), expected)
    # an image latent is summed over all its axes
    z_img = torch.randn(5, 2, 2, 2, dtype=torch.float64)
    torch.testing.assert_close(SequenceINN((2, 2, 2)).latent_log_prob(z_img),
                               torch.distributions.Normal(0.0, 1.0).log_prob(z_img).sum((1, 2, 3)))


@pytest.mark.parametrize("name", list(FLOWS))
def test_every_parameter_gets_a_gradient(name):
    inn, x, c = make(name)
    assert_every_parameter_gets_a_gradient(inn, -inn.log_prob(x, c).mean())


@pytest.mark.parametrize("name", list(FLOWS))
def test_pickle_and_deepcopy_round_trip(name):
    inn, x, c = make(name)
    assert_round_trips(inn, lambda m: (m(x, c), m.log_prob(x, c),
                                       m.sample(6, c=c, generator=torch.Generator().manual_seed(0))))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", list(FLOWS))
def test_cuda_agrees_with_cpu(name):
    inn, x, c = make(name)
    gpu = copy.deepcopy(inn).cuda()
    c_gpu = None if c is None else ([t.cuda() for t in c] if isinstance(c, list) else c.cuda())
    z, log_det = inn(x, c)
    z_gpu, log_det_gpu = gpu(x.cuda(), c_gpu)
    torch.testing.assert_close(z_gpu.cpu(), z, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(log_det_gpu.cpu(), log_det, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(gpu.log_prob(x.cuda(), c_gpu).cpu(), inn.log_prob(x, c), rtol=1e-9, atol=1e-9)


def _affine_flow(latent=None):
    """ActNorm alone: x = (z - b) / s per feature."""
    inn = SequenceINN(2, latent=latent).append(ActNorm).double()
    block = inn.blocks[0]
    with torch.no_grad():
        block.log_scale.copy_(torch.tensor([[0.5, -1.0]]))
        block.bias.copy_(torch.tensor([[1.0, 2.0]]))
        block.initialized.fill_(True)
    return inn, torch.exp(block.log_scale.detach()[0]), block.bias.detach()[0]


def test_mixture_latent_log_prob_is_the_transformed_mixture():
    # z ~ sum_k w_k N(mu_k, diag s_k^2) and x = (z - b) / s: x ~ sum_k w_k N((mu_k - b) / s, diag(s_k / s)^2)
    means = torch.tensor([[-2.0, 1.0], [1.5, -0.5], [0.0, 3.0]], dtype=torch.float64)
    log_vars = torch.tensor([[0.0, -1.0], [0.5, 0.2], [-0.3, 0.0]], dtype=torch.float64)
    log_weights = torch.tensor([0.0, 1.0, -0.5], dtype=torch.float64)
    latent = GaussianMixture(means, log_vars, log_weights, learn_weights=True)
    inn, s, b = _affine_flow(latent)
    peer = torch.distributions.MixtureSameFamily(
        torch.distributions.Categorical(logits=log_weights),
        torch.distributions.Independent(
            torch.distributions.Normal((means - b) / s, (0.5 * log_vars).exp() / s), 1))
    x = torch.randn(20, 2, dtype=torch.float64) * 3
    torch.testing.assert_close(inn.log_prob(x).detach(), peer.log_prob(x))
    assert not torch.allclose(inn.log_prob(x), _affine_flow()[0].log_prob(x))  # not the N(0, I) default


def test_mixture_latent_is_a_submodule():
    latent = GaussianMixture(torch.tensor([[0.0, 1.0], [2.0, 3.0]]))
    inn = SequenceINN(2, latent=latent).append(AffineCoupling)
    assert "latent_density.means" in dict(inn.named_parameters())
    assert inn.double().latent_density.means.dtype == torch.float64   # moves with .to()
    other = SequenceINN(2, latent=GaussianMixture(torch.zeros(2, 2))).append(AffineCoupling).double()
    other.load_state_dict(inn.state_dict())
    assert torch.equal(other.latent_density.means, inn.latent_density.means)


def test_sample_draws_from_the_mixture_latent():
    means = torch.tensor([[-4.0, 0.0], [4.0, 1.0]], dtype=torch.float64)
    inn, s, b = _affine_flow(GaussianMixture(means, torch.full((2, 2), math.log(0.25))))
    gen = torch.Generator().manual_seed(0)
    n = 4000
    sd = 0.5 / s                      # component 1: standard deviation 0.5 in z, divided by s
    x = inn.sample(n, component=1, generator=gen)
    # four standard errors: of a mean sd / sqrt(n), of a standard deviation sd / sqrt(2 n)
    torch.testing.assert_close(x.mean(0), (means[1] - b) / s, atol=float(4 * sd.max() / n**0.5), rtol=0)
    torch.testing.assert_close(x.std(0), sd, atol=float(4 * sd.max() / (2 * n) ** 0.5), rtol=0)
    cold = inn.sample(n, component=1, temperature=0.5, generator=gen)
    torch.testing.assert_close(cold.std(0), sd / 2, atol=float(2 * sd.max() / (2 * n) ** 0.5), rtol=0)
    both = inn.sample(n, generator=gen)   # equal weights: half of the draws from each component
    assert abs(float((both[:, 0] > float((0 - b[0]) / s[0])).double().mean()) - 0.5) < 4 * 0.5 / n**0.5


@pytest.mark.parametrize("latent", [None, "mixture"])
def test_log_prob_integrates_to_one_on_a_grid(latent):
    torch.manual_seed(0)
    density = None
    if latent == "mixture":
        density = GaussianMixture(torch.tensor([[-1.5, 0.0], [1.0, 1.0]]),
                                  torch.tensor([[0.0, -1.0], [-0.5, 0.0]]))
    inn = SequenceINN(2, latent=density)
    for k in range(4):
        inn.append(AffineCoupling, subnet_constructor=mlp_subnet((16, 16)), clamp=1.0)
        inn.append(RandomOrthogonal, seed=k)
    inn = perturb(inn.double(), seed=1, scale=0.3)
    # the map is far from the identity: otherwise "integrates to one" is only the Gaussian's
    z = inn(torch.randn(500, 2, dtype=torch.float64))[0].detach()
    assert float((z.std(0) - 1).abs().max()) > 0.1
    # a window holding 20 000 samples with a margin, so the mass outside it is negligible
    samples = inn.sample(20_000, generator=torch.Generator().manual_seed(0))
    low, high = samples.min(0).values - 6, samples.max(0).values + 6
    n = 1000
    ax0 = torch.linspace(float(low[0]), float(high[0]), n, dtype=torch.float64)
    ax1 = torch.linspace(float(low[1]), float(high[1]), n, dtype=torch.float64)
    grid = torch.cartesian_prod(ax0, ax1)
    with torch.no_grad():
        total = float(torch.exp(inn.log_prob(grid)).sum() * (ax0[1] - ax0[0]) * (ax1[1] - ax1[0]))
    assert total == pytest.approx(1.0, abs=5e-3)


def test_bad_inputs_raise_value_errors():
    inn = SequenceINN(3).append(ConditionalAffineCoupling, cond_dims=(2,))
    with pytest.raises(ValueError, match=r"^x:"):
        inn(torch.zeros(4, 2), torch.zeros(4, 2))
    with pytest.raises(ValueError, match=r"^c:"):
        inn(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"^cond_dims:"):
        SequenceINN(3).append(ConditionalAffineCoupling)
    with pytest.raises(ValueError, match=r"^dims:"):
        SequenceINN((2, 3))
    with pytest.raises(ValueError, match=r"^temperature:"):
        inn.sample(2, c=torch.zeros(2, 2), temperature=0.0)
    with pytest.raises(ValueError, match=r"^block_cls:"):
        SequenceINN(3).append(AffineCoupling((3,)))
    with pytest.raises(TypeError, match=r"^latent:"):
        SequenceINN(3, latent=torch.distributions.Normal(0.0, 1.0))
    with pytest.raises(ValueError, match=r"^latent:"):
        SequenceINN(3, latent=GaussianMixture(torch.zeros(2, 2))).log_prob(torch.zeros(4, 3))
    with pytest.raises(ValueError, match=r"^component:"):
        SequenceINN(3).sample(2, component=0)


def test_a_flow_names_x_for_non_floating_or_mismatched_inputs():
    inn = SequenceINN(4).append(AffineCoupling)
    with pytest.raises(ValueError, match=r"^x: AffineCoupling expects a floating-point tensor"):
        inn(torch.zeros(2, 4, dtype=torch.int64))
    with pytest.raises(ValueError, match=r"^x: has dtype torch.float64 but the model's parameters are "):
        inn(torch.zeros(2, 4, dtype=torch.float64))
    assert inn.double()(torch.zeros(2, 4, dtype=torch.float64))[0].dtype == torch.float64


@pytest.mark.parametrize("rev", [False, True])
def test_skipping_zero_log_dets_changes_no_bit(rev):
    # issue 13 speed-up: SequenceINN no longer adds the zeros of volume-preserving blocks; the
    # old loop (add every block's log-det) must give the same bits, gradients included
    torch.manual_seed(0)
    inn = SequenceINN((2, 4, 4)).append(HaarDownsampling)
    inn.append(AffineCoupling, subnet_constructor=conv_subnet((8,)), clamp=1.0).append(Permutation, seed=1)
    inn.append(Split, keep=4).append(AffineCoupling, subnet_constructor=conv_subnet((8,)), clamp=2.0)
    inn.append(Flatten).append(AffineCoupling, subnet_constructor=mlp_subnet((16,)))
    inn.append(RandomOrthogonal, seed=2).append(ActNorm)
    perturb(inn, seed=3, scale=0.5)
    dims = inn.dims_latent if rev else inn.dims_in
    x0 = torch.randn((5, *dims), generator=torch.Generator().manual_seed(4))

    def old_loop(x):   # the pre-speed-up SequenceINN.forward, early parts included
        log_det = x.new_zeros(x.shape[0])
        if not rev:
            early = []
            for block in inn.blocks:
                x, ld = block(x)
                if isinstance(block, Split):
                    x, out = x
                    early.append(out.reshape(out.shape[0], -1))
                log_det = log_det + ld
            return torch.cat(early + [x.reshape(x.shape[0], -1)], dim=1), log_det
        sizes = [math.prod(d) for d in inn._early] + [math.prod(inn.dims_out)]
        parts = list(torch.split(x, sizes, dim=1))
        x = parts.pop().reshape(x.shape[0], *inn.dims_out)
        for block in reversed(inn.blocks):
            if isinstance(block, Split):
                x = (x, parts.pop().reshape(x.shape[0], *block.dims_early))
            x, ld = block(x, rev=True)
            log_det = log_det + ld
        return x, log_det

    results = []
    for fn in (lambda v: inn(v, rev=rev), old_loop):
        x = x0.clone().requires_grad_(True)
        inn.zero_grad(set_to_none=True)
        y, log_det = fn(x)
        (y.cos().sum() + 0.1 * log_det.sum()).backward()
        results.append([y.detach(), log_det.detach(), x.grad] + [p.grad for p in inn.parameters()])
    for a, b in zip(*results, strict=True):
        assert torch.equal(a, b) and torch.equal(torch.signbit(a), torch.signbit(b))
