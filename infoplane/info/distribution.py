"""A joint probability mass function over named discrete variables."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
from numpy.typing import ArrayLike

from infoplane._validation import check_float, real_array

__all__ = ["Distribution", "as_distribution", "parse_names"]

_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_']*$")


def parse_names(names: str | Iterable[str], name: str = "names") -> tuple[str, ...]:
    """Turn ``"XYZ"`` or ``["X", "Y1"]`` into a tuple of variable names, or raise ValueError.

    A string is split into its characters (one-letter names); a sequence is taken as it
    is. Names must be identifiers (letters, digits, ``_`` and ``'``, not starting with a
    digit) so that expressions such as ``"I[X1;Y|Z]"`` can refer to them.

    Examples
    --------
    >>> parse_names("XY"), parse_names(["X1", "T"])
    (('X', 'Y'), ('X1', 'T'))
    """
    if isinstance(names, str):
        out = tuple(names)
    else:
        try:
            out = tuple(names)
        except TypeError:
            raise ValueError(f"{name}: expected a string or a sequence of strings, got {names!r}") from None
    for n in out:
        if not isinstance(n, str) or not _NAME.match(n):
            raise ValueError(f"{name}: {n!r} is not a valid variable name (letters, digits, _ and ')")
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: variable names must be unique, got {out}")
    return out


class Distribution:
    """A joint pmf ``p`` over named discrete variables, one array axis per variable.

    Parameters
    ----------
    p : array_like
        Non-negative real probabilities with one axis per variable (ints and float16 are
        cast; complex values are refused); they must sum to 1 within ``atol`` (they are
        then renormalised exactly).
    names : str or sequence of str
        Variable names, one per axis of ``p``: ``"XYZ"`` (one letter each) or a list
        such as ``["X", "Y", "T1"]``.
    alphabets : sequence of sequences, optional
        The outcome of each index along each axis (default ``range(size)``).
    atol : float
        Tolerance on ``|sum(p) - 1|``.

    Attributes
    ----------
    pmf : ndarray
        The probabilities (float64, read-only).
    names : tuple of str
    alphabets : tuple of tuples

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.info import Distribution
    >>> d = Distribution(np.full((2, 2), 0.25), "XY")
    >>> d.names, d.shape
    (('X', 'Y'), (2, 2))
    >>> d.marginal("X").pmf
    array([0.5, 0.5])
    """

    def __init__(self, p: ArrayLike, names: str | Sequence[str],
                 alphabets: Sequence[Sequence[Any]] | None = None, atol: float = 1e-6) -> None:
        atol = check_float(atol, "atol", low=0.0)
        # a private copy; complex p is refused, not made real
        arr = np.array(real_array(p, "p", what="probabilities"), dtype=np.float64)
        names = parse_names(names)
        if arr.ndim == 0:
            raise ValueError("p: expected at least one axis (one per variable)")
        if arr.ndim != len(names):
            raise ValueError(f"names: p has {arr.ndim} axes but {len(names)} names were given: {names}")
        if arr.size == 0:
            raise ValueError(f"p: every axis needs at least one outcome, got shape {arr.shape}")
        if not np.isfinite(arr).all():
            raise ValueError("p: contains NaN or infinite values")
        if (arr < 0).any():
            raise ValueError(f"p: probabilities must be non-negative (min {arr.min():.3g})")
        total = arr.sum()
        if abs(total - 1.0) > atol:
            raise ValueError(f"p: probabilities must sum to 1 (within {atol:g}), got {total:.10g}")
        arr = arr / total
        arr.setflags(write=False)
        if alphabets is None:
            alphabets = tuple(tuple(range(k)) for k in arr.shape)
        else:
            alphabets = tuple(tuple(a) for a in alphabets)
            if [len(a) for a in alphabets] != list(arr.shape):
                raise ValueError(f"alphabets: expected {arr.ndim} sequences of lengths {arr.shape}")
        self.pmf = arr
        self.names = names
        self.alphabets = alphabets

    # ------------------------------------------------------------------ constructors
    @classmethod
    def from_array(cls, p: ArrayLike, names: str | Sequence[str],
                   alphabets: Sequence[Sequence[Any]] | None = None, atol: float = 1e-6) -> Distribution:
        """The same as ``Distribution(p, names)``; reads well next to the other constructors.

        Examples
        --------
        >>> Distribution.from_array([[0.5, 0.0], [0.0, 0.5]], names="XY").shape
        (2, 2)
        """
        return cls(p, names, alphabets=alphabets, atol=atol)

    @classmethod
    def from_samples(cls, samples: Any, names: str | Sequence[str]) -> Distribution:
        """The empirical (plug-in) pmf of samples of discrete variables, one sample per row.

        One rule for every input, the package's ``(n_samples, n_features)`` convention: a
        2-D array or tensor, and a list of lists (or of tuples), are read the same way,
        one row per sample and one column per variable; a 1-D input is one variable.
        Samples kept as one array per variable go to :meth:`from_columns` instead (a
        list of columns passed here is refused when its shape does not fit ``names``,
        with a pointer to :meth:`from_columns`; a square one cannot be told apart, so
        choose the constructor that says what you hold).

        Parameters
        ----------
        samples : array_like of shape (n_samples, n_variables) or (n_samples,)
            Outcomes, one row per sample; they may be any sortable values (ints,
            strings, ...). A list of row tuples keeps each column's own type.
        names : str or sequence of str
            One name per column (variable).

        Returns
        -------
        Distribution
            Counts divided by ``n_samples``; the alphabets are the sorted distinct values.

        Raises
        ------
        ValueError
            ``samples`` is empty, ragged or not 1-D/2-D; ``names`` does not have one
            name per column.

        Examples
        --------
        >>> d = Distribution.from_samples([(0, "a"), (1, "b"), (1, "b"), (0, "b")], "XY")
        >>> d.alphabets
        ((0, 1), ('a', 'b'))
        >>> d.pmf
        array([[0.25, 0.25],
               [0.  , 0.5 ]])
        >>> import numpy as np
        >>> rows = [[0, 0], [0, 1], [1, 1], [1, 1]]
        >>> bool(np.array_equal(Distribution.from_samples(rows, "XY").pmf,
        ...                     Distribution.from_samples(np.array(rows), "XY").pmf))
        True
        """
        names = parse_names(names)
        arr = _as_numpy(samples)
        if arr is not None:
            if arr.ndim not in (1, 2):
                raise ValueError(f"samples: expected shape (n_samples, n_variables) or (n_samples,), "
                                 f"got {arr.shape}")
            cols = [arr] if arr.ndim == 1 else [arr[:, j] for j in range(arr.shape[1])]
            n_rows = arr.shape[0]
        else:
            try:
                rows = list(samples)
            except TypeError:
                raise ValueError("samples: expected an array of shape (n_samples, n_variables) or a "
                                 f"sequence of rows, got {type(samples).__name__}") from None
            if not rows:
                raise ValueError("samples: needs at least one sample")
            is_row = [_is_sequence(r) for r in rows]
            n_rows = len(rows)
            if not any(is_row):
                cols = [np.asarray(rows)]
            elif not all(is_row):
                raise ValueError("samples: mixes rows (sequences) and single values; expected one row "
                                 "per sample")
            else:
                rows = [list(r) for r in rows]
                widths = {len(r) for r in rows}
                if len(widths) > 1:
                    if n_rows == len(names):
                        raise ValueError(f"samples: rows of different lengths {sorted(widths)}; this looks "
                                         "like one column per variable: use Distribution.from_columns")
                    raise ValueError(f"samples: rows of different lengths {sorted(widths)}")
                cols = [np.asarray(c) for c in zip(*rows, strict=True)]
        if len(cols) != len(names):
            hint = ""
            if n_rows == len(names):
                hint = "; this looks like one column per variable: use Distribution.from_columns"
            raise ValueError(f"names: each sample has {len(cols)} values but {len(names)} names were given "
                             f"{names} (samples are rows, one column per variable){hint}")
        return cls._count(cols, names, "samples")

    @classmethod
    def from_columns(cls, columns: Sequence[Any], names: str | Sequence[str]) -> Distribution:
        """The empirical (plug-in) pmf of samples kept as one 1-D array per variable.

        ``Distribution.from_columns([x, y], "XY")`` equals
        ``Distribution.from_samples(np.column_stack([x, y]), "XY")``, but each column keeps
        its own type (ints beside strings).

        Parameters
        ----------
        columns : sequence of 1-D array_like, all of the same length n_samples
            ``columns[j][i]`` is the outcome of variable ``j`` in sample ``i``.
        names : str or sequence of str
            One name per column.

        Returns
        -------
        Distribution
            Counts divided by ``n_samples``; the alphabets are the sorted distinct values.

        Examples
        --------
        >>> d = Distribution.from_columns([[0, 1, 1, 0], ["a", "b", "b", "b"]], "XY")
        >>> d.alphabets
        ((0, 1), ('a', 'b'))
        >>> d.pmf
        array([[0.25, 0.25],
               [0.  , 0.5 ]])
        """
        names = parse_names(names)
        arr = _as_numpy(columns)
        if arr is not None:
            if arr.ndim != 2:
                raise ValueError(f"columns: expected one 1-D column per variable, got an array of shape "
                                 f"{arr.shape}")
            cols = list(arr)
        else:
            try:
                cols = [np.asarray(c) if _as_numpy(c) is None else _as_numpy(c) for c in columns]
            except (TypeError, ValueError):
                raise ValueError("columns: expected a sequence of 1-D columns") from None
        if not cols or any(c.ndim != 1 for c in cols) or len({len(c) for c in cols}) > 1:
            raise ValueError("columns: expected 1-D columns of equal length, one per variable")
        if len(cols) != len(names):
            raise ValueError(f"names: {len(cols)} columns but {len(names)} names were given {names}")
        return cls._count(cols, names, "columns")

    @classmethod
    def _count(cls, cols: list[np.ndarray], names: tuple[str, ...], argname: str) -> Distribution:
        n = len(cols[0])
        if n == 0:
            raise ValueError(f"{argname}: needs at least one sample")
        codes, alphabets = [], []
        for c in cols:
            values, inverse = np.unique(c, return_inverse=True)
            codes.append(inverse.ravel())
            alphabets.append(tuple(v.item() if hasattr(v, "item") else v for v in values))
        shape = tuple(len(a) for a in alphabets)
        counts = np.bincount(np.ravel_multi_index(codes, shape), minlength=int(np.prod(shape)))
        return cls(counts.reshape(shape) / n, names, alphabets=alphabets)

    def add_channel(self, channel: ArrayLike, given: str | Sequence[str], name: str) -> Distribution:
        """Append a variable drawn from a conditional pmf ``p(name | given)``.

        Builds ``p(..., name) = p(...) p(name | given)``, e.g. the model
        ``p(x, y, z) = p(x, y) p(z | x)`` of Kirsch et al. (eq. 1) from ``p(x, y)`` and an
        encoder ``p(z | x)``. The new variable is the last axis.

        Parameters
        ----------
        channel : array_like of shape (*given_sizes, k)
            ``channel[..., j]`` is the probability of outcome ``j`` given the outcomes of
            ``given``; each row must sum to 1.
        given : str or sequence of str
            The conditioning variables, in the order of the channel's leading axes.
        name : str
            Name of the new variable.

        Examples
        --------
        >>> pxy = Distribution([[0.4, 0.1], [0.1, 0.4]], "XY")
        >>> pxyz = pxy.add_channel([[1.0, 0.0], [0.0, 1.0]], given="X", name="Z")
        >>> pxyz.names, pxyz.marginal("XZ").pmf.round(2).tolist()
        (('X', 'Y', 'Z'), [[0.5, 0.0], [0.0, 0.5]])
        """
        given = self._check_subset(given, "given")
        (name,) = parse_names([name], "name")
        if name in self.names:
            raise ValueError(f"name: {name!r} is already a variable of this distribution")
        ch = real_array(channel, "channel")
        sizes = tuple(self.shape[self.names.index(g)] for g in given)
        if ch.ndim != len(given) + 1 or ch.shape[:-1] != sizes or ch.shape[-1] == 0:
            raise ValueError(f"channel: expected shape {sizes + ('k',)}, got {ch.shape}")
        if not np.isfinite(ch).all() or (ch < 0).any():
            raise ValueError("channel: probabilities must be finite and non-negative")
        if not np.allclose(ch.sum(-1), 1.0, atol=1e-6):
            raise ValueError("channel: each conditional pmf (last axis) must sum to 1")
        letters = [chr(97 + i) for i in range(self.ndim + 1)]
        src = "".join(letters[: self.ndim])
        sub = "".join(letters[self.names.index(g)] for g in given) + letters[self.ndim]
        joint = np.einsum(f"{src},{sub}->{src}{letters[self.ndim]}", self.pmf, ch)
        return Distribution(joint, self.names + (name,),
                            alphabets=self.alphabets + (tuple(range(ch.shape[-1])),))

    # ------------------------------------------------------------------ views
    @property
    def shape(self) -> tuple[int, ...]:
        """Alphabet sizes, one per variable."""
        return self.pmf.shape

    @property
    def ndim(self) -> int:
        """Number of variables."""
        return self.pmf.ndim

    def _check_subset(self, names: str | Sequence[str], argname: str) -> tuple[str, ...]:
        if isinstance(names, str) and names in self.names:
            names = (names,)
        names = parse_names(names, argname)
        missing = [n for n in names if n not in self.names]
        if missing:
            raise ValueError(f"{argname}: unknown variables {missing}; this distribution has {self.names}")
        return names

    def marginal(self, names: str | Sequence[str]) -> Distribution:
        """The marginal pmf of ``names`` (in the order given).

        Examples
        --------
        >>> d = Distribution(np.full((2, 3), 1 / 6), "XY")
        >>> d.marginal("Y").pmf.round(3).tolist()
        [0.333, 0.333, 0.333]
        """
        names = self._check_subset(names, "names")
        if not names:
            raise ValueError("names: need at least one variable")
        axes = tuple(i for i, n in enumerate(self.names) if n not in names)
        p = self.pmf.sum(axis=axes)
        kept = [n for n in self.names if n in names]
        order = [kept.index(n) for n in names]
        return Distribution(np.transpose(p, order), names,
                            alphabets=[self.alphabets[self.names.index(n)] for n in names])

    def condition_on(self, name: str, value: Any) -> Distribution:
        """The pmf of the other variables given ``name`` takes outcome ``value``.

        ``value`` is an outcome from ``self.alphabets``. Raises ValueError when that
        outcome has probability 0.

        Examples
        --------
        >>> d = Distribution([[0.4, 0.1], [0.1, 0.4]], "XY")
        >>> d.condition_on("X", 0).pmf
        array([0.8, 0.2])
        """
        (name,) = self._check_subset([name], "name")
        if self.ndim == 1:
            raise ValueError("name: cannot condition on the only variable")
        axis = self.names.index(name)
        try:
            index = self.alphabets[axis].index(value)
        except ValueError:
            raise ValueError(f"value: {value!r} is not an outcome of {name}") from None
        p = np.take(self.pmf, index, axis=axis)
        if p.sum() <= 0:
            raise ValueError(f"value: P({name}={value!r}) = 0, cannot condition on it")
        rest = [n for n in self.names if n != name]
        return Distribution(p / p.sum(), rest, alphabets=[self.alphabets[self.names.index(n)] for n in rest])

    def conditional(self, of: str | Sequence[str], given: str | Sequence[str]) -> np.ndarray:
        """The array ``p(of | given)`` with axes ``(*given, *of)``; rows with p(given)=0 are uniform.

        Examples
        --------
        >>> d = Distribution([[0.4, 0.1], [0.1, 0.4]], "XY")
        >>> d.conditional("Y", "X")
        array([[0.8, 0.2],
               [0.2, 0.8]])
        """
        of = self._check_subset(of, "of")
        given = self._check_subset(given, "given")
        if set(of) & set(given):
            raise ValueError(f"given: overlaps with of: {set(of) & set(given)}")
        joint = self.marginal(given + of).pmf
        norm = joint.sum(axis=tuple(range(len(given), len(given) + len(of))), keepdims=True)
        safe = np.where(norm > 0, norm, 1.0)
        uniform = np.full_like(joint, 1.0 / int(np.prod(joint.shape[len(given):])))
        return np.where(norm > 0, joint / safe, uniform)

    def __repr__(self) -> str:
        return f"Distribution(names={self.names}, shape={self.shape})"


def _as_numpy(x: Any) -> np.ndarray | None:
    """``x`` as an ndarray if it is one or a torch tensor (moved to the CPU), else None."""
    if isinstance(x, np.ndarray):
        return x
    if hasattr(x, "detach") and hasattr(x, "cpu") and hasattr(x, "numpy"):
        return x.detach().cpu().numpy()
    return None


def _is_sequence(x: Any) -> bool:
    """A row of a sample table: a list, tuple, ndarray or tensor (not a string)."""
    if isinstance(x, (list, tuple)):
        return True
    arr = _as_numpy(x)
    return arr is not None and arr.ndim >= 1


def as_distribution(dist: Any, name: str = "dist") -> Distribution:
    """Return ``dist`` if it is a Distribution, else raise ValueError naming the argument."""
    if not isinstance(dist, Distribution):
        raise ValueError(f"{name}: expected an infoplane.info.Distribution, got {type(dist).__name__}")
    return dist

