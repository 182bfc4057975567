"""Symbolic spin operators: :class:`PauliSum`, :class:`ProductState` and sparse builders.

Site ``j`` (0-based) is the ``j``-th tensor factor from the left, i.e. bit ``n − 1 − j``
of the computational-basis index (the order of ``numpy.kron`` and ``qutip.tensor``);
|0⟩ is the σ_z = +1 state.

A :class:`PauliSum` stores Σ_t c_t P_t, P_t a tensor product of I, X, Y, Z, as flat
arrays (one entry per non-identity site), so that sums over 10⁶ sites stay cheap. It
never forms a matrix unless asked: products such as commutators are computed on the
Pauli strings, lazily, and :meth:`PauliSum.apply` multiplies 2^n vectors with bit tricks
(a flip mask and a sign pattern per string, numpy views, no sparse matrix).

The package, one job per module: :mod:`~qbattery.operators.bits` (bit kernels and the
scipy.sparse builders), :mod:`~qbattery.operators.terms` (flat storage of Pauli strings
and their exact algebra), :mod:`~qbattery.operators.plan` (the matrix-free product),
:mod:`~qbattery.operators.pauli_sum`, :mod:`~qbattery.operators.product_state` and
:mod:`~qbattery.operators.apply` (batch products of any operator type).
"""

from __future__ import annotations

from qbattery.operators.apply import Apply as Apply  # the batch-product type, for type hints
from qbattery.operators.apply import applier, is_lazy
from qbattery.operators.bits import (
    MAX_MATVEC_QUBITS,
    pauli_string_sparse,
    sum_z,
    x_string_sum,
)
from qbattery.operators.pauli_sum import PauliSum, cell_operator
from qbattery.operators.product_state import ProductState

__all__ = [
    "MAX_MATVEC_QUBITS",
    "PauliSum",
    "ProductState",
    "applier",
    "cell_operator",
    "is_lazy",
    "pauli_string_sparse",
    "sum_z",
    "x_string_sum",
]
