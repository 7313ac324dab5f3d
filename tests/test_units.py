"""infoplane._units: one conversion between nats and other bases."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from infoplane._units import from_nats, to_nats, unit_name, unit_scale


@pytest.mark.parametrize("base", [2, 10, 3.5, math.e])
def test_round_trip_and_change_of_base(base: float) -> None:
    # log_b(x) = ln(x) / ln(b): the entropy of a fair 7-sided die in units of log b
    assert from_nats(math.log(7), base) == pytest.approx(math.log(7, base), rel=1e-15)
    assert to_nats(from_nats(1.234, base), base) == pytest.approx(1.234, rel=1e-15)
    assert unit_scale(base) == pytest.approx(1 / math.log(base), rel=1e-15)


def test_arrays_and_tensors_convert_elementwise() -> None:
    np.testing.assert_allclose(from_nats(np.log([2.0, 4.0]), 2), [1.0, 2.0])
    torch.testing.assert_close(from_nats(torch.log(torch.tensor([8.0])), 2), torch.tensor([3.0]))


def test_negative_zero_becomes_zero() -> None:
    assert math.copysign(1.0, from_nats(-0.0, 2)) == 1.0
    assert math.copysign(1.0, from_nats(-0.0)) == 1.0


def test_unit_names() -> None:
    assert (unit_name(), unit_name(2), unit_name(10)) == ("nats", "bits", "log base 10")


@pytest.mark.parametrize("base", [1, 0, -2, math.inf])
def test_bad_bases_are_rejected(base: float) -> None:
    with pytest.raises(ValueError, match=r"^base:"):
        from_nats(1.0, base)
