"""Every input check and its message.

Message grammar: what is wrong, with the number, then how to fix it.
"""

from __future__ import annotations

import math
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from qbattery._memory import available_memory as available_memory  # re-exported
from qbattery._memory import check_memory as check_memory
from qbattery._memory import format_bytes as format_bytes
from qbattery._memory import format_dim as format_dim
from qbattery.errors import InvalidInputError

#: default absolute tolerance for Hermiticity, normalisation and trace checks
DEFAULT_ATOL = 1e-10


def _max_abs(a: Any) -> float:
    if sp.issparse(a):
        return float(abs(a).max()) if a.nnz else 0.0
    return float(np.max(np.abs(a))) if a.size else 0.0


def check_type(name: str, value: object, cls: type, what: str, fix: str | None = None) -> None:
    """Raise unless ``value`` is an instance of ``cls`` (``what`` names it for users).

    Examples
    --------
    >>> try:
    ...     check_type("battery", 3, dict, "qbattery.Battery", "build one with qb.models.*")
    ... except InvalidInputError as err:
    ...     print(err)
    `battery` must be a qbattery.Battery, got int; build one with qb.models.*
    """
    if not isinstance(value, cls):
        msg = f"`{name}` must be a {what}, got {type(value).__name__}"
        raise InvalidInputError(msg if fix is None else f"{msg}; {fix}")


def check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """Validate an integer parameter in [``minimum``, ``maximum``]; return it as ``int``.

    Examples
    --------
    >>> check_int("k", np.int64(3), 1, 4)
    3
    >>> try:
    ...     check_int("k", 5, 1, 4)
    ... except InvalidInputError as err:
    ...     print(err)
    `k` must be ≥ 1 and ≤ 4, got 5
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"`{name}` must be an integer, got {value!r}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        upper = f" and ≤ {maximum}" if maximum is not None else ""
        raise InvalidInputError(f"`{name}` must be ≥ {minimum}{upper}, got {v}")
    return v


def check_real(name: str, value: object, *, positive: bool = False) -> float:
    """Validate a finite real parameter (``positive``: also > 0); return it as ``float``.

    Examples
    --------
    >>> try:
    ...     check_real("omega0", float("nan"))
    ... except InvalidInputError as err:
    ...     print(err)
    `omega0` must be a finite number, got nan
    """
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"`{name}` must be a real number, got {value!r}") from exc
    if not np.isfinite(v) or (positive and v <= 0):
        kind = "a positive finite" if positive else "a finite"
        raise InvalidInputError(f"`{name}` must be {kind} number, got {value!r}")
    return v


def check_observable(observable: str) -> Literal["work", "power"]:
    """Validate a counting observable name: ``"work"`` (W_0 = H0) or ``"power"`` (P_0).

    Examples
    --------
    >>> check_observable("power")
    'power'
    """
    if observable not in ("work", "power"):
        raise InvalidInputError(
            f"`observable` must be 'work' or 'power', got {observable!r}; "
            "pass observable='work' (W_0 = H0) or observable='power' (P_0 = −i[H0, HC])"
        )
    return "work" if observable == "work" else "power"


def check_chi(chi: Any) -> np.ndarray:
    """Validate counting fields χ: a 1-D array (or scalar) of finite reals.

    Examples
    --------
    >>> check_chi(0.5).tolist()
    [0.5]
    """
    x = np.atleast_1d(np.asarray(chi, dtype=float))
    if x.ndim != 1 or not np.all(np.isfinite(x)):
        raise InvalidInputError(
            f"`chi` must be a 1-D array of finite real numbers, got shape {x.shape}"
        )
    return x


def check_cumulant_order(cumulants: Any, maximum: int) -> int:
    """Validate a cumulant order 0 … ``maximum`` (``qb.charge(..., cumulants=n)``).

    Examples
    --------
    >>> check_cumulant_order(np.int64(4), 8)
    4
    >>> try:
    ...     check_cumulant_order(2.5, 8)
    ... except InvalidInputError as err:
    ...     print(err)
    `cumulants` must be an integer, got 2.5
    """
    if isinstance(cumulants, bool) or not isinstance(cumulants, (int, np.integer)):
        raise InvalidInputError(f"`cumulants` must be an integer, got {cumulants!r}")
    if not 0 <= int(cumulants) <= maximum:
        raise InvalidInputError(
            f"`cumulants` must be between 0 and {maximum}, got {cumulants}; "
            f"higher cumulants lose all digits to cancellation"
        )
    return int(cumulants)


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
    if deviation > tolerance:
        raise InvalidInputError(
            f"`{name}` must be Hermitian, but max|{name} − {name}†| = {deviation:.3g}; "
            "make its coefficients real (or pair each term with its adjoint)"
        )


def check_temperature(temperature: Any) -> float:
    """Validate a temperature: a real number ≥ 0 (``inf`` allowed).

    Returns it as a float; anything else raises
    :class:`~qbattery.errors.InvalidInputError` saying what to pass instead.

    Examples
    --------
    >>> check_temperature(0), check_temperature("inf")
    (0.0, inf)
    >>> try:
    ...     check_temperature(-1)
    ... except InvalidInputError as err:
    ...     print(str(err).split(";")[0])
    `temperature` must be ≥ 0 (k_B = 1, energy units), got -1.0
    """
    try:
        T = float(temperature)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`temperature` must be a real number ≥ 0, got {temperature!r}"
        ) from exc
    if math.isnan(T) or T < 0:
        raise InvalidInputError(
            f"`temperature` must be ≥ 0 (k_B = 1, energy units), got {T}; a negative "
            "temperature (population inversion) is not a Gibbs state here: build that "
            "density matrix yourself and pass it with qb.with_state(battery, rho)"
        )
    return T


def check_named_state(state: object, temperature: Any) -> float | None:
    """Check ``with_state``'s ``state``/``temperature`` pair; the temperature of a named state.

    ``"thermal"`` needs a temperature, ``"ground"`` is T = 0 and takes none, and an
    explicit ket or density matrix (any non-string) takes none (returns ``None``).

    Examples
    --------
    >>> check_named_state("ground", None), check_named_state("thermal", 2)
    (0.0, 2.0)
    >>> print(check_named_state([1.0, 0.0], None))
    None
    """
    if not isinstance(state, str):
        if temperature is not None:
            raise InvalidInputError(
                f"`temperature` ({temperature}) is only used with state='thermal'; "
                "drop it or pass state='thermal'"
            )
        return None
    if state not in ("thermal", "ground"):
        raise InvalidInputError(
            f"`state` must be a ket, a density matrix, 'thermal' or 'ground', got {state!r}"
        )
    if state == "thermal" and temperature is None:
        raise InvalidInputError(
            "state='thermal' needs a temperature, e.g. with_state(bat, 'thermal', temperature=0.5)"
        )
    if state == "ground" and temperature is not None:
        raise InvalidInputError(
            f"state='ground' takes no temperature (got {temperature}); it is T = 0"
        )
    return 0.0 if state == "ground" else check_temperature(temperature)


def check_eigenbasis_key(key: object, known: tuple[str, ...]) -> None:
    """Raise for a key of ``Battery(eigenbases=...)`` other than ``known`` (work, power)."""
    if key not in known:
        raise InvalidInputError(
            f"unknown key {key!r} in `eigenbases`; use 'work' (W0 = H0) or 'power' (P0)"
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
