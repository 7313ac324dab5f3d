"""Surrogate IB / DIB, VIB and CEB losses, and the cross-entropies they are built on.

Notation of Kirsch, Lyle & Gal (*Unpacking Information Bottlenecks*); all values in
nats, means over the batch (:mod:`infoplane.bottleneck.conventions` states the units,
signs and the beta / gamma conventions). The model is p(x, y, z, y_hat) =
p_hat(x, y) p(z|x) p(y_hat|z) (eq. 1).

- Decoder cross-entropy H_theta[Y|Z] = E_{x,y} E_{z~p(z|x)} -ln p(y_hat=y|z) and
  prediction cross-entropy H_theta[Y|X] = E_{x,y} -ln E_{z~p(z|x)} p(y_hat=y|z)
  (sec. 5). Jensen gives H_theta[Y|X] <= H_theta[Y|Z] (Observation 2, eq. 4) and Gibbs'
  inequality H[Y|Z] <= H_theta[Y|Z] (Observation 4, eq. 5).
- Surrogates (Observation 8): min H_theta[Y|Z] + gamma R(Z) with zero-entropy noise on
  Z and R one of the regularizers of :mod:`infoplane.bottleneck.regularizers`. With
  R = conditional_log_var (a bound on H[Z|Y] >= I(X;Z|Y)) gamma plays beta'; with
  R = log_var (a bound on H[Z]) gamma plays beta''; E||Z||^2 has no beta.
- VIB (Alemi et al.): min H_theta[Y|Z] + beta_VIB KL(e(z|x) || r(z)), the KL bounding
  I(X;Z); their beta_VIB = 1/beta (sec. 4.2).
- CEB (Fischer): min I(X;Z|Y) - I(Y;Z), bounded by H_theta[Y|Z] + gamma
  KL(e(z|x) || b(z|y)) (gamma = 1 is CEB proper, the IB with beta = 2, i.e. beta' = gamma).

The categorical-Z objective is in :mod:`infoplane.bottleneck.categorical`.

Every loss is a callable ``loss(model, batch) -> (loss, terms)`` for
:func:`infoplane.train.fit`, with ``batch = (x, y)``: it reads what it needs from the
model's forward output (``logits``, ``z``, ``mean``, ``log_var``), and returns the scalar
loss and a dict of named scalar tensors (nats; ``accuracy`` a fraction). Every loss
checks its batch at the door: an empty batch or NaN / inf in ``x`` is a ValueError naming
``batch``, labels outside ``0..n_classes - 1`` a ValueError naming ``y`` (a model's plain
forward pass does not check its input for NaN and lets it through).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from infoplane._gaussian import diagonal_normal_log_prob, gaussian_kl
from infoplane._validation import check_float, check_int
from infoplane.bottleneck.conventions import GAMMA_MEANS, convert_beta, gamma_to_beta
from infoplane.bottleneck.regularizers import (
    _check_latent,
    _conditional_log_var,
    _l2_activation,
    _log_var,
    conditional_log_var,
    l2_activation,
    log_var,
)

__all__ = ["REGULARIZERS", "decoder_cross_entropy", "prediction_cross_entropy", "CrossEntropyObjective",
           "SurrogateObjective", "SurrogateIB", "SurrogateDIB", "VIB", "CEB"]

Terms = dict[str, torch.Tensor]

REGULARIZERS = {
    "l2_activation": l2_activation,
    "log_var": log_var,
    "conditional_log_var": conditional_log_var,
}

# ---------------------------------------------------------------------------------------
# cross-entropies (sec. 5)
# ---------------------------------------------------------------------------------------

def _check_logits(logits: torch.Tensor, y: torch.Tensor,
                  finite: bool = True) -> tuple[torch.Tensor, torch.Tensor]:
    """Shapes, dtypes and label range; with ``finite``, NaN / inf logits too.

    The losses pass ``finite=False``: their input batch is checked at the door, and
    NaN logits from a diverged model must come out as a NaN loss, which
    :func:`infoplane.train.fit` reports as a divergence.
    """
    if not isinstance(logits, torch.Tensor) or logits.ndim not in (2, 3):
        raise ValueError("logits: expected a tensor of shape (batch, classes) or (samples, batch, classes)")
    if logits.ndim == 2:
        logits = logits.unsqueeze(0)
    if logits.shape[1] == 0 or logits.shape[0] == 0 or logits.shape[2] == 0:
        raise ValueError(f"logits: expected a non-empty batch, got shape {tuple(logits.shape)}")
    if not logits.is_floating_point():
        raise ValueError(f"logits: expected floating-point logits, got dtype {logits.dtype}")
    if finite and not bool(torch.isfinite(logits).all()):
        raise ValueError("logits: contains NaN or infinite values")
    try:
        y = torch.as_tensor(y, device=logits.device).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"y: expected integer class labels, got {type(y).__name__}") from None
    if y.shape[0] != logits.shape[1]:
        raise ValueError(f"y: expected {logits.shape[1]} labels to match logits, got {y.shape[0]}")
    if y.is_floating_point() or y.is_complex() or y.dtype == torch.bool:
        raise ValueError("y: expected integer class labels")
    n_classes = logits.shape[-1]
    if bool(((y < 0) | (y >= n_classes)).any()):
        raise ValueError(f"y: labels must lie in 0..{n_classes - 1} (the logits have {n_classes} classes), "
                         f"got {int(y.min())}..{int(y.max())}")
    return logits, y.long()


def decoder_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, Terms]:
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
    return _decoder_cross_entropy(logits, y)


def _decoder_cross_entropy(logits: torch.Tensor, y: torch.Tensor,
                           finite: bool = True) -> tuple[torch.Tensor, Terms]:
    logits, y = _check_logits(logits, y, finite)
    log_p = torch.log_softmax(logits, dim=-1)
    loss = -log_p.gather(-1, y.expand(logits.shape[0], -1).unsqueeze(-1)).mean()
    return loss, {"decoder_ce": loss}


def prediction_cross_entropy(logits: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, Terms]:
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


def _batch(batch: Sequence[torch.Tensor], model: object = None) -> tuple[torch.Tensor, torch.Tensor]:
    """The door of every loss: ``(x, y)`` with a non-empty, finite ``x`` (ValueError naming ``batch``)."""
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise ValueError("batch: expected (x, y)")
    x, y = batch[0], batch[1]
    if not isinstance(x, torch.Tensor) or x.ndim == 0:
        got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
        raise ValueError(f"batch: expected x to be a tensor of shape (batch, features), got {got}")
    if x.shape[0] == 0:
        raise ValueError("batch: expected a non-empty batch, got 0 samples")
    if (x.is_floating_point() or x.is_complex()) and not bool(torch.isfinite(x).all()):
        raise ValueError("batch: x contains NaN or infinite values")
    return x, y


def _forward(model: nn.Module, x: torch.Tensor, samples: int) -> Any:
    return model(x, samples=samples) if samples > 1 else model(x)


def _prediction(output: Any) -> torch.Tensor:
    """The logits of a forward output: the output itself if a tensor, else its first element."""
    return output if isinstance(output, torch.Tensor) else output[0]


def _field(output: Any, name: str, needs: str) -> torch.Tensor:
    value = getattr(output, name, None)
    if not isinstance(value, torch.Tensor):
        raise ValueError(f"model: its forward output has no {name!r} field; {needs}")
    return value


class CrossEntropyObjective:
    """Plain decoder cross-entropy H_theta[Y|Z] (gamma = 0), the unregularised baseline.

    Works with any classifier whose forward returns logits, or a tuple whose first
    element is the logits.

    Parameters
    ----------
    samples : int
        Latent samples per input (multi-sample decoder cross-entropy).

    Raises ValueError naming ``batch`` for an empty batch or NaN / inf in ``x``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CrossEntropyObjective, NoisyBottleneckClassifier
    >>> model = NoisyBottleneckClassifier(4, 3, hidden=(8,), latent_dim=2, seed=0)
    >>> loss, terms = CrossEntropyObjective()(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> sorted(terms)
    ['accuracy', 'decoder_ce']
    """

    def __init__(self, samples: int = 1) -> None:
        self.samples = check_int(samples, "samples", minimum=1)

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, Terms]:
        x, y = _batch(batch, model)
        logits = _prediction(_forward(model, x, self.samples))
        loss, terms = _decoder_cross_entropy(logits, y, finite=False)
        return loss, {**terms, "accuracy": _accuracy(logits, y)}


class SurrogateObjective:
    """min H_theta[Y|Z] + gamma R(Z), the surrogate IB objectives of Observation 8.

    Needs a model whose forward output has the latent as field ``z`` (e.g.
    :class:`~infoplane.bottleneck.NoisyBottleneckClassifier` with zero-entropy noise,
    whose forward returns ``(logits, z)``).

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

    Notes
    -----
    A batch of one sample (the last batch of a loader when n = 1 mod batch size) has
    no batch variance: with ``log_var`` or ``conditional_log_var`` (and ``samples=1``)
    its regulariser term is 0, reported as 0, and its loss is the cross-entropy alone.
    :func:`infoplane.train.fit` averages terms sample-weighted, so in the epoch mean of
    the regulariser that sample counts as 0 with weight 1/n. Drop it with
    ``DataLoader(..., drop_last=True)`` if that matters.

    An empty batch, or NaN / inf in ``x``, is a ValueError naming ``batch`` (a plain
    forward pass of the model lets NaN through).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import SurrogateObjective, NoisyBottleneckClassifier
    >>> model = NoisyBottleneckClassifier(4, 3, hidden=(8,), latent_dim=2, seed=0)
    >>> batch = (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2))
    >>> loss, terms = SurrogateObjective(0.1, "log_var")(model, batch)
    >>> sorted(terms)
    ['accuracy', 'decoder_ce', 'log_var']
    """

    def __init__(self, gamma: float, regularizer: str = "conditional_log_var", samples: int = 1) -> None:
        self.gamma = check_float(gamma, "gamma", low=0.0)
        if not isinstance(regularizer, str) or regularizer not in REGULARIZERS:
            raise ValueError(f"regularizer: expected one of {sorted(REGULARIZERS)}, got {regularizer!r}")
        self.regularizer = regularizer
        self.samples = check_int(samples, "samples", minimum=1)
        self.beta = gamma_to_beta(self.gamma, regularizer) if regularizer in GAMMA_MEANS else None

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, Terms]:
        x, y = _batch(batch, model)
        output = _forward(model, x, self.samples)
        logits = _prediction(output)
        ce, terms = _decoder_cross_entropy(logits, y, finite=False)
        z = _field(output, "z", "use a bottleneck model whose forward returns (logits, z)")
        if z.ndim == 3:  # (samples, batch, d): every sample is a draw of Z given its y
            y_rep = y.repeat(z.shape[0])
            z = z.reshape(-1, z.shape[-1])
        else:
            y_rep = y
        z = _check_latent(z, finite=False)   # NaN from a diverged model: a NaN loss for fit to report
        if z.shape[0] < 2 and self.regularizer != "l2_activation":
            reg = z.new_zeros(())  # one sample has no batch variance: the regulariser is skipped
        elif self.regularizer == "conditional_log_var":
            reg = _conditional_log_var(z, y_rep.reshape(-1).to(z.device), 1e-8)
        elif self.regularizer == "log_var":
            reg = _log_var(z, 1e-8)
        else:
            reg = _l2_activation(z)
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

class VIB:
    """Deep Variational Information Bottleneck (Alemi et al.) in their beta convention.

    loss = H_theta[Y|Z] + beta_VIB * KL(e(z|x) || r(z)); the KL averaged over the data
    is the "rate", an upper bound on I(X;Z). For r = N(0, I) the KL is closed form
    (:func:`~infoplane._gaussian.gaussian_kl`); with the model's learned mixture
    marginal (``model.marginal``) it is the Monte Carlo estimate ln e(z|x) - ln r(z)
    over the latent samples. Appendix A.7 shows the N(0, I) KL is 1/2 E||Z||^2 - H[Z|X]
    up to a constant: an E||Z||^2 regularizer.

    Parameters
    ----------
    beta : float
        Alemi et al.'s beta_VIB = 1/beta_Tishby (>= 0).
    samples : int
        Latent samples per input for the decoder cross-entropy.

    Raises ValueError naming ``batch`` for an empty batch or NaN / inf in ``x``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import VIB, GaussianEncoderClassifier
    >>> model = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2, seed=0)
    >>> loss, terms = VIB(1e-3)(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> sorted(terms)
    ['accuracy', 'decoder_ce', 'kl']
    """

    def __init__(self, beta: float, samples: int = 1) -> None:
        self.beta = check_float(beta, "beta", low=0.0)
        self.samples = check_int(samples, "samples", minimum=1)

    @staticmethod
    def rate(output: Any, marginal: nn.Module | None = None) -> torch.Tensor:
        """KL(e(z|x) || r(z)) per input in nats, from a forward output ``(logits, z, mean, log_var)``.

        ``marginal`` is r(z) (a module with ``log_prob(z)``, such as the model's
        :class:`~infoplane._gaussian.GaussianMixture`); ``None`` means N(0, I) and the
        closed-form KL.

        Examples
        --------
        >>> import torch
        >>> from infoplane.bottleneck import VIB, GaussianEncoderClassifier
        >>> model = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2, seed=0)
        >>> VIB.rate(model(torch.randn(6, 4))).shape
        torch.Size([6])
        """
        needs = "VIB needs a Gaussian encoder whose forward returns (logits, z, mean, log_var)"
        mean = _field(output, "mean", needs)
        log_var = _field(output, "log_var", needs)
        if marginal is None:
            return gaussian_kl(mean, log_var)
        z = _field(output, "z", needs)  # (batch, d) or (samples, batch, d)
        return (diagonal_normal_log_prob(z, mean, log_var) - marginal.log_prob(z)).reshape(
            -1, mean.shape[0]).mean(0)

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, Terms]:
        x, y = _batch(batch, model)
        output = _forward(model, x, self.samples)
        logits = _prediction(output)
        ce, terms = _decoder_cross_entropy(logits, y, finite=False)
        kl = self.rate(output, getattr(model, "marginal", None)).mean()
        return ce + self.beta * kl, {**terms, "kl": kl, "accuracy": _accuracy(logits, y)}


class CEB:
    """Conditional Entropy Bottleneck (Fischer): min gamma I(X;Z|Y) - I(Y;Z), variationally.

    loss = H_theta[Y|Z] + gamma * KL(e(z|x) || b(z|y)): the decoder cross-entropy
    bounds H[Y|Z] = H[Y] - I(Y;Z), and E KL(e(z|x) || b(z|y)) >= I(X;Z|Y) for any
    backward encoder b(z|y) (the model's learned class-conditional Gaussians,
    ``model.backward_encoding(y)``). gamma = 1 is CEB proper, the IB with beta = 2
    (sec. 4.2); in general gamma = beta'.

    Parameters
    ----------
    gamma : float
        Weight of the residual-information bound (>= 0).
    samples : int

    Raises ValueError naming ``batch`` for an empty batch or NaN / inf in ``x``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CEB, GaussianEncoderClassifier
    >>> model = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2, backward_encoder=True, seed=0)
    >>> loss, terms = CEB(1.0)(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> sorted(terms)
    ['accuracy', 'decoder_ce', 'residual_kl']
    """

    def __init__(self, gamma: float = 1.0, samples: int = 1) -> None:
        self.gamma = check_float(gamma, "gamma", low=0.0)
        self.samples = check_int(samples, "samples", minimum=1)
        self.beta = convert_beta(self.gamma, "beta_prime", "beta")

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, Terms]:
        x, y = _batch(batch, model)
        backward = getattr(model, "backward_encoding", None)
        if backward is None:
            raise ValueError("model: CEB needs a backward encoder b(z|y) (a GaussianEncoderClassifier "
                             "with backward_encoder=True)")
        b_mean, b_log_var = backward(y)
        output = _forward(model, x, self.samples)
        logits = _prediction(output)
        ce, terms = _decoder_cross_entropy(logits, y, finite=False)
        needs = "CEB needs a Gaussian encoder whose forward returns (logits, z, mean, log_var)"
        kl = gaussian_kl(_field(output, "mean", needs), _field(output, "log_var", needs),
                         b_mean, b_log_var).mean()
        return ce + self.gamma * kl, {**terms, "residual_kl": kl, "accuracy": _accuracy(logits, y)}
