"""``qbattery run``: the battery a configuration describes (a built-in model or operator files)."""

from __future__ import annotations

import dataclasses
import inspect
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from qbattery import models
from qbattery.battery import Battery
from qbattery.errors import ConfigError, InvalidInputError


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
    return {name: getattr(models, name) for name in models.__all__}


def _is_zip(path: Path) -> bool:
    """Whether ``path`` is a zip archive (what ``np.savez`` writes)."""
    import zipfile

    return zipfile.is_zipfile(path)


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

    def load(self, what: str, where: str = "") -> np.ndarray:
        """Read the array (``allow_pickle=False``); raise ConfigError on any problem.

        ``where`` (the config file's name) prefixes every message.
        """
        try:
            return self._load(what)
        except ConfigError as exc:
            if not where:
                raise
            raise ConfigError(f"{where}: {exc}") from exc.__cause__

    def _load(self, what: str) -> np.ndarray:
        if self.path.is_dir():
            raise ConfigError(
                f"[battery] {what}: {str(self.path)!r} is a directory, not a .npy/.npz file; "
                "give the path of the file itself"
            )
        if self.key is not None and self.path.is_file() and not _is_zip(self.path):
            raise ConfigError(
                f"[battery] {what}: {self.path.name} is not an .npz archive (a zip file); "
                "save the arrays with np.savez"
            )
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
    #: also find the optimal charging times (:func:`qbattery.optimal_charging`)
    optima: bool = True
    #: where ``output`` / ``figure`` were given, named in the messages of :func:`run`
    output_origin: str = "output"
    figure_origin: str = "figure"

    def override(
        self,
        *,
        output: Path | None = None,
        figure: Path | None = None,
        no_figure: bool = False,
        engine: str | None = None,
        optima: bool | None = None,
    ) -> RunConfig:
        """A copy with command-line overrides (``None`` keeps the file's value)."""
        changes: dict[str, Any] = {}
        if output is not None:
            changes.update(output=Path(output), output_origin="--out")
        if figure is not None:
            changes.update(figure=Path(figure), figure_origin="--figure")
        if no_figure:
            changes["figure"] = None
        if engine is not None:
            changes["engine"] = engine
        if optima is not None:
            changes["optima"] = optima
        return dataclasses.replace(self, **changes)

    def battery(self) -> Any:
        """Build the :class:`~qbattery.Battery` this configuration describes."""
        if self.model is not None:
            return call_model(self.source.name, self.model, self.params)
        where = self.source.name
        arrays = {key: src.load(key, where) for key, src in self.operators.items()}
        opts = dict(self.battery_options)
        name = opts.pop("name", None) or "custom"
        params = {key: src.spec for key, src in self.operators.items()}
        try:
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
        except InvalidInputError as exc:  # the battery's own checks: name the file and table
            raise ConfigError(f"{where}: [battery] {exc}") from exc


def call_model(where: str, name: str, params: Mapping[str, Any]) -> Any:
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
    try:
        return fn(**params)
    except InvalidInputError as exc:  # the model's own parameter checks: name the table
        raise ConfigError(f"{where}: [model] {exc}") from exc
