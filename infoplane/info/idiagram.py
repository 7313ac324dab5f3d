"""Yeung's I-measure: atoms, ``"I[X;Y|Z]"`` expressions, symbolic identities, drawings.

Yeung (1991) gives a signed measure mu* on abstract sets, one set per variable, with
(Kirsch et al. sec. 2.1)

* ``H[A1,..,An | B1,..,Bm] = mu*(A1 u .. u An - (B1 u .. u Bm))``
* ``I[A1; ..; An | B1,..,Bm] = mu*(A1 n .. n An - (B1 u .. u Bm))``

For n variables the 2**n - 1 *atoms* ``mu*(n_{i in S} X_i - u_{j not in S} X_j)``
(S non-empty) partition every such set. Atom labels name them as quantities:
``"H[X|Y,Z]"`` (S = {X}), ``"I[X;Y|Z]"`` (S = {X, Y}), ``"I[X;Y;Z]"`` (S = all three).
An atom's value is a conditional co-information, found by Moebius inversion over the
joint entropies of the subsets (``I[S | R] = -sum_{T subset S} (-1)^|T| H[T u R]``).

Expressions are sums of terms ``H[...]`` and ``I[...]`` with numeric or symbolic
coefficients, e.g. ``"H[X] + H[Y] - H[X,Y]"``, ``"2*I[X;Y|Z]"`` or
``"I[X;Z] - beta*I[Y;Z]"``. Inside brackets, ``;`` separates the arguments of a (co-)
information, ``,`` joins variables into one, ``|`` starts the condition.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np
import sympy

from infoplane._validation import check_base
from infoplane.info.distribution import Distribution, as_distribution, parse_names
from infoplane.info.measures import _co_information_nats, _LazyEntropies, subset_entropies

_TERM = re.compile(r"\b([HI])\s*\[([^\]]*)\]")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Term:
    """One ``H[...]`` or ``I[...]``: the I-measure of ``n groups - given``."""

    groups: tuple[tuple[str, ...], ...]
    given: tuple[str, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        out: list[str] = []
        for g in self.groups + (self.given,):
            out += [n for n in g if n not in out]
        return tuple(out)


def _split_names(text: str, where: str) -> tuple[str, ...]:
    parts = [p.strip() for p in text.split(",")]
    if any(not p for p in parts):
        raise ValueError(f"expr: empty variable name in {where!r}")
    return parse_names(parts, "expr")


def parse_term(kind: str, inside: str) -> Term:
    """Parse the bracket of ``H[...]`` / ``I[...]`` into a :class:`Term`, or raise ValueError."""
    text = f"{kind}[{inside}]"
    if inside.count("|") > 1:
        raise ValueError(f"expr: more than one '|' in {text!r}")
    left, _, cond = inside.partition("|")
    given = _split_names(cond, text) if cond.strip() else ()
    groups = tuple(_split_names(g, text) for g in left.split(";"))
    if kind == "H" and len(groups) != 1:
        raise ValueError(f"expr: H[...] takes one (joint) variable, use I[...;...] in {text!r}")
    if kind == "I" and len(groups) < 2:
        raise ValueError(f"expr: I[...] needs at least two arguments separated by ';' in {text!r}")
    return Term(groups, given)


def parse_expression(expr: str):
    """Parse ``expr`` into ``(sympy expression, {placeholder symbol: Term})``.

    Terms become placeholder symbols; any other identifier (``beta``) becomes a free
    symbol, so coefficients may be symbolic.
    """
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(f"expr: expected a non-empty string, got {expr!r}")
    terms: dict[sympy.Symbol, Term] = {}
    pieces, last = [], 0
    for k, m in enumerate(_TERM.finditer(expr)):
        sym = sympy.Symbol(f"_term{k}")
        terms[sym] = parse_term(m.group(1), m.group(2))
        pieces += [expr[last:m.start()], f" _term{k} "]
        last = m.end()
    pieces.append(expr[last:])
    rest = "".join(pieces)
    if "[" in rest or "]" in rest:
        raise ValueError(f"expr: unmatched brackets or an unknown quantity in {expr!r} (use H[..], I[..])")
    local = {name: sympy.Symbol(name) for name in _IDENT.findall(rest)}
    try:
        parsed = sympy.parsing.sympy_parser.parse_expr(rest, local_dict=local, evaluate=True)
    except Exception as err:  # sympy raises many kinds on bad syntax
        raise ValueError(f"expr: cannot parse {expr!r} ({err})") from None
    if not terms:
        raise ValueError(f"expr: no H[...] or I[...] term in {expr!r}")
    return sympy.sympify(parsed), terms


def atom_label(members, names) -> str:
    """The label of the atom with intersection ``members``, the rest of ``names`` conditioned on.

    Examples
    --------
    >>> atom_label(["X", "Z"], "XYZ"), atom_label(["Y"], "XYZ")
    ('I[X;Z|Y]', 'H[Y|X,Z]')
    """
    names = parse_names(names)
    members = [n for n in names if n in set(members)]
    rest = [n for n in names if n not in members]
    head = ("H[" if len(members) == 1 else "I[") + ";".join(members)
    return head + ("|" + ",".join(rest) if rest else "") + "]"


def _term_atom_masks(term: Term, names: tuple[str, ...]) -> list[int]:
    index = {n: i for i, n in enumerate(names)}
    gmasks = [sum(1 << index[n] for n in g) for g in term.groups]
    cmask = sum(1 << index[n] for n in term.given)
    return [s for s in range(1, 1 << len(names))
            if not s & cmask and all(s & g for g in gmasks)]


def _atom_symbols(names):
    return {s: sympy.Symbol(atom_label([names[i] for i in range(len(names)) if s >> i & 1], names))
            for s in range(1, 1 << len(names))}


def _collect_names(*term_dicts) -> tuple[str, ...]:
    out: list[str] = []
    for terms in term_dicts:
        for t in terms.values():
            out += [n for n in t.variables if n not in out]
    return tuple(out)


def _in_atoms(parsed, terms, names):
    symbols = _atom_symbols(names)
    subs = {sym: sum((symbols[s] for s in _term_atom_masks(t, names)), sympy.Integer(0))
            for sym, t in terms.items()}
    return sympy.expand(parsed.subs(subs)), symbols


def decompose(expr: str, names=None) -> dict:
    """The atoms an expression is made of: ``{atom label: coefficient}`` (non-zero only).

    Parameters
    ----------
    expr : str
        An expression such as ``"I[X;Y]"`` or ``"H[X] + H[Y] - H[X,Y]"``.
    names : str or sequence of str, optional
        All variables of the diagram (default: those in ``expr``, in order of appearance).

    Returns
    -------
    dict
        Atom label to coefficient (an int, or a sympy expression for symbolic ones).

    Examples
    --------
    >>> decompose("I[X;Y]", names="XYZ")
    {'I[X;Y|Z]': 1, 'I[X;Y;Z]': 1}
    >>> decompose("H[X] + H[Y] - H[X,Y]")
    {'I[X;Y]': 1}
    """
    parsed, terms = parse_expression(expr)
    used = _collect_names(terms)
    names = used if names is None else parse_names(names)
    missing = [n for n in used if n not in names]
    if missing:
        raise ValueError(f"names: the expression uses variables {missing} not in {names}")
    combo, symbols = _in_atoms(parsed, terms, names)
    out = {}
    for s in sorted(symbols, key=lambda m: (bin(m).count("1"), m)):
        c = sympy.simplify(combo.coeff(symbols[s]))
        if c != 0:
            out[str(symbols[s])] = int(c) if c.is_Integer else c
    return out


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
    >>> from infoplane.info import Distribution
    >>> xor = Distribution.from_samples([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")
    >>> {k: round(v, 6) for k, v in atoms(xor, base=2).items()}["I[X;Y;Z]"]
    -1.0
    """
    dist = as_distribution(dist)
    base = check_base(base)
    h = subset_entropies(dist)
    n = dist.ndim
    full = (1 << n) - 1
    out = {}
    for s in sorted(range(1, full + 1), key=lambda m: (bin(m).count("1"), m)):
        members = [i for i in range(n) if s >> i & 1]
        value = _co_information_nats(h, [1 << i for i in members], full & ~s)
        out[atom_label([dist.names[i] for i in members], dist.names)] = value / math.log(base) + 0.0
    return out


def evaluate(dist: Distribution, expr: str, base: float = math.e) -> float:
    """The value of an information expression on ``dist`` (units of ``base``).

    Parameters
    ----------
    dist : Distribution
    expr : str
        Terms ``H[...]`` / ``I[...]`` combined with ``+ - * /`` and numbers, e.g.
        ``"I[X;Y|Z]"``, ``"H[X,Y|Z]"``, ``"I[X;Y;Z]"`` (co-information, Yeung's sign),
        ``"H[X] + H[Y] - H[X,Y]"``, ``"2*H[X] - I[X;Y]"``. Use :func:`decompose` for the
        atoms it is made of.
    base : float
        ``math.e`` (nats, default) or 2 (bits), ...

    Examples
    --------
    >>> from infoplane.info import Distribution
    >>> d = Distribution([[0.5, 0.0], [0.0, 0.5]], "XY")
    >>> evaluate(d, "H[X] + H[Y] - H[X,Y]", base=2)
    1.0
    """
    dist = as_distribution(dist)
    base = check_base(base)
    parsed, terms = parse_expression(expr)
    unknown = [n for n in _collect_names(terms) if n not in dist.names]
    if unknown:
        raise ValueError(f"expr: variables {unknown} are not in the distribution {dist.names}")
    h = _LazyEntropies(dist.pmf)
    index = {n: i for i, n in enumerate(dist.names)}
    values = {}
    for sym, t in terms.items():
        masks = [sum(1 << index[n] for n in g) for g in t.groups]
        values[sym] = _co_information_nats(h, masks, sum(1 << index[n] for n in t.given))
    result = parsed.subs(values)
    if result.free_symbols:
        raise ValueError(f"expr: symbols {sorted(map(str, result.free_symbols))} have no value")
    value = float(result)
    if not np.isfinite(value):
        raise ValueError(f"expr: {expr!r} does not evaluate to a finite number")
    return value / math.log(base) + 0.0


def identical(expr_a: str, expr_b: str, assume=()) -> bool:
    """Whether two expressions are the same combination of I-measure atoms.

    Both sides are expanded into atoms over all variables they (and the assumptions)
    mention; each assumption ``"lhs = rhs"`` is a linear equation among atoms that is
    solved and substituted. The answer is exact (sympy), valid for every distribution
    (satisfying the assumptions), and symbolic coefficients such as ``beta`` are
    allowed.

    Parameters
    ----------
    expr_a, expr_b : str
        Expressions as in :func:`evaluate`.
    assume : sequence of str
        Equalities, e.g. ``("I[Y;Z|X] = 0",)`` for the Markov chain Y - X - Z.

    Returns
    -------
    bool

    Examples
    --------
    >>> identical("I[X;Y]", "H[X] - H[X|Y]")
    True
    >>> identical("I[Y;Z]", "I[X;Y;Z]")
    False
    >>> identical("I[Y;Z]", "I[X;Y;Z]", assume=("I[Y;Z|X] = 0",))
    True
    """
    if isinstance(assume, str):
        assume = (assume,)
    pa, ta = parse_expression(expr_a)
    pb, tb = parse_expression(expr_b)
    equations = []
    for k, statement in enumerate(assume):
        if not isinstance(statement, str) or statement.replace("==", "=").count("=") != 1:
            raise ValueError(f"assume: item {k} must be one equality 'lhs = rhs', got {statement!r}")
        lhs, rhs = (s for s in statement.replace("==", "=").split("="))
        pl, tl = parse_expression(lhs) if _TERM.search(lhs) else (sympy.sympify(lhs), {})
        pr, tr = parse_expression(rhs) if _TERM.search(rhs) else (sympy.sympify(rhs), {})
        equations.append((pl, tl, pr, tr))
    all_terms = [ta, tb] + [t for eq in equations for t in (eq[1], eq[3])]
    names = _collect_names(*all_terms)
    a, symbols = _in_atoms(pa, ta, names)
    b, _ = _in_atoms(pb, tb, names)
    atom_syms = set(symbols.values())
    substitutions: dict = {}
    for k, (pl, tl, pr, tr) in enumerate(equations):
        eq = _in_atoms(pl, tl, names)[0] - _in_atoms(pr, tr, names)[0]
        eq = sympy.expand(eq.subs(substitutions))
        present = sorted(eq.free_symbols & atom_syms, key=str)
        if not present:
            if sympy.simplify(eq) != 0:
                raise ValueError(f"assume: item {k} ({assume[k]!r}) contradicts the earlier ones")
            continue
        target = next((s for s in present if eq.coeff(s).is_number), present[0])
        solution = sympy.solve(eq, target)[0]
        substitutions = {t: sympy.expand(v.subs(target, solution)) for t, v in substitutions.items()}
        substitutions[target] = solution
    return bool(sympy.simplify(a.subs(substitutions) - b.subs(substitutions)) == 0)


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


def mickey_mouse(pxy, encoder, base: float = math.e) -> dict[str, float]:
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
    arr = pxy.pmf if isinstance(pxy, Distribution) else np.asarray(pxy, dtype=float)
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


def _unit(base: float) -> str:
    return "bits" if base == 2 else "nats" if abs(base - math.e) < 1e-12 else f"log base {base:g}"


def _region_masks(n: int, resolution: int):
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


def _label_point(xx, yy, mask):
    from scipy.ndimage import distance_transform_edt

    depth = distance_transform_edt(np.pad(mask, 1))[1:-1, 1:-1]
    j = np.unravel_index(np.argmax(depth), depth.shape)
    return xx[j], yy[j]


def plot_idiagram(dist: Distribution, shade: str | None = None, ax=None, base: float = 2.0,
                  decimals: int = 2, resolution: int = 400):
    """Draw the I-diagram of a 2- or 3-variable distribution with each atom's value.

    Negative atoms are hatched in red and their values written in red. ``shade`` fills
    the atoms of an expression (blue where its coefficient is positive, orange where
    negative), so ``shade="I[X;Y]"`` shows that I[X;Y] = I[X;Y|Z] + I[X;Y;Z]. For more
    than three variables this draws :func:`plot_atoms` instead.

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
    >>> from infoplane.info import Distribution
    >>> xor = Distribution.from_samples([[0, 0, 1, 1], [0, 1, 0, 1], [0, 1, 1, 0]], "XYZ")
    >>> ax = plot_idiagram(xor, shade="I[X;Y]")
    >>> any(t.get_text() == "-1.00" for t in ax.texts)
    True
    """
    import matplotlib.pyplot as plt
    from matplotlib.patches import Circle

    dist = as_distribution(dist)
    base = check_base(base)
    n = dist.ndim
    if n > 3:
        return plot_atoms(dist, shade=shade, ax=ax, base=base, decimals=decimals)
    if n < 2:
        raise ValueError(f"dist: an I-diagram needs 2 or 3 variables, got {n}")
    if ax is None:
        _, ax = plt.subplots(figsize=(4.2, 4.0))
    values = list(atoms(dist, base=base).values())
    order = sorted(range(1, 1 << n), key=lambda m: (bin(m).count("1"), m))
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
            colour = (0.2, 0.45, 0.85) if c > 0 else (0.95, 0.55, 0.1)
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
    title = f"I-diagram [{_unit(base)}]"
    if shade is not None:
        title = f"{shade} = {evaluate(dist, shade, base=base):.{decimals}f} {_unit(base)} (shaded)"
    ax.set_title(title, fontsize=10)
    return ax


def plot_atoms(dist: Distribution, shade: str | None = None, ax=None, base: float = 2.0,
               decimals: int = 2):
    """UpSet-style bar chart of all 2**n - 1 atoms (for any n, meant for n > 3).

    One bar per atom, grouped by how many variables its intersection has; negative
    atoms are red and hatched. A dot matrix under the bars shows each atom's
    intersection (filled dots) and the conditioned variables (open dots). ``shade``
    outlines the atoms of an expression in blue (positive coefficient) or orange.

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
    n = dist.ndim
    values = atoms(dist, base=base)
    labels = list(values)
    order = sorted(range(1, 1 << n), key=lambda m: (bin(m).count("1"), m))
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
            bar.set_edgecolor((0.2, 0.45, 0.85) if float(coeffs[label]) > 0 else (0.95, 0.55, 0.1))
            bar.set_linewidth(2.5)
    ax.axhline(0, color="black", lw=0.8)
    ax.set_xticks(x)
    ax.set_xticklabels([])
    ax.set_xlim(-0.6, len(labels) - 0.4)
    ax.set_ylabel(f"atom value [{_unit(base)}]")
    title = "I-measure atoms"
    if shade is not None:
        title = f"{shade} = {evaluate(dist, shade, base=base):.{decimals}f} {_unit(base)} (outlined)"
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
    return ax
