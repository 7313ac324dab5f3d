"""Small torch building blocks shared by the model layers: the MLP builder, seeded noise, seeded init."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager

import torch
from torch import nn

from infoplane._validation import check_int, check_seed

ACTIVATIONS = {"relu": nn.ReLU, "leaky_relu": nn.LeakyReLU, "tanh": nn.Tanh, "elu": nn.ELU,
               "gelu": nn.GELU}


def mlp(sizes: Sequence[int], activation: str = "relu", last_activation: bool = False) -> nn.Sequential:
    """A fully connected network with layer widths ``sizes`` (input first).

    Parameters
    ----------
    sizes : sequence of int
        Input width, hidden widths, output width.
    activation : str
        One of ``"relu"``, ``"leaky_relu"``, ``"tanh"``, ``"elu"``, ``"gelu"``; placed
        between layers.
    last_activation : bool
        Also apply the activation after the last layer.

    Examples
    --------
    >>> from infoplane._nn import mlp
    >>> mlp([4, 8, 2])
    Sequential(
      (0): Linear(in_features=4, out_features=8, bias=True)
      (1): ReLU()
      (2): Linear(in_features=8, out_features=2, bias=True)
    )
    """
    if not isinstance(activation, str) or activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {sorted(ACTIVATIONS)}, got {activation!r}")
    if isinstance(sizes, (str, bytes)) or not isinstance(sizes, Sequence):
        raise ValueError(f"sizes: expected a sequence of layer widths, got {sizes!r}")
    sizes = [check_int(s, "sizes", minimum=1) for s in sizes]
    if len(sizes) < 2:
        raise ValueError(f"sizes: expected at least an input and an output width, got {sizes}")
    layers: list[nn.Module] = []
    for i, (a, b) in enumerate(zip(sizes[:-1], sizes[1:], strict=True)):
        layers.append(nn.Linear(a, b))
        if i < len(sizes) - 2 or last_activation:
            layers.append(ACTIVATIONS[activation]())
    return nn.Sequential(*layers)


def randn(shape: Sequence[int], like: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
    """Standard normal noise of ``shape`` with ``like``'s dtype and device.

    Drawn from ``generator`` (on its own device, then moved) when one is given, so a
    CPU generator gives the same numbers whatever device ``like`` is on.

    Examples
    --------
    >>> import torch
    >>> from infoplane._nn import randn
    >>> a = randn((2,), torch.zeros(1), torch.Generator().manual_seed(0))
    >>> bool((a == randn((2,), torch.zeros(1), torch.Generator().manual_seed(0))).all())
    True
    """
    if generator is None:
        return torch.randn(shape, dtype=like.dtype, device=like.device)
    return torch.randn(shape, generator=generator, dtype=like.dtype,
                       device=generator.device).to(like.device)


@contextmanager
def seeded(seed: int | None) -> Iterator[None]:
    """Run the block with torch's CPU generator seeded by ``seed``, then restore the global state.

    Models build their layers inside ``with seeded(seed):`` so that the same ``seed``
    gives the same initial weights and the caller's global RNG is left exactly as it
    was. ``seed=None`` draws from (and advances) the global RNG as usual.

    Examples
    --------
    >>> import torch
    >>> from infoplane._nn import seeded
    >>> before = torch.get_rng_state()
    >>> with seeded(0):
    ...     a = torch.nn.Linear(2, 2).weight
    >>> with seeded(0):
    ...     b = torch.nn.Linear(2, 2).weight
    >>> bool((a == b).all()), bool((torch.get_rng_state() == before).all())
    (True, True)
    """
    if seed is None:
        yield
        return
    seed = check_seed(seed)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(seed)
        yield
