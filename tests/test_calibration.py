"""metrics.calibration on constructed predictions with known errors, and against torchmetrics."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infoplane.metrics.calibration import (
    IBINN_BIN_EDGES,
    calibration_errors,
    calibration_floor,
    overconfidence,
    plot_reliability,
)


def test_the_ibinn_edges_are_those_of_appendix_c3() -> None:
    expected = [0, .01, .02, .03, .04, .05, .15, .25, .35, .45, .55, .65, .75, .85, .95, .96, .97, .98,
                .99, 1.0]
    np.testing.assert_allclose(IBINN_BIN_EDGES, expected, atol=1e-12)


def test_perfectly_calibrated_predictions_have_zero_error_in_both_variants() -> None:
    # two classes, confidence 0.75 for class 0 in every row, class 0 true in 3 of 4 rows:
    # class-0 probabilities 0.75 are right 75 % of the time, class-1 probabilities 0.25 25 %
    probs = np.tile([0.75, 0.25], (400, 1))
    labels = np.array([0, 0, 0, 1] * 100)
    for variant, bins in (("top_label", 4), ("ibinn", np.array([0, 0.2, 0.3, 0.7, 0.8, 1.0]))):
        r = calibration_errors(probs, labels, variant=variant, bins=bins)
        assert (r.ece, r.mce, r.ice, r.gme) == pytest.approx((0, 0, 0, 0), abs=1e-12), variant


def test_constant_confidence_gives_the_gap_to_the_accuracy() -> None:
    c, acc = 0.9, 0.6
    n = 1000
    probs = np.tile([c, 1 - c], (n, 1))
    labels = (np.arange(n) >= acc * n).astype(int)   # class 0 true for the first 60 %
    r = calibration_errors(probs, labels, variant="top_label", bins=10)
    assert r.ece == pytest.approx(abs(c - acc), abs=1e-12)
    assert r.mce == pytest.approx(abs(c - acc), abs=1e-12)
    assert r.ice == pytest.approx(0.1 * abs(c - acc), abs=1e-12)   # one bin of width 0.1


def test_always_overconfident_predictions() -> None:
    # confidence 0.99 on the top class, which is right only half the time; with the C.3 bins
    # the 0.99 probabilities (bin [0.99, 1), centre 0.995) are right 50 %, the 0.01 ones
    # (bin [0.01, 0.02), centre 0.015) are right 50 % too
    n = 2000
    probs = np.tile([0.99, 0.01], (n, 1))
    labels = np.arange(n) % 2
    r = calibration_errors(probs, labels, variant="ibinn")
    gap_hi, gap_lo = abs(0.995 - 0.5), abs(0.015 - 0.5)
    assert r.ece == pytest.approx((gap_hi + gap_lo) / 2, abs=1e-12)
    assert r.mce == pytest.approx(gap_hi, abs=1e-12)
    assert r.ice == pytest.approx(0.01 * gap_hi + 0.01 * gap_lo, abs=1e-12)
    assert r.gme == pytest.approx(np.cbrt(r.ece * r.mce * r.ice), rel=1e-12)
    assert int(r.counts.sum()) == 2 * n          # every class probability is binned
    top = calibration_errors(probs, labels, variant="top_label")
    assert top.ece == pytest.approx(0.99 - 0.5, abs=1e-12)


def test_a_probability_of_one_falls_into_the_last_c3_bin() -> None:
    # one-hot predictions, all right: the ones land in [0.99, 1] (centre 0.995, accuracy 1),
    # the zeros in [0, 0.01) (centre 0.005, accuracy 0); K = 4 classes, so 1/4 and 3/4 of entries
    labels = np.arange(40) % 4
    probs = np.eye(4)[labels]
    r = calibration_errors(probs, labels, variant="ibinn")
    assert r.counts[-1] == 0 and r.counts[-2] == 40 and r.counts[0] == 120
    assert r.ece == pytest.approx(0.005, abs=1e-12)
    assert r.mce == pytest.approx(0.005, abs=1e-12)
    assert r.ice == pytest.approx(0.01 * 0.005 * 2, abs=1e-12)


def test_ibinn_variant_equals_the_official_codes_histogram() -> None:
    # evaluation/calibration.py of the official IB-INN code: np.histogram over all class
    # probabilities, edges 5 + 8 + 5 (-1e-6 and 1 + 1e-6 at the ends), bins with > 20 entries,
    # bin centres as confidence; here with a quarter of the rows saturated to exactly 1
    rng = np.random.default_rng(0)
    logits = rng.normal(size=(800, 10)) * 4
    probs = np.exp(logits - logits.max(1, keepdims=True))
    probs /= probs.sum(1, keepdims=True)
    labels = np.where(rng.random(800) < 0.8, probs.argmax(1), rng.integers(0, 10, 800))
    probs[:200] = np.eye(10)[probs[:200].argmax(1)]
    edges = np.concatenate([np.linspace(-1e-6, 5e-2, 5), np.linspace(5e-2, 1 - 5e-2, 10)[1:-1],
                            1.0 - np.linspace(5e-2, -1e-6, 5)])
    hits = np.eye(10, dtype=bool)[labels].reshape(-1)
    correct, _ = np.histogram(probs.reshape(-1)[hits], bins=edges)
    wrong, _ = np.histogram(probs.reshape(-1)[~hits], bins=edges)
    total = correct + wrong
    keep = total > 20
    gap = np.abs(correct[keep] / total[keep] - 0.5 * (edges[1:] + edges[:-1])[keep])
    official_ece, official_mce = (gap * total[keep]).sum() / total[keep].sum(), gap.max()
    ours = calibration_errors(probs, labels, variant="ibinn", bins=np.clip(edges, 0, 1), min_count=21)
    # the official end edges lie 1e-6 outside [0, 1]: its first and last centres differ by 5e-7
    assert ours.ece == pytest.approx(official_ece, abs=1e-6)
    assert ours.mce == pytest.approx(official_mce, abs=1e-6)


def test_min_count_drops_sparse_bins() -> None:
    probs = np.array([[0.95, 0.05]] * 50 + [[0.55, 0.45]])
    labels = np.zeros(51, dtype=int)
    full = calibration_errors(probs, labels, variant="top_label", bins=10)
    sparse = calibration_errors(probs, labels, variant="top_label", bins=10, min_count=2)
    assert full.mce == pytest.approx(0.45, abs=1e-12)     # the single 0.55 prediction, right
    assert sparse.mce == pytest.approx(0.05, abs=1e-12)
    with pytest.raises(ValueError, match=r"^min_count:"):
        calibration_errors(probs, labels, variant="top_label", bins=10, min_count=100)


def test_the_floor_of_one_bin_is_the_binomial_mean_absolute_deviation() -> None:
    # n predictions of confidence c in one bin: a calibrated model is right k ~ Binomial(n, c)
    # times, and its ECE is |k/n - c|, whose mean is sum_k Binom(k; n, c) |k/n - c|
    from scipy.stats import binom

    n, c = 12, 0.75
    k = np.arange(n + 1)
    exact = float((binom.pmf(k, n, c) * np.abs(k / n - c)).sum())
    floor = calibration_floor(np.tile([c, 1 - c], (n, 1)), variant="top_label", bins=4, draws=20_000)
    assert floor.ece == pytest.approx(exact, abs=4 * floor.ece_std / np.sqrt(floor.draws))
    assert floor.mce == floor.ece and floor.draws == 20_000


def test_one_hot_predictions_are_their_own_floor() -> None:
    # labels drawn from one-hot predictions are the predicted classes: every draw is the same
    labels = np.arange(40) % 4
    probs = np.eye(4)[labels]
    floor = calibration_floor(probs, variant="ibinn", draws=5)
    assert floor.ece == pytest.approx(calibration_errors(probs, labels).ece, abs=1e-15)
    assert floor.ece_std == 0.0


def test_a_calibration_floor_is_reproducible_and_checks_its_arguments() -> None:
    probs = np.random.default_rng(1).dirichlet(np.ones(5), size=300)
    assert calibration_floor(probs, seed=3) == calibration_floor(probs, seed=3)
    assert calibration_floor(probs, seed=3) != calibration_floor(probs, seed=4)
    with pytest.raises(ValueError, match=r"^draws:"):
        calibration_floor(probs, draws=0)
    with pytest.raises(ValueError, match=r"^probs:"):
        calibration_floor(probs[:, :1])


@pytest.mark.parametrize("n_bins", [5, 15, 30])
def test_top_label_equals_torchmetrics(n_bins: int) -> None:
    torchmetrics = pytest.importorskip("torchmetrics")
    gen = torch.Generator().manual_seed(n_bins)
    logits = torch.randn(2000, 6, generator=gen) * 3
    probs = torch.softmax(logits, 1)
    labels = torch.randint(0, 6, (2000,), generator=gen)
    probs[:10] = torch.nn.functional.one_hot(labels[:10], 6).float()   # confidences of exactly 1
    ours = calibration_errors(probs, labels, variant="top_label", bins=n_bins)
    for norm, value in (("l1", ours.ece), ("max", ours.mce)):
        metric = torchmetrics.CalibrationError(task="multiclass", num_classes=6, n_bins=n_bins, norm=norm)
        assert value == pytest.approx(float(metric(probs, labels)), abs=2e-6), norm


def test_overconfidence_matches_the_thesis_example() -> None:
    probs = np.array([[0.998, 0.002]] * 1000)
    labels = np.array([1] * 12 + [0] * 988)           # 1.2 % wrong at >= 99.7 % confidence
    assert overconfidence(probs, labels) == pytest.approx(1.2 / 0.3, rel=1e-12)
    with pytest.raises(ValueError, match=r"^threshold:"):
        overconfidence(np.array([[0.6, 0.4]]), [0])


def test_bin_centre_confidence_charges_a_calibrated_model_more_than_a_confidently_wrong_one() -> None:
    """C.51's bin centres in the first C.3 bin, [0, 0.01), reward confident errors; bin means do not.

    Both models give 0.9991 to their top class and 1e-4 to each of the 9 others (10 classes,
    n = 200). Model A is always right: the 1800 near-zero entries are never the true class
    (Q = 0, centre 0.005, mean 1e-4) and the 200 top entries always are (Q = 1, centre 0.995,
    mean 0.9991). Model B is wrong on 9 points, each time with 1e-4 on the true class, so its
    first bin has Q = 9/1800 = 0.005, the bin's centre exactly, and its top bin Q = 191/200.
    """
    n, k = 200, 10
    probs = np.tile([0.9991] + [1e-4] * (k - 1), (n, 1))
    right = np.zeros(n, dtype=int)
    wrong = right.copy()
    wrong[:9] = 1
    a_centre, b_centre = (calibration_errors(probs, y).ece for y in (right, wrong))
    # A: 0.9 * 0.005 + 0.1 * 0.005; B: 0.9 * 0 + 0.1 * |0.995 - 0.955|
    assert a_centre == pytest.approx(0.005, abs=1e-12)
    assert b_centre == pytest.approx(0.1 * 0.04, abs=1e-12)
    assert b_centre < a_centre                   # the confidently wrong model scores better
    a_mean, b_mean = (calibration_errors(probs, y, bin_confidence="mean") for y in (right, wrong))
    assert a_mean.bin_confidence == "mean" and calibration_errors(probs, right).bin_confidence == "centre"
    # A: 0.9 * 1e-4 + 0.1 * |0.9991 - 1|; B: 0.9 * |1e-4 - 0.005| + 0.1 * |0.9991 - 0.955|
    assert a_mean.ece == pytest.approx(0.9 * 1e-4 + 0.1 * 9e-4, abs=1e-12)
    assert b_mean.ece == pytest.approx(0.9 * 0.0049 + 0.1 * 0.0441, abs=1e-12)
    assert b_mean.ece > 40 * a_mean.ece
    # the top-label variant takes either rule too: centre of [14/15, 1) against the mean 0.9991
    top = calibration_errors(probs, right, variant="top_label", bin_confidence="centre")
    assert top.ece == pytest.approx(1 - (14 / 15 + 1) / 2, abs=1e-12)
    floor = calibration_floor(probs, bin_confidence="mean", draws=3)
    assert floor.bin_confidence == "mean" and calibration_floor(probs, draws=3).bin_confidence == "centre"


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"probs": np.ones((3, 2))}, "probs"),
    ({"probs": np.array([[0.5, 0.5], [np.nan, 1]])}, "probs"),
    ({"probs": np.ones(3) / 3}, "probs"),
    ({"labels": [0, 1]}, "labels"),
    ({"labels": [0, 1, 2]}, "labels"),
    ({"labels": [0.5, 1, 0]}, "labels"),
    ({"variant": "guo"}, "variant"),
    ({"bin_confidence": "median"}, "bin_confidence"),
    ({"bins": np.array([0.0, 0.6, 0.5, 1.0])}, "bins"),
    ({"bins": 0}, "bins"),
])
def test_bad_inputs_name_the_argument(kwargs: dict, argument: str) -> None:
    args = {"probs": np.array([[0.5, 0.5], [0.2, 0.8], [0.9, 0.1]]), "labels": [0, 1, 0], **kwargs}
    with pytest.raises(ValueError, match=rf"^{argument}:"):
        calibration_errors(**args)


def test_reliability_diagram_plots_the_used_bins() -> None:
    r = calibration_errors(np.tile([0.9, 0.1], (10, 1)), [0] * 9 + [1], variant="top_label", bins=10)
    ax = plot_reliability(r)
    xs, ys = ax.lines[1].get_data()
    assert list(xs) == pytest.approx([0.9]) and list(ys) == pytest.approx([0.9])
    with pytest.raises(TypeError, match=r"^result:"):
        plot_reliability({"ece": 0.1})
