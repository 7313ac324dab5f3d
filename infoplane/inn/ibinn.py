"""IB-INN: a normalizing flow with a Gaussian-mixture latent, trained with the information bottleneck.

Ardizzone, Mackowiak, Rother & Koethe (NeurIPS 2020; thesis ch. 5, appendix C.2). An
INN g maps an input x, perturbed by eps ~ N(0, sigma^2 I) (eq. 4-5; sigma = 1e-3), to
z = g(x + eps), whose density is a mixture with one unit-covariance Gaussian per class,
q(z) = sum_y w_y N(z; mu_y, I). The model is a generative classifier: q(x|y) =
N(g(x); mu_y, I) ``|det J_g(x)|``, and Bayes' rule in latent space gives q(y|x).

Losses, all in nats (``IBINNLoss``):

- L_X = E[-log q_X(x + eps)] (eq. 5), computed as C.46 with a logsumexp over classes and
  every constant kept, so that L_X is a true negative log-likelihood;
- L_Y = E_t[log q(y | z) - log w_y] (eq. 6-7, C.47 with log_softmax), the Barber-Agakov
  bound CI(Y, Z_E) <= I(Y, Z_E) with label-smoothed targets t; its gradient does not reach
  the class weights w_y (C.42: L_Y alone would drive them to infinity);
- L_IB = 2 / (1 + gamma) (L_X / dim(X) - gamma L_Y) (eq. 9), gamma = beta / dim(X);
  ``gamma=0`` keeps only L_X (a plain flow with a mixture latent), ``gamma=inf`` only L_Y
  (a discriminative classifier), and ``class_nll_loss`` is beta = 1, the classical
  generative classifier of eq. 8's discussion.

Examples
--------
>>> import torch
>>> from infoplane.inn.ibinn import IBINN, IBINNLoss
>>> model = IBINN(4, n_classes=3, n_blocks=2, hidden=(16,), seed=0)
>>> x, y = torch.rand(8, 4), torch.arange(8) % 3
>>> loss, terms = IBINNLoss(gamma=1.0)(model, (x, y))
>>> sorted(terms)
['L_X', 'L_Y', 'accuracy', 'bits_per_dim']
>>> model.predict_proba(x).sum(1).allclose(torch.ones(8))
True
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F

from infoplane._gaussian import LOG_2PIE, GaussianLatent, GaussianMixture
from infoplane._nn import mlp, randn, seeded
from infoplane._validation import check_finite_tensor, check_float, check_int, check_seed
from infoplane.inn._checks import check_dims, check_hidden
from infoplane.inn.blocks import (
    AffineCoupling,
    AsinhStretch,
    Flatten,
    HaarDownsampling,
    Permutation,
    RandomOrthogonal,
)
from infoplane.inn.flow import SequenceINN
from infoplane.metrics.density import bits_per_dim

__all__ = ["IBINN", "IBINNLoss", "class_nll_loss", "equidistant_means", "gamma_to_beta", "beta_to_gamma",
           "ResidualBlock", "FeedForwardClassifier", "INNSoftmaxClassifier", "ClassifierLoss"]


def equidistant_means(n_classes: int, dim: int, distance: float = 5.0) -> torch.Tensor:
    """K class means in R^dim whose every pair is exactly ``distance`` apart.

    For ``dim >= K``: mean k is ``distance / sqrt(2 m)`` times the sum of the unit vectors
    ``e_{k + K j}``, j < m = dim // K (the official code's construction: scaled, disjoint
    one-hot blocks). For ``dim = K - 1``: a regular simplex. Fewer dimensions cannot hold
    K equidistant points, and raise ValueError.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.ibinn import equidistant_means
    >>> mu = equidistant_means(3, 7, distance=5.0)
    >>> torch.pdist(mu).round(decimals=5).tolist()
    [5.0, 5.0, 5.0]
    """
    k = check_int(n_classes, "n_classes", minimum=2)
    d = check_int(dim, "dim", minimum=1)
    distance = check_float(distance, "distance", low=0.0, low_open=True)
    if d >= k:
        m = d // k
        means = torch.zeros(k, d, dtype=torch.float64)
        for j in range(m):
            means[:, j * k:(j + 1) * k] = torch.eye(k, dtype=torch.float64)
        return (means * distance / math.sqrt(2 * m)).to(torch.get_default_dtype())
    if d == k - 1:
        # centred one-hot vectors of R^K lie in a (K-1)-dimensional subspace: rotate them there
        centred = torch.eye(k, dtype=torch.float64) - 1.0 / k
        basis = torch.linalg.svd(centred).Vh[: k - 1]             # (K-1, K) orthonormal rows
        means = centred @ basis.T                                  # pairwise distance sqrt(2)
        return (means * distance / math.sqrt(2)).to(torch.get_default_dtype())
    raise ValueError(f"dim: {k} equidistant class means need at least {k - 1} latent dimensions, got {d}")


def gamma_to_beta(gamma: float, dim: int) -> float:
    """The IB weight beta = gamma dim(X) of the rebalanced loss (eq. 9).

    Examples
    --------
    >>> from infoplane.inn.ibinn import gamma_to_beta
    >>> gamma_to_beta(0.5, 784)
    392.0
    """
    return check_float(gamma, "gamma", low=0.0) * check_int(dim, "dim", minimum=1)


def beta_to_gamma(beta: float, dim: int) -> float:
    """The rebalanced weight gamma = beta / dim(X) (eq. 9).

    Examples
    --------
    >>> from infoplane.inn.ibinn import beta_to_gamma
    >>> beta_to_gamma(392.0, 784)
    0.5
    """
    return check_float(beta, "beta", low=0.0) / check_int(dim, "dim", minimum=1)


def _fc_subnet(hidden: tuple[int, ...]) -> Callable[[int, int], nn.Module]:
    def make(c_in: int, c_out: int) -> nn.Module:
        return mlp([c_in, *hidden, c_out])

    return make


def _conv_subnet(width: int) -> Callable[[int, int], nn.Module]:
    def make(c_in: int, c_out: int) -> nn.Module:
        net = nn.Sequential(nn.Conv2d(c_in, width, 3, padding=1), nn.ReLU(),
                            nn.Conv2d(width, width, 3, padding=1), nn.ReLU(),
                            nn.Conv2d(width, c_out, 3, padding=1))
        return net.to(memory_format=torch.channels_last)   # see conv_subnet

    return make


_FIXED: dict[str, Callable[[int | None], tuple[type, dict]]] = {
    "haar": lambda _: (HaarDownsampling, {}),
    "permutation": lambda seed: (Permutation, {"seed": seed}),
    "flatten": lambda _: (Flatten, {}),
    "orthogonal": lambda seed: (RandomOrthogonal, {"seed": seed}),
    "stretch": lambda scale: (AsinhStretch, {"scale": scale}),
}
"""The parameter-free blocks of the layout: (block class, its keyword arguments)."""


def _layout(dims: tuple[int, ...], n_blocks: int, hidden: Sequence[int], conv_blocks: Sequence[int],
            conv_hidden: Sequence[int], base_seed: int,
            stretch: float | None = None) -> list[tuple[str, object]]:
    """The architecture as a list of (kind, argument): couplings get their subnet constructor.

    With ``stretch``, first an :class:`AsinhStretch` of [0, 1] at that scale. Images: per
    stage a Haar downsampling, then (coupling, channel permutation) pairs; then a
    flattening. Then (coupling, fixed orthogonal mixing) pairs on vectors. The IB-INN
    builds it with affine couplings, :class:`FeedForwardClassifier` with residual blocks.
    """
    n_blocks = check_int(n_blocks, "n_blocks", minimum=0)
    hidden = check_hidden(hidden, "hidden")
    if any(isinstance(d, bool) for d in dims) or (len(dims) == 1 and dims[0] < 2):
        raise ValueError(f"dims: expected at least 2 features (couplings split them in two), got {dims}")
    layout: list[tuple[str, object]] = []
    if stretch is not None:
        layout.append(("stretch", check_float(stretch, "stretch", low=0.0, low_open=True, high=1e6)))
    if len(dims) == 3:
        conv_blocks = tuple(check_int(b, "conv_blocks", minimum=0) for b in conv_blocks)
        conv_hidden = check_hidden(conv_hidden, "conv_hidden")
        if len(conv_blocks) != len(conv_hidden):
            raise ValueError(f"conv_hidden: expected one width per stage ({len(conv_blocks)}), "
                             f"got {len(conv_hidden)}")
        size = dims[1:]
        for stage, (count, width) in enumerate(zip(conv_blocks, conv_hidden, strict=True)):
            if size[0] % 2 or size[1] % 2:
                raise ValueError(f"dims: stage {stage} needs an even image size, got {size}")
            size = (size[0] // 2, size[1] // 2)
            layout.append(("haar", None))
            for k in range(count):
                layout.append(("coupling", _conv_subnet(width)))
                layout.append(("permutation", base_seed * 1000 + 100 * stage + k))
        layout.append(("flatten", None))
    for k in range(n_blocks):
        layout.append(("coupling", _fc_subnet(hidden)))
        layout.append(("orthogonal", base_seed * 1000 + 500 + k))
    return layout


def _labels(y: object, n: int, n_classes: int, device: torch.device) -> torch.Tensor:
    """Integer class labels of shape (n,) in [0, n_classes), or a ValueError naming ``y``."""
    if isinstance(y, torch.Tensor):
        t = y.detach()
    else:
        try:
            arr = np.asarray(y)
        except (TypeError, ValueError):
            raise ValueError("y: expected integer class labels") from None
        if arr.dtype.kind not in "biu":
            raise ValueError(f"y: expected integer class labels, got dtype {arr.dtype}")
        t = torch.as_tensor(arr)
    if t.is_floating_point() or t.is_complex() or t.dtype == torch.bool:
        raise ValueError(f"y: expected integer class labels, got dtype {t.dtype}")
    t = t.reshape(-1).long().to(device)
    if t.shape[0] != n:
        raise ValueError(f"y: expected {n} labels to match x, got {t.shape[0]}")
    if n and (int(t.min()) < 0 or int(t.max()) >= n_classes):
        raise ValueError(f"y: expected classes in [0, {n_classes}), got {int(t.min())}..{int(t.max())}")
    return t


def _batch(batch: object) -> tuple[torch.Tensor, object]:
    """(x, y) of a batch, with x finite and non-empty, or a ValueError naming ``batch``."""
    if not isinstance(batch, (tuple, list)) or len(batch) != 2:
        raise ValueError("batch: expected a pair (x, y)")
    x, y = batch
    if not isinstance(x, torch.Tensor) or not x.is_floating_point() or x.ndim < 2 or x.shape[0] == 0:
        raise ValueError("batch: expected x to be a non-empty floating-point tensor (n, ...)")
    if not bool(torch.isfinite(x.sum())) and not bool(torch.isfinite(x).all()):
        raise ValueError("batch: x contains NaN or infinite values")
    return x, y


class IBINN(nn.Module):
    """The IB-INN generative classifier: z = g(x + eps) with a class-wise Gaussian-mixture latent.

    Parameters
    ----------
    dims : int or (C, H, W)
        Shape of one input. Vectors get ``n_blocks`` fully connected affine couplings,
        each followed by a fixed random orthogonal mixing. Images (thesis ch. 5, the
        official MNIST model) get, per entry of ``conv_blocks``, a Haar downsampling and
        that many convolutional couplings with channel permutations, then a flattening
        and ``n_blocks`` fully connected couplings.
    n_classes : int
    n_blocks : int
        Fully connected coupling blocks.
    hidden : sequence of int
        Hidden widths of the fully connected subnetworks.
    conv_blocks, conv_hidden : sequences of int
        Convolutional couplings per resolution stage and the width of their subnetworks
        (images only).
    clamp : float
        Soft clamp of the coupling scales (thesis eq. 3.13): each coupling scales every
        feature by at most exp(clamp), so log|det| per dimension is at most clamp times
        the number of couplings. A budget that matters when sigma is small: since
        q(z) <= (2 pi)^(-D/2), reaching b bits/dim (:meth:`bits_per_dim`) takes a mean
        log|det| of at least -ln(sigma) - 1/2 - b ln 2 nats per dimension (5.5 for MNIST at
        1.3 with sigma = 1e-3), and couplings near their clamp learn slowly (README, MNIST).
    stretch : float, optional
        Scale s of a fixed :class:`~infoplane.inn.blocks.AsinhStretch` of [0, 1] before
        the first block (default: none). For data piled up at 0 and 1 (MNIST's background
        and strokes) with s near ``sigma`` it pays most of that log|det| budget with its own
        Jacobian, outside the clamp: on MNIST, 3.9 -> 1.9 bits/dim after 3 epochs on
        10 000 images (README). Counted in every density, so the bits/dim stay a bound.
    sigma : float
        Standard deviation of the input noise eps (eq. 4-5).
    mu_init : float
        Initial distance between every pair of class means (:func:`equidistant_means`).
    class_priors : tensor (K,), optional
        p(y) for the fixed class weights; default uniform.
    learn_means : bool
        Train the class means (``False`` keeps them fixed on their hypersphere: the
        regularised class-NLL baseline).
    learn_weights : bool
        Train the class log-weights (with gradients from L_X only).
    seed : int, optional
        Seed of the weights and the fixed mixings; the global RNG is left alone.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.ibinn import IBINN
    >>> model = IBINN((1, 8, 8), n_classes=10, conv_blocks=(1, 1), conv_hidden=(8, 8),
    ...               n_blocks=1, hidden=(32,), seed=0)
    >>> z, log_det = model(torch.rand(2, 1, 8, 8))
    >>> tuple(z.shape), tuple(log_det.shape)
    ((2, 64), (2,))
    """

    def __init__(self, dims: int | Sequence[int], n_classes: int, *, n_blocks: int = 8,
                 hidden: Sequence[int] = (256, 256), conv_blocks: Sequence[int] = (2, 2),
                 conv_hidden: Sequence[int] = (32, 64), clamp: float = 1.0, stretch: float | None = None,
                 sigma: float = 1e-3, mu_init: float = 5.0, class_priors: torch.Tensor | None = None,
                 learn_means: bool = True, learn_weights: bool = False, seed: int | None = None) -> None:
        super().__init__()
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        clamp = check_float(clamp, "clamp", low=1e-3, high=20.0)
        mu_init = check_float(mu_init, "mu_init", low=0.0, low_open=True, high=1e6)
        self.sigma = check_float(sigma, "sigma", low=0.0, high=1e3)
        dims_t = check_dims(dims, "dims")
        base_seed = 0 if seed is None else check_seed(seed) % 2**40
        layout = _layout(dims_t, n_blocks, hidden, conv_blocks, conv_hidden, base_seed, stretch)
        with seeded(seed):
            flow = SequenceINN(dims_t)
            for kind, arg in layout:
                if kind == "coupling":
                    flow.append(AffineCoupling, subnet_constructor=arg, clamp=clamp)
                else:
                    block, kwargs = _FIXED[kind](arg)
                    flow.append(block, **kwargs)
        width = flow.dims_out[0]
        self.flow = flow
        self.dims = dims_t
        self.n_dims = math.prod(dims_t)
        self.latent_dim = width
        if class_priors is None:
            log_w = torch.zeros(self.n_classes)
        else:
            try:
                priors = torch.as_tensor(np.asarray(class_priors, dtype=float)).reshape(-1).to(
                    torch.get_default_dtype())
            except (TypeError, ValueError):
                raise ValueError(f"class_priors: expected {self.n_classes} positive probabilities") from None
            if priors.shape[0] != self.n_classes or not bool(((priors > 0) & torch.isfinite(priors)).all()):
                raise ValueError(f"class_priors: expected {self.n_classes} positive probabilities")
            log_w = torch.log(priors / priors.sum())
        # the flow's own latent density (SequenceINN.latent_density), so flow.log_prob is log q(x)
        self.flow.latent_density = GaussianMixture(equidistant_means(self.n_classes, width, mu_init),
                                                   log_weights=log_w, learn_means=learn_means,
                                                   learn_weights=learn_weights)

    @property
    def latent_density(self) -> GaussianMixture:
        """The class-conditional latent q(z) = sum_y w_y N(z; mu_y, I) (the flow's latent density)."""
        return self.flow.latent_density

    def _check(self, x: torch.Tensor) -> torch.Tensor:
        check_finite_tensor(x, "x")
        if tuple(x.shape[1:]) != self.dims:
            raise ValueError(f"x: expected shape (n, {', '.join(map(str, self.dims))}), got {tuple(x.shape)}")
        return x

    def forward(self, x: torch.Tensor, rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """z = g(x) and log|det J| per sample (``rev=True``: x = g^-1(z) and its log-det)."""
        if not rev:
            self._check(x)
        return self.flow(x, rev=rev)

    def perturb(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """x + eps with eps ~ N(0, sigma^2 I) (eq. 4); a new tensor, ``x`` is not changed."""
        return x + self.sigma * randn(x.shape, x, generator)

    def log_prob(self, x: torch.Tensor) -> torch.Tensor:
        """log q(x) = log q(g(x)) + log|det J_g(x)| per sample, in nats, every constant included."""
        return self.flow.log_prob(self._check(x))

    def class_log_likelihood(self, x: torch.Tensor) -> torch.Tensor:
        """log q(x|y) = log N(g(x); mu_y, I) + log|det J|, shape ``(n, K)``, in nats."""
        z, log_det = self(x)
        return self.latent_density.component_log_prob(z) + log_det[:, None]

    def predict_log_proba(self, x: torch.Tensor) -> torch.Tensor:
        """log q(y|x) by Bayes' rule in latent space (the Jacobian cancels), shape ``(n, K)``."""
        z, _ = self(x)
        return self.decode(z)

    def predict_proba(self, x: torch.Tensor) -> torch.Tensor:
        """q(y|x), shape ``(n, K)``; each row sums to one."""
        return self.predict_log_proba(x).exp()

    def sample(self, y: torch.Tensor, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw x = g^-1(mu_y + temperature * eps) for each class label in ``y``, shape ``(n, *dims)``."""
        y = torch.as_tensor(y).reshape(-1)
        z = self.latent_density.sample(y.shape[0], component=y, temperature=temperature, generator=generator)
        with torch.no_grad():
            x, _ = self(z, rev=True)
        return x

    def latent_projection(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """The latents of ``x`` and the class means, projected linearly to 2-D (the paper's Fig. 7).

        The plane is spanned by the two principal directions of the K class means around
        their centre, so the layout of the mixture is kept as well as a plane can (exactly
        for K <= 3). Returns ``(points (n, 2), means (K, 2))`` in latent units.

        Examples
        --------
        >>> import torch
        >>> from infoplane.inn import IBINN
        >>> model = IBINN(4, n_classes=3, n_blocks=1, hidden=(8,), seed=0)
        >>> points, means = model.latent_projection(torch.zeros(5, 4))
        >>> tuple(points.shape), round(float(torch.dist(means[0], means[1])), 4)   # mu_init = 5 apart
        ((5, 2), 5.0)
        """
        with torch.no_grad():
            z, _ = self(x)
            means = self.latent_density.means.detach()
            centre = means.mean(0)
            _, _, vh = torch.linalg.svd(means - centre, full_matrices=False)
            basis = vh[:2].T
            if basis.shape[1] < 2:   # a 1-D latent: its line, drawn at height 0
                basis = torch.cat([basis, torch.zeros_like(basis)], 1)
            return (z - centre) @ basis, (means - centre) @ basis

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """Class log-probabilities log q(y|z) of latents ``z`` (the recorder's predictions), ``(n, K)``."""
        return self.latent_density.log_posterior(z)

    def latent(self, x: torch.Tensor) -> GaussianLatent:
        """The latent for the information-plane recorder: z = g(x), a deterministic layer."""
        z, _ = self(x)
        return GaussianLatent(z, z, None)

    def information_terms(self, x: torch.Tensor, y: torch.Tensor) -> dict[str, float]:
        """The paper's own estimates on ``(x, y)``, in nats: CI(X, Z_E) and CI(Y, Z_E).

        ``ci_xz`` = L_X - dim(X)/2 ln(2 pi e sigma^2) (Proposition 3: the cross-information of
        X and Z_E = g(x + eps); large for small sigma), ``ci_zy`` = H(Y) + E log q(y|z) with
        H(Y) of the class weights (eq. 6), and ``l_x`` = L_X. Named ``ci_*`` so that in the
        recorder's rows they stand beside, not over, the estimated ``i_xz`` and ``i_zy``. Noise is
        drawn from a generator seeded with 0, so two calls agree.
        """
        gen = torch.Generator(device=x.device).manual_seed(0)
        with torch.no_grad():
            x_eps = self.perturb(self._check(x), gen)
            z, log_det = self(x_eps)
            l_x = -(self.latent_density.log_prob(z) + log_det).mean()
            log_w = self.latent_density.log_weights()
            log_post = self.latent_density.log_posterior(z)
            y = _labels(y, z.shape[0], self.n_classes, z.device)
            i_zy = -(log_w.exp() * log_w).sum() + log_post.gather(1, y[:, None]).mean()
        noise_entropy = 0.5 * self.n_dims * (LOG_2PIE + 2 * math.log(self.sigma)) if self.sigma > 0 else 0.0
        return {"ci_xz": float(l_x) - noise_entropy, "ci_zy": float(i_zy), "l_x": float(l_x)}

    def bits_per_dim(self, x: torch.Tensor, generator: torch.Generator | None = None, draws: int = 1,
                     batch_size: int = 500) -> float:
        """Bits per dimension of discrete data ``x``: CI(X, Z_E) / (dim(X) ln 2), in bits.

        ``(E_eps[-log q(x + eps)] - H(E)) / (dim(X) ln 2)`` with eps ~ N(0, sigma^2 I) and
        H(E) = dim(X)/2 ln(2 pi e sigma^2), the paper's Proposition 3 read as a rate: L_X
        (eq. 5) less the noise entropy is the cross-information CI(X, Z_E) >= I(X, Z_E)
        (Proposition 2), and I(X, Z_E) = I(X, X + E) equals H(X) up to terms that vanish
        like exp(-Delta^2 / (8 sigma^2)) for data on a grid of step Delta (thesis C.39). So
        for quantised data (steps well above sigma: 1/256 for 8-bit images against sigma =
        1e-3) it is an upper bound on the data's entropy per dimension, whatever the model,
        up to those terms and the Monte Carlo error of ``draws`` noise draws per example.

        Not ``bits_per_dim(-log_prob(x), d, bin_width=Delta)``: that reads the density at the
        grid points as constant over each bin, which a model trained on x + eps with sigma
        below the bin width need not be (it may concentrate its mass near the grid points),
        and then it can fall below the data's entropy; it is the right figure only for a
        density that is flat at the scale of a bin (uniform dequantisation).

        Parameters
        ----------
        x : Tensor of shape (n, *dims)
            The data, without noise (this method adds it).
        generator : torch.Generator, optional
            Source of the noise; the global RNG otherwise.
        draws : int
            Noise draws per example, averaged.
        batch_size : int
            Examples per forward pass.

        Raises
        ------
        ValueError
            When ``sigma`` is 0 (there is no noise entropy to subtract) or ``x`` is bad.

        Examples
        --------
        >>> import torch
        >>> from infoplane.inn.ibinn import IBINN
        >>> model = IBINN(4, n_classes=2, n_blocks=1, hidden=(8,), seed=0)
        >>> bpd = model.bits_per_dim(torch.zeros(10, 4), torch.Generator().manual_seed(0))
        >>> # untrained, g is the identity and both unit-Gaussian means lie sqrt(12.5) from x = 0:
        >>> # (2 ln(2 pi) + 12.5 / 2 - H(E)) / (4 ln 2) with H(E) = 2 ln(2 pi e sigma^2)
        >>> round(bpd, 2)
        11.5
        """
        if self.sigma <= 0:
            raise ValueError("sigma: bits_per_dim needs input noise (sigma > 0); this model has sigma = 0")
        x = self._check(x)
        draws = check_int(draws, "draws", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        total = 0.0
        with torch.no_grad():
            for _ in range(draws):
                for start in range(0, x.shape[0], batch_size):
                    chunk = x[start:start + batch_size]
                    total += float(-self.flow.log_prob(self.perturb(chunk, generator)).sum())
        l_x = total / (draws * x.shape[0])                                           # eq. 5, nats
        noise_entropy = 0.5 * self.n_dims * (LOG_2PIE + 2 * math.log(self.sigma))
        return (l_x - noise_entropy) / (self.n_dims * math.log(2.0))


class IBINNLoss:
    """The rebalanced IB-INN loss L_IB = 2/(1+gamma) (L_X / dim(X) - gamma L_Y) (eq. 9), in nats.

    Parameters
    ----------
    gamma : float
        The rebalanced IB weight gamma = beta / dim(X) >= 0; ``math.inf`` keeps only L_Y
        (the loss is then -L_Y), 0 only L_X / dim(X).
    label_smoothing : float
        Targets t = (1 - s) onehot(y) + s / K (the paper's 0.05).
    bin_width : float
        Quantisation step of the data for the logged bits/dim (1/256 for 8-bit images in
        [0, 1]; 1/16 for the digits data). That term reads L_X with the bin width,
        ``L_X / (d ln 2) + log2(1 / bin_width)``: a training monitor, which is an upper bound
        on the data's bits/dim only while the density is flat at the scale of a bin. To
        report a model's bits/dim use :meth:`IBINN.bits_per_dim` (CI(X, Z_E) per
        dimension, a bound for any model); the two differ by ``log2(sqrt(2 pi e) sigma /
        bin_width)`` per dimension (+0.08 bits for sigma = 1e-3 and 8-bit images).
    generator : torch.Generator, optional
        Source of the input noise eps.

    The terms, per example: ``L_X`` (nats per dimension), ``L_Y`` (nats, the CI(Y, Z_E)
    bound: larger is better), ``bits_per_dim`` (of L_X, with the bin width) and
    ``accuracy``.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.inn.ibinn import IBINN, IBINNLoss
    >>> model = IBINN(2, n_classes=2, n_blocks=1, hidden=(8,), sigma=0.0, seed=0)
    >>> x, y = torch.zeros(4, 2), torch.tensor([0, 1, 0, 1])
    >>> l0, t0 = IBINNLoss(gamma=0)(model, (x, y))
    >>> bool(torch.isclose(l0, 2 * t0["L_X"]))        # gamma = 0: 2 L_X / dim(X)
    True
    """

    def __init__(self, gamma: float = 1.0, label_smoothing: float = 0.05, *, bin_width: float = 1 / 256,
                 generator: torch.Generator | None = None) -> None:
        if isinstance(gamma, bool) or not isinstance(gamma, (int, float)) or math.isnan(gamma) or gamma < 0:
            raise ValueError(f"gamma: expected a number >= 0 (math.inf allowed), got {gamma!r}")
        self.gamma = float(gamma)
        self.label_smoothing = check_float(label_smoothing, "label_smoothing", low=0.0, high=1.0,
                                           high_open=True)
        self.bin_width = check_float(bin_width, "bin_width", low=0.0, low_open=True)
        self.generator = generator

    def terms(self, model: IBINN, x: torch.Tensor, y: torch.Tensor) -> dict[str, torch.Tensor]:
        """Per-batch means of L_X (nats, total per example), L_Y (nats) and the accuracy."""
        if not isinstance(model, IBINN):
            raise TypeError(f"model: expected an IBINN, got {type(model).__name__}")
        x, _ = _batch((x, y))
        y = _labels(y, x.shape[0], model.n_classes, x.device)
        z, log_det = model(model.perturb(x, self.generator))
        density = model.latent_density
        comp = density.component_log_prob(z)                                # (n, K): log N(z; mu_y, I)
        joint = comp + density.log_weights()
        l_x = -(torch.logsumexp(joint, dim=1) + log_det)                    # eq. 5, C.46
        log_w = density.log_weights().detach()                              # C.42: no L_Y gradient
        log_post = torch.log_softmax(comp + log_w, dim=1)
        k = model.n_classes
        targets = F.one_hot(y, k).to(z.dtype) * (1 - self.label_smoothing) + self.label_smoothing / k
        l_y = ((log_post - log_w) * targets).sum(1)                         # eq. 6-7, C.47
        accuracy = (joint.argmax(1) == y).to(z.dtype).mean()
        return {"L_X": l_x.mean(), "L_Y": l_y.mean(), "accuracy": accuracy}

    def __call__(self, model: IBINN, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[
            torch.Tensor, dict[str, torch.Tensor]]:
        x, y = _batch(batch)
        t = self.terms(model, x, y)
        l_x_dim = t["L_X"] / model.n_dims
        if math.isinf(self.gamma):
            loss = -t["L_Y"]
        else:
            loss = 2.0 / (1.0 + self.gamma) * (l_x_dim - self.gamma * t["L_Y"])   # eq. 9
        terms = {"L_X": l_x_dim.detach(), "L_Y": t["L_Y"].detach(),
                 "bits_per_dim": bits_per_dim(t["L_X"].detach(), model.n_dims, bin_width=self.bin_width),
                 "accuracy": t["accuracy"]}
        return loss, terms


def class_nll_loss(model: IBINN, batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[
        torch.Tensor, dict[str, torch.Tensor]]:
    """The class-conditional NLL -E log q(x + eps | y) / dim(X) (beta = 1), in nats per dimension.

    The classical generative-classifier loss (the paper's "Class-NLL"): it pulls each
    latent towards its own class mean and never pushes it from the others, so the means
    tend to collapse. With ``IBINN(learn_means=False)`` the means stay on their
    hypersphere (the regularised baseline).

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.ibinn import IBINN, class_nll_loss
    >>> model = IBINN(2, n_classes=2, n_blocks=1, hidden=(8,), seed=0)
    >>> loss, terms = class_nll_loss(model, (torch.zeros(3, 2), torch.tensor([0, 1, 1])))
    >>> sorted(terms)
    ['accuracy', 'class_nll']
    """
    if not isinstance(model, IBINN):
        raise TypeError(f"model: expected an IBINN, got {type(model).__name__}")
    x, y = _batch(batch)
    y = _labels(y, x.shape[0], model.n_classes, x.device)
    z, log_det = model(model.perturb(x))
    comp = model.latent_density.component_log_prob(z)
    nll = -(comp.gather(1, y[:, None]).squeeze(1) + log_det).mean() / model.n_dims
    accuracy = ((comp + model.latent_density.log_weights()).argmax(1) == y).to(z.dtype).mean()
    return nll, {"class_nll": nll.detach(), "accuracy": accuracy}


class ResidualBlock(nn.Module):
    """The feed-forward twin of an affine coupling: x <- lrelu(x + f1(x_b)), x <- lrelu(x + f2(x_a)).

    ``x_a`` and ``x_b`` are the coupling's two halves (features or channels), and f1, f2
    are built by the same subnetwork constructor as the coupling's, with the same input
    widths and the full width as output (the coupling's 2 x half), so the parameter count
    matches the coupling's (exactly for an even width). Not invertible.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.ibinn import ResidualBlock, _fc_subnet
    >>> ResidualBlock(6, _fc_subnet((8,)))(torch.zeros(2, 6)).shape
    torch.Size([2, 6])
    """

    def __init__(self, channels: int, subnet_constructor: Callable[[int, int], nn.Module]) -> None:
        super().__init__()
        channels = check_int(channels, "channels", minimum=2)
        self.split = channels // 2
        self.f1 = subnet_constructor(channels - self.split, channels)
        self.f2 = subnet_constructor(self.split, channels)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Two residual steps, each reading one half and updating all features."""
        x = F.leaky_relu(x + self.f1(x[:, self.split:]))
        return F.leaky_relu(x + self.f2(x[:, :self.split]))


class FeedForwardClassifier(nn.Module):
    """The IB-INN's architecture with every coupling replaced by a :class:`ResidualBlock`, and a linear head.

    The discriminative baseline of the paper's Table 1 ("feed-forward"): the same
    layout, subnetwork widths, fixed mixings and Haar downsamplings as
    :class:`IBINN` with the same arguments, so the parameter counts agree to within
    the head (D K + K here against the K D class means there). ``forward`` returns
    class logits; train it with :class:`ClassifierLoss`. ``stretch`` puts the IB-INN's fixed
    input stretch in front as well, so the twin sees the same inputs.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.ibinn import FeedForwardClassifier
    >>> FeedForwardClassifier(8, n_classes=3, n_blocks=2, hidden=(16,), seed=0)(torch.zeros(5, 8)).shape
    torch.Size([5, 3])
    """

    def __init__(self, dims: int | Sequence[int], n_classes: int, *, n_blocks: int = 8,
                 hidden: Sequence[int] = (256, 256), conv_blocks: Sequence[int] = (2, 2),
                 conv_hidden: Sequence[int] = (32, 64), stretch: float | None = None,
                 seed: int | None = None) -> None:
        super().__init__()
        self.n_classes = check_int(n_classes, "n_classes", minimum=2)
        self.dims = check_dims(dims, "dims")
        base_seed = 0 if seed is None else check_seed(seed) % 2**40
        layout = _layout(self.dims, n_blocks, hidden, conv_blocks, conv_hidden, base_seed, stretch)
        with seeded(seed):
            layers: list[nn.Module] = []
            shape = self.dims
            for kind, arg in layout:
                if kind == "coupling":
                    layers.append(ResidualBlock(shape[0], arg))
                else:
                    block_cls, kwargs = _FIXED[kind](arg)
                    block = block_cls(shape, **kwargs)
                    layers.append(block)
                    shape = block.dims_out
            self.layers = nn.ModuleList(layers)
            self.head = nn.Linear(shape[0], self.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, shape ``(n, K)``."""
        check_finite_tensor(x, "x")
        if tuple(x.shape[1:]) != self.dims:
            raise ValueError(f"x: expected shape (n, {', '.join(map(str, self.dims))}), got {tuple(x.shape)}")
        for layer in self.layers:
            x = layer(x) if isinstance(layer, ResidualBlock) else layer(x)[0]   # fixed blocks: (y, log_det)
        return self.head(x)


class INNSoftmaxClassifier(nn.Module):
    """The IB-INN's invertible network trained as a plain softmax classifier (i-RevNet style).

    z = g(x) by the same flow as :class:`IBINN` (same arguments), then linear logits of z.
    Not a generative model; it separates the effect of invertibility from that of the
    loss (the paper's Table 1). ``forward`` returns class logits; train it with
    :class:`ClassifierLoss`.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.ibinn import INNSoftmaxClassifier
    >>> INNSoftmaxClassifier(8, n_classes=3, n_blocks=2, hidden=(16,), seed=0)(torch.zeros(5, 8)).shape
    torch.Size([5, 3])
    """

    def __init__(self, dims: int | Sequence[int], n_classes: int, *, seed: int | None = None,
                 **flow_options: object) -> None:
        super().__init__()
        inn = IBINN(dims, n_classes, seed=seed, **flow_options)
        self.flow, self.dims, self.n_classes = inn.flow, inn.dims, inn.n_classes
        self.flow.latent_density = None   # a softmax head instead of the class-wise mixture
        with seeded(None if seed is None else (check_seed(seed) + 1) % 2**64):
            self.head = nn.Linear(inn.latent_dim, self.n_classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Class logits, shape ``(n, K)``."""
        check_finite_tensor(x, "x")
        if tuple(x.shape[1:]) != self.dims:
            raise ValueError(f"x: expected shape (n, {', '.join(map(str, self.dims))}), got {tuple(x.shape)}")
        z, _ = self.flow(x)
        return self.head(z)


class ClassifierLoss:
    """Softmax cross-entropy with label smoothing, in nats per example: the discriminative baselines' loss.

    Terms: ``cross_entropy`` (without smoothing, the number to compare) and ``accuracy``.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.inn.ibinn import ClassifierLoss
    >>> batch = (torch.zeros(4, 1), torch.tensor([0, 1, 0, 1]))
    >>> loss, terms = ClassifierLoss(0.0)(lambda x: torch.zeros(4, 2), batch)   # uniform logits
    >>> round(float(loss), 6) == round(math.log(2), 6)
    True
    """

    def __init__(self, label_smoothing: float = 0.05) -> None:
        self.label_smoothing = check_float(label_smoothing, "label_smoothing", low=0.0, high=1.0,
                                           high_open=True)

    def __call__(self, model: Callable[[torch.Tensor], torch.Tensor],
                 batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        if not callable(model):
            raise TypeError(f"model: expected a callable model, got {type(model).__name__}")
        x, y = _batch(batch)
        logits = model(x)
        y = _labels(y, x.shape[0], logits.shape[-1], logits.device)
        loss = F.cross_entropy(logits, y, label_smoothing=self.label_smoothing)
        terms = {"cross_entropy": F.cross_entropy(logits.detach(), y),
                 "accuracy": (logits.detach().argmax(1) == y).to(logits.dtype).mean()}
        return loss, terms
