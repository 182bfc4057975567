r"""Scaling of the reliabilities with the number of cells N (Eq. 8–9, App. E).

:func:`scaling` computes, for a model family and a list of sizes, the NSRs of work and
power and their product at a fixed time t, the mean power there and the peak power
max_t⟨𝒫_t⟩, fits power laws ∝ N^α (least squares in log–log) and compares the exponents
with the predictions:

* ``kbody`` with fixed k (App. E, N/k ≫ Ω0 t): 𝒩^W ≈ (N/k)/(Ω0t)² (E9), 𝒩^P ≈
  (k/N)³(Ω0t)² (E10), 𝒩^W𝒩^P = k²/N² (Eq. 9), peak power kω0Ω0 (E6): exponents
  1, −3, −2, 0;
* ``kbody`` with fixed k/N = c: 𝒩^W = c cot²(cΩ0t), 𝒩^P = c tan²(cΩ0t) (Eq. 8), product
  c², peak power cNω0Ω0: exponents 0, 0, 0, 1;
* the field's figures of merit at the optimal charging time τ* = argmax ⟨W_t⟩/t
  (:func:`qbattery.optimal_charging`): for ``kbody`` ⟨W_t⟩ = Nω0 sin²(Ω_k t) with
  Ω_k = kΩ0/N, so Ω_k τ* = x* (tan x* = 2x*, x* ≈ 1.1656), the maximum average power is
  kω0Ω0 sin²x*/x* and Eq. 8 gives 𝒩^W(τ*) = (k/N)/(4x*²), 𝒩^P(τ*) = (k/N)·4x*², exactly
  at every N (k/N → Q₂/N² with a remainder block): exponents 0, −1, −1 (fixed k) and
  1, 0, 0 (fixed k/N); ``ising`` has no prediction there (NaN);
* ``ising`` (paper reading, fixed s ≥ 2, normalised evolution): not in the paper; to
  leading order in τ = t/(N − s + 1) the light-cone sums of
  :mod:`qbattery.engines.structured.ising` give 𝒩^W ≈ 4L/t², 𝒩^P ≈
  2(s − 1)(2s − 1)/(3sL), 𝒩^W𝒩^P ≈ 8(s − 1)(2s − 1)/(3st²) and a peak power
  → ω0 √s ((s − 1)/s)^((s−1)/2) (L = N − s + 1): exponents 1, −1, 0, 0.

Engines: ``"auto"`` picks the structured engine (exact at any N) for these families.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import scipy.optimize
import xarray as xr

from qbattery import models, statistics
from qbattery._dataset import (
    AVERAGE_POWER_TIME,
    CELLS,
    MAX_AVERAGE_POWER,
    NSR_PRODUCT,
    OPTIMA,
    OPTIMUM,
    ORDER_K,
    ORDER_S,
    PEAK_POWER,
    PEAK_POWER_TIME,
    POWER_MEAN,
    POWER_NSR,
    POWER_NSR_AT_TAU,
    POWER_VAR,
    WORK_MEAN,
    WORK_NSR,
    WORK_NSR_AT_TAU,
    WORK_VAR,
    build_table,
    predicted_name,
)
from qbattery.analytic import X_STAR
from qbattery.engines import get_engine
from qbattery.engines.structured.ising import IsingPaperSolver
from qbattery.errors import InvalidInputError
from qbattery.numerics.kbody import block_sum_squares
from qbattery.optimal import optimal_charging

if TYPE_CHECKING:  # pragma: no cover
    from matplotlib.axes import Axes
    from matplotlib.lines import Line2D

    from qbattery.battery import Battery
    from qbattery.engines.base import Engine

Family = Literal["kbody", "ising"]

#: quantities whose N-dependence is fitted, with their long names
FITTED: dict[str, str] = {
    WORK_NSR: "NSR of work N^W_t",
    POWER_NSR: "NSR of power N^P_t",
    NSR_PRODUCT: "product N^W_t N^P_t",
    PEAK_POWER: "peak power max_t <P_t>",
    MAX_AVERAGE_POWER: "maximum average power max_t <W_t>/t",
    WORK_NSR_AT_TAU: "NSR of work at the optimal charging time tau*",
    POWER_NSR_AT_TAU: "NSR of power at the optimal charging time tau*",
}
#: the fitted quantities taken at τ* (no prediction for ising)
_AT_TAU = (MAX_AVERAGE_POWER, WORK_NSR_AT_TAU, POWER_NSR_AT_TAU)
#: grid points per period for locating the peak power before refining it
_PEAK_GRID = 257


def _check_sizes(sizes: Sequence[int]) -> np.ndarray:
    try:
        arr = np.asarray(sizes)
    except (TypeError, ValueError) as exc:  # pragma: no cover - numpy accepts nearly all
        raise InvalidInputError(f"`sizes` must be integers, got {sizes!r}") from exc
    if arr.ndim != 1 or arr.size < 2 or not np.issubdtype(arr.dtype, np.integer):
        raise InvalidInputError(
            f"`sizes` must be at least two integers (a 1-D list), got {sizes!r}; "
            "pass e.g. [16, 64, 256, 1024]"
        )
    if np.any(np.diff(arr) <= 0):
        raise InvalidInputError(
            f"`sizes` must be strictly increasing, got {arr.tolist()}; pass sorted(set(sizes))"
        )
    if arr[0] < 1:
        raise InvalidInputError(f"`sizes` must be ≥ 1, got {arr.tolist()}")
    return arr.astype(np.int64)


def _model(
    family: str,
    N: int,
    *,
    k: int | None,
    k_fraction: float | None,
    s: int | None,
    omega0: float | None,
    coupling: float | None,
) -> tuple[Battery, dict[str, Any]]:
    if family == "kbody":
        kk = k if k is not None else max(1, round(float(k_fraction) * N))  # type: ignore[arg-type]
        if not 1 <= kk <= N:
            raise InvalidInputError(f"k = {kk} is outside 1…N = {N}; choose k ≤ min(sizes)")
        bat = models.kbody(
            int(N),
            int(kk),
            1.0 if omega0 is None else omega0,
            1.0 if coupling is None else coupling,
        )
        return bat, {"order": kk}
    assert s is not None  # checked by scaling()
    if s > N:
        raise InvalidInputError(f"s = {s} exceeds N = {N}; choose s ≤ min(sizes)")
    bat = models.ising(
        int(N), int(s), 2.0 if omega0 is None else omega0, 1.0 if coupling is None else coupling
    )
    return bat, {"order": s}


def _period(bat: Battery) -> float:
    """A period of ⟨𝒫_t⟩ in t (the structure gives the model's frequency)."""
    st = bat.structure
    if st["family"] == "kbody":
        return float(np.pi / abs(st["k"] / st["N"] * st["Omega0"]))
    return float(np.pi / abs(IsingPaperSolver(st).g))


def peak_power(
    engine: Engine, period: float, *, points: int = _PEAK_GRID, xatol: float | None = None
) -> tuple[float, float]:
    """max over t ∈ [0, period] of ⟨𝒫_t⟩ and its time: a grid, then a bounded refinement.

    The grid has ``points`` times; the refinement stops at ``xatol`` (default
    1e-12 × period).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> from qbattery.engines import get_engine
    >>> eng, _ = get_engine(qb.models.kbody(8, 2))       # ⟨𝒫⟩ = kω0Ω0 sin 2Ω_k t
    >>> p, t = peak_power(eng, np.pi / 0.25)
    >>> round(p, 12), round(t * 0.25, 9)               # 2 at Ω_k t = π/4
    (2.0, 0.785398163)
    """
    grid = np.linspace(0.0, period, points)
    values = engine.moments(grid).power.mean
    i = int(np.argmax(values))
    lo, hi = grid[max(i - 1, 0)], grid[min(i + 1, grid.size - 1)]

    def minus(t: float) -> float:
        return -float(engine.moments(np.array([t])).power.mean[0])

    res = scipy.optimize.minimize_scalar(
        minus,
        bounds=(lo, hi),
        method="bounded",
        options={"xatol": 1e-12 * period if xatol is None else xatol},
    )
    best_t, best = (
        (float(res.x), -float(res.fun)) if -res.fun >= values[i] else (grid[i], values[i])
    )
    return float(best), float(best_t)


def fit_exponent(N: np.ndarray, values: np.ndarray) -> float:
    """Least-squares slope of log|values| against log N (``fit_exponent_error``).

    Examples
    --------
    >>> import numpy as np
    >>> N = np.array([10.0, 100.0, 1000.0])
    >>> round(fit_exponent(N, 3.0 * N**-3), 12)
    -3.0
    """
    return fit_exponent_error(N, values)[0]


def fit_exponent_error(
    N: np.ndarray, values: np.ndarray, errors: np.ndarray | None = None
) -> tuple[float, float]:
    """Exponent α of |values| ∝ N^α by a (weighted) least-squares log-log fit, and its error.

    The one log-log fit of the package (gallery, reproduce, scaling, literature). Points
    with a non-finite or zero value are left out; fewer than two points give NaN. With
    ``errors`` (standard errors of the values) each point is weighted by
    |value|/error (the error propagated to log space). The returned error is the fit's
    standard error: from the residual scatter, and never below the propagated standard
    errors when they are given (NaN with two points and no ``errors``).

    Examples
    --------
    >>> import numpy as np
    >>> a, s = fit_exponent_error(np.array([2.0, 4.0, 8.0]), np.array([1.0, 2.83, 8.0]))
    >>> round(a, 2), s < 0.01
    (1.5, True)
    """
    x, y = np.log(np.asarray(N, dtype=float)), np.asarray(values, dtype=float)
    ok = np.isfinite(y) & (y != 0)
    if np.count_nonzero(ok) < 2:
        return float("nan"), float("nan")
    x, ly = x[ok], np.log(np.abs(y[ok]))
    if errors is None:
        w = np.ones_like(x)
    else:
        rel = np.asarray(errors, dtype=float)[ok] / np.abs(y[ok])
        w = 1 / np.maximum(rel, 1e-12)
    design = np.stack([x, np.ones_like(x)], axis=1) * w[:, None]
    coef, *_ = np.linalg.lstsq(design, ly * w, rcond=None)
    resid = (ly - (coef[0] * x + coef[1])) * w
    dof = x.size - 2
    cov = np.linalg.inv(design.T @ design)
    scale = float(resid @ resid / dof) if dof > 0 else float("nan")
    if errors is not None:
        scale = 1.0 if not np.isfinite(scale) else max(scale, 1.0)
    return float(coef[0]), float(np.sqrt(cov[0, 0] * scale))


def _predictions(
    family: str,
    N: np.ndarray,
    k: np.ndarray,
    s: int | None,
    time: float,
    omega0: float,
    coupling: float,
    fixed_fraction: bool,
) -> tuple[dict[str, np.ndarray], dict[str, float]]:
    """Predicted values (asymptotic forms) and exponents; see the module docstring."""
    Nf, kf = N.astype(float), k.astype(float)
    if family == "kbody":
        x = coupling * time
        q2 = np.array([block_sum_squares(int(n), int(kk)) for n, kk in zip(N, k, strict=True)])
        pred = {
            WORK_NSR: (Nf / kf) / x**2,  # E9
            POWER_NSR: (kf / Nf) ** 3 * x**2,  # E10
            NSR_PRODUCT: (kf / Nf) ** 2,  # Eq. 9
            PEAK_POWER: kf * omega0 * coupling,  # E6 at Ω_k t = π/4
            # ⟨W_t⟩/t = kω0Ω0 sin²(Ω_k t)/(Ω_k t), maximal at Ω_k τ* = x* (Eq. 7)
            MAX_AVERAGE_POWER: kf * omega0 * coupling * np.sin(X_STAR) ** 2 / X_STAR,
            # Eq. 8 with tan x* = 2x* (Q₂/N² = k/N when k divides N: remainder block)
            WORK_NSR_AT_TAU: q2 / Nf**2 / (4 * X_STAR**2),
            POWER_NSR_AT_TAU: q2 / Nf**2 * 4 * X_STAR**2,
        }
        if fixed_fraction:
            c = kf / Nf
            pred[WORK_NSR] = c / np.tan(c * x) ** 2  # Eq. 8, exact in N
            pred[POWER_NSR] = c * np.tan(c * x) ** 2
        at_tau = {MAX_AVERAGE_POWER: 0.0, WORK_NSR_AT_TAU: -1.0, POWER_NSR_AT_TAU: -1.0}
        expo = {WORK_NSR: 1.0, POWER_NSR: -3.0, NSR_PRODUCT: -2.0, PEAK_POWER: 0.0}
        if fixed_fraction:
            at_tau = {MAX_AVERAGE_POWER: 1.0, WORK_NSR_AT_TAU: 0.0, POWER_NSR_AT_TAU: 0.0}
            expo = {WORK_NSR: 0.0, POWER_NSR: 0.0, NSR_PRODUCT: 0.0, PEAK_POWER: 1.0}
        return pred, expo | at_tau
    assert s is not None
    L = Nf - s + 1
    if s < 2:
        nan = np.full(N.shape, np.nan)
        return dict.fromkeys(FITTED, nan), dict.fromkeys(FITTED, float("nan"))
    ss = float(s)
    unknown = {name: np.full(N.shape, np.nan) for name in _AT_TAU}
    pred = unknown | {
        WORK_NSR: 4 * L / time**2,
        POWER_NSR: 2 * (ss - 1) * (2 * ss - 1) / (3 * ss * L),
        NSR_PRODUCT: np.full(N.shape, 8 * (ss - 1) * (2 * ss - 1) / (3 * ss * time**2)),
        PEAK_POWER: np.full(N.shape, abs(omega0) * np.sqrt(ss) * ((ss - 1) / ss) ** ((ss - 1) / 2)),
    }
    expo = {WORK_NSR: 1.0, POWER_NSR: -1.0, NSR_PRODUCT: 0.0, PEAK_POWER: 0.0}
    return pred, expo | dict.fromkeys(_AT_TAU, float("nan"))


def scaling(
    family: Family,
    sizes: Sequence[int],
    *,
    k: int | None = None,
    k_fraction: float | None = None,
    s: int | None = None,
    time: float = 1.0,
    omega0: float | None = None,
    coupling: float | None = None,
    engine: str = "auto",
) -> xr.Dataset:
    r"""NSRs, their product and the peak power against N, with fitted exponents (Eq. 8–9).

    Parameters
    ----------
    family : {"kbody", "ising"}
        Model family (:func:`qbattery.models.kbody` or :func:`qbattery.models.ising` in
        the paper's reading).
    sizes : sequence of int, shape (nN,)
        Increasing numbers of cells N (at least two).
    k, k_fraction : int or float
        kbody only, exactly one: a fixed interaction order k, or a fixed k/N (k is then
        round(k_fraction·N), at least 1).
    s : int
        ising only: the string length (2 ≤ s ≤ min(sizes) for predictions).
    time : float
        The time t at which the NSRs are evaluated (App. E's regime is N/k ≫ Ω0t).
    omega0, coupling : float, optional
        ω0 and Ω0 (kbody, defaults 1, 1) or ω0 and Ω (ising, defaults 2, 1).
    engine : str
        ``"auto"`` (the structured engine for these families) or any registered engine.

    Returns
    -------
    xarray.Dataset
        On dimension ``N``: ``work_nsr``, ``power_nsr``, ``nsr_product``, ``work_mean``,
        ``power_mean``, ``work_var``, ``power_var`` at t = ``time``; ``peak_power`` and
        ``peak_power_time``; at the optimal charging time τ* (``average_power_time``,
        found in one period by :func:`qbattery.optimal_charging`) ``max_average_power``,
        ``work_nsr_at_tau`` and ``power_nsr_at_tau``; ``k`` (kbody) or ``s``;
        ``predicted_<name>`` for the seven fitted quantities. Attributes
        ``<name>_exponent`` (fitted) and ``<name>_exponent_predicted``, and the family,
        fixed parameter, time and engine.

    Examples
    --------
    >>> import qbattery as qb
    >>> ds = qb.scaling("kbody", [100, 1000, 10_000], k=2)
    >>> round(ds.attrs["power_nsr_exponent"], 3), ds.attrs["power_nsr_exponent_predicted"]
    (-3.0, -3.0)
    """
    N = _check_sizes(sizes)
    if family not in ("kbody", "ising"):
        raise InvalidInputError(f"`family` must be 'kbody' or 'ising', got {family!r}")
    if family == "kbody":
        if (k is None) == (k_fraction is None) or s is not None:
            raise InvalidInputError(
                "kbody scaling needs exactly one of `k` (fixed k) or `k_fraction` "
                f"(fixed k/N), and no `s`; got k={k!r}, k_fraction={k_fraction!r}, s={s!r}"
            )
        if k_fraction is not None and not 0 < k_fraction <= 1:
            raise InvalidInputError(f"`k_fraction` must be in (0, 1], got {k_fraction!r}")
    elif s is None or k is not None or k_fraction is not None:
        raise InvalidInputError(
            f"ising scaling needs `s` (and no k or k_fraction); got s={s!r}, k={k!r}, "
            f"k_fraction={k_fraction!r}"
        )
    if not np.isfinite(time) or time <= 0:
        raise InvalidInputError(f"`time` must be a positive finite number, got {time!r}")
    rows: dict[str, list[float]] = {
        name: []
        for name in (
            WORK_NSR,
            POWER_NSR,
            NSR_PRODUCT,
            WORK_MEAN,
            POWER_MEAN,
            WORK_VAR,
            POWER_VAR,
            PEAK_POWER,
            PEAK_POWER_TIME,
            MAX_AVERAGE_POWER,
            AVERAGE_POWER_TIME,
            WORK_NSR_AT_TAU,
            POWER_NSR_AT_TAU,
            "order",
        )
    }
    engines = set()
    for n in N:
        bat, extra = _model(
            family, int(n), k=k, k_fraction=k_fraction, s=s, omega0=omega0, coupling=coupling
        )
        eng, _ = get_engine(bat, engine, 1)
        engines.add(eng.name)
        m = eng.moments(np.array([time]))
        wv, pv = statistics.variance(m.work)[0], statistics.variance(m.power)[0]
        wn = statistics.nsr(np.array([wv]), m.work.mean)[0]
        pn = statistics.nsr(np.array([pv]), m.power.mean)[0]
        peak, peak_t = peak_power(eng, _period(bat))
        opt = optimal_charging(bat, (0.0, _period(bat)), engine=eng.name, bounds=False)
        tau = opt.sel({OPTIMUM: OPTIMA[0]})
        for name, value in (
            (WORK_NSR, wn),
            (POWER_NSR, pn),
            (NSR_PRODUCT, wn * pn),
            (WORK_MEAN, m.work.mean[0]),
            (POWER_MEAN, m.power.mean[0]),
            (WORK_VAR, wv),
            (POWER_VAR, pv),
            (PEAK_POWER, peak),
            (PEAK_POWER_TIME, peak_t),
            (MAX_AVERAGE_POWER, opt[MAX_AVERAGE_POWER].values),
            (AVERAGE_POWER_TIME, opt[AVERAGE_POWER_TIME].values),
            (WORK_NSR_AT_TAU, tau[WORK_NSR].values),
            (POWER_NSR_AT_TAU, tau[POWER_NSR].values),
            ("order", extra["order"]),
        ):
            rows[name].append(float(value))
    om = (1.0 if family == "kbody" else 2.0) if omega0 is None else float(omega0)
    co = 1.0 if coupling is None else float(coupling)
    order = np.asarray(rows.pop("order"), dtype=np.int64)
    pred, expo = _predictions(family, N, order, s, time, om, co, k_fraction is not None)
    data: dict[str, tuple[tuple[str, ...], Any, dict[str, Any]]] = {
        name: ((CELLS,), np.asarray(values), {"long_name": FITTED.get(name, name)})
        for name, values in rows.items()
    }
    data[ORDER_K if family == "kbody" else ORDER_S] = ((CELLS,), order, {})
    for name, values in pred.items():
        data[predicted_name(name)] = (
            (CELLS,),
            np.asarray(values, dtype=float),
            {"long_name": f"prediction of {FITTED[name]}"},
        )
    fixed = f"k={k}" if k is not None else f"k/N={k_fraction}" if family == "kbody" else f"s={s}"
    attrs: dict[str, Any] = {
        "family": family,
        "fixed": fixed,
        "time": float(time),
        "omega0": om,
        "coupling": co,
        "engine": ",".join(sorted(engines)),
    }
    for name in FITTED:
        attrs[f"{name}_exponent"] = fit_exponent(N, np.asarray(rows[name]))
        attrs[f"{name}_exponent_predicted"] = expo[name]
    return build_table(data, {CELLS: ((CELLS,), N, {"long_name": "number of cells N"})}, attrs)


def plot_scaling(ds: xr.Dataset, axes: Sequence[Axes] | None = None) -> dict[str, Line2D]:
    """Log–log panels of the seven fitted quantities (markers) and their predictions
    (dashed); returns the drawn lines by name (``"work_nsr"``, ``"predicted_work_nsr"``, …).

    Without ``axes`` a 2 × 4 grid is drawn (the eighth panel is left off).

    Examples
    --------
    >>> import qbattery as qb
    >>> lines = plot_scaling(qb.scaling("kbody", [16, 64, 256], k=4))
    >>> sorted(lines)[:2]
    ['max_average_power', 'nsr_product']
    """
    import matplotlib.pyplot as plt

    if axes is None:
        _, ax_arr = plt.subplots(2, 4, figsize=(14, 6.6), layout="constrained")
        axes = list(ax_arr.flat[: len(FITTED)])
        for spare in ax_arr.flat[len(FITTED) :]:
            spare.set_axis_off()
    if len(axes) != len(FITTED):
        raise InvalidInputError(f"plot_scaling needs {len(FITTED)} axes, got {len(axes)}")
    N = ds[CELLS].values
    lines: dict[str, Line2D] = {}
    for ax, (name, label) in zip(axes, FITTED.items(), strict=True):
        fit = ds.attrs[f"{name}_exponent"]
        (lines[name],) = ax.loglog(
            N, np.abs(ds[name].values), "o", label=f"computed (N^{round(fit, 3) + 0.0:.3f})"
        )
        pred = ds[predicted_name(name)].values
        if np.any(np.isfinite(pred)):
            expo = ds.attrs[f"{name}_exponent_predicted"]
            (lines[predicted_name(name)],) = ax.loglog(
                N, np.abs(pred), "--", label=f"prediction (N^{expo:g})"
            )
        ys = np.abs(np.concatenate([ds[name].values, pred]))
        ys = ys[np.isfinite(ys) & (ys > 0)]
        if ys.size and ys.max() < ys.min() * (1 + 1e-6):  # flat: rounding would set the range
            ax.set_ylim(ys.min() / 3, ys.max() * 3)
        ax.set_xlabel("N")
        ax.set_title(label, fontsize=10)
        ax.legend(fontsize=8)
    axes[0].figure.suptitle(
        f"{ds.attrs['family']} ({ds.attrs['fixed']}), t = {ds.attrs['time']:g}", fontsize=11
    )
    return lines


__all__ = ["fit_exponent", "fit_exponent_error", PEAK_POWER, "plot_scaling", "scaling"]
