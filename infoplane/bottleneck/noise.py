"""Zero-entropy noise: Gaussian noise whose differential entropy is exactly zero.

Differential entropies of a continuous latent Z are unbounded below: scaling Z down
lowers H[Z] without changing what a network can decode from it (Kirsch, Lyle & Gal,
section 6.1). Adding independent noise eps fixes a floor, H[Z_hat + eps] >= H[eps]
(appendix A.5, Theorem 1). With eps ~ N(0, 1/(2 pi e) I) the floor is H[eps] = 0 per
dimension, so every information quantity of Z becomes non-negative and, for an
otherwise deterministic encoder, H[Z|X] = 0 and I(X;Z) = H[Z].

A Gaussian with variance s^2 has entropy h = 1/2 ln(2 pi e s^2) nats per dimension,
so the standard deviation for a wanted entropy h is s = exp(h) / sqrt(2 pi e).
"""

from __future__ import annotations

import math

import torch
from torch import nn

from infoplane._gaussian import LOG_2PIE, ZERO_ENTROPY_LOG_VAR
from infoplane._validation import check_float

#: Variance 1/(2 pi e) of zero-entropy Gaussian noise (section 6.1).
ZERO_ENTROPY_VARIANCE = math.exp(ZERO_ENTROPY_LOG_VAR)

_SQRT_2PIE = math.exp(0.5 * LOG_2PIE)  # sqrt(2 pi e)


def gaussian_std_for_entropy(entropy: float) -> float:
    """Standard deviation of a 1-D Gaussian whose differential entropy is ``entropy`` nats.

    Inverts h = 1/2 ln(2 pi e s^2): s = exp(h) / sqrt(2 pi e).

    Examples
    --------
    >>> from infoplane.bottleneck.noise import gaussian_std_for_entropy
    >>> round(gaussian_std_for_entropy(0.0) ** 2 * 2 * 3.141592653589793 * 2.718281828459045, 12)
    1.0
    """
    entropy = check_float(entropy, "entropy")
    try:
        return math.exp(entropy) / _SQRT_2PIE
    except OverflowError:
        raise ValueError(f"entropy: {entropy} nats needs a standard deviation exp(h) / sqrt(2 pi e) "
                         "beyond the float range (h <= 709)") from None


def gaussian_entropy_for_std(std: float) -> float:
    """Differential entropy, in nats, of a 1-D Gaussian with standard deviation ``std``.

    Examples
    --------
    >>> from infoplane.bottleneck.noise import gaussian_entropy_for_std, ZERO_ENTROPY_VARIANCE
    >>> abs(gaussian_entropy_for_std(ZERO_ENTROPY_VARIANCE ** 0.5)) < 1e-12
    True
    """
    std = check_float(std, "std", low=0.0, low_open=True)
    return 0.5 * (LOG_2PIE + 2.0 * math.log(std))


class GaussianNoise(nn.Module):
    """Add independent Gaussian noise with a chosen entropy per dimension.

    ``z = input + s * eps`` with eps ~ N(0, I) and s = exp(h) / sqrt(2 pi e), so the
    noise has differential entropy ``h`` nats per dimension (``h * d`` in total for a
    ``d``-dimensional input).

    Parameters
    ----------
    entropy : float
        Entropy of the noise in nats per dimension (any real number; 0 gives
        :class:`ZeroEntropyNoise`).
    at_eval : bool
        Also add noise in evaluation mode (``model.eval()``). With ``False`` the module
        is the identity at evaluation time.
    generator : torch.Generator, optional
        Source of the noise (on the input's device); the global RNG when omitted.

    Attributes
    ----------
    std : float
        Standard deviation of the noise.

    Examples
    --------
    >>> import torch
    >>> from infoplane.bottleneck import GaussianNoise
    >>> noise = GaussianNoise(entropy=1.0, generator=torch.Generator().manual_seed(0))
    >>> z = noise(torch.zeros(20000, 1))
    >>> round(float(z.var()) / noise.std ** 2, 1)
    1.0
    """

    def __init__(self, entropy: float = 0.0, *, at_eval: bool = False,
                 generator: torch.Generator | None = None) -> None:
        super().__init__()
        self.entropy = check_float(entropy, "entropy")
        self.std = gaussian_std_for_entropy(self.entropy)
        self.at_eval = bool(at_eval)
        if generator is not None and not isinstance(generator, torch.Generator):
            raise TypeError(f"generator: expected a torch.Generator or None, got {type(generator).__name__}")
        self.generator = generator

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        """Return ``x`` plus noise (a new tensor; ``x`` is not modified)."""
        if not (self.training or self.at_eval):
            return x
        if self.generator is not None:
            eps = torch.randn(x.shape, generator=self.generator, device=self.generator.device,
                              dtype=x.dtype).to(x.device)
        else:
            eps = torch.randn(x.shape, device=x.device, dtype=x.dtype)
        return x + self.std * eps

    @property
    def log_var(self) -> float:
        """ln s^2 = 2 h - ln(2 pi e), the log-variance of the noise (the zero-entropy one for h = 0).

        Examples
        --------
        >>> from infoplane.bottleneck import GaussianNoise, ZeroEntropyNoise
        >>> from infoplane._gaussian import ZERO_ENTROPY_LOG_VAR
        >>> ZeroEntropyNoise().log_var == ZERO_ENTROPY_LOG_VAR, round(GaussianNoise(0.5).log_var, 6)
        (True, -1.837877)
        """
        return 2.0 * self.entropy + ZERO_ENTROPY_LOG_VAR

    def total_entropy(self, dim: int) -> float:
        """Entropy in nats of the noise added to a ``dim``-dimensional input.

        Examples
        --------
        >>> from infoplane.bottleneck import GaussianNoise
        >>> GaussianNoise(entropy=0.5).total_entropy(4)
        2.0
        """
        return self.entropy * dim

    def extra_repr(self) -> str:
        return f"entropy={self.entropy:g} nats/dim, std={self.std:.4g}, at_eval={self.at_eval}"


class ZeroEntropyNoise(GaussianNoise):
    """Add eps ~ N(0, 1/(2 pi e) I), noise with zero differential entropy per dimension.

    Placed after the last layer of a deterministic encoder it makes H[Z|X] = H[eps] = 0
    and bounds H[Z] >= 0 and H[Z|Y] >= 0 (Kirsch, Lyle & Gal, section 6.1 and
    appendix A.5), so I(X;Z) = H[Z] and the surrogate regularizers cannot shrink the
    latent entropy without hurting the error.

    Parameters
    ----------
    at_eval : bool
        Also add the noise in evaluation mode (needed when measuring H[Z] of the noisy
        latent at evaluation time).
    generator : torch.Generator, optional
        Source of the noise; the global RNG when omitted.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane.bottleneck import ZeroEntropyNoise
    >>> noise = ZeroEntropyNoise(generator=torch.Generator().manual_seed(0))
    >>> eps = noise(torch.zeros(100000, 1))
    >>> round(0.5 * math.log(2 * math.pi * math.e * float(eps.var())), 2)  # entropy in nats
    0.0
    """

    def __init__(self, *, at_eval: bool = False, generator: torch.Generator | None = None) -> None:
        super().__init__(0.0, at_eval=at_eval, generator=generator)
