"""Small bottleneck classifiers: encoder -> latent Z -> decoder, each exposing its Z.

Every model maps inputs ``(batch, features)`` to class logits ``(batch, classes)``
(``(samples, batch, classes)`` when called with ``samples > 1``), keeps the latent of
its last call in ``model.z``, and offers ``encode(x)`` and ``encoding_entropy(x)``
(H[Z|X] in nats, known in closed form for these models) so that the
information-plane recorder can measure I(X;Z) = H[Z] - H[Z|X].

- :class:`NoisyBottleneckClassifier`: deterministic MLP encoder plus zero-entropy
  noise (the surrogate IB / DIB models of Kirsch, Lyle & Gal, sec. 6.3).
- :class:`GaussianEncoderClassifier`: Gaussian encoder e(z|x) = N(mu(x), diag
  sigma^2(x)) with the reparameterisation trick, an optional learned mixture marginal
  r(z) (VIB, Alemi et al.) and an optional class-conditional backward encoder b(z|y)
  (CEB, Fischer).
- :class:`CategoricalBottleneckClassifier`: categorical Z with a softmax encoder
  p(z|x) and a decoder matrix p(y_hat|z) (Kirsch, Lyle & Gal, sec. 5.4).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from infoplane._nn import mlp
from infoplane._nn import randn as _randn
from infoplane._validation import check_int
from infoplane.bottleneck.noise import GaussianNoise, ZeroEntropyNoise

_LOG_2PIE = math.log(2.0 * math.pi * math.e)


class _KeepsLatent(nn.Module):
    """Drops the tensors of the last forward pass (``z``, ``mu``, ...) when copied or pickled."""

    _transient = ("z", "mu", "log_var", "pz")

    def __getstate__(self):
        state = self.__dict__.copy()
        for key in self._transient:
            if key in state:
                state[key] = None
        return state


class NoisyBottleneckClassifier(_KeepsLatent):
    """MLP encoder -> Z_hat -> + noise -> Z -> linear decoder, the surrogate-objective model.

    With the default zero-entropy noise, H[Z|X] = 0 and I(X;Z) = H[Z] (nats).

    Parameters
    ----------
    in_features, num_classes : int
        Input width and number of classes.
    hidden : sequence of int
        Hidden widths of the encoder.
    latent_dim : int
        Width of Z.
    noise_entropy : float or None
        Entropy of the added Gaussian noise in nats per dimension; 0 is zero-entropy
        noise, ``None`` adds none (a deterministic encoder).
    noise_at_eval : bool
        Keep adding the noise in evaluation mode (the model stays stochastic).
    activation : {"relu", "tanh", "elu", "gelu"}
    generator : torch.Generator, optional
        Source of the noise.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import NoisyBottleneckClassifier
    >>> model = NoisyBottleneckClassifier(64, 10, hidden=(32,), latent_dim=4)
    >>> model(torch.zeros(5, 64)).shape, model.z.shape
    (torch.Size([5, 10]), torch.Size([5, 4]))
    """

    def __init__(self, in_features: int, num_classes: int, hidden: Sequence[int] = (128,),
                 latent_dim: int = 8, noise_entropy: float | None = 0.0, noise_at_eval: bool = True,
                 activation: str = "relu", generator: torch.Generator | None = None) -> None:
        super().__init__()
        in_features = check_int(in_features, "in_features", minimum=1)
        num_classes = check_int(num_classes, "num_classes", minimum=2)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        self.encoder = mlp([in_features, *hidden, self.latent_dim], activation)
        if noise_entropy is None:
            self.noise: nn.Module = nn.Identity()
        elif noise_entropy == 0.0:
            self.noise = ZeroEntropyNoise(at_eval=noise_at_eval, generator=generator)
        else:
            self.noise = GaussianNoise(noise_entropy, at_eval=noise_at_eval, generator=generator)
        self.decoder = nn.Linear(self.latent_dim, num_classes)
        self.z: torch.Tensor | None = None

    def encode(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """Latent Z: ``(batch, latent_dim)``, or ``(samples, batch, latent_dim)`` if ``samples > 1``."""
        z_hat = self.encoder(x)
        if samples > 1:
            z_hat = z_hat.unsqueeze(0).expand(samples, *z_hat.shape)
        return self.noise(z_hat)

    def forward(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """Class logits; one noise sample per ``samples`` (the latent is kept in ``self.z``)."""
        self.z = self.encode(x, samples)
        return self.decoder(self.z)

    def encoding_entropy(self, x: torch.Tensor | None = None) -> float:
        """H[Z|X] in nats: the entropy of the added noise (0 for zero-entropy noise).

        Without noise the encoder is deterministic and H[Z|X] is minus infinity for a
        continuous Z; this returns 0 then, the convention of measuring Z at the
        resolution of zero-entropy noise.
        """
        if isinstance(self.noise, GaussianNoise):
            return self.noise.total_entropy(self.latent_dim)
        return 0.0


class MixtureMarginal(nn.Module):
    """Learned mixture of diagonal Gaussians r(z), the VIB marginal option of Alemi et al.

    Parameters
    ----------
    latent_dim : int
    n_components : int

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck.models import MixtureMarginal
    >>> r = MixtureMarginal(2, 1)
    >>> torch.nn.init.zeros_(r.means); torch.nn.init.zeros_(r.log_vars)  # doctest: +ELLIPSIS
    Parameter...
    >>> round(float(r.log_prob(torch.zeros(1, 2)).detach()), 4)  # log N(0; 0, I) in 2-D
    -1.8379
    """

    def __init__(self, latent_dim: int, n_components: int = 10) -> None:
        super().__init__()
        latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        n_components = check_int(n_components, "n_components", minimum=1)
        self.means = nn.Parameter(torch.randn(n_components, latent_dim) * 0.5)
        self.log_vars = nn.Parameter(torch.zeros(n_components, latent_dim))
        self.logits = nn.Parameter(torch.zeros(n_components))

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """log r(z) in nats for ``z`` of shape ``(..., latent_dim)``."""
        z = z.unsqueeze(-2)  # (..., 1, d)
        log_normal = -0.5 * (((z - self.means) ** 2) / self.log_vars.exp() + self.log_vars
                             + math.log(2 * math.pi)).sum(-1)
        return torch.logsumexp(log_normal + torch.log_softmax(self.logits, 0), dim=-1)


class GaussianEncoderClassifier(_KeepsLatent):
    """Gaussian encoder e(z|x) = N(mu(x), diag sigma^2(x)), linear decoder: VIB and CEB models.

    In training (and at evaluation when ``sample_at_eval``) Z = mu + sigma * eps with
    eps ~ N(0, I) (the reparameterisation trick); otherwise Z = mu.

    Parameters
    ----------
    in_features, num_classes : int
    hidden : sequence of int
        Hidden widths of the encoder body.
    latent_dim : int
    marginal : {"standard", "mixture"}
        The VIB marginal r(z): N(0, I) or a learned :class:`MixtureMarginal`.
    n_components : int
        Components of the mixture marginal.
    backward_encoder : bool
        Add CEB's backward encoder b(z|y) = N(m_y, diag exp(l_y)) with learned class
        means and log-variances.
    sample_at_eval : bool
        Keep sampling Z in evaluation mode.
    min_log_var : float
        Lower clamp of log sigma^2, keeping the KL terms finite.
    activation : str
    generator : torch.Generator, optional

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import GaussianEncoderClassifier
    >>> model = GaussianEncoderClassifier(64, 10, hidden=(32,), latent_dim=3)
    >>> logits = model(torch.zeros(5, 64))
    >>> model.mu.shape, model.log_var.shape, logits.shape
    (torch.Size([5, 3]), torch.Size([5, 3]), torch.Size([5, 10]))
    """

    def __init__(self, in_features: int, num_classes: int, hidden: Sequence[int] = (128,),
                 latent_dim: int = 8, marginal: str = "standard", n_components: int = 10,
                 backward_encoder: bool = False, sample_at_eval: bool = True,
                 min_log_var: float = -12.0, activation: str = "relu",
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        in_features = check_int(in_features, "in_features", minimum=1)
        self.num_classes = check_int(num_classes, "num_classes", minimum=2)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=1)
        if marginal not in ("standard", "mixture"):
            raise ValueError(f"marginal: expected 'standard' or 'mixture', got {marginal!r}")
        self.encoder = mlp([in_features, *hidden, 2 * self.latent_dim], activation)
        self.decoder = nn.Linear(self.latent_dim, self.num_classes)
        self.marginal = MixtureMarginal(self.latent_dim, n_components) if marginal == "mixture" else None
        if backward_encoder:
            self.backward_means = nn.Parameter(torch.randn(self.num_classes, self.latent_dim))
            self.backward_log_vars = nn.Parameter(torch.zeros(self.num_classes, self.latent_dim))
        else:
            self.backward_means = self.backward_log_vars = None
        self.sample_at_eval = bool(sample_at_eval)
        self.min_log_var = float(min_log_var)
        self.generator = generator
        self.mu = self.log_var = self.z = None

    def encode(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """Sample Z (shape ``(batch, d)``, or ``(samples, batch, d)``); sets ``mu`` and ``log_var``."""
        out = self.encoder(x)
        self.mu, raw = out[..., :self.latent_dim], out[..., self.latent_dim:]
        self.log_var = raw.clamp(min=self.min_log_var, max=10.0)
        if not (self.training or self.sample_at_eval):
            return self.mu if samples == 1 else self.mu.unsqueeze(0).expand(samples, *self.mu.shape)
        shape = (samples, *self.mu.shape) if samples > 1 else self.mu.shape
        eps = _randn(shape, self.mu, self.generator)
        return self.mu + (0.5 * self.log_var).exp() * eps

    def forward(self, x: torch.Tensor, samples: int = 1) -> torch.Tensor:
        """Class logits (the sampled latent is kept in ``self.z``)."""
        self.z = self.encode(x, samples)
        return self.decoder(self.z)

    def encoding_entropy(self, x: torch.Tensor) -> float:
        """H[Z|X] = E_x sum_i 1/2 ln(2 pi e sigma_i^2(x)) in nats for the current mode.

        When the model does not sample (evaluation mode without ``sample_at_eval``) Z is
        the deterministic mean and this returns 0, the zero-entropy-noise convention.
        """
        if not (self.training or self.sample_at_eval):
            return 0.0
        with torch.no_grad():
            log_var = self.encoder(x)[..., self.latent_dim:].clamp(min=self.min_log_var, max=10.0)
        return float((0.5 * (_LOG_2PIE + log_var)).sum(-1).mean())


class CategoricalBottleneckClassifier(_KeepsLatent):
    """Categorical latent: encoder p(z|x) = softmax(f(x)) over C categories, decoder matrix p(y_hat|z).

    ``forward`` returns log p_theta(y_hat|x) = log sum_z p(z|x) p(y_hat|z), the
    prediction of the discriminative model (Kirsch, Lyle & Gal, sec. 3); ``self.pz``
    keeps p(z|x) and ``decoder_log_probs()`` the C x K decoder log-matrix.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CategoricalBottleneckClassifier
    >>> model = CategoricalBottleneckClassifier(64, 10, num_categories=20, hidden=(32,))
    >>> out = model(torch.zeros(4, 64))
    >>> out.shape, bool(torch.allclose(out.exp().sum(1), torch.ones(4)))
    (torch.Size([4, 10]), True)
    """

    def __init__(self, in_features: int, num_classes: int, num_categories: int = 100,
                 hidden: Sequence[int] = (128,), activation: str = "relu") -> None:
        super().__init__()
        self.num_categories = check_int(num_categories, "num_categories", minimum=1)
        self.num_classes = check_int(num_classes, "num_classes", minimum=2)
        self.encoder = mlp([check_int(in_features, "in_features", minimum=1), *hidden,
                            self.num_categories], activation)
        self.decoder_logits = nn.Parameter(torch.zeros(self.num_categories, self.num_classes))
        self.pz = None

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        """p(z|x), shape ``(batch, num_categories)``."""
        return torch.softmax(self.encoder(x), dim=-1)

    def decoder_log_probs(self) -> torch.Tensor:
        """log p_theta(y_hat|z), shape ``(num_categories, num_classes)``."""
        return torch.log_softmax(self.decoder_logits, dim=-1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """log p_theta(y_hat|x), shape ``(batch, num_classes)``."""
        log_pz = torch.log_softmax(self.encoder(x), dim=-1)
        self.pz = log_pz.exp()
        return torch.logsumexp(log_pz[:, :, None] + self.decoder_log_probs()[None], dim=1)
