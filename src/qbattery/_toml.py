"""Reading TOML configuration files: one reader and one key checker for every command.

Shared by ``qbattery run`` (:mod:`qbattery.config`) and ``qbattery sweep``
(:mod:`qbattery.sweep.config`). Every problem raises
:class:`~qbattery.errors.ConfigError` naming the file and what to write instead.

Each table's keys are described once, as a :data:`Schema` (key → :class:`Key`: its kind
and an example); :func:`check_table` checks a table against it in one grammar
(``FILE: [table] key must be KIND, got VALUE; write e.g. key = EXAMPLE``).
:func:`check_figure_path` and :func:`check_writable` check output locations before
anything is computed. Hand-written rather than pydantic: pydantic adds 55-73 ms to
every ``qbattery`` call (``python -X importtime``, on top of about 0.83 s) and its
messages do not follow the project's grammar.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from qbattery.errors import ConfigError

__all__ = [
    "Key",
    "Schema",
    "check_figure_path",
    "check_keys",
    "check_table",
    "check_writable",
    "load_toml",
]

#: what each kind of key accepts, as the messages say it
KINDS: dict[str, str] = {
    "str": "a non-empty string",
    "bool": "true or false",
    "int": "a positive integer",
    "number": "a number",
    "positive": "a positive number",
    "file-or-false": "a file name or false",
}


@dataclass(frozen=True)
class Key:
    """One key of a TOML table: its kind (a key of :data:`KINDS`) and an example value.

    Examples
    --------
    >>> Key("int", "4").accepts(3), Key("int", "4").accepts(True), Key("str", '"a"').accepts("")
    (True, False, False)
    """

    kind: Literal["str", "bool", "int", "number", "positive", "file-or-false"]
    example: str

    def accepts(self, value: Any) -> bool:
        """Whether ``value`` is of this key's kind."""
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        if self.kind == "str":
            return isinstance(value, str) and bool(value)
        if self.kind == "bool":
            return isinstance(value, bool)
        if self.kind == "int":
            return isinstance(value, int) and not isinstance(value, bool) and value >= 1
        if self.kind == "number":
            return number
        if self.kind == "positive":
            return number and value > 0
        return value is False or (isinstance(value, str) and bool(value))


#: the keys of one table, each with its kind
Schema = Mapping[str, Key]


def check_table(where: str, table: str, values: Mapping[str, Any], schema: Schema) -> None:
    """Each key of ``values`` present in ``schema`` has the kind the schema gives.

    Examples
    --------
    >>> schema = {"workers": Key("int", "4")}
    >>> check_table("s.toml", "sweep", {"workers": 2}, schema)
    >>> try:
    ...     check_table("s.toml", "sweep", {"workers": "two"}, schema)
    ... except ConfigError as err:
    ...     print(err)
    s.toml: [sweep] workers must be a positive integer, got 'two'; write e.g. workers = 4
    """
    for key, spec in schema.items():
        if key in values and not spec.accepts(values[key]):
            raise ConfigError(
                f"{where}: [{table}] {key} must be {KINDS[spec.kind]}, got {values[key]!r}; "
                f"write e.g. {key} = {spec.example}"
            )


def check_figure_path(path: str | os.PathLike[str], what: str) -> Path:
    """``path`` ends in a format matplotlib writes and its place is writable.

    ``what`` names the setting in the message (``"--figure"``, ``"[run] figure"``).

    Examples
    --------
    >>> check_figure_path("fig.png", "--figure").name
    'fig.png'
    >>> try:
    ...     check_figure_path("fig.xyz", "--figure")
    ... except ConfigError as err:
    ...     print(str(err)[:60])
    --figure 'fig.xyz' has the unknown figure format '.xyz'; use
    """
    from matplotlib.backend_bases import FigureCanvasBase

    p = Path(path)
    formats = sorted(FigureCanvasBase.get_supported_filetypes())
    suffix = p.suffix.lower().lstrip(".")
    if suffix not in formats:
        raise ConfigError(
            f"{what} {str(p)!r} has the unknown figure format {p.suffix or '(none)'!r}; use "
            f"one of {['.' + f for f in formats]}, e.g. {p.stem or 'figure'}.png"
        )
    check_writable(p, what)
    return p


def check_writable(path: str | os.PathLike[str], what: str) -> None:
    """``path`` (a file or directory, existing or not) can be written.

    Its nearest existing ancestor must be a writable directory; an existing ``path``
    must itself be writable.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = (Path(tmp) / "afile").write_text("")
    ...     check_writable(Path(tmp) / "new" / "x.zarr", "--store")
    ...     try:
    ...         check_writable(Path(tmp) / "afile" / "x.zarr", "--store")
    ...     except ConfigError as err:
    ...         print(str(err).split(": ", 1)[1])
    'afile' is a file, not a directory; choose another path
    """
    p = Path(os.path.abspath(path))
    existing = p
    while not existing.exists() and existing.parent != existing:
        existing = existing.parent
    if existing != p and not existing.is_dir():
        raise ConfigError(
            f"{what} {str(path)!r} cannot be created: {existing.name!r} is a file, not a "
            "directory; choose another path"
        )
    mode = os.W_OK | (os.X_OK if existing.is_dir() else 0)
    if not os.access(existing, mode):
        kind = "directory" if existing.is_dir() else "file"
        raise ConfigError(
            f"{what} {str(path)!r} cannot be written: the {kind} {str(existing)!r} is "
            "read-only; choose a writable location or change its permissions"
        )


def load_toml(path: Path) -> dict[str, Any]:
    """The TOML file ``path`` as a dict; ConfigError if it is missing or not valid TOML.

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     path = Path(tmp) / "a.toml"
    ...     _ = path.write_text("[times]\\nnum = 3\\n")
    ...     load_toml(path)
    {'times': {'num': 3}}
    >>> load_toml(Path("missing.toml"))
    Traceback (most recent call last):
    ...
    qbattery.errors.ConfigError: config file 'missing.toml' does not exist
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
    except PermissionError as exc:
        raise ConfigError(f"config file {str(path)!r} cannot be read: permission denied") from exc
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path.name} is not UTF-8 text (byte {exc.object[exc.start]:#04x} at offset "
            f"{exc.start}); save the config as UTF-8"
        ) from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name} is not valid TOML: {exc}") from exc


def check_keys(
    where: str, raw: Mapping[str, Any], tables: Mapping[str, tuple[str, ...] | None], kind: str
) -> None:
    """Each table of ``raw`` is one of ``tables`` and holds only its keys.

    ``None`` or ``()`` as a table's keys allows any key; ``kind`` names the file's
    kind in the message (``"run"``, ``"sweep"``).

    Examples
    --------
    >>> check_keys("s.toml", {"times": {"num": 3}}, {"times": ("num",)}, "sweep")
    >>> try:
    ...     check_keys("s.toml", {"time": {}}, {"times": ("num",)}, "sweep")
    ... except ConfigError as err:
    ...     print(err)
    s.toml: unknown tables or keys ['time']; a sweep config has the tables ['times']
    """
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
