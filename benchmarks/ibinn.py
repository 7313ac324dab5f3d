"""The MNIST IB-INN: training-step time and peak memory, infoplane vs the same network built from FrEIA.

One training step = the input noise eps, the flow's forward pass, the IB-INN loss
``IBINNLoss(gamma=1.0)`` (L_X, L_Y and the rebalanced L_IB of eq. 9), the backward pass
and an Adam step, on a batch of 64 MNIST-shaped inputs (uniform in [0, 1]: the shapes,
not the pixels, set the cost). The model is ``IBINN((1, 28, 28), 10)`` with its defaults:
Haar to 4x14x14, two convolutional couplings (width 32) with channel permutations, Haar
to 16x7x7, two more (width 64), flatten, eight fully connected couplings (256, 256)
each followed by a fixed random orthogonal mixing of the 784 features; clamp 1.

Both sides are the same ``IBINN`` object with the same ``GaussianMixture`` latent and the
same loss code; only ``model.flow`` differs, and the FrEIA flow is built block by block
from ours (``freia_twin``):

- "GLOW twin" (the same function): ``HaarDownsampling(order_by_wavelet=True)`` (the same
  four filters, scaled by 1/2 after the convolution instead of inside it, the same
  wavelet-major channel order); ``GLOWCouplingBlock(clamp=1, clamp_activation="TANH")``
  (both halves, one subnet per half predicting [s, t]: our ``AffineCoupling``; FrEIA
  clamps ``clamp * tanh(s)``, ours ``clamp * tanh(s / clamp)``, the same at clamp 1),
  with our two subnetworks copied in (FrEIA's ``subnet2`` reads the second half, our
  ``subnet1``; the copies in PyTorch's default memory layout, ours channels-last);
  ``PermuteRandom`` given our permutation; ``Flatten``;
  ``FixedLinearTransform(M=W)`` with our orthogonal W (FrEIA also stores W^-1 and adds
  ``log|det W|``, ~1e-6 instead of our exact 0). The two flows compute the same z and
  log|det J| (checked before timing, to 1e-4 relative) and have the same trainable
  parameters (printed).
- "AllInOne twin" (the blocks the issue names): every coupling of ours becomes two
  ``AllInOneBlock``s (each a one-sided affine coupling with one subnet, a learned global
  affine scaling and a permutation), so the two subnetworks per coupling are the same
  constructors, widths and count as ours; clamp 1; hard permutations in the convolutional
  stages (our channel permutations), ``permute_soft=True`` (a random rotation) in the
  fully connected part (our orthogonal mixings). It is not the same function: it adds
  the global affine scaling (2 x 2C parameters per coupling, printed), a permutation
  after each half instead of one per coupling, and FrEIA's factor 0.1 on the subnet
  output; FrEIA applies every permutation as a dense matrix product (a 1x1 convolution).

Timing: all models live in one process and are stepped in interleaved rounds, the
order reversed every round, so load from other programs on the machine hits every side
alike; per side the median milliseconds per step and the quartiles; the ratio is
FrEIA's median over ours, and the per-round ratios give its spread. One torch thread,
then the default count. Memory: each side in a fresh interpreter; the peak resident
set (VmHWM, reset through /proc/self/clear_refs after building) during the training
steps, minus the resident set before the model was built: parameters, buffers, Adam
state, gradients and activations.

On a GPU (``--device cuda``): the same interleaved rounds, each step followed by
``torch.cuda.synchronize()``; "s/epoch" is the median step times the 938 steps of an
MNIST epoch at batch 64 (data loading not included); memory is the peak of
``torch.cuda.max_memory_allocated`` while one side alone is built and trained, minus
what was allocated before. ``--compile [MODE ...]`` adds a side "infoplane +
torch.compile(MODE)" per mode (our flow through ``torch.compile(mode=MODE)``;
"reduce-overhead" replays CUDA graphs; the compile time is printed and not timed).

    .venv/bin/python benchmarks/run.py ibinn
    .venv/bin/python benchmarks/ibinn.py --rounds 12 --threads 1 2
    .venv/bin/python benchmarks/ibinn.py --device cuda --rounds 20 --compile default reduce-overhead
"""

from __future__ import annotations

import argparse
import copy
import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import time

import numpy as np
import torch
from _harness import markdown_table, peak_rss_mib
from torch import nn

from infoplane.inn import AffineCoupling, Flatten, HaarDownsampling, Permutation, RandomOrthogonal
from infoplane.inn.ibinn import IBINN, IBINNLoss

try:
    import FrEIA.framework as Ff
    import FrEIA.modules as Fm
except ImportError:  # the peer is optional: the `bench` extra
    Ff = Fm = None

QUICK = os.environ.get("INFOPLANE_QUICK", "0") == "1"
DIMS = (1, 28, 28)
N_CLASSES = 10
BATCH = 64
SIDES = ("infoplane", "FrEIA GLOW twin", "FrEIA AllInOne twin")
COMPILED = "infoplane + torch.compile"   # a side name starting so: "infoplane + torch.compile(mode)"
STEPS_PER_EPOCH = -(-60_000 // BATCH)


def ours(seed: int = 0) -> IBINN:
    """The MNIST IB-INN with its default architecture."""
    return IBINN(DIMS, N_CLASSES, seed=seed)


class FrEIAFlow(nn.Module):
    """A FrEIA ``SequenceINN`` behind our flow's interface: ``(z, log_det)`` and a ``latent_density``."""

    def __init__(self, inn: nn.Module, latent_density: nn.Module) -> None:
        super().__init__()
        self.inn = inn
        self.latent_density = latent_density

    def forward(self, x: torch.Tensor, rev: bool = False) -> tuple[torch.Tensor, torch.Tensor]:
        z, log_det = self.inn(x, rev=rev)
        return z, log_det


def _take(subnets: list[nn.Module]):
    """A subnet constructor handing out copies of the given networks in order.

    The copies are in PyTorch's default memory layout, as a FrEIA user's ``nn.Conv2d``
    would be; ours keep channels-last weights (``conv_subnet``): one of the optimisations
    this comparison measures.
    """
    def make(c_in: int, c_out: int) -> nn.Module:
        return copy.deepcopy(subnets.pop(0)).to(memory_format=torch.contiguous_format)
    return make


def freia_twin(model: IBINN, kind: str = "glow", seed: int = 0) -> IBINN:
    """A copy of ``model`` whose flow is rebuilt from FrEIA modules (see the module docstring)."""
    twin = copy.deepcopy(model)
    np.random.seed(seed)  # noqa: NPY002 (AllInOneBlock draws its permutations from numpy's global RNG)
    inn = Ff.SequenceINN(*model.flow.dims_in)
    blocks = list(model.flow.blocks)
    for k, block in enumerate(blocks):
        if isinstance(block, HaarDownsampling):
            inn.append(Fm.HaarDownsampling, order_by_wavelet=True)
        elif isinstance(block, Flatten):
            inn.append(Fm.Flatten)
        elif isinstance(block, AffineCoupling):
            if kind == "glow":
                # FrEIA's subnet1 (built first) reads the first half: our subnet2
                inn.append(Fm.GLOWCouplingBlock, subnet_constructor=_take([block.subnet2, block.subnet1]),
                           clamp=block.clamp, clamp_activation="TANH")
            else:
                soft = isinstance(blocks[k + 1], RandomOrthogonal)
                for net in (block.subnet1, block.subnet2):
                    inn.append(Fm.AllInOneBlock, subnet_constructor=_take([net]), affine_clamping=block.clamp,
                               permute_soft=soft)
        elif isinstance(block, Permutation):
            if kind == "glow":
                inn.append(Fm.PermuteRandom, seed=k)
                inn[len(inn) - 1].perm.data.copy_(block.perm)
                inn[len(inn) - 1].perm_inv.data.copy_(block.perm_inv)
        elif isinstance(block, RandomOrthogonal):
            if kind == "glow":
                inn.append(Fm.FixedLinearTransform, M=block.weight.detach().clone())
        else:
            raise TypeError(f"no FrEIA twin for {type(block).__name__}")
    twin.flow = FrEIAFlow(inn, twin.flow.latent_density)
    return twin


def build(side: str, seed: int = 0, device: str | torch.device = "cpu") -> IBINN:
    """The model of one side of the comparison, on ``device``."""
    model = ours(seed)
    if side.startswith(COMPILED):
        mode = side[len(COMPILED):].strip("()") or "default"
        model.flow = torch.compile(model.flow, mode=mode)
    elif side != "infoplane":
        model = freia_twin(model, "glow" if "GLOW" in side else "all_in_one", seed)
    return model.to(device)


def n_trainable(model: nn.Module) -> int:
    """Number of trainable scalars (FrEIA keeps its fixed matrices as frozen parameters)."""
    return sum(p.numel() for p in model.parameters() if p.requires_grad)


def batch(seed: int = 1, device: str | torch.device = "cpu") -> tuple[torch.Tensor, torch.Tensor]:
    gen = torch.Generator().manual_seed(seed)
    x, y = torch.rand(BATCH, *DIMS, generator=gen), torch.randint(0, N_CLASSES, (BATCH,), generator=gen)
    return x.to(device), y.to(device)


def step_fn(model: IBINN, data: tuple[torch.Tensor, torch.Tensor], seed: int = 2):
    """A closure running one training step (noise, forward, IB loss, backward, Adam), synchronised."""
    device = data[0].device
    loss_fn = IBINNLoss(gamma=1.0, generator=torch.Generator(device).manual_seed(seed))
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=1e-4)

    def step() -> torch.Tensor:
        loss, _ = loss_fn(model, data)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if device.type == "cuda":
            torch.cuda.synchronize(device)
        return loss.detach()

    return step


def check_twin(model: IBINN, twin: IBINN, data: tuple[torch.Tensor, torch.Tensor]) -> float:
    """Largest relative difference of (z, log_det) between the flows on ``data``."""
    with torch.no_grad():
        za, la = model(data[0])
        zb, lb = twin(data[0])
    return max(float((za - zb).abs().max() / za.abs().max()), float((la - lb).abs().max() / la.abs().max()))


def _quartiles(values: list[float]) -> tuple[float, float, float]:
    q = statistics.quantiles(values, n=4) if len(values) > 1 else [values[0]] * 3
    return q[0], statistics.median(values), q[2]


def time_sides(sides: tuple[str, ...], threads: int, rounds: int, steps: int,
               device: torch.device | None = None) -> list[dict]:
    """Interleaved rounds of ``steps`` timed training steps per side, in one process."""
    torch.set_num_threads(threads)
    device = torch.device("cpu") if device is None else device
    data = batch(device=device)
    models = {s: build(s, device=device) for s in sides}
    # move away from the identity initialisation: a few steps so the couplings are non-trivial
    # (and, for the compiled side, compile)
    runs = {s: step_fn(m, data) for s, m in models.items()}
    for s, run in runs.items():
        start = time.perf_counter()
        for _ in range(2):
            run()
        if s.startswith(COMPILED):
            print(f"{s}: compiled and ran 2 steps in {time.perf_counter() - start:.0f} s",
                  file=sys.stderr)
    times: dict[str, list[float]] = {s: [] for s in sides}
    round_ratios: dict[str, list[float]] = {s: [] for s in sides}
    for r in range(rounds):
        order = sides if r % 2 == 0 else sides[::-1]
        this_round = {}
        for s in order:
            ts = []
            for _ in range(steps):
                start = time.perf_counter()
                runs[s]()
                ts.append(time.perf_counter() - start)
            times[s] += ts
            this_round[s] = statistics.median(ts)
        for s in sides:
            round_ratios[s].append(this_round[s] / this_round[sides[0]])
    rows = []
    for s in sides:
        lo, med, hi = _quartiles(times[s])
        rr = round_ratios[s]
        row = {"side": s, "threads": threads, "ms/step": 1e3 * med,
               "quartiles ms": f"{1e3 * lo:.1f}-{1e3 * hi:.1f}" if device.type == "cuda"
               else f"{1e3 * lo:.0f}-{1e3 * hi:.0f}",
               "ratio": statistics.median(times[s]) / statistics.median(times[sides[0]]),
               "per-round ratio range": f"{min(rr):.2f}-{max(rr):.2f}"}
        if device.type == "cuda":
            rest = {k: v for k, v in row.items() if k not in ("side", "threads")}
            row = {"side": s, "device": torch.cuda.get_device_name(device), **rest}
            row["s/epoch"] = med * STEPS_PER_EPOCH
        rows.append(row)
    return rows


def cuda_peak_mib(side: str, device: torch.device, steps: int = 3) -> float:
    """Peak GPU memory (MiB) of building ``side`` and training it ``steps`` steps, above the baseline."""
    gc.collect()
    torch.cuda.empty_cache()
    torch.cuda.reset_peak_memory_stats(device)
    before = torch.cuda.memory_allocated(device)
    model = build(side, device=device)
    run = step_fn(model, batch(device=device))
    for _ in range(steps):
        run()
    peak = torch.cuda.max_memory_allocated(device) - before
    del model, run
    gc.collect()
    return peak / 2**20


def _reset_peak() -> bool:
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _rss_mib() -> float:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024.0
    return peak_rss_mib()


def _memory_child(side: str, threads: int, steps: int) -> None:
    torch.set_num_threads(threads)
    torch.randn(64, 64) @ torch.randn(64, 64)  # load the BLAS before the baseline
    data = batch()
    gc.collect()
    before = _rss_mib()
    model = build(side)
    run = step_fn(model, data)
    gc.collect()
    reset = _reset_peak()
    for _ in range(steps):
        run()
    print(json.dumps({"mib": peak_rss_mib() - before, "reset": reset}))


def peak_memory_mib(side: str, threads: int, steps: int = 3) -> float:
    """Peak RSS growth (MiB) of building ``side`` and training it ``steps`` steps, in a fresh interpreter."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(sys.path))
    out = subprocess.run([sys.executable, __file__, "--memory", side, str(threads), str(steps)], check=True,
                         capture_output=True, text=True, env=env)
    return json.loads(out.stdout.strip().splitlines()[-1])["mib"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3 if QUICK else 10)
    parser.add_argument("--steps", type=int, default=2 if QUICK else 3, help="timed steps per side and round")
    parser.add_argument("--threads", type=int, nargs="+", default=[1, torch.get_num_threads()])
    parser.add_argument("--memory-repeats", type=int, default=1 if QUICK else 3)
    parser.add_argument("--sides", nargs="+", choices=SIDES, default=list(SIDES),
                        help="which models to compare (infoplane is always first)")
    parser.add_argument("--device", default="cpu", help="cpu or cuda")
    parser.add_argument("--compile", nargs="*", default=None, metavar="MODE",
                        help=f"add a side {COMPILED!r}(MODE) per mode (default, reduce-overhead, ...)")
    args = parser.parse_args()
    device = torch.device(args.device)
    if device.type == "cuda" and not torch.cuda.is_available():
        parser.error("--device: cuda is not available here")
    sides = tuple(dict.fromkeys(["infoplane", *args.sides])) if Fm is not None else SIDES[:1]
    if args.compile is not None:
        sides = (*sides, *(f"{COMPILED}({mode})" for mode in (args.compile or ["default"])))
    threads = list(dict.fromkeys(args.threads)) if device.type == "cpu" else [torch.get_num_threads()]
    where = (torch.cuda.get_device_name(device) if device.type == "cuda"
             else f"CPU: {platform.processor() or platform.machine()}, {os.cpu_count()} cores (shared)")
    print(f"{where}, torch {torch.__version__}; IBINN{DIMS}, batch {BATCH}, IBINNLoss(gamma=1) + Adam; "
          f"{args.rounds} interleaved rounds x {args.steps} steps per side\n")
    if Fm is None:
        print("FrEIA is not installed (the `bench` extra); timing infoplane only\n")
    for s in sides:
        print(f"{s}: {n_trainable(build(s))} trainable parameters")
    if Fm is not None:
        ref = ours()
        gen = torch.Generator().manual_seed(3)
        with torch.no_grad():  # away from the identity initialisation of the couplings
            for p in ref.flow.parameters():
                p.add_(0.02 * torch.randn(p.shape, generator=gen))
        diff = check_twin(ref, freia_twin(ref, "glow"), batch())
        print(f"GLOW twin vs infoplane with the same (perturbed) weights: max relative difference of "
              f"(z, log_det) {diff:.1e}")
        if not diff < 1e-4:
            raise RuntimeError(f"the GLOW twin does not compute our flow (relative difference {diff:.1e})")
    print()
    rows = []
    for t in threads:
        rows += time_sides(sides, t, args.rounds, args.steps, device)
        print(f"timed {t} thread(s):\n{markdown_table(rows[-len(sides):])}", file=sys.stderr, flush=True)
    for row in rows:
        if device.type == "cuda":
            row["GPU peak MiB"] = cuda_peak_mib(row["side"], device)
        else:
            mem = [peak_memory_mib(row["side"], row["threads"]) for _ in range(args.memory_repeats)]
            row["peak MiB"] = statistics.median(mem)
    print(markdown_table(rows))


if __name__ == "__main__":
    if len(sys.argv) == 5 and sys.argv[1] == "--memory":
        _memory_child(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
    else:
        main()
