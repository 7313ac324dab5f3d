"""Argument checks shared by the modules of :mod:`infoplane.inn` (each names the argument).

Private to the package: blocks, flows, the cINN, the inverse INN and the baselines
import them from here instead of from each other.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence

import torch

Dims = tuple[int, ...]

_MAX_SIZE = 2**31 - 1  # larger sizes cannot be allocated (torch's sizes are 64-bit, memory is not)


def check_dims(dims: int | Sequence[int], name: str) -> Dims:
    """A sample shape ``(D,)`` or ``(C, H, W)`` of positive ints (an int ``D`` is ``(D,)``)."""
    if isinstance(dims, int):
        dims = (dims,)
    try:
        dims = tuple(int(d) for d in dims)
    except TypeError:
        raise ValueError(f"{name}: expected a shape such as (D,) or (C, H, W), got {dims!r}") from None
    if len(dims) not in (1, 3) or any(d < 1 or d > _MAX_SIZE for d in dims):
        raise ValueError(f"{name}: expected a positive shape (D,) or (C, H, W) of sizes <= {_MAX_SIZE}, "
                         f"got {dims}")
    return dims


def check_seed(seed: object, name: str = "seed", *, limit: int = 2**64) -> int:
    """A seed for torch's generators: an integer in ``[0, limit)`` (``2**64`` is torch's range)."""
    if isinstance(seed, bool) or not isinstance(seed, numbers.Integral) or not 0 <= int(seed) < limit:
        raise ValueError(f"{name}: expected an integer in [0, {limit}), got {seed!r}")
    return int(seed)


def check_hidden(hidden: Sequence[int], name: str = "hidden", *,
                 allow_empty: bool = False) -> tuple[int, ...]:
    """Hidden-layer widths: a sequence of positive ints such as ``(128, 128)`` (an int is rejected)."""
    if isinstance(hidden, (int, float, str, bytes)) or not isinstance(hidden, Sequence):
        raise ValueError(f"{name}: expected a sequence of hidden-layer widths such as (128, 128), "
                         f"got {hidden!r}")
    widths = []
    for width in hidden:
        if isinstance(width, bool) or not isinstance(width, int) or not 1 <= width <= _MAX_SIZE:
            raise ValueError(f"{name}: expected positive integer widths, got {tuple(hidden)!r}")
        widths.append(int(width))
    if not widths and not allow_empty:
        raise ValueError(f"{name}: expected at least one hidden layer, got {tuple(hidden)!r}")
    return tuple(widths)


def check_y_star(y_star: torch.Tensor, name: str = "y_star") -> torch.Tensor:
    """Observations as a finite float tensor of shape (n_observations, y_dim); 1-D is one row."""
    y = torch.as_tensor(y_star)
    if y.ndim == 1:
        y = y[None]
    if y.ndim != 2 or y.shape[0] == 0:
        raise ValueError(f"{name}: expected shape (n_observations, y_dim), got {tuple(y.shape)}")
    if not y.is_floating_point():
        y = y.float()
    if not bool(torch.isfinite(y).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")
    return y


def check_finite_batch(*tensors: torch.Tensor, name: str = "batch", min_samples: int = 1) -> None:
    """The door of a loss: at least ``min_samples`` rows, no NaN or inf (one device sync).

    Raises ValueError naming ``name`` (the loss's ``batch`` argument).
    """
    n = tensors[0].shape[0]
    if n < min_samples:
        need = "a non-empty batch" if min_samples == 1 else f"at least {min_samples} samples"
        raise ValueError(f"{name}: expected {need}, got {n}")
    floats = [t for t in tensors if t.is_floating_point() or t.is_complex()]
    if floats and not bool(torch.stack([torch.isfinite(t).all() for t in floats]).all()):
        raise ValueError(f"{name}: contains NaN or infinite values")


def check_dtype(x: torch.Tensor, module: torch.nn.Module, name: str = "x") -> None:
    """``x`` floating point, in the dtype of ``module``'s first floating parameter (if any)."""
    if not x.is_floating_point():
        raise ValueError(f"{name}: expected a floating-point tensor, got dtype {x.dtype}")
    for p in module.parameters():
        if p.is_floating_point():
            if x.dtype != p.dtype:
                raise ValueError(f"{name}: has dtype {x.dtype} but the model's parameters are {p.dtype}; "
                                 f"convert the input (x.to({p.dtype})) or the model (model.to({x.dtype}))")
            return


def check_pair_batch(batch: object, x_dim: int, y_dim: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A training batch ``(x, y)`` with ``x`` (n, x_dim) and ``y`` (n, y_dim); shapes only (no sync)."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("batch: expected a pair (x, y)")
    x, y = batch
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != x_dim:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"batch: expected x of shape (n, {x_dim}), got {got}")
    if not isinstance(y, torch.Tensor) or y.ndim != 2 or tuple(y.shape) != (x.shape[0], y_dim):
        got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
        raise ValueError(f"batch: expected y of shape ({x.shape[0]}, {y_dim}), got {got}")
    return x, y
