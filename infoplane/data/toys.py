"""Toy problems with known answers: correlated Gaussians, the 8-mode mixture, the
12-bit task of Shwartz-Ziv & Tishby."""

from __future__ import annotations

import itertools
import math

import numpy as np
import torch

from infoplane._validation import check_float, check_int, check_seed


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
    x = rng.standard_normal((n, d))
    y = rho * x + math.sqrt(1.0 - rho * rho) * rng.standard_normal((n, d))
    return x, y, -0.5 * d * math.log1p(-rho * rho)


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
