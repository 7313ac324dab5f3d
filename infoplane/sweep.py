"""Grids of runs (objective x weight x seed) as independent jobs, one tidy table back.

:func:`sweep` calls ``make_run(**params, seed=seed)`` for every point of a grid and every
seed, through joblib: processes on one machine by default (``n_jobs``), or any joblib
backend, such as Dask's (``backend="dask"`` with a ``dask.distributed.Client`` open), so
the same call runs on a cluster. A run returns a dict (one row) or a list of dicts
(e.g. an information-plane table); every row comes back with the run's parameters and
seed as columns. A run that raises is reported with its parameters and traceback, not
lost; with ``cache_dir`` every finished run is written to disk, so an interrupted sweep
resumes where it stopped.

Examples
--------
>>> from infoplane.sweep import sweep
>>> def run(gamma, seed):
...     return {"loss": gamma * 10 + seed}
>>> result = sweep(run, {"gamma": [0.1, 1.0]}, seeds=[0, 1], n_jobs=1, progress=False)
>>> [(r["gamma"], r["seed"], r["loss"]) for r in result.rows]
[(0.1, 0, 1.0), (0.1, 1, 2.0), (1.0, 0, 10.0), (1.0, 1, 11.0)]
"""

from __future__ import annotations

import hashlib
import itertools
import json
import os
import traceback
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from infoplane._validation import check_int

__all__ = ["RunFailure", "SweepResult", "grid_points", "sweep"]

Row = dict[str, Any]
Grid = Mapping[str, Sequence[Any]] | Sequence[Mapping[str, Any]]


@dataclass(frozen=True)
class RunFailure:
    """A run that raised: its parameters, seed, the error and its traceback."""

    params: dict[str, Any]
    seed: int
    error: str
    traceback: str


@dataclass
class SweepResult:
    """What :func:`sweep` returns: the tidy table of all rows and the runs that failed."""

    rows: list[Row] = field(default_factory=list)
    failures: list[RunFailure] = field(default_factory=list)
    cached: int = 0

    def raise_failures(self) -> None:
        """Raise a RuntimeError listing every failed run (do nothing when all succeeded)."""
        if self.failures:
            lines = [f"{f.params} seed={f.seed}: {f.error}" for f in self.failures]
            raise RuntimeError(f"{len(self.failures)} run(s) failed:\n" + "\n".join(lines))


def grid_points(grid: Grid) -> list[dict[str, Any]]:
    """The points of a grid: the product of a dict of value lists, or a list of dicts as given.

    Examples
    --------
    >>> from infoplane.sweep import grid_points
    >>> grid_points({"objective": ["ib", "vib"], "gamma": [0.1, 1.0]})[:2]
    [{'objective': 'ib', 'gamma': 0.1}, {'objective': 'ib', 'gamma': 1.0}]
    """
    if isinstance(grid, Mapping):
        if not grid:
            raise ValueError("grid: is empty; name at least one parameter with its values")
        names = list(grid)
        for name in names:
            values = grid[name]
            if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
                raise ValueError(f"grid: the values of {name!r} must be a list, got {values!r}")
        return [dict(zip(names, combo, strict=True)) for combo in itertools.product(*(list(grid[n])
                                                                                      for n in names))]
    points = [dict(p) for p in grid]
    if not all(isinstance(p, dict) for p in points):
        raise ValueError("grid: expected a dict of value lists or a list of dicts")
    return points


def _key(params: Mapping[str, Any], seed: int) -> str:
    text = json.dumps({"params": params, "seed": seed}, sort_keys=True, default=repr)
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def _one(make_run: Callable[..., Row | list[Row]], params: dict[str, Any], seed: int,
         cache_dir: str | None) -> tuple[list[Row] | None, RunFailure | None]:
    try:
        out = make_run(**params, seed=seed)
        rows = [out] if isinstance(out, Mapping) else list(out) if isinstance(out, (list, tuple)) else [out]
        if not all(isinstance(r, Mapping) for r in rows):
            raise TypeError(f"make_run: expected a dict or a list of dicts, got {type(out).__name__}")
        rows = [{**params, "seed": seed, **dict(r)} for r in rows]
    except Exception as err:  # a failed run is reported with its parameters, not raised
        return None, RunFailure(dict(params), seed, f"{type(err).__name__}: {err}", traceback.format_exc())
    if cache_dir is not None:
        path = Path(cache_dir) / f"{_key(params, seed)}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"params": params, "seed": seed, "rows": rows}, default=repr))
        os.replace(tmp, path)
    return rows, None


def sweep(make_run: Callable[..., Row | list[Row]], grid: Grid,
          seeds: Iterable[int] = (0,), *, n_jobs: int = 1, backend: str | None = None,
          cache_dir: str | os.PathLike | None = None, progress: bool = True) -> SweepResult:
    """Run ``make_run(**params, seed=seed)`` for every grid point and seed as independent jobs.

    Parameters
    ----------
    make_run : callable
        Takes the grid's parameters and ``seed`` as keyword arguments and returns a
        dict (one row) or a list of dicts. For process backends it must be picklable
        (a module-level function; joblib's loky backend also takes closures).
    grid : dict of lists, or list of dicts
        See :func:`grid_points`.
    seeds : iterable of int
    n_jobs : int
        Parallel jobs (``-1``: all cores). Ignored by backends that size themselves.
    backend : str, optional
        A joblib backend name: ``"loky"`` (the default, processes), ``"threading"``,
        ``"sequential"``, or ``"dask"`` (needs ``dask.distributed`` and an open
        ``Client``; the runs then go to the cluster).
    cache_dir : path, optional
        Write each finished run there and skip runs already written (resume).
    progress : bool
        Print one line per finished batch through joblib's verbosity (never under ``CI``).

    Returns
    -------
    SweepResult
        ``rows`` (grid order, then seeds), ``failures`` and how many runs came from the cache.

    Examples
    --------
    >>> from infoplane.sweep import sweep
    >>> def flaky(x, seed):
    ...     if x < 0:
    ...         raise ValueError("x: negative")
    ...     return {"y": x * x}
    >>> result = sweep(flaky, {"x": [-1, 2]}, n_jobs=1, progress=False)
    >>> [r["y"] for r in result.rows], result.failures[0].error
    ([4], 'ValueError: x: negative')
    """
    import joblib

    if not callable(make_run):
        raise TypeError(f"make_run: expected a callable, got {type(make_run).__name__}")
    points = grid_points(grid)
    seeds = [check_int(s, "seeds", minimum=0) for s in seeds]
    if not points or not seeds:
        raise ValueError("grid: the sweep has no runs (an empty grid or no seeds)")
    n_jobs = check_int(n_jobs, "n_jobs", minimum=-1)
    if n_jobs == 0:
        raise ValueError("n_jobs: expected a positive number of jobs or -1")
    cache = None
    if cache_dir is not None:
        cache = Path(cache_dir)
        cache.mkdir(parents=True, exist_ok=True)
    jobs = [(params, seed) for params in points for seed in seeds]
    done: dict[int, list[Row]] = {}
    todo = []
    for i, (params, seed) in enumerate(jobs):
        path = cache / f"{_key(params, seed)}.json" if cache is not None else None
        if path is not None and path.exists():
            done[i] = json.loads(path.read_text())["rows"]
        else:
            todo.append(i)
    verbose = 5 if progress and not os.environ.get("CI") else 0
    result = SweepResult(cached=len(done))
    if todo:
        config = {"n_jobs": n_jobs} if backend is None else {"n_jobs": n_jobs, "backend": backend}
        with joblib.parallel_config(**config):
            outs = joblib.Parallel(verbose=verbose)(
                joblib.delayed(_one)(make_run, jobs[i][0], jobs[i][1], None if cache is None else str(cache))
                for i in todo)
        for i, (rows, failure) in zip(todo, outs, strict=True):
            if failure is not None:
                result.failures.append(failure)
            else:
                done[i] = rows
    result.rows = [row for i in sorted(done) for row in done[i]]
    return result
