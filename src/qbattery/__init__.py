"""qbattery: how reliable is the charging of a quantum battery, not only how powerful.

Computes full-counting-statistics means, variances and noise-to-signal ratios of work
and power, the Fisher-information lower bounds (Eq. 5) and the work-power trade-off
(Eq. 6) of Mohan, Pandit, Lewenstein and Bera.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("qbattery")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0+unknown"

from qbattery import analytic, models
from qbattery.battery import Battery
from qbattery.charge import charge
from qbattery.design import Design, InfeasibleTargetError, design
from qbattery.distribution import distribution, generating_function
from qbattery.eigenbasis import Eigenbasis
from qbattery.errors import (
    EngineError,
    InvalidInputError,
    MemoryLimitError,
    QBatteryError,
)
from qbattery.operators import PauliSum, ProductState
from qbattery.scaling import scaling
from qbattery.states import thermal, with_state
from qbattery.sweep import open_sweep, sweep

__all__ = [
    "Battery",
    "Design",
    "Eigenbasis",
    "EngineError",
    "InfeasibleTargetError",
    "InvalidInputError",
    "MemoryLimitError",
    "PauliSum",
    "ProductState",
    "QBatteryError",
    "__version__",
    "analytic",
    "charge",
    "design",
    "distribution",
    "generating_function",
    "models",
    "open_sweep",
    "scaling",
    "sweep",
    "thermal",
    "with_state",
]
