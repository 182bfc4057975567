"""Full-counting-statistics moments of work and power, Eq. (2)–(4) and (A2)–(A6).

All functions take the raw :class:`~qbattery.moments.Moments` of any engine.
NSRs follow IEEE semantics: +inf where the mean vanishes and the variance does not,
NaN where both vanish (t = 0); no warnings are emitted.
"""

from __future__ import annotations

import numpy as np

from qbattery.moments import ObservableMoments


def variance(m: ObservableMoments) -> np.ndarray:
    r"""(Δ𝒪_t)² = Tr(ρ0 𝒪_t²) − ⟨𝒪_t⟩² (Eq. 3), clipped at 0 against rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from qbattery.moments import ObservableMoments
    >>> m = ObservableMoments(np.array([1.0]), np.array([3.0]), np.zeros(1, complex), 0.0)
    >>> variance(m).tolist()
    [2.0]
    """
    if m.var is not None:  # supplied by the engine without cancellation
        return np.maximum(m.var, 0.0)
    return np.maximum(m.second - m.mean**2, 0.0)


def nsr(var: np.ndarray, mean: np.ndarray) -> np.ndarray:
    r"""Noise-to-signal ratio 𝒩_t = (Δ𝒪_t)² / ⟨𝒪_t⟩² (Eq. 4), IEEE semantics.

    Examples
    --------
    >>> import numpy as np
    >>> nsr(np.array([1.0, 1.0, 0.0]), np.array([2.0, 0.0, 0.0])).tolist()
    [0.25, inf, nan]
    """
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(var / mean**2, dtype=float)


def nsr_product(work_nsr: np.ndarray, power_nsr: np.ndarray) -> np.ndarray:
    r"""Product of the NSRs 𝒩^W_t 𝒩^P_t, bounded below by Eq. (6) (k²/N² in Eq. 9).

    Examples
    --------
    >>> import numpy as np
    >>> nsr_product(np.array([0.5, 2.0]), np.array([4.0, 0.25])).tolist()
    [2.0, 0.5]
    """
    return np.asarray(work_nsr * power_nsr)


def observable_variance_at_t(m: ObservableMoments) -> np.ndarray:
    """Var_ρ0(O_t) = Var(𝒪_t) + Var(O_0) + 2 cov(𝒪_t, O_0) (used by Eq. B8).

    Examples
    --------
    The single qubit of App. D (ω0 = Ω0 = 1): P_0 = −σ_y and Var_ρ0(P_t) = cos²(2t).

    >>> import numpy as np, qbattery as qb
    >>> m = qb.engines.DenseEngine(qb.models.single_qubit()).moments(np.array([0.3]))
    >>> bool(np.isclose(observable_variance_at_t(m.power)[0], np.cos(0.6) ** 2))
    True
    """
    return np.maximum(variance(m) + m.var0 + 2 * np.real(m.cross0), 0.0)


def covariance_t0(m: ObservableMoments) -> np.ndarray:
    """cov(O_t, O_0) = ½⟨{O_t, O_0}⟩ − ⟨O_t⟩⟨O_0⟩ (Eq. B7).

    Examples
    --------
    The single qubit of App. D (ω0 = Ω0 = 1): cov(P_t, P_0) = cos(2t), while
    cov(W_t, W_0) = 0 because |0⟩ is an eigenstate of W_0.

    >>> import numpy as np, qbattery as qb
    >>> m = qb.engines.DenseEngine(qb.models.single_qubit()).moments(np.array([0.3]))
    >>> bool(np.isclose(covariance_t0(m.power)[0], np.cos(0.6)))
    True
    >>> bool(abs(covariance_t0(m.work)[0]) < 1e-12)
    True
    """
    return m.var0 + np.real(m.cross0)


def average_power(
    work_mean: np.ndarray, times: np.ndarray, *, initial_rate: float = np.nan
) -> np.ndarray:
    r"""Average power ⟨W_t⟩/t, the field's figure of merit (Binder 2015, Campaioli 2017).

    Since ⟨W_t⟩ = t·i⟨[H, H0]⟩_ρ0 + O(t²), the value at t = 0 is the limit, the initial
    rate of energy change ``initial_rate`` = i Tr(ρ0 [H, H0]): 0 whenever ρ0 commutes
    with H0 (an eigenstate start), NaN when unknown.

    Parameters
    ----------
    work_mean : ndarray, shape (nt,)
        ⟨W_t⟩ (Eq. 2).
    times : ndarray, shape (nt,)
        Non-negative times.
    initial_rate : float
        The t = 0 limit.

    Examples
    --------
    The single qubit of App. D (ω0 = Ω0 = 1): ⟨W_t⟩ = sin²t, starting in |0⟩.

    >>> import numpy as np
    >>> t = np.array([0.0, 0.5])
    >>> average_power(np.sin(t) ** 2, t, initial_rate=0.0).tolist() == [0.0, np.sin(0.5) ** 2 / 0.5]
    True
    """
    t = np.asarray(times, dtype=float)
    w = np.asarray(work_mean, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.where(t > 0, w / np.where(t > 0, t, 1.0), initial_rate)
    return np.asarray(out, dtype=float)
