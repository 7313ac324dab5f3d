"""BIB-AE: one objective of four terms (A, B, C, D) that trains the VAE/GAN family.

Voloshynovskiy et al., *Information bottleneck through variational glasses*, eq. 26-29:
L = (A - B) - beta (C - D). :mod:`~infoplane.bibae.terms` holds the four terms, each in
nats per example (summed over dimensions, averaged over the batch). The supervised
counterpart of the same decomposition (section 2.1, eq. 6-9) is the VIB of
:mod:`infoplane.bottleneck`.

Examples
--------
>>> import torch
>>> from infoplane.bibae import kl_to_prior, log_likelihood
>>> x = torch.zeros(2, 3)
>>> a = kl_to_prior(torch.zeros(2, 4), torch.zeros(2, 4))
>>> float(a)
0.0
"""

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
           "nwj_kl"]
