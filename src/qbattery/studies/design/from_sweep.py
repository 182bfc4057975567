"""Designs of families without a closed form: the best point of a sweep's grid."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from qbattery._dataset import (
    AVERAGE_POWER,
    ERROR,
    POWER_MEAN,
    POWER_NSR,
    STATUS,
    TIME,
    WORK_MEAN,
    WORK_NSR,
)
from qbattery.errors import InvalidInputError, QBatteryError
from qbattery.statistics import average_power
from qbattery.studies.design.result import (
    FAMILY_PARAMETER,
    TABLE_VARIABLES,
    Design,
    feasible_mask,
    with_best,
)

if TYPE_CHECKING:
    from distributed import Client


def design_sweep(
    family: str,
    N: int,
    vals: np.ndarray,
    targets: dict[str, float | None],
    params: dict[str, Any],
    times: Any,
    client: Client | str | None,
    store: str | None,
    engine: str,
    objective: str = POWER_MEAN,
) -> Design:
    """The best grid point of a sweep of ``family`` over ``vals`` (:func:`qbattery.sweep`)."""
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
    failed = ds[STATUS] != DONE
    if bool(failed.any()):
        errors = {
            int(v): str(e) for v, e in zip(ds[parameter].values, ds[ERROR].values, strict=True) if e
        }
        raise QBatteryError(f"the design sweep failed at {parameter} = {errors}")
    present = [name for name in TABLE_VARIABLES if name in ds]
    table = ds[present].drop_attrs()
    if AVERAGE_POWER not in table:  # sweeps store ⟨𝒲_t⟩; ⟨𝒲_t⟩/t is derived here
        work = table[WORK_MEAN].transpose(..., TIME)
        table[AVERAGE_POWER] = work.copy(data=average_power(work.values, work[TIME].values))
    ok = feasible_mask(table, targets, objective)
    power = table[objective].where(ok)
    feasible = bool(ok.any())
    fom = dict.fromkeys((POWER_MEAN, POWER_NSR, WORK_MEAN, WORK_NSR, AVERAGE_POWER), math.nan)
    chosen: int | None = None
    t_best = math.nan
    if feasible:
        flat = int(np.nanargmax(power.values))
        i, j = np.unravel_index(flat, power.shape)
        chosen = int(table[parameter].values[i])
        t_best = float(table[TIME].values[j])
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
        power_mean=fom[POWER_MEAN],
        power_nsr=fom[POWER_NSR],
        work_mean=fom[WORK_MEAN],
        work_nsr=fom[WORK_NSR],
        average_power=fom[AVERAGE_POWER],
        objective=objective,
    )
    return with_best(result)
