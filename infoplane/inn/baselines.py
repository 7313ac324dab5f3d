"""Baselines for inverse problems: ABC rejection sampling and a conditional VAE.

- :func:`abc_rejection` draws the (approximate) true posterior ``p(x | y*)`` by running
  the forward process on prior samples and keeping those whose outcome lands near
  ``y*`` (thesis 4.2.2 and B.4): the *threshold* variant keeps every sample with
  ``||s(x) - y*|| < epsilon`` until ``n_samples`` are accepted, the *quantile* variant
  runs ``n_samples / quantile`` simulations and keeps the ``n_samples`` closest.
- :class:`ConditionalVAE` is the cVAE of thesis 4.2.1 / B.5.2: an encoder
  ``q(z | x, y)``, a decoder ``x = g(z, y)``; its loss :class:`ConditionalVAELoss` weighs
  a reconstruction term against the KL divergence to ``N(0, I)``. Sampling the posterior
  feeds ``z ~ N(0, I)`` with ``y*`` to the decoder.

Both return posterior samples of shape (n_observations, n_samples, x_dim), like
:meth:`infoplane.inn.InverseINN.posterior`.

Examples
--------
>>> import torch
>>> from infoplane.data import inverse_kinematics as ik
>>> from infoplane.inn.baselines import abc_rejection
>>> y_star = ik.forward(ik.sample_prior(2, seed=1))
>>> res = abc_rejection(ik.forward, ik.sample_prior, y_star, 50, quantile=0.01, seed=0)
>>> tuple(res.samples.shape), res.simulations
((2, 50, 4), 5000)
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np
import torch
from torch import nn

from infoplane._nn import mlp, seeded
from infoplane._nn import randn as _randn
from infoplane._validation import check_float, check_int
from infoplane.inn._checks import (
    check_dtype,
    check_finite_batch,
    check_hidden,
    check_pair_batch,
    check_seed,
    check_y_star,
)

__all__ = ["ABCResult", "ConditionalVAE", "ConditionalVAELoss", "CVAEOutput", "abc_rejection"]


@dataclass
class ABCResult:
    """What :func:`abc_rejection` returns.

    Attributes
    ----------
    samples : Tensor of shape (n_observations, n_samples, x_dim)
        Accepted prior samples per observation.
    epsilon : Tensor of shape (n_observations,)
        Largest distance ``||s(x) - y*||`` among the accepted samples (units of ``y``).
    simulations : int
        Forward simulations run (shared by all observations).
    """

    samples: torch.Tensor
    epsilon: torch.Tensor
    simulations: int


def _batch_seed(seed: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, index]).generate_state(1)[0])


def abc_rejection(forward: Callable, sample_prior: Callable, y_star: torch.Tensor, n_samples: int, *,
                  epsilon: float | None = None, quantile: float | None = None,
                  batch_size: int = 100_000, max_simulations: int = 50_000_000,
                  seed: int = 0, max_elements: int = 2**24) -> ABCResult:
    """Approximate Bayesian computation by rejection (thesis 4.2.2, B.4).

    Give exactly one of ``epsilon`` (threshold variant) or ``quantile`` (quantile variant).

    Parameters
    ----------
    forward : callable
        The simulator ``s``: Tensor (n, x_dim) -> Tensor (n, y_dim).
    sample_prior : callable
        ``sample_prior(n, seed) -> Tensor (n, x_dim)``, e.g.
        :func:`infoplane.data.inverse_kinematics.sample_prior`.
    y_star : Tensor of shape (n_observations, y_dim)
        Observations; one simulation batch serves all of them.
    n_samples : int
        Posterior samples per observation.
    epsilon : float, optional
        Acceptance radius (Euclidean, units of ``y``); simulate until every
        observation has ``n_samples`` samples with ``||s(x) - y*|| < epsilon``.
    quantile : float in (0, 1], optional
        Run ``ceil(n_samples / quantile)`` simulations and keep the ``n_samples`` closest.
    batch_size : int
        Simulations per batch (lowered so that a distance block stays under ``max_elements``).
    max_simulations : int
        The threshold variant gives up with ValueError after this many simulations.
    seed : int
        Seed; batch ``i`` draws the prior with a seed derived from ``(seed, i)``.
    max_elements : int
        Largest (n_observations x batch) distance block held in memory.

    Returns
    -------
    ABCResult
        ``samples`` (n_observations, n_samples, x_dim), ``epsilon`` per observation,
        ``simulations`` run.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.baselines import abc_rejection
    >>> prior = lambda n, seed: torch.randn(n, 1, generator=torch.Generator().manual_seed(seed))
    >>> res = abc_rejection(lambda x: x, prior, torch.tensor([[0.5]]), 100, epsilon=0.05, seed=0)
    >>> bool((res.samples - 0.5).abs().max() < 0.05)
    True
    """
    if not callable(forward):
        raise ValueError(f"forward: expected a callable, got {forward!r}")
    if not callable(sample_prior):
        raise ValueError(f"sample_prior: expected a callable, got {sample_prior!r}")
    y_star = check_y_star(y_star)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    seed = check_seed(seed)
    max_simulations = check_int(max_simulations, "max_simulations", minimum=1)
    if (epsilon is None) == (quantile is None):
        raise ValueError("epsilon: give exactly one of epsilon (threshold) or quantile")
    n_obs = y_star.shape[0]
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    batch_size = max(1, min(batch_size, check_int(max_elements, "max_elements", minimum=1) // n_obs))

    def simulate(index: int, n: int) -> tuple[torch.Tensor, torch.Tensor]:
        x = torch.as_tensor(sample_prior(n, _batch_seed(seed, index)))
        with torch.no_grad():
            y = torch.as_tensor(forward(x))
        if y.ndim != 2 or y.shape != (n, y_star.shape[1]):
            raise ValueError(f"forward: returned shape {tuple(y.shape)}, expected ({n}, {y_star.shape[1]})")
        return x, torch.cdist(y_star.to(y), y)   # (n, x_dim), (n_obs, n)

    if quantile is not None:
        quantile = check_float(quantile, "quantile", low=0.0, high=1.0, low_open=True)
        total = math.ceil(n_samples / quantile - 1e-9)
        best_d = best_x = None
        done = index = 0
        while done < total:
            n = min(batch_size, total - done)
            x, d = simulate(index, n)
            if best_d is None:
                best_d = d.new_full((n_obs, 0), math.inf)
                best_x = x.new_zeros((n_obs, 0, x.shape[1]))
            cand_d = torch.cat([best_d, d], 1)
            cand_x = torch.cat([best_x, x[None].expand(n_obs, -1, -1)], 1)
            k = min(n_samples, cand_d.shape[1])
            best_d, idx = cand_d.topk(k, dim=1, largest=False)
            best_x = cand_x.gather(1, idx[..., None].expand(-1, -1, x.shape[1]))
            done += n
            index += 1
        if best_x.shape[1] < n_samples:
            raise ValueError(f"quantile: {total} simulations give fewer than n_samples={n_samples}")
        return ABCResult(best_x, best_d.max(1).values, total)

    epsilon = check_float(epsilon, "epsilon", low=0.0, low_open=True)
    accepted: list[list[torch.Tensor]] = [[] for _ in range(n_obs)]
    dists: list[list[torch.Tensor]] = [[] for _ in range(n_obs)]
    have = [0] * n_obs
    done = index = 0
    while min(have) < n_samples:
        if done >= max_simulations:
            raise ValueError(f"epsilon: {epsilon} accepted only {min(have)} of {n_samples} samples for "
                             f"some observation in {done} simulations; raise epsilon or max_simulations")
        x, d = simulate(index, batch_size)
        done += batch_size
        index += 1
        for i in range(n_obs):
            need = n_samples - have[i]
            if need <= 0:
                continue
            keep = torch.nonzero(d[i] < epsilon).flatten()[:need]
            if keep.numel():
                accepted[i].append(x[keep])
                dists[i].append(d[i, keep])
                have[i] += keep.numel()
    samples = torch.stack([torch.cat(a) for a in accepted])
    eps = torch.stack([torch.cat(e).max() for e in dists])
    return ABCResult(samples, eps, done)


class CVAEOutput(NamedTuple):
    """What :meth:`ConditionalVAE.forward` returns: the reconstruction and the latent's law.

    ``x_hat`` (n, x_dim), the sample ``z`` (n, latent_dim) and the encoder's ``mean`` and
    ``log_var`` (n, latent_dim) of ``q(z | x, y) = N(mean, diag exp(log_var))``.
    """

    x_hat: torch.Tensor
    z: torch.Tensor
    mean: torch.Tensor
    log_var: torch.Tensor


class ConditionalVAE(nn.Module):
    """Conditional variational autoencoder for ``p(x | y)`` (thesis 4.2.1, B.2, B.5.2).

    Encoder ``q(z | x, y) = N(mean, diag(exp(log_var)))`` and decoder ``x_hat = g(z, y)``,
    each an MLP with ReLU between its layers; trained with :class:`ConditionalVAELoss`.

    Parameters
    ----------
    x_dim, y_dim : int
        Sizes of the hidden parameters ``x`` and the observations ``y``.
    latent_dim : int, optional
        Latent size; default ``x_dim``.
    hidden : sequence of int
        Hidden-layer widths of the encoder and of the decoder (choose them to match the
        INN's parameter count).
    seed : int, optional
        Seed of the initial weights (the global random state is left as it was);
        ``None`` draws them from the global RNG.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.baselines import ConditionalVAE
    >>> vae = ConditionalVAE(x_dim=4, y_dim=2, hidden=(32, 32, 32), seed=0)
    >>> tuple(vae.posterior(torch.zeros(3, 2), 5, seed=0).shape)
    (3, 5, 4)
    """

    def __init__(self, x_dim: int, y_dim: int, latent_dim: int | None = None,
                 hidden: Sequence[int] = (128, 128, 128), seed: int | None = None) -> None:
        super().__init__()
        self.x_dim = check_int(x_dim, "x_dim", minimum=1)
        self.y_dim = check_int(y_dim, "y_dim", minimum=1)
        self.latent_dim = check_int(latent_dim if latent_dim is not None else x_dim, "latent_dim", minimum=1)
        hidden = check_hidden(hidden)
        with seeded(seed):
            self.encoder = mlp([self.x_dim + self.y_dim, *hidden, 2 * self.latent_dim])
            self.decoder = mlp([self.latent_dim + self.y_dim, *hidden, self.x_dim])

    def encode(self, x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(mean, log_var)`` of ``q(z | x, y)``, each (n, latent_dim); ``log_var`` = ln Var[z].

        Examples
        --------
        >>> import torch
        >>> mean, log_var = ConditionalVAE(2, 1, latent_dim=3, hidden=(8,), seed=0).encode(torch.zeros(4, 2),
        ...                                                                               torch.zeros(4, 1))
        >>> tuple(mean.shape), tuple(log_var.shape)
        ((4, 3), (4, 3))
        """
        self._check(x, self.x_dim, "x")
        self._check(y, self.y_dim, "y", rows=x.shape[0])
        mean, log_var = self.encoder(torch.cat([x, y], 1)).chunk(2, dim=1)
        return mean, log_var

    def _check(self, t: torch.Tensor, width: int, name: str, rows: int | None = None) -> None:
        """Shape (n, width) and the parameters' dtype, else ValueError naming ``name`` (no NaN check)."""
        if not isinstance(t, torch.Tensor) or t.ndim != 2 or t.shape[1] != width or (
                rows is not None and t.shape[0] != rows):
            got = tuple(t.shape) if isinstance(t, torch.Tensor) else type(t).__name__
            raise ValueError(f"{name}: expected shape ({'n' if rows is None else rows}, {width}), got {got}")
        check_dtype(t, self, name)

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Map latent codes ``z`` (n, latent_dim) and observations ``y`` (n, y_dim) to ``x`` (n, x_dim)."""
        self._check(z, self.latent_dim, "z")
        self._check(y, self.y_dim, "y", rows=z.shape[0])
        return self.decoder(torch.cat([z, y], 1))

    def forward(self, x: torch.Tensor, y: torch.Tensor,
                generator: torch.Generator | None = None) -> CVAEOutput:
        """Encode, draw ``z = mean + exp(log_var / 2) * eps`` (from ``generator``), decode.

        Examples
        --------
        >>> import torch
        >>> vae = ConditionalVAE(2, 1, hidden=(8,), seed=0)
        >>> out = vae(torch.zeros(3, 2), torch.zeros(3, 1), generator=torch.Generator().manual_seed(0))
        >>> tuple(out.x_hat.shape), tuple(out.z.shape)
        ((3, 2), (3, 2))
        """
        mean, log_var = self.encode(x, y)
        z = mean + torch.exp(0.5 * log_var) * _randn(mean.shape, mean, generator)
        return CVAEOutput(self.decode(z, y), z, mean, log_var)

    @torch.no_grad()
    def posterior(self, y: torch.Tensor, n: int, seed: int | None = 0,
                  generator: torch.Generator | None = None) -> torch.Tensor:
        """Samples ``x = g(z, y*)`` with ``z ~ N(0, I)``; returns (n_observations, n, x_dim)."""
        y = check_y_star(y)
        if y.shape[1] != self.y_dim:
            raise ValueError(f"y: expected {self.y_dim} features, got {y.shape[1]}")
        n = check_int(n, "n", minimum=1)
        p = next(self.parameters())
        y = y.to(p)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_seed(seed))
        z = _randn((y.shape[0] * n, self.latent_dim), y, generator)
        x = self.decode(z, y.repeat_interleave(n, 0))
        return x.reshape(y.shape[0], n, self.x_dim)


class ConditionalVAELoss:
    """The cVAE loss ``recon_weight * mean (x - x_hat)^2 + KL(q(z | x, y) || N(0, I))``.

    A loss object for :func:`infoplane.train.fit`. The reconstruction term is the
    squared error averaged over the batch and the ``x_dim`` features (units of ``x``
    squared); the KL (nats) is summed over the latent and averaged over the batch.
    Thesis B.5.2 weighs reconstruction 15:1 against the KL, which on the arm matches
    ``recon_weight = 15 * 4`` (the squared error summed over the 4 features).
    An empty batch, or NaN / inf in ``x`` or ``y``, is a ValueError naming ``batch``
    (the model's forward checks shapes and dtypes only and lets NaN through).

    Parameters
    ----------
    recon_weight : float
        Weight of the reconstruction term relative to the KL term.
    seed : int, optional
        Seeds a CPU generator for the reparameterisation noise (ignored when
        ``generator`` is given); with neither, the global RNG.
    generator : torch.Generator, optional

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn import ConditionalVAE, ConditionalVAELoss
    >>> vae = ConditionalVAE(2, 1, hidden=(8,), seed=0)
    >>> loss_fn = ConditionalVAELoss(recon_weight=20.0, seed=1)
    >>> loss, terms = loss_fn(vae, (torch.zeros(4, 2), torch.zeros(4, 1)))
    >>> sorted(terms)
    ['kl', 'reconstruction']
    """

    def __init__(self, recon_weight: float = 15.0, *, seed: int | None = None,
                 generator: torch.Generator | None = None) -> None:
        self.recon_weight = check_float(recon_weight, "recon_weight", low=0.0, low_open=True)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_seed(seed))
        self.generator = generator

    def __call__(self, model: ConditionalVAE,
                 batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(loss, {"reconstruction", "kl"})`` on one batch ``(x, y)``; the terms are detached tensors."""
        if not isinstance(model, ConditionalVAE):
            raise TypeError(f"model: expected a ConditionalVAE, got {type(model).__name__}")
        x, y = check_pair_batch(batch, model.x_dim, model.y_dim)
        check_finite_batch(x, y)
        x_hat, _, mu, log_var = model(x, y, generator=self.generator)
        recon = (x_hat - x).pow(2).mean()
        kl = 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(1).mean()   # nats, closed form
        return self.recon_weight * recon + kl, {"reconstruction": recon.detach(), "kl": kl.detach()}
