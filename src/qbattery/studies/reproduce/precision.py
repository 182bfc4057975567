"""How precisely ``qbattery reproduce`` compares: condition numbers, relative errors,
and the formatting helpers shared by the check and claim rows."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xarray as xr

from qbattery._dataset import (
    NSR_PRODUCT,
    POWER_BOUND,
    TIME,
    TRADEOFF_BOUND,
    VARIABLES,
    WORK_BOUND,
    var_name,
)
from qbattery.studies.reproduce.settings import BOUND_FLOOR, COND_MAX, FLOOR


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
    out = {name: np.ones(ds.sizes[TIME]) for name in VARIABLES}
    total = np.zeros(ds.sizes[TIME])
    for which in ("work", "power"):
        mean = ds[var_name(which, "mean")].values
        kappa = _mean_cond(mean)
        c = _var_cond(mean, ds[var_name(which, "var")].values)
        out[var_name(which, "var")] = c
        out[var_name(which, "nsr")] = c + 2 * kappa
        total = total + c + 2 * kappa
        bound = ds[var_name(which, "bound")].values
        f = ds[var_name(which, "f")].values if var_name(which, "f") in ds else np.zeros_like(bound)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[var_name(which, "bound")] = (
                np.abs(bound + f) + np.abs(f) * (c + 2 * kappa) + kappa**2
            ) / np.maximum(np.abs(bound), FLOOR)
    out[NSR_PRODUCT] = out[TRADEOFF_BOUND] = total
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
    t = closed[TIME].values
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
        floor = BOUND_FLOOR if name in (WORK_BOUND, POWER_BOUND) else FLOOR * scale
        e = np.abs(u[good] - w[good]) / np.maximum(np.abs(w[good]), floor)
        i = int(np.argmax(e))
        if e[i] > err or not worst:
            err, worst = float(e[i]), f"{name} at t = {t[good][i]:.4g}"
    return Comparison(err, worst, compared, skipped)


def fmt_number(x: float) -> str:
    """A number for the table: 3 significant digits, scientific below 1e-3."""
    return f"{x:.3g}" if (np.isfinite(x) and abs(x) >= 1e-3) or x == 0 else f"{x:.2e}"


def window_text(lo: float, hi: float, *, closed_left: bool = False) -> str:
    """A time window ``(lo, hi]`` (or ``[lo, hi]``) for the table."""
    return f"{'[' if closed_left else '('}{lo:.4g}, {hi:.4g}]"


def run_label(ds: xr.Dataset) -> str:
    """``kbody(N=.., k=..)``, ``ising(N=.., s=..)`` or the model name of a run."""
    model = ds.attrs.get("model", "?")
    if model == "kbody":
        return f"kbody(N={ds.attrs.get('param_N')}, k={ds.attrs.get('param_k')})"
    if model == "ising":
        return f"ising(N={ds.attrs.get('param_N')}, s={ds.attrs.get('param_s')})"
    return str(model)


def each_value(ds: xr.Dataset, dim: str) -> list[tuple[int, xr.Dataset]]:
    """The runs of a stacked Dataset, one per value of ``dim``, with ``param_<dim>`` set."""
    out = []
    for value in ds[dim].values.tolist():
        one = ds.sel({dim: value})
        one.attrs = {**ds.attrs, "param_" + dim: value}
        out.append((int(value), one))
    return out


def rel_gap(value: np.ndarray, target: np.ndarray) -> np.ndarray:
    """|value − target| / max(|target|, FLOOR)."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.abs(value - target) / np.maximum(np.abs(target), FLOOR))
