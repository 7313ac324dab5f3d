"""Yeung's I-measure on a distribution: its atoms, the Mickey Mouse quantities, I-diagrams.

Yeung (1991) gives a signed measure mu* on abstract sets, one set per variable, with
(Kirsch et al. sec. 2.1) ``H[A1,..,An | B1,..,Bm] = mu*(A1 u .. u An - (B1 u .. u Bm))``
and ``I[A1; ..; An | B1,..,Bm] = mu*(A1 n .. n An - (B1 u .. u Bm))``. For n variables
the 2**n - 1 *atoms* ``mu*(n_{i in S} X_i - u_{j not in S} X_j)`` (S non-empty)
partition every such set; :func:`atoms` computes them all. An atom's value is a
conditional co-information, found by Moebius inversion over the joint entropies of the
subsets (``I[S | R] = -sum_{T subset S} (-1)^|T| H[T u R]``). The expression language
(``"I[X;Y|Z]"``, :func:`~infoplane.info.evaluate`, :func:`~infoplane.info.decompose`,
:func:`~infoplane.info.identical`) lives in :mod:`infoplane.info.expressions`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import ArrayLike

from infoplane._units import from_nats, unit_name
from infoplane._validation import check_base, real_array
from infoplane.info.distribution import Distribution, as_distribution
from infoplane.info.expressions import atom_label, atom_masks, decompose, evaluate, parse_expression
from infoplane.info.measures import co_information_from_entropies, subset_entropies

if TYPE_CHECKING:
    from matplotlib.axes import Axes

__all__ = ["MICKEY_MOUSE", "atoms", "mickey_mouse", "plot_atoms", "plot_idiagram"]


def atoms(dist: Distribution, base: float = math.e) -> dict[str, float]:
    """Every atom of Yeung's I-measure for the variables of ``dist`` (2**n - 1 values).

    Parameters
    ----------
    dist : Distribution
        Any number of variables (fast for n <= 5; cost grows as 3**n).
    base : float
        Logarithm base (``math.e``: nats, 2: bits).

    Returns
    -------
    dict
        Atom label (``"H[X|Y,Z]"``, ``"I[X;Y|Z]"``, ``"I[X;Y;Z]"``, ...) to value, ordered
        by the number of variables in the intersection. Values of atoms with two or more
        variables in the intersection can be negative (only the centre atom for n = 3).

    Examples
    --------
    >>> from infoplane.info import examples
    >>> {k: round(v, 6) for k, v in atoms(examples.xor(), base=2).items()}["I[X;Y;Z]"]
    -1.0
    """
    dist = as_distribution(dist)
    base = check_base(base)
    h = subset_entropies(dist)
    n = dist.ndim
    full = (1 << n) - 1
    out = {}
    for s in atom_masks(n):
        members = [i for i in range(n) if s >> i & 1]
        value = co_information_from_entropies(h, [1 << i for i in members], full & ~s)
        out[atom_label([dist.names[i] for i in members], dist.names)] = from_nats(value, base)
    return out



# --------------------------------------------------------------------- Mickey Mouse diagram
#: The named quantities of the "Mickey Mouse" I-diagram (Kirsch et al. sec. 3.2, fig. 2)
#: for data X, label Y and latent Z with p(x, y, z) = p(x, y) p(z | x).
MICKEY_MOUSE = {
    "Relevant Information": "I[X;Y]",
    "Preserved Information": "I[X;Z]",
    "Residual Information": "I[X;Y|Z]",
    "Redundant Information": "I[X;Z|Y]",
    "Preserved Relevant Information": "I[Y;Z]",
    "Decoder Uncertainty": "H[Y|Z]",
    "Reverse Decoder Uncertainty": "H[Z|Y]",
    "Label Uncertainty": "H[Y|X]",
    "Encoding Uncertainty": "H[Z|X]",
    "Nuisance": "H[X|Y]",
}


def mickey_mouse(pxy: Distribution | ArrayLike, encoder: ArrayLike, base: float = math.e) -> dict[str, float]:
    """The named quantities of the Mickey Mouse I-diagram for p(x, y) and an encoder p(z|x).

    The joint is ``p(x, y, z) = p(x, y) p(z | x)`` (Kirsch et al. eq. 1), so
    ``I[Y;Z|X] = 0`` and every quantity below is non-negative. The expressions are in
    :data:`MICKEY_MOUSE`: Relevant ``I[X;Y]``, Preserved ``I[X;Z]``, Residual
    ``I[X;Y|Z]``, Redundant ``I[X;Z|Y]``, Preserved Relevant ``I[Y;Z]`` Information;
    Decoder ``H[Y|Z]``, Reverse Decoder ``H[Z|Y]``, Label ``H[Y|X]`` and Encoding
    ``H[Z|X]`` Uncertainty; Nuisance ``H[X|Y]``.

    Parameters
    ----------
    pxy : array_like of shape (n_x, n_y) or Distribution of two variables
        Data and label distribution (a Distribution's variables are renamed X, Y).
    encoder : array_like of shape (n_x, n_z)
        ``encoder[x, z] = p(z | x)``; rows sum to 1.
    base : float
        Units (``math.e``: nats, 2: bits).

    Returns
    -------
    dict
        Quantity name to value.

    Examples
    --------
    >>> import numpy as np
    >>> pxy = np.array([[0.25, 0.0], [0.25, 0.0], [0.0, 0.5]])
    >>> q = mickey_mouse(pxy, encoder=np.eye(3), base=2)
    >>> round(q["Preserved Information"], 6), round(q["Residual Information"], 6)
    (1.5, 0.0)
    """
    arr = pxy.pmf if isinstance(pxy, Distribution) else real_array(pxy, "pxy")
    if arr.ndim != 2:
        raise ValueError(f"pxy: expected a joint pmf of two variables, got shape {arr.shape}")
    try:
        joint = Distribution(arr, "XY")
    except ValueError as err:
        raise ValueError(f"pxy: {err}") from None
    try:
        joint = joint.add_channel(encoder, given="X", name="Z")
    except ValueError as err:
        raise ValueError(f"encoder: {err}") from None
    return {name: evaluate(joint, expr, base=base) for name, expr in MICKEY_MOUSE.items()}


# --------------------------------------------------------------------- drawings
_CIRCLES = {
    2: [(-0.55, 0.0), (0.55, 0.0)],
    3: [(-0.55, 0.35), (0.55, 0.35), (0.0, -0.6)],
}


def _check_shade(shade: str | None, dist: Distribution) -> None:
    if shade is None:
        return
    _, terms = parse_expression(shade, name="shade")
    unknown = sorted({n for t in terms.values() for n in t.variables} - set(dist.names))
    if unknown:
        raise ValueError(f"shade: variables {unknown} are not in the distribution {dist.names}")


def _region_masks(n: int, resolution: int) -> tuple[np.ndarray, np.ndarray, dict[int, np.ndarray]]:
    centres = _CIRCLES[n]
    xs = np.linspace(-1.8, 1.8, resolution)
    ys = np.linspace(-1.8, 1.5, resolution)
    xx, yy = np.meshgrid(xs, ys)
    inside = [(xx - cx) ** 2 + (yy - cy) ** 2 <= 1.0 for cx, cy in centres]
    regions = {}
    for s in range(1, 1 << n):
        m = np.ones_like(xx, dtype=bool)
        for i in range(n):
            m &= inside[i] if s >> i & 1 else ~inside[i]
        regions[s] = m
    return xx, yy, regions


def _label_point(xx: np.ndarray, yy: np.ndarray, mask: np.ndarray) -> tuple[float, float]:
    from scipy.ndimage import distance_transform_edt

    depth = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    j = np.unravel_index(np.argmax(depth), depth.shape)
    return xx[j], yy[j]


_POSITIVE, _NEGATIVE = (0.2, 0.45, 0.85), (0.95, 0.55, 0.1)


def _add_key(ax: Axes, negative_atoms: bool, signs: set[bool], shade: str | None, drawn: str) -> None:
    """A legend under ``ax`` for what the figure marks: negative atoms and the shaded expression."""
    from matplotlib.patches import Patch

    handles = []
    if negative_atoms:
        handles.append(Patch(facecolor="white" if drawn == "filled" else "tab:red", edgecolor="tab:red",
                             hatch="///", label="negative atom"))
    for positive in (True, False):
        if positive in signs:
            colour = _POSITIVE if positive else _NEGATIVE
            sign = "+" if positive else "-"
            patch = (Patch(facecolor=colour + (0.45,), edgecolor="none") if drawn == "filled"
                     else Patch(facecolor="tab:gray", edgecolor=colour, linewidth=2.5))
            patch.set_label(f"in {shade} with coefficient {sign}")
            handles.append(patch)
    if handles:
        ax.legend(handles=handles, loc="upper center", bbox_to_anchor=(0.5, 0.0), fontsize=8, frameon=False,
                  ncol=min(len(handles), 2))


def plot_idiagram(dist: Distribution, shade: str | None = None, ax: Axes | None = None, base: float = 2.0,
                  decimals: int = 2, resolution: int = 400) -> Axes:
    """Draw the I-diagram of a 2- or 3-variable distribution with each atom's value.

    Negative atoms are hatched in red and their values written in red. ``shade`` fills
    the atoms of an expression (blue where its coefficient is positive, orange where
    negative), so ``shade="I[X;Y]"`` shows that I[X;Y] = I[X;Y|Z] + I[X;Y;Z]. A key under
    the diagram names the marks the figure uses. For more than three variables this
    draws :func:`plot_atoms` instead.

    Parameters
    ----------
    dist : Distribution
    shade : str, optional
        An expression as in :func:`evaluate`; it is also shown in the title with its value.
    ax : matplotlib Axes, optional
    base : float
        Units of the written values (default bits).
    decimals : int
        Digits after the decimal point.
    resolution : int
        Grid points per axis for the filled regions.

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> from infoplane.info import examples
    >>> ax = plot_idiagram(examples.xor(), shade="I[X;Y]")
    >>> any(t.get_text() == "-1.00" for t in ax.texts)
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    dist = as_distribution(dist)
    base = check_base(base)
    _check_shade(shade, dist)
    n = dist.ndim
    if n > 3:
        return plot_atoms(dist, shade=shade, ax=ax, base=base, decimals=decimals)
    if n < 2:
        raise ValueError(f"dist: an I-diagram needs 2 or 3 variables, got {n}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.0))
    values = list(atoms(dist, base=base).values())
    order = atom_masks(n)
    value_of = dict(zip(order, values, strict=True))
    xx, yy, regions = _region_masks(n, resolution)
    extent = (xx.min(), xx.max(), yy.min(), yy.max())
    if shade is not None:
        coeffs = decompose(shade, names=dist.names)
        label_to_mask = {atom_label([dist.names[i] for i in range(n) if m >> i & 1], dist.names): m
                         for m in order}
        rgba = np.zeros(xx.shape + (4,))
        for label, c in coeffs.items():
            c = float(c)
            colour = _POSITIVE if c > 0 else _NEGATIVE
            rgba[regions[label_to_mask[label]]] = colour + (min(0.25 + 0.2 * abs(c), 0.75),)
        ax.imshow(rgba, origin="lower", extent=extent, interpolation="nearest", zorder=0)
    for m, v in value_of.items():
        if v < -10 ** (-decimals) / 2:
            cs = ax.contourf(xx, yy, regions[m].astype(float), levels=[0.5, 1.5], colors="none",
                             hatches=["///"], zorder=1)
            cs.set_edgecolor("tab:red")
            cs.set_linewidth(0.0)
    for m, v in value_of.items():
        px, py = _label_point(xx, yy, regions[m])
        negative = v < -10 ** (-decimals) / 2
        ax.text(px, py, f"{v:.{decimals}f}", ha="center", va="center", fontsize=10,
                color="tab:red" if negative else "black", fontweight="bold" if negative else "normal",
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.7}, zorder=3)
    for i, (cx, cy) in enumerate(_CIRCLES[n]):
        ax.add_patch(Circle((cx, cy), 1.0, fill=False, lw=1.5, zorder=2))
        dx, dy = (cx, cy) if n == 3 else (cx, 0.0)
        norm = math.hypot(dx, dy) or 1.0
        ax.text(cx + 1.12 * dx / norm * (1 if n == 3 else 1), cy + 1.12 * dy / norm + (0.95 if n == 2 else 0),
                dist.names[i], ha="center", va="center", fontsize=13, fontweight="bold")
    ax.set_xlim(extent[0], extent[1])
    ax.set_ylim(extent[2], extent[3])
    ax.set_aspect("equal")
    ax.axis("off")
    signs = {float(c) > 0 for c in coeffs.values()} if shade is not None else set()
    _add_key(ax, any(v < -10 ** (-decimals) / 2 for v in values), signs, shade, "filled")
    title = f"I-diagram [{unit_name(base)}]"
    if shade is not None:
        title = f"{shade} = {evaluate(dist, shade, base=base):.{decimals}f} {unit_name(base)} (shaded)"
    ax.set_title(title, fontsize=10)
    return ax


def plot_atoms(dist: Distribution, shade: str | None = None, ax: Axes | None = None, base: float = 2.0,
               decimals: int = 2) -> Axes:
    """UpSet-style bar chart of all 2**n - 1 atoms (for any n, meant for n > 3).

    One bar per atom, grouped by how many variables its intersection has; negative
    atoms are red and hatched. A dot matrix under the bars shows each atom's
    intersection (filled dots) and the conditioned variables (open dots). ``shade``
    outlines the atoms of an expression in blue (positive coefficient) or orange. A key
    under the dot matrix names the marks the figure uses.

    Parameters
    ----------
    dist : Distribution
    shade : str, optional
    ax : matplotlib Axes, optional
        The bars go here; the dot matrix in an inset axes below it.
    base : float
    decimals : int

    Returns
    -------
    matplotlib Axes

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.info import Distribution
    >>> d = Distribution(np.full((2, 2, 2, 2), 1 / 16), "ABCD")
    >>> len(plot_atoms(d).patches)
    15
    """
    import matplotlib.pyplot as plt

    dist = as_distribution(dist)
    base = check_base(base)
    _check_shade(shade, dist)
    n = dist.ndim
    values = atoms(dist, base=base)
    labels = list(values)
    order = atom_masks(n)
    if ax is None:
        _, ax = plt.subplots(figsize=(max(4.0, 0.32 * len(labels) + 1.5), 4.0))
    coeffs = decompose(shade, names=dist.names) if shade is not None else {}
    x = np.arange(len(labels))
    heights = np.array([values[k] for k in labels])
    neg = heights < -10 ** (-decimals) / 2
    bars = ax.bar(x, heights, color=np.where(neg, "tab:red", "tab:gray"), width=0.7)
    for bar, is_neg, label in zip(bars, neg, labels, strict=True):
        if is_neg:
            bar.set_hatch("///")
        if label in coeffs:
            bar.set_edgecolor(_POSITIVE if float(coeffs[label]) > 0 else _NEGATIVE)
            bar.set_linewidth(2.5)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels([])
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylabel(f"atom value [{unit_name(base)}]")
    title = "I-measure atoms"
    if shade is not None:
        title = f"{shade} = {evaluate(dist, shade, base=base):.{decimals}f} {unit_name(base)} (outlined)"
    ax.set_title(title, fontsize=10)
    matrix = ax.inset_axes([0.0, -0.06 - 0.07 * n, 1.0, 0.07 * n], sharex=ax)
    for j, m in enumerate(order):
        members = [i for i in range(n) if m >> i & 1]
        rest = [i for i in range(n) if not m >> i & 1]
        matrix.scatter([j] * len(rest), rest, s=25, facecolors="white", edgecolors="gray")
        matrix.scatter([j] * len(members), members, s=30, color="black")
        if len(members) > 1:
            matrix.plot([j, j], [min(members), max(members)], color="black", lw=1.2)
    matrix.set_yticks(range(n))
    matrix.set_yticklabels(dist.names)
    matrix.set_ylim(n - 0.5, -0.5)
    matrix.tick_params(axis="x", which="both", bottom=False, labelbottom=False)
    for side in ("top", "right", "bottom"):
        matrix.spines[side].set_visible(False)
    _add_key(matrix, bool(neg.any()), {float(c) > 0 for c in coeffs.values()}, shade, "bars")
    return ax
