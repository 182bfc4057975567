"""Built-in battery models of the paper (SPEC §3). Each returns a cached, immutable Battery."""

from __future__ import annotations

from qbattery.models.dicke import dicke, tavis_cummings
from qbattery.models.heisenberg import heisenberg
from qbattery.models.ising import ising
from qbattery.models.kbody import collective, kbody, parallel
from qbattery.models.single_qubit import single_qubit
from qbattery.models.syk import disorder_average, syk, syk_ensemble

__all__ = [
    "collective",
    "dicke",
    "disorder_average",
    "heisenberg",
    "ising",
    "kbody",
    "parallel",
    "single_qubit",
    "syk",
    "syk_ensemble",
    "tavis_cummings",
]
