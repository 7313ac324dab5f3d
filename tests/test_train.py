"""The training loop: learning, divergence detection, checkpoints, callbacks, clipping."""

import math

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import infoplane as ip
from infoplane.data import load_digits
from infoplane.train import Callback, DivergenceError, evaluate, fit, load_checkpoint, save_checkpoint


def classification_loss(model, batch):
    x, y = batch
    logits = model(x)
    loss = torch.nn.functional.cross_entropy(logits, y)
    return loss, {"accuracy": (logits.argmax(1) == y).float().mean()}


def digits_setup(seed=0, dropout=0.0):
    gen = ip.seed_everything(seed)
    data = load_digits()
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Dropout(dropout),
                                torch.nn.Linear(64, 10))
    train = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True,
                       generator=gen)
    test = DataLoader(TensorDataset(data.x_test, data.y_test), batch_size=256)
    opt = torch.optim.Adam(model.parameters(), lr=3e-3)
    return model, train, test, opt


def test_small_model_learns_digits_above_90_percent():
    model, train, test, opt = digits_setup()
    history = fit(model, classification_loss, train, opt, epochs=15, val_loader=test,
                  device="cpu", progress=False)
    assert len(history) == 15
    assert history[-1]["val/accuracy"] > 0.90
    assert history[-1]["train/loss"] < history[0]["train/loss"]
    # evaluate() agrees with the epoch's validation record
    again = evaluate(model, classification_loss, test)
    assert again["accuracy"] == pytest.approx(history[-1]["val/accuracy"])


def test_divergence_names_the_term_and_epoch():
    model, train, _, opt = digits_setup()

    def exploding(model, batch):
        loss, terms = classification_loss(model, batch)
        bad = loss * float("nan") if model.calls >= 30 else loss
        model.calls += 1
        return bad, {**terms, "kl": bad}

    model.calls = 0  # 22 steps per epoch: the loss turns NaN in epoch 2
    with pytest.raises(DivergenceError, match=r"epoch 2.*'kl'"):
        fit(model, exploding, train, opt, epochs=5, progress=False)


def test_checkpoint_resume_is_bit_identical(tmp_path):
    model_a, train_a, _, opt_a = digits_setup(seed=5, dropout=0.2)
    fit(model_a, classification_loss, train_a, opt_a, epochs=4, progress=False)

    model_b, train_b, _, opt_b = digits_setup(seed=5, dropout=0.2)
    ckpt = tmp_path / "run.pt"
    fit(model_b, classification_loss, train_b, opt_b, epochs=2, progress=False, checkpoint_path=ckpt)

    model_c, train_c, _, opt_c = digits_setup(seed=99, dropout=0.2)  # different state everywhere
    torch.rand(7)  # disturb the global generator too
    history = fit(model_c, classification_loss, train_c, opt_c, epochs=4, progress=False,
                  resume_from=ckpt)
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]
    for pa, pc in zip(model_a.parameters(), model_c.parameters(), strict=True):
        assert torch.equal(pa, pc)
    state_a, state_c = opt_a.state_dict()["state"], opt_c.state_dict()["state"]
    for key in state_a:
        assert torch.equal(state_a[key]["exp_avg"], state_c[key]["exp_avg"])


def test_checkpoint_round_trips_model_optimizer_and_epoch(tmp_path):
    model, train, _, opt = digits_setup()
    fit(model, classification_loss, train, opt, epochs=1, progress=False)
    path = tmp_path / "c.pt"
    save_checkpoint(path, model, opt, epoch=1)
    other, _, _, other_opt = digits_setup(seed=3)
    assert load_checkpoint(path, other, other_opt)["epoch"] == 1
    for p, q in zip(model.state_dict().values(), other.state_dict().values(), strict=True):
        assert torch.equal(p, q)
    assert str(opt.state_dict()) == str(other_opt.state_dict())


def test_callbacks_scheduler_and_early_stop():
    model, train, _, opt = digits_setup()
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    class Recorder(Callback):
        def __init__(self):
            self.steps, self.epochs = 0, []

        def on_step_end(self, state):
            self.steps += 1

        def on_epoch_end(self, state):
            self.epochs.append(state.epoch)
            state.stop = state.epoch == 3

    rec = Recorder()
    history = fit(model, classification_loss, train, opt, epochs=10, scheduler=sched,
                  callbacks=[rec], progress=False)
    assert rec.epochs == [1, 2, 3] and len(history) == 3
    assert rec.steps == sum(row["steps"] for row in history) == 3 * math.ceil(1347 / 64)
    assert [row["lr"] for row in history] == pytest.approx([3e-3, 1.5e-3, 7.5e-4])


def test_gradient_clipping_bounds_the_step():
    torch.manual_seed(0)
    model = torch.nn.Linear(5, 1)
    x, y = torch.randn(32, 5), 100 * torch.randn(32)
    before = torch.cat([p.detach().flatten() for p in model.parameters()])
    mse = lambda m, b: ((m(b[0]).squeeze(1) - b[1]).pow(2).mean(), {})  # noqa: E731
    fit(model, mse, [(x, y)], torch.optim.SGD(model.parameters(), lr=1.0), epochs=1,
        clip_grad_norm=1e-3, progress=False)
    after = torch.cat([p.detach().flatten() for p in model.parameters()])
    assert 0 < (after - before).norm() <= 1e-3 * (1 + 1e-5)


@pytest.mark.parametrize("kwargs, name", [({"epochs": -1}, "epochs"),
                                          ({"epochs": 1, "clip_grad_norm": 0.0}, "clip_grad_norm")])
def test_bad_arguments(kwargs, name):
    model, train, _, opt = digits_setup()
    with pytest.raises(ValueError, match=name):
        fit(model, classification_loss, train, opt, progress=False, **kwargs)
