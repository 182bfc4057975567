"""qbattery: how reliable is the charging of a quantum battery, not only how powerful.

Computes full-counting-statistics means, variances and noise-to-signal ratios of work
and power, the Fisher-information lower bounds (Eq. 5) and the work-power trade-off
(Eq. 6) of Mohan, Pandit, Lewenstein and Bera.
"""

from __future__ import annotations

from qbattery import analytic, models
from qbattery._version import __version__
from qbattery.battery import Battery
from qbattery.charge import charge
from qbattery.distribution import distribution, generating_function
from qbattery.eigenbasis import Eigenbasis
from qbattery.engines import clear_engine_cache
from qbattery.errors import (
    EngineError,
    InvalidInputError,
    MemoryLimitError,
    QBatteryError,
)
from qbattery.operators import PauliSum, ProductState
from qbattery.optimal import optimal_charging
from qbattery.states import thermal, with_state
from qbattery.studies.design import Design, InfeasibleTargetError, design
from qbattery.studies.scaling import scaling
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
    "clear_engine_cache",
    "design",
    "distribution",
    "generating_function",
    "models",
    "open_sweep",
    "optimal_charging",
    "scaling",
    "sweep",
    "thermal",
    "with_state",
]
