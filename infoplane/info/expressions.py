'''The ``"I[X;Y|Z]"`` expression language: parse, evaluate, decompose into atoms, prove identities.

An expression is a sum of terms ``H[...]`` and ``I[...]`` with numeric or symbolic
coefficients, e.g. ``"H[X] + H[Y] - H[X,Y]"``, ``"2*I[X;Y|Z]"`` or
``"I[X;Z] - beta*I[Y;Z]"``. Inside brackets, ``;`` separates the arguments of a (co-)
information, ``,`` joins variables into one, ``|`` starts the condition. Strings are
parsed by a grammar of our own (:func:`parse_expression`) into sympy objects, never
evaluated as code: anything outside the grammar is a ValueError that names the argument
and points at the offending character.

Every term is a set of Yeung's (1991) I-measure mu* (Kirsch et al. sec. 2.1):

* ``H[A1,..,An | B1,..,Bm] = mu*(A1 u .. u An - (B1 u .. u Bm))``
* ``I[A1; ..; An | B1,..,Bm] = mu*(A1 n .. n An - (B1 u .. u Bm))``

For n variables the 2**n - 1 *atoms* ``mu*(n_{i in S} X_i - u_{j not in S} X_j)``
(S non-empty) partition every such set, so an expression is a linear combination of
atoms (:func:`decompose`), and two expressions are equal for every distribution exactly
when their combinations agree (:func:`identical`). Atom labels name atoms as quantities:
``"H[X|Y,Z]"`` (S = {X}), ``"I[X;Y|Z]"`` (S = {X, Y}), ``"I[X;Y;Z]"`` (S = all three).
:func:`evaluate` computes an expression on a :class:`~infoplane.info.Distribution`, in
nats unless ``base`` says otherwise.

Examples
--------
>>> from infoplane.info import examples
>>> round(evaluate(examples.xor(), "I[X;Y|Z] - I[X;Y]", base=2), 6)
1.0
>>> identical("I[X;Y;Z]", "I[X;Y] - I[X;Y|Z]")
True
'''

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import sympy

from infoplane._units import from_nats
from infoplane._validation import check_base
from infoplane.info.distribution import Distribution, as_distribution, parse_names
from infoplane.info.measures import JointEntropies, co_information_from_entropies

__all__ = ["Term", "atom_label", "atom_masks", "decompose", "evaluate", "identical", "parse_expression",
           "parse_term"]

_NUMBER = re.compile(r"(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?")
_IDENT = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_MEASURES = ("H", "I")


@dataclass(frozen=True)
class Term:
    """One ``H[...]`` or ``I[...]``: the I-measure of ``n groups - given``.

    Examples
    --------
    >>> parse_term("I", "X;Y,W|Z").variables
    ('X', 'Y', 'W', 'Z')
    """

    groups: tuple[tuple[str, ...], ...]
    given: tuple[str, ...]

    @property
    def variables(self) -> tuple[str, ...]:
        """Every variable the term mentions, in order of appearance."""
        out: list[str] = []
        for g in self.groups + (self.given,):
            out += [n for n in g if n not in out]
        return tuple(out)


def _split_names(text: str, where: str, name: str) -> tuple[str, ...]:
    parts = [p.strip() for p in text.split(",")]
    if any(not p for p in parts):
        raise ValueError(f"{name}: empty variable name in {where!r}")
    return parse_names(parts, name)


def parse_term(kind: str, inside: str, name: str = "expr") -> Term:
    """Parse the bracket of ``H[...]`` / ``I[...]`` into a :class:`Term`, or raise ValueError.

    ``name`` is the argument named in the error message.

    Examples
    --------
    >>> parse_term("H", "X,Y|Z")
    Term(groups=(('X', 'Y'),), given=('Z',))
    """
    text = f"{kind}[{inside}]"
    if inside.count("|") > 1:
        raise ValueError(f"{name}: more than one '|' in {text!r}")
    left, _, cond = inside.partition("|")
    given = _split_names(cond, text, name) if cond.strip() else ()
    groups = tuple(_split_names(g, text, name) for g in left.split(";"))
    if kind == "H" and len(groups) != 1:
        raise ValueError(f"{name}: H[...] takes one (joint) variable, use I[...;...] in {text!r}")
    if kind == "I" and len(groups) < 2:
        raise ValueError(f"{name}: I[...] needs at least two arguments separated by ';' in {text!r}")
    return Term(groups, given)


class _Parser:
    """Recursive descent over the grammar below, building sympy objects directly (no eval).

    ::

        sum     := product (("+" | "-") product)*
        product := unary (("*" | "/") unary)*
        unary   := ("+" | "-") unary | atom
        atom    := number | measure | parameter | "(" sum ")"
        measure := ("H" | "I") "[" names ("|" names)? "]"      (see parse_term)
        parameter := identifier not starting with "_"           (a sympy Symbol)
    """

    def __init__(self, text: str, name: str) -> None:
        self.text, self.name, self.pos = text, name, 0
        self.terms: dict[sympy.Symbol, Term] = {}

    def error(self, message: str, pos: int | None = None) -> ValueError:
        pos = self.pos if pos is None else pos
        shown = "".join(" " if c.isspace() else c for c in self.text)
        return ValueError(f"{self.name}: {message}; at position {pos} of {self.text!r}\n"
                          f"    {shown}\n    {' ' * pos}^")

    def peek(self) -> str:
        while self.pos < len(self.text) and self.text[self.pos].isspace():
            self.pos += 1
        return self.text[self.pos] if self.pos < len(self.text) else ""

    def parse(self) -> sympy.Expr:
        value = self.sum()
        c = self.peek()
        if c == ")":
            raise self.error("unmatched ')'")
        if c:
            raise self.error(f"unexpected {c!r}")
        return value

    def sum(self) -> sympy.Expr:
        value = self.product()
        while (c := self.peek()) and c in "+-":
            self.pos += 1
            rhs = self.product()
            value = value + rhs if c == "+" else value - rhs
        return value

    def product(self) -> sympy.Expr:
        value = self.unary()
        while (c := self.peek()) and c in "*/":
            if self.text.startswith("**", self.pos):
                raise self.error("'**' (a power) is not part of the language; expressions are linear")
            self.pos += 1
            rhs = self.unary()
            value = value * rhs if c == "*" else value / rhs
        return value

    def unary(self) -> sympy.Expr:
        c = self.peek()
        if c and c in "+-":
            self.pos += 1
            operand = self.unary()
            return operand if c == "+" else -operand
        return self.atom()

    def atom(self) -> sympy.Expr:
        c = self.peek()
        start = self.pos
        if not c:
            raise self.error("unexpected end of the expression (a term, number or parameter is missing)")
        if c == "(":
            self.pos += 1
            value = self.sum()
            c = self.peek()
            if c != ")":
                expected = f"expected ')' for the '(' at position {start}"
                raise self.error(f"unexpected {c!r} ({expected})" if c else expected)
            self.pos += 1
            return value
        number = _NUMBER.match(self.text, self.pos)
        if number:
            self.pos = number.end()
            digits = number.group()
            return sympy.Float(digits) if any(ch in digits for ch in ".eE") else sympy.Integer(digits)
        word = _IDENT.match(self.text, self.pos)
        if not word:
            raise self.error(f"unexpected {c!r}")
        self.pos = word.end()
        if self.peek() == "[":
            return self.measure(word.group(), start)
        if word.group().startswith("_"):
            raise self.error(f"parameter names may not start with '_' ({word.group()!r})", start)
        return sympy.Symbol(word.group())

    def measure(self, kind: str, start: int) -> sympy.Symbol:
        if kind not in _MEASURES:
            raise self.error(f"unknown quantity {kind}[...] (use H[...] or I[...])", start)
        close = self.text.find("]", self.pos)
        if close < 0:
            raise self.error("unmatched '['")
        inner = self.text.find("[", self.pos + 1, close)
        if inner >= 0:
            raise self.error("unexpected '[' inside a bracket", inner)
        term = parse_term(kind, self.text[self.pos + 1:close], self.name)
        self.pos = close + 1
        symbol = sympy.Symbol(f"_term{len(self.terms)}")
        self.terms[symbol] = term
        return symbol


def parse_expression(expr: str, need_term: bool = True,
                     name: str = "expr") -> tuple[sympy.Expr, dict[sympy.Symbol, Term]]:
    """Parse ``expr`` into ``(sympy expression, {placeholder symbol: Term})``; never evaluates code.

    A parser of our own (recursive descent; nothing is handed to ``eval`` or to sympy's
    string parser) accepts terms ``H[...]`` and ``I[...]``, numbers (``2``, ``0.5``,
    ``1e-3``), named parameters (identifiers such as ``beta``, which become sympy
    symbols, so coefficients may be symbolic), ``+ - * /`` and parentheses. Terms become
    placeholder symbols ``_term0, _term1, ...`` in order of appearance. Anything else is a
    ValueError naming ``name`` and pointing at the offending character. With
    ``need_term=False`` an expression without any ``H[...]``/``I[...]`` (such as the
    ``beta`` of ``"I[X;Y] = beta"``) is accepted.

    Examples
    --------
    >>> parsed, terms = parse_expression("I[X;Z] - beta*I[Y;Z]")
    >>> sorted(map(str, parsed.free_symbols)), len(terms)
    (['_term0', '_term1', 'beta'], 2)
    >>> parse_expression("H[X] + os.system('id')")
    Traceback (most recent call last):
    ...
    ValueError: expr: unexpected '.'; at position 9 of "H[X] + os.system('id')"
        H[X] + os.system('id')
                 ^
    """
    if not isinstance(expr, str) or not expr.strip():
        raise ValueError(f"{name}: expected a non-empty string, got {expr!r}")
    parser = _Parser(expr, name)
    parsed = parser.parse()
    if need_term and not parser.terms:
        raise ValueError(f"{name}: no H[...] or I[...] term in {expr!r}")
    return parsed, parser.terms


def atom_masks(n: int) -> list[int]:
    """The bit masks of the 2**n - 1 atoms, by number of intersected variables, then mask.

    This is the order of :func:`~infoplane.info.atoms` and of the drawings.

    Examples
    --------
    >>> atom_masks(3)
    [1, 2, 4, 3, 5, 6, 7]
    """
    return sorted(range(1, 1 << n), key=lambda m: (bin(m).count("1"), m))


def atom_label(members: Iterable[str], names: str | Sequence[str]) -> str:
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


def _atom_symbols(names: tuple[str, ...]) -> dict[int, sympy.Symbol]:
    return {s: sympy.Symbol(atom_label([names[i] for i in range(len(names)) if s >> i & 1], names))
            for s in range(1, 1 << len(names))}


def _collect_names(*term_dicts: dict[sympy.Symbol, Term]) -> tuple[str, ...]:
    out: list[str] = []
    for terms in term_dicts:
        for t in terms.values():
            out += [n for n in t.variables if n not in out]
    return tuple(out)


def _in_atoms(parsed: sympy.Expr, terms: dict[sympy.Symbol, Term],
              names: tuple[str, ...]) -> tuple[sympy.Expr, dict[int, sympy.Symbol]]:
    symbols = _atom_symbols(names)
    subs = {sym: sum((symbols[s] for s in _term_atom_masks(t, names)), sympy.Integer(0))
            for sym, t in terms.items()}
    return sympy.expand(parsed.subs(subs)), symbols
def decompose(expr: str, names: str | Sequence[str] | None = None) -> dict[str, Any]:
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
    for s in atom_masks(len(names)):
        c = sympy.simplify(combo.coeff(symbols[s]))
        if c != 0:
            out[str(symbols[s])] = int(c) if c.is_Integer else c
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
    h = JointEntropies(dist.pmf)
    index = {n: i for i, n in enumerate(dist.names)}
    values = {}
    for sym, t in terms.items():
        masks = [sum(1 << index[n] for n in g) for g in t.groups]
        values[sym] = co_information_from_entropies(h, masks, sum(1 << index[n] for n in t.given))
    result = parsed.subs(values)
    if result.free_symbols:
        raise ValueError(f"expr: symbols {sorted(map(str, result.free_symbols))} have no value")
    try:
        value = float(result)
    except TypeError:  # zoo, nan or a complex number (e.g. a division by zero)
        value = math.nan
    if not np.isfinite(value):
        raise ValueError(f"expr: {expr!r} does not evaluate to a finite number")
    return from_nats(value, base)


def identical(expr_a: str, expr_b: str, assume: str | Sequence[str] = ()) -> bool:
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
    if not isinstance(assume, Sequence):
        raise ValueError(f"assume: expected a sequence of equalities 'lhs = rhs', got {assume!r}")
    pa, ta = parse_expression(expr_a, name="expr_a")
    pb, tb = parse_expression(expr_b, name="expr_b")
    equations = []
    for k, statement in enumerate(assume):
        if not isinstance(statement, str) or statement.replace("==", "=").count("=") != 1:
            raise ValueError(f"assume: item {k} must be one equality 'lhs = rhs', got {statement!r}")
        lhs, rhs = (s for s in statement.replace("==", "=").split("="))
        pl, tl = parse_expression(lhs, need_term=False, name=f"assume: item {k}")
        pr, tr = parse_expression(rhs, need_term=False, name=f"assume: item {k}")
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


