"""Surrogate regularizers against direct computations and Gaussian closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from infoplane.bottleneck import conditional_log_var, l2_activation, log_var

LOG_2PIE = math.log(2 * math.pi * math.e)
finite = st.floats(-10, 10, allow_nan=False, width=64)


def _direct_log_var(z: np.ndarray, eps: float = 1e-8) -> float:
    return sum(0.5 * (LOG_2PIE + math.log(np.var(z[:, i]) + eps)) for i in range(z.shape[1]))


def _direct_conditional_log_var(z: np.ndarray, y: np.ndarray, eps: float = 1e-8) -> float:
    total, weight = 0.0, 0
    for c in np.unique(y):
        zc = z[y == c]
        if len(zc) >= 2:
            total += len(zc) * _direct_log_var(zc, eps)
            weight += len(zc)
    return total / weight


@given(arrays(np.float64, st.tuples(st.integers(1, 20), st.integers(1, 5)), elements=finite))
def test_l2_activation_is_mean_squared_norm(z):
    expected = float(np.mean([np.dot(row, row) for row in z]))
    assert float(l2_activation(torch.from_numpy(z))) == pytest.approx(expected, rel=1e-12, abs=1e-12)


@given(arrays(np.float64, st.tuples(st.integers(2, 30), st.integers(1, 4)), elements=finite))
def test_log_var_matches_direct_computation(z):
    assert float(log_var(torch.from_numpy(z))) == pytest.approx(_direct_log_var(z), rel=1e-9, abs=1e-9)


@given(arrays(np.float64, st.tuples(st.integers(3, 30), st.integers(1, 4)),
              elements=st.floats(-10, 10, width=64)))
def test_log_var_bounds_the_gaussian_entropy_of_the_covariance(z):
    # Theorem 2 (appendix A.6): 1/2 ln det(2 pi e Cov) <= sum_i 1/2 ln(2 pi e Var_i)
    cov = np.atleast_2d(np.cov(z, rowvar=False, bias=True)) + 1e-8 * np.eye(z.shape[1])
    sign, logdet = np.linalg.slogdet(2 * math.pi * math.e * cov)
    if sign > 0:
        assert 0.5 * logdet <= float(log_var(torch.from_numpy(z))) + 1e-6


def test_log_var_against_gaussian_closed_form():
    gen = torch.Generator().manual_seed(0)
    std = torch.tensor([0.1, 1.0, 3.0], dtype=torch.float64)
    z = torch.randn(100_000, 3, generator=gen, dtype=torch.float64) * std
    expected = float((0.5 * torch.log(2 * math.pi * math.e * std**2)).sum())
    assert float(log_var(z)) == pytest.approx(expected, abs=0.02)


@given(st.data())
def test_conditional_log_var_matches_direct_computation(data):
    n = data.draw(st.integers(2, 40))
    d = data.draw(st.integers(1, 3))
    z = data.draw(arrays(np.float64, (n, d), elements=finite))
    # labels from a sparse set so classes go missing and some have a single sample
    y = data.draw(arrays(np.int64, (n,), elements=st.sampled_from([0, 3, 4, 9])))
    if not any((y == c).sum() >= 2 for c in np.unique(y)):
        expected = _direct_log_var(z)  # documented fallback to the unconditional bound
    else:
        expected = _direct_conditional_log_var(z, y)
    got = float(conditional_log_var(torch.from_numpy(z), torch.from_numpy(y)))
    assert got == pytest.approx(expected, rel=1e-9, abs=1e-9)


@given(st.data())
def test_conditional_bound_is_below_the_unconditional_one(data):
    # E_y ln Var[Z|y] <= ln E_y Var[Z|y] <= ln Var[Z]: the H[Z|Y] <= H[Z] ordering holds
    # for the bounds themselves when every class has >= 2 samples.
    k = data.draw(st.integers(1, 4))
    per = data.draw(st.integers(2, 10))
    z = data.draw(arrays(np.float64, (k * per, 2), elements=finite))
    y = np.repeat(np.arange(k), per)
    assert float(conditional_log_var(torch.from_numpy(z), torch.from_numpy(y))) <= \
        float(log_var(torch.from_numpy(z))) + 1e-9


def test_conditional_log_var_against_gaussian_closed_form():
    gen = torch.Generator().manual_seed(1)
    stds = torch.tensor([[0.5, 2.0], [1.0, 1.0], [3.0, 0.2]], dtype=torch.float64)
    counts = [20_000, 40_000, 40_000]
    y = torch.cat([torch.full((c,), i) for i, c in enumerate(counts)])
    z = torch.randn(len(y), 2, generator=gen, dtype=torch.float64) * stds[y] + 10 * y[:, None]
    per_class = (0.5 * torch.log(2 * math.pi * math.e * stds**2)).sum(1)
    expected = float((torch.tensor(counts, dtype=torch.float64) / sum(counts) * per_class).sum())
    assert float(conditional_log_var(z, y)) == pytest.approx(expected, abs=0.02)


def test_regularizers_are_differentiable():
    z = torch.randn(12, 3, requires_grad=True)
    y = torch.tensor([0, 0, 1, 1, 2, 2, 0, 1, 2, 5, 5, 7])  # class 7 has one sample
    for value in (l2_activation(z), log_var(z), conditional_log_var(z, y)):
        (grad,) = torch.autograd.grad(value, z)
        assert torch.isfinite(grad).all() and grad.abs().sum() > 0


def test_constant_feature_stays_finite():
    z = torch.zeros(5, 2)
    assert math.isfinite(float(log_var(z)))
    assert math.isfinite(float(conditional_log_var(z, torch.tensor([0, 0, 1, 1, 1]))))


def test_bad_inputs_name_the_argument():
    with pytest.raises(ValueError, match=r"^z:"):
        log_var(torch.zeros(1, 2))
    with pytest.raises(ValueError, match=r"^z:"):
        l2_activation(np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"^y:"):
        conditional_log_var(torch.zeros(4, 2), torch.tensor([0, 1]))
    with pytest.raises(ValueError, match=r"^y:"):
        conditional_log_var(torch.zeros(2, 2), torch.tensor([0.0, 1.0]))
    with pytest.raises(ValueError, match=r"^z:"):
        log_var(torch.zeros(2, 2, 2))


@pytest.mark.parametrize("bad", [math.nan, math.inf])
def test_non_finite_latents_name_z(bad):
    z = torch.randn(6, 2, generator=torch.Generator().manual_seed(0))
    z[1, 1] = bad
    y = torch.tensor([0, 1] * 3)
    for reg in (l2_activation, log_var):
        with pytest.raises(ValueError, match=r"^z: contains NaN or infinite values"):
            reg(z)
    with pytest.raises(ValueError, match=r"^z: contains NaN or infinite values"):
        conditional_log_var(z, y)
    with pytest.raises(ValueError, match=r"^y: expected integer class labels"):
        conditional_log_var(torch.zeros(6, 2), ["a"] * 6)
