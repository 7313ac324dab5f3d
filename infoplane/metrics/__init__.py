"""Metrics: density (bits/dim, the discrete data's bound), sample distances (MMD), posterior quality.

Each submodule answers one question; this file only re-exports their public names.

- :mod:`~infoplane.metrics.density`: bits per dimension, the diagonal-Gaussian baseline NLL.
- :mod:`~infoplane.metrics.mmd`: maximum mean discrepancy (inverse multiquadratic or
  Gaussian kernels, biased or unbiased, memory-bounded).
- :mod:`~infoplane.metrics.posterior`: re-simulation error, posterior calibration error,
  MAP by mean shift, MMD between posteriors.
- :mod:`~infoplane.metrics.calibration`: ECE, MCE, ICE and their geometric mean (thesis
  C.3, or top-label as torchmetrics), the floor they have on a finite test set,
  overconfidence, reliability diagrams.
- :mod:`~infoplane.metrics.ood`: ROC-AUC, FPR at a TPR, one/two-tailed and typicality
  p-values, the prediction-entropy gap.
"""

from infoplane.metrics.calibration import (
    CalibrationFloor,
    CalibrationResult,
    calibration_errors,
    calibration_floor,
    overconfidence,
    plot_reliability,
)
from infoplane.metrics.density import (
    DiscreteBitsPerDim,
    bits_per_dim,
    diagonal_gaussian_nll,
    discrete_bits_per_dim,
    nll_from_bits_per_dim,
)
from infoplane.metrics.mmd import kernel_matrix, mmd
from infoplane.metrics.ood import entropy_increase, fpr_at_tpr, p_values, prediction_entropy, roc_auc
from infoplane.metrics.posterior import (
    map_mean_shift,
    posterior_calibration_error,
    posterior_mmd,
    resimulation_error,
)

__all__ = [
    "bits_per_dim", "diagonal_gaussian_nll", "discrete_bits_per_dim", "DiscreteBitsPerDim",
    "nll_from_bits_per_dim",
    "kernel_matrix", "mmd",
    "map_mean_shift", "posterior_calibration_error", "posterior_mmd", "resimulation_error",
    "CalibrationFloor", "CalibrationResult", "calibration_errors", "calibration_floor", "overconfidence",
    "plot_reliability",
    "entropy_increase", "fpr_at_tpr", "p_values", "prediction_entropy", "roc_auc",
]
