"""Out-of-distribution detection: ROC-AUC, FPR at a TPR, likelihood tests, the entropy gap.

Positives are always the OoD inputs, and every function that reads scores says which
way they point (``ood_higher``): a negative log-likelihood is higher for OoD inputs, a
log-likelihood or a p-value lower.

The likelihood tests (thesis sec. 5.6, Fig. 5.16; Nalisnick et al. 2019 for the
typicality test) compare a score s(x) of one input (batch size 1), such as log q(x) or
log q(z), with the same score on in-distribution reference data (the training or a
validation set) and return an empirical p-value, small for OoD inputs:

- ``"one_tailed"``: only too-low scores are OoD, p = (1 + #{r <= s}) / (n + 1);
- ``"two_tailed"``: the quantile test of the thesis, too-low or too-high scores,
  p = min(1, 2 min(p_low, p_high)) with p_high = (1 + #{r >= s}) / (n + 1);
- ``"typicality"``: distance from the mean reference score,
  ``p = (1 + #{|r - mean r| >= |s - mean r|}) / (n + 1)``.

The OoD detection score of the papers is then ``roc_auc(p_in, p_ood, ood_higher=False)``.

Examples
--------
>>> import numpy as np
>>> from infoplane.metrics.ood import roc_auc
>>> roc_auc([0.1, 0.2, 0.3], [0.25, 0.9], ood_higher=True)   # 5 of 6 pairs ordered
0.8333333333333334
"""

from __future__ import annotations

import numpy as np
import torch
from scipy.stats import rankdata

__all__ = ["TESTS", "roc_auc", "fpr_at_tpr", "p_values", "prediction_entropy", "entropy_increase"]

TESTS = ("one_tailed", "two_tailed", "typicality")


def _scores(x: object, name: str) -> np.ndarray:
    if isinstance(x, torch.Tensor):
        x = x.detach().cpu().double().numpy()
    try:
        arr = np.asarray(x, dtype=float).reshape(-1)
    except (TypeError, ValueError) as err:
        raise ValueError(f"{name}: expected an array of scores ({err})") from None
    if arr.size == 0:
        raise ValueError(f"{name}: is empty")
    if not np.isfinite(arr).all():
        raise ValueError(f"{name}: contains NaN or infinite scores")
    return arr


def _oriented(in_scores: object, ood_scores: object, ood_higher: bool) -> tuple[np.ndarray, np.ndarray]:
    if not isinstance(ood_higher, (bool, np.bool_)):
        raise TypeError(f"ood_higher: expected True or False, got {ood_higher!r}")
    s_in, s_ood = _scores(in_scores, "in_scores"), _scores(ood_scores, "ood_scores")
    return (s_in, s_ood) if ood_higher else (-s_in, -s_ood)


def roc_auc(in_scores: object, ood_scores: object, ood_higher: bool = True) -> float:
    """Area under the ROC curve of detecting OoD inputs, ties counted half (a fraction in [0, 1]).

    Rank-based (the Mann-Whitney U statistic over n_in n_ood pairs):
    AUC = P(s_ood > s_in) + P(s_ood = s_in) / 2 for ``ood_higher=True``; equal to
    scikit-learn's ``roc_auc_score`` with the OoD inputs as the positive class.

    Parameters
    ----------
    in_scores, ood_scores : arrays
        Scores of in-distribution and OoD inputs.
    ood_higher : bool
        Whether OoD inputs score higher (a negative log-likelihood) or lower (a
        log-likelihood, a p-value).

    Examples
    --------
    >>> from infoplane.metrics.ood import roc_auc
    >>> roc_auc([1.0, 2.0], [1.0, 3.0])   # pairs (1,1) tie, (1,3) (2,3) ordered, (2,1) not
    0.625
    """
    s_in, s_ood = _oriented(in_scores, ood_scores, ood_higher)
    ranks = rankdata(np.concatenate([s_in, s_ood]))  # ties get the average rank
    n_in, n_ood = s_in.size, s_ood.size
    u = ranks[n_in:].sum() - n_ood * (n_ood + 1) / 2
    return float(u / (n_in * n_ood))


def fpr_at_tpr(in_scores: object, ood_scores: object, tpr: float = 0.95, ood_higher: bool = True) -> float:
    """False-positive rate at the strictest threshold that flags at least ``tpr`` of the OoD inputs.

    The threshold t is the highest score such that a fraction >= ``tpr`` of OoD scores
    is >= t; the result is the fraction of in-distribution scores >= t (for
    ``ood_higher=False`` both inequalities flip). FPR@95 is ``tpr=0.95``.

    Examples
    --------
    >>> from infoplane.metrics.ood import fpr_at_tpr
    >>> fpr_at_tpr([0.1, 0.2, 0.3, 0.4], [0.35, 0.5, 0.6, 0.7], tpr=0.75)  # t = 0.5
    0.0
    >>> fpr_at_tpr([0.1, 0.2, 0.3, 0.4], [0.35, 0.5, 0.6, 0.7], tpr=1.0)   # t = 0.35
    0.25
    """
    if isinstance(tpr, bool) or not isinstance(tpr, (int, float)) or not 0.0 < float(tpr) <= 1.0:
        raise ValueError(f"tpr: expected a rate in (0, 1], got {tpr!r}")
    s_in, s_ood = _oriented(in_scores, ood_scores, ood_higher)
    ordered = np.sort(s_ood)[::-1]
    needed = int(np.ceil(float(tpr) * ordered.size - 1e-12))
    threshold = ordered[max(needed, 1) - 1]
    return float((s_in >= threshold).mean())


def p_values(reference: object, scores: object, test: str = "two_tailed") -> np.ndarray:
    """Empirical p-values of ``scores`` under the reference (in-distribution) scores; small = OoD.

    Parameters
    ----------
    reference : array (n,)
        The score (e.g. log q(x) in nats) on in-distribution data.
    scores : array (m,)
        The score of the inputs to test, one at a time.
    test : {"one_tailed", "two_tailed", "typicality"}
        See the module docstring.

    Returns
    -------
    ndarray (m,)
        p-values in (0, 1].

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.metrics.ood import p_values
    >>> ref = np.arange(99.0)                   # reference scores 0 .. 98
    >>> p_values(ref, [-5.0, 49.0, 200.0], test="two_tailed").round(3).tolist()
    [0.02, 1.0, 0.02]
    >>> p_values(ref, [-5.0, 200.0], test="one_tailed").round(3).tolist()
    [0.01, 1.0]
    """
    if test not in TESTS:
        raise ValueError(f"test: expected one of {TESTS}, got {test!r}")
    ref = np.sort(_scores(reference, "reference"))
    s = _scores(scores, "scores")
    n = ref.size
    below = np.searchsorted(ref, s, side="right")          # #{r <= s}
    above = n - np.searchsorted(ref, s, side="left")       # #{r >= s}
    p_low, p_high = (1 + below) / (n + 1), (1 + above) / (n + 1)
    if test == "one_tailed":
        return p_low
    if test == "two_tailed":
        return np.minimum(1.0, 2 * np.minimum(p_low, p_high))
    distance = np.sort(np.abs(ref - ref.mean()))
    far = n - np.searchsorted(distance, np.abs(s - ref.mean()), side="left")
    return (1 + far) / (n + 1)


def prediction_entropy(probs: object, name: str = "probs") -> np.ndarray:
    """Entropy of each predictive distribution, H[p(y|x)] = -sum_y p log p, in nats.

    ``name`` is the argument name used in error messages.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.metrics.ood import prediction_entropy
    >>> prediction_entropy([[0.5, 0.5], [1.0, 0.0]]).round(4).tolist()
    [0.6931, 0.0]
    """
    if isinstance(probs, torch.Tensor):
        probs = probs.detach().cpu().double().numpy() if not probs.is_complex() else probs.numpy()
    try:
        p = np.asarray(probs)
        if np.iscomplexobj(p) or p.dtype.kind not in "biuf":
            raise TypeError
        p = p.astype(float)
    except (TypeError, ValueError):
        raise ValueError(f"{name}: expected an array of probabilities") from None
    if p.ndim != 2 or p.shape[1] < 2 or p.shape[0] < 1:
        raise ValueError(f"{name}: expected shape (n_samples >= 1, n_classes >= 2), got {p.shape}")
    if not np.isfinite(p).all() or (p < 0).any() or np.abs(p.sum(1) - 1).max() > 1e-4:
        raise ValueError(f"{name}: expected finite rows of probabilities that sum to 1")
    terms = np.where(p > 0, -p * np.log(np.where(p > 0, p, 1.0)), 0.0)
    return terms.sum(1)


def entropy_increase(probs_in: object, probs_ood: object) -> float:
    """Mean prediction entropy on OoD inputs minus that on in-distribution inputs, in nats.

    Positive when the classifier is less sure on OoD data, as it should be (thesis
    Table 5.1, "entropy" column).

    Examples
    --------
    >>> from infoplane.metrics.ood import entropy_increase
    >>> round(entropy_increase([[1.0, 0.0]], [[0.5, 0.5]]), 4)
    0.6931
    """
    h_ood = prediction_entropy(probs_ood, "probs_ood").mean()
    return float(h_ood - prediction_entropy(probs_in, "probs_in").mean())
