"""data.ood: OoD sets made from the data, checked against their definitions."""

from __future__ import annotations

import pytest
import torch

from infoplane.data import load_digits
from infoplane.data.ood import add_noise, digits_as_mnist, invert, mnist_as_digits, ood_sets, resize, rotate


def test_noise_has_the_stated_std_and_stays_in_range() -> None:
    x = torch.full((2000, 64), 0.5)
    noisy = add_noise(x, std=0.05, seed=1)
    assert float((noisy - x).std()) == pytest.approx(0.05, rel=0.02)
    assert float(add_noise(torch.ones(10, 4), 1.0).max()) <= 1.0
    assert torch.equal(add_noise(x, 0.05, seed=1), noisy)
    assert torch.equal(x, torch.full((2000, 64), 0.5))   # the input is untouched


def test_inversion_and_rotation_are_exact() -> None:
    x = torch.rand(3, 16)
    torch.testing.assert_close(invert(invert(x)), x)
    img = x.reshape(3, 4, 4)
    # a quarter turn counter-clockwise: new[i, j] = old[j, W - 1 - i]
    expected = torch.stack([m.T.flip(0) for m in img]).reshape(3, 16)
    assert torch.equal(rotate(x, (4, 4), 90), expected)
    assert torch.equal(rotate(rotate(x, (4, 4), 90), (4, 4), 270), x)
    assert torch.equal(rotate(x, (4, 4), 180), img.flip(1).flip(2).reshape(3, 16))
    with pytest.raises(ValueError, match=r"^degrees:"):
        rotate(x, (4, 4), 45)
    with pytest.raises(ValueError, match=r"^shape:"):
        rotate(torch.rand(1, 8), (2, 4), 90)


def test_resizing_keeps_block_means_and_constants() -> None:
    x = torch.rand(4, 28 * 28)
    small = resize(x, (28, 28), (7, 7))
    blocks = x.reshape(4, 7, 4, 7, 4).mean((2, 4)).reshape(4, 49)
    torch.testing.assert_close(small, blocks)
    const = torch.full((2, 64), 0.3)
    torch.testing.assert_close(digits_as_mnist(const), torch.full((2, 784), 0.3))


def test_the_cross_dataset_pair_has_each_others_format() -> None:
    digits = load_digits().x_train[:50]
    assert digits_as_mnist(digits).shape == (50, 784)
    fake_mnist = digits_as_mnist(digits)
    back = mnist_as_digits(fake_mnist)
    assert back.shape == (50, 64)
    levels = back * 16
    torch.testing.assert_close(levels, levels.round())       # 17 grey levels, like the digits
    assert float((back - digits).abs().mean()) < 0.15        # down(up(x)) stays close to x


def test_ood_sets_and_bad_inputs() -> None:
    x = torch.rand(5, 64)
    sets = ood_sets(x, (8, 8), noise_std=0.2, seed=3)
    assert torch.equal(sets["inverted"], 1 - x)
    assert torch.equal(sets["noise"], add_noise(x, 0.2, seed=3))
    with pytest.raises(ValueError, match=r"^x:"):
        rotate(torch.rand(2, 10), (3, 3))
    with pytest.raises(TypeError, match=r"^x:"):
        invert(torch.ones(2, 2, dtype=torch.long))
    with pytest.raises(ValueError, match=r"^std:"):
        add_noise(x, -1.0)
