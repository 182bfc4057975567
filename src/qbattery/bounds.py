"""Fundamental limits: the Fisher-information NSR bound (Eq. 5, B8) and the
work–power trade-off (Eq. 6, C1). Engine-agnostic: inputs are raw moments and a
Fisher-information function. The angle θ_t of Eq. (5) is integrated by
:func:`qbattery.numerics.quadrature.speed_angle` (re-exported here).
"""

from __future__ import annotations

import numpy as np

from qbattery.moments import ObservableMoments
from qbattery.numerics.quadrature import speed_angle
from qbattery.statistics import covariance_t0, observable_variance_at_t

__all__ = [
    "correlation_term",
    "nsr_bound",
    "speed_angle",
    "tradeoff_bound",
    "tradeoff_bound_from_covariance",
    "tradeoff_sum_bound",
]


def correlation_term(m: ObservableMoments) -> np.ndarray:
    r"""f(O_0, O_t) = 2[cov(O_t, O_0) + ΔO_t ΔO_0] / ⟨𝒪_t⟩² (Eq. B8).

    Examples
    --------
    The single qubit of App. D: f(P_0, P_t) = 4 cot(2Ω0t) csc(2Ω0t) while Ω0 t < π/4.

    >>> import numpy as np, qbattery as qb
    >>> m = qb.engines.DenseEngine(qb.models.single_qubit()).moments(np.array([0.3]))
    >>> bool(np.isclose(correlation_term(m.power)[0], 4 * np.cos(0.6) / np.sin(0.6) ** 2))
    True
    """
    num = 2 * (covariance_t0(m) + np.sqrt(observable_variance_at_t(m) * m.var0))
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(num / m.mean**2, dtype=float)


def nsr_bound(angle: np.ndarray, f: np.ndarray) -> np.ndarray:
    r"""Lower bound 𝒩_t ≥ cot²(min(θ_t, π/2)) − f (Eq. 5, B8).

    Beyond θ = π/2 the derivation does not apply; cot²(π/2) − f ≤ 0 is reported, a
    valid (trivial) bound.

    Examples
    --------
    >>> import numpy as np
    >>> nsr_bound(np.array([np.pi / 4, 2.0]), np.zeros(2)).round(12).tolist()
    [1.0, 0.0]
    """
    th = np.minimum(angle, np.pi / 2)
    with np.errstate(divide="ignore", invalid="ignore"):
        cot2 = np.cos(th) ** 2 / np.sin(th) ** 2
        return np.asarray(cot2 - f, dtype=float)


def tradeoff_bound(work_mean: np.ndarray, power_mean: np.ndarray, cross: np.ndarray) -> np.ndarray:
    r"""Schrödinger–Robertson bound on 𝒩^W 𝒩^P (Eq. 6, C1).

    .. math:: \tfrac14\left(|\langle[\tilde P,\tilde W]\rangle|^2
              + |\langle\{\tilde P,\tilde W\}\rangle - 2|^2\right)
              = \frac{|\langle\mathcal P_t\mathcal W_t\rangle
                - \langle\mathcal P_t\rangle\langle\mathcal W_t\rangle|^2}
                {\langle\mathcal P_t\rangle^2\langle\mathcal W_t\rangle^2}

    with ``cross`` = ⟨𝒫_t 𝒲_t⟩ in ρ0.

    Examples
    --------
    >>> import numpy as np
    >>> tradeoff_bound(np.array([1.0]), np.array([2.0]), np.array([2.0 + 1.0j])).tolist()
    [0.25]
    """
    return tradeoff_bound_from_covariance(work_mean, power_mean, cross - power_mean * work_mean)


def tradeoff_bound_from_covariance(
    work_mean: np.ndarray, power_mean: np.ndarray, covariance: np.ndarray
) -> np.ndarray:
    r"""Eq. (6, C1) from cov(𝒫_t, 𝒲_t) = ⟨𝒫_t 𝒲_t⟩ − ⟨𝒫_t⟩⟨𝒲_t⟩: |cov|² / (⟨𝒫_t⟩⟨𝒲_t⟩)².

    For closed forms that know the covariance without the cancellation in
    ``cross − mean·mean`` (:mod:`qbattery.analytic`).

    Examples
    --------
    >>> import numpy as np
    >>> tradeoff_bound_from_covariance(np.array([1.0]), np.array([2.0]), np.array([1.0j])).tolist()
    [0.25]
    """
    mm = power_mean * work_mean
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.abs(covariance) ** 2 / mm**2, dtype=float)


def tradeoff_sum_bound(tradeoff: np.ndarray) -> np.ndarray:
    r"""Sum form (Sec. III.B): 𝒩^W + 𝒩^P ≥ 2√(𝒩^W 𝒩^P) ≥ 2√(Eq. 6 bound).

    Examples
    --------
    >>> import numpy as np
    >>> tradeoff_sum_bound(np.array([0.25, 1.0])).tolist()
    [1.0, 2.0]
    """
    return np.asarray(2 * np.sqrt(tradeoff), dtype=float)
