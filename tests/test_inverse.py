"""Tests of infoplane.inn.inverse.InverseINN (thesis chapter 4)."""

from __future__ import annotations

import pytest
import torch
from torch.nn import functional as F

from infoplane.data import EIGHT_MODES_CENTERS, EIGHT_MODES_LABELS, eight_modes
from infoplane.inn import InverseINN, InverseLossWeights
from infoplane.metrics import mmd


def _trained_on_noise(model, steps=3):
    """Give the coupling subnets non-zero weights so the map is not the identity."""
    g = torch.Generator().manual_seed(0)
    with torch.no_grad():
        for p in model.parameters():
            p.add_(0.1 * torch.randn(p.shape, generator=g))
    return model


@pytest.mark.parametrize("dims", [(4, 2, 2, None), (2, 4, 2, 8), (3, 1, 1, 5)])
def test_padded_map_is_invertible_and_shapes(dims):
    dim_x, dim_y, dim_z, total = dims
    model = _trained_on_noise(InverseINN(dim_x, dim_y, dim_z, total, n_blocks=2, hidden=16, seed=0))
    x = torch.randn(7, dim_x, generator=torch.Generator().manual_seed(1))
    out = model(x)
    assert out.shape == (7, model.dim_total)
    back = model(out, rev=True)
    assert torch.allclose(back[:, :dim_x], x, atol=1e-5)
    assert torch.allclose(back[:, dim_x:], torch.zeros(7, model.pad_x), atol=1e-5)   # x padding: zeros
    y_out, z_out = out[:, :dim_y], out[:, dim_y:dim_y + dim_z]
    assert torch.allclose(model.forward_predict(x), y_out)
    pad = out[:, dim_y + dim_z:]
    assert torch.allclose(model.inverse(y_out, z_out, pad), x, atol=1e-5)
    post = model.posterior(torch.zeros(3, dim_y), 11, seed=0)
    assert post.shape == (3, 11, dim_x)
    assert torch.equal(post, model.posterior(torch.zeros(3, dim_y), 11, seed=0))


def test_lz_gradient_does_not_reach_the_y_outputs():
    # with only L_z switched on, the gradient with respect to f_y(x) must be zero (4.1.2)
    model = _trained_on_noise(InverseINN(2, 1, 1, n_blocks=2, hidden=8, seed=0))
    x = torch.randn(32, 2, generator=torch.Generator().manual_seed(2))
    y = x.sum(1, keepdim=True)
    seen = {}
    original = model._split_out

    def spy(out):
        out.register_hook(lambda g: seen.setdefault("grad", g))
        return original(out)

    model._split_out = spy
    w = InverseLossWeights(y=0.0, z=1.0, x=0.0, pad=0.0, rec=0.0)
    loss, terms = model.loss(x, y, weights=w, generator=torch.Generator().manual_seed(0))
    loss.backward()
    grad = seen["grad"]
    assert grad[:, 0].abs().max() == 0.0                # the y output
    assert grad[:, 1].abs().max() > 0.0                 # the z output
    assert set(terms) == {"L_y", "L_z", "L_x", "L_pad", "L_rec", "ramp"}


def test_ramp_up_of_lx():
    model = InverseINN(2, 1, 1, n_blocks=1, hidden=8, seed=0)
    x = torch.randn(16, 2)
    y = x.sum(1, keepdim=True)
    for progress, expected in [(0.0, 0.01), (0.45, 0.1), (0.9, 1.0), (1.0, 1.0)]:
        model._progress = progress
        _, terms = model.loss(x, y, ramp_start=0.01, ramp_until=0.9)
        assert terms["ramp"] == pytest.approx(expected)


def test_bad_arguments_are_named():
    with pytest.raises(ValueError, match="dim_total"):
        InverseINN(4, 2, 2, dim_total=3)
    with pytest.raises(ValueError, match="mixing"):
        InverseINN(4, 2, 2, mixing="haar")
    with pytest.raises(ValueError, match="y_loss"):
        InverseINN(4, 2, 2, y_loss="hinge")
    model = InverseINN(4, 2, 2, n_blocks=1, hidden=8)
    with pytest.raises(ValueError, match="y"):
        model.posterior(torch.zeros(3, 3), 2)
    with pytest.raises(ValueError, match="x"):
        model.forward_predict(torch.zeros(3, 3))
    with pytest.raises(ValueError, match="loss_options"):
        model.fit(torch.zeros(10, 4), torch.zeros(10, 2), epochs=1, bandwith=1.0)
    with pytest.raises(ValueError, match="weights.z"):
        InverseLossWeights(z=-1.0)


@pytest.fixture(scope="module")
def eight_mode_inn():
    """A CI-sized INN on the 8-mode toy (thesis 4.2.1, B.5.1: 3 blocks, padding to 16)."""
    x, labels, _ = eight_modes(16_000, seed=0)
    model = InverseINN(2, 4, 2, dim_total=16, n_blocks=3, hidden=64, seed=0)
    threads = torch.get_num_threads()
    torch.set_num_threads(1)   # tiny matrices: extra threads only add contention on a busy CPU
    try:
        model.fit(x, F.one_hot(labels, 4).float(), epochs=25, batch_size=200, lr=5e-3, lr_end=5e-5,
                  y_noise=0.1, pad_noise=0.05, bandwidths_z=(0.05, 0.2, 0.9),
                  bandwidths_x=(0.05, 0.2, 0.9), seed=0, device="cpu")
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
