"""Information-plane quantities of one layer's activations, from samples (nats).

:func:`estimate_layer` turns a batch of activations ``z`` and their labels ``y`` into
the columns of an information-plane table (Kirsch, Lyle & Gal, *Unpacking Information
Bottlenecks*, eqs. 14-18):

- H[Z] and H[Z|Y] = sum_y p(y) H[Z|y] by the chosen entropy estimator,
- I(X;Z) = H[Z] - H[Z|X] with H[Z|X] given (the entropy of the noise on Z),
- I(Z;Y) = H[Z] - H[Z|Y] (eq. 18; or Ross's k-NN estimator), clipped to [0, H[Y]],
- H[Y|Z] = H[Y] - I(Z;Y) (eq. 17) and I(X;Y|Z) = H[Y|Z] - H[Y|X] (eq. 15).

Estimators by name: ``"mixture"`` (the exact Gaussian mixture of a layer whose noise
law is known, :func:`infoplane.estimators.mixture_information`: no k-NN estimate, and
I(X;Z) <= ln n, I(Z;Y) <= H[Y] hold by construction; the default of the recorder),
``"kl"`` (Kozachenko-Leonenko entropies), ``"gaussian"`` (log-determinant bounds),
``"binning"`` (Shwartz-Ziv & Tishby; Z treated as discrete) and ``"kde"`` (the
pairwise-distance mixture bound of Kolchinsky & Tracey, as used by Saxe et al.). The
information-plane recorder (:mod:`infoplane.plane`) calls this once per recorded layer.

Why the default is the mixture: on n evaluation inputs X takes at most n values, so
I(X;Z) <= H(X) = ln n. A k-NN estimator of H[Z] sees the spread of the n points, not the
mixture of their noise (Goldfeld et al., ICML 2019; Geiger 2021), and with narrow noise it
reports I(X;Z) far above ln n.

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

from infoplane._validation import check_float, check_int, real_array
from infoplane.estimators.entropy import discrete_entropy, entropy
from infoplane.estimators.ksg import mutual_information_discrete
from infoplane.estimators.mixture import mixture_information

__all__ = ["ESTIMATORS", "estimate_layer"]

#: Estimator names of :func:`estimate_layer` (and of the recorder and ``infoplane compare``).
ESTIMATORS = ("mixture", "kl", "gaussian", "binning", "kde")


def _entropy(z: np.ndarray, estimator: str, k: int, options: dict[str, Any]) -> float:
    if estimator == "kl":
        return float(entropy(z, method="kl", k=k, **options))
    return float(entropy(z, method=estimator, **options))


def estimate_layer(z: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, estimator: str = "kl",
                   k: int = 3, h_z_given_x: float = 0.0, label_entropy: float = 0.0,
                   estimator_kwargs: dict[str, Any] | None = None, ross: bool = False,
                   log_var: np.ndarray | torch.Tensor | None = None) -> dict[str, float]:
    """Information-plane quantities of one layer's activations, in nats.

    Parameters
    ----------
    z : array_like
        Activations ``(n, d)`` (NumPy or torch; 1-D is one feature). For ``"mixture"``:
        the noise-free part f(x_i) of the layer (the means of its Gaussian noise).
    y : array_like
        Integer labels ``(n,)``.
    estimator : {"kl", "mixture", "gaussian", "binning", "kde"}
        How H[Z] and H[Z|y] are estimated: ``"mixture"`` by the exact mixture of the
        noise law (:func:`~infoplane.estimators.mixture_information`), the others by
        :func:`infoplane.estimators.entropy` from the activations.
    k : int
        Neighbours of the ``"kl"`` estimators.
    h_z_given_x : float
        Known H[Z|X] in nats (the entropy of the noise on Z; a finite number, negative
        for noise narrower than zero-entropy noise); I(X;Z) = H[Z] - H[Z|X].
    label_entropy : float
        H[Y|X] in nats, finite and >= 0 (0 for labels that are a function of the input).
    estimator_kwargs : dict, optional
        Passed to :func:`infoplane.estimators.entropy` (``bin_width`` for
        ``"binning"``, ``noise_variance`` for ``"kde"``), or to
        :func:`~infoplane.estimators.mixture_information` for ``"mixture"``
        (``noise_variance`` when ``log_var`` is not given, ``samples``, ``seed``).
    ross : bool
        With ``"kl"``, estimate I(Z;Y) by Ross's k-NN estimator
        (:func:`infoplane.estimators.mutual_information_discrete`) instead of
        H[Z] - H[Z|Y] (eq. 18) from the same Kozachenko-Leonenko entropies. The
        difference is the default: it is several times faster and keeps the table's
        identity I(Z;Y) = H[Z] - H[Z|Y] exact.
    log_var : array_like, optional
        ``"mixture"`` only: the log-variance of the layer's Gaussian noise, ``(n, d)`` or
        broadcastable (give it or ``estimator_kwargs["noise_variance"]``). H[Z|X] is then
        computed from it in closed form and ``h_z_given_x`` is ignored.

    Returns
    -------
    dict
        ``h_z``, ``h_z_given_y``, ``h_z_given_x``, ``i_xz``, ``i_zy``, ``h_y``,
        ``h_y_given_z``, ``i_xy_given_z`` (floats, nats); ``"mixture"`` adds the
        standard errors ``i_xz_se`` and ``i_zy_se`` of its Monte Carlo estimates.

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

    With the noise law known, the exact mixture respects I(X;Z) <= ln n:

    >>> means = rng.normal(size=(200, 2)) * 100.0          # 200 inputs, far apart
    >>> out = estimate_layer(means, np.arange(200) % 2, estimator="mixture",
    ...                      estimator_kwargs={"noise_variance": 0.05})
    >>> round(out["i_xz"], 2), round(float(np.log(200)), 2)
    (5.3, 5.3)
    """
    if estimator not in ESTIMATORS:
        raise ValueError(f"estimator: expected one of {ESTIMATORS}, got {estimator!r}")
    k = check_int(k, "k", minimum=1)
    h_z_given_x = check_float(h_z_given_x, "h_z_given_x")
    label_entropy = check_float(label_entropy, "label_entropy", low=0.0)
    if estimator_kwargs is not None and not isinstance(estimator_kwargs, dict):
        raise TypeError(f"estimator_kwargs: expected a dict of options, "
                        f"got {type(estimator_kwargs).__name__}")
    if estimator == "mixture":   # on the device of z: no copy to the CPU
        return _mixture_layer(z, y, log_var, label_entropy, dict(estimator_kwargs or {}))
    z = z.detach().cpu().double().numpy() if isinstance(z, torch.Tensor) else real_array(z, "z")
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
    if log_var is not None and estimator != "mixture":
        raise ValueError(f"log_var: only the mixture estimator uses the noise law, not {estimator!r}")
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


def _mixture_layer(mean: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor,
                   log_var: np.ndarray | torch.Tensor | None, label_entropy: float,
                   options: dict[str, Any]) -> dict[str, float]:
    """The columns of :func:`estimate_layer` from the exact mixture (nats)."""
    unknown = set(options) - {"noise_variance", "samples", "seed", "max_elements", "device"}
    if unknown:
        raise ValueError(f"estimator_kwargs: the mixture estimator takes noise_variance, samples, seed, "
                         f"max_elements and device, not {sorted(unknown)}")
    est = mixture_information(mean, log_var, y, **options)
    h_y_given_z = est.h_y - est.i_zy
    return {"h_z": est.h_z, "h_z_given_y": est.h_z_given_y, "h_z_given_x": est.h_z_given_x,
            "i_xz": est.i_xz, "i_zy": est.i_zy, "h_y": est.h_y, "h_y_given_z": h_y_given_z,
            "i_xy_given_z": max(h_y_given_z - label_entropy, 0.0),
            "i_xz_se": est.se_i_xz, "i_zy_se": est.se_i_zy}
