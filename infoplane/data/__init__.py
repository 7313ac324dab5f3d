"""Toy problems and dataset loaders.

Loaders return a :class:`TrainTestSplit` of torch tensors (images flattened, float32 in
[0, 1]; labels int64). Generators take a ``seed`` and repeat exactly for the same seed:
:func:`correlated_gaussians` returns float64 NumPy arrays (it serves the estimators,
whose peers are NumPy libraries); the training toys return float32 torch tensors.
"""

from infoplane.data import inverse_kinematics, ood
from infoplane.data.loaders import TrainTestSplit, load_digits, load_mnist, read_idx
from infoplane.data.toys import (
    EIGHT_MODES_CENTERS,
    EIGHT_MODES_LABELS,
    EIGHT_MODES_STD,
    correlated_gaussians,
    correlation_for_mi,
    eight_modes,
    half_cube,
    spiral,
    student_t_mutual_information,
    student_t_pairs,
    twelve_bit_task,
)

__all__ = [
    "TrainTestSplit",
    "load_digits",
    "load_mnist",
    "read_idx",
    "correlated_gaussians",
    "correlation_for_mi",
    "half_cube",
    "spiral",
    "student_t_pairs",
    "student_t_mutual_information",
    "eight_modes",
    "EIGHT_MODES_CENTERS",
    "EIGHT_MODES_LABELS",
    "EIGHT_MODES_STD",
    "inverse_kinematics",
    "ood",
    "twelve_bit_task",
]
