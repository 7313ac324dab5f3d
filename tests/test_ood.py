"""metrics.ood against scikit-learn and hand-counted cases."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.metrics import roc_auc_score, roc_curve

from infoplane.metrics.ood import entropy_increase, fpr_at_tpr, p_values, prediction_entropy, roc_auc


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_equals_scikit_learn_with_ties(seed: int) -> None:
    rng = np.random.default_rng(seed)
    s_in = rng.integers(0, 8, size=150).astype(float)        # many ties
    s_ood = rng.integers(2, 10, size=90).astype(float)
    truth = np.r_[np.zeros(150), np.ones(90)]
    both = np.r_[s_in, s_ood]
    assert roc_auc(s_in, s_ood) == pytest.approx(roc_auc_score(truth, both), abs=1e-12)
    assert roc_auc(s_in, s_ood, ood_higher=False) == pytest.approx(roc_auc_score(truth, -both), abs=1e-12)


def test_roc_auc_extremes() -> None:
    assert roc_auc([0, 1], [2, 3]) == 1.0
    assert roc_auc([0, 1], [2, 3], ood_higher=False) == 0.0
    assert roc_auc([1, 1], [1, 1]) == 0.5


@pytest.mark.parametrize("tpr", [0.5, 0.8, 0.95, 1.0])
def test_fpr_at_tpr_equals_the_first_roc_point_reaching_the_tpr(tpr: float) -> None:
    rng = np.random.default_rng(1)
    s_in, s_ood = rng.normal(size=300), rng.normal(1.5, size=200)
    fpr, tprs, _ = roc_curve(np.r_[np.zeros(300), np.ones(200)], np.r_[s_in, s_ood], drop_intermediate=False)
    expected = fpr[np.argmax(tprs >= tpr - 1e-12)]
    assert fpr_at_tpr(s_in, s_ood, tpr=tpr) == pytest.approx(expected, abs=1e-12)
    assert fpr_at_tpr(-s_in, -s_ood, tpr=tpr, ood_higher=False) == pytest.approx(expected, abs=1e-12)


def test_p_values_count_the_reference_by_hand() -> None:
    ref = np.array([1.0, 2.0, 3.0, 4.0])
    # one-tailed at 2: #{r <= 2} = 2 -> (1 + 2) / 5
    assert p_values(ref, [2.0], "one_tailed")[0] == pytest.approx(3 / 5)
    # two-tailed at 4: low (1 + 4) / 5 = 1, high (1 + 1) / 5 -> 2 * 0.4
    assert p_values(ref, [4.0], "two_tailed")[0] == pytest.approx(0.8)
    # typicality at 0: mean 2.5, |0 - 2.5| = 2.5; reference distances 1.5, .5, .5, 1.5 -> none >= 2.5
    assert p_values(ref, [0.0], "typicality")[0] == pytest.approx(1 / 5)
    assert p_values(ref, [2.5], "typicality")[0] == pytest.approx(1.0)


def test_two_tailed_and_typicality_catch_too_likely_inputs_and_one_tailed_does_not() -> None:
    rng = np.random.default_rng(2)
    ref, ok = rng.normal(size=2000), rng.normal(size=500)
    too_likely = rng.normal(6.0, 0.5, size=500)       # a higher log-likelihood than any inlier
    for test, expect_high in (("two_tailed", True), ("typicality", True), ("one_tailed", False)):
        auc = roc_auc(p_values(ref, ok, test), p_values(ref, too_likely, test), ood_higher=False)
        assert (auc > 0.99) == expect_high, (test, auc)


def test_entropies() -> None:
    h = prediction_entropy(np.array([[0.25] * 4, [1, 0, 0, 0]]))
    np.testing.assert_allclose(h, [np.log(4), 0.0], atol=1e-15)
    assert entropy_increase([[1.0, 0.0]], [[0.5, 0.5]]) == pytest.approx(np.log(2))


@pytest.mark.parametrize(("call", "argument"), [
    (lambda: roc_auc([], [1.0]), "in_scores"),
    (lambda: roc_auc([0.0], [np.nan]), "ood_scores"),
    (lambda: roc_auc([0.0], [1.0], ood_higher="yes"), "ood_higher"),
    (lambda: fpr_at_tpr([0.0], [1.0], tpr=0.0), "tpr"),
    (lambda: p_values([0.0], [1.0], test="ks"), "test"),
    (lambda: p_values([], [1.0]), "reference"),
    (lambda: prediction_entropy([[0.6, 0.6]]), "probs"),
])
def test_bad_inputs_name_the_argument(call: object, argument: str) -> None:
    with pytest.raises((ValueError, TypeError), match=rf"^{argument}:"):
        call()
