"""Metrics: calibration, out-of-distribution tests, bits/dim, posterior quality.

Each submodule answers one question; this file only re-exports their public names.
"""
