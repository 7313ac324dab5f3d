"""The ``infoplane`` command.

``infoplane compare`` is the main job: train one small network on the embedded digits
data and write a figure under the output folder.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def _compare(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    import infoplane as ip
    from infoplane.data import load_digits
    from infoplane.train import fit

    gen = ip.seed_everything(args.seed)
    data = load_digits()
    model = torch.nn.Sequential(torch.nn.Linear(64, 64), torch.nn.ReLU(), torch.nn.Linear(64, 10))

    def loss_fn(model, batch):
        x, y = batch
        logits = model(x)
        loss = torch.nn.functional.cross_entropy(logits, y)
        return loss, {"accuracy": (logits.argmax(1) == y).float().mean()}

    train = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True,
                       generator=gen)
    test = DataLoader(TensorDataset(data.x_test, data.y_test), batch_size=512)
    history = fit(model, loss_fn, train, torch.optim.Adam(model.parameters(), lr=1e-3),
                  epochs=args.epochs, val_loader=test, device=args.device,
                  progress=not args.quiet)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(5, 3.5))
    epochs = [row["epoch"] for row in history]
    for key in ("train/accuracy", "val/accuracy"):
        ax.plot(epochs, [row[key] for row in history], label=key)
    ax.set(xlabel="epoch", ylabel="accuracy", title="MLP on the digits data")
    ax.legend()
    fig.tight_layout()
    path = out / "training_curves.png"
    fig.savefig(path, dpi=120)
    print(f"test accuracy {history[-1]['val/accuracy']:.3f}; wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``infoplane`` console script."""
    parser = argparse.ArgumentParser(prog="infoplane", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser("compare", help="train on digits and plot (the main job)")
    cmp.add_argument("--dataset", default="digits", choices=["digits"])
    cmp.add_argument("--epochs", type=int, default=30)
    cmp.add_argument("--device", default=None)
    cmp.add_argument("--seed", type=int, default=0)
    cmp.add_argument("--out", default="figures")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar")
    args = parser.parse_args(argv)
    return {"compare": _compare}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
