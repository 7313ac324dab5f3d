"""Out-of-distribution sets made from in-distribution images: noise, inversion, rotation, other datasets.

Every function takes flattened images ``(n, H*W)`` in [0, 1] (what the loaders return)
and the image ``shape`` ``(H, W)``, and returns a new tensor of the same kind (the input
is never modified). Draws take a ``seed``.

- :func:`add_noise`: x + N(0, std^2), clipped to [0, 1] (the paper's "small noise" set);
- :func:`invert`: 1 - x (intensity inversion);
- :func:`rotate`: a rotation by a multiple of 90 degrees, exact;
- :func:`resize`: average pooling down or bilinear up, for the cross-dataset pair
  (:func:`mnist_as_digits`: MNIST at the digits' 8x8 and 17 grey levels;
  :func:`digits_as_mnist`: digits at 28x28).

Examples
--------
>>> import torch
>>> from infoplane.data.ood import invert, rotate
>>> x = torch.tensor([[0.0, 0.25, 0.5, 1.0]])          # one 2x2 image
>>> invert(x).tolist()
[[1.0, 0.75, 0.5, 0.0]]
>>> rotate(x, (2, 2), 180).tolist()
[[1.0, 0.5, 0.25, 0.0]]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch.nn import functional as F

from infoplane._validation import check_finite_tensor, check_float, check_int, check_seed

__all__ = ["add_noise", "invert", "rotate", "resize", "mnist_as_digits", "digits_as_mnist", "ood_sets"]


def _size(shape: object, name: str) -> tuple[int, int]:
    if isinstance(shape, (str, bytes)) or not isinstance(shape, Sequence) or len(shape) != 2:
        raise ValueError(f"{name}: expected an image size (height, width), got {shape!r}")
    h, w = (check_int(s, name, minimum=1) for s in shape)
    if h * w > 2**31:
        raise ValueError(f"{name}: {h} x {w} is too large an image")
    return h, w


def _images(x: torch.Tensor, shape: Sequence[int]) -> torch.Tensor:
    check_finite_tensor(x, "x")
    h, w = _size(shape, "shape")
    if x.ndim != 2 or x.shape[1] != h * w:
        raise ValueError(f"x: expected flattened images of shape (n, {h * w}), got {tuple(x.shape)}")
    if x.shape[0] == 0:
        raise ValueError("x: has no images")
    if x.ndim != 2 or x.shape[1] != h * w:
        raise ValueError(f"x: expected flattened images of shape (n, {h * w}), got {tuple(x.shape)}")
    return x.reshape(x.shape[0], 1, h, w)


def add_noise(x: torch.Tensor, std: float, seed: int = 0) -> torch.Tensor:
    """x + eps, eps ~ N(0, std^2) per pixel, clipped to [0, 1].

    Examples
    --------
    >>> import torch
    >>> from infoplane.data.ood import add_noise
    >>> noisy = add_noise(torch.full((1000, 64), 0.5), std=0.1, seed=0)
    >>> round(float(noisy.std()), 2)
    0.1
    """
    std = check_float(std, "std", low=0.0)
    check_finite_tensor(x, "x")
    gen = torch.Generator().manual_seed(check_seed(seed))
    noise = torch.randn(x.shape, generator=gen, dtype=x.dtype).to(x.device)
    return (x + std * noise).clamp(0.0, 1.0)


def invert(x: torch.Tensor) -> torch.Tensor:
    """The intensity inversion 1 - x (white digits on black become black on white)."""
    return 1.0 - check_finite_tensor(x, "x")


def rotate(x: torch.Tensor, shape: Sequence[int], degrees: int = 90) -> torch.Tensor:
    """Rotate every image counter-clockwise by ``degrees``, a multiple of 90 (exact, no interpolation).

    A rotation by 90 or 270 degrees needs square images.
    """
    if isinstance(degrees, bool) or not isinstance(degrees, int) or degrees % 90:
        raise ValueError(f"degrees: expected a multiple of 90, got {degrees!r}")
    img = _images(x, shape)
    k = (degrees // 90) % 4
    if k % 2 and img.shape[2] != img.shape[3]:
        raise ValueError(f"shape: a quarter turn needs square images, got {tuple(shape)}")
    return torch.rot90(img, k, dims=(2, 3)).reshape(x.shape[0], -1)


def resize(x: torch.Tensor, shape: Sequence[int], size: Sequence[int]) -> torch.Tensor:
    """Resize images from ``shape`` to ``size``: adaptive average pooling down, bilinear up.

    Examples
    --------
    >>> import torch
    >>> from infoplane.data.ood import resize
    >>> x = torch.rand(3, 28 * 28)
    >>> bool(torch.allclose(resize(x, (28, 28), (7, 7)).mean(1), x.mean(1), atol=1e-6))  # 4x4 blocks
    True
    """
    img = _images(x, shape)
    out_h, out_w = _size(size, "size")
    if out_h <= img.shape[2] and out_w <= img.shape[3]:
        out = F.adaptive_avg_pool2d(img, (out_h, out_w))
    else:
        out = F.interpolate(img, size=(out_h, out_w), mode="bilinear", align_corners=False)
    return out.clamp(0.0, 1.0).reshape(x.shape[0], -1)


def mnist_as_digits(x: torch.Tensor) -> torch.Tensor:
    """MNIST images ``(n, 784)`` at the digits' resolution: 8x8 area averages on 17 grey levels.

    The scikit-learn digits are 8x8 block counts 0..16 of 32x32 bitmaps; MNIST's 28x28
    are pooled to 8x8 (adaptive average pooling: windows of 3 or 4 pixels) and rounded
    to multiples of 1/16, so a model of the digits sees the format it was trained on.
    """
    return torch.round(resize(x, (28, 28), (8, 8)) * 16) / 16


def digits_as_mnist(x: torch.Tensor) -> torch.Tensor:
    """Digits images ``(n, 64)`` upsampled bilinearly to MNIST's 28x28, ``(n, 784)``."""
    return resize(x, (8, 8), (28, 28))


def ood_sets(x: torch.Tensor, shape: Sequence[int], *, noise_std: float = 0.1, seed: int = 0) -> dict[
        str, torch.Tensor]:
    """The OoD sets made from ``x`` alone: ``noise``, ``inverted``, ``rotated`` (90 degrees).

    Examples
    --------
    >>> import torch
    >>> from infoplane.data.ood import ood_sets
    >>> sorted(ood_sets(torch.rand(5, 64), (8, 8)))
    ['inverted', 'noise', 'rotated']
    """
    noise_std = check_float(noise_std, "noise_std", low=0.0)
    return {"noise": add_noise(x, noise_std, seed), "inverted": invert(x), "rotated": rotate(x, shape, 90)}
