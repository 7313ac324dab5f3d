"""Invertible networks: training-step time and peak memory, infoplane vs FrEIA.

One training step = forward pass, maximum-likelihood loss (0.5 |z|^2 - log|det J|),
backward pass and an Adam step, on a batch of 256 standard-normal inputs. Both
libraries get the same subnetwork constructor (Linear-ReLU-Linear-ReLU-Linear of the
given width), the same depth and the same dtype, and are timed in the same run.

- "GLOW coupling": FrEIA ``GLOWCouplingBlock`` + ``PermuteRandom`` vs infoplane
  ``AffineCoupling`` + ``Permutation`` (both transform both halves, two subnets/block).
- "all-in-one": FrEIA ``AllInOneBlock`` (one-sided coupling + global affine + hard
  permutation) x 2N vs infoplane (``AffineCoupling`` + ``ActNorm`` + ``Permutation``) x N:
  the same number of subnetworks (2N), affine normalisations and permutations per
  subnet pass.

    .venv/bin/python benchmarks/run.py inn
"""

from __future__ import annotations

import json
import os
import platform
import subprocess
import sys

import torch
from _harness import markdown_table, peak_rss_mib, timed

from infoplane.inn import ActNorm, AffineCoupling, Permutation, SequenceINN, mlp_subnet

try:
    import FrEIA.framework as Ff
    import FrEIA.modules as Fm
except ImportError:  # the peer is optional: `.venv/bin/pip install freia`
    Ff = Fm = None

QUICK = os.environ.get("INFOPLANE_QUICK", "0") == "1"
BATCH = 256
N_BLOCKS = 8
HIDDEN = 256
STEPS = 2 if QUICK else 5  # training steps per timed call


def ours_glow(dim: int) -> torch.nn.Module:
    inn = SequenceINN(dim)
    for k in range(N_BLOCKS):
        inn.append(AffineCoupling, subnet_constructor=mlp_subnet((HIDDEN, HIDDEN)), clamp=2.0)
        inn.append(Permutation, seed=k)
    return inn


def ours_all_in_one(dim: int) -> torch.nn.Module:
    inn = SequenceINN(dim)
    for k in range(N_BLOCKS):
        inn.append(AffineCoupling, subnet_constructor=mlp_subnet((HIDDEN, HIDDEN)), clamp=2.0)
        inn.append(ActNorm).append(Permutation, seed=k)
    return inn


def freia_glow(dim: int) -> torch.nn.Module:
    inn = Ff.SequenceINN(dim)
    for k in range(N_BLOCKS):
        inn.append(Fm.GLOWCouplingBlock, subnet_constructor=mlp_subnet((HIDDEN, HIDDEN)), clamp=2.0)
        inn.append(Fm.PermuteRandom, seed=k)
    return inn


def freia_all_in_one(dim: int) -> torch.nn.Module:
    inn = Ff.SequenceINN(dim)
    for _ in range(2 * N_BLOCKS):
        inn.append(Fm.AllInOneBlock, subnet_constructor=mlp_subnet((HIDDEN, HIDDEN)), affine_clamping=2.0)
    return inn


def train_step_fn(model: torch.nn.Module, x: torch.Tensor):
    """A closure running STEPS maximum-likelihood training steps."""
    opt = torch.optim.Adam(model.parameters(), lr=1e-4)

    def run():
        for _ in range(STEPS):
            z, log_det = model(x)
            loss = (0.5 * z.pow(2).sum(1) - log_det).mean() / x.shape[1]
            opt.zero_grad(set_to_none=True)
            loss.backward()
            opt.step()
        return float(loss.detach())

    return run


BUILDERS = {"ours_glow": ours_glow, "ours_all_in_one": ours_all_in_one,
            "freia_glow": freia_glow, "freia_all_in_one": freia_all_in_one}


def _setup(make, dim: int, device: torch.device, batch: int):
    torch.manual_seed(0)
    model = make(dim).to(device)
    x = torch.randn(batch, dim, generator=torch.Generator().manual_seed(1)).to(device)
    with torch.no_grad():
        model(x)  # data-dependent initialisations happen outside the measurements
    return train_step_fn(model, x)


def cpu_peak_memory_mb(builder: str, dim: int) -> float:
    """Growth of peak RSS (MiB) to build the model and run training steps, in a fresh interpreter.

    (A fork of this process could deadlock in torch's OpenMP pool, so a new interpreter
    runs the model.)
    """
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, __file__, "--memory", builder, str(dim)], check=True,
                         capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])["mib"]


def _memory_child(builder: str, dim: int) -> None:
    torch.randn(64, 64) @ torch.randn(64, 64)  # load the BLAS before the baseline
    before = peak_rss_mib()
    step = _setup(BUILDERS[builder], dim, torch.device("cpu"), BATCH)
    step()
    after = peak_rss_mib()
    print(json.dumps({"mib": after - before}))


def _synced(step, device: torch.device):
    def run():
        out = step()
        if device.type == "cuda":
            torch.cuda.synchronize()
        return out
    return run


def _memory(make, step, dim: int, device: torch.device) -> float:
    if device.type == "cuda":
        torch.cuda.reset_peak_memory_stats()
        step()
        torch.cuda.synchronize()
        return torch.cuda.max_memory_allocated() / 2**20
    return cpu_peak_memory_mb(make.__name__, dim)


def compare(ours, peer, dim: int, device: torch.device, batch: int = BATCH) -> dict:
    """Seconds per training step (best of interleaved rounds) and peak memory of both."""
    makes = [ours] + ([peer] if Fm is not None else [])
    steps = [_synced(_setup(make, dim, device, batch), device) for make in makes]
    best = [float("inf")] * len(steps)
    for _ in range(2 if QUICK else 5):  # interleaved, so background load hits both alike
        for k, step in enumerate(steps):
            best[k] = min(best[k], timed(step, repeat=1)["best"] / STEPS)
    memory = [_memory(make, step, dim, device) for make, step in zip(makes, steps, strict=True)]
    return {"seconds": best, "memory": memory}


def main() -> None:
    device = torch.device("cpu")
    print(f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores, "
          f"torch {torch.__version__}, {torch.get_num_threads()} threads; batch {BATCH}, "
          f"{N_BLOCKS} coupling blocks of width {HIDDEN}; time per training step\n")
    if Fm is None:
        print("FrEIA is not installed (`.venv/bin/pip install freia`); timing infoplane only\n")
    rows = []
    pairs = [("GLOW coupling", ours_glow, freia_glow), ("all-in-one", ours_all_in_one, freia_all_in_one)]
    for dim in (64, 784):
        for name, ours, peer in pairs:
            res = compare(ours, peer, dim, device)
            row = {"architecture": name, "D": dim, "infoplane ms": 1e3 * res["seconds"][0],
                   "infoplane MiB": res["memory"][0]}
            if Fm is not None:
                row.update({"FrEIA ms": 1e3 * res["seconds"][1], "FrEIA MiB": res["memory"][1],
                            "ratio": res["seconds"][1] / res["seconds"][0]})
            rows.append(row)
            print(f"measured {name}, D = {dim}", file=sys.stderr, flush=True)
    print(markdown_table(rows))
    if torch.cuda.is_available():
        gpu = torch.device("cuda")
        print(f"\nGPU: {torch.cuda.get_device_name(0)}; D = 784, batch 1024, training samples per second\n")
        gpu_rows = []
        for name, ours, peer in pairs:
            res = compare(ours, peer, 784, gpu, batch=1024)
            row = {"architecture": name, "infoplane samples/s": 1024 / res["seconds"][0],
                   "infoplane MiB": res["memory"][0]}
            if Fm is not None:
                row.update({"FrEIA samples/s": 1024 / res["seconds"][1], "FrEIA MiB": res["memory"][1],
                            "ratio": res["seconds"][1] / res["seconds"][0]})
            gpu_rows.append(row)
        print(markdown_table(gpu_rows))


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--memory":
        _memory_child(sys.argv[2], int(sys.argv[3]))
    else:
        main()
