"""Checks of operators and states given as arrays (part of :mod:`qbattery._checks`)."""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.sparse as sp

from qbattery._checks.values import DEFAULT_ATOL, check_tolerance, max_abs
from qbattery._memory import check_memory as check_memory
from qbattery._memory import format_bytes as format_bytes
from qbattery._memory import format_dim as format_dim
from qbattery.errors import InvalidInputError


def numeric_array(name: str, op: Any) -> np.ndarray:
    """``op`` as a numeric ndarray; raise if it is not an array of numbers.

    Examples
    --------
    >>> try:
    ...     numeric_array("H0", [["a", "b"]])
    ... except InvalidInputError as err:
    ...     print(err)
    `H0` must hold numbers, got dtype <U1; pass a numeric array
    """
    try:
        arr = np.asarray(op)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`{name}` must be a numpy array, scipy.sparse matrix, qutip.Qobj or PauliSum, "
            f"got {type(op).__name__}"
        ) from exc
    if arr.dtype == object or not np.issubdtype(arr.dtype, np.number):
        raise InvalidInputError(
            f"`{name}` must hold numbers, got dtype {arr.dtype}; pass a numeric array"
        )
    return arr


def state_array(state: Any) -> np.ndarray:
    """A ket ``(d,)`` (from ``(d,)`` or ``(d, 1)``) or density matrix ``(d, d)``, complex.

    Examples
    --------
    >>> state_array([[1.0], [0.0]]).shape
    (2,)
    """
    try:
        arr = np.asarray(state, dtype=complex)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`state` must be a ket or density matrix of numbers, got {type(state).__name__}"
        ) from exc
    if arr.ndim == 2 and arr.shape[1] == 1 and arr.shape[0] != 1:
        arr = arr[:, 0]
    if arr.ndim not in (1, 2) or (arr.ndim == 2 and arr.shape[0] != arr.shape[1]):
        raise InvalidInputError(
            f"`state` must be a ket of shape (d,) or (d, 1) or a density matrix (d, d), "
            f"but has shape {arr.shape}"
        )
    return arr


def check_symbolic_hermitian(name: str, deviation: float, tolerance: float) -> None:
    """Raise if a symbolic operator's max|A − A†| (``deviation``) exceeds ``tolerance``."""
    check_tolerance("hermitian_atol", tolerance)
    if deviation > tolerance:
        raise InvalidInputError(
            f"`{name}` must be Hermitian, but max|{name} − {name}†| = {deviation:.3g}; "
            "make its coefficients real (or pair each term with its adjoint)"
        )


def check_finite(name: str, a: Any) -> None:
    """Raise if ``a`` has NaN or inf entries."""
    data = a.data if sp.issparse(a) else np.asarray(a)
    if not np.all(np.isfinite(data)):
        bad = int(np.size(data) - np.count_nonzero(np.isfinite(data)))
        raise InvalidInputError(
            f"`{name}` has {bad} NaN or infinite entries; replace them with finite numbers"
        )


def check_square(name: str, a: Any) -> int:
    """Raise unless ``a`` is a square 2-D operator of dimension ≥ 2; return the dimension."""
    shape = a.shape
    if len(shape) != 2 or shape[0] != shape[1]:
        raise InvalidInputError(
            f"`{name}` must be a square matrix, but has shape {tuple(shape)}; "
            "pass a (d, d) operator"
        )
    check_dimension(name, shape[0])
    return int(shape[0])


def check_dimension(name: str, d: int) -> None:
    """Raise for a Hilbert-space dimension below 2."""
    if d < 2:
        raise InvalidInputError(
            f"`{name}` has Hilbert-space dimension {d}; a battery needs dimension ≥ 2"
        )


def check_hermitian(name: str, a: Any, *, atol: float = DEFAULT_ATOL) -> None:
    """Raise if max|A − A†| exceeds ``atol`` × max(1, max|A|)."""
    check_tolerance("hermitian_atol", atol)
    dev = max_abs(a - a.conj().T)
    scale = max(1.0, max_abs(a))
    if dev > atol * scale:
        raise InvalidInputError(
            f"`{name}` must be Hermitian, but max|{name} − {name}†| = {dev:.3g} "
            f"(tolerance {atol:.1g} × {scale:.3g}); pass ({name} + {name}.conj().T)/2 if this "
            "is rounding, or raise `hermitian_atol`"
        )


def check_same_dim(name: str, d: int, expected: int, what: str = "H0") -> None:
    """Raise if dimensions of two operators differ."""
    if d != expected:
        raise InvalidInputError(
            f"`{name}` has dimension {d} but `{what}` has dimension {expected}; "
            "all operators and the state must act on the same Hilbert space"
        )


def check_ket(psi: np.ndarray, *, atol: float = DEFAULT_ATOL) -> None:
    """Raise if a ket is not normalised."""
    check_tolerance("state_atol", atol)
    check_finite("state", psi)
    norm = float(np.linalg.norm(psi))
    if abs(norm - 1.0) > atol:
        raise InvalidInputError(
            f"`state` must be normalised, but ‖ψ‖ = {norm:.12g}; pass psi / np.linalg.norm(psi)"
        )


def is_diagonal(op: object) -> bool:
    """Whether an operator (dense, sparse or symbolic with ``is_diagonal()``) is diagonal.

    Examples
    --------
    >>> is_diagonal(np.diag([0.5, 0.5])), is_diagonal(np.full((2, 2), 0.5))
    (True, False)
    """
    if hasattr(op, "is_diagonal"):  # PauliSum: decided on the strings
        return bool(op.is_diagonal())
    if sp.issparse(op):
        coo = sp.coo_array(op)
        return not np.any(coo.data[coo.row != coo.col])
    a = np.asarray(op)
    d = a.shape[0]
    # the off-diagonal entries as a strided view of rows 1…d−1 (no d × d copy)
    return d < 2 or not np.any(a.reshape(-1)[:-1].reshape(d - 1, d + 1)[:, 1:])


def check_density(rho: np.ndarray, *, atol: float = DEFAULT_ATOL) -> np.ndarray:
    """Raise unless ``rho`` is a density matrix; return its eigenvalues."""
    check_tolerance("state_atol", atol)
    check_finite("state", rho)
    dev = float(np.max(np.abs(rho - rho.conj().T)))
    if dev > atol:
        raise InvalidInputError(
            f"density matrix `state` must be Hermitian, but max|ρ − ρ†| = {dev:.3g}; "
            "pass (rho + rho.conj().T)/2 if this is rounding"
        )
    tr = complex(np.trace(rho))
    if abs(tr - 1.0) > atol:
        raise InvalidInputError(
            f"density matrix `state` must have trace 1, but Tr ρ = {tr.real:.12g}; "
            "pass rho / np.trace(rho)"
        )
    if is_diagonal(rho):  # e.g. a Gibbs state of a diagonal H0: no O(d³) eigh
        evals = np.sort(np.real(np.diagonal(rho)))
    else:
        evals = np.linalg.eigvalsh((rho + rho.conj().T) / 2)
    if evals[0] < -atol:
        raise InvalidInputError(
            f"density matrix `state` must be positive semidefinite, but its smallest "
            f"eigenvalue is {evals[0]:.3g}; project it onto the positive cone or fix its "
            "construction"
        )
    return evals
