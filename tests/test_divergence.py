"""A diverging fit ends with DivergenceError, naming the term and the epoch, for every model family.

Divergence is forced three ways on tiny models of each family: a parameter set to NaN,
or to infinity, by a callback after the first step of epoch 2 (what an exploding update
does), and a learning rate so large that the first updates overflow. Whatever happens
next inside the model or its loss (a NaN loss, a NaN term, a non-finite gradient norm,
a parameter check, or a loss that raises ``ValueError: nll: contains NaN``), ``fit``
must end with :class:`~infoplane.train.DivergenceError` and nothing else, and the
message must name the epoch and the term that its ``term`` attribute reports.
"""

from __future__ import annotations

import re
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
from infoplane.train import Callback, DivergenceError, FitState, Schedule, fit

N, BATCH = 24, 8


def _classes(n_features: int = 4, n_classes: int = 3) -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(11)
    return torch.randn(N, n_features, generator=gen), torch.arange(N) % n_classes


def _inverse() -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(12)
    x = torch.randn(N, 2, generator=gen)
    return x, x.sum(1, keepdim=True)


FAMILIES: dict[str, Callable[[], tuple[Any, ...]]] = {
    "noisy-bottleneck": lambda: (NoisyBottleneckClassifier(
        4, 3, hidden=(8,), latent_dim=2, noise_entropy=-1.0, generator=torch.Generator().manual_seed(5),
        seed=0), CrossEntropyObjective(), _classes()),
    "gaussian-encoder": lambda: (GaussianEncoderClassifier(
        4, 3, hidden=(8,), latent_dim=2, generator=torch.Generator().manual_seed(6), seed=0),
        VIB(beta=0.1), _classes()),
    "categorical-bottleneck": lambda: (CategoricalBottleneckClassifier(
        4, 3, n_categories=5, hidden=(8,), seed=0), CategoricalObjective(), _classes()),
    "cinn-noise": lambda: (CINN(3, n_classes=2, n_blocks=1, hidden=(8, 8), noise=0.1, seed=0),
                           conditional_nll_loss, _classes(3, 2)),
    "inverse-inn-ramp": lambda: (InverseINN(2, 1, 1, n_blocks=1, hidden=(8, 8), seed=0),
                                 InverseINNLoss(ramp_start=0.01, ramp_until=0.5, seed=0), _inverse()),
    "conditional-vae": lambda: (BIBAE.conditional_mlp(2, 1, latent_dim=1, hidden=(8, 8), seed=0),
                                vae(log_scale=squared_error_log_scale(7.5), seed=0), _inverse()),
    "ibinn": lambda: (IBINN(4, n_classes=3, n_blocks=1, hidden=(8,), seed=0),
                      IBINNLoss(gamma=1.0, generator=torch.Generator().manual_seed(7)), _classes()),
    "feed-forward-baseline": lambda: (FeedForwardClassifier(4, 3, n_blocks=1, hidden=(8,), seed=0),
                                      ClassifierLoss(), _classes()),
}


class _Poison(Callback):
    """After step ``step`` of epoch ``epoch``, fill every floating parameter with ``value``."""

    def __init__(self, value: float, epoch: int = 2, step: int = 1) -> None:
        self.value, self.epoch, self.step, self.seen = value, epoch, step, 0

    def on_epoch_start(self, state: FitState) -> None:
        self.seen = 0

    def on_step_end(self, state: FitState) -> None:
        self.seen += 1
        if state.epoch == self.epoch and self.seen == self.step:
            with torch.no_grad():
                for p in state.model.parameters():
                    if p.is_floating_point():
                        p.fill_(self.value)


def _fit(family: str, *, lr: float = 1e-2, callbacks: tuple = (), optim: str = "adam",
         epochs: int = 3) -> list[dict]:
    torch.manual_seed(0)
    model, loss_fn, (x, y) = FAMILIES[family]()
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH, shuffle=True,
                        generator=torch.Generator().manual_seed(3))
    opt = (torch.optim.Adam(model.parameters(), lr=lr) if optim == "adam"
           else torch.optim.SGD(model.parameters(), lr=lr))
    cbs = list(callbacks)
    if isinstance(loss_fn, InverseINNLoss):
        cbs.append(Schedule(loss_fn, "progress", lambda p: p))
    return fit(model, loss_fn, loader, opt, epochs, device="cpu", callbacks=cbs, progress=False)


def _check(err: DivergenceError, epoch: int | None) -> None:
    message = str(err)
    assert err.term, message
    assert repr(err.term) in message or err.term in message, message
    assert err.epoch is not None, message
    assert re.search(rf"\bepoch {err.epoch}\b", message), message
    if epoch is not None:
        assert err.epoch == epoch, message


@pytest.fixture(autouse=True)
def _one_thread() -> Any:
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_families_train_finitely_without_poison(family: str) -> None:
    """The control: the same runs, unpoisoned, end normally with finite histories."""
    history = _fit(family)
    assert len(history) == 3
    assert all(torch.isfinite(torch.tensor(v)).item() for row in history for k, v in row.items()
               if isinstance(v, float))


@pytest.mark.parametrize("value", [float("nan"), float("inf")], ids=["nan", "inf"])
@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_poisoned_parameter_ends_fit_with_divergence_error(family: str, value: float) -> None:
    with pytest.raises(DivergenceError) as info:
        _fit(family, callbacks=(_Poison(value),))
    _check(info.value, epoch=2)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_a_huge_learning_rate_ends_fit_with_divergence_error(family: str) -> None:
    with pytest.raises(DivergenceError) as info:
        _fit(family, lr=1e38, optim="sgd", epochs=5)
    _check(info.value, epoch=None)


class _PoisonedValidation:
    """A validation loader that sets the model's parameters to NaN before its first batch.

    The train epoch ended finite, so only the validation pass can see the divergence.
    """

    def __init__(self, batches: list, model: torch.nn.Module) -> None:
        self.batches, self.model = batches, model

    def __iter__(self) -> Any:
        with torch.no_grad():
            for p in self.model.parameters():
                if p.is_floating_point():
                    p.fill_(float("nan"))
        return iter(self.batches)

    def __len__(self) -> int:
        return len(self.batches)


@pytest.mark.parametrize("family", list(FAMILIES))
def test_divergence_seen_only_in_validation_is_a_divergence_error(family: str) -> None:
    torch.manual_seed(0)
    model, loss_fn, (x, y) = FAMILIES[family]()
    loader = DataLoader(TensorDataset(x, y), batch_size=BATCH)
    val = _PoisonedValidation([(x[:BATCH], y[:BATCH])], model)
    with pytest.raises(DivergenceError) as info:
        fit(model, loss_fn, loader, torch.optim.Adam(model.parameters(), lr=1e-3), 2, val_loader=val,
            device="cpu", progress=False)
    _check(info.value, epoch=1)
