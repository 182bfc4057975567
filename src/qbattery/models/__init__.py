"""Built-in battery models of the paper. Each returns a cached, immutable Battery.

Each model records its convention (H0, HC, the H that drives the evolution, P0, the
initial state, what is held fixed as N grows) in ``structure["convention"]``;
:meth:`qbattery.Battery.describe` prints it and :doc:`/conventions` tabulates it.
"""

from __future__ import annotations

from qbattery.models.dicke import dicke
from qbattery.models.farina import farina
from qbattery.models.heisenberg import heisenberg
from qbattery.models.ising import ising
from qbattery.models.kbody import collective, kbody, parallel
from qbattery.models.single_qubit import single_qubit
from qbattery.models.syk import disorder_average, syk, syk_ensemble
from qbattery.models.tavis_cummings import tavis_cummings

__all__ = [
    "collective",
    "dicke",
    "disorder_average",
    "farina",
    "heisenberg",
    "ising",
    "kbody",
    "parallel",
    "single_qubit",
    "syk",
    "syk_ensemble",
    "tavis_cummings",
]
