"""Exact discrete measures: infoplane.info vs dit, same pmf, same run.

A random Dirichlet pmf over n variables with k outcomes each (k**n outcomes). Timed
calls start from an already built distribution object on each side; "construction"
times building it from the NumPy array. "all atoms" computes the 2**n - 1 atoms of the
I-measure (dit: one conditional co-information per atom). |diff| is the largest
absolute difference of the values (bits). The named examples (``infoplane.info.examples``
against ``dit.example_dists``) time all atoms of xor, the and gate and 4 mod 2.

    .venv/bin/python benchmarks/run.py info
"""

from __future__ import annotations

import os
import platform

import numpy as np
from _harness import markdown_table, timed

from infoplane.info import Distribution, atoms, co_information, entropy, examples, mutual_information

try:
    import dit
    from dit import example_dists
    from dit.multivariate import coinformation
except ImportError:  # the peer is optional: `.venv/bin/pip install dit`
    dit = None

QUICK = os.environ.get("INFOPLANE_QUICK", "0") == "1"
CASES = [(3, 6), (4, 8)] if QUICK else [(3, 10), (4, 8), (5, 6)]


def dit_atoms(d, n):
    out = []
    for mask in sorted(range(1, 1 << n), key=lambda m: (bin(m).count("1"), m)):
        members = [[i] for i in range(n) if mask >> i & 1]
        rest = [i for i in range(n) if not mask >> i & 1]
        out.append(coinformation(d, members, rest))
    return out


def compare_case(n: int, k: int, repeat: int) -> list[dict]:
    p = np.random.default_rng(0).dirichlet(np.full(k**n, 0.5)).reshape((k,) * n)
    names = "XYZWV"[:n]
    ours = Distribution(p, names)
    theirs = dit.Distribution.from_ndarray(p)
    theirs.set_base(2)
    tasks = {
        "construction": (lambda: Distribution(p, names), lambda: dit.Distribution.from_ndarray(p), False),
        "H[all]": (lambda: entropy(ours, base=2), lambda: dit.shannon.entropy(theirs), True),
        "I[X;Y|Z]": (lambda: mutual_information(ours, "X", "Y", given="Z", base=2),
                     lambda: coinformation(theirs, [[0], [1]], [2]), True),
        "co-information": (lambda: co_information(ours, base=2), lambda: coinformation(theirs), True),
        "all atoms": (lambda: list(atoms(ours, base=2).values()), lambda: dit_atoms(theirs, n), True),
    }
    rows = []
    for name, (f_ours, f_peer, compare) in tasks.items():
        a = timed(f_ours, repeat)
        b = timed(f_peer, repeat)
        diff = float(np.max(np.abs(np.subtract(a["result"], b["result"])))) if compare else 0.0
        rows.append({"pmf": f"{n} vars x {k}", "task": name, "infoplane s": a["best"],
                     "dit s": b["best"], "ratio": b["best"] / a["best"],
                     "|diff| bits": f"{diff:.1e}" if compare else "-"})
    return rows


def compare_examples(repeat: int) -> list[dict]:
    cases = {"xor": (examples.xor(), example_dists.Xor()), "and": (examples.and_gate(), example_dists.And()),
             "4 mod 2": (examples.n_mod_m(4, 2), example_dists.n_mod_m(4, 2))}
    rows = []
    for name, (ours, theirs) in cases.items():
        theirs.set_base(2)
        a = timed(lambda ours=ours: list(atoms(ours, base=2).values()), repeat)
        b = timed(lambda theirs=theirs, n=ours.ndim: dit_atoms(theirs, n), repeat)
        diff = float(np.max(np.abs(np.subtract(a["result"], b["result"]))))
        rows.append({"pmf": f"examples.{name}", "task": "all atoms", "infoplane s": a["best"],
                     "dit s": b["best"], "ratio": b["best"] / a["best"], "|diff| bits": f"{diff:.1e}"})
    return rows


def main() -> None:
    if dit is None:
        print("dit is not installed; nothing to compare")
        return
    rows = []
    for n, k in CASES:
        rows += compare_case(n, k, repeat=2 if QUICK else 3)
    rows += compare_examples(repeat=2 if QUICK else 3)
    cpu = platform.processor() or platform.machine()
    print(f"CPU: {cpu}, {os.cpu_count()} cores; dit {dit.__version__}\n")
    print(markdown_table(rows))


if __name__ == "__main__":
    main()
