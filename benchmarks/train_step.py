"""Per-step overhead of ``train.fit`` against the plain PyTorch loop a user would write (CPU).

The peer is the hand-written loop: zero the gradients, backward, step, and log the loss
and every term with ``.item()`` each step, as tutorials do (``plain loop``); ``bare
loop`` logs nothing and is the floor. ``fit`` does more per epoch (the divergence
checks on every logged value, the gradient and the parameters) but reads the logged
values from the device once per epoch instead of once per term and step. Two models:
a tiny linear regression with three logged terms (the loop's overhead dominates) and a
small MLP on digits-sized inputs (64-128-128-10, batch 64). Batches are a
pre-built list, so no DataLoader time is counted; one torch thread; every contender
runs ``EPOCHS`` epochs per timing, interleaved, ``REPEAT`` times after a warm-up, timed
in process CPU seconds (which other programs on a shared machine disturb less than wall
time; with one thread the two agree on a quiet one). The table shows the best and the
median microseconds per step, the spread (interquartile range over the repeats relative
to the median) and the ratio of best times peer / fit (> 1 means fit is faster).

With ``INFOPLANE_BASE`` (default ``/tmp/base``) naming a checkout of an earlier
infoplane, its ``train.fit`` is timed in the same run as ``previous fit``.

    .venv/bin/python benchmarks/run.py train_step
"""

from __future__ import annotations

import importlib.util
import os
import statistics
import sys
import time
from pathlib import Path

import torch
from _harness import markdown_table

from infoplane.train import fit

REPEAT = 21
EPOCHS = 2


def _previous_fit():
    """``fit`` of the checkout named by $INFOPLANE_BASE, imported under another name."""
    path = Path(os.environ.get("INFOPLANE_BASE", "/tmp/base")) / "infoplane" / "train.py"
    if not path.exists():
        return None
    spec = importlib.util.spec_from_file_location("infoplane_previous_train", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module.fit


def _tiny():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(512, 4, generator=gen)
    y = x @ torch.tensor([1.0, -2.0, 0.5, 0.0]) + 0.1 * torch.randn(512, generator=gen)
    batches = [(x[i:i + 8], y[i:i + 8]) for i in range(0, 512, 8)]

    def build():
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return torch.nn.Linear(4, 1)

    def loss_fn(model, batch):
        xb, yb = batch
        err = model(xb).squeeze(1) - yb
        mse = err.pow(2).mean()
        return mse, {"mse": mse.detach(), "mae": err.abs().mean().detach(), "bias": err.mean().detach()}

    return "linear 4-1, batch 8, 3 terms", build, loss_fn, batches


def _mlp():
    gen = torch.Generator().manual_seed(0)
    x = torch.randn(1344, 64, generator=gen)
    y = torch.randint(0, 10, (1344,), generator=gen)
    batches = [(x[i:i + 64], y[i:i + 64]) for i in range(0, 1344, 64)]

    def build():
        with torch.random.fork_rng():
            torch.manual_seed(0)
            return torch.nn.Sequential(torch.nn.Linear(64, 128), torch.nn.ReLU(), torch.nn.Linear(128, 128),
                                       torch.nn.ReLU(), torch.nn.Linear(128, 10))

    def loss_fn(model, batch):
        xb, yb = batch
        logits = model(xb)
        loss = torch.nn.functional.cross_entropy(logits, yb)
        return loss, {"accuracy": (logits.argmax(1) == yb).float().mean()}

    return "MLP 64-128-128-10, batch 64, 1 term", build, loss_fn, batches


def _contenders(loss_fn, batches, previous):
    def plain(model, opt):
        for _ in range(EPOCHS):
            sums, count = {}, 0
            for batch in batches:
                loss, terms = loss_fn(model, batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()
                n = len(batch[0])
                for name, value in {"loss": loss, **terms}.items():
                    sums[name] = sums.get(name, 0.0) + value.item() * n
                count += n
            _ = {name: total / count for name, total in sums.items()}

    def bare(model, opt):
        for _ in range(EPOCHS):
            for batch in batches:
                loss, _ = loss_fn(model, batch)
                opt.zero_grad(set_to_none=True)
                loss.backward()
                opt.step()

    def ours(model, opt):
        fit(model, loss_fn, batches, opt, EPOCHS, device="cpu", progress=False)

    out = {"fit": ours, "plain loop": plain, "bare loop": bare}
    if previous is not None:
        out["previous fit"] = lambda model, opt: previous(model, loss_fn, batches, opt, EPOCHS,
                                                          device="cpu", progress=False)
    return out


def main() -> None:
    torch.set_num_threads(1)
    previous = _previous_fit()
    rows = []
    for name, build, loss_fn, batches in (_tiny(), _mlp()):
        contenders = _contenders(loss_fn, batches, previous)
        times: dict[str, list[float]] = {key: [] for key in contenders}
        for rep in range(REPEAT + 1):  # the first round warms up
            for key, run in contenders.items():
                model = build()
                opt = torch.optim.Adam(model.parameters(), lr=1e-3)
                start = time.process_time()
                run(model, opt)
                if rep:
                    times[key].append((time.process_time() - start) / (EPOCHS * len(batches)))
        fit_best = min(times["fit"])
        for key, ts in times.items():
            q1, med, q3 = statistics.quantiles(ts, n=4)
            rows.append({"model": name, "loop": key, "best us/step": 1e6 * min(ts),
                         "median us/step": 1e6 * med, "IQR / median": f"{(q3 - q1) / med:.0%}",
                         "ratio (peer / fit)": f"{min(ts) / fit_best:.2f}"})
    print(f"torch {torch.__version__}, 1 thread, {EPOCHS} epochs x {REPEAT} repeats, CPU seconds\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
