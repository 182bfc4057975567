"""``qbattery run``: compute the configured battery, write its NetCDF file and figure."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from qbattery import _progress
from qbattery._dataset import (
    AVERAGE_POWER_TIME,
    MAX_AVERAGE_POWER,
    MAX_POWER,
    OPTIMA,
    OPTIMUM,
    POWER_NSR,
    POWER_TIME,
    TIME,
    WORK_NSR,
)
from qbattery._toml import check_figure_path, check_writable
from qbattery.charge import charge
from qbattery.config.battery import RunConfig
from qbattery.optimal import optimal_charging


@dataclass(frozen=True)
class RunResult:
    """What :func:`run` computed and wrote.

    Attributes
    ----------
    dataset : xarray.Dataset
        The result of :func:`qbattery.charge` (Eq. 2–6), as written.
    output : Path
        The NetCDF file.
    figure : Path or None
        The figure, if one was drawn.
    optima : xarray.Dataset or None
        :func:`qbattery.optimal_charging` over the window of the times (τ*, the time of
        maximum power and the reliability at both), written to ``optima_output``.
    optima_output : Path or None
        ``<output stem>_optima.nc``.

    Examples
    --------
    >>> import tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cfg = RunConfig(Path(tmp) / "qubit.toml", np.array([0.5, 1.0]),
    ...                     model="single_qubit", output=Path(tmp) / "qubit.nc")
    ...     result = run(cfg, progress=False)
    >>> result.output.name, result.figure, result.dataset.sizes["time"]
    ('qubit.nc', None, 2)
    >>> result.summary().startswith("single_qubit: 2 times with engine")
    True
    """

    dataset: xr.Dataset
    output: Path
    figure: Path | None
    optima: xr.Dataset | None = None
    optima_output: Path | None = None

    def summary(self) -> str:
        """Lines for the terminal: what was computed and written, and the optima."""
        ds = self.dataset
        fig = f" and {self.figure}" if self.figure is not None else ""
        opt = f" and {self.optima_output}" if self.optima_output is not None else ""
        line = (
            f"{ds.attrs.get('model', '?')}: {ds.sizes[TIME]} times with engine "
            f"{ds.attrs.get('engine', '?')} in {ds.attrs.get('wall_time_s', float('nan')):.2f} s;"
            f" wrote {self.output}{fig}{opt}"
        )
        if self.optima is None:
            return line
        return line + "\n" + optima_summary(self.optima)


def optima_summary(opt: xr.Dataset) -> str:
    """One line: τ*, the maximum average power and the NSRs there; the maximum power.

    Examples
    --------
    The single qubit of App. D: tan τ* = 2τ*, so the work NSR cot²τ* is 1/(4τ*²) (D3).

    >>> import qbattery as qb
    >>> print(optima_summary(qb.optimal_charging(qb.models.single_qubit(), (0, 3))))
    ... # doctest: +NORMALIZE_WHITESPACE
    optimal charging: τ* = 1.16556 (max ⟨W_t⟩/t = 0.724611, work NSR 0.184, power NSR
    5.43); max power 1 at t = 0.785398
    """
    at = {str(k): opt.sel({OPTIMUM: k}) for k in opt[OPTIMUM].values}
    avg = at[OPTIMA[0]]
    edge = opt.attrs.get("at_window_end", "none")
    note = f" (at the window's end: {edge}; widen [times])" if edge != "none" else ""
    return (
        f"optimal charging: τ* = {float(opt[AVERAGE_POWER_TIME]):.6g} "
        f"(max ⟨W_t⟩/t = {float(opt[MAX_AVERAGE_POWER]):.6g}, work NSR "
        f"{float(avg[WORK_NSR]):.3g}, power NSR {float(avg[POWER_NSR]):.3g}); "
        f"max power {float(opt[MAX_POWER]):.6g} at t = {float(opt[POWER_TIME]):.6g}{note}"
    )


def run(config: RunConfig, *, progress: bool | None = None) -> RunResult:
    """Compute the battery of ``config`` and write its Dataset (NetCDF) and figure.

    Parameters
    ----------
    config : RunConfig
        From :func:`load_config` (possibly with :meth:`RunConfig.override`).
    progress : bool or None
        Progress bar: ``None`` on a terminal only, ``False`` never.

    Returns
    -------
    RunResult

    Examples
    --------
    The single qubit of App. D: 𝒩^W_t = cot²(Ω0 t) (D3), in the NetCDF file as computed.

    >>> import tempfile
    >>> import numpy as np
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     cfg = RunConfig(Path(tmp) / "qubit.toml", np.array([0.25, 0.5, 1.0]),
    ...                     model="single_qubit", output=Path(tmp) / "qubit.nc")
    ...     result = run(cfg, progress=False)
    ...     with xr.open_dataset(result.output) as saved:
    ...         work_nsr = saved.work_nsr.values
    >>> bool(np.allclose(work_nsr, 1 / np.tan(cfg.times) ** 2, rtol=1e-10))
    True
    >>> result.dataset.attrs["config"].endswith("qubit.toml")
    True
    """
    check_writable(config.output, config.output_origin)  # before computing
    optima_output = _optima_path(config)
    if optima_output is not None:
        check_writable(optima_output, config.output_origin)
    if config.figure is not None:
        check_figure_path(config.figure, config.figure_origin)
    battery = config.battery()
    with _progress.task(f"qbattery run {config.source.name}", None, enabled=progress) as bar:
        bar.phase("charging (eigendecomposition, time chunks, quadrature)")
        ds = charge(battery, config.times, engine=config.engine, bounds=config.bounds)
        bar.phase("writing NetCDF")
        config.output.parent.mkdir(parents=True, exist_ok=True)
        ds.attrs["config"] = str(config.source)
        ds.to_netcdf(config.output)
        optima = None
        if optima_output is not None:
            bar.phase("optimal charging times (scalar optimiser)")
            window = (float(config.times[0]), float(config.times[-1]))
            optima = optimal_charging(
                battery, window, engine=str(ds.attrs["engine"]), bounds=config.bounds
            )
            optima.attrs["config"] = str(config.source)
            optima.to_netcdf(optima_output)
        if config.figure is not None:
            from qbattery.plotting import save_dataset_figure

            bar.phase("drawing the figure")
            with warnings.catch_warnings():  # one time: matplotlib widens the axis itself
                warnings.filterwarnings("ignore", "Attempting to set identical", UserWarning)
                save_dataset_figure(ds, config.figure)
    return RunResult(ds, config.output, config.figure, optima, optima_output)


def _optima_path(config: RunConfig) -> Path | None:
    """Where the optima go (``None``: not asked, or no window to search)."""
    t = config.times
    if not config.optima or t.size < 2 or t[-1] <= max(float(t[0]), 0.0):
        return None
    return config.output.with_name(f"{config.output.stem}_optima.nc")
