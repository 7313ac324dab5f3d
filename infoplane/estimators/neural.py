"""Variational lower bounds on mutual information with a learned critic (nats).

A critic f(x, y) scores pairs; for a batch of n joint samples (x_i, y_i) its score
matrix S[i, j] = f(x_i, y_j) holds n samples of the joint law on the diagonal and
n(n - 1) samples of the product of the marginals off it. Each bound below is a function
of S (Poole et al., "On variational bounds of mutual information", ICML 2019, Sec. 2),
and maximising it over the critic estimates I(X;Y):

- :func:`infonce_bound` (van den Oord et al. 2018; Poole et al. Sec. 2.3): low variance,
  but never above ln n, the log of the batch size;
- :func:`nwj_bound` (Nguyen, Wainwright & Jordan 2010; Poole et al. Sec. 2.2, I_NWJ);
- :func:`mine_bound` (Donsker-Varadhan, the bound of MINE, Belghazi et al. 2018), trained
  with MINE's moving-average gradient correction (:class:`MutualInformationLoss`);
- :func:`smile_bound` (Song & Ermon, "Understanding the limitations of variational
  mutual information estimators", ICLR 2020): the DV estimate with the critic clipped
  to [-clip, clip] in the partition function, the critic trained by the Jensen-Shannon
  objective.

NWJ and MINE are unbounded, but the variance of their partition-function term grows
like (e^I - 1) / n (Song & Ermon 2020, Sec. 3): at a few nats they are noisy. SMILE
trades that variance (at most (e^clip - e^-clip)^2 / (4n), their Sec. 4) for a
bias; InfoNCE trades it for its ceiling ln n.

:class:`SeparableCritic` (f = g(x)^T h(y)) and :class:`JointCritic` (f = MLP([x, y]))
return the whole score matrix from ``critic(x, y)``, :class:`MutualInformationLoss`
is a loss of the package's contract (``loss(critic, batch) -> (loss, terms)``), and
:func:`neural_mutual_information` trains a critic with :func:`infoplane.train.fit` and
evaluates the bound on held-out batches.

Examples
--------
>>> import torch
>>> from infoplane.estimators.neural import infonce_bound
>>> scores = torch.zeros(4, 4)              # a critic that ignores its inputs
>>> float(infonce_bound(scores))            # ... learns nothing
0.0
>>> float(infonce_bound(100 * torch.eye(4))) <= float(torch.log(torch.tensor(4.0)))
True
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from infoplane._nn import mlp, seeded
from infoplane._runtime import device as default_device
from infoplane._units import from_nats, unit_name
from infoplane._validation import (
    check_base,
    check_finite_tensor,
    check_float,
    check_int,
    check_samples,
    check_seed,
)

# The one sanctioned upward import of layer 1 (tests/test_layers.py lists it): the issue asks
# for critics "trained with fit", and train.py imports layer 0 only, so there is no cycle.
from infoplane.train import fit

__all__ = ["BOUNDS", "JointCritic", "MutualInformationLoss", "NeuralMIEstimate", "SeparableCritic",
           "infonce_bound", "mine_bound", "neural_mutual_information", "nwj_bound", "smile_bound"]

BOUNDS = ("infonce", "nwj", "mine", "smile")
"""The bound names :class:`MutualInformationLoss` and :func:`neural_mutual_information` accept."""

CRITICS = ("separable", "joint")


# --------------------------------------------------------------------------- critics

def _check_hidden(hidden: object) -> tuple[int, ...]:
    if isinstance(hidden, (str, bytes)) or not isinstance(hidden, Sequence):
        raise ValueError(f"hidden: expected a sequence of hidden-layer widths such as (256,), got {hidden!r}")
    return tuple(check_int(h, "hidden", minimum=1) for h in hidden)


def _check_pair(x: object, y: object) -> None:
    for name, t in (("x", x), ("y", y)):
        if not isinstance(t, torch.Tensor):
            raise TypeError(f"{name}: expected a torch.Tensor, got {type(t).__name__}")
        if t.ndim != 2:
            raise ValueError(f"{name}: expected shape (batch, features), got {tuple(t.shape)}")
    if x.shape[0] != y.shape[0]:
        raise ValueError(f"y: has {y.shape[0]} rows but x has {x.shape[0]}")


class SeparableCritic(nn.Module):
    """The separable critic f(x, y) = g(x)^T h(y) with two MLP embeddings.

    ``critic(x, y)`` returns the (n, n) score matrix ``S[i, j] = g(x_i)^T h(y_j)`` with one
    matrix product (the separable critic of Poole et al. 2019 and of CPC, van den Oord et al. 2018).

    Parameters
    ----------
    x_dim, y_dim : int
        Features of x and y.
    hidden : sequence of int
        Hidden widths of each embedding MLP (``()``: linear embeddings).
    embed_dim : int
        Width of the embeddings g(x) and h(y).
    activation : str
        Activation of the MLPs (see :func:`infoplane._nn.mlp`).
    seed : int, optional
        Seed of the initial weights (the global RNG is left alone); None draws from it.

    Examples
    --------
    >>> import torch
    >>> from infoplane.estimators.neural import SeparableCritic
    >>> critic = SeparableCritic(3, 2, hidden=(16,), embed_dim=4, seed=0)
    >>> critic(torch.randn(5, 3), torch.randn(5, 2)).shape
    torch.Size([5, 5])
    """

    def __init__(self, x_dim: int, y_dim: int, hidden: Sequence[int] = (256,), embed_dim: int = 32, *,
                 activation: str = "relu", seed: int | None = None) -> None:
        super().__init__()
        self.x_dim = check_int(x_dim, "x_dim", minimum=1)
        self.y_dim = check_int(y_dim, "y_dim", minimum=1)
        hidden = _check_hidden(hidden)
        embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
        with seeded(seed):
            self.g = mlp([self.x_dim, *hidden, embed_dim], activation)
            self.h = mlp([self.y_dim, *hidden, embed_dim], activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The (n, n) score matrix ``S[i, j] = f(x_i, y_j)`` of a batch (x: (n, x_dim), y: (n, y_dim))."""
        _check_pair(x, y)
        return self.g(x) @ self.h(y).T


class JointCritic(nn.Module):
    """The joint (concatenating) critic f(x, y) = MLP([x, y]), evaluated on all n^2 pairs.

    ``critic(x, y)`` returns the (n, n) matrix ``S[i, j] = MLP([x_i, y_j])`` without
    building the n^2 concatenated inputs: the first layer is linear, W [x; y] + b =
    W_x x + (W_y y + b), so its two halves are applied to the n rows of x and of y and
    added by broadcasting; the remaining layers run on the (n, n, width) tensor. Time
    and memory are O(n^2 width) per layer (about 1 GB for n = 512, width 256, with
    gradients), n times a separable critic's.

    Parameters
    ----------
    x_dim, y_dim : int
        Features of x and y.
    hidden : sequence of int
        Hidden widths (at least one).
    activation : str
        Activation between layers.
    seed : int, optional
        Seed of the initial weights (the global RNG is left alone).

    Examples
    --------
    >>> import torch
    >>> from infoplane.estimators.neural import JointCritic
    >>> critic = JointCritic(3, 2, hidden=(16,), seed=0)
    >>> x, y = torch.randn(5, 3), torch.randn(5, 2)
    >>> s = critic(x, y)
    >>> bool(torch.allclose(s[1, 3], critic.net(torch.cat([x[1], y[3]]))[0], atol=1e-6))
    True
    """

    def __init__(self, x_dim: int, y_dim: int, hidden: Sequence[int] = (256,), *,
                 activation: str = "relu", seed: int | None = None) -> None:
        super().__init__()
        self.x_dim = check_int(x_dim, "x_dim", minimum=1)
        self.y_dim = check_int(y_dim, "y_dim", minimum=1)
        hidden = _check_hidden(hidden)
        if not hidden:
            raise ValueError("hidden: a joint critic needs at least one hidden layer (a linear one "
                             "cannot tell joint pairs from independent ones)")
        with seeded(seed):
            self.net = mlp([self.x_dim + self.y_dim, *hidden, 1], activation)

    def forward(self, x: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
        """The (n, n) score matrix ``S[i, j] = MLP([x_i, y_j])`` of a batch."""
        _check_pair(x, y)
        first = self.net[0]
        w_x, w_y = first.weight[:, : self.x_dim], first.weight[:, self.x_dim:]
        h = (x @ w_x.T)[:, None, :] + (y @ w_y.T + first.bias)[None, :, :]
        return self.net[1:](h).squeeze(-1)


# --------------------------------------------------------------------------- bounds

def _check_scores(scores: object) -> torch.Tensor:
    scores = check_finite_tensor(scores, "scores")
    if scores.ndim != 2 or scores.shape[0] != scores.shape[1]:
        raise ValueError(f"scores: expected a square (batch, batch) matrix, got shape {tuple(scores.shape)}")
    if scores.shape[0] < 2:
        raise ValueError(f"scores: needs a batch of at least 2 (off-diagonal pairs), got {scores.shape[0]}")
    return scores


def _diag_mean(scores: torch.Tensor) -> torch.Tensor:
    return scores.diagonal().mean()


def _offdiag_logmeanexp(scores: torch.Tensor) -> torch.Tensor:
    """log of the mean of e^S over the n(n - 1) off-diagonal entries (the product of marginals)."""
    n = scores.shape[0]
    eye = torch.eye(n, dtype=torch.bool, device=scores.device)
    return scores.masked_fill(eye, -math.inf).logsumexp(dim=(0, 1)) - math.log(n * (n - 1))


def _infonce(scores: torch.Tensor) -> torch.Tensor:
    n = scores.shape[0]
    return (scores.diagonal() - scores.logsumexp(dim=1)).mean() + math.log(n)


def _nwj(scores: torch.Tensor) -> torch.Tensor:
    return _diag_mean(scores) - torch.exp(_offdiag_logmeanexp(scores) - 1.0)


def _dv(scores: torch.Tensor) -> torch.Tensor:
    return _diag_mean(scores) - _offdiag_logmeanexp(scores)


def _smile(scores: torch.Tensor, clip: float) -> torch.Tensor:
    return _diag_mean(scores) - _offdiag_logmeanexp(scores.clamp(-clip, clip))


def _js(scores: torch.Tensor) -> torch.Tensor:
    """The Jensen-Shannon (f-GAN) objective E_p[-softplus(-f)] - E_q[softplus(f)], SMILE's training signal.

    Maximised by f = log p(x, y) / (p(x) p(y)) (Nowozin et al. 2016; Poole et al. 2019;
    Song & Ermon 2020), which is the log-ratio SMILE's DV estimate needs.
    """
    n = scores.shape[0]
    sp = F.softplus(scores)
    off = (sp.sum() - sp.diagonal().sum()) / (n * (n - 1))
    return -F.softplus(-scores.diagonal()).mean() - off


def infonce_bound(scores: torch.Tensor) -> torch.Tensor:
    """The InfoNCE lower bound on I(X;Y) of a batch's score matrix, in nats.

    I_NCE = (1/n) sum_i [ S_ii - log (1/n) sum_j e^{S_ij} ]  (van den Oord et al. 2018;
    Poole et al. 2019, Sec. 2.3, with K = n and the other n - 1 samples of the batch as
    negatives).

    **Known limit.** Each term is at most log n, so I_NCE <= ln(batch size) whatever the
    critic: it cannot report more than ln n nats (6.24 at n = 512) and is strongly biased
    below the truth once I(X;Y) approaches ln n. Its variance is low (Poole et al.).

    Parameters
    ----------
    scores : tensor (n, n)
        ``S[i, j] = f(x_i, y_j)``: the joint pairs on the diagonal; n >= 2.

    Returns
    -------
    0-d tensor
        Differentiable in ``scores``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.estimators.neural import infonce_bound
    >>> round(float(infonce_bound(torch.tensor([[5.0, 0.0], [0.0, 5.0]]))), 4)  # <= ln 2
    0.6864
    """
    return _infonce(_check_scores(scores))


def nwj_bound(scores: torch.Tensor) -> torch.Tensor:
    """The NWJ lower bound on I(X;Y) of a batch's score matrix, in nats.

    I_NWJ = E_p[f] - e^{-1} E_{p(x)p(y)}[e^f]  (Nguyen, Wainwright & Jordan 2010; Poole et
    al. 2019, Sec. 2.2), E_p over the diagonal, the product of marginals over the
    n(n - 1) off-diagonal entries. Tight at f = 1 + log p(x, y) / (p(x) p(y)).

    **Known limit.** Unbounded above and unbiased for a fixed critic, but the estimate of
    E_q[e^f] has variance of order (e^I - 1) / n (Song & Ermon 2020, Sec. 3): at
    several nats it is very noisy.

    Parameters
    ----------
    scores : tensor (n, n)
        The score matrix, n >= 2.

    Returns
    -------
    0-d tensor

    Examples
    --------
    >>> import torch
    >>> from infoplane.estimators.neural import nwj_bound
    >>> round(float(nwj_bound(torch.ones(3, 3))), 6)     # f = 1: I_NWJ = 1 - e^0 = 0
    0.0
    """
    return _nwj(_check_scores(scores))


def mine_bound(scores: torch.Tensor) -> torch.Tensor:
    """The Donsker-Varadhan lower bound on I(X;Y) (MINE's), in nats.

    I_DV = E_p[f] - log E_{p(x)p(y)}[e^f]  (Donsker & Varadhan 1983; Belghazi et al. 2018,
    Sec. 3.1; Poole et al. 2019, Sec. 2.2), tight at f = log p/q + any constant. This is
    the value; training with MINE's moving-average correction of the gradient
    (Belghazi et al., Sec. 3.2) is :class:`MutualInformationLoss` with ``bound="mine"``.

    **Known limit.** The batch estimate of log E_q[e^f] is biased (Jensen) and, like
    NWJ's, has variance of order (e^I - 1) / n (Song & Ermon 2020, Sec. 3); on
    finite batches the estimate can exceed the truth.

    Parameters
    ----------
    scores : tensor (n, n)
        The score matrix, n >= 2.

    Returns
    -------
    0-d tensor

    Examples
    --------
    >>> import torch
    >>> from infoplane.estimators.neural import mine_bound
    >>> round(float(mine_bound(torch.full((3, 3), 7.0))), 6)   # a constant critic: 0
    0.0
    """
    return _dv(_check_scores(scores))


def smile_bound(scores: torch.Tensor, clip: float = 5.0) -> torch.Tensor:
    """SMILE: the DV estimate with the critic clipped to [-clip, clip] in the partition function, nats.

    I_SMILE = E_p[f] - log E_{p(x)p(y)}[e^{clip(f, -tau, tau)}]  (Song & Ermon 2020,
    Sec. 4, with tau = ``clip``). :class:`MutualInformationLoss` trains the critic with
    the Jensen-Shannon objective, whose optimum is f = log p/q, and reports this value.

    **Known limit.** Clipping bounds the variance of the partition term by
    (e^tau - e^-tau)^2 / (4n) (Song & Ermon, Sec. 4) at the price of a bias that
    grows as tau shrinks; ``clip=inf`` is the plain DV estimate (:func:`mine_bound`).

    Parameters
    ----------
    scores : tensor (n, n)
        The score matrix, n >= 2.
    clip : float
        tau > 0 (``math.inf`` allowed).

    Returns
    -------
    0-d tensor

    Examples
    --------
    >>> import torch
    >>> from infoplane.estimators.neural import mine_bound, smile_bound
    >>> s = torch.tensor([[3.0, -9.0], [-9.0, 3.0]])
    >>> float(smile_bound(s, clip=math.inf)) == float(mine_bound(s))
    True
    """
    return _smile(_check_scores(scores), _check_clip(clip))


def _check_clip(clip: object) -> float:
    if isinstance(clip, (int, float)) and not isinstance(clip, bool) and clip == math.inf:
        return math.inf
    return check_float(clip, "clip", low=0.0, low_open=True)


# --------------------------------------------------------------------------- the loss

class MutualInformationLoss(nn.Module):
    """The loss ``loss(critic, batch) -> (loss, terms)`` that trains a critic on one bound.

    ``batch`` is ``(x, y)`` (n paired rows); ``critic(x, y)`` must return the (n, n)
    score matrix. ``loss`` is minus the bound's value (so ``fit`` maximises it) and
    ``terms = {"mi": <the batch's bound in nats, detached>}``. The gradient is:

    - ``"infonce"``, ``"nwj"``: the gradient of the bound itself;
    - ``"mine"``: MINE's bias-corrected gradient (Belghazi et al. 2018, Sec. 3.2):
      grad E_p[f] - grad E_q[e^f] / m, where m is an exponential moving average of the
      batch means of E_q[e^f] (``m <- momentum m + (1 - momentum) batch``, started at
      the first batch, kept in log space in the buffer ``log_ema``). The moving average
      moves only when gradients are on (``torch.is_grad_enabled()``), never during an
      evaluation; ``momentum=0`` gives the plain DV gradient;
    - ``"smile"``: the gradient of the Jensen-Shannon objective (Song & Ermon 2020, Sec.
      4; Poole et al. 2019), while the reported value is :func:`smile_bound`.

    Being a module, its state (MINE's moving average) is saved in ``fit``'s checkpoints.

    Parameters
    ----------
    bound : str
        One of :data:`BOUNDS`.
    clip : float
        SMILE's tau.
    momentum : float
        MINE's moving-average momentum in [0, 1) (0.9 as in Poole et al.'s code and
        torch-mist).

    Examples
    --------
    >>> import torch
    >>> from infoplane.estimators.neural import MutualInformationLoss, SeparableCritic
    >>> loss_fn = MutualInformationLoss("mine")
    >>> critic = SeparableCritic(2, 2, hidden=(8,), embed_dim=4, seed=0)
    >>> loss, terms = loss_fn(critic, (torch.randn(16, 2), torch.randn(16, 2)))
    >>> sorted(terms), bool(loss == -terms["mi"])
    (['mi'], True)
    """

    def __init__(self, bound: str = "infonce", *, clip: float = 5.0, momentum: float = 0.9) -> None:
        super().__init__()
        self.bound = _check_bound(bound)
        self.clip = _check_clip(clip)
        self.momentum = check_float(momentum, "momentum", low=0.0, high=1.0, high_open=True)
        self.register_buffer("log_ema", torch.zeros(()))
        self.register_buffer("ema_steps", torch.zeros((), dtype=torch.long))

    def value(self, scores: torch.Tensor) -> torch.Tensor:
        """The bound's value on a score matrix (nats, differentiable; no state changes)."""
        if self.bound == "infonce":
            return _infonce(scores)
        if self.bound == "nwj":
            return _nwj(scores)
        if self.bound == "mine":
            return _dv(scores)
        return _smile(scores, self.clip)

    def forward(self, critic: nn.Module, batch: Sequence[torch.Tensor]) -> tuple[torch.Tensor,
                                                                                  dict[str, torch.Tensor]]:
        """``(loss, {"mi": value})`` of a batch ``(x, y)``; see the class docstring."""
        if not callable(critic):
            raise TypeError(f"critic: expected a module critic(x, y) -> scores, got {type(critic).__name__}")
        if isinstance(batch, torch.Tensor) or not isinstance(batch, Sequence) or len(batch) < 2:
            raise ValueError("batch: expected a pair (x, y) of tensors with the same number of rows")
        x, y = batch[0], batch[1]
        scores = critic(x, y)
        n = x.shape[0]
        if not isinstance(scores, torch.Tensor) or tuple(scores.shape) != (n, n):
            shape = tuple(scores.shape) if isinstance(scores, torch.Tensor) else type(scores).__name__
            raise ValueError(f"critic: must return the ({n}, {n}) score matrix of the batch, got {shape}")
        if n < 2:
            raise ValueError(f"batch: needs at least 2 pairs, got {n}")
        value = self.value(scores)
        if self.bound == "mine":
            surrogate = self._mine_surrogate(scores)
        elif self.bound == "smile":
            surrogate = _js(scores)
        else:
            surrogate = value
        if surrogate is not value:  # the value of the bound, the gradient of the surrogate
            # forward: exactly the bound's value; backward: the surrogate's gradient only
            surrogate = value.detach() + (surrogate - surrogate.detach())
        return -surrogate, {"mi": value.detach()}

    def _mine_surrogate(self, scores: torch.Tensor) -> torch.Tensor:
        if self.log_ema.device != scores.device or self.log_ema.dtype != scores.dtype:
            self.log_ema = self.log_ema.to(device=scores.device, dtype=scores.dtype)
            self.ema_steps = self.ema_steps.to(scores.device)
        log_mean = _offdiag_logmeanexp(scores)
        batch = log_mean.detach()
        if self.momentum > 0:
            moved = torch.logaddexp(self.log_ema + math.log(self.momentum),
                                    batch + math.log1p(-self.momentum))
            log_ema = torch.where(self.ema_steps == 0, batch, moved)
        else:
            log_ema = batch
        if torch.is_grad_enabled():
            self.log_ema.copy_(log_ema)
            self.ema_steps += 1
        # gradient: grad E_p[f] - grad(E_q[e^f]) / EMA (the value is replaced by the DV value)
        return _diag_mean(scores) - torch.exp(log_mean - log_ema)


def _check_bound(bound: object) -> str:
    if not isinstance(bound, str) or bound not in BOUNDS:
        raise ValueError(f"bound: expected one of {list(BOUNDS)}, got {bound!r}")
    return bound


# --------------------------------------------------------------------------- the estimator

@dataclass(frozen=True)
class NeuralMIEstimate:
    """The result of :func:`neural_mutual_information` (values in the unit of ``base``).

    Attributes
    ----------
    mi : float
        The estimate: the mean of the bound over the held-out batches, evaluated with the
        trained critic (``eval_fraction > 0``), else the mean of the training batches'
        values over the last fifth of the logged epochs.
    stderr : float
        Standard error of ``mi``: the standard deviation of the held-out batches' values
        over sqrt(their number) (or of the last epochs' means: an underestimate, the
        training values being correlated).
    bound : str
        Which bound.
    limit : float or None
        The largest value the bound can take whatever the critic: ln(batch_size) for
        InfoNCE, None for the others.
    batch_size, steps, n_train, n_eval : int
        Training batch size and optimizer steps; samples used to train and to evaluate.
    batch_values : ndarray
        The bound on each held-out batch (empty when ``eval_fraction=0``).
    trace : list of dict
        ``{"step": s, "mi": v}``: the mean training-batch bound of every ``log_every``
        steps, after step s (the training curve).
    history : list of dict
        ``fit``'s per-epoch rows (nats).
    critic : nn.Module
        The trained critic.
    unit : str
        ``"nats"``, ``"bits"`` or ``"log base b"``.
    """

    mi: float
    stderr: float
    bound: str
    limit: float | None
    batch_size: int
    steps: int
    n_train: int
    n_eval: int
    batch_values: np.ndarray = field(repr=False)
    trace: list[dict[str, float]] = field(repr=False)
    history: list[dict[str, float]] = field(repr=False)
    critic: nn.Module = field(repr=False)
    unit: str = "nats"


class _Batches:
    """``per_epoch`` random batches per pass, ``steps`` in all, drawn without replacement within a shuffle."""

    def __init__(self, x: torch.Tensor, y: torch.Tensor, batch_size: int, steps: int, per_epoch: int,
                 generator: torch.Generator) -> None:
        self.x, self.y, self.batch_size = x, y, batch_size
        self.remaining, self.per_epoch, self.generator = steps, per_epoch, generator
        self.order = torch.empty(0, dtype=torch.long)
        self.pos = 0

    def __len__(self) -> int:
        return self.per_epoch

    def __iter__(self) -> Iterator[tuple[torch.Tensor, torch.Tensor]]:
        for _ in range(min(self.per_epoch, self.remaining)):
            if self.pos + self.batch_size > len(self.order):
                self.order = torch.randperm(len(self.x), generator=self.generator).to(self.x.device)
                self.pos = 0
            idx = self.order[self.pos: self.pos + self.batch_size]
            self.pos += self.batch_size
            self.remaining -= 1
            yield self.x[idx], self.y[idx]


def _as_float_tensor(x: np.ndarray | torch.Tensor, dev: torch.device) -> torch.Tensor:
    if isinstance(x, torch.Tensor):
        return x.detach().to(device=dev, dtype=torch.float32)
    return torch.as_tensor(np.asarray(x, dtype=np.float32), device=dev)


def _standardize(t: torch.Tensor) -> torch.Tensor:
    mean = t.mean(0, keepdim=True)
    std = t.std(0, keepdim=True)
    return (t - mean) / torch.where(std > 0, std, torch.ones_like(std))


def neural_mutual_information(x: object, y: object, bound: str = "infonce",
                              critic: str | nn.Module = "separable", *, batch_size: int = 512,
                              steps: int = 2000, lr: float = 5e-4, hidden: Sequence[int] = (256,),
                              embed_dim: int = 32, clip: float = 5.0, momentum: float = 0.9,
                              eval_fraction: float = 0.25, log_every: int = 50, standardize: bool = True,
                              seed: int | None = None, device: str | torch.device | None = None,
                              base: float = math.e, progress: bool = False) -> NeuralMIEstimate:
    """Estimate I(X;Y) by training a critic on a variational bound (nats unless ``base``).

    The samples are split at random into a training part and a held-out part
    (``eval_fraction``). A critic is trained with :func:`infoplane.train.fit` and Adam for
    ``steps`` steps on random training batches of ``batch_size`` pairs, maximising the
    bound through :class:`MutualInformationLoss`. The estimate is then the mean of the
    bound over the disjoint held-out batches of the same size, evaluated with the trained
    critic, so a critic that memorised its training pairs does not inflate it.

    The four bounds and what limits each (Poole et al. 2019; see the module docstring):
    ``"infonce"`` never exceeds ln(batch_size) (``result.limit``); ``"nwj"`` and
    ``"mine"`` are unbounded but their variance grows like e^I / batch_size; ``"smile"``
    (clipped at ``clip``) has bounded variance and a small bias. All are lower bounds
    in expectation for a fixed critic, but an estimate is a sample mean and can land
    above the truth by a few standard errors (the DV/SMILE log-mean is also biased).

    Parameters
    ----------
    x, y : array-like (n_samples, n_features) or (n_samples,)
        Paired samples, NumPy or torch, the same number of rows.
    bound : str
        ``"infonce"``, ``"nwj"``, ``"mine"`` or ``"smile"``.
    critic : str or nn.Module
        ``"separable"`` (:class:`SeparableCritic` with ``hidden`` and ``embed_dim``),
        ``"joint"`` (:class:`JointCritic` with ``hidden``), or a module whose
        ``critic(x, y)`` returns the (n, n) score matrix of float32 batches; a module is
        trained in place (``hidden`` and ``embed_dim`` are then unused).
    batch_size : int
        Pairs per batch (>= 2; the held-out part must hold two batches).
    steps : int
        Optimizer steps.
    lr : float
        Adam's learning rate.
    hidden : sequence of int
        Hidden widths of the built critic.
    embed_dim : int
        Embedding width of the separable critic.
    clip : float
        SMILE's tau.
    momentum : float
        MINE's moving-average momentum.
    eval_fraction : float
        Fraction of the samples held out for the estimate, in [0, 1). With 0 every sample
        trains and the estimate is the mean of the last fifth of the training curve
        (optimistic when the critic overfits; needs ``steps >= 2 * log_every``).
    log_every : int
        Steps per ``fit`` epoch: one point of ``trace`` each.
    standardize : bool
        Centre and scale every feature of x and y to unit variance first (an invertible
        affine map: I(X;Y) is unchanged, the critic trains better).
    seed : int, optional
        Seeds the split, the batches and the critic's weights: the same seed gives the
        same result on the same device (the global RNG is left alone). None draws a seed
        from torch's global RNG.
    device : str or torch.device, optional
        Default: the device of a tensor ``x``, else :func:`infoplane.device`.
    base : float
        Logarithm base of the result (e: nats, 2: bits).
    progress : bool
        Show ``fit``'s progress bar.

    Returns
    -------
    NeuralMIEstimate
        ``mi``, ``stderr``, ``limit`` (ln batch_size for InfoNCE), the held-out batch
        values, the training ``trace`` and the trained critic.

    Raises
    ------
    ValueError, TypeError
        For bad arguments, naming the argument (``batch_size`` when the training part or
        the held-out part is too small for it).
    infoplane.train.DivergenceError
        When training turns a bound NaN or infinite (NWJ and MINE can overflow: lower
        ``lr`` or use InfoNCE or SMILE); FloatingPointError when a held-out value is.

    Notes
    -----
    With few samples per dimension the critic fits its training pairs: their bound then
    reads above the held-out one (at d = 20 per side, I = 2 nats, 24576 training pairs and
    600 steps: 1.92 against 1.77; see tests/test_neural.py), so the held-out estimate is
    biased low there, and an ``eval_fraction=0`` estimate would be biased high.
    The samples are cast to float32 on ``device``. Time per step is dominated by the
    (batch, batch) score matrix: O(batch^2 embed_dim) for the separable critic,
    O(batch^2 width) per layer for the joint one.

    Examples
    --------
    >>> from infoplane.data import correlated_gaussians
    >>> from infoplane.estimators.neural import neural_mutual_information
    >>> x, y, exact = correlated_gaussians(2048, d=1, rho=0.8, seed=0)
    >>> est = neural_mutual_information(x, y, "infonce", batch_size=256, steps=300,
    ...                                 hidden=(32,), embed_dim=8, seed=0, device="cpu")
    >>> round(exact, 3), abs(est.mi - exact) < 0.15, est.mi <= est.limit
    (0.511, True, True)
    """
    x = check_samples(x, "x")
    y = check_samples(y, "y")
    n = x.shape[0]
    if y.shape[0] != n:
        raise ValueError(f"y: has {y.shape[0]} samples but x has {n}")
    bound = _check_bound(bound)
    if isinstance(critic, str):
        if critic not in CRITICS:
            raise ValueError(f"critic: expected one of {list(CRITICS)} or an nn.Module, got {critic!r}")
    elif not isinstance(critic, nn.Module):
        raise TypeError(f"critic: expected one of {list(CRITICS)} or an nn.Module, "
                        f"got {type(critic).__name__}")
    batch_size = check_int(batch_size, "batch_size", minimum=2)
    steps = check_int(steps, "steps", minimum=1)
    lr = check_float(lr, "lr", low=0.0, low_open=True)
    hidden = _check_hidden(hidden)
    embed_dim = check_int(embed_dim, "embed_dim", minimum=1)
    loss_fn = MutualInformationLoss(bound, clip=clip, momentum=momentum)
    eval_fraction = check_float(eval_fraction, "eval_fraction", low=0.0, high=1.0, high_open=True)
    log_every = check_int(log_every, "log_every", minimum=1)
    if not isinstance(standardize, bool):
        raise ValueError(f"standardize: expected True or False, got {standardize!r}")
    base = check_base(base)
    n_eval = int(round(eval_fraction * n))
    n_train = n - n_eval
    if eval_fraction > 0 and n_eval < 2 * batch_size:
        raise ValueError(f"batch_size: the held-out part ({n_eval} of {n} samples at eval_fraction="
                         f"{eval_fraction:g}) must hold at least two batches of {batch_size}; use more "
                         "samples, a smaller batch_size or a larger eval_fraction")
    if batch_size > n_train:
        raise ValueError(f"batch_size: {batch_size} exceeds the {n_train} training samples")
    if eval_fraction == 0 and steps < 2 * log_every:
        raise ValueError(f"steps: with eval_fraction=0 the estimate averages logged epochs; need steps >= "
                         f"2 * log_every = {2 * log_every}, got {steps}")
    seed = int(torch.randint(0, 2**62, (1,)).item()) if seed is None else check_seed(seed)

    if device is not None:
        dev = default_device(device)
    elif isinstance(x, torch.Tensor):
        dev = x.device
    else:
        dev = default_device(None)
    xt, yt = _as_float_tensor(x, dev), _as_float_tensor(y, dev)
    if standardize:
        xt, yt = _standardize(xt), _standardize(yt)
    if isinstance(critic, str):
        critic = (SeparableCritic(xt.shape[1], yt.shape[1], hidden, embed_dim, seed=seed)
                  if critic == "separable" else JointCritic(xt.shape[1], yt.shape[1], hidden, seed=seed))
    critic = critic.to(dev)

    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=generator).to(dev)
    train_idx, eval_idx = order[:n_train], order[n_train:]
    per_epoch = min(log_every, steps)
    loader = _Batches(xt[train_idx], yt[train_idx], batch_size, steps, per_epoch, generator)
    optimizer = torch.optim.Adam(critic.parameters(), lr=lr)
    history = fit(critic, loss_fn, loader, optimizer, epochs=math.ceil(steps / per_epoch),
                  device=dev, progress=progress)
    done = np.cumsum([row["steps"] for row in history])
    trace = [{"step": int(s), "mi": from_nats(float(row["train/mi"]), base)}
             for s, row in zip(done, history, strict=True)]

    if n_eval:
        critic.eval()
        xe, ye = xt[eval_idx], yt[eval_idx]
        values = []
        with torch.no_grad():
            for start in range(0, n_eval - batch_size + 1, batch_size):
                sl = slice(start, start + batch_size)
                values.append(loss_fn.value(critic(xe[sl], ye[sl])))
        batch_values = torch.stack(values).double().cpu().numpy()
        critic.train()
    else:
        batch_values = np.empty(0)
    source = batch_values if n_eval else np.array([row["train/mi"] for row in history])[
        -max(2, math.ceil(len(history) / 5)):]
    if not np.isfinite(source).all():
        raise FloatingPointError(f"bound: the {bound} estimate is not finite on the held-out batches "
                                 "(the critic diverged); lower lr or use bound='infonce' or 'smile'")
    mi = float(source.mean())
    stderr = float(source.std(ddof=1) / math.sqrt(len(source)))
    limit = from_nats(math.log(batch_size), base) if bound == "infonce" else None
    return NeuralMIEstimate(mi=from_nats(mi, base), stderr=from_nats(stderr, base), bound=bound, limit=limit,
                            batch_size=batch_size, steps=steps, n_train=n_train, n_eval=n_eval,
                            batch_values=from_nats(batch_values, base), trace=trace, history=history,
                            critic=critic, unit=unit_name(base))
