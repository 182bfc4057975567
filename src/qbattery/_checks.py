"""Every input check and its message.

Message grammar: what is wrong, with the number, then how to fix it.
"""

from __future__ import annotations

import os
from typing import Any

import numpy as np
import scipy.sparse as sp

from qbattery.errors import InvalidInputError, MemoryLimitError

#: default absolute tolerance for Hermiticity, normalisation and trace checks
DEFAULT_ATOL = 1e-10


def _max_abs(a: Any) -> float:
    if sp.issparse(a):
        return float(abs(a).max()) if a.nnz else 0.0
    return float(np.max(np.abs(a))) if a.size else 0.0


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
    dev = _max_abs(a - a.conj().T)
    scale = max(1.0, _max_abs(a))
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


def check_times(times: Any) -> np.ndarray:
    """Validate and return times as a finite, non-negative, strictly increasing 1-D array."""
    try:
        t = np.asarray(times, dtype=float)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`times` must be an array of real numbers, got {type(times).__name__}; "
            "pass e.g. np.linspace(0, 5, 201)"
        ) from exc
    if t.ndim == 0:
        t = t.reshape(1)
    if t.ndim != 1:
        raise InvalidInputError(
            f"`times` must be 1-D, but has shape {t.shape}; pass a flat array of times"
        )
    if t.size == 0:
        raise InvalidInputError("`times` is empty; pass at least one time, e.g. [0.0, 1.0]")
    if not np.all(np.isfinite(t)):
        raise InvalidInputError(
            f"`times` has {int(np.sum(~np.isfinite(t)))} NaN or infinite entries; pass finite times"
        )
    if t[0] < 0 or np.any(t < 0):
        raise InvalidInputError(
            f"`times` must be non-negative, but the smallest is {t.min():.6g}; "
            "times count from the start of charging at t = 0"
        )
    steps = np.diff(t)
    if np.any(steps <= 0):
        i = int(np.argmax(steps <= 0))
        raise InvalidInputError(
            f"`times` must be strictly increasing, but times[{i + 1}] = {t[i + 1]:.6g} "
            f"≤ times[{i}] = {t[i]:.6g}; pass np.unique(times)"
        )
    return t


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux; overridable for tests).

    The environment variable ``QBATTERY_MEMORY_LIMIT`` (bytes) caps the value.
    """
    limit_env = os.environ.get("QBATTERY_MEMORY_LIMIT")
    avail: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:  # pragma: no cover - non-Linux
        pass
    if avail is None:  # pragma: no cover - non-Linux
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 8 * 1024**3
    if limit_env:
        avail = min(avail, int(float(limit_env)))
    return avail


def format_bytes(n: float) -> str:
    """Human-readable byte count."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def check_memory(what: str, needed: float, *, available: int | None = None) -> None:
    """Raise :class:`MemoryLimitError` if ``needed`` bytes exceed what is available."""
    avail = available_memory() if available is None else available
    if needed > avail:
        raise MemoryLimitError(
            f"{what} needs about {format_bytes(needed)} of memory but only "
            f"{format_bytes(avail)} is available; use a smaller system, fewer times, "
            "or a matrix-free engine (engine='krylov' or 'structured')"
        )


def check_time_window(structure: Any, times: np.ndarray) -> None:
    """Refuse times beyond a model's validated window (``structure["valid_until"]``).

    Truncated models (e.g. the Dicke battery's Fock cutoff) are checked up to a time;
    later times could be silently wrong.
    """
    limit = structure.get("valid_until")
    if limit is not None and times.size and float(times[-1]) > float(limit) * (1 + 1e-12):
        raise InvalidInputError(
            f"`times` reach {float(times[-1]):.6g}, but this battery's truncation was checked "
            f"only up to t_max = {float(limit):.6g}; rebuild the model with "
            f"t_max ≥ {float(times[-1]):.6g}"
        )
