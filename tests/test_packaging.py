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


def _recipe(makefile: str, target: str) -> list[str]:
    """The command lines of one Makefile target (tab-indented lines after ``target:``)."""
    match = re.search(rf"^{target}:.*\n((?:\t.*\n?)*)", makefile, re.M)
    assert match, f"no target {target!r}"
    return [line.strip() for line in match.group(1).splitlines()]


def test_readme_commands_are_the_makefile_targets_and_ci_runs_the_test_one():
    readme = (ROOT / "README.md").read_text()
    assert re.search(r"^\s*make demo\b", readme, re.M) or "`make demo`" in readme
    assert re.search(r"^\s*make test\b", readme, re.M) or "`make test`" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert _recipe(makefile, "demo")
    test = _recipe(makefile, "test")
    # lint errors fail the test command, before pytest runs
    lint = [i for i, line in enumerate(test) if re.search(r"\bruff check \.(\s|$)", line)]
    tests = [i for i, line in enumerate(test) if re.search(r"-m pytest\b", line)]
    assert lint and tests and lint[0] < tests[0], test
    ci = (ROOT / ".ci" / "run").read_text()
    assert re.search(r"^exec make test$", ci, re.M)


def test_ruff_checks_annotations_in_the_package_but_not_in_tests():
    lint = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["ruff"]["lint"]
    assert "ANN" in lint["select"]
    assert not {"ANN", "ANN001", "ANN201"} & set(lint.get("ignore", []))
    exempt = {pattern for pattern, codes in lint["per-file-ignores"].items() if "ANN" in codes}
    assert not any(pattern.startswith("infoplane") for pattern in exempt)
    assert "tests/*" in exempt


def test_every_benchmark_script_is_found_by_the_runner():
    import runpy

    runner = runpy.run_path(str(ROOT / "benchmarks" / "run.py"))
    scripts = sorted(p.stem for p in (ROOT / "benchmarks").glob("[a-z]*.py") if p.name != "run.py")
    assert "train_step" in scripts
    assert runner["main"](["no-such-benchmark"]) == 2
