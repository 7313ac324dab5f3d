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

from infoplane._gaussian import GaussianMixture, standard_normal_log_prob
from infoplane._validation import check_float, check_int
from infoplane.inn._checks import Dims, check_dims
from infoplane.inn.blocks import InvertibleBlock, Split

__all__ = ["SequenceINN"]

Condition = torch.Tensor | Sequence[torch.Tensor] | None


class SequenceINN(nn.Module):
    """A chain of invertible blocks with shapes inferred once, at :meth:`append` time.

    Parameters
    ----------
    dims : int or tuple of int
        Shape of one input sample: ``D`` or ``(D,)`` for vectors, ``(C, H, W)`` for images.
    latent : GaussianMixture, optional
        The latent density ``p(z)`` over the flattened latent (``prod(dims_latent)``
        dimensions), e.g. ``GaussianMixture(means)`` with learnable means: a submodule,
        so it is trained with the blocks, saved in the ``state_dict`` and moved by
        ``.to()``. Default: the standard normal (no parameters).

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

    A learnable two-component mixture as the latent density:

    >>> from infoplane._gaussian import GaussianMixture
    >>> from infoplane.inn import AffineCoupling
    >>> flow = SequenceINN(2, latent=GaussianMixture(torch.tensor([[-2.0, 0.0], [2.0, 0.0]])))
    >>> _ = flow.append(AffineCoupling)
    >>> sorted(name for name, _ in flow.named_parameters() if name.startswith("latent"))
    ['latent_density.means']
    """

    def __init__(self, dims: int | Sequence[int], latent: GaussianMixture | None = None) -> None:
        super().__init__()
        self.dims_in: Dims = check_dims(dims, "dims")
        if latent is not None and not isinstance(latent, GaussianMixture):
            raise TypeError(f"latent: expected a GaussianMixture or None, got {type(latent).__name__}")
        self.latent_density = latent
        self.blocks = nn.ModuleList()
        self._cond_index: list[int | None] = []
        self._dims = self.dims_in
        self._early: list[Dims] = []

    # ----------------------------------------------------------------- building
    def append(self, block_cls: type[InvertibleBlock], cond: int | None = None,
               cond_dims: Sequence[int] | None = None, **kwargs: object) -> SequenceINN:
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
        """Shape of one latent sample, ``dims_out`` (or a flat vector when blocks split early)."""
        if not self._early:
            return self._dims
        return (sum(math.prod(d) for d in self._early) + math.prod(self._dims),)

    @property
    def n_dims(self) -> int:
        """Number of scalar dimensions of one sample (the ``D`` of bits/dim)."""
        return math.prod(self.dims_in)

    # ------------------------------------------------------------------ running
    def _condition_for(self, k: int, c: Condition) -> torch.Tensor | None:
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

    def _check(self, x: torch.Tensor, rev: bool) -> None:
        expected = self.dims_latent if rev else self.dims_in
        if not isinstance(x, torch.Tensor):
            raise ValueError(f"x: expected a tensor, got {type(x).__name__}")
        if x.ndim != len(expected) + 1 or tuple(x.shape[1:]) != expected:
            shape = ", ".join(map(str, expected))
            raise ValueError(f"x: expected shape (batch, {shape}), got {tuple(x.shape)}")

    def forward(self, x: torch.Tensor, c: Condition = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Map data to latent (``rev=False``) or latent to data (``rev=True``).

        Parameters
        ----------
        x : tensor of shape ``(batch, *dims_in)``, or ``(batch, *dims_latent)`` when ``rev``
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
                if not getattr(block, "volume_preserving", False):  # + 0.0 changes no bit: skip the op
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
            if not getattr(block, "volume_preserving", False):
                log_det = log_det + ld
        return x, log_det

    def inverse(self, z: torch.Tensor, c: Condition = None, *,
                grad: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
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

    def log_prob(self, x: torch.Tensor, c: Condition = None,
                 latent: torch.distributions.Distribution | None = None) -> torch.Tensor:
        """Log-density ``log q(x | c)`` per sample, in nats (change of variables, eq. 3.5).

        Parameters
        ----------
        x : tensor of shape (batch, *dims_in)
        c : condition(s), optional
        latent : torch.distributions.Distribution, optional
            Use this latent density over ``dims_latent`` instead of the model's own (its
            ``log_prob`` is summed over event axes it does not cover).

        Examples
        --------
        >>> import torch, math
        >>> from infoplane.inn import SequenceINN, AffineCoupling
        >>> inn = SequenceINN(2).append(AffineCoupling)   # identity at initialisation
        >>> round(float(inn.log_prob(torch.zeros(1, 2)).detach()[0]), 5) == round(-math.log(2 * math.pi), 5)
        True
        """
        z, log_det = self.forward(x, c)
        return self.latent_log_prob(z, latent) + log_det

    def latent_log_prob(self, z: torch.Tensor,
                        latent: torch.distributions.Distribution | None = None) -> torch.Tensor:
        """``log p(z)`` per sample in nats under the latent density (or ``latent``), shape (batch,).

        Examples
        --------
        >>> import math, torch
        >>> from infoplane.inn import SequenceINN
        >>> lp = SequenceINN(3).latent_log_prob(torch.zeros(1, 3))
        >>> abs(float(lp[0]) + 1.5 * math.log(2 * math.pi)) < 1e-5
        True
        """
        if latent is not None:
            lp = latent.log_prob(z)
            return lp.reshape(z.shape[0], -1).sum(1) if lp.ndim > 1 else lp
        if self.latent_density is None:
            return standard_normal_log_prob(z)
        return self.latent_density.log_prob(self._flat_latent(z))

    def _flat_latent(self, z: torch.Tensor) -> torch.Tensor:
        flat = z.reshape(z.shape[0], -1)
        if flat.shape[1] != self.latent_density.dim:
            raise ValueError(f"latent: a mixture over {self.latent_density.dim} dimensions cannot model "
                             f"a latent of {flat.shape[1]} (dims_latent {self.dims_latent})")
        return flat

    def _reference(self, c: Condition) -> torch.Tensor:
        for t in self.parameters():
            return t
        for t in self.buffers():
            return t
        if isinstance(c, torch.Tensor):
            return c
        return torch.zeros(())

    def sample(self, n: int, c: Condition = None, temperature: float = 1.0,
               generator: torch.Generator | None = None,
               latent: torch.distributions.Distribution | None = None,
               component: int | torch.Tensor | None = None) -> torch.Tensor:
        """Draw ``n`` samples ``x = f^{-1}(z; c)`` without building an autograd graph.

        Parameters
        ----------
        n : int
            Number of samples (``c`` must then have ``n`` rows).
        c : condition(s), optional
        temperature : float
            Multiplies the standard deviation of the latent (``< 1`` gives typical,
            less diverse samples). Ignored when ``latent`` is given.
        generator : torch.Generator, optional
            Source of randomness; the global RNG otherwise. With the standard-normal
            latent it must live on the model's device; a mixture latent draws on the
            generator's device and moves the draws.
        latent : torch.distributions.Distribution, optional
            Draw ``z`` from this instead (``latent.sample((n,))``).
        component : int or tensor of shape (n,), optional
            With a mixture latent: draw from these components (e.g. one class each).

        Returns
        -------
        tensor of shape (n, *dims_in)

        Examples
        --------
        >>> import torch
        >>> from infoplane._gaussian import GaussianMixture
        >>> from infoplane.inn import SequenceINN, AffineCoupling
        >>> flow = SequenceINN(1, latent=GaussianMixture(torch.tensor([[-5.0], [5.0]])))
        >>> x = flow.sample(3, component=1, temperature=1e-6)   # no blocks: x = z
        >>> [round(v, 3) for v in x[:, 0].tolist()]
        [5.0, 5.0, 5.0]
        """
        n = check_int(n, "n", minimum=1)
        temperature = check_float(temperature, "temperature", low=0, low_open=True)
        if component is not None and (latent is not None or self.latent_density is None):
            raise ValueError("component: only a mixture latent density has components")
        ref = self._reference(c)
        dtype = ref.dtype if ref.is_floating_point() else torch.get_default_dtype()
        with torch.no_grad():
            if latent is not None:
                z = latent.sample((n,)).to(device=ref.device, dtype=dtype)
            elif self.latent_density is not None:
                z = self.latent_density.sample(n, component=component, temperature=temperature,
                                               generator=generator)
                z = z.to(device=ref.device, dtype=dtype).reshape(n, *self.dims_latent)
            else:
                z = torch.randn((n, *self.dims_latent), generator=generator, device=ref.device,
                                dtype=dtype) * temperature
            x, _ = self.forward(z, c, rev=True)
        return x
