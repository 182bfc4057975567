"""TOML configuration files of ``qbattery sweep`` (keys documented in docs/sweeps.md)."""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qbattery._toml import check_keys, load_toml
from qbattery.errors import ConfigError
from qbattery.sweep.api import SweepReport, run_sweep
from qbattery.sweep.spec import SweepSpec, make_spec

#: keys of each table of a sweep configuration file (docs/sweeps.md documents each)
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "sweep": ("model", "engine", "bounds", "store", "workers", "scheduler", "retry_failed"),
    "times": ("start", "stop", "num", "values"),
    "grid": (),
    "params": (),
}


@dataclass(frozen=True)
class SweepConfig:
    """A parsed sweep configuration file (see ``examples/sweep-kbody.toml``).

    Examples
    --------
    >>> cfg = SweepConfig(model="kbody", grid={"k": (1, 2, 4)}, times=np.array([0.5]),
    ...                   params={"N": 4})
    >>> spec = cfg.spec()
    >>> spec.shape, spec.point((2,))
    ((3,), {'N': 4, 'k': 4})
    """

    model: str
    grid: dict[str, tuple[Any, ...]]
    times: np.ndarray
    params: dict[str, Any] = field(default_factory=dict)
    engine: str = "auto"
    bounds: bool = True
    store: str | None = None
    workers: int | None = None
    scheduler: str | None = None
    retry_failed: bool = False

    def spec(self) -> SweepSpec:
        """The checked :class:`SweepSpec` of this configuration."""
        return make_spec(
            self.model,
            self.grid,
            self.times,
            params=self.params,
            engine=self.engine,
            bounds=self.bounds,
        )


def _axis_from_table(where: str, table: Mapping[str, Any]) -> list[Any]:
    """``{start, stop, num}`` (evenly spaced, both ends) or ``{start, stop[, step]}``."""
    keys = set(table)
    if not keys <= {"start", "stop", "num", "step"} or not {"start", "stop"} <= keys:
        raise ConfigError(
            f"{where} must be a list or a table {{start, stop, num}} or "
            f"{{start, stop, step}}, got keys {sorted(keys)}"
        )
    start, stop = table["start"], table["stop"]
    if "num" in table:
        if "step" in table:
            raise ConfigError(f"{where}: give `num` or `step`, not both")
        num = table["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ConfigError(f"{where}: `num` must be a positive integer, got {num!r}")
        return [float(v) for v in np.linspace(float(start), float(stop), num)]
    step = table.get("step", 1)
    if not all(
        isinstance(v, (int, float)) and not isinstance(v, bool) for v in (start, stop, step)
    ):
        raise ConfigError(f"{where}: `start`, `stop`, `step` must be numbers")
    if step <= 0 or stop < start:
        raise ConfigError(
            f"{where}: need step > 0 and stop ≥ start, got start={start}, stop={stop}, step={step}"
        )
    count = math.floor((stop - start) / step + 1e-9) + 1
    if all(isinstance(v, int) for v in (start, stop, step)):
        return [start + i * step for i in range(count)]
    return [float(start + i * step) for i in range(count)]


def load_config(path: str | os.PathLike[str]) -> SweepConfig:
    """Read and check a sweep configuration file.

    Tables: ``[sweep]`` (``model``, ``engine``, ``bounds``, ``store``, ``workers``,
    ``scheduler``, ``retry_failed``), ``[grid]`` (swept parameters: lists, or tables
    ``{start, stop, num}`` / ``{start, stop, step}``), ``[params]`` (fixed parameters)
    and ``[times]`` (``start``, ``stop``, ``num`` or ``values``). docs/sweeps.md
    documents every key.

    Raises
    ------
    ConfigError
        For invalid TOML, unknown tables or keys, or malformed values; the model's own
        checks (unknown parameter, empty grid) raise :class:`InvalidInputError`.

    Examples
    --------
    >>> import tempfile
    >>> text = (
    ...     '[sweep]\\nmodel = "kbody"\\n[grid]\\nk = {start = 1, stop = 3}\\n'
    ...     '[params]\\nN = 6\\n[times]\\nstart = 0.0\\nstop = 1.0\\nnum = 3\\n'
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "k.toml"
    ...     _ = path.write_text(text)
    ...     cfg = load_config(path)
    >>> cfg.model, cfg.grid, cfg.params, cfg.times.tolist()
    ('kbody', {'k': [1, 2, 3]}, {'N': 6}, [0.0, 0.5, 1.0])
    """
    p = Path(path)
    raw = load_toml(p)
    check_keys(p.name, raw, CONFIG_KEYS, "sweep")
    head = raw.get("sweep", {})
    if "model" not in head:
        raise ConfigError(f'{p.name}: [sweep] needs `model`, e.g. model = "kbody"')
    workers = head.get("workers")
    if workers is not None and (isinstance(workers, bool) or not isinstance(workers, int)):
        raise ConfigError(f"{p.name}: [sweep] workers must be an integer, got {workers!r}")
    for key in ("bounds", "retry_failed"):
        if key in head and not isinstance(head[key], bool):
            raise ConfigError(f"{p.name}: [sweep] {key} must be true or false")
    for key in ("model", "engine", "store", "scheduler"):
        if key in head and not isinstance(head[key], str):
            raise ConfigError(f"{p.name}: [sweep] {key} must be a string, got {head[key]!r}")
    grid: dict[str, Any] = {}
    for name, value in raw.get("grid", {}).items():
        grid[name] = (
            _axis_from_table(f"{p.name}: [grid] {name}", value)
            if isinstance(value, dict)
            else value
        )
    times_table = raw.get("times", {})
    if "values" in times_table:
        if set(times_table) != {"values"}:
            raise ConfigError(f"{p.name}: [times] has `values`; drop start/stop/num")
        times = np.asarray(times_table["values"], dtype=float)
    elif {"start", "stop", "num"} <= set(times_table):
        num = times_table["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ConfigError(f"{p.name}: [times] num must be a positive integer, got {num!r}")
        times = np.linspace(float(times_table["start"]), float(times_table["stop"]), num)
    else:
        raise ConfigError(
            f"{p.name}: [times] needs start, stop and num (or values = [...]), got "
            f"{sorted(times_table)}"
        )
    config = SweepConfig(
        model=head["model"],
        grid=grid,
        times=times,
        params=dict(raw.get("params", {})),
        engine=head.get("engine", "auto"),
        bounds=head.get("bounds", True),
        store=head.get("store"),
        workers=workers,
        scheduler=head.get("scheduler"),
        retry_failed=head.get("retry_failed", False),
    )
    config.spec()  # check the model, grid and times now, before any cluster starts
    return config


def run_config(
    path: str | os.PathLike[str],
    *,
    store: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    retry_failed: bool | None = None,
    progress: bool | None = None,
) -> SweepReport:
    """Run the sweep of a configuration file; arguments override the file's keys.

    The store defaults to the file's ``store`` key, else ``<config name>.zarr`` in the
    current directory.

    Examples
    --------
    >>> import tempfile
    >>> text = (
    ...     '[sweep]\\nmodel = "kbody"\\nscheduler = "serial"\\nbounds = false\\n'
    ...     '[grid]\\nk = [1, 2]\\n[params]\\nN = 4\\n[times]\\nvalues = [0.5, 1.0]\\n'
    ... )
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "k.toml"
    ...     _ = path.write_text(text)
    ...     store = str(Path(tmp) / "k.zarr")
    ...     first = run_config(path, store=store, progress=False)
    ...     again = run_config(path, store=store, progress=False)  # resumes: all stored
    >>> first.computed, again.computed, again.stored_before
    (2, 0, 2)
    >>> again.dataset.work_mean.dims
    ('k', 'time')
    """
    config = load_config(path)
    target = store or config.store or f"{Path(path).stem}.zarr"
    address = scheduler or config.scheduler
    n = workers if workers is not None else (None if address else config.workers)
    return run_sweep(
        config.model,
        config.grid,
        config.times,
        params=config.params,
        store=target,
        client=address,
        workers=n,
        engine=config.engine,
        bounds=config.bounds,
        retry_failed=config.retry_failed if retry_failed is None else retry_failed,
        progress=progress,
    )
