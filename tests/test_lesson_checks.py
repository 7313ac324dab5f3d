"""lessons/checks.py: the exercises' self-check helper."""

import doctest
import importlib.util
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
_spec = importlib.util.spec_from_file_location("checks", LESSONS / "checks.py")
checks = importlib.util.module_from_spec(_spec)
sys.modules.setdefault("checks", checks)
_spec.loader.exec_module(checks)


@pytest.fixture(autouse=True)
def _fresh(monkeypatch):
    monkeypatch.delenv("INFOPLANE_CHECKS", raising=False)
    checks.reset()
    yield
    checks.reset()


def test_docstring_examples():
    result = doctest.testmod(checks, optionflags=doctest.ELLIPSIS, verbose=False)
    assert result.attempted >= 3 and result.failed == 0


def test_correct_answer_prints_and_returns_true(capsys):
    assert checks.check("ex1", 0.1 + 0.2, expected=0.3) is True
    assert capsys.readouterr().out == "✓ ex1: correct\n"


def test_wrong_answer_raises_assertion_error_with_hint():
    with pytest.raises(AssertionError, match=r"^ex1: expected 0.5, got 0.75 .*\n  hint: half of it$") as info:
        checks.check("ex1", 0.75, expected=0.5, hint="half of it")
    err = info.value
    assert isinstance(err, checks.CheckFailed)
    assert (err.name, err.answer, err.expected, err.hint) == ("ex1", 0.75, 0.5, "half of it")


def test_tolerances_follow_numpy_allclose():
    # |a - e| <= atol + rtol |e|: 1.0 vs 1.01 passes at rtol=0.02, fails at rtol=0.005
    assert checks.check("t", 1.01, expected=1.0, rtol=0.02, atol=0.0)
    with pytest.raises(checks.CheckFailed, match=r"^t: .*off by 0.01"):
        checks.check("t", 1.01, expected=1.0, rtol=0.005, atol=0.0)
    assert checks.check("t", -1e-9, expected=0.0, atol=1e-8)


@pytest.mark.parametrize("answer", [np.array([0.5, 0.25]), torch.tensor([0.5, 0.25]), [0.5, 0.25],
                                    (0.5, 0.25)])
def test_arrays_tensors_and_lists_compare_as_arrays(answer):
    assert checks.check("arr", answer, expected=np.array([0.5, 0.25]))


def test_shape_nan_and_type_mismatches_are_failures():
    with pytest.raises(checks.CheckFailed, match=r"^s: expected shape \(2,\), got shape \(3,\)"):
        checks.check("s", [1.0, 2.0, 3.0], expected=[1.0, 2.0])
    with pytest.raises(checks.CheckFailed, match=r"^s: the answer holds NaN"):
        checks.check("s", float("nan"), expected=1.0)
    with pytest.raises(checks.CheckFailed, match=r"^s: expected a number or an array, got str"):
        checks.check("s", "1.0", expected=1.0)
    with pytest.raises(checks.CheckFailed, match=r"^s: expected True, got False"):
        checks.check("s", False, expected=True)
    with pytest.raises(checks.CheckFailed, match=r"^s: expected 'XY', got 'YX'"):
        checks.check("s", "YX", expected="XY")


def test_dicts_sets_and_mixed_sequences():
    assert checks.check("d", {"i_xz": 1.0, "label": "ib"}, expected={"i_xz": 1.0 + 1e-12, "label": "ib"})
    with pytest.raises(checks.CheckFailed, match=r"^d: expected 2.0 at \['i_zy'\]"):
        checks.check("d", {"i_zy": 3.0}, expected={"i_zy": 2.0})
    with pytest.raises(checks.CheckFailed, match=r"^d: keys differ: missing \['b'\]"):
        checks.check("d", {"a": 1}, expected={"a": 1, "b": 2})
    assert checks.check("set", {"X", "Y"}, expected={"Y", "X"})
    assert checks.check("mixed", ("XY", 2.0), expected=("XY", 2))


def test_unanswered_is_reported_not_raised_unless_strict(capsys, monkeypatch):
    assert checks.check("open", ..., expected=1.0, hint="think") is False
    assert capsys.readouterr().out == "… open: not answered yet (hint: think)\n"
    assert checks.check("none", None, expected=2.0) is False
    monkeypatch.setenv("INFOPLANE_CHECKS", "strict")
    with pytest.raises(checks.CheckFailed, match=r"^open: not answered"):
        checks.check("open", ..., expected=1.0)


def test_collect_mode_prints_failures_and_summary_counts(capsys, monkeypatch):
    monkeypatch.setenv("INFOPLANE_CHECKS", "collect")
    assert checks.check("a", 1.0, expected=1.0)
    assert checks.check("b", 2.0, expected=1.0) is False
    assert checks.check("c", ..., expected=1.0) is False
    assert "✗ b: expected 1.0, got 2.0" in capsys.readouterr().out
    assert checks.summary() == {"passed": 1, "failed": 1, "unanswered": 1}
    monkeypatch.setenv("INFOPLANE_CHECKS", "lenient")
    with pytest.raises(ValueError, match=r"^INFOPLANE_CHECKS:"):
        checks.check("a", 1.0, expected=1.0)


def test_registry_computes_expected_from_the_package_once():
    from infoplane.info import co_information, examples
    entry = checks.REGISTRY["01.coinformation_xor"]
    assert entry.value == pytest.approx(-1.0, abs=1e-12)        # Yeung's sign: XOR has -1 bit
    assert checks.check("01.coinformation_xor", co_information(examples.xor(), base=2))
    with pytest.raises(checks.CheckFailed, match=r"^01.coinformation_xor: .*\n  hint: the co-information"):
        checks.check("01.coinformation_xor", 1.0)
    calls = []
    checks.expected("test.once", atol=0.1)(lambda: calls.append(1) or 3.0)
    try:
        assert checks.check("test.once", 3.05) and checks.check("test.once", 2.95)
        assert calls == [1]
        with pytest.raises(ValueError, match=r"^name: 'test.once' is already registered"):
            checks.expected("test.once")(lambda: 0.0)
    finally:
        checks.REGISTRY.pop("test.once")


def test_bad_names_are_value_errors():
    with pytest.raises(ValueError, match=r"^name: no expected value registered for 'nope'"):
        checks.check("nope", 1.0)
    with pytest.raises(ValueError, match=r"^name: expected a non-empty string"):
        checks.check("", 1.0, expected=1.0)
