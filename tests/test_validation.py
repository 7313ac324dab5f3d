"""The shared input checks of infoplane._validation (issue 12, item 6: complex input)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from infoplane._validation import check_real_dtype, check_samples, real_array

COMPLEX_INPUTS = [
    np.ones(4) + 1j,
    np.ones(4, dtype=np.complex64),
    torch.ones(4, dtype=torch.complex64),
    [1.0, 2j, 3.0, 4.0],
    np.array([1.0, 2j, 3.0, 4.0], dtype=object),
]


@pytest.mark.parametrize("value", COMPLEX_INPUTS, ids=lambda v: type(v).__name__)
def test_complex_samples_are_refused_by_name(value):
    # NumPy and torch drop the imaginary part when casting to float; we refuse instead
    with pytest.raises(ValueError, match=r"^x: expected real numbers"):
        check_samples(value, "x")
    with pytest.raises(ValueError, match=r"^x: expected real numbers"):
        real_array(value, "x")


def test_complex_scalars_are_refused_by_name():
    for value in (1j, np.complex128(1.0)):
        with pytest.raises(ValueError, match=r"^z: expected a real number"):
            check_real_dtype(value, "z")


def test_ints_bools_and_float16_are_cast():
    ints = check_samples(np.arange(4), "x")
    assert ints.dtype == np.float64 and ints.tolist() == [[0.0], [1.0], [2.0], [3.0]]
    half = check_samples(np.array([0.5, 1.5], dtype=np.float16), "x")
    assert half.dtype == np.float64 and half.tolist() == [[0.5], [1.5]]
    assert check_samples(torch.arange(3), "x").dtype == torch.get_default_dtype()
    assert check_samples(torch.ones(3).half(), "x").dtype == torch.float16  # tensors keep float types
    assert real_array(torch.ones(2).bfloat16(), "x").tolist() == [1.0, 1.0]
    assert real_array([True, False], "x").tolist() == [1.0, 0.0]


def test_non_numbers_are_refused_by_name():
    with pytest.raises(ValueError, match=r"^p: expected an array of probabilities"):
        real_array([["a", "b"]], "p", what="probabilities")
    with pytest.raises(ValueError, match=r"^x: expected an array of real numbers"):
        check_samples([[1.0], [1.0, 2.0]], "x")
