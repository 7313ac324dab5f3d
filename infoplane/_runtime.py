"""Device choice and seeding, shared by every layer."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def device(name: str | None = None) -> torch.device:
    """The torch device infoplane computes on.

    Order of choice: the ``name`` argument, then the ``INFOPLANE_DEVICE`` environment
    variable, then CUDA when available, else the CPU.

    Parameters
    ----------
    name : str, optional
        A torch device string such as ``"cpu"``, ``"cuda"`` or ``"cuda:1"``.

    Returns
    -------
    torch.device

    Examples
    --------
    >>> import infoplane as ip
    >>> ip.device("cpu")
    device(type='cpu')
    """
    choice = name if name is not None else os.environ.get("INFOPLANE_DEVICE") or None
    if choice is None:
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    try:
        dev = torch.device(choice)
    except RuntimeError as err:
        raise ValueError(f"device: {choice!r} is not a torch device string ({err})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {choice!r} was asked for but CUDA is not available here")
    return dev


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's global random generators (CPU and CUDA).

    Library functions never rely on these globals (they take ``seed`` or
    ``generator``); this is for scripts, lessons and the training loop, so that a run
    repeats exactly.

    Parameters
    ----------
    seed : int
        A non-negative integer.

    Returns
    -------
    torch.Generator
        A CPU generator seeded with ``seed``, for data loaders.

    Examples
    --------
    >>> import torch, infoplane as ip
    >>> _ = ip.seed_everything(0); a = torch.rand(2)
    >>> _ = ip.seed_everything(0); bool((a == torch.rand(2)).all())
    True
    """
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed: expected a non-negative integer, got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeding the legacy global on purpose
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
