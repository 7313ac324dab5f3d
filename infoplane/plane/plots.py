"""Plots of the information-plane table: trajectories, columns against the epoch, the CLI figure.

Every function takes the table (a list of dicts, as recorded by
:class:`~infoplane.plane.InformationPlane` or read by :func:`~infoplane.plane.load_table`),
an optional ``ax`` (and returns it), and ``base`` for the units of the axes (e for
nats, 2 for bits). matplotlib is imported when a function is called.

Examples
--------
>>> from infoplane.plane import plot_entropies
>>> plot_entropies([{"run": "a", "epoch": e, "i_zy": e / 2} for e in range(3)], "i_zy").get_xlabel()
'epoch'
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from infoplane._units import unit_name, unit_scale

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = ["LABELS", "AXES", "ESTIMATOR_DESCRIPTIONS", "plot_trajectories", "plot_entropies",
           "comparison_figure", "describe_estimates"]

Row = dict[str, Any]

#: Axis labels of the table's columns.
LABELS = {
    "i_xz": "I(X;Z)", "i_zy": "I(Z;Y)", "h_z": "H[Z]", "h_z_given_y": "H[Z|Y]",
    "h_z_given_x": "H[Z|X]", "h_x": "H(X) = ln n", "h_y": "H[Y]", "h_y_given_z": "H[Y|Z]",
    "i_xy_given_z": "I(X;Y|Z)", "decoder_ce": "H_θ[Y|Z]",
    "ci_xz": "CI(X, Z_E)", "ci_zy": "CI(Y, Z_E)", "l_x": "L_X",
    "train_accuracy": "train accuracy", "test_accuracy": "test accuracy",
}
#: The two planes, each as (x column, y column, x label, y label).
AXES = {
    "tishby": ("i_xz", "i_zy", "Preserved Information I(X;Z)", "Preserved Relevant Information I(Z;Y)"),
    "kirsch": ("i_xz", "i_xy_given_z", "Preserved Information I(X;Z)", "Residual Information I(X;Y|Z)"),
    # the IB-INN's own exact terms (Ardizzone et al. 2020, eqs. 5-7): the cross-informations
    # CI(X, Z_E) = L_X - H(eps), an upper bound of I(X; Z_E) for X with noise eps (not bounded by
    # ln n: X + eps is continuous), and CI(Y, Z_E) = H(Y) + E log q(y|z) <= I(Y; Z_E) <= H(Y)
    "ibinn": ("ci_xz", "ci_zy", "IB-INN's CI(X, Z_E) = L_X - H(ε)",
              "IB-INN's CI(Y, Z_E) = H(Y) + E log q(y|z)"),
}


def _check_rows(rows: object) -> list[Row]:
    """The table as a list of dicts, else TypeError naming ``rows``."""
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Iterable):
        raise TypeError(f"rows: expected a list of dicts (the table), got {type(rows).__name__}")
    rows = list(rows)
    for row in rows:
        if not isinstance(row, dict):
            raise TypeError(f"rows: expected a list of dicts (the table), got a {type(row).__name__}")
    return rows


def _runs(rows: Iterable[Row], layer: str | None) -> dict[str, list[Row]]:
    runs: dict[str, list[dict]] = {}
    for row in rows:
        if layer is not None and row.get("layer") != layer:
            continue
        runs.setdefault(str(row.get("run", "run")), []).append(row)
    for name in runs:
        runs[name].sort(key=lambda r: (r.get("step", 0), r.get("epoch", 0)))
    return runs


def _color_key(rows: Sequence[Row], color_by: str | None) -> str | None:
    if color_by is not None:
        return color_by
    for key in ("gamma", "beta"):
        if any(key in r for r in rows):
            return key
    return None


def _run_colors(runs: dict[str, list[Row]], key: str | None, cmap: str) -> dict[str, Any]:
    import matplotlib.pyplot as plt

    cm = plt.get_cmap(cmap)
    values = sorted({r[0][key] for r in runs.values() if key and key in r[0]})
    colors = {}
    for i, (name, rs) in enumerate(runs.items()):
        if key and key in rs[0]:
            rank = values.index(rs[0][key])
            colors[name] = cm(0.1 + 0.8 * rank / max(len(values) - 1, 1))
        else:
            colors[name] = plt.get_cmap("tab10")(i % 10)
    return colors


def plot_trajectories(rows: Sequence[Row], ax: Axes | None = None, axes: str = "tishby",
                      layer: str | None = None, color_by: str | None = None, cmap: str = "viridis",
                      epoch_cmap: str = "Greys", ib_bound: bool = True,
                      ib_curve: Sequence[Row] | None = None, base: float = math.e,
                      legend: bool = True) -> Axes:
    """Information-plane trajectories, one line per run, coloured by ``color_by``.

    Parameters
    ----------
    rows : list of dict
        A table from :class:`InformationPlane` (several runs may be concatenated).
    ax : matplotlib Axes, optional
    axes : {"tishby", "kirsch", "ibinn"}
        Tishby: I(X;Z) against I(Z;Y). Kirsch: Preserved Information I(X;Z) against
        Residual Information I(X;Y|Z). IB-INN: the model's own cross-informations
        ``ci_xz`` against ``ci_zy`` (:meth:`infoplane.inn.IBINN.information_terms`).
    layer : str, optional
        Only rows of this layer (default: all, so pass it when several were recorded).
    color_by : str, optional
        Column whose value colours each run (default ``"gamma"`` or ``"beta"`` when
        present); values are ranked, so log-spaced grids spread over the colormap.
    cmap, epoch_cmap : str
        Colormaps of the runs and of the epoch dots (light = early).
    ib_bound : bool
        Draw the exact IB curve of deterministic labels (I(Z;Y) = min(I(X;Z), H[Y]),
        dashed) using the table's H[Y], and the bound I(X;Z) <= H(X) = ln n (dotted
        vertical line) when the table has ``h_x``: no estimate may lie right of it.
    ib_curve : list of dict, optional
        Records of :func:`infoplane.info.ib_curve` (columns ``i_xz`` and ``i_zy``, in
        nats) to overlay as well.
    base : float
        Units of the axes (e for nats, 2 for bits).
    legend : bool

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from infoplane.plane import plot_trajectories
    >>> rows = [{"run": "a", "gamma": 0.1, "epoch": e, "step": e, "i_xz": e, "i_zy": e / 2,
    ...          "i_xy_given_z": 2 - e / 2, "h_y": 2.0} for e in range(1, 4)]
    >>> plot_trajectories(rows, axes="kirsch").get_xlabel()
    'Preserved Information I(X;Z) [nats]'
    """
    import matplotlib.pyplot as plt

    rows = _check_rows(rows)
    if axes not in AXES:
        raise ValueError(f"axes: expected one of {sorted(AXES)}, got {axes!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 4))
    xkey, ykey, xlabel, ylabel = AXES[axes]
    scale, unit = unit_scale(base), unit_name(base)
    runs = _runs(rows, layer)
    key = _color_key(rows, color_by)
    colors = _run_colors(runs, key, cmap)
    max_epoch = max((r.get("epoch", 0) for rs in runs.values() for r in rs), default=1) or 1
    for name, rs in runs.items():
        xs = [r[xkey] * scale for r in rs]
        ys = [r[ykey] * scale for r in rs]
        label = f"{key}={rs[0][key]:g}" if key and key in rs[0] else name
        ax.plot(xs, ys, "-", color=colors[name], lw=1.5, alpha=0.9, label=label, zorder=2)
        ax.scatter(xs, ys, c=[r.get("epoch", 0) for r in rs], cmap=epoch_cmap, vmin=-0.2 * max_epoch,
                   vmax=max_epoch, s=14, edgecolors=colors[name], linewidths=0.6, zorder=3)
    h_ys = [r["h_y"] for rs in runs.values() for r in rs if "h_y" in r]
    if ib_bound and h_ys:
        h_y = max(h_ys) * scale
        right = max([ax.get_xlim()[1], h_y * 1.2])
        xs = np.linspace(0, right, 100)
        bound = np.maximum(h_y - xs, 0) if axes == "kirsch" else np.minimum(xs, h_y)
        ax.plot(xs, bound, "k--", lw=1, alpha=0.6, label="exact IB curve (deterministic Y)", zorder=1)
    h_xs = [r["h_x"] for rs in runs.values() for r in rs if "h_x" in r]
    if ib_bound and h_xs and xkey == "i_xz":
        ax.axvline(max(h_xs) * scale, color="k", ls=":", lw=1, alpha=0.7, label="H(X) = ln n", zorder=1)
    if ib_curve:
        pts = sorted(ib_curve, key=lambda r: r["i_xz"])
        xs = [r["i_xz"] * scale for r in pts]
        ys = [r["i_zy"] * scale for r in pts]
        if axes == "kirsch":
            i_xy = max(r["i_zy"] for r in pts) * scale
            ys = [i_xy - v for v in ys]
        ax.plot(xs, ys, ":", color="crimson", lw=1.5, label="IB curve", zorder=1)
    ax.set_xlabel(f"{xlabel} [{unit}]")
    ax.set_ylabel(f"{ylabel} [{unit}]")
    if legend and runs:
        ax.legend(fontsize=7, loc="best")
    return ax


def plot_entropies(rows: Sequence[Row], quantity: str = "h_z", ax: Axes | None = None,
                   layer: str | None = None, color_by: str | None = None, cmap: str = "viridis",
                   base: float = math.e, legend: bool = True) -> Axes:
    """One column of the table against the epoch, one line per run.

    Parameters
    ----------
    rows : list of dict
    quantity : str
        A column, e.g. ``"h_z"``, ``"h_z_given_y"``, ``"i_zy"``, ``"test_accuracy"``.
    ax, layer, color_by, cmap, base, legend
        As in :func:`plot_trajectories` (accuracies are not rescaled by ``base``).

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from infoplane.plane import plot_entropies
    >>> rows = [{"run": "a", "epoch": e, "h_z": 3.0 - e} for e in range(3)]
    >>> plot_entropies(rows).get_ylabel()
    'H[Z] [nats]'
    """
    import matplotlib.pyplot as plt

    rows = _check_rows(rows)
    if not isinstance(quantity, str):
        raise ValueError(f"quantity: expected a column name such as 'h_z', got {quantity!r}")
    if ax is None:
        _, ax = plt.subplots(figsize=(5, 3.5))
    runs = _runs(rows, layer)
    if not any(quantity in r for rs in runs.values() for r in rs):
        raise ValueError(f"quantity: no row has a column {quantity!r}")
    key = _color_key(rows, color_by)
    colors = _run_colors(runs, key, cmap)
    is_info = quantity not in ("train_accuracy", "test_accuracy")
    scale, unit = (unit_scale(base), unit_name(base)) if is_info else (1.0, "")
    for name, rs in runs.items():
        pts = [(r.get("epoch", 0), r[quantity] * scale) for r in rs if quantity in r]
        label = f"{key}={rs[0][key]:g}" if key and key in rs[0] else name
        ax.plot([p[0] for p in pts], [p[1] for p in pts], "-o", ms=2.5, color=colors[name], label=label)
    ax.set_xlabel("epoch")
    ax.set_ylabel(f"{LABELS.get(quantity, quantity)} [{unit if is_info else 'fraction'}]")
    if legend and runs:
        ax.legend(fontsize=7, loc="best")
    return ax


def comparison_figure(rows: Sequence[Row], objectives: Sequence[str] | None = None,
                      layer: str | None = None, base: float = math.e, title: str | None = None) -> Figure:
    """The figure of ``infoplane compare``: one row of panels per objective.

    Columns: Tishby plane, Kirsch plane, H[Z] and H[Z|Y] against the epoch, test
    accuracy against the epoch (train accuracy when no test data were recorded). The
    figure's title names the estimator(s) and the noise of the table's rows, and the
    bounds ln n and H[Y] they respect (:func:`describe_estimates`), below ``title`` when
    given. Rows with a model's own exact terms (``ci_xz``, ``ci_zy``: the IB-INN) show
    those in the first panel and the estimated Tishby plane in the second.

    Returns
    -------
    matplotlib Figure

    Examples
    --------
    >>> from infoplane.plane import comparison_figure
    >>> rows = [{"run": f"ib-{g}", "objective": "ib", "gamma": g, "epoch": e, "i_xz": e * g,
    ...          "i_zy": e / 4, "i_xy_given_z": 1 - e / 4, "h_z": e * g, "h_z_given_y": 0.0,
    ...          "h_y": 1.0, "train_accuracy": 0.5} for g in (0.1, 1.0) for e in range(1, 4)]
    >>> fig = comparison_figure(rows)
    >>> len(fig.axes), fig.texts[0].get_text().split(";")[0]
    (5, 'estimator: unknown')
    """
    import matplotlib.pyplot as plt

    rows = _check_rows(rows)
    if objectives is None:
        objectives = list(dict.fromkeys(r.get("objective", "run") for r in rows))
    objectives = list(objectives)
    if not objectives:
        raise ValueError("rows: the table is empty")
    fig, axs = plt.subplots(len(objectives), 5, figsize=(22, 3.8 * len(objectives)), squeeze=False)
    for i, objective in enumerate(objectives):
        sub = [r for r in rows if r.get("objective", "run") == objective]
        if not sub:
            raise ValueError(f"objectives: no rows for objective {objective!r}")
        acc = "test_accuracy" if any("test_accuracy" in r for r in sub) else "train_accuracy"
        name = objective.upper()
        own = all("ci_xz" in r and "ci_zy" in r for r in sub)   # a model with its own exact terms
        first, second = ("ibinn", "tishby") if own else ("tishby", "kirsch")
        plot_trajectories(sub, ax=axs[i, 0], axes=first, layer=layer, base=base)
        plot_trajectories(sub, ax=axs[i, 1], axes=second, layer=layer, base=base, legend=False)
        plot_entropies(sub, "h_z", ax=axs[i, 2], layer=layer, base=base, legend=False)
        plot_entropies(sub, "h_z_given_y", ax=axs[i, 3], layer=layer, base=base, legend=False)
        plot_entropies(sub, acc, ax=axs[i, 4], layer=layer, legend=False)
        titles = (("its own exact terms (cross-informations)" if own else "information plane (Tishby axes)"),
                  ("estimated plane (Tishby axes)" if own else "information plane (Kirsch axes)"),
                  "latent entropy", "conditional latent entropy", acc.replace("_", " "))
        for j, panel in enumerate(titles):
            axs[i, j].set_title(f"{name}: {panel}", fontsize=10)
    lines = ([title] if title else []) + [describe_estimates(rows, base)]
    fig.suptitle("\n".join(lines), fontsize=10)
    fig.tight_layout(rect=(0, 0, 1, 1 - 0.2 * len(lines) / fig.get_figheight()))   # 0.2 inch a line
    return fig


#: What each estimator name of the recorder is, for titles.
ESTIMATOR_DESCRIPTIONS = {
    "mixture": "exact Gaussian mixture of the noise law (Monte Carlo)",
    "kl": "Kozachenko-Leonenko k-NN entropies",
    "gaussian": "Gaussian log-determinant bounds",
    "binning": "binned activations",
    "kde": "pairwise-distance (KDE) mixture bound",
}


def describe_estimates(rows: Sequence[Row], base: float = math.e) -> str:
    """One line saying which estimator drew the table, with which noise, and its bounds.

    Examples
    --------
    >>> from infoplane.plane import describe_estimates
    >>> text = describe_estimates([{"estimator": "mixture", "noise": "model", "h_x": 6.3969,
    ...                             "h_y": 2.3026, "i_xz": 5.1, "i_xz_se": 0.01}])
    >>> for part in text.split("; "):
    ...     print(part)
    estimator: mixture (exact Gaussian mixture of the noise law (Monte Carlo)), noise: model
    I(X;Z) <= H(X) = ln n = 6.40, I(Z;Y) <= H[Y] = 2.30 nats
    largest I(X;Z) 5.10 ± 0.01
    """
    rows = _check_rows(rows)
    scale, unit = unit_scale(base), unit_name(base)
    names = list(dict.fromkeys(str(r.get("estimator", "unknown")) for r in rows))
    text = "estimator: " + ", ".join(
        f"{n} ({ESTIMATOR_DESCRIPTIONS[n]})" if n in ESTIMATOR_DESCRIPTIONS else n for n in names)
    noises = list(dict.fromkeys(str(r["noise"]) for r in rows if "noise" in r))
    if noises:
        text += ", noise: " + ", ".join(noises)
    bounds = []
    h_xs = [r["h_x"] for r in rows if "h_x" in r]
    h_ys = [r["h_y"] for r in rows if "h_y" in r]
    if h_xs:
        bounds.append(f"I(X;Z) <= H(X) = ln n = {max(h_xs) * scale:.2f}")
    if h_ys:
        bounds.append(f"I(Z;Y) <= H[Y] = {max(h_ys) * scale:.2f}")
    if bounds:
        text += "; " + ", ".join(bounds) + f" {unit}"
    top = max((r for r in rows if "i_xz" in r), key=lambda r: r["i_xz"], default=None)
    if top is not None:
        se = f" ± {top['i_xz_se'] * scale:.2f}" if "i_xz_se" in top else ""
        text += f"; largest I(X;Z) {top['i_xz'] * scale:.2f}{se}"
    return text
