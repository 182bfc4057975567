"""``qbattery run``: read and check a configuration file into a :class:`RunConfig`."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from qbattery._toml import (
    Key,
    Schema,
    check_keys,
    check_table,
    load_toml,
)
from qbattery.config.battery import OperatorSource, RunConfig, builtin_models
from qbattery.errors import ConfigError

#: the kind of each scalar key of ``[run]`` and ``[battery]`` (one description per table)
RUN_SCHEMA: Schema = {
    "engine": Key("str", '"auto"'),
    "output": Key("str", '"out.nc"'),
    "figure": Key("file-or-false", '"out.png"'),
    "bounds": Key("bool", "true"),
    "optima": Key("bool", "true"),
}
BATTERY_SCHEMA: Schema = {
    "name": Key("str", '"my-battery"'),
    "hermitian_atol": Key("positive", "1e-10"),
    "state_atol": Key("positive", "1e-10"),
}
#: allowed keys of each table (docs/cli.md documents each)
TABLES: dict[str, tuple[str, ...] | None] = {
    "model": None,  # name + the model's parameters
    "battery": ("H0", "HC", "state", "P0", "H", "name", "hermitian_atol", "state_atol"),
    "times": ("start", "stop", "num", "values"),
    "run": tuple(RUN_SCHEMA),
}
#: operator entries of ``[battery]`` and whether each is required
OPERATOR_KEYS: dict[str, bool] = {"H0": True, "HC": True, "state": True, "P0": False, "H": False}


def _check_tables(where: str, raw: Mapping[str, Any]) -> None:
    check_keys(where, raw, TABLES, "run")
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
    raw = load_toml(p)
    where = p.name
    _check_tables(where, raw)
    base = p.parent
    run_table = raw.get("run", {})
    check_table(where, "run", run_table, RUN_SCHEMA)
    engine = run_table.get("engine", "auto")
    bounds = run_table.get("bounds", True)
    optima = run_table.get("optima", True)
    output = run_table.get("output", f"{p.stem}.nc")
    figure_value = run_table.get("figure", f"{p.stem}.png")
    figure = None if figure_value is False else base / figure_value
    # the output paths are checked by run(), after --out/--figure may have replaced them
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
        "optima": optima,
        "output_origin": f"{where}: [run] output",
        "figure_origin": f"{where}: [run] figure",
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
    check_table(where, "battery", table, BATTERY_SCHEMA)
    return RunConfig(operators=operators, battery_options=table, **common)
