"""One objective, L = a A - b B - beta (c C - d D), and the presets that make the VAE/GAN family.

Voloshynovskiy et al., eq. 26-36. Every term is per example (summed over dimensions,
averaged over the batch; :mod:`infoplane.bibae.terms`) and in nats, except B and D
estimated by MMD (a squared MMD, no unit) and D as the non-saturating GAN surrogate (a
generator loss, not a divergence); the weights are signed, and each preset only chooses
them:

==========================  =========  =====================================================
preset                      equation   loss (terms kept, with their signs)
==========================  =========  =====================================================
``vae()``                   (30)       A - C
``beta_vae(beta)``          (31)       A - beta C
``aae(beta)``               (32)       B - beta C          (B by MMD or by a critic on z)
``info_vae(beta)``          (33)       A - B - beta C
``vae_gan(beta)``           (34)       A - beta C + beta D (D by a critic on x)
``bibae(beta)``             (26)       A - B - beta (C - D)
``shannon_ae(beta)``        (35)       H(Z^) - beta C      (quantised z; rate = code entropy)
``generative_compression``  (36)       H(Z^) - beta (C - D) (quantised z + noise U)
==========================  =========  =====================================================

With critics the loss returns two losses, ``{"model": L, "critic": L_critic}``, for
``infoplane.train.fit`` with a dict of optimizers of the same keys (the critics' own
parameters in ``"critic"``, everything else in ``"model"``); without, one loss.
Quantised models add the VQ-VAE codebook and commitment terms (van den Oord et al. 2017),
which train the codebook, to the model loss.

A conditional model (``BIBAE(..., condition_dim=c)``, e.g.
:meth:`~infoplane.bibae.BIBAE.conditional_mlp`) is trained by the same objective on
batches ``(x, y)``: A = E KL(q(z|x, y) || p(z)), C = E log p(x|z, y). The conditional VAE
of the inverse problems (thesis 4.2.2, B.5.2) is ``vae(log_scale=squared_error_log_scale(w))``:
a Gaussian p(x|z, y) of fixed variance sigma^2 = 1 / (2 w), so that -C is w times the
squared error summed over x's dimensions plus the constant (d/2) ln(pi / w), and the loss
is ``w ||x - x_hat||^2 + KL`` plus that constant.

Examples
--------
>>> import torch
>>> from infoplane.bibae.loss import vae
>>> from infoplane.bibae.models import BIBAE, mlp_decoder, mlp_encoder
>>> model = BIBAE(mlp_encoder(64, 2, (16,)), mlp_decoder(2, 64, (16,)), seed=0)
>>> loss, terms = vae()(model, (torch.rand(8, 64),))
>>> sorted(terms)
['A', 'C', 'reconstruction_mse']
"""

from __future__ import annotations

import math
from typing import Any

import torch
from torch import nn
from torch.nn import functional as F

from infoplane._validation import check_float, check_seed
from infoplane.bibae.models import BIBAE
from infoplane.bibae.terms import (
    LIKELIHOODS,
    adversarial_term,
    critic_loss,
    kl_to_prior,
    log_likelihood,
    mmd_term,
    nwj_kl,
)

__all__ = ["BIBAELoss", "PRESETS", "critic_parameters", "vae", "beta_vae", "aae", "info_vae", "vae_gan",
           "bibae", "shannon_ae", "generative_compression", "code_entropy", "squared_error_log_scale"]


def squared_error_log_scale(weight: float) -> float:
    """ln sigma^2 = -ln(2 weight): the Gaussian likelihood that weighs the squared error by ``weight``.

    For p(x | z) = N(x_hat, sigma^2 I) in d dimensions,
    -log p(x | z) = ||x - x_hat||^2 / (2 sigma^2) + (d / 2) ln(2 pi sigma^2), so with
    sigma^2 = 1 / (2 weight) the reconstruction term -C of :class:`BIBAELoss` is
    ``weight * ||x - x_hat||^2`` (summed over the d dimensions of an example, averaged
    over the batch; units of x squared times weight, in nats) plus the constant
    (d / 2) ln(pi / weight) nats, which moves the loss but not its gradient. Pass the
    result as ``log_scale`` (Gaussian likelihood). A weight on the squared error averaged
    over the d dimensions, ``w_mean * mean (x - x_hat)^2``, is ``weight = w_mean / d``.

    Parameters
    ----------
    weight : float
        Weight of the summed squared error relative to the KL term A (> 0); thesis B.5.2's
        cVAE weighs reconstruction 15:1 against the KL (``weight = 15``).

    Returns
    -------
    float
        ln sigma^2.

    Examples
    --------
    >>> import math
    >>> from infoplane.bibae.loss import squared_error_log_scale
    >>> round(math.exp(squared_error_log_scale(15.0)), 6) == round(1 / 30, 6)
    True
    >>> squared_error_log_scale(0.5)        # the unit-variance Gaussian
    0.0
    """
    weight = check_float(weight, "weight", low=0.0, low_open=True)
    return math.log(0.5 / weight)


def code_entropy(codes: torch.Tensor, n_codes: int) -> torch.Tensor:
    """Plug-in entropy of the code usage in a batch, in nats (<= ln n_codes): the rate of a quantised latent.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bibae.loss import code_entropy
    >>> round(float(code_entropy(torch.tensor([0, 1, 2, 3]), 8)), 6) == round(math.log(4), 6)
    True
    """
    counts = torch.bincount(codes, minlength=n_codes).to(torch.get_default_dtype())
    p = counts[counts > 0] / counts.sum()
    h = -(p * p.log()).sum()
    return torch.where(h > 0, h, torch.zeros_like(h))   # one code in use: 0, not -0


class BIBAELoss:
    """L = a A - b B - beta (c C - d D) (eq. 26-29) with signed weights, per example.

    In nats when every kept term is (A, C, and B or D by a critic's KL bound); an MMD
    term or the GAN surrogate adds a quantity of its own kind (see the module table).

    Parameters
    ----------
    a, b, c, d : float
        Signed weights of the terms (a preset sets them).
    beta : float
        The weight of the "relevance" part, as in the paper.
    rate : {"kl", "code_entropy"}
        Term A: E KL(q(z|x) || p(z)) for a stochastic encoder, or the code entropy H(Z^) of a
        quantised one (a logged rate; its gradient is zero, the codebook size bounds it).
    b_estimator : {"mmd", "critic"}
        Term B = KL(q(z) || p(z)): MMD on z, or the NWJ bound with the critic ``"z"``.
    d_estimator : {"critic_kl", "non_saturating", "mmd"}
        Term D = KL(p_D || p_theta) on x: the NWJ bound with the critic ``"x"``, the GAN
        generator's surrogate, or MMD on x (against decoded prior samples).
    likelihood : {"gaussian", "laplace", "bernoulli"}
        p(x|z) of term C; ``log_scale`` is its log-variance (Gaussian) or log-scale (Laplace).
    commitment : float
        Weight of the VQ commitment term (quantised models).
    seed : int, optional
        Seeds a CPU generator for the encoder noise and the prior samples (ignored when
        ``generator`` is given); with neither, the global RNG.
    generator : torch.Generator, optional
        Source of the encoder noise and the prior samples.

    Terms logged: ``A`` (or ``rate``), ``B``, ``C``, ``D`` (those with a non-zero weight),
    ``reconstruction_mse`` (the squared error of the decoder's mean, averaged over the
    batch and the dimensions of x; units of x squared), and ``critic`` with critics.

    A batch is a tensor ``x`` or a tuple that starts with it (labels after it are
    ignored); for a conditional model (``model.condition_dim > 0``) it is ``(x, y)`` with
    the condition ``y`` of shape (n, condition_dim). An empty batch, or NaN / inf in ``x``
    or ``y``, is a ValueError naming ``batch``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.loss import BIBAELoss
    >>> from infoplane.bibae.models import BIBAE
    >>> cvae = BIBAE.conditional_mlp(2, 1, hidden=(8,), seed=0)
    >>> loss, terms = BIBAELoss(a=1.0, c=1.0, seed=1)(cvae, (torch.zeros(4, 2), torch.zeros(4, 1)))
    >>> loss.shape, sorted(terms)
    (torch.Size([]), ['A', 'C', 'reconstruction_mse'])
    """

    def __init__(self, a: float = 1.0, b: float = 0.0, c: float = 1.0, d: float = 0.0,
                 beta: float = 1.0, *,
                 rate: str = "kl", b_estimator: str = "mmd", d_estimator: str = "critic_kl",
                 likelihood: str = "gaussian", log_scale: float = 0.0,
                 mmd_bandwidths: tuple[float, ...] = (0.5, 1.0, 2.0), commitment: float = 0.25,
                 seed: int | None = None, generator: torch.Generator | None = None) -> None:
        self.a, self.b, self.c, self.d = (check_float(v, name)
                                          for v, name in ((a, "a"), (b, "b"), (c, "c"), (d, "d")))
        self.beta = check_float(beta, "beta", low=0.0)
        if rate not in ("kl", "code_entropy"):
            raise ValueError(f"rate: expected 'kl' or 'code_entropy', got {rate!r}")
        if b_estimator not in ("mmd", "critic"):
            raise ValueError(f"b_estimator: expected 'mmd' or 'critic', got {b_estimator!r}")
        if d_estimator not in ("critic_kl", "non_saturating", "mmd"):
            raise ValueError("d_estimator: expected 'critic_kl', 'non_saturating' or 'mmd', "
                             f"got {d_estimator!r}")
        if likelihood not in LIKELIHOODS:
            raise ValueError(f"likelihood: expected one of {LIKELIHOODS}, got {likelihood!r}")
        self.rate, self.b_estimator, self.d_estimator = rate, b_estimator, d_estimator
        self.likelihood, self.log_scale = likelihood, check_float(log_scale, "log_scale")
        self.mmd_bandwidths = tuple(mmd_bandwidths)
        self.commitment = check_float(commitment, "commitment", low=0.0)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator: expected a torch.Generator, got {type(generator).__name__}")
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_seed(seed))
        self.generator = generator

    @property
    def uses_critics(self) -> set[str]:
        """The critics this objective trains (``"z"`` for an adversarial B, ``"x"`` for D by a critic)."""
        need = set()
        if self.b and self.b_estimator == "critic":
            need.add("z")
        if self.d and self.d_estimator != "mmd":
            need.add("x")
        return need

    @staticmethod
    def _batch(model: BIBAE, batch: Any) -> tuple[torch.Tensor, torch.Tensor | None]:
        """``(x, y)`` of a batch (``y`` None for an unconditional model), checked at the door."""
        x = batch[0] if isinstance(batch, (tuple, list)) and len(batch) else batch
        # one cheap reduction; the elementwise check only when the sum is not finite
        if not isinstance(x, torch.Tensor) or (not bool(torch.isfinite(x.sum()))
                                               and not bool(torch.isfinite(x).all())):
            raise ValueError("batch: expected a finite tensor of inputs (or a tuple that starts with one)")
        if x.ndim == 0 or x.shape[0] == 0:
            raise ValueError(f"batch: expected a non-empty batch, got inputs of shape {tuple(x.shape)}")
        if not model.condition_dim:
            return x, None
        if not isinstance(batch, (tuple, list)) or len(batch) < 2:
            raise ValueError("batch: a conditional model (condition_dim > 0) needs batches (x, y)")
        y = batch[1]
        width = model.condition_dim
        if x.ndim != 2 or (model.x_dim is not None and x.shape[1] != model.x_dim):
            want = model.x_dim or "x_dim"
            raise ValueError(f"batch: expected x of shape (n, {want}), got {tuple(x.shape)}")
        if not isinstance(y, torch.Tensor) or y.ndim != 2 or tuple(y.shape) != (x.shape[0], width):
            got = tuple(y.shape) if isinstance(y, torch.Tensor) else type(y).__name__
            raise ValueError(f"batch: expected y of shape ({x.shape[0]}, {width}), got {got}")
        if not y.is_floating_point() or (not bool(torch.isfinite(y.sum()))
                                         and not bool(torch.isfinite(y).all())):
            raise ValueError("batch: expected a finite floating-point condition y")
        return x, y

    def _mean_of(self, x_hat: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(x_hat) if self.likelihood == "bernoulli" else x_hat

    def __call__(self, model: BIBAE, batch: Any) -> tuple[torch.Tensor | dict[str, torch.Tensor],
                                                          dict[str, torch.Tensor]]:
        if not isinstance(model, BIBAE):
            raise TypeError(f"model: expected a BIBAE, got {type(model).__name__}")
        x, y = self._batch(model, batch)
        missing = self.uses_critics - set(model.critics)
        if missing:
            raise ValueError(f"model: this objective needs the critics {sorted(missing)}; "
                             "pass critics={...} to BIBAE")
        out = model(x, self.generator, y=y)
        terms: dict[str, torch.Tensor] = {}
        loss = x.new_zeros(())
        if self.a:
            if model.encoding == "stochastic" and self.rate == "kl":
                terms["A"] = kl_to_prior(out.mean, out.log_var, model.prior, out.z)
            elif model.encoding == "quantised" and self.rate == "code_entropy":
                terms["rate"] = code_entropy(out.codes, model.quantizer.n_codes).to(x.dtype)
            else:
                raise ValueError(f"rate: {self.rate!r} does not apply to a {model.encoding} encoder "
                                 "(A is infinite for a deterministic one; use a=0)")
            loss = loss + self.a * terms.get("A", terms.get("rate"))
        n = x.shape[0]
        need_prior = bool(self.b or self.d)
        z_prior = model.prior.sample(n, generator=self.generator).to(out.z) if need_prior else None
        critic_losses = []
        if self.b:
            if self.b_estimator == "mmd":
                terms["B"] = mmd_term(out.z, z_prior, self.mmd_bandwidths)
            else:
                net = model.critics["z"]
                terms["B"] = nwj_kl(net(out.z), net(z_prior))
                critic_losses.append(critic_loss(net(out.z.detach()), net(z_prior)))
            loss = loss - self.b * terms["B"]
        terms["C"] = log_likelihood(x, out.x_hat, self.likelihood, self.log_scale)
        loss = loss - self.beta * self.c * terms["C"]
        if self.d:
            generated = self._mean_of(model.decode(z_prior, y))
            if self.d_estimator == "mmd":
                terms["D"] = mmd_term(x.reshape(n, -1), generated.reshape(n, -1), self.mmd_bandwidths)
            else:
                net = model.critics["x"]
                kind = "kl" if self.d_estimator == "critic_kl" else "non_saturating"
                terms["D"] = adversarial_term(net(x), net(generated), kind)
                critic_losses.append(critic_loss(net(x), net(generated.detach())))
            loss = loss + self.beta * self.d * terms["D"]
        if model.quantizer is not None:   # VQ-VAE: codebook towards the encodings, encodings committed
            codebook = model.quantizer.codebook[out.codes]
            loss = loss + F.mse_loss(codebook, out.mean.detach()) \
                + self.commitment * F.mse_loss(out.mean, codebook.detach())
        with torch.no_grad():
            terms["reconstruction_mse"] = F.mse_loss(self._mean_of(out.x_hat), x)
        terms = {k: v.detach() for k, v in terms.items()}
        if critic_losses:
            critic_total = sum(critic_losses)
            terms["critic"] = critic_total.detach()
            return {"model": loss, "critic": critic_total}, terms
        return loss, terms


def critic_parameters(model: BIBAE) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
    """(parameters of everything but the critics, parameters of the critics): for a dict of optimizers."""
    ids = {id(p) for p in model.critics.parameters()}
    rest = [p for p in model.parameters() if id(p) not in ids]
    return rest, list(model.critics.parameters())


def vae(**options: Any) -> BIBAELoss:
    """The VAE, eq. (30): A - C (beta = 1). ``options`` go to :class:`BIBAELoss` (likelihood, ...).

    Also the conditional VAE, for a model with ``condition_dim > 0`` trained on ``(x, y)``.

    Examples
    --------
    >>> from infoplane.bibae.loss import squared_error_log_scale, vae
    >>> loss_fn = vae(log_scale=squared_error_log_scale(15.0), seed=1)   # thesis B.5.2's cVAE
    >>> (loss_fn.a, loss_fn.c, loss_fn.beta, loss_fn.likelihood)
    (1.0, 1.0, 1.0, 'gaussian')
    """
    return BIBAELoss(a=1.0, c=1.0, beta=1.0, **options)


def beta_vae(beta: float, **options: Any) -> BIBAELoss:
    """beta-VAE, eq. (31): A - beta C."""
    return BIBAELoss(a=1.0, c=1.0, beta=beta, **options)


def aae(beta: float = 1.0, b_estimator: str = "mmd", **options: Any) -> BIBAELoss:
    """The adversarial auto-encoder, eq. (32): B - beta C (B enters with a plus: b = -1)."""
    return BIBAELoss(a=0.0, b=-1.0, c=1.0, beta=beta, b_estimator=b_estimator, **options)


def info_vae(beta: float = 1.0, b: float = 1.0, **options: Any) -> BIBAELoss:
    """InfoVAE as the paper writes it, eq. (33): A - b B - beta C (b = 1 there)."""
    return BIBAELoss(a=1.0, b=b, c=1.0, beta=beta, **options)


def vae_gan(beta: float = 1.0, d_estimator: str = "non_saturating", **options: Any) -> BIBAELoss:
    """VAE/GAN, eq. (34): A - beta C + beta D, D by a critic on x."""
    return BIBAELoss(a=1.0, c=1.0, d=1.0, beta=beta, d_estimator=d_estimator, **options)


def bibae(beta: float = 1.0, b_estimator: str = "mmd", d_estimator: str = "non_saturating",
          **options: Any) -> BIBAELoss:
    """The full BIB-AE, eq. (26): A - B - beta (C - D)."""
    return BIBAELoss(a=1.0, b=1.0, c=1.0, d=1.0, beta=beta, b_estimator=b_estimator,
                     d_estimator=d_estimator, **options)


def shannon_ae(beta: float = 1.0, **options: Any) -> BIBAELoss:
    """Shannon's rate-distortion AE, eq. (35): H(Z^) - beta C, for a quantised encoder."""
    return BIBAELoss(a=1.0, c=1.0, beta=beta, rate="code_entropy", **options)


def generative_compression(beta: float = 1.0, d_estimator: str = "non_saturating",
                           **options: Any) -> BIBAELoss:
    """Generative compression, eq. (36): H(Z^) - beta (C - D), quantised z plus noise U."""
    return BIBAELoss(a=1.0, c=1.0, d=1.0, beta=beta, rate="code_entropy", d_estimator=d_estimator, **options)


PRESETS = {"vae": (vae, "(30)"), "beta_vae": (beta_vae, "(31)"), "aae": (aae, "(32)"),
           "info_vae": (info_vae, "(33)"), "vae_gan": (vae_gan, "(34)"), "bibae": (bibae, "(26)"),
           "shannon_ae": (shannon_ae, "(35)"), "generative_compression": (generative_compression, "(36)")}
"""Each preset's builder and the paper's equation."""

