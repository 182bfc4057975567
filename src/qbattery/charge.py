"""``qb.charge``: convert → check → resolve engine → Moments → physics → Dataset."""

from __future__ import annotations

import time as _time
from typing import Any

import numpy as np
import xarray as xr

from qbattery import _checks
from qbattery import distribution as _fcs
from qbattery import ergotropy as _ergotropy
from qbattery import open_quantities as _open
from qbattery._dataset import build_dataset, var_name
from qbattery._typing import TimesLike
from qbattery.battery import Battery, check_battery, within_window
from qbattery.engines import get_engine
from qbattery.engines.cache import ENGINE_CACHE
from qbattery.moments import OBSERVABLES
from qbattery.quantities import quantities

#: ``charge.physics`` before the restructuring (issue 11): the step is now
#: :func:`qbattery.quantities.quantities`
physics = quantities

#: transitional alias until ``qbattery.sweep`` calls ``qb.clear_engine_cache`` (issue 11)
_ENGINE_CACHE = ENGINE_CACHE

__all__ = ["charge", "get_engine", "physics"]


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
    power: str = "drive",
) -> xr.Dataset:
    r"""Reliability of charging ``battery``: the 13 :ref:`variables <variables-table>` at ``times``.

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
    power : {"drive", "net"}
        Open batteries only (:doc:`/open`): the power observable P_0 = −i[H0, HC]
        (``"drive"``, the default) or 𝓛†(H0) (``"net"``). An open battery's Dataset
        also has the heat and injected-work statistics of its counted channels, the
        ergotropy of ρ_t, and the steady-state limits as attributes (``work_angle_inf``,
        ``work_nsr_inf``, ``steady_energy``, ``steady_ergotropy``, ...).

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
    bounds = _checks.check_flag("bounds", bounds)
    fisher = _checks.check_flag("fisher", fisher)
    ergotropy = _checks.check_flag("ergotropy", ergotropy)
    if progress is not None:
        progress = _checks.check_flag("progress", progress)
    battery = check_battery(battery)
    t = _checks.check_times(times)
    battery = within_window(battery, t)
    power_kind = _checks.check_power(power, battery.is_open)
    eng, reason = get_engine(battery, engine, t.size)
    if power_kind != "drive":  # a second open engine with P_0 = 𝓛†(H0), not cached
        eng = type(eng)(battery, power=power_kind)  # type: ignore[call-arg]
    eng.progress = progress
    moments = eng.moments(t)
    notes = dict(moments.notes)
    angles: dict[str, np.ndarray | None] = {}
    extra: dict[str, np.ndarray] = {}
    for which in OBSERVABLES:
        angle, bound = var_name(which, "angle"), var_name(which, "bound")
        if not bounds:
            angles[which] = None
            notes[angle] = notes[bound] = "not requested (bounds=False)"
            continue
        angles[which] = eng.angle(t, which)
        if angles[which] is None:
            why = eng.notes.get(
                var_name(which, "fisher"), f"engine {eng.name!r} has no Fisher information"
            )
            notes[angle] = notes[bound] = why
        elif fisher:
            values = eng.fisher(t, which)
            if values is not None:
                extra[var_name(which, "fisher")] = values
    data = quantities(moments, angles)
    data.update(extra)
    if cumulants:
        data.update(_fcs.cumulant_variables(eng, moments, _fcs.check_order(cumulants), notes))
    attrs: dict[str, Any] = {"engine_reason": reason}
    if battery.is_open:
        attrs["power_observable"] = power_kind
        if battery.counted:
            data.update(_open.heat_variables(eng, t))
        if ergotropy:
            data.update(_open.ergotropy_over_time(eng, t, moments.work.mean, notes))
        if bounds:
            attrs.update(_open.steady_attributes(eng, notes))
    elif ergotropy:
        data.update(_ergotropy.ergotropy_variables(battery, eng, moments, notes))
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
