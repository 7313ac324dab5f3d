"""Invertible networks: coupling blocks, the sequence container, the cINN and the inverse INN.

Blocks (:mod:`infoplane.inn.blocks`) map ``x -> (y, log|det J|)`` and back;
:class:`SequenceINN` (:mod:`infoplane.inn.flow`) chains them and gives densities and
samples; :class:`CINN` (:mod:`infoplane.inn.cinn`) adds a conditioning network trained
jointly by conditional maximum likelihood (:func:`conditional_nll_loss`);
:class:`InverseINN` (:mod:`infoplane.inn.inverse`) is trained bidirectionally on an
inverse problem (:class:`InverseINNLoss`), beside its baseline ABC
(:mod:`infoplane.inn.baselines`); the cVAE baseline is the conditional case of the
BIB-AE VAE (:meth:`infoplane.bibae.BIBAE.conditional_mlp` trained by
:func:`infoplane.bibae.vae`). Models train with :func:`infoplane.train.fit` and a
loss object; log-densities are in nats.

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
    AsinhStretch,
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
from infoplane.inn.flow import SequenceINN

__all__ = [
    "ActNorm", "AffineCoupling", "AsinhStretch", "ConditionalAffineCoupling", "Flatten", "HaarDownsampling",
    "HaarUpsampling", "InvertibleBlock", "Permutation", "RandomOrthogonal", "Reshape", "Split",
    "conv_subnet", "mlp_subnet", "SequenceINN", "CINN", "conditional_nll_loss",
]
# exports of further modules are added below this line
from infoplane.inn.baselines import ABCResult, abc_rejection  # noqa: E402
from infoplane.inn.inverse import InverseINN, InverseINNLoss, InverseLossWeights  # noqa: E402

__all__ += ["ABCResult", "abc_rejection", "InverseINN", "InverseINNLoss", "InverseLossWeights"]
from infoplane.inn.ibinn import (  # noqa: E402
    IBINN,
    ClassifierLoss,
    FeedForwardClassifier,
    IBINNLoss,
    INNSoftmaxClassifier,
    class_nll_loss,
)

__all__ += ["IBINN", "IBINNLoss", "class_nll_loss", "FeedForwardClassifier", "INNSoftmaxClassifier",
            "ClassifierLoss"]
