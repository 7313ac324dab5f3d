"""The inverse-kinematics arm of the thesis (section 4.2.2, eq. 4.3-4.4).

An arm slides vertically along a rail (x1) and turns at three joints (x2, x3, x4).
Priors: x_i ~ N(0, sigma_i) with sigma = (0.25, 0.5, 0.5, 0.5); segment lengths
l = (0.5, 0.5, 1.0). The forward process maps the configuration x to the end point y.

Examples
--------
>>> from infoplane.data import inverse_kinematics as ik
>>> x = ik.sample_prior(4, seed=0)
>>> tuple(ik.forward(x).shape)
(4, 2)
"""

from __future__ import annotations

import numpy as np
import torch
from numpy.typing import ArrayLike

from infoplane._gaussian import diagonal_normal_log_prob
from infoplane._validation import check_int, check_seed

PRIOR_STD = (0.25, 0.5, 0.5, 0.5)
LENGTHS = (0.5, 0.5, 1.0)


def sample_prior(n: int, seed: int = 0) -> torch.Tensor:
    """Draw ``n`` arm configurations from the prior; returns (n, 4) float32."""
    n = check_int(n, "n", minimum=1)
    gen = torch.Generator().manual_seed(check_seed(seed))
    return torch.randn(n, 4, generator=gen) * torch.tensor(PRIOR_STD)


def log_prior(x: torch.Tensor) -> torch.Tensor:
    """Log density of the prior at ``x`` (n, 4), in nats; returns (n,)."""
    x = _check_x(x)
    std = torch.tensor(PRIOR_STD, dtype=x.dtype, device=x.device)
    return diagonal_normal_log_prob(x, 0.0, 2.0 * torch.log(std))


def joint_positions(x: torch.Tensor) -> torch.Tensor:
    """Positions of the rail point, the two inner joints and the end point.

    Returns (n, 4, 2): point 0 is (x1, 0) on the rail (the first coordinate of y,
    eq. 4.3), then each joint; the arm reaches along the second coordinate and the
    last point equals :func:`forward`.
    """
    x = _check_x(x)
    l1, l2, l3 = LENGTHS
    a1 = x[:, 1]
    a2 = x[:, 2] - x[:, 1]
    a3 = x[:, 3] - x[:, 1] - x[:, 2]
    p0 = torch.stack([x[:, 0], torch.zeros_like(x[:, 0])], 1)
    p1 = p0 + l1 * torch.stack([torch.sin(a1), torch.cos(a1)], 1)
    p2 = p1 + l2 * torch.stack([torch.sin(a2), torch.cos(a2)], 1)
    p3 = p2 + l3 * torch.stack([torch.sin(a3), torch.cos(a3)], 1)
    return torch.stack([p0, p1, p2, p3], 1)


def forward(x: torch.Tensor) -> torch.Tensor:
    """End point y of the arm (eq. 4.3-4.4); differentiable, any device; (n, 4) -> (n, 2).

    y1 = x1 + l1 sin(x2) + l2 sin(x3 - x2) + l3 sin(x4 - x2 - x3)
    y2 =      l1 cos(x2) + l2 cos(x3 - x2) + l3 cos(x4 - x2 - x3)
    """
    return joint_positions(x)[:, -1]


def _check_x(x: ArrayLike | torch.Tensor) -> torch.Tensor:
    if not isinstance(x, torch.Tensor):
        try:
            arr = np.asarray(x)
        except (TypeError, ValueError):
            raise ValueError("x: expected an array of shape (n, 4)") from None
        if arr.dtype.kind not in "biuf":
            raise ValueError(f"x: expected real numbers, got dtype {arr.dtype}")
        x = torch.as_tensor(arr)
    if x.is_complex():
        raise ValueError(f"x: expected real numbers, got dtype {x.dtype}")
    if x.ndim != 2 or x.shape[1] != 4:
        raise ValueError(f"x: expected shape (n, 4), got {tuple(x.shape)}")
    if not x.is_floating_point():
        x = x.float()
    if not bool(torch.isfinite(x).all()):
        raise ValueError("x: contains NaN or infinite values")
    return x
