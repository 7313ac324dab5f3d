"""Exact information theory on discrete distributions (all values in nats unless ``base`` says).

- :mod:`~infoplane.info.distribution`: :class:`Distribution`, a joint pmf over named variables.
- :mod:`~infoplane.info.measures`: entropy, mutual information, co-information, total
  correlation, KL, cross-entropy, and differentiable torch versions.
- :mod:`~infoplane.info.expressions`: the ``"I[X;Y|Z]"`` language: :func:`evaluate`,
  :func:`decompose` into atoms, symbolic :func:`identical`.
- :mod:`~infoplane.info.idiagram`: I-measure :func:`atoms`, the Mickey Mouse quantities and
  I-diagram drawings.
- :mod:`~infoplane.info.examples`: named distributions with known values (``xor``,
  ``giant_bit``, ``n_mod_m``, ``and_gate``, a Mickey Mouse model).
- :mod:`~infoplane.info.ib`: iterative IB / DIB on a discrete p(x, y) and IB curves.
- :mod:`~infoplane.info.channels`: Blahut-Arimoto :func:`channel_capacity` and
  :func:`rate_distortion_curve`.
- :mod:`~infoplane.info.pid`: :func:`pid`, partial information decomposition (I_min, MMI,
  BROJA), and :func:`plot_pid`.

Examples
--------
>>> from infoplane.info import evaluate, examples
>>> round(evaluate(examples.xor(), "I[X;Y;Z]", base=2), 6)
-1.0
"""

from infoplane.info import examples
from infoplane.info.channels import channel_capacity, rate_distortion_curve
from infoplane.info.distribution import Distribution
from infoplane.info.expressions import decompose, evaluate, identical
from infoplane.info.ib import ib_curve, information_bottleneck, plot_ib_curve
from infoplane.info.idiagram import MICKEY_MOUSE, atoms, mickey_mouse, plot_atoms, plot_idiagram
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
from infoplane.info.pid import PIDResult, pid, plot_pid

__all__ = [
    "Distribution", "examples", "ib_curve", "information_bottleneck", "plot_ib_curve",
    "MICKEY_MOUSE", "atoms", "decompose", "evaluate", "identical", "mickey_mouse", "plot_atoms",
    "plot_idiagram",
    "co_information", "conditional_entropy", "conditional_entropy_torch",
    "conditional_mutual_information", "cross_entropy", "dual_total_correlation", "entropy",
    "entropy_torch", "information", "interaction_information", "kl_divergence",
    "mutual_information", "mutual_information_torch", "total_correlation",
    "PIDResult", "pid", "plot_pid", "channel_capacity", "rate_distortion_curve",
]
