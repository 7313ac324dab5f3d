"""Toy problems with known answers: correlated Gaussians, the benchmark-mi tasks of
Czyz et al. (2023) (invertible transforms, a multivariate Student-t), the 8-mode
mixture, the 12-bit task of Shwartz-Ziv & Tishby."""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch
from scipy.special import digamma, gammaln

from infoplane._validation import check_float, check_int, check_samples, check_seed, real_array

# The largest MI per coordinate (nats) correlation_for_mi accepts.
_MAX_MI_PER_COORDINATE = 8.0

# Degrees of freedom the Student-t tasks accept: below, the shared scale of a float64
# draw can underflow; above, the closed form's terms cancel to fewer than 9 digits.
_NU_RANGE = (0.1, 1e6)


def _correlated_normals(rng: np.random.Generator, n: int, d: int,
                        rho: float) -> tuple[np.ndarray, np.ndarray]:
    """X ~ N(0, I_d) and Y = rho X + sqrt(1 - rho^2) E, E ~ N(0, I_d), from ``rng`` in that order."""
    x = rng.standard_normal((n, d))
    y = rho * x + math.sqrt(1.0 - rho * rho) * rng.standard_normal((n, d))
    return x, y


def correlated_gaussians(n: int, d: int = 1, rho: float = 0.5,
                         seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """Samples of two d-dimensional Gaussians with known mutual information.

    Each pair (X_i, Y_i) is standard bivariate normal with correlation ``rho``; pairs
    are independent across i, so ``I(X;Y) = -d/2 ln(1 - rho^2)`` nats.

    Parameters
    ----------
    n : int
        Number of samples (>= 1).
    d : int
        Dimension of each of X and Y (>= 1).
    rho : float
        Correlation, in (-1, 1).
    seed : int
        Seed of the generator.

    Returns
    -------
    x, y : ndarray of shape (n, d), float64
    exact_mi_nats : float

    See Also
    --------
    correlation_for_mi : the ``rho`` that gives a chosen MI.

    Examples
    --------
    >>> from infoplane.data import correlated_gaussians
    >>> x, y, mi = correlated_gaussians(1000, d=2, rho=0.6, seed=0)
    >>> x.shape, round(mi, 4)
    ((1000, 2), 0.4463)
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    rho = check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    x, y = _correlated_normals(rng, n, d, rho)
    return x, y, -0.5 * d * math.log1p(-rho * rho)


def correlation_for_mi(mi: float, d: int = 1) -> float:
    """The componentwise correlation at which :func:`correlated_gaussians` has MI ``mi``.

    Inverts ``I(X;Y) = -d/2 ln(1 - rho^2)``: ``rho = sqrt(1 - exp(-2 mi / d))``, the
    Gaussian tasks of the benchmark-mi suite (Czyz et al. 2023, "Beyond normal: on the
    evaluation of mutual information estimators", NeurIPS, arXiv:2306.11078), whose MI
    is set first and the correlation derived from it.

    Parameters
    ----------
    mi : float
        The mutual information, in nats (>= 0), at most 8 nats per coordinate
        (``mi / d <= 8``): the rounding of ``rho`` to float64 is amplified by
        ``e^(2 mi / d)`` in the MI it gives, which up to there is ``mi`` to a relative
        1e-8 or better (and ``rho`` itself rounds to 1 beyond 18.7 nats).
    d : int
        Dimension of each of X and Y (>= 1).

    Returns
    -------
    rho : float
        The correlation of each pair (X_i, Y_i), in [0, 1).

    See Also
    --------
    correlated_gaussians : draws the samples and returns the exact MI of the ``rho``.

    Examples
    --------
    >>> from infoplane.data import correlated_gaussians, correlation_for_mi
    >>> rho = correlation_for_mi(2.0, d=5)
    >>> round(rho, 4)
    0.7421
    >>> x, y, mi = correlated_gaussians(1000, d=5, rho=rho, seed=0)
    >>> round(mi, 12)
    2.0
    """
    mi = check_float(mi, "mi", low=0.0)
    d = check_int(d, "d", minimum=1)
    if mi > _MAX_MI_PER_COORDINATE * d:
        raise ValueError(f"mi: {mi} nats over d = {d} coordinates is {mi / d:.4g} nats each; at most "
                         f"{_MAX_MI_PER_COORDINATE:g} (beyond, rho is too close to 1 in float64 for "
                         "the MI to keep its digits)")
    return math.sqrt(-math.expm1(-2.0 * mi / d))


def half_cube(t: object) -> np.ndarray:
    """The half-cube map ``sign(t) |t|^(3/2)``, elementwise: a bijection of R.

    A benchmark-mi transform (Czyz et al. 2023, "half-cube"): it is continuously
    differentiable and strictly increasing, with the continuous inverse
    ``sign(s) |s|^(2/3)`` (whose slope is infinite at 0 only), so applied to X or Y (or
    both) it leaves I(X;Y) unchanged while making the marginals non-Gaussian, with
    longer tails.

    Parameters
    ----------
    t : array_like (NumPy array, torch tensor or nested sequence) of real numbers
        Any shape; finite, with ``|t|`` below about 1e205 (above, ``|t|^(3/2)``
        overflows float64).

    Returns
    -------
    ndarray, float64, of the shape of ``t``

    Examples
    --------
    >>> from infoplane.data import half_cube
    >>> half_cube([-4.0, 0.0, 1.0, 9.0])
    array([-8.,  0.,  1., 27.])
    """
    t = real_array(t, "t")
    if not np.isfinite(t).all():
        raise ValueError("t: contains NaN or infinite values")
    with np.errstate(over="ignore"):
        out = np.sign(t) * np.abs(t) ** 1.5
    if not np.isfinite(out).all():
        raise ValueError(f"t: |t|^(3/2) overflows float64 (max |t| = {np.abs(t).max():.3g}; "
                         "keep |t| below 1e205)")
    return out


def spiral(x: object, speed: float = 1 / 3) -> np.ndarray:
    """The spiral map: rotate the first two coordinates of each row by ``speed * ||x||^2``.

    A benchmark-mi transform (Czyz et al. 2023, "spiral"): a rotation in the
    (x_1, x_2) plane by the angle ``theta = speed * ||x||^2`` (radians) keeps the norm,
    so ``spiral(spiral(x, speed), -speed)`` gives ``x`` back: a diffeomorphism, which
    leaves I(X;Y) unchanged while winding the samples into a spiral.

    Parameters
    ----------
    x : array_like of shape (n_samples, n_features), n_features >= 2
        Finite real numbers (NumPy array, torch tensor or nested sequence).
    speed : float
        Radians of rotation per unit of squared norm (finite; a negative speed turns
        the other way and undoes a positive one).

    Returns
    -------
    ndarray of shape (n_samples, n_features), float64
        A new array; coordinates 3 and above are copied unchanged.

    Examples
    --------
    >>> import numpy as np
    >>> from infoplane.data import spiral
    >>> x = np.array([[1.0, 0.0, 2.0]])
    >>> spiral(x, speed=np.pi / 10).round(6)              # ||x||^2 = 5: a quarter turn
    array([[0., 1., 2.]])
    >>> np.allclose(spiral(spiral(x), speed=-1 / 3), x)
    True
    """
    x = check_samples(real_array(x, "x"), "x")
    if x.shape[1] < 2:
        raise ValueError(f"x: expected at least 2 features (the spiral turns the first two), "
                         f"got {x.shape[1]}")
    speed = check_float(speed, "speed")
    with np.errstate(over="ignore", invalid="ignore"):
        square = (x ** 2).sum(1)
        theta = speed * square
    if not np.isfinite(square).all():
        raise ValueError("x: a squared norm overflows float64 (keep |x| below about 1e154)")
    if not np.isfinite(theta).all():
        raise ValueError(f"speed: speed * ||x||^2 overflows float64 (speed = {speed})")
    out = x.copy()
    out[:, 0] = np.cos(theta) * x[:, 0] - np.sin(theta) * x[:, 1]
    out[:, 1] = np.sin(theta) * x[:, 0] + np.cos(theta) * x[:, 1]
    return out


def _check_nu(nu: object) -> float:
    low, high = _NU_RANGE
    return check_float(nu, "nu", low=low, high=high)


def _student_t_entropy(d: int, nu: float, logdet: float = 0.0) -> float:
    """Differential entropy (nats) of a d-variate Student-t with nu dof and dispersion det exp(logdet)."""
    h = nu / 2
    return (0.5 * logdet + 0.5 * d * math.log(nu * math.pi) + gammaln(h) - gammaln(h + d / 2)
            + (h + d / 2) * (digamma(h + d / 2) - digamma(h)))


def student_t_mutual_information(d: int, rho: float, nu: float) -> float:
    """I(X;Y) of the multivariate Student-t pair of :func:`student_t_pairs`, in nats.

    (X, Y) is a 2d-variate t with ``nu`` degrees of freedom, location 0 and dispersion
    ``[[I, rho I], [rho I, I]]``; its marginals X, Y are d-variate t with the same
    ``nu`` and dispersion ``I``, so ``I(X;Y) = h(X) + h(Y) - h(X, Y)`` with the entropy
    of a k-variate t with dispersion ``Sigma`` (Arellano-Valle, Contreras-Reyes & Genton
    2013, "Shannon entropy and mutual information for multivariate skew-elliptical
    distributions", Scand. J. Stat. 40, Eq. 7; the MI from these entropies, as in Czyz
    et al. 2023)::

        h = 1/2 ln det Sigma + k/2 ln(nu pi) + ln Gamma(nu/2) - ln Gamma((nu + k)/2)
            + (nu + k)/2 [psi((nu + k)/2) - psi(nu/2)],

    and ``ln det Sigma = d ln(1 - rho^2)`` for the joint. The result exceeds the
    Gaussian part ``-d/2 ln(1 - rho^2)`` by the dependence the shared scale creates
    (positive even at ``rho = 0``) and tends to it as ``nu`` grows.

    Parameters
    ----------
    d : int
        Dimension of each of X and Y (>= 1).
    rho : float
        Componentwise correlation parameter of the dispersion, in (-1, 1).
    nu : float
        Degrees of freedom, in [0.1, 1e6] (beyond 1e6 the
        terms cancel to fewer than 9 digits; there the t is Gaussian to within 1e-9
        nats: use :func:`correlated_gaussians`).

    Returns
    -------
    float
        The mutual information, in nats.

    Examples
    --------
    >>> from infoplane.data import student_t_mutual_information
    >>> round(student_t_mutual_information(2, 0.8, 5.0), 6)    # Gaussian part: 1.021651
    1.072409
    """
    d = check_int(d, "d", minimum=1)
    rho = check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    nu = _check_nu(nu)
    return float(2 * _student_t_entropy(d, nu)
                 - _student_t_entropy(2 * d, nu, d * math.log1p(-rho * rho)))


def student_t_pairs(n: int, d: int, rho: float, nu: float,
                    seed: int = 0) -> tuple[np.ndarray, np.ndarray, float]:
    """Samples of a multivariate Student-t pair (X, Y) with known mutual information.

    The benchmark-mi Student-t task (Czyz et al. 2023): ``(X, Y) = (G, H) / W``
    with (G, H) the pairs of :func:`correlated_gaussians` (correlation ``rho`` per
    coordinate) and one shared scale ``W = sqrt(chi^2_nu / nu)`` per sample, drawn
    after G and H from the same generator. (X, Y) is then a 2d-variate t with ``nu``
    degrees of freedom; heavy tails and a dependence that no correlation shows.

    Parameters
    ----------
    n : int
        Number of samples (>= 1).
    d : int
        Dimension of each of X and Y (>= 1).
    rho : float
        Componentwise correlation of the Gaussian parts, in (-1, 1).
    nu : float
        Degrees of freedom, in [0.1, 1e6] (see :func:`student_t_mutual_information`).
    seed : int
        Seed of the generator (>= 0).

    Returns
    -------
    x, y : ndarray of shape (n, d), float64
    exact_mi_nats : float
        :func:`student_t_mutual_information` ``(d, rho, nu)``.

    Examples
    --------
    >>> from infoplane.data import student_t_pairs
    >>> x, y, mi = student_t_pairs(1000, d=2, rho=0.8, nu=5.0, seed=0)
    >>> x.shape, round(mi, 4)
    ((1000, 2), 1.0724)
    """
    n = check_int(n, "n", minimum=1)
    d = check_int(d, "d", minimum=1)
    rho = check_float(rho, "rho", low=-1, high=1, low_open=True, high_open=True)
    nu = _check_nu(nu)
    rng = np.random.default_rng(check_int(seed, "seed", minimum=0))
    x, y = _correlated_normals(rng, n, d, rho)
    w = np.sqrt(rng.chisquare(nu, size=(n, 1)) / nu)
    return x / w, y / w, student_t_mutual_information(d, rho, nu)


# Thesis 4.2.1 (Fig. 4.2) and the reference code of Ardizzone et al. (2019): eight
# components on the corners of a regular octagon (side 2), clockwise from the left,
# isotropic std 0.2. Labels: the first four corners red (0), the next two blue (1),
# then green (2) and purple (3).
EIGHT_MODES_CENTERS = torch.tensor([
    [-2.4142, 1.0], [-1.0, 2.4142], [1.0, 2.4142], [2.4142, 1.0],
    [2.4142, -1.0], [1.0, -2.4142], [-1.0, -2.4142], [-2.4142, -1.0],
])
EIGHT_MODES_LABELS = torch.tensor([0, 0, 0, 0, 1, 1, 2, 3])
EIGHT_MODES_STD = 0.2


def eight_modes(n: int, seed: int = 0) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
    """The 8-component Gaussian mixture of the inverse-problem chapter (thesis 4.2.1).

    Components are equally likely; component ``j`` has mean
    ``EIGHT_MODES_CENTERS[j]``, standard deviation ``EIGHT_MODES_STD`` and colour label
    ``EIGHT_MODES_LABELS[j]`` (4 + 2 + 1 + 1 components for the 4 colours).

    Parameters
    ----------
    n : int
        Number of samples.
    seed : int
        Seed of the generator.

    Returns
    -------
    x : Tensor of shape (n, 2), float32
    labels : Tensor of shape (n,), int64, colours 0..3
    components : Tensor of shape (n,), int64, components 0..7

    Examples
    --------
    >>> from infoplane.data import eight_modes
    >>> x, labels, comp = eight_modes(500, seed=0)
    >>> tuple(x.shape), int(labels.max())
    ((500, 2), 3)
    """
    n = check_int(n, "n", minimum=1)
    gen = torch.Generator().manual_seed(check_seed(seed))
    comp = torch.randint(0, 8, (n,), generator=gen)
    x = EIGHT_MODES_CENTERS[comp] + EIGHT_MODES_STD * torch.randn(n, 2, generator=gen)
    return x, EIGHT_MODES_LABELS[comp], comp


def _icosahedron() -> np.ndarray:
    g = (1 + math.sqrt(5)) / 2
    v = []
    for a, b in itertools.product((-1, 1), repeat=2):
        v += [(0, a, b * g), (a, b * g, 0), (b * g, 0, a)]
    v = np.array(v, dtype=float)
    return v / np.linalg.norm(v, axis=1, keepdims=True)


def twelve_bit_task() -> tuple[torch.Tensor, torch.Tensor]:
    """All 4096 binary patterns of the 12-bit task of Shwartz-Ziv & Tishby (2017).

    The rule (ours; the original ships data without a closed-form rule, and any
    symmetric rule with a near-balanced deterministic label serves): the 12 bits sit on
    the 12 vertices v_i of a regular icosahedron, as the original's 12 points spread
    over the sphere; a pattern's spins s_i = 2 x_i - 1 give the dipole
    m(x) = ||sum_i s_i v_i||, a function invariant under the icosahedron's rotations;
    the label is 1 when m(x) exceeds the median of m over all patterns. Because the
    label is a deterministic function of x, I(X;Y) = H(Y) = 0.99998 bits (2036 of the
    4096 patterns have label 1; the ties at the median go to label 0).

    Returns
    -------
    x : Tensor of shape (4096, 12), float32 in {0, 1}
    y : Tensor of shape (4096,), int64 in {0, 1}

    Examples
    --------
    >>> from infoplane.data import twelve_bit_task
    >>> x, y = twelve_bit_task()
    >>> tuple(x.shape), int(y.sum())
    ((4096, 12), 2036)
    """
    bits = ((np.arange(4096)[:, None] >> np.arange(12)[None, :]) & 1).astype(np.float64)
    dipole = np.linalg.norm((2 * bits - 1) @ _icosahedron(), axis=1)
    dipole = np.round(dipole, 9)  # equal dipoles compare equal despite rounding noise
    y = (dipole > np.median(dipole)).astype(np.int64)
    return torch.from_numpy(bits.astype(np.float32)), torch.from_numpy(y)
