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

With ``condition_dim > 0`` the same model is **conditional** (Sohn et al. 2015; the
conditional VAE baseline of the inverse problems, Ardizzone et al. thesis 4.2.2, B.5.2):
encoder q(z | x, y) and decoder p(x | z, y) read ``[x, y]`` and ``[z, y]``, the prior
stays p(z) (default N(0, I)), the batch is ``(x, y)``, and :meth:`BIBAE.posterior` draws
x ~ p(x | y*) by decoding z ~ p(z) with y*. :meth:`BIBAE.conditional_mlp` builds the MLP
one. The objective is the same :class:`~infoplane.bibae.loss.BIBAELoss` (the ``vae()``
preset for the cVAE): there is one VAE loss in the package.

``forward`` returns a :class:`BIBAEOutput` and keeps nothing on the module.

Examples
--------
>>> import torch
>>> from infoplane.bibae.models import BIBAE, mlp_decoder, mlp_encoder
>>> model = BIBAE(mlp_encoder(64, 2, (32,)), mlp_decoder(2, 64, (32,)), seed=0)
>>> out = model(torch.rand(5, 64))
>>> out.x_hat.shape, out.z.shape, out.log_var.shape
(torch.Size([5, 64]), torch.Size([5, 2]), torch.Size([5, 2]))
>>> cvae = BIBAE.conditional_mlp(x_dim=4, y_dim=2, latent_dim=2, hidden=(16,), seed=0)
>>> cvae.posterior(torch.zeros(3, 2), 5, seed=0).shape     # x ~ p(x | y*): (observations, n, x_dim)
torch.Size([3, 5, 4])
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from infoplane._gaussian import GaussianMixture
from infoplane._nn import mlp, randn, seeded
from infoplane._validation import check_float, check_int, check_seed

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
        Lower clamp of the encoder's log-variance (the upper clamp is 10).
    condition_dim : int
        Width of the condition ``y`` (0: unconditional). When positive, the encoder reads
        ``[x, y]`` (width ``x_dim + condition_dim``) and the decoder ``[z, y]`` (its first
        ``nn.Linear`` has ``latent_dim + condition_dim`` inputs), so ``latent_dim`` is that
        width minus ``condition_dim``; ``x`` is (n, x_dim) and ``x_dim`` is read from the
        encoder's first ``nn.Linear`` (``None`` when it starts otherwise).
    seed : int, optional
        Seed of the weights built here (codebook); build the encoder and decoder under
        :func:`infoplane._nn.seeded` for theirs, or pass ``seed`` to a preset builder
        (:meth:`conditional_mlp` takes one).

    Attributes
    ----------
    latent_dim, condition_dim : int
    x_dim : int or None
        Width of ``x`` for a conditional model whose encoder starts with ``nn.Linear``.

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
                 condition_dim: int = 0, seed: int | None = None) -> None:
        super().__init__()
        if encoding not in self.ENCODINGS:
            raise ValueError(f"encoding: expected one of {self.ENCODINGS}, got {encoding!r}")
        if not isinstance(encoder, nn.Module) or not isinstance(decoder, nn.Module):
            raise TypeError("encoder: expected nn.Modules for the encoder and the decoder")
        self.encoder, self.decoder, self.encoding = encoder, decoder, encoding
        self.condition_dim = check_int(condition_dim, "condition_dim", minimum=0)
        self.latent_dim = self._latent_dim(decoder) - self.condition_dim
        if self.latent_dim < 1:
            raise ValueError(f"condition_dim: {self.condition_dim} leaves no latent width: the decoder reads "
                             f"{self.latent_dim + self.condition_dim} features, which are [z, y]")
        self.x_dim: int | None = None
        if self.condition_dim:
            first = next((m for m in encoder.modules() if any(True for _ in m.parameters(recurse=False))),
                         None)
            if isinstance(first, nn.Linear):
                self.x_dim = int(first.in_features) - self.condition_dim
                if self.x_dim < 1:
                    raise ValueError(f"condition_dim: {self.condition_dim} leaves no width for x: the "
                                     f"encoder reads {first.in_features} features, which are [x, y]")
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

    @classmethod
    def conditional_mlp(cls, x_dim: int, y_dim: int, latent_dim: int | None = None,
                        hidden: Sequence[int] = (128, 128, 128), *, min_log_var: float = -10.0,
                        seed: int | None = None) -> BIBAE:
        """The conditional VAE of the inverse problems: MLPs q(z | x, y) and p(x | z, y), prior N(0, I).

        Thesis 4.2.2 / B.5.2 (Ardizzone et al.), the cVAE of Table 4.1: a Gaussian encoder
        ``q(z | x, y)`` of ``[x, y]`` and a decoder ``x_hat = g(z, y)`` of ``[z, y]``, each an
        MLP with ReLU between its layers; the encoder is built first, then the decoder,
        both under ``seed``. Train it with :func:`~infoplane.bibae.loss.vae` (a Gaussian
        p(x | z, y) whose fixed variance sets the weight of the squared error, see
        :func:`~infoplane.bibae.loss.squared_error_log_scale`) and sample p(x | y*) with
        :meth:`posterior`.

        Parameters
        ----------
        x_dim, y_dim : int
            Sizes of the hidden parameters ``x`` and of the observations ``y`` (the condition).
        latent_dim : int, optional
            Latent size; default ``x_dim``.
        hidden : sequence of int
            Hidden-layer widths of the encoder and of the decoder (at least one).
        min_log_var : float
            Lower clamp of the encoder's log-variance.
        seed : int, optional
            Seed of the initial weights (the global random state is left as it was);
            ``None`` draws them from the global RNG.

        Returns
        -------
        BIBAE
            A stochastic model with ``condition_dim = y_dim``.

        Examples
        --------
        >>> import torch
        >>> from infoplane.bibae.loss import squared_error_log_scale, vae
        >>> from infoplane.bibae.models import BIBAE
        >>> cvae = BIBAE.conditional_mlp(x_dim=4, y_dim=2, hidden=(32, 32, 32), seed=0)
        >>> cvae.latent_dim, cvae.condition_dim, cvae.x_dim
        (4, 2, 4)
        >>> loss, terms = vae(log_scale=squared_error_log_scale(15.0), seed=1)(
        ...     cvae, (torch.zeros(8, 4), torch.zeros(8, 2)))
        >>> sorted(terms)
        ['A', 'C', 'reconstruction_mse']
        """
        x_dim = check_int(x_dim, "x_dim", minimum=1)
        y_dim = check_int(y_dim, "y_dim", minimum=1)
        latent_dim = check_int(latent_dim if latent_dim is not None else x_dim, "latent_dim", minimum=1)
        hidden = _widths(hidden)
        if not hidden:
            raise ValueError("hidden: expected at least one hidden layer, got ()")
        with seeded(seed):
            encoder = mlp_encoder(x_dim + y_dim, latent_dim, hidden)
            decoder = mlp_decoder(latent_dim + y_dim, x_dim, hidden)
        return cls(encoder, decoder, min_log_var=min_log_var, condition_dim=y_dim, seed=seed)

    def _dtype(self) -> torch.dtype | None:
        return next((p.dtype for p in self.parameters() if p.is_floating_point()), None)

    def _check_rows(self, t: object, width: int | None, name: str, rows: int | None = None) -> torch.Tensor:
        """Shape (rows, width) in the parameters' dtype, else ValueError/TypeError naming ``name``."""
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")
        if t.ndim != 2 or (width is not None and t.shape[1] != width) or (
                rows is not None and t.shape[0] != rows):
            want = f"({'n' if rows is None else rows}, {'d' if width is None else width})"
            raise ValueError(f"{name}: expected shape {want}, got {tuple(t.shape)}")
        if not t.is_floating_point():
            raise ValueError(f"{name}: expected a floating-point tensor, got dtype {t.dtype}")
        dtype = self._dtype()
        if dtype is not None and t.dtype != dtype:
            raise ValueError(f"{name}: has dtype {t.dtype} but the model's parameters are {dtype}; "
                             f"convert the input ({name}.to({dtype})) or the model (model.to({t.dtype}))")
        return t

    def _condition(self, y: torch.Tensor | None, rows: int) -> torch.Tensor | None:
        """The condition ``y`` checked against ``rows``; None for an unconditional model."""
        if not self.condition_dim:
            if y is not None:
                raise ValueError("y: this model is unconditional (condition_dim=0); pass no y")
            return None
        if y is None:
            raise ValueError(f"y: this model is conditional: pass y of shape ({rows}, {self.condition_dim})")
        return self._check_rows(y, self.condition_dim, "y", rows=rows)

    def encode(self, x: torch.Tensor,
               y: torch.Tensor | None = None) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(f(x), log_var(x)) for a stochastic encoder, (f(x), None) otherwise; f(x, y) for a conditional one.

        ``log_var`` is ln Var[z], clamped to ``[min_log_var, 10]``; each is (n, latent_dim).

        Examples
        --------
        >>> import torch
        >>> from infoplane.bibae.models import BIBAE
        >>> cvae = BIBAE.conditional_mlp(2, 1, latent_dim=3, hidden=(8,), seed=0)
        >>> mean, log_var = cvae.encode(torch.zeros(4, 2), torch.zeros(4, 1))
        >>> tuple(mean.shape), tuple(log_var.shape)
        ((4, 3), (4, 3))
        """
        if not isinstance(x, torch.Tensor):
            raise TypeError(f"x: expected a torch.Tensor, got {type(x).__name__}")
        if self.condition_dim:
            self._check_rows(x, self.x_dim, "x")
            out = self.encoder(torch.cat([x, self._condition(y, x.shape[0])], 1))
        else:
            self._condition(y, x.shape[0])
            out = self.encoder(x)
        if self.encoding != "stochastic":
            return out, None
        mean, raw = out[:, :self.latent_dim], out[:, self.latent_dim:]
        return mean, raw.clamp(min=self.min_log_var, max=10.0)

    def decode(self, z: torch.Tensor, y: torch.Tensor | None = None) -> torch.Tensor:
        """The decoder's output g(z) (or g(z, y) for a conditional model): the parameters of p(x | z).

        Examples
        --------
        >>> import torch
        >>> from infoplane.bibae.models import BIBAE
        >>> cvae = BIBAE.conditional_mlp(2, 1, hidden=(8,), seed=0)
        >>> cvae.decode(torch.zeros(3, 2), torch.zeros(3, 1)).shape
        torch.Size([3, 2])
        """
        if not self.condition_dim:
            self._condition(y, 0)
            return self.decoder(z)
        self._check_rows(z, self.latent_dim, "z")
        return self.decoder(torch.cat([z, self._condition(y, z.shape[0])], 1))

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None, *,
                y: torch.Tensor | None = None) -> BIBAEOutput:
        """Encode, draw or quantise z, decode; nothing is kept on the module.

        The stochastic latent is z = mean + exp(log_var / 2) eps with eps from ``generator``
        (reparameterisation). A conditional model takes its condition as ``y=`` (n, condition_dim).

        Examples
        --------
        >>> import torch
        >>> from infoplane.bibae.models import BIBAE
        >>> cvae = BIBAE.conditional_mlp(2, 1, hidden=(8,), seed=0)
        >>> out = cvae(torch.zeros(3, 2), torch.Generator().manual_seed(0), y=torch.zeros(3, 1))
        >>> tuple(out.x_hat.shape), tuple(out.z.shape)
        ((3, 2), (3, 2))
        """
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator: expected a torch.Generator, got {type(generator).__name__} "
                            "(a conditional model takes its condition as y=...)")
        mean, log_var = self.encode(x, y)
        codes = None
        if log_var is not None:
            z = mean + (0.5 * log_var).exp() * randn(mean.shape, mean, generator)
        elif self.quantizer is not None:
            z, codes = self.quantizer(mean)
            if self.code_noise > 0:
                z = z + self.code_noise * randn(z.shape, z, generator)
        else:
            z = mean
        return BIBAEOutput(self.decode(z, y), z, mean, log_var, codes)

    def _prior_sample(self, n: int, like: torch.Tensor, generator: torch.Generator | None) -> torch.Tensor:
        """n draws of p(z); a one-component prior draws only the normal noise (no component index)."""
        if self.prior.n_components == 1:
            eps = randn((n, self.latent_dim), like, generator)
            return self.prior.means[0] + (0.5 * self.prior.log_vars[0]).exp() * eps
        return self.prior.sample(n, generator=generator).to(like)

    def sample(self, n: int, generator: torch.Generator | None = None, *,
               y: torch.Tensor | None = None) -> torch.Tensor:
        """Decoder outputs of n latents from the prior (codewords drawn uniformly for a quantised model).

        A conditional model decodes them with the condition ``y`` (n, condition_dim).

        Examples
        --------
        >>> import torch
        >>> from infoplane.bibae.models import BIBAE, mlp_decoder, mlp_encoder
        >>> BIBAE(mlp_encoder(8, 2, (16,)), mlp_decoder(2, 8, (16,)), seed=0).sample(3).shape
        torch.Size([3, 8])
        """
        n = check_int(n, "n", minimum=1)
        with torch.no_grad():
            if self.quantizer is not None:
                index = torch.randint(self.quantizer.n_codes, (n,), generator=generator)
                z = self.quantizer.codebook[index.to(self.quantizer.codebook.device)]
            else:
                z = self.prior.sample(n, generator=generator)
            return self.decode(z, y)

    @torch.no_grad()
    def posterior(self, y: torch.Tensor, n: int, seed: int | None = 0,
                  generator: torch.Generator | None = None) -> torch.Tensor:
        """Samples of p(x | y*) of a conditional model: x_hat = g(z, y*) with z ~ p(z) (N(0, I) by default).

        The decoder's output is the mean of p(x | z, y*) (the decoder's own noise is not
        added, as for the thesis's cVAE).

        Parameters
        ----------
        y : tensor (n_observations, condition_dim)
            The observations y*; a 1-D tensor is one observation.
        n : int
            Samples per observation.
        seed : int, optional
            Seeds a CPU generator for the latent draws (ignored when ``generator`` is given);
            ``None`` with no generator uses the global RNG.
        generator : torch.Generator, optional

        Returns
        -------
        Tensor of shape (n_observations, n, x_dim)
            In the units of x.

        Examples
        --------
        >>> import torch
        >>> from infoplane.bibae.models import BIBAE
        >>> cvae = BIBAE.conditional_mlp(x_dim=4, y_dim=2, hidden=(8, 8), seed=0)
        >>> cvae.posterior(torch.zeros(3, 2), 5, seed=0).shape
        torch.Size([3, 5, 4])
        """
        if not self.condition_dim:
            raise ValueError("y: this model is unconditional (condition_dim=0): it has no posterior p(x | y)")
        y = torch.as_tensor(y)
        if y.ndim == 1:
            y = y[None]
        if y.ndim != 2 or y.shape[0] == 0 or y.shape[1] != self.condition_dim:
            raise ValueError(f"y: expected shape (n_observations, {self.condition_dim}), "
                             f"got {tuple(y.shape)}")
        if not y.is_floating_point():
            y = y.float()
        if not bool(torch.isfinite(y).all()):
            raise ValueError("y: contains NaN or infinite values")
        n = check_int(n, "n", minimum=1)
        p = next(self.parameters())
        y = y.to(p)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_seed(seed))
        z = self._prior_sample(y.shape[0] * n, y, generator)
        x = self.decode(z, y.repeat_interleave(n, 0))
        return x.reshape(y.shape[0], n, x.shape[1])
