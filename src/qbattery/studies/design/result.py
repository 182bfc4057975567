"""A design's answer: :class:`Design`, its table, Pareto fronts and feasible region.

The table of a design holds :data:`TABLE_VARIABLES` on (parameter, time);
:func:`feasible_mask` marks the points that meet the targets, :func:`pareto_front` the
non-dominated ones, and :func:`infeasible_message` says why no protocol meets them.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from qbattery._dataset import (
    AVERAGE_POWER,
    NSR_PRODUCT,
    ORDER_K,
    ORDER_S,
    POWER_MEAN,
    POWER_NSR,
    TIME,
    WORK_MEAN,
    WORK_NSR,
)
from qbattery.errors import QBatteryError

#: how targets are named in messages
LABELS = {"max_power_nsr": "power NSR", "max_work_nsr": "work NSR", "max_time": "t"}
#: which target limits which NSR
TARGET_OF = {POWER_NSR: "max_power_nsr", WORK_NSR: "max_work_nsr"}
#: the parameter a family's designer chooses
FAMILY_PARAMETER = {"kbody": ORDER_K, "ising": ORDER_S}
#: figures of merit kept in a design's table (dimensions: parameter, time)
TABLE_VARIABLES = (POWER_MEAN, POWER_NSR, WORK_MEAN, WORK_NSR, NSR_PRODUCT, AVERAGE_POWER)
#: what a design can maximise: the mean power ⟨𝒫_t⟩ (Eq. 2) or the average power ⟨𝒲_t⟩/t
OBJECTIVES = {POWER_MEAN: "mean power <P_t>", AVERAGE_POWER: "average power <W_t>/t"}
#: times per row of the closed-form table used for plots and infeasibility reports
TABLE_TIMES = 801
#: most parameter values drawn in a closed-form table (large N: a log-spaced subset)
TABLE_MAX_ROWS = 120


class InfeasibleTargetError(QBatteryError):
    """No protocol meets the reliability targets; ``.design`` holds the best values.

    Examples
    --------
    For k-body charging 𝒩^W_t 𝒩^P_t ≥ 1/N² at every k and t (Eq. 9), so with N = 4
    no protocol has both NSRs ≤ 0.1:

    >>> import qbattery as qb
    >>> try:
    ...     qb.design(4, max_power_nsr=0.1, max_work_nsr=0.1)
    ... except qb.InfeasibleTargetError as err:
    ...     best, message = err.design, str(err)
    >>> best.feasible, best.value, "Eq. 9" in message
    (False, None, True)
    >>> sorted(best.best)
    ['closest', 'lowest_power_nsr', 'lowest_work_nsr']
    """

    def __init__(self, message: str, design: Design) -> None:
        super().__init__(message)
        self.design = design


@dataclass(frozen=True)
class Design:
    """A designed charging protocol and the table it was chosen from.

    Attributes
    ----------
    family, parameter : str
        Model family and the parameter chosen (``"k"`` or ``"s"``).
    N : int
        Number of cells.
    value : int or None
        The chosen k (or s); None when no protocol meets the targets.
    time : float
        The chosen charging time t (NaN when infeasible).
    power_mean, power_nsr, work_mean, work_nsr, average_power : float
        Figures of merit at the chosen point (Eq. 2, 4; ⟨𝒲_t⟩/t), NaN when infeasible.
    feasible : bool
        Whether some protocol meets every target.
    targets : dict
        ``max_power_nsr``, ``max_work_nsr``, ``max_time`` (None when not set).
    method : str
        ``"closed form"`` (exact) or ``"sweep"`` (best point of a grid).
    table : xarray.Dataset
        :data:`TABLE_VARIABLES` on (parameter, time): the heat maps and Pareto fronts.
    objective : str
        The variable maximised: ``"power_mean"`` (⟨𝒫_t⟩) or ``"average_power"``
        (⟨𝒲_t⟩/t).
    best : dict
        Best achievable values, mostly useful when infeasible: ``lowest_power_nsr``
        (among protocols meeting the work target), ``lowest_work_nsr`` (among those
        meeting the power target), ``closest`` (the protocol minimising the largest
        ratio NSR / target) — each a dict of parameter, time, NSRs and power. Exact
        for kbody; over the table's grid for sweep designs.

    Examples
    --------
    The chosen protocol has the k-body closed forms ⟨𝒫_t⟩ = NΩ_kω0 sin(2Ω_k t) (E6)
    and 𝒩^P_t = (k/N) tan²(Ω_k t) (Eq. 8), Ω_k = (k/N)Ω0, k a divisor of N.

    >>> import numpy as np, qbattery as qb
    >>> d = qb.design(12, max_power_nsr=0.1, max_work_nsr=0.5)
    >>> d.parameter, d.value, d.method, d.feasible
    ('k', 2, 'closed form', True)
    >>> omega_k = d.value / d.N
    >>> bool(np.isclose(d.power_mean, d.N * omega_k * np.sin(2 * omega_k * d.time)))
    True
    >>> bool(np.isclose(d.power_nsr, d.value / d.N * np.tan(omega_k * d.time) ** 2))
    True
    >>> d.table.power_nsr.dims, d.table.sizes["k"]  # every k = 1 … N considered
    (('k', 'time'), 12)
    """

    family: str
    parameter: str
    N: int
    value: int | None
    time: float
    power_mean: float
    power_nsr: float
    work_mean: float
    work_nsr: float
    feasible: bool
    targets: dict[str, float | None]
    method: str
    table: xr.Dataset = field(repr=False)
    params: dict[str, Any] = field(default_factory=dict)
    best: dict[str, dict[str, float] | None] = field(default_factory=dict, repr=False)
    average_power: float = math.nan
    objective: str = POWER_MEAN

    def summary(self) -> str:
        """The answer and its figures of merit, as a few lines of text."""
        p = self.parameter
        goals = ", ".join(
            f"{LABELS[name]} ≤ {value:g}"
            for name, value in self.targets.items()
            if value is not None
        )
        head = f"{self.family} battery, N = {self.N}" + (f", {goals}" if goals else "")
        if not self.feasible:
            return head + "\n" + infeasible_message(self)
        return "\n".join(
            [
                head,
                f"highest {OBJECTIVES[self.objective]} ({self.method}): "
                f"{p} = {self.value}, t = {self.time:.6g}",
                f"  mean power  <P_t> = {self.power_mean:.6g}",
                f"  avg power <W_t>/t = {self.average_power:.6g}",
                f"  power NSR   N^P_t = {self.power_nsr:.6g}",
                f"  mean work   <W_t> = {self.work_mean:.6g}",
                f"  work NSR    N^W_t = {self.work_nsr:.6g}",
                f"  NSR product       = {self.power_nsr * self.work_nsr:.6g}",
            ]
        )

    def pareto(self, nsr: str = POWER_NSR, *, constrained: bool = False) -> xr.Dataset:
        """The Pareto front of the table: maximal objective (power) for minimal ``nsr``.

        With ``constrained=True`` only points meeting the *other* targets (the other
        NSR's limit and ``max_time``) compete; the chosen protocol lies on that front.
        Returns a Dataset on dimension ``point`` (power descending) with the parameter,
        ``time``, ``power_mean`` and ``nsr``; only positive-power points are considered.
        """
        where = None
        if constrained:
            others = {k: (None if k == TARGET_OF[nsr] else v) for k, v in self.targets.items()}
            where = feasible_mask(self.table, others, self.objective)
        return pareto_front(
            self.table, nsr, parameter=self.parameter, where=where, objective=self.objective
        )

    def feasible_points(self) -> xr.DataArray:
        """The table's points that meet every target (:func:`feasible_mask`)."""
        return feasible_mask(self.table, self.targets, self.objective)


def pareto_front(
    table: xr.Dataset,
    nsr: str,
    *,
    parameter: str,
    where: xr.DataArray | None = None,
    objective: str = POWER_MEAN,
) -> xr.Dataset:
    """Non-dominated points of (maximise ``objective``, minimise ``nsr``).

    A point is on the front if no other point has at least its power and a lower NSR.
    ``where`` (boolean, same dimensions) restricts the competing points; ``objective``
    is ``"power_mean"`` (default) or ``"average_power"``.

    Examples
    --------
    >>> t = xr.Dataset(
    ...     {"power_mean": (("k", "time"), [[1.0, 2.0], [3.0, 0.5]]),
    ...      "power_nsr": (("k", "time"), [[0.1, 0.5], [0.4, 0.01]])},
    ...     coords={"k": [1, 2], "time": [0.1, 0.2]})
    >>> pareto_front(t, "power_nsr", parameter="k").power_mean.values.tolist()
    [3.0, 1.0, 0.5]
    """
    flat = table[[objective, nsr]].stack(point=(parameter, TIME))
    power = np.asarray(flat[objective].values)
    noise = np.asarray(flat[nsr].values)
    ok = np.isfinite(power) & np.isfinite(noise) & (power > 0)
    if where is not None:
        ok &= np.asarray(where.transpose(parameter, TIME).values).ravel()
    idx = np.flatnonzero(ok)
    order = idx[np.lexsort((noise[idx], -power[idx]))]  # power descending, then NSR
    keep = []
    lowest = math.inf
    for i in order:
        if noise[i] < lowest:
            keep.append(i)
            lowest = noise[i]
    front = flat.isel(point=np.asarray(keep, dtype=int))
    return front.reset_index("point").assign_attrs(nsr=nsr)


def feasible_mask(
    table: xr.Dataset, targets: Mapping[str, float | None], objective: str = POWER_MEAN
) -> xr.DataArray:
    """Points of a design table with a positive objective that meet every target.

    ``targets`` has the keys ``max_power_nsr``, ``max_work_nsr`` and ``max_time``
    (None: no limit), as in the ``targets`` of a :class:`Design`; ``objective`` is the
    power that must be positive (``"power_mean"`` or ``"average_power"``).

    Examples
    --------
    >>> t = xr.Dataset(
    ...     {"power_mean": (("k", "time"), [[1.0, 2.0], [3.0, 0.0]]),
    ...      "power_nsr": (("k", "time"), [[0.1, 0.5], [0.4, 0.1]]),
    ...      "work_nsr": (("k", "time"), [[9.0, 2.0], [1.0, 0.5]])},
    ...     coords={"k": [1, 2], "time": [0.5, 1.0]})
    >>> goals = {"max_power_nsr": 0.45, "max_work_nsr": None, "max_time": None}
    >>> feasible_mask(t, goals).values.tolist()  # (2, 1.0) has zero power
    [[True, False], [True, False]]
    >>> feasible_mask(t, {**goals, "max_work_nsr": 5.0}).values.tolist()
    [[False, False], [True, False]]
    """
    ok = (table[objective] > 0) & np.isfinite(table[POWER_NSR]) & np.isfinite(table[WORK_NSR])
    if targets["max_power_nsr"] is not None:
        ok &= table[POWER_NSR] <= targets["max_power_nsr"]
    if targets["max_work_nsr"] is not None:
        ok &= table[WORK_NSR] <= targets["max_work_nsr"]
    if targets["max_time"] is not None:
        ok &= table[TIME] <= targets["max_time"]
    return ok


def _point(
    table: xr.Dataset, parameter: str, where: np.ndarray, score: np.ndarray
) -> dict[str, float] | None:
    """The table point minimising ``score`` among ``where`` (None if there is none)."""
    s = np.where(where, score, np.inf)
    if not np.isfinite(s).any():
        return None
    i, j = np.unravel_index(int(np.argmin(s)), s.shape)
    out = {parameter: float(table[parameter].values[i]), TIME: float(table[TIME].values[j])}
    for name in (POWER_MEAN, AVERAGE_POWER, POWER_NSR, WORK_NSR):
        out[name] = float(table[name].values[i, j])
    return out


def with_best(result: Design, exact: dict[str, dict[str, float] | None] | None = None) -> Design:
    """Attach the best achievable values to a design: ``exact`` ones, else over the table."""
    if exact is not None:
        return dataclasses.replace(result, best=exact)
    table, tg = result.table, result.targets
    positive = np.asarray(
        (table[result.objective] > 0)
        & np.isfinite(table[POWER_NSR])
        & np.isfinite(table[WORK_NSR])
        & (table[TIME] <= (tg["max_time"] or math.inf))
    )
    pn = np.asarray(table[POWER_NSR].values)
    wn = np.asarray(table[WORK_NSR].values)
    a, b = tg["max_power_nsr"], tg["max_work_nsr"]
    meets_w = positive & (wn <= b if b is not None else True)
    meets_p = positive & (pn <= a if a is not None else True)
    scaled = [nsr / goal for nsr, goal in ((pn, a), (wn, b)) if goal is not None]
    closest = np.max(scaled, axis=0) if scaled else -np.asarray(table[result.objective].values)
    best = {
        "lowest_power_nsr": _point(table, result.parameter, meets_w, pn),
        "lowest_work_nsr": _point(table, result.parameter, meets_p, wn),
        "closest": _point(table, result.parameter, positive, closest),
    }
    return dataclasses.replace(result, best=best)


def infeasible_message(result: Design) -> str:
    """Why no protocol meets the targets, with the best achievable values.

    For k-body charging it names Eq. (9) when the targets ask for 𝒩^W𝒩^P < 1/N².

    Examples
    --------
    >>> import qbattery as qb
    >>> try:
    ...     qb.design(4, max_power_nsr=0.1, max_work_nsr=0.1)
    ... except qb.InfeasibleTargetError as err:
    ...     d = err.design
    >>> print("\\n".join(infeasible_message(d).splitlines()[:2]))
    no protocol (k, t) of kbody with N = 4 meets power NSR ≤ 0.1 and work NSR ≤ 0.1.
      (Eq. 9: N^W N^P ≥ 1/N² = 0.0625 for every k and t; the targets allow 0.01)
    """
    p, tg = result.parameter, result.targets
    goals = " and ".join(
        f"{LABELS[name]} ≤ {value:g}" for name, value in tg.items() if value is not None
    )
    lines = [f"no protocol ({p}, t) of {result.family} with N = {result.N} meets {goals}."]
    a, b = tg["max_power_nsr"], tg["max_work_nsr"]
    if result.family == "kbody" and a is not None and b is not None and a * b < result.N**-2:
        lines.append(
            f"  (Eq. 9: N^W N^P ≥ 1/N² = {1 / result.N**2:.4g} for every k and t; the "
            f"targets allow {a * b:.4g})"
        )
    names = {
        "lowest_power_nsr": "lowest power NSR meeting the work target",
        "lowest_work_nsr": "lowest work NSR meeting the power target",
        "closest": "closest protocol (smallest NSR/target)",
    }
    for key, label in names.items():
        point = result.best.get(key)
        if point is None:
            continue
        lines.append(
            f"  {label}: {p} = {point[p]:g}, t = {point['time']:.4g}: power NSR "
            f"{point['power_nsr']:.4g}, work NSR {point['work_nsr']:.4g}, power "
            f"{point['power_mean']:.4g}"
        )
    lines.append("Relax a target, allow a longer charging time, or consider more cells.")
    return "\n".join(lines)
