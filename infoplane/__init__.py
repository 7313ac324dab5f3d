"""infoplane: an information-theory playground and teaching package.

Exact information theory on discrete distributions (:mod:`infoplane.info`),
estimators from samples (:mod:`infoplane.estimators`), bottleneck objectives
(:mod:`infoplane.bottleneck`), invertible networks and the IB-INN (:mod:`infoplane.inn`),
metrics, data, one training loop (:mod:`infoplane.train`), the information-plane
recorder (:mod:`infoplane.plane`) and grids of runs (:mod:`infoplane.sweep`).
:class:`GaussianMixture` is the one mixture-of-Gaussians module: the latent density of
an INN, the VIB marginal, the class-conditional latent of the IB-INN.

All information quantities are in nats unless a ``base`` argument says otherwise.

Examples
--------
>>> import infoplane as ip
>>> ip.device().type in {"cpu", "cuda", "mps"}
True
>>> ip.GaussianMixture.standard(2).n_components
1
"""

from __future__ import annotations

from infoplane._gaussian import GaussianLatent, GaussianMixture
from infoplane._runtime import device, seed_everything

__version__ = "0.1.0"

__all__ = ["device", "seed_everything", "GaussianMixture", "GaussianLatent", "__version__"]
