"""Prepared engines (eigendecompositions etc.), cached per battery and reused across calls.

:func:`qbattery.engines.get_engine` resolves an engine and takes it from here;
:func:`clear_engine_cache` (``qb.clear_engine_cache``) frees the memory it holds.
"""

from __future__ import annotations

import weakref

from qbattery.battery import Battery
from qbattery.engines.base import Engine

#: battery -> {engine name: prepared engine}; at most one prepared engine per battery
ENGINE_CACHE: weakref.WeakKeyDictionary[Battery, dict[str, Engine]] = weakref.WeakKeyDictionary()


def prepared_engine(battery: Battery, cls: type[Engine]) -> Engine:
    """The instance of ``cls`` for ``battery``: built once, then reused.

    Examples
    --------
    >>> import qbattery as qb
    >>> from qbattery.engines import DenseEngine
    >>> bat = qb.models.heisenberg(3)
    >>> prepared_engine(bat, DenseEngine) is prepared_engine(bat, DenseEngine)
    True
    """
    per_battery = ENGINE_CACHE.setdefault(battery, {})
    if cls.name not in per_battery:
        per_battery.clear()  # keep at most one prepared engine per battery
        per_battery[cls.name] = cls(battery)
    return per_battery[cls.name]


def cache_engine(battery: Battery, engine: Engine) -> None:
    """Make ``engine`` the prepared engine of ``battery`` (one primed by a batch, say).

    ``qb.charge(battery, ..., engine=engine.name)`` then uses it, as it would use the
    engine it prepared itself; the battery's other prepared engines are dropped.

    Examples
    --------
    >>> import qbattery as qb
    >>> from qbattery.engines import DenseEngine
    >>> bat = qb.models.heisenberg(3)
    >>> eng = DenseEngine(bat)
    >>> cache_engine(bat, eng)
    >>> prepared_engine(bat, DenseEngine) is eng
    True
    """
    per_battery = ENGINE_CACHE.setdefault(battery, {})
    per_battery.clear()
    per_battery[engine.name] = engine


def clear_engine_cache(battery: Battery | None = None) -> None:
    """Drop the prepared engines of ``battery``, or of every battery (default).

    Engines are cached per battery so that repeated ``qb.charge`` calls reuse an
    eigendecomposition; a long loop over many batteries can free them as it goes.

    Examples
    --------
    >>> import qbattery as qb
    >>> bat = qb.models.heisenberg(3)
    >>> eng, _ = qb.engines.get_engine(bat)
    >>> clear_engine_cache(bat)
    >>> bat in ENGINE_CACHE, qb.engines.get_engine(bat)[0] is eng
    (False, False)
    """
    if battery is None:
        ENGINE_CACHE.clear()
    else:
        ENGINE_CACHE.pop(battery, None)


__all__ = ["ENGINE_CACHE", "cache_engine", "clear_engine_cache", "prepared_engine"]
