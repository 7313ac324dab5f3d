"""The ``infoplane`` command.

``infoplane compare`` is the main job: train small networks on the embedded
digits data with the IB, DIB, VIB, CEB and IB-INN objectives over grids of trade-off weights,
record information-plane trajectories of the latent Z, and write
``information_plane_comparison.png`` and ``information_plane_comparison.csv`` into the
output folder.

``infoplane sweep`` trains the IB-INN on the digits over a grid of gamma (and seeds),
beside its Table 1 baselines (the feed-forward twin, the class-NLL generative classifier,
the VIB), as independent jobs (:func:`infoplane.sweep.sweep`), and writes
``ibinn_sweep.csv`` and ``ibinn_sweep.png`` (error, calibration, OoD score and bits/dim
against gamma: the paper's Fig. 6), ``ibinn_latent.png`` (the latent mixture in a linear
projection, Fig. 7) and ``ibinn_samples.png`` (class-conditional samples, Fig. 8).

Examples
--------
    infoplane compare --dataset digits --objectives ib,dib,vib --out figures/
    infoplane compare --epochs 5 --grid 0.01,0.1 --objectives ib,vib --quiet
    python -m infoplane compare --estimator kl --records 12   # the k-NN estimate, beside the bound
    infoplane sweep --gammas 0.1,0.3,1,3,10 --seeds 0,1 --n-jobs 2 --cache runs/
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
    "ibinn": ("gamma", "IB-INN: 2/(1+γ)·(L_X/dim X − γ·L_Y), Gaussian-mixture latent"),
}
DEFAULT_GRID = "0.001,0.01,0.03,0.1,0.3"
#: IB-INN's rebalanced gamma = beta / dim X lives on another scale (Ardizzone et al. 2020, Fig. 6).
DEFAULT_IBINN_GRID = "0.1,1,10"


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
    if objective == "ibinn":
        import torch

        from infoplane.inn import IBINN, IBINNLoss

        model = IBINN(64, 10, n_blocks=4, hidden=(64,))
        return model, IBINNLoss(weight, bin_width=1 / 16, generator=torch.Generator().manual_seed(args.seed))
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
    from infoplane.plane import (
        InformationPlane,
        comparison_figure,
        log_spaced_epochs,
        save_table,
    )
    from infoplane.train import fit

    objectives = _parse_list(args.objectives, "--objectives", str)
    unknown = [o for o in objectives if o not in OBJECTIVES]
    if unknown:
        raise SystemExit(f"infoplane compare: error: --objectives: unknown {unknown}; "
                         f"choose from {sorted(OBJECTIVES)}")
    grid = _parse_list(args.grid, "--grid", float)
    if any(g < 0 for g in grid):
        raise SystemExit("infoplane compare: error: --grid: weights must be >= 0")
    ibinn_grid = _parse_list(args.ibinn_grid, "--ibinn-grid", float)
    if any(g < 0 for g in ibinn_grid):
        raise SystemExit("infoplane compare: error: --ibinn-grid: weights must be >= 0")
    if args.epochs < 1:
        raise SystemExit("infoplane compare: error: --epochs: expected at least 1")
    if args.every is not None and args.every < 1:
        raise SystemExit("infoplane compare: error: --every: expected at least 1")
    schedule = None if args.every is not None else log_spaced_epochs(args.epochs, args.records)
    if args.mixture_samples < 1:
        raise SystemExit("infoplane compare: error: --mixture-samples: expected at least 1")
    options = {"binning": {"bin_width": args.bin_width},
               "kde": {"noise_variance": args.kde_variance},
               "mixture": {"samples": args.mixture_samples}}.get(args.estimator, {})
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
        for weight in (ibinn_grid if objective == "ibinn" else grid):
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
                          epochs=args.epochs, device=device, callbacks=[plane], progress=not args.quiet,
                          clip_grad_norm=10.0 if objective == "ibinn" else None)
            train_seconds += sum(row["seconds"] for row in history)
            record_seconds += plane.seconds
            rows.extend(plane.rows)
            last = plane.rows[-1]
            if not args.quiet:
                print(f"{plane.run:>16}: test acc {last['test_accuracy']:.3f}  I(X;Z) {last['i_xz']:6.2f} "
                      f"(<= ln n = {last['h_x']:.2f})  I(Z;Y) {last['i_zy']:5.2f} "
                      f"(<= H[Y] = {last['h_y']:.2f})  H[Z|Y] {last['h_z_given_y']:6.2f} nats")
    table = save_table(rows, out / "information_plane_comparison.csv")
    latent = f"latent Z of {args.latent_dim} dims" + (", IB-INN's of 64" if "ibinn" in objectives else "")
    fig = comparison_figure(rows, objectives,
                            title=f"Information plane of bottleneck objectives on digits ({latent}; nats)")
    figure = out / "information_plane_comparison.png"
    fig.savefig(figure, dpi=args.dpi, bbox_inches="tight")
    plt.close(fig)
    total = time.perf_counter() - started
    n_runs = sum(len(ibinn_grid) if o == "ibinn" else len(grid) for o in objectives)
    print(f"{n_runs} runs in {total:.1f} s on {device} (training {train_seconds:.1f} s, "
          f"information plane {record_seconds:.1f} s = {record_seconds / max(train_seconds, 1e-9):.0%} "
          f"of training); wrote {figure} and {table}")
    return 0


def _ibinn_run(model: str, gamma: float | None, seed: int, epochs: int,
               label_smoothing: float = 0.05) -> dict[str, Any]:
    """One run of ``infoplane sweep``: train ``model`` on the digits, score it on the test set.

    ``label_smoothing`` is that of the IB-INN's L_Y and of the feed-forward twin's
    cross-entropy (the paper's 0.05 by default); class-NLL and VIB have none. Scores: test
    ``error``, calibration errors of the thesis's variant (C.3, bin-centre confidence) ``ece``,
    ``gme``, the C.3 ECE with each bin's mean probability as its confidence ``ece_mean``
    (``metrics.calibration_errors``' ``bin_confidence="mean"``), and, for the generative
    classifiers, ``ood_auc`` (two-tailed test on log q(x) against test digits with noise of
    std 0.1) and ``bits_per_dim`` (of the test set,
    :meth:`~infoplane.inn.IBINN.bits_per_dim`: CI(X, Z_E) per dimension). All fractions,
    bits/dim in bits.
    """
    import torch
    from torch.utils.data import DataLoader, TensorDataset

    from infoplane.bottleneck import VIB, GaussianEncoderClassifier
    from infoplane.data import load_digits
    from infoplane.data.ood import add_noise
    from infoplane.inn import IBINN, ClassifierLoss, FeedForwardClassifier, IBINNLoss, class_nll_loss
    from infoplane.metrics import calibration_errors, p_values, roc_auc
    from infoplane.train import fit

    torch.set_num_threads(1)
    data = load_digits()
    arch = {"n_blocks": 4, "hidden": (64,), "seed": seed}
    if model == "ibinn":
        net: Any = IBINN(64, 10, **arch)
        loss: Any = IBINNLoss(gamma, label_smoothing=label_smoothing, bin_width=1 / 16,
                              generator=torch.Generator().manual_seed(seed + 1))
    elif model == "class_nll":
        net, loss = IBINN(64, 10, **arch), class_nll_loss
    elif model == "feed_forward":
        net, loss = FeedForwardClassifier(64, 10, **arch), ClassifierLoss(label_smoothing)
    else:  # the VIB with Alemi et al.'s beta = 1 / (gamma dim X), the IB's beta = gamma dim X
        net = GaussianEncoderClassifier(64, 10, hidden=(128, 128), latent_dim=16, seed=seed,
                                        sample_at_eval=False,   # its own noise: the same in any worker
                                        generator=torch.Generator().manual_seed(seed + 2))
        loss = VIB(1.0 / (gamma * 64))
    loader = DataLoader(TensorDataset(data.x_train, data.y_train), batch_size=64, shuffle=True,
                        generator=torch.Generator().manual_seed(seed))
    fit(net, loss, loader, torch.optim.Adam(net.parameters(), 1e-3), epochs, device="cpu",
        clip_grad_norm=10.0, progress=False)
    net.eval()
    with torch.no_grad():
        if isinstance(net, IBINN):
            probs = net.predict_proba(data.x_test)
        else:
            out = net(data.x_test)
            probs = torch.softmax(out if isinstance(out, torch.Tensor) else out[0], 1)
        cal = calibration_errors(probs, data.y_test, variant="ibinn")
        row = {"error": float((probs.argmax(1) != data.y_test).float().mean()), "ece": cal.ece,
               "gme": cal.gme,
               "ece_mean": calibration_errors(probs, data.y_test, variant="ibinn", bin_confidence="mean").ece}
        if isinstance(net, IBINN):
            ref = net.log_prob(data.x_train)
            noisy = net.log_prob(add_noise(data.x_test, 0.1, seed=0))
            test = net.log_prob(data.x_test)
            row["ood_auc"] = roc_auc(p_values(ref, test), p_values(ref, noisy), ood_higher=False)
            row["bits_per_dim"] = net.bits_per_dim(data.x_test, torch.Generator().manual_seed(seed + 3))
        if model == "ibinn":   # what Figs. 7 and 8 draw (kept out of the table)
            points, means = net.latent_projection(data.x_test[:400])
            row["figure_latent"] = points.tolist()
            row["figure_labels"] = data.y_test[:400].tolist()
            row["figure_means"] = means.tolist()
            labels = torch.arange(10).repeat_interleave(4)
            samples = net.sample(labels, temperature=0.8, generator=torch.Generator().manual_seed(seed))
            row["figure_samples"] = samples.clamp(0, 1).reshape(10, 4, 8, 8).tolist()
    return row


def _latent_and_sample_figures(rows: list[dict[str, Any]], out: Path, dpi: int) -> list[Path]:
    """Fig. 7 (latent projections) and Fig. 8 (class-conditional samples) of the IB-INN, a column a gamma."""
    import matplotlib.pyplot as plt
    import numpy as np

    runs = sorted((r for r in rows if "figure_latent" in r), key=lambda r: r["gamma"])
    first_seed = min((r["seed"] for r in runs), default=0)
    runs = [r for r in runs if r["seed"] == first_seed]
    if not runs:
        return []
    fig, axes = plt.subplots(1, len(runs), figsize=(4.0 * len(runs), 3.6), squeeze=False)
    for i, (ax, run) in enumerate(zip(axes[0], runs, strict=True)):
        points, means = np.asarray(run["figure_latent"]), np.asarray(run["figure_means"])
        scatter = ax.scatter(points[:, 0], points[:, 1], c=run["figure_labels"], cmap="tab10", vmin=-0.5,
                             vmax=9.5, s=5, alpha=0.7)
        ax.scatter(means[:, 0], means[:, 1], c=range(10), cmap="tab10", vmin=-0.5, vmax=9.5, marker="X",
                   s=70, edgecolors="k")
        ax.set(title=f"gamma = {run['gamma']:g}", xlabel="principal direction 1 of the means",
               ylabel="principal direction 2" if i == 0 else None, aspect="equal")
    fig.colorbar(scatter, ax=axes[0].tolist(), ticks=range(10), label="digit (test set; X = class mean)")
    fig.suptitle(f"IB-INN latent space, linear projection (Fig. 7), seed {first_seed}", fontsize=10)
    latent_path = out / "ibinn_latent.png"
    fig.savefig(latent_path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    fig, axes = plt.subplots(1, len(runs), figsize=(4.0 * len(runs), 2.2), squeeze=False)
    for ax, run in zip(axes[0], runs, strict=True):
        images = np.asarray(run["figure_samples"])                    # (class, sample, 8, 8)
        grid = images.transpose(1, 2, 0, 3).reshape(4 * 8, 10 * 8)   # rows: samples, columns: classes
        ax.imshow(grid, cmap="gray_r", vmin=0, vmax=1)
        ax.set(title=f"gamma = {run['gamma']:g}", xticks=np.arange(10) * 8 + 3.5, xticklabels=range(10),
               yticks=[], xlabel="class y")
    fig.suptitle("IB-INN samples x = g^-1(mu_y + 0.8 eps), four per class (Fig. 8)", fontsize=10, y=1.08)
    samples_path = out / "ibinn_samples.png"
    fig.savefig(samples_path, dpi=dpi, bbox_inches="tight")
    plt.close(fig)
    return [latent_path, samples_path]


def _sweep(args: argparse.Namespace) -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from infoplane.plane import save_table
    from infoplane.sweep import sweep

    gammas = _parse_list(args.gammas, "--gammas", float)
    seeds = _parse_list(args.seeds, "--seeds", int)
    if any(g <= 0 for g in gammas):
        raise SystemExit("infoplane sweep: error: --gammas: expected positive values")
    if not 0.0 <= args.label_smoothing < 1.0:
        raise SystemExit("infoplane sweep: error: --label-smoothing: expected a value in [0, 1)")
    smoothed = {"label_smoothing": args.label_smoothing}
    grid = ([{"model": "ibinn", "gamma": g, "epochs": args.epochs, **smoothed} for g in gammas]
            + [{"model": "vib", "gamma": g, "epochs": args.epochs} for g in gammas]
            + [{"model": "feed_forward", "gamma": None, "epochs": args.epochs, **smoothed},
               {"model": "class_nll", "gamma": None, "epochs": args.epochs}])
    started = time.perf_counter()
    result = sweep(_ibinn_run, grid, seeds=seeds, n_jobs=args.n_jobs, cache_dir=args.cache,
                   progress=not args.quiet)
    for failure in result.failures:
        print(f"failed: {failure.params} seed={failure.seed}: {failure.error}", file=sys.stderr)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    extra = _latent_and_sample_figures(result.rows, out, args.dpi)
    result.rows = [{k: v for k, v in r.items() if not k.startswith("figure_")} for r in result.rows]
    table = save_table(result.rows, out / "ibinn_sweep.csv")
    fig, axes = plt.subplots(1, 4, figsize=(17, 3.6))
    panels = [("error", "test error"), ("gme", "geometric mean of ECE, MCE, ICE (C.3)"),
              ("ood_auc", "OoD ROC-AUC, two-tailed, noisy digits"), ("bits_per_dim", "test bits/dim")]
    for ax, (key, title) in zip(axes, panels, strict=True):
        for model, style in (("ibinn", "o-"), ("vib", "s:")):
            rows = [r for r in result.rows if r["model"] == model and key in r]
            if rows:
                xs = sorted({r["gamma"] for r in rows})
                ys = [sum(r[key] for r in rows if r["gamma"] == g) / sum(r["gamma"] == g for r in rows)
                      for g in xs]
                ax.plot(xs, ys, style, label="IB-INN" if model == "ibinn" else "VIB (beta = 1/(gamma D))")
        for model, color in (("feed_forward", "k"), ("class_nll", "crimson")):
            rows = [r for r in result.rows if r["model"] == model and key in r]
            if rows:
                ax.axhline(sum(r[key] for r in rows) / len(rows), color=color, ls="--", lw=1,
                           label=model.replace("_", "-"))
        ax.set(xscale="log", xlabel="gamma", title=title)
        ax.legend(fontsize=7)
    fig.suptitle(f"IB-INN on the digits, {args.epochs} epochs, seeds {seeds} (means over seeds)", fontsize=10)
    fig.tight_layout()
    figure = out / "ibinn_sweep.png"
    fig.savefig(figure, dpi=args.dpi)
    plt.close(fig)
    print(f"{len(grid) * len(seeds)} runs ({result.cached} from the cache, {len(result.failures)} failed) in "
          f"{time.perf_counter() - started:.1f} s; wrote {figure}, {', '.join(map(str, extra))} and {table}")
    return 1 if result.failures else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``infoplane`` console script."""
    parser = argparse.ArgumentParser(prog="infoplane", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    cmp = sub.add_parser("compare", help="IB, DIB, VIB and CEB on the information plane (the main job)",
                         description="Train one small network family on the digits data with bottleneck "
                                     "objectives over a grid of weights and plot information-plane "
                                     "trajectories of the latent (all quantities in nats).")
    cmp.add_argument("--dataset", default="digits", choices=["digits"])
    cmp.add_argument("--objectives", default="ib,dib,vib,ceb,ibinn",
                     help=f"comma-separated, from {', '.join(OBJECTIVES)} (default: all)")
    cmp.add_argument("--grid", default=DEFAULT_GRID,
                     help="comma-separated trade-off weights: gamma for ib/dib/ceb, beta (Alemi et "
                          f"al.'s) for vib (default {DEFAULT_GRID})")
    cmp.add_argument("--ibinn-grid", default=DEFAULT_IBINN_GRID,
                     help="comma-separated rebalanced gammas (beta / dim X) of ibinn "
                          f"(default {DEFAULT_IBINN_GRID})")
    cmp.add_argument("--epochs", type=int, default=50)
    cmp.add_argument("--estimator", default="mixture",
                     choices=["mixture", "kl", "gaussian", "binning", "kde"],
                     help="mixture: the exact Gaussian mixture of each model's declared noise, bounded by "
                          "ln n and H[Y] (default); kl: Kozachenko-Leonenko entropies (can exceed ln n); "
                          "gaussian: log-det bounds; binning; kde: pairwise-distance mixture bound")
    cmp.add_argument("--mixture-samples", type=int, default=5,
                     help="Monte Carlo samples per evaluation input of --estimator mixture (default 5)")
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
    swp = sub.add_parser("sweep", help="the IB-INN over a grid of gamma beside its baselines (Fig. 6)",
                         description="Train the IB-INN on the digits over a grid of gamma and seeds, with "
                                     "the feed-forward twin, class-NLL and VIB, as independent jobs; "
                                     "write a table and the Fig. 6 panels.")
    swp.add_argument("--gammas", default="0.1,0.3,1,3,10", help="comma-separated gammas (beta / dim X)")
    swp.add_argument("--seeds", default="0", help="comma-separated seeds")
    swp.add_argument("--epochs", type=int, default=25)
    swp.add_argument("--label-smoothing", type=float, default=0.05,
                     help="label smoothing of the IB-INN's L_Y and the twin's cross-entropy (paper: 0.05)")
    swp.add_argument("--n-jobs", type=int, default=2, help="parallel processes (joblib)")
    swp.add_argument("--cache", default=None, help="folder of finished runs, to resume a sweep")
    swp.add_argument("--dpi", type=int, default=110)
    swp.add_argument("--out", default="figures")
    swp.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    return {"compare": _compare, "sweep": _sweep}[args.command](args)


if __name__ == "__main__":
    sys.exit(main())
