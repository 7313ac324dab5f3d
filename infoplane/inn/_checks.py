"""Argument checks shared by the modules of :mod:`infoplane.inn` (each names the argument).

Private to the package: blocks, flows, the cINN, the inverse INN and the baselines
import them from here instead of from each other.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch

Dims = tuple[int, ...]


def check_dims(dims: int | Sequence[int], name: str) -> Dims:
    """A sample shape ``(D,)`` or ``(C, H, W)`` of positive ints (an int ``D`` is ``(D,)``)."""
    if isinstance(dims, int):
        dims = (dims,)
    try:
        dims = tuple(int(d) for d in dims)
    except TypeError:
        raise ValueError(f"{name}: expected a shape such as (D,) or (C, H, W), got {dims!r}") from None
    if len(dims) not in (1, 3) or any(d < 1 for d in dims):
        raise ValueError(f"{name}: expected a positive shape (D,) or (C, H, W), got {dims}")
    return dims


def check_hidden(hidden: Sequence[int], name: str = "hidden", *,
                 allow_empty: bool = False) -> tuple[int, ...]:
    """Hidden-layer widths: a sequence of positive ints such as ``(128, 128)`` (an int is rejected)."""
    if isinstance(hidden, (int, float, str, bytes)) or not isinstance(hidden, Sequence):
        raise ValueError(f"{name}: expected a sequence of hidden-layer widths such as (128, 128), "
                         f"got {hidden!r}")
    widths = []
    for width in hidden:
        if isinstance(width, bool) or not isinstance(width, int) or width < 1:
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
