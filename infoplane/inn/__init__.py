"""Invertible networks: coupling blocks, the sequence container and the conditional INN.

Blocks (:mod:`infoplane.inn.blocks`) map ``x -> (y, log|det J|)`` and back;
:class:`SequenceINN` (:mod:`infoplane.inn.flow`) chains them and gives densities and
samples; :class:`CINN` (:mod:`infoplane.inn.cinn`) adds a conditioning network trained
jointly by conditional maximum likelihood. Log-densities are in nats.

Examples
--------
>>> import torch
>>> from infoplane.inn import SequenceINN, AffineCoupling, RandomOrthogonal
>>> inn = SequenceINN(2).append(AffineCoupling).append(RandomOrthogonal)
>>> tuple(inn(torch.zeros(3, 2))[0].shape)
(3, 2)
"""

from infoplane.inn.blocks import (
    ActNorm,
    AffineCoupling,
    ConditionalAffineCoupling,
    Flatten,
    HaarDownsampling,
    HaarUpsampling,
    InvertibleBlock,
    Permutation,
    RandomOrthogonal,
    Reshape,
    Split,
    conv_subnet,
    mlp_subnet,
)
from infoplane.inn.cinn import CINN, conditional_nll_loss
from infoplane.inn.flow import SequenceINN, standard_normal_log_prob

__all__ = [
    "ActNorm", "AffineCoupling", "ConditionalAffineCoupling", "Flatten", "HaarDownsampling",
    "HaarUpsampling", "InvertibleBlock", "Permutation", "RandomOrthogonal", "Reshape", "Split",
    "conv_subnet", "mlp_subnet", "SequenceINN", "standard_normal_log_prob", "CINN", "conditional_nll_loss",
]
# exports of further modules are added below this line
from infoplane.inn.baselines import ABCResult, ConditionalVAE, abc_rejection  # noqa: E402
from infoplane.inn.inverse import InverseINN, InverseLossWeights  # noqa: E402

__all__ += ["ABCResult", "ConditionalVAE", "abc_rejection", "InverseINN", "InverseLossWeights"]
