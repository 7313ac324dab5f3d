"""Exact information theory on discrete distributions (all values in nats unless ``base`` says).

- :mod:`~infoplane.info.distribution`: :class:`Distribution`, a joint pmf over named variables.
- :mod:`~infoplane.info.measures`: entropy, mutual information, co-information, total
  correlation, KL, cross-entropy, and differentiable torch versions.
- :mod:`~infoplane.info.idiagram`: I-measure atoms, expressions such as ``"I[X;Y|Z]"``,
  symbolic identities, the Mickey Mouse quantities and I-diagram drawings.
- :mod:`~infoplane.info.ib`: iterative IB / DIB on a discrete p(x, y) and IB curves.

Examples
--------
>>> import math
>>> from infoplane.info import Distribution, evaluate
>>> xor = Distribution.from_samples([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")
>>> round(evaluate(xor, "I[X;Y;Z]", base=2), 6)
-1.0
"""

from infoplane.info.distribution import Distribution
from infoplane.info.ib import ib_curve, information_bottleneck, plot_ib_curve
from infoplane.info.idiagram import (
    MICKEY_MOUSE,
    atoms,
    decompose,
    evaluate,
    identical,
    mickey_mouse,
    plot_atoms,
    plot_idiagram,
)
from infoplane.info.measures import (
    co_information,
    conditional_entropy,
    conditional_entropy_torch,
    conditional_mutual_information,
    cross_entropy,
    dual_total_correlation,
    entropy,
    entropy_torch,
    information,
    interaction_information,
    kl_divergence,
    mutual_information,
    mutual_information_torch,
    total_correlation,
)

__all__ = [
    "Distribution", "ib_curve", "information_bottleneck", "plot_ib_curve",
    "MICKEY_MOUSE", "atoms", "decompose", "evaluate", "identical", "mickey_mouse", "plot_atoms",
    "plot_idiagram",
    "co_information", "conditional_entropy", "conditional_entropy_torch",
    "conditional_mutual_information", "cross_entropy", "dual_total_correlation", "entropy",
    "entropy_torch", "information", "interaction_information", "kl_divergence",
    "mutual_information", "mutual_information_torch", "total_correlation",
]
