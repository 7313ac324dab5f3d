"""The inverse-kinematics arm of thesis eq. 4.3-4.4."""

import math

import pytest
import torch
from scipy import stats

from infoplane.data import inverse_kinematics as ik


def test_straight_arm_points_up_the_y2_axis():
    x = torch.tensor([[0.3, 0.0, 0.0, 0.0]])
    assert torch.allclose(ik.forward(x), torch.tensor([[0.3, 2.0]]))


def test_forward_matches_equations_4_3_and_4_4():
    x = ik.sample_prior(100, seed=2).double()
    x1, x2, x3, x4 = x.T
    l1, l2, l3 = ik.LENGTHS
    y1 = x1 + l1 * torch.sin(x2) + l2 * torch.sin(x3 - x2) + l3 * torch.sin(x4 - x2 - x3)
    y2 = l1 * torch.cos(x2) + l2 * torch.cos(x3 - x2) + l3 * torch.cos(x4 - x2 - x3)
    assert torch.allclose(ik.forward(x), torch.stack([y1, y2], 1))
    joints = ik.joint_positions(x)
    segment = (joints[:, 1:] - joints[:, :-1]).norm(dim=2)
    assert torch.allclose(segment, torch.tensor(ik.LENGTHS, dtype=x.dtype).expand(100, 3))


def test_prior_scales_and_log_density():
    x = ik.sample_prior(100_000, seed=0)
    assert torch.allclose(x.std(0), torch.tensor(ik.PRIOR_STD), rtol=0.02)
    pts = x[:5].double()
    expected = sum(stats.norm.logpdf(pts[:, i].numpy(), scale=ik.PRIOR_STD[i]) for i in range(4))
    assert torch.allclose(ik.log_prior(pts), torch.from_numpy(expected))
    assert math.isclose(ik.PRIOR_STD[1], 0.5) and ik.LENGTHS == (0.5, 0.5, 1.0)


def test_forward_is_differentiable_and_checks_shape():
    x = torch.zeros(2, 4, requires_grad=True)
    ik.forward(x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad[:, 0].eq(1).all()  # dy1/dx1 = 1
    with pytest.raises(ValueError, match="x"):
        ik.forward(torch.zeros(3, 2))
