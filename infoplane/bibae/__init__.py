"""BIB-AE: one objective of four terms (A, B, C, D) that trains the VAE/GAN family.

Voloshynovskiy et al., *Information bottleneck through variational glasses*, eq. 26-29:
L = (A - B) - beta (C - D).

- :mod:`~infoplane.bibae.terms`: the four terms, each in nats per example (summed over
  dimensions, averaged over the batch), with their estimators and bound directions;
- :mod:`~infoplane.bibae.models`: :class:`BIBAE` (encoder, decoder, prior, critics;
  stochastic, deterministic or vector-quantised latent; conditional with
  ``condition_dim``) and MLP / convolutional builders, among them
  :meth:`BIBAE.conditional_mlp`, the conditional VAE baseline of the inverse problems
  (trained by the same ``vae()`` objective: one VAE loss in the package);
- :mod:`~infoplane.bibae.loss`: :class:`BIBAELoss` with signed weights and the presets
  ``vae``, ``beta_vae``, ``aae``, ``info_vae``, ``vae_gan``, ``bibae``, ``shannon_ae``,
  ``generative_compression`` (eq. 30-36; the table is in that module's docstring).

The supervised counterpart of the same decomposition (section 2.1, eq. 6-9) is the VIB of
:mod:`infoplane.bottleneck`; it is not written again here.

Examples
--------
>>> import torch
>>> from infoplane.bibae import kl_to_prior, log_likelihood
>>> x = torch.zeros(2, 3)
>>> a = kl_to_prior(torch.zeros(2, 4), torch.zeros(2, 4))
>>> float(a)
0.0
"""

from infoplane.bibae.loss import (
    PRESETS,
    BIBAELoss,
    aae,
    beta_vae,
    bibae,
    code_entropy,
    critic_parameters,
    generative_compression,
    info_vae,
    shannon_ae,
    squared_error_log_scale,
    vae,
    vae_gan,
)
from infoplane.bibae.models import (
    BIBAE,
    BIBAEOutput,
    VectorQuantizer,
    conv_decoder,
    conv_encoder,
    critic,
    mlp_decoder,
    mlp_encoder,
)
from infoplane.bibae.terms import (
    LIKELIHOODS,
    adversarial_term,
    critic_loss,
    kl_to_prior,
    log_likelihood,
    mmd_term,
    nwj_kl,
)

__all__ = ["LIKELIHOODS", "adversarial_term", "critic_loss", "kl_to_prior", "log_likelihood", "mmd_term",
           "nwj_kl", "BIBAE", "BIBAEOutput", "VectorQuantizer", "conv_decoder", "conv_encoder", "critic",
           "mlp_decoder", "mlp_encoder", "PRESETS", "BIBAELoss", "aae", "beta_vae", "bibae", "code_entropy",
           "critic_parameters", "generative_compression", "info_vae", "shannon_ae", "squared_error_log_scale",
           "vae", "vae_gan"]
