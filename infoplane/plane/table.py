"""The information-plane table: a list of dicts (one row per run, record and layer), on disk.

:func:`save_table` writes CSV or JSON by the file suffix; :func:`load_table` reads it
back identically (ints stay ints, floats floats, other values strings). Columns are the
recorder's (:data:`infoplane.plane.QUANTITIES`: ``i_xz``, ``i_zy``, ``h_z``, ... in
nats) plus the run's own (``run``, ``epoch``, ``step``, ``layer``, parameters).

Examples
--------
>>> import os, tempfile
>>> from infoplane.plane import load_table, save_table
>>> rows = [{"run": "a", "epoch": 1, "i_xz": 0.5}]
>>> load_table(save_table(rows, os.path.join(tempfile.mkdtemp(), "t.json"))) == rows
True
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["save_table", "load_table"]

_INT = re.compile(r"^[+-]?\d+$")


def _parse(cell: str) -> int | float | str:
    if _INT.match(cell):
        return int(cell)
    try:
        return float(cell)
    except ValueError:
        return cell


def save_table(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write a list of dicts to CSV or JSON (by the suffix of ``path``); returns the path.

    CSV cells hold ``repr`` of floats, so :func:`load_table` restores the same values
    (ints stay ints, floats floats, other values strings; a key missing from a row is
    written as an empty cell and left out again on loading). Values are written as
    they are (information quantities in nats).

    Examples
    --------
    >>> import os, tempfile
    >>> from infoplane.plane import save_table, load_table
    >>> rows = [{"run": "a", "epoch": 1, "h_z": 0.1 + 0.2}, {"run": "b", "epoch": 2, "h_z": -1e-300}]
    >>> load_table(save_table(rows, os.path.join(tempfile.mkdtemp(), "t.csv"))) == rows
    True
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".json"):
        raise ValueError(f"path: expected a .csv or .json file name, got {path.name!r}")
    path.parent.mkdir(parents=True, exist_ok=True)
    rows = [dict(r) for r in rows]
    if suffix == ".json":
        path.write_text(json.dumps(rows, indent=1))
        return path
    columns: list[str] = []
    for row in rows:
        columns.extend(key for key in row if key not in columns)
    with path.open("w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(columns)
        for row in rows:
            writer.writerow(["" if row.get(c) is None else repr(row[c]) if isinstance(row[c], float)
                             else row[c] for c in columns])
    return path


def load_table(path: str | os.PathLike[str]) -> list[dict[str, Any]]:
    """Read a table written by :func:`save_table` (CSV or JSON).

    Examples
    --------
    >>> import os, tempfile
    >>> from infoplane.plane import load_table, save_table
    >>> p = save_table([{"run": "a", "epoch": 3, "i_zy": 1.5}], os.path.join(tempfile.mkdtemp(), "t.csv"))
    >>> load_table(p)
    [{'run': 'a', 'epoch': 3, 'i_zy': 1.5}]
    """
    path = Path(path)
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text())
    with path.open(newline="") as f:
        reader = csv.reader(f)
        columns = next(reader, [])
        return [{c: _parse(v) for c, v in zip(columns, cells, strict=True) if v != ""} for cells in reader]
