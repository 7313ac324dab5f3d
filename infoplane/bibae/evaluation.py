"""Scores of trained BIB-AE models: IWAE bounds, rate-distortion points, novelty scores (nats).

- :func:`iwae_bound`: the importance-weighted lower bound on log p(x) (Burda et al. 2016)
  with K samples of q(z|x); K = 1 is the ELBO, and the bound rises towards log p(x) with K.
  For a conditional model (``condition_dim > 0``) every function takes the condition as
  ``y=``, and the bound is on log p(x | y) with q(z | x, y) and p(x | z, y).
- :func:`rate_distortion`: a model's operating point, rate = A - B (or the code entropy
  of a quantised latent) and distortion = -C, from the terms of its objective.
- :func:`novelty_scores`: per-example scores for one-class novelty detection (section
  4.3), higher = more novel: the reconstruction error and, with a critic on x, minus its
  logit; feed them to :func:`infoplane.metrics.roc_auc`.

Examples
--------
>>> import torch
>>> from infoplane._nn import seeded
>>> from infoplane.bibae import BIBAE, mlp_decoder, mlp_encoder
>>> from infoplane.bibae.evaluation import iwae_bound
>>> with seeded(0):
...     model = BIBAE(mlp_encoder(8, 2, (16,)), mlp_decoder(2, 8, (16,)))
>>> x = torch.rand(4, 8)
>>> bool(iwae_bound(model, x, k=1) <= iwae_bound(model, x, k=64) + 0.5)
True
"""

from __future__ import annotations

import math

import torch

from infoplane._gaussian import diagonal_normal_log_prob
from infoplane._validation import check_int
from infoplane.bibae.loss import BIBAELoss
from infoplane.bibae.models import BIBAE
from infoplane.bibae.terms import LIKELIHOODS, log_likelihood_per_example

__all__ = ["iwae_bound", "rate_distortion", "novelty_scores"]


def _check(model: BIBAE, x: torch.Tensor, y: torch.Tensor | None) -> None:
    if not isinstance(model, BIBAE):
        raise TypeError(f"model: expected a BIBAE, got {type(model).__name__}")
    if not isinstance(x, torch.Tensor) or x.ndim != 2 or not bool(torch.isfinite(x).all()):
        raise ValueError("x: expected a finite tensor of shape (batch, features)")
    model._condition(y, x.shape[0])       # y given iff the model is conditional, of shape (n, condition_dim)
    if y is not None and not bool(torch.isfinite(y).all()):
        raise ValueError("y: expected a finite condition")


def iwae_bound(model: BIBAE, x: torch.Tensor, k: int = 64, likelihood: str = "gaussian",
               log_scale: float = 0.0, generator: torch.Generator | None = None, *,
               y: torch.Tensor | None = None) -> torch.Tensor:
    """log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x), averaged over the batch (nats).

    A lower bound on log p(x) for every K, equal to the ELBO at K = 1 and non-decreasing
    in expectation with K. Needs a stochastic encoder (a density q(z|x)). For a
    conditional model it is the bound on log p(x | y) with q(z | x, y), p(x | z, y) and
    the prior p(z) (which does not depend on y here).

    Parameters
    ----------
    model : BIBAE
    x : tensor (batch, features)
    k : int
        Importance samples per example.
    likelihood, log_scale
        p(x|z), as in :func:`infoplane.bibae.terms.log_likelihood`.
    generator : torch.Generator, optional
    y : tensor (batch, condition_dim), optional
        The condition of a conditional model (required there, refused otherwise).

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae import BIBAE
    >>> from infoplane.bibae.evaluation import iwae_bound
    >>> cvae = BIBAE.conditional_mlp(x_dim=3, y_dim=2, hidden=(8,), seed=0)
    >>> x, y = torch.zeros(4, 3), torch.ones(4, 2)
    >>> bound = iwae_bound(cvae, x, k=8, y=y, generator=torch.Generator().manual_seed(0))
    >>> bound.shape, bool(torch.isfinite(bound))
    (torch.Size([]), True)
    """
    _check(model, x, y)
    k = check_int(k, "k", minimum=1)
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood: expected one of {LIKELIHOODS}, got {likelihood!r}")
    if model.encoding != "stochastic":
        raise ValueError("model: an importance-sampled bound needs a stochastic encoder, "
                         f"not a {model.encoding} one")
    with torch.no_grad():
        mean, log_var = model.encode(x, y)
        n, d = mean.shape
        gen_device = generator.device if generator is not None else mean.device
        eps = torch.randn((k, n, d), generator=generator, dtype=mean.dtype, device=gen_device).to(mean.device)
        z = mean + (0.5 * log_var).exp() * eps                                     # (K, n, d)
        flat = z.reshape(k * n, d)
        x_rep = x.unsqueeze(0).expand(k, *x.shape).reshape(k * n, -1)
        y_rep = None if y is None else y.unsqueeze(0).expand(k, *y.shape).reshape(k * n, -1)
        x_hat = model.decode(flat, y_rep)
        log_px = log_likelihood_per_example(x_rep, x_hat, likelihood, log_scale).reshape(k, n)
        log_pz = model.prior.log_prob(flat).reshape(k, n)
        log_qz = diagonal_normal_log_prob(z, mean, log_var)                        # (K, n)
        log_w = log_px + log_pz - log_qz
        return (torch.logsumexp(log_w, dim=0) - math.log(k)).mean()


def rate_distortion(model: BIBAE, loss: BIBAELoss, x: torch.Tensor, *,
                    y: torch.Tensor | None = None) -> dict[str, float]:
    """A model's rate-distortion point on ``x`` from its objective's terms, in nats per example.

    ``rate`` = A - B (stochastic encoders; B counted only when the objective has it) or the
    code entropy H(Z^) (quantised); ``distortion`` = -C under the objective's likelihood.
    A conditional model takes its condition as ``y=`` (the rate is then E KL(q(z|x, y) || p(z))).

    Examples
    --------
    >>> import torch
    >>> from infoplane._nn import seeded
    >>> from infoplane.bibae import BIBAE, mlp_decoder, mlp_encoder, vae
    >>> from infoplane.bibae.evaluation import rate_distortion
    >>> with seeded(0):
    ...     model = BIBAE(mlp_encoder(8, 2, (16,)), mlp_decoder(2, 8, (16,)))
    >>> sorted(rate_distortion(model, vae(), torch.rand(4, 8)))
    ['distortion', 'rate']
    """
    _check(model, x, y)
    if not isinstance(loss, BIBAELoss):
        raise TypeError(f"loss: expected a BIBAELoss, got {type(loss).__name__}")
    with torch.no_grad():
        _, terms = loss(model, (x,) if y is None else (x, y))
    if "rate" in terms:
        rate = float(terms["rate"])
    elif "A" in terms:
        # B in nats only when a critic estimates it (MMD is not a KL)
        b = float(terms.get("B", 0.0)) if loss.b_estimator == "critic" else 0.0
        rate = float(terms["A"]) - b
    else:
        raise ValueError("loss: its objective has no rate term (A or a code entropy)")
    return {"rate": rate, "distortion": -float(terms["C"])}


def novelty_scores(model: BIBAE, x: torch.Tensor, likelihood: str = "gaussian", *,
                   y: torch.Tensor | None = None) -> dict[str, torch.Tensor]:
    """Per-example novelty scores (higher = more novel): reconstruction error and the critic's.

    ``reconstruction``: the squared error of the decoded mean f(x) (summed over the
    features, units of x squared; for ``"bernoulli"`` the decoder's logits are squashed
    first); ``critic``: minus the logit of the critic ``"x"`` (the term-D critic scores
    data-like inputs high), when the model has one. A conditional model encodes and
    decodes with its condition ``y=``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae import BIBAE
    >>> from infoplane.bibae.evaluation import novelty_scores
    >>> cvae = BIBAE.conditional_mlp(x_dim=3, y_dim=2, hidden=(8,), seed=0)
    >>> novelty_scores(cvae, torch.zeros(5, 3), y=torch.ones(5, 2))["reconstruction"].shape
    torch.Size([5])
    """
    _check(model, x, y)
    with torch.no_grad():
        mean, _ = model.encode(x, y)
        z = model.quantizer(mean)[0] if model.quantizer is not None else mean
        x_hat = model.decode(z, y)
        if likelihood == "bernoulli":
            x_hat = torch.sigmoid(x_hat)
        scores = {"reconstruction": (x_hat - x).pow(2).reshape(x.shape[0], -1).sum(1)}
        if "x" in model.critics:
            scores["critic"] = -model.critics["x"](x)
    return scores
