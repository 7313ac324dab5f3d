"""The "I[X;Y|Z]" language: evaluation, atoms, symbolic identities (Kirsch et al. appendix A)."""

from __future__ import annotations

import math

import pytest
import sympy
from hypothesis import given
from hypothesis import strategies as st
from strategies import channels, distributions

from infoplane.info import (
    Distribution,
    co_information,
    decompose,
    entropy,
    evaluate,
    examples,
    identical,
    mutual_information,
)
from infoplane.info.expressions import atom_label, atom_masks, parse_expression, parse_term

MARKOV = ("I[Y;Z|X] = 0",)  # p(x, y, z) = p(x, y) p(z | x), Kirsch et al. eq. 1
XOR = examples.xor()


@st.composite
def markov_xyz(draw):
    """p(x, y) p(z | x) from shrinkable pmfs: the model of Kirsch et al. eq. 1."""
    pxy = draw(distributions(names="XY", min_outcomes=1, max_outcomes=4))
    return pxy.add_channel(draw(channels(pxy.shape[:1], max_outcomes=3)), "X", "Z")


# ---------------------------------------------------------------- evaluate
def test_evaluate_sums_coefficients_and_multichar_names():
    d = examples.and_gate(["X1", "Y", "T"])
    mi = mutual_information(d, "X1", "Y")
    assert evaluate(d, "H[X1] + H[Y] - H[X1,Y]") == pytest.approx(mi, abs=1e-12)
    # closed forms of the and gate (bits): H[X1] = 1, I[X1;T] = h(1/4) - 1/2
    h_quarter = 2 - 0.75 * math.log2(3)
    assert evaluate(d, "2*H[X1] - 0.5*I[X1;T]", base=2) == pytest.approx(2 - 0.5 * (h_quarter - 0.5),
                                                                          abs=1e-12)
    assert evaluate(d, "I[X1;Y|T]", base=2) == pytest.approx(0.75 * math.log2(3) - 1, abs=1e-12)
    assert evaluate(d, "I[X1;Y;T]", base=2) == pytest.approx(1 - 0.75 * math.log2(3), abs=1e-12)
    assert evaluate(d, "H[X1,Y|T]", base=2) == pytest.approx(2 - h_quarter, abs=1e-12)
    assert evaluate(d, "(H[X1] + H[Y]) / 2", base=2) == pytest.approx(1.0, abs=1e-12)


@given(distributions(n_variables=3))
def test_evaluate_agrees_with_the_measures(d):
    assert evaluate(d, "I[X;Y|Z]") == pytest.approx(mutual_information(d, "X", "Y", given="Z"), abs=1e-12)
    assert evaluate(d, "I[X;Y;Z]") == pytest.approx(co_information(d), abs=1e-12)
    assert evaluate(d, "H[X,Y|Z]") == pytest.approx(entropy(d, "XY", given="Z"), abs=1e-12)
    assert evaluate(d, "I[X,Y;Z]") == pytest.approx(mutual_information(d, "XY", "Z"), abs=1e-12)


@pytest.mark.parametrize("seed", [0, 1])
def test_evaluate_agrees_with_dit(seed):
    dit = pytest.importorskip("dit")
    import numpy as np
    from dit.multivariate import coinformation

    p = np.random.default_rng(seed).dirichlet(np.full(24, 0.5)).reshape(2, 3, 2, 2)
    theirs = dit.Distribution.from_ndarray(p)
    d = Distribution(p, "XYZW")
    assert evaluate(d, "I[X,W;Y|Z]", base=2) == pytest.approx(coinformation(theirs, [[0, 3], [1]], [2]))
    assert evaluate(d, "I[X;Y;Z|W] - 2*H[X|Y]", base=2) == pytest.approx(
        coinformation(theirs, [[0], [1], [2]], [3]) - 2 * coinformation(theirs, [[0]], [1]))


@pytest.mark.parametrize("expr, match", [
    ("H[X;Y]", r"^expr: H\[\.\.\.\] takes one"), ("I[X]", r"^expr: I\[\.\.\.\] needs at least two"),
    ("K[X]", r"^expr: unknown quantity K\[\.\.\.\] \(use H\[\.\.\.\] or I\[\.\.\.\]\); at position 0"),
    ("H[X|Y|Z]", r"^expr: more than one '\|'"),
    ("H[X] +", r"^expr: unexpected end of the expression .*; at position 6"),
    ("H[Q]", r"^expr: variables \['Q'\] are not in the distribution"),
    ("beta*H[X]", r"^expr: symbols \['beta'\] have no value"), ("", r"^expr: expected a non-empty string"),
    ("H[X,]", r"^expr: empty variable name"), ("H[1X]", r"^expr: '1X' is not a valid variable name"),
    ("2 + 3", r"^expr: no H\[\.\.\.\] or I\[\.\.\.\] term"),
    ("H[X]/0", r"^expr: .* does not evaluate to a finite"),
])
def test_bad_expressions_raise(expr, match):
    with pytest.raises(ValueError, match=match):
        evaluate(XOR, expr)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match=r"^dist:"):
        evaluate(XOR.pmf, "H[X]")
    with pytest.raises(ValueError, match=r"^base:"):
        evaluate(XOR, "H[X]", base=1)
    with pytest.raises(ValueError, match=r"^names: the expression uses variables \['Z'\]"):
        decompose("I[X;Z]", names="XY")
    with pytest.raises(ValueError, match=r"^expr_b: expected a non-empty string"):
        identical("H[X]", 3)
    with pytest.raises(ValueError, match=r"^expr_a: unexpected '\^'"):
        identical("H[X]^2", "H[X]")


# ---------------------------------------------------------------- atoms of an expression
def test_atom_labels_and_order():
    assert atom_masks(2) == [1, 2, 3]
    assert [atom_label([n for i, n in enumerate("XYZ") if m >> i & 1], "XYZ") for m in atom_masks(3)] == [
        "H[X|Y,Z]", "H[Y|X,Z]", "H[Z|X,Y]", "I[X;Y|Z]", "I[X;Z|Y]", "I[Y;Z|X]", "I[X;Y;Z]"]
    assert parse_term("I", " X ; Y1,W | Z ").groups == (("X",), ("Y1", "W"))


def test_decompose_three_variables():
    assert decompose("I[X;Y]", "XYZ") == {"I[X;Y|Z]": 1, "I[X;Y;Z]": 1}
    assert decompose("H[X,Y|Z]", "XYZ") == {"H[X|Y,Z]": 1, "H[Y|X,Z]": 1, "I[X;Y|Z]": 1}
    assert decompose("H[X] - H[X]", "XY") == {}
    assert decompose("H[X,Y]") == {"H[X|Y]": 1, "H[Y|X]": 1, "I[X;Y]": 1}
    beta = decompose("I[X;Z] - beta*I[Y;Z]", "XYZ")
    assert str(beta["I[Y;Z|X]"]) == "-beta" and str(beta["I[X;Z|Y]"]) == "1"


def test_decompose_counts_each_atom_by_brute_force():
    # an atom S lies in I[G1;..;Gk|C] iff it meets every group and misses C; count by enumeration
    names = "ABCD"
    for expr, groups, cond in [("I[A;B,C|D]", ["A", "BC"], "D"), ("H[A,B|C]", ["AB"], "C"),
                               ("I[A;B;C;D]", ["A", "B", "C", "D"], "")]:
        expected = set()
        for m in atom_masks(4):
            members = {names[i] for i in range(4) if m >> i & 1}
            if all(members & set(g) for g in groups) and not members & set(cond):
                expected.add(atom_label(members, names))
        assert set(decompose(expr, names)) == expected
        assert set(decompose(expr, names).values()) == {1}


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
# those that hold for every distribution (the rest need the Markov condition)
# (definitions, the symmetry of co-information, and the two chain rules of H[Y,Z])
UNCONDITIONAL = {"13", "14", "17", "18", "sec 3.2", "20", "21"}


@pytest.mark.parametrize("number", list(APPENDIX_A1))
def test_appendix_a1_identity_is_proved(number):
    lhs, rhs = APPENDIX_A1[number]
    assert identical(lhs, rhs, assume=MARKOV)
    assert identical(lhs, rhs) == (number in UNCONDITIONAL)


@given(markov_xyz())
def test_appendix_a1_identities_hold_on_markov_models(d):
    for lhs, rhs in APPENDIX_A1.values():
        assert evaluate(d, lhs) == pytest.approx(evaluate(d, rhs), abs=1e-10), (lhs, rhs)


@pytest.mark.parametrize("name", [n for n in examples.EXAMPLES if examples.EXAMPLES[n]().ndim == 3])
def test_unconditional_identities_hold_on_every_example_and_markov_ones_where_it_is_markov(name):
    d = examples.EXAMPLES[name]()
    markov = abs(evaluate(d, "I[Y;Z|X]")) < 1e-12
    for number, (lhs, rhs) in APPENDIX_A1.items():
        if number in UNCONDITIONAL or markov:
            assert evaluate(d, lhs) == pytest.approx(evaluate(d, rhs), abs=1e-10), number


def test_markov_identities_fail_on_xor_which_is_not_markov():
    # XOR has I[Y;Z|X] = 1 bit, so eq. 6 (needs I[Y;Z|X] = 0) is off by exactly that
    lhs, rhs = APPENDIX_A1["6"]
    assert evaluate(XOR, lhs, base=2) - evaluate(XOR, rhs, base=2) == pytest.approx(-1.0, abs=1e-12)


def test_appendix_a1_eq10_holds_only_with_conditional_preserved_information():
    # Printed: H[X|Y] = H[X|Y,Z] + I[X;Z]. In atoms H[X|Y] = H[X|Y,Z] + I[X;Z|Y]; the printed
    # form adds I[Y;Z] (= I[X;Y;Z] under the Markov condition), so it is not an identity.
    assert not identical("H[X|Y]", "H[X|Y,Z] + I[X;Z]", assume=MARKOV)
    assert identical("H[X|Y]", "H[X|Y,Z] + I[X;Z|Y]")
    assert identical("H[X|Y,Z] + I[X;Z]", "H[X|Y] + I[Y;Z]", assume=MARKOV)
    pxy, encoder = examples.mickey_mouse_model()
    d = pxy.add_channel(encoder, "X", "Z")
    gap = evaluate(d, "H[X|Y,Z] + I[X;Z]") - evaluate(d, "H[X|Y]")
    assert gap == pytest.approx(examples.mickey_mouse_values()["Preserved Relevant Information"], abs=1e-12)


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


@given(markov_xyz(), st.sampled_from([1.5, 2.0, 7.0]))
def test_observation_1_rewritings_hold_numerically(d, beta):
    for lhs, rhs in OBSERVATION_1.values():
        values = [evaluate(d, e.replace("beta", repr(beta))) for e in (lhs, rhs)]
        assert values[0] == pytest.approx(values[1], abs=1e-9), (lhs, rhs)


def test_observation_1_needs_exact_coefficients():
    assert not identical("I[X;Z] - beta*I[Y;Z]", "I[X;Z|Y] + beta*H[Y|Z] - beta*H[Y]", assume=MARKOV)


def test_assumptions_are_solved_not_just_zeroed():
    # I[X;Y] = 0 does not make its atoms vanish: only their sum.
    assert identical("I[X;Y|Z]", "-I[X;Y;Z]", assume=("I[X;Y] = 0",))
    assert not identical("I[X;Y|Z]", "0*H[X]", assume=("I[X;Y] = 0",))
    assert identical("I[X;Y]", "H[X]", assume=("H[X|Y] = 0", "H[Y|X] == 0"))
    assert identical("I[X;Y]", "H[X]", assume="H[X|Y] = 0")  # one string is one assumption
    assert not identical("I[X;Y]", "H[Y]", assume="H[X|Y] = 0")
    with pytest.raises(ValueError, match=r"^assume: item 0 must be one equality"):
        identical("H[X]", "H[X]", assume=("H[X] < 1",))
    with pytest.raises(ValueError, match=r"^assume: item 1: expected a non-empty string"):
        identical("H[X]", "H[X]", assume=("I[X;Y] = 0", "I[X;Y] = "))
    with pytest.raises(ValueError, match=r"^assume: item 1 .* contradicts the earlier ones"):
        identical("H[X]", "H[X]", assume=("I[X;Y] = 0", "I[X;Y] = 1"))


def test_assumption_with_a_named_parameter():
    # XOR-like: I[X;Y] = 0 and I[X;Y|Z] = beta; then the co-information is -beta
    assert identical("I[X;Y;Z] + beta", "0*H[X]", assume=("I[X;Y] = 0", "I[X;Y|Z] = beta"))
    assert identical("I[X;Y] + H[X]", "beta + H[X]", assume=("I[X;Y] = beta",))
    assert not identical("I[X;Y] + H[X]", "2*beta + H[X]", assume=("I[X;Y] = beta",))


# ---------------------------------------------------------------- the parser never runs code (issue 12)
EXPLOIT = "H[X] + 0*(lambda: 0).__globals__['__builtins__']['__import__']('os').system('id')"


def test_the_exploit_of_issue_12_is_refused_and_runs_nothing(monkeypatch, tmp_path):
    import os
    import subprocess

    def forbidden(*args, **kwargs):
        raise AssertionError("the parser ran code")

    monkeypatch.setattr(os, "system", forbidden)
    monkeypatch.setattr(subprocess, "Popen", forbidden)
    d = Distribution([[0.5, 0.0], [0.0, 0.5]], "XY")
    message = r"^expr: unexpected ':' \(expected '\)' for the '\(' at position 9\); at position 16"
    with pytest.raises(ValueError, match=message) as info:
        evaluate(d, EXPLOIT)
    monkeypatch.undo()
    # the message shows the expression with a caret under the offending character
    lines = str(info.value).splitlines()
    assert lines[1].strip() == EXPLOIT and lines[2].index("^") - lines[1].index("H") == 16
    marker = tmp_path / "ran"
    payload = f"H[X] + 0*os.system('touch {marker}')"
    for call in (lambda e: evaluate(d, e), lambda e: decompose(e), lambda e: identical(e, "H[X]"),
                 lambda e: identical("H[X]", "H[X]", assume=(f"H[X] = {e}",))):
        with pytest.raises(ValueError, match=r"^(expr|expr_a|assume: item 0): unexpected '\.'; at position"):
            call(payload)
    assert not marker.exists()


@pytest.mark.parametrize("text, message", [
    ("H[X] ** 2", r"^expr: '\*\*' \(a power\) is not part of the language"),
    ("H[X] + (I[X;Y]", r"^expr: expected '\)' for the '\(' at position 7; at position 14"),
    ("H[X])", r"^expr: unmatched '\)'; at position 4"),
    ("H[X", r"^expr: unmatched '\['; at position 1"),
    ("H[X[Y]]", r"^expr: unexpected '\[' inside a bracket; at position 3"),
    ("H[X] + ]", r"^expr: unexpected '\]'; at position 7"),
    ("2 H[X]", r"^expr: unexpected 'H'; at position 2"),
    ("H[X] + _term0", r"^expr: parameter names may not start with '_' \('_term0'\); at position 7"),
    ("H[X] + 'a'", r"^expr: unexpected \"'\"; at position 7"),
    ("H[X]; import os", r"^expr: unexpected ';'; at position 4"),
    ("H[X] == H[Y]", r"^expr: unexpected '='; at position 5"),
])
def test_parser_errors_point_at_the_character(text, message):
    with pytest.raises(ValueError, match=message):
        decompose(text)


def test_shade_is_parsed_by_the_same_parser():
    from infoplane.info import plot_idiagram

    with pytest.raises(ValueError, match=r"^shade: unexpected '\.'"):
        plot_idiagram(XOR, shade="H[X] + os.system")


@given(st.text(alphabet="HI[];|,XYZ+-*/()0123456789.beta _:'\"", max_size=30))
def test_any_string_parses_or_raises_a_value_error_naming_expr(text):
    try:
        parsed, terms = parse_expression(text)
    except ValueError as err:
        assert str(err).startswith("expr: ")
    else:  # only numbers, symbols and + - * / come out: no function calls, no attribute access
        assert terms
        assert not parsed.atoms(sympy.Function)
        assert all(isinstance(a, sympy.Symbol | sympy.Number) for a in parsed.atoms())


def test_named_parameters_are_symbols_not_sympy_functions():
    parsed, _ = parse_expression("beta", need_term=False)
    assert parsed == sympy.Symbol("beta")  # not sympy's beta function
    parsed, _ = parse_expression("gamma*H[X] + pi*H[Y] + E + N + S", need_term=True)
    assert {str(s) for s in parsed.free_symbols} == {"gamma", "pi", "E", "N", "S", "_term0", "_term1"}
    assert identical("I[X;Y] - gamma*H[X]", "beta - gamma*H[X]", assume=("I[X;Y] = beta",))
