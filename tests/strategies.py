"""Hypothesis strategies shared by the tests: pmfs, distributions, channels and samples.

Every strategy here is built from integers and floats that hypothesis knows how to
shrink, so a failing example shrinks towards the simplest case that still fails: fewer
variables, fewer outcomes, point masses (a pmf's weights shrink to zero, and an all-zero
draw becomes the point mass on the first outcome), and samples near zero.

- :func:`pmfs`: an ``ndarray`` pmf (one axis per variable), zeros and point masses included.
- :func:`distributions`: an :class:`infoplane.info.Distribution` over named variables.
- :func:`channels`: a conditional pmf ``p(out | given)`` (last axis sums to 1), as
  :meth:`~infoplane.info.Distribution.add_channel` takes it.
- :func:`samples`: a finite, bounded float array of shape ``(n_samples, n_features)``,
  the input every estimator takes.

Examples
--------
>>> from hypothesis import given
>>> from strategies import distributions
>>> @given(distributions(n_variables=2, max_outcomes=3))
... def test_names(d):
...     assert d.names == ("X", "Y")
>>> test_names()
"""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from infoplane.info import Distribution

__all__ = ["NAMES", "channels", "distributions", "pmfs", "samples", "shapes"]

#: Default variable names, in order: a distribution over 3 variables is named ``X, Y, Z``.
NAMES = ("X", "Y", "Z", "W", "U", "V", "S", "T")


def _normalise(weights: np.ndarray) -> np.ndarray:
    """Integer weights -> probabilities; an all-zero array becomes a point mass on index 0."""
    w = np.asarray(weights, dtype=np.float64)
    if w.sum() == 0:
        w = np.zeros_like(w)
        w.flat[0] = 1.0
    return w / w.sum()


def shapes(*, n_variables: int | None = None, min_variables: int = 1, max_variables: int = 3,
           min_outcomes: int = 1, max_outcomes: int = 3) -> st.SearchStrategy[tuple[int, ...]]:
    """Alphabet sizes: one integer in ``[min_outcomes, max_outcomes]`` per variable.

    ``n_variables`` fixes the number of variables; otherwise it is drawn from
    ``[min_variables, max_variables]``. Shrinks towards fewer variables and size-1 alphabets.
    """
    if n_variables is not None:
        min_variables = max_variables = n_variables
    return st.integers(min_variables, max_variables).flatmap(
        lambda n: st.tuples(*[st.integers(min_outcomes, max_outcomes)] * n))


@st.composite
def pmfs(draw: st.DrawFn, shape: tuple[int, ...] | None = None, *, n_variables: int | None = 1,
         min_variables: int = 1, max_variables: int = 3, min_outcomes: int = 1, max_outcomes: int = 4,
         allow_zero: bool = True, max_weight: int = 100) -> np.ndarray:
    """A pmf as a float64 ``ndarray`` with one axis per variable, summing to 1.

    Parameters
    ----------
    shape : tuple of int, optional
        Fix the alphabet sizes; otherwise drawn by :func:`shapes` from the other arguments
        (default: one variable with 1 to ``max_outcomes`` outcomes; ``n_variables=None``
        draws the number of variables from ``[min_variables, max_variables]``).
    allow_zero : bool
        Whether outcomes may have probability exactly 0 (degenerate and point-mass pmfs
        included). With ``False`` every probability is at least ``1 / (max_weight * size)``.
    max_weight : int
        Each outcome gets an integer weight in ``[0, max_weight]`` (``[1, ...]`` without
        zeros); the pmf is the weights over their sum. Weights shrink towards 0, so a
        failing pmf shrinks towards a point mass.
    """
    if shape is None:
        shape = draw(shapes(n_variables=n_variables, min_variables=min_variables,
                            max_variables=max_variables, min_outcomes=min_outcomes,
                            max_outcomes=max_outcomes))
    shape = tuple(int(k) for k in shape)
    weights = draw(hnp.arrays(np.int64, shape, elements=st.integers(0 if allow_zero else 1, max_weight)))
    return _normalise(weights)


@st.composite
def distributions(draw: st.DrawFn, n_variables: int | None = None, *, min_variables: int = 1,
                  max_variables: int = 3, min_outcomes: int = 1, max_outcomes: int = 3,
                  names: str | tuple[str, ...] | None = None, allow_zero: bool = True,
                  max_weight: int = 100) -> Distribution:
    """An :class:`infoplane.info.Distribution` over named variables.

    Parameters
    ----------
    n_variables : int, optional
        The number of variables; otherwise drawn from ``[min_variables, max_variables]``
        (or fixed by ``names``).
    min_outcomes, max_outcomes : int
        Bounds on each variable's alphabet size (size 1 = a constant variable).
    names : str or tuple of str, optional
        The variable names (default ``X, Y, Z, W, ...`` from :data:`NAMES`).
    allow_zero, max_weight
        As for :func:`pmfs`: zero-probability outcomes and point masses are drawn unless
        ``allow_zero=False``.
    """
    if names is not None:
        names = tuple(names)
        n_variables = len(names)
    p = draw(pmfs(n_variables=n_variables, min_variables=min_variables, max_variables=max_variables,
                  min_outcomes=min_outcomes, max_outcomes=max_outcomes, allow_zero=allow_zero,
                  max_weight=max_weight))
    return Distribution(p, names if names is not None else NAMES[: p.ndim])


@st.composite
def channels(draw: st.DrawFn, given_shape: tuple[int, ...], *, min_outcomes: int = 1,
             max_outcomes: int = 3, n_outcomes: int | None = None, allow_zero: bool = True,
             max_weight: int = 100) -> np.ndarray:
    """A conditional pmf of shape ``(*given_shape, k)`` whose last axis sums to 1.

    ``k`` is ``n_outcomes`` or drawn from ``[min_outcomes, max_outcomes]``; each row is
    drawn like :func:`pmfs` (so deterministic rows, such as an identity channel, occur).
    """
    k = n_outcomes if n_outcomes is not None else draw(st.integers(min_outcomes, max_outcomes))
    shape = tuple(int(s) for s in given_shape) + (int(k),)
    weights = draw(hnp.arrays(np.int64, shape, elements=st.integers(0 if allow_zero else 1, max_weight)))
    weights = weights.reshape(-1, k).astype(np.float64)
    weights[weights.sum(-1) == 0, 0] = 1.0
    return (weights / weights.sum(-1, keepdims=True)).reshape(shape)


@st.composite
def samples(draw: st.DrawFn, *, n_samples: int | None = None, min_samples: int = 1, max_samples: int = 50,
            n_features: int | None = None, min_features: int = 1, max_features: int = 3,
            bound: float = 10.0, unique: bool = False, dtype: type = np.float64) -> np.ndarray:
    """A finite float array of shape ``(n_samples, n_features)`` with entries in ``[-bound, bound]``.

    Parameters
    ----------
    n_samples, n_features : int, optional
        Fix the shape; otherwise drawn from ``[min_samples, max_samples]`` and
        ``[min_features, max_features]``. Use ``min_samples`` for estimators that need
        ``k + 1`` points.
    bound : float
        Entries lie in ``[-bound, bound]``; never NaN, infinite or subnormal.
    unique : bool
        Make every entry distinct (so no two rows coincide: nearest-neighbour distances
        are then positive).
    dtype
        ``np.float64`` (default) or ``np.float32``.
    """
    n = n_samples if n_samples is not None else draw(st.integers(min_samples, max_samples))
    d = n_features if n_features is not None else draw(st.integers(min_features, max_features))
    width = 32 if np.dtype(dtype) == np.float32 else 64
    elements = st.floats(-bound, bound, allow_nan=False, allow_infinity=False, allow_subnormal=False,
                         width=width)
    return draw(hnp.arrays(dtype, (n, d), elements=elements, unique=unique))
