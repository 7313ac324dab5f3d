"""Information-bottleneck objectives for neural networks, and the information plane.

- :mod:`~infoplane.bottleneck.noise`: zero-entropy noise N(0, 1/(2 pi e) I).
- :mod:`~infoplane.bottleneck.regularizers`: E||Z||^2, log Var[Z], log Var[Z|Y].
- :mod:`~infoplane.bottleneck.objectives`: decoder and prediction cross-entropies,
  surrogate IB / DIB, VIB, CEB, categorical Z, beta / gamma conversions.
- :mod:`~infoplane.bottleneck.models`: small classifiers that expose their latent Z.
- :mod:`~infoplane.bottleneck.plane`: the information-plane recorder and its plots.

All information quantities are in nats (Kirsch, Lyle & Gal, *Unpacking Information
Bottlenecks*, sections 4-7).

Examples
--------
>>> import torch
>>> from infoplane.bottleneck import NoisyBottleneckClassifier, SurrogateIB
>>> model = NoisyBottleneckClassifier(64, 10, hidden=(32,), latent_dim=4)
>>> loss, terms = SurrogateIB(gamma=0.1)(model, (torch.rand(20, 64), torch.arange(20) % 10))
>>> sorted(terms)
['accuracy', 'conditional_log_var', 'decoder_ce']
"""

from infoplane.bottleneck.models import (
    CategoricalBottleneckClassifier,
    GaussianEncoderClassifier,
    MixtureMarginal,
    NoisyBottleneckClassifier,
    mlp,
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
    CategoricalObjective,
    CrossEntropyObjective,
    SurrogateDIB,
    SurrogateIB,
    SurrogateObjective,
    beta_to_gamma,
    categorical_cross_entropies,
    categorical_decoder_uncertainty,
    convert_beta,
    decoder_cross_entropy,
    empirical_joint,
    gamma_to_beta,
    gaussian_kl,
    prediction_cross_entropy,
)
from infoplane.bottleneck.plane import (
    InformationPlane,
    comparison_figure,
    estimate_layer,
    load_table,
    log_spaced_epochs,
    plot_entropies,
    plot_trajectories,
    save_table,
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
    "MixtureMarginal", "mlp",
    "InformationPlane", "estimate_layer", "log_spaced_epochs", "save_table", "load_table",
    "plot_trajectories", "plot_entropies", "comparison_figure",
]
