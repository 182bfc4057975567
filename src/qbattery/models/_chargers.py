r"""The cavity charger's initial state for :func:`~qbattery.models.dicke` and
:func:`~qbattery.models.tavis_cummings`: a Fock state |n⟩ or a coherent state |α⟩.

A coherent state with mean photon number n̄ = |α|² (α = √n̄ real) has the Poisson
amplitudes c_n = e^{−n̄/2} n̄^{n/2}/√(n!). In a Fock space cut at n_c its norm misses the
Poisson tail Σ_{n>n_c} p_n; :func:`coherent_cutoff` chooses n_c so that the tail is below
the model's truncation tolerance, and :func:`charger_amplitudes` renormalises the kept
amplitudes.
"""

from __future__ import annotations

from math import ceil, sqrt
from typing import Literal

import numpy as np
from scipy.special import gammaln
from scipy.stats import poisson

from qbattery.errors import InvalidInputError

CHARGERS = ("fock", "coherent")


def check_charger(charger: object, n_photons: object) -> tuple[Literal["fock", "coherent"], float]:
    """Validate ``charger`` and its photon number (an integer for Fock, n̄ ≥ 0 for coherent).

    Examples
    --------
    >>> check_charger("coherent", 2.5), check_charger("fock", 3)
    (('coherent', 2.5), ('fock', 3.0))
    >>> try:
    ...     check_charger("fock", 2.5)
    ... except InvalidInputError as err:
    ...     print(str(err).split(";")[0])
    a Fock charger needs a whole number of photons, got n_photons = 2.5
    """
    if charger not in CHARGERS:
        raise InvalidInputError(f"`charger` must be one of {list(CHARGERS)}, got {charger!r}")
    if isinstance(n_photons, (bool, str)) or not isinstance(
        n_photons, (int, float, np.integer, np.floating)
    ):
        raise InvalidInputError(f"`n_photons` must be a number, got {n_photons!r}")
    value = float(n_photons)
    if not np.isfinite(value) or value < 0:
        raise InvalidInputError(f"`n_photons` must be finite and ≥ 0, got {n_photons!r}")
    if charger == "fock" and value != int(value):
        raise InvalidInputError(
            f"a Fock charger needs a whole number of photons, got n_photons = {n_photons!r}; "
            "round it, or use charger='coherent' for a mean photon number"
        )
    return charger, value  # type: ignore[return-value]


def coherent_cutoff(mean: float, tol: float) -> int:
    """Smallest n_c with Poisson tail P(n > n_c) ≤ ``tol`` for mean photon number ``mean``.

    Examples
    --------
    >>> coherent_cutoff(4.0, 1e-12), coherent_cutoff(0.0, 1e-12)
    (25, 0)
    """
    if mean == 0:
        return 0
    n = int(mean + 4 + ceil(8 * sqrt(mean)))
    while poisson.sf(n, mean) > tol:
        n = ceil(1.25 * n) + 1
    lo, hi = 0, n  # tail(hi) ≤ tol; bisect for the smallest such n
    while lo < hi:
        mid = (lo + hi) // 2
        if poisson.sf(mid, mean) <= tol:
            hi = mid
        else:
            lo = mid + 1
    return hi


def charger_amplitudes(charger: str, n_photons: float, n_max: int) -> np.ndarray:
    """Amplitudes c_0…c_{n_max} of the charger state (normalised on the kept levels).

    Examples
    --------
    >>> charger_amplitudes("fock", 2, 3).tolist()
    [0.0, 0.0, 1.0, 0.0]
    >>> c = charger_amplitudes("coherent", 1.0, 30)
    >>> bool(abs(c @ c - 1) < 1e-15), bool(abs(c @ (np.arange(31) * c) - 1.0) < 1e-12)
    (True, True)
    """
    n = np.arange(n_max + 1)
    if charger == "fock":
        out = np.zeros(n_max + 1)
        out[int(n_photons)] = 1.0
        return out
    if n_photons == 0:
        return (n == 0).astype(float)
    log_c = -n_photons / 2 + n * np.log(n_photons) / 2 - gammaln(n + 1) / 2
    out = np.exp(log_c)
    return out / np.linalg.norm(out)


def photon_tail(charger: str, n_photons: float, n_max: int) -> float:
    """Weight of the charger state above ``n_max`` (dropped by the truncation)."""
    return 0.0 if charger == "fock" else float(poisson.sf(n_max, n_photons))
