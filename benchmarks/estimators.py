"""KSG mutual information: infoplane vs npeet_plus.mi and scikit-learn, same data, same run.

    .venv/bin/python benchmarks/estimators.py            # full grid (~10-20 min on 2 cores)
    .venv/bin/python benchmarks/estimators.py --quick    # small grid (~1 min)
    INFOPLANE_BENCH_QUICK=1 .venv/bin/python benchmarks/run.py estimators
    .venv/bin/python benchmarks/estimators.py --rows 10000:5,50000:5 --repeats 5
                                                          # chosen cells, 5 interleaved rounds

Data: correlated Gaussians (infoplane.data.correlated_gaussians, rho = 0.5, X and Y
each d-dimensional, exact MI = -d/2 ln(1 - rho^2)). Every estimator is KSG algorithm 1
with k = 3 in nats; infoplane standardises (the peers' data are already unit-variance,
so the estimates agree to the jitter). Times are the best of up to 3 calls after a
warm-up call; a call that takes over 20 s is timed once. ratio = peer time / infoplane
time (> 1: infoplane faster). "skipped" marks a peer cell left out because it would
take many minutes. With ``--repeats R`` every cell is timed R times, infoplane and
peers interleaved (a busy machine slows both alike), and the ratio is the median of the
R per-round ratios, with their range in ``range_<peer>``.
"""

from __future__ import annotations

import math
import os
import platform
import statistics
import sys
import time
import warnings

import torch
from _harness import markdown_table

from infoplane.data import correlated_gaussians
from infoplane.estimators import SmallSampleWarning, mutual_information

QUICK = "--quick" in sys.argv or os.environ.get("INFOPLANE_BENCH_QUICK") == "1"
GRID_N = [2000] if QUICK else [2000, 10_000, 50_000]
GRID_D = [1, 10] if QUICK else [1, 5, 10, 50]
TARGET = [] if QUICK else [(20_000, 10)]
SKLEARN_N = 10_000 if QUICK else 100_000


def _option(name: str, default: str | None = None) -> str | None:
    if name in sys.argv[:-1]:
        return sys.argv[sys.argv.index(name) + 1]
    return default


ROWS = _option("--rows")  # e.g. "10000:5,50000:5": only these cells
REPEATS = int(_option("--repeats", "1"))
# npeet's BallTree in 100 joint dimensions at n = 5e4 takes far too long: skipped.
NPEET_SKIP = {(50_000, 50)}
SLOW_S = 20.0


def best_time(fn, repeat: int = 3) -> tuple[float, float]:
    """(best wall seconds, result) over a warm-up call plus up to ``repeat`` calls."""
    start = time.perf_counter()
    result = fn()
    first = time.perf_counter() - start
    if first > SLOW_S:
        return first, result
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - start)
    return min(times), result


def npeet_mi():
    try:
        import npeet_plus
    except ImportError:
        return None
    return lambda x, y: npeet_plus.mi(x, y, k=3, base=math.e)


def sklearn_mi():
    try:
        from sklearn.feature_selection import mutual_info_regression
    except ImportError:
        return None
    return lambda x, y: float(mutual_info_regression(x, y[:, 0], n_neighbors=3, random_state=0)[0])


def row(n: int, d: int, peers: dict) -> dict:
    x, y, exact = correlated_gaussians(n, d=d, rho=0.5, seed=0)
    ours_fn = lambda: mutual_information(x, y, k=3)  # noqa: E731
    usable = {name: fn for name, fn in peers.items()
              if fn is not None and not (name == "npeet" and (n, d) in NPEET_SKIP)
              and not (name == "sklearn" and d != 1)}
    times = {"infoplane": [], **{name: [] for name in usable}}
    values = {}
    for _ in range(REPEATS):  # interleaved rounds: each round times every estimator once
        for name, fn in [("infoplane", ours_fn)] + [(k, lambda fn=fn: fn(x, y)) for k, fn in usable.items()]:
            seconds, values[name] = best_time(fn)
            times[name].append(seconds)
    ours_s, ours = statistics.median(times["infoplane"]), values["infoplane"]
    out = {"N": n, "d": d, "exact": exact, "infoplane_s": ours_s, "infoplane_est": ours,
           "infoplane_err": ours - exact}
    for name, fn in peers.items():
        if name in usable:
            ratios = [p / o for p, o in zip(times[name], times["infoplane"], strict=True)]
            out.update({f"{name}_s": statistics.median(times[name]), f"{name}_est": values[name],
                        f"ratio_{name}": statistics.median(ratios)})
            if REPEATS > 1:
                out[f"range_{name}"] = f"{min(ratios):.2f}-{max(ratios):.2f}"
        else:
            reason = "skipped" if fn is not None and name == "npeet" and (n, d) in NPEET_SKIP else "-"
            out.update({f"{name}_s": reason, f"{name}_est": reason, f"ratio_{name}": reason})
            if REPEATS > 1:
                out[f"range_{name}"] = reason
    print(f"  done N={n} d={d}", file=sys.stderr, flush=True)
    return out


def main() -> None:
    warnings.simplefilter("ignore", SmallSampleWarning)
    peers = {"npeet": npeet_mi(), "sklearn": sklearn_mi()}
    cells = [(n, d) for n in GRID_N for d in GRID_D] + TARGET + [(SKLEARN_N, 1)]
    if ROWS:
        cells = [tuple(int(v) for v in cell.split(":")) for cell in ROWS.split(",")]
    rows = [row(n, d, peers) for n, d in cells]
    print(f"machine: {platform.processor() or platform.machine()}, {os.cpu_count()} CPU cores, "
          f"torch {torch.__version__}, threads {torch.get_num_threads()}; "
          f"{'chosen cells' if ROWS else 'quick grid' if QUICK else 'full grid'}; KSG-1, k=3, rho=0.5, "
          f"nats; {REPEATS} round(s)\n")
    print(markdown_table(rows))
    if torch.cuda.is_available():  # the GPU row of the issue: N = 1e5, d = 64 per side
        x, y, exact = correlated_gaussians(20_000 if QUICK else 100_000, d=64, rho=0.5, seed=0)
        gpu_device = torch.device("cuda")
        xt, yt = torch.from_numpy(x).to(gpu_device), torch.from_numpy(y).to(gpu_device)
        gpu_s, gpu = best_time(lambda: mutual_information(xt, yt), repeat=1)
        print(f"\nGPU ({torch.cuda.get_device_name()}): N={len(x)}, d=64: {gpu_s:.2f} s, "
              f"estimate {gpu:.4g} (exact {exact:.4g})")


if __name__ == "__main__":
    main()
