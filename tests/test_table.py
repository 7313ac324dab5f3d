"""The information-plane table on disk: CSV and JSON round trips keep values and types."""

from __future__ import annotations

import json
import math

import pytest

from infoplane.plane import load_table, save_table

ROWS = [{"run": "ib γ=0.1", "objective": "ib", "gamma": 0.1, "epoch": 0, "step": 0, "layer": "z",
         "i_xz": 0.1 + 0.2, "h_z": -1e-300, "test_accuracy": 0.75},
        {"run": "b", "epoch": 2, "beta": math.inf, "i_zy": 1 / 3}]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_saved_table_reloads_identically(tmp_path, suffix):
    path = save_table(ROWS, tmp_path / "deep" / f"t{suffix}")
    assert path.exists()
    loaded = load_table(path)
    assert loaded == ROWS
    assert all(type(a[k]) is type(b[k]) for a, b in zip(loaded, ROWS, strict=True) for k in a)


def test_csv_layout_is_the_union_of_the_columns(tmp_path):
    path = save_table(ROWS, tmp_path / "t.csv")
    header, first, second = path.read_text(encoding="utf-8").splitlines()
    assert header.split(",") == ["run", "objective", "gamma", "epoch", "step", "layer", "i_xz", "h_z",
                                 "test_accuracy", "beta", "i_zy"]
    assert first.split(",")[6] == repr(0.1 + 0.2)      # floats written by repr: no digits lost
    assert second.split(",")[1] == ""                  # a missing key is an empty cell
    assert json.loads(save_table(ROWS[1:], tmp_path / "t.json").read_text()) == [
        {"run": "b", "epoch": 2, "beta": math.inf, "i_zy": 1 / 3}]


def test_bad_path_names_itself(tmp_path):
    with pytest.raises(ValueError, match=r"^path:"):
        save_table(ROWS, tmp_path / "t.txt")
