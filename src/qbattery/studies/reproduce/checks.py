"""The PASS/FAIL rows of ``qbattery reproduce``: our numbers against closed forms, the
bounds, saturation and Eq. (9)."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import xarray as xr

from qbattery._dataset import (
    NSR_PRODUCT,
    ORDER_K,
    ORDER_S,
    POWER_BOUND,
    POWER_NSR,
    TIME,
    TRADEOFF_BOUND,
    WORK_BOUND,
    WORK_NSR,
    var_name,
)
from qbattery.numerics.kbody import block_sum_squares, kbody_blocks
from qbattery.studies.reproduce.precision import (
    condition_numbers,
    each_value,
    fmt_number,
    max_relative_error,
    rel_gap,
    run_label,
    window_text,
)
from qbattery.studies.reproduce.settings import (
    BOUND_TOL,
    COND_MAX,
    EPS_COND,
    FAIL,
    FLOOR,
    PAPER,
    PASS,
    RTOL,
    Row,
    Settings,
)


def _closed_form_rows(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    rows = []
    pairs = [("single_qubit", data["qubit"], data["qubit_closed"], "App. D (D3)-(D4)")]
    closed = dict(each_value(data["fig1_closed"], ORDER_K))
    for k, ds in each_value(data["fig1"], ORDER_K):
        pairs.append((run_label(ds), ds, closed[k], "Eq. (8), (9), (E3)-(E7)"))
    for label, num, cf, paper in pairs:
        c = max_relative_error(num, cf)
        t = num[TIME].values
        rows.append(
            Row(
                "check",
                "closed form = numerics (13 variables)",
                paper,
                f"{label}, engine {num.attrs.get('engine', '?')}",
                window_text(float(t[0]), float(t[-1]), closed_left=True),
                f"max rel. error {fmt_number(c.error)} ({c.worst}); {c.compared} values, "
                f"{c.skipped} ill-conditioned skipped",
                PASS if c.error <= RTOL else FAIL,
            )
        )
    return rows


def _all_runs(data: dict[str, xr.Dataset]) -> list[tuple[str, xr.Dataset]]:
    runs = [("single_qubit", data["qubit"])]
    runs += [(run_label(ds), ds) for _, ds in each_value(data["fig1"], ORDER_K)]
    runs += [(run_label(ds), ds) for _, ds in each_value(data["fig2"], ORDER_S)]
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
        worst = np.maximum(np.maximum(cond[WORK_NSR], cond[POWER_NSR]), cond[NSR_PRODUCT])
        return (d.work_nsr + d.power_nsr).values, d.tradeoff_sum_bound.values, worst

    specs: list[tuple[str, str, Getter]] = [
        ("𝒩^W ≥ cot²θ^W − f", "Eq. (5), (B8)", pair(WORK_NSR, WORK_BOUND)),
        ("𝒩^P ≥ cot²θ^P − f", "Eq. (5), (B8)", pair(POWER_NSR, POWER_BOUND)),
        ("𝒩^W𝒩^P ≥ trade-off bound", "Eq. (6), (C1)", pair(NSR_PRODUCT, TRADEOFF_BOUND)),
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
                f"closest: (value − bound)/max(1, |bound|) = {fmt_number(margin_at)} ({where}; "
                f"tolerance {tol_at:.1e}); {points} points ({widened} ill-conditioned with "
                f"tolerance {EPS_COND:.1e} × condition number), {skipped} undefined "
                "(t = 0 or a zero mean) skipped",
                PASS if worst >= -1.0 else FAIL,
            )
        )
    return rows


def _saturation_rows(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    ds = data["qubit"]
    cond = condition_numbers(data["qubit_closed"])
    x = s.qubit_Omega0 * ds.time.values
    rows = []
    for which, limit, text in (
        ("work", np.pi / 2, "π/2"),
        ("power", np.pi / 4, "π/4"),
    ):
        inside = (x > 0) & (x < limit) & (cond[var_name(which, "bound")] <= COND_MAX)
        gap = rel_gap(
            ds[var_name(which, "nsr")].values[inside], ds[var_name(which, "bound")].values[inside]
        )
        worst = float(np.max(gap)) if gap.size else np.inf
        t_hi = float(ds.time.values[inside].max()) if inside.any() else float("nan")
        rows.append(
            Row(
                "check",
                f"single qubit saturates the {which} bound: 𝒩 = cot²θ − f",
                "App. D",
                "single_qubit",
                f"0 < Ω0t < {text}: {window_text(0.0, t_hi)}",
                f"max |𝒩 − bound|/max(|bound|, {FLOOR:g}) = {fmt_number(worst)} "
                f"over {gap.size} times",
                PASS if worst <= RTOL else FAIL,
            )
        )
    return rows


def _eq9_rows(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    rows = []
    cases = [("single_qubit", data["qubit"], data["qubit_closed"], 1.0, "(D4): 1")]
    closed = dict(each_value(data["fig1_closed"], ORDER_K))
    N = s.fig1_N
    for k, ds in each_value(data["fig1"], ORDER_K):
        if kbody_blocks(N, k)[1] == 0:
            target, text = k**2 / N**2, f"k²/N² = {k**2}/{N**2}"
        else:
            target = (block_sum_squares(N, k) / N**2) ** 2
            text = f"((nk² + r²)/N²)² = {target:.6g} (k ∤ N, remainder block)"
        cases.append((run_label(ds), ds, closed[k], target, text))
    for label, ds, cf, target, text in cases:
        cond = condition_numbers(cf)[NSR_PRODUCT]
        good = (ds.time.values > 0) & (cond <= COND_MAX)
        gap = rel_gap(ds.nsr_product.values[good], np.full(int(good.sum()), target))
        worst = float(np.max(gap)) if gap.size else np.inf
        rows.append(
            Row(
                "check",
                f"universal product 𝒩^W𝒩^P = {text}, at every time",
                "Eq. (9), (D4)",
                label,
                "t > 0",
                f"max rel. deviation {fmt_number(worst)} over {gap.size} times, "
                f"{int(np.sum(ds.time.values > 0)) - gap.size} ill-conditioned skipped",
                PASS if worst <= RTOL else FAIL,
            )
        )
    return rows


def checks(data: dict[str, xr.Dataset], settings: Settings = PAPER) -> list[Row]:
    """The PASS/FAIL rows (see the module docstring).

    Examples
    --------
    >>> from qbattery.studies.reproduce import compute
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
