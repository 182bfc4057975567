"""TOML configuration files of ``qbattery sweep`` (keys documented in docs/sweeps.md)."""

from __future__ import annotations

import inspect
import math
import os
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qbattery._memory import available_memory, format_bytes
from qbattery._toml import Key, Schema, check_keys, check_table, check_writable, load_toml
from qbattery.battery import Battery
from qbattery.errors import ConfigError, InvalidInputError, QBatteryError
from qbattery.sweep.api import SweepReport, run_sweep
from qbattery.sweep.cluster_config import ClusterConfig, parse_cluster
from qbattery.sweep.spec import BUILTIN_MODELS, SWEEP_VARIABLES, SweepSpec, make_spec

#: keys of each table of a sweep configuration file (docs/sweeps.md documents each)
CONFIG_KEYS: dict[str, tuple[str, ...]] = {
    "sweep": ("model", "engine", "bounds", "store", "workers", "scheduler", "retry_failed"),
    "times": ("start", "stop", "num", "values"),
    "grid": (),
    "params": (),
    "cluster": (),  # checked by cluster_config.parse_cluster
}

#: the kind of each key of ``[sweep]`` (one description of the table)
SWEEP_SCHEMA: Schema = {
    "model": Key("str", '"kbody"'),
    "engine": Key("str", '"auto"'),
    "bounds": Key("bool", "true"),
    "store": Key("str", '"kbody.zarr"'),
    "workers": Key("int", "4"),
    "scheduler": Key("str", '"tcp://127.0.0.1:8786"'),
    "retry_failed": Key("bool", "false"),
}
#: bytes of bookkeeping per grid point besides its results (the task list, status, error)
TASK_BYTES = 512
#: a Dask scheduler address: PROTOCOL://HOST:PORT or HOST:PORT
_ADDRESS = re.compile(r"^([a-z]+://)?[^\s:/]+:\d+$")


def check_grid_size(where: str, shape: Sequence[int], ntimes: int) -> None:
    """Refuse a grid whose results and task list do not fit in the memory available.

    The store's results are loaded into one Dataset at the end of a sweep, so they must
    fit in memory as well as on disk.

    Examples
    --------
    >>> check_grid_size("s.toml", (3, 4), 10)
    >>> try:
    ...     check_grid_size("s.toml", (1000, 1000, 1000), 5)
    ... except ConfigError as err:
    ...     print(str(err)[:64])
    s.toml: the grid has 1000 × 1000 × 1000 = 1e+09 points × 5 times
    """
    points = math.prod(shape)
    results = points * (len(SWEEP_VARIABLES) * ntimes + 2) * 8
    tasks = points * TASK_BYTES
    avail = available_memory()
    if results + tasks > avail:
        raise ConfigError(
            f"{where}: the grid has {' × '.join(map(str, shape))} = {points:.3g} points × "
            f"{ntimes} times; its results need {format_bytes(results)} and its task list "
            f"{format_bytes(tasks)}, but {format_bytes(avail)} of memory is available; use "
            "fewer grid values or times, or split the sweep"
        )


def check_scheduler(address: str, what: str) -> None:
    """``address`` is ``'serial'`` or a Dask scheduler address ``tcp://HOST:PORT``.

    Examples
    --------
    >>> check_scheduler("tcp://127.0.0.1:8786", "--scheduler")
    >>> try:
    ...     check_scheduler("bogus", "--scheduler")
    ... except ConfigError as err:
    ...     print(str(err)[:60])
    --scheduler 'bogus' is not a Dask scheduler address; give tc
    """
    if address != "serial" and not _ADDRESS.match(address):
        raise ConfigError(
            f"{what} {address!r} is not a Dask scheduler address; give tcp://HOST:PORT, or "
            "'serial' to compute in this process"
        )


def _check_engine(where: str, engine: str) -> None:
    from qbattery.engines import REGISTRY

    known = ["auto", *sorted(REGISTRY)]
    if engine not in known:
        raise ConfigError(f"{where}: unknown engine {engine!r}; choose one of {known}")


def _check_numbers(where: str, spec: SweepSpec, table: str, values: Mapping[str, Any]) -> None:
    """A built-in model's numeric parameter given as text (``N = "four"``) is refused here,
    with the file and table, instead of making a store whose every point is invalid."""
    if spec.model not in BUILTIN_MODELS:
        return
    signature = inspect.signature(spec.fn)
    for name, value in values.items():
        param = signature.parameters.get(name)
        if param is None:
            continue
        numeric = str(param.annotation) in ("int", "float") or (
            isinstance(param.default, (int, float)) and not isinstance(param.default, bool)
        )
        items = value if isinstance(value, list) else [value]
        bad = [v for v in items if isinstance(v, str)]
        if numeric and bad:
            raise ConfigError(
                f"{where}: [{table}] {name} must be a number, got {bad[0]!r} (text); "
                f"write it without quotes, e.g. {name} = 4"
            )


def _probe_model(where: str, spec: SweepSpec) -> None:
    """Build the first grid point of an imported model: it must return a Battery."""
    if spec.model in BUILTIN_MODELS:
        return
    first = next(iter(spec.indices()))
    kwargs = spec.point(first)
    try:
        built = spec.fn(**kwargs)
    except QBatteryError:  # an invalid point: recorded as such by the sweep
        return
    except Exception as exc:
        raise ConfigError(
            f"{where}: model {spec.model!r} fails at {kwargs}: {type(exc).__name__}: {exc}; "
            "give a function that takes the grid and params as keywords and returns a "
            "qbattery.Battery"
        ) from exc
    if not isinstance(built, Battery):
        raise ConfigError(
            f"{where}: model {spec.model!r} returned a {type(built).__name__}, not a "
            f"qbattery.Battery, at {kwargs}; give a function that returns a qbattery.Battery"
        )


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
    cluster: ClusterConfig | None = None

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


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _axis_from_table(where: str, table: Mapping[str, Any], ntimes: int) -> list[Any]:
    """``{start, stop, num}`` (evenly spaced, both ends) or ``{start, stop[, step]}``;
    the axis length is checked (:func:`check_grid_size`) before the values are made."""
    keys = set(table)
    if not keys <= {"start", "stop", "num", "step"} or not {"start", "stop"} <= keys:
        raise ConfigError(
            f"{where} must be a list or a table {{start, stop, num}} or "
            f"{{start, stop, step}}, got keys {sorted(keys)}"
        )
    start, stop = table["start"], table["stop"]
    if not all(_is_number(table[v]) for v in ("start", "stop", "step") if v in table):
        raise ConfigError(
            f"{where}: start, stop and step must be finite numbers, got "
            f"{ {k: table[k] for k in sorted(table)} }"
        )
    if "num" in table:
        if "step" in table:
            raise ConfigError(f"{where}: give num or step, not both")
        num = table["num"]
        if isinstance(num, bool) or not isinstance(num, int) or num < 1:
            raise ConfigError(f"{where}: num must be a positive integer, got {num!r}")
        check_grid_size(where, (num,), ntimes)
        return [float(v) for v in np.linspace(float(start), float(stop), num)]
    step = table.get("step", 1)
    if step <= 0 or stop < start:
        raise ConfigError(
            f"{where}: need step > 0 and stop ≥ start, got start={start}, stop={stop}, step={step}"
        )
    count = math.floor((stop - start) / step + 1e-9) + 1
    check_grid_size(where, (count,), ntimes)
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
    where = p.name
    check_keys(where, raw, CONFIG_KEYS, "sweep")
    head = raw.get("sweep", {})
    if "model" not in head:
        raise ConfigError(f'{where}: [sweep] needs model, e.g. model = "kbody"')
    check_table(where, "sweep", head, SWEEP_SCHEMA)
    _check_engine(f"{where}: [sweep] engine", head.get("engine", "auto"))
    if "scheduler" in head:
        check_scheduler(head["scheduler"], f"{where}: [sweep] scheduler")
    times = _times(where, raw.get("times", {}))
    if not raw.get("grid"):
        raise ConfigError(
            f"{where}: [grid] is empty or missing; add at least one swept parameter, e.g. "
            "[grid] k = [1, 2, 3] (for a single battery use qbattery run)"
        )
    grid: dict[str, Any] = {}
    for name, value in raw["grid"].items():
        grid[name] = (
            _axis_from_table(f"{where}: [grid] {name}", value, times.size)
            if isinstance(value, dict)
            else value
        )
    sizes = [len(v) if isinstance(v, list) else 1 for v in grid.values()]
    check_grid_size(where, sizes, times.size)
    config = SweepConfig(
        model=head["model"],
        grid=grid,
        times=times,
        params=dict(raw.get("params", {})),
        engine=head.get("engine", "auto"),
        bounds=head.get("bounds", True),
        store=head.get("store"),
        workers=head.get("workers"),
        scheduler=head.get("scheduler"),
        retry_failed=head.get("retry_failed", False),
        cluster=parse_cluster(where, raw["cluster"]) if "cluster" in raw else None,
    )
    try:  # the model, grid and times, now, before any store or cluster exists
        spec = config.spec()
    except InvalidInputError as exc:
        raise ConfigError(f"{where}: {_cli_words(str(exc))}") from exc
    _check_numbers(where, spec, "params", config.params)
    _check_numbers(where, spec, "grid", config.grid)
    _probe_model(where, spec)
    return config


def _cli_words(message: str) -> str:
    """A library message in the words of a config file ([grid], [params])."""
    return message.replace("(grid)", "([grid])").replace("(params)", "([params])")


def _times(where: str, table: Mapping[str, Any]) -> np.ndarray:
    """The ``[times]`` table: ``values = [...]`` or ``start``, ``stop``, ``num``."""
    if "values" in table:
        values = table["values"]
        if set(table) != {"values"}:
            raise ConfigError(
                f"{where}: [times] has values; drop {sorted(set(table) - {'values'})}"
            )
        if not isinstance(values, list) or not values or not all(map(_is_number, values)):
            raise ConfigError(
                f"{where}: [times] values must be a non-empty list of numbers, got {values!r}"
            )
        return np.asarray(values, dtype=float)
    if not {"start", "stop", "num"} <= set(table):
        raise ConfigError(
            f"{where}: [times] needs start, stop and num (or values = [...]), got {sorted(table)}"
        )
    start, stop, num = table["start"], table["stop"], table["num"]
    if not (_is_number(start) and _is_number(stop)):
        raise ConfigError(
            f"{where}: [times] start and stop must be finite numbers, got {start!r}, {stop!r}"
        )
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ConfigError(f"{where}: [times] num must be a positive integer, got {num!r}")
    check_grid_size(where, (1,), num)
    return np.linspace(float(start), float(stop), num)


def run_config(
    path: str | os.PathLike[str],
    *,
    store: str | None = None,
    scheduler: str | None = None,
    workers: int | None = None,
    retry_failed: bool | None = None,
    progress: bool | None = None,
    cluster: ClusterConfig | None = None,
    wait: bool = False,
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
    if scheduler is not None:
        check_scheduler(scheduler, "--scheduler")
    if address is not None and workers is not None:
        raise ConfigError(
            f"--workers {workers} applies only to a local cluster, not to scheduler "
            f"{address!r}; drop --workers"
        )
    n = workers if workers is not None else (None if address else config.workers)
    check_writable(target, "--store" if store else "store")
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
        cluster=cluster or config.cluster,
        wait=wait,
    )
