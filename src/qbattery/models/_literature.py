"""Shared pieces of the literature models (Dicke, Tavis–Cummings, Heisenberg, SYK).

Spin-1/2 chains use the package convention: site j is the j-th tensor factor from the
left and |0⟩ is the σ_z = +1 state (as in :mod:`qbattery.operators`).
"""

from __future__ import annotations

import difflib
import functools
import inspect
from collections.abc import Callable
from typing import Any, ParamSpec, TypeVar

import numpy as np
import scipy.sparse as sp

from qbattery.errors import InvalidInputError

P = ParamSpec("P")
R = TypeVar("R")

_PAULI = {
    "I": sp.identity(2, format="csr", dtype=complex),
    "X": sp.csr_array(np.array([[0, 1], [1, 0]], dtype=complex)),
    "Y": sp.csr_array(np.array([[0, -1j], [1j, 0]], dtype=complex)),
    "Z": sp.csr_array(np.array([[1, 0], [0, -1]], dtype=complex)),
}


def strict_parameters(func: Callable[P, R]) -> Callable[P, R]:
    """Reject unknown keyword arguments with the valid names and the closest match.

    Python's own TypeError names the bad keyword but not what was meant; configs and the
    CLI pass parameters by name, so misspellings get a qbattery error instead.
    """
    names = list(inspect.signature(func).parameters)

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        for key in kwargs:
            if key not in names:
                close = difflib.get_close_matches(key, names, n=1)
                hint = f"did you mean {close[0]!r}? " if close else ""
                raise InvalidInputError(
                    f"unknown parameter {key!r} of {func.__name__}(); {hint}"
                    f"valid parameters: {', '.join(names)}"
                )
        return func(*args, **kwargs)

    return wrapper


def site_operator(n: int, site: int, letter: str) -> sp.csr_array:
    """σ_letter on ``site`` of an ``n``-qubit chain (sparse, by Kronecker products)."""
    out = sp.identity(1, format="csr", dtype=complex)
    for j in range(n):
        out = sp.kron(out, _PAULI[letter] if j == site else _PAULI["I"], format="csr")
    return sp.csr_array(out)


def real_if_possible(op: sp.csr_array, *, atol: float = 0.0) -> sp.csr_array:
    """Drop an identically zero imaginary part (keeps real models real)."""
    if op.nnz and np.max(np.abs(op.data.imag)) <= atol:
        return sp.csr_array(op.real)
    return op


def product_ket(n: int, site_state: np.ndarray) -> np.ndarray:
    """⊗^n of a single-site ket (a 2^n vector)."""
    out = np.ones(1, dtype=complex)
    for _ in range(n):
        out = np.kron(out, site_state)
    return out


def check_choice(name: str, value: Any, choices: tuple[Any, ...]) -> Any:
    """Validate an option against its allowed values."""
    if value not in choices:
        raise InvalidInputError(f"`{name}` must be one of {list(choices)}, got {value!r}")
    return value


def check_qubits(N: int, maximum: int, model: str) -> None:
    """Refuse a 2^N matrix that would not fit a sparse build."""
    if maximum < N:
        raise InvalidInputError(
            f"{model}(N={N}) would build 2^{N}-dimensional matrices; use N ≤ {maximum}"
        )
