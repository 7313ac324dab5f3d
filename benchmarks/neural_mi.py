"""Neural MI bounds: infoplane vs torch-mist, same data, same critic size, same run.

    .venv/bin/python benchmarks/neural_mi.py              # full grid (~30-60 min on 2 CPU cores)
    .venv/bin/python benchmarks/neural_mi.py --quick      # small grid (a few minutes)
    .venv/bin/python benchmarks/neural_mi.py --device cuda
    INFOPLANE_BENCH_QUICK=1 .venv/bin/python benchmarks/run.py neural_mi

Tasks with known MI (nats): componentwise-correlated Gaussians with I = 2 (d = 5 and 20
per side) and, on the full grid, the invertible transforms of Czyz et al. (2023, "Beyond
normal", the benchmark-mi tasks, from ``infoplane.data.toys``): half-cube and spiral of a
Gaussian, a Student-t (closed form), asinh of a Student-t. KSG (k = 3, infoplane) on the same samples is the
non-neural reference.

Both packages train the same separable critic, g(x)^T h(y) with g, h: d -> 256 -> 32 (ReLU)
(torch-mist ``hidden_dims=[256, 32]``, ``critic_type="separable"``), with Adam (lr 5e-4),
on the same standardised samples, the same 75/25 train/held-out split and the same
sequence of training batches; every bound uses all n(n - 1) off-diagonal pairs of a batch
as negatives (torch-mist ``neg_samples=-1``; InfoNCE ``neg_samples=0``, the whole batch),
MINE's moving average has momentum 0.9 and SMILE clips at 5. The estimate of each is the
mean of its bound over the disjoint held-out batches (torch-mist's
``mutual_information(x, y)``). ms/step is the wall time of training divided by the steps
(infoplane: ``fit``'s epochs, its NaN checks included; torch-mist: a plain loop of
``loss(x, y)``, backward, step). ratio = torch-mist ms/step / infoplane ms/step (> 1:
infoplane faster).

Both critics are built right after seeding torch's generator with 0, layer by layer in the
same order, so they start from the same weights; with the same batches and optimizer the
two estimates then agree to float rounding (they did, to 3-4 digits, on the quick grid): a
check that both compute the same bounds, MINE's moving average and SMILE's JS training
included. torch-mist's separable critic evaluates the score matrix as an einsum over
broadcast (n, n, 32) embeddings (a batched matrix product of n x n dot products) and
compares its inputs with a cache on every call; infoplane uses one (n, 32) x (32, n)
matrix product, hence most of the ratio.

torch-mist 0.2.17 pins numpy < 2; install it without its dependencies so that numpy
stays: ``pip install --no-deps torch-mist pyro-ppl pyro-api opt_einsum`` (it imports
pandas, scikit-learn and tqdm, already here). Without it the peer columns read "-".
"""

from __future__ import annotations

import os
import platform
import sys
import time
import warnings

import numpy as np
import torch
from _harness import markdown_table

from infoplane.data.toys import correlated_gaussians, correlation_for_mi, half_cube, spiral, student_t_pairs
from infoplane.estimators import SmallSampleWarning, mutual_information
from infoplane.estimators.neural import neural_mutual_information

QUICK = "--quick" in sys.argv or os.environ.get("INFOPLANE_BENCH_QUICK") == "1"
DEVICE = sys.argv[sys.argv.index("--device") + 1] if "--device" in sys.argv else "cpu"
N = 8192 if QUICK else 32_768
BATCH = 256 if QUICK else 512
STEPS = 300 if QUICK else 2000
LR = 5e-4
BOUNDS = ("infonce", "nwj", "mine", "smile")
EVAL_FRACTION = 0.25


# --------------------------------------------------------------------------- tasks

def gaussian(d: int, mi: float) -> tuple[np.ndarray, np.ndarray, float]:
    """N pairs of d-dimensional Gaussians with I(X;Y) = mi nats (seed 0)."""
    return correlated_gaussians(N, d, correlation_for_mi(mi, d), seed=0)


def tasks() -> list[tuple[str, np.ndarray, np.ndarray, float]]:
    out = [("gaussian 5x5", *gaussian(5, 2.0)), ("gaussian 20x20", *gaussian(20, 2.0))]
    if QUICK:
        return out
    x, y, mi = gaussian(3, 1.0)
    out.append(("half-cube 3x3", half_cube(x), half_cube(y), mi))
    out.append(("spiral 3x3", spiral(x), y, mi))
    out.append(("student-t 2x2 (nu=5)", *student_t_pairs(N, 2, 0.8, 5, seed=0)))
    x, y, mi = student_t_pairs(N, 2, 0.8, 2, seed=0)
    out.append(("asinh student-t 2x2 (nu=2)", np.arcsinh(x), np.arcsinh(y), mi))
    return out


# --------------------------------------------------------------------------- the two packages

def ours(x: np.ndarray, y: np.ndarray, bound: str) -> tuple[float, float, int]:
    est = neural_mutual_information(x, y, bound, batch_size=BATCH, steps=STEPS, lr=LR, hidden=(256,),
                                    embed_dim=32, eval_fraction=EVAL_FRACTION, seed=0, device=DEVICE)
    seconds = sum(row["seconds"] for row in est.history)
    return est.mi, 1e3 * seconds / STEPS, sum(p.numel() for p in est.critic.parameters())


def same_batches(x: np.ndarray, y: np.ndarray) -> tuple[torch.Tensor, ...]:
    """Standardised tensors, the 75/25 split and the batch order infoplane uses with seed 0."""
    dev = torch.device(DEVICE)
    xt, yt = (torch.as_tensor(np.asarray(a, dtype=np.float32), device=dev) for a in (x, y))
    xt, yt = ((t - t.mean(0)) / t.std(0) for t in (xt, yt))
    n = len(xt)
    n_eval = int(round(EVAL_FRACTION * n))
    gen = torch.Generator().manual_seed(0)
    order = torch.randperm(n, generator=gen).to(dev)
    train, held = order[: n - n_eval], order[n - n_eval:]
    return xt[train], yt[train], xt[held], yt[held], gen


def peer_factory() -> object:
    try:
        import torch_mist.estimators as tm
    except ImportError as err:
        print(f"torch-mist not importable ({err}); its columns read '-'", file=sys.stderr)
        return None
    return tm


def peer(tm: object, x: np.ndarray, y: np.ndarray, bound: str) -> tuple[float, float, int]:
    xtr, ytr, xe, ye, gen = same_batches(x, y)
    kwargs = {"critic_type": "separable", "neg_samples": 0 if bound == "infonce" else -1}
    if bound == "mine":
        kwargs["gamma"] = 0.9
    if bound == "smile":
        kwargs["tau"] = 5.0
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        est = getattr(tm, bound)(x_dim=x.shape[1], y_dim=y.shape[1], hidden_dims=[256, 32], **kwargs)
    est = est.to(DEVICE)
    opt = torch.optim.Adam(est.parameters(), lr=LR)
    order, pos = None, len(xtr)
    sync = torch.cuda.synchronize if DEVICE.startswith("cuda") else (lambda: None)
    sync()
    start = time.perf_counter()
    for _ in range(STEPS):
        if pos + BATCH > len(xtr):
            order, pos = torch.randperm(len(xtr), generator=gen).to(xtr.device), 0
        idx = order[pos: pos + BATCH]
        pos += BATCH
        loss = est.loss(xtr[idx], ytr[idx])
        opt.zero_grad()
        loss.backward()
        opt.step()
    sync()
    ms = 1e3 * (time.perf_counter() - start) / STEPS
    values = []
    with torch.no_grad():
        for s in range(0, len(xe) - BATCH + 1, BATCH):
            values.append(float(est.mutual_information(xe[s: s + BATCH], ye[s: s + BATCH])))
    return float(np.mean(values)), ms, sum(p.numel() for p in est.parameters())


def main() -> None:
    warnings.simplefilter("ignore", SmallSampleWarning)
    tm = peer_factory()
    rows = []
    for name, x, y, exact in tasks():
        ksg = mutual_information(x, y, k=3)
        for bound in BOUNDS:
            mi, ms, params = ours(x, y, bound)
            row = {"task": name, "exact": exact, "ksg": ksg, "bound": bound, "infoplane": mi,
                   "torch_mist": "-", "infoplane_ms/step": ms, "torch_mist_ms/step": "-", "ratio": "-"}
            if tm is not None:
                pmi, pms, pparams = peer(tm, x, y, bound)
                if pparams != params:
                    print(f"  note: critic sizes differ ({params} vs {pparams} parameters)", file=sys.stderr)
                row.update({"torch_mist": pmi, "torch_mist_ms/step": pms, "ratio": pms / ms})
            rows.append(row)
            print(f"  done {name} {bound}", file=sys.stderr, flush=True)
    version = "-"
    if tm is not None:
        from importlib.metadata import version as _version
        version = _version("torch-mist")
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
          f"torch {torch.__version__}, threads {torch.get_num_threads()}, device {DEVICE}; "
          f"torch-mist {version}; {'quick grid' if QUICK else 'full grid'}: N={N}, batch {BATCH}, "
          f"{STEPS} steps, separable critic 256 -> 32, nats\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
