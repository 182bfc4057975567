"""TOML configuration files of ``qbattery run``: one battery, its times, engine and outputs.

A file has a ``[model]`` table (a built-in model of :mod:`qbattery.models` and its
parameters) *or* a ``[battery]`` table (your operators in ``.npy`` / ``.npz`` files),
plus ``[times]`` and an optional ``[run]`` table::

    [model]                       # or [battery], see below
    name = "kbody"                # any function of qbattery.models
    N = 8                         # ... and its keyword parameters
    k = 2

    [times]                       # start/stop/num (both ends included) ...
    start = 0.0
    stop = 10.0
    num = 201                     # ... or: values = [0.0, 0.5, 1.0]

    [run]                         # all optional
    engine = "auto"               # auto, dense, ... (qbattery.engines.REGISTRY)
    output = "kbody.nc"           # default: <config name>.nc
    figure = "kbody.png"          # default: <config name>.png; false for none
    bounds = true                 # Fisher-information angles and Eq. 5 bounds

    [battery]                     # instead of [model]
    H0 = "ops.npz:H0"             # "file.npy", or "file.npz:key"
    HC = "ops.npz:HC"
    state = "ops.npz:psi0"        # ket (d,) or density matrix (d, d)
    # P0 = "ops.npz:P0"           # optional power observable (default -i[H0, HC])
    # H = "ops.npz:H"             # optional evolution Hamiltonian (default H0 + HC)
    # name = "my-battery"         # recorded in the result's attributes
    # hermitian_atol = 1e-10

Paths are relative to the directory of the configuration file. Arrays are read with
``allow_pickle=False``. Every problem raises :class:`~qbattery.errors.ConfigError` (or
the library's own :class:`~qbattery.errors.InvalidInputError`) naming the file, the key
and what to write instead.
"""

from __future__ import annotations

import dataclasses
import inspect
import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from qbattery.errors import ConfigError

#: allowed keys of each table (docs/cli.md documents each)
TABLES: dict[str, tuple[str, ...] | None] = {
    "model": None,  # name + the model's parameters
    "battery": ("H0", "HC", "state", "P0", "H", "name", "hermitian_atol", "state_atol"),
    "times": ("start", "stop", "num", "values"),
    "run": ("engine", "output", "figure", "bounds"),
}
#: operator entries of ``[battery]`` and whether each is required
OPERATOR_KEYS: dict[str, bool] = {"H0": True, "HC": True, "state": True, "P0": False, "H": False}


def _toml_load(path: Path) -> dict[str, Any]:
    """The TOML file ``path`` as a dict; ConfigError if it is missing or not valid TOML.

    Shared by ``qbattery run`` (here) and ``qbattery sweep`` (qbattery._sweep_config).
    """
    if sys.version_info >= (3, 11):
        import tomllib
    else:  # pragma: no cover - Python 3.10
        from qbattery._optional import require

        tomllib = require("tomli")
    try:
        with path.open("rb") as fh:
            return dict(tomllib.load(fh))
    except FileNotFoundError as exc:
        raise ConfigError(f"config file {str(path)!r} does not exist") from exc
    except IsADirectoryError as exc:
        raise ConfigError(f"config path {str(path)!r} is a directory, not a TOML file") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}") from exc


def builtin_models() -> dict[str, Any]:
    """Name → builder of every model exported by :mod:`qbattery.models`.

    These are the names a ``[model]`` table accepts; its other keys are the builder's
    keyword parameters.

    Examples
    --------
    >>> import qbattery as qb
    >>> models = builtin_models()
    >>> sorted(models) == sorted(qb.models.__all__), models["kbody"] is qb.models.kbody
    (True, True)
    >>> models["kbody"](N=4, k=2).dim
    16
    """
    from qbattery import models

    return {name: getattr(models, name) for name in models.__all__}


@dataclass(frozen=True)
class OperatorSource:
    """Where one array of ``[battery]`` comes from: a ``.npy`` file or a key of a ``.npz``.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = pathlib.Path(tmp) / "ops.npz"
    ...     np.savez(path, H0=np.diag([-0.5, 0.5]))
    ...     source = OperatorSource(path, "H0", "ops.npz:H0")
    ...     H0 = source.load("H0")
    >>> str(source).endswith("ops.npz:H0"), H0.tolist()
    (True, [[-0.5, 0.0], [0.0, 0.5]])
    """

    path: Path
    key: str | None = None
    #: the entry as written in the file (e.g. ``"ops.npz:H0"``), recorded in the result
    spec: str = ""

    def __str__(self) -> str:
        return f"{self.path}:{self.key}" if self.key else str(self.path)

    def load(self, what: str) -> np.ndarray:
        """Read the array (``allow_pickle=False``); raise ConfigError on any problem."""
        if not self.path.is_file():
            raise ConfigError(
                f"[battery] {what}: file {str(self.path)!r} does not exist (paths are "
                "relative to the config file)"
            )
        try:
            if self.key is None:
                return np.asarray(np.load(self.path, allow_pickle=False))
            with np.load(self.path, allow_pickle=False) as archive:
                if self.key not in archive.files:
                    raise ConfigError(
                        f"[battery] {what}: {self.path.name} has no array {self.key!r}; "
                        f"it has {sorted(archive.files)}"
                    )
                return np.asarray(archive[self.key])
        except ConfigError:
            raise
        except ValueError as exc:  # object arrays need pickle; corrupt files
            raise ConfigError(
                f"[battery] {what}: cannot read {self.path.name} without pickle ({exc}); "
                "save plain numeric arrays with np.save / np.savez"
            ) from exc
        except OSError as exc:
            raise ConfigError(f"[battery] {what}: cannot read {self.path.name}: {exc}") from exc


@dataclass(frozen=True)
class RunConfig:
    """A parsed ``qbattery run`` configuration (see the module docstring).

    Usually made by :func:`load_config`; :meth:`RunConfig.override` applies
    command-line options and :meth:`RunConfig.battery` builds the battery.

    Examples
    --------
    >>> cfg = RunConfig(Path("kbody.toml"), np.linspace(0.0, 1.0, 5), model="kbody",
    ...                 params={"N": 4, "k": 2})
    >>> cfg = cfg.override(engine="dense", no_figure=True)
    >>> cfg.engine, cfg.figure, cfg.times.size
    ('dense', None, 5)
    >>> bat = cfg.battery()
    >>> bat.name, bat.dim
    ('kbody', 16)
    """

    source: Path
    times: np.ndarray
    model: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    operators: dict[str, OperatorSource] = field(default_factory=dict)
    battery_options: dict[str, Any] = field(default_factory=dict)
    engine: str = "auto"
    output: Path = Path("out.nc")
    figure: Path | None = None
    bounds: bool = True

    def override(
        self,
        *,
        output: Path | None = None,
        figure: Path | None = None,
        no_figure: bool = False,
        engine: str | None = None,
    ) -> RunConfig:
        """A copy with command-line overrides (``None`` keeps the file's value)."""
        changes: dict[str, Any] = {}
        if output is not None:
            changes["output"] = Path(output)
        if figure is not None:
            changes["figure"] = Path(figure)
        if no_figure:
            changes["figure"] = None
        if engine is not None:
            changes["engine"] = engine
        return dataclasses.replace(self, **changes)

    def battery(self) -> Any:
        """Build the :class:`~qbattery.Battery` this configuration describes."""
        from qbattery.battery import Battery

        if self.model is not None:
            return _call_model(self.source.name, self.model, self.params)
        arrays = {key: src.load(key) for key, src in self.operators.items()}
        opts = dict(self.battery_options)
        name = opts.pop("name", None) or "custom"
        params = {key: src.spec for key, src in self.operators.items()}
        return Battery(
            arrays["H0"],
            arrays["HC"],
            arrays["state"],
            name=name,
            params=params,
            H=arrays.get("H"),
            P0=arrays.get("P0"),
            **opts,
        )


def _call_model(where: str, name: str, params: Mapping[str, Any]) -> Any:
    models = builtin_models()
    if name not in models:
        raise ConfigError(
            f"{where}: unknown model {name!r} in [model] name; choose one of {sorted(models)} "
            "or give your operators in a [battery] table"
        )
    fn = models[name]
    sig = inspect.signature(fn)
    accepted = [p.name for p in sig.parameters.values()]
    unknown = sorted(set(params) - set(accepted))
    if unknown:
        raise ConfigError(
            f"{where}: model {name!r} has no parameter(s) {unknown}; its parameters are {accepted}"
        )
    missing = [
        p.name for p in sig.parameters.values() if p.default is p.empty and p.name not in params
    ]
    if missing:
        raise ConfigError(
            f"{where}: model {name!r} needs parameter(s) {missing} in [model], e.g. "
            f"{missing[0]} = 4"
        )
    return fn(**params)


def _check_keys(
    where: str, raw: Mapping[str, Any], tables: Mapping[str, tuple[str, ...] | None], kind: str
) -> None:
    """Each table of ``raw`` is one of ``tables`` and holds only its keys (None or (): any
    keys); shared by ``qbattery run`` (``kind="run"``) and ``qbattery sweep``."""
    unknown = sorted(set(raw) - set(tables))
    if unknown:
        raise ConfigError(
            f"{where}: unknown tables or keys {unknown}; a {kind} config has the tables "
            f"{sorted(tables)}"
        )
    for table, allowed in tables.items():
        value = raw.get(table, {})
        if not isinstance(value, dict):
            raise ConfigError(f"{where}: [{table}] must be a table, got {value!r}")
        if allowed and set(value) - set(allowed):
            raise ConfigError(
                f"{where}: unknown keys {sorted(set(value) - set(allowed))} in [{table}]; "
                f"known: {list(allowed)}"
            )


def _check_tables(where: str, raw: Mapping[str, Any]) -> None:
    _check_keys(where, raw, TABLES, "run")
    if ("model" in raw) == ("battery" in raw):
        raise ConfigError(
            f"{where}: give exactly one of [model] (a built-in model) or [battery] "
            f"(operator files), found {sorted(set(raw) & {'model', 'battery'}) or 'neither'}"
        )


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def parse_times(where: str, table: Mapping[str, Any]) -> np.ndarray:
    """Times from ``{start, stop, num}`` (both ends included) or ``{values = [...]}``.

    Only the form is checked here; :func:`qbattery.charge` checks the values (finite,
    non-negative, strictly increasing) with its own messages.

    Examples
    --------
    >>> parse_times("run.toml", {"start": 0, "stop": 1, "num": 3}).tolist()
    [0.0, 0.5, 1.0]
    """
    keys = set(table)
    if "values" in keys:
        if keys != {"values"}:
            raise ConfigError(f"{where}: [times] has `values`; drop {sorted(keys - {'values'})}")
        values = table["values"]
        if not isinstance(values, list) or not values or not all(map(_is_number, values)):
            raise ConfigError(
                f"{where}: [times] values must be a non-empty list of numbers, got {values!r}"
            )
        return np.asarray(values, dtype=float)
    if keys != {"start", "stop", "num"}:
        raise ConfigError(
            f"{where}: [times] needs start, stop and num (or values = [...]), got "
            f"{sorted(keys) or 'nothing'}"
        )
    start, stop, num = table["start"], table["stop"], table["num"]
    if not (_is_number(start) and _is_number(stop)):
        raise ConfigError(
            f"{where}: [times] start and stop must be numbers, got {start!r}, {stop!r}"
        )
    if isinstance(num, bool) or not isinstance(num, int) or num < 1:
        raise ConfigError(f"{where}: [times] num must be a positive integer, got {num!r}")
    if num > 1 and not stop > start:
        raise ConfigError(
            f"{where}: [times] needs stop > start, got start = {start}, stop = {stop}"
        )
    return np.linspace(float(start), float(stop), num)


def _operator_source(where: str, base: Path, key: str, value: Any) -> OperatorSource:
    if not isinstance(value, str) or not value:
        raise ConfigError(
            f'{where}: [battery] {key} must be a string "file.npy" or "file.npz:key", got {value!r}'
        )
    file, sep, name = value.partition(":")
    path = base / file
    if path.suffix == ".npz":
        if not sep or not name:
            raise ConfigError(
                f'{where}: [battery] {key} = "{value}" names an .npz archive; add the '
                f'array\'s key, e.g. "{file}:{key}"'
            )
        return OperatorSource(path, name, value)
    if path.suffix == ".npy":
        if sep:
            raise ConfigError(
                f'{where}: [battery] {key} = "{value}": a .npy file holds one array, drop ":{name}"'
            )
        return OperatorSource(path, None, value)
    raise ConfigError(
        f'{where}: [battery] {key} = "{value}" must end in .npy or .npz (with ":key"); '
        "save arrays with np.save / np.savez"
    )


def load_config(path: str | os.PathLike[str]) -> RunConfig:
    """Read and check a ``qbattery run`` configuration file.

    Parameters
    ----------
    path : str or path
        The TOML file; relative paths inside it are relative to its directory.

    Returns
    -------
    RunConfig
        Use :meth:`RunConfig.battery` to build the battery and :func:`run` to compute.

    Raises
    ------
    ConfigError
        Invalid TOML, unknown tables or keys, a missing or malformed entry, an unknown
        model or parameter.

    Examples
    --------
    >>> import pathlib, tempfile
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "q.toml"
    >>> _ = p.write_text('[model]\\nname = "single_qubit"\\n[times]\\nvalues = [0.5, 1.0]\\n')
    >>> cfg = load_config(p)
    >>> cfg.model, cfg.times.tolist(), cfg.output.name, cfg.figure.name
    ('single_qubit', [0.5, 1.0], 'q.nc', 'q.png')
    """
    p = Path(path)
    raw = _toml_load(p)
    where = p.name
    _check_tables(where, raw)
    base = p.parent
    run_table = raw.get("run", {})
    engine = run_table.get("engine", "auto")
    if not isinstance(engine, str):
        raise ConfigError(f"{where}: [run] engine must be a string, got {engine!r}")
    bounds = run_table.get("bounds", True)
    if not isinstance(bounds, bool):
        raise ConfigError(f"{where}: [run] bounds must be true or false, got {bounds!r}")
    output = run_table.get("output", f"{p.stem}.nc")
    if not isinstance(output, str) or not output:
        raise ConfigError(f"{where}: [run] output must be a file name, got {output!r}")
    figure_value = run_table.get("figure", f"{p.stem}.png")
    if figure_value is False:
        figure: Path | None = None
    elif isinstance(figure_value, str) and figure_value:
        figure = base / figure_value
    else:
        raise ConfigError(
            f"{where}: [run] figure must be a file name or false, got {figure_value!r}"
        )
    if "times" not in raw:
        raise ConfigError(
            f"{where}: missing [times] table; add start, stop and num (or values = [...])"
        )
    times = parse_times(where, raw["times"])
    common: dict[str, Any] = {
        "source": p,
        "times": times,
        "engine": engine,
        "output": base / output,
        "figure": figure,
        "bounds": bounds,
    }
    if "model" in raw:
        table = dict(raw["model"])
        name = table.pop("name", None)
        if not isinstance(name, str):
            raise ConfigError(
                f'{where}: [model] needs name = "<model>", one of {sorted(builtin_models())}'
            )
        return RunConfig(model=name, params=table, **common)
    table = dict(raw["battery"])
    operators: dict[str, OperatorSource] = {}
    for key, required in OPERATOR_KEYS.items():
        if key not in table:
            if required:
                raise ConfigError(f'{where}: [battery] needs {key} = "file.npy" or "file.npz:key"')
            continue
        operators[key] = _operator_source(where, base, key, table.pop(key))
    name = table.get("name")
    if name is not None and not isinstance(name, str):
        raise ConfigError(f"{where}: [battery] name must be a string, got {name!r}")
    for key in ("hermitian_atol", "state_atol"):
        if key in table and not (_is_number(table[key]) and table[key] > 0):
            raise ConfigError(
                f"{where}: [battery] {key} must be a positive number, got {table[key]!r}"
            )
    return RunConfig(operators=operators, battery_options=table, **common)


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
            f"{ds.attrs.get('model', '?')}: {ds.sizes['time']} times with engine "
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
    from qbattery import _progress
    from qbattery.charge import charge

    battery = config.battery()
    with _progress.task(f"qbattery run {config.source.name}", 2, enabled=progress) as bar:
        ds = charge(battery, config.times, engine=config.engine, bounds=config.bounds)
        bar.advance()
        config.output.parent.mkdir(parents=True, exist_ok=True)
        ds.attrs["config"] = str(config.source)
        ds.to_netcdf(config.output)
        if config.figure is not None:
            from qbattery.plotting import save_dataset_figure

            save_dataset_figure(ds, config.figure)
        bar.advance()
    return RunResult(ds, config.output, config.figure)
