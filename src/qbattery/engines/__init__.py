"""Engine registry, the pure ``choose_engine`` heuristic and ``resolve``.

Engines register themselves in :data:`REGISTRY`; :func:`resolve` turns a name (or
``"auto"``) into an engine class for a battery, raising a clear error when the engine
cannot run it or the size will not fit in memory.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from qbattery import _checks
from qbattery.battery import Battery
from qbattery.engines.base import Engine, Moments, ObservableMoments
from qbattery.engines.dense import DenseEngine
from qbattery.engines.structured import StructuredEngine
from qbattery.errors import EngineError

#: name -> engine class; every registered engine is run by the contract tests
REGISTRY: dict[str, type[Engine]] = {}


def register(cls: type[Engine]) -> type[Engine]:
    """Add an engine class to :data:`REGISTRY` (usable as a decorator)."""
    REGISTRY[cls.name] = cls
    return cls


register(DenseEngine)
register(StructuredEngine)

#: dense eigendecomposition is preferred up to this Hilbert dimension
DENSE_MAX_DIM = 4096


def choose_engine(
    dim: int,
    is_pure: bool,
    structure: Mapping[str, Any],
    ntimes: int,
    free_mem: int,
    available: tuple[str, ...] | None = None,
) -> tuple[str, str]:
    """Pick the fastest exact engine; return ``(name, reason)``.

    A pure function of the battery's size, purity and structure, the number of times
    and the free memory (bytes). ``available`` defaults to the registered engines.

    Examples
    --------
    >>> choose_engine(16, True, {}, 10, 2**30, available=("dense",))
    ('dense', 'dimension 16 ≤ 4096: exact eigendecomposition')
    """
    names = tuple(REGISTRY) if available is None else available
    family = structure.get("family")
    if "structured" in names and family in ("kbody", "ising") and (
        family == "kbody" or structure.get("variant", "paper") == "paper"
    ):
        return "structured", f"model family {family!r} has an exact structured solution"
    dense_mem = 10 * dim * dim * 16
    if dim <= DENSE_MAX_DIM and dense_mem <= free_mem:
        return "dense", f"dimension {dim} ≤ {DENSE_MAX_DIM}: exact eigendecomposition"
    if "krylov" in names and is_pure:
        return "krylov", f"dimension {dim} > {DENSE_MAX_DIM} and pure state: matrix-free Krylov"
    if dense_mem <= free_mem:
        return "dense", f"dimension {dim}: dense is the only engine for this battery"
    return "dense", f"dimension {dim}: no engine fits (dense needs {dense_mem} bytes)"


def resolve(battery: Battery, engine: str, ntimes: int) -> tuple[type[Engine], str]:
    """Engine class and the reason it was chosen; raise if it cannot run ``battery``."""
    if engine == "auto":
        name, reason = choose_engine(
            battery.dim,
            battery.is_pure,
            battery.structure,
            ntimes,
            _checks.available_memory(),
        )
    else:
        if engine not in REGISTRY:
            raise EngineError(
                f"unknown engine {engine!r}; choose one of {['auto', *sorted(REGISTRY)]}"
            )
        name, reason = engine, "requested"
    cls = REGISTRY[name]
    why_not = cls.supports(battery)
    if why_not is not None:
        able = [n for n, c in REGISTRY.items() if c.supports(battery) is None]
        raise EngineError(f"engine {name!r} cannot run this battery: {why_not}; use one of {able}")
    _checks.check_memory(
        f"engine {name!r} for dimension {battery.dim}", cls.memory_estimate(battery, ntimes)
    )
    return cls, reason


__all__ = [
    "REGISTRY",
    "DenseEngine",
    "Engine",
    "Moments",
    "ObservableMoments",
    "choose_engine",
    "register",
    "resolve",
]
