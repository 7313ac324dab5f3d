"""The four terms of the BIB-AE (Voloshynovskiy et al., eq. 26-29), each in nats per example.

L_BIB-AE = I_phi(X; Z) - beta I_theta,phi(Z; X) with (eq. 27-28)

- **A** = E_x KL(q(z|x) || p(z)) and **B** = KL(q(z) || p(z)): I_phi(X; Z) = A - B;
- **C** = E_x E_q(z|x) log p(x|z) and **D** = KL(p_D(x) || p_theta(x)): I(Z; X) >= C - D,

so the loss is (A - B) - beta (C - D). Every function here returns a 0-d tensor that
carries gradients, **summed over the dimensions of one example and averaged over the
batch** (nats per example; the question "is this a sum or a mean?" has this answer
everywhere in :mod:`infoplane.bibae`).

How each is estimated, and which way its estimate errs:

=========================  ==================================================  =====================
term                       estimator                                           bound direction
=========================  ==================================================  =====================
A, Gaussian q, N(0, I) p   closed form (:func:`kl_to_prior`)                   exact
A, Gaussian q, mixture p   Monte Carlo at the reparameterised sample           unbiased, has variance
B by MMD                   squared MMD of q(z) samples against p(z) samples    not a KL: 0 iff equal
B by a critic              NWJ bound E_q[1 + l] - E_p[e^l], critic logit l     lower bound on the KL
C                          Gaussian / Laplace / Bernoulli log-likelihood,      exact at the sample z
                           every constant included (:func:`log_likelihood`)
D by a critic              NWJ bound on KL(p_D || p_theta), or the             lower bound; the GAN
                           non-saturating GAN loss (:func:`adversarial_term`)  loss is a surrogate
D by MMD                   squared MMD of data against generated samples       not a KL: 0 iff equal
=========================  ==================================================  =====================

A critic is any network giving one logit per sample, trained by :func:`critic_loss`
(logistic regression of "first" against "second" samples), whose optimum is the log
density ratio l*(x) = log p_first(x) / p_second(x); then KL(p_first || p_second) =
E_first[l*] and the NWJ bound (Nguyen, Wainwright & Jordan 2010) E_first[1 + l] -
E_second[e^l] equals it at the optimum and is below it otherwise.

Examples
--------
>>> import torch
>>> from infoplane.bibae.terms import kl_to_prior
>>> mean, log_var = torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2)
>>> float(kl_to_prior(mean, log_var))   # 1/2 |mu|^2
0.5
"""

from __future__ import annotations

import math

import torch
from torch.nn import functional as F

from infoplane._gaussian import GaussianMixture, diagonal_normal_log_prob, gaussian_kl
from infoplane.metrics.mmd import mmd

__all__ = ["LIKELIHOODS", "kl_to_prior", "log_likelihood", "log_likelihood_per_example", "mmd_term",
           "critic_loss", "nwj_kl",
           "adversarial_term"]

LIKELIHOODS = ("gaussian", "laplace", "bernoulli")


def _check_pair(mean: torch.Tensor, log_var: torch.Tensor) -> None:
    if not isinstance(mean, torch.Tensor) or not isinstance(log_var, torch.Tensor):
        raise TypeError("mean: expected torch tensors for mean and log_var")
    if mean.ndim != 2 or mean.shape != log_var.shape:
        raise ValueError(f"log_var: expected the shape of mean (batch, latent_dim) {tuple(mean.shape)}, "
                         f"got {tuple(log_var.shape)}")


def kl_to_prior(mean: torch.Tensor, log_var: torch.Tensor, prior: GaussianMixture | None = None,
                z: torch.Tensor | None = None) -> torch.Tensor:
    """Term A: E_x KL(q(z|x) || p(z)) for q(z|x) = N(mean, diag exp(log_var)), nats per example.

    Parameters
    ----------
    mean, log_var : tensors (batch, latent_dim)
        The encoder's Gaussian.
    prior : GaussianMixture, optional
        p(z); default N(0, I), for which the KL has a closed form. A one-component mixture
        also gets the closed form; a mixture of several components has none, and A is then
        estimated by Monte Carlo, log q(z|x) - log p(z) at the sample ``z``.
    z : tensor (batch, latent_dim), optional
        The reparameterised sample of q(z|x); needed for the Monte Carlo case.

    Examples
    --------
    >>> import torch
    >>> from infoplane._gaussian import GaussianMixture
    >>> from infoplane.bibae.terms import kl_to_prior
    >>> m, lv = torch.zeros(3, 2), torch.zeros(3, 2)
    >>> float(kl_to_prior(m, lv, GaussianMixture.standard(2)))
    0.0
    """
    _check_pair(mean, log_var)
    if prior is None:
        return gaussian_kl(mean, log_var).mean()
    if not isinstance(prior, GaussianMixture):
        raise TypeError(f"prior: expected a GaussianMixture or None, got {type(prior).__name__}")
    if prior.dim != mean.shape[1]:
        raise ValueError(f"prior: is over {prior.dim} dimensions, the latent has {mean.shape[1]}")
    if prior.n_components == 1:
        mu2 = prior.means.expand_as(mean)
        lv2 = prior.log_vars.expand_as(log_var)
        return gaussian_kl(mean, log_var, mu2, lv2).mean()
    if z is None or z.shape != mean.shape:
        raise ValueError("z: a mixture prior needs the reparameterised sample z of q(z|x), "
                         f"shape {tuple(mean.shape)}")
    return (diagonal_normal_log_prob(z, mean, log_var) - prior.log_prob(z)).mean()


def log_likelihood(x: torch.Tensor, x_hat: torch.Tensor, likelihood: str = "gaussian",
                   log_scale: torch.Tensor | float = 0.0) -> torch.Tensor:
    """Term C: log p(x | z) of the decoder's output, every constant included, nats per example.

    Parameters
    ----------
    x : tensor (batch, ...)
        The data.
    x_hat : tensor like ``x``
        The decoder's output g(z): the mean (``"gaussian"``), the location (``"laplace"``,
        eq. 19's L1 likelihood) or the logits (``"bernoulli"``, data in [0, 1]).
    likelihood : {"gaussian", "laplace", "bernoulli"}
    log_scale : float or tensor broadcastable to ``x``
        ``"gaussian"``: log sigma^2 (the variance, fixed or learned); ``"laplace"``: log b
        (the scale). Ignored by ``"bernoulli"``.

    Returns
    -------
    0-d tensor
        sum over the dimensions of one example of log p(x_i | z), averaged over the batch.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bibae.terms import log_likelihood
    >>> round(float(log_likelihood(torch.zeros(1, 1), torch.zeros(1, 1))), 6)   # -ln(2 pi)/2
    -0.918939
    >>> round(float(log_likelihood(torch.zeros(1, 1), torch.zeros(1, 1), "laplace")), 6)  # -ln 2
    -0.693147
    """
    return log_likelihood_per_example(x, x_hat, likelihood, log_scale).mean()


def log_likelihood_per_example(x: torch.Tensor, x_hat: torch.Tensor, likelihood: str = "gaussian",
                               log_scale: torch.Tensor | float = 0.0) -> torch.Tensor:
    """log p(x | z) of each example, shape ``(batch,)``: :func:`log_likelihood` before the batch mean.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.terms import log_likelihood_per_example
    >>> log_likelihood_per_example(torch.zeros(3, 2), torch.zeros(3, 2), "bernoulli").shape
    torch.Size([3])
    """
    if likelihood not in LIKELIHOODS:
        raise ValueError(f"likelihood: expected one of {LIKELIHOODS}, got {likelihood!r}")
    if not isinstance(x, torch.Tensor) or not isinstance(x_hat, torch.Tensor):
        raise TypeError("x: expected torch tensors for x and x_hat")
    if x.shape != x_hat.shape or x.ndim < 2:
        raise ValueError(f"x_hat: expected the shape of x (batch, ...) {tuple(x.shape)}, "
                         f"got {tuple(x_hat.shape)}")
    flat, out = x.reshape(x.shape[0], -1), x_hat.reshape(x.shape[0], -1)
    if likelihood == "bernoulli":
        low, high = torch.aminmax(flat)
        if bool(low < 0) or bool(high > 1):
            raise ValueError("x: a Bernoulli likelihood needs data in [0, 1]")
        return -F.binary_cross_entropy_with_logits(out, flat, reduction="none").sum(1)
    scale = torch.as_tensor(log_scale, dtype=out.dtype, device=out.device)
    if scale.ndim:
        scale = scale.expand_as(x_hat).reshape(x.shape[0], -1)
    if likelihood == "gaussian":
        return diagonal_normal_log_prob(flat, out, scale)
    # Laplace: log p = -|x - g| / b - log(2 b)
    return (-(flat - out).abs() * torch.exp(-scale) - scale - math.log(2.0)).sum(1)


def mmd_term(a: torch.Tensor, b: torch.Tensor, bandwidths: float | tuple[float, ...] = (0.5, 1.0, 2.0),
             kernel: str = "inverse_multiquadratic") -> torch.Tensor:
    """Terms B (on z) or D (on x) by the squared MMD between two sample sets, differentiable.

    Not a KL and not in nats: 0 iff the two distributions agree (for a characteristic
    kernel), growing as they part; the biased (V-statistic) estimator, always >= 0, as in
    the AAE/InfoVAE literature. Reuses :func:`infoplane.metrics.mmd`.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.terms import mmd_term
    >>> z = torch.randn(100, 2, generator=torch.Generator().manual_seed(0))
    >>> float(mmd_term(z, z))
    0.0
    """
    return mmd(a, b, kernel=kernel, bandwidths=bandwidths, estimator="biased", differentiable=True)


def critic_loss(logits_first: torch.Tensor, logits_second: torch.Tensor) -> torch.Tensor:
    """Logistic loss of a critic that tells "first" samples (label 1) from "second" ones (label 0).

    Its minimiser is l*(x) = log p_first(x) / p_second(x) (for equal sample counts), the
    density ratio that :func:`nwj_kl` turns into a KL estimate. In nats per sample.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bibae.terms import critic_loss
    >>> round(float(critic_loss(torch.zeros(4), torch.zeros(4))), 6) == round(2 * math.log(2), 6)
    True
    """
    return F.softplus(-logits_first).mean() + F.softplus(logits_second).mean()


def nwj_kl(logits_first: torch.Tensor, logits_second: torch.Tensor) -> torch.Tensor:
    """KL(p_first || p_second) >= E_first[1 + l] - E_second[exp(l)] (NWJ), in nats.

    Exact when l is the log density ratio (the optimal critic), below it otherwise; the
    gradient reaches whatever generated the samples of either side.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bibae.terms import nwj_kl
    >>> float(nwj_kl(torch.zeros(5), torch.zeros(5)))   # l = 0: equal densities, KL 0
    0.0
    """
    return (1.0 + logits_first).mean() - torch.exp(logits_second).mean()


def adversarial_term(logits_data: torch.Tensor, logits_generated: torch.Tensor,
                     kind: str = "non_saturating") -> torch.Tensor:
    """Term D from a critic on x trained with :func:`critic_loss` (data first, generated second).

    ``kind="kl"``: the NWJ bound on KL(p_D || p_theta) (eq. 28's D, nats). ``kind=
    "non_saturating"``: the GAN generator's surrogate E_gen[softplus(-l)] = -E log sigma(l)
    (Goodfellow et al.), minimised by the generator instead of D; not a divergence.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bibae.terms import adversarial_term
    >>> round(float(adversarial_term(torch.zeros(3), torch.zeros(3))), 6) == round(math.log(2), 6)
    True
    """
    if kind == "kl":
        return nwj_kl(logits_data, logits_generated)
    if kind == "non_saturating":
        return F.softplus(-logits_generated).mean()
    raise ValueError(f"kind: expected 'kl' or 'non_saturating', got {kind!r}")
