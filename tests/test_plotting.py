"""Figure builders: the plotted data are the Dataset's values, labels come from its attrs."""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
import xarray as xr
from matplotlib.figure import Figure

import qbattery as qb
from qbattery import plotting
from qbattery._dataset import VARIABLES

T = np.linspace(0.0, 6.0, 61)


def _concat(datasets: list[xr.Dataset], dim: str, values: list[int]) -> xr.Dataset:
    return xr.concat(datasets, dim=dim, combine_attrs="drop_conflicts").assign_coords({dim: values})


@pytest.fixture(scope="module")
def fig1_data() -> xr.Dataset:
    """Closed forms of kbody(N=6, k) for k = 1, 2, 3 (an independent route from charge)."""
    return _concat([qb.analytic.kbody(T, 6, k) for k in (1, 2, 3)], "k", [1, 2, 3])


@pytest.fixture(scope="module")
def fig2_data() -> xr.Dataset:
    runs = [qb.charge(qb.models.ising(4, s), T, engine="dense") for s in (2, 3, 4)]
    return _concat(runs, "s", [2, 3, 4])


def _shown(values: np.ndarray, log: bool) -> np.ndarray:
    """What a line should hold: the values, with ≤ 0 masked on log axes."""
    out = np.asarray(values, dtype=float).copy()
    if log:
        out[~(out > 0)] = np.nan
    return out


def assert_line_is(line: object, t: np.ndarray, values: np.ndarray, *, log: bool) -> None:
    np.testing.assert_array_equal(line.get_xdata(), t)  # type: ignore[attr-defined]
    np.testing.assert_array_equal(line.get_ydata(), _shown(values, log))  # type: ignore[attr-defined]


FIG1_PANELS = {
    "a": [("work_mean", "-"), ("power_mean", "--")],
    "b": [("work_var", "-"), ("power_var", "--")],
    "c": [("work_nsr", "-"), ("power_nsr", "--"), ("work_bound", ":"), ("power_bound", "-.")],
}


def test_figure1_plots_every_variable_of_every_k(fig1_data: xr.Dataset) -> None:
    drawn = plotting.figure1(fig1_data)
    assert isinstance(drawn.figure, Figure)
    assert len(drawn.lines) == 3 * 8
    for panel, entries in FIG1_PANELS.items():
        for name, style in entries:
            for k in (1, 2, 3):
                line = drawn.line(panel, name, k)
                assert line.get_linestyle() == style
                assert_line_is(line, T, fig1_data[name].sel(k=k).values, log=panel == "c")
    # one colour per k, the same in every panel
    for panel, entries in FIG1_PANELS.items():
        colors = [drawn.line(panel, entries[0][0], k).get_color() for k in (1, 2, 3)]
        assert colors == list(plotting.FIG1_COLORS[:3])
    assert drawn.axes["c"].get_yscale() == "log"
    assert drawn.axes["a"].get_yscale() == "linear"


def test_figure1_numbers_are_eq8(fig1_data: xr.Dataset) -> None:
    """The NSR line of k = 2 is (k/N) tan²(Ω_k t), Eq. (8), written out here."""
    drawn = plotting.figure1(fig1_data)
    y = drawn.line("c", "power_nsr", 2).get_ydata()[1:]
    np.testing.assert_allclose(y, (2 / 6) * np.tan(2 / 6 * T[1:]) ** 2, rtol=1e-12)


def test_figure1_masks_trivial_bounds_on_log_axis(fig1_data: xr.Dataset) -> None:
    drawn = plotting.figure1(fig1_data)
    values = fig1_data.power_bound.sel(k=2).values
    y = drawn.line("c", "power_bound", 2).get_ydata()
    assert np.any(values[1:] <= 0)  # the bound becomes trivial (≤ 0) in this window
    assert np.all(np.isnan(y[values <= 0]))
    np.testing.assert_array_equal(y[values > 0], values[values > 0])


def test_figure1_labels_come_from_attributes(fig1_data: xr.Dataset) -> None:
    drawn = plotting.figure1(fig1_data)
    label = drawn.axes["a"].get_ylabel()
    assert r"mean work $\langle\mathcal{W}_t\rangle$ [energy] (solid)" in label
    assert r"mean power $\langle\mathcal{P}_t\rangle$ [energy/time] (dashed)" in label
    assert drawn.axes["b"].get_xlabel() == "time t [1/energy]"
    assert drawn.axes["a"].get_title(loc="left") == "(a)"
    legend_texts = [t.get_text() for t in drawn.figure.legends[0].get_texts()]
    assert legend_texts[:3] == ["k = 1", "k = 2", "k = 3"]
    assert "N = 6" in drawn.figure.get_suptitle()


def test_figure1_without_bounds(fig1_data: xr.Dataset) -> None:
    drawn = plotting.figure1(fig1_data, bounds=False)
    assert not any(name.endswith("_bound") for _, name, _ in drawn.lines)


def test_figure2_twin_axes_and_tradeoff_bound(fig2_data: xr.Dataset) -> None:
    drawn = plotting.figure2(fig2_data)
    for s in (2, 3, 4):
        one = fig2_data.sel(s=s)
        assert_line_is(drawn.line("a", "power_mean", s), T, one.power_mean.values, log=False)
        assert_line_is(drawn.line("a", "power_nsr", s), T, one.power_nsr.values, log=True)
        assert_line_is(drawn.line("b", "work_mean", s), T, one.work_mean.values, log=False)
        assert_line_is(drawn.line("b", "work_nsr", s), T, one.work_nsr.values, log=True)
        assert_line_is(drawn.line("c", "nsr_product", s), T, one.nsr_product.values, log=True)
        bound = drawn.line("c", "tradeoff_bound", s)
        assert bound.get_linestyle() == ":"
        assert_line_is(bound, T, one.tradeoff_bound.values, log=True)
    assert drawn.line("a", "power_nsr", 2).axes is drawn.axes["a:right"]
    assert drawn.axes["a:right"].get_yscale() == "log"
    assert drawn.axes["a"].get_yscale() == "linear"
    assert drawn.axes["c"].get_yscale() == "log"
    assert drawn.axes["a:right"].get_ylabel().startswith("noise-to-signal ratio of power")


def test_figure3_variances_and_fidelity(fig2_data: xr.Dataset) -> None:
    drawn = plotting.figure3(fig2_data)
    for panel, name in (("a", "work_var"), ("b", "power_var"), ("c", "fidelity")):
        for s in (2, 3, 4):
            assert_line_is(
                drawn.line(panel, name, s), T, fig2_data[name].sel(s=s).values, log=False
            )
        assert drawn.axes[panel].get_ylabel().startswith(fig2_data[name].attrs["long_name"][:8])


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("work_var", r"work variance $(\Delta\mathcal{W}_t)^2$ [energy²]"),
        ("power_nsr", "noise-to-signal ratio of power\n" r"$\mathcal{N}^\mathcal{P}_t$"),
        (
            "fidelity",
            r"fidelity $F_t$ = $|\langle\psi_0|\psi_t\rangle|^2$ (squared,"
            "\nUhlmann)",
        ),
    ],
)
def test_axis_labels_typeset_symbols(name: str, expected: str) -> None:
    """Symbols as mathtext (squares inside formulas stay ^2), wrapped between words only."""
    ds = qb.analytic.single_qubit(T)
    label = plotting.axis_label(ds[name], width=30)
    assert label == expected
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_ylabel(label)
    fig.canvas.draw()  # mathtext parses: a malformed formula raises here


def test_builders_draw_on_given_axes(fig1_data: xr.Dataset) -> None:
    fig = Figure()
    axes = fig.subplots(1, 3)
    drawn = plotting.figure1(fig1_data, axes=list(axes))
    assert drawn.figure is fig
    assert drawn.axes["b"] is axes[1]
    assert axes[0].get_legend() is not None  # legend in the first panel, not the figure
    with pytest.raises(ValueError, match="this figure has 3 panels; pass 3 axes, got 2"):
        plotting.figure1(fig1_data, axes=list(axes[:2]))


def test_plot_dataset_draws_all_13_quantities() -> None:
    ds = qb.charge(qb.models.kbody(4, 2), T)
    drawn = plotting.plot_dataset(ds)
    drawn_names = {name for _, name, _ in drawn.lines}
    assert drawn_names == set(VARIABLES)
    for (panel, name, _), line in drawn.lines.items():
        log = panel in ("work_nsr", "power_nsr", "nsr_product")
        assert_line_is(line, T, ds[name].values, log=log)
    assert (
        drawn.axes["work_mean"].get_ylabel() == r"mean work $\langle\mathcal{W}_t\rangle$ [energy]"
    )
    assert drawn.axes["nsr_product"].get_legend() is not None


def test_plot_dataset_shows_why_a_variable_is_missing() -> None:
    ds = qb.charge(qb.models.single_qubit(), T, bounds=False)
    drawn = plotting.plot_dataset(ds)
    texts = [t.get_text() for t in drawn.axes["work_nsr"].texts]
    assert any("work_bound: not requested (bounds=False)" in t for t in texts)
    assert np.all(np.isnan(drawn.line("work_nsr", "work_bound").get_ydata()))


def test_plot_dataset_rejects_a_foreign_dataset() -> None:
    with pytest.raises(ValueError, match=r"dataset lacks \['work_mean'"):
        plotting.plot_dataset(xr.Dataset({"x": ("time", T)}, coords={"time": T}))


def test_save_writes_png_and_pdf_without_pyplot(tmp_path: Path, fig1_data: xr.Dataset) -> None:
    before = plt.get_fignums()
    paths = plotting.save(
        plotting.figure1(fig1_data), tmp_path / "sub" / "fig", formats=("png", "pdf")
    )
    assert [p.name for p in paths] == ["fig.png", "fig.pdf"]
    assert paths[0].read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert paths[1].read_bytes()[:5] == b"%PDF-"
    assert plt.get_fignums() == before  # builders never register pyplot figures


def test_axis_label_units_and_wrapping() -> None:
    da = xr.DataArray([1.0], attrs={"long_name": "a very " * 10 + "long name", "units": "s"})
    label = plotting.axis_label(da, width=20)
    assert all(len(line) <= 20 for line in label.split("\n"))
    assert label.replace("\n", " ").endswith("long name [s]")
    assert plotting.axis_label(xr.DataArray([1.0], name="x", attrs={"units": "1"})) == "x"
