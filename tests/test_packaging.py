"""pyproject.toml and environment.yml name the same packages; the README's commands and CI agree."""

import re
from pathlib import Path

import pytest

tomllib = pytest.importorskip("tomllib")  # Python >= 3.11

ROOT = Path(__file__).resolve().parents[1]
CONDA_NAMES = {"pytorch": "torch"}  # conda-forge name -> PyPI name


def _name(requirement: str) -> str:
    return re.split(r"[<>=!~;\[ ]", requirement.strip(), maxsplit=1)[0].lower().replace("_", "-")


def test_environment_yml_mirrors_pyproject():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    extras = meta["optional-dependencies"]
    pypi = {_name(r) for r in meta["dependencies"] + extras["lessons"] + extras["dev"]}
    conda = set()
    for line in (ROOT / "environment.yml").read_text().splitlines():
        match = re.match(r"\s+-\s+([A-Za-z0-9_.-]+)", line)
        if match and match.group(1) not in {"python", "pip", "conda-forge"}:
            name = _name(match.group(1))
            conda.add(CONDA_NAMES.get(name, name))
    assert pypi == conda


def test_torch_stays_a_range_and_python_is_3_10_plus():
    meta = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    torch_req = next(r for r in meta["dependencies"] if _name(r) == "torch")
    assert ">=" in torch_req and "==" not in torch_req
    assert meta["requires-python"] == ">=3.10"
    assert meta["scripts"]["infoplane"] == "infoplane.cli:main"


def test_readme_commands_are_the_makefile_targets_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)
    assert "ruff check" in makefile  # lint errors fail the test command
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test$", ci, re.M)
