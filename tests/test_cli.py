"""The ``infoplane compare`` command at a reduced size: figure and table exist and are sane."""

from __future__ import annotations

import math
import subprocess
import sys
import warnings

import matplotlib.image
import pytest

from infoplane.cli import main
from infoplane.data import load_digits
from infoplane.plane import load_table


def test_compare_writes_figure_and_table(tmp_path, capsys):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["compare", "--dataset", "digits", "--objectives", "ib,vib", "--grid", "0.01,0.3",
                     "--epochs", "2", "--records", "2", "--dpi", "50", "--max-samples", "300",
                     "--hidden", "32",
                     "--device", "cpu", "--out", str(tmp_path), "--quiet"])
    assert code == 0
    figure = tmp_path / "information_plane_comparison.png"
    image = matplotlib.image.imread(figure)
    assert image.ndim == 3 and image.shape[0] > 150 and image.shape[1] > 500
    assert image[..., :3].std() > 0.01            # not a blank canvas
    rows = load_table(tmp_path / "information_plane_comparison.csv")
    runs = {r["run"] for r in rows}
    assert runs == {"ib gamma=0.01", "ib gamma=0.3", "vib beta=0.01", "vib beta=0.3"}
    assert sorted({r["epoch"] for r in rows}) == [0, 1, 2]   # epoch 0 plus log-spaced records
    assert len(rows) == 4 * 3
    n_test = load_digits().x_test.shape[0]
    for row in rows:
        assert row["objective"] in ("ib", "vib") and row["layer"] == "z" and row["n"] == 300
        assert row["estimator"] == "mixture" and row["noise"] == "model"
        values = [row[k] for k in ("i_xz", "i_zy", "h_z", "h_z_given_y", "decoder_ce")]
        # issue 15's Done-when: every estimate within its bound, up to two standard errors
        assert row["h_x"] == pytest.approx(math.log(300), abs=1e-12)
        assert row["i_xz"] <= row["h_x"] + 2 * row["i_xz_se"]
        assert row["i_zy"] <= row["h_y"] + 2 * row["i_zy_se"]
        assert all(math.isfinite(v) for v in values)
        assert row["h_y"] == pytest.approx(math.log(10), abs=0.03)   # digits are ~balanced
        # an accuracy on the test split: a whole number of correct images
        assert row["test_accuracy"] * n_test == pytest.approx(round(row["test_accuracy"] * n_test), abs=1e-3)
        assert ("gamma" in row) == (row["objective"] == "ib")
        if row["objective"] == "ib":                # zero-entropy noise: H[Z|X] = 0 (float32 log-variances)
            assert row["h_z_given_x"] == pytest.approx(0.0, abs=1e-6)
            assert row["i_xz"] == pytest.approx(row["h_z"], abs=1e-6)
    last = {r["run"]: r for r in rows if r["epoch"] == 2}
    assert last["ib gamma=0.01"]["train_accuracy"] > 0.2          # above chance (0.1) after 2 epochs
    out = capsys.readouterr().out
    assert "information_plane_comparison.png" in out and "of training" in out


def test_compare_includes_the_ibinn_with_its_own_exact_terms(tmp_path):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        code = main(["compare", "--objectives", "ibinn", "--ibinn-grid", "1", "--epochs", "2",
                     "--records", "2", "--dpi", "40", "--max-samples", "200", "--device", "cpu",
                     "--out", str(tmp_path), "--quiet"])
    assert code == 0
    rows = load_table(tmp_path / "information_plane_comparison.csv")
    assert {r["run"] for r in rows} == {"ibinn gamma=1"} and len(rows) == 3
    for row in rows:
        assert row["dim"] == 64 and row["noise"] == "added"   # a deterministic flow: the recorder adds noise
        assert row["i_xz"] <= row["h_x"] + 2 * row["i_xz_se"]
        # CI(Y, Z_E) = H(Y) + E log q(y|z) <= H(Y): the model's own term, beside the estimates
        assert row["ci_zy"] <= row["h_y"] + 1e-9 and math.isfinite(row["ci_xz"])
    assert rows[-1]["test_accuracy"] > 0.5                    # the generative classifier learns in 2 epochs


@pytest.mark.parametrize("argv, flag", [
    (["--objectives", "ib,xyz"], "--objectives"),
    (["--grid", "0.1,abc"], "--grid"),
    (["--grid", "-1"], "--grid"),
    (["--epochs", "0"], "--epochs"),
    (["--mixture-samples", "0"], "--mixture-samples"),
    (["--ibinn-grid", "-0.5"], "--ibinn-grid"),
])
def test_compare_rejects_bad_options(tmp_path, argv, flag):
    with pytest.raises(SystemExit) as info:
        main(["compare", "--out", str(tmp_path), "--quiet", *argv])
    assert str(info.value).startswith(f"infoplane compare: error: {flag}:")


def test_the_old_estimator_name_is_gone(tmp_path, capsys):
    with pytest.raises(SystemExit):
        main(["compare", "--estimator", "ksg", "--out", str(tmp_path)])
    assert "invalid choice: 'ksg'" in capsys.readouterr().err


def test_python_dash_m_runs_the_command():
    done = subprocess.run([sys.executable, "-m", "infoplane", "compare", "--help"], capture_output=True,
                          text=True, timeout=120, check=False)
    assert done.returncode == 0
    assert "--estimator {mixture,kl,gaussian,binning,kde}" in done.stdout


def test_python_dash_m_is_the_infoplane_command(tmp_path):
    # issue 16, item 7: `python -m infoplane` behaves like the console script, errors included
    from pathlib import Path
    script = Path(sys.executable).with_name("infoplane")
    if not script.exists():
        pytest.skip("the infoplane console script is not installed beside this python")
    runs = {}
    for name, argv in (("module", [sys.executable, "-m", "infoplane"]), ("script", [str(script)])):
        done = subprocess.run(argv + ["no-such-command"], capture_output=True, text=True, timeout=120,
                              check=False, cwd=tmp_path)
        runs[name] = (done.returncode, done.stdout, done.stderr)
    assert runs["module"] == runs["script"]
    bad_rc, _, bad_err = runs["module"]
    assert bad_err.startswith("usage: infoplane ") and "{compare,sweep}" in bad_err
    assert bad_rc == 2 and "invalid choice: 'no-such-command'" in bad_err


def test_sweep_writes_the_table_and_resumes_from_its_cache(tmp_path) -> None:
    import csv

    from infoplane.cli import main

    args = ["sweep", "--gammas", "1", "--epochs", "1", "--n-jobs", "1", "--quiet",
            "--out", str(tmp_path / "out"), "--cache", str(tmp_path / "cache")]
    assert main(args) == 0
    rows = list(csv.DictReader((tmp_path / "out" / "ibinn_sweep.csv").open()))
    assert sorted(r["model"] for r in rows) == ["class_nll", "feed_forward", "ibinn", "vib"]
    generative = {r["model"]: r for r in rows}
    # only the generative classifiers have a likelihood, so only they get OoD scores and bits/dim
    assert generative["ibinn"]["ood_auc"] and generative["class_nll"]["bits_per_dim"]
    assert not generative["feed_forward"]["ood_auc"] and not generative["vib"]["bits_per_dim"]
    first = (tmp_path / "out" / "ibinn_sweep.csv").read_text()
    assert main(args) == 0
    assert (tmp_path / "out" / "ibinn_sweep.csv").read_text() == first
    assert len(list((tmp_path / "cache").glob("*.json"))) == 4
    assert (tmp_path / "out" / "ibinn_sweep.png").stat().st_size > 0
    # Figs. 7 and 8 of the paper; their arrays stay out of the table
    assert matplotlib.image.imread(tmp_path / "out" / "ibinn_latent.png")[..., :3].std() > 0.01
    assert matplotlib.image.imread(tmp_path / "out" / "ibinn_samples.png")[..., :3].std() > 0.01
    assert not any(key.startswith("figure_") for key in rows[0])
