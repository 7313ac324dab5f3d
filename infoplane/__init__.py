"""infoplane: an information-theory playground and teaching package.

Exact information theory on discrete distributions (:mod:`infoplane.info`),
estimators from samples (:mod:`infoplane.estimators`), bottleneck objectives and the
information plane (:mod:`infoplane.bottleneck`), invertible networks
(:mod:`infoplane.inn`), metrics, data and one training loop (:mod:`infoplane.train`).
All information quantities are in nats unless a ``base`` argument says otherwise.

Examples
--------
>>> import infoplane as ip
>>> ip.device().type in {"cpu", "cuda", "mps"}
True
"""

from __future__ import annotations

from infoplane._runtime import device, seed_everything

__version__ = "0.1.0"
__all__ = ["device", "seed_everything", "__version__"]
