"""Execute the lesson notebooks headless, keeping their figures inline.

    python lessons/execute.py                      # every lesson, full size, into lessons/_build
    python lessons/execute.py --quick 01_*.ipynb   # small sizes (what the tests run)
    python lessons/execute.py --solutions          # the solution notebooks under lessons/solutions/

Quick mode sets INFOPLANE_QUICK=1, the one size knob every lesson reads. Figures go to
INFOPLANE_FIGURES (default: figures/ at the repository root).

The kernel draws with matplotlib's inline backend (``MPLBACKEND`` is set to
``module://matplotlib_inline.backend_inline`` for the kernel only, whatever the caller's
``MPLBACKEND``), so every figure a cell leaves open becomes an ``image/png`` output of the
executed notebook; it needs no display, so quick mode runs headless in the tests. The
lessons folder is put on the kernel's ``PYTHONPATH`` so that ``from checks import check``
works from ``lessons/`` and from ``lessons/solutions/`` alike.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"


def lesson_paths() -> list[Path]:
    """The numbered lessons, in order."""
    return sorted(p for p in HERE.glob("[0-9][0-9]_*.ipynb"))


def solution_paths() -> list[Path]:
    """The solution notebooks under ``lessons/solutions/``, in order (empty if none)."""
    return sorted((HERE / "solutions").glob("*.ipynb"))


def kernel_env(quick: bool, figures: Path | None = None, strict_checks: bool = False) -> dict[str, str]:
    """The environment a lesson's kernel starts with: the caller's, plus the lesson knobs.

    ``INFOPLANE_QUICK`` is ``"1"`` or ``"0"``; ``MPLBACKEND`` is the inline backend (figures
    become ``image/png`` outputs); ``PYTHONPATH`` starts with the lessons folder (for
    ``checks.py``); ``INFOPLANE_FIGURES`` is set when ``figures`` is given;
    ``INFOPLANE_CHECKS=strict`` when ``strict_checks`` (an unanswered check fails, as it
    must in a solution notebook); ``INFOPLANE_HEADLESS=1``: lessons draw their static figure and
    skip ipywidgets explorers (nbclient can stall for a whole cell timeout after a widget cell,
    jupyter/nbclient#312); ``OMP_NUM_THREADS`` defaults to 1 (the lessons' networks are small, and
    oversubscribed threads on 2 shared cores made one critic fit 190x slower).
    """
    env = dict(os.environ)
    if strict_checks:
        env["INFOPLANE_CHECKS"] = "strict"
    env["INFOPLANE_QUICK"] = "1" if quick else "0"
    env["INFOPLANE_HEADLESS"] = "1"   # no widgets when nobody can move a slider
    env.setdefault("OMP_NUM_THREADS", "1")   # small networks: more threads on shared cores only cost
    env["MPLBACKEND"] = INLINE_BACKEND
    env["PYTHONPATH"] = os.pathsep.join([str(HERE)] + [p for p in [env.get("PYTHONPATH", "")] if p])
    if figures is not None:
        env["INFOPLANE_FIGURES"] = str(figures)
    return env


def execute(path: Path, quick: bool, figures: Path | None = None, timeout: int = 900,
            kernel_name: str = "python3") -> nbformat.NotebookNode:
    """Run one notebook in a fresh kernel (cwd = the notebook's folder); return it executed.

    The caller's ``os.environ`` is left alone: the kernel gets :func:`kernel_env`, with strict
    checks for a notebook under ``lessons/solutions/`` (every check must be answered and pass).
    """
    path = Path(path)
    strict = path.resolve().parent.name == "solutions"
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name=kernel_name,
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=kernel_env(quick, figures, strict_checks=strict))
    return nb


def count_images(nb: nbformat.NotebookNode) -> int:
    """The number of ``image/png`` outputs in an executed notebook."""
    return sum("image/png" in out.get("data", {})
               for cell in nb.cells if cell.cell_type == "code" for out in cell.get("outputs", []))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", help="notebook file names (default: all lessons)")
    parser.add_argument("--quick", action="store_true", help="small sizes (INFOPLANE_QUICK=1)")
    parser.add_argument("--solutions", action="store_true",
                        help="execute the notebooks of lessons/solutions/ instead")
    parser.add_argument("--out", default=str(HERE / "_build"), help="folder for executed copies")
    args = parser.parse_args()
    folder = HERE / "solutions" if args.solutions else HERE
    if args.names:
        paths = [folder / n for n in args.names]
    else:
        paths = solution_paths() if args.solutions else lesson_paths()
    out = Path(args.out) / "solutions" if args.solutions else Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for path in paths:
        print(f"executing {path.name} ...", flush=True)
        started = time.perf_counter()
        nb = execute(path, args.quick)
        seconds = time.perf_counter() - started
        nbformat.write(nb, out / path.name)
        print(f"  {count_images(nb)} figures inline, {seconds:.0f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
