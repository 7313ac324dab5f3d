"""Helpers shared by the invertible-network tests (not a test module)."""

from __future__ import annotations

import copy
import pickle
from collections.abc import Callable

import torch
from torch.utils.data import DataLoader, TensorDataset

from infoplane.inn import InverseINNLoss
from infoplane.train import Schedule, fit


def perturb(module: torch.nn.Module, seed: int = 0, scale: float = 0.3) -> torch.nn.Module:
    """Move every parameter away from its (identity) initialisation, reproducibly, in place."""
    gen = torch.Generator().manual_seed(seed)
    with torch.no_grad():
        for p in module.parameters():
            p.add_(scale * torch.randn(p.shape, generator=gen, dtype=torch.float64).to(p.dtype))
    return module


def assert_every_parameter_gets_a_gradient(module: torch.nn.Module, loss: torch.Tensor) -> None:
    """Backpropagate ``loss``; every parameter must get a finite gradient that is not all zeros."""
    names = [name for name, _ in module.named_parameters()]
    assert names, f"{type(module).__name__} has no parameters"
    module.zero_grad(set_to_none=True)
    loss.backward()
    for name, p in module.named_parameters():
        assert p.grad is not None, name
        assert bool(torch.isfinite(p.grad).all()), name
        assert bool((p.grad != 0).any()), name


def assert_round_trips(module: torch.nn.Module, run: Callable[[torch.nn.Module], object]) -> None:
    """``pickle`` and ``copy.deepcopy`` give modules whose ``run(module)`` outputs are identical."""
    copies = (pickle.loads(pickle.dumps(module)), copy.deepcopy(module))   # before run() draws anything
    expected = _flatten(run(module))
    for other in copies:
        assert other is not module
        got = _flatten(run(other))
        assert len(got) == len(expected)
        for a, b in zip(got, expected, strict=True):
            assert torch.equal(a, b)


def _flatten(out: object) -> list[torch.Tensor]:
    if isinstance(out, torch.Tensor):
        return [out.detach()]
    if isinstance(out, (tuple, list)):
        return [t for o in out for t in _flatten(o)]
    raise TypeError(f"unexpected output {type(out).__name__}")


def fit_inverse_inn(model, x, y, *, epochs, batch_size, lr, lr_end, seed=0, weights=None,
                    clip_grad_norm=10.0, **loss_options):
    """The inverse INN's recipe of lesson 07 / the benchmark: Adam with exponential decay, L_x ramp."""
    loader = DataLoader(TensorDataset(x, y), batch_size=batch_size, shuffle=True, drop_last=True,
                        generator=torch.Generator().manual_seed(seed))
    loss = InverseINNLoss(weights, seed=seed + 1, **loss_options)
    opt = torch.optim.Adam(model.parameters(), lr=lr)
    sched = torch.optim.lr_scheduler.ExponentialLR(opt, (lr_end / lr) ** (1.0 / epochs))
    history = fit(model, loss, loader, opt, epochs, scheduler=sched, clip_grad_norm=clip_grad_norm,
                  device="cpu", progress=False, callbacks=[Schedule(loss, "progress", lambda p: p)])
    model.eval()
    return history
