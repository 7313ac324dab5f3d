"""The conditional INN (cINN): conditional coupling blocks plus a conditioning network.

A cINN models ``q(x | y) = p(z = f(x; phi(y))) |det df/dx|`` (thesis eq. 3.5): the
invertible part ``f`` is a chain of conditional affine coupling blocks (eq. 3.10) with
fixed random rotations between them, and the conditioning network ``phi`` turns the
condition ``y`` (class labels by default) into features that every coupling block
receives. Both are trained jointly by conditional maximum likelihood (eq. 3.8,
section 3.4). Log-densities are in nats; :meth:`CINN.bits_per_dim` converts.

Examples
--------
>>> import torch
>>> from infoplane.inn import CINN
>>> from infoplane.inn import conditional_nll_loss
>>> model = CINN(4, n_classes=3, n_blocks=2, hidden=(16, 16), seed=0)
>>> x, y = torch.randn(8, 4), torch.randint(0, 3, (8,))
>>> loss, terms = conditional_nll_loss(model, (x, y))
>>> sorted(terms)
['bits_per_dim', 'nll']
>>> tuple(model.sample(torch.arange(3), generator=torch.Generator().manual_seed(0)).shape)
(3, 4)
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from infoplane._gaussian import standard_normal_log_prob
from infoplane._nn import mlp, seeded
from infoplane._validation import check_float, check_int
from infoplane.inn._checks import check_dims, check_dtype, check_finite_batch, check_hidden, check_seed
from infoplane.inn.blocks import (
    ActNorm,
    ConditionalAffineCoupling,
    Flatten,
    HaarDownsampling,
    RandomOrthogonal,
    conv_subnet,
    mlp_subnet,
)
from infoplane.inn.flow import SequenceINN
from infoplane.metrics.density import bits_per_dim

__all__ = ["CINN", "conditional_nll_loss"]

NOISE_KINDS = ("gaussian", "uniform")


class CINN(nn.Module):
    """Conditional INN with a jointly trained conditioning network (thesis ch. 3).

    Parameters
    ----------
    dims : int or tuple of int
        Shape of one sample ``x``: ``D`` for vectors, ``(C, H, W)`` for images (then
        the network starts with Haar downsampling and ``conv_blocks`` convolutional
        coupling blocks, then flattens).
    n_classes : int or None
        Number of classes when ``y`` holds integer labels (the default condition):
        labels are one-hot encoded and fed to ``phi``.
    cond_dims : int or tuple of int, optional
        Use real-valued conditions of this shape instead of labels (takes precedence
        over ``n_classes``).
    cond_net : nn.Module, optional
        Your own conditioning network ``phi``, mapping the one-hot labels, the
        ``cond_dims`` conditions, or (with ``n_classes=None`` and no ``cond_dims``)
        any raw condition ``y`` to ``(batch, n_features)``. Defaults to an MLP with
        the hidden widths ``cond_hidden``.
    n_features : int
        Size of ``phi(y)``, the features every coupling block receives.
    n_blocks : int
        Number of fully connected conditional coupling blocks (each followed by a
        fixed random rotation).
    hidden : sequence of int
        Hidden-layer widths of each fully connected coupling subnetwork.
    cond_hidden : sequence of int, optional
        Hidden-layer widths of the default conditioning MLP; default ``(hidden[0],)``.
    conv_hidden : sequence of int, optional
        Hidden channels of the convolutional coupling subnetworks (image inputs);
        default ``(hidden[0] // 2,) * 2``.
    clamp : float
        Soft-clamp ``alpha`` of the coupling scales (eq. 3.13).
    actnorm : bool
        Start with an :class:`~infoplane.inn.ActNorm` (data-dependent initialisation
        on the first training batch).
    noise : float
        Dequantisation noise added to ``x`` by :func:`conditional_nll_loss` in training mode: the
        standard deviation for ``noise_kind="gaussian"`` (thesis section 3.3 uses 0.02),
        the bin width for ``"uniform"``. 0 disables it.
    noise_kind : {"gaussian", "uniform"}
    conv_blocks : int
        Convolutional coupling blocks for image inputs.
    seed : int, optional
        Seeds the initial weights (built under :func:`infoplane._nn.seeded`, the global
        RNG untouched), the rotations and the dequantisation noise generator.
        ``None``: weights from the global RNG, rotations and noise seeded by 0.
    dtype : torch.dtype, optional
        E.g. ``torch.float64`` for numerical checks.

    Examples
    --------
    >>> import torch
    >>> model = CINN(2, cond_dims=1, n_blocks=3, hidden=(16, 16), dtype=torch.float64, seed=0)
    >>> x, y = torch.randn(5, 2, dtype=torch.float64), torch.randn(5, 1, dtype=torch.float64)
    >>> z, log_det = model(x, y)
    >>> bool(torch.allclose(model(z, y, rev=True)[0], x))
    True
    """

    def __init__(self, dims: int | Sequence[int], n_classes: int | None = 10, *,
                 cond_dims: int | Sequence[int] | None = None, cond_net: nn.Module | None = None,
                 n_features: int = 32, n_blocks: int = 8, hidden: Sequence[int] = (128, 128),
                 cond_hidden: Sequence[int] | None = None, conv_hidden: Sequence[int] | None = None,
                 clamp: float = 2.0, actnorm: bool = True, noise: float = 0.0,
                 noise_kind: str = "gaussian", conv_blocks: int = 2, seed: int | None = None,
                 dtype: torch.dtype | None = None) -> None:
        super().__init__()
        self.dims = check_dims(dims, "dims")
        if len(self.dims) == 1 and self.dims[0] < 2:
            raise ValueError(f"dims: a cINN's coupling blocks need at least 2 features, got {self.dims}")
        hidden = check_hidden(hidden)
        cond_hidden = (hidden[0],) if cond_hidden is None else check_hidden(cond_hidden, "cond_hidden")
        conv_hidden = ((max(1, hidden[0] // 2),) * 2 if conv_hidden is None
                       else check_hidden(conv_hidden, "conv_hidden"))
        self.n_features = check_int(n_features, "n_features", minimum=1)
        n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
        conv_blocks = check_int(conv_blocks, "conv_blocks", minimum=0)
        self.noise = check_float(noise, "noise", low=0)
        if noise_kind not in NOISE_KINDS:
            raise ValueError(f"noise_kind: expected one of {NOISE_KINDS}, got {noise_kind!r}")
        self.noise_kind = noise_kind
        # the rotations take seed + 10000 + k: keep them in torch's range
        self.seed = 0 if seed is None else check_seed(seed, limit=2**64 - 2**20)
        self.noise_generator = torch.Generator().manual_seed(self.seed)   # CPU: same draws on any device

        self.n_classes: int | None = None
        self.cond_dims: tuple[int, ...] | None = None
        n_in = None
        if cond_dims is not None:
            self.cond_dims = check_dims(cond_dims, "cond_dims")
            if len(self.cond_dims) != 1 and cond_net is None:
                raise ValueError(f"cond_dims: the default conditioning MLP takes vectors, "
                                 f"got {self.cond_dims}; pass cond_net for other conditions")
            n_in = self.cond_dims[0]
        elif n_classes is not None:
            self.n_classes = check_int(n_classes, "n_classes", minimum=1)
            n_in = self.n_classes
        elif cond_net is None:
            raise ValueError("cond_net: needed when the condition is neither labels (n_classes) "
                             "nor vectors (cond_dims)")
        with seeded(seed):
            self.cond_net = (cond_net if cond_net is not None
                             else mlp([n_in, *cond_hidden, self.n_features]))
            feats = (self.n_features,)
            inn = SequenceINN(self.dims)
            if actnorm:
                inn.append(ActNorm)
            if len(self.dims) == 3:
                inn.append(HaarDownsampling)
                for k in range(conv_blocks):
                    inn.append(ConditionalAffineCoupling, cond_dims=feats,
                               subnet_constructor=conv_subnet(conv_hidden), clamp=clamp)
                    inn.append(RandomOrthogonal, seed=self.seed + 10_000 + k)
                inn.append(Flatten)
            for k in range(n_blocks):
                inn.append(ConditionalAffineCoupling, cond_dims=feats,
                           subnet_constructor=mlp_subnet(hidden), clamp=clamp)
                inn.append(RandomOrthogonal, seed=self.seed + k)
        self.inn = inn
        if dtype is not None:
            self.to(dtype)

    # ------------------------------------------------------------------ pieces
    @property
    def n_dims(self) -> int:
        """Number of scalar dimensions ``D`` of one sample."""
        return self.inn.n_dims

    def _dtype(self) -> torch.dtype:
        return next(self.inn.parameters()).dtype

    def features(self, y: torch.Tensor) -> torch.Tensor:
        """The conditioning features ``phi(y)`` of shape (batch, n_features).

        Labels must be integers in ``[0, n_classes)``; they are one-hot encoded first.
        """
        ref = next(self.inn.parameters())
        if self.n_classes is not None:
            if not isinstance(y, torch.Tensor) or y.ndim != 1 or y.is_floating_point() or y.is_complex():
                raise ValueError(f"y: expected a 1-D tensor of integer labels, got "
                                 f"{tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__}")
            if y.numel() and (int(y.min()) < 0 or int(y.max()) >= self.n_classes):
                raise ValueError(f"y: labels must lie in [0, {self.n_classes}), "
                                 f"got {int(y.min())}..{int(y.max())}")
            y = nn.functional.one_hot(y.to(ref.device).long(), self.n_classes).to(ref.dtype)
        elif self.cond_dims is not None:
            if not isinstance(y, torch.Tensor) or tuple(y.shape[1:]) != self.cond_dims:
                raise ValueError(f"y: expected shape (batch, {self.cond_dims[0]}), got "
                                 f"{tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__}")
            y = y.to(device=ref.device, dtype=ref.dtype)
        return self.cond_net(y)

    def forward(self, x: torch.Tensor, y: torch.Tensor,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``z = f(x; phi(y))`` (or ``x = f^{-1}(z; phi(y))`` when ``rev``) and log|det J| in nats.

        ``x`` must have the dtype of the model's parameters (else a ValueError naming
        ``x``); NaN in ``x`` passes through (:func:`conditional_nll_loss` refuses it).
        """
        if isinstance(x, torch.Tensor):
            check_dtype(x, self.inn)
        c = self.features(y)
        if c.shape[0] != x.shape[0]:
            raise ValueError(f"y: has {c.shape[0]} rows but x has {x.shape[0]}")
        return self.inn(x, c, rev=rev)

    def log_prob(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``log q(x | y)`` per sample in nats (eq. 3.5)."""
        z, log_det = self.forward(x, y)
        return standard_normal_log_prob(z) + log_det

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The latent code ``z = f(x; phi(y))`` without gradients (style transfer, Fig. 3.5)."""
        with torch.no_grad():
            return self.forward(x, y)[0]

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """``x = f^{-1}(z; phi(y))`` without gradients."""
        with torch.no_grad():
            return self.forward(z, y, rev=True)[0]

    def sample(self, y: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """One sample of ``x | y`` for each row of ``y`` (latent std ``temperature``).

        Examples
        --------
        >>> import torch
        >>> model = CINN(3, n_classes=2, n_blocks=1, hidden=(8, 8), seed=0)
        >>> tuple(model.sample(torch.tensor([0, 1, 1])).shape)
        (3, 3)
        """
        temperature = check_float(temperature, "temperature", low=0, low_open=True)
        ref = next(self.inn.parameters())
        n = len(y)
        z = torch.randn((n, *self.inn.dims_latent), generator=generator, device=ref.device,
                        dtype=ref.dtype) * temperature
        return self.decode(z, y)

    # ------------------------------------------------------------------ training
    def dequantize(self, x: torch.Tensor) -> torch.Tensor:
        """``x`` plus this model's dequantisation noise (a new tensor; ``x`` is untouched).

        The noise comes from ``noise_generator``, a CPU generator seeded by ``seed`` (the
        draws are moved to ``x``'s device, so CPU and CUDA runs see the same noise).

        Examples
        --------
        >>> import torch
        >>> model = CINN(2, n_classes=2, n_blocks=1, hidden=(8,), noise=0.5, noise_kind="uniform", seed=0)
        >>> bool(model.dequantize(torch.zeros(100, 2)).abs().max() <= 0.25)
        True
        """
        if self.noise == 0:
            return x
        gen = self.noise_generator
        if self.noise_kind == "gaussian":
            return x + self.noise * torch.randn(x.shape, generator=gen, dtype=x.dtype).to(x.device)
        return x + self.noise * (torch.rand(x.shape, generator=gen, dtype=x.dtype).to(x.device) - 0.5)

    def bits_per_dim(self, x: torch.Tensor, y: torch.Tensor, bin_width: float | None = None) -> float:
        """Mean bits/dim of ``x`` given ``y`` (see :func:`infoplane.metrics.bits_per_dim`)."""
        with torch.no_grad():
            nll = -self.log_prob(x.to(self._dtype()), y).mean()
        return float(bits_per_dim(nll, self.n_dims, bin_width=bin_width))


def conditional_nll_loss(model: CINN, batch: tuple[torch.Tensor, torch.Tensor]
                         ) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
    """Conditional maximum-likelihood loss of a :class:`CINN` (thesis eq. 3.8) on ``(x, y)``.

    The ``loss(model, batch) -> (loss, terms)`` of :func:`infoplane.train.fit`. In
    training mode ``x`` is dequantised first (:meth:`CINN.dequantize`). The loss is the
    mean NLL per dimension (nats/dim, so learning rates carry over between data sizes);
    the terms, detached tensors, are ``nll`` (mean nats per sample) and
    ``bits_per_dim`` (the same NLL in bits per dimension of the *continuous* density, with
    no bin width: for data quantised to bins of width w, the discrete bits/dim of
    :meth:`CINN.bits_per_dim` and :func:`infoplane.metrics.bits_per_dim` add log2(1 / w),
    e.g. 8 bits for 256 levels in [0, 1]).
    ``x`` of any floating dtype is cast to the model's. An empty batch, or NaN / inf in
    ``x``, is a ValueError naming ``batch`` (checked before the forward pass, so it
    cannot reach an uninitialised :class:`~infoplane.inn.ActNorm`).

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from infoplane.train import fit
    >>> x, y = torch.randn(64, 2), torch.randint(0, 2, (64,))
    >>> model = CINN(2, n_classes=2, n_blocks=2, hidden=(16, 16), seed=0)
    >>> history = fit(model, conditional_nll_loss, DataLoader(TensorDataset(x, y), batch_size=32),
    ...               torch.optim.Adam(model.parameters(), 1e-3), epochs=2, device="cpu",
    ...               clip_grad_norm=10.0, progress=False)
    >>> "train/bits_per_dim" in history[-1]
    True
    """
    if not isinstance(model, CINN):
        raise TypeError(f"model: expected a CINN, got {type(model).__name__}")
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("batch: expected a pair (x, y)")
    x, y = batch
    if not isinstance(x, torch.Tensor) or x.ndim == 0:
        raise ValueError(f"batch: expected x to be a tensor of shape (batch, *dims), got {type(x).__name__}")
    check_finite_batch(x)
    x = x.to(model._dtype())
    if model.training:
        x = model.dequantize(x)
    nll = -model.log_prob(x, y).mean()
    nll_value = nll.detach()
    terms = {"nll": nll_value, "bits_per_dim": nll_value / (model.n_dims * math.log(2.0))}
    return nll / model.n_dims, terms
