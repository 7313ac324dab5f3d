"""The information plane (layer 3): a recorder for ``fit()``, its tidy table, its plots.

- :mod:`~infoplane.plane.recorder`: :class:`InformationPlane`, the training callback
  that records I(X;Z), I(Z;Y), H[Z], H[Z|Y], ... of chosen layers (nats), and the
  protocol it reads models through (:class:`LatentModel`: ``model.latent(x)`` returns a
  :class:`~infoplane._gaussian.GaussianLatent`; optionally :class:`DecodesLatent` and
  :class:`KnowsInformationTerms`).
- :mod:`~infoplane.plane.table`: :func:`save_table` / :func:`load_table` (CSV, JSON).
- :mod:`~infoplane.plane.plots`: :func:`plot_trajectories`, :func:`plot_entropies`,
  :func:`comparison_figure`, :func:`describe_estimates`.

The estimates themselves come from :func:`infoplane.estimators.layer.estimate_layer`.

Examples
--------
>>> import torch
>>> from infoplane.bottleneck import NoisyBottleneckClassifier
>>> from infoplane.plane import InformationPlane, LatentModel
>>> model = NoisyBottleneckClassifier(5, 2, hidden=(8,), latent_dim=2, seed=0)
>>> isinstance(model, LatentModel)
True
>>> (row,) = InformationPlane(torch.randn(100, 5), torch.arange(100) % 2, estimator="gaussian").record(model)
>>> row["layer"], row["h_z_given_x"], row["i_xz"] == row["h_z"]   # zero-entropy noise: H[Z|X] = 0
('z', 0.0, True)
"""

from infoplane.plane.plots import (
    AXES,
    LABELS,
    comparison_figure,
    describe_estimates,
    plot_entropies,
    plot_trajectories,
)
from infoplane.plane.recorder import (
    ESTIMATORS,
    QUANTITIES,
    DecodesLatent,
    InformationPlane,
    KnowsInformationTerms,
    LatentModel,
    log_spaced_epochs,
)
from infoplane.plane.table import load_table, save_table

__all__ = [
    "InformationPlane", "LatentModel", "DecodesLatent", "KnowsInformationTerms", "log_spaced_epochs",
    "save_table", "load_table", "plot_trajectories", "plot_entropies", "comparison_figure",
    "describe_estimates",
    "ESTIMATORS", "QUANTITIES", "LABELS", "AXES",
]
