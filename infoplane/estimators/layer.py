"""Information-plane quantities of one layer's activations, from samples (nats).

:func:`estimate_layer` turns a batch of activations ``z`` and their labels ``y`` into
the columns of an information-plane table (Kirsch, Lyle & Gal, *Unpacking Information
Bottlenecks*, eqs. 14-18):

- H[Z] and H[Z|Y] = sum_y p(y) H[Z|y] by the chosen entropy estimator,
- I(X;Z) = H[Z] - H[Z|X] with H[Z|X] given (the entropy of the noise on Z),
- I(Z;Y) = H[Z] - H[Z|Y] (eq. 18; or Ross's k-NN estimator), clipped to [0, H[Y]],
- H[Y|Z] = H[Y] - I(Z;Y) (eq. 17) and I(X;Y|Z) = H[Y|Z] - H[Y|X] (eq. 15).

Estimators by name: ``"kl"`` (Kozachenko-Leonenko entropies), ``"gaussian"``
(log-determinant bounds), ``"binning"`` (Shwartz-Ziv & Tishby; Z treated as discrete)
and ``"kde"`` (the pairwise-distance mixture bound of Kolchinsky & Tracey, as used by
Saxe et al.). The information-plane recorder (:mod:`infoplane.plane`) calls this once
per recorded layer.

Examples
--------
>>> import numpy as np
>>> from infoplane.estimators.layer import estimate_layer
>>> y = np.repeat([0, 1], 200)
>>> z = np.random.default_rng(0).normal(size=(400, 1)) + 10.0 * y[:, None]
>>> round(estimate_layer(z, y, estimator="gaussian")["h_y"], 4)
0.6931
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from infoplane._validation import check_float, check_int
from infoplane.estimators.entropy import discrete_entropy, entropy
from infoplane.estimators.ksg import mutual_information_discrete

__all__ = ["ESTIMATORS", "estimate_layer"]

#: Estimator names of :func:`estimate_layer` (and of the recorder and ``infoplane compare``).
ESTIMATORS = ("kl", "gaussian", "binning", "kde")


def _entropy(z: np.ndarray, estimator: str, k: int, options: dict[str, Any]) -> float:
    if estimator == "kl":
        return float(entropy(z, method="kl", k=k, **options))
    return float(entropy(z, method=estimator, **options))


def estimate_layer(z: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, estimator: str = "kl",
                   k: int = 3, h_z_given_x: float = 0.0, label_entropy: float = 0.0,
                   estimator_kwargs: dict[str, Any] | None = None, ross: bool = False) -> dict[str, float]:
    """Information-plane quantities of one layer's activations, in nats.

    Parameters
    ----------
    z : array_like
        Activations ``(n, d)`` (NumPy or torch; 1-D is one feature).
    y : array_like
        Integer labels ``(n,)``.
    estimator : {"kl", "gaussian", "binning", "kde"}
        How H[Z] and H[Z|y] are estimated (:func:`infoplane.estimators.entropy`).
    k : int
        Neighbours of the ``"kl"`` estimators.
    h_z_given_x : float
        Known H[Z|X] in nats (the entropy of the noise on Z; a finite number, negative
        for noise narrower than zero-entropy noise); I(X;Z) = H[Z] - H[Z|X].
    label_entropy : float
        H[Y|X] in nats, finite and >= 0 (0 for labels that are a function of the input).
    estimator_kwargs : dict, optional
        Passed to :func:`infoplane.estimators.entropy` (``bin_width`` for
        ``"binning"``, ``noise_variance`` for ``"kde"``).
    ross : bool
        With ``"kl"``, estimate I(Z;Y) by Ross's k-NN estimator
        (:func:`infoplane.estimators.mutual_information_discrete`) instead of
        H[Z] - H[Z|Y] (eq. 18) from the same Kozachenko-Leonenko entropies. The
        difference is the default: it is several times faster and keeps the table's
        identity I(Z;Y) = H[Z] - H[Z|Y] exact.

    Returns
    -------
    dict
        ``h_z``, ``h_z_given_y``, ``h_z_given_x``, ``i_xz``, ``i_zy``, ``h_y``,
        ``h_y_given_z``, ``i_xy_given_z`` (floats, nats).

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.estimators.layer import estimate_layer
    >>> rng = np.random.default_rng(0)
    >>> y = np.repeat([0, 1], 500)
    >>> z = rng.normal(size=(1000, 1)) + 8.0 * y[:, None]  # two far-apart classes
    >>> out = estimate_layer(z, y, estimator="gaussian")
    >>> round(out["h_y"], 4), out["i_zy"] > 0.6   # close to H[Y] = ln 2
    (0.6931, True)
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
    k = check_int(k, "k", minimum=1)
    h_z_given_x = check_float(h_z_given_x, "h_z_given_x")
    label_entropy = check_float(label_entropy, "label_entropy", low=0.0)
    z = z.detach().cpu().double().numpy() if isinstance(z, torch.Tensor) else np.asarray(z, dtype=float)
    if z.ndim == 1:
        z = z[:, None]
    y = y.detach().cpu().numpy() if isinstance(y, torch.Tensor) else np.asarray(y)
    y = y.reshape(-1)
    if y.dtype.kind in "fc" and not np.isfinite(y).all():
        raise ValueError("y: contains NaN or infinite values")
    if z.ndim != 2 or z.shape[0] != y.shape[0]:
        raise ValueError(f"y: expected {z.shape[0]} labels to match z, got {y.shape[0]}")
    if not np.isfinite(z).all():
        raise ValueError("z: contains NaN or infinite activations")
    options = dict(estimator_kwargs or {})
    classes, counts = np.unique(y, return_counts=True)
    p = counts / counts.sum()
    h_y = discrete_entropy(y)
    h_z = _entropy(z, estimator, k, options)
    min_count = k + 1 if estimator == "kl" else 2
    h_zy, weight = 0.0, 0.0
    for c, pc, nc in zip(classes, p, counts, strict=True):
        if nc >= min_count:
            h_zy += pc * _entropy(z[y == c], estimator, k, options)
            weight += pc
    h_zy = h_zy / weight if weight > 0 else h_z
    if estimator == "kl" and ross:
        i_zy = float(mutual_information_discrete(z, y, k=k))
    else:
        i_zy = h_z - h_zy
    i_zy = min(max(i_zy, 0.0), h_y)  # 0 <= I(Z;Y) <= H[Y]: clip estimator noise
    h_y_given_z = h_y - i_zy
    out = {"h_z": h_z, "h_z_given_y": h_zy, "h_z_given_x": h_z_given_x,
           "i_xz": h_z - h_z_given_x, "i_zy": i_zy, "h_y": h_y,
           "h_y_given_z": h_y_given_z, "i_xy_given_z": max(h_y_given_z - label_entropy, 0.0)}
    return {key: float(value) for key, value in out.items()}
