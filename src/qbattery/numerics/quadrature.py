"""Adaptive θ quadrature: θ_t = ∫_0^t √(I_t')/2 dt' (the integral of Eq. 5) at many times.

A numerical kernel shared by the engines (:meth:`qbattery.engines.base.Engine.angle`)
and the structured solvers; :mod:`qbattery.bounds` re-exports :func:`speed_angle`.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np

from qbattery._checks import check_quadrature_panels

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
#: Chebyshev coefficients → those of the antiderivative vanishing at x = −1 (linear)
_INTEGRATE = np.stack(
    [np.polynomial.chebyshev.chebint(np.eye(_NODES)[j], lbnd=-1) for j in range(_NODES)],
    axis=1,
)


def speed_angle(
    fisher: Callable[[np.ndarray], np.ndarray],
    times: np.ndarray,
    *,
    rtol: float = 1e-12,
    floor: float = 1e-13,
    max_panels: int = 200_000,
) -> np.ndarray:
    r"""θ_t = ∫_0^t √(I_t') / 2 dt' (Eq. 5) at ``times``, adaptively.

    [0, max(times)] is cut into base panels of a power-of-two width anchored at 0, and
    each panel carries a 17-point Chebyshev interpolant of √I/2 and is split in two
    until the interpolant's last two coefficients are below ``rtol`` times *that panel's*
    integral (plus 10⁻¹⁵ of the panel's width times the largest integrand seen; a
    Chebfun-style test). The test is local, and √I/2 ≥ 0, so θ at every time, the
    cumulative sum of the panels' integrals, is accurate to about ``rtol`` relative
    whatever the other requested times are: two time grids give the same θ at shared
    times (issue 12).

    Parameters
    ----------
    fisher : callable
        Vectorised I(t) for an array of times (any order).
    times : ndarray, shape (nt,)
        Non-negative, increasing times.
    rtol : float
        Relative accuracy of each panel's integral.
    floor : float
        Absolute accuracy of each panel's integral, relative to the running estimate of
        ∫_0^T √I/2 (the floor that rounding noise in I needs; θ_∞ takes a higher one).
    max_panels : int
        At most this many panels; reaching it raises (the integrand oscillates too fast
        for the window: a shorter window or fewer oscillations).

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
    h = 2.0 ** math.ceil(math.log2(T / 4))  # 2 < T/h ≤ 4 base panels anchored at 0
    n_base = math.ceil(T / h)
    a = np.arange(n_base) * h
    b = np.minimum(a + h, T)
    a, b = a[b > a], b[b > a]
    done_a: list[np.ndarray] = []
    done_b: list[np.ndarray] = []
    done_c: list[np.ndarray] = []
    peak = 0.0  # the largest integrand value seen: the absolute floor's scale
    scale = 0.0  # running estimate of ∫_0^T √I/2
    while a.size:
        nodes = (a[:, None] + b[:, None]) / 2 + (b - a)[:, None] / 2 * _X[None, :]
        vals = np.sqrt(np.maximum(fisher(nodes.ravel()), 0.0)).reshape(nodes.shape) / 2
        peak = max(peak, float(np.max(vals)))
        coef = vals @ _TO_COEF.T
        width = b - a
        tail = width * (np.abs(coef[:, -1]) + np.abs(coef[:, -2]))
        integ = width / 2 * (vals @ _W)
        # local: rtol of the panel's own integral; global floor: 1e-13 (default) of the running
        # ∫_0^T (an integrand with rounding noise, e.g. a Fisher information I_t with
        # p(1 − p) → 0 in its denominator, cannot be refined to rtol locally)
        scale = max(scale, float(np.sum(np.abs(integ)) * T / np.sum(width)))
        tol = np.maximum(rtol * np.abs(integ) + 1e-15 * width * peak, floor * scale)
        ok = (tail <= tol) | (width < 1e-13 * T)
        done_a.append(a[ok])
        done_b.append(b[ok])
        done_c.append(coef[ok])
        mid = (a[~ok] + b[~ok]) / 2
        a, b = np.concatenate([a[~ok], mid]), np.concatenate([mid, b[~ok]])
        check_quadrature_panels(sum(x.size for x in done_a) + a.size, max_panels, T)
    lo_all, hi_all = np.concatenate(done_a), np.concatenate(done_b)
    order = np.argsort(lo_all, kind="stable")
    lo_all, hi_all = lo_all[order], hi_all[order]
    antider = (np.concatenate(done_c)[order]) @ _INTEGRATE.T  # (panels, nodes + 1)
    half = (hi_all - lo_all) / 2
    totals = half * np.sum(antider, axis=1)  # T_j(1) = 1
    cumulative = np.concatenate(([0.0], np.cumsum(totals)))
    idx = np.clip(np.searchsorted(hi_all, times, side="left"), 0, lo_all.size - 1)
    x = np.clip((times - lo_all[idx]) / half[idx] - 1, -1.0, 1.0)
    partial = np.sum(np.polynomial.chebyshev.chebvander(x, _NODES) * antider[idx], axis=1)
    # at a panel's left end the antiderivative is 0 exactly (θ_0 = 0, not rounding)
    return cumulative[idx] + np.where(x <= -1.0, 0.0, half[idx] * partial)


__all__ = ["speed_angle"]
