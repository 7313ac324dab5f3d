"""Shared test settings: hypothesis profiles, the real-data fixture, quick lessons."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile("default", deadline=None, max_examples=50,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("ci", deadline=None, max_examples=30, derandomize=True,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile("ci" if os.environ.get("CI") else "default")

os.environ.setdefault("MPLBACKEND", "Agg")
os.environ["INFOPLANE_QUICK"] = "1"


@pytest.fixture
def mnist_root() -> Path:
    """The folder named by $INFOPLANE_DATA when it holds MNIST; skips the test otherwise."""
    root = os.environ.get("INFOPLANE_DATA")
    if not root or not any((Path(root) / name).exists() for name in
                           ("mnist.pkl.gz", "train-images-idx3-ubyte", "train-images-idx3-ubyte.gz")):
        pytest.skip("set INFOPLANE_DATA to a folder with MNIST to run real-data checks")
    return Path(root)
