"""Exceptions raised by qbattery.

Every message says what is wrong (with the offending number) and how to fix it.
"""

from __future__ import annotations


class QBatteryError(Exception):
    """Base class of every error raised by qbattery."""


class InvalidInputError(QBatteryError, ValueError):
    """An input (operator, state, times, option) is malformed or inconsistent."""


class MemoryLimitError(QBatteryError, MemoryError):
    """A computation would need more memory than the machine has available."""


class EngineError(QBatteryError, ValueError):
    """An engine was asked for something it cannot do (e.g. Krylov with a density matrix)."""


class ConfigError(InvalidInputError):
    """A TOML configuration file is malformed or names something unknown."""
