"""Built-in battery models of the paper (SPEC §3). Each returns a cached, immutable Battery."""

from __future__ import annotations

from qbattery.models.ising import ising
from qbattery.models.kbody import collective, kbody, parallel
from qbattery.models.single_qubit import single_qubit

__all__ = ["collective", "ising", "kbody", "parallel", "single_qubit"]
