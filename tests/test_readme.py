"""The README's tour runs verbatim: every ```python block, in order, in one namespace."""

import re
from pathlib import Path

import matplotlib
import pytest

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")
# a block is skipped only when the line right before its fence is <!-- no-test -->
BLOCK = re.compile(r"(?P<mark><!-- no-test -->\n)?```(?P<lang>[\w-]*)\n(?P<code>.*?)^```", re.S | re.M)


def python_blocks(text: str) -> list[tuple[int, str]]:
    """(line number, code) of every ```python block not marked <!-- no-test -->."""
    return [(text.count("\n", 0, m.start("code")) + 1, m.group("code"))
            for m in BLOCK.finditer(text) if m.group("lang") == "python" and not m.group("mark")]


def test_readme_has_a_tour():
    assert len(python_blocks(README)) >= 5


def test_block_extraction_honours_the_no_test_mark():
    text = "x\n```python\na = 1\n```\n<!-- no-test -->\n```python\nraise SystemExit\n```\n```bash\nls\n```\n"
    assert python_blocks(text) == [(3, "a = 1\n")]


def test_readme_tour_runs_verbatim(tmp_path, monkeypatch):
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    monkeypatch.chdir(tmp_path)                 # the tour writes figures/plane.csv
    (tmp_path / "figures").mkdir()
    namespace: dict = {"__name__": "__readme__"}
    try:
        for line, code in python_blocks(README):
            try:
                exec(compile(code, f"README.md:{line}", "exec"), namespace)
            except Exception as error:          # name the block that broke
                pytest.fail(f"README.md block at line {line} raised {type(error).__name__}: {error}")
    finally:
        plt.close("all")
    assert (tmp_path / "figures" / "plane.csv").exists()
    _check_numbers_quoted_in_comments(namespace)


def _check_numbers_quoted_in_comments(ns: dict) -> None:
    """The numbers the tour's comments quote are the ones its code computes."""
    import numpy as np

    from infoplane.estimators import entropy, mutual_information, mutual_information_discrete
    from infoplane.info import evaluate
    from infoplane.info import mutual_information as exact_mi
    assert evaluate(ns["xor"], "I[X;Y;Z]", base=2) == pytest.approx(-1.0)
    np.testing.assert_array_equal(ns["rows"].pmf, [[0.25, 0.25], [0.0, 0.5]])
    assert [(r["beta"], round(r["i_xz"], 3), round(r["i_zy"], 3)) for r in ns["curve"]] == \
        [(0.5, 0.0, 0.0), (2, 0.0, 0.0), (5, 0.671, 0.267), (20, 0.693, 0.27)]
    assert round(exact_mi(ns["pxy"], "X", "Y"), 3) == 0.280
    x, y = ns["x"], ns["y"]
    assert round(ns["exact"], 3) == 0.446
    assert round(mutual_information(x, y), 3) == 0.450
    assert round(mutual_information_discrete(x, ns["labels"]), 3) == 0.684
    assert round(np.log(2 * np.pi * np.e), 3) == 2.838
    assert [round(entropy(x, m, diagonal=d), 3) for m, d in (("kl", False), ("gaussian", False),
                                                           ("gaussian", True))] == [2.823, 2.834, 2.834]
    assert round(ns["h_bins"], 3) == 5.552 and round(ns["h_bins"] + 2 * np.log(0.25), 3) == 2.779
    u = ns["u"]
    assert (round(u.ci_low, 3), round(u.ci_high, 3)) == (0.428, 0.478) and u.shuffle_high < 0.01
    assert ns["post"].shape == (50, 200, 4)
    assert len(ns["table"]) == 4 and 0.0 <= ns["gme"] and 0.0 <= ns["auc"] <= 1.0


def test_make_targets_named_in_the_readme_exist():
    makefile = (ROOT / "Makefile").read_text()
    targets = set(re.findall(r"^([\w-]+):", makefile, re.M))
    named = set(re.findall(r"`make ([\w-]+)`", README)) | set(re.findall(r"^make ([\w-]+)", README, re.M))
    assert named and named <= targets, named - targets
