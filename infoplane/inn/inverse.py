"""Bidirectionally trained INN for inverse problems (thesis chapter 4, Ardizzone et al. 2019).

An INN ``f`` learns the well-posed forward process ``x -> y`` and adds latent variables
``z`` for what ``y`` does not carry: ``f(x) = [y, z]`` (eq. 4.2). Run backwards with
``z ~ N(0, I)`` it samples the posterior ``x = g(y*, z) ~ p(x | y*)`` (eq. 4.1,
Proposition 1). When ``dim_x`` and ``dim_y + dim_z`` differ, zeros pad either side to
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

``L_x`` can be ramped up from a small factor (``ramp_start``) to full weight over the
first ``ramp_until`` fraction of training, as in the authors' reference code.

Examples
--------
>>> import torch
>>> from infoplane.inn import InverseINN
>>> model = InverseINN(dim_x=4, dim_y=2, dim_z=2, n_blocks=2, hidden=16, seed=0)
>>> model.posterior(torch.zeros(3, 2), 5, seed=0).shape
torch.Size([3, 5, 4])
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass

import torch
from torch import nn
from torch.nn import functional as F
from torch.utils.data import DataLoader, TensorDataset

from infoplane._nn import mlp
from infoplane._nn import randn as _randn
from infoplane._validation import check_float, check_int
from infoplane.inn.baselines import _check_pairs, _check_y_star
from infoplane.inn.blocks import AffineCoupling, Permutation, RandomOrthogonal
from infoplane.inn.flow import SequenceINN
from infoplane.metrics.mmd import mmd
from infoplane.train import Callback, FitState
from infoplane.train import fit as train_fit

__all__ = ["InverseINN", "InverseLossWeights"]


@dataclass
class InverseLossWeights:
    """Weights of the loss terms of :class:`InverseINN` (thesis 4.1.2-4.1.3).

    The defaults are those of the authors' reference code for the toy problems
    (``lambd_predict = 3``, ``lambd_latent = 300``, ``lambd_rev = 400``); the MMD terms
    need large weights because the MMD is small in magnitude.
    """

    y: float = 3.0
    z: float = 300.0
    x: float = 400.0
    pad: float = 3.0
    rec: float = 3.0

    def __post_init__(self):
        for name, value in asdict(self).items():
            check_float(value, f"weights.{name}", low=0.0)


class _Progress(Callback):
    """Tells the model how far training has come (for the ramp-up of ``L_x``)."""

    def __init__(self, model: InverseINN, total_steps: int):
        self.model, self.total = model, max(1, total_steps)

    def on_step_end(self, state: FitState) -> None:
        self.model._progress = min(1.0, state.step / self.total)


class InverseINN(nn.Module):
    """An INN ``f(x) = [y, z]`` trained on the forward process, sampled backwards (thesis ch. 4).

    Parameters
    ----------
    dim_x : int
        Size of the hidden parameters ``x``.
    dim_y : int
        Size of the observations ``y`` (for labels: the number of classes, one-hot).
    dim_z : int
        Size of the latent ``z``; ``dim_x - m`` for an ``m``-dimensional ``y`` manifold.
    dim_total : int, optional
        Width of the network; default ``max(dim_x, dim_y + dim_z)``. Larger values pad
        both sides with zeros (thesis B.5.1 pads the 8-mode toy to 16).
    n_blocks : int
        Affine coupling blocks (each followed by a fixed mixing of the features).
    hidden : int
        Width of the coupling subnetworks.
    n_layers : int
        Fully connected layers per subnetwork (thesis B.5: 3), leaky ReLU in between.
    clamp : float
        Soft clamp of the coupling scales (thesis eq. 3.13).
    mixing : {"orthogonal", "permutation"}
        The fixed mixing after each coupling block.
    y_loss : {"mse", "cross_entropy"}
        ``L_y``: squared error (the thesis regresses one-hot labels with it too) or
        cross-entropy of the ``y`` outputs as logits against one-hot targets.
    seed : int, optional
        Seed of the initial weights and the mixing matrices (global RNG untouched).

    Examples
    --------
    >>> import torch
    >>> from infoplane.inn import InverseINN
    >>> model = InverseINN(dim_x=2, dim_y=4, dim_z=2, dim_total=8, n_blocks=2, hidden=16, seed=0)
    >>> model.forward_predict(torch.zeros(5, 2)).shape
    torch.Size([5, 4])
    """

    def __init__(self, dim_x: int, dim_y: int, dim_z: int, dim_total: int | None = None, *,
                 n_blocks: int = 6, hidden: int = 128, n_layers: int = 3, clamp: float = 2.0,
                 mixing: str = "orthogonal", y_loss: str = "mse", seed: int | None = None):
        super().__init__()
        self.dim_x = check_int(dim_x, "dim_x", minimum=1)
        self.dim_y = check_int(dim_y, "dim_y", minimum=1)
        self.dim_z = check_int(dim_z, "dim_z", minimum=0)
        need = max(self.dim_x, self.dim_y + self.dim_z, 2)
        self.dim_total = need if dim_total is None else check_int(dim_total, "dim_total", minimum=need)
        if mixing not in ("orthogonal", "permutation"):
            raise ValueError(f"mixing: expected 'orthogonal' or 'permutation', got {mixing!r}")
        if y_loss not in ("mse", "cross_entropy"):
            raise ValueError(f"y_loss: expected 'mse' or 'cross_entropy', got {y_loss!r}")
        self.y_loss = y_loss
        n_blocks = check_int(n_blocks, "n_blocks", minimum=1)
        hidden = check_int(hidden, "hidden", minimum=1)
        n_layers = check_int(n_layers, "n_layers", minimum=1)
        seed_value = 0 if seed is None else check_int(seed, "seed", minimum=0)

        def subnet(c_in: int, c_out: int) -> nn.Module:
            return mlp([c_in] + [hidden] * (n_layers - 1) + [c_out], activation="leaky_relu")

        mix = RandomOrthogonal if mixing == "orthogonal" else Permutation
        with torch.random.fork_rng(devices=[]):
            if seed is not None:
                torch.manual_seed(seed_value)
            self.inn = SequenceINN(self.dim_total)
            for k in range(n_blocks):
                self.inn.append(AffineCoupling, subnet_constructor=subnet, clamp=clamp)
                self.inn.append(mix, seed=seed_value * 1000 + k)
        self._progress = 1.0

    # ----------------------------------------------------------------- the maps
    @property
    def pad_x(self) -> int:
        """Zero dimensions appended to ``x``."""
        return self.dim_total - self.dim_x

    @property
    def pad_out(self) -> int:
        """Zero dimensions appended to ``[y, z]``."""
        return self.dim_total - self.dim_y - self.dim_z

    def _pad(self, x: torch.Tensor, width: int) -> torch.Tensor:
        return torch.cat([x, x.new_zeros(x.shape[0], width)], 1) if width else x

    def forward(self, x: torch.Tensor, rev: bool = False) -> torch.Tensor:
        """``f([x, 0]) = [y, z, pad]`` or, with ``rev``, ``g([y, z, pad]) = [x, pad_x]`` (full width)."""
        if rev:
            return self.inn(x, rev=True)[0]
        return self.inn(self._pad(x, self.pad_x))[0]

    def _split_out(self, out: torch.Tensor):
        return out.split([self.dim_y, self.dim_z, self.pad_out], dim=1)

    def forward_predict(self, x) -> torch.Tensor:
        """The learned forward process ``f_y(x) ~ s(x)``: (n, dim_x) -> (n, dim_y)."""
        x = torch.as_tensor(x)
        if x.ndim != 2 or x.shape[1] != self.dim_x:
            raise ValueError(f"x: expected shape (n, {self.dim_x}), got {tuple(x.shape)}")
        p = next(self.parameters())
        with torch.no_grad():
            return self._split_out(self(x.to(p)))[0]

    def inverse(self, y: torch.Tensor, z: torch.Tensor, pad: torch.Tensor | None = None) -> torch.Tensor:
        """``x = g(y, z)`` (eq. 4.1) with zero (or given) padding; (n, dim_x), keeps gradients."""
        if pad is None:
            pad = y.new_zeros(y.shape[0], self.pad_out)
        return self(torch.cat([y, z, pad], 1), rev=True)[:, :self.dim_x]

    @torch.no_grad()
    def posterior(self, y, n: int, seed: int | None = 0, generator: torch.Generator | None = None,
                  batch_size: int = 65536) -> torch.Tensor:
        """Posterior samples ``x = g(y*, z)``, ``z ~ N(0, I)`` (eq. 4.1).

        Parameters
        ----------
        y : Tensor of shape (n_observations, dim_y)
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
        Tensor of shape (n_observations, n, dim_x)
        """
        y = _check_y_star(y)
        if y.shape[1] != self.dim_y:
            raise ValueError(f"y: expected {self.dim_y} features, got {y.shape[1]}")
        n = check_int(n, "n", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=1)
        p = next(self.parameters())
        y = y.to(p)
        if generator is None and seed is not None:
            generator = torch.Generator().manual_seed(check_int(seed, "seed", minimum=0))
        was_training = self.training
        self.eval()
        yy = y.repeat_interleave(n, 0)
        z = _randn((yy.shape[0], self.dim_z), yy, generator)
        out = torch.cat([self.inverse(yy[i:i + batch_size], z[i:i + batch_size])
                         for i in range(0, yy.shape[0], batch_size)])
        self.train(was_training)
        return out.reshape(y.shape[0], n, self.dim_x)

    # --------------------------------------------------------------- the losses
    def loss(self, x: torch.Tensor, y: torch.Tensor, *, weights: InverseLossWeights | None = None,
             bandwidths_z: Sequence[float] | float = 1.2, bandwidths_x: Sequence[float] | float = 1.2,
             kernel: str = "inverse_multiquadratic", y_noise: float = 0.0, pad_noise: float = 0.05,
             ramp_start: float = 1.0, ramp_until: float = 0.9,
             generator: torch.Generator | None = None):
        """The bidirectional loss of thesis 4.1.2 on one batch; returns ``(loss, terms)``.

        Parameters
        ----------
        x : Tensor (batch, dim_x)
            Prior samples.
        y : Tensor (batch, dim_y)
            Their simulation outcomes ``s(x)`` (or one-hot labels).
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
        generator : torch.Generator, optional
            Source of the latent and noise draws.

        Returns
        -------
        loss : 0-d Tensor
        terms : dict
            ``L_y``, ``L_z``, ``L_x``, ``L_pad``, ``L_rec`` (unweighted) and ``ramp``.
        """
        w = weights if weights is not None else InverseLossWeights()
        n = x.shape[0]
        out = self(x)
        y_out, z_out, pad_out = self._split_out(out)
        if self.y_loss == "mse":
            l_y = (y_out - y).pow(2).sum(1).mean()
        else:
            l_y = F.cross_entropy(y_out, y.argmax(1))
        # L_z: q(y, z) vs p(y) p(z), gradient to the y outputs blocked (4.1.2)
        z_prior = _randn((n, self.dim_z), x, generator)
        l_z = mmd(torch.cat([y_out.detach(), z_out], 1), torch.cat([y, z_prior], 1), kernel,
                  bandwidths_z, estimator="biased", differentiable=True)
        l_pad = pad_out.pow(2).sum(1).mean() if self.pad_out else x.new_zeros(())
        # backward passes: noisy y, noise in the output padding
        y_n = y + y_noise * _randn(y.shape, y, generator) if y_noise > 0 else y
        pad = pad_noise * _randn((n, self.pad_out), x, generator)
        z_rec = z_out.detach()
        if y_noise > 0:
            z_rec = z_rec + y_noise * _randn(z_rec.shape, z_rec, generator)
        z_gen = _randn((n, self.dim_z), x, generator)
        # both backward passes in one batch: [y, fresh z] for L_x, [y, f_z(x)] for L_rec
        back = self(torch.cat([torch.cat([y_n, z_gen, pad], 1), torch.cat([y_n, z_rec, pad], 1)]), rev=True)
        x_gen, x_rec = back[:n, :self.dim_x], back[n:]
        l_x = mmd(x_gen, x, kernel, bandwidths_x, estimator="biased", differentiable=True)
        l_rec = (x_rec - self._pad(x, self.pad_x)).pow(2).sum(1).mean()
        ramp = 1.0
        if ramp_start < 1.0:
            ramp = min(1.0, ramp_start ** (1.0 - self._progress / ramp_until))
        loss = w.y * l_y + w.z * l_z + w.x * ramp * l_x + w.pad * l_pad + w.rec * l_rec
        return loss, {"L_y": l_y, "L_z": l_z, "L_x": l_x, "L_pad": l_pad, "L_rec": l_rec, "ramp": ramp}

    def fit(self, x, y, *, epochs: int = 10, batch_size: int = 500, lr: float = 1e-2,
            lr_end: float = 1e-4, weight_decay: float = 0.0, weights: InverseLossWeights | None = None,
            clip_grad_norm: float | None = 10.0, seed: int = 0, device=None, progress: bool = False,
            **loss_options):
        """Train on pairs ``(x, y = s(x))`` with :func:`infoplane.train.fit`.

        Adam with an exponentially decaying learning rate from ``lr`` to ``lr_end``
        (thesis B.5.2: 1e-2 to 1e-4). ``loss_options`` go to :meth:`loss`
        (``bandwidths_z``, ``bandwidths_x``, ``kernel``, ``y_noise``, ``pad_noise``,
        ``ramp_start``, ``ramp_until``). Returns the per-epoch history with the mean of
        each loss term.

        Examples
        --------
        >>> import torch
        >>> from infoplane.inn import InverseINN
        >>> x = torch.randn(200, 2); y = x[:, :1] + x[:, 1:]
        >>> model = InverseINN(2, 1, 1, n_blocks=2, hidden=16, seed=0)
        >>> history = model.fit(x, y, epochs=2, batch_size=100, device="cpu")
        >>> sorted(k for k in history[-1] if k.startswith("train/L_"))
        ['train/L_pad', 'train/L_rec', 'train/L_x', 'train/L_y', 'train/L_z']
        """
        x, y = _check_pairs(x, y, self.dim_x, self.dim_y)
        epochs = check_int(epochs, "epochs", minimum=1)
        batch_size = check_int(batch_size, "batch_size", minimum=2)
        seed = check_int(seed, "seed", minimum=0)
        lr = check_float(lr, "lr", low=0.0, low_open=True)
        lr_end = check_float(lr_end, "lr_end", low=0.0, low_open=True)
        unknown = set(loss_options) - {"bandwidths_z", "bandwidths_x", "kernel", "y_noise", "pad_noise",
                                       "ramp_start", "ramp_until"}
        if unknown:
            raise ValueError(f"loss_options: unknown options {sorted(unknown)}")
        loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, drop_last=True,
                            generator=torch.Generator().manual_seed(seed))
        noise = torch.Generator().manual_seed(seed + 1)
        opt = torch.optim.Adam([p for p in self.parameters() if p.requires_grad], lr=lr,
                               weight_decay=check_float(weight_decay, "weight_decay", low=0.0))
        sched = torch.optim.lr_scheduler.ExponentialLR(opt, (lr_end / lr) ** (1.0 / epochs))
        self._progress = 0.0

        def loss_fn(model, batch):
            return model.loss(batch[0], batch[1], weights=weights, generator=noise, **loss_options)

        history = train_fit(self, loss_fn, loader, opt, epochs, scheduler=sched, device=device,
                            clip_grad_norm=clip_grad_norm, progress=progress,
                            callbacks=[_Progress(self, epochs * len(loader))])
        self._progress = 1.0
        self.eval()
        return history
