"""Metrics: calibration, out-of-distribution tests, bits/dim, posterior quality.

Each submodule answers one question; this file only re-exports their public names.
"""
from infoplane.metrics.density import bits_per_dim, diagonal_gaussian_nll, nll_from_bits_per_dim  # noqa: F401
from infoplane.metrics.mmd import kernel_matrix as kernel_matrix
from infoplane.metrics.mmd import mmd as mmd
from infoplane.metrics.posterior import map_mean_shift as map_mean_shift
from infoplane.metrics.posterior import posterior_calibration_error as posterior_calibration_error
from infoplane.metrics.posterior import posterior_mmd as posterior_mmd
from infoplane.metrics.posterior import resimulation_error as resimulation_error
