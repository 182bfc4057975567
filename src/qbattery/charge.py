"""``qb.charge``: convert → check → resolve engine → Moments → physics → Dataset."""

from __future__ import annotations

import time as _time
import weakref
from typing import Any

import numpy as np
import xarray as xr

from qbattery import _checks, bounds, statistics
from qbattery import distribution as _fcs
from qbattery import ergotropy as _ergotropy
from qbattery._dataset import build_dataset
from qbattery._typing import TimesLike
from qbattery.battery import Battery
from qbattery.engines import resolve
from qbattery.engines.base import OBSERVABLES, Engine, Moments
from qbattery.errors import InvalidInputError

#: engines prepared for a battery (eigendecompositions etc.), reused across calls
_ENGINE_CACHE: weakref.WeakKeyDictionary[Battery, dict[str, Engine]] = weakref.WeakKeyDictionary()


def get_engine(battery: Battery, engine: str = "auto", ntimes: int = 1) -> tuple[Engine, str]:
    """The prepared engine instance for ``battery`` (cached per battery) and the reason."""
    cls, reason = resolve(battery, engine, ntimes)
    per_battery = _ENGINE_CACHE.setdefault(battery, {})
    if cls.name not in per_battery:
        per_battery.clear()  # keep at most one prepared engine per battery
        per_battery[cls.name] = cls(battery)
    return per_battery[cls.name], reason


def physics(moments: Moments, angles: dict[str, np.ndarray | None]) -> dict[str, np.ndarray]:
    """All SPEC §5 variables (and extras) from raw moments and speed angles."""
    out: dict[str, np.ndarray] = {}
    nt = moments.times.size
    for which in OBSERVABLES:
        m = moments.observable(which)
        var = statistics.variance(m)
        out[f"{which}_mean"] = m.mean
        out[f"{which}_var"] = var
        out[f"{which}_nsr"] = statistics.nsr(var, m.mean)
        f = bounds.correlation_term(m)
        out[f"{which}_f"] = f
        angle = angles.get(which)
        if angle is None:
            out[f"{which}_angle"] = np.full(nt, np.nan)
            out[f"{which}_bound"] = np.full(nt, np.nan)
        else:
            out[f"{which}_angle"] = angle
            out[f"{which}_bound"] = bounds.nsr_bound(angle, f)
    out["nsr_product"] = out["work_nsr"] * out["power_nsr"]
    out["tradeoff_bound"] = bounds.tradeoff_bound(
        moments.work.mean, moments.power.mean, moments.cross
    )
    out["tradeoff_sum_bound"] = bounds.tradeoff_sum_bound(out["tradeoff_bound"])
    out["fidelity"] = moments.fidelity
    return out


def charge(
    battery: Battery,
    times: TimesLike,
    engine: str = "auto",
    *,
    bounds: bool = True,
    fisher: bool = False,
    cumulants: int = 0,
    ergotropy: bool = True,
    progress: bool | None = None,
) -> xr.Dataset:
    r"""Reliability of charging ``battery``: the 13 quantities of SPEC §5 over ``times``.

    Work W_0 = H0 and power P_0 = −i[H0, HC] are counting observables; means and
    variances follow from full counting statistics (Eq. 2–3), NSRs from Eq. (4),
    the lower bounds cot²θ_t − f from Eq. (5)/(B8) and the trade-off bound from Eq. (6).

    Parameters
    ----------
    battery : Battery
        E.g. ``qb.models.kbody(12, 3)`` or ``qb.Battery(H0, HC, psi0)``.
    times : array_like, shape (nt,)
        Finite, non-negative, strictly increasing times; t = 0 is allowed.
    engine : {"auto", "dense", ...}
        ``"auto"`` picks the fastest exact engine that fits in memory.
    bounds : bool
        Compute the Fisher-information angles and bounds (Eq. 5). Without them the
        angle and bound variables are NaN with a note.
    fisher : bool
        Also store the Fisher information I_t at ``times`` (``work_fisher``,
        ``power_fisher``).
    cumulants : int
        Also store the first ``cumulants`` (≤ 8) cumulants of the work and power
        (quasi-)distributions of Eq. (A2) (``work_cumulant_n``, ``power_cumulant_n``) and,
        from 3 and 4 on, ``*_skewness`` and ``*_kurtosis`` (see :mod:`qbattery.distribution`).
    ergotropy : bool
        Store ``ergotropy``, ``passive_energy`` and ``charging_efficiency`` (and
        ``battery_ergotropy``, ``battery_efficiency`` for charger models; see
        :mod:`qbattery.ergotropy`).
    progress : bool or None
        Progress bars for long engine loops on a terminal (standard error): ``None``
        shows one once a loop has run for a few seconds, ``True`` at once, ``False``
        never. Nothing is printed when standard error is not a terminal.

    Returns
    -------
    xarray.Dataset
        Variables on dimension ``time`` with ``long_name``, ``units`` and ``eq``
        attributes; attributes record the model, its parameters, the engine, the reason
        it was chosen, the qbattery version and the wall time.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> ds = qb.charge(qb.models.single_qubit(), np.linspace(0.1, 0.7, 4))
    >>> bool(np.allclose(ds.work_nsr, 1 / np.tan(ds.time) ** 2))
    True
    """
    started = _time.perf_counter()
    if not isinstance(battery, Battery):
        raise InvalidInputError(
            f"`battery` must be a qbattery.Battery, got {type(battery).__name__}; "
            "build one with qb.Battery(H0, HC, state) or qb.models.*"
        )
    t = _checks.check_times(times)
    _checks.check_time_window(battery.structure, t)
    eng, reason = get_engine(battery, engine, t.size)
    eng.progress = progress
    moments = eng.moments(t)
    notes = dict(moments.notes)
    angles: dict[str, np.ndarray | None] = {}
    extra: dict[str, np.ndarray] = {}
    for which in OBSERVABLES:
        if not bounds:
            angles[which] = None
            notes[f"{which}_angle"] = notes[f"{which}_bound"] = "not requested (bounds=False)"
            continue
        angles[which] = eng.angle(t, which)
        if angles[which] is None:
            why = eng.notes.get(f"{which}_fisher", f"engine {eng.name!r} has no Fisher information")
            notes[f"{which}_angle"] = notes[f"{which}_bound"] = why
        elif fisher:
            values = eng.fisher(t, which)
            if values is not None:
                extra[f"{which}_fisher"] = values
    data = physics(moments, angles)
    data.update(extra)
    if cumulants:
        data.update(_fcs.cumulant_variables(eng, moments, _fcs.check_order(cumulants), notes))
    if ergotropy:
        data.update(_ergotropy.ergotropy_variables(battery, eng, moments, notes))
    attrs: dict[str, Any] = {"engine_reason": reason}
    return build_dataset(
        t,
        data,
        model=battery.name,
        params=dict(battery.params),
        engine=eng.name,
        notes=notes,
        attrs=attrs,
        started=started,
    )
