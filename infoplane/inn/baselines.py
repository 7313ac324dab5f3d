"""Baselines for inverse problems: ABC rejection sampling and a conditional VAE.

- :func:`abc_rejection` draws the (approximate) true posterior ``p(x | y*)`` by running
  the forward process on prior samples and keeping those whose outcome lands near
  ``y*`` (thesis 4.2.2 and B.4): the *threshold* variant keeps every sample with
  ``||s(x) - y*|| < epsilon`` until ``n_samples`` are accepted, the *quantile* variant
  runs ``n_samples / quantile`` simulations and keeps the ``n_samples`` closest.
- :class:`ConditionalVAE` is the cVAE of thesis 4.2.1 / B.5.2: an encoder
  ``q(z | x, y)``, a decoder ``x = g(z, y)``, a reconstruction loss weighted against the
  KL divergence to ``N(0, I)``. Sampling the posterior feeds ``z ~ N(0, I)`` with ``y*``
  to the decoder.

Both return posterior samples of shape (n_observations, n_samples, dim_x), like
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
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, TensorDataset

from infoplane._nn import mlp
from infoplane._nn import randn as _randn
from infoplane._validation import check_float, check_int
from infoplane.train import fit as train_fit

__all__ = ["ABCResult", "ConditionalVAE", "abc_rejection"]


@dataclass
class ABCResult:
    """What :func:`abc_rejection` returns.

    Attributes
    ----------
    samples : Tensor of shape (n_observations, n_samples, dim_x)
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


def _check_y_star(y_star) -> torch.Tensor:
    y = torch.as_tensor(y_star)
    if y.ndim == 1:
        y = y[None]
    if y.ndim != 2 or y.shape[0] == 0:
        raise ValueError(f"y_star: expected shape (n_observations, dim_y), got {tuple(y.shape)}")
    if not y.is_floating_point():
        y = y.float()
    if not bool(torch.isfinite(y).all()):
        raise ValueError("y_star: contains NaN or infinite values")
    return y


def abc_rejection(forward: Callable, sample_prior: Callable, y_star, n_samples: int, *,
                  epsilon: float | None = None, quantile: float | None = None,
                  batch_size: int = 100_000, max_simulations: int = 50_000_000,
                  seed: int = 0, max_elements: int = 2**24) -> ABCResult:
    """Approximate Bayesian computation by rejection (thesis 4.2.2, B.4).

    Give exactly one of ``epsilon`` (threshold variant) or ``quantile`` (quantile variant).

    Parameters
    ----------
    forward : callable
        The simulator ``s``: Tensor (n, dim_x) -> Tensor (n, dim_y).
    sample_prior : callable
        ``sample_prior(n, seed) -> Tensor (n, dim_x)``, e.g.
        :func:`infoplane.data.inverse_kinematics.sample_prior`.
    y_star : Tensor of shape (n_observations, dim_y)
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
        ``samples`` (n_observations, n_samples, dim_x), ``epsilon`` per observation,
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
    y_star = _check_y_star(y_star)
    n_samples = check_int(n_samples, "n_samples", minimum=1)
    seed = check_int(seed, "seed", minimum=0)
    max_simulations = check_int(max_simulations, "max_simulations", minimum=1)
    if (epsilon is None) == (quantile is None):
        raise ValueError("epsilon: give exactly one of epsilon (threshold) or quantile")
    n_obs = y_star.shape[0]
    batch_size = check_int(batch_size, "batch_size", minimum=1)
    batch_size = max(1, min(batch_size, check_int(max_elements, "max_elements", minimum=1) // n_obs))

    def simulate(index: int, n: int):
        x = torch.as_tensor(sample_prior(n, _batch_seed(seed, index)))
        with torch.no_grad():
            y = torch.as_tensor(forward(x))
        if y.ndim != 2 or y.shape != (n, y_star.shape[1]):
            raise ValueError(f"forward: returned shape {tuple(y.shape)}, expected ({n}, {y_star.shape[1]})")
        return x, torch.cdist(y_star.to(y), y)   # (n, dim_x), (n_obs, n)

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


class ConditionalVAE(nn.Module):
    """Conditional variational autoencoder for ``p(x | y)`` (thesis 4.2.1, B.2, B.5.2).

    Encoder ``q(z | x, y) = N(mu, diag(sigma^2))`` and decoder ``x_hat = g(z, y)``, each an
    MLP with ``n_layers`` fully connected layers and ReLU. The loss per sample is
    ``recon_weight * ||x - x_hat||^2 / dim_x + KL(q(z | x, y) || N(0, I))`` (nats for the KL;
    B.5.2 weights reconstruction 15:1 against the KL for inverse kinematics).

    Parameters
    ----------
    dim_x, dim_y : int
        Sizes of the hidden parameters ``x`` and the observations ``y``.
    dim_z : int, optional
        Latent size; default ``dim_x``.
    hidden : int
        Width of the hidden layers (choose it to match the INN's parameter count).
    n_layers : int
        Linear layers in the encoder and in the decoder.
    recon_weight : float
        Weight of the reconstruction term relative to the KL term.
    seed : int, optional
        Seed of the initial weights (the global random state is left as it was).

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn.baselines import ConditionalVAE
    >>> vae = ConditionalVAE(dim_x=4, dim_y=2, hidden=32)
    >>> tuple(vae.posterior(torch.zeros(3, 2), 5, seed=0).shape)
    (3, 5, 4)
    """

    def __init__(self, dim_x: int, dim_y: int, dim_z: int | None = None, hidden: int = 128,
                 n_layers: int = 4, recon_weight: float = 15.0, seed: int | None = None):
        super().__init__()
        self.dim_x = check_int(dim_x, "dim_x", minimum=1)
        self.dim_y = check_int(dim_y, "dim_y", minimum=1)
        self.dim_z = check_int(dim_z if dim_z is not None else dim_x, "dim_z", minimum=1)
        hidden = check_int(hidden, "hidden", minimum=1)
        self.recon_weight = check_float(recon_weight, "recon_weight", low=0.0, low_open=True)
        with torch.random.fork_rng(devices=[]):   # initial weights from ``seed``, globals untouched
            if seed is not None:
                torch.manual_seed(check_int(seed, "seed", minimum=0))
            self.encoder = mlp([self.dim_x + self.dim_y] + [hidden] * (n_layers - 1) + [2 * self.dim_z])
            self.decoder = mlp([self.dim_z + self.dim_y] + [hidden] * (n_layers - 1) + [self.dim_x])

    def decode(self, z: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """Map latent codes ``z`` (n, dim_z) and observations ``y`` (n, dim_y) to ``x`` (n, dim_x)."""
        return self.decoder(torch.cat([z, y], 1))

    def loss(self, x: torch.Tensor, y: torch.Tensor, generator: torch.Generator | None = None):
        """Weighted reconstruction plus KL, averaged over the batch; returns ``(loss, terms)``."""
        mu, log_var = self.encoder(torch.cat([x, y], 1)).chunk(2, dim=1)
        z = mu + torch.exp(0.5 * log_var) * _randn(mu.shape, mu, generator)
        recon = (self.decode(z, y) - x).pow(2).mean()
        kl = 0.5 * (mu.pow(2) + log_var.exp() - 1.0 - log_var).sum(1).mean()   # nats
        return self.recon_weight * recon + kl, {"reconstruction": recon, "kl": kl}

    def fit(self, x, y, *, epochs: int = 20, batch_size: int = 250, lr: float = 5e-3,
            lr_end: float = 1.6e-5, seed: int = 0, device=None, progress: bool = False):
        """Train on pairs ``(x, y)`` with Adam and an exponentially decaying learning rate.

        Uses :func:`infoplane.train.fit`; returns its per-epoch history. Defaults follow
        thesis B.5.2 (lr 5e-3 decaying to 1.6e-5, batch 250).
        """
        x, y = _check_pairs(x, y, self.dim_x, self.dim_y)
        epochs = check_int(epochs, "epochs", minimum=1)
        seed = check_int(seed, "seed", minimum=0)
        gen = torch.Generator().manual_seed(seed)
        loader = DataLoader(TensorDataset(x, y), batch_size=check_int(batch_size, "batch_size", minimum=1),
                            shuffle=True, generator=gen)
        noise = torch.Generator().manual_seed(seed + 1)
        opt = torch.optim.Adam(self.parameters(), lr=check_float(lr, "lr", low=0.0, low_open=True))
        gamma = (check_float(lr_end, "lr_end", low=0.0, low_open=True) / lr) ** (1.0 / epochs)
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, gamma)
        return train_fit(self, lambda m, b: m.loss(b[0], b[1], noise), loader, opt, epochs,
                         scheduler=sched, device=device, progress=progress)

    @torch.no_grad()
    def posterior(self, y, n: int, seed: int | None = 0, generator: torch.Generator | None = None):
        """Samples ``x = g(z, y*)`` with ``z ~ N(0, I)``; returns (n_observations, n, dim_x)."""
        y = _check_y_star(y)
        if y.shape[1] != self.dim_y:
            raise ValueError(f"y: expected {self.dim_y} features, got {y.shape[1]}")
        n = check_int(n, "n", minimum=1)
        p = next(self.parameters())
        y = y.to(p)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
        z = _randn((y.shape[0] * n, self.dim_z), y, generator)
        x = self.decode(z, y.repeat_interleave(n, 0))
        return x.reshape(y.shape[0], n, self.dim_x)


def _check_pairs(x, y, dim_x: int, dim_y: int):
    x, y = torch.as_tensor(x), torch.as_tensor(y)
    if x.ndim != 2 or x.shape[1] != dim_x:
        raise ValueError(f"x: expected shape (n, {dim_x}), got {tuple(x.shape)}")
    if y.ndim != 2 or y.shape != (x.shape[0], dim_y):
        raise ValueError(f"y: expected shape ({x.shape[0]}, {dim_y}), got {tuple(y.shape)}")
    x, y = x.float() if not x.is_floating_point() else x, y.float() if not y.is_floating_point() else y
    if not (bool(torch.isfinite(x).all()) and bool(torch.isfinite(y).all())):
        raise ValueError("x: x or y contains NaN or infinite values")
    return x, y
