"""Fundamental limits: the Fisher-information NSR bound (Eq. 5, B8) and the
work–power trade-off (Eq. 6, C1). Engine-agnostic: inputs are raw moments and a
Fisher-information function.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from qbattery.engines.base import ObservableMoments
from qbattery.statistics import covariance_t0, observable_variance_at_t

#: Chebyshev–Lobatto points per panel
_NODES = 17


def _cheb_setup(n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Lobatto nodes on [-1, 1], Clenshaw–Curtis weights, values → Chebyshev coefficients."""
    k = np.arange(n)
    x = -np.cos(np.pi * k / (n - 1))
    T = np.polynomial.chebyshev.chebvander(x, n - 1)
    moments = np.array([0.0 if j % 2 else 2.0 / (1 - j * j) for j in range(n)])
    weights = np.linalg.solve(T.T, moments)
    return x, weights, np.linalg.inv(T)


_X, _W, _TO_COEF = _cheb_setup(_NODES)


def speed_angle(
    fisher: Callable[[np.ndarray], np.ndarray],
    times: np.ndarray,
    *,
    rtol: float = 1e-10,
    max_panels: int = 4000,
) -> np.ndarray:
    r"""θ_t = ∫_0^t √(I_t') / 2 dt' (Eq. 5) at ``times``, adaptively.

    Panels of [0, max(times)] are chosen independently of ``times``: each carries a
    17-point Chebyshev interpolant of √I/2 and is split in two until the interpolant's
    last two coefficients are below ``rtol`` relative to the running integral (a
    Chebfun-style test). θ at any time is the integral of the interpolants, so it is
    accurate to far better than the 1e-6 relative accuracy promised in SPEC §1.

    Parameters
    ----------
    fisher : callable
        Vectorised I(t) for an array of times (any order).
    times : ndarray, shape (nt,)
        Non-negative, increasing times.

    Examples
    --------
    >>> import numpy as np
    >>> theta = speed_angle(lambda t: 4.0 * np.ones_like(t), np.array([0.0, 0.5, 2.0]))
    >>> np.allclose(theta, [0.0, 0.5, 2.0])
    True
    """
    times = np.asarray(times, dtype=float)
    T = float(times.max()) if times.size else 0.0
    if T == 0.0:
        return np.zeros(times.shape)
    pending = [(T * i / 4, T * (i + 1) / 4) for i in range(4)]
    done: list[tuple[float, float, np.ndarray]] = []
    scale = 0.0  # running estimate of ∫|√I/2| over [0, T]
    while pending:
        a = np.array([p[0] for p in pending])
        b = np.array([p[1] for p in pending])
        nodes = (a[:, None] + b[:, None]) / 2 + (b - a)[:, None] / 2 * _X[None, :]
        vals = np.sqrt(np.maximum(fisher(nodes.ravel()), 0.0)).reshape(nodes.shape) / 2
        coef = vals @ _TO_COEF.T
        width = b - a
        tail = width * (np.abs(coef[:, -1]) + np.abs(coef[:, -2]))
        integ = width / 2 * (vals @ _W)
        scale = max(scale, float(np.sum(np.abs(integ)) * T / np.sum(width)))
        split: list[tuple[float, float]] = []
        for i, (lo, hi) in enumerate(pending):
            converged = tail[i] <= rtol * max(scale, 1e-300) or (hi - lo) < 1e-12 * T
            if converged or len(done) + len(pending) + len(split) > max_panels:
                done.append((lo, hi, coef[i]))
            else:
                mid = (lo + hi) / 2
                split += [(lo, mid), (mid, hi)]
        pending = split
    done.sort(key=lambda p: p[0])
    highs = np.array([p[1] for p in done])
    antider = [np.polynomial.chebyshev.chebint(c, lbnd=-1) for _, _, c in done]
    totals = np.array(
        [
            (hi - lo) / 2 * np.polynomial.chebyshev.chebval(1.0, ad)
            for (lo, hi, _), ad in zip(done, antider, strict=True)
        ]
    )
    cumulative = np.concatenate(([0.0], np.cumsum(totals)))
    idx = np.clip(np.searchsorted(highs, times, side="left"), 0, len(done) - 1)
    out = np.empty(times.shape)
    for j, (t, i) in enumerate(zip(times, idx, strict=True)):
        lo, hi, _ = done[i]
        x = np.clip(2 * (t - lo) / (hi - lo) - 1, -1.0, 1.0)
        out[j] = cumulative[i] + (hi - lo) / 2 * np.polynomial.chebyshev.chebval(x, antider[i])
    return out


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
    mm = power_mean * work_mean
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.abs(cross - mm) ** 2 / mm**2, dtype=float)


def tradeoff_sum_bound(tradeoff: np.ndarray) -> np.ndarray:
    r"""Sum form (Sec. III.B): 𝒩^W + 𝒩^P ≥ 2√(𝒩^W 𝒩^P) ≥ 2√(Eq. 6 bound).

    Examples
    --------
    >>> import numpy as np
    >>> tradeoff_sum_bound(np.array([0.25, 1.0])).tolist()
    [1.0, 2.0]
    """
    return np.asarray(2 * np.sqrt(tradeoff), dtype=float)
