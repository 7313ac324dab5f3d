"""The information-plane table: a list of dicts (one row per run, record and layer), on disk.

:func:`save_table` writes CSV or JSON by the file suffix; :func:`load_table` reads it
back identically (ints stay ints, floats floats, strings strings). Columns are the
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
    if cell.startswith('"'):  # a string written as JSON (it would otherwise read back as a number)
        try:
            value = json.loads(cell)
        except ValueError:
            return cell
        return value if isinstance(value, str) else cell
    if _INT.match(cell):
        return int(cell)
    try:
        return float(cell)
    except ValueError:
        return cell


def _cell(value: Any) -> Any:
    """A CSV cell: ``repr`` of a float; a string that would not read back as itself as JSON."""
    if value is None:
        return ""
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, str) and (value == "" or _parse(value) != value):
        return json.dumps(value)  # "007" -> '"007"', "" -> '""', '"a"' -> '"\\"a\\""'
    return value


def _check_path(path: object) -> Path:
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"path: expected a file name (str or os.PathLike), got {type(path).__name__}")
    return Path(path)


def save_table(rows: Sequence[dict[str, Any]], path: str | os.PathLike[str]) -> Path:
    """Write a list of dicts to CSV or JSON (by the suffix of ``path``); returns the path.

    CSV cells hold ``repr`` of floats, so :func:`load_table` restores the same values
    (ints stay ints, floats floats, strings strings: a string that would read back as
    something else, such as ``"007"``, ``"1.5"``, ``"nan"``, ``""`` or one starting
    with a double quote, is written as a JSON string literal, ``"007"`` with its
    quotes; a key missing from a row is written as an empty cell and left out again
    on loading). Other values (bools, ...) are written with ``str`` and read back as
    strings; JSON keeps them. Values are written as they are (information
    quantities in nats).

    Examples
    --------
    >>> import os, tempfile
    >>> from infoplane.plane import save_table, load_table
    >>> rows = [{"run": "a", "epoch": 1, "h_z": 0.1 + 0.2}, {"run": "b", "epoch": 2, "h_z": -1e-300}]
    >>> load_table(save_table(rows, os.path.join(tempfile.mkdtemp(), "t.csv"))) == rows
    True
    """
    if isinstance(rows, (str, bytes, dict)) or not isinstance(rows, Sequence) or not all(
            isinstance(row, dict) for row in rows):
        raise TypeError(f"rows: expected a list of dicts, got {type(rows).__name__}")
    path = _check_path(path)
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
            writer.writerow([_cell(row.get(c)) for c in columns])
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
    path = _check_path(path)
    if path.suffix.lower() == ".json":
        return json.loads(path.read_text())
    with path.open(newline="") as f:
        reader = csv.reader(f)
        columns = next(reader, [])
        return [{c: _parse(v) for c, v in zip(columns, cells, strict=True) if v != ""} for cells in reader]
