"""The same MLP VAE on binarised MNIST trained by infoplane and by pythae: NLL and time per epoch.

    python benchmarks/bibae.py [--train N] [--test N] [--epochs E] [--samples K] [--repeats R] [--threads T]

Both models: encoder 784-400-(20 means, 20 log-variances), decoder 20-400-784 with a
Bernoulli likelihood, N(0, I) prior, Adam 1e-3, batch 100, the same epochs and data
order; each trained by its own package (infoplane's ``fit`` with the ``vae`` preset,
pythae's ``BaseTrainer``). Scores on the same test images: the importance-sampled
negative log-likelihood with K samples of q(z|x) (nats per image; lower is better) and
the training time per epoch (ratio = pythae / infoplane, above 1 means infoplane is
faster). The two packages train in alternating order (ours first in odd repeats, pythae
first in even ones), each from the same seed in every repeat, after one untimed warm-up
epoch of each, so that drift of the machine falls on both; the table gives the median
seconds per epoch over the repeats, the ratio of the medians and the range of the
per-repeat ratios. Needs ``$INFOPLANE_DATA``
with MNIST and pythae (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import tempfile
import time

import torch
from torch import nn

from infoplane._nn import seeded
from infoplane.bibae import BIBAE, mlp_decoder, mlp_encoder, vae
from infoplane.bibae.evaluation import iwae_bound
from infoplane.data import load_mnist
from infoplane.train import fit

LATENT, HIDDEN = 20, 400


def data(n_train: int, n_test: int) -> tuple[torch.Tensor, torch.Tensor]:
    split = load_mnist()
    gen = torch.Generator().manual_seed(0)
    train = split.x_train[torch.randperm(len(split.x_train), generator=gen)[:n_train]]
    test = split.x_test[:n_test]
    return (train > 0.5).float(), (test > 0.5).float()


def ours(train: torch.Tensor, test: torch.Tensor | None, epochs: int, k: int) -> dict:
    with seeded(0):
        model = BIBAE(mlp_encoder(784, LATENT, (HIDDEN,)), mlp_decoder(LATENT, 784, (HIDDEN,)))
    loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(train), batch_size=100,
                                         shuffle=True, generator=torch.Generator().manual_seed(0))
    loss = vae(likelihood="bernoulli", generator=torch.Generator().manual_seed(1))   # its own noise
    started = time.perf_counter()
    fit(model, loss, loader, torch.optim.Adam(model.parameters(), 1e-3), epochs,
        device="cpu", progress=False)
    seconds = (time.perf_counter() - started) / epochs
    if test is None:
        return {"seconds_per_epoch": seconds}
    model.eval()
    nll = -float(torch.stack([iwae_bound(model, test[i:i + 50], k=k, likelihood="bernoulli",
                                         generator=torch.Generator().manual_seed(i))
                              for i in range(0, len(test), 50)]).mean())
    return {"nll": nll, "seconds_per_epoch": seconds}


def peer(train: torch.Tensor, test: torch.Tensor | None, epochs: int, k: int) -> dict | None:
    try:
        import logging

        logging.getLogger("pythae").setLevel(logging.WARNING)
        from pythae.data.datasets import BaseDataset
        from pythae.models import VAE, VAEConfig
        from pythae.models.base.base_utils import ModelOutput
        from pythae.models.nn import BaseDecoder, BaseEncoder
        from pythae.trainers import BaseTrainer, BaseTrainerConfig
    except ImportError:
        return None

    class Encoder(BaseEncoder):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Flatten(), nn.Linear(784, HIDDEN), nn.ReLU(),
                                     nn.Linear(HIDDEN, 2 * LATENT))

        def forward(self, x):
            out = self.net(x)
            return ModelOutput(embedding=out[:, :LATENT], log_covariance=out[:, LATENT:])

    class Decoder(BaseDecoder):
        def __init__(self) -> None:
            super().__init__()
            self.net = nn.Sequential(nn.Linear(LATENT, HIDDEN), nn.ReLU(), nn.Linear(HIDDEN, 784))

        def forward(self, z):
            return ModelOutput(reconstruction=torch.sigmoid(self.net(z)).reshape(-1, 1, 28, 28))

    torch.manual_seed(0)
    config = VAEConfig(input_dim=(1, 28, 28), latent_dim=LATENT, reconstruction_loss="bce")
    model = VAE(config, encoder=Encoder(), decoder=Decoder())
    with tempfile.TemporaryDirectory() as out:
        training = BaseTrainerConfig(output_dir=out, num_epochs=epochs, learning_rate=1e-3,
                                     per_device_train_batch_size=100, no_cuda=True, seed=0)
        images = train.reshape(-1, 1, 28, 28)
        trainer = BaseTrainer(model, train_dataset=BaseDataset(images, torch.zeros(len(images))),
                              training_config=training)
        started = time.perf_counter()
        trainer.train()
        seconds = (time.perf_counter() - started) / epochs
    if test is None:
        return {"seconds_per_epoch": seconds}
    model.eval()
    torch.manual_seed(0)
    # pythae's get_nll returns the mean importance-sampled log-likelihood (its sign despite the name)
    nll = -float(model.get_nll(test.reshape(-1, 1, 28, 28), n_samples=k, batch_size=k))
    return {"nll": nll, "seconds_per_epoch": seconds}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", type=int, default=20_000)
    parser.add_argument("--test", type=int, default=500)
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    if not os.environ.get("INFOPLANE_DATA"):
        print("skipped: set INFOPLANE_DATA to a folder with MNIST")
        return
    torch.set_num_threads(args.threads)
    train, test = data(args.train, args.test)
    for run in (ours, peer):   # warm-up, not timed: the first run in a process pays for thread pools
        run(train[:1000], None, 1, args.samples)
    mine, theirs = ours(train, test, args.epochs, args.samples), peer(train, test, args.epochs, args.samples)
    times = {"infoplane": [mine["seconds_per_epoch"]], "pythae": []}
    if theirs is not None:
        times["pythae"].append(theirs["seconds_per_epoch"])
        for r in range(1, args.repeats):   # alternate the order; scores only from the first pair
            order = (("pythae", peer), ("infoplane", ours))
            for name, run in order if r % 2 else order[::-1]:
                times[name].append(run(train, None, args.epochs, args.samples)["seconds_per_epoch"])
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, torch {torch.__version__}, "
          f"{args.threads} threads; binarised MNIST, {args.train} training and {args.test} test images, "
          f"{args.epochs} epochs, K = {args.samples}, {len(times['infoplane'])} repeats\n")
    print("| package | NLL nats (IWAE) | median s per epoch [range] | ratio (pythae / infoplane): "
          "of the medians [range over repeats] |")
    print("| --- | --- | --- | --- |")
    print(f"| infoplane | {mine['nll']:.2f} | {_spread(times['infoplane'])} | 1.00 |")
    if theirs is None:
        print("| pythae | (not installed: pip install pythae) | - | - |")
        return
    ratios = [p / o for p, o in zip(times["pythae"], times["infoplane"], strict=True)]
    ratio = statistics.median(times["pythae"]) / statistics.median(times["infoplane"])
    print(f"| pythae | {theirs['nll']:.2f} | {_spread(times['pythae'])} "
          f"| {ratio:.2f} [{min(ratios):.2f}-{max(ratios):.2f}] |")
    print(f"\nNLL difference (infoplane - pythae): {mine['nll'] - theirs['nll']:+.2f} nats")


def _spread(seconds: list[float]) -> str:
    return f"{statistics.median(seconds):.3f} [{min(seconds):.3f}-{max(seconds):.3f}]"


if __name__ == "__main__":
    main()
