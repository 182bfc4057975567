"""A checked sweep: model, grid axes, fixed parameters, times (used by :mod:`qbattery.sweep`)."""

from __future__ import annotations

import importlib
import inspect
import itertools
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from qbattery import _checks, models
from qbattery._dataset import POWER_F, TRADEOFF_SUM_BOUND, VARIABLES, WORK_F
from qbattery._typing import TimesLike
from qbattery.battery import Battery
from qbattery.errors import InvalidInputError

#: the variables stored for every grid point, in this order (the
#: :ref:`variables table <variables-table>` plus the f terms)
SWEEP_VARIABLES: tuple[str, ...] = (*VARIABLES, WORK_F, POWER_F, TRADEOFF_SUM_BOUND)

#: values of the per-point ``status`` variable
PENDING, DONE, INVALID, FAILED = 0, 1, 2, 3
STATUS_MEANINGS = "pending done invalid failed"

#: built-in models a sweep can name (``qb.models.<name>``)
BUILTIN_MODELS = ("kbody", "ising", "single_qubit", "parallel", "collective")

#: version of the store layout (bumped when the layout changes)
STORE_FORMAT = 1
#: attribute of a store holding its sweep record (:meth:`SweepSpec.record`, JSON)
RECORD_ATTR = "qbattery_sweep"


class SweepMismatchError(InvalidInputError):
    """An existing store was created for a different sweep.

    Examples
    --------
    >>> import pathlib, tempfile, qbattery as qb
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = pathlib.Path(tmp) / "k.zarr"
    ...     _ = qb.sweep("kbody", {"k": [1, 2]}, [0.5], params={"N": 4}, store=store,
    ...                  client="serial", bounds=False)
    ...     try:
    ...         qb.sweep("kbody", {"k": [1, 2]}, [0.5], params={"N": 6}, store=store,
    ...                  client="serial", bounds=False)
    ...     except SweepMismatchError as err:
    ...         print(*str(err).split(": ", 1)[1].split(". "), sep="\\n")  # after the path
    params 'N' is 4 in the store but 6 here
    Use another store path, or delete the store to start again
    """


def resolve_model(model: str | Callable[..., Battery]) -> tuple[Callable[..., Battery], str]:
    """The model's builder function and the id recorded in the store.

    ``model`` is a built-in model name (``"kbody"``, ``"ising"``, ...), a
    ``"package.module:function"`` string, or a callable returning a :class:`Battery`.

    Examples
    --------
    >>> fn, name = resolve_model("kbody")
    >>> name
    'kbody'
    """
    if callable(model):
        name = f"{getattr(model, '__module__', '?')}:{getattr(model, '__qualname__', repr(model))}"
        if name.startswith("qbattery.models.") and model.__name__ in BUILTIN_MODELS:
            name = model.__name__
        return model, name
    if not isinstance(model, str):
        raise InvalidInputError(
            f"`model` must be a model name, 'module:function' or a callable, got "
            f"{type(model).__name__}; e.g. model='kbody'"
        )
    if ":" in model:
        mod_name, _, attr = model.partition(":")
        try:
            fn = getattr(importlib.import_module(mod_name), attr)
        except (ImportError, AttributeError) as exc:
            raise InvalidInputError(
                f"cannot import model {model!r} ({exc}); give 'package.module:function' of "
                "a function that returns a qbattery.Battery, importable on every worker"
            ) from exc
        return fn, model
    if model not in BUILTIN_MODELS:
        raise InvalidInputError(
            f"unknown model {model!r}; choose one of {list(BUILTIN_MODELS)} or give "
            "'package.module:function'"
        )
    return getattr(models, model), model


def _model_parameters(fn: Callable[..., Any]) -> tuple[set[str], set[str], bool]:
    """(all parameter names, required names, accepts **kwargs) of a model function."""
    sig = inspect.signature(fn)
    names: set[str] = set()
    required: set[str] = set()
    var_kw = False
    for p in sig.parameters.values():
        if p.kind is inspect.Parameter.VAR_KEYWORD:
            var_kw = True
        elif p.kind is not inspect.Parameter.VAR_POSITIONAL:
            names.add(p.name)
            if p.default is inspect.Parameter.empty:
                required.add(p.name)
    return names, required, var_kw


def _native(value: Any) -> Any:
    """A numpy scalar as the Python scalar it stands for."""
    return value.item() if isinstance(value, np.generic) else value


def _kind(value: Any) -> str:
    """'bool', 'number', 'str' or the type's name."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return "number"
    return "str" if isinstance(value, str) else type(value).__name__


def _grid_values(name: str, values: Any) -> tuple[Any, ...]:
    """Check one grid axis: a non-empty sequence of distinct scalars of one kind."""
    if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
        raise InvalidInputError(
            f"grid axis {name!r} must be a list of values, got {values!r}; "
            f"write e.g. {name} = [1, 2, 3] (a single value belongs in `params`)"
        )
    vals = tuple(_native(v) for v in values)
    if not vals:
        raise InvalidInputError(
            f"grid axis {name!r} is empty; give it at least one value or remove it"
        )
    kinds = {_kind(v) for v in vals}
    if len(kinds) != 1 or kinds & {"NoneType", "list", "dict", "tuple"}:
        raise InvalidInputError(
            f"grid axis {name!r} must hold scalars of one kind (numbers, strings or "
            f"booleans), got {list(vals)!r}"
        )
    if len(set(vals)) != len(vals):
        dup = sorted({v for v in vals if vals.count(v) > 1}, key=str)
        raise InvalidInputError(
            f"grid axis {name!r} repeats the values {dup}; give each value once"
        )
    if kinds == {"number"} and not all(np.isfinite(float(v)) for v in vals):
        raise InvalidInputError(f"grid axis {name!r} has NaN or infinite values: {list(vals)}")
    if kinds == {"number"} and any(isinstance(v, float) for v in vals):
        vals = tuple(float(v) for v in vals)  # one dtype per axis: mixed → float
    return vals


@dataclass(frozen=True)
class SweepSpec:
    """A checked sweep: model, grid axes, fixed parameters, times and options.

    Build it with :func:`make_spec`; :meth:`record` is what a store remembers.

    Examples
    --------
    >>> spec = make_spec("kbody", {"k": [1, 2]}, [0.5, 1.0], params={"N": 4})
    >>> spec.dims, spec.shape, list(spec.indices())
    (('k',), (2,), [(0,), (1,)])
    >>> spec.point((1,))  # the model's keyword arguments at k = 2
    {'N': 4, 'k': 2}
    >>> spec.record()["grid"], spec.record()["times"]
    ([['k', [1, 2]]], [0.5, 1.0])
    """

    model: str
    fn: Callable[..., Battery] = field(repr=False, compare=False)
    grid: dict[str, tuple[Any, ...]]
    params: dict[str, Any]
    times: np.ndarray = field(repr=False)
    engine: str = "auto"
    bounds: bool = True

    @property
    def dims(self) -> tuple[str, ...]:
        """Names of the grid axes, in order."""
        return tuple(self.grid)

    @property
    def shape(self) -> tuple[int, ...]:
        """Number of values along each grid axis."""
        return tuple(len(v) for v in self.grid.values())

    @property
    def size(self) -> int:
        """Number of grid points."""
        return math.prod(self.shape)

    def indices(self) -> Iterator[tuple[int, ...]]:
        """Every grid index, in C order."""
        return itertools.product(*(range(n) for n in self.shape))

    def point(self, index: tuple[int, ...]) -> dict[str, Any]:
        """Keyword arguments of the model at a grid index (fixed parameters included)."""
        kwargs = dict(self.params)
        kwargs.update({d: self.grid[d][i] for d, i in zip(self.dims, index, strict=True)})
        return kwargs

    def record(self) -> dict[str, Any]:
        """The JSON-able description a store is checked against."""
        return {
            "format": STORE_FORMAT,
            "model": self.model,
            "grid": [[k, list(v)] for k, v in self.grid.items()],  # ordered axes
            "params": dict(self.params),
            "times": [float(t) for t in self.times],
            "engine": self.engine,
            "bounds": bool(self.bounds),
            "variables": list(SWEEP_VARIABLES),
        }


def make_spec(
    model: str | Callable[..., Battery],
    grid: Mapping[str, Sequence[Any]],
    times: TimesLike,
    *,
    params: Mapping[str, Any] | None = None,
    engine: str = "auto",
    bounds: bool = True,
) -> SweepSpec:
    """Check a sweep's inputs and return its :class:`SweepSpec`.

    Raises
    ------
    InvalidInputError
        For an unknown model or parameter, an empty grid or grid axis, repeated values,
        a parameter both swept and fixed, a missing required parameter, or bad times.

    Examples
    --------
    >>> spec = make_spec("kbody", {"N": [4, 6], "k": [1, 2, 3]}, [0.5, 1.0])
    >>> spec.dims, spec.shape, spec.size
    (('N', 'k'), (2, 3), 6)
    """
    fn, name = resolve_model(model)
    if not isinstance(grid, Mapping):
        raise InvalidInputError(
            f"`grid` must be a mapping of parameter name to values, got a "
            f"{type(grid).__name__} ({grid!r}); write e.g. grid={{'N': [2, 4]}}"
        )
    if not grid:
        raise InvalidInputError(
            "the grid is empty; give at least one parameter to sweep, e.g. "
            "grid={'k': [1, 2, 3]} (for a single point use qb.charge)"
        )
    fixed = {k: _native(v) for k, v in (params or {}).items()}
    names, required, var_kw = _model_parameters(fn)
    for key in (*grid, *fixed):
        if not isinstance(key, str) or (key not in names and not var_kw):
            raise InvalidInputError(
                f"unknown parameter {key!r} of model {name!r}; its parameters are {sorted(names)}"
            )
    both = sorted(set(grid) & set(fixed))
    if both:
        raise InvalidInputError(
            f"parameters {both} are both swept (grid) and fixed (params); keep each in one"
        )
    missing = sorted(required - set(grid) - set(fixed))
    if missing:
        raise InvalidInputError(
            f"model {name!r} needs the parameters {missing}; give them in the grid or params"
        )
    for key, value in fixed.items():
        if not isinstance(value, (bool, int, float, str)):
            raise InvalidInputError(
                f"fixed parameter {key!r} must be a number, string or boolean, got {value!r}"
            )
    axes = {key: _grid_values(key, values) for key, values in grid.items()}
    t = _checks.check_times(times)
    if not isinstance(engine, str):
        raise InvalidInputError(f"`engine` must be a string such as 'auto', got {engine!r}")
    return SweepSpec(name, fn, axes, fixed, t, engine, bool(bounds))
