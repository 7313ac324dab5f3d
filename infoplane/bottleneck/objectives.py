"""Bottleneck objectives: cross-entropies, surrogate IB / DIB, VIB, CEB, categorical Z.

Notation of Kirsch, Lyle & Gal (*Unpacking Information Bottlenecks*); all values in
nats. The model is p(x, y, z, y_hat) = p_hat(x, y) p(z|x) p(y_hat|z) (eq. 1).

- Decoder cross-entropy H_theta[Y|Z] = E_{x,y} E_{z~p(z|x)} -ln p(y_hat=y|z) and
  prediction cross-entropy H_theta[Y|X] = E_{x,y} -ln E_{z~p(z|x)} p(y_hat=y|z)
  (sec. 5). Jensen gives H_theta[Y|X] <= H_theta[Y|Z] (Observation 2, eq. 4) and Gibbs'
  inequality H[Y|Z] <= H_theta[Y|Z] (Observation 4, eq. 5).
- IB  min I(X;Z) - beta I(Y;Z) = min H[Y|Z] + beta' I(X;Z|Y) and
  DIB min H[Z] - beta I(Y;Z)  = min H[Y|Z] + beta' H[Z|Y] = min H[Y|Z] + beta'' H[Z]
  with beta' = 1/(beta - 1) and beta'' = 1/beta (Observation 1).
- Surrogates (Observation 8): min H_theta[Y|Z] + gamma R(Z) with zero-entropy noise on
  Z and R one of the regularizers of :mod:`infoplane.bottleneck.regularizers`. With
  R = conditional_log_var (a bound on H[Z|Y] >= I(X;Z|Y)) gamma plays beta'; with
  R = log_var (a bound on H[Z]) gamma plays beta''; E||Z||^2 has no beta.
- VIB (Alemi et al.): min H_theta[Y|Z] + beta_VIB KL(e(z|x) || r(z)), the KL bounding
  I(X;Z); their beta_VIB = 1/beta (sec. 4.2).
- CEB (Fischer): min I(X;Z|Y) - I(Y;Z), bounded by H_theta[Y|Z] + gamma
  KL(e(z|x) || b(z|y)) (gamma = 1 is CEB proper, the IB with beta = 2, i.e. beta' = gamma).
- Categorical Z (sec. 5.4): p(y|z) and H[Y|Z] exactly from the empirical joint
  p(z, y) = 1/n sum_i p(z|x_i) [y_i = y] (footnote 13), a soft confusion matrix.

Losses that train models are callables ``loss(model, batch) -> (loss, terms)`` for
:func:`infoplane.train.fit`, with ``batch = (x, y)``.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F

from infoplane._validation import check_float, check_int
from infoplane.bottleneck.regularizers import conditional_log_var, l2_activation, log_var

REGULARIZERS = {
    "l2_activation": l2_activation,
    "log_var": log_var,
    "conditional_log_var": conditional_log_var,
}

# ---------------------------------------------------------------------------------------
# beta / gamma conversions (Observation 1, sec. 4.2, sec. 6.3)
# ---------------------------------------------------------------------------------------

#: Names of the trade-off parameters :func:`convert_beta` knows.
BETA_KINDS = ("beta", "beta_prime", "beta_double_prime", "vib_beta")


def _check_beta(value, name: str, low: float) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or math.isnan(value):
        raise ValueError(f"{name}: expected a real number, got {value!r}")
    value = float(value)
    if value < low:
        raise ValueError(f"{name}: expected a value >= {low}, got {value}")
    return value


def _to_beta(value: float, kind: str) -> float:
    if kind == "beta":
        return _check_beta(value, "value", 1.0)
    value = _check_beta(value, "value", 0.0)
    if kind == "beta_prime":  # beta' = 1/(beta - 1)  <=>  beta = 1 + 1/beta'
        return math.inf if value == 0 else 1.0 + 1.0 / value
    # beta'' = 1/beta and Alemi's beta_VIB = 1/beta
    beta = math.inf if value == 0 else 1.0 / value
    if beta < 1.0:
        raise ValueError(f"value: {kind} = {value} > 1 means beta < 1, where IB maximises the "
                         "Decoder Uncertainty (Observation 1 limits beta to >= 1)")
    return beta


def convert_beta(value: float, source: str, target: str) -> float:
    """Convert an IB trade-off parameter between its conventions.

    ``beta`` is Tishby's (min I(X;Z) - beta I(Y;Z), beta >= 1), ``beta_prime`` =
    1/(beta - 1) weighs the regularizer against H[Y|Z] in the IB and DIB rewritings,
    ``beta_double_prime`` = 1/beta weighs H[Z] in DIB (Observation 1), and
    ``vib_beta`` = 1/beta is Alemi et al.'s (sec. 4.2). The limits map to ``inf``
    (beta = 1 <-> beta' = inf; beta = inf <-> beta' = beta'' = 0).

    Parameters
    ----------
    value : float
    source, target : {"beta", "beta_prime", "beta_double_prime", "vib_beta"}

    Returns
    -------
    float

    Examples
    --------
    >>> from infoplane.bottleneck import convert_beta
    >>> convert_beta(2.0, "beta", "beta_prime"), convert_beta(4.0, "beta", "beta_double_prime")
    (1.0, 0.25)
    >>> convert_beta(0.5, "beta_prime", "beta")
    3.0
    """
    for name, kind in (("source", source), ("target", target)):
        if kind not in BETA_KINDS:
            raise ValueError(f"{name}: expected one of {BETA_KINDS}, got {kind!r}")
    beta = _to_beta(value, source)
    if target == "beta":
        return beta
    if target == "beta_prime":
        return math.inf if beta == 1.0 else 1.0 / (beta - 1.0)
    return 1.0 / beta  # 0 for beta = inf


#: What the weight gamma of each surrogate regularizer stands for (sec. 6.3).
GAMMA_MEANS = {"conditional_log_var": "beta_prime", "log_var": "beta_double_prime"}


def gamma_to_beta(gamma: float, regularizer: str) -> float:
    """Tishby's beta that the surrogate weight ``gamma`` of ``regularizer`` stands for.

    gamma of ``conditional_log_var`` (a bound on H[Z|Y]) is beta', gamma of
    ``log_var`` (a bound on H[Z]) is beta'' (Observation 8 with Observation 1);
    ``l2_activation`` has no such mapping (ValueError).

    Examples
    --------
    >>> from infoplane.bottleneck import gamma_to_beta
    >>> gamma_to_beta(0.5, "conditional_log_var"), gamma_to_beta(0.5, "log_var")
    (3.0, 2.0)
    """
    if regularizer not in GAMMA_MEANS:
        raise ValueError(f"regularizer: gamma maps to beta only for {sorted(GAMMA_MEANS)}, "
                         f"got {regularizer!r} (E||Z||^2 does not approximate an entropy)")
    return convert_beta(gamma, GAMMA_MEANS[regularizer], "beta")


def beta_to_gamma(beta: float, regularizer: str) -> float:
    """Inverse of :func:`gamma_to_beta`.

    Examples
    --------
    >>> from infoplane.bottleneck import beta_to_gamma
    >>> beta_to_gamma(3.0, "conditional_log_var")
    0.5
    """
    if regularizer not in GAMMA_MEANS:
        raise ValueError(f"regularizer: gamma maps to beta only for {sorted(GAMMA_MEANS)}, "
                         f"got {regularizer!r}")
    return convert_beta(beta, "beta", GAMMA_MEANS[regularizer])


# ---------------------------------------------------------------------------------------
# cross-entropies (sec. 5)
# ---------------------------------------------------------------------------------------

def _check_logits(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(logits, torch.Tensor) or logits.ndim not in (2, 3):
        raise ValueError("logits: expected a tensor of shape (batch, classes) or (samples, batch, classes)")
    if logits.ndim == 2:
        logits = logits.unsqueeze(0)
    y = torch.as_tensor(y, device=logits.device).reshape(-1)
    if y.shape[0] != logits.shape[1]:
        raise ValueError(f"y: expected {logits.shape[1]} labels to match logits, got {y.shape[0]}")
    if y.is_floating_point():
        raise ValueError("y: expected integer class labels")
    return logits, y.long()


def decoder_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """Decoder cross-entropy H_theta[Y|Z] = E E_{z} -ln p(y|z), in nats (sec. 5).

    The mean over samples of the per-sample cross-entropy: an unbiased estimate of
    H_theta[Y|Z] for any number of latent samples (Observation 5).

    Parameters
    ----------
    logits : torch.Tensor
        ``(batch, classes)`` for one latent sample per input, or
        ``(samples, batch, classes)`` for several.
    y : torch.Tensor
        Labels ``(batch,)``.

    Returns
    -------
    (torch.Tensor, dict)
        The loss and ``{"decoder_ce": loss}``.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bottleneck import decoder_cross_entropy
    >>> loss, _ = decoder_cross_entropy(torch.zeros(3, 4), torch.tensor([0, 1, 2]))
    >>> round(float(loss), 6) == round(math.log(4), 6)
    True
    """
    logits, y = _check_logits(logits, y)
    log_p = torch.log_softmax(logits, dim=-1)
    loss = -log_p.gather(-1, y.expand(logits.shape[0], -1).unsqueeze(-1)).mean()
    return loss, {"decoder_ce": loss}


def prediction_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, dict]:
    """Prediction cross-entropy H_theta[Y|X] = E -ln E_{z} p(y|z), in nats (sec. 5).

    Averages the predicted probabilities over the latent samples before the
    logarithm, so it is <= :func:`decoder_cross_entropy` on the same logits
    (Observation 2, eq. 4), with equality for one sample.

    Parameters
    ----------
    logits : torch.Tensor
        ``(batch, classes)`` or ``(samples, batch, classes)``.
    y : torch.Tensor
        Labels ``(batch,)``.

    Returns
    -------
    (torch.Tensor, dict)
        The loss and ``{"prediction_ce": loss}``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import prediction_cross_entropy, decoder_cross_entropy
    >>> logits, y = torch.randn(8, 5, 3), torch.tensor([0, 1, 2, 0, 1])
    >>> bool(prediction_cross_entropy(logits, y)[0] <= decoder_cross_entropy(logits, y)[0])
    True
    """
    logits, y = _check_logits(logits, y)
    log_p = torch.log_softmax(logits, dim=-1)
    log_mean = torch.logsumexp(log_p, dim=0) - math.log(logits.shape[0])  # (batch, classes)
    loss = -log_mean.gather(-1, y.unsqueeze(-1)).mean()
    return loss, {"prediction_ce": loss}


def _accuracy(logits: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    if logits.ndim == 3:
        logits = torch.log_softmax(logits, -1).exp().mean(0)
    return (logits.argmax(-1) == y).float().mean()


def _batch(batch) -> tuple[torch.Tensor, torch.Tensor]:
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("batch: expected (x, y)")
    return batch[0], batch[1]


class CrossEntropyObjective:
    """Plain decoder cross-entropy H_theta[Y|Z] (gamma = 0), the unregularised baseline.

    Parameters
    ----------
    samples : int
        Latent samples per input (multi-sample decoder cross-entropy).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CrossEntropyObjective, NoisyBottleneckClassifier
    >>> model = NoisyBottleneckClassifier(4, 3, hidden=(8,), latent_dim=2)
    >>> loss, terms = CrossEntropyObjective()(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> sorted(terms)
    ['accuracy', 'decoder_ce']
    """

    def __init__(self, samples: int = 1) -> None:
        self.samples = check_int(samples, "samples", minimum=1)

    def __call__(self, model, batch):
        x, y = _batch(batch)
        logits = model(x, samples=self.samples) if self.samples > 1 else model(x)
        loss, terms = decoder_cross_entropy(logits, y)
        return loss, {**terms, "accuracy": _accuracy(logits, y)}


class SurrogateObjective:
    """min H_theta[Y|Z] + gamma R(Z), the surrogate IB objectives of Observation 8.

    Needs a model that keeps its latent in ``model.z`` (e.g.
    :class:`~infoplane.bottleneck.NoisyBottleneckClassifier` with zero-entropy noise).

    Parameters
    ----------
    gamma : float
        Weight of the regularizer (>= 0).
    regularizer : {"conditional_log_var", "log_var", "l2_activation"}
        R(Z): a bound on H[Z|Y], on H[Z], or E||Z||^2 (sec. 6.2).
    samples : int
        Noise samples per input for the decoder cross-entropy.

    Attributes
    ----------
    beta : float or None
        Tishby's beta that gamma stands for (None for ``l2_activation``).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import SurrogateObjective, NoisyBottleneckClassifier
    >>> model = NoisyBottleneckClassifier(4, 3, hidden=(8,), latent_dim=2)
    >>> loss_fn = SurrogateObjective(0.1, "log_var")
    >>> loss, terms = loss_fn(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> bool(torch.isclose(loss, terms["decoder_ce"] + 0.1 * terms["log_var"]))
    True
    """

    def __init__(self, gamma: float, regularizer: str = "conditional_log_var", samples: int = 1) -> None:
        self.gamma = check_float(gamma, "gamma", low=0.0)
        if regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer: expected one of {sorted(REGULARIZERS)}, got {regularizer!r}")
        self.regularizer = regularizer
        self.samples = check_int(samples, "samples", minimum=1)
        self.beta = gamma_to_beta(self.gamma, regularizer) if regularizer in GAMMA_MEANS else None

    def __call__(self, model, batch):
        x, y = _batch(batch)
        logits = model(x, samples=self.samples) if self.samples > 1 else model(x)
        ce, terms = decoder_cross_entropy(logits, y)
        z = model.z
        if z is None:
            raise ValueError("model: keeps no latent in model.z; use a bottleneck model")
        if z.ndim == 3:  # (samples, batch, d): every sample is a draw of Z given its y
            y_rep = y.repeat(z.shape[0])
            z = z.reshape(-1, z.shape[-1])
        else:
            y_rep = y
        if self.regularizer == "conditional_log_var":
            reg = conditional_log_var(z, y_rep)
        else:
            reg = REGULARIZERS[self.regularizer](z)
        loss = ce + self.gamma * reg
        return loss, {**terms, self.regularizer: reg, "accuracy": _accuracy(logits, y)}


class SurrogateIB(SurrogateObjective):
    """Surrogate IB: H_theta[Y|Z] + gamma * (bound on H[Z|Y] >= I(X;Z|Y)), gamma = beta'.

    With zero-entropy noise, I(X;Z|Y) <= H[Z|Y] (Observation 6), so this upper-bounds
    the IB objective in its form H[Y|Z] + beta' I(X;Z|Y) (Observation 1).

    Examples
    --------
    >>> from infoplane.bottleneck import SurrogateIB
    >>> SurrogateIB(0.5).beta
    3.0
    """

    def __init__(self, gamma: float, regularizer: str = "conditional_log_var", samples: int = 1) -> None:
        super().__init__(gamma, regularizer, samples)


class SurrogateDIB(SurrogateObjective):
    """Surrogate DIB: H_theta[Y|Z] + gamma * (bound on H[Z]), gamma = beta'' = 1/beta.

    Upper-bounds DIB in its form H[Y|Z] + beta'' H[Z] (Observation 1).

    Examples
    --------
    >>> from infoplane.bottleneck import SurrogateDIB
    >>> SurrogateDIB(0.5).beta
    2.0
    """

    def __init__(self, gamma: float, regularizer: str = "log_var", samples: int = 1) -> None:
        super().__init__(gamma, regularizer, samples)


# ---------------------------------------------------------------------------------------
# VIB and CEB (Gaussian encoders)
# ---------------------------------------------------------------------------------------

def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor, mu2: torch.Tensor | None = None,
                log_var2: torch.Tensor | None = None) -> torch.Tensor:
    """KL(N(mu, diag e^log_var) || N(mu2, diag e^log_var2)) per row, in nats.

    Closed form 1/2 sum_i [log_var2 - log_var + (e^log_var + (mu - mu2)^2) / e^log_var2 - 1];
    the second Gaussian defaults to N(0, I).

    Returns
    -------
    torch.Tensor
        Shape ``mu.shape[:-1]``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import gaussian_kl
    >>> float(gaussian_kl(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2)))  # 1/2 ||mu||^2
    0.5
    """
    if mu.shape != log_var.shape:
        raise ValueError(f"log_var: shape {tuple(log_var.shape)} differs from mu {tuple(mu.shape)}")
    if mu2 is None:
        mu2 = torch.zeros_like(mu)
    if log_var2 is None:
        log_var2 = torch.zeros_like(log_var)
    return 0.5 * (log_var2 - log_var + (log_var.exp() + (mu - mu2).pow(2)) / log_var2.exp() - 1.0).sum(-1)


def _gaussian_log_prob(z, mu, log_var):
    return -0.5 * ((z - mu).pow(2) / log_var.exp() + log_var + math.log(2 * math.pi)).sum(-1)


class VIB:
    """Deep Variational Information Bottleneck (Alemi et al.) in their beta convention.

    loss = H_theta[Y|Z] + beta_VIB * KL(e(z|x) || r(z)); the KL averaged over the data
    is the "rate", an upper bound on I(X;Z). For r = N(0, I) the KL is closed form
    (:func:`gaussian_kl`); with the model's learned mixture marginal it is the
    one-sample Monte Carlo estimate ln e(z|x) - ln r(z). Appendix A.7 shows the
    N(0, I) KL is 1/2 E||Z||^2 - H[Z|X] up to a constant: an E||Z||^2 regularizer.

    Parameters
    ----------
    beta : float
        Alemi et al.'s beta_VIB = 1/beta_Tishby (>= 0).
    samples : int
        Latent samples per input for the decoder cross-entropy.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import VIB, GaussianEncoderClassifier
    >>> model = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2)
    >>> loss, terms = VIB(1e-3)(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> sorted(terms)
    ['accuracy', 'decoder_ce', 'kl']
    """

    def __init__(self, beta: float, samples: int = 1) -> None:
        self.beta = check_float(beta, "beta", low=0.0)
        self.samples = check_int(samples, "samples", minimum=1)

    def rate(self, model) -> torch.Tensor:
        """KL(e(z|x) || r(z)) per input from the model's last call, nats."""
        if model.marginal is None:
            return gaussian_kl(model.mu, model.log_var)
        z = model.z  # (batch, d) or (samples, batch, d)
        return (_gaussian_log_prob(z, model.mu, model.log_var) - model.marginal.log_prob(z)).reshape(
            -1, model.mu.shape[0]).mean(0)

    def __call__(self, model, batch):
        x, y = _batch(batch)
        logits = model(x, samples=self.samples) if self.samples > 1 else model(x)
        ce, terms = decoder_cross_entropy(logits, y)
        kl = self.rate(model).mean()
        return ce + self.beta * kl, {**terms, "kl": kl, "accuracy": _accuracy(logits, y)}


class CEB:
    """Conditional Entropy Bottleneck (Fischer): min gamma I(X;Z|Y) - I(Y;Z), variationally.

    loss = H_theta[Y|Z] + gamma * KL(e(z|x) || b(z|y)): the decoder cross-entropy
    bounds H[Y|Z] = H[Y] - I(Y;Z), and E KL(e(z|x) || b(z|y)) >= I(X;Z|Y) for any
    backward encoder b(z|y) (the model's learned class-conditional Gaussians). gamma = 1
    is CEB proper, the IB with beta = 2 (sec. 4.2); in general gamma = beta'.

    Parameters
    ----------
    gamma : float
        Weight of the residual-information bound (>= 0).
    samples : int

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CEB, GaussianEncoderClassifier
    >>> model = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2, backward_encoder=True)
    >>> loss, terms = CEB(1.0)(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> sorted(terms)
    ['accuracy', 'decoder_ce', 'residual_kl']
    """

    def __init__(self, gamma: float = 1.0, samples: int = 1) -> None:
        self.gamma = check_float(gamma, "gamma", low=0.0)
        self.samples = check_int(samples, "samples", minimum=1)
        self.beta = convert_beta(self.gamma, "beta_prime", "beta")

    def __call__(self, model, batch):
        x, y = _batch(batch)
        if getattr(model, "backward_means", None) is None:
            raise ValueError("model: CEB needs a backward encoder b(z|y) (backward_encoder=True)")
        logits = model(x, samples=self.samples) if self.samples > 1 else model(x)
        ce, terms = decoder_cross_entropy(logits, y)
        kl = gaussian_kl(model.mu, model.log_var, model.backward_means[y],
                         model.backward_log_vars[y]).mean()
        return ce + self.gamma * kl, {**terms, "residual_kl": kl, "accuracy": _accuracy(logits, y)}


# ---------------------------------------------------------------------------------------
# categorical Z (sec. 5.4)
# ---------------------------------------------------------------------------------------

def _check_pz(pz: torch.Tensor, y, num_classes: int | None) -> tuple[torch.Tensor, torch.Tensor, int]:
    if not isinstance(pz, torch.Tensor) or pz.ndim != 2:
        raise ValueError("pz_given_x: expected a tensor of shape (n, num_categories)")
    if bool((pz < 0).any()) or not bool(torch.allclose(pz.sum(1), torch.ones_like(pz[:, 0]), atol=1e-4)):
        raise ValueError("pz_given_x: rows must be probability vectors (non-negative, summing to 1)")
    y = torch.as_tensor(y, device=pz.device).reshape(-1)
    if y.shape[0] != pz.shape[0] or y.is_floating_point():
        raise ValueError(f"y: expected {pz.shape[0]} integer labels")
    k = int(y.max()) + 1 if num_classes is None else check_int(num_classes, "num_classes", minimum=1)
    if int(y.min()) < 0 or int(y.max()) >= k:
        raise ValueError(f"y: labels must lie in 0..{k - 1}")
    return pz, y.long(), k


def empirical_joint(pz_given_x: torch.Tensor, y: torch.Tensor,
                    num_classes: int | None = None) -> torch.Tensor:
    """The joint p(z, y) = 1/n sum_i p(z|x_i) [y_i = y]: a soft confusion matrix (sec. 5.4).

    Parameters
    ----------
    pz_given_x : torch.Tensor
        Encoder probabilities ``(n, num_categories)``.
    y : torch.Tensor
        Labels ``(n,)``.
    num_classes : int, optional
        Defaults to ``max(y) + 1``.

    Returns
    -------
    torch.Tensor
        ``(num_categories, num_classes)``, summing to 1, differentiable in ``pz_given_x``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import empirical_joint
    >>> empirical_joint(torch.eye(2), torch.tensor([1, 0])).tolist()
    [[0.0, 0.5], [0.5, 0.0]]
    """
    pz, y, k = _check_pz(pz_given_x, y, num_classes)
    onehot = F.one_hot(y, k).to(pz.dtype)
    return pz.T @ onehot / pz.shape[0]


def categorical_decoder_uncertainty(pz_given_x: torch.Tensor, y: torch.Tensor,
                                    num_classes: int | None = None) -> tuple[torch.Tensor, dict]:
    """Exact Decoder Uncertainty H[Y|Z] of a categorical latent, in nats (sec. 5.4).

    From the soft confusion matrix p(z, y) (:func:`empirical_joint`):
    H[Y|Z] = -sum_{z,y} p(z,y) ln p(y|z) with p(y|z) = p(z,y)/p(z) (footnote 13). It is
    differentiable in the encoder probabilities, so it can be minimised directly.

    Returns
    -------
    (torch.Tensor, dict)
        H[Y|Z] and ``{"h_y_given_z": value, "optimal_decoder": p(y|z) (C x K, detached)}``.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bottleneck import categorical_decoder_uncertainty
    >>> h, _ = categorical_decoder_uncertainty(torch.ones(4, 1), torch.tensor([0, 1, 0, 1]))
    >>> round(float(h), 6) == round(math.log(2), 6)   # one category: H[Y|Z] = H[Y]
    True
    """
    joint = empirical_joint(pz_given_x, y, num_classes)
    pz = joint.sum(1, keepdim=True)
    safe = torch.where(joint > 0, joint, torch.ones_like(joint))
    p_y_given_z = safe / pz.clamp_min(torch.finfo(joint.dtype).tiny)
    h = -(joint * torch.log(p_y_given_z)).sum()
    decoder = torch.where(pz > 0, joint / pz.clamp_min(torch.finfo(joint.dtype).tiny),
                          torch.full_like(joint, 1.0 / joint.shape[1]))
    return h, {"h_y_given_z": h, "optimal_decoder": decoder.detach()}


def categorical_cross_entropies(pz_given_x: torch.Tensor, decoder_log_probs: torch.Tensor,
                                y: torch.Tensor) -> dict[str, torch.Tensor]:
    """Exact decoder and prediction cross-entropies of a categorical latent, in nats.

    H_theta[Y|Z] = E_{x,y} sum_z p(z|x) (-ln p(y_hat=y|z)) and H_theta[Y|X] =
    E_{x,y} -ln sum_z p(z|x) p(y_hat=y|z): the expectations over z are sums, no sampling.

    Parameters
    ----------
    pz_given_x : torch.Tensor
        ``(n, C)`` encoder probabilities.
    decoder_log_probs : torch.Tensor
        ``(C, K)`` decoder log-probabilities ln p(y_hat|z).
    y : torch.Tensor
        ``(n,)`` labels.

    Returns
    -------
    dict
        ``{"decoder_ce": ..., "prediction_ce": ...}``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import categorical_cross_entropies
    >>> out = categorical_cross_entropies(torch.full((2, 2), 0.5), torch.log(torch.eye(2) * 0.8 + 0.1),
    ...                                   torch.tensor([0, 1]))
    >>> bool(out["prediction_ce"] <= out["decoder_ce"])
    True
    """
    pz, y, k = _check_pz(pz_given_x, y, decoder_log_probs.shape[1])
    if decoder_log_probs.shape != (pz.shape[1], k):
        raise ValueError(f"decoder_log_probs: expected shape {(pz.shape[1], k)}, "
                         f"got {tuple(decoder_log_probs.shape)}")
    log_q = decoder_log_probs[:, y].T  # (n, C): ln p(y_hat = y_i | z)
    decoder_ce = -(pz * log_q).sum(1).mean()
    log_pz = torch.log(pz.clamp_min(torch.finfo(pz.dtype).tiny))
    prediction_ce = -torch.logsumexp(log_pz + log_q, dim=1).mean()
    return {"decoder_ce": decoder_ce, "prediction_ce": prediction_ce}


class CategoricalObjective:
    """Train a categorical-Z model by one of the three quantities of sec. 5 / Fig. 3.

    Parameters
    ----------
    target : {"decoder_ce", "prediction_ce", "decoder_uncertainty"}
        Minimise H_theta[Y|Z], H_theta[Y|X], or the exact H[Y|Z] of the batch.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CategoricalObjective, CategoricalBottleneckClassifier
    >>> model = CategoricalBottleneckClassifier(4, 3, num_categories=5, hidden=(8,))
    >>> loss, terms = CategoricalObjective()(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> bool(terms["h_y_given_z"] <= terms["decoder_ce"] + 1e-6)
    True
    """

    TARGETS = ("decoder_ce", "prediction_ce", "decoder_uncertainty")

    def __init__(self, target: str = "decoder_ce") -> None:
        if target not in self.TARGETS:
            raise ValueError(f"target: expected one of {self.TARGETS}, got {target!r}")
        self.target = target

    def __call__(self, model, batch):
        x, y = _batch(batch)
        log_pred = model(x)
        pz = model.pz
        terms = categorical_cross_entropies(pz, model.decoder_log_probs(), y)
        h, _ = categorical_decoder_uncertainty(pz, y, model.num_classes)
        terms["h_y_given_z"] = h
        loss = h if self.target == "decoder_uncertainty" else terms[self.target]
        return loss, {**terms, "accuracy": _accuracy(log_pred, y)}
