r"""``qbattery reproduce``: the paper's Figs. 1-3, the data behind them, and a check table.

:func:`reproduce` computes, with :func:`qbattery.charge`,

* Fig. 1: ``kbody(N=12, k)`` for k = 2, 3, 4 (ω0 = Ω0 = 1), t ∈ [0, 10];
* Figs. 2-3: ``ising(N=10, s)`` for s = 2, 3, 4 (ω0 = 2, Ω = 1, the paper's reading of
  Eq. 10, SPEC §2), t ∈ [0, 12];
* the single qubit of App. D (ω0 = Ω0 = 1), t ∈ [0, 1.5] (Ω0 t < π/2), for the checks;

writes ``fig1``, ``fig2``, ``fig3`` as PNG and PDF, the data behind each figure as
NetCDF (dimension ``k`` for Fig. 1, ``s`` for Figs. 2-3) and ``checks.csv``, and
returns a :class:`Report` of two kinds of rows:

**checks** of our numbers (PASS/FAIL; any FAIL makes ``qbattery reproduce`` exit 1):

* closed forms (:mod:`qbattery.analytic`) against the numerics, for the single qubit and
  for each k of Fig. 1: maximum relative error of the 13 variables, FAIL above 1e-9
  (how the error is measured: :func:`max_relative_error`);
* the Eq. (5) bounds, the Eq. (6) trade-off and its sum form hold on every computed
  Dataset, up to τ × max(1, |bound|), τ = max(``BOUND_TOL``, ``EPS_COND`` × κ) with κ
  the condition number of the values at that time (:func:`condition_numbers`);
* the single qubit saturates the work bound for 0 < Ω0 t < π/2 and the power bound
  for 0 < Ω0 t < π/4 (App. D; see docs/readings.md for π/4);
* Eq. (9): 𝒩^W 𝒩^P = k²/N² at every time (and (D4) = 1 for the single qubit);

**claims** of the paper (Sec. IV.A for Fig. 1, IV.B for Fig. 2, App. D/E), evaluated
on the computed data and reported as ``holds`` / ``does not hold`` with the time window
and the numbers; a claim that does not hold is a finding, not a failure. Trend claims
("X increases with k") are evaluated on the early-charging window (0, t_w], t_w the
first maximum of ⟨𝒫_t⟩ of the fastest battery (largest k or s), where the paper's
"ignoring the trigonometric factors" arguments apply; the table also gives the share
of the whole plotted range on which the ordering holds.
"""

from __future__ import annotations

import csv
import time as _time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any, Literal

import numpy as np
import xarray as xr

from qbattery._dataset import VARIABLES

#: relative tolerance of "closed form vs numerics" and of saturation checks
RTOL = 1e-9
#: a bound holds if value ≥ bound − τ · max(1, |bound|) with τ = max(BOUND_TOL, EPS_COND · κ),
#: κ the condition number of value and bound at that time (rounding of exact saturation)
BOUND_TOL = 1e-9
#: ten times the double-precision unit roundoff: rounding error per unit condition number
EPS_COND = 10 * float(np.finfo(float).eps)
#: values below this fraction of a variable's scale are compared absolutely (see below)
FLOOR = 1e-3
#: the floor of the Eq. (5) bounds in :func:`max_relative_error` (see there)
BOUND_FLOOR = 1.0
#: points whose condition number exceeds this are not compared (double precision would
#: leave fewer than 10 significant digits there); their number is reported
COND_MAX = 1e6
#: relative gap below which a bound counts as saturated in the paper's claims
SATURATION_GAP = 1e-6

PASS, FAIL, HOLDS, DOES_NOT_HOLD = "PASS", "FAIL", "holds", "does not hold"


@dataclass(frozen=True)
class Settings:
    """Models, parameters and time grids of :func:`reproduce` (``PAPER`` or ``QUICK``).

    Examples
    --------
    >>> PAPER.fig1_N, PAPER.fig1_k, PAPER.fig2_N, PAPER.fig2_s  # captions of Figs. 1-3
    (12, (2, 3, 4), 10, (2, 3, 4))
    >>> Settings(ntimes=5).times(1.0).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """

    fig1_N: int = 12
    fig1_k: tuple[int, ...] = (2, 3, 4)
    fig1_omega0: float = 1.0
    fig1_Omega0: float = 1.0
    fig1_tmax: float = 10.0
    fig2_N: int = 10
    fig2_s: tuple[int, ...] = (2, 3, 4)
    fig2_omega0: float = 2.0
    fig2_Omega: float = 1.0
    fig2_tmax: float = 12.0
    qubit_omega0: float = 1.0
    qubit_Omega0: float = 1.0
    qubit_tmax: float = 1.5
    ntimes: int = 401

    def times(self, tmax: float) -> np.ndarray:
        """``ntimes`` evenly spaced times in [0, tmax] (t = 0 included)."""
        return np.linspace(0.0, tmax, self.ntimes)


#: the paper's settings (captions of Figs. 1-3)
PAPER = Settings()
#: small systems for tests and a first look: seconds instead of minutes
QUICK = Settings(fig1_N=8, fig2_N=6, ntimes=121)


@dataclass(frozen=True)
class Row:
    """One row of the table: a check (PASS/FAIL) or a claim (holds / does not hold).

    Examples
    --------
    >>> check = Row("check", "𝒩^W𝒩^P = k²/N²", "Eq. (9)", "kbody(N=4, k=2)", "t > 0",
    ...             "max rel. deviation 2e-03", FAIL)
    >>> claim = Row("claim", "𝒩^P increases with k", "Sec. IV.A", "kbody(N=4, k=1,2)",
    ...             "(0, 1]", "", DOES_NOT_HOLD)
    >>> check.failed, claim.failed  # a claim that does not hold is a finding
    (True, False)
    """

    kind: Literal["check", "claim"]
    what: str
    paper: str
    data: str
    window: str
    numbers: str
    result: str

    @property
    def failed(self) -> bool:
        """Whether this is a check that failed."""
        return self.kind == "check" and self.result != PASS


@dataclass
class Report:
    """What :func:`reproduce` computed, checked and wrote.

    Examples
    --------
    >>> row = Row("check", "x", "Eq. (9)", "d", "t > 0", "", PASS)
    >>> report = Report(QUICK, {}, rows=[row])
    >>> report.passed
    True
    >>> report.rows.append(replace(row, result=FAIL))
    >>> report.passed
    False
    """

    settings: Settings
    datasets: dict[str, xr.Dataset]
    rows: list[Row] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    wall_time_s: float = float("nan")

    @property
    def passed(self) -> bool:
        """True when every check row is PASS (claims never fail the run)."""
        return not any(row.failed for row in self.rows)


# ---- computing ---------------------------------------------------------------------------
def _concat(datasets: Sequence[xr.Dataset], dim: str, values: Sequence[int]) -> xr.Dataset:
    out = xr.concat(
        list(datasets), dim=dim, combine_attrs="drop_conflicts", coords="minimal"
    ).assign_coords({dim: list(values)})
    out[dim].attrs = {"long_name": {"k": "interaction order k", "s": "string length s"}[dim]}
    return out


def compute(
    settings: Settings = PAPER, *, engine: str = "dense", progress: bool | None = None
) -> dict[str, xr.Dataset]:
    """Compute every Dataset of the report.

    Returns
    -------
    dict
        ``"qubit"`` and ``"qubit_closed"`` (App. D), ``"fig1"`` and ``"fig1_closed"``
        (dimension ``k``), ``"fig2"`` (dimension ``s``); numerics from
        :func:`qbattery.charge` with ``engine``, closed forms from
        :mod:`qbattery.analytic`.

    Examples
    --------
    The numerics of Fig. 1 agree with the closed forms of Eq. (8), (E3)-(E7):

    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> data = compute(tiny, progress=False)
    >>> sorted(data)
    ['fig1', 'fig1_closed', 'fig2', 'qubit', 'qubit_closed']
    >>> data["fig1"].work_var.dims, data["fig2"].s.values.tolist()
    (('k', 'time'), [2, 3])
    >>> bool(np.allclose(data["fig1"].work_var, data["fig1_closed"].work_var, atol=1e-12))
    True
    """
    from qbattery import _progress, analytic, models
    from qbattery.charge import charge

    s = settings
    jobs = 1 + len(s.fig1_k) + len(s.fig2_s)
    with _progress.task("qbattery reproduce", jobs, enabled=progress) as bar:
        t_q = s.times(s.qubit_tmax)
        qubit = charge(models.single_qubit(s.qubit_omega0, s.qubit_Omega0), t_q, engine=engine)
        bar.advance()
        t1 = s.times(s.fig1_tmax)
        fig1 = []
        for k in s.fig1_k:
            bat = models.kbody(s.fig1_N, k, s.fig1_omega0, s.fig1_Omega0)
            fig1.append(charge(bat, t1, engine=engine))
            bar.advance()
        t2 = s.times(s.fig2_tmax)
        fig2 = []
        for value in s.fig2_s:
            bat = models.ising(s.fig2_N, value, s.fig2_omega0, s.fig2_Omega)
            fig2.append(charge(bat, t2, engine=engine))
            bar.advance()
    closed1 = [analytic.kbody(t1, s.fig1_N, k, s.fig1_omega0, s.fig1_Omega0) for k in s.fig1_k]
    return {
        "qubit": qubit,
        "qubit_closed": analytic.single_qubit(t_q, s.qubit_omega0, s.qubit_Omega0),
        "fig1": _concat(fig1, "k", s.fig1_k),
        "fig1_closed": _concat(closed1, "k", s.fig1_k),
        "fig2": _concat(fig2, "s", s.fig2_s),
    }


# ---- measuring -------------------------------------------------------------------------------
def _mean_cond(mean: np.ndarray) -> np.ndarray:
    """κ = max|⟨𝒪⟩| / |⟨𝒪_t⟩|: relative error of a mean near its zeros, in units of ε."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.nanmax(np.abs(mean)) / np.abs(mean))


def _var_cond(mean: np.ndarray, var: np.ndarray) -> np.ndarray:
    """c = 1 + ⟨𝒪⟩²/(Δ𝒪)²: cancellation in (Δ𝒪)² = Tr(ρ0 𝒪²) − ⟨𝒪⟩², in units of ε."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(1.0 + mean**2 / var)


def condition_numbers(ds: xr.Dataset) -> dict[str, np.ndarray]:
    """Condition number of each variable at each time, from (closed-form) values.

    First-order propagation of a relative rounding error ε in the engine's raw moments
    (Tr(ρ0𝒪), Tr(ρ0𝒪²), ...): the relative error of a variable is about ε times its
    condition number. With κ = max|⟨𝒪⟩|/|⟨𝒪_t⟩| and c = 1 + ⟨𝒪⟩²/(Δ𝒪)²:

    * means, angles, fidelity: 1 (values through zero are compared absolutely);
    * (Δ𝒪)²: c; 𝒩 = (Δ𝒪)²/⟨𝒪⟩²: c + 2κ;
    * 𝒩^W𝒩^P and the trade-off bound: c_W + c_P + 2κ_W + 2κ_P;
    * a bound cot²θ − f, f = 2(cov + ΔO_tΔO_0)/⟨𝒪⟩²:
      (cot²θ + |f|(c + 2κ) + κ²) / max(|cot²θ − f|, FLOOR).

    Examples
    --------
    For the single qubit ⟨𝒲_t⟩ = sin²t and (Δ𝒲_t)² = sin²(2t)/4 (App. D), so the
    work variance has c = 1 + tan²t = 1/cos²t: ill-conditioned near Ω0t = π/2.

    >>> import qbattery as qb
    >>> t = np.array([0.3, 1.0, 1.5])
    >>> cond = condition_numbers(qb.analytic.single_qubit(t))
    >>> bool(np.allclose(cond["work_var"], 1 / np.cos(t) ** 2))
    True
    >>> cond["work_mean"].tolist()
    [1.0, 1.0, 1.0]
    """
    out = {name: np.ones(ds.sizes["time"]) for name in VARIABLES}
    total = np.zeros(ds.sizes["time"])
    for which in ("work", "power"):
        mean = ds[f"{which}_mean"].values
        kappa = _mean_cond(mean)
        c = _var_cond(mean, ds[f"{which}_var"].values)
        out[f"{which}_var"] = c
        out[f"{which}_nsr"] = c + 2 * kappa
        total = total + c + 2 * kappa
        bound = ds[f"{which}_bound"].values
        f = ds[f"{which}_f"].values if f"{which}_f" in ds else np.zeros_like(bound)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"{which}_bound"] = (
                np.abs(bound + f) + np.abs(f) * (c + 2 * kappa) + kappa**2
            ) / np.maximum(np.abs(bound), FLOOR)
    out["nsr_product"] = out["tradeoff_bound"] = total
    return out


@dataclass(frozen=True)
class Comparison:
    """Result of :func:`max_relative_error`.

    Attributes
    ----------
    error : float
        The maximum relative error.
    worst : str
        Where it occurs (variable and time).
    compared, skipped : int
        Values compared, and values skipped as ill-conditioned.

    Examples
    --------
    >>> import qbattery as qb
    >>> closed = qb.analytic.single_qubit(np.linspace(0.0, 1.5, 7))
    >>> numeric = closed.copy()
    >>> numeric["work_mean"] = numeric.work_mean * (1 + 1e-6)
    >>> c = max_relative_error(numeric, closed)
    >>> round(c.error, 12), c.worst.split(" at ")[0]
    (1e-06, 'work_mean')
    """

    error: float
    worst: str
    compared: int
    skipped: int


def max_relative_error(
    numeric: xr.Dataset, closed: xr.Dataset, names: Sequence[str] = tuple(VARIABLES)
) -> Comparison:
    r"""Maximum relative error of ``numeric`` against ``closed`` over ``names`` and times.

    At each time t > 0 the error of a variable is
    |u_t − w_t| / max(|w_t|, FLOOR · s), with s = max_t |w_t| for dimensionful
    variables and s = 1 for dimensionless ones, so values passing through zero are
    compared absolutely. The Eq. (5) bounds use a floor of 1 (``BOUND_FLOOR``): where
    the correlation term f vanishes (|0…0⟩ an eigenstate, cos 2x ≤ 0 for k-body
    charging) the engines' f is a cancellation of O(1) covariances divided by ⟨𝒪⟩²,
    correct to ~1e-12 absolutely, and a bound below 1 matters only next to the NSR it
    bounds. Points whose condition number (:func:`condition_numbers`)
    exceeds ``COND_MAX`` are skipped and counted. Non-finite values (NSRs at t = 0 or
    at a zero of a mean) must match exactly (inf ↔ inf, NaN ↔ NaN), else the error is
    inf.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> t = np.linspace(0, 1.5, 16)
    >>> c = max_relative_error(qb.charge(qb.models.single_qubit(), t),
    ...                        qb.analytic.single_qubit(t))
    >>> c.error < 1e-9, c.compared + c.skipped  # 13 variables at the 15 times t > 0
    (True, 195)
    """
    t = closed["time"].values
    later = t > 0
    cond = condition_numbers(closed)
    worst, err, compared, skipped = "", 0.0, 0, 0
    for name in names:
        u = np.asarray(numeric[name].values, dtype=float)
        w = np.asarray(closed[name].values, dtype=float)
        finite = np.isfinite(w)
        if not np.array_equal(np.isfinite(u), finite) or not np.array_equal(
            u[~finite], w[~finite], equal_nan=True
        ):
            return Comparison(float("inf"), f"{name} (non-finite values differ)", compared, skipped)
        units = str(closed[name].attrs.get("units", "1"))
        scale = (
            float(np.max(np.abs(w[finite]))) if units not in ("1", "rad") and finite.any() else 1.0
        )
        good = later & finite & (cond[name] <= COND_MAX)
        skipped += int(np.sum(later & finite & ~(cond[name] <= COND_MAX)))
        compared += int(np.sum(good))
        if not good.any():
            continue
        floor = BOUND_FLOOR if name in ("work_bound", "power_bound") else FLOOR * scale
        e = np.abs(u[good] - w[good]) / np.maximum(np.abs(w[good]), floor)
        i = int(np.argmax(e))
        if e[i] > err or not worst:
            err, worst = float(e[i]), f"{name} at t = {t[good][i]:.4g}"
    return Comparison(err, worst, compared, skipped)


def _fmt(x: float) -> str:
    return f"{x:.3g}" if (np.isfinite(x) and abs(x) >= 1e-3) or x == 0 else f"{x:.2e}"


def _window(lo: float, hi: float, *, closed_left: bool = False) -> str:
    return f"{'[' if closed_left else '('}{lo:.4g}, {hi:.4g}]"


def _label(ds: xr.Dataset) -> str:
    model = ds.attrs.get("model", "?")
    if model == "kbody":
        return f"kbody(N={ds.attrs.get('param_N')}, k={ds.attrs.get('param_k')})"
    if model == "ising":
        return f"ising(N={ds.attrs.get('param_N')}, s={ds.attrs.get('param_s')})"
    return str(model)


def _each(ds: xr.Dataset, dim: str) -> list[tuple[int, xr.Dataset]]:
    out = []
    for value in ds[dim].values.tolist():
        one = ds.sel({dim: value})
        one.attrs = {**ds.attrs, "param_" + dim: value}
        out.append((int(value), one))
    return out


# ---- checks -----------------------------------------------------------------------------------
def _closed_form_rows(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    rows = []
    pairs = [("single_qubit", data["qubit"], data["qubit_closed"], "App. D (D3)-(D4)")]
    closed = dict(_each(data["fig1_closed"], "k"))
    for k, ds in _each(data["fig1"], "k"):
        pairs.append((_label(ds), ds, closed[k], "Eq. (8), (9), (E3)-(E7)"))
    for label, num, cf, paper in pairs:
        c = max_relative_error(num, cf)
        t = num["time"].values
        rows.append(
            Row(
                "check",
                "closed form = numerics (13 variables)",
                paper,
                f"{label}, engine {num.attrs.get('engine', '?')}",
                _window(float(t[0]), float(t[-1]), closed_left=True),
                f"max rel. error {_fmt(c.error)} ({c.worst}); {c.compared} values, "
                f"{c.skipped} ill-conditioned skipped",
                PASS if c.error <= RTOL else FAIL,
            )
        )
    return rows


def _all_runs(data: dict[str, xr.Dataset]) -> list[tuple[str, xr.Dataset]]:
    runs = [("single_qubit", data["qubit"])]
    runs += [(_label(ds), ds) for _, ds in _each(data["fig1"], "k")]
    runs += [(_label(ds), ds) for _, ds in _each(data["fig2"], "s")]
    return runs


def _bound_rows(data: dict[str, xr.Dataset]) -> list[Row]:
    Getter = Callable[[xr.Dataset], tuple[np.ndarray, np.ndarray, np.ndarray]]

    def pair(value: str, bound: str) -> Getter:
        def get(d: xr.Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            cond = condition_numbers(d)
            return d[value].values, d[bound].values, np.maximum(cond[value], cond[bound])

        return get

    def sum_form(d: xr.Dataset) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        cond = condition_numbers(d)
        worst = np.maximum(np.maximum(cond["work_nsr"], cond["power_nsr"]), cond["nsr_product"])
        return (d.work_nsr + d.power_nsr).values, d.tradeoff_sum_bound.values, worst

    specs: list[tuple[str, str, Getter]] = [
        ("𝒩^W ≥ cot²θ^W − f", "Eq. (5), (B8)", pair("work_nsr", "work_bound")),
        ("𝒩^P ≥ cot²θ^P − f", "Eq. (5), (B8)", pair("power_nsr", "power_bound")),
        ("𝒩^W𝒩^P ≥ trade-off bound", "Eq. (6), (C1)", pair("nsr_product", "tradeoff_bound")),
        ("𝒩^W + 𝒩^P ≥ 2√(trade-off bound)", "Sec. III.B", sum_form),
    ]
    runs = _all_runs(data)
    rows = []
    for what, paper, get in specs:
        worst, where, skipped, points, widened = np.inf, "", 0, 0, 0
        margin_at = tol_at = float("nan")
        for label, ds in runs:
            value, bound, cond = get(ds)
            ok = np.isfinite(bound) & ~np.isnan(value)
            skipped += int(np.sum(~ok))
            points += int(np.sum(ok))
            tol = np.maximum(BOUND_TOL, EPS_COND * np.nan_to_num(cond[ok], nan=np.inf))
            widened += int(np.sum(tol > BOUND_TOL))
            with np.errstate(invalid="ignore"):
                margin = (value[ok] - bound[ok]) / np.maximum(1.0, np.abs(bound[ok]))
                score = margin / tol
            if score.size and float(np.min(score)) < worst:
                i = int(np.argmin(score))
                worst, margin_at, tol_at = float(score[i]), float(margin[i]), float(tol[i])
                where = f"{label} at t = {ds.time.values[ok][i]:.4g}"
        rows.append(
            Row(
                "check",
                f"bound holds: {what}",
                paper,
                f"all {len(runs)} runs",
                "every time",
                f"closest: (value − bound)/max(1, |bound|) = {_fmt(margin_at)} ({where}; "
                f"tolerance {tol_at:.1e}); {points} points ({widened} ill-conditioned with "
                f"tolerance {EPS_COND:.1e} × condition number), {skipped} undefined "
                "(t = 0 or a zero mean) skipped",
                PASS if worst >= -1.0 else FAIL,
            )
        )
    return rows


def _rel_gap(value: np.ndarray, target: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.abs(value - target) / np.maximum(np.abs(target), FLOOR))


def _saturation_rows(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    ds = data["qubit"]
    cond = condition_numbers(data["qubit_closed"])
    x = s.qubit_Omega0 * ds.time.values
    rows = []
    for which, limit, text in (
        ("work", np.pi / 2, "π/2"),
        ("power", np.pi / 4, "π/4"),
    ):
        inside = (x > 0) & (x < limit) & (cond[f"{which}_bound"] <= COND_MAX)
        gap = _rel_gap(ds[f"{which}_nsr"].values[inside], ds[f"{which}_bound"].values[inside])
        worst = float(np.max(gap)) if gap.size else np.inf
        t_hi = float(ds.time.values[inside].max()) if inside.any() else float("nan")
        rows.append(
            Row(
                "check",
                f"single qubit saturates the {which} bound: 𝒩 = cot²θ − f",
                "App. D",
                "single_qubit",
                f"0 < Ω0t < {text}: {_window(0.0, t_hi)}",
                f"max |𝒩 − bound|/max(|bound|, {FLOOR:g}) = {_fmt(worst)} over {gap.size} times",
                PASS if worst <= RTOL else FAIL,
            )
        )
    return rows


def _eq9_rows(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    rows = []
    cases = [("single_qubit", data["qubit"], data["qubit_closed"], 1.0, "(D4): 1")]
    closed = dict(_each(data["fig1_closed"], "k"))
    N = s.fig1_N
    for k, ds in _each(data["fig1"], "k"):
        n, r = divmod(N, k)
        if r == 0:
            target, text = k**2 / N**2, f"k²/N² = {k**2}/{N**2}"
        else:
            target = ((n * k * k + r * r) / N**2) ** 2
            text = f"((nk² + r²)/N²)² = {target:.6g} (k ∤ N, SPEC §2 remainder)"
        cases.append((_label(ds), ds, closed[k], target, text))
    for label, ds, cf, target, text in cases:
        cond = condition_numbers(cf)["nsr_product"]
        good = (ds.time.values > 0) & (cond <= COND_MAX)
        gap = _rel_gap(ds.nsr_product.values[good], np.full(int(good.sum()), target))
        worst = float(np.max(gap)) if gap.size else np.inf
        rows.append(
            Row(
                "check",
                f"universal product 𝒩^W𝒩^P = {text}, at every time",
                "Eq. (9), (D4)",
                label,
                "t > 0",
                f"max rel. deviation {_fmt(worst)} over {gap.size} times, "
                f"{int(np.sum(ds.time.values > 0)) - gap.size} ill-conditioned skipped",
                PASS if worst <= RTOL else FAIL,
            )
        )
    return rows


def checks(data: dict[str, xr.Dataset], settings: Settings = PAPER) -> list[Row]:
    """The PASS/FAIL rows (see the module docstring).

    Examples
    --------
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> rows = checks(compute(tiny, progress=False), tiny)
    >>> {row.kind for row in rows}, all(row.result == PASS for row in rows)
    ({'check'}, True)
    >>> [row.paper for row in rows if row.what.startswith("bound holds")]
    ['Eq. (5), (B8)', 'Eq. (5), (B8)', 'Eq. (6), (C1)', 'Sec. III.B']
    """
    return (
        _closed_form_rows(data, settings)
        + _bound_rows(data)
        + _saturation_rows(data, settings)
        + _eq9_rows(data, settings)
    )


# ---- the paper's claims ----------------------------------------------------------------------
def first_peak_time(t: np.ndarray, y: np.ndarray) -> float:
    """Time of the first local maximum of ``y`` after t = 0 (the last time if none).

    Examples
    --------
    >>> t = np.linspace(0, 3, 301)
    >>> round(first_peak_time(t, np.sin(2 * t)), 2)  # π/4
    0.79
    """
    dy = np.diff(y)
    down = np.flatnonzero((dy[:-1] > 0) & (dy[1:] <= 0))
    return float(t[down[0] + 1]) if down.size else float(t[-1])


def _ordering(da: xr.DataArray, dim: str, increasing: bool) -> np.ndarray:
    values = da.transpose(dim, "time").values
    with np.errstate(invalid="ignore"):
        steps = np.diff(values, axis=0)
        ok = np.all(steps > 0, axis=0) if increasing else np.all(steps < 0, axis=0)
    return np.asarray(ok)


def _trend_row(ds: xr.Dataset, dim: str, name: str, increasing: bool, what: str, paper: str) -> Row:
    """Claim that ``name`` increases (or decreases) with ``dim`` at every time of the
    window up to the first power maximum of the largest ``dim``."""
    t = ds.time.values
    top = ds[dim].values.max()
    t_window = first_peak_time(t, ds.sel({dim: top}).power_mean.values)
    window_text = f"to the first power maximum of {dim} = {int(top)}"
    ok = _ordering(ds[name], dim, increasing)
    later = t > 0
    window = later & (t <= t_window)
    share_window = float(np.mean(ok[window])) if window.any() else float("nan")
    share_all = float(np.mean(ok[later]))
    t_ref = float(t[window][len(t[window]) // 2]) if window.any() else float(t[-1])
    at = ds[name].sel(time=t_ref)
    values = ", ".join(f"{dim}={v}: {_fmt(float(at.sel({dim: v})))}" for v in ds[dim].values)
    holds = bool(window.any() and ok[window].all())
    if not holds and window.any():
        bad = t[window][~ok[window]]
        note = f"; first fails at t = {bad[0]:.4g}"
    else:
        note = ""
    return Row(
        "claim",
        what,
        paper,
        _dataset_label(ds, dim),
        f"{_window(0.0, t_window)} ({window_text})",
        f"at t = {t_ref:.3g}: {values}; ordered at {share_window:.0%} of the window, "
        f"{share_all:.0%} of {_window(0.0, float(t[-1]))}{note}",
        HOLDS if holds else DOES_NOT_HOLD,
    )


def _dataset_label(ds: xr.Dataset, dim: str) -> str:
    model = ds.attrs.get("model", "?")
    values = ",".join(str(v) for v in ds[dim].values.tolist())
    return f"{model}(N={ds.attrs.get('param_N', '?')}, {dim}={values})"


def _log_slope(x: np.ndarray, y: np.ndarray) -> float:
    """Exponent a of y ∝ x^a (least squares in log-log); NaN unless every y > 0.

    Examples
    --------
    >>> _log_slope(np.array([2.0, 3.0, 4.0]), np.array([8.0, 27.0, 64.0]))
    3.0
    >>> _log_slope(np.array([2.0, 3.0]), np.array([0.0, 1.0]))
    nan
    """
    from qbattery.scaling import fit_exponent

    if np.any(~(np.asarray(y) > 0)):
        return float("nan")
    return round(fit_exponent(x, y), 12)


def _fig1_claims(ds: xr.Dataset) -> list[Row]:
    t = ds.time.values
    trends = [
        ("power_mean", True, "⟨𝒫_t⟩ increases with k (quantum advantage)", "Sec. IV.A, Fig. 1(a)"),
        ("power_var", True, "(Δ𝒫_t)² increases with k", "Sec. IV.A, Fig. 1(b)"),
        ("power_nsr", True, "𝒩^P increases with k (power less reliable)", "Sec. IV.A, Fig. 1(c)"),
        ("work_var", True, "(Δ𝒲_t)² increases with k", "Sec. IV.A, Fig. 1(b)"),
        ("work_nsr", False, "𝒩^W decreases with k (work more reliable)", "Sec. IV.A, Fig. 1(c)"),
    ]  # fmt: skip
    rows = [_trend_row(ds, "k", *trend) for trend in trends]
    # charging period T = πN/(2kΩ0): time of the first maximum of the mean work
    ks = ds.k.values
    periods = np.array([first_peak_time(t, ds.work_mean.sel(k=k).values) for k in ks])
    decreasing = bool(np.all(np.diff(periods) < 0))
    listed = ", ".join(f"k={k}: {p:.3g}" for k, p in zip(ks.tolist(), periods, strict=True))
    rows.append(
        Row(
            "claim",
            "charging period T = πN/(2kΩ0) (first maximum of ⟨𝒲_t⟩) decreases with k",
            "Sec. IV.A, Fig. 1(a)",
            _dataset_label(ds, "k"),
            _window(0.0, float(t[-1])),
            f"first maximum of ⟨𝒲_t⟩ at {listed}",
            HOLDS if decreasing and np.all(periods < t[-1]) else DOES_NOT_HOLD,
        )
    )
    # dominant scaling: peak ⟨𝒫⟩ ∝ k, peak (Δ𝒫)² ∝ k³
    peak_mean = ds.power_mean.max("time").values
    peak_var = ds.power_var.max("time").values
    a_mean, a_var = _log_slope(ks, peak_mean), _log_slope(ks, peak_var)
    rows.append(
        Row(
            "claim",
            "(Δ𝒫)² grows as k³ while ⟨𝒫⟩ grows as k (peaks over the run)",
            "Sec. IV.A, Fig. 1(a)-(b)",
            _dataset_label(ds, "k"),
            _window(0.0, float(t[-1]), closed_left=True),
            f"fitted exponents: peak ⟨𝒫⟩ ∝ k^{a_mean:.3f}, peak (Δ𝒫)² ∝ k^{a_var:.3f}",
            HOLDS if abs(a_mean - 1) < 0.05 and abs(a_var - 3) < 0.05 else DOES_NOT_HOLD,
        )
    )
    rows.append(_tradeoff_saturation_row(ds, "k", "App. E: Eq. (6) saturated for every k"))
    return rows


def _tradeoff_saturation_row(ds: xr.Dataset, dim: str, what: str) -> Row:
    t = ds.time.values
    worst = 0.0
    count = skipped = 0
    for value in ds[dim].values if dim else [None]:
        one = ds if value is None else ds.sel({dim: value})
        finite = (t > 0) & np.isfinite(one.nsr_product.values)
        ok = finite & (condition_numbers(one)["nsr_product"] <= COND_MAX)
        skipped += int(np.sum(finite & ~ok))
        gap = _rel_gap(one.nsr_product.values[ok], one.tradeoff_bound.values[ok])
        count += gap.size
        worst = max(worst, float(np.max(gap)) if gap.size else 0.0)
    return Row(
        "claim",
        what,
        "App. E" if dim else "App. D, (D4)",
        _dataset_label(ds, dim) if dim else "single_qubit",
        "t > 0",
        f"max |𝒩^W𝒩^P − bound|/bound = {_fmt(worst)} over {count} points "
        f"(saturated: < {SATURATION_GAP:g}); {skipped} ill-conditioned skipped",
        HOLDS if worst < SATURATION_GAP else DOES_NOT_HOLD,
    )


def _fig2_claims(ds: xr.Dataset) -> list[Row]:
    trends = [
        ("power_mean", True, "⟨𝒫_t⟩ increases with s", "Sec. IV.B, Fig. 2(a)"),
        ("power_var", True, "(Δ𝒫_t)² increases with s", "Sec. IV.B, Fig. 3(b)"),
        ("power_nsr", True, "𝒩^P increases with s (power less reliable)", "Sec. IV.B, Fig. 2(a)"),
        ("work_var", True, "(Δ𝒲_t)² increases with s", "Sec. IV.B, Fig. 3(a)"),
        ("work_nsr", False, "𝒩^W decreases with s (work more reliable)", "Sec. IV.B, Fig. 2(b)"),
        ("nsr_product", True, "𝒩^W𝒩^P increases with s", "Sec. IV.B, Fig. 2(c)"),
    ]  # fmt: skip
    return [_trend_row(ds, "s", *trend) for trend in trends]


def _qubit_claims(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    ds = data["qubit"]
    t = ds.time.values
    x = s.qubit_Omega0 * t
    inside = (x > 0) & (x < np.pi / 2)
    rows = []
    for which in ("work", "power"):
        gap = _rel_gap(ds[f"{which}_nsr"].values, ds[f"{which}_bound"].values)
        sat = gap < SATURATION_GAP
        holds = bool(np.all(sat[inside]))
        t_in = t[inside]
        last = float(t_in[sat[inside]].max()) if np.any(sat[inside]) else float("nan")
        i = int(np.argmax(np.where(inside, gap, -1.0)))
        ratio = float(ds[f"{which}_bound"].values[i] / ds[f"{which}_nsr"].values[i])
        detail = (
            "saturated at every time"
            if holds
            else f"saturated up to t = {last:.4g} (Ω0t = {s.qubit_Omega0 * last:.4g}; "
            f"π/4 = {np.pi / 4:.4g}); at t = {t[i]:.4g} bound/𝒩 = {ratio:.3g}"
        )
        rows.append(
            Row(
                "claim",
                f"App. D: the Eq. (5) {which} bound saturates for the single qubit "
                f"({'cot²(Ω0t)' if which == 'work' else 'tan²(Ω0t), paper: at all times'})",
                "App. D",
                "single_qubit",
                f"0 < Ω0t < π/2: {_window(0.0, float(t_in.max()))}",
                detail,
                HOLDS if holds else DOES_NOT_HOLD,
            )
        )
    rows.append(_tradeoff_saturation_row(ds, "", "App. D: Eq. (6) saturated for the single qubit"))
    return rows


def claims(data: dict[str, xr.Dataset], settings: Settings = PAPER) -> list[Row]:
    """The paper's claims evaluated on the data (see the module docstring).

    Examples
    --------
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> rows = claims(compute(tiny, progress=False), tiny)
    >>> {row.kind for row in rows}, {row.result for row in rows} <= {HOLDS, DOES_NOT_HOLD}
    ({'claim'}, True)
    >>> first = rows[0]
    >>> first.what, first.paper, first.result
    ('⟨𝒫_t⟩ increases with k (quantum advantage)', 'Sec. IV.A, Fig. 1(a)', 'holds')
    """
    return _fig1_claims(data["fig1"]) + _fig2_claims(data["fig2"]) + _qubit_claims(data, settings)


# ---- writing -------------------------------------------------------------------------------
#: variables drawn in each figure (written to its NetCDF file)
FIGURE_VARIABLES: dict[str, tuple[str, ...]] = {
    "fig1": ("work_mean", "power_mean", "work_var", "power_var", "work_nsr", "power_nsr",
             "work_bound", "power_bound"),
    "fig2": ("power_mean", "power_nsr", "work_mean", "work_nsr", "nsr_product",
             "tradeoff_bound"),
    "fig3": ("work_var", "power_var", "fidelity"),
}  # fmt: skip
CAPTIONS: dict[str, str] = {
    "fig1": "Fig. 1: k-body charging (Eq. 7); (a) means, (b) variances, (c) NSRs with the "
    "Eq. (5) bounds",
    "fig2": "Fig. 2: Ising-like s-body charging (Eq. 10); (a) power and its NSR, (b) work "
    "and its NSR, (c) NSR product with the Eq. (6) bound",
    "fig3": "Fig. 3: Ising-like s-body charging; (a) work variance, (b) power variance, "
    "(c) fidelity",
}


def figure_data(data: dict[str, xr.Dataset]) -> dict[str, xr.Dataset]:
    """The Dataset behind each figure: its drawn variables, dimension ``k`` or ``s``.

    Examples
    --------
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> figures = figure_data(compute(tiny, progress=False))
    >>> sorted(figures), list(figures["fig3"].data_vars)
    (['fig1', 'fig2', 'fig3'], ['work_var', 'power_var', 'fidelity'])
    >>> figures["fig2"].attrs["figure"].startswith("Fig. 2: Ising-like")
    True
    """
    out = {}
    for fig, source in (("fig1", data["fig1"]), ("fig2", data["fig2"]), ("fig3", data["fig2"])):
        ds = source[list(FIGURE_VARIABLES[fig])]
        ds.attrs = {**source.attrs, "figure": CAPTIONS[fig]}
        out[fig] = ds
    return out


def write_figures(data: dict[str, xr.Dataset], out: Path) -> list[Path]:
    """Write fig1-3 as PNG, PDF and NetCDF into ``out``; return the paths.

    Examples
    --------
    >>> import tempfile
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> data = compute(tiny, progress=False)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_figures(data, Path(tmp))
    ...     with xr.open_dataset(Path(tmp) / "fig1.nc") as fig1:
    ...         same = bool(fig1.work_nsr.equals(data["fig1"].work_nsr))
    >>> sorted(f.name for f in files)[:4], len(files), same
    (['fig1.nc', 'fig1.pdf', 'fig1.png', 'fig2.nc'], 9, True)
    """
    from qbattery import plotting

    out.mkdir(parents=True, exist_ok=True)
    builders = {"fig1": plotting.figure1, "fig2": plotting.figure2, "fig3": plotting.figure3}
    files = []
    for name, ds in figure_data(data).items():
        drawn = builders[name](ds)
        files += plotting.save(drawn, out / name, formats=("png", "pdf"))
        path = out / f"{name}.nc"
        ds.to_netcdf(path)
        files.append(path)
    return files


#: column names of ``checks.csv``, in order (the fields of :class:`Row`)
CSV_COLUMNS = tuple(f.name for f in fields(Row))


def write_csv(rows: Sequence[Row], path: Path) -> Path:
    """Write the table as CSV (one header line, columns :data:`CSV_COLUMNS`).

    Examples
    --------
    >>> import tempfile
    >>> row = Row("check", "x", "Eq. (9)", "kbody(N=4, k=2)", "t > 0", "1e-15", PASS)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     lines = write_csv([row], Path(tmp) / "checks.csv").read_text().splitlines()
    >>> print("\\n".join(lines))
    kind,what,paper,data,window,numbers,result
    check,x,Eq. (9),"kbody(N=4, k=2)",t > 0,1e-15,PASS
    """
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([getattr(row, c) for c in CSV_COLUMNS])
    return path


def print_table(report: Report, console: Any = None) -> None:
    """Print the table with rich (to standard output by default).

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> rows = [Row("check", "x", "Eq. (9)", "d", "t > 0", "", PASS),
    ...         Row("claim", "y", "Sec. IV.A", "d", "t > 0", "", DOES_NOT_HOLD)]
    >>> console = Console(file=io.StringIO(), width=120)
    >>> print_table(Report(QUICK, {}, rows=rows, wall_time_s=0.5), console)
    >>> console.file.getvalue().splitlines()[-1]
    'checks: 1/1 PASS; paper claims: 0/1 hold (0.5 s)'
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if Console().is_terminal else 160)
    table = Table(title="qbattery reproduce: checks of our numbers and the paper's claims")
    for column, style in (
        ("kind", "dim"),
        ("what", ""),
        ("paper", "dim"),
        ("data", ""),
        ("window", ""),
        ("numbers", ""),
        ("result", "bold"),
    ):
        table.add_column(column, style=style, overflow="fold")
    colors = {PASS: "green", FAIL: "red", HOLDS: "green", DOES_NOT_HOLD: "yellow"}
    for row in report.rows:
        cells = [getattr(row, c) for c in CSV_COLUMNS]
        cells[-1] = f"[{colors.get(row.result, 'white')}]{row.result}[/]"
        table.add_row(*cells)
    console.print(table)
    n_checks = sum(r.kind == "check" for r in report.rows)
    n_fail = sum(r.failed for r in report.rows)
    n_claims = sum(r.kind == "claim" for r in report.rows)
    n_hold = sum(r.kind == "claim" and r.result == HOLDS for r in report.rows)
    console.print(
        f"checks: {n_checks - n_fail}/{n_checks} PASS; paper claims: {n_hold}/{n_claims} hold "
        f"({report.wall_time_s:.1f} s)"
    )


def reproduce(
    out: str | Path,
    *,
    ntimes: int | None = None,
    quick: bool = False,
    engine: str = "dense",
    progress: bool | None = None,
) -> Report:
    """Compute, check and write everything of ``qbattery reproduce`` into ``out``.

    Parameters
    ----------
    out : path
        Output directory (created if missing).
    ntimes : int, optional
        Number of times per curve (default 401, or 121 with ``quick``).
    quick : bool
        Smaller systems (:data:`QUICK`: k-body N = 8, Ising N = 6).
    engine : str
        Engine of :func:`qbattery.charge` (default the exact dense engine).
    progress : bool or None
        Progress bar: ``None`` on a terminal only, ``False`` never.

    Returns
    -------
    Report
        ``report.passed`` is False when a check failed.

    Examples
    --------
    The quick settings on a coarse grid, with the structured engine (exact for both
    model families):

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = reproduce(tmp, quick=True, ntimes=11, engine="structured", progress=False)
    >>> report.passed, report.settings.fig1_N, report.settings.fig2_N, report.settings.ntimes
    (True, 8, 6, 11)
    >>> print(*sorted(f.name for f in report.files))
    checks.csv fig1.nc fig1.pdf fig1.png fig2.nc fig2.pdf fig2.png fig3.nc fig3.pdf fig3.png
    """
    from qbattery.errors import InvalidInputError

    started = _time.perf_counter()
    settings = QUICK if quick else PAPER
    if ntimes is not None:
        if ntimes < 3:
            raise InvalidInputError(f"`ntimes` must be ≥ 3, got {ntimes}; pass e.g. 401")
        settings = replace(settings, ntimes=int(ntimes))
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidInputError(
            f"--out {str(out)!r} is a file; give a directory for the figures and data"
        )
    data = compute(settings, engine=engine, progress=progress)
    report = Report(settings, data)
    report.rows = checks(data, settings) + claims(data, settings)
    report.files = write_figures(data, out)
    report.files.append(write_csv(report.rows, out / "checks.csv"))
    report.wall_time_s = _time.perf_counter() - started
    return report
