"""Small bottleneck classifiers: encoder -> latent Z -> decoder, each declaring its Z.

Every model maps inputs ``(batch, features)`` to a small NamedTuple whose first element
is the prediction (class logits, or log-probabilities for the categorical model), with
a leading ``samples`` axis when called with ``samples > 1``. A forward pass keeps
nothing on ``self``: what a loss needs is in the returned tuple. The two models with a
continuous latent also offer ``latent(x)``, a :class:`~infoplane._gaussian.GaussianLatent`
(the sample Z, its noise-free part and the log-variance of its Gaussian noise), which
is what the information-plane recorder (:mod:`infoplane.plane`) reads, and
``decode(z)``, the logits of a given latent.

- :class:`NoisyBottleneckClassifier`: deterministic MLP encoder plus zero-entropy
  noise (the surrogate IB / DIB models of Kirsch, Lyle & Gal, sec. 6.3); its forward
  returns :class:`BottleneckOutput` ``(logits, z)``.
- :class:`GaussianEncoderClassifier`: Gaussian encoder e(z|x) = N(mu(x), diag
  sigma^2(x)) with the reparameterisation trick, an optional learned mixture marginal
  r(z) (VIB, Alemi et al.) and an optional class-conditional backward encoder b(z|y)
  (CEB, Fischer); forward returns :class:`GaussianEncoderOutput`
  ``(logits, z, mean, log_var)``.
- :class:`CategoricalBottleneckClassifier`: categorical Z with a softmax encoder
  p(z|x) and a decoder matrix p(y_hat|z) (Kirsch, Lyle & Gal, sec. 5.4); forward
  returns :class:`CategoricalOutput` ``(log_probs, p_z)``.

Inputs are checked for shape and dtype (a wrong feature count, or a dtype other than
the weights', e.g. float64 into a float32 model, is a ValueError naming ``x``); NaN in
``x`` passes through a plain forward pass, the losses refuse it.

Every model takes ``seed``: the same seed gives the same initial weights and leaves the
global RNG untouched (``seed=None`` draws the weights from the global RNG).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import torch
from torch import nn

from infoplane._gaussian import GaussianLatent, GaussianMixture
from infoplane._nn import mlp, seeded
from infoplane._nn import randn as _randn
from infoplane._validation import check_float, check_int
from infoplane.bottleneck.noise import GaussianNoise, ZeroEntropyNoise, gaussian_std_for_entropy

__all__ = ["BottleneckOutput", "GaussianEncoderOutput", "CategoricalOutput", "NoisyBottleneckClassifier",
           "GaussianEncoderClassifier", "CategoricalBottleneckClassifier"]


class BottleneckOutput(NamedTuple):
    """Forward output of :class:`NoisyBottleneckClassifier`.

    ``logits``: ``(batch, n_classes)`` or ``(samples, batch, n_classes)``; ``z``: the
    latent the decoder saw, ``(batch, latent_dim)`` or ``(samples, batch, latent_dim)``.
    """

    logits: torch.Tensor
    z: torch.Tensor


class GaussianEncoderOutput(NamedTuple):
    """Forward output of :class:`GaussianEncoderClassifier`.

    ``logits`` and ``z`` as in :class:`BottleneckOutput`; ``mean`` and ``log_var``
    ``(batch, latent_dim)``: the encoder e(z|x) = N(mean, diag exp(log_var)).
    """

    logits: torch.Tensor
    z: torch.Tensor
    mean: torch.Tensor
    log_var: torch.Tensor


class CategoricalOutput(NamedTuple):
    """Forward output of :class:`CategoricalBottleneckClassifier`.

    ``log_probs``: log p_theta(y_hat|x) ``(batch, n_classes)``; ``p_z``: the encoder
    probabilities p(z|x) ``(batch, n_categories)``.
    """

    log_probs: torch.Tensor
    p_z: torch.Tensor


def _check_hidden(hidden: Sequence[int]) -> tuple[int, ...]:
    if isinstance(hidden, (int, float)) or not isinstance(hidden, Sequence):
        raise ValueError(f"hidden: expected a sequence of hidden-layer widths such as (128, 128), "
                         f"got {hidden!r}")
    return tuple(check_int(h, "hidden", minimum=1) for h in hidden)


def _check_activation(activation: object) -> str:
    if not isinstance(activation, str):
        raise ValueError(f"activation: expected the name of an activation such as 'relu', got {activation!r}")
    return activation


def _check_samples(samples: int) -> int:
    return check_int(samples, "samples", minimum=1)


def _check_x(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """``x`` of shape ``(..., in_features)`` in the dtype of the model's weights, else ValueError.

    Shapes and dtypes only: NaN in ``x`` passes through a forward pass (the losses
    refuse it at their door).
    """
    if not isinstance(x, torch.Tensor):
        raise ValueError(f"x: expected a tensor of shape (batch, {model.in_features}), "
                         f"got {type(x).__name__}")
    if x.ndim < 2 or x.shape[-1] != model.in_features:
        raise ValueError(f"x: expected shape (batch, {model.in_features}), got {tuple(x.shape)}")
    weight = next(model.encoder.parameters())
    if x.dtype != weight.dtype:
        raise ValueError(f"x: has dtype {x.dtype} but the model's weights are {weight.dtype}; "
                         f"convert the input (x.to({weight.dtype})) or the model (model.to({x.dtype}))")
    return x


class NoisyBottleneckClassifier(nn.Module):
    """MLP encoder -> Z_hat -> + noise -> Z -> linear decoder, the surrogate-objective model.

    With the default zero-entropy noise, H[Z|X] = 0 and I(X;Z) = H[Z] (nats).

    Parameters
    ----------
    in_features, n_classes : int
        Input width and number of classes.
    hidden : sequence of int
        Hidden widths of the encoder, e.g. ``(128, 128)``.
    latent_dim : int
        Width of Z.
    noise_entropy : float or None
        Entropy of the added Gaussian noise in nats per dimension; 0 is zero-entropy
        noise, ``None`` adds none (a deterministic encoder).
    noise_at_eval : bool
        Keep adding the noise in evaluation mode (the model stays stochastic).
    activation : {"relu", "leaky_relu", "tanh", "elu", "gelu"}
    generator : torch.Generator, optional
        Source of the noise (the global RNG when omitted).
    seed : int, optional
        Seed of the initial weights (the global RNG when omitted).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import NoisyBottleneckClassifier
    >>> model = NoisyBottleneckClassifier(64, 10, hidden=(32,), latent_dim=4, seed=0)
    >>> logits, z = model(torch.zeros(5, 64))
    >>> logits.shape, z.shape
    (torch.Size([5, 10]), torch.Size([5, 4]))
    >>> from infoplane._gaussian import gaussian_entropy
    >>> float(gaussian_entropy(model.latent(torch.zeros(5, 64)).log_var))  # H[Z|X] of zero-entropy noise
    0.0
    """

    def __init__(self, in_features: int, n_classes: int, hidden: Sequence[int] = (128,),
                 latent_dim: int = 8, noise_entropy: float | None = 0.0, noise_at_eval: bool = True,
                 activation: str = "relu", generator: torch.Generator | None = None,
                 seed: int | None = None) -> None:
        super().__init__()
        self.in_features = in_features = check_int(in_features, "in_features", minimum=1)
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        hidden = _check_hidden(hidden)
        activation = _check_activation(activation)
        if noise_entropy is not None:
            noise_entropy = check_float(noise_entropy, "noise_entropy")
            try:
                gaussian_std_for_entropy(noise_entropy)
            except ValueError as err:  # beyond the float range
                raise ValueError(f"noise_entropy: {str(err).partition(': ')[2]}") from None
        with seeded(seed):
            self.encoder = mlp([in_features, *hidden, self.latent_dim], activation)
            if noise_entropy is None:
                self.noise: nn.Module = nn.Identity()
            elif noise_entropy == 0.0:
                self.noise = ZeroEntropyNoise(at_eval=noise_at_eval, generator=generator)
            else:
                self.noise = GaussianNoise(noise_entropy, at_eval=noise_at_eval, generator=generator)
            self.decoder = nn.Linear(self.latent_dim, self.n_classes)

    def encode(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """Latent Z: ``(batch, latent_dim)``, or ``(samples, batch, latent_dim)`` if ``samples > 1``."""
        z_hat = self.encoder(_check_x(self, x))
        if _check_samples(samples) > 1:
            z_hat = z_hat.unsqueeze(0).expand(samples, *z_hat.shape)
        return self.noise(z_hat)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Class logits of a latent ``z`` (``(..., latent_dim)`` -> ``(..., n_classes)``)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, samples: int = 1) -> BottleneckOutput:
        """``(logits, z)``; one noise sample per ``samples`` (a leading axis when ``samples > 1``)."""
        z = self.encode(x, samples)
        return BottleneckOutput(self.decoder(z), z)

    def _noise_log_var(self, like: torch.Tensor) -> torch.Tensor | None:
        noise = self.noise
        if not isinstance(noise, GaussianNoise) or not (noise.training or noise.at_eval):
            return None
        return torch.full((self.latent_dim,), noise.log_var, dtype=like.dtype, device=like.device)

    def latent(self, x: torch.Tensor) -> GaussianLatent:
        """Z for a batch and the law of its noise, for the information-plane recorder.

        ``mean`` is the encoder output Z_hat; ``log_var`` ``(latent_dim,)`` is the
        noise log-variance (:data:`~infoplane._gaussian.ZERO_ENTROPY_LOG_VAR` for
        zero-entropy noise, so H[Z|X] = 0 nats), or ``None`` when no noise is added
        (no noise module, or evaluation mode without ``noise_at_eval``).
        """
        mean = self.encoder(_check_x(self, x))
        z = self.noise(mean)
        return GaussianLatent(z, mean, self._noise_log_var(mean))


class GaussianEncoderClassifier(nn.Module):
    """Gaussian encoder e(z|x) = N(mu(x), diag sigma^2(x)), linear decoder: VIB and CEB models.

    In training (and at evaluation when ``sample_at_eval``) Z = mu + sigma * eps with
    eps ~ N(0, I) (the reparameterisation trick); otherwise Z = mu.

    Parameters
    ----------
    in_features, n_classes : int
    hidden : sequence of int
        Hidden widths of the encoder body.
    latent_dim : int
    marginal : {"standard", "mixture"}
        The VIB marginal r(z): N(0, I) or a learned
        :class:`~infoplane._gaussian.GaussianMixture` (means drawn as 0.5 N(0, I),
        unit variances and uniform weights at the start, all three learned).
    n_components : int
        Components of the mixture marginal.
    backward_encoder : bool
        Add CEB's backward encoder b(z|y) = N(m_y, diag exp(l_y)) with learned class
        means and log-variances (:meth:`backward_encoding`).
    sample_at_eval : bool
        Keep sampling Z in evaluation mode.
    min_log_var : float
        Lower clamp of log sigma^2, keeping the KL terms finite (a finite number below
        the upper clamp 10).
    activation : str
    generator : torch.Generator, optional
        Source of eps (the global RNG when omitted).
    seed : int, optional
        Seed of the initial weights, mixture means and backward-encoder means.

    Attributes
    ----------
    marginal : GaussianMixture or None
        The learned r(z) (``None`` for ``marginal="standard"``).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import GaussianEncoderClassifier
    >>> model = GaussianEncoderClassifier(64, 10, hidden=(32,), latent_dim=3, seed=0)
    >>> out = model(torch.zeros(5, 64))
    >>> out.mean.shape, out.log_var.shape, out.logits.shape
    (torch.Size([5, 3]), torch.Size([5, 3]), torch.Size([5, 10]))
    """

    def __init__(self, in_features: int, n_classes: int, hidden: Sequence[int] = (128,),
                 latent_dim: int = 8, marginal: str = "standard", n_components: int = 10,
                 backward_encoder: bool = False, sample_at_eval: bool = True,
                 min_log_var: float = -12.0, activation: str = "relu",
                 generator: torch.Generator | None = None, seed: int | None = None) -> None:
        super().__init__()
        self.in_features = in_features = check_int(in_features, "in_features", minimum=1)
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        hidden = _check_hidden(hidden)
        activation = _check_activation(activation)
        if marginal not in ("standard", "mixture"):
            raise ValueError(f"marginal: expected 'standard' or 'mixture', got {marginal!r}")
        n_components = check_int(n_components, "n_components", minimum=1)
        with seeded(seed):
            self.encoder = mlp([in_features, *hidden, 2 * self.latent_dim], activation)
            self.decoder = nn.Linear(self.latent_dim, self.n_classes)
            self.marginal: GaussianMixture | None = None
            if marginal == "mixture":
                self.marginal = GaussianMixture(
                    torch.randn(n_components, self.latent_dim) * 0.5,
                    torch.zeros(n_components, self.latent_dim), torch.zeros(n_components),
                    learn_means=True, learn_log_vars=True, learn_weights=True)
            if backward_encoder:
                self.backward_means = nn.Parameter(torch.randn(self.n_classes, self.latent_dim))
                self.backward_log_vars = nn.Parameter(torch.zeros(self.n_classes, self.latent_dim))
            else:
                self.backward_means = self.backward_log_vars = None
        self.sample_at_eval = bool(sample_at_eval)
        self.min_log_var = check_float(min_log_var, "min_log_var", high=10.0, high_open=True)
        self.generator = generator

    def _encode(self, x: torch.Tensor, samples: int) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, bool]:
        out = self.encoder(_check_x(self, x))
        mean, raw = out[..., :self.latent_dim], out[..., self.latent_dim:]
        log_var = raw.clamp(min=self.min_log_var, max=10.0)
        if not (self.training or self.sample_at_eval):
            z = mean if samples == 1 else mean.unsqueeze(0).expand(samples, *mean.shape)
            return z, mean, log_var, False
        shape = (samples, *mean.shape) if samples > 1 else mean.shape
        eps = _randn(shape, mean, self.generator)
        return mean + (0.5 * log_var).exp() * eps, mean, log_var, True

    def encode(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """Sample Z: ``(batch, d)``, or ``(samples, batch, d)`` if ``samples > 1``."""
        return self._encode(x, _check_samples(samples))[0]

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Class logits of a latent ``z`` (``(..., latent_dim)`` -> ``(..., n_classes)``)."""
        return self.decoder(z)

    def forward(self, x: torch.Tensor, samples: int = 1) -> GaussianEncoderOutput:
        """``(logits, z, mean, log_var)``: the sampled latent's logits, Z, and e(z|x)'s parameters."""
        z, mean, log_var, _ = self._encode(x, _check_samples(samples))
        return GaussianEncoderOutput(self.decoder(z), z, mean, log_var)

    def latent(self, x: torch.Tensor) -> GaussianLatent:
        """Z for a batch and the law of its noise, for the information-plane recorder.

        ``mean`` and ``log_var`` ``(batch, latent_dim)`` are e(z|x)'s; ``log_var`` is
        ``None`` when the model does not sample (evaluation mode without
        ``sample_at_eval``), declaring Z = mean deterministic.
        """
        z, mean, log_var, sampled = self._encode(x, 1)
        return GaussianLatent(z, mean, log_var if sampled else None)

    def backward_encoding(self, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """CEB's backward encoder b(z|y) = N(m_y, diag exp(l_y)): ``(mean, log_var)``, ``(batch, d)``.

        Raises ``ValueError`` when the model was built without ``backward_encoder=True``.
        """
        if self.backward_means is None or self.backward_log_vars is None:
            raise ValueError("model: CEB needs a backward encoder b(z|y) (backward_encoder=True)")
        return self.backward_means[y], self.backward_log_vars[y]


class CategoricalBottleneckClassifier(nn.Module):
    """Categorical latent: encoder p(z|x) = softmax(f(x)) over C categories, decoder matrix p(y_hat|z).

    ``forward`` returns ``(log_probs, p_z)``: log p_theta(y_hat|x) = log sum_z p(z|x)
    p(y_hat|z), the prediction of the discriminative model (Kirsch, Lyle & Gal, sec. 3),
    and the encoder probabilities p(z|x); ``decoder_log_probs()`` is the C x K decoder
    log-matrix.

    Parameters
    ----------
    in_features, n_classes : int
    n_categories : int
        C, the number of values of Z.
    hidden : sequence of int
    activation : str
    seed : int, optional
        Seed of the initial weights.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CategoricalBottleneckClassifier
    >>> model = CategoricalBottleneckClassifier(64, 10, n_categories=20, hidden=(32,), seed=0)
    >>> log_probs, p_z = model(torch.zeros(4, 64))
    >>> log_probs.shape, p_z.shape, bool(torch.allclose(log_probs.exp().sum(1), torch.ones(4)))
    (torch.Size([4, 10]), torch.Size([4, 20]), True)
    """

    def __init__(self, in_features: int, n_classes: int, n_categories: int = 100,
                 hidden: Sequence[int] = (128,), activation: str = "relu", seed: int | None = None) -> None:
        super().__init__()
        self.n_categories = check_int(n_categories, "n_categories", minimum=1)
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.in_features = in_features = check_int(in_features, "in_features", minimum=1)
        hidden = _check_hidden(hidden)
        activation = _check_activation(activation)
        with seeded(seed):
            self.encoder = mlp([in_features, *hidden, self.n_categories], activation)
            self.decoder_logits = nn.Parameter(torch.zeros(self.n_categories, self.n_classes))

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """p(z|x), shape ``(batch, n_categories)``."""
        return torch.softmax(self.encoder(_check_x(self, x)), dim=-1)

    def decoder_log_probs(self) -> torch.Tensor:
        """log p_theta(y_hat|z), shape ``(n_categories, n_classes)``."""
        return torch.log_softmax(self.decoder_logits, dim=-1)

    def forward(self, x: torch.Tensor) -> CategoricalOutput:
        """``(log_probs, p_z)``: log p_theta(y_hat|x) ``(batch, n_classes)`` and p(z|x)."""
        log_pz = torch.log_softmax(self.encoder(_check_x(self, x)), dim=-1)
        log_probs = torch.logsumexp(log_pz[:, :, None] + self.decoder_log_probs()[None], dim=1)
        return CategoricalOutput(log_probs, log_pz.exp())
