"""A categorical latent Z: exact H[Y|Z] and the cross-entropies, and its objective (sec. 5.4).

Notation of Kirsch, Lyle & Gal (*Unpacking Information Bottlenecks*); all values in
nats. With Z categorical, p(y|z) and H[Y|Z] follow exactly from the empirical joint
p(z, y) = 1/n sum_i p(z|x_i) [y_i = y] (footnote 13), a soft confusion matrix, and the
expectations over z of the decoder and prediction cross-entropies are sums (no
sampling). :class:`CategoricalObjective` trains a
:class:`~infoplane.bottleneck.CategoricalBottleneckClassifier` by any of the three.

Examples
--------
>>> import torch
>>> from infoplane.bottleneck.categorical import empirical_joint
>>> empirical_joint(torch.eye(2), torch.tensor([0, 1])).tolist()
[[0.5, 0.0], [0.0, 0.5]]
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
import torch.nn.functional as F
from torch import nn

from infoplane._validation import check_int
from infoplane.bottleneck.objectives import Terms, _accuracy, _batch

__all__ = ["empirical_joint", "categorical_decoder_uncertainty", "categorical_cross_entropies",
           "CategoricalObjective"]


def _check_pz(pz: torch.Tensor, y: torch.Tensor, n_classes: int | None,
              finite: bool = True) -> tuple[torch.Tensor, torch.Tensor, int]:
    """Shapes, labels and probability rows; ``finite=False`` (the loss) lets NaN through."""
    if not isinstance(pz, torch.Tensor) or pz.ndim != 2:
        raise ValueError("pz_given_x: expected a tensor of shape (n, n_categories)")
    if pz.shape[0] == 0 or pz.shape[1] == 0:
        raise ValueError(f"pz_given_x: expected a non-empty batch, got shape {tuple(pz.shape)}")
    if not pz.is_floating_point():
        raise ValueError(f"pz_given_x: expected floating-point probabilities, got dtype {pz.dtype}")
    all_finite = bool(torch.isfinite(pz).all())
    if finite and not all_finite:
        raise ValueError("pz_given_x: contains NaN or infinite values")
    if all_finite and (bool((pz < 0).any()) or not bool(
            torch.allclose(pz.sum(1), torch.ones_like(pz[:, 0]), atol=1e-4))):
        raise ValueError("pz_given_x: rows must be probability vectors (non-negative, summing to 1)")
    try:
        y = torch.as_tensor(y, device=pz.device).reshape(-1)
    except (TypeError, ValueError, RuntimeError):
        raise ValueError(f"y: expected {pz.shape[0]} integer labels, got {type(y).__name__}") from None
    if y.shape[0] != pz.shape[0] or y.is_floating_point():
        raise ValueError(f"y: expected {pz.shape[0]} integer labels")
    k = int(y.max()) + 1 if n_classes is None else check_int(n_classes, "n_classes", minimum=1)
    if int(y.min()) < 0 or int(y.max()) >= k:
        raise ValueError(f"y: labels must lie in 0..{k - 1}")
    return pz, y.long(), k


def empirical_joint(pz_given_x: torch.Tensor, y: torch.Tensor,
                    n_classes: int | None = None) -> torch.Tensor:
    """The joint p(z, y) = 1/n sum_i p(z|x_i) [y_i = y]: a soft confusion matrix (sec. 5.4).

    Parameters
    ----------
    pz_given_x : torch.Tensor
        Encoder probabilities ``(n, n_categories)``.
    y : torch.Tensor
        Labels ``(n,)``.
    n_classes : int, optional
        Defaults to ``max(y) + 1``.

    Returns
    -------
    torch.Tensor
        ``(n_categories, n_classes)``, summing to 1, differentiable in ``pz_given_x``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import empirical_joint
    >>> empirical_joint(torch.eye(2), torch.tensor([1, 0])).tolist()
    [[0.0, 0.5], [0.5, 0.0]]
    """
    return _empirical_joint(pz_given_x, y, n_classes)


def _empirical_joint(pz_given_x: torch.Tensor, y: torch.Tensor, n_classes: int | None,
                     finite: bool = True) -> torch.Tensor:
    pz, y, k = _check_pz(pz_given_x, y, n_classes, finite)
    onehot = F.one_hot(y, k).to(pz.dtype)
    return pz.T @ onehot / pz.shape[0]


def categorical_decoder_uncertainty(pz_given_x: torch.Tensor, y: torch.Tensor,
                                    n_classes: int | None = None) -> tuple[torch.Tensor, Terms]:
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
    return _decoder_uncertainty(pz_given_x, y, n_classes)


def _decoder_uncertainty(pz_given_x: torch.Tensor, y: torch.Tensor, n_classes: int | None,
                         finite: bool = True) -> tuple[torch.Tensor, Terms]:
    joint = _empirical_joint(pz_given_x, y, n_classes, finite)
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
    return _cross_entropies(pz_given_x, decoder_log_probs, y)


def _cross_entropies(pz_given_x: torch.Tensor, decoder_log_probs: torch.Tensor, y: torch.Tensor,
                     finite: bool = True) -> dict[str, torch.Tensor]:
    if not isinstance(decoder_log_probs, torch.Tensor) or decoder_log_probs.ndim != 2 or (
            decoder_log_probs.shape[1] < 1):
        got = tuple(decoder_log_probs.shape) if isinstance(decoder_log_probs, torch.Tensor) else (
            type(decoder_log_probs).__name__)
        raise ValueError(f"decoder_log_probs: expected shape (n_categories, n_classes), got {got}")
    if not decoder_log_probs.is_floating_point() or (finite and bool(torch.isnan(decoder_log_probs).any())):
        raise ValueError("decoder_log_probs: contains NaN (or is not floating point)")
    pz, y, k = _check_pz(pz_given_x, y, decoder_log_probs.shape[1], finite)
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

    Reads the forward output ``(log_probs, p_z)`` of
    :class:`~infoplane.bottleneck.CategoricalBottleneckClassifier` and its decoder
    matrix ``model.decoder_log_probs()``.

    Parameters
    ----------
    target : {"decoder_ce", "prediction_ce", "decoder_uncertainty"}
        Minimise H_theta[Y|Z], H_theta[Y|X], or the exact H[Y|Z] of the batch.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import CategoricalObjective, CategoricalBottleneckClassifier
    >>> model = CategoricalBottleneckClassifier(4, 3, n_categories=5, hidden=(8,), seed=0)
    >>> loss, terms = CategoricalObjective()(model, (torch.randn(6, 4), torch.tensor([0, 1, 2] * 2)))
    >>> bool(terms["h_y_given_z"] <= terms["decoder_ce"] + 1e-6)
    True
    """

    TARGETS = ("decoder_ce", "prediction_ce", "decoder_uncertainty")

    def __init__(self, target: str = "decoder_ce") -> None:
        if target not in self.TARGETS:
            raise ValueError(f"target: expected one of {self.TARGETS}, got {target!r}")
        self.target = target

    def __call__(self, model: nn.Module, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor, Terms]:
        x, y = _batch(batch, model)
        log_probs, pz = model(x)
        # finite=False: NaN from a diverged model comes out as a NaN loss for fit to report
        terms = _cross_entropies(pz, model.decoder_log_probs(), y, finite=False)
        h, _ = _decoder_uncertainty(pz, y, log_probs.shape[-1], finite=False)
        terms["h_y_given_z"] = h
        loss = h if self.target == "decoder_uncertainty" else terms[self.target]
        return loss, {**terms, "accuracy": _accuracy(log_probs, y)}
