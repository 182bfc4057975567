"""Full-counting-statistics moments of work and power, Eq. (2)–(4) and (A2)–(A6).

All functions take the raw :class:`~qbattery.engines.base.Moments` of any engine.
NSRs follow IEEE semantics: +inf where the mean vanishes and the variance does not,
NaN where both vanish (t = 0); no warnings are emitted.
"""

from __future__ import annotations

import numpy as np

from qbattery.engines.base import ObservableMoments


def variance(m: ObservableMoments) -> np.ndarray:
    r"""(Δ𝒪_t)² = Tr(ρ0 𝒪_t²) − ⟨𝒪_t⟩² (Eq. 3), clipped at 0 against rounding.

    Examples
    --------
    >>> import numpy as np
    >>> from qbattery.engines.base import ObservableMoments
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
