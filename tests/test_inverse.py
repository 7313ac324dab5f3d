"""Tests of infoplane.inn.inverse: InverseINN and InverseINNLoss (thesis chapter 4)."""

from __future__ import annotations

import copy
import pickle

import pytest
import torch
from flow_helpers import assert_every_parameter_gets_a_gradient, assert_round_trips, fit_inverse_inn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from infoplane.data import EIGHT_MODES_CENTERS, EIGHT_MODES_LABELS, eight_modes
from infoplane.inn import InverseINN, InverseINNLoss, InverseLossWeights
from infoplane.metrics import mmd
from infoplane.train import Schedule, fit


def _trained_on_noise(model):
    """Give the coupling subnets non-zero weights so the map is not the identity."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model


def _pairs(n=32, x_dim=2, seed=2):
    x = torch.randn(n, x_dim, generator=torch.Generator().manual_seed(seed))
    return x, x.sum(1, keepdim=True)


@pytest.mark.parametrize("dims", [(4, 2, 2, None), (2, 4, 2, 8), (3, 1, 1, 5)])
def test_padded_map_is_invertible_and_shapes(dims):
    x_dim, y_dim, latent_dim, total = dims
    model = _trained_on_noise(InverseINN(x_dim, y_dim, latent_dim, total, n_blocks=2, hidden=(16, 16),
                                         seed=0))
    x = torch.randn(7, x_dim, generator=torch.Generator().manual_seed(1))
    out, log_det = model(x)
    assert out.shape == (7, model.total_dim) and log_det.shape == (7,)
    back, log_det_back = model(out, rev=True)
    torch.testing.assert_close(log_det_back, -log_det, atol=1e-5, rtol=0)
    assert torch.allclose(back[:, :x_dim], x, atol=1e-5)
    assert torch.allclose(back[:, x_dim:], torch.zeros(7, model.pad_x), atol=1e-5)   # x padding: zeros
    y_out, z_out, pad = model.split_output(out)
    assert torch.equal(y_out, out[:, :y_dim]) and torch.equal(pad, out[:, y_dim + latent_dim:])
    assert torch.allclose(model.forward_predict(x), y_out)
    assert torch.allclose(model.inverse(y_out, z_out, pad), x, atol=1e-5)
    post = model.posterior(torch.zeros(3, y_dim), 11, seed=0)
    assert post.shape == (3, 11, x_dim)
    assert torch.equal(post, model.posterior(torch.zeros(3, y_dim), 11, seed=0))


def test_log_det_matches_autograd_jacobian_of_the_padded_map():
    model = _trained_on_noise(InverseINN(2, 1, 1, total_dim=4, n_blocks=2, hidden=(8, 8), seed=0)).double()
    x = torch.randn(3, 2, dtype=torch.float64)
    _, log_det = model(x)
    for i in range(3):
        padded = torch.cat([x[i], torch.zeros(2, dtype=torch.float64)])
        jac = torch.autograd.functional.jacobian(lambda v: model.inn(v[None])[0][0], padded)
        assert float(torch.linalg.slogdet(jac)[1]) == pytest.approx(float(log_det[i].detach()), abs=1e-8)


def test_lz_gradient_does_not_reach_the_y_outputs():
    # with only L_z switched on, the gradient with respect to f_y(x) must be zero (4.1.2)
    model = _trained_on_noise(InverseINN(2, 1, 1, n_blocks=2, hidden=(8, 8), seed=0))
    x, y = _pairs()
    seen = {}
    original = model.split_output

    def spy(out):
        out.register_hook(lambda g: seen.setdefault("grad", g))
        return original(out)

    model.split_output = spy
    loss_fn = InverseINNLoss(InverseLossWeights(y=0.0, z=1.0, x=0.0, pad=0.0, rec=0.0), seed=0)
    loss, terms = loss_fn(model, (x, y))
    loss.backward()
    grad = seen["grad"]
    assert grad[:, 0].abs().max() == 0.0                # the y output
    assert grad[:, 1].abs().max() > 0.0                 # the z output
    assert set(terms) == {"L_y", "L_z", "L_x", "L_pad", "L_rec", "ramp"}
    assert all(isinstance(v, torch.Tensor) and not v.requires_grad for v in terms.values())


def test_loss_terms_against_direct_computation():
    # L_y (squared error summed over y), L_pad, and L_x / L_z as biased MMDs of the same draws
    model = _trained_on_noise(InverseINN(2, 1, 1, total_dim=3, n_blocks=2, hidden=(8, 8), seed=0))
    x, y = _pairs()
    _, terms = InverseINNLoss(seed=5, pad_noise=0.0)(model, (x, y))
    with torch.no_grad():
        out = model.inn(torch.cat([x, torch.zeros(32, 1)], 1))[0]
        assert float(terms["L_y"]) == pytest.approx(float(((out[:, 0:1] - y) ** 2).sum(1).mean()), rel=1e-6)
        assert float(terms["L_pad"]) == pytest.approx(float((out[:, 2] ** 2).mean()), rel=1e-6)
        gen = torch.Generator().manual_seed(5)   # the loss's draws, in its order: z_prior, pad, z_gen
        z_prior = torch.randn(32, 1, generator=gen)
        torch.randn(32, 1, generator=gen)
        z_gen = torch.randn(32, 1, generator=gen)
        lz = mmd(torch.cat([out[:, 0:1], out[:, 1:2]], 1), torch.cat([y, z_prior], 1), bandwidths=1.2,
                 estimator="biased")
        x_gen = model.inn(torch.cat([y, z_gen, torch.zeros(32, 1)], 1), rev=True)[0][:, :2]
        lx = mmd(x_gen, x, bandwidths=1.2, estimator="biased")
    assert float(terms["L_z"]) == pytest.approx(lz, rel=1e-5)
    assert float(terms["L_x"]) == pytest.approx(lx, rel=1e-5)


def test_ramp_up_of_lx():
    model = InverseINN(2, 1, 1, n_blocks=1, hidden=(8, 8), seed=0)
    x, y = _pairs(16)
    loss_fn = InverseINNLoss(ramp_start=0.01, ramp_until=0.9)
    assert loss_fn.progress == 1.0   # full weight unless a schedule moves it
    for progress, expected in [(0.0, 0.01), (0.45, 0.1), (0.9, 1.0), (1.0, 1.0)]:
        loss_fn.progress = progress
        _, terms = loss_fn(model, (x, y))
        assert float(terms["ramp"]) == pytest.approx(expected)


def test_schedule_moves_the_ramp_during_fit():
    # 2 epochs x 2 steps: the ramp before each step is 0.01 ** (1 - p / 0.5) at p = 0, 1/4 | 2/4, 3/4
    model = InverseINN(2, 1, 1, n_blocks=1, hidden=(8, 8), seed=0)
    x, y = _pairs(64)
    loss_fn = InverseINNLoss(ramp_start=0.01, ramp_until=0.5, seed=0)
    history = fit(model, loss_fn, DataLoader(TensorDataset(x, y), batch_size=32), torch.optim.SGD(
        model.parameters(), lr=1e-3), 2, callbacks=[Schedule(loss_fn, "progress", lambda p: p)],
        device="cpu", progress=False)
    assert history[0]["train/ramp"] == pytest.approx((0.01 + 0.1) / 2)
    assert history[1]["train/ramp"] == pytest.approx((1.0 + 1.0) / 2)


def test_every_parameter_gets_a_gradient():
    model = _trained_on_noise(InverseINN(2, 1, 1, total_dim=4, n_blocks=2, hidden=(8, 8), seed=0))
    loss, _ = InverseINNLoss(seed=0)(model, _pairs())
    assert_every_parameter_gets_a_gradient(model, loss)


def test_pickle_and_deepcopy_round_trip():
    model = _trained_on_noise(InverseINN(2, 1, 1, total_dim=4, n_blocks=2, hidden=(8, 8), seed=0))
    x, _ = _pairs()
    assert_round_trips(model, lambda m: (m(x), m.posterior(torch.zeros(2, 1), 5, seed=1)))
    loss_fn = InverseINNLoss(seed=3)
    copies = [copy.deepcopy(loss_fn), pickle.loads(pickle.dumps(loss_fn))]
    expected = loss_fn(model, _pairs())[0]
    for other in copies:   # the loss's generator travels with it
        assert torch.equal(other(model, _pairs())[0], expected)


def test_seed_gives_the_same_weights_and_leaves_the_global_rng_alone():
    before = torch.get_rng_state()
    a = InverseINN(4, 2, 2, n_blocks=2, hidden=(8, 8), seed=1).state_dict()
    b = InverseINN(4, 2, 2, n_blocks=2, hidden=(8, 8), seed=1).state_dict()
    c = InverseINN(4, 2, 2, n_blocks=2, hidden=(8, 8), seed=2).state_dict()
    assert torch.equal(torch.get_rng_state(), before)
    assert all(torch.equal(a[k], b[k]) for k in a)
    assert not all(torch.equal(a[k], c[k]) for k in a)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_agrees_with_cpu():
    model = _trained_on_noise(InverseINN(2, 1, 1, total_dim=4, n_blocks=2, hidden=(8, 8), seed=0)).double()
    x, y = (t.double() for t in _pairs())
    gpu = copy.deepcopy(model).cuda()
    out, log_det = model(x)
    out_gpu, log_det_gpu = gpu(x.cuda())
    torch.testing.assert_close(out_gpu.cpu(), out, rtol=1e-9, atol=1e-9)
    torch.testing.assert_close(log_det_gpu.cpu(), log_det, rtol=1e-9, atol=1e-9)
    loss, _ = InverseINNLoss(seed=0)(model, (x, y))           # CPU generator: the same draws on both
    loss_gpu, _ = InverseINNLoss(seed=0)(gpu, (x.cuda(), y.cuda()))
    assert float(loss_gpu) == pytest.approx(float(loss), rel=1e-9)
    torch.testing.assert_close(gpu.posterior(torch.zeros(2, 1), 5, seed=1).cpu(),
                               model.posterior(torch.zeros(2, 1), 5, seed=1), rtol=1e-9, atol=1e-9)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match=r"^total_dim:"):
        InverseINN(4, 2, 2, total_dim=3)
    with pytest.raises(ValueError, match=r"^mixing:"):
        InverseINN(4, 2, 2, mixing="haar")
    with pytest.raises(ValueError, match=r"^y_loss:"):
        InverseINN(4, 2, 2, y_loss="hinge")
    with pytest.raises(ValueError, match=r"^hidden:"):
        InverseINN(4, 2, 2, hidden=128)
    with pytest.raises(ValueError, match=r"^x_dim:"):
        InverseINN(0, 2, 2)
    model = InverseINN(4, 2, 2, n_blocks=1, hidden=(8, 8))
    with pytest.raises(ValueError, match=r"^y:"):
        model.posterior(torch.zeros(3, 3), 2)
    with pytest.raises(ValueError, match=r"^x:"):
        model.forward_predict(torch.zeros(3, 3))
    with pytest.raises(ValueError, match=r"^batch:"):
        InverseINNLoss()(model, (torch.zeros(10, 4), torch.zeros(10, 3)))
    with pytest.raises(ValueError, match=r"^batch:"):
        InverseINNLoss()(model, torch.zeros(10, 4))
    with pytest.raises(TypeError, match=r"^model:"):
        InverseINNLoss()(torch.nn.Linear(4, 2), (torch.zeros(10, 4), torch.zeros(10, 2)))
    with pytest.raises(ValueError, match=r"^ramp_start:"):
        InverseINNLoss(ramp_start=0.0)
    with pytest.raises(ValueError, match=r"^weights\.z:"):
        InverseLossWeights(z=-1.0)
    with pytest.raises(TypeError, match=r"^weights:"):
        InverseINNLoss({"z": 1.0})


@pytest.fixture(scope="module")
def eight_mode_inn():
    """A CI-sized INN on the 8-mode toy (thesis 4.2.1, B.5.1: 3 blocks, padding to 16)."""
    x, labels, _ = eight_modes(16_000, seed=0)
    model = InverseINN(2, 4, 2, total_dim=16, n_blocks=3, hidden=(64, 64), seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny matrices: extra threads only add contention on a busy CPU
    try:
        fit_inverse_inn(model, x, F.one_hot(labels, 4).float(), epochs=25, batch_size=200, lr=5e-3,
                        lr_end=5e-5, y_noise=0.1, pad_noise=0.05, bandwidths_z=(0.05, 0.2, 0.9),
                        bandwidths_x=(0.05, 0.2, 0.9), seed=0)
    finally:
        torch.set_num_threads(threads)
    return model


def test_eight_modes_samples_land_in_their_colours_modes(eight_mode_inn):
    post = eight_mode_inn.posterior(torch.eye(4), 2000, seed=1)
    for colour in range(4):
        nearest = torch.cdist(post[colour], EIGHT_MODES_CENTERS).argmin(1)
        in_own = (EIGHT_MODES_LABELS[nearest] == colour).float().mean()
        assert in_own > 0.9, (colour, float(in_own))
        # every mode of the colour gets a share of samples (no mode collapse)
        modes = torch.nonzero(EIGHT_MODES_LABELS == colour).flatten()
        share = torch.stack([(nearest == m).float().mean() for m in modes])
        assert (share > 0.5 / len(modes) * in_own).all(), (colour, share)


def test_eight_modes_posterior_mmd_to_true_components(eight_mode_inn):
    # Threshold: the INN posterior for a colour must be 10x closer (in MMD^2) to that
    # colour's mixture components than (a) the nearest wrong colour's components and
    # (b) the prior p(x), i.e. what a model ignoring the colour (the "only L_x" ablation
    # of Fig. 4.2) would produce. Two independent true samples give the noise floor.
    post = eight_mode_inn.posterior(torch.eye(4), 1000, seed=2)
    x, labels, _ = eight_modes(16_000, seed=3)
    true = [x[labels == c][:1000] for c in range(4)]
    other = [x[labels == c][1000:2000] for c in range(4)]
    prior = x[-1000:]
    for c in range(4):
        ours = mmd(post[c], true[c])
        noise = abs(mmd(other[c], true[c]))
        wrong = min(mmd(true[c], true[k]) for k in range(4) if k != c)
        ignores_colour = mmd(prior, true[c])
        assert noise < ours or ours < 0.01    # sanity: the noise floor is far below
        assert ours < 0.1 * wrong, (c, ours, wrong)
        assert ours < 0.1 * ignores_colour, (c, ours, ignores_colour)


# --- issue 12: the loss's door, dtypes, ramp_until ---------------------------------------------


def _small_inverse():
    return InverseINN(4, 2, 2, n_blocks=1, hidden=(8,), seed=0)


@pytest.mark.parametrize("where", ["x", "y"])
@pytest.mark.parametrize("bad", [float("nan"), float("inf")])
def test_inverse_loss_refuses_non_finite_batches(where, bad):
    x, y = torch.randn(6, 4), torch.randn(6, 2)
    (x if where == "x" else y)[1, 0] = bad
    with pytest.raises(ValueError, match=r"^batch: contains NaN or infinite values"):
        InverseINNLoss(seed=0)(_small_inverse(), (x, y))
    if where == "x":   # a plain forward lets it through (documented)
        out, _ = _small_inverse()(x)
        assert bool(torch.isnan(out[1]).any()) or bool(torch.isinf(out[1]).any())


@pytest.mark.parametrize("n", [0, 1])
def test_inverse_loss_needs_two_samples_for_its_mmd_terms(n):
    with pytest.raises(ValueError, match=r"^batch: expected (at least 2 samples|a non-empty batch)"):
        InverseINNLoss(seed=0)(_small_inverse(), (torch.zeros(n, 4), torch.zeros(n, 2)))


def test_inverse_inn_inputs_name_x():
    model = _small_inverse()
    with pytest.raises(ValueError, match=r"^x: expected shape \(n, 4\)"):
        model(torch.zeros(3, 5))
    with pytest.raises(ValueError, match=r"^x: expected shape \(n, 4\)"):
        model(torch.zeros(3, 3), rev=True)
    with pytest.raises(ValueError, match=r"^x: has dtype torch.float64"):
        model(torch.zeros(3, 4, dtype=torch.float64))
    with pytest.raises(ValueError, match=r"^x: has dtype torch.float64"):
        InverseINNLoss(seed=0)(model, (torch.zeros(3, 4, dtype=torch.float64),
                                       torch.zeros(3, 2, dtype=torch.float64)))


@pytest.mark.parametrize("value", [0, 0.0, -0.5, 1.5, float("nan")])
def test_ramp_until_must_lie_in_zero_one(value):
    with pytest.raises(ValueError, match=r"^ramp_until:"):
        InverseINNLoss(ramp_start=0.01, ramp_until=value)


@pytest.mark.parametrize("seed", [-1, 2**64, 2**70, 1.5, True])
def test_seeds_outside_torchs_range_name_seed(seed):
    with pytest.raises(ValueError, match=r"^seed:"):
        InverseINNLoss(seed=seed)
    with pytest.raises(ValueError, match=r"^seed:"):
        InverseINN(2, 1, 1, n_blocks=1, hidden=(8,), seed=seed)
    with pytest.raises(ValueError, match=r"^seed:"):
        _small_inverse().posterior(torch.zeros(1, 2), 2, seed=seed)
