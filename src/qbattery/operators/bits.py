"""Bit kernels of Pauli strings and the scipy.sparse builders.

Site ``j`` (0-based) is the ``j``-th tensor factor from the left, i.e. bit ``n − 1 − j``
of the computational-basis index (the order of ``numpy.kron`` and ``qutip.tensor``);
|0⟩ is the σ_z = +1 state.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import scipy.sparse as sp

from qbattery.errors import InvalidInputError

#: largest number of qubits for a scipy.sparse matrix of a Pauli string or sum
MAX_SPARSE_QUBITS = 24
#: largest number of qubits for a matrix-free product (bit masks in int64, memory)
MAX_MATVEC_QUBITS = 40
#: Pauli letter of each code (I = 0, X = 1, Y = 2, Z = 3)
LETTERS = "IXYZ"
#: code of each Pauli letter
CODE = {"I": 0, "X": 1, "Y": 2, "Z": 3}


# ---- sparse builders kept for callers that want scipy.sparse matrices ------------------
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


def parity_sign(x: np.ndarray) -> np.ndarray:
    """(−1)**popcount(x) for an array of non-negative int64, as int64."""
    if hasattr(np, "bitwise_count"):  # numpy ≥ 2.0
        return 1 - 2 * (np.bitwise_count(x).astype(np.int64) & 1)
    x = x.copy()  # pragma: no cover - numpy < 2
    parity = np.zeros(x.shape, dtype=np.int64)  # pragma: no cover
    while np.any(x):  # pragma: no cover
        parity ^= x & 1
        x >>= 1
    return 1 - 2 * parity  # pragma: no cover


def check_matvec(n: int, what: str) -> None:
    """Raise unless a product on 2^n amplitudes fits (n ≤ :data:`MAX_MATVEC_QUBITS`)."""
    if n > MAX_MATVEC_QUBITS:
        raise InvalidInputError(
            f"{what} acts on 2^{n} amplitudes; that needs n ≤ {MAX_MATVEC_QUBITS}. "
            "Use a structured engine for larger systems"
        )


def pauli_string_sparse(n: int, ops: Mapping[int, str]) -> sp.csr_array:
    """Sparse matrix of the Pauli string ⊗_j ops[j] on ``n`` qubits (identity elsewhere).

    Examples
    --------
    >>> pauli_string_sparse(2, {0: "X"}).toarray().real.astype(int).tolist()
    [[0, 0, 1, 0], [0, 0, 0, 1], [1, 0, 0, 0], [0, 1, 0, 0]]
    """
    if n > MAX_SPARSE_QUBITS:
        raise InvalidInputError(
            f"a sparse matrix on {n} qubits has 2^{n} rows; use n ≤ {MAX_SPARSE_QUBITS} "
            "or a PauliSum with a matrix-free engine"
        )
    flip, phase, ny = _masks(n, ops)
    b = np.arange(1 << n, dtype=np.int64)
    data: np.ndarray = (1j**ny) * parity_sign(b & phase)
    if ny % 2 == 0:
        data = np.asarray(data.real)
    return sp.csr_array((data, (b ^ flip, b)), shape=(1 << n, 1 << n))


def sum_z(n: int) -> sp.csr_array:
    """Σ_j σ_z^(j) on ``n`` qubits (diagonal, scipy.sparse).

    Examples
    --------
    >>> sum_z(2).diagonal().tolist()
    [2.0, 0.0, 0.0, -2.0]
    """
    b = np.arange(1 << n, dtype=np.int64)
    ones = np.zeros(b.shape, dtype=np.int64)
    for j in range(n):
        ones += (b >> j) & 1
    return sp.csr_array(sp.diags_array((n - 2 * ones).astype(float)))


def x_string_sum(n: int, blocks: list[list[int]]) -> sp.csr_array:
    """Σ_blocks ⊗_{j∈block} σ_x^(j) on ``n`` qubits (scipy.sparse).

    Examples
    --------
    >>> x_string_sum(2, [[0, 1]]).toarray().real.astype(int).tolist()
    [[0, 0, 0, 1], [0, 0, 1, 0], [0, 1, 0, 0], [1, 0, 0, 0]]
    """
    total = sp.csr_array((1 << n, 1 << n), dtype=float)
    for block in blocks:
        total = total + pauli_string_sparse(n, dict.fromkeys(block, "X"))
    return sp.csr_array(total)
