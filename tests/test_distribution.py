"""Distribution: validation, constructors, marginals and conditionals against direct sums."""

from __future__ import annotations

import numpy as np
import pytest

from infoplane.info import Distribution
from infoplane.info.distribution import parse_names


def random_pmf(shape, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)


@pytest.mark.parametrize("names, expected", [("XYZ", ("X", "Y", "Z")),
                                             (["X1", "T", "y_2"], ("X1", "T", "y_2"))])
def test_parse_names(names, expected):
    assert parse_names(names) == expected


@pytest.mark.parametrize("p, names, match", [
    ([[0.5, 0.6], [0.0, 0.0]], "XY", "sum to 1"),
    ([[0.5, -0.1], [0.6, 0.0]], "XY", "non-negative"),
    ([[0.5, np.nan], [0.5, 0.0]], "XY", "NaN"),
    ([0.5, 0.5], "XY", "names"),
    ([[0.25, 0.25], [0.25, 0.25]], "XX", "unique"),
    ([[0.25, 0.25], [0.25, 0.25]], ["X", "1Y"], "valid variable name"),
])
def test_validation_names_the_argument(p, names, match):
    with pytest.raises(ValueError, match=match):
        Distribution(p, names)


def test_renormalises_within_tolerance():
    d = Distribution([0.5 + 1e-9, 0.5], "X")
    assert d.pmf.sum() == pytest.approx(1.0, abs=1e-15)


def test_from_samples_counts():
    x = np.array([0, 1, 1, 2, 2, 2, 0, 1])
    y = np.array(["a", "b", "b", "a", "a", "b", "a", "a"])
    d = Distribution.from_samples([x, y], "XY")
    assert d.alphabets == ((0, 1, 2), ("a", "b"))
    for i, xv in enumerate(d.alphabets[0]):
        for j, yv in enumerate(d.alphabets[1]):
            assert d.pmf[i, j] == np.mean((x == xv) & (y == yv))
    same = Distribution.from_samples(np.stack([x, x * 10], axis=1), ["A", "B10"])
    assert np.allclose(same.pmf, np.diag(np.bincount(x) / len(x)))


def test_marginal_orders_and_sums():
    p = random_pmf((2, 3, 4))
    d = Distribution(p, "XYZ")
    assert np.allclose(d.marginal("ZX").pmf, p.sum(axis=1).T)
    assert np.allclose(d.marginal(["Y"]).pmf, p.sum(axis=(0, 2)))
    with pytest.raises(ValueError, match="unknown variables"):
        d.marginal("W")


def test_multi_character_names_select_whole_variable():
    d = Distribution(random_pmf((2, 3)), ["X1", "Y"])
    assert d.marginal("X1").shape == (2,)
    assert d.marginal(["Y", "X1"]).shape == (3, 2)


def test_add_channel_builds_markov_joint():
    pxy = random_pmf((3, 2), seed=1)
    channel = np.random.default_rng(2).dirichlet(np.ones(4), size=3)
    d = Distribution(pxy, "XY").add_channel(channel, given="X", name="Z")
    assert d.names == ("X", "Y", "Z")
    assert np.allclose(d.marginal("XY").pmf, pxy)
    assert np.allclose(d.conditional("Z", "X"), channel)
    # Z depends on Y only through X
    assert np.allclose(d.pmf, pxy[:, :, None] * channel[:, None, :])
    with pytest.raises(ValueError, match="channel"):
        Distribution(pxy, "XY").add_channel(channel[:2], given="X", name="Z")
    with pytest.raises(ValueError, match="already"):
        Distribution(pxy, "XY").add_channel(channel, given="X", name="Y")


def test_condition_on_and_conditional_agree_with_bayes():
    p = random_pmf((2, 3), seed=3)
    d = Distribution(p, "XY")
    assert np.allclose(d.condition_on("Y", 2).pmf, p[:, 2] / p[:, 2].sum())
    assert np.allclose(d.conditional("X", "Y"), (p / p.sum(0)).T)
    zero = Distribution([[0.5, 0.0], [0.5, 0.0]], "XY")
    with pytest.raises(ValueError, match="= 0"):
        zero.condition_on("Y", 1)
