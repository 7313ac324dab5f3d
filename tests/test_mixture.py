"""estimators.mixture: the exact-mixture information plane against closed forms and numerical integration."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from scipy import integrate, stats

from infoplane.estimators.mixture import mixture_information


def test_two_inputs_one_dimension_match_numerical_integration() -> None:
    # X uniform on {-a, a}, Z = X + N(0, s^2): I(X;Z) = h(Z) - h(Z|X), h(Z) by quadrature
    a, s = 1.0, 0.8
    density = lambda z: 0.5 * (stats.norm.pdf(z, -a, s) + stats.norm.pdf(z, a, s))  # noqa: E731
    h_z = -integrate.quad(lambda z: density(z) * math.log(density(z)), -12, 12)[0]
    truth = h_z - 0.5 * math.log(2 * math.pi * math.e * s * s)
    est = mixture_information(np.array([[-a], [a]]), noise_variance=s * s, samples=20_000, seed=1)
    assert est.h_z_given_x == pytest.approx(0.5 * math.log(2 * math.pi * math.e * s * s), abs=1e-12)
    assert abs(est.i_xz - truth) < 4 * est.se_i_xz
    assert est.h_z == pytest.approx(h_z, abs=4 * est.se_i_xz)
    assert est.se_i_xz < 0.01


def test_bounds_hold_by_construction() -> None:
    rng = np.random.default_rng(0)
    means = rng.normal(size=(300, 3)) * 50           # far apart: I(X;Z) -> ln n
    y = rng.integers(0, 4, size=300)
    est = mixture_information(means, noise_variance=1 / (2 * math.pi * math.e), y=y, samples=5, seed=0)
    assert est.i_xz <= math.log(300) + 1e-12 and est.i_xz > math.log(300) - 0.01
    assert est.h_z_given_x == pytest.approx(0.0, abs=1e-12)      # zero-entropy noise
    counts = np.bincount(y) / 300
    assert est.h_y == pytest.approx(float(-(counts * np.log(counts)).sum()))
    assert est.i_zy <= est.h_y + 1e-12 and est.i_zy > est.h_y - 0.01
    assert est.h_z_given_y == pytest.approx(est.h_z - est.i_zy)


def test_identical_inputs_carry_no_information() -> None:
    est = mixture_information(np.zeros((50, 2)), noise_variance=0.3, y=np.arange(50) % 2, samples=10)
    assert est.i_xz == pytest.approx(0.0, abs=1e-12)
    assert est.i_zy == pytest.approx(0.0, abs=1e-12)


def test_labels_equal_to_the_inputs_give_i_zy_equal_to_i_xz() -> None:
    rng = np.random.default_rng(3)
    means = rng.normal(size=(40, 2))
    est = mixture_information(means, noise_variance=0.5, y=np.arange(40), samples=50, seed=2)
    assert est.i_zy == pytest.approx(est.i_xz, abs=1e-12)


def test_per_input_variances_match_a_direct_monte_carlo() -> None:
    rng = np.random.default_rng(4)
    means, log_var = rng.normal(size=(6, 2)), rng.normal(size=(6, 2)) * 0.5
    est = mixture_information(means, log_var=log_var, samples=4000, seed=5)
    # direct: sample each component, average log p(z|x_i) - log (1/n sum_j p(z|x_j)) with scipy
    gen = np.random.default_rng(6)
    terms = []
    for i in range(6):
        z = means[i] + np.exp(0.5 * log_var[i]) * gen.normal(size=(4000, 2))
        comps = np.stack([stats.multivariate_normal(means[j], np.diag(np.exp(log_var[j]))).logpdf(z)
                          for j in range(6)], axis=1)
        terms.append(comps[:, i] - (np.logaddexp.reduce(comps, axis=1) - math.log(6)))
    direct = float(np.concatenate(terms).mean())
    assert abs(est.i_xz - direct) < 4 * est.se_i_xz * math.sqrt(2)
    h = float((0.5 * (math.log(2 * math.pi * math.e) + log_var)).sum(1).mean())
    assert est.h_z_given_x == pytest.approx(h, abs=1e-12)


def test_chunking_and_shifting_do_not_change_the_result() -> None:
    rng = np.random.default_rng(7)
    means, y = rng.normal(size=(120, 4)), rng.integers(0, 3, size=120)
    whole = mixture_information(means, noise_variance=0.2, y=y, samples=3, seed=0)
    chunked = mixture_information(means, noise_variance=0.2, y=y, samples=3, seed=0, max_elements=500)
    shifted = mixture_information(means + 1e6, noise_variance=0.2, y=y, samples=3, seed=0)
    for other in (chunked, shifted):
        assert other.i_xz == pytest.approx(whole.i_xz, abs=1e-9)
        assert other.i_zy == pytest.approx(whole.i_zy, abs=1e-9)


def test_torch_input_and_bad_arguments() -> None:
    est = mixture_information(torch.randn(30, 2), noise_variance=1.0, samples=2)
    assert est.n == 30 and est.bound_xz == pytest.approx(math.log(30))
    with pytest.raises(ValueError, match=r"^noise_variance:"):
        mixture_information(np.zeros((3, 1)))
    with pytest.raises(ValueError, match=r"^mean:"):
        mixture_information(np.zeros((1, 2)), noise_variance=1.0)
    with pytest.raises(ValueError, match=r"^mean:"):
        mixture_information(np.zeros((3, 2)) + 1j, noise_variance=1.0)
    with pytest.raises(ValueError, match=r"^log_var:"):
        mixture_information(np.zeros((3, 2)), log_var=np.zeros(3))
    with pytest.raises(ValueError, match=r"^y:"):
        mixture_information(np.zeros((3, 2)), noise_variance=1.0, y=[0, 1])


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_agrees_with_cpu() -> None:
    means = torch.randn(200, 3, dtype=torch.float64)
    cpu = mixture_information(means, noise_variance=0.3, y=torch.arange(200) % 3, samples=4, seed=0)
    gpu = mixture_information(means.cuda(), noise_variance=0.3, y=torch.arange(200) % 3, samples=4, seed=0)
    assert gpu.i_xz == pytest.approx(cpu.i_xz, abs=1e-9) and gpu.i_zy == pytest.approx(cpu.i_zy, abs=1e-9)
