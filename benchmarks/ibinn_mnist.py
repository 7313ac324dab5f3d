"""The convolutional IB-INN on MNIST at gamma = 1 beside its feed-forward twin: error, bits/dim, ECE, OoD.

    INFOPLANE_DATA=... python benchmarks/ibinn_mnist.py [--epochs 3] [--device cpu|cuda]
        [--threads 2] [--train N] [--test N] [--out results.json]

Issue 13's MNIST check (targets: test error <= 1.5 %, bits/dim <= 1.3). Both models are
built with the same arguments (``IBINN((1, 28, 28), 10)`` and
``FeedForwardClassifier((1, 28, 28), 10)``: Haar to 4x14x14, two convolutional couplings
of width 32, Haar to 16x7x7, two of width 64, flatten, eight fully connected couplings of
(256, 256); the twin replaces every coupling by a residual block of the same widths), seed
0, and trained the same way: Adam (learning rate ``--lr``, default 5e-4), batch 64,
gradient norm clipped at 10, label smoothing 0.05, the IB-INN with ``IBINNLoss(gamma=1)``
(input noise sigma = 1e-3, eq. 4-5), the twin with ``ClassifierLoss`` (cross-entropy).

Scores on the MNIST test images: error (%), bits/dim of the IB-INN (bin width 1/256: the
pixels of ``mnist.pkl.gz`` are multiples of 1/256; the rescaling Jacobian included),
calibration in both variants (thesis C.3 bins over all class probabilities, "ibinn", and
the standard top-label ECE with 15 uniform bins), and for the IB-INN the OoD ROC-AUC (%)
of the two-tailed test on log q(x) (reference: 10 000 training images) against four sets:
test images with Gaussian noise of std 0.1, inverted, rotated by 90 degrees, and the
digits of ``load_digits`` upsampled to 28x28 (the cross-dataset pair).

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
from infoplane.metrics import bits_per_dim, calibration_errors, p_values, roc_auc
from infoplane.train import fit

SHAPE = (1, 28, 28)


def _batched(fn, x: torch.Tensor, device: torch.device, size: int = 500) -> torch.Tensor:
    with torch.no_grad():
        return torch.cat([fn(x[i:i + size].to(device)).cpu() for i in range(0, len(x), size)])


def train(model: torch.nn.Module, loss, x: torch.Tensor, y: torch.Tensor, args: argparse.Namespace,
          device: torch.device) -> float:
    loader = DataLoader(TensorDataset(x.reshape(-1, *SHAPE), y), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(0))
    started = time.perf_counter()
    fit(model, loss, loader, torch.optim.Adam(model.parameters(), args.lr), args.epochs, device=device,
        clip_grad_norm=10.0, progress=False)
    model.eval()
    return (time.perf_counter() - started) / args.epochs


def scores(probs: torch.Tensor, labels: torch.Tensor) -> dict[str, float]:
    ibinn = calibration_errors(probs, labels, variant="ibinn")
    top = calibration_errors(probs, labels, variant="top_label", bins=15)
    return {"error_pct": 100 * float((probs.argmax(1) != labels).float().mean()),
            "ece_ibinn_pct": 100 * ibinn.ece, "gme_ibinn_pct": 100 * ibinn.gme,
            "ece_top_label_pct": 100 * top.ece}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train", type=int, default=60_000)
    parser.add_argument("--test", type=int, default=10_000)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    if not os.environ.get("INFOPLANE_DATA"):
        print("skipped: set INFOPLANE_DATA to a folder with MNIST")
        return
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    split = load_mnist()
    x, y = split.x_train[:args.train], split.y_train[:args.train]
    x_test, y_test = split.x_test[:args.test], split.y_test[:args.test]
    rows = {}

    ibinn = IBINN(SHAPE, 10, seed=0)
    loss = IBINNLoss(gamma=1.0, bin_width=1 / 256, generator=torch.Generator(device).manual_seed(1))
    seconds = train(ibinn, loss, x, y, args, device)
    as_images = lambda t: t.reshape(-1, *SHAPE)   # noqa: E731
    log_q = _batched(lambda t: ibinn.log_prob(as_images(t)), x_test, device)
    row = scores(_batched(lambda t: ibinn.predict_proba(as_images(t)), x_test, device), y_test)
    row["bits_per_dim"] = float(bits_per_dim(-log_q.mean(), 784, bin_width=1 / 256))
    reference = _batched(lambda t: ibinn.log_prob(as_images(t)), x[:10_000], device)
    test_p = p_values(reference, log_q)
    ood = ood_sets(x_test, (28, 28), noise_std=0.1, seed=0)
    ood["digits"] = digits_as_mnist(load_digits().x_test)
    for name, images in ood.items():
        ood_log_q = _batched(lambda t: ibinn.log_prob(as_images(t)), images, device)
        row[f"ood_auc_{name}_pct"] = 100 * roc_auc(test_p, p_values(reference, ood_log_q), ood_higher=False)
    row["seconds_per_epoch"] = seconds
    rows["IB-INN (gamma = 1)"] = row

    twin = FeedForwardClassifier(SHAPE, 10, seed=0)
    seconds = train(twin, ClassifierLoss(), x, y, args, device)
    probs = _batched(lambda t: torch.softmax(twin(as_images(t)), 1), x_test, device)
    rows["feed-forward twin"] = dict(scores(probs, y_test), seconds_per_epoch=seconds)

    print(f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, {args.threads} threads, "
          f"{device}; MNIST, {len(x)} training and {len(x_test)} test images, {args.epochs} epochs, "
          f"Adam {args.lr}, batch 64\n")
    names = ["error_pct", "bits_per_dim", "ece_ibinn_pct", "gme_ibinn_pct", "ece_top_label_pct",
             *[f"ood_auc_{k}_pct" for k in ood], "seconds_per_epoch"]
    print("| model | " + " | ".join(n.replace("_pct", " %").replace("_", " ") for n in names) + " |")
    print("| --- |" + " --- |" * len(names))
    for model, row in rows.items():
        print(f"| {model} | " + " | ".join(f"{row[n]:.2f}" if n in row else "-" for n in names) + " |")
    if args.out:
        Path(args.out).write_text(json.dumps({"epochs": args.epochs, "rows": rows}, indent=2))


if __name__ == "__main__":
    main()
