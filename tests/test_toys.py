"""Toy generators: correlated Gaussians, the 8-mode mixture, the 12-bit task."""

import numpy as np
import pytest
import torch
from scipy import stats

from infoplane.data import (
    EIGHT_MODES_CENTERS,
    EIGHT_MODES_LABELS,
    EIGHT_MODES_STD,
    correlated_gaussians,
    eight_modes,
    twelve_bit_task,
)


@pytest.mark.parametrize("d, rho", [(1, 0.9), (3, 0.5), (2, -0.7)])
def test_correlated_gaussians_mi_matches_the_sample_covariance(d, rho):
    x, y, exact = correlated_gaussians(200_000, d=d, rho=rho, seed=1)
    assert x.shape == y.shape == (200_000, d) and x.dtype == np.float64
    # Gaussian MI from the (estimated) covariance: 1/2 ln(det Sxx det Syy / det S).
    cov = np.cov(np.hstack([x, y]).T)
    logdet = lambda m: np.linalg.slogdet(m)[1]  # noqa: E731
    from_cov = 0.5 * (logdet(cov[:d, :d]) + logdet(cov[d:, d:]) - logdet(cov))
    assert exact == pytest.approx(from_cov, abs=0.01)
    # and from scipy's entropies of the population Gaussians: I = H(X) + H(Y) - H(X, Y)
    joint = np.block([[np.eye(d), rho * np.eye(d)], [rho * np.eye(d), np.eye(d)]])
    h = lambda c: stats.multivariate_normal(np.zeros(len(c)), c).entropy()  # noqa: E731
    assert exact == pytest.approx(2 * h(np.eye(d)) - h(joint), rel=1e-10)


def test_correlated_gaussians_seed_and_validation():
    a, b = correlated_gaussians(10, seed=3)[0], correlated_gaussians(10, seed=3)[0]
    assert np.array_equal(a, b)
    assert not np.array_equal(a, correlated_gaussians(10, seed=4)[0])
    for kwargs, name in (({"rho": 1.0}, "rho"), ({"d": 0}, "d"), ({"n": 0}, "n"), ({"seed": -1}, "seed")):
        with pytest.raises(ValueError, match=rf"^{name}:"):
            correlated_gaussians(**{"n": 10, **kwargs})


def test_eight_modes_components_labels_and_spread():
    x, labels, comp = eight_modes(40_000, seed=0)
    assert x.shape == (40_000, 2) and x.dtype == torch.float32
    assert torch.equal(labels, EIGHT_MODES_LABELS[comp])
    # the octagon: all centres at the same radius, neighbours 2 apart
    radius = EIGHT_MODES_CENTERS.norm(dim=1)
    assert torch.allclose(radius, radius[0].expand(8), atol=1e-3)
    sides = (EIGHT_MODES_CENTERS - EIGHT_MODES_CENTERS.roll(1, 0)).norm(dim=1)
    assert torch.allclose(sides, torch.full((8,), 2.0), atol=1e-3)
    for j in range(8):
        pts = x[comp == j]
        assert torch.allclose(pts.mean(0), EIGHT_MODES_CENTERS[j], atol=0.02)
        assert torch.allclose(pts.std(0), torch.full((2,), EIGHT_MODES_STD), atol=0.02)
    share = torch.bincount(labels, minlength=4).float() / len(labels)
    assert torch.allclose(share, torch.tensor([4, 2, 1, 1]) / 8, atol=0.01)


def test_eight_modes_seeded():
    assert torch.equal(eight_modes(50, seed=7)[0], eight_modes(50, seed=7)[0])


def test_twelve_bit_task_patterns_and_label_entropy():
    x, y = twelve_bit_task()
    assert x.shape == (4096, 12) and y.shape == (4096,)
    assert len({tuple(row) for row in x.int().tolist()}) == 4096  # every pattern once
    p = y.double().mean()
    h_bits = float(-(p * p.log2() + (1 - p) * (1 - p).log2()))
    assert h_bits > 0.999  # deterministic label, so I(X;Y) = H(Y) close to 1 bit


def test_twelve_bit_rule_is_symmetric():
    x, y = twelve_bit_task()
    index = lambda bits: (bits.long() << torch.arange(12)).sum(1)  # noqa: E731
    # the dipole is unchanged by flipping every spin, so the label is too
    assert torch.equal(y[index(1 - x)], y)
    # and by the icosahedron's point reflection v -> -v, which pairs vertices
    from infoplane.data.toys import _icosahedron

    v = _icosahedron()
    partner = [int(np.argmin(np.linalg.norm(v + v[i], axis=1))) for i in range(12)]
    assert torch.equal(y[index(x[:, partner])], y)
