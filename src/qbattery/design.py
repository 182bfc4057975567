r"""The designer: the most powerful charging protocol that meets reliability targets.

The paper's design rule (Sec. IV–V): more non-local charging (larger k, or longer
strings s) gives more power but less reliable power, and more reliable work.
:func:`design` turns it into numbers: for N cells of a model family it finds the
protocol — interaction order k (or string length s) and charging time t — that
maximises the mean power ⟨𝒫_t⟩ (Eq. 2, A6) subject to

.. math:: \mathcal N^P_t \le \text{max\_power\_nsr},\qquad
          \mathcal N^W_t \le \text{max\_work\_nsr},\qquad t \le \text{max\_time}.

For ``kbody`` the answer is exact, from the closed forms (Eq. 8, E3–E7, SPEC §2 for a
remainder block). With x = Ω_k t, Ω_k = (k/N)Ω0 and c_k = S₂/N² (S₂ = nk² + r²),

.. math:: \langle\mathcal P_t\rangle = N\Omega_k\omega_0\sin 2x,\quad
          \mathcal N^P_t = c_k\tan^2 x,\quad \mathcal N^W_t = c_k\cot^2 x,

so on the charging half-period 0 < x < π/2 the targets confine x to
[arctan √(c_k/max_work_nsr), arctan √(max_power_nsr/c_k)] (and x ≤ Ω_k max_time), and
the power is largest at the point of that interval nearest to x = π/4. The best k is
found by comparing these optima over every k. Both targets can be met only if
c_k² ≤ max_power_nsr · max_work_nsr (Eq. 9: 𝒩^W𝒩^P = c_k² ≥ 1/N²).

Any other model is designed from a sweep (:func:`qbattery.sweep`) over the family's
parameter and a grid of times; the answer is then the best grid point.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from qbattery import analytic
from qbattery._checks import check_times
from qbattery.errors import InvalidInputError, QBatteryError
from qbattery.models._common import check_int, check_real

if TYPE_CHECKING:
    from distributed import Client

#: how targets are named in messages
_LABELS = {"max_power_nsr": "power NSR", "max_work_nsr": "work NSR", "max_time": "t"}
#: which target limits which NSR
_TARGET_OF = {"power_nsr": "max_power_nsr", "work_nsr": "max_work_nsr"}
#: the parameter a family's designer chooses
FAMILY_PARAMETER = {"kbody": "k", "ising": "s"}
#: figures of merit kept in a design's table (dimensions: parameter, time)
TABLE_VARIABLES = ("power_mean", "power_nsr", "work_mean", "work_nsr", "nsr_product")
#: times per row of the closed-form table used for plots and infeasibility reports
TABLE_TIMES = 801
#: most parameter values drawn in a closed-form table (large N: a log-spaced subset)
TABLE_MAX_ROWS = 120
#: relative margin by which an exact optimum is moved inside the feasible interval, so
#: that the reported NSRs meet the targets despite rounding
_INSIDE = 1e-12


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
    power_mean, power_nsr, work_mean, work_nsr : float
        Figures of merit at the chosen point (Eq. 2, 4), NaN when infeasible.
    feasible : bool
        Whether some protocol meets every target.
    targets : dict
        ``max_power_nsr``, ``max_work_nsr``, ``max_time`` (None when not set).
    method : str
        ``"closed form"`` (exact) or ``"sweep"`` (best point of a grid).
    table : xarray.Dataset
        :data:`TABLE_VARIABLES` on (parameter, time): the heat maps and Pareto fronts.
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

    def summary(self) -> str:
        """The answer and its figures of merit, as a few lines of text."""
        p = self.parameter
        goals = ", ".join(
            f"{_LABELS[name]} ≤ {value:g}"
            for name, value in self.targets.items()
            if value is not None
        )
        head = f"{self.family} battery, N = {self.N}" + (f", {goals}" if goals else "")
        if not self.feasible:
            return head + "\n" + infeasible_message(self)
        return "\n".join(
            [
                head,
                f"most powerful protocol ({self.method}): {p} = {self.value}, charging time "
                f"t = {self.time:.6g}",
                f"  mean power  <P_t> = {self.power_mean:.6g}",
                f"  power NSR   N^P_t = {self.power_nsr:.6g}",
                f"  mean work   <W_t> = {self.work_mean:.6g}",
                f"  work NSR    N^W_t = {self.work_nsr:.6g}",
                f"  NSR product       = {self.power_nsr * self.work_nsr:.6g}",
            ]
        )

    def pareto(self, nsr: str = "power_nsr", *, constrained: bool = False) -> xr.Dataset:
        """The Pareto front of the table: maximal power for minimal ``nsr``.

        With ``constrained=True`` only points meeting the *other* targets (the other
        NSR's limit and ``max_time``) compete; the chosen protocol lies on that front.
        Returns a Dataset on dimension ``point`` (power descending) with the parameter,
        ``time``, ``power_mean`` and ``nsr``; only positive-power points are considered.
        """
        where = None
        if constrained:
            others = {k: (None if k == _TARGET_OF[nsr] else v) for k, v in self.targets.items()}
            where = feasible_mask(self.table, others)
        return pareto_front(self.table, nsr, parameter=self.parameter, where=where)


def pareto_front(
    table: xr.Dataset, nsr: str, *, parameter: str, where: xr.DataArray | None = None
) -> xr.Dataset:
    """Non-dominated points of (maximise ``power_mean``, minimise ``nsr``).

    A point is on the front if no other point has at least its power and a lower NSR.
    ``where`` (boolean, same dimensions) restricts the competing points.

    Examples
    --------
    >>> t = xr.Dataset(
    ...     {"power_mean": (("k", "time"), [[1.0, 2.0], [3.0, 0.5]]),
    ...      "power_nsr": (("k", "time"), [[0.1, 0.5], [0.4, 0.01]])},
    ...     coords={"k": [1, 2], "time": [0.1, 0.2]})
    >>> pareto_front(t, "power_nsr", parameter="k").power_mean.values.tolist()
    [3.0, 1.0, 0.5]
    """
    flat = table[["power_mean", nsr]].stack(point=(parameter, "time"))
    power = np.asarray(flat["power_mean"].values)
    noise = np.asarray(flat[nsr].values)
    ok = np.isfinite(power) & np.isfinite(noise) & (power > 0)
    if where is not None:
        ok &= np.asarray(where.transpose(parameter, "time").values).ravel()
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


def _positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    v = check_real(name, value)
    if v <= 0:
        raise InvalidInputError(f"`{name}` must be positive, got {value!r}")
    return v


def _values(parameter: str, values: Sequence[int] | None, N: int) -> np.ndarray:
    if values is None:
        return np.arange(1, N + 1)
    vals = sorted({check_int(parameter, v, 1, N) for v in values})
    if not vals:
        raise InvalidInputError(f"`values` of {parameter} is empty; give at least one")
    return np.asarray(vals)


def design(
    N: int,
    family: str = "kbody",
    *,
    max_power_nsr: float | None = None,
    max_work_nsr: float | None = None,
    max_time: float | None = None,
    values: Sequence[int] | None = None,
    params: Mapping[str, Any] | None = None,
    times: Any = None,
    method: str = "auto",
    client: Client | str | None = "serial",
    store: str | None = None,
    engine: str = "auto",
) -> Design:
    """Find the charging protocol (k or s, and t) with the largest mean power.

    Parameters
    ----------
    N : int
        Number of cells.
    family : {"kbody", "ising"}
        Model family; the designer chooses k (kbody) or s (ising).
    max_power_nsr, max_work_nsr : float, optional
        Reliability targets: upper limits on 𝒩^P_t and 𝒩^W_t (Eq. 4).
    max_time : float, optional
        Longest allowed charging time.
    values : sequence of int, optional
        The k (or s) to consider; default 1…N.
    params : mapping, optional
        Other model parameters (kbody: ``omega0``, ``Omega0``; ising: ``omega0``,
        ``Omega``, ``variant``, ...).
    times : array_like, optional
        Times of the sweep (required for sweep designs); for the closed form, the times
        of the table used for plots (default: 801 times over the k = min(values)
        half-period, or up to ``max_time``).
    method : {"auto", "closed form", "sweep"}
        ``"auto"``: closed form for kbody, sweep otherwise.
    client, store, engine
        Passed to :func:`qbattery.sweep` for sweep designs (default: in this process).

    Returns
    -------
    Design
        The answer, its figures of merit and the table it was chosen from.

    Raises
    ------
    InfeasibleTargetError
        If no protocol meets the targets; its message and ``.design.best`` give the
        best achievable values.

    Examples
    --------
    >>> import qbattery as qb
    >>> d = qb.design(12, max_power_nsr=0.1, max_work_nsr=0.5)
    >>> d.value, round(d.time, 4), round(d.power_mean, 4)
    (2, 3.9543, 1.9365)
    >>> bool(d.power_nsr <= 0.1 and d.work_nsr <= 0.5)
    True
    """
    if family not in FAMILY_PARAMETER:
        raise InvalidInputError(
            f"unknown family {family!r}; choose one of {sorted(FAMILY_PARAMETER)}"
        )
    N = check_int("N", N, 1)
    parameter = FAMILY_PARAMETER[family]
    targets = {
        "max_power_nsr": _positive("max_power_nsr", max_power_nsr),
        "max_work_nsr": _positive("max_work_nsr", max_work_nsr),
        "max_time": _positive("max_time", max_time),
    }
    vals = _values(parameter, values, N)
    fixed = dict(params or {})
    if "N" in fixed or parameter in fixed:
        raise InvalidInputError(
            f"give N as the argument and {parameter} through `values`, not in `params`"
        )
    if method == "auto":
        method = "closed form" if family == "kbody" else "sweep"
    if method == "closed form":
        if family != "kbody":
            raise InvalidInputError(
                f"no closed form for family {family!r}; use method='sweep' (or 'auto')"
            )
        result = _design_kbody(N, vals, targets, fixed, times)
    elif method == "sweep":
        result = _design_sweep(family, N, vals, targets, fixed, times, client, store, engine)
    else:
        raise InvalidInputError(
            f"unknown method {method!r}; choose 'auto', 'closed form' or 'sweep'"
        )
    if not result.feasible:
        raise InfeasibleTargetError(infeasible_message(result), result)
    return result


# --------------------------------------------------------------------------- closed form


def _kbody_constants(N: int, k: np.ndarray, Omega0: float) -> tuple[np.ndarray, np.ndarray]:
    """(c_k = S₂/N², Ω_k) for every k (SPEC §2: remainder block of r = N mod k)."""
    n, r = np.divmod(N, k)
    c = (n * k.astype(float) ** 2 + r.astype(float) ** 2) / float(N) ** 2
    return c, k * Omega0 / N


def _kbody_optimum(
    N: int, k: np.ndarray, targets: Mapping[str, float | None], Omega0: float
) -> tuple[np.ndarray, np.ndarray]:
    """Per k: the x = Ω_k t maximising sin 2x under the targets (NaN if none) and c_k."""
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
    x = np.clip(math.pi / 4, lo, hi)
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
    return xr.concat(rows, dim=xr.DataArray(k, dims="k", name="k")).drop_attrs()


def _table_rows(k: np.ndarray, chosen: int | None) -> np.ndarray:
    """All k for small N, else a log-spaced subset (always with the chosen k)."""
    if k.size <= TABLE_MAX_ROWS:
        return k
    pick = np.unique(np.geomspace(1, k.size, TABLE_MAX_ROWS).round().astype(int) - 1)
    rows = set(k[pick].tolist()) | ({chosen} if chosen is not None else set())
    return np.asarray(sorted(rows))


def _design_kbody(
    N: int,
    k: np.ndarray,
    targets: dict[str, float | None],
    params: dict[str, Any],
    times: Any,
) -> Design:
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
    x, _ = _kbody_optimum(N, k, targets, Omega0)
    power = N * (k * Omega0 / N) * omega0 * np.sin(2 * x)
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
    fom = dict.fromkeys(("power_mean", "power_nsr", "work_mean", "work_nsr"), math.nan)
    if chosen is not None:
        at = analytic.kbody([t_best], N, chosen, omega0, Omega0, ergotropy=False)
        fom = {name: float(at[name].values[0]) for name in fom}
    result = Design(
        family="kbody",
        parameter="k",
        N=N,
        value=chosen,
        time=t_best,
        feasible=feasible,
        targets=targets,
        method="closed form",
        table=table,
        params={"omega0": omega0, "Omega0": Omega0},
        power_mean=fom["power_mean"],
        power_nsr=fom["power_nsr"],
        work_mean=fom["work_mean"],
        work_nsr=fom["work_nsr"],
    )
    return _with_best(result, exact=_kbody_best(N, k, targets, omega0, Omega0))


# --------------------------------------------------------------------------- sweep


def feasible_mask(table: xr.Dataset, targets: Mapping[str, float | None]) -> xr.DataArray:
    """Points of a design table with positive power that meet every target.

    ``targets`` has the keys ``max_power_nsr``, ``max_work_nsr`` and ``max_time``
    (None: no limit), as in the ``targets`` of a :class:`Design`.

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
    ok = (
        (table["power_mean"] > 0) & np.isfinite(table["power_nsr"]) & np.isfinite(table["work_nsr"])
    )
    if targets["max_power_nsr"] is not None:
        ok &= table["power_nsr"] <= targets["max_power_nsr"]
    if targets["max_work_nsr"] is not None:
        ok &= table["work_nsr"] <= targets["max_work_nsr"]
    if targets["max_time"] is not None:
        ok &= table["time"] <= targets["max_time"]
    return ok


def _design_sweep(
    family: str,
    N: int,
    vals: np.ndarray,
    targets: dict[str, float | None],
    params: dict[str, Any],
    times: Any,
    client: Client | str | None,
    store: str | None,
    engine: str,
) -> Design:
    from qbattery.sweep import DONE, sweep

    if times is None:
        raise InvalidInputError(
            f"a sweep design of {family!r} needs `times` (e.g. np.linspace(0, 3, 121)); "
            "only kbody has a closed form that chooses t exactly"
        )
    parameter = FAMILY_PARAMETER[family]
    ds = sweep(
        family,
        {parameter: [int(v) for v in vals]},
        times,
        params={"N": N, **params},
        store=store,
        client=client,
        engine=engine,
        bounds=False,
        progress=False,
    )
    failed = ds["status"] != DONE
    if bool(failed.any()):
        errors = {
            int(v): str(e)
            for v, e in zip(ds[parameter].values, ds["error"].values, strict=True)
            if e
        }
        raise QBatteryError(f"the design sweep failed at {parameter} = {errors}")
    table = ds[list(TABLE_VARIABLES)].drop_attrs()
    ok = feasible_mask(table, targets)
    power = table["power_mean"].where(ok)
    feasible = bool(ok.any())
    fom = dict.fromkeys(("power_mean", "power_nsr", "work_mean", "work_nsr"), math.nan)
    chosen: int | None = None
    t_best = math.nan
    if feasible:
        flat = int(np.nanargmax(power.values))
        i, j = np.unravel_index(flat, power.shape)
        chosen = int(table[parameter].values[i])
        t_best = float(table["time"].values[j])
        fom = {name: float(table[name].values[i, j]) for name in fom}
    result = Design(
        family=family,
        parameter=parameter,
        N=N,
        value=chosen,
        time=t_best,
        feasible=feasible,
        targets=targets,
        method="sweep",
        table=table,
        params=dict(params),
        power_mean=fom["power_mean"],
        power_nsr=fom["power_nsr"],
        work_mean=fom["work_mean"],
        work_nsr=fom["work_nsr"],
    )
    return _with_best(result)


# --------------------------------------------------------------------------- best values


def _point(
    table: xr.Dataset, parameter: str, where: np.ndarray, score: np.ndarray
) -> dict[str, float] | None:
    """The table point minimising ``score`` among ``where`` (None if there is none)."""
    s = np.where(where, score, np.inf)
    if not np.isfinite(s).any():
        return None
    i, j = np.unravel_index(int(np.argmin(s)), s.shape)
    out = {parameter: float(table[parameter].values[i]), "time": float(table["time"].values[j])}
    for name in ("power_mean", "power_nsr", "work_nsr"):
        out[name] = float(table[name].values[i, j])
    return out


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
        out = {"k": float(kk), "time": t}
        out.update({n: float(at[n].values[0]) for n in ("power_mean", "power_nsr", "work_nsr")})
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


def _with_best(result: Design, exact: dict[str, dict[str, float] | None] | None = None) -> Design:
    """Attach the best achievable values to a design: ``exact`` ones, else over the table."""
    if exact is not None:
        return dataclasses.replace(result, best=exact)
    table, tg = result.table, result.targets
    positive = np.asarray(
        (table["power_mean"] > 0)
        & np.isfinite(table["power_nsr"])
        & np.isfinite(table["work_nsr"])
        & (table["time"] <= (tg["max_time"] or math.inf))
    )
    pn = np.asarray(table["power_nsr"].values)
    wn = np.asarray(table["work_nsr"].values)
    a, b = tg["max_power_nsr"], tg["max_work_nsr"]
    meets_w = positive & (wn <= b if b is not None else True)
    meets_p = positive & (pn <= a if a is not None else True)
    scaled = [nsr / goal for nsr, goal in ((pn, a), (wn, b)) if goal is not None]
    closest = np.max(scaled, axis=0) if scaled else -np.asarray(table["power_mean"].values)
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
        f"{_LABELS[name]} ≤ {value:g}" for name, value in tg.items() if value is not None
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
