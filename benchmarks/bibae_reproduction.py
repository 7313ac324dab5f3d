"""pythae's VAE reproduction on binarised MNIST, trained by infoplane: the NLL beside 89.78 nats.

    INFOPLANE_DATA=... python benchmarks/bibae_reproduction.py [--epochs 500] [--threads 2]
        [--device cpu|cuda] [--rounds 5] [--out results.json]

pythae's reproducibility table (``examples/scripts/reproducibility/vae.py`` of
clementchadebec/benchmark_VAE) lists its VAE on binary MNIST at 89.78 (0.01) nats of NLL
with 200 importance samples, against 89.9 in Rezende & Mohamed (2015, Table 2, the VAE
without flows). Their setup, which this script follows: encoder 784-400-(40 means,
40 log-variances) with ReLU, decoder 40-400-784 with ReLU and a Bernoulli likelihood,
N(0, I) prior; 50 000 training images, batch 100, Adam with learning rate 1e-4 for 500
epochs, multiplied by 10^(-1/5) at epochs 200 and 350; the model with the lowest
validation loss (10 000 validation images) is kept; the NLL is the mean over the 10 000
test images of the importance-sampled bound with K = 200, over 5 rounds (mean and standard
deviation). It is an MLP, not a convolutional model.

One difference is stated, not hidden: pythae trains on Larochelle's fixed binarisation
of MNIST (``binarized_mnist_*.amat``, one Bernoulli draw per pixel); we have the grey
images of ``mnist.pkl.gz`` (same 50 000 / 10 000 / 10 000 split) and draw one Bernoulli
binarisation from them with a fixed seed: the same construction, not the same draw.
So the figures agree only to within what a different draw of the binarisation moves
them (a few tenths of a nat is expected, not measured here).

At 500 epochs this is about 40 minutes on two CPU cores; ``--epochs`` shortens the
schedule proportionally (milestones at 40 % and 70 % of the epochs).
"""

from __future__ import annotations

import argparse
import copy
import gzip
import json
import math
import os
import pickle
import platform
import statistics
import time
from pathlib import Path

import torch

from infoplane._nn import seeded
from infoplane.bibae import BIBAE, mlp_decoder, mlp_encoder, vae
from infoplane.bibae.evaluation import iwae_bound
from infoplane.train import Callback, FitState, evaluate_loss, fit

LATENT, HIDDEN, PYTHAE_NLL, PAPER_NLL = 40, 400, 89.78, 89.9


def binarised_mnist(folder: str | os.PathLike) -> dict[str, torch.Tensor]:
    """The three parts of ``mnist.pkl.gz``, each binarised once by Bernoulli draws (seed 0)."""
    with gzip.open(Path(folder) / "mnist.pkl.gz", "rb") as f:
        parts = pickle.load(f, encoding="latin1")
    gen = torch.Generator().manual_seed(0)
    out = {}
    for name, (images, _) in zip(("train", "valid", "test"), parts, strict=True):
        grey = torch.as_tensor(images, dtype=torch.float32)
        out[name] = torch.bernoulli(grey, generator=gen)
    return out


class KeepBest(Callback):
    """Keeps the weights of the epoch with the lowest validation loss (pythae's ``final_model``)."""

    def __init__(self) -> None:
        self.best, self.epoch, self.state = math.inf, 0, None

    def on_epoch_end(self, state: FitState) -> None:
        loss = state.history[-1]["val/loss"]
        if loss < self.best:
            self.best, self.epoch = loss, state.epoch
            self.state = copy.deepcopy(state.model.state_dict())


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--epochs", type=int, default=500)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--out", default=None)
    args = parser.parse_args()
    folder = os.environ.get("INFOPLANE_DATA")
    if not folder or not (Path(folder) / "mnist.pkl.gz").exists():
        print("skipped: set INFOPLANE_DATA to a folder with mnist.pkl.gz")
        return
    torch.set_num_threads(args.threads)
    device = torch.device(args.device)
    data = binarised_mnist(folder)
    with seeded(123):
        model = BIBAE(mlp_encoder(784, LATENT, (HIDDEN,)), mlp_decoder(LATENT, 784, (HIDDEN,)))
    loss = vae(likelihood="bernoulli", generator=torch.Generator(device).manual_seed(1))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data["train"].to(device)),
                                         batch_size=100, shuffle=True,
                                         generator=torch.Generator().manual_seed(0))
    valid = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(data["valid"].to(device)),
                                        batch_size=1000)
    optimizer = torch.optim.Adam(model.parameters(), 1e-4)
    milestones = [round(0.4 * args.epochs), round(0.7 * args.epochs)]
    scheduler = torch.optim.lr_scheduler.MultiStepLR(optimizer, milestones, gamma=10 ** (-1 / 5))
    best = KeepBest()
    started = time.perf_counter()
    fit(model, loss, loader, optimizer, args.epochs, val_loader=valid, device=device, scheduler=scheduler,
        callbacks=[best], progress=False)
    train_seconds = time.perf_counter() - started
    model.load_state_dict(best.state)
    model.eval()
    test = data["test"].to(device)
    rounds = []
    for r in range(args.rounds):
        gen = torch.Generator(device).manual_seed(100 + r)
        bounds = [iwae_bound(model, test[i:i + 100], k=args.samples, likelihood="bernoulli", generator=gen)
                  for i in range(0, len(test), 100)]
        rounds.append(-float(torch.stack(bounds).mean()))
    neg_elbo = float(evaluate_loss(model, loss, torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(test), batch_size=1000), device=device)["loss"])
    result = {"epochs": args.epochs, "best_epoch": best.epoch, "train_seconds": train_seconds,
              "nll_mean": statistics.mean(rounds), "nll_std": statistics.pstdev(rounds), "rounds": rounds,
              "test_negative_elbo": neg_elbo, "device": str(device), "threads": args.threads,
              "machine": f"{platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}"}
    print(f"{result['machine']}, {args.threads} threads, {device}; {args.epochs} epochs "
          f"({train_seconds / 60:.1f} min), best validation epoch {best.epoch}\n")
    print(f"| package | NLL nats (K = {args.samples}, {args.rounds} rounds) | test -ELBO nats |")
    print("| --- | --- | --- |")
    nll = f"{result['nll_mean']:.2f} ({result['nll_std']:.2f})"
    print(f"| infoplane (`vae()`, `fit`) | {nll} | {neg_elbo:.2f} |")
    print(f"| pythae, its reproducibility table | {PYTHAE_NLL} (0.01) | - |")
    print(f"| Rezende & Mohamed 2015, VAE | {PAPER_NLL} | - |")
    if args.out:
        Path(args.out).write_text(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
