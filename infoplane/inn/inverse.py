"""Bidirectionally trained INN for inverse problems (thesis chapter 4, Ardizzone et al. 2019).

An INN ``f`` learns the well-posed forward process ``x -> y`` and adds latent variables
``z`` for what ``y`` does not carry: ``f(x) = [y, z]`` (eq. 4.2). Run backwards with
``z ~ N(0, I)`` it samples the posterior ``x = g(y*, z) ~ p(x | y*)`` (eq. 4.1,
Proposition 1). When ``x_dim`` and ``y_dim + latent_dim`` differ, zeros pad either side to
a common width (4.1.1): the input is ``[x, 0]`` and the output ``[y, z, 0]``.

Losses (4.1.2), each averaged over a batch; MMD is :func:`infoplane.metrics.mmd` (biased
estimator, inverse multiquadratic kernel, 4.1.3):

- ``L_y``: squared error between ``f_y(x)`` and ``y = s(x)`` (or cross-entropy with
  ``y_loss="cross_entropy"`` when ``y`` is a one-hot label);
- ``L_z``: MMD between the joint outputs ``[f_y(x), f_z(x)]`` (gradient to ``f_y``
  blocked) and ``[y, z]`` with ``z ~ N(0, I)``, i.e. ``q(y, z)`` vs ``p(y) p(z)``;
- ``L_x``: MMD between ``g(y, z)`` for fresh ``z ~ N(0, I)`` and the prior samples ``x``;
- ``L_pad``: squared output padding (kept at zero);
- ``L_rec``: reconstruction of ``[x, 0]`` from ``[y, f_z(x), noise]`` with noise in the
  padding, which forces the padding to be ignored.

The loss is the object :class:`InverseINNLoss` (``loss(model, batch) -> (loss, terms)``
for :func:`infoplane.train.fit`). ``L_x`` can be ramped up from a small factor
(``ramp_start``) to full weight over the first ``ramp_until`` fraction of training, as in
the authors' reference code: the loss's ``progress`` attribute, moved by
``train.Schedule(loss, "progress", lambda p: p)``.

Examples
--------
>>> import torch
>>> from infoplane.inn import InverseINN
>>> model = InverseINN(x_dim=4, y_dim=2, latent_dim=2, n_blocks=2, hidden=(16, 16), seed=0)
>>> model.posterior(torch.zeros(3, 2), 5, seed=0).shape
torch.Size([3, 5, 4])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F

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
from infoplane.inn.blocks import AffineCoupling, Permutation, RandomOrthogonal
from infoplane.inn.flow import SequenceINN
from infoplane.metrics.mmd import mmd

__all__ = ["InverseINN", "InverseLossWeights", "InverseINNLoss"]


@dataclass
class InverseLossWeights:
    """Weights of the loss terms of :class:`InverseINNLoss` (thesis 4.1.2-4.1.3).

    The defaults are those of the authors' reference code for the toy problems
    (``lambd_predict = 3``, ``lambd_latent = 300``, ``lambd_rev = 400``); the MMD terms
    need large weights because the MMD is small in magnitude.

    Examples
    --------
    >>> from infoplane.inn import InverseLossWeights
    >>> InverseLossWeights(x=0.0).x
    0.0
    """

    y: float = 3.0
    z: float = 300.0
    x: float = 400.0
    pad: float = 3.0
    rec: float = 3.0

    def __post_init__(self) -> None:
        for name, value in asdict(self).items():
            check_float(value, f"weights.{name}", low=0.0)


class InverseINN(nn.Module):
    """An INN ``f(x) = [y, z]`` trained on the forward process, sampled backwards (thesis ch. 4).

    Parameters
    ----------
    x_dim : int
        Size of the hidden parameters ``x``.
    y_dim : int
        Size of the observations ``y`` (for labels: the number of classes, one-hot).
    latent_dim : int
        Size of the latent ``z``; ``x_dim - m`` for an ``m``-dimensional ``y`` manifold.
    total_dim : int, optional
        Width of the network; default ``max(x_dim, y_dim + latent_dim)``. Larger values pad
        both sides with zeros (thesis B.5.1 pads the 8-mode toy to 16).
    n_blocks : int
        Affine coupling blocks (each followed by a fixed mixing of the features).
    hidden : sequence of int
        Hidden-layer widths of the coupling subnetworks, leaky ReLU in between (thesis
        B.5: three fully connected layers, i.e. two hidden layers such as ``(128, 128)``).
    clamp : float
        Soft clamp of the coupling scales (thesis eq. 3.13).
    mixing : {"orthogonal", "permutation"}
        The fixed mixing after each coupling block.
    y_loss : {"mse", "cross_entropy"}
        ``L_y`` of :class:`InverseINNLoss`: squared error (the thesis regresses one-hot
        labels with it too) or cross-entropy of the ``y`` outputs as logits against
        one-hot targets.
    seed : int, optional
        Seed of the initial weights (global RNG untouched) and of the mixing matrices
        (``1000 * seed + k`` for block ``k``). ``None``: weights from the global RNG,
        mixings seeded as for ``seed=0``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn import InverseINN
    >>> model = InverseINN(x_dim=2, y_dim=4, latent_dim=2, total_dim=8, n_blocks=2, hidden=(16, 16), seed=0)
    >>> model.forward_predict(torch.zeros(5, 2)).shape
    torch.Size([5, 4])
    >>> out, log_det = model(torch.zeros(5, 2))   # full width: [y, z, pad]
    >>> tuple(out.shape), tuple(log_det.shape)
    ((5, 8), (5,))
    """

    def __init__(self, x_dim: int, y_dim: int, latent_dim: int, total_dim: int | None = None, *,
                 n_blocks: int = 6, hidden: Sequence[int] = (128, 128), clamp: float = 2.0,
                 mixing: str = "orthogonal", y_loss: str = "mse", seed: int | None = None) -> None:
        super().__init__()
        self.x_dim = check_int(x_dim, "x_dim", minimum=1)
        self.y_dim = check_int(y_dim, "y_dim", minimum=1)
        self.latent_dim = check_int(latent_dim, "latent_dim", minimum=0)
        need = max(self.x_dim, self.y_dim + self.latent_dim, 2)
        self.total_dim = need if total_dim is None else check_int(total_dim, "total_dim", minimum=need)
        if mixing not in ("orthogonal", "permutation"):
            raise ValueError(f"mixing: expected 'orthogonal' or 'permutation', got {mixing!r}")
        if y_loss not in ("mse", "cross_entropy"):
            raise ValueError(f"y_loss: expected 'mse' or 'cross_entropy', got {y_loss!r}")
        self.y_loss = y_loss
        n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
        hidden = check_hidden(hidden)
        # the mixings take 1000 * seed + k: keep them in torch's range
        seed_value = 0 if seed is None else check_seed(seed, limit=2**64 // 1000 - 1)

        def subnet(c_in: int, c_out: int) -> nn.Module:
            return mlp([c_in, *hidden, c_out], activation="leaky_relu")

        mix = RandomOrthogonal if mixing == "orthogonal" else Permutation
        with seeded(seed):
            self.inn = SequenceINN(self.total_dim)
            for k in range(n_blocks):
                self.inn.append(AffineCoupling, subnet_constructor=subnet, clamp=clamp)
                self.inn.append(mix, seed=seed_value * 1000 + k)

    # ----------------------------------------------------------------- the maps
    @property
    def pad_x(self) -> int:
        """Zero dimensions appended to ``x``."""
        return self.total_dim - self.x_dim

    @property
    def pad_out(self) -> int:
        """Zero dimensions appended to ``[y, z]``."""
        return self.total_dim - self.y_dim - self.latent_dim

    def _pad(self, x: torch.Tensor, width: int) -> torch.Tensor:
        return torch.cat([x, x.new_zeros(x.shape[0], width)], 1) if width else x

    def forward(self, x: torch.Tensor, rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        """``f([x, 0]) = [y, z, pad]`` or, with ``rev``, ``g([y, z, pad]) = [x, pad_x]``, and log|det J|.

        Parameters
        ----------
        x : Tensor of shape (n, x_dim), or (n, total_dim) when ``rev``
        rev : bool
            Run the inverse on a full-width output.

        Returns
        -------
        output : Tensor of shape (n, total_dim)
        log_det : Tensor of shape (n,)
            log|det| of the Jacobian of the full-width map that was run, in nats.

        A wrong width or a dtype other than the parameters' is a ValueError naming
        ``x``; NaN passes through (:class:`InverseINNLoss` refuses it).
        """
        width = self.total_dim if rev else self.x_dim
        if not isinstance(x, torch.Tensor) or x.ndim != 2 or x.shape[1] != width:
            got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
            raise ValueError(f"x: expected shape (n, {width}), got {got}")
        check_dtype(x, self.inn)
        if rev:
            return self.inn(x, rev=True)
        return self.inn(self._pad(x, self.pad_x))

    def split_output(self, out: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        """Split a full-width output into ``(y, z, pad)`` of widths ``y_dim``, ``latent_dim``, ``pad_out``.

        Examples
        --------
        >>> import torch
        >>> model = InverseINN(2, 1, 1, total_dim=4, n_blocks=1, hidden=(8,), seed=0)
        >>> [tuple(t.shape) for t in model.split_output(torch.zeros(3, 4))]
        [(3, 1), (3, 1), (3, 2)]
        """
        y, z, pad = out.split([self.y_dim, self.latent_dim, self.pad_out], dim=1)
        return y, z, pad

    def forward_predict(self, x: torch.Tensor) -> torch.Tensor:
        """The learned forward process ``f_y(x) ~ s(x)``: (n, x_dim) -> (n, y_dim), no gradients."""
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.x_dim:
            raise ValueError(f"x: expected shape (n, {self.x_dim}), got {tuple(x.shape)}")
        p = next(self.parameters())
        with torch.no_grad():
            return self.split_output(self(x.to(p))[0])[0]

    def inverse(self, y: torch.Tensor, z: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        """``x = g(y, z)`` (eq. 4.1) with zero (or given) padding; (n, x_dim), keeps gradients."""
        if pad is None:
            pad = y.new_zeros(y.shape[0], self.pad_out)
        return self(torch.cat([y, z, pad], 1), rev=True)[0][:, :self.x_dim]

    @torch.no_grad()
    def posterior(self, y: torch.Tensor, n: int, seed: int | None = 0,
                  generator: torch.Generator | None = None, batch_size: int = 65536) -> torch.Tensor:
        """Posterior samples ``x = g(y*, z)``, ``z ~ N(0, I)`` (eq. 4.1).

        Parameters
        ----------
        y : Tensor of shape (n_observations, y_dim)
            Observations ``y*`` (one-hot rows for labels).
        n : int
            Samples per observation.
        seed : int, optional
            Seed of the latent draws (ignored when ``generator`` is given).
        generator : torch.Generator, optional
        batch_size : int
            Samples pushed through the network at once.

        Returns
        -------
        Tensor of shape (n_observations, n, x_dim)
        """
        y = check_y_star(y)
        if y.shape[1] != self.y_dim:
            raise ValueError(f"y: expected {self.y_dim} features, got {y.shape[1]}")
        n = check_int(n, "n", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        p = next(self.parameters())
        y = y.to(p)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_seed(seed))
        was_training = self.training
        self.eval()
        yy = y.repeat_interleave(n, 0)
        z = _randn((yy.shape[0], self.latent_dim), yy, generator)
        out = torch.cat([self.inverse(yy[i:i + batch_size], z[i:i + batch_size])
                         for i in range(0, yy.shape[0], batch_size)])
        self.train(was_training)
        return out.reshape(y.shape[0], n, self.x_dim)


class InverseINNLoss:
    """The bidirectional loss of thesis 4.1.2 for an :class:`InverseINN`: ``loss(model, (x, y))``.

    A loss object for :func:`infoplane.train.fit`; each call returns ``(loss, terms)``
    on a batch of prior samples ``x`` (batch, x_dim) and their outcomes ``y = s(x)``
    (batch, y_dim) (or one-hot labels).

    Parameters
    ----------
    weights : InverseLossWeights, optional
    bandwidths_z, bandwidths_x : float or sequence of float
        Inverse multiquadratic kernel widths for ``L_z`` (on ``[y, z]``) and ``L_x``.
    kernel : str
        MMD kernel (see :func:`infoplane.metrics.mmd`).
    y_noise : float
        Standard deviation of noise added to ``y`` (and to ``z`` for the
        reconstruction) in the backward passes.
    pad_noise : float
        Standard deviation of the noise written into the output padding in the
        backward passes.
    ramp_start, ramp_until : float
        ``L_x`` weight factor ``min(1, ramp_start ** (1 - progress / ramp_until))``:
        ``ramp_start`` at the start, 1 after ``ramp_until`` of training. 1 disables it.
    seed : int, optional
        Seeds a CPU generator for the latent and noise draws (ignored when ``generator``
        is given); with neither, draws come from the global RNG.
    generator : torch.Generator, optional
        Source of the latent and noise draws.

    Attributes
    ----------
    progress : float
        Fraction of training done, in [0, 1]; 1 (full ``L_x`` weight) until a schedule
        moves it: ``train.Schedule(loss, "progress", lambda p: p)``.

    Notes
    -----
    The terms, detached 0-d tensors, are ``L_y``, ``L_z``, ``L_x``, ``L_pad``, ``L_rec``
    (unweighted; ``L_y`` in squared units of ``y`` or nats, the MMDs dimensionless) and
    ``ramp``, the factor on ``L_x``.

    The batch is checked at the door: fewer than 2 samples (the MMD terms need two;
    use ``drop_last=True`` when n = 1 mod batch size), or NaN / inf in ``x`` or ``y``,
    is a ValueError naming ``batch``.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from infoplane.inn import InverseINN, InverseINNLoss
    >>> from infoplane.train import Schedule, fit
    >>> x = torch.randn(200, 2); y = x[:, :1] + x[:, 1:]
    >>> model = InverseINN(2, 1, 1, n_blocks=2, hidden=(16, 16), seed=0)
    >>> loss = InverseINNLoss(ramp_start=0.01, seed=1)
    >>> opt = torch.optim.Adam(model.parameters(), 1e-3)
    >>> history = fit(model, loss, DataLoader(TensorDataset(x, y), batch_size=100), opt, 2,
    ...               callbacks=[Schedule(loss, "progress", lambda p: p)], device="cpu", progress=False)
    >>> sorted(k for k in history[-1] if k.startswith("train/L_"))
    ['train/L_pad', 'train/L_rec', 'train/L_x', 'train/L_y', 'train/L_z']
    """

    def __init__(self, weights: InverseLossWeights | None = None, *,
                 bandwidths_z: Sequence[float] | float = 1.2, bandwidths_x: Sequence[float] | float = 1.2,
                 kernel: str = "inverse_multiquadratic", y_noise: float = 0.0, pad_noise: float = 0.05,
                 ramp_start: float = 1.0, ramp_until: float = 0.9, seed: int | None = None,
                 generator: torch.Generator | None = None) -> None:
        if weights is not None and not isinstance(weights, InverseLossWeights):
            raise TypeError(f"weights: expected InverseLossWeights, got {type(weights).__name__}")
        self.weights = weights if weights is not None else InverseLossWeights()
        self.bandwidths_z, self.bandwidths_x, self.kernel = bandwidths_z, bandwidths_x, kernel
        self.y_noise = check_float(y_noise, "y_noise", low=0.0)
        self.pad_noise = check_float(pad_noise, "pad_noise", low=0.0)
        self.ramp_start = check_float(ramp_start, "ramp_start", low=0.0, high=1.0, low_open=True)
        self.ramp_until = check_float(ramp_until, "ramp_until", low=0.0, high=1.0, low_open=True)  # no 1/0
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_seed(seed))
        self.generator = generator
        self.progress = 1.0

    def ramp(self) -> float:
        """The factor on ``L_x`` now: ``min(1, ramp_start ** (1 - progress / ramp_until))``.

        Examples
        --------
        >>> from infoplane.inn import InverseINNLoss
        >>> loss = InverseINNLoss(ramp_start=0.01, ramp_until=0.5)
        >>> loss.progress = 0.25
        >>> round(loss.ramp(), 6)   # halfway up the ramp: sqrt(0.01)
        0.1
        """
        if self.ramp_start >= 1.0:
            return 1.0
        return min(1.0, self.ramp_start ** (1.0 - self.progress / self.ramp_until))

    def __call__(self, model: InverseINN,
                 batch: tuple[torch.Tensor, torch.Tensor]) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        """``(loss, terms)`` on one batch ``(x, y)``; see the class docstring."""
        if not isinstance(model, InverseINN):
            raise TypeError(f"model: expected an InverseINN, got {type(model).__name__}")
        x, y = check_pair_batch(batch, model.x_dim, model.y_dim)
        check_finite_batch(x, y, min_samples=2)
        w, gen = self.weights, self.generator
        n = x.shape[0]
        out, _ = model(x)
        y_out, z_out, pad_out = model.split_output(out)
        if model.y_loss == "mse":
            l_y = (y_out - y).pow(2).sum(1).mean()
        else:
            l_y = F.cross_entropy(y_out, y.argmax(1))
        # L_z: q(y, z) vs p(y) p(z), gradient to the y outputs blocked (4.1.2)
        z_prior = _randn((n, model.latent_dim), x, gen)
        try:
            l_z = mmd(torch.cat([y_out.detach(), z_out], 1), torch.cat([y, z_prior], 1), self.kernel,
                      self.bandwidths_z, estimator="biased", differentiable=True)
        except ValueError as err:
            if bool(torch.isfinite(out).all()):   # a finite model: the data overflow the kernel
                raise ValueError(f"batch: y is too large for the MMD of L_z ({err})") from None
            raise
        l_pad = pad_out.pow(2).sum(1).mean() if model.pad_out else x.new_zeros(())
        # backward passes: noisy y, noise in the output padding
        y_n = y + self.y_noise * _randn(y.shape, y, gen) if self.y_noise > 0 else y
        pad = self.pad_noise * _randn((n, model.pad_out), x, gen)
        z_rec = z_out.detach()
        if self.y_noise > 0:
            z_rec = z_rec + self.y_noise * _randn(z_rec.shape, z_rec, gen)
        z_gen = _randn((n, model.latent_dim), x, gen)
        # both backward passes in one batch: [y, fresh z] for L_x, [y, f_z(x)] for L_rec
        back, _ = model(torch.cat([torch.cat([y_n, z_gen, pad], 1), torch.cat([y_n, z_rec, pad], 1)]),
                        rev=True)
        x_gen, x_rec = back[:n, :model.x_dim], back[n:]
        l_x = mmd(x_gen, x, self.kernel, self.bandwidths_x, estimator="biased", differentiable=True)
        l_rec = (x_rec - model._pad(x, model.pad_x)).pow(2).sum(1).mean()
        ramp = self.ramp()
        loss = w.y * l_y + w.z * l_z + w.x * ramp * l_x + w.pad * l_pad + w.rec * l_rec
        terms = {"L_y": l_y, "L_z": l_z, "L_x": l_x, "L_pad": l_pad, "L_rec": l_rec}
        terms = {k: v.detach() for k, v in terms.items()}
        terms["ramp"] = torch.tensor(ramp, dtype=torch.float64, device=loss.device)  # the exact factor
        return loss, terms
