"""Named distributions with known information values, for docs, lessons and tests.

Each function returns a fresh :class:`~infoplane.info.Distribution` and its docstring
states the values it is known for (in bits), so doctests, lessons and tests use the same
case instead of retyping its table (the style of ``dit.example_dists``).

- :func:`xor`: Z = X xor Y of two fair bits; pairwise independent, co-information -1 bit.
- :func:`giant_bit`: n copies of one uniform variable; co-information +log k.
- :func:`n_mod_m`: n - 1 uniform variables mod m and their sum mod m (``xor() == n_mod_m(3, 2)``).
- :func:`and_gate`: Z = X and Y of two fair bits; synergy that is not all-or-nothing.
- :func:`mickey_mouse_model`: data X, a noisy label Y and a noisy encoder p(z|x) of
  Kirsch et al.'s Mickey Mouse I-diagram (sec. 3.2) with every named region non-zero;
  :func:`mickey_mouse_values` gives each region in closed form.

:data:`EXAMPLES` maps a name to a zero-argument constructor of each, for identities that
must hold on all of them.

Examples
--------
>>> from infoplane.info import co_information, examples
>>> round(co_information(examples.xor(), base=2), 6), round(co_information(examples.giant_bit(), base=2), 6)
(-1.0, 1.0)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from itertools import product

import numpy as np

from infoplane._units import from_nats
from infoplane._validation import check_base, check_float, check_int
from infoplane.info.distribution import Distribution

__all__ = ["EXAMPLES", "and_gate", "binary_entropy", "giant_bit", "mickey_mouse_model",
           "mickey_mouse_values", "n_mod_m", "xor"]


def _names(n: int, names: str | Sequence[str] | None) -> str | Sequence[str]:
    if names is not None:
        return names
    return "XYZWVUTS"[:n] if n <= 8 else [f"X{i}" for i in range(1, n + 1)]


def binary_entropy(p: float, base: float = math.e) -> float:
    """``h(p) = -p log p - (1 - p) log(1 - p)``, the entropy of a coin with bias ``p``.

    Examples
    --------
    >>> binary_entropy(0.5, base=2), round(binary_entropy(0.25, base=2), 6)
    (1.0, 0.811278)
    """
    p = check_float(p, "p", low=0.0, high=1.0)
    base = check_base(base)
    nats = -sum(q * math.log(q) for q in (p, 1.0 - p) if q > 0)
    return from_nats(nats, base)


def n_mod_m(n: int = 3, m: int = 2, names: str | Sequence[str] | None = None) -> Distribution:
    """``n - 1`` independent uniform variables on ``{0..m-1}`` and their sum mod ``m``.

    Any ``n - 1`` of the variables are independent and uniform, and any ``n - 1``
    determine the last. Known values (bits, ``L = log2 m``): ``H[X_i] = L``, joint
    entropy ``(n - 1) L``, total correlation ``L``, dual total correlation ``(n - 1) L``,
    co-information ``(-1)**n L`` (interaction information ``+L``); every atom of the
    I-measure is 0 except the centre (co-information) and, for n = 3, the three
    conditional mutual informations ``I[X;Y|Z] = L``.

    Parameters
    ----------
    n : int
        Number of variables (>= 2).
    m : int
        Alphabet size (>= 1).
    names : str or sequence of str, optional
        Default ``"XYZ..."`` (``X1, X2, ...`` beyond eight variables).

    Examples
    --------
    >>> from infoplane.info import co_information, total_correlation
    >>> d = n_mod_m(4, 3)
    >>> round(co_information(d, base=3), 6), round(total_correlation(d, base=3), 6)
    (1.0, 1.0)
    """
    n = check_int(n, "n", minimum=2)
    m = check_int(m, "m", minimum=1)
    p = np.zeros((m,) * n)
    for free in product(range(m), repeat=n - 1):
        p[free + (sum(free) % m,)] = 1.0
    return Distribution(p / p.sum(), _names(n, names))


def xor(names: str | Sequence[str] = "XYZ") -> Distribution:
    """Two fair bits X, Y and Z = X xor Y (``n_mod_m(3, 2)``).

    Known values (bits): ``H[X] = H[Y] = H[Z] = 1``, ``H[X,Y,Z] = 2``; every pair is
    independent, ``I[X;Y] = 0``, yet ``I[X;Y|Z] = 1``; co-information ``I[X;Y;Z] = -1``
    (interaction information +1); total correlation 1, dual total correlation 2. Atoms:
    ``H[X|Y,Z] = 0`` (each variable is a function of the other two), ``I[X;Y|Z] = 1`` for
    each pair, centre -1.

    Examples
    --------
    >>> from infoplane.info import co_information, mutual_information
    >>> d = xor()
    >>> float(d.pmf[0, 1, 1]), mutual_information(d, "X", "Y"), round(co_information(d, base=2), 12)
    (0.25, 0.0, -1.0)
    """
    return n_mod_m(3, 2, names)


def giant_bit(n: int = 3, k: int = 2, names: str | Sequence[str] | None = None) -> Distribution:
    """``n`` copies of one uniform variable on ``{0..k-1}``: X = Y = Z = ...

    Known values (bits, ``L = log2 k``): every entropy and mutual information of any
    subsets is ``L``, so every conditional quantity is 0; co-information ``I[X;Y;Z] = L``
    (interaction information ``(-1)**n L``); total correlation ``(n - 1) L``; dual total
    correlation ``L``. The only non-zero atom is the centre, ``L``.

    Parameters
    ----------
    n : int
        Number of variables (>= 1).
    k : int
        Alphabet size (>= 1).
    names : str or sequence of str, optional

    Examples
    --------
    >>> from infoplane.info import co_information, total_correlation
    >>> d = giant_bit(3)
    >>> round(co_information(d, base=2), 12), round(total_correlation(d, base=2), 12)
    (1.0, 2.0)
    """
    n = check_int(n, "n", minimum=1)
    k = check_int(k, "k", minimum=1)
    p = np.zeros((k,) * n)
    for i in range(k):
        p[(i,) * n] = 1.0 / k
    return Distribution(p, _names(n, names))


def and_gate(names: str | Sequence[str] = "XYZ") -> Distribution:
    """Two fair bits X, Y and Z = X and Y.

    Known values (bits): ``H[Z] = h(1/4) = 2 - (3/4) log2 3 ~ 0.811278`` and, since Z is a
    function of (X, Y), ``I[X,Y;Z] = H[Z]`` and ``H[X,Y,Z] = 2``; ``I[X;Z] = I[Y;Z] =
    h(1/4) - 1/2 ~ 0.311278``; ``I[X;Y] = 0``; ``I[X;Y|Z] = (3/4) log2 3 - 1 ~ 0.188722``,
    so co-information ``I[X;Y;Z] = 1 - (3/4) log2 3 ~ -0.188722``.

    Examples
    --------
    >>> from infoplane.info import co_information
    >>> round(co_information(and_gate(), base=2), 6)
    -0.188722
    """
    p = np.zeros((2, 2, 2))
    for x, y in product(range(2), repeat=2):
        p[x, y, x & y] = 0.25
    return Distribution(p, names)


def mickey_mouse_model(label_noise: float = 0.1,
                       encoder_noise: float = 0.2) -> tuple[Distribution, np.ndarray]:
    """Data, label and encoder of a Mickey Mouse I-diagram with every region non-zero.

    X = (A, B, C) is three fair bits (outcome ``4a + 2b + c``); the label Y is A flipped
    with probability ``label_noise``; the encoder keeps B and a copy of A flipped with
    probability ``encoder_noise``: Z = (A', B) (outcome ``2a' + b``). So
    ``p(x, y, z) = p(x, y) p(z | x)`` (Kirsch et al. eq. 1) and every named quantity has a
    closed form in binary entropies (:func:`mickey_mouse_values`).

    Parameters
    ----------
    label_noise, encoder_noise : float
        Flip probabilities in [0, 1].

    Returns
    -------
    pxy : Distribution
        p(x, y) over ``("X", "Y")``, shape (8, 2).
    encoder : ndarray of shape (8, 4)
        ``encoder[x, z] = p(z | x)``, for :func:`~infoplane.info.mickey_mouse`.

    Examples
    --------
    >>> from infoplane.info import mickey_mouse
    >>> pxy, encoder = mickey_mouse_model()
    >>> q = mickey_mouse(pxy, encoder, base=2)
    >>> expected = mickey_mouse_values(base=2)
    >>> all(abs(q[k] - expected[k]) < 1e-12 for k in q)
    True
    """
    eps = check_float(label_noise, "label_noise", low=0.0, high=1.0)
    delta = check_float(encoder_noise, "encoder_noise", low=0.0, high=1.0)
    pxy = np.zeros((8, 2))
    encoder = np.zeros((8, 4))
    for a, b, c in product(range(2), repeat=3):
        x = 4 * a + 2 * b + c
        pxy[x, a] += (1.0 - eps) / 8
        pxy[x, 1 - a] += eps / 8
        encoder[x, 2 * a + b] += 1.0 - delta
        encoder[x, 2 * (1 - a) + b] += delta
    return Distribution(pxy, "XY"), encoder


def mickey_mouse_values(label_noise: float = 0.1, encoder_noise: float = 0.2,
                        base: float = math.e) -> dict[str, float]:
    """The named Mickey Mouse quantities of :func:`mickey_mouse_model`, in closed form.

    With ``h`` the binary entropy, ``e = label_noise``, ``d = encoder_noise`` and
    ``c = e (1 - d) + d (1 - e)`` (the flip probability from Y to A', a cascade of two
    binary symmetric channels), in bits: Relevant ``I[X;Y] = 1 - h(e)``, Preserved
    ``I[X;Z] = 2 - h(d)``, Preserved Relevant ``I[Y;Z] = 1 - h(c)``, Residual
    ``I[X;Y|Z] = h(c) - h(e)``, Redundant ``I[X;Z|Y] = 1 - h(d) + h(c)``, Decoder
    Uncertainty ``H[Y|Z] = h(c)``, Reverse Decoder Uncertainty ``H[Z|Y] = 1 + h(c)``,
    Label Uncertainty ``H[Y|X] = h(e)``, Encoding Uncertainty ``H[Z|X] = h(d)``, Nuisance
    ``H[X|Y] = 2 + h(e)``.

    Examples
    --------
    >>> q = mickey_mouse_values(0.0, 0.0, base=2)
    >>> q["Preserved Information"], q["Residual Information"], q["Nuisance"]
    (2.0, 0.0, 2.0)
    """
    eps = check_float(label_noise, "label_noise", low=0.0, high=1.0)
    delta = check_float(encoder_noise, "encoder_noise", low=0.0, high=1.0)
    base = check_base(base)
    bit = math.log(2)
    h_e, h_d = binary_entropy(eps), binary_entropy(delta)
    h_c = binary_entropy(eps * (1 - delta) + delta * (1 - eps))
    nats = {
        "Relevant Information": bit - h_e,
        "Preserved Information": 2 * bit - h_d,
        "Residual Information": h_c - h_e,
        "Redundant Information": bit - h_d + h_c,
        "Preserved Relevant Information": bit - h_c,
        "Decoder Uncertainty": h_c,
        "Reverse Decoder Uncertainty": bit + h_c,
        "Label Uncertainty": h_e,
        "Encoding Uncertainty": h_d,
        "Nuisance": 2 * bit + h_e,
    }
    return {name: from_nats(v, base) for name, v in nats.items()}


def _mickey_mouse_joint() -> Distribution:
    pxy, encoder = mickey_mouse_model()
    return pxy.add_channel(encoder, "X", "Z")


#: Name -> zero-argument constructor of every named example (a Distribution), for checks
#: that must hold on all of them. "mickey mouse" is the joint p(x, y) p(z | x) of
#: :func:`mickey_mouse_model` with its default noise levels.
EXAMPLES: dict[str, Callable[[], Distribution]] = {
    "xor": xor,
    "giant bit": giant_bit,
    "giant bit (4 vars, k=3)": lambda: giant_bit(4, 3),
    "2 mod 3": lambda: n_mod_m(2, 3),
    "4 mod 2": lambda: n_mod_m(4, 2),
    "3 mod 3": lambda: n_mod_m(3, 3),
    "and": and_gate,
    "mickey mouse": _mickey_mouse_joint,
}
