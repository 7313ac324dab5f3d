"""The convolutional IB-INN on MNIST at gamma = 1 beside its feed-forward twin: error, bits/dim, ECE, OoD.

    INFOPLANE_DATA=... python benchmarks/ibinn_mnist.py [--epochs 3] [--device cpu|cuda]
        [--threads 2] [--train N] [--test N] [--models ibinn,twin] [--milestones 20,27]
        [--checkpoint-dir DIR] [--minutes M] [--out results.json]

Issue 13's MNIST check (targets: test error <= 1.5 %, bits/dim <= 1.3). Both models are
built with the same arguments (``IBINN((1, 28, 28), 10)`` and
``FeedForwardClassifier((1, 28, 28), 10)``: Haar to 4x14x14, two convolutional couplings
of width 32, Haar to 16x7x7, two of width 64, flatten, eight fully connected couplings of
(256, 256); the twin replaces every coupling by a residual block of the same widths), seed
0, and trained the same way: Adam (learning rate ``--lr``, default 5e-4), batch 64 (``--batch``),
gradient norm clipped at 10, label smoothing 0.05, the IB-INN with ``IBINNLoss(gamma=1)``
(input noise sigma = 1e-3, eq. 4-5), the twin with ``ClassifierLoss`` (cross-entropy);
``--milestones`` divides the learning rate by 10 after each listed epoch (none by default).
``--conv-blocks 4,8 --conv-hidden 64,128`` builds both models deeper and wider than the
defaults (``conv_blocks``, ``conv_hidden`` of ``IBINN``), for a GPU with time to spare;
``--clamp`` sets the IB-INN couplings' soft clamp (default 1, ``IBINN``'s; the twin has none);
``--stretch S`` puts ``AsinhStretch(scale=S)`` of [0, 1] in front of both models (``IBINN``'s
``stretch``; none by default; 1e-3 = sigma is what the README's best run uses).

After every epoch one line is printed: the training terms and, on the first 2000 test
images, the loss's own terms (the IB-INN's bits/dim and accuracy; the twin's accuracy).
They only show how training goes; nothing is selected on them, and the table reports the
model after the last epoch. With ``--checkpoint-dir`` each model is checkpointed after every
epoch (``train.fit``'s checkpoints) and a rerun resumes where it stopped. ``--minutes``
caps each model's training time: training ends after the first epoch that leaves less
than one more epoch's time (the epochs done are printed in the table), which lets a
GPU check of unknown speed fit its time slot.

Scores on the MNIST test images: error (%), bits/dim of the IB-INN as ``IBINN.bits_per_dim``
(CI(X, Z_E) per dimension: L_X on x + eps less the noise entropy, Proposition 3; an upper
bound on I(X, X + E), within the overlap terms of H(X) of the 8-bit pixels, which are multiples
of 1/256 in ``mnist.pkl.gz``), the discrete test images' own bits/dim, -log2 P(x) / 784 with
P(x) the model's mass in the pixel's bin of 1/256 (``bits_per_dim_discrete``: the
importance-weighted dequantisation bound of ``metrics.discrete_bits_per_dim``, 16 uniform
draws in the bin; an upper bound for any model, tighter than Glow's one-draw bound of the same
quantity; ``bits_per_dim_discrete_normal``: the same bound with 16 draws from N(0, sigma^2)
truncated to the bin, both bounds, the lower the tighter: uniform draws were on a 4-epoch
checkpoint of the default model, normal ones are for a model that concentrates its mass near
the pixel values, as the stretched one does), and the density read at the grid points with bin width 1/256
(``bits_per_dim_at_grid``: no bound for a model trained on noise below the bin width, shown
to say why it is not the figure), calibration in both variants (thesis C.3 bins over all
class probabilities, "ibinn", also with each bin's mean probability as its confidence,
``bin_confidence="mean"``, and the standard top-label ECE with 15 uniform bins, each beside
its floor, ``metrics.calibration_floor`` over 50 label draws: what a perfectly calibrated model
with the same predictions would score on these test images), and for
the IB-INN the OoD ROC-AUC (%) of the two-tailed test on log q(x) (reference: 10 000
training images) against four sets: test images with Gaussian noise of std 0.1, inverted,
rotated by 90 degrees, and the digits of ``load_digits`` upsampled to 28x28 (the
cross-dataset pair).

Time: about 160 s per epoch for each model with one torch thread on a shared 2-core CPU
(2026-12-02), so the CPU run affords a few epochs; the epochs used are printed with the
results. On a GPU pass ``--device cuda --epochs 30`` (the script is the same).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import torch
from torch.utils.data import DataLoader, TensorDataset

from infoplane.data import load_digits, load_mnist
from infoplane.data.ood import digits_as_mnist, ood_sets
from infoplane.inn import IBINN, ClassifierLoss, FeedForwardClassifier, IBINNLoss
from infoplane.metrics import (
    bits_per_dim,
    calibration_errors,
    calibration_floor,
    discrete_bits_per_dim,
    p_values,
    roc_auc,
)
from infoplane.train import Callback, FitState, fit

SHAPE = (1, 28, 28)


def _batched(fn, x: torch.Tensor, device: torch.device, size: int = 500) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([fn(x[i:i + size].to(device)).cpu() for i in range(0, len(x), size)])


class PrintEpoch(Callback):
    """Print one line per epoch (the history row of :func:`fit`); stop once the time budget is spent."""

    def __init__(self, name: str, minutes: float | None = None) -> None:
        self.name = name
        self.budget = None if minutes is None else 60.0 * minutes
        self.started = time.perf_counter()

    def on_epoch_end(self, state: FitState) -> None:
        row = state.history[-1]
        shown = {k: v for k, v in row.items() if k.startswith(("train/", "val/")) or k in ("lr", "seconds")}
        print(f"{self.name} epoch {row['epoch']}: " + ", ".join(f"{k} {v:.4g}" for k, v in shown.items()),
              flush=True)
        if self.budget is not None:
            spent = time.perf_counter() - self.started
            if spent + spent / len(state.history) > self.budget:
                print(f"{self.name}: stopping after epoch {row['epoch']} (--minutes)", flush=True)
                state.stop = True


def train(name: str, model: torch.nn.Module, loss, data: tuple[torch.Tensor, ...], args: argparse.Namespace,
          device: torch.device) -> tuple[float, list[dict[str, float]]]:
    """Train ``model``; return the mean seconds per epoch and the history."""
    x, y, x_monitor, y_monitor = data
    loader = DataLoader(TensorDataset(x.reshape(-1, *SHAPE), y), batch_size=args.batch, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    monitor = DataLoader(TensorDataset(x_monitor.reshape(-1, *SHAPE), y_monitor), batch_size=500)
    optimizer = torch.optim.Adam(model.parameters(), args.lr)
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, args.milestones, gamma=0.1)
    checkpoint = resume = None
    if args.checkpoint_dir:
        Path(args.checkpoint_dir).mkdir(parents=True, exist_ok=True)
        checkpoint = Path(args.checkpoint_dir) / f"{name}.pt"
        resume = checkpoint if checkpoint.exists() else None
    history = fit(model, loss, loader, optimizer, args.epochs, val_loader=monitor, device=device,
                  scheduler=scheduler, clip_grad_norm=10.0, callbacks=[PrintEpoch(name, args.minutes)],
                  checkpoint_path=checkpoint, resume_from=resume, progress=False)
    model.eval()
    return sum(row["seconds"] for row in history) / len(history), history


def scores(probs: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    ibinn = calibration_errors(probs, labels, variant="ibinn")
    ibinn_mean = calibration_errors(probs, labels, variant="ibinn", bin_confidence="mean")
    top = calibration_errors(probs, labels, variant="top_label", bins=15)
    return {"error_pct": 100 * float((probs.argmax(1) != labels).float().mean()),
            "ece_ibinn_pct": 100 * ibinn.ece, "gme_ibinn_pct": 100 * ibinn.gme,
            "ece_ibinn_mean_pct": 100 * ibinn_mean.ece,   # C.3 bins, each bin's mean probability as P
            "ece_top_label_pct": 100 * top.ece,
            # what a perfectly calibrated model with the same predictions would score here
            "ece_ibinn_floor_pct": 100 * calibration_floor(probs, variant="ibinn", draws=50).ece,
            "ece_ibinn_mean_floor_pct": 100 * calibration_floor(probs, variant="ibinn", bin_confidence="mean",
                                                                draws=50).ece,
            "ece_top_label_floor_pct": 100 * calibration_floor(probs, variant="top_label", bins=15,
                                                               draws=50).ece}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--conv-blocks", default="2,2", help="couplings per convolutional stage")
    parser.add_argument("--conv-hidden", default="32,64", help="subnet width per convolutional stage")
    parser.add_argument("--clamp", type=float, default=1.0, help="IB-INN soft clamp (eq. 3.13)")
    parser.add_argument("--stretch", type=float, default=None, help="scale of the input AsinhStretch")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train", type=int, default=60_000)
    parser.add_argument("--test", type=int, default=10_000)
    parser.add_argument("--models", default="ibinn,twin", help="comma-separated: ibinn, twin")
    parser.add_argument("--milestones", default="", help="comma-separated epochs after which lr /= 10")
    parser.add_argument("--checkpoint-dir", default=None)
    parser.add_argument("--minutes", type=float, default=None, help="training-time cap per model")
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    models = args.models.split(",")
    if not models or not set(models) <= {"ibinn", "twin"}:
        parser.error(f"--models: expected a comma-separated subset of ibinn,twin, got {args.models!r}")
    args.milestones = [int(m) for m in args.milestones.split(",") if m.strip()]
    args.arch = {"conv_blocks": tuple(int(v) for v in args.conv_blocks.split(",")),
                 "conv_hidden": tuple(int(v) for v in args.conv_hidden.split(",")), "stretch": args.stretch}
    if not os.environ.get("INFOPLANE_DATA"):
        print("skipped: set INFOPLANE_DATA to a folder with MNIST")
        return
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    split = load_mnist()
    x, y = split.x_train[:args.train], split.y_train[:args.train]
    x_test, y_test = split.x_test[:args.test], split.y_test[:args.test]
    data = (x, y, x_test[:2000], y_test[:2000])
    rows, histories = {}, {}
    as_images = lambda t: t.reshape(-1, *SHAPE)   # noqa: E731
    names = ["epochs", "error_pct", "bits_per_dim", "bits_per_dim_discrete", "bits_per_dim_discrete_normal",
             "bits_per_dim_at_grid",
             "ece_ibinn_pct", "ece_ibinn_floor_pct", "ece_ibinn_mean_pct", "ece_ibinn_mean_floor_pct",
             "gme_ibinn_pct", "ece_top_label_pct",
             "ece_top_label_floor_pct",
             *[f"ood_auc_{k}_pct" for k in ("noise", "inverted", "rotated", "digits")], "seconds_per_epoch"]
    if "ibinn" in models:
        rows["IB-INN (gamma = 1)"], histories["ibinn"] = ibinn_row(data, x_test, y_test, args, device)
    if "twin" in models:
        twin = FeedForwardClassifier(SHAPE, 10, seed=0, **args.arch)
        seconds, histories["twin"] = train("twin", twin, ClassifierLoss(), data, args, device)
        probs = _batched(lambda t: torch.softmax(twin(as_images(t)), 1), x_test, device)
        rows["feed-forward twin"] = dict(scores(probs, y_test), seconds_per_epoch=seconds,
                                         epochs=len(histories["twin"]))

    print(f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {args.threads} threads, "
          f"{device}; MNIST, {len(x)} training and {len(x_test)} test images, at most {args.epochs} epochs, "
          f"Adam {args.lr} (milestones {args.milestones}), batch {args.batch}, {args.arch}, "
          f"IB-INN clamp {args.clamp}\n")
    print("| model | " + " | ".join(n.replace("_pct", " %").replace("_", " ") for n in names) + " |")
    print("| --- |" + " --- |" * len(names))
    for model, row in rows.items():
        cells = ("-" if n not in row else f"{row[n]}" if n == "epochs" else f"{row[n]:.2f}" for n in names)
        print(f"| {model} | " + " | ".join(cells) + " |")
    if args.out:
        Path(args.out).write_text(json.dumps({"epochs": args.epochs, "milestones": args.milestones,
                                              "rows": rows, "histories": histories}, indent=2))


def ibinn_row(data, x_test, y_test, args, device) -> tuple[dict[str, float], list[dict[str, float]]]:
    """Train the IB-INN at gamma = 1 and score it: error, bits/dim, calibration, OoD AUCs."""
    x = data[0]
    as_images = lambda t: t.reshape(-1, *SHAPE)   # noqa: E731
    ibinn = IBINN(SHAPE, 10, seed=0, clamp=args.clamp, **args.arch)
    loss = IBINNLoss(gamma=1.0, bin_width=1 / 256, generator=torch.Generator(device).manual_seed(1))
    seconds, history = train("ibinn", ibinn, loss, data, args, device)
    log_q = _batched(lambda t: ibinn.log_prob(as_images(t)), x_test, device)
    row = scores(_batched(lambda t: ibinn.predict_proba(as_images(t)), x_test, device), y_test)
    row["bits_per_dim"] = ibinn.bits_per_dim(x_test.reshape(-1, *SHAPE).to(device),
                                             torch.Generator(device).manual_seed(2))
    proposals = (("bits_per_dim_discrete", None), ("bits_per_dim_discrete_normal", ibinn.sigma))
    for column, proposal_std in proposals:
        discrete = discrete_bits_per_dim(lambda t: ibinn.log_prob(as_images(t)), x_test.to(device), 1 / 256,
                                         draws=16, noise_std=proposal_std,
                                         generator=torch.Generator(device).manual_seed(4))
        row[column], row[f"{column}_stderr"] = discrete.bits_per_dim, discrete.stderr
    row["bits_per_dim_at_grid"] = float(bits_per_dim(-log_q.mean(), 784, bin_width=1 / 256))
    reference = _batched(lambda t: ibinn.log_prob(as_images(t)), x[:10_000], device)
    test_p = p_values(reference, log_q)
    ood = ood_sets(x_test, (28, 28), noise_std=0.1, seed=0)
    ood["digits"] = digits_as_mnist(load_digits().x_test)
    for name, images in ood.items():
        ood_log_q = _batched(lambda t: ibinn.log_prob(as_images(t)), images, device)
        row[f"ood_auc_{name}_pct"] = 100 * roc_auc(test_p, p_values(reference, ood_log_q), ood_higher=False)
    row["seconds_per_epoch"] = seconds
    row["epochs"] = len(history)
    return row, history


if __name__ == "__main__":
    main()
