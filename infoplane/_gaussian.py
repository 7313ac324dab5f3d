"""The one home of Gaussians: constants, the diagonal-normal log-density, KL, entropy, mixtures.

Every layer that needs a Gaussian formula imports it from here (layer 0 of DESIGN.md),
so that ``log(2 pi)`` and ``log(2 pi e)`` are written once. All values are in nats.

- :data:`LOG_2PI` = ln(2 pi) and :data:`LOG_2PIE` = ln(2 pi e).
- :func:`diagonal_normal_log_prob`: log N(x; mean, diag exp(log_var)), summed over the
  last axis.
- :func:`standard_normal_log_prob`: log N(z; 0, I) summed over all but the batch axis.
- :func:`gaussian_entropy`: H[N(mean, diag exp(log_var))] = 1/2 sum (ln(2 pi e) + log_var).
- :func:`gaussian_kl`: KL(N(mu, diag e^log_var) || N(mu2, diag e^log_var2)) in closed form.
- :class:`GaussianMixture`: a mixture of diagonal Gaussians as a module (learnable means;
  optional learnable weights and variances), usable as the latent density of an INN, as
  the VIB marginal r(z), and as the class-conditional latent of IB-INN.

Examples
--------
>>> import math, torch
>>> from infoplane._gaussian import LOG_2PI, diagonal_normal_log_prob
>>> abs(float(diagonal_normal_log_prob(torch.zeros(1, 2))) + LOG_2PI) < 1e-6
True
"""

from __future__ import annotations

import math
from typing import NamedTuple

import torch
from torch import nn

from infoplane._nn import randn
from infoplane._validation import check_float, check_int

__all__ = ["LOG_2PI", "LOG_2PIE", "diagonal_normal_log_prob", "standard_normal_log_prob",
           "gaussian_entropy", "gaussian_kl", "GaussianMixture", "GaussianLatent", "ZERO_ENTROPY_LOG_VAR"]

LOG_2PI = math.log(2.0 * math.pi)
"""The constant ln(2 pi); the normalising constant of a unit Gaussian is -1/2 ln(2 pi) per dimension."""

LOG_2PIE = math.log(2.0 * math.pi * math.e)
"""The constant ln(2 pi e); the entropy of N(0, s^2) is 1/2 (ln(2 pi e) + ln s^2) nats."""


def diagonal_normal_log_prob(x: torch.Tensor, mean: torch.Tensor | float = 0.0,
                             log_var: torch.Tensor | float = 0.0) -> torch.Tensor:
    """log N(x; mean, diag exp(log_var)) in nats, summed over the last axis.

    ``-1/2 sum_i [(x_i - mean_i)^2 / exp(log_var_i) + log_var_i + ln(2 pi)]``;
    ``mean`` and ``log_var`` broadcast against ``x``.

    Examples
    --------
    >>> import torch
    >>> from infoplane._gaussian import diagonal_normal_log_prob
    >>> round(float(diagonal_normal_log_prob(torch.tensor([1.0]), 1.0, 0.0)), 6)  # -ln(2 pi)/2
    -0.918939
    """
    log_var = torch.as_tensor(log_var, dtype=x.dtype, device=x.device)
    return -0.5 * ((x - mean).pow(2) / torch.exp(log_var) + log_var + LOG_2PI).sum(-1)


def standard_normal_log_prob(z: torch.Tensor) -> torch.Tensor:
    """log N(z; 0, I) per sample in nats, summed over every axis but the first.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane._gaussian import standard_normal_log_prob
    >>> abs(float(standard_normal_log_prob(torch.zeros(1, 3, 2))) + 3 * math.log(2 * math.pi)) < 1e-5
    True
    """
    flat = z.reshape(z.shape[0], -1)
    return -0.5 * flat.pow(2).sum(1) - 0.5 * flat.shape[1] * LOG_2PI


def gaussian_entropy(log_var: torch.Tensor) -> torch.Tensor:
    """Differential entropy of N(mean, diag exp(log_var)) in nats, summed over the last axis.

    Examples
    --------
    >>> import math, torch
    >>> from infoplane._gaussian import gaussian_entropy
    >>> abs(float(gaussian_entropy(torch.zeros(2))) - math.log(2 * math.pi * math.e)) < 1e-6
    True
    """
    return 0.5 * (LOG_2PIE + log_var).sum(-1)


def gaussian_kl(mu: torch.Tensor, log_var: torch.Tensor, mu2: torch.Tensor | None = None,
                log_var2: torch.Tensor | None = None) -> torch.Tensor:
    """KL(N(mu, diag e^log_var) || N(mu2, diag e^log_var2)) per row, in nats.

    Closed form 1/2 sum_i [log_var2 - log_var + (e^log_var + (mu - mu2)^2) / e^log_var2 - 1];
    the second Gaussian defaults to N(0, I).

    Returns
    -------
    torch.Tensor
        Shape ``mu.shape[:-1]``.

    Examples
    --------
    >>> import torch
    >>> from infoplane._gaussian import gaussian_kl
    >>> float(gaussian_kl(torch.tensor([[1.0, 0.0]]), torch.zeros(1, 2)))  # 1/2 ||mu||^2
    0.5
    """
    for name, value in (("mu", mu), ("log_var", log_var), ("mu2", mu2), ("log_var2", log_var2)):
        if value is not None and (not isinstance(value, torch.Tensor) or not value.is_floating_point()):
            raise TypeError(f"{name}: expected a floating-point torch.Tensor, got {type(value).__name__}")
    if mu.shape != log_var.shape or mu.ndim < 1:
        raise ValueError(f"log_var: shape {tuple(log_var.shape)} differs from mu {tuple(mu.shape)}")
    if mu2 is None:
        mu2 = torch.zeros_like(mu)
    if log_var2 is None:
        log_var2 = torch.zeros_like(log_var)
    for name, value in (("mu2", mu2), ("log_var2", log_var2)):
        try:
            fits = torch.broadcast_shapes(value.shape, mu.shape) == mu.shape
        except RuntimeError:
            fits = False
        if not fits:
            raise ValueError(f"{name}: shape {tuple(value.shape)} does not broadcast to mu {tuple(mu.shape)}")
    kl = 0.5 * (log_var2 - log_var + (log_var.exp() + (mu - mu2).pow(2)) / log_var2.exp() - 1.0).sum(-1)
    if not bool(torch.isfinite(kl).all()):      # one check of the result; then find the culprit
        for name, value in (("mu", mu), ("log_var", log_var), ("mu2", mu2), ("log_var2", log_var2)):
            if not bool(torch.isfinite(value).all()):
                raise ValueError(f"{name}: contains NaN or infinite values")
        raise ValueError("log_var: the KL overflows (variances or mean gaps too large for the dtype)")
    return kl


class GaussianMixture(nn.Module):
    """A mixture of K diagonal Gaussians over R^d, in nats: q(z) = sum_k w_k N(z; mu_k, diag s_k^2).

    Parameters
    ----------
    means : tensor of shape (K, d)
        Component means (copied).
    log_vars : tensor of shape (K, d), optional
        Component log-variances; default zeros (unit covariances).
    log_weights : tensor of shape (K,), optional
        Unnormalised log mixture weights (normalised by ``log_softmax``); default uniform.
    learn_means, learn_log_vars, learn_weights : bool
        Which of the three are ``nn.Parameter`` (trained) rather than buffers (fixed,
        but still moved with ``.to()`` and saved in the ``state_dict``).

    Examples
    --------
    >>> import math, torch
    >>> from infoplane._gaussian import GaussianMixture
    >>> q = GaussianMixture(torch.tensor([[-3.0], [3.0]]))
    >>> round(float(q.log_prob(torch.tensor([[-3.0]]))), 4)  # ~ ln(1/2) - ln(2 pi)/2
    -1.6121
    >>> [round(p, 3) for p in q.log_posterior(torch.tensor([[-3.0]])).exp()[0].tolist()]
    [1.0, 0.0]
    """

    def __init__(self, means: torch.Tensor, log_vars: torch.Tensor | None = None,
                 log_weights: torch.Tensor | None = None, *, learn_means: bool = True,
                 learn_log_vars: bool = False, learn_weights: bool = False) -> None:
        super().__init__()
        means = torch.as_tensor(means, dtype=torch.get_default_dtype()).detach().clone()
        if means.ndim != 2 or means.shape[0] < 1 or means.shape[1] < 1:
            raise ValueError(f"means: expected shape (n_components, dim), got {tuple(means.shape)}")
        k, d = means.shape
        log_vars = torch.zeros(k, d) if log_vars is None else torch.as_tensor(log_vars).detach().clone()
        if tuple(log_vars.shape) != (k, d):
            raise ValueError(f"log_vars: expected shape {(k, d)}, got {tuple(log_vars.shape)}")
        log_weights = (torch.zeros(k) if log_weights is None
                       else torch.as_tensor(log_weights).detach().clone())
        if tuple(log_weights.shape) != (k,):
            raise ValueError(f"log_weights: expected shape {(k,)}, got {tuple(log_weights.shape)}")
        for name, value in (("means", means), ("log_vars", log_vars), ("log_weights", log_weights)):
            if not bool(torch.isfinite(value).all()):
                raise ValueError(f"{name}: contains NaN or infinite values")
        self._store("means", means.to(means.dtype), learn_means)
        self._store("log_vars", log_vars.to(means.dtype), learn_log_vars)
        self._store("log_weights_raw", log_weights.to(means.dtype), learn_weights)

    def _store(self, name: str, value: torch.Tensor, learn: bool) -> None:
        if learn:
            setattr(self, name, nn.Parameter(value))
        else:
            self.register_buffer(name, value)

    @classmethod
    def standard(cls, dim: int) -> GaussianMixture:
        """N(0, I) in ``dim`` dimensions as a one-component, fixed mixture.

        Examples
        --------
        >>> from infoplane._gaussian import GaussianMixture
        >>> GaussianMixture.standard(3).means.shape
        torch.Size([1, 3])
        """
        dim = check_int(dim, "dim", minimum=1)
        return cls(torch.zeros(1, dim), learn_means=False)

    @property
    def n_components(self) -> int:
        """K, the number of components."""
        return int(self.means.shape[0])

    @property
    def dim(self) -> int:
        """d, the dimension of z."""
        return int(self.means.shape[1])

    def log_weights(self) -> torch.Tensor:
        """Normalised log mixture weights ln w_k, shape ``(K,)``."""
        return torch.log_softmax(self.log_weights_raw, dim=0)

    def _check(self, z: torch.Tensor) -> torch.Tensor:
        if not isinstance(z, torch.Tensor):
            raise TypeError(f"z: expected a torch.Tensor, got {type(z).__name__}")
        if z.ndim < 1 or z.shape[-1] != self.dim:
            raise ValueError(f"z: expected a last axis of size {self.dim}, got shape {tuple(z.shape)}")
        return z

    def component_log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """ln N(z; mu_k, diag s_k^2) for every component: shape ``(..., K)`` for ``z`` of ``(..., d)``."""
        z = self._check(z)
        return diagonal_normal_log_prob(z.unsqueeze(-2), self.means, self.log_vars)

    def log_prob(self, z: torch.Tensor) -> torch.Tensor:
        """ln q(z) = logsumexp_k (ln w_k + ln N(z; mu_k, s_k^2)), shape ``z.shape[:-1]``."""
        return torch.logsumexp(self.component_log_prob(z) + self.log_weights(), dim=-1)

    def log_posterior(self, z: torch.Tensor) -> torch.Tensor:
        """ln p(k | z) by Bayes' rule, shape ``(..., K)``; each row's exp sums to one."""
        joint = self.component_log_prob(z) + self.log_weights()
        return torch.log_softmax(joint, dim=-1)

    def sample(self, n: int, component: int | torch.Tensor | None = None, temperature: float = 1.0,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Draw ``n`` samples, shape ``(n, d)``, without building an autograd graph.

        Parameters
        ----------
        n : int
        component : int or tensor of shape (n,), optional
            Draw from these components; by default the component is drawn from the weights.
        temperature : float
            Multiplies every component's standard deviation.
        generator : torch.Generator, optional
            Source of randomness; the global RNG otherwise.

        Examples
        --------
        >>> import torch
        >>> from infoplane._gaussian import GaussianMixture
        >>> q = GaussianMixture(torch.tensor([[0.0, 0.0], [10.0, 10.0]]))
        >>> z = q.sample(4, component=1, temperature=0.0)
        >>> z.tolist()[0]
        [10.0, 10.0]
        """
        n = check_int(n, "n", minimum=1)
        temperature = check_float(temperature, "temperature", low=0.0)
        with torch.no_grad():
            if component is None:
                probs = self.log_weights().exp()
                if generator is None:
                    k = torch.multinomial(probs, n, replacement=True)
                else:
                    k = torch.multinomial(probs.to(generator.device), n, replacement=True,
                                          generator=generator).to(probs.device)
            else:
                k = torch.as_tensor(component, device=self.means.device).long().reshape(-1)
                if k.numel() == 1:
                    k = k.expand(n)
                if k.shape[0] != n:
                    raise ValueError(f"component: expected one index or {n}, got {k.shape[0]}")
                if bool((k < 0).any()) or bool((k >= self.n_components).any()):
                    raise ValueError(f"component: expected indices in [0, {self.n_components}), "
                                     f"got {k.tolist()[:5]}")
            eps = randn((n, self.dim), self.means, generator)
            return self.means[k] + temperature * (0.5 * self.log_vars[k]).exp() * eps

    def extra_repr(self) -> str:
        return f"n_components={self.n_components}, dim={self.dim}"


class GaussianLatent(NamedTuple):
    """The latent of a batch and the law of its noise: Z = mean + exp(log_var / 2) * eps.

    What a model hands the information-plane recorder (``model.latent(x)``, see
    :mod:`infoplane.plane`): the sample ``z`` ``(n, d)``, the noise-free part ``mean``
    ``(n, d)`` and the log-variance of the Gaussian noise, per input ``(n, d)`` (a
    Gaussian encoder) or broadcastable to it (fixed noise such as zero-entropy noise).
    ``log_var=None`` declares a deterministic layer (Z = mean). With the noise law
    known, H[Z|X] = E_x sum_i 1/2 (ln(2 pi e) + log_var_i(x)) in closed form.

    Examples
    --------
    >>> import torch
    >>> from infoplane._gaussian import GaussianLatent, ZERO_ENTROPY_LOG_VAR, gaussian_entropy
    >>> lat = GaussianLatent(torch.zeros(3, 2), torch.zeros(3, 2), torch.full((2,), ZERO_ENTROPY_LOG_VAR))
    >>> abs(float(gaussian_entropy(lat.log_var))) < 1e-12   # zero-entropy noise: H[Z|X] = 0
    True
    """

    z: torch.Tensor
    mean: torch.Tensor
    log_var: torch.Tensor | None


ZERO_ENTROPY_LOG_VAR = -LOG_2PIE
"""The constant ln(1 / (2 pi e)), the log-variance of zero-entropy noise (entropy 0 nats per dimension)."""
