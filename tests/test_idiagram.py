"""I-measure atoms, expressions, symbolic identities (Kirsch et al. appendix A), drawings."""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from infoplane.info import (
    MICKEY_MOUSE,
    Distribution,
    atoms,
    co_information,
    decompose,
    entropy,
    evaluate,
    identical,
    mickey_mouse,
    mutual_information,
    plot_atoms,
    plot_idiagram,
)

matplotlib.use("Agg")
MARKOV = ("I[Y;Z|X] = 0",)  # p(x, y, z) = p(x, y) p(z | x), Kirsch et al. eq. 1
XOR = Distribution.from_samples([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")


def random_distribution(shape, names, seed, concentration=0.7):
    p = np.random.default_rng(seed).dirichlet(np.full(int(np.prod(shape)), concentration))
    return Distribution(p.reshape(shape), names)


def markov_xyz(seed, nx=4, ny=3, nz=3):
    rng = np.random.default_rng(seed)
    pxy = rng.dirichlet(np.full(nx * ny, 0.7)).reshape(nx, ny)
    return Distribution(pxy, "XY").add_channel(rng.dirichlet(np.full(nz, 0.5), size=nx), "X", "Z")


# ---------------------------------------------------------------- atoms
@given(st.integers(2, 4), st.integers(0, 2**32 - 1))
def test_atoms_sum_to_joint_entropy_and_rebuild_every_term(n, seed):
    d = random_distribution((2,) * (n - 1) + (3,), "XYZW"[:n], seed)
    a = atoms(d)
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


# ---------------------------------------------------------------- expressions
def test_evaluate_sums_coefficients_and_multichar_names():
    d = random_distribution((3, 2, 2), ["X1", "Y", "T"], 4)
    mi = mutual_information(d, "X1", "Y")
    assert evaluate(d, "H[X1] + H[Y] - H[X1,Y]") == pytest.approx(mi, abs=1e-12)
    assert evaluate(d, "2*H[X1] - 0.5*I[X1;Y]", base=2) == pytest.approx(
        (2 * entropy(d, "X1") - 0.5 * mi) / math.log(2), abs=1e-12)
    assert evaluate(d, "I[X1;Y|T]") == pytest.approx(mutual_information(d, "X1", "Y", given="T"), abs=1e-12)
    assert evaluate(d, "I[X1;Y;T]") == pytest.approx(co_information(d), abs=1e-12)
    assert evaluate(d, "H[X1,Y|T]") == pytest.approx(entropy(d, ["X1", "Y"], given="T"), abs=1e-12)


@pytest.mark.parametrize("expr, match", [
    ("H[X;Y]", "one"), ("I[X]", "two"), ("K[X]", "unknown quantity"), ("H[X|Y|Z]", "'|'"),
    ("H[X] +", "parse"), ("H[Q]", "not in the distribution"), ("beta*H[X]", "no value"), ("", "non-empty"),
])
def test_bad_expressions_raise(expr, match):
    with pytest.raises(ValueError, match=match):
        evaluate(XOR, expr)


def test_decompose_three_variables():
    assert decompose("I[X;Y]", "XYZ") == {"I[X;Y|Z]": 1, "I[X;Y;Z]": 1}
    assert decompose("H[X,Y|Z]", "XYZ") == {"H[X|Y,Z]": 1, "H[Y|X,Z]": 1, "I[X;Y|Z]": 1}
    assert decompose("H[X] - H[X]", "XY") == {}


# ---------------------------------------------------------------- identities (appendix A.1, as printed)
APPENDIX_A1 = {
    "6": ("I[X;Y]", "I[X;Y|Z] + I[Y;Z]"),
    "7": ("I[X;Z]", "I[X;Z|Y] + I[Y;Z]"),
    "8": ("H[Y|Z]", "I[X;Y|Z] + H[Y|X]"),
    "9": ("H[Z|Y]", "I[X;Z|Y] + H[Z|X]"),
    "11": ("H[Y]", "H[Y|X] + I[Y;Z] + I[X;Y|Z]"),
    "12": ("H[Z]", "H[Z|X] + I[Y;Z] + I[X;Z|Y]"),
    "13": ("I[X;Y]", "H[Y] - H[Y|X]"),
    "14": ("I[X;Z]", "H[Z] - H[Z|X]"),
    "15": ("I[X;Y|Z]", "H[Y|Z] - H[Y|X]"),
    "16": ("I[X;Z|Y]", "H[Z|Y] - H[Z|X]"),
    "17": ("I[Y;Z]", "H[Y] - H[Y|Z]"),
    "18": ("I[Y;Z]", "H[Z] - H[Z|Y]"),
    "sec 3.2": ("I[X;Y;Z]", "I[Y;Z] - I[Y;Z|X]"),
    "20": ("H[Z|Y] + H[Y]", "H[Y|Z] + H[Z]"),
    "21": ("H[Y|Z] + H[Z|Y]", "2*H[Y|Z] + H[Z] - H[Y]"),
}


@pytest.mark.parametrize("number", list(APPENDIX_A1))
def test_appendix_a1_identity(number):
    lhs, rhs = APPENDIX_A1[number]
    assert identical(lhs, rhs, assume=MARKOV)
    d = markov_xyz(int(number.split()[-1]) if number[0].isdigit() else 0)
    assert evaluate(d, lhs) == pytest.approx(evaluate(d, rhs), abs=1e-10)


def test_appendix_a1_eq10_holds_only_with_conditional_preserved_information():
    # Printed: H[X|Y] = H[X|Y,Z] + I[X;Z]. In atoms H[X|Y] = H[X|Y,Z] + I[X;Z|Y]; the printed
    # form adds I[Y;Z] (= I[X;Y;Z] under the Markov condition), so it is not an identity.
    assert not identical("H[X|Y]", "H[X|Y,Z] + I[X;Z]", assume=MARKOV)
    assert identical("H[X|Y]", "H[X|Y,Z] + I[X;Z|Y]")
    assert identical("H[X|Y,Z] + I[X;Z]", "H[X|Y] + I[Y;Z]", assume=MARKOV)


def test_identities_that_need_the_markov_condition():
    assert not identical("H[Y|Z]", "I[X;Y|Z] + H[Y|X]")
    assert not identical("I[Y;Z]", "I[X;Y;Z]")
    assert identical("I[Y;Z]", "I[X;Y;Z]", assume=MARKOV)
    assert not identical("I[X;Y]", "I[X;Y|Z]")


# Observation 1 (sec. 4.3): argmin equalities are equalities up to terms fixed by p(x, y) (H[Y]) and
# a positive factor; beta' = 1/(beta - 1), beta'' = 1/beta.
OBSERVATION_1 = {
    "IB, line 1": ("I[X;Z] - beta*I[Y;Z]", "I[X;Z|Y] + (beta - 1)*H[Y|Z] - (beta - 1)*H[Y]"),
    "IB, line 2": ("(I[X;Z] - beta*I[Y;Z] + (beta - 1)*H[Y]) / (beta - 1)",
                   "H[Y|Z] + 1/(beta - 1)*I[X;Z|Y]"),
    "IB, line 3": ("H[Y|Z] + 1/(beta - 1)*I[X;Z|Y]", "H[Y|Z] + 1/(beta - 1)*(H[Z|Y] - H[Z|X])"),
    "DIB, line 1": ("H[Z] - beta*I[Y;Z]", "H[Z|Y] + (beta - 1)*H[Y|Z] - (beta - 1)*H[Y]"),
    "DIB, line 2": ("(H[Z] - beta*I[Y;Z] + (beta - 1)*H[Y]) / (beta - 1)", "H[Y|Z] + 1/(beta - 1)*H[Z|Y]"),
    "DIB, beta''": ("(H[Z] - beta*I[Y;Z] + beta*H[Y]) / beta", "H[Y|Z] + 1/beta*H[Z]"),
    "IB = DIB + H[Z|X]": ("H[Z] - beta*I[Y;Z]", "I[X;Z] - beta*I[Y;Z] + H[Z|X]"),
    "CEB": ("I[X;Z|Y] - I[Y;Z]", "I[X;Z|Y] + I[X;Y|Z] - I[X;Y]"),
    "IB as CEB-like": ("I[X;Z] - beta*I[Y;Z]", "I[X;Z|Y] + (beta - 1)*I[X;Y|Z] - (beta - 1)*I[X;Y]"),
    "EDM (22)": ("H[Y|Z] + H[Z|Y]", "2*(H[Y|Z] + 1/2*H[Z]) - H[Y]"),
}


@pytest.mark.parametrize("name", list(OBSERVATION_1))
def test_observation_1_rewritings(name):
    lhs, rhs = OBSERVATION_1[name]
    assert identical(lhs, rhs, assume=MARKOV)


def test_observation_1_needs_exact_coefficients():
    assert not identical("I[X;Z] - beta*I[Y;Z]", "I[X;Z|Y] + beta*H[Y|Z] - beta*H[Y]", assume=MARKOV)


def test_assumptions_are_solved_not_just_zeroed():
    # I[X;Y] = 0 does not make its atoms vanish: only their sum.
    assert identical("I[X;Y|Z]", "-I[X;Y;Z]", assume=("I[X;Y] = 0",))
    assert not identical("I[X;Y|Z]", "0*H[X]", assume=("I[X;Y] = 0",))
    assert identical("I[X;Y]", "H[X]", assume=("H[X|Y] = 0", "H[Y|X] == 0"))
    with pytest.raises(ValueError, match="assume"):
        identical("H[X]", "H[X]", assume=("H[X] < 1",))
    with pytest.raises(ValueError, match="contradicts"):
        identical("H[X]", "H[X]", assume=("I[X;Y] = 0", "I[X;Y] = 1"))


# ---------------------------------------------------------------- Mickey Mouse
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_mickey_mouse_quantities(seed):
    rng = np.random.default_rng(seed)
    pxy = rng.dirichlet(np.full(15, 0.5)).reshape(5, 3)
    enc = rng.dirichlet(np.full(4, 0.5), size=5)
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
    with pytest.raises(ValueError, match="encoder"):
        mickey_mouse(pxy, np.ones((3, 1)))


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
    fig, ax2 = plt.subplots()
    assert plot_idiagram(XOR.marginal("XY"), ax=ax2) is ax2
    plt.close("all")


def test_plot_atoms_and_dispatch_for_four_variables():
    import matplotlib.pyplot as plt

    d = random_distribution((2, 2, 2, 2), "ABCD", 7, concentration=0.3)
    ax = plot_idiagram(d, shade="I[A;B]")
    heights = [p.get_height() for p in ax.patches]
    assert np.allclose(heights, list(atoms(d, base=2).values()))
    negative = [p for p in ax.patches if p.get_height() < -0.005]
    assert all(p.get_hatch() == "///" for p in negative)
    assert plot_atoms(d, ax=ax) is ax
    with pytest.raises(ValueError, match="dist"):
        plot_idiagram(XOR.marginal("X"))
    plt.close("all")
