"""Checks of time grids, phase ranges and quadratures (part of :mod:`qbattery._checks`)."""

from __future__ import annotations

from typing import Any

import numpy as np

from qbattery._memory import check_memory as check_memory
from qbattery._memory import format_bytes as format_bytes
from qbattery._memory import format_dim as format_dim
from qbattery.errors import InvalidInputError


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
    t_max = float(np.max(np.abs(times))) if np.size(times) else 0.0  # any order
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
            f"t_max ≥ {float(times[-1]):.6g} (and apply its state again)"
        )
