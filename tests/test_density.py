"""bits/dim conversions and the diagonal-Gaussian baseline against closed forms."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch
from hypothesis import given
from hypothesis import strategies as st
from scipy import stats

from infoplane.metrics import (
    bits_per_dim,
    diagonal_gaussian_nll,
    discrete_bits_per_dim,
    nll_from_bits_per_dim,
)


def test_standard_normal_entropy_in_bits_per_dim():
    # NLL of N(0, I_D) in expectation is D/2 log(2 pi e) nats: bits/dim is 1/2 log2(2 pi e)
    d = 64
    assert bits_per_dim(d * 0.5 * math.log(2 * math.pi * math.e), d) == pytest.approx(
        0.5 * math.log2(2 * math.pi * math.e))


def test_dequantised_histogram_gives_the_discrete_entropy():
    # a pmf p over 4 bins of width 1/4 on [0, 1], dequantised uniformly: the continuous density is
    # p_k / (1/4) on bin k, so its NLL is H(p) + log(1/4) nats and bin_width recovers H(p) in bits
    p = np.array([0.1, 0.2, 0.3, 0.4])
    entropy_bits = float(-(p * np.log2(p)).sum())
    continuous_nll = float(-(p * np.log(p / 0.25)).sum())
    assert bits_per_dim(continuous_nll, 1, bin_width=0.25) == pytest.approx(entropy_bits)


def test_flat_density_on_the_unit_cube_is_eight_bits_for_bytes():
    assert bits_per_dim(0.0, 784, bin_width=1 / 256) == pytest.approx(8.0)


@given(nll=st.floats(-1e4, 1e4), d=st.integers(1, 5000), width=st.one_of(st.none(), st.floats(1e-3, 10)))
def test_round_trip(nll, d, width):
    back = nll_from_bits_per_dim(bits_per_dim(nll, d, bin_width=width), d, bin_width=width)
    assert back == pytest.approx(nll, rel=1e-9, abs=1e-6)


def test_tensors_and_arrays_pass_through():
    # the NLL of a uniform density on [0, 2^b]^D is D b ln 2 nats: exactly b bits per dimension
    t = torch.tensor([10 * 1 * math.log(2), 10 * 3 * math.log(2)], dtype=torch.float64)
    out = bits_per_dim(t, 10)
    assert isinstance(out, torch.Tensor) and out.dtype == torch.float64
    torch.testing.assert_close(out, torch.tensor([1.0, 3.0], dtype=torch.float64))
    a = bits_per_dim(np.array([10.0, 20.0]), 10)
    assert isinstance(a, np.ndarray)
    np.testing.assert_allclose(a, [bits_per_dim(10.0, 10), bits_per_dim(20.0, 10)], rtol=1e-15)
    assert float(bits_per_dim(10.0, 10)) == pytest.approx(np.log2(np.e), rel=1e-12)  # 1 nat = log2(e) bits


def test_diagonal_gaussian_matches_scipy():
    rng = np.random.default_rng(1)
    x_train = rng.normal([1.0, -2.0, 0.5], [0.5, 2.0, 1.0], size=(300, 3))
    x_test = rng.normal(size=(50, 3))
    mean, std = x_train.mean(0), x_train.std(0)
    expected = -stats.norm(mean, std).logpdf(x_test).sum(1).mean()
    assert diagonal_gaussian_nll(x_train, x_test) == pytest.approx(expected, rel=1e-10)


def test_diagonal_gaussian_floors_constant_features():
    x = np.zeros((10, 2))
    x[:, 1] = np.arange(10)
    nll = diagonal_gaussian_nll(x, x, min_var=1e-4)
    # the constant column sits at its mean under N(0, 1e-4); the other is N(4.5, var) by ML
    constant = -stats.norm(0.0, 1e-2).logpdf(0.0)
    varying = -stats.norm(4.5, np.arange(10).std()).logpdf(np.arange(10)).mean()
    assert nll == pytest.approx(constant + varying, rel=1e-12)


def test_bad_inputs():
    with pytest.raises(ValueError, match=r"^n_dims:"):
        bits_per_dim(1.0, 0)
    with pytest.raises(ValueError, match=r"^nll: expected a finite number"):
        bits_per_dim(float("nan"), 3)
    with pytest.raises(ValueError, match=r"^nll: contains NaN or infinite"):
        bits_per_dim(torch.tensor([1.0, float("inf")]), 3)
    with pytest.raises(ValueError, match=r"^nll: contains NaN or infinite"):
        bits_per_dim(np.array([np.nan]), 3)
    with pytest.raises(ValueError, match=r"^bpd:"):
        nll_from_bits_per_dim(float("inf"), 3)
    with pytest.raises(ValueError, match=r"^bin_width:"):
        bits_per_dim(1.0, 3, bin_width=0.0)
    with pytest.raises(ValueError, match=r"^x_test: has 3 features"):
        diagonal_gaussian_nll(np.zeros((5, 2)), np.zeros((5, 3)))
    with pytest.raises(ValueError, match=r"^x_train: needs at least 2 samples"):
        diagonal_gaussian_nll(np.zeros((1, 2)), np.zeros((5, 2)))
    with pytest.raises(ValueError, match=r"^min_var:"):
        diagonal_gaussian_nll(np.zeros((5, 2)), np.zeros((5, 2)), min_var=0.0)


def test_complex_nll_is_refused_by_name():
    # issue 12, item 6: a complex NLL came back as complex bits/dim
    with pytest.raises(ValueError, match=r"^nll: expected real numbers"):
        bits_per_dim(np.array([1.0 + 1j]), 2)
    with pytest.raises(ValueError, match=r"^nll: expected real numbers"):
        bits_per_dim(torch.tensor([1.0 + 1j]), 2)
    with pytest.raises(ValueError, match=r"^nll: expected a real number"):
        bits_per_dim(1.0 + 1j, 2)
    with pytest.raises(ValueError, match=r"^bpd: expected real numbers"):
        nll_from_bits_per_dim(np.array([1j]), 2)
    x = np.random.default_rng(0).normal(size=(50, 2))
    with pytest.raises(ValueError, match=r"^x_train: expected real numbers"):
        diagonal_gaussian_nll(x + 1j, x)
    with pytest.raises(ValueError, match=r"^x_test: expected real numbers"):
        diagonal_gaussian_nll(x, torch.tensor(x) + 1j)
    # ints and float16 are cast, as before
    assert bits_per_dim(np.array([2, 4]), 2).tolist() == pytest.approx([1 / math.log(2), 2 / math.log(2)])
    assert math.isfinite(diagonal_gaussian_nll(x.astype(np.float16), np.round(x).astype(int)))


# discrete_bits_per_dim: the importance-weighted dequantisation bound on -log2 P(x) / D

def _normal_log_prob(v: torch.Tensor) -> torch.Tensor:
    return torch.distributions.Normal(0.0, 1.0).log_prob(v).flatten(1).sum(1)


def _exact_normal_bits(x: torch.Tensor, width: float) -> float:
    """Mean -log2 of the standard normal's mass in the box of side ``width`` around each x."""
    normal = torch.distributions.Normal(torch.tensor(0.0, dtype=torch.float64), 1.0)
    x = x.double()
    mass = normal.cdf(x + width / 2) - normal.cdf(x - width / 2)
    return float(-mass.log2().flatten(1).sum(1).mean() / x[0].numel())


def test_uniform_proposal_with_one_draw_is_the_uniform_dequantisation_closed_form():
    # E_u[-log phi(x + u)] = ln(2 pi) / 2 + (x^2 + w^2 / 12) / 2 for u uniform on [-w/2, w/2)
    width = 0.25
    x = torch.tensor([[-1.0, 0.5], [0.0, 2.0]]).repeat(5000, 1)
    result = discrete_bits_per_dim(_normal_log_prob, x, width, draws=1,
                                   generator=torch.Generator().manual_seed(0))
    mean_square = float(x.square().mean()) + width ** 2 / 12
    per_dim = 0.5 * math.log(2 * math.pi) + 0.5 * mean_square - math.log(width)
    assert result.draws == 1
    assert abs(result.bits_per_dim - per_dim / math.log(2)) < 3 * result.stderr + 1e-4
    assert result.bits_per_dim > _exact_normal_bits(x, width)      # the bound lies above -log2 P(x)


@pytest.mark.parametrize("noise_std", [None, 0.1])
def test_more_draws_tighten_the_bound_towards_the_exact_mass_of_the_bin(noise_std):
    width = 0.5
    x = torch.tensor([[-1.5], [0.0], [1.0], [2.5]]).repeat(500, 1)
    exact = _exact_normal_bits(x, width)
    means = [discrete_bits_per_dim(_normal_log_prob, x, width, draws=k, noise_std=noise_std,
                                   generator=torch.Generator().manual_seed(k)).bits_per_dim
             for k in (1, 16, 256)]
    assert means[0] > means[1] > means[2] > exact - 1e-3
    assert means[2] == pytest.approx(exact, abs=5e-3)
    if noise_std is not None:          # a proposal narrower than the density's bin: loose at K = 1
        assert means[0] > exact + 0.3


def test_a_density_spiked_at_the_grid_points_gets_its_true_code_length_not_the_grid_reading():
    # q: on each of 8 grid points k * w a normal of std w / 5 with weight p_k, so that
    # P(x) = p_x * (Phi(2.5) - Phi(-2.5)) up to the neighbours' tails; the grid reading,
    # -log2(q(x) w), is far below it (it takes the spike's height for the bin's average).
    width, spike = 0.125, 0.125 / 5
    levels = torch.arange(8, dtype=torch.float64) * width
    weights = torch.softmax(torch.linspace(0.0, 2.0, 8, dtype=torch.float64), 0)
    mixture = torch.distributions.MixtureSameFamily(torch.distributions.Categorical(weights),
                                                    torch.distributions.Normal(levels, spike))

    def log_prob(v):
        return mixture.log_prob(v.double()).flatten(1).sum(1)

    x = levels[torch.multinomial(weights, 4000, replacement=True, generator=torch.Generator().manual_seed(1))]
    x = x.float().reshape(-1, 1)
    components = torch.distributions.Normal(levels, spike)
    x64 = x.double()
    mass = (weights * (components.cdf(x64 + width / 2) - components.cdf(x64 - width / 2))).sum(1)
    exact = float(-mass.log2().mean())
    result = discrete_bits_per_dim(log_prob, x, width, draws=64, noise_std=spike,
                                   generator=torch.Generator().manual_seed(2))
    grid_reading = float(bits_per_dim(-log_prob(x).mean(), 1, bin_width=width))
    assert result.bits_per_dim == pytest.approx(exact, abs=3e-3)
    assert exact > -float((weights * weights.log2()).sum()) - 0.01     # about H(X): the weights' entropy
    assert grid_reading < exact - 0.9                                  # log2(5 / sqrt(2 pi)) = 1.0 below


def test_discrete_bits_per_dim_refuses_bad_inputs_by_name():
    x = torch.zeros(4, 2)
    with pytest.raises(ValueError, match="x: not on the grid"):
        discrete_bits_per_dim(_normal_log_prob, x + 0.3, 0.25)
    with pytest.raises(ValueError, match="bin_width"):
        discrete_bits_per_dim(_normal_log_prob, x, 0.0)
    with pytest.raises(ValueError, match="draws"):
        discrete_bits_per_dim(_normal_log_prob, x, 0.25, draws=0)
    with pytest.raises(ValueError, match="noise_std"):
        discrete_bits_per_dim(_normal_log_prob, x, 0.25, noise_std=-1.0)
    with pytest.raises(TypeError, match="x: expected a torch.Tensor"):
        discrete_bits_per_dim(_normal_log_prob, np.zeros((4, 2)), 0.25)
    with pytest.raises(ValueError, match="log_prob: returned NaN"):
        discrete_bits_per_dim(lambda v: torch.full((v.shape[0],), math.nan), x, 0.25)
    with pytest.raises(ValueError, match="log_prob: returned 1 values for 4"):
        discrete_bits_per_dim(lambda v: torch.zeros(1), x, 0.25)


def test_zero_density_in_every_draw_is_refused_not_an_infinite_answer():
    def log_prob(v):                     # density 0 below 0.5: the point 0 gets no mass
        return torch.where(v.flatten(1).min(1).values > 0.5, 0.0, -math.inf)

    with pytest.raises(ValueError, match="log_prob: density 0 at every draw"):
        discrete_bits_per_dim(log_prob, torch.tensor([[0.0], [1.0]]), 0.25, draws=3)
    result = discrete_bits_per_dim(log_prob, torch.tensor([[1.0], [1.0]]), 0.25, draws=3)
    assert result == (2.0, 0.0, 3)       # density 1 over a bin of 1/4: -log2(1/4) = 2 bits
