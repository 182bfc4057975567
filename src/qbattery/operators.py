"""Spin operators on n qubits, built with bit tricks (no Kronecker products).

Site ``j`` (0-based) is the ``j``-th tensor factor from the left, i.e. bit ``n − 1 − j``
of the computational-basis index; |0⟩ is the σ_z = +1 state.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from qbattery.errors import InvalidInputError

_MAX_SPARSE_QUBITS = 24


def _masks(n: int, ops: Mapping[int, str]) -> tuple[int, int, int]:
    """(flip mask, phase mask, number of Y) of a Pauli string {site: 'X'|'Y'|'Z'|'I'}."""
    flip = phase = ny = 0
    for site, p in ops.items():
        if not 0 <= site < n:
            raise InvalidInputError(f"site {site} is outside a chain of {n} qubits (0…{n - 1})")
        bit = 1 << (n - 1 - site)
        p = p.upper()
        if p == "X":
            flip |= bit
        elif p == "Z":
            phase |= bit
        elif p == "Y":
            flip |= bit
            phase |= bit
            ny += 1
        elif p != "I":
            raise InvalidInputError(f"unknown Pauli letter {p!r}; use one of I, X, Y, Z")
    return flip, phase, ny


def _popcount_parity(x: np.ndarray) -> np.ndarray:
    """(-1)**popcount(x) for an array of non-negative int64."""
    x = x.copy()
    parity = np.zeros(x.shape, dtype=np.int64)
    while np.any(x):
        parity ^= x & 1
        x >>= 1
    return 1 - 2 * parity


def pauli_string_sparse(n: int, ops: Mapping[int, str]) -> sp.csr_array:
    """Sparse matrix of the Pauli string ⊗_j ops[j] on ``n`` qubits (identity elsewhere).

    Examples
    --------
    >>> pauli_string_sparse(2, {0: "X"}).toarray().real.astype(int).tolist()
    [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
    """
    if n > _MAX_SPARSE_QUBITS:
        raise InvalidInputError(
            f"a sparse matrix on {n} qubits has 2^{n} rows; use n ≤ {_MAX_SPARSE_QUBITS} "
            "or a PauliSum with a matrix-free engine"
        )
    flip, phase, ny = _masks(n, ops)
    b = np.arange(1 << n, dtype=np.int64)
    data = (1j**ny) * _popcount_parity(b & phase)
    if ny % 2 == 0:
        data = data.real
    return sp.csr_array((data, (b ^ flip, b)), shape=(1 << n, 1 << n))


def sum_z(n: int) -> sp.csr_array:
    """Σ_j σ_z^(j) on ``n`` qubits (diagonal)."""
    b = np.arange(1 << n, dtype=np.int64)
    ones = np.zeros(b.shape, dtype=np.int64)
    for j in range(n):
        ones += (b >> j) & 1
    return sp.csr_array(sp.diags_array((n - 2 * ones).astype(float)))


def x_string_sum(n: int, blocks: list[list[int]]) -> sp.csr_array:
    """Σ_blocks ⊗_{j∈block} σ_x^(j) on ``n`` qubits."""
    total = sp.csr_array((1 << n, 1 << n), dtype=float)
    for block in blocks:
        total = total + pauli_string_sparse(n, dict.fromkeys(block, "X"))
    return sp.csr_array(total)
