"""Exceptions raised by qbattery.

Every message says what is wrong (with the offending number) and how to fix it.
"""

from __future__ import annotations


class QBatteryError(Exception):
    """Base class of every error raised by qbattery.

    Examples
    --------
    Catch everything qbattery raises on purpose, and nothing else:

    >>> import numpy as np, qbattery as qb
    >>> try:
    ...     qb.charge(qb.models.single_qubit(), np.array([0.0, -1.0]))
    ... except qb.QBatteryError as err:
    ...     print(type(err).__name__)
    InvalidInputError
    """


class InvalidInputError(QBatteryError, ValueError):
    """An input (operator, state, times, option) is malformed or inconsistent.

    Also a :class:`ValueError`, so code that already catches those keeps working.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> try:
    ...     qb.Battery(np.diag([1.0, -1.0]), np.eye(2), np.array([1.0, 1.0]))
    ... except ValueError as err:
    ...     print(isinstance(err, qb.InvalidInputError))
    True
    """


class MemoryLimitError(QBatteryError, MemoryError):
    """A computation would need more memory than the machine has available.

    Raised before anything large is allocated, with the estimate and the limit. The
    environment variable ``QBATTERY_MEMORY_LIMIT`` (bytes) lowers the limit.

    Examples
    --------
    >>> import os, numpy as np, qbattery as qb
    >>> os.environ["QBATTERY_MEMORY_LIMIT"] = "1000"  # pretend 1 kB is free
    >>> try:
    ...     qb.charge(qb.models.kbody(3, 3), np.array([0.5]), engine="dense")
    ... except qb.MemoryLimitError as err:
    ...     print("needs about" in str(err), isinstance(err, MemoryError))
    ... finally:
    ...     del os.environ["QBATTERY_MEMORY_LIMIT"]
    True True
    """


class EngineError(QBatteryError, ValueError):
    """An engine was asked for something it cannot do (e.g. Krylov with a density matrix).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> try:
    ...     qb.charge(qb.models.single_qubit(), np.array([0.5]), engine="magic")
    ... except qb.EngineError as err:
    ...     print(str(err).startswith("unknown engine 'magic'"))
    True
    """


class ConfigError(InvalidInputError):
    """A TOML configuration file is malformed or names something unknown.

    Examples
    --------
    It is an :class:`InvalidInputError`: the command line reports both as bad input.

    >>> from qbattery.errors import ConfigError, InvalidInputError
    >>> issubclass(ConfigError, InvalidInputError)
    True
    """
