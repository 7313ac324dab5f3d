"""Distribution: validation, constructors, marginals and conditionals against direct sums."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from strategies import channels, distributions, samples

from infoplane.info import Distribution
from infoplane.info.distribution import as_distribution, parse_names


def random_pmf(shape, seed=0):
    return np.random.default_rng(seed).dirichlet(np.ones(int(np.prod(shape)))).reshape(shape)


@pytest.mark.parametrize("names, expected", [("XYZ", ("X", "Y", "Z")),
                                             (["X1", "T", "y_2"], ("X1", "T", "y_2"))])
def test_parse_names(names, expected):
    assert parse_names(names) == expected


@pytest.mark.parametrize("p, names, match", [
    ([[0.5, 0.6], [0.0, 0.0]], "XY", r"^p: probabilities must sum to 1"),
    ([[0.5, -0.1], [0.6, 0.0]], "XY", r"^p: probabilities must be non-negative"),
    ([[0.5, np.nan], [0.5, 0.0]], "XY", r"^p: contains NaN"),
    ([0.5, 0.5], "XY", r"^names: p has 1 axes but 2 names"),
    ([[0.25, 0.25], [0.25, 0.25]], "XX", r"^names: variable names must be unique"),
    ([[0.25, 0.25], [0.25, 0.25]], ["X", "1Y"], r"^names: '1Y' is not a valid variable name"),
    (0.5, "X", r"^p: expected at least one axis"),
    (np.zeros((0, 2)), "XY", r"^p: every axis needs at least one outcome"),
    ([["a", "b"]], "XY", r"^p: expected an array of probabilities"),
    ([[0.5, 0.5]], 3, r"^names: expected a string or a sequence"),
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
    d = Distribution.from_columns([x, y], "XY")
    assert d.alphabets == ((0, 1, 2), ("a", "b"))
    for i, xv in enumerate(d.alphabets[0]):
        for j, yv in enumerate(d.alphabets[1]):
            assert d.pmf[i, j] == np.mean((x == xv) & (y == yv))
    same = Distribution.from_samples(np.stack([x, x * 10], axis=1), ["A", "B10"])
    assert np.allclose(same.pmf, np.diag(np.bincount(x) / len(x)))


def test_from_samples_reads_rows_whatever_the_container():
    # issue 16: a list of lists was read as columns and a 2-D array as rows; the same
    # data gave I = 0.25 bits one way and 0 the other. Rows are samples, always.
    import torch
    rows = [[0, 0], [0, 1], [1, 1], [1, 1]]
    want = np.array([[0.25, 0.25], [0.0, 0.5]])
    for data in (rows, [tuple(r) for r in rows], np.array(rows), torch.tensor(rows),
                 [np.array(r) for r in rows], [torch.tensor(r) for r in rows]):
        d = Distribution.from_samples(data, "XY")
        np.testing.assert_array_equal(d.pmf, want)
        assert d.alphabets == ((0, 1), (0, 1))
    # the columns of the same data give the same distribution through from_columns
    cols = [[r[0] for r in rows], [r[1] for r in rows]]
    for data in (cols, np.array(cols), [np.array(c) for c in cols], torch.tensor(cols)):
        np.testing.assert_array_equal(Distribution.from_columns(data, "XY").pmf, want)
    # brute force against a hand count, and the mutual information the issue quotes:
    # p(0,0) = p(0,1) = 1/4, p(1,1) = 1/2: I = H(Y) - H(Y|X) = h(1/4) - 1/2 = 0.311 bits
    from infoplane.info import mutual_information
    mi = mutual_information(Distribution.from_samples(rows, "XY"), "X", "Y", base=2)
    h = -(0.25 * np.log2(0.25) + 0.75 * np.log2(0.75))
    assert mi == pytest.approx(h - 0.5, abs=1e-12)


def test_from_samples_keeps_each_columns_type_and_one_variable():
    d = Distribution.from_samples([(0, "a"), (2, "b"), (2, "b")], ["N", "S"])
    assert d.alphabets == ((0, 2), ("a", "b"))
    np.testing.assert_allclose(d.pmf, [[1 / 3, 0], [0, 2 / 3]])
    for one in ([3, 1, 3, 3], np.array([3, 1, 3, 3]), ("v", "u", "v", "v")):
        single = Distribution.from_samples(one, "X")
        np.testing.assert_array_equal(single.pmf, [0.25, 0.75])


def test_from_samples_points_a_list_of_columns_to_from_columns():
    columns = [[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]]      # three variables, four samples
    with pytest.raises(ValueError, match=r"^names: each sample has 4 values but 3 names.*from_columns"):
        Distribution.from_samples(columns, "XYZ")
    with pytest.raises(ValueError, match=r"^samples: rows of different lengths.*from_columns"):
        Distribution.from_samples([[0, 1, 1], [0, 1]], "XY")
    xor = Distribution.from_columns(columns, "XYZ")
    np.testing.assert_array_equal(xor.pmf, Distribution.from_samples(np.array(columns).T, "XYZ").pmf)


@pytest.mark.parametrize("bad, match", [
    ([], r"^samples: needs at least one sample"),
    (np.zeros((0, 2)), r"^samples: needs at least one sample"),
    (np.zeros((2, 2, 2)), r"^samples: expected shape \(n_samples, n_variables\)"),
    ([[0, 1], 2], r"^samples: mixes rows"),
    (5, r"^samples: expected an array"),
])
def test_from_samples_rejects_bad_input_by_name(bad, match):
    with pytest.raises(ValueError, match=match):
        Distribution.from_samples(bad, "XY")


@pytest.mark.parametrize("bad, match", [
    ([[0, 1], [0]], r"^columns: expected 1-D columns of equal length"),
    ([], r"^columns: expected 1-D columns of equal length"),
    (np.zeros(3), r"^columns: expected one 1-D column per variable"),
    ([[], []], r"^columns: needs at least one sample"),
    ([[0, 1], [0, 1], [1, 1]], r"^names: 3 columns but 2 names"),
])
def test_from_columns_rejects_bad_input_by_name(bad, match):
    with pytest.raises(ValueError, match=match):
        Distribution.from_columns(bad, "XY")


def test_marginal_orders_and_sums():
    p = random_pmf((2, 3, 4))
    d = Distribution(p, "XYZ")
    assert np.allclose(d.marginal("ZX").pmf, p.sum(axis=1).T)
    assert np.allclose(d.marginal(["Y"]).pmf, p.sum(axis=(0, 2)))
    with pytest.raises(ValueError, match=r"^names: unknown variables \['W'\]"):
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
    with pytest.raises(ValueError, match=r"^channel: expected shape"):
        Distribution(pxy, "XY").add_channel(channel[:2], given="X", name="Z")
    with pytest.raises(ValueError, match=r"^channel: each conditional pmf"):
        Distribution(pxy, "XY").add_channel(channel * 2, given="X", name="Z")
    with pytest.raises(ValueError, match=r"^name: 'Y' is already a variable"):
        Distribution(pxy, "XY").add_channel(channel, given="X", name="Y")
    with pytest.raises(ValueError, match=r"^given: unknown variables"):
        Distribution(pxy, "XY").add_channel(channel, given="Q", name="Z")


def test_condition_on_and_conditional_agree_with_bayes():
    p = random_pmf((2, 3), seed=3)
    d = Distribution(p, "XY")
    assert np.allclose(d.condition_on("Y", 2).pmf, p[:, 2] / p[:, 2].sum())
    assert np.allclose(d.conditional("X", "Y"), (p / p.sum(0)).T)
    zero = Distribution([[0.5, 0.0], [0.5, 0.0]], "XY")
    with pytest.raises(ValueError, match=r"^value: P\(Y=1\) = 0"):
        zero.condition_on("Y", 1)
    with pytest.raises(ValueError, match=r"^value: 7 is not an outcome of Y"):
        zero.condition_on("Y", 7)
    with pytest.raises(ValueError, match=r"^name: cannot condition on the only variable"):
        zero.marginal("X").condition_on("X", 0)
    with pytest.raises(ValueError, match=r"^given: overlaps with of"):
        zero.conditional("X", "X")
    with pytest.raises(ValueError, match=r"^dist: expected an infoplane.info.Distribution"):
        as_distribution(zero.pmf)


@given(distributions(min_variables=1, max_variables=3))
def test_marginals_and_conditionals_of_generated_distributions(d):
    # every marginal sums the other axes; p(of | given) p(given) rebuilds the joint
    for i, name in enumerate(d.names):
        others = tuple(j for j in range(d.ndim) if j != i)
        np.testing.assert_allclose(d.marginal(name).pmf, d.pmf.sum(axis=others), atol=1e-15)
    if d.ndim >= 2:
        given_name, of = d.names[0], d.names[1:]
        cond = d.conditional(of, given_name)
        px = d.marginal(given_name).pmf
        rebuilt = cond * px.reshape((-1,) + (1,) * len(of))
        np.testing.assert_allclose(rebuilt, d.marginal((given_name,) + of).pmf, atol=1e-15)
        assert np.allclose(cond.reshape(len(px), -1).sum(1), 1.0)


@given(distributions(n_variables=1, max_outcomes=4).flatmap(
    lambda d: channels(d.shape).map(lambda ch: (d, ch))))
def test_add_channel_then_conditional_returns_the_channel_where_defined(case):
    d, ch = case
    joint = d.add_channel(ch, "X", "Y")
    rows = d.pmf > 0
    np.testing.assert_allclose(joint.conditional("Y", "X")[rows], ch[rows], atol=1e-12)


@given(samples(min_samples=1, max_samples=30, max_features=2, bound=3.0).map(np.round))
def test_from_samples_matches_counting(x):
    d = Distribution.from_samples(x, "XY"[: x.shape[1]])
    assert d.pmf.sum() == pytest.approx(1.0)
    for index in np.ndindex(*d.shape):
        values = [d.alphabets[j][k] for j, k in enumerate(index)]
        assert d.pmf[index] == pytest.approx(np.mean(np.all(x == values, axis=1)), abs=1e-15)


def test_complex_probabilities_are_refused_by_name():
    # issue 12, item 6: Distribution(... + 1j) was accepted, the imaginary part dropped
    with pytest.raises(ValueError, match=r"^p: expected real numbers"):
        Distribution(np.full((2, 2), 0.25) + 1j, "XY")
    with pytest.raises(ValueError, match=r"^p: expected real numbers"):
        Distribution(np.full((2, 2), 0.25) + 0j, "XY")  # even with a zero imaginary part
    with pytest.raises(ValueError, match=r"^p: expected real numbers"):
        Distribution([0.5 + 0j, 0.5], "X")
    d = Distribution(np.full((2, 2), 0.25), "XY")
    with pytest.raises(ValueError, match=r"^channel: expected real numbers"):
        d.add_channel(np.eye(2) + 0j, given="X", name="Z")
    # ints and float16 are cast, as before
    assert Distribution(np.array([0, 1]), "X").pmf.tolist() == [0.0, 1.0]
    assert Distribution(np.full(4, 0.25, dtype=np.float16), "X").pmf.dtype == np.float64
