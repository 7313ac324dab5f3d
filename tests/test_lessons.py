"""Every lesson executes headless in quick mode and is stored without outputs."""

import importlib.util
import json
from pathlib import Path

import pytest

LESSONS = Path(__file__).resolve().parents[1] / "lessons"
_spec = importlib.util.spec_from_file_location("lesson_execute", LESSONS / "execute.py")
lesson_execute = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(lesson_execute)
PATHS = lesson_execute.lesson_paths()


def test_there_are_lessons():
    assert any(p.name == "00_tour.ipynb" for p in PATHS)


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_lesson_is_stored_without_outputs(path):
    nb = json.loads(path.read_text())
    dirty = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and (c.get("outputs") or c.get("execution_count"))]
    assert not dirty, f"{path.name}: cells {dirty} keep outputs; clear them before committing"


@pytest.mark.parametrize("path", PATHS, ids=[p.stem for p in PATHS])
def test_lesson_executes_in_quick_mode(path, tmp_path):
    nb = lesson_execute.execute(path, quick=True, figures=tmp_path, timeout=600)
    errors = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors
    assert any(tmp_path.iterdir()), f"{path.name} saved no figure"


SOLUTIONS = lesson_execute.solution_paths()


@pytest.mark.parametrize("path", SOLUTIONS, ids=[f"solution-{p.stem}" for p in SOLUTIONS])
def test_official_solution_passes_every_check(path, tmp_path):
    """Solutions run with strict checks: an unanswered or failing check is an error output."""
    nb = json.loads(path.read_text())
    assert not [c for c in nb["cells"] if c["cell_type"] == "code" and c.get("outputs")]
    executed = lesson_execute.execute(path, quick=True, figures=tmp_path, timeout=600)
    errors = [o for c in executed.cells if c.cell_type == "code" for o in c.get("outputs", [])
              if o.get("output_type") == "error"]
    assert not errors, errors[0].get("evalue") if errors else ""
    assert any("check" in "".join(c.source) for c in executed.cells if c.cell_type == "code")
