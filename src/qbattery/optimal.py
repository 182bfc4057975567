r"""Optimal charging: the time of maximum average power and of maximum power (issue 17).

Most quantum-battery papers rank protocols by the average power ⟨W_t⟩/t, its maximum
over t and the optimal charging time τ* where it is reached (Binder et al., NJP **17**,
075015 (2015); Campaioli et al., PRL **118**, 150601 (2017); Ferraro et al., PRL
**120**, 117702 (2018)). :func:`optimal_charging` finds τ* and the time of maximum mean
power ⟨P_t⟩, each bracketed on a grid and refined by a scalar optimiser that calls the
engine at single times, then reports the reliability (NSRs, bounds, trade-off) at both.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import xarray as xr
from scipy.optimize import brentq, minimize_scalar

from qbattery._dataset import (
    AVERAGE_POWER,
    AVERAGE_POWER_TIME,
    MAX_AVERAGE_POWER,
    MAX_POWER,
    OPTIMA,
    OPTIMUM,
    POWER_MEAN,
    POWER_TIME,
    TIME,
    WORK_MEAN,
    variable_attrs,
)
from qbattery.battery import Battery
from qbattery.charge import charge
from qbattery.errors import InvalidInputError
from qbattery.statistics import average_power

#: default relative tolerance on the optimal times
RTOL = 1e-10
#: tolerances below this need the slope polish (Brent alone stops near √eps)
POLISH_BELOW = 1e-7
#: grid points of the bracketing scan
POINTS = 201
#: maxima equal to this relative tolerance are ties, and the earliest is taken
TIE = 1e-9
#: local grid maxima whose parabolic peak lies within this relative distance of the
#: highest are refined, the earliest MAX_CANDIDATES of them
CANDIDATE, MAX_CANDIDATES = 1e-3, 4
#: with ``times=None``: first window end, growth factor and most growth steps
_FIRST_WINDOW, _GROWTH, _MAX_GROWTH = 4.0, 4.0, 12


def _window(battery: Battery, times: Any) -> tuple[float, float, bool]:
    """(start, end, may_grow) of the search window."""
    if times is None:
        limit = battery.structure.get("valid_until")
        if limit is not None:
            return 0.0, float(limit), False
        return 0.0, _FIRST_WINDOW, True
    arr = np.asarray(times, dtype=float).ravel()
    if arr.size < 2 or not np.all(np.isfinite(arr)) or arr.min() < 0 or arr[-1] <= arr[0]:
        raise InvalidInputError(
            f"`times` must be a window (t_start, t_end) or a grid of increasing, finite, "
            f"non-negative times with at least 2 entries, got {times!r}"
        )
    return float(arr.min()), float(arr.max()), False


def _grid(start: float, end: float, points: int) -> np.ndarray:
    grid = np.linspace(start, end, points + (1 if start == 0 else 0))
    return grid[grid > 0]


def _refine(f: Callable[[float], float], lo: float, hi: float, guess: float, rtol: float) -> float:
    """Maximise ``f`` on [lo, hi]: bounded Brent, then a root of the central difference.

    Brent on function values alone stops near √eps relative accuracy in t (the maximum is
    flat); the polish solves f'(t) = 0 with f' by central differences, whose error
    (eps·f/h + h²f'''/6 with h = 1e-5 t) puts t to about 1e-10 relative.
    """
    res = minimize_scalar(
        lambda t: -f(t), bounds=(lo, hi), method="bounded", options={"xatol": rtol * guess}
    )
    t = float(res.x)
    if rtol >= POLISH_BELOW:
        return t
    h = 1e-5 * t

    def slope(s: float) -> float:
        return (f(s + h) - f(s - h)) / (2 * h)

    width = 1e-4 * t
    a, b = max(t - width, lo + h), min(t + width, hi - h)
    if a < b:
        fa, fb = slope(a), slope(b)
        if fa > 0 > fb:
            t = float(brentq(slope, a, b, xtol=rtol * t, rtol=4 * np.finfo(float).eps))
    return t


def _candidates(values: np.ndarray) -> list[int]:
    """Grid indices worth refining: local maxima whose parabolic peak is near the best.

    A parabola through each local maximum and its neighbours estimates the peak's height
    (the grid itself misses it by about (Δt)² f''/8); peaks within CANDIDATE (relative)
    of the highest estimate are refined, the earliest MAX_CANDIDATES of them.
    """
    padded = np.concatenate(([-np.inf], values, [-np.inf]))
    local = np.flatnonzero((values >= padded[:-2]) & (values >= padded[2:]))
    peaks = []
    for i in local:
        left, mid, right = padded[i], padded[i + 1], padded[i + 2]
        curve = left - 2 * mid + right
        if np.isfinite(left) and np.isfinite(right) and curve < 0:
            peaks.append(mid - (right - left) ** 2 / (8 * curve))
        else:
            peaks.append(mid)
    heights = np.asarray(peaks)
    top = np.nanmax(heights)
    close = local[heights >= top - CANDIDATE * abs(top)]
    return [int(i) for i in close[:MAX_CANDIDATES]]


def _optimum(
    f: Callable[[np.ndarray], np.ndarray],
    battery: Battery,
    times: Any,
    points: int,
    rtol: float,
) -> tuple[float, bool]:
    """Earliest argmax of ``f`` over the window; whether it sits at the window's end."""
    start, end, grow = _window(battery, times)
    for _ in range(_MAX_GROWTH + 1):
        grid = _grid(start, end, points)
        values = f(grid)
        if int(np.nanargmax(values)) < grid.size - 1 or not grow:
            break
        end *= _GROWTH
    found: list[tuple[float, float, int]] = []
    for i in _candidates(values):
        lo = grid[i - 1] if i > 0 else 1e-3 * grid[0]
        hi = grid[min(i + 1, grid.size - 1)]
        t = _refine(lambda s: float(f(np.array([s]))[0]), lo, hi, float(grid[i]), rtol)
        found.append((t, float(f(np.array([t]))[0]), i))
    best = max(v for _, v, _ in found)
    t, _, i = min(c for c in found if c[1] >= best - TIE * abs(best))
    return t, i == grid.size - 1


def optimal_charging(
    battery: Battery,
    times: Sequence[float] | np.ndarray | None = None,
    *,
    engine: str = "auto",
    rtol: float = RTOL,
    points: int = POINTS,
    bounds: bool = True,
) -> xr.Dataset:
    r"""Optimal charging time τ* = argmax ⟨W_t⟩/t, the time of maximum power, and reliability there.

    .. math:: \tau^* = \arg\max_t \frac{\langle W_t\rangle}{t},\qquad
              t_P = \arg\max_t \langle P_t\rangle

    Each is bracketed on a grid of ``points`` times over the window (the earliest of
    grid maxima equal to 1e-9 relative: periodic batteries repeat them) and refined by
    ``scipy.optimize.minimize_scalar`` (bounded Brent) calling the engine at single
    times, then polished by a root of the central-difference slope; the times are found
    to about ``rtol`` relative (≈ 1e-10 at best: stated in the ``time_rtol`` attribute),
    the maxima to machine precision. :func:`qbattery.charge` at the two times gives the
    NSRs, bounds and trade-off (Eq. 4–6) there.

    Parameters
    ----------
    battery : Battery
    times : (t_start, t_end), array_like or None
        Window searched (a grid's ends are used). ``None``: the model's validated window
        (``t_max`` of truncated models), else (0, 4] widened ×4 while the maximum sits at
        its end (up to 4^13).
    engine : str
        As in :func:`qbattery.charge` (``"auto"`` is resolved once, on the grid).
    rtol : float
        Relative tolerance on the optimal times.
    points : int
        Grid points of the bracketing scan (the global maximum on the grid is refined).
    bounds : bool
        Compute the NSR bounds (Eq. 5) at the optima.

    Returns
    -------
    xarray.Dataset
        Scalars ``average_power_time`` (τ*), ``max_average_power``, ``power_time``,
        ``max_power``; every :func:`qbattery.charge` variable (``work_mean``,
        ``work_nsr``, ``power_nsr``, ``work_bound``, ``tradeoff_bound``, …) along the
        dimension ``optimum`` = ["average_power", "power"], with coordinate ``time``.

    Examples
    --------
    The single qubit of App. D (ω0 = Ω0 = 1): ⟨W_t⟩/t = sin²t/t is maximal where
    tan t = 2t, and ⟨P_t⟩ = sin 2t at t = π/4.

    >>> import numpy as np, qbattery as qb
    >>> opt = optimal_charging(qb.models.single_qubit(), (0, 3))
    >>> x = float(opt.average_power_time)
    >>> bool(abs(np.tan(x) - 2 * x) < 1e-8), bool(abs(opt.power_time - np.pi / 4) < 1e-9)
    (True, True)
    >>> opt.work_nsr.dims, opt.optimum.values.tolist()
    (('optimum',), ['average_power', 'power'])
    """
    if not isinstance(battery, Battery):
        raise InvalidInputError(
            f"`battery` must be a qbattery.Battery, got {type(battery).__name__}"
        )
    if not (0 < rtol < 1):
        raise InvalidInputError(f"`rtol` must lie in (0, 1), got {rtol!r}")
    if int(points) < 3:
        raise InvalidInputError(f"`points` must be ≥ 3, got {points!r}")
    probe = charge(
        battery,
        _grid(*_window(battery, times)[:2], int(points)),
        engine,
        bounds=False,
        ergotropy=False,
    )
    name = str(probe.attrs["engine"])
    calls = [0]

    def run(t: np.ndarray) -> xr.Dataset:
        calls[0] += 1
        return charge(battery, t, name, bounds=False, ergotropy=False, progress=False)

    def avg(t: np.ndarray) -> np.ndarray:
        return average_power(run(t)[WORK_MEAN].values, t)

    def power(t: np.ndarray) -> np.ndarray:
        return np.asarray(run(t)[POWER_MEAN].values)

    t_avg, edge_avg = _optimum(avg, battery, times, int(points), rtol)
    t_pow, edge_pow = _optimum(power, battery, times, int(points), rtol)
    at = np.array([t_avg, t_pow])
    unique = np.unique(at)
    full = charge(battery, unique, name, bounds=bounds, ergotropy=False, progress=False)
    full = full.isel({TIME: [int(np.searchsorted(unique, t)) for t in at]})
    time_attrs = dict(full[TIME].attrs)
    full = full.rename({TIME: OPTIMUM}).assign_coords(
        {OPTIMUM: (OPTIMUM, list(OPTIMA)), TIME: (OPTIMUM, at, time_attrs)}
    )
    if AVERAGE_POWER not in full:
        values = average_power(full[WORK_MEAN].values, at)
        full[AVERAGE_POWER] = xr.Variable((OPTIMUM,), values, variable_attrs(AVERAGE_POWER))
    scalars = {
        AVERAGE_POWER_TIME: t_avg,
        MAX_AVERAGE_POWER: float(full[AVERAGE_POWER].values[0]),
        POWER_TIME: t_pow,
        MAX_POWER: float(full[POWER_MEAN].values[1]),
    }
    for key, value in scalars.items():
        full[key] = xr.Variable((), value, attrs=variable_attrs(key))
    edges = [n for n, e in zip(OPTIMA, (edge_avg, edge_pow), strict=True) if e]
    full.attrs.update(
        {
            "time_rtol": rtol,
            "time_method": "grid bracket, scipy minimize_scalar(bounded), brentq on the "
            "central-difference slope",
            "grid_points": int(points),
            "engine_calls": calls[0] + 2,
            "at_window_end": ", ".join(edges) if edges else "none",
        }
    )
    return full
