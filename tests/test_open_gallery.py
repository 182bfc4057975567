"""Open charging over decay rates: the gallery's decay scan against qb.charge and the
closed form, the saturating angle (γ_c ≈ 0.662), and a sweep over decay rates from a
configuration file through the command line, against qb.charge point by point."""

from __future__ import annotations

import textwrap
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import qbattery as qb
from qbattery.studies.open_gallery import decay_scan, plot_decay_scan

TIMES = np.linspace(0.0, 8.0, 33)


def test_decay_scan_rows_are_charge_and_the_closed_qubit() -> None:
    ds = decay_scan([0.0, 0.3, 1.0], TIMES)
    for g in (0.3, 1.0):
        ref = qb.charge(qb.models.single_qubit(decay=g), TIMES, ergotropy=False)
        for name in ("work_mean", "work_nsr", "work_bound", "power_bound", "work_angle"):
            np.testing.assert_allclose(
                ds[name].sel(decay=g).values, ref[name].values, rtol=1e-12, err_msg=name
            )
        assert float(ds.work_angle_inf.sel(decay=g)) == ref.attrs["work_angle_inf"]
    closed = ds.sel(decay=0.0)
    np.testing.assert_allclose(closed.work_mean.values, np.sin(TIMES) ** 2, atol=1e-14)
    np.testing.assert_allclose(closed.work_angle.values, TIMES, rtol=1e-12)  # θ = Ω0 t (D)
    assert np.isnan(float(closed.work_angle_inf))  # a closed battery never relaxes


def test_work_bound_stays_non_trivial_above_the_critical_rate() -> None:
    ds = decay_scan([0.3, 1.0, 2.0], np.linspace(0.0, 20.0, 81))
    inf = ds.work_angle_inf
    assert float(inf.sel(decay=0.3)) > np.pi / 2 > float(inf.sel(decay=1.0))
    late = ds.isel(time=-1)
    assert float(late.work_bound.sel(decay=0.3)) < 1e-12  # trivial once θ passes π/2
    for g in (1.0, 2.0):  # θ_t < θ_∞ < π/2: cot²θ_∞ − f > 0 forever, and below the NSR
        assert 0.0 < float(late.work_bound.sel(decay=g)) <= float(late.work_nsr.sel(decay=g))
        assert float(late.work_angle.sel(decay=g)) <= float(inf.sel(decay=g)) + 1e-9


def test_plot_decay_scan_draws_the_data() -> None:
    import matplotlib.pyplot as plt

    ds = decay_scan([0.0, 1.0], TIMES)
    lines = plot_decay_scan(ds)
    np.testing.assert_array_equal(lines["work_nsr_1"].get_ydata(), ds.work_nsr.sel(decay=1.0))
    np.testing.assert_array_equal(
        lines["work_angle_0"].get_ydata(), TIMES * 0 + ds.work_angle.sel(decay=0.0)
    )
    plt.close("all")


def test_cli_sweep_over_decay_rates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbattery.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "decay.toml").write_text(
        textwrap.dedent(
            """
            [sweep]
            model = "single_qubit"
            scheduler = "serial"
            [grid]
            decay = [0.0, 0.5, 1.5]
            [params]
            Omega0 = 0.8
            [times]
            start = 0.0
            stop = 6.0
            num = 25
            """
        )
    )
    assert main(["sweep", "decay.toml", "--store", "decay.zarr"]) == 0
    assert "3 done" in capsys.readouterr().out
    ds = qb.open_sweep(tmp_path / "decay.zarr")
    assert ds.engine.values.tolist() == ["structured", "open-blocks", "open-blocks"]
    times = np.linspace(0.0, 6.0, 25)
    for g in (0.0, 0.5, 1.5):
        ref = qb.charge(qb.models.single_qubit(Omega0=0.8, decay=g), times, ergotropy=False)
        for name in ("work_mean", "work_var", "power_nsr", "work_bound", "tradeoff_bound"):
            xr.testing.assert_allclose(
                ds[name].sel(decay=g).drop_vars("decay"), ref[name], rtol=1e-12, atol=0.0
            )
