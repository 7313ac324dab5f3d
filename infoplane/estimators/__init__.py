"""Information from samples of continuous variables (nats unless ``base`` says otherwise).

Entry points: :func:`mutual_information` (KSG 1 and 2), :func:`conditional_mutual_information`
(Frenzel-Pompe), :func:`mutual_information_discrete` (Ross), :func:`multi_information`
(total correlation), :func:`entropy` ("kl", "gaussian", "binning", "kde"),
:func:`conditional_entropy`, :func:`discrete_entropy` (the plug-in entropy of labels or
binned patterns), :func:`estimate_layer` (the information-plane quantities of one layer),
:func:`mixture_information` (the exact-mixture estimates of a layer with known Gaussian noise),
:func:`neural_mutual_information` (InfoNCE, NWJ, MINE and SMILE variational bounds with a
learned critic, trained by :func:`infoplane.train.fit`: the one layer-1 module that uses the
loop) and :func:`estimate_uncertainty` (confidence interval and shuffle baseline for any of
them). Every one accepts NumPy arrays and torch tensors on any device and returns a float.

Examples
--------
>>> from infoplane.data import correlated_gaussians
>>> from infoplane.estimators import mutual_information
>>> x, y, exact = correlated_gaussians(1000, d=2, rho=0.6, seed=0)
>>> abs(mutual_information(x, y) - exact) < 0.1
True
"""

from infoplane.estimators._prepare import SmallSampleWarning, TiedSamplesWarning
from infoplane.estimators.entropy import (
    binning_entropy,
    conditional_entropy,
    discrete_entropy,
    entropy,
    gaussian_entropy_bound,
    kde_entropy_bound,
    kozachenko_leonenko,
)
from infoplane.estimators.ksg import (
    conditional_mutual_information,
    multi_information,
    mutual_information,
    mutual_information_discrete,
)
from infoplane.estimators.layer import estimate_layer
from infoplane.estimators.mixture import MixtureEstimate, mixture_information
from infoplane.estimators.neural import (
    JointCritic,
    MutualInformationLoss,
    NeuralMIEstimate,
    SeparableCritic,
    neural_mutual_information,
)
from infoplane.estimators.uncertainty import Uncertainty, estimate_uncertainty

__all__ = [
    "SmallSampleWarning",
    "TiedSamplesWarning",
    "MixtureEstimate",
    "mixture_information",
    "JointCritic",
    "MutualInformationLoss",
    "NeuralMIEstimate",
    "SeparableCritic",
    "neural_mutual_information",
    "Uncertainty",
    "binning_entropy",
    "conditional_entropy",
    "discrete_entropy",
    "entropy",
    "estimate_layer",
    "estimate_uncertainty",
    "gaussian_entropy_bound",
    "kde_entropy_bound",
    "kozachenko_leonenko",
    "conditional_mutual_information",
    "multi_information",
    "mutual_information",
    "mutual_information_discrete",
]
