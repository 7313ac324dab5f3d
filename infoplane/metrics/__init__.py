"""Metrics: density (bits/dim), sample distances (MMD), posterior quality.

Each submodule answers one question; this file only re-exports their public names.

- :mod:`~infoplane.metrics.density`: bits per dimension, the diagonal-Gaussian baseline NLL.
- :mod:`~infoplane.metrics.mmd`: maximum mean discrepancy (inverse multiquadratic or
  Gaussian kernels, biased or unbiased, memory-bounded).
- :mod:`~infoplane.metrics.posterior`: re-simulation error, posterior calibration error,
  MAP by mean shift, MMD between posteriors.
"""

from infoplane.metrics.density import bits_per_dim, diagonal_gaussian_nll, nll_from_bits_per_dim
from infoplane.metrics.mmd import kernel_matrix, mmd
from infoplane.metrics.posterior import (
    map_mean_shift,
    posterior_calibration_error,
    posterior_mmd,
    resimulation_error,
)

__all__ = [
    "bits_per_dim", "diagonal_gaussian_nll", "nll_from_bits_per_dim",
    "kernel_matrix", "mmd",
    "map_mean_shift", "posterior_calibration_error", "posterior_mmd", "resimulation_error",
]
