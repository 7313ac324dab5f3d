"""The ``infoplane`` command.

``infoplane compare`` is the main job: train one small network family on the embedded
digits data with the IB, DIB, VIB and CEB objectives over a grid of trade-off weights,
record information-plane trajectories of the latent Z, and write
``information_plane_comparison.png`` and ``information_plane_comparison.csv`` into the
output folder.

Examples
--------
    infoplane compare --dataset digits --objectives ib,dib,vib --out figures/
    infoplane compare --epochs 5 --grid 0.01,0.1 --objectives ib,vib --quiet
    python -m infoplane compare --estimator kl --records 12
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

if TYPE_CHECKING:
    from torch import nn

T = TypeVar("T")

#: Objectives of ``infoplane compare`` and the name of their trade-off weight.
OBJECTIVES = {
    "ib": ("gamma", "surrogate IB: H_θ[Y|Z] + γ·log Var[Z|Y], zero-entropy noise"),
    "dib": ("gamma", "surrogate DIB: H_θ[Y|Z] + γ·log Var[Z], zero-entropy noise"),
    "vib": ("beta", "VIB: H_θ[Y|Z] + β·KL(e(z|x) || N(0, I))"),
    "ceb": ("gamma", "CEB: H_θ[Y|Z] + γ·KL(e(z|x) || b(z|y))"),
}
DEFAULT_GRID = "0.001,0.01,0.03,0.1,0.3"


def _parse_list(text: str, name: str, convert: Callable[[str], T]) -> list[T]:
    try:
        values = [convert(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        raise SystemExit(f"infoplane compare: error: {name}: could not parse {text!r}") from None
    if not values:
        raise SystemExit(f"infoplane compare: error: {name}: expected a comma-separated list")
    return values


def _build(objective: str, weight: float, args: argparse.Namespace) -> tuple[nn.Module, Any]:
    """The model and loss of one run (one objective, one weight)."""
    from infoplane.bottleneck import (
        CEB,
        VIB,
        GaussianEncoderClassifier,
        NoisyBottleneckClassifier,
        SurrogateDIB,
        SurrogateIB,
    )

    hidden = tuple(args.hidden)
    if objective in ("ib", "dib"):
        model = NoisyBottleneckClassifier(64, 10, hidden=hidden, latent_dim=args.latent_dim)
        loss = SurrogateIB(weight) if objective == "ib" else SurrogateDIB(weight)
    else:
        model = GaussianEncoderClassifier(64, 10, hidden=hidden, latent_dim=args.latent_dim,
                                          backward_encoder=objective == "ceb")
        loss = VIB(weight) if objective == "vib" else CEB(weight)
    return model, loss


def _compare(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    import infoplane as ip
    from infoplane.data import load_digits
    from infoplane.plane import InformationPlane, comparison_figure, log_spaced_epochs, save_table
    from infoplane.train import fit

    objectives = _parse_list(args.objectives, "--objectives", str)
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown:
        raise SystemExit(f"infoplane compare: error: --objectives: unknown {unknown}; "
                         f"choose from {sorted(OBJECTIVES)}")
    grid = _parse_list(args.grid, "--grid", float)
    if any(g < 0 for g in grid):
        raise SystemExit("infoplane compare: error: --grid: weights must be >= 0")
    if args.epochs < 1:
        raise SystemExit("infoplane compare: error: --epochs: expected at least 1")
    if args.every is not None and args.every < 1:
        raise SystemExit("infoplane compare: error: --every: expected at least 1")
    schedule = None if args.every is not None else log_spaced_epochs(args.epochs, args.records)
    options = {"binning": {"bin_width": args.bin_width},
               "kde": {"noise_variance": args.kde_variance}}.get(args.estimator, {})
    device = ip.device(args.device)
    if device.type == "cpu" and args.threads is not None:
        torch.set_num_threads(args.threads)  # tiny networks: more threads only add overhead
    data = load_digits()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rows: list[dict] = []
    train_seconds = record_seconds = 0.0
    started = time.perf_counter()
    for objective in objectives:
        weight_name = OBJECTIVES[objective][0]
        for weight in grid:
            gen = ip.seed_everything(args.seed)
            model, loss = _build(objective, weight, args)
            model.to(device)
            plane = InformationPlane(
                data.x_train, data.y_train, estimator=args.estimator, every=args.every or 1,
                at_epochs=schedule, estimator_kwargs=options,
                test_data=(data.x_test, data.y_test), max_samples=args.max_samples, seed=args.seed,
                run=f"{objective} {weight_name}={weight:g}",
                params={"objective": objective, weight_name: weight})
            plane.record(model, epoch=0, step=0)
            loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=args.batch_size,
                                shuffle=True, generator=gen)
            history = fit(model, loss, loader, torch.optim.Adam(model.parameters(), lr=args.lr),
                          epochs=args.epochs, device=device, callbacks=[plane], progress=not args.quiet)
            train_seconds += sum(row["seconds"] for row in history)
            record_seconds += plane.seconds
            rows.extend(plane.rows)
            last = plane.rows[-1]
            if not args.quiet:
                print(f"{plane.run:>16}: test acc {last['test_accuracy']:.3f}  I(X;Z) {last['i_xz']:6.2f}  "
                      f"I(Z;Y) {last['i_zy']:5.2f}  H[Z|Y] {last['h_z_given_y']:6.2f} nats")
    table = save_table(rows, out / "information_plane_comparison.csv")
    fig = comparison_figure(rows, objectives)
    fig.suptitle(f"Information plane of bottleneck objectives on digits ({args.estimator} estimator, "
                 f"latent Z of {args.latent_dim} dims, nats)", y=1.0)
    figure = out / "information_plane_comparison.png"
    fig.savefig(figure, dpi=args.dpi, bbox_inches="tight")
    plt.close(fig)
    total = time.perf_counter() - started
    print(f"{len(objectives) * len(grid)} runs in {total:.1f} s on {device} (training {train_seconds:.1f} s, "
          f"information plane {record_seconds:.1f} s = {record_seconds / max(train_seconds, 1e-9):.0%} "
          f"of training); wrote {figure} and {table}")
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``infoplane`` console script."""
    parser = argparse.ArgumentParser(prog="infoplane", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser("compare", help="IB, DIB, VIB and CEB on the information plane (the main job)",
                         description="Train one small network family on the digits data with bottleneck "
                                     "objectives over a grid of weights and plot information-plane "
                                     "trajectories of the latent (all quantities in nats).")
    cmp.add_argument("--dataset", default="digits", choices=["digits"])
    cmp.add_argument("--objectives", default="ib,dib,vib,ceb",
                     help=f"comma-separated, from {', '.join(OBJECTIVES)} (default: all)")
    cmp.add_argument("--grid", default=DEFAULT_GRID,
                     help="comma-separated trade-off weights: gamma for ib/dib/ceb, beta (Alemi et "
                          f"al.'s) for vib (default {DEFAULT_GRID})")
    cmp.add_argument("--epochs", type=int, default=50)
    cmp.add_argument("--estimator", default="kl", choices=["kl", "gaussian", "binning", "kde"],
                     help="kl: Kozachenko-Leonenko entropies (default); gaussian: log-det bounds; "
                          "binning; kde: pairwise-distance mixture bound")
    cmp.add_argument("--records", type=int, default=12,
                     help="information-plane records per run, log-spaced over the epochs (default 12)")
    cmp.add_argument("--bin-width", type=float, default=0.5, help="bin width of --estimator binning")
    cmp.add_argument("--kde-variance", type=float, default=1 / (2 * math.pi * math.e),
                     help="kernel variance of --estimator kde (default 1/(2 pi e): zero-entropy noise)")
    cmp.add_argument("--every", type=int, default=None, help="record every N epochs instead")
    cmp.add_argument("--max-samples", type=int, default=600,
                     help="training images used for the information estimates")
    cmp.add_argument("--latent-dim", type=int, default=4)
    cmp.add_argument("--hidden", type=int, nargs="+", default=[128])
    cmp.add_argument("--batch-size", type=int, default=128)
    cmp.add_argument("--lr", type=float, default=3e-3)
    cmp.add_argument("--dpi", type=int, default=110)
    cmp.add_argument("--device", default=None, help="cpu, cuda, ... (default: infoplane.device())")
    cmp.add_argument("--threads", type=int, default=1,
                     help="torch CPU threads (default 1, fastest for these small networks)")
    cmp.add_argument("--seed", type=int, default=0)
    cmp.add_argument("--out", default="figures")
    cmp.add_argument("--quiet", action="store_true", help="no progress bar or per-run lines")
    args = parser.parse_args(argv)
    return {"compare": _compare}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
