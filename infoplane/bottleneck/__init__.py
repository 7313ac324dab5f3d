"""Information-bottleneck objectives and models for neural networks (layer 2).

- :mod:`~infoplane.bottleneck.noise`: zero-entropy noise N(0, 1/(2 pi e) I).
- :mod:`~infoplane.bottleneck.regularizers`: E||Z||^2, log Var[Z], log Var[Z|Y].
- :mod:`~infoplane.bottleneck.conventions`: units, signs, beta / gamma conversions.
- :mod:`~infoplane.bottleneck.objectives`: decoder and prediction cross-entropies,
  surrogate IB / DIB, VIB, CEB.
- :mod:`~infoplane.bottleneck.categorical`: categorical Z, exact H[Y|Z], its objective.
- :mod:`~infoplane.bottleneck.models`: small classifiers that declare their latent Z.

The information-plane recorder that reads these models lives in :mod:`infoplane.plane`.
All information quantities are in nats (Kirsch, Lyle & Gal, *Unpacking Information
Bottlenecks*, sections 4-7).

Examples
--------
>>> import torch
>>> from infoplane.bottleneck import NoisyBottleneckClassifier, SurrogateIB
>>> model = NoisyBottleneckClassifier(64, 10, hidden=(32,), latent_dim=4, seed=0)
>>> loss, terms = SurrogateIB(gamma=0.1)(model, (torch.rand(20, 64), torch.arange(20) % 10))
>>> sorted(terms)
['accuracy', 'conditional_log_var', 'decoder_ce']
"""

from infoplane._gaussian import gaussian_kl
from infoplane._nn import mlp
from infoplane.bottleneck.categorical import (
    CategoricalObjective,
    categorical_cross_entropies,
    categorical_decoder_uncertainty,
    empirical_joint,
)
from infoplane.bottleneck.conventions import beta_to_gamma, convert_beta, gamma_to_beta
from infoplane.bottleneck.models import (
    BottleneckOutput,
    CategoricalBottleneckClassifier,
    CategoricalOutput,
    GaussianEncoderClassifier,
    GaussianEncoderOutput,
    NoisyBottleneckClassifier,
)
from infoplane.bottleneck.noise import (
    ZERO_ENTROPY_VARIANCE,
    GaussianNoise,
    ZeroEntropyNoise,
    gaussian_entropy_for_std,
    gaussian_std_for_entropy,
)
from infoplane.bottleneck.objectives import (
    CEB,
    VIB,
    CrossEntropyObjective,
    SurrogateDIB,
    SurrogateIB,
    SurrogateObjective,
    decoder_cross_entropy,
    prediction_cross_entropy,
)
from infoplane.bottleneck.regularizers import conditional_log_var, l2_activation, log_var

__all__ = [
    "ZERO_ENTROPY_VARIANCE", "GaussianNoise", "ZeroEntropyNoise", "gaussian_entropy_for_std",
    "gaussian_std_for_entropy",
    "l2_activation", "log_var", "conditional_log_var",
    "decoder_cross_entropy", "prediction_cross_entropy", "CrossEntropyObjective",
    "SurrogateObjective", "SurrogateIB", "SurrogateDIB", "VIB", "CEB", "gaussian_kl",
    "convert_beta", "gamma_to_beta", "beta_to_gamma",
    "empirical_joint", "categorical_decoder_uncertainty", "categorical_cross_entropies",
    "CategoricalObjective",
    "NoisyBottleneckClassifier", "GaussianEncoderClassifier", "CategoricalBottleneckClassifier",
    "BottleneckOutput", "GaussianEncoderOutput", "CategoricalOutput", "mlp",
]
