"""Baselines for inverse problems: ABC rejection sampling.

:func:`abc_rejection` draws the (approximate) true posterior ``p(x | y*)`` by running
the forward process on prior samples and keeping those whose outcome lands near
``y*`` (thesis 4.2.2 and B.4): the *threshold* variant keeps every sample with
``||s(x) - y*|| < epsilon`` until ``n_samples`` are accepted, the *quantile* variant
runs ``n_samples / quantile`` simulations and keeps the ``n_samples`` closest. Its
samples have shape (n_observations, n_samples, x_dim), like
:meth:`infoplane.inn.InverseINN.posterior`.

The conditional VAE of thesis 4.2.2 / B.5.2 is the conditional case of the BIB-AE VAE:
:meth:`infoplane.bibae.BIBAE.conditional_mlp` (encoder q(z | x, y), decoder
p(x | z, y), prior N(0, I)) trained by :func:`infoplane.bibae.vae` on batches ``(x, y)``,
its ``posterior(y*, n, seed)`` of the same shape. It lives in layer 2's ``bibae``, which
this module does not import.

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

from infoplane._validation import check_float, check_int
from infoplane.inn._checks import check_seed, check_y_star

__all__ = ["ABCResult", "abc_rejection"]


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
        The most simulations either variant runs: the threshold variant gives up with
        ValueError after this many, the quantile variant refuses a ``quantile`` that
        would need more.
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
        if total > max_simulations:
            raise ValueError(f"quantile: {quantile} needs {total} simulations for n_samples={n_samples}, "
                             f"more than max_simulations={max_simulations}; raise either")
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
