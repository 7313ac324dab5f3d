"""lessons/execute.py: executed notebooks keep their figures inline, headless."""

import importlib.util
import os
from pathlib import Path

import nbformat

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
_spec = importlib.util.spec_from_file_location("lesson_execute", LESSONS / "execute.py")
lesson_execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lesson_execute)


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell(s) for s in sources]
    nbformat.write(nb, path)
    return path


def test_kernel_env_sets_inline_backend_and_knobs(tmp_path, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.setenv("PYTHONPATH", "/somewhere")
    env = lesson_execute.kernel_env(quick=True, figures=tmp_path)
    assert env["MPLBACKEND"] == "module://matplotlib_inline.backend_inline"
    assert env["INFOPLANE_QUICK"] == "1"
    assert env["INFOPLANE_FIGURES"] == str(tmp_path)
    assert env["PYTHONPATH"].split(os.pathsep) == [str(LESSONS), "/somewhere"]
    assert lesson_execute.kernel_env(quick=False)["INFOPLANE_QUICK"] == "0"
    assert lesson_execute.kernel_env(quick=True, strict_checks=True)["INFOPLANE_CHECKS"] == "strict"
    assert os.environ["MPLBACKEND"] == "Agg"          # the caller's environment is untouched


def test_executed_notebook_keeps_figures_inline(tmp_path, monkeypatch):
    # the test session itself runs with MPLBACKEND=Agg (conftest); the kernel must not inherit it
    monkeypatch.setenv("MPLBACKEND", "Agg")
    sub = tmp_path / "solutions"
    sub.mkdir()
    path = _notebook(
        sub / "tiny.ipynb",
        "import os, matplotlib\n"
        "import matplotlib.pyplot as plt\n"
        "print(matplotlib.get_backend(), os.environ['INFOPLANE_QUICK'], os.getcwd())",
        "fig, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1], [1, 0])",   # left open: shown inline
        "plt.figure(figsize=(2, 2)); plt.plot([1, 2]); plt.show()",          # explicit show
        "from checks import check\ncheck('one', 1.0, expected=1.0)",         # lessons/ on the path
        "import os; print(os.environ.get('INFOPLANE_CHECKS'))",              # solutions/: strict
    )
    env_before = dict(os.environ)
    nb = lesson_execute.execute(path, quick=True, figures=tmp_path, timeout=120)
    assert dict(os.environ) == env_before
    first = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    backend, quick, cwd = first.split()
    assert "inline" in backend and quick == "1" and Path(cwd) == sub
    pngs = [["image/png" in o.get("data", {}) for o in c.outputs] for c in nb.cells]
    assert any(pngs[1]) and any(pngs[2]), pngs
    assert lesson_execute.count_images(nb) == 2
    assert "one: correct" in "".join(o.get("text", "") for o in nb.cells[3].outputs)
    assert "".join(o.get("text", "") for o in nb.cells[4].outputs).strip() == "strict"


def test_solution_paths_live_under_lessons_solutions():
    assert all(p.parent == LESSONS / "solutions" for p in lesson_execute.solution_paths())
