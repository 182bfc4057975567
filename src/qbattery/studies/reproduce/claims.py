"""The paper's claims (Sec. IV, App. D/E) evaluated on the data: holds / does not hold."""

from __future__ import annotations

import numpy as np
import xarray as xr

from qbattery._dataset import (
    NSR_PRODUCT,
    ORDER_K,
    ORDER_S,
    POWER_MEAN,
    POWER_NSR,
    POWER_VAR,
    TIME,
    WORK_NSR,
    WORK_VAR,
    var_name,
)
from qbattery.studies.reproduce.precision import (
    condition_numbers,
    fmt_number,
    rel_gap,
    window_text,
)
from qbattery.studies.reproduce.settings import (
    COND_MAX,
    DOES_NOT_HOLD,
    HOLDS,
    PAPER,
    SATURATION_GAP,
    Row,
    Settings,
)
from qbattery.studies.scaling import fit_exponent


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
    values = da.transpose(dim, TIME).values
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
    window_label = f"to the first power maximum of {dim} = {int(top)}"
    ok = _ordering(ds[name], dim, increasing)
    later = t > 0
    window = later & (t <= t_window)
    share_window = float(np.mean(ok[window])) if window.any() else float("nan")
    share_all = float(np.mean(ok[later]))
    t_ref = float(t[window][len(t[window]) // 2]) if window.any() else float(t[-1])
    at = ds[name].sel(time=t_ref)
    values = ", ".join(f"{dim}={v}: {fmt_number(float(at.sel({dim: v})))}" for v in ds[dim].values)
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
        f"{window_text(0.0, t_window)} ({window_label})",
        f"at t = {t_ref:.3g}: {values}; ordered at {share_window:.0%} of the window, "
        f"{share_all:.0%} of {window_text(0.0, float(t[-1]))}{note}",
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
    if np.any(~(np.asarray(y) > 0)):
        return float("nan")
    return round(fit_exponent(x, y), 12)


def _fig1_claims(ds: xr.Dataset) -> list[Row]:
    t = ds.time.values
    trends = [
        (POWER_MEAN, True, "⟨𝒫_t⟩ increases with k (quantum advantage)", "Sec. IV.A, Fig. 1(a)"),
        (POWER_VAR, True, "(Δ𝒫_t)² increases with k", "Sec. IV.A, Fig. 1(b)"),
        (POWER_NSR, True, "𝒩^P increases with k (power less reliable)", "Sec. IV.A, Fig. 1(c)"),
        (WORK_VAR, True, "(Δ𝒲_t)² increases with k", "Sec. IV.A, Fig. 1(b)"),
        (WORK_NSR, False, "𝒩^W decreases with k (work more reliable)", "Sec. IV.A, Fig. 1(c)"),
    ]  # fmt: skip
    rows = [_trend_row(ds, ORDER_K, *trend) for trend in trends]
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
            _dataset_label(ds, ORDER_K),
            window_text(0.0, float(t[-1])),
            f"first maximum of ⟨𝒲_t⟩ at {listed}",
            HOLDS if decreasing and np.all(periods < t[-1]) else DOES_NOT_HOLD,
        )
    )
    # dominant scaling: peak ⟨𝒫⟩ ∝ k, peak (Δ𝒫)² ∝ k³
    peak_mean = ds.power_mean.max(TIME).values
    peak_var = ds.power_var.max(TIME).values
    a_mean, a_var = _log_slope(ks, peak_mean), _log_slope(ks, peak_var)
    rows.append(
        Row(
            "claim",
            "(Δ𝒫)² grows as k³ while ⟨𝒫⟩ grows as k (peaks over the run)",
            "Sec. IV.A, Fig. 1(a)-(b)",
            _dataset_label(ds, ORDER_K),
            window_text(0.0, float(t[-1]), closed_left=True),
            f"fitted exponents: peak ⟨𝒫⟩ ∝ k^{a_mean:.3f}, peak (Δ𝒫)² ∝ k^{a_var:.3f}",
            HOLDS if abs(a_mean - 1) < 0.05 and abs(a_var - 3) < 0.05 else DOES_NOT_HOLD,
        )
    )
    rows.append(_tradeoff_saturation_row(ds, ORDER_K, "App. E: Eq. (6) saturated for every k"))
    return rows


def _tradeoff_saturation_row(ds: xr.Dataset, dim: str, what: str) -> Row:
    t = ds.time.values
    worst = 0.0
    count = skipped = 0
    for value in ds[dim].values if dim else [None]:
        one = ds if value is None else ds.sel({dim: value})
        finite = (t > 0) & np.isfinite(one.nsr_product.values)
        ok = finite & (condition_numbers(one)[NSR_PRODUCT] <= COND_MAX)
        skipped += int(np.sum(finite & ~ok))
        gap = rel_gap(one.nsr_product.values[ok], one.tradeoff_bound.values[ok])
        count += gap.size
        worst = max(worst, float(np.max(gap)) if gap.size else 0.0)
    return Row(
        "claim",
        what,
        "App. E" if dim else "App. D, (D4)",
        _dataset_label(ds, dim) if dim else "single_qubit",
        "t > 0",
        f"max |𝒩^W𝒩^P − bound|/bound = {fmt_number(worst)} over {count} points "
        f"(saturated: < {SATURATION_GAP:g}); {skipped} ill-conditioned skipped",
        HOLDS if worst < SATURATION_GAP else DOES_NOT_HOLD,
    )


def _fig2_claims(ds: xr.Dataset) -> list[Row]:
    trends = [
        (POWER_MEAN, True, "⟨𝒫_t⟩ increases with s", "Sec. IV.B, Fig. 2(a)"),
        (POWER_VAR, True, "(Δ𝒫_t)² increases with s", "Sec. IV.B, Fig. 3(b)"),
        (POWER_NSR, True, "𝒩^P increases with s (power less reliable)", "Sec. IV.B, Fig. 2(a)"),
        (WORK_VAR, True, "(Δ𝒲_t)² increases with s", "Sec. IV.B, Fig. 3(a)"),
        (WORK_NSR, False, "𝒩^W decreases with s (work more reliable)", "Sec. IV.B, Fig. 2(b)"),
        (NSR_PRODUCT, True, "𝒩^W𝒩^P increases with s", "Sec. IV.B, Fig. 2(c)"),
    ]  # fmt: skip
    return [_trend_row(ds, ORDER_S, *trend) for trend in trends]


def _qubit_claims(data: dict[str, xr.Dataset], s: Settings) -> list[Row]:
    ds = data["qubit"]
    t = ds.time.values
    x = s.qubit_Omega0 * t
    inside = (x > 0) & (x < np.pi / 2)
    rows = []
    for which in ("work", "power"):
        gap = rel_gap(ds[var_name(which, "nsr")].values, ds[var_name(which, "bound")].values)
        sat = gap < SATURATION_GAP
        holds = bool(np.all(sat[inside]))
        t_in = t[inside]
        last = float(t_in[sat[inside]].max()) if np.any(sat[inside]) else float("nan")
        i = int(np.argmax(np.where(inside, gap, -1.0)))
        ratio = float(ds[var_name(which, "bound")].values[i] / ds[var_name(which, "nsr")].values[i])
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
                f"0 < Ω0t < π/2: {window_text(0.0, float(t_in.max()))}",
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
    >>> from qbattery.studies.reproduce import compute
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> rows = claims(compute(tiny, progress=False), tiny)
    >>> {row.kind for row in rows}, {row.result for row in rows} <= {HOLDS, DOES_NOT_HOLD}
    ({'claim'}, True)
    >>> first = rows[0]
    >>> first.what, first.paper, first.result
    ('⟨𝒫_t⟩ increases with k (quantum advantage)', 'Sec. IV.A, Fig. 1(a)', 'holds')
    """
    return _fig1_claims(data["fig1"]) + _fig2_claims(data["fig2"]) + _qubit_claims(data, settings)
