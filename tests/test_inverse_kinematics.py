"""The inverse-kinematics arm of thesis eq. 4.3-4.4."""

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
    lengths = torch.tensor([0.5, 0.5, 1.0], dtype=x.dtype)  # thesis 4.2.2
    assert torch.allclose(segment, lengths.expand(100, 3))


def test_prior_scales_and_log_density():
    x = ik.sample_prior(100_000, seed=0)
    assert torch.allclose(x.std(0), torch.tensor([0.25, 0.5, 0.5, 0.5]), rtol=0.02)  # thesis 4.2.2
    pts = x[:5].double()
    expected = sum(stats.norm.logpdf(pts[:, i].numpy(), scale=ik.PRIOR_STD[i]) for i in range(4))
    assert torch.allclose(ik.log_prior(pts), torch.from_numpy(expected), rtol=1e-12, atol=1e-12)
    expected32 = torch.from_numpy(expected).float()
    assert torch.allclose(ik.log_prior(pts.float()), expected32, rtol=1e-5, atol=1e-5)


def test_forward_is_differentiable_and_checks_shape():
    x = torch.zeros(2, 4, requires_grad=True)
    ik.forward(x).sum().backward()
    assert torch.isfinite(x.grad).all() and x.grad[:, 0].eq(1).all()  # dy1/dx1 = 1
    with pytest.raises(ValueError, match=r"^x: expected shape \(n, 4\)"):
        ik.forward(torch.zeros(3, 2))
    with pytest.raises(ValueError, match=r"^x: expected shape \(n, 4\)"):
        ik.log_prior(torch.zeros(4))
    with pytest.raises(ValueError, match=r"^n:"):
        ik.sample_prior(0)
    with pytest.raises(ValueError, match=r"^seed:"):
        ik.sample_prior(3, seed=-1)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_and_cpu_agree():
    x = ik.sample_prior(1000, seed=4).double()
    assert torch.allclose(ik.forward(x.cuda()).cpu(), ik.forward(x), rtol=1e-12, atol=1e-12)
    assert torch.allclose(ik.log_prior(x.cuda()).cpu(), ik.log_prior(x), rtol=1e-12, atol=1e-12)
