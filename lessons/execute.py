"""Execute the lesson notebooks headless.

    python lessons/execute.py                 # every lesson, full size, into lessons/_build
    python lessons/execute.py --quick 01_*.ipynb

Quick mode sets INFOPLANE_QUICK=1, the one size knob every lesson reads. Figures go to
INFOPLANE_FIGURES (default: figures/ at the repository root).
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def lesson_paths() -> list[Path]:
    """The numbered lessons, in order."""
    return sorted(p for p in HERE.glob("[0-9][0-9]_*.ipynb"))


def execute(path: Path, quick: bool, figures: Path | None = None, timeout: int = 900):
    """Run one notebook in a fresh kernel and return the executed notebook."""
    nb = nbformat.read(path, as_version=4)
    env_before = dict(os.environ)
    os.environ["INFOPLANE_QUICK"] = "1" if quick else "0"
    os.environ["MPLBACKEND"] = "Agg"
    if figures is not None:
        os.environ["INFOPLANE_FIGURES"] = str(figures)
    try:
        NotebookClient(nb, timeout=timeout, kernel_name="python3",
                       resources={"metadata": {"path": str(path.parent)}}).execute()
    finally:
        os.environ.clear()
        os.environ.update(env_before)
    return nb


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all lessons)")
    parser.add_argument("--quick", action="store_true", help="small sizes (INFOPLANE_QUICK=1)")
    parser.add_argument("--out", default=str(HERE / "_build"), help="folder for executed copies")
    args = parser.parse_args()
    paths = [HERE / n for n in args.names] if args.names else lesson_paths()
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        nbformat.write(execute(path, args.quick), out / path.name)
    return 0


if __name__ == "__main__":
    sys.exit(main())
