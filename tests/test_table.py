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


STRINGS = [{"run": "007", "seed": "42", "gamma": "0.1", "tag": "nan", "note": "", "quoted": '"a"',
            "odd": '"unclosed', "comma": "a,b", "spaced": " 7", "inf": "inf", "plain": "ib",
            "n": 7, "x": 0.1 + 0.2, "neg": -3, "tiny": 5e-324, "big": 1e300, "minus_inf": -math.inf}]


@pytest.mark.parametrize("suffix", [".csv", ".json"])
def test_strings_stay_strings_and_numbers_numbers(tmp_path, suffix):
    loaded = load_table(save_table(STRINGS, tmp_path / f"s{suffix}"))
    assert loaded == STRINGS
    assert all(type(loaded[0][k]) is type(v) for k, v in STRINGS[0].items())


def test_csv_writes_plain_strings_and_numbers_as_they_are(tmp_path):
    path = save_table([{"run": "ib", "epoch": 3, "i_xz": 0.5, "id": "007"}], tmp_path / "t.csv")
    header, row = path.read_text(encoding="utf-8").splitlines()
    assert row == 'ib,3,0.5,"""007"""'   # only the number-like string is quoted (as JSON)


def test_bad_tables_and_paths_name_the_argument(tmp_path):
    for rows in (None, "abc", {"run": "a"}, [1, 2]):
        with pytest.raises(TypeError, match=r"^rows:"):
            save_table(rows, tmp_path / "t.csv")
    with pytest.raises(TypeError, match=r"^path:"):
        load_table(None)
    with pytest.raises(TypeError, match=r"^path:"):
        save_table([], 3)
