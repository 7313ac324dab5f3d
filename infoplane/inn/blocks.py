"""Invertible building blocks: coupling, mixing, normalisation, Haar, reshape, split.

Every block is an ``nn.Module`` built from the shape of one sample, ``dims_in``
(``(D,)`` for vectors, ``(C, H, W)`` for images), and exposes ``dims_out``. Calling
``block(x, c=None, rev=False)`` returns ``(y, log_det)`` where ``log_det`` has shape
``(batch,)`` and holds log|det dy/dx| in nats for the direction that was run, so the
reverse pass returns the negative of the forward one. Blocks never modify their inputs
and draw randomness only from local generators seeded by a ``seed`` argument.

References: Ardizzone, *Conditional Invertible Generative Models for Supervised
Problems* (thesis), eq. 2.18-2.26 (affine coupling), eq. 3.10 (conditional coupling),
eq. 3.13 (soft clamp), section 3.5 (random orthogonal mixing, Haar downsampling, Fig. 3.6).

Examples
--------
>>> import torch
>>> from infoplane.inn.blocks import AffineCoupling
>>> block = AffineCoupling((4,))
>>> x = torch.randn(8, 4)
>>> y, log_det = block(x)
>>> x_back, _ = block(y, rev=True)
>>> bool(torch.allclose(x, x_back, atol=1e-6)), tuple(log_det.shape)
(True, (8,))
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import torch
from torch import nn
from torch.nn import functional as F

from infoplane._nn import mlp
from infoplane._validation import check_float, check_int
from infoplane.inn._checks import check_dims, check_dtype, check_hidden, check_seed

SubnetConstructor = Callable[[int, int], nn.Module]

__all__ = [
    "InvertibleBlock", "AffineCoupling", "ConditionalAffineCoupling", "RandomOrthogonal",
    "Permutation", "ActNorm", "AsinhStretch", "HaarDownsampling", "HaarUpsampling", "Flatten", "Reshape",
    "Split", "mlp_subnet", "conv_subnet",
]


def mlp_subnet(hidden: Sequence[int] = (128, 128)) -> SubnetConstructor:
    """A constructor of fully connected subnetworks ``(c_in, c_out) -> nn.Module``.

    Hidden layers of the widths ``hidden`` (e.g. ``(128, 128)``: two of width 128) with
    ReLU between them.

    Examples
    --------
    >>> import torch
    >>> net = mlp_subnet(hidden=(16, 16))(3, 4)
    >>> tuple(net(torch.zeros(2, 3)).shape), len(net)   # Linear, ReLU, Linear, ReLU, Linear
    ((2, 4), 5)
    """
    hidden = check_hidden(hidden)

    def make(c_in: int, c_out: int) -> nn.Module:
        return mlp([c_in, *hidden, c_out])

    return make


def conv_subnet(hidden: Sequence[int] = (64, 64), kernel_size: int = 3) -> SubnetConstructor:
    """A constructor of convolutional subnetworks for image blocks (same padding).

    A ``kernel_size`` convolution to ``hidden[0]`` channels, 1x1 convolutions through the
    other widths of ``hidden``, and a ``kernel_size`` convolution to the output, ReLU
    between them. The weights are stored channels-last (``torch.channels_last``): the
    same function, but the convolutions take oneDNN's faster path on the CPU (about 6 %
    of a training step of the MNIST IB-INN, ``benchmarks/ibinn.py``) and the layout
    cuDNN prefers on a GPU; inputs in either layout work.

    Examples
    --------
    >>> import torch
    >>> net = conv_subnet(hidden=(8, 8))(2, 4)
    >>> tuple(net(torch.zeros(1, 2, 6, 6)).shape)
    (1, 4, 6, 6)
    """
    hidden = check_hidden(hidden)
    kernel_size = check_int(kernel_size, "kernel_size", minimum=1)
    if kernel_size % 2 == 0:
        raise ValueError(f"kernel_size: must be odd to keep the image size, got {kernel_size}")
    pad = kernel_size // 2

    def make(c_in: int, c_out: int) -> nn.Module:
        layers: list[nn.Module] = [nn.Conv2d(c_in, hidden[0], kernel_size, padding=pad), nn.ReLU()]
        for a, b in zip(hidden[:-1], hidden[1:], strict=True):
            layers += [nn.Conv2d(a, b, 1), nn.ReLU()]
        layers.append(nn.Conv2d(hidden[-1], c_out, kernel_size, padding=pad))
        return nn.Sequential(*layers).to(memory_format=torch.channels_last)

    return make


def _zero_last_layer(net: nn.Module) -> None:
    """Zero the weights and bias of the last Linear/Conv layer so the block starts as identity."""
    last = None
    for module in net.modules():
        if isinstance(module, (nn.Linear, nn.Conv1d, nn.Conv2d, nn.Conv3d)):
            last = module
    if last is not None:
        with torch.no_grad():
            last.weight.zero_()
            if last.bias is not None:
                last.bias.zero_()


class InvertibleBlock(nn.Module):
    """Base class: stores ``dims_in``, ``dims_out`` and the condition shape ``cond_dims``.

    Subclasses implement ``forward(x, c=None, rev=False) -> (y, log_det)``.
    ``conditional`` is True for blocks that need a condition ``c``;
    ``volume_preserving`` is True for blocks whose log|det J| is exactly zero for every
    input (permutations, rotations, reshapes, splits, the orthonormal Haar transform):
    they still return their zeros, and :class:`~infoplane.inn.SequenceINN` skips adding
    them: that changes no bit, since adding -0.0 never does and adding +0.0 only turns
    -0.0 into +0.0, which a sum started at +0.0 never is.
    """

    conditional = False
    volume_preserving = False

    def __init__(self, dims_in: Sequence[int], cond_dims: Sequence[int] | None = None) -> None:
        super().__init__()
        self.dims_in = check_dims(dims_in, "dims_in")
        self.cond_dims = None if cond_dims is None else check_dims(cond_dims, "cond_dims")
        self.dims_out = self.dims_in

    def _check_input(self, x: torch.Tensor, rev: bool) -> None:
        expected = self.dims_out if rev else self.dims_in
        if not isinstance(x, torch.Tensor) or tuple(x.shape[1:]) != expected:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            shape = ", ".join(map(str, expected))
            raise ValueError(f"x: {type(self).__name__} expects shape (batch, {shape}), got {got}")
        if not x.is_floating_point():
            raise ValueError(f"x: {type(self).__name__} expects a floating-point tensor, got dtype {x.dtype}")

    def _zeros(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_zeros(x.shape[0])

    def extra_repr(self) -> str:
        cond = f", cond_dims={self.cond_dims}" if self.cond_dims is not None else ""
        return f"dims_in={self.dims_in}, dims_out={self.dims_out}{cond}"


class AffineCoupling(InvertibleBlock):
    """Affine coupling block with both halves transformed (thesis eq. 2.18-2.26, 3.10).

    The input is split into ``x1`` (first ``split`` features or channels) and ``x2``;

        u1 = x1 * exp(s~1(x2, c)) + t1(x2, c)
        u2 = x2 * exp(s~2(u1, c)) + t2(u1, c)

    with the soft clamp ``s~ = alpha * tanh(s / alpha)`` (eq. 3.13). The log-Jacobian
    determinant is ``sum(s~1) + sum(s~2)`` (eq. 2.23). The last layer of each subnetwork
    is zero-initialised, so a fresh block is the identity.

    Parameters
    ----------
    dims_in : tuple of int
        ``(D,)`` with ``D >= 2`` or ``(C, H, W)`` with ``C >= 2`` (split along channels).
    subnet_constructor : callable, optional
        ``(c_in, c_out) -> nn.Module``; defaults to :func:`mlp_subnet` for vectors and
        :func:`conv_subnet` for images.
    clamp : float
        The soft-clamp ``alpha`` > 0; scales are bounded by ``exp(±alpha)``.
    split : int, optional
        Size of the first half; defaults to ``D // 2`` (or ``C // 2``).
    cond_dims : tuple of int, optional
        Shape of the condition concatenated to the subnet inputs: ``(K,)`` vectors (for
        images broadcast over pixels) or ``(K, H, W)`` images (channel concatenation).

    Examples
    --------
    >>> import torch
    >>> block = AffineCoupling((6,), clamp=1.5)
    >>> y, log_det = block(torch.ones(2, 6))
    >>> bool((y == 1).all()), log_det.tolist()   # identity at initialisation
    (True, [0.0, 0.0])
    """

    def __init__(self, dims_in: Sequence[int], subnet_constructor: SubnetConstructor | None = None,
                 clamp: float = 2.0, split: int | None = None,
                 cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        self.clamp = check_float(clamp, "clamp", low=0, low_open=True)
        channels = self.dims_in[0]
        self.image = len(self.dims_in) == 3
        if channels < 2:
            raise ValueError(f"dims_in: coupling needs at least 2 features/channels, got {self.dims_in}")
        split = channels // 2 if split is None else check_int(split, "split", minimum=1)
        if split >= channels:
            raise ValueError(f"split: must be smaller than {channels}, got {split}")
        self.split_sizes = (split, channels - split)
        cond_channels = 0
        if self.cond_dims is not None:
            cond_channels = self.cond_dims[0]
            if len(self.cond_dims) == 3 and (not self.image or self.cond_dims[1:] != self.dims_in[1:]):
                raise ValueError(f"cond_dims: an image condition needs the spatial size of the input "
                                 f"{self.dims_in[1:]}, got {self.cond_dims}")
        if subnet_constructor is None:
            subnet_constructor = conv_subnet() if self.image else mlp_subnet()
        s1, s2 = self.split_sizes
        self.subnet1 = subnet_constructor(s2 + cond_channels, 2 * s1)
        self.subnet2 = subnet_constructor(s1 + cond_channels, 2 * s2)
        _zero_last_layer(self.subnet1)
        _zero_last_layer(self.subnet2)

    def _condition(self, c: torch.Tensor | None, x: torch.Tensor) -> torch.Tensor | None:
        if self.cond_dims is None:
            return None
        if c is None:
            raise ValueError(f"c: {type(self).__name__} needs a condition of shape (batch, {self.cond_dims})")
        if tuple(c.shape[1:]) != self.cond_dims or c.shape[0] != x.shape[0]:
            raise ValueError(f"c: expected shape ({x.shape[0]}, {', '.join(map(str, self.cond_dims))}), "
                             f"got {tuple(c.shape)}")
        if self.image and c.ndim == 2:
            c = c[:, :, None, None].expand(-1, -1, *x.shape[2:])
        return c

    def _coefficients(self, net: nn.Module, h: torch.Tensor,
                      c: torch.Tensor | None) -> tuple[torch.Tensor, torch.Tensor]:
        inp = h if c is None else torch.cat([h, c], dim=1)
        s, t = net(inp).chunk(2, dim=1)
        if self.clamp == 1.0:  # s / 1 and 1 * tanh are exact: skip both ops and their backward
            return torch.tanh(s), t
        return self.clamp * torch.tanh(s / self.clamp), t  # soft clamp, thesis eq. 3.13

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Run the block; returns ``(y, log_det)`` with ``log_det`` in nats per sample."""
        self._check_input(x, rev)
        check_dtype(x, self)
        c = self._condition(c, x)
        a, b = torch.split(x, self.split_sizes, dim=1)
        dims = tuple(range(1, x.ndim))
        if not rev:  # eq. 2.18-2.19 with the affine coupling of eq. 2.25 / 3.10
            s1, t1 = self._coefficients(self.subnet1, b, c)
            u1 = a * torch.exp(s1) + t1
            s2, t2 = self._coefficients(self.subnet2, u1, c)
            u2 = b * torch.exp(s2) + t2
            return torch.cat([u1, u2], dim=1), s1.sum(dims) + s2.sum(dims)
        # inverse, eq. 2.20-2.21 with eq. 2.26
        s2, t2 = self._coefficients(self.subnet2, a, c)
        x2 = (b - t2) * torch.exp(-s2)
        s1, t1 = self._coefficients(self.subnet1, x2, c)
        x1 = (a - t1) * torch.exp(-s1)
        return torch.cat([x1, x2], dim=1), -(s1.sum(dims) + s2.sum(dims))


class ConditionalAffineCoupling(AffineCoupling):
    """Conditional affine coupling block (thesis eq. 3.10); ``cond_dims`` is required.

    The condition ``c`` (a feature vector ``(K,)``, or an image ``(K, H, W)`` of the
    input's spatial size) is concatenated to the inputs of both subnetworks, so the
    block stays invertible in ``x`` for every fixed ``c``.

    Examples
    --------
    >>> import torch
    >>> block = ConditionalAffineCoupling((4,), cond_dims=(3,))
    >>> y, log_det = block(torch.randn(5, 4), c=torch.randn(5, 3))
    >>> tuple(y.shape)
    (5, 4)
    """

    conditional = True

    def __init__(self, dims_in: Sequence[int], cond_dims: Sequence[int],
                 subnet_constructor: SubnetConstructor | None = None, clamp: float = 2.0,
                 split: int | None = None) -> None:
        if cond_dims is None:
            raise ValueError("cond_dims: ConditionalAffineCoupling needs the shape of its condition")
        super().__init__(dims_in, subnet_constructor=subnet_constructor, clamp=clamp, split=split,
                         cond_dims=cond_dims)


def _random_orthogonal(n: int, seed: int) -> torch.Tensor:
    gen = torch.Generator().manual_seed(seed)
    q, r = torch.linalg.qr(torch.randn(n, n, generator=gen, dtype=torch.float64))
    return q * torch.sign(torch.diagonal(r))  # Haar-distributed rotation/reflection


class RandomOrthogonal(InvertibleBlock):
    """A fixed random orthogonal mixing of features (thesis section 3.5, "channel mixing").

    Vectors are multiplied by a seeded Haar-random orthogonal matrix ``W``; images have
    their channels mixed by the same ``W`` at every pixel (a 1x1 convolution). The
    matrix is a buffer (saved, not trained); ``log|det W| = 0``. The matrix follows the
    input's dtype: a float64 input is rotated by the exact float64 matrix (drawn in
    float64 from the seed), whatever the dtype of the buffer; a non-floating input is a
    ValueError naming ``x``.

    Examples
    --------
    >>> import torch
    >>> block = RandomOrthogonal((3,), seed=1)
    >>> x = torch.randn(4, 3)
    >>> y, log_det = block(x)
    >>> bool(torch.allclose(y.norm(dim=1), x.norm(dim=1), atol=1e-5)), log_det.tolist()
    (True, [0.0, 0.0, 0.0, 0.0])
    """

    volume_preserving = True

    def __init__(self, dims_in: Sequence[int], seed: int = 0, cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        self.seed = check_seed(seed)
        self.register_buffer("weight", _random_orthogonal(self.dims_in[0], self.seed).float())

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Rotate ``x`` (or un-rotate when ``rev``); log-det is zero."""
        self._check_input(x, rev)
        if x.dtype == torch.float64 and self.weight.dtype != torch.float64:
            w = self._exact_weight(x.device)
        else:
            w = self.weight.to(x.dtype)
        w = w.t() if rev else w
        y = x @ w.t() if x.ndim == 2 else torch.einsum("ij,bjhw->bihw", w, x)
        return y, self._zeros(x)

    def _exact_weight(self, device: torch.device) -> torch.Tensor:
        """The float64 matrix of ``seed`` on ``device`` (cached; not part of the state dict)."""
        cache = self.__dict__.get("_float64_weight")
        if cache is None or cache.device != device:
            cache = _random_orthogonal(self.dims_in[0], self.seed).to(device)
            self.__dict__["_float64_weight"] = cache
        return cache

    def _apply(self, fn: Callable, recurse: bool = True) -> RandomOrthogonal:
        # keep the float64 master copy exact when switching dtype with .double()
        out = super()._apply(fn, recurse)
        if self.weight.dtype == torch.float64:
            self.weight = _random_orthogonal(self.dims_in[0], self.seed).to(self.weight.device)
        return out


class Permutation(InvertibleBlock):
    """A fixed, seeded random permutation of features (vectors) or channels (images).

    Examples
    --------
    >>> import torch
    >>> block = Permutation((4,), seed=0)
    >>> x = torch.arange(4.0)[None]
    >>> y, _ = block(x)
    >>> sorted(y[0].tolist()) == x[0].tolist()
    True
    """

    volume_preserving = True

    def __init__(self, dims_in: Sequence[int], seed: int = 0, cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        gen = torch.Generator().manual_seed(check_seed(seed))
        perm = torch.randperm(self.dims_in[0], generator=gen)
        self.register_buffer("perm", perm)
        self.register_buffer("perm_inv", torch.argsort(perm))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Permute (or un-permute when ``rev``); log-det is zero."""
        self._check_input(x, rev)
        # index_select: the same copy as x[:, perm], without advanced indexing's overhead
        return torch.index_select(x, 1, self.perm_inv if rev else self.perm), self._zeros(x)


class ActNorm(InvertibleBlock):
    """Per-feature (per-channel) affine normalisation with data-dependent initialisation.

    ``y = x * exp(log_scale) + bias``. On the first forward (not reverse) call, the
    parameters are set so that this batch comes out with zero mean and unit variance
    per feature (Kingma & Dhariwal 2018); the flag is a buffer, so a loaded state dict
    is not re-initialised. log|det| = ``sum(log_scale) * H * W``. An initialisation
    batch holding NaN or inf is refused (ValueError naming ``x``; the block stays
    uninitialised), so one bad batch cannot poison every later output.

    Examples
    --------
    >>> import torch
    >>> block = ActNorm((2,))
    >>> y, _ = block(torch.randn(500, 2) * 3 + 1)
    >>> bool(y.mean(0).abs().max() < 1e-5), bool((y.std(0) - 1).abs().max() < 1e-3)
    (True, True)
    """

    def __init__(self, dims_in: Sequence[int], cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        shape = (1, self.dims_in[0]) + (1,) * (len(self.dims_in) - 1)
        self.log_scale = nn.Parameter(torch.zeros(shape))
        self.bias = nn.Parameter(torch.zeros(shape))
        self.register_buffer("initialized", torch.tensor(False))

    def _initialize(self, x: torch.Tensor) -> None:
        if not bool(torch.isfinite(x).all()):
            raise ValueError("x: ActNorm's data-dependent initialisation needs a finite batch, got NaN or "
                             "infinite values (the block stays uninitialised)")
        dims = [0] + list(range(2, x.ndim))
        with torch.no_grad():
            mean = x.mean(dim=dims, keepdim=True)
            std = x.std(dim=dims, keepdim=True) if x.numel() // x.shape[1] > 1 else torch.ones_like(mean)
            log_scale = -torch.log(std.clamp_min(1e-6))
            self.log_scale.copy_(log_scale)
            self.bias.copy_(-mean * torch.exp(log_scale))
            self.initialized.fill_(True)

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Normalise (or de-normalise when ``rev``); log-det in nats per sample."""
        self._check_input(x, rev)
        if not rev and not bool(self.initialized):
            self._initialize(x.detach())
        pixels = math.prod(self.dims_in[1:]) if len(self.dims_in) == 3 else 1
        log_det = (self.log_scale.sum() * pixels).expand(x.shape[0])
        if not rev:
            return x * torch.exp(self.log_scale) + self.bias, log_det
        return (x - self.bias) * torch.exp(-self.log_scale), -log_det


class AsinhStretch(InvertibleBlock):
    """A fixed elementwise stretch of the ends of a range: y = asinh((x - low)/s) + asinh((x - high)/s).

    For data piled up at the two ends of its range, like MNIST's pixels at 0 and 1 under
    input noise of scale sigma: near ``low`` and ``high`` the slope is about 1/s, so with
    s near sigma the noisy spike at each end is widened to unit scale by this block's own
    Jacobian instead of by couplings that the soft clamp (thesis eq. 3.13) holds to
    exp(clamp) per feature each; between the ends the slope is about 1/(x - low) +
    1/(high - x) (4 at the centre of [0, 1]). The logit transform of RealNVP (Dinh et al.
    2017, sec. 4.1) does the same job, but only on an open interval: this one is a
    bijection of the whole real line, so inputs outside the range (noise, other data) get
    a finite density. log|det| = sum over features of log(1/hypot(x - low, s) +
    1/hypot(x - high, s)), in nats. The inverse has no closed form: it is found by
    bisection in the bracket [low, high] + s sinh(y/2), then polished by Newton steps.

    Parameters
    ----------
    scale : float
        s, in the units of x: the width over which each end is stretched.
    low, high : float
        The two ends of the range, ``low < high``.

    Examples
    --------
    >>> import torch
    >>> block = AsinhStretch((3,), scale=1e-3)
    >>> y, log_det = block(torch.tensor([[0.0, 0.5, 1.0]]))
    >>> [round(v, 3) for v in y[0].tolist()]   # -asinh(1000), 0, asinh(1000)
    [-7.601, 0.0, 7.601]
    >>> x, _ = block(y, rev=True)
    >>> bool(torch.allclose(x, torch.tensor([[0.0, 0.5, 1.0]]), atol=1e-6))
    True
    """

    def __init__(self, dims_in: Sequence[int], scale: float = 1e-3, low: float = 0.0, high: float = 1.0,
                 cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        self.scale = check_float(scale, "scale", low=0.0, low_open=True, high=1e6)
        self.low = check_float(low, "low", low=-1e6, high=1e6)
        self.high = check_float(high, "high", low=-1e6, high=1e6)
        if not self.high > self.low:
            raise ValueError(f"high: expected high > low, got low = {low}, high = {high}")

    def _stretch(self, x: torch.Tensor) -> torch.Tensor:
        return torch.asinh((x - self.low) / self.scale) + torch.asinh((x - self.high) / self.scale)

    def _log_slope(self, x: torch.Tensor) -> torch.Tensor:
        s = x.new_tensor(self.scale)
        return torch.log(1 / torch.hypot(x - self.low, s) + 1 / torch.hypot(x - self.high, s))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Stretch (or unstretch when ``rev``); log-det in nats per sample."""
        self._check_input(x, rev)
        dims = tuple(range(1, x.ndim))
        if not rev:
            return self._stretch(x), self._log_slope(x).sum(dims)
        # the stretch lies between 2 asinh((x - high)/s) and 2 asinh((x - low)/s), so the
        # solution lies in [low, high] + s sinh(y/2); bisection halves that bracket
        with torch.no_grad():
            offset = self.scale * torch.sinh(x / 2)
            lo, hi = offset + self.low, offset + self.high
            for _ in range(64 if x.dtype == torch.float64 else 32):
                mid = (lo + hi) / 2
                above = self._stretch(mid) > x
                hi, lo = torch.where(above, mid, hi), torch.where(above, lo, mid)
            u = (lo + hi) / 2
        for _ in range(2):   # Newton on y(u) = x: exact to rounding, and differentiable in x
            u = u - (self._stretch(u) - x) / torch.exp(self._log_slope(u))
        return u, -self._log_slope(u).sum(dims)


def _haar_kernel(channels: int, scale: float, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
    # Fig. 3.6: average, horizontal, vertical and diagonal filters on each 2x2 patch
    base = torch.tensor([[[1, 1], [1, 1]], [[1, -1], [1, -1]], [[1, 1], [-1, -1]], [[1, -1], [-1, 1]]],
                        dtype=dtype, device=device) * scale
    # grouped-convolution layout: kernel row 4 * ch + k is wavelet k of input channel ch
    return base.repeat(channels, 1, 1).unsqueeze(1)


class HaarDownsampling(InvertibleBlock):
    """Haar wavelet downsampling (thesis Fig. 3.6): ``(C, H, W) -> (4C, H/2, W/2)``.

    Each 2x2 patch of each channel becomes four coefficients: average, horizontal,
    vertical and diagonal differences, each the patch weighted by ±``scale``. Output
    channels are ordered by wavelet (all averages first, then the details), so a
    following :class:`Split` can send the detail channels out early. The transform
    is ``2 * scale`` times an orthogonal map: orthogonal for the default ``scale=0.5``,
    and log|det| = ``C * H * W * log(2 * scale)`` in general.

    Examples
    --------
    >>> import torch
    >>> block = HaarDownsampling((1, 2, 2))
    >>> y, log_det = block(torch.tensor([[[[1.0, 2.0], [3.0, 4.0]]]]))
    >>> y.flatten().tolist(), log_det.tolist()
    ([5.0, -1.0, -2.0, 0.0], [0.0])
    """

    def __init__(self, dims_in: Sequence[int], scale: float = 0.5,
                 cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        if len(self.dims_in) != 3 or self.dims_in[1] % 2 or self.dims_in[2] % 2:
            raise ValueError(f"dims_in: Haar downsampling needs (C, H, W) with even H and W, "
                             f"got {self.dims_in}")
        self.scale = check_float(scale, "scale", low=0, low_open=True)
        c, h, w = self.dims_in
        self.dims_out = (4 * c, h // 2, w // 2)

    @property
    def volume_preserving(self) -> bool:
        """True at ``scale = 1/2`` (orthonormal filters: log|det| = 0 exactly)."""
        return math.log(2 * self.scale) == 0.0

    def _kernel(self, c: int, up: bool, dtype: torch.dtype, device: torch.device) -> torch.Tensor:
        """The (cached, not saved) filters of ``c`` channels; ``up``: divided by (2 scale)^2."""
        cache = self.__dict__.setdefault("_kernels", {})
        key = (c, up, dtype, device, self.scale)
        kernel = cache.get(key)
        if kernel is None:
            with torch.inference_mode(False):  # a normal tensor, so later training can save it for backward
                kernel = _haar_kernel(c, self.scale, dtype, device)
                if up:  # the filters are orthogonal with norm 2*scale: inverse = transpose / (2*scale)^2
                    kernel = kernel / (2 * self.scale) ** 2
            cache[key] = kernel
        return kernel

    def _down(self, x: torch.Tensor) -> torch.Tensor:
        c = x.shape[1]
        return F.conv2d(x, self._kernel(c, False, x.dtype, x.device), stride=2, groups=c)\
            .view(x.shape[0], c, 4, x.shape[2] // 2, x.shape[3] // 2).transpose(1, 2)\
            .reshape(x.shape[0], 4 * c, x.shape[2] // 2, x.shape[3] // 2)

    def _up(self, y: torch.Tensor) -> torch.Tensor:
        c = y.shape[1] // 4
        y = y.view(y.shape[0], 4, c, *y.shape[2:]).transpose(1, 2).reshape(y.shape)
        return F.conv_transpose2d(y, self._kernel(c, True, y.dtype, y.device), stride=2, groups=c)

    def _log_det(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_full((x.shape[0],), math.prod(self.dims_in) * math.log(2 * self.scale))

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Downsample (or upsample when ``rev``); log-det in nats per sample."""
        self._check_input(x, rev)
        if not rev:
            return self._down(x), self._log_det(x)
        return self._up(x), -self._log_det(x)


class HaarUpsampling(HaarDownsampling):
    """The inverse of :class:`HaarDownsampling`: ``(4C, H, W) -> (C, 2H, 2W)``.

    Examples
    --------
    >>> import torch
    >>> block = HaarUpsampling((4, 1, 1))
    >>> tuple(block(torch.randn(3, 4, 1, 1))[0].shape)
    (3, 1, 2, 2)
    """

    def __init__(self, dims_in: Sequence[int], scale: float = 0.5,
                 cond_dims: Sequence[int] | None = None) -> None:
        dims_in = check_dims(dims_in, "dims_in")
        if len(dims_in) != 3 or dims_in[0] % 4:
            raise ValueError(f"dims_in: Haar upsampling needs (4C, H, W), got {dims_in}")
        c, h, w = dims_in
        super().__init__((c // 4, 2 * h, 2 * w), scale=scale, cond_dims=cond_dims)
        self.dims_in, self.dims_out = self.dims_out, self.dims_in

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Upsample (or downsample when ``rev``); log-det in nats per sample."""
        self._check_input(x, rev)
        if not rev:
            return self._up(x), -self._log_det(x)
        return self._down(x), self._log_det(x)

    def _log_det(self, x: torch.Tensor) -> torch.Tensor:
        return x.new_full((x.shape[0],), math.prod(self.dims_out) * math.log(2 * self.scale))


class Reshape(InvertibleBlock):
    """Reshape each sample to ``shape`` (same number of elements); log-det zero.

    Examples
    --------
    >>> import torch
    >>> tuple(Reshape((4,), shape=(1, 2, 2))(torch.zeros(3, 4))[0].shape)
    (3, 1, 2, 2)
    """

    volume_preserving = True

    def __init__(self, dims_in: Sequence[int], shape: Sequence[int] = (),
                 cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        shape = check_dims(shape, "shape")
        if math.prod(shape) != math.prod(self.dims_in):
            raise ValueError(f"shape: {shape} does not hold the {math.prod(self.dims_in)} elements "
                             f"of {self.dims_in}")
        self.dims_out = shape

    def forward(self, x: torch.Tensor, c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """Reshape (or reshape back when ``rev``)."""
        self._check_input(x, rev)
        return x.reshape(x.shape[0], *(self.dims_in if rev else self.dims_out)), self._zeros(x)


class Flatten(Reshape):
    """Flatten each sample to a vector; log-det zero.

    Examples
    --------
    >>> import torch
    >>> tuple(Flatten((2, 2, 2))(torch.zeros(3, 2, 2, 2))[0].shape)
    (3, 8)
    """

    def __init__(self, dims_in: Sequence[int], cond_dims: Sequence[int] | None = None) -> None:
        dims_in = check_dims(dims_in, "dims_in")
        super().__init__(dims_in, shape=(math.prod(dims_in),), cond_dims=cond_dims)


class Split(InvertibleBlock):
    """Send part of the variables straight to the latent space (multi-scale skip).

    The first ``keep`` features (channels for images) continue through the network;
    the rest leave early. ``forward`` returns ``((kept, early), log_det)``;
    ``rev=True`` takes the pair back. Inside :class:`~infoplane.inn.SequenceINN` the
    early parts are flattened and put in front of the final output.

    Examples
    --------
    >>> import torch
    >>> block = Split((4, 2, 2), keep=1)
    >>> (kept, early), _ = block(torch.zeros(5, 4, 2, 2))
    >>> tuple(kept.shape), tuple(early.shape), block.dims_out, block.dims_early
    ((5, 1, 2, 2), (5, 3, 2, 2), (1, 2, 2), (3, 2, 2))
    """

    volume_preserving = True

    def __init__(self, dims_in: Sequence[int], keep: int | None = None,
                 cond_dims: Sequence[int] | None = None) -> None:
        super().__init__(dims_in, cond_dims)
        channels = self.dims_in[0]
        keep = channels // 2 if keep is None else check_int(keep, "keep", minimum=1)
        if keep >= channels:
            raise ValueError(f"keep: must be smaller than {channels}, got {keep}")
        self.keep = keep
        self.dims_out = (keep,) + self.dims_in[1:]
        self.dims_early = (channels - keep,) + self.dims_in[1:]

    def forward(self, x: torch.Tensor | tuple[torch.Tensor, torch.Tensor], c: torch.Tensor | None = None,
                rev: bool = False) -> tuple[torch.Tensor | tuple[torch.Tensor, torch.Tensor], torch.Tensor]:
        """Split ``x`` into ``(kept, early)``, or concatenate such a pair when ``rev``."""
        if not rev:
            self._check_input(x, rev=False)
            kept, early = torch.split(x, [self.keep, self.dims_in[0] - self.keep], dim=1)
            return (kept, early), self._zeros(x)
        if not isinstance(x, (tuple, list)) or len(x) != 2:
            raise ValueError("x: Split(rev=True) expects a pair (kept, early)")
        kept, early = x
        self._check_input(kept, rev=True)
        if tuple(early.shape[1:]) != self.dims_early:
            raise ValueError(f"x: the early part must have shape (batch, {self.dims_early}), "
                             f"got {tuple(early.shape)}")
        return torch.cat([kept, early], dim=1), self._zeros(kept)
