"""Lazy imports of optional dependencies: fail at first use, naming the extra to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from qbattery.errors import QBatteryError

_EXTRAS = {
    "qutip": "qutip",
    "dask": "dask",
    "distributed": "dask",
    "zarr": "dask",
    "threadpoolctl": "dask",
    "dask_jobqueue": "hpc",
}


def require(module: str) -> ModuleType:
    """Import ``module`` or raise an error naming the pip extra that provides it."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:  # pragma: no cover - depends on the environment
        extra = _EXTRAS.get(module.split(".")[0], module)
        raise QBatteryError(
            f"{module!r} is not installed; install it with `pip install qbattery[{extra}]`"
        ) from exc


def is_qobj(obj: object) -> bool:
    """Whether ``obj`` is a ``qutip.Qobj`` (without importing qutip)."""
    return type(obj).__name__ == "Qobj" and type(obj).__module__.startswith("qutip")
