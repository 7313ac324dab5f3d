"""sweep: grids of independent runs through joblib (processes, Dask), failures kept, resumable cache."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from infoplane.sweep import RunFailure, grid_points, sweep


def quadratic(gamma: float, objective: str, seed: int) -> list[dict]:
    """Two rows per run, like an information-plane table: epochs 1 and 2."""
    if objective == "bad":
        raise ValueError(f"objective: {objective!r} diverged")
    return [{"epoch": e, "value": gamma * e + seed + (10 if objective == "vib" else 0)} for e in (1, 2)]


def counting(x: int, seed: int, log: str) -> dict:
    with open(log, "a") as f:
        f.write(f"{x},{seed}\n")
    return {"y": x * 100 + seed}


def test_grid_points_are_the_product_in_order() -> None:
    points = grid_points({"objective": ["ib", "vib"], "gamma": [0.1, 1.0, 10.0]})
    assert len(points) == 6
    assert points[1] == {"objective": "ib", "gamma": 1.0} and points[3] == {"objective": "vib", "gamma": 0.1}
    assert grid_points([{"a": 1}, {"a": 2, "b": 3}]) == [{"a": 1}, {"a": 2, "b": 3}]
    with pytest.raises(ValueError, match=r"^grid:"):
        grid_points({"gamma": 0.1})


def test_rows_carry_their_parameters_and_processes_give_the_same_table() -> None:
    grid = {"objective": ["ib", "vib"], "gamma": [0.5, 2.0]}
    serial = sweep(quadratic, grid, seeds=[0, 1], n_jobs=1, progress=False)
    assert len(serial.rows) == 2 * 2 * 2 * 2 and not serial.failures
    first = serial.rows[0]
    assert first == {"objective": "ib", "gamma": 0.5, "seed": 0, "epoch": 1, "value": 0.5}
    for row in serial.rows:
        assert row["value"] == pytest.approx(row["gamma"] * row["epoch"] + row["seed"]
                                             + (10 if row["objective"] == "vib" else 0))
    parallel = sweep(quadratic, grid, seeds=[0, 1], n_jobs=2, progress=False)
    assert parallel.rows == serial.rows


def test_a_failed_run_is_reported_with_its_parameters() -> None:
    result = sweep(quadratic, {"objective": ["ib", "bad"], "gamma": [1.0]}, seeds=[3], progress=False)
    assert [r["objective"] for r in result.rows] == ["ib", "ib"]
    (failure,) = result.failures
    assert isinstance(failure, RunFailure)
    assert failure.params == {"objective": "bad", "gamma": 1.0} and failure.seed == 3
    assert failure.error.startswith("ValueError: objective:") and "Traceback" in failure.traceback
    with pytest.raises(RuntimeError, match=r"^1 run\(s\) failed"):
        result.raise_failures()


def test_the_cache_resumes_an_interrupted_sweep(tmp_path: Path) -> None:
    log = tmp_path / "calls.txt"
    first = sweep(counting, {"x": [1, 2], "log": [str(log)]}, seeds=[0], cache_dir=tmp_path / "c",
                  progress=False)
    assert first.cached == 0 and len(log.read_text().splitlines()) == 2
    # the sweep is extended by one seed: only the two new runs execute
    again = sweep(counting, {"x": [1, 2], "log": [str(log)]}, seeds=[0, 1], cache_dir=tmp_path / "c",
                  progress=False)
    assert again.cached == 2
    assert log.read_text().splitlines()[2:] == ["1,1", "2,1"]
    assert [r["y"] for r in again.rows] == [100, 101, 200, 201]


def test_the_same_call_runs_on_a_dask_cluster() -> None:
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                                  dashboard_address=None) as cluster, distributed.Client(cluster):
        result = sweep(quadratic, {"objective": ["ib"], "gamma": [0.5, 2.0]}, seeds=[0, 1],
                       backend="dask", progress=False)
    local = sweep(quadratic, {"objective": ["ib"], "gamma": [0.5, 2.0]}, seeds=[0, 1], progress=False)
    assert result.rows == local.rows


@pytest.mark.parametrize(("kwargs", "argument"), [
    ({"make_run": 3}, "make_run"),
    ({"grid": {}}, "grid"),
    ({"seeds": [-1]}, "seeds"),
    ({"n_jobs": 0}, "n_jobs"),
])
def test_bad_arguments_name_themselves(kwargs: dict, argument: str) -> None:
    args = {"make_run": quadratic, "grid": {"objective": ["ib"], "gamma": [1.0]}, **kwargs}
    with pytest.raises((ValueError, TypeError), match=rf"^{argument}:"):
        sweep(progress=False, **args)


def test_a_run_must_return_rows() -> None:
    result = sweep(lambda x, seed: math.pi, {"x": [1]}, progress=False)
    assert result.failures[0].error.startswith("TypeError: make_run:")
