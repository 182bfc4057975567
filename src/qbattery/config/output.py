"""``qbattery run``: compute the configured battery, write its NetCDF file and figure."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path

import xarray as xr

from qbattery import _progress
from qbattery._dataset import TIME
from qbattery._toml import check_figure_path, check_writable
from qbattery.charge import charge
from qbattery.config.battery import RunConfig


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

    def summary(self) -> str:
        """One line for the terminal."""
        ds = self.dataset
        fig = f" and {self.figure}" if self.figure is not None else ""
        return (
            f"{ds.attrs.get('model', '?')}: {ds.sizes[TIME]} times with engine "
            f"{ds.attrs.get('engine', '?')} in {ds.attrs.get('wall_time_s', float('nan')):.2f} s;"
            f" wrote {self.output}{fig}"
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
        if config.figure is not None:
            from qbattery.plotting import save_dataset_figure

            bar.phase("drawing the figure")
            with warnings.catch_warnings():  # one time: matplotlib widens the axis itself
                warnings.filterwarnings("ignore", "Attempting to set identical", UserWarning)
                save_dataset_figure(ds, config.figure)
    return RunResult(ds, config.output, config.figure)
