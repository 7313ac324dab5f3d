"""Named examples: their documented values (closed forms), dit's example_dists, identities on all."""

from __future__ import annotations

import math

import numpy as np
import pytest

from infoplane.info import (
    MICKEY_MOUSE,
    Distribution,
    atoms,
    co_information,
    dual_total_correlation,
    entropy,
    evaluate,
    examples,
    interaction_information,
    mickey_mouse,
    mutual_information,
    total_correlation,
)

LOG2_3 = math.log2(3)


def dit_pmf(d) -> np.ndarray:
    """A dit distribution with digit outcomes ('01', ('0', '1', ...)) as a dense ndarray."""
    d = d.copy()
    d.make_dense()
    n = d.outcome_length()
    size = max(int(c) for o in d.outcomes for c in o) + 1
    p = np.zeros((size,) * n)
    for outcome, prob in zip(d.outcomes, d.pmf, strict=True):
        p[tuple(int(c) for c in outcome)] += prob
    return p


# ---------------------------------------------------------------- the same tables as dit's
@pytest.mark.parametrize("ours, theirs", [
    (lambda: examples.xor(), lambda ed: ed.Xor()),
    (lambda: examples.and_gate(), lambda ed: ed.And()),
    (lambda: examples.giant_bit(), lambda ed: ed.giant_bit(3, 2)),
    (lambda: examples.giant_bit(4, 3), lambda ed: ed.giant_bit(4, 3)),
    (lambda: examples.n_mod_m(3, 3), lambda ed: ed.n_mod_m(3, 3)),
    (lambda: examples.n_mod_m(4, 2), lambda ed: ed.n_mod_m(4, 2)),
], ids=["xor", "and", "giant bit", "giant bit 4x3", "3 mod 3", "4 mod 2"])
def test_examples_match_dit_example_dists(ours, theirs):
    ed = pytest.importorskip("dit.example_dists")
    np.testing.assert_allclose(ours().pmf, dit_pmf(theirs(ed)), atol=1e-15)


@pytest.mark.parametrize("name", list(examples.EXAMPLES))
def test_every_atom_agrees_with_dit(name):
    dit = pytest.importorskip("dit")
    from dit.multivariate import coinformation

    d = examples.EXAMPLES[name]()
    theirs = dit.Distribution.from_ndarray(d.pmf)
    n = d.ndim
    masks = sorted(range(1, 1 << n), key=lambda m: (bin(m).count("1"), m))
    for mask, (label, value) in zip(masks, atoms(d, base=2).items(), strict=True):
        members = [[i] for i in range(n) if mask >> i & 1]
        rest = [i for i in range(n) if not mask >> i & 1]
        assert value == pytest.approx(coinformation(theirs, members, rest), abs=1e-9), label


# ---------------------------------------------------------------- documented closed forms
def test_xor_values():
    d = examples.xor()
    assert [entropy(d, v, base=2) for v in "XYZ"] == pytest.approx([1.0, 1.0, 1.0], abs=1e-12)
    assert entropy(d, base=2) == pytest.approx(2.0, abs=1e-12)
    for a, b in ["XY", "XZ", "YZ"]:
        assert mutual_information(d, a, b, base=2) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(d, "X", "Y", given="Z", base=2) == pytest.approx(1.0, abs=1e-12)
    assert co_information(d, base=2) == pytest.approx(-1.0, abs=1e-12)
    assert interaction_information(d, base=2) == pytest.approx(1.0, abs=1e-12)
    assert total_correlation(d, base=2) == pytest.approx(1.0, abs=1e-12)
    assert dual_total_correlation(d, base=2) == pytest.approx(2.0, abs=1e-12)
    assert [round(v, 12) for v in atoms(d, base=2).values()] == [0, 0, 0, 1, 1, 1, -1]


@pytest.mark.parametrize("n, k", [(1, 2), (2, 3), (3, 2), (4, 3), (5, 2)])
def test_giant_bit_values(n, k):
    d = examples.giant_bit(n, k)
    L = math.log(k)
    assert entropy(d) == pytest.approx(L, abs=1e-12)
    assert co_information(d) == pytest.approx(L, abs=1e-12)
    assert interaction_information(d) == pytest.approx((-1) ** n * L, abs=1e-12)
    assert total_correlation(d) == pytest.approx((n - 1) * L, abs=1e-12)
    assert dual_total_correlation(d) == pytest.approx(L if n > 1 else 0.0, abs=1e-12)
    values = list(atoms(d).values())
    assert values[:-1] == pytest.approx([0.0] * (len(values) - 1), abs=1e-12)
    assert values[-1] == pytest.approx(L, abs=1e-12)


@pytest.mark.parametrize("n, m", [(2, 2), (2, 5), (3, 2), (3, 3), (4, 2), (4, 3), (5, 2)])
def test_n_mod_m_values(n, m):
    d = examples.n_mod_m(n, m)
    L = math.log(m)
    assert entropy(d) == pytest.approx((n - 1) * L, abs=1e-12)
    assert [entropy(d, v) for v in d.names] == pytest.approx([L] * n, abs=1e-12)
    # any n - 1 variables are independent, and determine the last
    for v in d.names:
        rest = [u for u in d.names if u != v]
        assert total_correlation(d, rest) == pytest.approx(0.0, abs=1e-12)
        assert entropy(d, v, given=rest) == pytest.approx(0.0, abs=1e-12)
    assert total_correlation(d) == pytest.approx(L, abs=1e-12)
    assert dual_total_correlation(d) == pytest.approx((n - 1) * L, abs=1e-12)
    assert co_information(d) == pytest.approx((-1) ** n * L, abs=1e-12)
    assert interaction_information(d) == pytest.approx(L, abs=1e-12)


def test_xor_is_three_mod_two():
    np.testing.assert_array_equal(examples.xor().pmf, examples.n_mod_m(3, 2).pmf)


def test_and_gate_values():
    d = examples.and_gate()
    h_quarter = -(0.25 * math.log2(0.25) + 0.75 * math.log2(0.75))
    assert h_quarter == pytest.approx(2 - 0.75 * LOG2_3, abs=1e-12)
    assert entropy(d, "Z", base=2) == pytest.approx(h_quarter, abs=1e-12)
    assert mutual_information(d, "XY", "Z", base=2) == pytest.approx(h_quarter, abs=1e-12)
    assert entropy(d, base=2) == pytest.approx(2.0, abs=1e-12)
    assert mutual_information(d, "X", "Z", base=2) == pytest.approx(h_quarter - 0.5, abs=1e-12)
    assert mutual_information(d, "X", "Y", base=2) == pytest.approx(0.0, abs=1e-12)
    assert mutual_information(d, "X", "Y", given="Z", base=2) == pytest.approx(0.75 * LOG2_3 - 1, abs=1e-12)
    assert co_information(d, base=2) == pytest.approx(1 - 0.75 * LOG2_3, abs=1e-12)


def test_binary_entropy():
    assert examples.binary_entropy(0.0) == 0.0 and examples.binary_entropy(1.0) == 0.0
    assert examples.binary_entropy(0.5, base=2) == pytest.approx(1.0, abs=1e-15)
    p = 0.3
    assert examples.binary_entropy(p) == pytest.approx(-p * math.log(p) - (1 - p) * math.log(1 - p),
                                                       abs=1e-15)
    assert examples.binary_entropy(p) == pytest.approx(entropy(Distribution([p, 1 - p], "X")), abs=1e-15)
    with pytest.raises(ValueError, match=r"^p:"):
        examples.binary_entropy(1.5)


@pytest.mark.parametrize("eps, delta", [(0.1, 0.2), (0.0, 0.0), (0.0, 0.3), (0.25, 0.0), (0.5, 0.5),
                                        (0.05, 0.45)])
def test_mickey_mouse_model_values(eps, delta):
    pxy, encoder = examples.mickey_mouse_model(eps, delta)
    q = mickey_mouse(pxy, encoder, base=2)
    expected = examples.mickey_mouse_values(eps, delta, base=2)
    assert set(q) == set(expected) == set(MICKEY_MOUSE)
    for name in q:
        assert q[name] == pytest.approx(expected[name], abs=1e-12), name


def test_mickey_mouse_default_has_every_region_non_zero():
    q = examples.mickey_mouse_values()
    assert min(q.values()) > 0.01
    joint = examples.EXAMPLES["mickey mouse"]()
    assert joint.names == ("X", "Y", "Z")
    assert mutual_information(joint, "Y", "Z", given="X") == pytest.approx(0.0, abs=1e-12)  # eq. 1


@pytest.mark.parametrize("call, match", [
    (lambda: examples.n_mod_m(1, 2), r"^n:"), (lambda: examples.n_mod_m(3, 0), r"^m:"),
    (lambda: examples.giant_bit(0), r"^n:"), (lambda: examples.giant_bit(2, 0), r"^k:"),
    (lambda: examples.mickey_mouse_model(label_noise=-0.1), r"^label_noise:"),
    (lambda: examples.mickey_mouse_values(encoder_noise=2.0), r"^encoder_noise:"),
    (lambda: examples.mickey_mouse_values(base=1.0), r"^base:"),
])
def test_bad_arguments_name_themselves(call, match):
    with pytest.raises(ValueError, match=match):
        call()


# ---------------------------------------------------------------- identities on every named example
@pytest.mark.parametrize("name", list(examples.EXAMPLES))
def test_identities_on_every_example(name):
    d = examples.EXAMPLES[name]()
    names = d.names
    a = atoms(d)
    assert sum(a.values()) == pytest.approx(entropy(d), abs=1e-10)
    # chain rule of entropy, in the order of the names
    chain = sum(entropy(d, v, given=names[:i]) if i else entropy(d, v) for i, v in enumerate(names))
    assert chain == pytest.approx(entropy(d), abs=1e-10)
    # co-information recursion I[X1;..;Xn] = I[X1;..;Xn-1] - I[X1;..;Xn-1 | Xn]
    if d.ndim >= 2:
        head, last = list(names[:-1]), names[-1]
        assert co_information(d) == pytest.approx(
            co_information(d, head) - co_information(d, head, given=last), abs=1e-10)
        # the expression language agrees with the measures
        assert evaluate(d, "I[" + ";".join(names) + "]") == pytest.approx(co_information(d), abs=1e-10)
    # total correlation = sum of marginal entropies - joint; dual = joint - sum of H[Xi | rest]
    tc = sum(entropy(d, v) for v in names) - entropy(d)
    dtc = entropy(d) - sum(entropy(d, v, given=[u for u in names if u != v]) for v in names)
    assert total_correlation(d) == pytest.approx(tc, abs=1e-10)
    assert dual_total_correlation(d) == pytest.approx(dtc if d.ndim > 1 else 0.0, abs=1e-10)
    assert min(total_correlation(d), dual_total_correlation(d)) >= -1e-12
