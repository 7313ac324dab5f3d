"""The sequence container: chain invertible blocks, run them both ways, and give densities.

A :class:`SequenceINN` ``f`` maps data ``x`` to a latent ``z = f(x; c)``. With a latent
density ``p(z)`` (standard normal unless another is given), the change of variables
(thesis eq. 2.1, 3.5) gives ``log q(x | c) = log p(f(x; c)) + log|det df/dx|`` in nats.

Examples
--------
>>> import torch
>>> from infoplane.inn import SequenceINN, AffineCoupling, RandomOrthogonal
>>> inn = SequenceINN(4)
>>> for k in range(3):
...     _ = inn.append(AffineCoupling).append(RandomOrthogonal, seed=k)
>>> x = torch.randn(16, 4)
>>> z, log_det = inn(x)
>>> x_back, _ = inn(z, rev=True)
>>> bool(torch.allclose(x, x_back, atol=1e-5)), tuple(inn.log_prob(x).shape)
(True, (16,))
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from infoplane._validation import check_float, check_int
from infoplane.inn.blocks import Dims, InvertibleBlock, Split, _check_dims

__all__ = ["SequenceINN", "standard_normal_log_prob"]


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """Log-density of a standard normal, summed over all but the batch axis (nats).

    Examples
    --------
    >>> import torch, math
    >>> round(float(standard_normal_log_prob(torch.zeros(1, 2))[0]), 6) == round(-math.log(2 * math.pi), 6)
    True
    """
    z = z.reshape(z.shape[0], -1)
    return -0.5 * z.pow(2).sum(1) - 0.5 * z.shape[1] * math.log(2 * math.pi)


class SequenceINN(nn.Module):
    """A chain of invertible blocks with shapes inferred once, at :meth:`append` time.

    Parameters
    ----------
    dims : int or tuple of int
        Shape of one input sample: ``D`` or ``(D,)`` for vectors, ``(C, H, W)`` for images.

    Notes
    -----
    Conditions: a block appended with ``cond_dims`` receives the condition ``c`` passed
    to :meth:`forward`. When ``c`` is a list or tuple, the block appended with
    ``cond=k`` receives ``c[k]`` (e.g. a feature pyramid, one level per resolution).

    Multi-scale: the parts sent out early by :class:`~infoplane.inn.blocks.Split`
    blocks are flattened and concatenated in front of the flattened final output, so
    such a network maps ``x`` to a flat latent vector of ``dims_latent``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn import SequenceINN, ConditionalAffineCoupling, ActNorm
    >>> inn = SequenceINN(2).append(ActNorm).append(ConditionalAffineCoupling, cond_dims=(3,))
    >>> x, c = torch.randn(10, 2), torch.randn(10, 3)
    >>> tuple(inn.sample(5, c=c[:5], generator=torch.Generator().manual_seed(0)).shape)
    (5, 2)
    """

    def __init__(self, dims: int | Sequence[int]):
        super().__init__()
        self.dims_in: Dims = _check_dims(dims, "dims")
        self.blocks = nn.ModuleList()
        self._cond_index: list[int | None] = []
        self._dims = self.dims_in
        self._early: list[Dims] = []

    # ----------------------------------------------------------------- building
    def append(self, block_cls: type[InvertibleBlock], cond: int | None = None,
               cond_dims: Sequence[int] | None = None, **kwargs) -> SequenceINN:
        """Append ``block_cls(dims_in=<current shape>, cond_dims=cond_dims, **kwargs)``.

        Returns ``self`` so calls can be chained. ``cond`` selects which condition a
        block receives when ``forward`` gets a list of conditions (default: the first,
        or the single tensor).
        """
        if isinstance(block_cls, nn.Module) or not isinstance(block_cls, type):
            raise ValueError(f"block_cls: expected a block class, got {block_cls!r}")
        if cond is not None:
            cond = check_int(cond, "cond", minimum=0)
            if cond_dims is None:
                raise ValueError("cond_dims: a block that takes condition `cond` needs its shape")
        if cond_dims is not None:
            block = block_cls(self._dims, cond_dims=cond_dims, **kwargs)
        else:
            if getattr(block_cls, "conditional", False):
                raise ValueError(f"cond_dims: {block_cls.__name__} is conditional; pass cond_dims")
            block = block_cls(self._dims, **kwargs)
        self.blocks.append(block)
        self._cond_index.append(None if cond_dims is None else (cond or 0))
        if isinstance(block, Split):
            self._early.append(block.dims_early)
        self._dims = block.dims_out
        return self

    @property
    def dims_out(self) -> Dims:
        """Shape of the output of the last block (without the early-split parts)."""
        return self._dims

    @property
    def dims_latent(self) -> Dims:
        """Shape of one latent sample: ``dims_out``, or a flat vector when blocks split early."""
        if not self._early:
            return self._dims
        return (sum(math.prod(d) for d in self._early) + math.prod(self._dims),)

    @property
    def n_dims(self) -> int:
        """Number of scalar dimensions of one sample (the ``D`` of bits/dim)."""
        return math.prod(self.dims_in)

    # ------------------------------------------------------------------ running
    def _condition_for(self, k: int, c):
        index = self._cond_index[k]
        if index is None:
            return None
        if c is None:
            raise ValueError(f"c: block {k} ({type(self.blocks[k]).__name__}) needs a condition")
        if isinstance(c, (list, tuple)):
            if index >= len(c):
                raise ValueError(f"c: block {k} takes condition {index}, but only {len(c)} were given")
            return c[index]
        return c

    def _check(self, x, rev: bool) -> None:
        expected = self.dims_latent if rev else self.dims_in
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"x: expected a tensor, got {type(x).__name__}")
        if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
            shape = ", ".join(map(str, expected))
            raise ValueError(f"x: expected shape (batch, {shape}), got {tuple(x.shape)}")

    def forward(self, x: torch.Tensor, c=None, rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Map data to latent (``rev=False``) or latent to data (``rev=True``).

        Parameters
        ----------
        x : tensor of shape (batch, *dims_in), or (batch, *dims_latent) when ``rev``
        c : tensor or list of tensors, optional
            The condition(s) of the conditional blocks.
        rev : bool
            Run the inverse.

        Returns
        -------
        y : tensor
        log_det : tensor of shape (batch,)
            log|det| of the Jacobian of the map that was run, in nats; the reverse
            pass returns the negative of the forward log-det at the matching point.
        """
        self._check(x, rev)
        log_det = x.new_zeros(x.shape[0])
        if not rev:
            early = []
            for k, block in enumerate(self.blocks):
                x, ld = block(x, c=self._condition_for(k, c))
                if isinstance(block, Split):
                    x, out = x
                    early.append(out.reshape(out.shape[0], -1))
                log_det = log_det + ld
            if early:
                x = torch.cat(early + [x.reshape(x.shape[0], -1)], dim=1)
            return x, log_det
        parts = []
        if self._early:
            sizes = [math.prod(d) for d in self._early] + [math.prod(self._dims)]
            parts = list(torch.split(x, sizes, dim=1))
            x = parts.pop().reshape(x.shape[0], *self._dims)
        for k in range(len(self.blocks) - 1, -1, -1):
            block = self.blocks[k]
            if isinstance(block, Split):
                early = parts.pop()
                x = (x, early.reshape(early.shape[0], *block.dims_early))
            x, ld = block(x, c=self._condition_for(k, c), rev=True)
            log_det = log_det + ld
        return x, log_det

    def inverse(self, z: torch.Tensor, c=None, *, grad: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
        """Map latent ``z`` back to data: ``forward(z, c, rev=True)``.

        With ``grad=False`` it runs under ``torch.no_grad()``: no autograd graph is kept,
        so memory stays at a few activations however deep the network is.

        Examples
        --------
        >>> import torch
        >>> from infoplane.inn import SequenceINN, AffineCoupling
        >>> inn = SequenceINN(2).append(AffineCoupling)
        >>> x, log_det = inn.inverse(torch.zeros(3, 2), grad=False)
        >>> x.requires_grad, tuple(log_det.shape)
        (False, (3,))
        """
        if grad:
            return self.forward(z, c, rev=True)
        with torch.no_grad():
            return self.forward(z, c, rev=True)

    def log_prob(self, x: torch.Tensor, c=None, latent=None) -> torch.Tensor:
        """Log-density ``log q(x | c)`` per sample, in nats (change of variables, eq. 3.5).

        Parameters
        ----------
        x : tensor of shape (batch, *dims_in)
        c : condition(s), optional
        latent : torch.distributions.Distribution, optional
            Latent density over ``dims_latent``; its ``log_prob`` is summed over event
            axes it does not cover. Defaults to a standard normal.

        Examples
        --------
        >>> import torch, math
        >>> from infoplane.inn import SequenceINN, AffineCoupling
        >>> inn = SequenceINN(2).append(AffineCoupling)   # identity at initialisation
        >>> round(float(inn.log_prob(torch.zeros(1, 2)).detach()[0]), 5) == round(-math.log(2 * math.pi), 5)
        True
        """
        z, log_det = self.forward(x, c)
        return self._latent_log_prob(z, latent) + log_det

    def _latent_log_prob(self, z: torch.Tensor, latent) -> torch.Tensor:
        if latent is None:
            return standard_normal_log_prob(z)
        lp = latent.log_prob(z)
        return lp.reshape(z.shape[0], -1).sum(1) if lp.ndim > 1 else lp

    def _reference(self, c) -> torch.Tensor:
        for t in self.parameters():
            return t
        for t in self.buffers():
            return t
        if isinstance(c, torch.Tensor):
            return c
        return torch.zeros(())

    def sample(self, n: int, c=None, temperature: float = 1.0, generator: torch.Generator | None = None,
               latent=None) -> torch.Tensor:
        """Draw ``n`` samples ``x = f^{-1}(z; c)`` without building an autograd graph.

        Parameters
        ----------
        n : int
            Number of samples (``c`` must then have ``n`` rows).
        c : condition(s), optional
        temperature : float
            Standard deviation of the standard-normal latent (``< 1`` gives typical,
            less diverse samples). Ignored when ``latent`` is given.
        generator : torch.Generator, optional
            Source of randomness (on the model's device); the global RNG otherwise.
        latent : torch.distributions.Distribution, optional
            Draw ``z`` from this instead (``latent.sample((n,))``).

        Returns
        -------
        tensor of shape (n, *dims_in)
        """
        n = check_int(n, "n", minimum=1)
        temperature = check_float(temperature, "temperature", low=0, low_open=True)
        ref = self._reference(c)
        dtype = ref.dtype if ref.is_floating_point() else torch.get_default_dtype()
        with torch.no_grad():
            if latent is not None:
                z = latent.sample((n,)).to(device=ref.device, dtype=dtype)
            else:
                z = torch.randn((n, *self.dims_latent), generator=generator, device=ref.device,
                                dtype=dtype) * temperature
            x, _ = self.forward(z, c, rev=True)
        return x
