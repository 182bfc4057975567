"""Every input check and its message.

Message grammar: what is wrong, with the number, then how to fix it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
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


def check_flag(name: str, value: object) -> bool:
    """Validate an on/off option: ``True`` or ``False`` only (numpy bools too).

    Strings such as ``"no"`` are truthy in Python; accepting them would silently do the
    opposite of what was meant.

    Examples
    --------
    >>> check_flag("bounds", np.bool_(False))
    False
    >>> try:
    ...     check_flag("bounds", "no")
    ... except InvalidInputError as err:
    ...     print(err)
    `bounds` must be True or False, got 'no' (str); pass bounds=False to switch it off
    """
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    raise InvalidInputError(
        f"`{name}` must be True or False, got {value!r} ({type(value).__name__}); "
        f"pass {name}=False to switch it off"
    )


def check_tolerance(name: str, value: object) -> float:
    """Validate a tolerance: a finite real number ≥ 0; return it as ``float``.

    Examples
    --------
    >>> check_tolerance("hermitian_atol", 1e-8)
    1e-08
    >>> try:
    ...     check_tolerance("hermitian_atol", -1)
    ... except InvalidInputError as err:
    ...     print(str(err).split(";")[0])
    `hermitian_atol` must be a finite number ≥ 0, got -1
    """
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.number)):
        raise InvalidInputError(
            f"`{name}` must be a finite number ≥ 0, got {value!r}; "
            "pass a small positive tolerance such as 1e-10"
        )
    v = float(value)
    if not math.isfinite(v) or v < 0:
        raise InvalidInputError(
            f"`{name}` must be a finite number ≥ 0, got {value!r}; "
            "pass a small positive tolerance such as 1e-10"
        )
    return v


def check_power(power: object, is_open: bool) -> Literal["drive", "net"]:
    """Validate ``power=`` of ``qb.charge``: "drive" (−i[H0, HC]) or "net" (𝓛†(H0)).

    Examples
    --------
    >>> try:
    ...     check_power("net", is_open=False)
    ... except InvalidInputError as err:
    ...     print(err)
    `power='net'` needs jump operators, but this battery has 0; use power='drive'
    """
    if power not in ("drive", "net"):
        raise InvalidInputError(
            f"`power` must be 'drive' or 'net', got {power!r}; use power='drive' for "
            "P0 = −i[H0, HC] or power='net' for 𝓛†(H0)"
        )
    if power == "net" and not is_open:
        raise InvalidInputError(
            "`power='net'` needs jump operators, but this battery has 0; use power='drive'"
        )
    return power


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


def check_distribution_kind(kind: str) -> Literal["fcs", "tpm"]:
    """Validate the ``kind`` of :func:`qbattery.distribution`: ``"fcs"`` or ``"tpm"``.

    Examples
    --------
    >>> check_distribution_kind("tpm")
    'tpm'
    """
    if kind not in ("fcs", "tpm"):
        raise InvalidInputError(
            f"`kind` must be 'fcs' or 'tpm', got {kind!r}; pass kind='fcs' (full counting "
            "statistics, Eq. A2) or kind='tpm' (two projective measurements)"
        )
    return "fcs" if kind == "fcs" else "tpm"


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
    check_tolerance("hermitian_atol", tolerance)
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


def check_jump_list(jumps: object) -> list[Any]:
    """Return ``jumps`` as a list; raise unless it is a list or tuple of operators."""
    if not isinstance(jumps, (list, tuple)):
        raise InvalidInputError(
            f"`jumps` must be a list of jump operators, got {type(jumps).__name__}; "
            "pass jumps=[L1, L2, ...] with the rates included (e.g. sqrt(gamma) * sigma_minus)"
        )
    return list(jumps)


def check_counted(counted: object, njumps: int) -> dict[int, float]:
    """Return ``counted`` as ``{jump index: energy per quantum}``; raise for a bad entry."""
    if counted is None:
        return {}
    if not isinstance(counted, Mapping):
        raise InvalidInputError(
            f"`counted` must be a mapping {{jump index: energy per quantum}}, got "
            f"{type(counted).__name__}; pass e.g. counted={{0: 1.0}}"
        )
    out: dict[int, float] = {}
    for key, value in counted.items():
        if isinstance(key, bool) or not isinstance(key, (int, np.integer)):
            raise InvalidInputError(
                f"`counted` key {key!r} is not a jump index; use integers 0 … {njumps - 1}"
            )
        if not 0 <= int(key) < njumps:
            raise InvalidInputError(
                f"`counted` index {int(key)} is not a jump of this battery ({njumps} jump "
                f"operators); use an index in 0 … {njumps - 1}"
            )
        out[int(key)] = check_real(f"counted[{int(key)}]", value)
    return out


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


def check_times(times: Any) -> np.ndarray:
    """Validate and return times as a finite, non-negative, strictly increasing 1-D array.

    Examples
    --------
    >>> check_times([0, 0.5]).tolist()
    [0.0, 0.5]
    >>> try:
    ...     check_times(np.array([0, 1 + 1j]))
    ... except InvalidInputError as err:
    ...     print(str(err).split(";")[0])
    `times` must be real, but 1 of them have a nonzero imaginary part (largest 1)
    """
    try:
        raw = np.asarray(times)
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(
            f"`times` must be an array of real numbers, got {type(times).__name__}; "
            "pass e.g. np.linspace(0, 5, 201)"
        ) from exc
    if np.iscomplexobj(raw) and np.any(np.imag(raw) != 0):
        imag = np.abs(np.imag(raw))
        raise InvalidInputError(
            f"`times` must be real, but {int(np.count_nonzero(imag))} of them have a nonzero "
            f"imaginary part (largest {float(imag.max(initial=0.0)):.6g}); pass real times, "
            "e.g. np.real(times) if the imaginary parts are rounding"
        )
    if raw.dtype == bool:
        raise InvalidInputError(
            "`times` must be an array of real numbers, got booleans; "
            "pass e.g. np.linspace(0, 5, 201)"
        )
    try:
        t = np.asarray(np.real(raw) if np.iscomplexobj(raw) else raw, dtype=float)
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


#: the largest t·‖H‖ at which the exact engines keep 1e-10 relative accuracy: phases E·t
#: carry about 1e-16·t·‖H‖ of rounding (measured on kbody(6, 2) against 60-digit mpmath,
#: issue 12: dense 8e-11, krylov 3e-11, structured and analytic 9e-13 at t·‖H‖ = 1e6;
#: 1e-9, 4e-10, 2e-10 at 1e7)
PHASE_LIMIT = 1e6


def check_phase_range(engine: str, times: np.ndarray, norm: float) -> None:
    """Refuse times whose phases t·‖H‖ exceed :data:`PHASE_LIMIT` (precision would be lost).

    ``norm`` is the engine's ‖H‖ (or an upper bound of it).

    Examples
    --------
    >>> check_phase_range("dense", np.array([0.0, 10.0]), 2.0)
    >>> try:
    ...     check_phase_range("dense", np.array([0.0, 1e12]), 1.0)
    ... except InvalidInputError as err:
    ...     print(str(err).split(";")[0])
    `times` reach 1e+12, where t·‖H‖ = 1e+12 exceeds 1e+06
    """
    t_max = float(times[-1]) if np.size(times) else 0.0
    if t_max * norm > PHASE_LIMIT:
        raise InvalidInputError(
            f"`times` reach {t_max:.6g}, where t·‖H‖ = {t_max * norm:.3g} exceeds "
            f"{PHASE_LIMIT:.0e}; engine {engine!r} keeps 1e-10 relative accuracy only up to "
            f"there (‖H‖ = {norm:.6g}; the phases E·t carry 1e-16·t·‖H‖ of rounding): use "
            f"times ≤ {PHASE_LIMIT / norm:.6g}, or rescale H (a slower time unit)"
        )


def check_quadrature_panels(panels: int, limit: int, t_max: float) -> None:
    """Refuse a speed-angle quadrature that needs more than ``limit`` panels on [0, t_max].

    Stopping early would return a θ_t of unknown accuracy; this says so instead.

    Examples
    --------
    >>> try:
    ...     check_quadrature_panels(20002, 20000, 1e6)
    ... except InvalidInputError as err:
    ...     print(str(err).split(";")[0])
    the speed angle θ_t needs more than 20000 quadrature panels on [0, 1e+06]
    """
    if panels > limit:
        raise InvalidInputError(
            f"the speed angle θ_t needs more than {limit} quadrature panels on "
            f"[0, {t_max:.6g}]; √I_t oscillates too often in this window: use a shorter "
            "window (smaller times) or bounds=False"
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
