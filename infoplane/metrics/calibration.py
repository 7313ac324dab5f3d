"""Calibration of a classifier's probabilities: ECE, MCE, ICE, their geometric mean, reliability diagrams.

Two variants, and every result says which one it is:

- ``"ibinn"`` (thesis appendix C.3, eq. C.48-C.55 = 5.21-5.27): every one of the K class
  probabilities ``p(y'|x_j)`` of every test point is binned; bin i counts n^(i) of them and
  n_c^(i) of those whose class y' is the true label y_j; the confidence of a bin is its
  centre P_i = (b_i + b_{i+1}) / 2 and its accuracy Q_i = n_c^(i) / n^(i). The default
  edges are those of C.3, dense near 0 and 1: 0, 0.01, ..., 0.04, 0.05, 0.15, ..., 0.85,
  0.95, 0.96, ..., 0.99, 1.
- ``"top_label"`` (Guo et al. 2017, as torchmetrics' ``CalibrationError``): only the top
  prediction of each point is binned, with uniform edges; the confidence of a bin is the
  mean top probability in it, and its accuracy the fraction of correct top predictions.

``bin_confidence="mean"`` gives the ``"ibinn"`` variant a bin's mean probability as its
confidence in place of the centre (the rule of Guo et al. 2017, applied to all K
probabilities in C.3's bins); ``"centre"`` gives the ``"top_label"`` variant its bins'
centres. Each variant's own rule is the default. The difference matters in C.3's first
bin, [0, 0.01), which holds most of a confident model's K - 1 wrong-class probabilities:
its centre 0.005 lies far above the probabilities in it (often below 1e-4), so that
bin-centre confidence charges a perfectly calibrated confident model up to 0.005 for that
bin alone, and less the more often the true class is among those near-zero probabilities,
i.e. the more confidently wrong the model is (an example is in the tests). With the mean,
the bin is scored by how far its true-class rate lies from the probabilities in it.

Then (eq. 5.24-5.27), over the bins that hold at least ``max(min_count, 1)`` entries:
``ECE = sum_i n^(i)/n_tot |P_i - Q_i|``, ``MCE = max_i |P_i - Q_i|``,
``ICE = sum_i (b_{i+1} - b_i) |P_i - Q_i|``, ``GME = (ECE MCE ICE)^(1/3)``. All four are
fractions (multiply by 100 for the percent of the papers' tables).

Bins are half-open, [b_i, b_{i+1}), except for a probability of exactly 1 (which float32
softmaxes return for margins above about 17 nats, so that it is common for confident
models). In ``"ibinn"`` it falls into the last C.3 bin, [0.99, 1] closed, with that bin's
centre as confidence, as ``numpy.histogram`` bins it in the official IB-INN code; C.3 itself,
with half-open bins up to 1, leaves it out. In ``"top_label"`` it forms a last bin [1, 1] of
its own (confidence 1, width 0), which is what torchmetrics does, so that those numbers equal
torchmetrics' on the same inputs.

The official IB-INN code differs from C.3 in small ways (its edges are 5 + 8 + 5
linspaced values, it keeps only bins with more than 20 entries, and it integrates the ICE
with the trapezoidal rule); ``bins=`` and ``min_count=`` reproduce the first two.

Examples
--------
>>> import numpy as np
>>> from infoplane.metrics.calibration import calibration_errors
>>> probs = np.array([[0.9, 0.1], [0.9, 0.1], [0.2, 0.8], [0.6, 0.4]])
>>> result = calibration_errors(probs, [0, 1, 1, 0], variant="top_label", bins=2)
>>> # one bin holds all four: mean confidence 0.8, accuracy 3/4
>>> round(result.ece, 4), result.variant
(0.05, 'top_label')
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from infoplane._validation import check_int

__all__ = ["IBINN_BIN_EDGES", "CalibrationFloor", "CalibrationResult", "calibration_errors",
           "calibration_floor", "overconfidence", "plot_reliability"]

IBINN_BIN_EDGES = np.round(np.concatenate([np.arange(0, 5) * 0.01, 0.05 + np.arange(0, 9) * 0.1,
                                           0.95 + np.arange(0, 5) * 0.01, [1.0]]), 10)
"""The bin edges of thesis appendix C.3 (0-0.05 and 0.95-1 in steps of 0.01, 0.1 in between)."""

VARIANTS = ("ibinn", "top_label")
BIN_CONFIDENCES = ("centre", "mean")


@dataclass(frozen=True)
class CalibrationResult:
    """Calibration errors (fractions, not percent) and the per-bin table they come from.

    Attributes
    ----------
    variant : str
        ``"ibinn"`` (all class probabilities) or ``"top_label"`` (the top one).
    bin_confidence : str
        What a bin's confidence P_i is: ``"centre"`` (C.51, the ``"ibinn"`` default) or
        ``"mean"`` (the mean probability in it, the ``"top_label"`` default).
    ece, mce, ice, gme : float
        Expected, maximum and integrated calibration error and their geometric mean.
    edges : ndarray (B + 1,)
        Bin edges (the extra [1, 1] bin is not among them).
    counts, correct : ndarray (B + 1,)
        Entries and correct entries per bin, the last one being the [1, 1] bin (always
        empty in ``"ibinn"``, whose last C.3 bin is closed).
    confidence, accuracy : ndarray (B + 1,)
        P_i and Q_i per bin (0 where a bin is empty: see ``counts``; such bins are left out).
    used : ndarray of bool (B + 1,)
        The bins that entered the errors (at least ``max(min_count, 1)`` entries).
    """

    variant: str
    bin_confidence: str
    ece: float
    mce: float
    ice: float
    gme: float
    edges: np.ndarray
    counts: np.ndarray
    correct: np.ndarray
    confidence: np.ndarray
    accuracy: np.ndarray
    used: np.ndarray


def _as_numpy(x: object, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy() if x.is_floating_point() else x.detach().cpu().numpy()
    try:
        return np.asarray(x)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: expected an array ({err})") from None


def _check_probs(probs: object) -> np.ndarray:
    p = _as_numpy(probs, "probs").astype(float)
    if p.ndim != 2 or p.shape[1] < 2 or p.shape[0] < 1:
        raise ValueError(f"probs: expected shape (n_samples, n_classes >= 2), got {p.shape}")
    if not np.isfinite(p).all():
        raise ValueError("probs: contains NaN or infinite values")
    if (p < 0).any() or (p > 1).any():
        raise ValueError("probs: expected probabilities in [0, 1]")
    if np.abs(p.sum(1) - 1.0).max() > 1e-4:
        worst = p.sum(1)[np.abs(p.sum(1) - 1).argmax()]
        raise ValueError(f"probs: rows must sum to 1 (the worst row sums to {worst:.6g})")
    return p


def _check_probs_labels(probs: object, labels: object) -> tuple[np.ndarray, np.ndarray]:
    p = _check_probs(probs)
    y = _as_numpy(labels, "labels").reshape(-1)
    if y.shape[0] != p.shape[0]:
        raise ValueError(f"labels: expected {p.shape[0]} labels to match probs, got {y.shape[0]}")
    if not np.issubdtype(y.dtype, np.integer):
        if np.issubdtype(y.dtype, np.floating) and np.all(y == np.round(y)):
            y = y.astype(int)
        else:
            raise ValueError("labels: expected integer class labels")
    if (y < 0).any() or (y >= p.shape[1]).any():
        raise ValueError(f"labels: expected classes in [0, {p.shape[1]}), got {y.min()}..{y.max()}")
    return p, y


def _edges(bins: int | np.ndarray | None, variant: str) -> np.ndarray:
    if bins is None:
        return IBINN_BIN_EDGES.copy() if variant == "ibinn" else np.linspace(0.0, 1.0, 16)
    if isinstance(bins, (int, np.integer)) and not isinstance(bins, bool):
        return np.linspace(0.0, 1.0, check_int(bins, "bins", minimum=1) + 1)
    edges = np.asarray(_as_numpy(bins, "bins"), dtype=float).reshape(-1)
    if edges.size < 2 or edges[0] != 0.0 or edges[-1] != 1.0 or (np.diff(edges) <= 0).any():
        raise ValueError("bins: expected an int or increasing edges from 0 to 1")
    return edges


def _bin_confidence(bin_confidence: str | None, variant: str) -> str:
    if variant not in VARIANTS:
        raise ValueError(f"variant: expected one of {VARIANTS}, got {variant!r}")
    if bin_confidence is None:
        return "centre" if variant == "ibinn" else "mean"
    if bin_confidence not in BIN_CONFIDENCES:
        raise ValueError(f"bin_confidence: expected one of {BIN_CONFIDENCES}, got {bin_confidence!r}")
    return bin_confidence


def calibration_errors(probs: object, labels: object, variant: str = "ibinn",
                       bins: int | np.ndarray | None = None, min_count: int = 0,
                       bin_confidence: str | None = None) -> CalibrationResult:
    """ECE, MCE, ICE and GME of predicted class probabilities (fractions; thesis eq. 5.24-5.27).

    Parameters
    ----------
    probs : array (n_samples, n_classes)
        Predicted probabilities ``p(y'|x)`` (rows sum to 1); NumPy or torch.
    labels : array (n_samples,)
        True classes.
    variant : {"ibinn", "top_label"}
        Which probabilities are binned and what a bin's confidence is (module docstring).
    bins : int or array of edges, optional
        Number of uniform bins or the edges themselves; default the C.3 edges for
        ``"ibinn"`` and 15 uniform bins (torchmetrics' default) for ``"top_label"``.
    min_count : int
        Bins with fewer entries are left out of all four errors (noisy bins).
    bin_confidence : {"centre", "mean"}, optional
        A bin's confidence: its centre or the mean probability in it; default the
        variant's own (module docstring).

    Returns
    -------
    CalibrationResult

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.metrics.calibration import calibration_errors
    >>> probs = np.array([[0.7, 0.3]] * 10)       # always 70 % sure of class 0 ...
    >>> labels = np.array([0] * 7 + [1] * 3)      # ... and right 70 % of the time
    >>> r = calibration_errors(probs, labels, variant="top_label", bins=10)
    >>> round(r.ece, 12), round(r.mce, 12)
    (0.0, 0.0)
    >>> sure = np.array([[0.9991] + [0.0001] * 9] * 10)   # calibrated, and right every time
    >>> c3 = calibration_errors(sure, [0] * 10)           # C.3: the first bin is charged 0.005
    >>> round(c3.ece, 6), round(calibration_errors(sure, [0] * 10, bin_confidence="mean").ece, 6)
    (0.005, 0.00018)
    """
    rule = _bin_confidence(bin_confidence, variant)
    p, y = _check_probs_labels(probs, labels)
    min_count = check_int(min_count, "min_count", minimum=0)
    edges = _edges(bins, variant)
    n_bins = edges.size - 1
    if variant == "ibinn":
        values = p.reshape(-1)
        hits = (np.arange(p.shape[1])[None, :] == y[:, None]).reshape(-1).astype(float)
    else:
        values = p.max(1)
        hits = (p.argmax(1) == y).astype(float)
    # [b_i, b_{i+1}) for i < B; p == 1 in the closed last bin [b_{B-1}, 1] (C.3, as the
    # official code's np.histogram) or, for top_label, in a bin [1, 1] of its own (index B)
    last = n_bins - 1 if variant == "ibinn" else n_bins
    index = np.clip(np.searchsorted(edges, values, side="right") - 1, 0, last)
    counts = np.bincount(index, minlength=n_bins + 1).astype(float)
    correct = np.bincount(index, weights=hits, minlength=n_bins + 1)
    occupied = counts > 0
    safe = np.maximum(counts, 1.0)
    accuracy = np.where(occupied, correct / safe, 0.0)
    if rule == "centre":   # C.51; the [1, 1] bin's centre is 1
        centres = np.append(0.5 * (edges[:-1] + edges[1:]), 1.0)
        confidence = np.where(occupied, centres, 0.0)
    else:
        sums = np.bincount(index, weights=values, minlength=n_bins + 1)
        confidence = np.where(occupied, sums / safe, 0.0)
    used = counts >= max(min_count, 1)
    if not used.any():
        raise ValueError(f"min_count: no bin holds {min_count} entries "
                         f"(the fullest holds {int(counts.max())})")
    gap = np.abs(confidence[used] - accuracy[used])
    widths = np.append(np.diff(edges), 0.0)[used]
    ece = float((counts[used] * gap).sum() / counts[used].sum())
    mce = float(gap.max())
    ice = float((widths * gap).sum())
    gme = float(np.cbrt(ece * mce * ice))
    return CalibrationResult(variant, rule, ece, mce, ice, gme, edges, counts, correct, confidence, accuracy,
                             used)


@dataclass(frozen=True)
class CalibrationFloor:
    """Calibration errors of a perfectly calibrated classifier with given predictions (fractions).

    Attributes
    ----------
    variant, bin_confidence : str
        The variant and bin-confidence rule of :func:`calibration_errors` they were computed in.
    ece, mce, ice, gme : float
        Means over the draws.
    ece_std : float
        Standard deviation of the ECE over the draws (the spread of one test set's ECE,
        not the standard error of the mean).
    draws : int
        Number of label draws.
    """

    variant: str
    bin_confidence: str
    ece: float
    mce: float
    ice: float
    gme: float
    ece_std: float
    draws: int


def calibration_floor(probs: object, variant: str = "ibinn", bins: int | np.ndarray | None = None,
                      min_count: int = 0, draws: int = 200, seed: int = 0,
                      bin_confidence: str | None = None) -> CalibrationFloor:
    """What the calibration errors of these predictions would be if they were perfectly calibrated.

    Binned calibration errors are biased upwards on a finite test set: a bin of n entries
    whose confidence is P has an accuracy Q that scatters around P by about
    sqrt(P (1 - P) / n) even when the model is calibrated, and the gap ``|P - Q|`` keeps
    all of that scatter; bin-centre confidence (the ``"ibinn"`` variant) adds the distance of the
    entries from their bin's centre. This function measures that floor: it draws the
    labels from the predictions themselves, y_j ~ Cat(p(.|x_j)), which makes the model
    calibrated by construction, and averages :func:`calibration_errors` over ``draws``
    such label sets. An ECE within about ``ece_std`` of its floor (or below it) says that
    the test set cannot tell the model from a calibrated one; two models compare by how far
    each lies above its own floor, since a model that spreads its predictions over more
    bins has a higher floor.

    Parameters
    ----------
    probs : array (n_samples, n_classes)
        Predicted probabilities (rows sum to 1); NumPy or torch.
    variant, bins, min_count, bin_confidence
        As in :func:`calibration_errors`.
    draws : int
        Label sets to average over.
    seed : int
        Seed of the label draws (NumPy's default generator; the global state is left alone).

    Returns
    -------
    CalibrationFloor

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.metrics.calibration import calibration_floor
    >>> probs = np.array([[0.75, 0.25]] * 12)     # one bin, P = 0.75, 12 predictions
    >>> floor = calibration_floor(probs, variant="top_label", bins=4, draws=4000)
    >>> round(floor.ece, 3)                # exactly E|k/12 - 0.75| = 0.0968, k ~ Binomial(12, 0.75)
    0.095
    """
    rule = _bin_confidence(bin_confidence, variant)
    p = _check_probs(probs)
    draws = check_int(draws, "draws", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    rng = np.random.default_rng(seed)
    cdf = np.cumsum(p / p.sum(1, keepdims=True), axis=1)
    results = []
    for _ in range(draws):
        u = rng.random((p.shape[0], 1))
        labels = np.minimum((u >= cdf).sum(1), p.shape[1] - 1)   # inverse CDF: y ~ Cat(p)
        results.append(calibration_errors(p, labels, variant=variant, bins=bins, min_count=min_count,
                                          bin_confidence=rule))
    ece = np.array([r.ece for r in results])
    return CalibrationFloor(variant, rule, float(ece.mean()), float(np.mean([r.mce for r in results])),
                            float(np.mean([r.ice for r in results])),
                            float(np.mean([r.gme for r in results])), float(ece.std()), draws)


def overconfidence(probs: object, labels: object, threshold: float = 0.997) -> float:
    """Overconfidence error: the error rate of predictions at least ``threshold`` sure, over 1 - threshold.

    Thesis sec. 5.6 (OCE, C_crit = 99.7 %): an error rate of 1.2 % among predictions
    with confidence >= 99.7 % gives 1.2 / 0.3 = 4; 1 or less means the confident
    predictions are no more often wrong than their confidence allows. Raises ValueError
    when no prediction reaches the threshold.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.metrics.calibration import overconfidence
    >>> probs = np.array([[0.999, 0.001]] * 100)
    >>> labels = np.array([0] * 98 + [1] * 2)       # 2 % wrong where 0.3 % are allowed
    >>> round(overconfidence(probs, labels), 4)
    6.6667
    """
    p, y = _check_probs_labels(probs, labels)
    if not 0.0 < float(threshold) < 1.0:
        raise ValueError(f"threshold: expected a confidence in (0, 1), got {threshold!r}")
    sure = p.max(1) >= threshold
    if not sure.any():
        raise ValueError(f"threshold: no prediction is {threshold} sure "
                         f"(the most confident is {p.max():.6g})")
    error = float((p.argmax(1)[sure] != y[sure]).mean())
    return error / (1.0 - float(threshold))


def plot_reliability(result: CalibrationResult, ax: object = None, label: str | None = None) -> object:
    """Reliability diagram: accuracy Q against confidence P per used bin, and the diagonal.

    Parameters
    ----------
    result : CalibrationResult
    ax : matplotlib Axes, optional
    label : str, optional
        Legend label of the curve; by default the variant, the bin-confidence rule and the ECE in percent.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.metrics.calibration import calibration_errors, plot_reliability
    >>> r = calibration_errors(np.array([[0.8, 0.2], [0.3, 0.7]]), [0, 0], variant="top_label", bins=5)
    >>> plot_reliability(r).get_xlabel()
    'confidence P'
    """
    import matplotlib.pyplot as plt

    if not isinstance(result, CalibrationResult):
        raise TypeError(f"result: expected a CalibrationResult, got {type(result).__name__}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4, 4))
    used = result.used
    text = label if label is not None else (f"{result.variant} ({result.bin_confidence} confidence): "
                                            f"ECE {100 * result.ece:.2f} %")
    ax.plot([0, 1], [0, 1], "k--", lw=1, label="perfect calibration")
    ax.plot(result.confidence[used], result.accuracy[used], "o-", ms=3, label=text)
    ax.set(xlim=(0, 1), ylim=(0, 1), xlabel="confidence P", ylabel="accuracy Q")
    ax.legend(fontsize=7, loc="upper left")
    return ax

