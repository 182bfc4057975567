"""Shared pieces of the built-in models."""

from __future__ import annotations

import numpy as np

from qbattery.errors import InvalidInputError


def ground_product_state(n: int) -> np.ndarray:
    """|0⟩^⊗n as a ket of length 2^n."""
    psi = np.zeros(1 << n, dtype=complex)
    psi[0] = 1.0
    return psi


def check_int(name: str, value: object, minimum: int, maximum: int | None = None) -> int:
    """Validate an integer model parameter."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise InvalidInputError(f"`{name}` must be an integer, got {value!r}")
    v = int(value)
    if v < minimum or (maximum is not None and v > maximum):
        upper = f" and ≤ {maximum}" if maximum is not None else ""
        raise InvalidInputError(f"`{name}` must be ≥ {minimum}{upper}, got {v}")
    return v


def check_real(name: str, value: object, *, positive: bool = False) -> float:
    """Validate a real model parameter."""
    try:
        v = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError) as exc:
        raise InvalidInputError(f"`{name}` must be a real number, got {value!r}") from exc
    if not np.isfinite(v) or (positive and v <= 0):
        kind = "a positive finite" if positive else "a finite"
        raise InvalidInputError(f"`{name}` must be {kind} number, got {value!r}")
    return v
