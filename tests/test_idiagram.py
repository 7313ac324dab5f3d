"""I-measure atoms, the Mickey Mouse quantities and I-diagram drawings."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import channels, distributions, pmfs

from infoplane.info import (
    MICKEY_MOUSE,
    Distribution,
    atoms,
    co_information,
    decompose,
    entropy,
    evaluate,
    examples,
    mickey_mouse,
    mutual_information,
    plot_atoms,
    plot_idiagram,
)

matplotlib.use("Agg")
XOR = examples.xor()


def random_distribution(shape, names, seed, concentration=0.7):
    p = np.random.default_rng(seed).dirichlet(np.full(int(np.prod(shape)), concentration))
    return Distribution(p.reshape(shape), names)


# ---------------------------------------------------------------- atoms
@given(distributions(min_variables=2, max_variables=4))
def test_atoms_sum_to_joint_entropy_and_rebuild_every_term(d):
    a = atoms(d)
    n = d.ndim
    assert len(a) == 2**n - 1
    assert sum(a.values()) == pytest.approx(entropy(d), abs=1e-10)
    for expr in ["H[X]", "H[X,Y|" + d.names[-1] + "]", "I[X;Y]", "I[X;" + ",".join(d.names[1:]) + "]",
                 "I[" + ";".join(d.names) + "]", "H[X] + H[Y] - H[X,Y]"]:
        rebuilt = sum(c * a[label] for label, c in decompose(expr, names=d.names).items())
        assert rebuilt == pytest.approx(evaluate(d, expr), abs=1e-10)


def test_atom_labels_and_values_three_variables():
    a = atoms(XOR, base=2)
    assert list(a) == ["H[X|Y,Z]", "H[Y|X,Z]", "H[Z|X,Y]", "I[X;Y|Z]", "I[X;Z|Y]", "I[Y;Z|X]", "I[X;Y;Z]"]
    assert [round(v, 12) for v in a.values()] == [0, 0, 0, 1, 1, 1, -1]
    assert [round(v, 12) for v in atoms(examples.giant_bit(), base=2).values()] == [0, 0, 0, 0, 0, 0, 1]


@given(distributions(n_variables=2))
def test_two_variable_atoms_by_brute_force(d):
    # H[X|Y], H[Y|X], I[X;Y] straight from the pmf, without the library's entropy code
    p = d.pmf

    def h(q):
        q = q[q > 0]
        return float(-(q * np.log(q)).sum())

    h_xy, h_x, h_y = h(p.ravel()), h(p.sum(1)), h(p.sum(0))
    expected = {"H[X|Y]": h_xy - h_y, "H[Y|X]": h_xy - h_x, "I[X;Y]": h_x + h_y - h_xy}
    assert atoms(d) == pytest.approx(expected, abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_atoms_agree_with_dit_coinformation(seed):
    dit = pytest.importorskip("dit")
    from dit.multivariate import coinformation

    d = random_distribution((2, 3, 2, 2), "ABCD", seed)
    theirs = dit.Distribution.from_ndarray(d.pmf)
    for mask, (label, value) in zip(sorted(range(1, 16), key=lambda m: (bin(m).count("1"), m)),
                                    atoms(d).items(), strict=True):
        members = [[i] for i in range(4) if mask >> i & 1]
        rest = [i for i in range(4) if not mask >> i & 1]
        assert value == pytest.approx(coinformation(theirs, members, rest) * math.log(2), abs=1e-9), label


def test_five_variable_atoms():
    d = random_distribution((2, 2, 3, 2, 2), ["A", "B", "C1", "D", "E"], 3)
    a = atoms(d)
    assert len(a) == 31 and "I[A;B;C1;D;E]" in a and "H[C1|A,B,D,E]" in a
    assert a["I[A;B;C1;D;E]"] == pytest.approx(co_information(d), abs=1e-10)
    assert sum(a.values()) == pytest.approx(entropy(d), abs=1e-10)


# ---------------------------------------------------------------- Mickey Mouse
@st.composite
def data_and_encoder(draw):
    pxy = draw(pmfs(n_variables=2, max_outcomes=5))
    return pxy, draw(channels(pxy.shape[:1], max_outcomes=4))


@given(data_and_encoder())
def test_mickey_mouse_quantities(case):
    pxy, enc = case
    q = mickey_mouse(pxy, enc)
    d = Distribution(pxy, "XY").add_channel(enc, "X", "Z")
    assert set(q) == set(MICKEY_MOUSE)
    assert q["Preserved Information"] == pytest.approx(mutual_information(d, "X", "Z"))
    assert q["Residual Information"] == pytest.approx(mutual_information(d, "X", "Y", given="Z"))
    assert q["Redundant Information"] == pytest.approx(mutual_information(d, "X", "Z", given="Y"))
    assert q["Decoder Uncertainty"] == pytest.approx(entropy(d, "Y", given="Z"))
    assert q["Nuisance"] == pytest.approx(entropy(d, "X", given="Y"))
    # eq. 2, 3, 8, 9 of the paper and non-negativity of every named quantity
    assert q["Relevant Information"] == pytest.approx(
        q["Residual Information"] + q["Preserved Relevant Information"])
    assert q["Preserved Information"] == pytest.approx(
        q["Redundant Information"] + q["Preserved Relevant Information"])
    assert q["Decoder Uncertainty"] == pytest.approx(q["Residual Information"] + q["Label Uncertainty"])
    assert q["Reverse Decoder Uncertainty"] == pytest.approx(
        q["Redundant Information"] + q["Encoding Uncertainty"])
    assert min(q.values()) >= -1e-12


def test_mickey_mouse_extreme_encoders():
    pxy = np.random.default_rng(5).dirichlet(np.ones(8)).reshape(4, 2)
    d = Distribution(pxy, "XY")
    ident = mickey_mouse(pxy, np.eye(4))
    assert ident["Preserved Information"] == pytest.approx(entropy(d, "X"))
    assert ident["Residual Information"] == pytest.approx(0.0, abs=1e-12)
    const = mickey_mouse(pxy, np.ones((4, 1)))
    assert const["Preserved Information"] == pytest.approx(0.0, abs=1e-12)
    assert const["Residual Information"] == pytest.approx(mutual_information(d, "X", "Y"))
    with pytest.raises(ValueError, match=r"^encoder: channel: expected shape"):
        mickey_mouse(pxy, np.ones((3, 1)))
    with pytest.raises(ValueError, match=r"^pxy: expected a joint pmf of two variables"):
        mickey_mouse(pxy.ravel(), np.eye(8))
    with pytest.raises(ValueError, match=r"^pxy: p: probabilities must sum to 1"):
        mickey_mouse(2 * pxy, np.eye(4))


# ---------------------------------------------------------------- drawings
def test_plot_idiagram_writes_every_atom_and_marks_negative_ones():
    import matplotlib.pyplot as plt

    ax = plot_idiagram(XOR, shade="I[X;Y]")
    texts = {t.get_text(): t for t in ax.texts}
    values = [f"{v:.2f}" for v in atoms(XOR, base=2).values()]
    assert all(v in texts for v in values)
    assert matplotlib.colors.same_color(texts["-1.00"].get_color(), "tab:red")
    assert not matplotlib.colors.same_color(texts["1.00"].get_color(), "tab:red")
    assert len(ax.images) == 1  # the shaded expression
    assert "I[X;Y] = 0.00" in ax.get_title()
    # the key names exactly the marks drawn: XOR's negative centre, I[X;Y]'s + coefficients
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "negative atom", "in I[X;Y] with coefficient +"]
    ax = plot_idiagram(XOR, shade="I[X;Y] - I[X;Z]")   # = I[X;Y|Z] - I[X;Z|Y]: both signs
    assert [t.get_text() for t in ax.get_legend().get_texts()] == [
        "negative atom", "in I[X;Y] - I[X;Z] with coefficient +", "in I[X;Y] - I[X;Z] with coefficient -"]
    fig, ax2 = plt.subplots()
    assert plot_idiagram(XOR.marginal("XY"), ax=ax2) is ax2
    assert ax2.get_legend() is None   # independent bits: no negative atom, nothing shaded
    plt.close("all")


def test_plot_atoms_and_dispatch_for_four_variables():
    import matplotlib.pyplot as plt

    d = random_distribution((2, 2, 2, 2), "ABCD", 7, concentration=0.3)
    ax = plot_idiagram(d, shade="I[A;B]")
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, list(atoms(d, base=2).values()))
    negative = [p for p in ax.patches if p.get_height() < -0.005]
    assert all(p.get_hatch() == "///" for p in negative)
    key = ax.child_axes[0].get_legend()   # under the dot matrix
    assert [t.get_text() for t in key.get_texts()] == (["negative atom"] if negative else []) + [
        "in I[A;B] with coefficient +"]
    assert plot_atoms(d, ax=ax) is ax
    with pytest.raises(ValueError, match=r"^dist: an I-diagram needs 2 or 3 variables"):
        plot_idiagram(XOR.marginal("X"))
    with pytest.raises(ValueError, match=r"^dist:"):
        plot_atoms(XOR.pmf)
    plt.close("all")


def test_mickey_mouse_refuses_complex_input_by_name():
    # issue 12, item 6
    pxy = np.array([[0.25, 0.0], [0.25, 0.0], [0.0, 0.5]])
    with pytest.raises(ValueError, match=r"^pxy: expected real numbers"):
        mickey_mouse(pxy + 0j, np.eye(3))
    with pytest.raises(ValueError, match=r"^encoder: channel: expected real numbers"):
        mickey_mouse(pxy, np.eye(3) + 0j)
