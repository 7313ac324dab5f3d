"""Plots of the information-plane table: the drawn data are the table's, in the chosen units."""

from __future__ import annotations

import math

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

from infoplane.plane import comparison_figure, plot_entropies, plot_trajectories  # noqa: E402

ROWS = [{"run": f"r{g}", "objective": "ib", "gamma": g, "epoch": e, "step": e, "layer": "z",
         "i_xz": e * g, "i_zy": e / 4, "i_xy_given_z": 1 - e / 4, "h_z": e * g, "h_z_given_y": g,
         "h_y": 1.0, "train_accuracy": 0.5} for g in (0.1, 1.0) for e in range(1, 4)]


def test_trajectories_draw_the_table_columns():
    ax = plot_trajectories(ROWS, axes="kirsch", ib_bound=False)
    lines = ax.get_lines()
    assert len(lines) == 2
    np.testing.assert_allclose(lines[1].get_xdata(), [1.0, 2.0, 3.0])      # i_xz of gamma = 1
    np.testing.assert_allclose(lines[1].get_ydata(), [0.75, 0.5, 0.25])    # residual information
    assert ax.get_xlabel() == "Preserved Information I(X;Z) [nats]"


def test_bits_rescale_by_ln2_and_the_ib_bound_stays_below_h_y():
    ax = plot_trajectories(ROWS, axes="tishby", base=2)
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), np.array([0.25, 0.5, 0.75]) / math.log(2))
    assert "bits" in ax.get_xlabel()
    bound = ax.get_lines()[-1]
    xs, ys = bound.get_xdata(), bound.get_ydata()
    np.testing.assert_allclose(ys, np.minimum(xs, 1.0 / math.log(2)))     # I(Z;Y) = min(I(X;Z), H[Y])


def test_ib_curve_records_overlay_with_the_plane_columns():
    curve = [{"beta": b, "i_xz": b / 4, "i_zy": min(b / 4, 0.5)} for b in (4.0, 1.0, 2.0)]
    ax = plot_trajectories(ROWS, ib_curve=curve, ib_bound=False)
    np.testing.assert_allclose(ax.get_lines()[-1].get_xdata(), [0.25, 0.5, 1.0])   # sorted by i_xz
    np.testing.assert_allclose(ax.get_lines()[-1].get_ydata(), [0.25, 0.5, 0.5])


def test_entropies_against_the_epoch_and_the_comparison_figure():
    ax = plot_entropies(ROWS, "h_z")
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [1, 2, 3])
    np.testing.assert_allclose(ax.get_lines()[0].get_ydata(), [0.1, 0.2, 0.3])
    assert ax.get_ylabel() == "H[Z] [nats]"
    ax = plot_entropies(ROWS, "train_accuracy")
    assert ax.get_ylabel() == "train accuracy [fraction]"
    fig = comparison_figure(ROWS)
    assert len(fig.axes) == 5
    assert fig.axes[0].get_title() == "IB: information plane (Tishby axes)"


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match=r"^axes:"):
        plot_trajectories(ROWS, axes="saxe")
    with pytest.raises(ValueError, match=r"^quantity:"):
        plot_entropies(ROWS, "nothing")
    with pytest.raises(ValueError, match=r"^rows:"):
        comparison_figure([])
    with pytest.raises(ValueError, match=r"^objectives:"):
        comparison_figure(ROWS, objectives=["vib"])


@pytest.mark.parametrize("base", [1, 1.0, 0, -2, float("nan"), "e"])
def test_a_bad_logarithm_base_names_base(base):
    with pytest.raises(ValueError, match=r"^base:"):
        plot_trajectories(ROWS, base=base)


@pytest.mark.parametrize("rows", [None, 3, "abc", [1, 2]])
def test_a_table_that_is_not_a_list_of_dicts_names_rows(rows):
    for plot in (plot_trajectories, plot_entropies, comparison_figure):
        with pytest.raises(TypeError, match=r"^rows:"):
            plot(rows)


def test_a_quantity_that_is_not_a_column_name_names_quantity():
    with pytest.raises(ValueError, match=r"^quantity:"):
        plot_entropies(ROWS, ["h_z"])


def test_the_ln_n_bound_is_drawn_and_the_figure_names_its_estimator():
    rows = [dict(r, h_x=math.log(600), estimator="kl", noise="model") for r in ROWS]
    ax = plot_trajectories(rows, base=2)
    (vertical,) = [line for line in ax.get_lines() if line.get_label() == "H(X) = ln n"]
    np.testing.assert_allclose(vertical.get_xdata(), [math.log2(600)] * 2)   # in bits, like the axes
    title = comparison_figure(rows).texts[0].get_text()
    assert title.startswith("estimator: kl (Kozachenko-Leonenko k-NN entropies), noise: model; ")
    assert f"ln n = {math.log(600):.2f}" in title and "largest I(X;Z) 3.00" in title


def test_a_model_with_its_own_terms_gets_its_own_panel_and_the_title_comes_first():
    rows = [dict(r, objective="ibinn", ci_xz=300.0 - r["epoch"], ci_zy=r["i_zy"]) for r in ROWS]
    fig = comparison_figure(rows + ROWS[:3], objectives=["ibinn", "ib"], title="my title")
    first = fig.axes[0]
    assert first.get_xlabel() == "IB-INN's CI(X, Z_E) = L_X - H(ε) [nats]"
    np.testing.assert_allclose(first.get_lines()[0].get_xdata(), [299.0, 298.0, 297.0])
    assert fig.axes[1].get_xlabel() == "Preserved Information I(X;Z) [nats]"     # the estimated plane
    assert fig.axes[5].get_xlabel() == "Preserved Information I(X;Z) [nats]"     # IB: Tishby axes
    assert fig.texts[0].get_text().splitlines()[0] == "my title"
