"""Every invertible block: exact inverse, log|det J| against autograd, and hygiene."""

from __future__ import annotations

import copy
import math

import pytest
import torch
from flow_helpers import assert_every_parameter_gets_a_gradient, assert_round_trips, perturb
from hypothesis import given
from hypothesis import strategies as st

from infoplane.inn.blocks import (
    ActNorm,
    AffineCoupling,
    AsinhStretch,
    ConditionalAffineCoupling,
    Flatten,
    HaarDownsampling,
    HaarUpsampling,
    Permutation,
    RandomOrthogonal,
    Reshape,
    Split,
    conv_subnet,
    mlp_subnet,
)

# name -> (factory, dims_in, cond_dims); factories build a block with random weights
CASES = {
    "coupling-vector": (lambda: AffineCoupling((5,), mlp_subnet((16, 16)), clamp=1.5), (5,), None),
    "coupling-image": (lambda: AffineCoupling((3, 4, 4), conv_subnet((8, 8))), (3, 4, 4), None),
    "coupling-split1": (lambda: AffineCoupling((4,), mlp_subnet((8, 8)), split=1), (4,), None),
    "cond-coupling-vector": (lambda: ConditionalAffineCoupling((4,), (3,), mlp_subnet((16, 16))), (4,), (3,)),
    "cond-coupling-image-vector-cond": (
        lambda: ConditionalAffineCoupling((2, 4, 4), (3,), conv_subnet((8, 8))), (2, 4, 4), (3,)),
    "cond-coupling-image-image-cond": (
        lambda: ConditionalAffineCoupling((2, 4, 4), (1, 4, 4), conv_subnet((8, 8))), (2, 4, 4), (1, 4, 4)),
    "orthogonal-vector": (lambda: RandomOrthogonal((5,), seed=3), (5,), None),
    "orthogonal-image": (lambda: RandomOrthogonal((3, 2, 2), seed=4), (3, 2, 2), None),
    "permutation-vector": (lambda: Permutation((5,), seed=1), (5,), None),
    "permutation-image": (lambda: Permutation((3, 2, 2), seed=2), (3, 2, 2), None),
    "actnorm-vector": (lambda: ActNorm((4,)), (4,), None),
    "actnorm-image": (lambda: ActNorm((2, 2, 3)), (2, 2, 3), None),
    "asinh-stretch-vector": (lambda: AsinhStretch((5,), scale=0.05), (5,), None),
    "asinh-stretch-image": (lambda: AsinhStretch((2, 3, 3), scale=1e-3, low=-0.5, high=0.5), (2, 3, 3), None),
    "haar": (lambda: HaarDownsampling((2, 4, 4)), (2, 4, 4), None),
    "haar-scaled": (lambda: HaarDownsampling((1, 2, 4), scale=0.8), (1, 2, 4), None),
    "haar-up": (lambda: HaarUpsampling((8, 1, 2)), (8, 1, 2), None),
    "flatten": (lambda: Flatten((2, 2, 2)), (2, 2, 2), None),
    "reshape": (lambda: Reshape((8,), shape=(2, 2, 2)), (8,), None),
    "split-vector": (lambda: Split((5,), keep=2), (5,), None),
    "split-image": (lambda: Split((4, 2, 2)), (4, 2, 2), None),
}


def make(name: str, dtype=torch.float64, seed: int = 0, batch: int = 7):
    """A block with random weights, an input batch and a condition (or None)."""
    factory, dims, cond_dims = CASES[name]
    torch.manual_seed(seed)  # subnet initialisation only; the library never draws globally
    block = perturb(factory().to(dtype), seed)
    gen = torch.Generator().manual_seed(seed + 100)
    x = torch.randn((batch, *dims), generator=gen, dtype=dtype)
    c = None if cond_dims is None else torch.randn((batch, *cond_dims), generator=gen, dtype=dtype)
    if isinstance(block, ActNorm):
        block(x * 2 + 1)  # data-dependent initialisation on another batch
        perturb(block, seed + 1)
    return block, x, c


def flat(y) -> torch.Tensor:
    """Flatten an output (a tensor or Split's pair) to (batch, features)."""
    if isinstance(y, tuple):
        return torch.cat([t.reshape(t.shape[0], -1) for t in y], dim=1)
    return y.reshape(y.shape[0], -1)


def rel_err(a, b) -> float:
    return float((flat(a) - flat(b)).abs().max().detach() / flat(b).abs().max().clamp_min(1e-12).detach())


@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("dtype, tol", [(torch.float64, 1e-6), (torch.float32, 1e-4)])
def test_inverse_recovers_input(name, dtype, tol):
    block, x, c = make(name, dtype)
    y, _ = block(x, c)
    x_back, _ = block(y, c, rev=True)
    assert rel_err(x_back, x) < tol
    # and the other way round: forward(inverse(y)) == y
    z = block(x, c)[0]
    y_again, _ = block(block(z, c, rev=True)[0], c)
    assert rel_err(y_again, z) < tol


@pytest.mark.parametrize("name", list(CASES))
def test_log_det_matches_autograd_jacobian(name):
    block, x, c = make(name, torch.float64, batch=3)
    _, log_det = block(x, c)
    assert log_det.shape == (x.shape[0],)
    for i in range(x.shape[0]):
        ci = None if c is None else c[i:i + 1]

        def f(xi_flat, i=i, ci=ci):
            return flat(block(xi_flat.reshape(1, *x.shape[1:]), ci)[0])[0]

        jac = torch.autograd.functional.jacobian(f, x[i].reshape(-1))
        sign, logabsdet = torch.linalg.slogdet(jac)
        assert float(sign) != 0
        assert float(logabsdet) == pytest.approx(float(log_det[i].detach()), abs=1e-8)


@pytest.mark.parametrize("name", list(CASES))
def test_reverse_log_det_is_negative(name):
    block, x, c = make(name, torch.float64)
    y, log_det = block(x, c)
    _, log_det_rev = block(y, c, rev=True)
    torch.testing.assert_close(log_det_rev, -log_det, rtol=0, atol=1e-10)


@pytest.mark.parametrize("name", list(CASES))
def test_inputs_not_modified(name):
    block, x, c = make(name, torch.float64)
    x0 = x.clone()
    c0 = None if c is None else c.clone()
    y, _ = block(x, c)
    y0 = tuple(t.clone() for t in y) if isinstance(y, tuple) else y.clone()
    block(y, c, rev=True)
    assert torch.equal(x, x0)
    assert c is None or torch.equal(c, c0)
    assert torch.equal(flat(y), flat(y0))


@pytest.mark.parametrize("name", list(CASES))
def test_train_and_eval_mode_agree(name):
    block, x, c = make(name, torch.float64)
    y_train, ld_train = block.train()(x, c)
    y_eval, ld_eval = block.eval()(x, c)
    assert torch.equal(flat(y_train), flat(y_eval))
    assert torch.equal(ld_train, ld_eval)


@pytest.mark.parametrize("name", list(CASES))
def test_state_dict_round_trip(name, tmp_path):
    block, x, c = make(name, torch.float64, seed=0)
    path = tmp_path / "block.pt"
    torch.save(block.state_dict(), path)
    other, _, _ = make(name, torch.float64, seed=5)
    other.load_state_dict(torch.load(path))
    y1, ld1 = block(x, c)
    y2, ld2 = other(x, c)
    assert torch.equal(flat(y1), flat(y2))
    assert torch.equal(ld1, ld2)


@pytest.mark.parametrize("name", ["coupling-vector", "coupling-image", "cond-coupling-vector",
                                  "cond-coupling-image-image-cond"])
def test_coupling_is_identity_at_initialisation(name):
    factory, dims, cond_dims = CASES[name]
    block = factory()
    x = torch.randn(4, *dims)
    c = None if cond_dims is None else torch.randn(4, *cond_dims)
    y, log_det = block(x, c)
    assert torch.equal(y, x)
    assert torch.equal(log_det, torch.zeros(4))


def test_soft_clamp_bounds_the_scale():
    # eq. 3.13: |s~| < alpha, so each of the D dimensions contributes at most alpha to log|det|
    block = perturb(AffineCoupling((6,), mlp_subnet((16, 16)), clamp=0.5), scale=50.0)
    with torch.no_grad():
        _, log_det = block(torch.randn(64, 6) * 10)
    assert float(log_det.abs().max()) <= 6 * 0.5
    assert float(log_det.abs().max()) > 6 * 0.5 * 0.5  # large raw s really is clamped, not zero


def test_condition_changes_the_map():
    block, x, c = make("cond-coupling-vector")
    y1, _ = block(x, c)
    y2, _ = block(x, c + 1.0)
    assert not torch.allclose(y1, y2)


@pytest.mark.parametrize("scale", [0.5, 1 / math.sqrt(2), 1.0])
def test_haar_is_orthogonal_up_to_its_scale(scale):
    block = HaarDownsampling((2, 4, 2), scale=scale).double()
    d = 2 * 4 * 2
    basis = torch.eye(d, dtype=torch.float64).reshape(d, 2, 4, 2)
    matrix = block(basis)[0].reshape(d, d)  # row k = image of basis vector k
    torch.testing.assert_close(matrix @ matrix.T, (2 * scale) ** 2 * torch.eye(d, dtype=torch.float64))
    assert float(block(basis)[1][0]) == pytest.approx(d * math.log(2 * scale))


def test_haar_first_channel_is_scaled_mean_pooling():
    x = torch.randn(3, 2, 4, 6)
    y, _ = HaarDownsampling((2, 4, 6))(x)
    pooled = torch.nn.functional.avg_pool2d(x, 2)
    torch.testing.assert_close(y[:, :2], 2 * pooled)  # Fig. 3.6: a = (x11 + x12 + x21 + x22) / 2


def test_actnorm_initialises_from_the_first_batch_only():
    block = ActNorm((3, 2, 2))
    x = torch.randn(50, 3, 2, 2) * torch.tensor([1.0, 5.0, 0.1])[None, :, None, None] + 3
    y, log_det = block(x)
    per_channel = y.transpose(0, 1).reshape(3, -1)
    torch.testing.assert_close(per_channel.mean(1), torch.zeros(3), atol=1e-5, rtol=0)
    torch.testing.assert_close(per_channel.std(1), torch.ones(3), atol=1e-4, rtol=0)
    state = {k: v.clone() for k, v in block.state_dict().items()}
    block(x * 7)
    assert all(torch.equal(state[k], v) for k, v in block.state_dict().items())
    assert bool(block.initialized)


def test_asinh_stretch_has_its_closed_form_values_and_slopes():
    s = 1e-3
    block = AsinhStretch((3,), scale=s).double()
    x = torch.tensor([[0.0, 0.5, 1.0]], dtype=torch.float64)
    y, log_det = block(x)
    edge = math.asinh(1 / s)
    torch.testing.assert_close(y, torch.tensor([[-edge, 0.0, edge]], dtype=torch.float64))
    # slopes 1/s + 1/hypot(1, s) at both ends and 2 * 1/hypot(1/2, s) in the middle
    slopes = [1 / s + 1 / math.hypot(1, s), 2 / math.hypot(0.5, s), 1 / s + 1 / math.hypot(1, s)]
    assert float(log_det[0]) == pytest.approx(sum(map(math.log, slopes)), abs=1e-12)
    # a bijection of the whole line: far outside [0, 1] it is finite and still inverts
    far = torch.tensor([[-1e4, 2.0, 1e6]], dtype=torch.float64)
    back, _ = block(block(far)[0], rev=True)
    torch.testing.assert_close(back, far, rtol=1e-12, atol=0)


def test_asinh_stretch_refuses_bad_ranges():
    with pytest.raises(ValueError, match=r"^high: expected high > low"):
        AsinhStretch((2,), low=1.0, high=1.0)
    with pytest.raises(ValueError, match=r"^scale:"):
        AsinhStretch((2,), scale=0.0)


def test_orthogonal_stays_exact_in_float64():
    block = RandomOrthogonal((6,), seed=7).double()
    w = block.weight
    torch.testing.assert_close(w @ w.T, torch.eye(6, dtype=torch.float64), atol=1e-14, rtol=0)


@given(seed=st.integers(0, 2**16), dim=st.integers(1, 12))
def test_orthogonal_preserves_norms_for_any_seed(seed, dim):
    block = RandomOrthogonal((dim,), seed=seed).double()
    x = torch.randn(4, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    y, _ = block(x)
    torch.testing.assert_close(y.norm(dim=1), x.norm(dim=1))


def test_same_seed_same_block_different_seed_different_block():
    assert torch.equal(RandomOrthogonal((5,), seed=1).weight, RandomOrthogonal((5,), seed=1).weight)
    assert not torch.equal(RandomOrthogonal((5,), seed=1).weight, RandomOrthogonal((5,), seed=2).weight)
    assert torch.equal(Permutation((9,), seed=3).perm, Permutation((9,), seed=3).perm)


@given(dim=st.integers(2, 9), clamp=st.floats(0.1, 5.0), seed=st.integers(0, 1000))
def test_coupling_round_trip_for_random_shapes(dim, clamp, seed):
    torch.manual_seed(seed)
    block = perturb(AffineCoupling((dim,), mlp_subnet((8, 8)), clamp=clamp).double(), seed, scale=1.0)
    x = torch.randn(5, dim, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)
    y, log_det = block(x)
    x_back, log_det_rev = block(y, rev=True)
    assert rel_err(x_back, x) < 1e-6
    assert float(log_det.detach().abs().max()) <= dim * clamp + 1e-9


TRAINABLE = [name for name in CASES if name.startswith(("coupling", "cond-coupling", "actnorm"))]


def test_only_couplings_and_actnorm_have_parameters():
    for name, (factory, _, _) in CASES.items():
        assert bool(list(factory().parameters())) == (name in TRAINABLE), name


@pytest.mark.parametrize("name", TRAINABLE)
@pytest.mark.parametrize("rev", [False, True])
def test_every_parameter_gets_a_gradient(name, rev):
    block, x, c = make(name, torch.float64)
    if rev:
        x = block(x, c)[0].detach()
    y, log_det = block(x, c, rev=rev)
    assert_every_parameter_gets_a_gradient(block, flat(y).pow(2).sum() - log_det.sum())


@pytest.mark.parametrize("name", list(CASES))
def test_pickle_and_deepcopy_round_trip(name):
    block, x, c = make(name, torch.float64)
    assert_round_trips(block, lambda b: (b(x, c), b(b(x, c)[0], c, rev=True)))


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
@pytest.mark.parametrize("name", list(CASES))
def test_cuda_agrees_with_cpu(name):
    block, x, c = make(name, torch.float64)
    y, log_det = block(x, c)
    gpu = copy.deepcopy(block).cuda()
    y_gpu, log_det_gpu = gpu(x.cuda(), None if c is None else c.cuda())
    torch.testing.assert_close(flat(y_gpu).cpu(), flat(y), rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(log_det_gpu.cpu(), log_det, rtol=1e-9, atol=1e-9)


def test_subnet_constructors_follow_hidden():
    net = mlp_subnet((16, 8, 4))(3, 2)
    linear = [m for m in net if isinstance(m, torch.nn.Linear)]
    assert [(m.in_features, m.out_features) for m in linear] == [(3, 16), (16, 8), (8, 4), (4, 2)]
    conv = [m for m in conv_subnet((4, 6, 8), kernel_size=5)(2, 3) if isinstance(m, torch.nn.Conv2d)]
    assert [(m.in_channels, m.out_channels, m.kernel_size) for m in conv] == [
        (2, 4, (5, 5)), (4, 6, (1, 1)), (6, 8, (1, 1)), (8, 3, (5, 5))]


def test_conv_subnet_is_channels_last_and_the_same_function_in_either_layout():
    torch.manual_seed(0)
    net = conv_subnet((8, 8))(3, 4)
    for m in net:
        if isinstance(m, torch.nn.Conv2d):
            torch.nn.init.normal_(m.weight)   # the last layer starts at zero: give it weights
            assert m.weight.is_contiguous(memory_format=torch.channels_last)
    default = copy.deepcopy(net).to(memory_format=torch.contiguous_format)
    x = torch.randn(2, 3, 5, 6)
    reference = default(x)
    assert reference.abs().max() > 1.0
    for inp in (x, x.contiguous(memory_format=torch.channels_last)):
        torch.testing.assert_close(net(inp), reference, rtol=1e-5, atol=1e-5)


def test_bad_inputs_raise_value_errors_naming_the_argument():
    with pytest.raises(ValueError, match=r"^x:"):
        AffineCoupling((4,))(torch.zeros(2, 5))
    with pytest.raises(ValueError, match=r"^c:"):
        ConditionalAffineCoupling((4,), cond_dims=(2,))(torch.zeros(2, 4))
    with pytest.raises(ValueError, match=r"^c:"):
        ConditionalAffineCoupling((4,), cond_dims=(2,))(torch.zeros(2, 4), torch.zeros(2, 3))
    with pytest.raises(ValueError, match=r"^dims_in:"):
        AffineCoupling((1,))
    with pytest.raises(ValueError, match=r"^dims_in:"):
        HaarDownsampling((1, 3, 4))
    with pytest.raises(ValueError, match=r"^clamp:"):
        AffineCoupling((4,), clamp=0.0)
    with pytest.raises(ValueError, match=r"^cond_dims:"):
        AffineCoupling((2, 4, 4), cond_dims=(1, 2, 2))
    with pytest.raises(ValueError, match=r"^shape:"):
        Reshape((6,), shape=(4,))
    with pytest.raises(ValueError, match=r"^keep:"):
        Split((4,), keep=4)
    with pytest.raises(ValueError, match=r"^split:"):
        AffineCoupling((4,), split=4)
    with pytest.raises(ValueError, match=r"^hidden:"):
        mlp_subnet(16)
    with pytest.raises(ValueError, match=r"^hidden:"):
        conv_subnet((8, 0))
    with pytest.raises(ValueError, match=r"^kernel_size:"):
        conv_subnet((8,), kernel_size=2)
    with pytest.raises(ValueError, match=r"^x:"):
        Split((4,))(torch.zeros(2, 4), rev=True)


# --- issue 12: non-finite initialisation, dtypes -------------------------------------------------


@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
@pytest.mark.parametrize("dims", [(3,), (2, 2, 2)])
def test_actnorm_refuses_a_non_finite_initialisation_batch(dims, bad):
    block = ActNorm(dims)
    x = torch.randn(6, *dims, generator=torch.Generator().manual_seed(0)) * 2 + 1
    poisoned = x.clone()
    poisoned.view(6, -1)[3, 0] = bad
    with pytest.raises(ValueError, match=r"^x: ActNorm's data-dependent initialisation needs a finite batch"):
        block(poisoned)
    assert not bool(block.initialized)
    assert bool((block.log_scale == 0).all()) and bool((block.bias == 0).all())
    # the next, finite batch initialises it as on a fresh block
    y, log_det = block(x)
    fresh_y, fresh_log_det = ActNorm(dims)(x)
    assert torch.equal(y, fresh_y) and torch.equal(log_det, fresh_log_det)
    assert bool(torch.isfinite(y).all())
    # once initialised, a plain forward passes NaN through without touching the parameters
    state = copy.deepcopy(block.state_dict())
    out, _ = block(poisoned)
    assert bool(torch.isnan(out).any()) or bool(torch.isinf(out).any())
    assert all(torch.equal(state[k], v) for k, v in block.state_dict().items())


@pytest.mark.parametrize("dtype", [torch.int64, torch.int32, torch.bool])
@pytest.mark.parametrize("name", ["orthogonal-vector", "orthogonal-image", "permutation-vector",
                                  "actnorm-vector", "coupling-vector", "haar"])
def test_blocks_refuse_non_floating_inputs(name, dtype):
    factory, dims, _ = CASES[name]
    block = factory()
    x = torch.ones((2, *dims), dtype=dtype)
    with pytest.raises(ValueError, match=r"^x: \w+ expects a floating-point tensor"):
        block(x)


@pytest.mark.parametrize("dims", [(5,), (3, 2, 2)])
def test_orthogonal_follows_a_float64_input(dims):
    block = RandomOrthogonal(dims, seed=3)          # float32 buffer
    exact = copy.deepcopy(block).double()            # the float64 master matrix of the seed
    x = torch.randn((4, *dims), generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    y, _ = block(x)
    assert y.dtype == torch.float64
    assert torch.equal(y, exact(x)[0])
    assert torch.equal(block(y, rev=True)[0], exact(y, rev=True)[0])
    assert float((block(y, rev=True)[0] - x).abs().max()) < 1e-13  # float32 matrix: ~1e-7
    assert block.weight.dtype == torch.float32                    # the buffer is left as it was
    again = pickle_round_trip(block)
    assert torch.equal(again(x)[0], y)


def pickle_round_trip(module):
    import pickle
    return pickle.loads(pickle.dumps(module))


def test_coupling_refuses_an_input_in_another_dtype():
    block = AffineCoupling((4,), mlp_subnet((8,)))
    with pytest.raises(ValueError, match=r"^x: has dtype torch.float64 but the model's parameters are "):
        block(torch.zeros(2, 4, dtype=torch.float64))


@pytest.mark.parametrize("dims", [(2**63,), (2, 2**40, 2), (0,)])
def test_impossible_shapes_name_dims_in(dims):
    with pytest.raises(ValueError, match=r"^dims_in:"):
        AffineCoupling(dims)
    with pytest.raises(ValueError, match=r"^hidden:"):
        mlp_subnet((8, 2**40))


# ---- speed-ups that must not change a bit (issue 13, "Speed and memory") ----------------------------

def _bits_equal(a: torch.Tensor, b: torch.Tensor) -> bool:
    """Equal values and equal signs of zero (torch.equal alone takes -0.0 == 0.0)."""
    return torch.equal(a, b) and torch.equal(torch.signbit(a), torch.signbit(b))


def _reference_coupling(block: AffineCoupling, x: torch.Tensor, rev: bool = False):
    """The coupling written out as before the speed-up: s~ = clamp * tanh(s / clamp) always (eq. 3.13)."""
    def coefficients(net, h):
        s, t = net(h).chunk(2, dim=1)
        return block.clamp * torch.tanh(s / block.clamp), t

    a, b = torch.split(x, block.split_sizes, dim=1)
    dims = tuple(range(1, x.ndim))
    if not rev:
        s1, t1 = coefficients(block.subnet1, b)
        u1 = a * torch.exp(s1) + t1
        s2, t2 = coefficients(block.subnet2, u1)
        return torch.cat([u1, b * torch.exp(s2) + t2], dim=1), s1.sum(dims) + s2.sum(dims)
    s2, t2 = coefficients(block.subnet2, a)
    x2 = (b - t2) * torch.exp(-s2)
    s1, t1 = coefficients(block.subnet1, x2)
    return torch.cat([(a - t1) * torch.exp(-s1), x2], dim=1), -(s1.sum(dims) + s2.sum(dims))


def _outputs_and_grads(fn, block, x):
    """(y, log_det, dL/dx, dL/dparameters) of a fixed scalar function of both outputs."""
    x = x.detach().clone().requires_grad_(True)
    block.zero_grad(set_to_none=True)
    y, log_det = fn(x)
    (y.sin().sum() + 0.3 * log_det.sum()).backward()
    return [y.detach(), log_det.detach(), x.grad] + [p.grad for p in block.parameters()]


@pytest.mark.parametrize("clamp", [1.0, 2.0, 0.7])
@pytest.mark.parametrize("dims, subnet", [((6,), mlp_subnet((16,))), ((4, 4, 4), conv_subnet((8,)))])
@pytest.mark.parametrize("rev", [False, True])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_coupling_is_bit_identical_to_the_written_out_formula(clamp, dims, subnet, rev, dtype):
    # clamp = 1 skips the division and the product by one: not a bit of y, log|det| or a gradient moves
    torch.manual_seed(0)
    block = perturb(AffineCoupling(dims, subnet, clamp=clamp).to(dtype), seed=1, scale=1.0)
    x = 2 * torch.randn((9, *dims), generator=torch.Generator().manual_seed(2), dtype=dtype)
    got = _outputs_and_grads(lambda v: block(v, rev=rev), block, x)
    expected = _outputs_and_grads(lambda v: _reference_coupling(block, v, rev), block, x)
    assert all(_bits_equal(a, b) for a, b in zip(got, expected, strict=True))


@pytest.mark.parametrize("dims", [(7,), (5, 3, 2)])
@pytest.mark.parametrize("rev", [False, True])
def test_permutation_is_bit_identical_to_advanced_indexing(dims, rev):
    block = Permutation(dims, seed=4)
    x = torch.randn((6, *dims), generator=torch.Generator().manual_seed(0))
    x[0, 0] = -0.0
    index = block.perm_inv if rev else block.perm
    got = _outputs_and_grads(lambda v: block(v, rev=rev), block, x)[:3]
    expected = _outputs_and_grads(lambda v: (v[:, index], v.new_zeros(v.shape[0])), block, x)[:3]
    assert all(_bits_equal(a, b) for a, b in zip(got, expected, strict=True))


@pytest.mark.parametrize("scale", [0.5, 0.8])
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_haar_cached_filters_are_the_fresh_ones(scale, dtype):
    from infoplane.inn.blocks import _haar_kernel

    block = HaarDownsampling((3, 4, 6), scale=scale)
    x = torch.randn(5, 3, 4, 6, generator=torch.Generator().manual_seed(0), dtype=dtype)
    fresh = torch.nn.functional.conv2d(x, _haar_kernel(3, scale, dtype, x.device), stride=2, groups=3)
    fresh = fresh.view(5, 3, 4, 2, 3).transpose(1, 2).reshape(5, 12, 2, 3)
    for _ in range(2):   # the second call reads the cache
        y, _ = block(x)
        assert _bits_equal(y, fresh)
        back = torch.nn.functional.conv_transpose2d(
            y.view(5, 4, 3, 2, 3).transpose(1, 2).reshape(y.shape),
            _haar_kernel(3, scale, dtype, x.device) / (2 * scale) ** 2, stride=2, groups=3)
        assert _bits_equal(block(y, rev=True)[0], back)
    assert list(block.state_dict()) == []                       # the cache is not saved
    assert _bits_equal(copy.deepcopy(block)(x)[0], fresh)


def test_haar_filters_cached_under_inference_mode_still_train():
    block = HaarDownsampling((2, 4, 4))
    x = torch.randn(3, 2, 4, 4)
    with torch.inference_mode():
        block(x)                      # fills the cache first
    x.requires_grad_(True)
    y, _ = block(x)
    y.square().sum().backward()       # an inference tensor could not be saved for backward
    torch.testing.assert_close(x.grad, 2 * x.detach())   # orthonormal: |y|^2 = |x|^2


@pytest.mark.parametrize("name", list(CASES))
def test_volume_preserving_blocks_return_exact_zeros(name):
    block, x, c = make(name, torch.float64)
    y, log_det = block(x, c)
    _, log_det_rev = block(y, c, rev=True)
    if block.volume_preserving:   # SequenceINN skips these: they must be exact zeros (Haar's reverse: -0.0)
        assert bool((log_det == 0).all()) and bool((log_det_rev == 0).all())
    zero = {"orthogonal-vector", "orthogonal-image", "permutation-vector", "permutation-image", "haar",
            "haar-up", "flatten", "reshape", "split-vector", "split-image"}
    assert block.volume_preserving == (name in zero)
