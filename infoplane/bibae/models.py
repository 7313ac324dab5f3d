"""BIB-AE models: one auto-encoder with a Gaussian, deterministic or vector-quantised latent.

:class:`BIBAE` wraps an encoder and a decoder (any modules; :func:`mlp_encoder`,
:func:`conv_encoder` and their decoders build the usual ones for flattened 8x8 and 28x28
images), a prior p(z) (:class:`~infoplane.GaussianMixture`, default N(0, I)) and the
critics of the adversarial terms (an ``nn.ModuleDict`` with ``"z"`` and/or ``"x"``, so
that ``fit`` moves and checkpoints them with the model). The encoding is one of the
options of section 3 (eq. 3):

- stochastic, z = f(x) + eps with eps ~ N(0, diag exp(log_var(x))) (the VAE family);
- deterministic, z = f(x) (the AAE's usual choice);
- vector-quantised, z = Q(f(x)), the nearest of L codewords, with the straight-through
  gradient (the rate-distortion models of section 4.2), optionally plus noise U of a
  stated std (generative compression, eq. 36).

``forward`` returns a :class:`BIBAEOutput` and keeps nothing on the module.

Examples
--------
>>> import torch
>>> from infoplane.bibae.models import BIBAE, mlp_decoder, mlp_encoder
>>> model = BIBAE(mlp_encoder(64, 2, (32,)), mlp_decoder(2, 64, (32,)), seed=0)
>>> out = model(torch.rand(5, 64))
>>> out.x_hat.shape, out.z.shape, out.log_var.shape
(torch.Size([5, 64]), torch.Size([5, 2]), torch.Size([5, 2]))
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from infoplane._gaussian import GaussianMixture
from infoplane._nn import mlp, randn, seeded
from infoplane._validation import check_float, check_int

__all__ = ["BIBAEOutput", "BIBAE", "VectorQuantizer", "mlp_encoder", "mlp_decoder", "conv_encoder",
           "conv_decoder", "critic"]


class BIBAEOutput(NamedTuple):
    """What :meth:`BIBAE.forward` returns.

    ``x_hat`` the decoder's output (mean, location or logits of p(x|z)); ``z`` the latent
    that was decoded; ``mean`` f(x); ``log_var`` the encoder's log-variance (None for a
    deterministic or quantised encoder); ``codes`` the codeword index of each example
    (quantised encoders only, else None).
    """

    x_hat: torch.Tensor
    z: torch.Tensor
    mean: torch.Tensor
    log_var: torch.Tensor | None
    codes: torch.Tensor | None


def _widths(hidden: Sequence[int]) -> tuple[int, ...]:
    if isinstance(hidden, int) or not isinstance(hidden, Sequence):
        raise ValueError(f"hidden: expected a sequence of widths such as (128, 128), got {hidden!r}")
    return tuple(check_int(h, "hidden", minimum=1) for h in hidden)


def mlp_encoder(in_features: int, latent_dim: int, hidden: Sequence[int] = (256,),
                stochastic: bool = True) -> nn.Module:
    """An MLP ``x -> f(x)`` (and ``log_var(x)``): output width ``2 latent_dim`` when ``stochastic``.

    Examples
    --------
    >>> from infoplane.bibae.models import mlp_encoder
    >>> mlp_encoder(64, 3, (16,))[-1].out_features
    6
    """
    out = 2 * latent_dim if stochastic else latent_dim
    return mlp([check_int(in_features, "in_features", minimum=1), *_widths(hidden), out])


def mlp_decoder(latent_dim: int, out_features: int, hidden: Sequence[int] = (256,)) -> nn.Module:
    """An MLP ``z -> g(z)`` of width ``out_features`` (no output activation: means, locations or logits)."""
    return mlp([check_int(latent_dim, "latent_dim", minimum=1), *_widths(hidden),
                check_int(out_features, "out_features", minimum=1)])


class _Unflatten(nn.Module):
    def __init__(self, shape: tuple[int, ...]) -> None:
        super().__init__()
        self.shape = shape

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x.reshape(x.shape[0], *self.shape)


def conv_encoder(side: int, latent_dim: int, channels: Sequence[int] = (16, 32),
                 stochastic: bool = True) -> nn.Module:
    """A small convolutional encoder of flattened ``side x side`` grey images (8 or 28 here).

    Two stride-2 convolutions (side -> side/2 -> side/4, rounded up), then a linear map
    to ``latent_dim`` (``2 latent_dim`` when ``stochastic``).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.models import conv_encoder
    >>> conv_encoder(28, 4)(torch.rand(2, 784)).shape
    torch.Size([2, 8])
    """
    side = check_int(side, "side", minimum=4)
    c1, c2 = _widths(channels)[:2] if len(channels) >= 2 else (channels[0], channels[0])
    small = (side + 3) // 4
    out = 2 * latent_dim if stochastic else latent_dim
    return nn.Sequential(_Unflatten((1, side, side)),
                         nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
                         nn.Flatten(), nn.Linear(c2 * small * small, out))


def conv_decoder(latent_dim: int, side: int, channels: Sequence[int] = (32, 16)) -> nn.Module:
    """The mirror of :func:`conv_encoder`: ``z -> `` flattened ``side x side`` image (no output activation).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.models import conv_decoder
    >>> conv_decoder(4, 8)(torch.rand(2, 4)).shape
    torch.Size([2, 64])
    """
    side = check_int(side, "side", minimum=4)
    if side % 4:
        raise ValueError(f"side: the decoder doubles twice, so side must be a multiple of 4, got {side}")
    c2, c1 = _widths(channels)[:2] if len(channels) >= 2 else (channels[0], channels[0])
    small = side // 4
    return nn.Sequential(nn.Linear(check_int(latent_dim, "latent_dim", minimum=1), c2 * small * small),
                         nn.ReLU(), _Unflatten((c2, small, small)),
                         nn.ConvTranspose2d(c2, c1, 4, stride=2, padding=1), nn.ReLU(),
                         nn.ConvTranspose2d(c1, 1, 4, stride=2, padding=1), nn.Flatten())


def critic(in_features: int, hidden: Sequence[int] = (128,)) -> nn.Module:
    """A critic: an MLP with one logit per sample (for the adversarial B on z or D on x)."""
    return nn.Sequential(mlp([check_int(in_features, "in_features", minimum=1), *_widths(hidden), 1],
                             activation="leaky_relu"), nn.Flatten(0))


class VectorQuantizer(nn.Module):
    """L codewords c_j in R^d; ``forward(e)`` returns the nearest codeword per row and its index.

    The gradient passes straight through to ``e`` (z = e + (c - e).detach()); the
    codebook is trained by the loss's codebook and commitment terms (VQ-VAE,
    van den Oord et al. 2017), which :class:`~infoplane.bibae.loss.BIBAELoss` adds for
    quantised models.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.models import VectorQuantizer
    >>> vq = VectorQuantizer(4, 2)
    >>> with torch.no_grad():
    ...     _ = vq.codebook.copy_(torch.tensor([[0., 0.], [1., 0.], [0., 1.], [1., 1.]]))
    >>> z, codes = vq(torch.tensor([[0.9, 0.2], [0.1, 0.8]]))
    >>> codes.tolist(), z.tolist()
    ([1, 2], [[1.0, 0.0], [0.0, 1.0]])
    """

    def __init__(self, n_codes: int, dim: int) -> None:
        super().__init__()
        n_codes = check_int(n_codes, "n_codes", minimum=2)
        dim = check_int(dim, "dim", minimum=1)
        self.codebook = nn.Parameter(torch.randn(n_codes, dim) * 0.5)

    @property
    def n_codes(self) -> int:
        """L, the number of codewords (the rate is at most ln L nats)."""
        return int(self.codebook.shape[0])

    def forward(self, e: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(the quantised latent with straight-through gradient, the code index per row)."""
        codes = torch.cdist(e, self.codebook).argmin(1)
        quantised = self.codebook[codes]
        return e + (quantised - e).detach(), codes


class BIBAE(nn.Module):
    """Encoder, decoder, prior and critics of one BIB-AE model (any preset of :mod:`~infoplane.bibae.loss`).

    Parameters
    ----------
    encoder, decoder : nn.Module
        ``encoder(x)`` gives f(x) of width ``latent_dim`` (``2 latent_dim`` for a
        stochastic encoder: mean and log-variance); ``decoder(z)`` gives the parameters
        of p(x|z).
    prior : GaussianMixture, optional
        p(z); default N(0, I) in ``latent_dim`` dimensions.
    critics : dict of nn.Module, optional
        ``{"z": critic on z, "x": critic on x}`` for adversarial B and D terms.
    encoding : {"stochastic", "deterministic", "quantised"}
    n_codes : int
        Codewords of a quantised encoder.
    code_noise : float
        Std of the noise U added to the quantised latent (generative compression).
    min_log_var : float
        Lower clamp of the encoder's log-variance.
    seed : int, optional
        Seed of the weights built here (codebook); build the encoder and decoder under
        :func:`infoplane._nn.seeded` for theirs, or pass ``seed`` to a preset builder.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.models import BIBAE, mlp_decoder, mlp_encoder
    >>> model = BIBAE(mlp_encoder(64, 2, (16,), stochastic=False), mlp_decoder(2, 64, (16,)),
    ...               encoding="quantised", n_codes=8, seed=0)
    >>> model(torch.rand(3, 64)).codes.shape
    torch.Size([3])
    """

    ENCODINGS = ("stochastic", "deterministic", "quantised")

    def __init__(self, encoder: nn.Module, decoder: nn.Module, prior: GaussianMixture | None = None,
                 critics: dict[str, nn.Module] | None = None, *, encoding: str = "stochastic",
                 n_codes: int = 64, code_noise: float = 0.0, min_log_var: float = -10.0,
                 seed: int | None = None) -> None:
        super().__init__()
        if encoding not in self.ENCODINGS:
            raise ValueError(f"encoding: expected one of {self.ENCODINGS}, got {encoding!r}")
        if not isinstance(encoder, nn.Module) or not isinstance(decoder, nn.Module):
            raise TypeError("encoder: expected nn.Modules for the encoder and the decoder")
        self.encoder, self.decoder, self.encoding = encoder, decoder, encoding
        self.latent_dim = self._latent_dim(decoder)
        if prior is not None and not isinstance(prior, GaussianMixture):
            raise TypeError(f"prior: expected a GaussianMixture, got {type(prior).__name__}")
        self.prior = prior if prior is not None else GaussianMixture.standard(self.latent_dim)
        if self.prior.dim != self.latent_dim:
            raise ValueError(f"prior: is over {self.prior.dim} dimensions, the latent has {self.latent_dim}")
        critics = dict(critics or {})
        if not set(critics) <= {"z", "x"}:
            raise ValueError(f"critics: expected keys 'z' and/or 'x', got {sorted(critics)}")
        self.critics = nn.ModuleDict(critics)
        self.code_noise = check_float(code_noise, "code_noise", low=0.0)
        self.min_log_var = check_float(min_log_var, "min_log_var")
        with seeded(seed):
            self.quantizer = VectorQuantizer(n_codes, self.latent_dim) if encoding == "quantised" else None

    @staticmethod
    def _latent_dim(decoder: nn.Module) -> int:
        for module in decoder.modules():
            if isinstance(module, nn.Linear):
                return int(module.in_features)
        raise ValueError("decoder: its first layer must be nn.Linear (the latent width is read from it)")

    def encode(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(f(x), log_var(x)) for a stochastic encoder, (f(x), None) otherwise."""
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x: expected a torch.Tensor, got {type(x).__name__}")
        out = self.encoder(x)
        if self.encoding != "stochastic":
            return out, None
        mean, raw = out[:, :self.latent_dim], out[:, self.latent_dim:]
        return mean, raw.clamp(min=self.min_log_var, max=10.0)

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> BIBAEOutput:
        """Encode, draw or quantise z, decode; nothing is kept on the module."""
        mean, log_var = self.encode(x)
        codes = None
        if log_var is not None:
            z = mean + (0.5 * log_var).exp() * randn(mean.shape, mean, generator)
        elif self.quantizer is not None:
            z, codes = self.quantizer(mean)
            if self.code_noise > 0:
                z = z + self.code_noise * randn(z.shape, z, generator)
        else:
            z = mean
        return BIBAEOutput(self.decoder(z), z, mean, log_var, codes)

    def sample(self, n: int, generator: torch.Generator | None = None) -> torch.Tensor:
        """Decoder outputs of n latents from the prior (codewords drawn uniformly for a quantised model)."""
        n = check_int(n, "n", minimum=1)
        with torch.no_grad():
            if self.quantizer is not None:
                index = torch.randint(self.quantizer.n_codes, (n,), generator=generator)
                z = self.quantizer.codebook[index.to(self.quantizer.codebook.device)]
            else:
                z = self.prior.sample(n, generator=generator)
            return self.decoder(z)
