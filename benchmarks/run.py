"""Run every benchmark script (or those named) and print their tables.

    python benchmarks/run.py [name ...]     # e.g. estimators inn train_step

The long runs (``LONG``: training to a published result, 15-60 minutes on a CPU) run only
when named.
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
LONG = {"bibae_reproduction", "ibinn_mnist", "ibinn_calibration"}


def main(names: list[str]) -> int:
    scripts = sorted(p for p in HERE.glob("[a-z]*.py") if p.name != "run.py")
    chosen = [p for p in scripts if p.stem in names or (not names and p.stem not in LONG)]
    if not chosen:
        print(f"no benchmark named {names}; have {[p.stem for p in scripts]}")
        return 2
    sys.path.insert(0, str(HERE))
    for path in chosen:
        print(f"\n## {path.stem}\n", flush=True)
        sys.argv = [str(path)]  # each script sees its own defaults, not our arguments
        runpy.run_path(str(path), run_name="__main__")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
