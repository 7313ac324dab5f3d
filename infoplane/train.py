"""One training loop for every model in infoplane.

A loss is any callable ``loss_fn(model, batch) -> (loss, terms)``: ``batch`` is what
the data loader yields, already moved to the device, ``loss`` a scalar tensor and
``terms`` a dict of named scalars (floats or tensors) to log. The loop averages every
term over each epoch, stops with :class:`DivergenceError` naming the term and epoch
when the loss turns NaN or infinite, and calls callbacks (such as the
information-plane recorder) after each step and epoch.

Examples
--------
>>> import torch
>>> from torch.utils.data import DataLoader, TensorDataset
>>> from infoplane.train import fit
>>> x = torch.randn(64, 3); y = x @ torch.tensor([1.0, -2.0, 0.5])
>>> model = torch.nn.Linear(3, 1)
>>> def mse(model, batch):
...     xb, yb = batch
...     loss = (model(xb).squeeze(1) - yb).pow(2).mean()
...     return loss, {"mse": loss}
>>> history = fit(model, mse, DataLoader(TensorDataset(x, y), batch_size=16),
...               torch.optim.SGD(model.parameters(), lr=0.1), epochs=20, progress=False)
>>> history[-1]["train/mse"] < 1e-3
True
"""

from __future__ import annotations

import math
import os
import random
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from infoplane._runtime import device as default_device
from infoplane._validation import check_float, check_int

LossFn = Callable[[nn.Module, Any], tuple[torch.Tensor, dict[str, Any]]]


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite loss."""


@dataclass
class FitState:
    """What callbacks see: the model, the optimizer, where training stands, the logs."""

    model: nn.Module
    optimizer: torch.optim.Optimizer
    epoch: int = 0
    step: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    history: list[dict[str, float]] = field(default_factory=list)
    last_terms: dict[str, float] = field(default_factory=dict)
    stop: bool = False
    epochs: int = 0
    steps_per_epoch: int | None = None

    @property
    def progress(self) -> float:
        """Fraction of training done, ``step / (epochs * steps_per_epoch)`` in [0, 1].

        Needs a train loader with a length; raises ValueError otherwise.
        """
        if not self.steps_per_epoch or not self.epochs:
            raise ValueError("train_loader: has no len(), so the progress of training is unknown")
        return min(1.0, self.step / (self.epochs * self.steps_per_epoch))


class Callback:
    """Base class of training callbacks; override the hooks you need.

    Set ``state.stop = True`` in a hook to end training after the current epoch.
    """

    def on_epoch_start(self, state: FitState) -> None:
        """Called before the first step of every epoch (``state.epoch`` is the epoch about to run)."""

    def on_step_end(self, state: FitState) -> None:
        """Called after every optimizer step."""

    def on_epoch_end(self, state: FitState) -> None:
        """Called after every epoch, once ``state.history[-1]`` holds its averages."""


class Schedule(Callback):
    """Set ``target.<attribute> = values(progress)`` before every step, progress in [0, 1].

    The schedule callback of training recipes: a loss object keeps a weight as an
    attribute and this moves it (for instance the ramp-up of the inverse INN's L_x).
    ``progress`` is :attr:`FitState.progress`, the fraction of optimizer steps done, so
    the train loader must have a length.

    Examples
    --------
    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from infoplane.train import Schedule, fit
    >>> class Weighted:
    ...     weight = 0.0
    ...     def __call__(self, model, batch):
    ...         loss = self.weight * model(batch[0]).pow(2).mean()
    ...         return loss, {"weight": torch.tensor(self.weight)}
    >>> loss = Weighted()
    >>> model = torch.nn.Linear(2, 1)
    >>> history = fit(model, loss, DataLoader(TensorDataset(torch.randn(8, 2)), batch_size=4),
    ...               torch.optim.SGD(model.parameters(), lr=0.1), epochs=2,
    ...               callbacks=[Schedule(loss, "weight", lambda p: p)], progress=False)
    >>> [row["train/weight"] for row in history]  # progress 0, 1/4 | 2/4, 3/4
    [0.125, 0.625]
    """

    def __init__(self, target: object, attribute: str, values: Callable[[float], float]) -> None:
        if not hasattr(target, attribute):
            raise ValueError(f"attribute: {type(target).__name__} has no attribute {attribute!r}")
        if not callable(values):
            raise TypeError(f"values: expected a callable of the progress, got {type(values).__name__}")
        self.target, self.attribute, self.values = target, attribute, values

    def _set(self, state: FitState) -> None:
        setattr(self.target, self.attribute, self.values(state.progress))

    def on_epoch_start(self, state: FitState) -> None:
        """Set the value for the first step of the epoch."""
        self._set(state)

    def on_step_end(self, state: FitState) -> None:
        """Set the value for the next step."""
        self._set(state)


def to_device(batch, device: torch.device):
    """Move a tensor, or the tensors inside tuples, lists and dicts, to ``device``."""
    if isinstance(batch, torch.Tensor):
        return batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        return type(batch)(to_device(b, device) for b in batch)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _batch_size(batch) -> int:
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.ndim else 1
    if isinstance(batch, (tuple, list)) and batch:
        return _batch_size(batch[0])
    if isinstance(batch, dict) and batch:
        return _batch_size(next(iter(batch.values())))
    return 1


def _as_float(value) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def _check_finite(loss: torch.Tensor, terms: dict, epoch: int, step: int) -> None:
    if bool(torch.isfinite(loss.detach())):
        return
    bad = [name for name, v in terms.items() if not math.isfinite(_as_float(v))]
    which = f"non-finite terms: {bad}" if bad else "no logged term is non-finite"
    raise DivergenceError(
        f"training diverged: the loss became {_as_float(loss)} at epoch {epoch}, step {step} "
        f"({which}); lower the learning rate, clip gradients or check the inputs")


def evaluate(model: nn.Module, loss_fn: LossFn, loader: Iterable, device=None) -> dict[str, float]:
    """Average the loss and its terms over ``loader`` in eval mode without gradients.

    Returns a dict ``{"loss": ..., term: ...}`` of sample-weighted means.

    Examples
    --------
    >>> import torch
    >>> from infoplane.train import evaluate
    >>> model = torch.nn.Linear(2, 1)
    >>> loss = lambda m, b: (m(b[0]).pow(2).mean(), {})
    >>> sorted(evaluate(model, loss, [(torch.zeros(4, 2),)]))
    ['loss']
    """
    device = torch.device(device) if device is not None else next(model.parameters()).device
    was_training = model.training
    model.eval()
    sums: dict[str, float] = {}
    count = 0
    with torch.no_grad():
        for batch in loader:
            batch = to_device(batch, device)
            loss, terms = loss_fn(model, batch)
            n = _batch_size(batch)
            for name, value in {"loss": loss, **terms}.items():
                sums[name] = sums.get(name, 0.0) + _as_float(value) * n
            count += n
    model.train(was_training)
    return {name: total / max(count, 1) for name, total in sums.items()}


def _rng_state() -> dict:
    state = {"torch": torch.get_rng_state(), "numpy": np.random.get_state(),  # noqa: NPY002
             "python": random.getstate()}
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state_all()
    return state


def _set_rng_state(state: dict) -> None:
    torch.set_rng_state(state["torch"])
    np.random.set_state(state["numpy"])  # noqa: NPY002
    random.setstate(state["python"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _loader_generators(loaders: Sequence) -> list[torch.Generator | None]:
    gens = []
    for loader in loaders:
        sampler = getattr(loader, "sampler", None)
        gens.append(getattr(sampler, "generator", None) or getattr(loader, "generator", None))
    return gens


def save_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer, epoch: int,
                    scheduler=None, history=None, loaders: Sequence = ()) -> None:
    """Save model, optimizer, scheduler, epoch, history and all random states.

    With the same ``loaders`` passed to :func:`load_checkpoint` (or to :func:`fit` via
    ``resume_from``), training resumes bit-identically.

    Examples
    --------
    >>> import torch, tempfile, os
    >>> from infoplane.train import save_checkpoint, load_checkpoint
    >>> m = torch.nn.Linear(2, 2); opt = torch.optim.Adam(m.parameters())
    >>> p = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
    >>> save_checkpoint(p, m, opt, epoch=3)
    >>> load_checkpoint(p, m, opt)["epoch"]
    3
    """
    payload = {
        "epoch": int(epoch),
        "model": model.state_dict(),
        "optimizer": optimizer.state_dict(),
        "scheduler": scheduler.state_dict() if scheduler is not None else None,
        "history": list(history or []),
        "rng": _rng_state(),
        "loader_rng": [g.get_state() if g is not None else None
                       for g in _loader_generators(loaders)],
    }
    tmp = f"{os.fspath(path)}.tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path, model: nn.Module, optimizer: torch.optim.Optimizer | None = None,
                    scheduler=None, loaders: Sequence = ()) -> dict:
    """Restore what :func:`save_checkpoint` wrote; returns the payload (``epoch``, ``history``)."""
    payload = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(payload["model"])
    if optimizer is not None:
        optimizer.load_state_dict(payload["optimizer"])
    if scheduler is not None and payload["scheduler"] is not None:
        scheduler.load_state_dict(payload["scheduler"])
    _set_rng_state(payload["rng"])
    for gen, state in zip(_loader_generators(loaders), payload.get("loader_rng", []), strict=False):
        if gen is not None and state is not None:
            gen.set_state(state)
    return payload


def fit(model: nn.Module, loss_fn: LossFn, train_loader: Iterable,
        optimizer: torch.optim.Optimizer, epochs: int, *, val_loader: Iterable | None = None,
        device=None, scheduler=None, clip_grad_norm: float | None = None,
        callbacks: Sequence[Callback] = (), checkpoint_path=None, resume_from=None,
        progress: bool = True) -> list[dict[str, float]]:
    """Train ``model`` for ``epochs`` epochs and return the per-epoch history.

    Parameters
    ----------
    model : nn.Module
        Moved to ``device`` before training.
    loss_fn : callable
        ``loss_fn(model, batch) -> (loss, terms)``; see the module docstring.
    train_loader, val_loader : iterables of batches
        Usually ``torch.utils.data.DataLoader``; ``val_loader`` is evaluated with
        :func:`evaluate` after every epoch.
    optimizer : torch.optim.Optimizer
    epochs : int
        The epoch to stop after, counting epochs already done when resuming.
    device : str or torch.device, optional
        Defaults to :func:`infoplane.device`.
    scheduler : optional
        A learning-rate scheduler stepped once per epoch.
    clip_grad_norm : float, optional
        Clip the global gradient norm to this value before each step.
    callbacks : sequence of Callback
        Hooks called after each step and each epoch.
    checkpoint_path : path, optional
        Save a checkpoint there after every epoch.
    resume_from : path, optional
        Continue from a checkpoint: restores model, optimizer, scheduler, history and
        random states, then trains the remaining epochs.
    progress : bool
        Show a tqdm bar over epochs (never when the ``CI`` environment variable is set).

    Returns
    -------
    list of dict
        One row per epoch: ``epoch``, ``lr``, ``seconds``, ``train/<term>`` and
        ``val/<term>`` averages (``loss`` included).

    Raises
    ------
    DivergenceError
        When the loss becomes NaN or infinite (the message names the term and epoch).
    """
    epochs = check_int(epochs, "epochs", minimum=0)
    if clip_grad_norm is not None:
        clip_grad_norm = check_float(clip_grad_norm, "clip_grad_norm", low=0, low_open=True)
    dev = torch.device(device) if device is not None else default_device()
    model.to(dev)
    loaders = [train_loader] + ([val_loader] if val_loader is not None else [])
    state = FitState(model=model, optimizer=optimizer, device=dev, epochs=epochs,
                     steps_per_epoch=len(train_loader) if hasattr(train_loader, "__len__") else None)
    if resume_from is not None:
        payload = load_checkpoint(resume_from, model, optimizer, scheduler, loaders)
        state.epoch, state.history = payload["epoch"], payload["history"]
        state.step = sum(int(row.get("steps", 0)) for row in state.history)
    show = progress and not os.environ.get("CI")
    bar = tqdm(range(state.epoch, epochs), desc="epochs", disable=not show, leave=False)
    for epoch in bar:
        state.epoch = epoch + 1
        model.train()
        started = time.perf_counter()
        sums: dict[str, float] = {}
        count = steps = 0
        for cb in callbacks:
            cb.on_epoch_start(state)
        for batch in train_loader:
            batch = to_device(batch, dev)
            loss, terms = loss_fn(model, batch)
            _check_finite(loss, terms, state.epoch, steps + 1)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if clip_grad_norm is not None:
                nn.utils.clip_grad_norm_(model.parameters(), clip_grad_norm)
            optimizer.step()
            n = _batch_size(batch)
            state.last_terms = {"loss": _as_float(loss),
                                **{k: _as_float(v) for k, v in terms.items()}}
            for name, value in state.last_terms.items():
                sums[name] = sums.get(name, 0.0) + value * n
            count += n
            steps += 1
            state.step += 1
            for cb in callbacks:
                cb.on_step_end(state)
        row = {"epoch": state.epoch, "steps": steps, "lr": optimizer.param_groups[0]["lr"]}
        row.update({f"train/{k}": v / max(count, 1) for k, v in sums.items()})
        if val_loader is not None:
            row.update({f"val/{k}": v for k, v in evaluate(model, loss_fn, val_loader, dev).items()})
        if scheduler is not None:
            scheduler.step()
        row["seconds"] = time.perf_counter() - started
        state.history.append(row)
        bar.set_postfix(loss=f"{row.get('train/loss', float('nan')):.4g}")
        for cb in callbacks:
            cb.on_epoch_end(state)
        if checkpoint_path is not None:
            save_checkpoint(checkpoint_path, model, optimizer, state.epoch, scheduler,
                            state.history, loaders)
        if state.stop:
            break
    bar.close()
    return state.history
