"""Resume is exact: 2 epochs + resume 2 equals 4 straight epochs, bit for bit, per model family.

Every family trains a tiny model on tiny data with a shuffling loader (its own generator),
Adam (state to restore) and a step scheduler; the families that draw noise own a
``torch.Generator`` (in the model or in the loss), and the inverse INN's L_x ramp is moved
by a :class:`~infoplane.train.Schedule` callback. Where the model has ``latent()``, an
:class:`~infoplane.plane.InformationPlane` recorder is attached and its rows (those from
before the checkpoint included) must match too. Compared: the history rows without
``seconds``, the recorder's rows without ``seconds``, every tensor of the model's
``state_dict`` (``torch.equal``: same values, bit for bit), the optimizer's state and the
global torch RNG after training.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

from infoplane.bibae import BIBAE, squared_error_log_scale, vae
from infoplane.bottleneck import (
    VIB,
    CategoricalBottleneckClassifier,
    CategoricalObjective,
    CrossEntropyObjective,
    GaussianEncoderClassifier,
    NoisyBottleneckClassifier,
)
from infoplane.inn import (
    CINN,
    ClassifierLoss,
    FeedForwardClassifier,
    InverseINN,
    InverseINNLoss,
    conditional_nll_loss,
)
from infoplane.inn.ibinn import IBINN, IBINNLoss
from infoplane.plane import InformationPlane
from infoplane.train import Callback, FitState, Schedule, fit

N = 24          # samples
BATCH = 8       # 3 steps per epoch
EPOCHS = 4
HALF = 2


def _classes(n_features: int = 4, n_classes: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(11)
    x = torch.randn(N, n_features, generator=gen)
    return x, torch.arange(N) % n_classes


def _inverse(x_dim: int = 2, y_dim: int = 1) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(12)
    x = torch.randn(N, x_dim, generator=gen)
    return x, x.sum(1, keepdim=True).expand(N, y_dim) + 0.1 * torch.randn(N, y_dim, generator=gen)


def _noisy() -> tuple[Any, ...]:
    model = NoisyBottleneckClassifier(4, 3, hidden=(8,), latent_dim=2, noise_entropy=-1.0,
                                      generator=torch.Generator().manual_seed(5), seed=0)
    return model, CrossEntropyObjective(), _classes(), True


def _gaussian() -> tuple[Any, ...]:
    model = GaussianEncoderClassifier(4, 3, hidden=(8,), latent_dim=2,
                                      generator=torch.Generator().manual_seed(6), seed=0)
    return model, VIB(beta=0.1), _classes(), True


def _categorical() -> tuple[Any, ...]:
    model = CategoricalBottleneckClassifier(4, 3, n_categories=5, hidden=(8,), seed=0)
    return model, CategoricalObjective(), _classes(), False


def _cinn() -> tuple[Any, ...]:
    model = CINN(3, n_classes=2, n_blocks=1, hidden=(8, 8), noise=0.1, seed=0)
    x, y = _classes(3, 2)
    return model, conditional_nll_loss, (x, y), False


def _inverse_inn() -> tuple[Any, ...]:
    model = InverseINN(2, 1, 1, n_blocks=1, hidden=(8, 8), seed=0)
    loss = InverseINNLoss(ramp_start=0.01, ramp_until=0.5, seed=0)
    return model, loss, _inverse(), False


def _cvae() -> tuple[Any, ...]:
    model = BIBAE.conditional_mlp(2, 1, latent_dim=1, hidden=(8, 8), seed=0)
    return model, vae(log_scale=squared_error_log_scale(7.5), seed=0), _inverse(), False


def _ibinn() -> tuple[Any, ...]:
    model = IBINN(4, n_classes=3, n_blocks=1, hidden=(8,), seed=0)
    loss = IBINNLoss(gamma=1.0, generator=torch.Generator().manual_seed(7))
    return model, loss, _classes(), True


def _baseline() -> tuple[Any, ...]:
    model = FeedForwardClassifier(4, 3, n_blocks=1, hidden=(8,), seed=0)
    return model, ClassifierLoss(), _classes(), False


FAMILIES: dict[str, Callable[[], tuple[Any, ...]]] = {
    "noisy-bottleneck": _noisy,
    "gaussian-encoder": _gaussian,
    "categorical-bottleneck": _categorical,
    "cinn-noise": _cinn,
    "inverse-inn-ramp": _inverse_inn,
    "conditional-vae": _cvae,
    "ibinn": _ibinn,
    "feed-forward-baseline": _baseline,
}


class _StopAfter(Callback):
    """End training after ``epoch`` (as an interrupted run would), once its checkpoint is written."""

    def __init__(self, epoch: int) -> None:
        self.epoch = epoch

    def on_epoch_end(self, state: FitState) -> None:
        state.stop = state.epoch >= self.epoch

INTERRUPTED = {"inverse-inn-ramp"}   # families whose first half is an interrupted run (Schedule)


def _run(build: Callable[[], tuple[Any, ...]], epochs: int, path: str, resume: bool,
         stop_after: int | None = None) -> tuple[list[dict], list[dict] | None, Any, dict, torch.Tensor]:
    """Build everything afresh (same seeds), train to ``epochs``, maybe resuming from ``path``.

    ``stop_after`` interrupts the run after that epoch: the schedule still sees ``epochs``.
    """
    torch.manual_seed(123)   # the global RNG a fresh process would have: resume must overwrite it
    model, loss_fn, (x, y), records = build()
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(3))
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.9)
    callbacks: list[Any] = []
    if isinstance(loss_fn, InverseINNLoss):
        callbacks.append(Schedule(loss_fn, "progress", lambda p: p))
    plane = InformationPlane(x, y, every=1, k=3, seed=0) if records else None
    if plane is not None:
        callbacks.append(plane)
    if stop_after is not None:
        callbacks.append(_StopAfter(stop_after))
    history = fit(model, loss_fn, loader, opt, epochs, device="cpu", scheduler=sched,
                  callbacks=callbacks, checkpoint_path=path, resume_from=path if resume else None,
                  progress=False)
    rows = None if plane is None else [{k: v for k, v in r.items() if k != "seconds"} for r in plane.rows]
    return ([{k: v for k, v in r.items() if k != "seconds"} for r in history], rows, model,
            opt.state_dict(), torch.get_rng_state())


def _same(a: Any, b: Any, where: str) -> None:
    """Exact equality of nested tensors / numbers (NaN equal to NaN), with a path on failure."""
    if isinstance(a, torch.Tensor):
        assert isinstance(b, torch.Tensor) and a.dtype == b.dtype and a.shape == b.shape, where
        assert torch.equal(a, b) or bool((a.isnan() & b.isnan() | (a == b)).all()), where
    elif isinstance(a, dict):
        assert isinstance(b, dict) and set(a) == set(b), (where, sorted(map(str, a)), sorted(map(str, b)))
        for k in a:
            _same(a[k], b[k], f"{where}[{k!r}]")
    elif isinstance(a, (list, tuple)):
        assert len(a) == len(b), where
        for i, (u, v) in enumerate(zip(a, b, strict=True)):
            _same(u, v, f"{where}[{i}]")
    elif isinstance(a, float) and math.isnan(a):
        assert isinstance(b, float) and math.isnan(b), where
    else:
        assert a == b, (where, a, b)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_resume_is_bit_identical_to_a_straight_run(family: str, tmp_path: Any) -> None:
    build = FAMILIES[family]
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        straight = _run(build, EPOCHS, str(tmp_path / "straight.pt"), resume=False)
        half = str(tmp_path / "half.pt")
        # a schedule's progress depends on the planned epochs: interrupt a 4-epoch run there
        first = (_run(build, EPOCHS, half, resume=False, stop_after=HALF) if family in INTERRUPTED
                 else _run(build, HALF, half, resume=False))
        resumed = _run(build, EPOCHS, half, resume=True)
    finally:
        torch.set_num_threads(threads)
    history, rows, model, opt_state, rng = straight
    assert len(history) == EPOCHS and len(first[0]) == HALF
    _same(history, resumed[0], "history")
    _same(history[:HALF], first[0], "history before the checkpoint")
    if rows is not None:
        assert len(rows) == EPOCHS, "one recorder row per epoch"
        _same(rows, resumed[1], "recorder rows")
        _same(rows[:HALF], first[1], "recorder rows before the checkpoint")
    _same(model.state_dict(), resumed[2].state_dict(), "state_dict")
    _same(opt_state, resumed[3], "optimizer state")
    _same(rng, resumed[4], "global torch RNG")
    # training moved the parameters: a resume that silently restarted would not match
    assert not all(torch.equal(a, b) for a, b in zip(model.state_dict().values(),
                                                      build()[0].state_dict().values(), strict=True))


@pytest.mark.parametrize("family", ["noisy-bottleneck", "gaussian-encoder", "cinn-noise", "ibinn"])
def test_the_owned_generator_matters(family: str, tmp_path: Any) -> None:
    """Guard against a vacuous pass: a different noise seed changes the run."""
    torch.set_num_threads(1)
    history = _run(FAMILIES[family], HALF, str(tmp_path / "a.pt"), resume=False)[0]

    def other() -> tuple[Any, ...]:
        model, loss_fn, data, records = FAMILIES[family]()
        for owner in (model, loss_fn):
            for obj in ([owner] + list(owner.modules()) if isinstance(owner, torch.nn.Module) else [owner]):
                for attr, value in list(vars(obj).items()):
                    if isinstance(value, torch.Generator):
                        setattr(obj, attr, torch.Generator().manual_seed(999))
        return model, loss_fn, data, records

    changed = _run(other, HALF, str(tmp_path / "b.pt"), resume=False)[0]
    assert changed != history


@pytest.mark.parametrize("family", list(FAMILIES))
def test_seeded_construction_is_repeatable_and_leaves_the_global_rng_alone(family: str) -> None:
    torch.manual_seed(0)
    before = torch.get_rng_state()
    a = FAMILIES[family]()[0]
    assert torch.equal(torch.get_rng_state(), before), "building a seeded model drew from the global RNG"
    torch.manual_seed(1)   # a different global state: the seeded weights must not follow it
    b = FAMILIES[family]()[0]
    _same(a.state_dict(), b.state_dict(), "state_dict")
