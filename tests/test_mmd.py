"""Tests of infoplane.metrics.mmd against closed forms and identities."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st

from infoplane.metrics import kernel_matrix, mmd


def _gauss(n, d, mean, std, seed):
    g = torch.Generator().manual_seed(seed)
    return mean + std * torch.randn(n, d, generator=g, dtype=torch.float64)


def _gaussian_kernel_expectation(delta2, var_sum, h, d):
    """E exp(-||X - Y||^2 / (2 h^2)) for X - Y ~ N(delta, var_sum I_d)."""
    s = h * h + var_sum
    return (h * h / s) ** (d / 2) * math.exp(-delta2 / (2 * s))


def _closed_form_mmd2(mu, s1, s2, h, d):
    """Population MMD^2 (Gaussian kernel) between N(0, s1^2 I) and N(mu 1, s2^2 I)."""
    kxx = _gaussian_kernel_expectation(0.0, 2 * s1 * s1, h, d)
    kyy = _gaussian_kernel_expectation(0.0, 2 * s2 * s2, h, d)
    kxy = _gaussian_kernel_expectation(d * mu * mu, s1 * s1 + s2 * s2, h, d)
    return kxx + kyy - 2 * kxy


def test_identical_samples_give_zero():
    a = _gauss(300, 3, 0.0, 1.0, 0)
    assert mmd(a, a, estimator="biased") == 0.0
    # the U-statistic of a sample with itself is -2 (mean off-diagonal - mean all) = O(1/n)
    assert abs(mmd(a, a)) < 2.0 / 300


def test_grows_with_shift():
    a = _gauss(400, 2, 0.0, 1.0, 1)
    b = _gauss(400, 2, 0.0, 1.0, 2)
    values = [mmd(a, b + s) for s in (0.0, 0.25, 0.5, 1.0, 2.0)]
    assert all(x < y for x, y in zip(values, values[1:], strict=False))
    assert abs(values[0]) < 0.01 < values[2]


@pytest.mark.parametrize("kernel", ["gaussian", "inverse_multiquadratic"])
def test_large_sample_matches_closed_form_or_is_consistent(kernel):
    # Gaussian kernel: compare with the closed form; IMQ: two sample sizes agree.
    h, d, mu, s1, s2 = 1.0, 2, 0.5, 1.0, 0.7
    a = _gauss(3000, d, 0.0, s1, 3)
    b = _gauss(3000, d, mu, s2, 4)
    est = mmd(a, b, kernel=kernel, bandwidths=h)
    if kernel == "gaussian":
        # the estimate's standard deviation under the alternative is ~ 4 sqrt(Var h) / sqrt(n) ~ 0.004
        assert est == pytest.approx(_closed_form_mmd2(mu, s1, s2, h, d), abs=0.012)
    else:
        small = mmd(a[:1000], b[:1000], kernel=kernel, bandwidths=h)
        assert est == pytest.approx(small, abs=0.01) and est > 0.01


def test_unbiased_estimator_is_unbiased_and_biased_one_is_not():
    # Gaussian kernel between N(0, 1) and N(0.5, 0.7^2) in 2-D: mean of many tiny-sample
    # estimates vs the closed-form population value.
    h, d, mu, s1, s2, n, reps = 1.0, 2, 0.5, 1.0, 0.7, 6, 3000
    g = torch.Generator().manual_seed(5)
    truth = _closed_form_mmd2(mu, s1, s2, h, d)
    unbiased, biased = [], []
    for _ in range(reps):
        a = s1 * torch.randn(n, d, generator=g, dtype=torch.float64)
        b = mu + s2 * torch.randn(n, d, generator=g, dtype=torch.float64)
        unbiased.append(mmd(a, b, "gaussian", h))
        biased.append(mmd(a, b, "gaussian", h, estimator="biased"))
    u, v = np.array(unbiased), np.array(biased)
    se = u.std(ddof=1) / math.sqrt(reps)
    assert abs(u.mean() - truth) < 4 * se
    assert v.mean() - truth > 10 * v.std(ddof=1) / math.sqrt(reps)


def brute_mmd2(a, b, kernel, h, estimator):
    """Gretton et al. (2012) eqs. 3 and 5 from explicit NumPy kernel matrices."""
    def k(u, v):
        d2 = ((u[:, None, :] - v[None, :, :]) ** 2).sum(-1)
        return np.exp(-d2 / (2 * h * h)) if kernel == "gaussian" else h * h / (h * h + d2)

    kaa, kbb, kab = k(a, a), k(b, b), k(a, b)
    n, m = len(a), len(b)
    if estimator == "biased":
        return kaa.mean() + kbb.mean() - 2 * kab.mean()
    off = lambda g, size: (g.sum() - np.trace(g)) / (size * (size - 1))  # noqa: E731
    return off(kaa, n) + off(kbb, m) - 2 * kab.mean()


@pytest.mark.parametrize("kernel", ["gaussian", "inverse_multiquadratic"])
@pytest.mark.parametrize("estimator", ["unbiased", "biased"])
def test_equals_brute_force(kernel, estimator):
    a = _gauss(40, 3, 0.0, 1.0, 11).numpy()
    b = _gauss(25, 3, 0.4, 1.2, 12).numpy()
    assert mmd(a, b, kernel, 0.7, estimator=estimator) == pytest.approx(
        brute_mmd2(a, b, kernel, 0.7, estimator), rel=1e-10, abs=1e-12)


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_and_cpu_agree():
    a, b = _gauss(500, 3, 0.0, 1.0, 13), _gauss(400, 3, 0.5, 1.0, 14)
    for estimator in ("unbiased", "biased"):
        assert mmd(a.cuda(), b.cuda(), estimator=estimator) == pytest.approx(
            mmd(a, b, estimator=estimator), rel=1e-9, abs=1e-12)


def test_kernel_matrix_formulas():
    a = torch.tensor([[0.0, 0.0]], dtype=torch.float64)
    b = torch.tensor([[3.0, 4.0]], dtype=torch.float64)   # distance 5
    imq = kernel_matrix(a, b, "inverse_multiquadratic", (1.0, 2.0))
    assert float(imq) == pytest.approx((1 / (1 + 25) + 4 / (4 + 25)) / 2)
    gau = kernel_matrix(a, b, "gaussian", 5.0)
    assert float(gau) == pytest.approx(math.exp(-0.5))


@given(st.integers(1, 40), st.integers(0, 10_000))
def test_chunking_and_symmetry(max_elements, seed):
    a = _gauss(13, 2, 0.0, 1.0, seed)
    b = _gauss(9, 2, 0.3, 1.5, seed + 1)
    for est in ("unbiased", "biased"):
        full = mmd(a, b, estimator=est)
        assert mmd(a, b, estimator=est, max_elements=max_elements) == pytest.approx(full, abs=1e-12)
        assert mmd(b, a, estimator=est) == pytest.approx(full, abs=1e-12)


def test_differentiable_gradients_are_finite_at_coincident_points():
    a = torch.zeros(5, 2, requires_grad=True)
    b = torch.randn(7, 2, generator=torch.Generator().manual_seed(0))
    value = mmd(a, b, differentiable=True)
    assert isinstance(value, torch.Tensor) and value.ndim == 0
    value.backward()
    assert torch.isfinite(a.grad).all() and a.grad.abs().sum() > 0


def test_numpy_and_torch_agree():
    a = _gauss(50, 2, 0.0, 1.0, 7)
    b = _gauss(60, 2, 1.0, 1.0, 8)
    assert mmd(a.numpy(), b.numpy()) == pytest.approx(mmd(a, b), abs=1e-12)


@pytest.mark.parametrize("kwargs, name", [
    ({"kernel": "laplace"}, "kernel"),
    ({"bandwidths": ()}, "bandwidths"),
    ({"bandwidths": -1.0}, "bandwidths"),
    ({"estimator": "v"}, "estimator"),
    ({"max_elements": 0}, "max_elements"),
])
def test_bad_arguments_are_named(kwargs, name):
    a = torch.randn(10, 2)
    with pytest.raises(ValueError, match=rf"^{name}:"):
        mmd(a, a, **kwargs)


def test_bad_samples_are_named():
    a = torch.randn(10, 2)
    with pytest.raises(ValueError, match=r"^b: expected 2 features"):
        mmd(a, torch.randn(10, 3))
    with pytest.raises(ValueError, match=r"^a: contains NaN"):
        mmd(torch.tensor([[float("nan"), 0.0], [0.0, 0.0]]), a)
    with pytest.raises(ValueError, match=r"^a: needs at least 2 samples"):
        mmd(torch.randn(1, 2), a)
    with pytest.raises(ValueError, match=r"^b: needs at least 2 samples"):
        mmd(a, torch.randn(1, 2))


# ---------------------------------------------------------------- issue 12 regressions


def _two_samples(dtype=torch.float32):
    g = torch.Generator().manual_seed(0)
    a = torch.randn(300, 2, generator=g, dtype=torch.float64)
    b = 1.2 * torch.randn(300, 2, generator=g, dtype=torch.float64) + 0.1
    return a.to(dtype), b.to(dtype)


@pytest.mark.parametrize(("dtype", "shift", "tol"), [(torch.float32, 1e4, 2e-4), (torch.float64, 1e8, 1e-9)])
def test_mmd_is_shift_invariant(dtype, shift, tol):
    # issue 12, item 7: the |a|^2 + |b|^2 - 2ab form lost the digits of float32 data near
    # 1e4 (the MMD fell from 0.0068 to -0.0003 here). The tolerance is the float
    # resolution of the shifted inputs, not of the arithmetic.
    a, b = _two_samples(dtype)
    near = mmd(a, b)
    assert near > 0.003
    assert mmd(a + shift, b + shift) == pytest.approx(near, abs=tol)
    biased = mmd(a, b, estimator="biased")
    assert mmd(a + shift, b + shift, estimator="biased") == pytest.approx(biased, abs=tol)


@pytest.mark.parametrize(("dtype", "shift", "tol"), [(torch.float32, 1e4, 5e-3), (torch.float64, 1e8, 1e-7)])
def test_kernel_matrix_is_shift_invariant(dtype, shift, tol):
    # issue 12, item 7: entries moved by up to 0.97 for float32 data shifted by 1e4
    a, b = _two_samples(dtype)
    moved = (kernel_matrix(a + shift, b + shift) - kernel_matrix(a, b)).abs().max()
    assert moved < tol


def test_mmd_refuses_bandwidths_whose_squares_leave_the_float_range():
    # issue 12, item 12: bandwidths=1e-200 gave NaN (h^2 underflows to 0: 0 / 0)
    a, b = _two_samples(torch.float64)
    for kernel in ("imq", "gaussian"):
        with pytest.raises(ValueError, match=r"^bandwidths: 1e-200 is outside"):
            mmd(a, b, kernel, bandwidths=1e-200)
        with pytest.raises(ValueError, match=r"^bandwidths: 1e\+200 is outside"):
            mmd(a, b, kernel, bandwidths=1e200)
    with pytest.raises(ValueError, match=r"^bandwidths: 1e-20 is outside"):
        mmd(a.float(), b.float(), bandwidths=1e-20)  # float32 h^2 = 1e-40 is subnormal
    with pytest.raises(ValueError, match=r"^bandwidths: 1e-200 is outside"):
        kernel_matrix(a, b, bandwidths=1e-200)
    assert math.isfinite(mmd(a, b, bandwidths=1e-100))  # small but representable: fine


def test_mmd_of_overflowing_distances_is_an_error_not_nan():
    a, b = _two_samples(torch.float64)
    with pytest.raises(ValueError, match=r"^a: the MMD is nan"):
        mmd(a * 1e200, b * 1e200)


def test_complex_and_mismatched_inputs_are_refused_by_name():
    # issue 12, items 6 and 9: complex data were made real; kernel_matrix with different
    # feature counts raised torch's RuntimeError
    a, b = _two_samples()
    with pytest.raises(ValueError, match=r"^a: expected real numbers"):
        mmd(a + 1j, b)
    with pytest.raises(ValueError, match=r"^b: expected real numbers"):
        kernel_matrix(a, b.numpy() + 1j)
    with pytest.raises(ValueError, match=r"^b: expected 2 features like a, got 3"):
        kernel_matrix(a, torch.zeros(4, 3))
    ints = torch.randint(0, 3, (50, 2))  # ints and float16 are cast, as before
    assert math.isfinite(mmd(ints, ints.half()))
