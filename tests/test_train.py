"""The training loop: learning, several optimizers, divergence, checkpoints, callbacks, clipping."""

import copy
import math
import pickle

import pytest
import torch
from torch.utils.data import DataLoader, TensorDataset

import infoplane as ip
from infoplane import train as train_module
from infoplane.data import load_digits
from infoplane.train import (
    Callback,
    DivergenceError,
    Schedule,
    evaluate_loss,
    fit,
    load_checkpoint,
    save_checkpoint,
)


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


def without_seconds(history):
    return [{k: v for k, v in row.items() if k != "seconds"} for row in history]


# ---------------------------------------------------------------- one optimizer

def test_small_model_learns_digits_above_90_percent():
    model, train, test, opt = digits_setup()
    history = fit(model, classification_loss, train, opt, epochs=15, val_loader=test,
                  device="cpu", progress=False)
    assert len(history) == 15
    assert history[-1]["val/accuracy"] > 0.90
    assert history[-1]["train/loss"] < history[0]["train/loss"]
    # evaluate_loss's sample-weighted mean of float32 batch means is the accuracy of all at once
    data = load_digits()
    with torch.no_grad():
        direct = (model(data.x_test).argmax(1) == data.y_test).double().mean().item()
    assert evaluate_loss(model, classification_loss, test)["accuracy"] == pytest.approx(direct, abs=1e-6)


def test_fit_matches_a_hand_written_loop_bit_for_bit():
    """One optimizer: the same parameters and the same sample-weighted epoch means."""
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(50, 3, generator=gen), torch.randn(50, generator=gen)
    batches = [(x[i:i + 16], y[i:i + 16]) for i in range(0, 50, 16)]  # 16, 16, 16, 2

    def mse(model, batch):
        err = model(batch[0]).squeeze(1) - batch[1]
        return err.pow(2).mean(), {"ymean": batch[1].mean()}

    torch.manual_seed(3)
    ours = torch.nn.Linear(3, 1)
    ref = copy.deepcopy(ours)
    history = fit(ours, mse, batches, torch.optim.SGD(ours.parameters(), lr=0.05, momentum=0.9),
                  epochs=3, device="cpu", progress=False)
    opt = torch.optim.SGD(ref.parameters(), lr=0.05, momentum=0.9)
    for epoch in range(3):
        total = 0.0
        for xb, yb in batches:
            loss = (ref(xb).squeeze(1) - yb).pow(2).mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        assert history[epoch]["train/loss"] == total / 50
    for p, q in zip(ours.parameters(), ref.parameters(), strict=True):
        assert torch.equal(p, q)
    # a term that is the batch mean of y averages, sample-weighted, to the mean of all y
    assert history[0]["train/ymean"] == pytest.approx(y.double().mean().item(), abs=1e-7)
    assert [row["steps"] for row in history] == [4, 4, 4]


@pytest.mark.parametrize("mixed", [False, True], ids=["tensors", "floats-and-shapes"])
def test_logged_values_read_on_the_device_path_match_the_host_path(monkeypatch, mixed):
    """The accelerator path (one stacked vector per step, read once) gives the CPU's numbers."""
    def run():
        model, train, test, opt = digits_setup(seed=2)

        def loss(model, batch):
            value, terms = classification_loss(model, batch)
            terms = {**terms, "f64": value.double() * 2}
            if mixed:  # a Python float and a shape-(1,) term take the one-by-one path
                terms.update(const=0.5, one=value.reshape(1))
            return value, terms

        return without_seconds(fit(model, loss, train, opt, epochs=2, val_loader=test, progress=False,
                                   device="cpu"))

    host = run()
    real_init = train_module._Log.__init__

    def device_path(self, device):
        real_init(self, device)
        self.host = False

    monkeypatch.setattr(train_module._Log, "__init__", device_path)
    assert run() == host
    monkeypatch.setattr(train_module, "_CHUNK", 4)  # 22 steps an epoch: rows folded 5 times
    assert run() == host


def test_last_terms_are_the_last_batchs_values_as_floats():
    x = torch.arange(10.0).reshape(10, 1)
    seen = []

    class Reader(Callback):
        def on_step_end(self, state):
            seen.append(state.last_terms)

    def loss(model, batch):
        return model(batch[0]).pow(2).mean(), {"xmean": batch[0].mean()}

    fit(torch.nn.Linear(1, 1), loss, DataLoader(TensorDataset(x), batch_size=4), torch.optim.SGD(
        torch.nn.Linear(1, 1).parameters(), lr=0.0), epochs=1, callbacks=[Reader()], progress=False)
    assert [row["xmean"] for row in seen] == [1.5, 5.5, 8.5]  # batches 0-3, 4-7, 8-9
    assert all(isinstance(v, float) for row in seen for v in row.values())


def test_schedule_sets_the_attribute_from_progress_before_each_step():
    class Weighted:
        weight = -1.0

        def __call__(self, model, batch):
            return self.weight * model(batch[0]).pow(2).mean(), {"weight": torch.tensor(self.weight)}

    loss = Weighted()
    model = torch.nn.Linear(2, 1)
    history = fit(model, loss, DataLoader(TensorDataset(torch.randn(12, 2)), batch_size=4),
                  torch.optim.SGD(model.parameters(), lr=0.0), epochs=2,
                  callbacks=[Schedule(loss, "weight", lambda p: 6 * p)], progress=False)
    # six steps: progress 0, 1/6, ..., 5/6 before them -> weights 0..5
    assert [row["train/weight"] for row in history] == [1.0, 4.0]


def test_callbacks_scheduler_and_early_stop():
    model, train, _, opt = digits_setup()
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=1, gamma=0.5)

    class Recorder(Callback):
        def __init__(self):
            self.steps, self.epochs, self.starts = 0, [], []

        def on_epoch_start(self, state):
            self.starts.append((state.epoch, state.step))

        def on_step_end(self, state):
            self.steps += 1

        def on_epoch_end(self, state):
            self.epochs.append(state.epoch)
            state.stop = state.epoch == 3

    rec = Recorder()
    history = fit(model, classification_loss, train, opt, epochs=10, scheduler=sched,
                  callbacks=[rec], progress=False)
    per_epoch = math.ceil(1347 / 64)
    assert rec.epochs == [1, 2, 3] and len(history) == 3
    assert rec.starts == [(1, 0), (2, per_epoch), (3, 2 * per_epoch)]
    assert rec.steps == 3 * per_epoch
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


# ---------------------------------------------------------------- several optimizers

class Adversarial(torch.nn.Module):
    """A generator g and a critic d; each loss depends on the parameters of both."""

    def __init__(self, seed=0):
        super().__init__()
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            self.g = torch.nn.Linear(2, 2)
            self.d = torch.nn.Sequential(torch.nn.Linear(2, 8), torch.nn.Tanh(), torch.nn.Linear(8, 1))
            self.frozen = torch.nn.Linear(2, 2)  # in no optimizer

    def forward(self, x, z):
        fake = self.g(z) + self.frozen(z)
        return self.d(x), self.d(fake)


def adversarial_loss(model, batch):
    x, z = batch
    real, fake = model(x, z)
    critic = torch.nn.functional.softplus(-real).mean() + torch.nn.functional.softplus(fake).mean()
    generator = torch.nn.functional.softplus(-fake).mean()
    return {"g": generator, "d": critic}, {"gap": (real.mean() - fake.mean()).detach()}


def adversarial_data(n=40, batch_size=8, seed=1):
    gen = torch.Generator().manual_seed(seed)
    x = torch.randn(n, 2, generator=gen) + torch.tensor([2.0, -1.0])
    z = torch.randn(n, 2, generator=gen)
    return [(x[i:i + batch_size], z[i:i + batch_size]) for i in range(0, n, batch_size)]


def adversarial_optimizers(model, lr_g=0.05, lr_d=0.1):
    return {"g": torch.optim.Adam(model.g.parameters(), lr=lr_g),
            "d": torch.optim.SGD(model.d.parameters(), lr=lr_d, momentum=0.5)}


def flat(module):
    return torch.cat([p.detach().flatten() for p in module.parameters()])


def test_each_optimizer_changes_only_its_own_parameters():
    for frozen_key in ("g", "d"):
        model = Adversarial()
        before = {name: flat(getattr(model, name)) for name in ("g", "d", "frozen")}
        opts = adversarial_optimizers(model, lr_g=0.0 if frozen_key == "g" else 0.05,
                                      lr_d=0.0 if frozen_key == "d" else 0.1)
        fit(model, adversarial_loss, adversarial_data(), opts, epochs=1, device="cpu", progress=False)
        moving = "d" if frozen_key == "g" else "g"
        assert torch.equal(flat(getattr(model, frozen_key)), before[frozen_key])
        assert not torch.equal(flat(getattr(model, moving)), before[moving])
        assert torch.equal(flat(model.frozen), before["frozen"])
        assert all(p.grad is None for p in model.frozen.parameters())


def test_several_optimizers_match_a_hand_written_loop_step_for_step():
    batches = adversarial_data()
    model, ref = Adversarial(), Adversarial()
    snapshots = []

    class Snapshot(Callback):
        def on_step_end(self, state):
            snapshots.append(flat(state.model).clone())

    history = fit(model, adversarial_loss, batches, adversarial_optimizers(model), epochs=2,
                  device="cpu", callbacks=[Snapshot()], progress=False)
    opts = adversarial_optimizers(ref)
    params = {"g": list(ref.g.parameters()), "d": list(ref.d.parameters())}
    expected, sums = [], []
    for _ in range(2):
        total = {"g": 0.0, "d": 0.0}
        for batch in batches:
            losses, _ = adversarial_loss(ref, batch)
            grads = {k: torch.autograd.grad(losses[k], params[k], retain_graph=True) for k in params}
            for k, opt in opts.items():  # every gradient first, then every step
                for p, grad in zip(params[k], grads[k], strict=True):
                    p.grad = grad
                opt.step()
            expected.append(flat(ref).clone())
            for k in total:
                total[k] += losses[k].item() * len(batch[0])
        sums.append(total)
    assert len(snapshots) == len(expected) == 10
    for step, (ours, theirs) in enumerate(zip(snapshots, expected, strict=True)):
        assert torch.equal(ours, theirs), f"step {step}"
    for row, total in zip(history, sums, strict=True):
        assert row["train/loss/g"] == total["g"] / 40
        assert row["train/loss/d"] == total["d"] / 40


def test_several_optimizers_history_keys_and_clipping_per_optimizer(monkeypatch):
    model = Adversarial()
    opts = adversarial_optimizers(model)
    scheds = {"d": torch.optim.lr_scheduler.StepLR(opts["d"], step_size=1, gamma=0.5)}
    norms = {"g": [], "d": []}
    real_clip = torch.nn.utils.clip_grad_norm_

    def spy(parameters, max_norm, *args, **kwargs):
        parameters = list(parameters)
        key = "g" if parameters[0] is model.g.weight else "d"
        norms[key].append(len(parameters))
        return real_clip(parameters, max_norm, *args, **kwargs)

    monkeypatch.setattr(torch.nn.utils, "clip_grad_norm_", spy)
    history = fit(model, adversarial_loss, adversarial_data(), opts, epochs=2, scheduler=scheds,
                  clip_grad_norm=0.1, device="cpu", progress=False)
    monkeypatch.undo()
    assert set(history[0]) == {"epoch", "steps", "lr/g", "lr/d", "train/loss/g", "train/loss/d",
                               "train/gap", "seconds"}
    assert [row["lr/d"] for row in history] == pytest.approx([0.1, 0.05])
    assert [row["lr/g"] for row in history] == [0.05, 0.05]
    assert norms == {"g": [2] * 10, "d": [4] * 10}  # each optimizer's own parameters, every step
    assert sorted(evaluate_loss(model, adversarial_loss, adversarial_data())) == ["gap", "loss/d", "loss/g"]


def test_several_optimizers_resume_is_bit_identical(tmp_path):
    def setup():
        model = Adversarial()
        opts = adversarial_optimizers(model)
        scheds = {"g": torch.optim.lr_scheduler.StepLR(opts["g"], 1, 0.7),
                  "d": torch.optim.lr_scheduler.StepLR(opts["d"], 1, 0.9)}
        return model, opts, scheds

    batches = adversarial_data()
    model_a, opts_a, scheds_a = setup()
    straight = fit(model_a, adversarial_loss, batches, opts_a, 4, scheduler=scheds_a, progress=False)
    model_b, opts_b, scheds_b = setup()
    ckpt = tmp_path / "gan.pt"
    fit(model_b, adversarial_loss, batches, opts_b, 2, scheduler=scheds_b, checkpoint_path=ckpt,
        progress=False)
    model_c = Adversarial(seed=9)
    opts_c = adversarial_optimizers(model_c, lr_g=1.0, lr_d=1.0)
    scheds_c = {"g": torch.optim.lr_scheduler.StepLR(opts_c["g"], 1, 0.7),
                "d": torch.optim.lr_scheduler.StepLR(opts_c["d"], 1, 0.9)}
    resumed = fit(model_c, adversarial_loss, batches, opts_c, 4, scheduler=scheds_c, resume_from=ckpt,
                  progress=False)
    assert without_seconds(resumed) == without_seconds(straight)
    assert torch.equal(flat(model_a), flat(model_c))
    for key in ("g", "d"):
        assert str(opts_a[key].state_dict()) == str(opts_c[key].state_dict())
        assert scheds_a[key].state_dict() == scheds_c[key].state_dict()
    # a checkpoint of a dict of optimizers does not load into one optimizer, nor into other keys
    with pytest.raises(ValueError, match=r"^optimizer: the checkpoint holds a dict keyed \['d', 'g'\]"):
        load_checkpoint(ckpt, Adversarial(), torch.optim.SGD(Adversarial().parameters(), lr=0.1))
    with pytest.raises(ValueError, match=r"^optimizer: the checkpoint holds \['d', 'g'\], not \['g'\]"):
        load_checkpoint(ckpt, Adversarial(), {"g": opts_c["g"]})


def test_a_loss_without_gradient_skips_its_optimizer():
    model = Adversarial()
    before = flat(model.d)

    def critic_off(model, batch):
        losses, terms = adversarial_loss(model, batch)
        return {"g": losses["g"], "d": torch.zeros(())}, terms

    history = fit(model, critic_off, adversarial_data(), adversarial_optimizers(model), 1, progress=False)
    assert torch.equal(flat(model.d), before)
    assert history[0]["train/loss/d"] == 0.0


# ---------------------------------------------------------------- divergence

def exploding_after(calls, key="kl", bad_loss=True):
    def loss(model, batch):
        value, terms = classification_loss(model, batch)
        nan = value * float("nan") if model.calls >= calls else value
        model.calls += 1
        return (nan if bad_loss else value), {**terms, key: nan}
    return loss


def test_nan_loss_names_the_term_epoch_and_step_before_the_checkpoint(tmp_path):
    model, train, _, opt = digits_setup()
    model.calls = 0  # 22 steps per epoch: the loss turns NaN at step 9 of epoch 2
    ckpt = tmp_path / "c.pt"
    ends = []

    class Ends(Callback):
        def on_epoch_end(self, state):
            ends.append(state.epoch)

    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 2, step 9: 'loss' became nan, "
                                              r"'kl' became nan;") as info:
        fit(model, exploding_after(30), train, opt, epochs=5, checkpoint_path=ckpt, callbacks=[Ends()],
            progress=False)
    assert (info.value.term, info.value.epoch, info.value.step) == ("loss", 2, 9)
    assert ends == [1]
    saved = torch.load(ckpt, weights_only=False)
    assert saved["epoch"] == 1 and len(saved["history"]) == 1
    assert all(torch.isfinite(v).all() for v in saved["model"].values())


def test_nan_term_beside_a_finite_loss_diverges():
    model, train, _, opt = digits_setup()
    model.calls = 0
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 1, step 4: 'kl' became nan;"):
        fit(model, exploding_after(3, bad_loss=False), train, opt, epochs=2, progress=False)


def test_nan_parameters_after_a_step_with_a_finite_loss_diverge():
    def sqrt_at_zero(model, batch):  # value 0, gradient 0/0 = NaN
        loss = (model.weight - model.weight.detach()).pow(2).sum().sqrt()
        return loss + (model(batch[0]) * 0).sum(), {}

    model = torch.nn.Linear(2, 1)
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 1: parameter 'weight' became "
                                              r"non-finite") as info:
        fit(model, sqrt_at_zero, [(torch.ones(3, 2),)], torch.optim.SGD(model.parameters(), lr=0.1), 1,
            progress=False)
    assert info.value.term == "weight"
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 1, step 1: 'grad_norm' "
                                              r"became nan"):
        model = torch.nn.Linear(2, 1)
        fit(model, sqrt_at_zero, [(torch.ones(3, 2),)], torch.optim.SGD(model.parameters(), lr=0.1), 1,
            clip_grad_norm=1.0, progress=False)


def test_nan_validation_loss_diverges():
    def loss(model, batch):
        value = model(batch[0]).pow(2).mean()
        return (value if model.training else value * float("inf")), {}

    model = torch.nn.Linear(2, 1)
    data = [(torch.randn(4, 2),)]
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 1: 'val/loss' became inf "
                                              r"\(on val_loader\)") as info:
        fit(model, loss, data, torch.optim.SGD(model.parameters(), lr=0.01), 2, val_loader=data,
            progress=False)
    assert info.value.term == "val/loss"


def test_a_non_finite_value_error_inside_the_loss_becomes_divergence():
    def loss(model, batch):
        value = model(batch[0]).pow(2).mean()
        if model.calls == 5:
            raise ValueError("nll: contains NaN or infinite values")
        model.calls += 1
        return value, {}

    model = torch.nn.Linear(2, 1)
    model.calls = 0
    data = [(torch.randn(4, 2),)] * 3
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 2, step 3: term 'nll' turned "
                                              r"non-finite \(ValueError: nll: contains NaN") as info:
        fit(model, loss, data, torch.optim.SGD(model.parameters(), lr=0.01), 3, progress=False)
    assert isinstance(info.value.__cause__, ValueError) and info.value.term == "nll"


def test_nan_in_the_data_stays_a_value_error():
    def loss(model, batch):
        if not torch.isfinite(batch[0]).all():
            raise ValueError("x: contains NaN or infinite values")
        return model(batch[0]).pow(2).mean(), {}

    model = torch.nn.Linear(2, 1)
    data = [(torch.ones(4, 2),), (torch.full((4, 2), float("nan")),)]
    with pytest.raises(ValueError, match=r"^x: contains NaN") as info:
        fit(model, loss, data, torch.optim.SGD(model.parameters(), lr=0.01), 1, progress=False)
    assert not isinstance(info.value, DivergenceError)


def test_an_error_after_a_nan_step_is_reported_as_the_divergence():
    def loss(model, batch):
        if model.calls == 2:
            raise RuntimeError("linalg.cholesky: the input is not positive-definite")
        model.calls += 1
        value = model(batch[0]).pow(2).mean()
        return value * (float("nan") if model.calls == 2 else 1.0), {}

    model = torch.nn.Linear(2, 1)
    model.calls = 0
    with pytest.raises(DivergenceError, match=r"^training diverged at epoch 1, step 2: 'loss' became nan "
                                              r"\(then step 3 raised RuntimeError: linalg.cholesky") as info:
        fit(model, loss, [(torch.ones(4, 2),)] * 4, torch.optim.SGD(model.parameters(), lr=0.01), 1,
            progress=False)
    assert isinstance(info.value.__cause__, RuntimeError)


def test_divergence_error_pickles_with_its_fields():
    err = DivergenceError("training diverged at epoch 3", term="kl", epoch=3, step=7)
    again = pickle.loads(pickle.dumps(err))
    assert (str(again), again.term, again.epoch, again.step) == (str(err), "kl", 3, 7)
    assert isinstance(again, FloatingPointError)


# ---------------------------------------------------------------- zero steps

@pytest.mark.parametrize("loader", [
    DataLoader(TensorDataset(torch.empty(0, 2)), batch_size=4),
    DataLoader(TensorDataset(torch.randn(3, 2)), batch_size=4, drop_last=True),
], ids=["empty", "drop_last"])
def test_a_loader_without_batches_is_an_error(loader):
    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"^train_loader: has no batch"):
        fit(model, lambda m, b: (m(b[0]).sum(), {}), loader, torch.optim.SGD(model.parameters(), lr=0.1),
            1, progress=False)


def test_an_iterable_that_yields_nothing_is_an_error():
    class Nothing:
        def __iter__(self):
            return iter(())

    model = torch.nn.Linear(2, 1)
    with pytest.raises(ValueError, match=r"^train_loader: yielded no batch in epoch 1"):
        fit(model, lambda m, b: (m(b[0]).sum(), {}), Nothing(), torch.optim.SGD(model.parameters(), lr=0.1),
            1, progress=False)
    with pytest.raises(ValueError, match=r"^loader: yielded no batch"):
        evaluate_loss(model, lambda m, b: (m(b[0]).sum(), {}), [])


# ---------------------------------------------------------------- checkpoints

def test_checkpoint_resume_is_bit_identical(tmp_path):
    model_a, train_a, _, opt_a = digits_setup(seed=5, dropout=0.2)
    straight = fit(model_a, classification_loss, train_a, opt_a, epochs=4, progress=False)

    model_b, train_b, _, opt_b = digits_setup(seed=5, dropout=0.2)
    ckpt = tmp_path / "run.pt"
    fit(model_b, classification_loss, train_b, opt_b, epochs=2, progress=False, checkpoint_path=ckpt)

    model_c, train_c, _, opt_c = digits_setup(seed=99, dropout=0.2)  # different state everywhere
    torch.rand(7)  # disturb the global generator too
    history = fit(model_c, classification_loss, train_c, opt_c, epochs=4, progress=False,
                  resume_from=ckpt)
    assert [row["epoch"] for row in history] == [1, 2, 3, 4]
    assert without_seconds(history) == without_seconds(straight)
    for pa, pc in zip(model_a.parameters(), model_c.parameters(), strict=True):
        assert torch.equal(pa, pc)
    state_a, state_c = opt_a.state_dict()["state"], opt_c.state_dict()["state"]
    for key in state_a:
        assert torch.equal(state_a[key]["exp_avg"], state_c[key]["exp_avg"])


class NoisyNet(torch.nn.Module):
    """A model whose submodule draws noise from a generator it owns."""

    def __init__(self):
        super().__init__()
        self.body = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.Tanh())
        self.noise = torch.nn.Module()
        self.noise.generator = torch.Generator().manual_seed(11)
        self.head = torch.nn.Linear(4, 1)

    def forward(self, x):
        h = self.body(x)
        return self.head(h + torch.randn(h.shape, generator=self.noise.generator))


class NoisyLoss:
    """A loss object that owns generators too: its own and one of a module it holds."""

    def __init__(self):
        self.generator = torch.Generator().manual_seed(12)
        self.jitter = torch.nn.Module()
        self.jitter.generator = torch.Generator().manual_seed(13)

    def __call__(self, model, batch):
        w = torch.rand(len(batch[0]), generator=self.generator)
        y = batch[1] + 0.1 * torch.randn(len(batch[1]), generator=self.jitter.generator)
        loss = (w * (model(batch[0]).squeeze(1) - y).pow(2)).mean()
        return loss, {"w": w.mean()}


class RowsKept(Callback):
    """A callback with state: the training losses it saw, saved in checkpoints."""

    def __init__(self):
        self.rows = []

    def on_epoch_end(self, state):
        self.rows.append(state.history[-1]["train/loss"])

    def state_dict(self):
        return {"rows": list(self.rows)}

    def load_state_dict(self, state):
        self.rows = list(state["rows"])


def test_resume_restores_generators_of_model_and_loss_and_callback_state(tmp_path):
    gen = torch.Generator().manual_seed(0)
    x, y = torch.randn(30, 3, generator=gen), torch.randn(30, generator=gen)

    def run(epochs, **kwargs):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = NoisyNet()
        loader = DataLoader(TensorDataset(x, y), batch_size=8, shuffle=True,
                            generator=torch.Generator().manual_seed(1))
        rec = RowsKept()
        history = fit(model, NoisyLoss(), loader, torch.optim.Adam(model.parameters(), lr=0.01), epochs,
                      callbacks=[rec], progress=False, **kwargs)
        return model, history, rec

    model_a, straight, rec_a = run(4)
    ckpt = tmp_path / "noisy.pt"
    run(2, checkpoint_path=ckpt)
    model_c, resumed, rec_c = run(4, resume_from=ckpt)  # fresh generators, seeded as at the start
    assert without_seconds(resumed) == without_seconds(straight)
    assert torch.equal(flat(model_a), flat(model_c))
    assert rec_c.rows == rec_a.rows and len(rec_c.rows) == 4
    assert sorted(torch.load(ckpt, weights_only=False)["generators"]) == [
        "loss_fn:generator", "loss_fn:jitter.generator", "model:noise.generator"]


def test_resume_restores_the_state_of_a_loss_that_is_a_module(tmp_path):
    class Counting(torch.nn.Module):  # a running mean of the batch losses as a buffer
        def __init__(self):
            super().__init__()
            self.register_buffer("mean", torch.zeros(()))
            self.register_buffer("calls", torch.zeros((), dtype=torch.long))

        def forward(self, model, batch):
            loss = model(batch[0]).pow(2).mean()
            self.calls += 1
            self.mean += (loss.detach() - self.mean) / self.calls
            return loss - 0.5 * self.mean, {"mean": self.mean.clone()}

    data = [(torch.randn(4, 2, generator=torch.Generator().manual_seed(i)),) for i in range(3)]

    def run(epochs, **kwargs):
        with torch.random.fork_rng():
            torch.manual_seed(0)
            model = torch.nn.Linear(2, 1)
        loss = Counting()
        history = fit(model, loss, data, torch.optim.SGD(model.parameters(), lr=0.1), epochs,
                      progress=False, **kwargs)
        return history, loss

    straight, loss_a = run(4)
    run(2, checkpoint_path=tmp_path / "l.pt")
    resumed, loss_c = run(4, resume_from=tmp_path / "l.pt")
    assert without_seconds(resumed) == without_seconds(straight)
    assert int(loss_c.calls) == 12 and torch.equal(loss_c.mean, loss_a.mean)


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
    with pytest.raises(ValueError, match=r"^optimizer: the checkpoint holds one, not \['a'\]"):
        load_checkpoint(path, other, {"a": other_opt})


# ---------------------------------------------------------------- bad arguments

def _linear_setup():
    model = torch.nn.Linear(2, 1)
    return model, [(torch.randn(4, 2),)], torch.optim.SGD(model.parameters(), lr=0.1)


def _mse(model, batch):
    return model(batch[0]).pow(2).mean(), {}


@pytest.mark.parametrize("kwargs, error, pattern", [
    ({"epochs": -1}, ValueError, r"^epochs: expected an integer >= 0"),
    ({"epochs": 1.5}, ValueError, r"^epochs: expected an integer"),
    ({"clip_grad_norm": 0.0}, ValueError, r"^clip_grad_norm: expected a value > 0"),
    ({"scheduler": "step"}, TypeError, r"^scheduler: expected an LR scheduler"),
    ({"callbacks": [object()]}, TypeError, r"^callbacks: a object has none of the hooks"),
    ({"callbacks": Callback()}, TypeError, r"^callbacks: expected a sequence of callbacks"),
])
def test_bad_arguments(kwargs, error, pattern):
    model, data, opt = _linear_setup()
    kwargs = {"epochs": 1, **kwargs}
    with pytest.raises(error, match=pattern):
        fit(model, _mse, data, opt, progress=False, **kwargs)


def test_bad_model_loss_and_optimizers():
    model, data, opt = _linear_setup()
    with pytest.raises(TypeError, match=r"^model: expected a torch.nn.Module"):
        fit(lambda x: x, _mse, data, opt, 1, progress=False)
    with pytest.raises(TypeError, match=r"^loss_fn: expected a callable"):
        fit(model, "mse", data, opt, 1, progress=False)
    with pytest.raises(TypeError, match=r"^optimizer: expected a torch.optim.Optimizer or a dict"):
        fit(model, _mse, data, "adam", 1, progress=False)
    with pytest.raises(ValueError, match=r"^optimizer: the dict of optimizers is empty"):
        fit(model, _mse, data, {}, 1, progress=False)
    with pytest.raises(ValueError, match=r"^optimizer: a parameter belongs to both 'a' and 'b'"):
        fit(model, _mse, data, {"a": opt, "b": torch.optim.SGD(model.parameters(), lr=0.1)}, 1,
            progress=False)
    with pytest.raises(ValueError, match=r"^scheduler: key 'c' names no optimizer"):
        fit(model, _mse, data, {"a": opt}, 1, scheduler={"c": torch.optim.lr_scheduler.StepLR(opt, 1)},
            progress=False)
    with pytest.raises(ValueError, match=r"^loss_fn: with a dict of optimizers it must return a dict"):
        fit(model, _mse, data, {"a": opt}, 1, progress=False)
    with pytest.raises(ValueError, match=r"^loss_fn: returned losses keyed \['b'\], the optimizers are "
                                         r"keyed \['a'\]"):
        fit(model, lambda m, b: ({"b": _mse(m, b)[0]}, {}), data, {"a": opt}, 1, progress=False)
    with pytest.raises(ValueError, match=r"^loss_fn: returned a dict of losses keyed \['a'\]; pass a dict"):
        fit(model, lambda m, b: ({"a": _mse(m, b)[0]}, {}), data, opt, 1, progress=False)
    with pytest.raises(ValueError, match=r"^loss_fn: term 'v' is not a scalar \(shape \(2,\)\)"):
        fit(model, lambda m, b: (_mse(m, b)[0], {"v": torch.ones(2)}), data, opt, 1, progress=False)


def test_unavailable_device_is_a_value_error(monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    model, data, opt = _linear_setup()
    with pytest.raises(ValueError, match=r"^device: 'cuda' was asked for but CUDA is not available"):
        fit(model, _mse, data, opt, 1, device="cuda", progress=False)


def test_evaluate_loss_of_a_model_without_parameters():
    loss = lambda m, b: (m(b[0]).mean(), {})  # noqa: E731
    assert evaluate_loss(torch.nn.Identity(), loss, [(torch.arange(4.0),)], device="cpu") == {"loss": 1.5}
    assert evaluate_loss(torch.nn.Identity(), loss, [(torch.arange(4.0),)])["loss"] == 1.5


# ---------------------------------------------------------------- CUDA

@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")
def test_cuda_steps_do_not_synchronise_and_agree_with_cpu():
    batches = adversarial_data(n=64)
    histories = {}
    for dev in ("cpu", "cuda"):
        model = Adversarial()
        on = [tuple(t.to(dev) for t in b) for b in batches]
        opts = adversarial_optimizers(model.to(dev))

        class NoSync(Callback):  # any host sync inside the steps of an epoch raises
            def on_epoch_start(self, state):
                if state.device.type == "cuda":
                    torch.cuda.set_sync_debug_mode("error")

            def on_step_end(self, state):
                if state.step % state.steps_per_epoch == 0:
                    torch.cuda.set_sync_debug_mode("default")

        try:
            histories[dev] = fit(model, adversarial_loss, on, opts, 3, device=dev, clip_grad_norm=1.0,
                                 callbacks=[NoSync()], progress=False)
        finally:
            torch.cuda.set_sync_debug_mode("default")
    for cpu_row, cuda_row in zip(histories["cpu"], histories["cuda"], strict=True):
        for key in ("train/loss/g", "train/loss/d", "train/gap"):
            assert cuda_row[key] == pytest.approx(cpu_row[key], rel=1e-3, abs=1e-4), key
