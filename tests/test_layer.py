"""estimate_layer: information-plane quantities of one layer against closed forms and direct estimates."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
import torch

from infoplane.estimators import entropy
from infoplane.estimators.layer import ESTIMATORS, estimate_layer

HALF_LOG_2PIE = 0.5 * math.log(2 * math.pi * math.e)


@pytest.fixture(autouse=True)
def _quiet_small_sample_warnings():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        yield


def _separated(n=1000, gap=20.0, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat([0, 1], n)
    return rng.normal(size=(2 * n, 1)) + gap * y[:, None], y


def test_the_estimator_names():
    assert ESTIMATORS == ("mixture", "kl", "gaussian", "binning", "kde")


@pytest.mark.parametrize("estimator", ["kl", "gaussian"])
def test_separated_gaussians_against_closed_forms(estimator):
    z, y = _separated()
    out = estimate_layer(z, y, estimator=estimator)
    # H[Z|y] is the entropy of N(0, 1); H[Y] = ln 2
    assert out["h_z_given_y"] == pytest.approx(HALF_LOG_2PIE, abs=0.05)
    assert out["h_y"] == pytest.approx(math.log(2), rel=1e-12)
    if estimator == "kl":   # far apart classes: Z determines Y, I(Z;Y) = H[Y]
        assert out["i_zy"] == pytest.approx(math.log(2), abs=0.05)
        assert out["h_y_given_z"] == pytest.approx(0.0, abs=0.05)


def test_ross_estimator_of_i_zy():
    z, y = _separated()
    assert estimate_layer(z, y, estimator="kl", ross=True)["i_zy"] == pytest.approx(math.log(2), abs=0.05)


def test_columns_are_the_direct_estimates():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 600)
    z = rng.normal(size=(600, 2)) + y[:, None]
    out = estimate_layer(torch.from_numpy(z), torch.from_numpy(y), estimator="kl", k=4, h_z_given_x=0.25,
                         label_entropy=0.1)
    assert out["h_z"] == entropy(z, "kl", k=4)
    direct = sum(np.mean(y == c) * entropy(z[y == c], "kl", k=4) for c in range(3))
    assert out["h_z_given_y"] == pytest.approx(direct, rel=1e-12)
    assert out["h_z_given_x"] == 0.25
    assert out["i_xz"] == pytest.approx(entropy(z, "kl", k=4) - 0.25, rel=1e-12)
    p = np.bincount(y) / 600
    assert out["h_y"] == pytest.approx(float(-(p * np.log(p)).sum()), rel=1e-12)
    assert out["i_xy_given_z"] == pytest.approx(max(out["h_y_given_z"] - 0.1, 0.0))


def test_binning_counts_the_bins():
    z, y = _separated()
    binned = estimate_layer(z + 5.0, y, estimator="binning", estimator_kwargs={"bin_width": 10.0})
    assert binned["h_z"] == pytest.approx(math.log(2))      # two bins, one per class
    assert binned["i_zy"] == pytest.approx(math.log(2)) and binned["h_z_given_y"] == pytest.approx(0.0)


def test_bad_arguments_name_themselves():
    z, y = _separated(n=20)
    with pytest.raises(ValueError, match=r"^estimator:"):
        estimate_layer(z, y, estimator="mine")
    with pytest.raises(ValueError, match=r"^estimator:"):
        estimate_layer(z, y, estimator="ksg")
    with pytest.raises(ValueError, match=r"^y:"):
        estimate_layer(z, y[:5])
    with pytest.raises(ValueError, match=r"^z:"):
        estimate_layer(np.full((40, 1), np.nan), y)
    with pytest.raises(ValueError, match=r"^k:"):
        estimate_layer(z, y, k=0)


@pytest.mark.parametrize("name, value", [("h_z_given_x", math.nan), ("h_z_given_x", math.inf),
                                         ("h_z_given_x", "a"), ("label_entropy", math.nan),
                                         ("label_entropy", -1.0), ("label_entropy", None)])
def test_unvalidated_floats_are_refused(name, value):
    z = np.random.default_rng(0).normal(size=(60, 1))
    y = np.repeat([0, 1], 30)
    with pytest.raises(ValueError, match=rf"^{name}:"):
        estimate_layer(z, y, estimator="gaussian", **{name: value})


def test_a_negative_encoding_entropy_is_a_valid_known_h_z_given_x():
    z = np.random.default_rng(0).normal(size=(60, 1))
    out = estimate_layer(z, np.repeat([0, 1], 30), estimator="gaussian", h_z_given_x=-2.0)
    assert out["i_xz"] == out["h_z"] + 2.0


def test_non_finite_labels_name_y():
    z = np.random.default_rng(0).normal(size=(4, 1))
    with pytest.raises(ValueError, match=r"^y: contains NaN"):
        estimate_layer(z, np.array([0.0, 1.0, np.nan, 1.0]), estimator="gaussian")
    with pytest.raises(ValueError, match=r"^y: contains NaN"):
        estimate_layer(torch.from_numpy(z), torch.tensor([0.0, 1.0, float("inf"), 1.0]), estimator="gaussian")


def test_mixture_columns_are_those_of_mixture_information_and_respect_ln_n():
    """The "mixture" estimator is the exact mixture of the noise law; k-NN overshoots ln n on this layer."""
    from infoplane.estimators import mixture_information

    rng = np.random.default_rng(3)
    mean = rng.normal(size=(300, 4)) * 5.0
    y = rng.integers(0, 3, 300)
    variance = 1 / (2 * np.pi * np.e)          # zero-entropy noise: H[Z|X] = 0
    out = estimate_layer(mean, y, estimator="mixture", estimator_kwargs={"noise_variance": variance})
    ref = mixture_information(mean, y=y, noise_variance=variance)
    assert out["i_xz"] == ref.i_xz and out["i_zy"] == ref.i_zy and out["i_xz_se"] == ref.se_i_xz
    assert out["h_z_given_x"] == pytest.approx(0.0, abs=1e-12)
    assert out["h_z"] == pytest.approx(out["h_z_given_x"] + out["i_xz"], abs=1e-12)
    assert out["h_y_given_z"] == pytest.approx(ref.h_y - ref.i_zy, abs=1e-12)
    assert out["i_xz"] <= np.log(300) + 2 * out["i_xz_se"]
    assert out["i_zy"] <= out["h_y"] + 2 * out["i_zy_se"]
    z = mean + np.sqrt(variance) * rng.normal(size=mean.shape)
    knn = estimate_layer(z, y, estimator="kl", h_z_given_x=0.0)
    assert knn["i_xz"] > np.log(300) + 1.0      # the failure the mixture fixes (Goldfeld et al. 2019)


def test_mixture_with_a_per_input_log_var_and_bad_arguments():
    rng = np.random.default_rng(4)
    mean, log_var = rng.normal(size=(50, 2)), rng.normal(size=(50, 2)) - 1.0
    y = np.arange(50) % 2
    out = estimate_layer(mean, y, estimator="mixture", log_var=log_var)
    expected = float((0.5 * (np.log(2 * np.pi * np.e) + log_var)).sum(1).mean())
    assert out["h_z_given_x"] == pytest.approx(expected, rel=1e-12)
    with pytest.raises(ValueError, match=r"^log_var:"):
        estimate_layer(mean, y, estimator="kl", log_var=log_var)
    with pytest.raises(ValueError, match=r"^estimator_kwargs:"):
        estimate_layer(mean, y, estimator="mixture", log_var=log_var, estimator_kwargs={"bin_width": 1.0})
    with pytest.raises(ValueError, match=r"^noise_variance:"):
        estimate_layer(mean, y, estimator="mixture")
    with pytest.raises(ValueError, match=r"^y:"):
        estimate_layer(mean, y + 0.5, estimator="mixture", log_var=log_var)
