"""One training loop for every model in infoplane.

A loss is any callable ``loss_fn(model, batch) -> (loss, terms)``: ``batch`` is what
the data loader yields, already moved to the device, ``loss`` a scalar tensor and
``terms`` a dict of named scalar tensors (nats) to log; keep them tensors (detached is
fine): on an accelerator the loop keeps them on the device and reads them once per
epoch (on the CPU, where reading a tensor costs no synchronisation, as they come).

With a dict of optimizers (an adversarial objective: an autoencoder and its critics),
the loss returns a dict of scalar losses keyed like the optimizers, and each loss is
back-propagated into the parameters of its own optimizer only; the history then logs
each as the term ``loss/<key>`` (``train/loss/<key>``, ``val/loss/<key>``).

The loop averages every term over each epoch (sample-weighted) and stops with
:class:`DivergenceError` naming the term, the epoch and the step when a loss, a term, a
gradient norm, a parameter or a validation term turns NaN or infinite. The check costs
no host synchronisation per step: it runs on the epoch's logged values when the epoch
ends (and at once when a step raises), so the exception comes at the end of the
diverging epoch at the latest, always before its history row, its callbacks'
``on_epoch_end`` and its checkpoint. Callbacks (such as the information-plane recorder)
are called at the start of each epoch, after each step and after each epoch.

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
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import torch
from torch import nn
from tqdm.auto import tqdm

from infoplane._runtime import device as default_device
from infoplane._validation import check_float, check_int

__all__ = ["Callback", "DivergenceError", "FitState", "LossFn", "Schedule", "evaluate_loss", "fit",
           "load_checkpoint", "save_checkpoint", "to_device"]

LossFn = Callable[[nn.Module, Any], tuple[Any, Mapping[str, Any]]]
"""``loss_fn(model, batch) -> (loss, terms)``; ``loss`` a scalar tensor, or a dict of them."""

Optimizers = torch.optim.Optimizer | Mapping[str, torch.optim.Optimizer]
Schedulers = Any  # an LR scheduler (anything with step() and state_dict()), or a dict of them

_HOOKS = ("on_epoch_start", "on_step_end", "on_epoch_end")
_CHUNK = 512  # logged rows kept apart on the device before they are folded into one tensor
_HINT = "lower the learning rate, clip gradients or check the inputs"
# a ValueError raised inside a loss for non-finite numbers: "nll: contains NaN ..."
_NONFINITE_ERROR = re.compile(r"^(\w[\w.]*): .*\b(nan|infinite|inf|non-finite|not finite)\b", re.I)


class DivergenceError(FloatingPointError):
    """Training produced a NaN or infinite value.

    The message names the term and the epoch; the attributes ``term`` (a name such as
    ``"loss"``, ``"kl"``, ``"grad_norm"``, a parameter's name or ``"val/loss"``),
    ``epoch`` (1-based) and ``step`` (1-based within the epoch, or None) say the same.
    """

    def __init__(self, message: str, *, term: str | None = None, epoch: int | None = None,
                 step: int | None = None) -> None:
        super().__init__(message)
        self.term, self.epoch, self.step = term, epoch, step

    def __reduce__(self) -> tuple:
        return _rebuild_divergence, (self.args[0] if self.args else "", self.term, self.epoch, self.step)


def _rebuild_divergence(message: str, term: str | None, epoch: int | None,
                        step: int | None) -> DivergenceError:
    return DivergenceError(message, term=term, epoch=epoch, step=step)


@dataclass
class FitState:
    """What callbacks see: the model, the optimizer(s), where training stands, the logs.

    ``optimizer`` (and ``scheduler``) is what was handed to :func:`fit`: one optimizer
    or a dict of them. ``last_terms`` holds the last step's loss(es) and terms as floats;
    it is read from the device only when a callback asks for it.
    """

    model: nn.Module
    optimizer: Optimizers
    epoch: int = 0
    step: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))
    history: list[dict[str, float]] = field(default_factory=list)
    stop: bool = False
    epochs: int = 0
    steps_per_epoch: int | None = None
    scheduler: Schedulers = None
    _last: Mapping[str, Any] | None = field(default=None, init=False, repr=False)

    @property
    def last_terms(self) -> dict[str, float]:
        """The last step's ``loss`` (or ``loss/<key>``) and terms, as floats (a device sync)."""
        return {} if self._last is None else {k: _as_float(v) for k, v in self._last.items()}

    @last_terms.setter
    def last_terms(self, values: Mapping[str, Any]) -> None:
        self._last = dict(values)

    @property
    def optimizers(self) -> dict[str, torch.optim.Optimizer]:
        """The optimizers as a dict (one optimizer is keyed ``"loss"``)."""
        return dict(self.optimizer) if isinstance(self.optimizer, Mapping) else {"loss": self.optimizer}

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

    Set ``state.stop = True`` in a hook to end training after the current epoch. A
    callback with ``state_dict()`` and ``load_state_dict(state)`` methods has its state
    saved in :func:`fit`'s checkpoints and restored on resume.
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
        if not isinstance(attribute, str):
            raise TypeError(f"attribute: expected an attribute name, got {type(attribute).__name__}")
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


def to_device(batch: Any, device: torch.device) -> Any:
    """Move a tensor, or the tensors inside tuples, lists and dicts, to ``device``.

    Examples
    --------
    >>> import torch
    >>> from infoplane.train import to_device
    >>> to_device((torch.zeros(1), {"y": torch.ones(1)}, "tag"), torch.device("cpu"))[2]
    'tag'
    """
    if isinstance(batch, torch.Tensor):
        return batch if batch.device == device else batch.to(device, non_blocking=True)
    if isinstance(batch, (tuple, list)):
        moved = [to_device(b, device) for b in batch]
        return type(batch)(*moved) if hasattr(batch, "_fields") else type(batch)(moved)
    if isinstance(batch, dict):
        return {k: to_device(v, device) for k, v in batch.items()}
    return batch


def _batch_size(batch: Any) -> int:
    if isinstance(batch, torch.Tensor):
        return batch.shape[0] if batch.ndim else 1
    if isinstance(batch, (tuple, list)) and batch:
        return _batch_size(batch[0])
    if isinstance(batch, dict) and batch:
        return _batch_size(next(iter(batch.values())))
    return 1


def _as_float(value: Any) -> float:
    return float(value.detach()) if isinstance(value, torch.Tensor) else float(value)


def _scalar(name: str, value: Any, device: torch.device) -> torch.Tensor:
    """One logged value as a 0-d tensor on ``device`` (the slow path of :class:`_Log`)."""
    if isinstance(value, torch.Tensor):
        if value.numel() != 1:
            raise ValueError(f"loss_fn: term {name!r} is not a scalar (shape {tuple(value.shape)})")
        return value.detach().reshape(()).to(device)
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"loss_fn: term {name!r} is a {type(value).__name__}, not a number or tensor")
    return torch.tensor(float(value), dtype=torch.float64, device=device)


class _Log:
    """The logged values of one epoch, read from the device once.

    On an accelerator each step stacks its values into one vector on the device (one
    tensor op, no synchronisation) and :meth:`read` moves them all to the host in one
    transfer at the end of the epoch. On the CPU, where reading a tensor costs no
    synchronisation, each value is read as it comes (cheaper than stacking). Either way
    the sums are taken in double precision in step order, as summing
    ``float(value) * n`` step by step does, bit for bit.
    """

    def __init__(self, device: torch.device) -> None:
        self.device = device
        self.host = device.type == "cpu"
        self.rows: dict[tuple[str, ...], list[Any]] = {}
        self.steps: list[tuple[tuple[str, ...], int]] = []
        self.slow: set[tuple[str, ...]] = set()

    def add(self, values: Mapping[str, Any], n: int) -> None:
        names = tuple(values)
        rows = self.rows.get(names)
        if rows is None:
            rows = self.rows[names] = []
        if self.host:
            if names not in self.slow:
                try:
                    rows.append([v.item() for v in values.values()])
                except (AttributeError, RuntimeError):  # Python numbers, or a tensor not a scalar
                    self.slow.add(names)
            if names in self.slow:
                rows.append([_scalar(k, v, self.device).item() for k, v in values.items()])
        else:
            if names not in self.slow:
                try:
                    row = torch.stack([v.detach() for v in values.values()])
                except (AttributeError, TypeError, RuntimeError):  # floats, mixed shapes, devices
                    self.slow.add(names)
                else:
                    if row.dim() == 1:
                        rows.append(row)
                    else:  # all of shape (1,) or so: reshape them one by one
                        self.slow.add(names)
            if names in self.slow:
                rows.append(torch.stack([_scalar(k, v, self.device) for k, v in values.items()]))
            if len(rows) > _CHUNK:  # fold rows into one tensor: few small blocks on the device
                rows[:] = [torch.cat([r.reshape(-1, len(names)).to(self.device) for r in rows])]
        self.steps.append((names, n))

    def read(self) -> tuple[dict[str, float], int, list[list[float]], list[tuple[str, ...]]]:
        """Sums of ``value * n`` per name, the sample count, each step's values and names."""
        if self.host:
            host = self.rows
        else:
            host = {names: torch.cat([r.reshape(-1, len(names)).to(self.device) for r in rows]).cpu().tolist()
                    for names, rows in self.rows.items()}
        at = dict.fromkeys(host, 0)
        sums: dict[str, float] = {}
        count = 0
        values, names_of = [], []
        for names, n in self.steps:
            row = host[names][at[names]]
            at[names] += 1
            for name, value in zip(names, row, strict=True):
                sums[name] = sums.get(name, 0.0) + value * n
            count += n
            values.append(row)
            names_of.append(names)
        return sums, count, values, names_of


def _first_nonfinite(values: list[list[float]], names_of: list[tuple[str, ...]]
                     ) -> tuple[int, dict[str, float]] | None:
    for step, (row, names) in enumerate(zip(values, names_of, strict=True), start=1):
        bad = {name: v for name, v in zip(names, row, strict=True) if not math.isfinite(v)}
        if bad:
            return step, bad
    return None


def _diverged(epoch: int, step: int | None, bad: Mapping[str, float], extra: str = "") -> DivergenceError:
    where = f"at epoch {epoch}" + (f", step {step}" if step is not None else "")
    which = ", ".join(f"{name!r} became {value}" for name, value in bad.items())
    first = next(iter(bad))
    return DivergenceError(f"training diverged {where}: {which}{extra}; {_HINT}",
                           term=first, epoch=epoch, step=step)


def _check_epoch(sums: Mapping[str, float], values: list[list[float]],
                 names_of: list[tuple[str, ...]], epoch: int) -> None:
    if all(math.isfinite(v) for v in sums.values()):
        return
    found = _first_nonfinite(values, names_of)
    if found is None:  # only the sum overflowed
        bad = {k: v for k, v in sums.items() if not math.isfinite(v)}
        raise _diverged(epoch, None, bad, extra=" (the epoch's sum)")
    step, bad = found
    raise _diverged(epoch, step, bad)


def _stepped_parameters(model: nn.Module, optimizers: Sequence[torch.optim.Optimizer]
                        ) -> list[tuple[str, torch.Tensor]]:
    """The model's named parameters that an optimizer steps."""
    stepped = {id(p) for opt in optimizers for group in opt.param_groups for p in group["params"]}
    return [(name, p) for name, p in model.named_parameters() if id(p) in stepped]


def _check_parameters(named: Sequence[tuple[str, torch.Tensor]], epoch: int) -> None:
    """DivergenceError naming the first of the parameters that is not finite.

    One sum per parameter and one transfer: a NaN or inf anywhere makes the sum
    non-finite; a sum that overflowed with finite entries is looked at again.
    """
    if not named:
        return
    sums = torch.stack([p.detach().sum().to(named[0][1].device) for _, p in named]).tolist()
    bad = [name for (name, p), total in zip(named, sums, strict=True)
           if not math.isfinite(total) and not bool(torch.isfinite(p.detach()).all())]
    if bad:
        raise DivergenceError(
            f"training diverged at epoch {epoch}: parameter {bad[0]!r} became non-finite after an "
            f"optimizer step ({len(bad)} of {len(named)} parameters); {_HINT}",
            term=bad[0], epoch=epoch)


def _evaluate(model: nn.Module, loss_fn: LossFn, loader: Iterable, device: torch.device,
              name: str) -> dict[str, float]:
    was_training = model.training
    model.eval()
    log = _Log(device)
    try:
        with torch.no_grad():
            for batch in loader:
                batch = to_device(batch, device)
                loss, terms = loss_fn(model, batch)
                log.add(_values(loss, terms, None), _batch_size(batch))
    finally:
        model.train(was_training)
    if not log.steps:
        raise ValueError(f"{name}: yielded no batch, so there is no loss to average")
    sums, count, _, _ = log.read()
    return {key: total / max(count, 1) for key, total in sums.items()}


def _values(loss: Any, terms: Mapping[str, Any], keys: Sequence[str] | None,
            one: bool = False) -> dict[str, Any]:
    """The logged values of a step: ``loss`` (or ``loss/<key>`` each) and the terms."""
    if not isinstance(terms, Mapping):
        raise TypeError(f"loss_fn: expected (loss, terms) with terms a dict, got {type(terms).__name__}")
    if isinstance(loss, Mapping):
        if keys is None and one:
            raise ValueError(f"loss_fn: returned a dict of losses keyed {sorted(map(str, loss))}; pass a "
                             "dict of optimizers with the same keys")
        if keys is not None and (len(loss) != len(keys) or any(k not in loss for k in keys)):
            raise ValueError(f"loss_fn: returned losses keyed {sorted(map(str, loss))}, the optimizers "
                             f"are keyed {sorted(keys)}")
        values = {f"loss/{k}": loss[k] for k in (keys if keys is not None else loss)}
        values.update(terms)
        return values
    if keys is not None:
        raise ValueError(f"loss_fn: with a dict of optimizers it must return a dict of losses keyed "
                         f"{sorted(keys)}, got a {type(loss).__name__}")
    if not isinstance(loss, torch.Tensor):
        raise TypeError(f"loss_fn: expected the loss as a scalar tensor, got {type(loss).__name__}")
    return {"loss": loss, **terms}


def evaluate_loss(model: nn.Module, loss_fn: LossFn, loader: Iterable,
                  device: str | torch.device | None = None) -> dict[str, float]:
    """Average the loss and its terms over ``loader`` in eval mode without gradients.

    Parameters
    ----------
    model : nn.Module
    loss_fn : callable
        ``loss_fn(model, batch) -> (loss, terms)`` as for :func:`fit`; a dict of losses
        is logged as ``loss/<key>``.
    loader : iterable of batches
    device : str or torch.device, optional
        Where batches go; defaults to the device of the model's first parameter (or
        buffer), else :func:`infoplane.device`.

    Returns
    -------
    dict
        ``{"loss": ..., term: ...}``: sample-weighted means over the loader, in the
        loss's units (nats for infoplane's losses). The values are read from the
        device once, at the end.

    Raises
    ------
    ValueError
        When ``loader`` yields no batch.

    Examples
    --------
    >>> import torch
    >>> from infoplane.train import evaluate_loss
    >>> model = torch.nn.Linear(2, 1)
    >>> loss = lambda m, b: (m(b[0]).pow(2).mean(), {})
    >>> sorted(evaluate_loss(model, loss, [(torch.zeros(4, 2),)]))
    ['loss']
    """
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected an nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a callable, got {type(loss_fn).__name__}")
    if isinstance(loader, (str, bytes)) or not isinstance(loader, Iterable):
        raise TypeError(f"loader: expected an iterable of batches, got {type(loader).__name__}")
    if device is not None:
        dev = default_device(device)
    else:
        first = next(iter(model.parameters()), None)
        if first is None:
            first = next(iter(model.buffers()), None)
        dev = first.device if first is not None else default_device()
    return _evaluate(model, loss_fn, loader, dev, "loader")


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


def _owned_generators(owners: Mapping[str, Any]) -> dict[str, torch.Generator]:
    """Every ``torch.Generator`` the owners hold as attributes, of their modules too.

    A module owner is searched through all its submodules; any other object (a loss
    object) through its attributes, and through every submodule of the attributes that
    are modules. Keys are ``"<owner>:<path>.<attribute>"``, so the same objects are found
    again in a fresh run built the same way.
    """
    found: dict[str, torch.Generator] = {}
    seen: set[int] = set()

    def scan(prefix: str, obj: Any, modules: bool) -> None:
        parts = obj.named_modules() if isinstance(obj, nn.Module) else [("", obj)]
        for path, part in parts:
            here = f"{prefix}{path}." if path else prefix
            for attr, value in sorted(getattr(part, "__dict__", {}).items()):
                if isinstance(value, torch.Generator) and id(value) not in seen:
                    seen.add(id(value))
                    found[f"{here}{attr}"] = value
                elif modules and isinstance(value, nn.Module):
                    scan(f"{here}{attr}.", value, False)

    for name, owner in owners.items():
        if owner is not None:
            scan(f"{name}:", owner, not isinstance(owner, nn.Module))
    return found


def _optimizer_state(optimizer: Optimizers) -> Any:
    if isinstance(optimizer, Mapping):
        return {k: opt.state_dict() for k, opt in optimizer.items()}
    return optimizer.state_dict()


def _scheduler_state(scheduler: Schedulers) -> Any:
    if scheduler is None:
        return None
    if isinstance(scheduler, Mapping):
        return {k: s.state_dict() for k, s in scheduler.items()}
    return scheduler.state_dict()


def _load_keyed(saved: Any, target: Any, name: str, keyed: bool) -> None:
    if isinstance(target, Mapping):
        if not keyed or set(saved) != set(target):
            have = sorted(saved) if keyed else "one"
            raise ValueError(f"{name}: the checkpoint holds {have}, not {sorted(target)}")
        for k, item in target.items():
            item.load_state_dict(saved[k])
    else:
        if keyed:
            raise ValueError(f"{name}: the checkpoint holds a dict keyed {sorted(saved)}, not one")
        target.load_state_dict(saved)


def save_checkpoint(path: str | os.PathLike, model: nn.Module, optimizer: Optimizers, epoch: int,
                    scheduler: Schedulers = None, history: Sequence[Mapping] | None = None,
                    loaders: Sequence = (), *, loss_fn: Any = None,
                    callbacks: Sequence[Any] = ()) -> None:
    """Save model, optimizer(s), scheduler(s), epoch, history and all random states.

    The random states are the global ones (Python, NumPy, torch CPU and CUDA), the
    generators of ``loaders`` (their samplers), and every ``torch.Generator`` the model's
    modules or ``loss_fn`` (and its modules) hold as attributes. Also saved: the state of
    every callback that has ``state_dict()``, and ``loss_fn.state_dict()`` when the loss
    is a module (parameters to train, such as critics, belong in the model all the same:
    :func:`fit` moves the model to the device, not the loss). With the same objects
    passed to :func:`load_checkpoint` (or to :func:`fit` via ``resume_from``), training
    resumes bit-identically. The file is written to a temporary name and moved into
    place, so a crash never leaves half a file.

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
        "optimizer": _optimizer_state(optimizer),
        "optimizer_keys": sorted(optimizer) if isinstance(optimizer, Mapping) else None,
        "scheduler": _scheduler_state(scheduler),
        "scheduler_keys": sorted(scheduler) if isinstance(scheduler, Mapping) else None,
        "history": list(history or []),
        "rng": _rng_state(),
        "loader_rng": [g.get_state() if g is not None else None
                       for g in _loader_generators(loaders)],
        "generators": {k: g.get_state() for k, g in
                       _owned_generators({"model": model, "loss_fn": loss_fn}).items()},
        "callbacks": [cb.state_dict() if callable(getattr(cb, "state_dict", None)) else None
                      for cb in callbacks],
        "loss_fn": loss_fn.state_dict() if isinstance(loss_fn, nn.Module) else None,
    }
    tmp = f"{os.fspath(path)}.tmp"
    torch.save(payload, tmp)
    os.replace(tmp, path)


def load_checkpoint(path: str | os.PathLike, model: nn.Module, optimizer: Optimizers | None = None,
                    scheduler: Schedulers = None, loaders: Sequence = (), *, loss_fn: Any = None,
                    callbacks: Sequence[Any] = ()) -> dict:
    """Restore what :func:`save_checkpoint` wrote; returns the payload (``epoch``, ``history``).

    ``optimizer`` and ``scheduler`` must be keyed as they were saved (one, or a dict
    with the same keys); a mismatch is a ValueError naming the argument. Pass the same
    ``loaders``, ``loss_fn`` and ``callbacks`` as to :func:`save_checkpoint` to restore
    their random states and states too.

    Examples
    --------
    >>> import torch, tempfile, os
    >>> from infoplane.train import save_checkpoint, load_checkpoint
    >>> m = torch.nn.Linear(2, 2)
    >>> opts = {"a": torch.optim.SGD([m.weight], lr=0.1), "b": torch.optim.SGD([m.bias], lr=0.2)}
    >>> p = os.path.join(tempfile.mkdtemp(), "ckpt.pt")
    >>> save_checkpoint(p, m, opts, epoch=1)
    >>> fresh = {"a": torch.optim.SGD([m.weight], lr=1.0), "b": torch.optim.SGD([m.bias], lr=1.0)}
    >>> _ = load_checkpoint(p, m, fresh)
    >>> [fresh[k].param_groups[0]["lr"] for k in "ab"]
    [0.1, 0.2]
    """
    payload = torch.load(path, map_location="cpu", weights_only=False)
    model.load_state_dict(payload["model"])
    if optimizer is not None:
        _load_keyed(payload["optimizer"], optimizer, "optimizer", payload.get("optimizer_keys") is not None)
    if scheduler is not None and payload["scheduler"] is not None:
        _load_keyed(payload["scheduler"], scheduler, "scheduler", payload.get("scheduler_keys") is not None)
    _set_rng_state(payload["rng"])
    for gen, state in zip(_loader_generators(loaders), payload.get("loader_rng", []), strict=False):
        if gen is not None and state is not None:
            gen.set_state(state)
    saved = payload.get("generators", {})
    for key, gen in _owned_generators({"model": model, "loss_fn": loss_fn}).items():
        if key in saved:
            gen.set_state(saved[key])
    for cb, state in zip(callbacks, payload.get("callbacks", []), strict=False):
        if state is not None and callable(getattr(cb, "load_state_dict", None)):
            cb.load_state_dict(state)
    if isinstance(loss_fn, nn.Module) and payload.get("loss_fn") is not None:
        loss_fn.load_state_dict(payload["loss_fn"])
    return payload


def _check_optimizers(optimizer: Any) -> dict[str, list[torch.Tensor]] | None:
    """Parameters of each optimizer of a dict (None for one optimizer); checks types and overlap."""
    if not isinstance(optimizer, Mapping):
        if not isinstance(optimizer, torch.optim.Optimizer):
            raise TypeError(f"optimizer: expected a torch.optim.Optimizer or a dict of them, got "
                            f"{type(optimizer).__name__}")
        return None
    if not optimizer:
        raise ValueError("optimizer: the dict of optimizers is empty")
    params: dict[str, list[torch.Tensor]] = {}
    owner: dict[int, str] = {}
    for key, opt in optimizer.items():
        if not isinstance(key, str):
            raise TypeError(f"optimizer: keys must be strings, got {key!r}")
        if not isinstance(opt, torch.optim.Optimizer):
            raise TypeError(f"optimizer: {key!r} is a {type(opt).__name__}, not a torch.optim.Optimizer")
        params[key] = [p for group in opt.param_groups for p in group["params"] if p.requires_grad]
        for p in params[key]:
            if owner.setdefault(id(p), key) != key:
                raise ValueError(f"optimizer: a parameter belongs to both {owner[id(p)]!r} and {key!r}")
    return params


def _check_schedulers(scheduler: Any, optimizer: Optimizers) -> None:
    if scheduler is None:
        return
    items = scheduler.items() if isinstance(scheduler, Mapping) else [(None, scheduler)]
    for key, sched in items:
        if not (callable(getattr(sched, "step", None)) and callable(getattr(sched, "state_dict", None))):
            what = f"{key!r} is a" if key is not None else "expected an LR scheduler, got a"
            raise TypeError(f"scheduler: {what} {type(sched).__name__} without step() and state_dict()")
        if key is not None and (not isinstance(optimizer, Mapping) or key not in optimizer):
            raise ValueError(f"scheduler: key {key!r} names no optimizer")


def _hooks(callbacks: Sequence[Any]) -> dict[str, list[Callable[[FitState], None]]]:
    if isinstance(callbacks, (Callback, str)) or not isinstance(callbacks, Iterable):
        raise TypeError(f"callbacks: expected a sequence of callbacks, got {type(callbacks).__name__}")
    hooks: dict[str, list[Callable[[FitState], None]]] = {name: [] for name in _HOOKS}
    for cb in callbacks:
        found = [name for name in _HOOKS if callable(getattr(cb, name, None))]
        if not found:
            raise TypeError(f"callbacks: a {type(cb).__name__} has none of the hooks {', '.join(_HOOKS)}")
        for name in found:
            hooks[name].append(getattr(cb, name))
    return hooks


def _finite_batch(batch: Any) -> bool:
    if isinstance(batch, torch.Tensor):
        return not batch.is_floating_point() or bool(torch.isfinite(batch).all())
    if isinstance(batch, (tuple, list)):
        return all(_finite_batch(b) for b in batch)
    if isinstance(batch, dict):
        return all(_finite_batch(b) for b in batch.values())
    return True


def _loss_error(err: BaseException, batch: Any, epoch: int, step: int | None) -> DivergenceError | None:
    """A ValueError about non-finite numbers raised during a step, as a DivergenceError.

    Not when the batch itself holds NaN or inf: that is bad input, and stays a ValueError.
    """
    if not isinstance(err, ValueError):
        return None
    match = _NONFINITE_ERROR.match(str(err))
    if match is None or not _finite_batch(batch):
        return None
    where = f"step {step}" if step is not None else "on val_loader"
    return DivergenceError(f"training diverged at epoch {epoch}, {where}: term {match.group(1)!r} "
                           f"turned non-finite ({type(err).__name__}: {err}); {_HINT}",
                           term=match.group(1), epoch=epoch, step=step)


class _Stepper:
    """One optimisation step: one optimizer, or a dict of them each stepping its own loss."""

    def __init__(self, model: nn.Module, optimizer: Optimizers, clip_grad_norm: float | None) -> None:
        self.model, self.clip = model, clip_grad_norm
        self.params = _check_optimizers(optimizer)
        self.keys = list(self.params) if self.params is not None else None
        self.optimizer = optimizer
        self.optimizers = list(optimizer.values()) if isinstance(optimizer, Mapping) else [optimizer]
        self.norms: list[torch.Tensor] = []  # clipped gradient norms of the epoch, on the device
        self.named = _stepped_parameters(model, self.optimizers)  # checked at the end of each epoch

    def __call__(self, loss: Any, terms: Mapping[str, Any]) -> dict[str, Any]:
        """Back-propagate and step; returns the values to log."""
        if self.params is None:  # exactly the loop of one optimizer
            values = _values(loss, terms, None, one=True)
            self.optimizer.zero_grad(set_to_none=True)
            loss.backward()
            if self.clip is not None:
                self.norms.append(nn.utils.clip_grad_norm_(self.model.parameters(), self.clip))
            self.optimizer.step()
            return values
        values = _values(loss, terms, self.keys)
        for opt in self.optimizers:
            opt.zero_grad(set_to_none=True)
        todo = [k for k in self.keys if self.params[k] and getattr(loss[k], "requires_grad", False)]
        for i, key in enumerate(todo):  # every backward before any step: no graph is invalidated
            torch.autograd.backward(loss[key], inputs=self.params[key], retain_graph=i < len(todo) - 1)
        if self.clip is not None:
            self.norms.extend(nn.utils.clip_grad_norm_(self.params[k], self.clip) for k in todo)
        for opt in self.optimizers:
            opt.step()
        return values

    def lr(self) -> dict[str, float]:
        """The first parameter group's learning rate: ``lr``, or ``lr/<key>`` for a dict."""
        if self.params is None:
            return {"lr": self.optimizer.param_groups[0]["lr"]}
        return {f"lr/{k}": opt.param_groups[0]["lr"] for k, opt in self.optimizer.items()}

    def check_norms(self, epoch: int, steps: int) -> None:
        """DivergenceError for the first non-finite clipped gradient norm of the epoch."""
        if not self.norms:
            return
        device = self.norms[0].device
        norms = torch.stack([n.detach().to(device) for n in self.norms]).cpu().tolist()
        self.norms = []
        per_step = max(len(norms) // max(steps, 1), 1)
        for i, value in enumerate(norms):
            if not math.isfinite(value):
                raise _diverged(epoch, i // per_step + 1, {"grad_norm": value})


def _train_epoch(state: FitState, loss_fn: LossFn, loader: Iterable, step: _Stepper,
                 on_step_end: Sequence[Callable[[FitState], None]]) -> tuple[dict[str, float], int, int]:
    """Run one epoch; returns the sums of ``value * n`` per logged name, the samples and the steps.

    Raises DivergenceError (from the epoch's logged values, gradient norms and
    parameters) or ValueError (no batch) before returning.
    """
    dev, epoch = state.device, state.epoch
    log = _Log(dev)
    steps = 0
    batch = None
    try:
        for batch in loader:
            batch = to_device(batch, dev)
            loss, terms = loss_fn(state.model, batch)
            values = step(loss, terms)
            log.add(values, _batch_size(batch))
            state._last = values
            steps += 1
            state.step += 1
            for hook in on_step_end:
                hook(state)
    except DivergenceError:
        raise
    except Exception as err:
        if log.steps:  # a NaN earlier in the epoch explains the error
            _, _, values, names_of = log.read()
            found = _first_nonfinite(values, names_of)
            if found is not None:
                raise _diverged(epoch, found[0], found[1],
                                extra=f" (then step {steps + 1} raised {type(err).__name__}: {err})") from err
        converted = _loss_error(err, batch, epoch, steps + 1)
        if converted is not None:
            raise converted from err
        raise
    if steps == 0:
        raise ValueError(f"train_loader: yielded no batch in epoch {epoch}, so no optimizer step was "
                         "taken (an empty dataset, or batch_size above its size with drop_last=True)")
    sums, count, values, names_of = log.read()
    _check_epoch(sums, values, names_of, epoch)
    step.check_norms(epoch, steps)
    _check_parameters(step.named, epoch)
    return sums, count, steps


def fit(model: nn.Module, loss_fn: LossFn, train_loader: Iterable, optimizer: Optimizers, epochs: int,
        *, val_loader: Iterable | None = None, device: str | torch.device | None = None,
        scheduler: Schedulers = None, clip_grad_norm: float | None = None,
        callbacks: Sequence[Callback] = (), checkpoint_path: str | os.PathLike | None = None,
        resume_from: str | os.PathLike | None = None, progress: bool = True) -> list[dict[str, float]]:
    """Train ``model`` for ``epochs`` epochs and return the per-epoch history.

    Parameters
    ----------
    model : nn.Module
        Moved to ``device`` before training.
    loss_fn : callable
        ``loss_fn(model, batch) -> (loss, terms)``; see the module docstring. With a
        dict of optimizers, ``loss`` is a dict of scalar losses with the same keys.
    train_loader, val_loader : iterables of batches
        Usually ``torch.utils.data.DataLoader``; ``val_loader`` is evaluated with
        :func:`evaluate_loss` after every epoch.
    optimizer : torch.optim.Optimizer or dict of str to Optimizer
        One optimizer steps ``loss`` (``loss.backward()`` into every parameter). A dict
        steps each loss of the dict into its own optimizer's parameters only
        (``torch.autograd.backward(loss[k], inputs=params_k)`` for every key, in the
        dict's order, before any optimizer steps; a loss that needs no gradient is
        skipped). The optimizers must not share a parameter.
    epochs : int
        The epoch to stop after, counting epochs already done when resuming.
    device : str or torch.device, optional
        Defaults to :func:`infoplane.device`.
    scheduler : LR scheduler or dict of them, optional
        Stepped once per epoch; a dict is keyed like the optimizers (a subset is fine).
    clip_grad_norm : float, optional
        Clip the gradient norm to this value before each step: the global norm of all
        the model's parameters for one optimizer, of each optimizer's parameters for a
        dict.
    callbacks : sequence of Callback
        Hooks called at the start of each epoch, after each step and after each epoch.
        Callbacks with ``state_dict()``/``load_state_dict()`` are checkpointed.
    checkpoint_path : path, optional
        Save a checkpoint there after every epoch.
    resume_from : path, optional
        Continue from a checkpoint: restores model, optimizer(s), scheduler(s), history,
        callback states and every random state (global, loaders', and generators held
        by the model's modules or the loss object), then trains the remaining epochs.
    progress : bool
        Show a tqdm bar over epochs (never when the ``CI`` environment variable is set).

    Returns
    -------
    list of dict
        One row per epoch: ``epoch``, ``steps``, ``lr`` (``lr/<key>`` for a dict of
        optimizers), ``seconds``, ``train/<term>`` and ``val/<term>`` sample-weighted
        averages (``loss``, or ``loss/<key>`` for each loss of a dict, included).

    Raises
    ------
    DivergenceError
        When a loss, a term, a clipped gradient norm, a parameter or a validation term
        becomes NaN or infinite, or the loss raises a ValueError about non-finite values
        (such as ``"nll: contains NaN"``). The message names the term, the epoch and,
        where known, the step. It is raised when the diverging epoch ends (or at once,
        when a later step of that epoch raises), before the epoch's history row,
        ``on_epoch_end`` callbacks and checkpoint.
    ValueError
        For bad arguments, and when ``train_loader`` yields no batch in an epoch (an
        empty dataset, or ``batch_size`` above its size with ``drop_last=True``).

    Examples
    --------
    Two optimizers: a generator ``g`` learns to fool a critic ``d``.

    >>> import torch
    >>> from torch.utils.data import DataLoader, TensorDataset
    >>> from infoplane.train import fit
    >>> model = torch.nn.ModuleDict({"g": torch.nn.Linear(1, 1), "d": torch.nn.Linear(1, 1)})
    >>> def gan(model, batch):
    ...     fake = model["g"](torch.zeros(len(batch[0]), 1))
    ...     bce = torch.nn.functional.binary_cross_entropy_with_logits
    ...     d_real, d_fake = model["d"](batch[0]), model["d"](fake)
    ...     critic = bce(d_real, torch.ones_like(d_real)) + bce(d_fake, torch.zeros_like(d_fake))
    ...     return {"g": bce(d_fake, torch.ones_like(d_fake)), "d": critic}, {}
    >>> opts = {"g": torch.optim.SGD(model["g"].parameters(), lr=0.1),
    ...         "d": torch.optim.SGD(model["d"].parameters(), lr=0.1)}
    >>> history = fit(model, gan, DataLoader(TensorDataset(torch.randn(32, 1)), batch_size=8),
    ...               opts, epochs=2, progress=False)
    >>> sorted(k for k in history[-1] if k.startswith("train/"))
    ['train/loss/d', 'train/loss/g']
    """
    epochs = check_int(epochs, "epochs", minimum=0)
    if clip_grad_norm is not None:
        clip_grad_norm = check_float(clip_grad_norm, "clip_grad_norm", low=0, low_open=True)
    if not isinstance(model, nn.Module):
        raise TypeError(f"model: expected a torch.nn.Module, got {type(model).__name__}")
    if not callable(loss_fn):
        raise TypeError(f"loss_fn: expected a callable loss_fn(model, batch), got {type(loss_fn).__name__}")
    step = _Stepper(model, optimizer, clip_grad_norm)
    _check_schedulers(scheduler, optimizer)
    hooks = _hooks(callbacks)
    schedulers = (list(scheduler.values()) if isinstance(scheduler, Mapping)
                  else [scheduler] if scheduler is not None else [])
    steps_per_epoch = len(train_loader) if hasattr(train_loader, "__len__") else None
    if steps_per_epoch == 0 and epochs > 0:
        raise ValueError("train_loader: has no batch (an empty dataset, or batch_size above its size "
                         "with drop_last=True), so no optimizer step could be taken")
    dev = default_device(device)
    model.to(dev)
    loaders = [train_loader] + ([val_loader] if val_loader is not None else [])
    state = FitState(model=model, optimizer=optimizer, device=dev, epochs=epochs,
                     steps_per_epoch=steps_per_epoch, scheduler=scheduler)
    extras = {"loss_fn": loss_fn, "callbacks": callbacks}
    if resume_from is not None:
        payload = load_checkpoint(resume_from, model, optimizer, scheduler, loaders, **extras)
        state.epoch, state.history = payload["epoch"], payload["history"]
        state.step = sum(int(row.get("steps", 0)) for row in state.history)
    show = progress and not os.environ.get("CI")
    bar = tqdm(range(state.epoch, epochs), desc="epochs", leave=False) if show else None
    try:
        for epoch in bar if bar is not None else range(state.epoch, epochs):
            state.epoch = epoch + 1
            model.train()
            started = time.perf_counter()
            for hook in hooks["on_epoch_start"]:
                hook(state)
            sums, count, steps = _train_epoch(state, loss_fn, train_loader, step, hooks["on_step_end"])
            row: dict[str, float] = {"epoch": state.epoch, "steps": steps, **step.lr()}
            row.update({f"train/{k}": v / max(count, 1) for k, v in sums.items()})
            if val_loader is not None:
                try:
                    val = _evaluate(model, loss_fn, val_loader, dev, "val_loader")
                except ValueError as err:   # "nll: contains NaN" from a diverged model's validation
                    diverged = _loss_error(err, None, state.epoch, None)
                    if diverged is None:
                        raise
                    raise diverged from err
                bad = {f"val/{k}": v for k, v in val.items() if not math.isfinite(v)}
                if bad:
                    raise _diverged(state.epoch, None, bad, extra=" (on val_loader)")
                row.update({f"val/{k}": v for k, v in val.items()})
            for sched in schedulers:
                sched.step()
            row["seconds"] = time.perf_counter() - started
            state.history.append(row)
            if bar is not None:
                losses = [k for k in row if k == "train/loss" or k.startswith("train/loss/")]
                bar.set_postfix({k[len("train/"):]: f"{row[k]:.4g}" for k in losses})
            for hook in hooks["on_epoch_end"]:
                hook(state)
            if checkpoint_path is not None:
                save_checkpoint(checkpoint_path, model, optimizer, state.epoch, scheduler,
                                state.history, loaders, **extras)
            if state.stop:
                break
    finally:
        if bar is not None:
            bar.close()
    return state.history
