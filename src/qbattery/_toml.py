"""Reading TOML configuration files: one reader and one key checker for every command.

Shared by ``qbattery run`` (:mod:`qbattery.config`) and ``qbattery sweep``
(:mod:`qbattery.sweep.config`). Every problem raises
:class:`~qbattery.errors.ConfigError` naming the file and what to write instead.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from qbattery.errors import ConfigError

__all__ = ["check_keys", "load_toml"]


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
