"""The coursework notebooks under lessons/coursework/ execute headless in quick mode.

``lessons/execute.py`` runs the numbered lessons and ``lessons/solutions/``; the coursework
folder is executed here with the same kernel environment (:func:`execute.kernel_env`): the
assignment with its checks open (every check unanswered, the notebook must still run), the
official solution under ``INFOPLANE_CHECKS=strict`` (every check answered and right), and
the assignment under ``INFOPLANE_CHECKS=collect`` is what a TA grades with (its last cell
prints ``SCORE: passed / total``).
"""

import importlib.util
import json
import re
from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
COURSEWORK = LESSONS / "coursework"
ASSIGNMENT = COURSEWORK / "assignment_ib_objectives.ipynb"
SOLUTION = COURSEWORK / "solution_ib_objectives.ipynb"
_spec = importlib.util.spec_from_file_location("lesson_execute", LESSONS / "execute.py")
lesson_execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lesson_execute)
PATHS = sorted(COURSEWORK.glob("*.ipynb"))


def _execute(path: Path, figures: Path, checks: str) -> nbformat.NotebookNode:
    """Run one coursework notebook in a fresh kernel (cwd = its folder), quick mode, ``checks`` mode."""
    nb = nbformat.read(path, as_version=4)
    env = lesson_execute.kernel_env(quick=True, figures=figures, strict_checks=checks == "strict")
    env["INFOPLANE_CHECKS"] = checks
    client = NotebookClient(nb, timeout=600, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute(env=env)
    return nb


def _errors(nb: nbformat.NotebookNode) -> list:
    return [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
            if o.get("output_type") == "error"]


def _score(nb: nbformat.NotebookNode) -> tuple[int, int]:
    text = "".join(o.get("text", "") for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", []))
    found = re.findall(r"SCORE: (\d+) / (\d+)", text)
    assert found, "the notebook printed no SCORE line"
    passed, total = found[-1]
    return int(passed), int(total)


def test_the_coursework_is_there():
    assert ASSIGNMENT in PATHS and SOLUTION in PATHS


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_coursework_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} keep outputs; clear them before committing"


def test_assignment_runs_with_its_checks_open(tmp_path):
    nb = _execute(ASSIGNMENT, tmp_path, "raise")
    assert not _errors(nb), _errors(nb)[0].get("evalue")
    assert _score(nb) == (0, 7)          # nothing answered, nothing wrong


def test_solution_passes_every_check_under_strict_checks(tmp_path):
    nb = _execute(SOLUTION, tmp_path, "strict")
    errors = _errors(nb)
    assert not errors, errors[0].get("evalue") if errors else ""
    assert _score(nb) == (7, 7)
    assert (tmp_path / "cw_vib_sweep.png").exists()
