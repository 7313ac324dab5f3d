"""Cost of the information-plane recorder against the training it observes (digits, CPU).

There is no peer package to race here; the question is the overhead. For each
estimator we time one record (600 training images through the network, entropies of
the 4-dim latent and of each class) and one training epoch of the ``infoplane compare``
network (surrogate IB, batch 128), both after a warm-up, with one torch thread.
``overhead`` is the recording time relative to training for 50 epochs with 12
log-spaced records (the ``infoplane compare`` default) and with a record every epoch.

    .venv/bin/python benchmarks/run.py plane
"""

from __future__ import annotations

import warnings

import torch
from _harness import markdown_table, timed
from torch.utils.data import DataLoader, TensorDataset

import infoplane as ip
from infoplane.bottleneck import ZERO_ENTROPY_VARIANCE, NoisyBottleneckClassifier, SurrogateIB
from infoplane.data import load_digits
from infoplane.plane import InformationPlane, log_spaced_epochs
from infoplane.train import fit

OPTIONS = {"binning": {"bin_width": 0.5}, "kde": {"noise_variance": ZERO_ENTROPY_VARIANCE}}


def main() -> None:
    warnings.simplefilter("ignore")
    torch.set_num_threads(1)
    data = load_digits()
    gen = ip.seed_everything(0)
    model = NoisyBottleneckClassifier(64, 10, hidden=(128,), latent_dim=4)
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=128, shuffle=True,
                        generator=gen)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
    # a trained state first, then time single epochs
    fit(model, SurrogateIB(0.03), loader, optimizer, epochs=10, progress=False, device="cpu")
    epoch = timed(lambda: fit(model, SurrogateIB(0.03), loader, optimizer, epochs=1, progress=False,
                              device="cpu"), repeat=5)["median"]
    records = len(log_spaced_epochs(50, 12)) + 1
    rows = []
    for estimator in ("mixture", "gaussian", "kl", "binning", "kde"):
        plane = InformationPlane(data.x_train, data.y_train, estimator=estimator, max_samples=600,
                                 test_data=(data.x_test, data.y_test),
                                 estimator_kwargs=OPTIONS.get(estimator))
        record = timed(lambda plane=plane: plane.record(model), repeat=5)["median"]
        rows.append({"estimator": estimator, "record ms": 1e3 * record, "train epoch ms": 1e3 * epoch,
                     "overhead (12 records / 50 epochs)": f"{records * record / (50 * epoch):.0%}",
                     "overhead (every epoch)": f"{record / epoch:.0%}"})
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
