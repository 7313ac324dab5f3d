"""Device choice and seeding, shared by every layer."""

from __future__ import annotations

import os
import random

import numpy as np
import torch


def device(name: str | torch.device | None = None) -> torch.device:
    """The torch device infoplane computes on.

    Order of choice: the ``name`` argument, then the ``INFOPLANE_DEVICE`` environment
    variable (empty means unset), then CUDA when available, else the CPU. A CUDA device
    asked for where CUDA is missing, or past the last GPU, is a ValueError naming
    ``device``.

    Parameters
    ----------
    name : str or torch.device, optional
        A torch device string such as ``"cpu"``, ``"cuda"`` or ``"cuda:1"``, or a
        ``torch.device``.

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
    if not isinstance(choice, (str, torch.device)):
        raise TypeError(f"device: expected a device string or torch.device, got {type(choice).__name__}")
    try:
        dev = torch.device(choice)
    except RuntimeError as err:
        raise ValueError(f"device: {choice!r} is not a torch device string ({err})") from None
    if dev.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"device: {str(choice)!r} was asked for but CUDA is not available here")
    if dev.type == "cuda" and dev.index is not None and dev.index >= torch.cuda.device_count():
        count = torch.cuda.device_count()
        raise ValueError(f"device: {str(choice)!r} names GPU {dev.index}, but there are {count} "
                         f"(0-{count - 1})")
    return dev


def seed_everything(seed: int) -> torch.Generator:
    """Seed Python's, NumPy's and torch's global random generators (CPU and CUDA).

    Library functions never rely on these globals (they take ``seed`` or
    ``generator``); this is for scripts, lessons and the training loop, so that a run
    repeats exactly.

    Parameters
    ----------
    seed : int
        A non-negative integer below ``2**64`` (the range of torch's generators).

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
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or not 0 <= seed < 2**64:
        raise ValueError(f"seed: expected an integer in [0, 2**64), got {seed!r}")
    seed = int(seed)
    random.seed(seed)
    np.random.seed(seed % 2**32)  # noqa: NPY002 - seeding the legacy global on purpose
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)
