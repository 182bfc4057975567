r"""The exact k-body design, from the closed forms (Eq. 8, E3–E7).

With x = Ω_k t, Ω_k = (k/N)Ω0 and c_k = S₂/N² (S₂ = nk² + r²,
:func:`qbattery.numerics.kbody.block_sum_squares`), 𝒩^P_t = c_k tan²x and
𝒩^W_t = c_k cot²x, so the targets confine x to an interval on the charging half-period.
The power ⟨𝒫_t⟩ = NΩ_kω0 sin 2x is largest at the interval's point nearest to x = π/4,
the average power ⟨𝒲_t⟩/t = NΩ_kω0 sin²x/x (unimodal on (0, π/2)) at its point nearest
to x* (tan x* = 2x*, :data:`qbattery.analytic.X_STAR`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from qbattery import analytic
from qbattery._checks import check_real, check_times
from qbattery._dataset import (
    AVERAGE_POWER,
    ORDER_K,
    POWER_MEAN,
    POWER_NSR,
    TIME,
    WORK_MEAN,
    WORK_NSR,
)
from qbattery.errors import InvalidInputError
from qbattery.numerics.kbody import block_sum_squares
from qbattery.studies.design.result import (
    TABLE_MAX_ROWS,
    TABLE_TIMES,
    TABLE_VARIABLES,
    Design,
    with_best,
)

#: relative margin by which an exact optimum is moved inside the feasible interval, so
#: that the reported NSRs meet the targets despite rounding
_INSIDE = 1e-12


def _kbody_constants(N: int, k: np.ndarray, Omega0: float) -> tuple[np.ndarray, np.ndarray]:
    """(c_k = S₂/N², Ω_k) for every k (with a remainder block of r = N mod k)."""
    c = np.asarray([block_sum_squares(N, int(kk)) for kk in k], dtype=float) / float(N) ** 2
    return c, k * Omega0 / N


def _objective(x: np.ndarray, objective: str) -> np.ndarray:
    """⟨𝒫_t⟩ or ⟨𝒲_t⟩/t in units of NΩ_kω0 at x = Ω_k t (E6; E3 over t)."""
    if objective == AVERAGE_POWER:
        return np.sin(x) ** 2 / x
    return np.sin(2 * x)


def _kbody_optimum(
    N: int,
    k: np.ndarray,
    targets: Mapping[str, float | None],
    Omega0: float,
    objective: str = POWER_MEAN,
) -> tuple[np.ndarray, np.ndarray]:
    """Per k: the x = Ω_k t maximising the objective under the targets (NaN if none), c_k."""
    c, omega_k = _kbody_constants(N, k, Omega0)
    a, b, tmax = targets["max_power_nsr"], targets["max_work_nsr"], targets["max_time"]
    hi = np.full(k.shape, math.pi / 2)
    lo = np.zeros(k.shape)
    if a is not None:
        hi = np.minimum(hi, np.arctan(np.sqrt(a / c)) * (1 - _INSIDE))
    if tmax is not None:
        hi = np.minimum(hi, omega_k * tmax)
    if b is not None:
        lo = np.arctan(np.sqrt(c / b)) * (1 + _INSIDE)
    peak = analytic.X_STAR if objective == AVERAGE_POWER else math.pi / 4
    x = np.clip(peak, lo, hi)
    x[(lo > hi) | (hi <= 0)] = np.nan
    return x, c


def _kbody_table(
    N: int, k: np.ndarray, omega0: float, Omega0: float, times: np.ndarray
) -> xr.Dataset:
    """The closed forms (qb.analytic.kbody) on (k, time)."""
    rows = [
        analytic.kbody(times, N, int(kk), omega0, Omega0, ergotropy=False)[list(TABLE_VARIABLES)]
        for kk in k
    ]
    return xr.concat(rows, dim=xr.DataArray(k, dims=ORDER_K, name=ORDER_K)).drop_attrs()


def _table_rows(k: np.ndarray, chosen: int | None) -> np.ndarray:
    """All k for small N, else a log-spaced subset (always with the chosen k)."""
    if k.size <= TABLE_MAX_ROWS:
        return k
    pick = np.unique(np.geomspace(1, k.size, TABLE_MAX_ROWS).round().astype(int) - 1)
    rows = set(k[pick].tolist()) | ({chosen} if chosen is not None else set())
    return np.asarray(sorted(rows))


def design_kbody(
    N: int,
    k: np.ndarray,
    targets: dict[str, float | None],
    params: dict[str, Any],
    times: Any,
    objective: str = POWER_MEAN,
) -> Design:
    """The exact kbody design over the orders ``k`` (see the module docstring)."""
    unknown = sorted(set(params) - {"omega0", "Omega0"})
    if unknown:
        raise InvalidInputError(
            f"unknown kbody parameters {unknown}; kbody takes omega0 and Omega0"
        )
    omega0 = check_real("omega0", params.get("omega0", 1.0))
    Omega0 = check_real("Omega0", params.get("Omega0", 1.0))
    if omega0 <= 0 or Omega0 <= 0:
        raise InvalidInputError(
            f"the designer needs omega0 > 0 and Omega0 > 0 (charging with positive power), "
            f"got omega0 = {omega0}, Omega0 = {Omega0}"
        )
    x, _ = _kbody_optimum(N, k, targets, Omega0, objective)
    power = N * (k * Omega0 / N) * omega0 * _objective(x, objective)
    feasible = bool(np.any(np.isfinite(power)))
    chosen: int | None = None
    t_best = math.nan
    if feasible:
        i = int(np.nanargmax(power))  # ties: the smallest k (lower power NSR)
        chosen = int(k[i])
        t_best = float(x[i] / (chosen * Omega0 / N))
    if times is None:
        span = targets["max_time"] or math.pi / 2 / (int(k.min()) * Omega0 / N)
        table_times = np.linspace(0.0, span, TABLE_TIMES)[1:]
    else:
        table_times = check_times(times)
    table = _kbody_table(N, _table_rows(k, chosen), omega0, Omega0, table_times)
    fom = dict.fromkeys((POWER_MEAN, POWER_NSR, WORK_MEAN, WORK_NSR, AVERAGE_POWER), math.nan)
    if chosen is not None:
        at = analytic.kbody([t_best], N, chosen, omega0, Omega0, ergotropy=False)
        fom = {name: float(at[name].values[0]) for name in fom}
    result = Design(
        family="kbody",
        parameter=ORDER_K,
        N=N,
        value=chosen,
        time=t_best,
        feasible=feasible,
        targets=targets,
        method="closed form",
        table=table,
        params={"omega0": omega0, "Omega0": Omega0},
        power_mean=fom[POWER_MEAN],
        power_nsr=fom[POWER_NSR],
        work_mean=fom[WORK_MEAN],
        work_nsr=fom[WORK_NSR],
        average_power=fom[AVERAGE_POWER],
        objective=objective,
    )
    return with_best(result, exact=_kbody_best(N, k, targets, omega0, Omega0))


def _kbody_best(
    N: int,
    k: np.ndarray,
    targets: Mapping[str, float | None],
    omega0: float,
    Omega0: float,
) -> dict[str, dict[str, float] | None]:
    """Exact best achievable values of kbody (closed forms, see the module docstring).

    With 𝒩^W ≤ b the lowest 𝒩^P is c_k²/b, at x = arctan √(c_k/b); with 𝒩^P ≤ a the
    lowest 𝒩^W is c_k²/a, at x = arctan √(a/c_k); the largest ratio NSR/target is
    smallest where both ratios are equal, tan⁴x = a/b. Each x is capped at Ω_k max_time.
    """
    c, omega_k = _kbody_constants(N, k, Omega0)
    a, b, tmax = targets["max_power_nsr"], targets["max_work_nsr"], targets["max_time"]
    xmax = (
        np.minimum(math.pi / 2, omega_k * tmax)
        if tmax is not None
        else np.full(c.shape, math.pi / 2)
    )

    def pick(x: np.ndarray, score: np.ndarray) -> dict[str, float] | None:
        score = np.where(np.isfinite(x), score, np.inf)
        if not np.isfinite(score).any():
            return None
        i = int(np.argmin(score))  # ties: the smallest k
        kk, t = int(k[i]), float(x[i] / omega_k[i])
        at = analytic.kbody([t], N, kk, omega0, Omega0, ergotropy=False)
        out = {ORDER_K: float(kk), TIME: t}
        names = (POWER_MEAN, AVERAGE_POWER, POWER_NSR, WORK_NSR)
        out.update({n: float(at[n].values[0]) for n in names})
        return out

    best: dict[str, dict[str, float] | None] = {
        "lowest_power_nsr": None,
        "lowest_work_nsr": None,
        "closest": None,
    }
    with np.errstate(divide="ignore"):
        if b is not None:
            x = np.arctan(np.sqrt(c / b))
            x = np.where(x <= xmax, x, np.nan)
            best["lowest_power_nsr"] = pick(x, c * np.tan(x) ** 2)
        if a is not None:
            x = np.minimum(np.arctan(np.sqrt(a / c)), xmax)
            best["lowest_work_nsr"] = pick(x, c / np.tan(x) ** 2)
        if b is not None:
            x = np.minimum(np.arctan((a / b) ** 0.25) if a is not None else xmax, xmax)
            ratio = c / np.tan(x) ** 2 / b
            if a is not None:
                ratio = np.maximum(ratio, c * np.tan(x) ** 2 / a)
            best["closest"] = pick(x, ratio)
    return best
