"""Checks of scalar options, names and small containers (part of :mod:`qbattery._checks`)."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp

from qbattery._memory import check_memory as check_memory
from qbattery._memory import format_bytes as format_bytes
from qbattery._memory import format_dim as format_dim
from qbattery.errors import InvalidInputError

#: default absolute tolerance for Hermiticity, normalisation and trace checks
DEFAULT_ATOL = 1e-10


def max_abs(a: Any) -> float:
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
    >>> try:
    ...     check_real("Omega0", "1.5")
    ... except InvalidInputError as err:
    ...     print(err)
    `Omega0` must be a real number, got '1.5' (text); write it without quotes, e.g. Omega0 = 1.5
    """
    if isinstance(value, (str, bytes)):
        raise InvalidInputError(
            f"`{name}` must be a real number, got {value!r} (text); write it without quotes, "
            f"e.g. {name} = 1.5"
        )
    if isinstance(value, (bool, np.bool_)):
        raise InvalidInputError(f"`{name}` must be a real number, got {value!r} (a flag)")
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
