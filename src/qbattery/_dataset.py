"""The Dataset schema: the only place where result variable names live.

Every engine, :mod:`qbattery.analytic` and the plotting code go through
:data:`VARIABLES` so that names, units and the paper's equation numbers stay in one
place (SPEC §5). Names are stable: add, don't rename.
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

#: name -> (long_name, units, paper equation)
VARIABLES: dict[str, tuple[str, str, str]] = {
    "work_mean": ("mean work <W_t>", "energy", "(2), (A5)"),
    "work_var": ("work variance (ΔW_t)^2", "energy^2", "(3), (A5)"),
    "work_nsr": ("noise-to-signal ratio of work N^W_t", "1", "(4)"),
    "power_mean": ("mean power <P_t>", "energy/time", "(2), (A6)"),
    "power_var": ("power variance (ΔP_t)^2", "(energy/time)^2", "(3), (A6)"),
    "power_nsr": ("noise-to-signal ratio of power N^P_t", "1", "(4)"),
    "nsr_product": ("product of NSRs N^W_t N^P_t", "1", "(6), (9)"),
    "tradeoff_bound": ("Schrödinger-Robertson lower bound on N^W_t N^P_t", "1", "(6), (C1)"),
    "work_angle": ("work speed angle θ^W_t = ∫ sqrt(I^W)/2 dt", "rad", "(5), (B4)"),
    "power_angle": ("power speed angle θ^P_t = ∫ sqrt(I^P)/2 dt", "rad", "(5), (B4)"),
    "work_bound": ("lower bound on N^W_t: cot²θ^W_t − f(W_0, W_t)", "1", "(5), (B8)"),
    "power_bound": ("lower bound on N^P_t: cot²θ^P_t − f(P_0, P_t)", "1", "(5), (B8)"),
    "fidelity": ("fidelity F_t = |<ψ_0|ψ_t>|^2 (squared, Uhlmann)", "1", "Fig. 3"),
}

#: Optional variables that engines may add (same metadata convention).
EXTRA_VARIABLES: dict[str, tuple[str, str, str]] = {
    "work_fisher": ("classical Fisher information of W_0 eigenspaces I^W_t", "1/time^2", "(B5)"),
    "power_fisher": ("classical Fisher information of P_0 eigenspaces I^P_t", "1/time^2", "(B5)"),
    "work_f": ("correlation term f(W_0, W_t)", "1", "(B8)"),
    "tradeoff_sum_bound": (
        "sum-form bound on N^W_t + N^P_t: 2 sqrt(Eq. 6 bound)",
        "1",
        "Sec. III.B",
    ),
    "power_f": ("correlation term f(P_0, P_t)", "1", "(B8)"),
}

#: highest cumulant order ``qb.charge(..., cumulants=n)`` accepts (issue 6)
MAX_CUMULANTS = 8


def _beyond_variables() -> dict[str, tuple[str, str, str]]:
    """Issue 6: cumulants of the work/power (quasi-)distributions and ergotropy."""
    out: dict[str, tuple[str, str, str]] = {}
    for which, sym, unit in (("work", "W", "energy"), ("power", "P", "energy/time")):
        for n in range(1, MAX_CUMULANTS + 1):
            out[f"{which}_cumulant_{n}"] = (
                f"cumulant κ_{n} of the {which} (quasi-)distribution of {sym}_t − {sym}_0",
                unit if n == 1 else f"({unit})^{n}",
                "(A2)",
            )
        out[f"{which}_skewness"] = (f"skewness κ_3/κ_2^(3/2) of {which}", "1", "(A2)")
        out[f"{which}_kurtosis"] = (f"excess kurtosis κ_4/κ_2^2 of {which}", "1", "(A2)")
    ergo = "Allahverdyan, Balian, Nieuwenhuizen, EPL 67, 565 (2004)"
    out["ergotropy"] = ("ergotropy of ρ_t for H0: <H0>_t − E_passive", "energy", ergo)
    out["passive_energy"] = ("energy of the passive state of ρ_t (constant in t)", "energy", ergo)
    out["charging_efficiency"] = ("ergotropy / stored energy <W_t>", "1", ergo)
    out["battery_ergotropy"] = ("ergotropy of the battery's reduced state", "energy", ergo)
    out["battery_efficiency"] = ("battery ergotropy / stored energy <W_t>", "1", ergo)
    return out


EXTRA_VARIABLES.update(_beyond_variables())


#: Constants for the names above, so that no other module spells a variable's name.
WORK_MEAN, WORK_VAR, WORK_NSR = "work_mean", "work_var", "work_nsr"
POWER_MEAN, POWER_VAR, POWER_NSR = "power_mean", "power_var", "power_nsr"
NSR_PRODUCT, TRADEOFF_BOUND, TRADEOFF_SUM_BOUND = (
    "nsr_product",
    "tradeoff_bound",
    "tradeoff_sum_bound",
)
WORK_ANGLE, POWER_ANGLE = "work_angle", "power_angle"
WORK_BOUND, POWER_BOUND = "work_bound", "power_bound"
WORK_FISHER, POWER_FISHER = "work_fisher", "power_fisher"
WORK_F, POWER_F = "work_f", "power_f"
FIDELITY = "fidelity"
ERGOTROPY, PASSIVE_ENERGY, CHARGING_EFFICIENCY = (
    "ergotropy",
    "passive_energy",
    "charging_efficiency",
)
BATTERY_ERGOTROPY, BATTERY_EFFICIENCY = "battery_ergotropy", "battery_efficiency"
TIME = "time"


def var_name(observable: str, quantity: str) -> str:
    """Name of ``quantity`` of ``observable`` ("work" or "power"), checked against the schema.

    Examples
    --------
    >>> var_name("power", "nsr"), var_name("work", "cumulant_3")
    ('power_nsr', 'work_cumulant_3')
    """
    name = f"{observable}_{quantity}"
    if name not in VARIABLES and name not in EXTRA_VARIABLES:
        raise KeyError(f"unknown result variable {name!r}; known: {sorted(VARIABLES)}")
    return name


def variable_attrs(name: str) -> dict[str, str]:
    """Return the ``long_name``, ``units`` and ``eq`` attributes of a variable."""
    meta = VARIABLES.get(name) or EXTRA_VARIABLES.get(name)
    if meta is None:
        raise KeyError(f"unknown result variable {name!r}; known: {sorted(VARIABLES)}")
    long_name, units, eq = meta
    return {"long_name": long_name, "units": units, "eq": eq}


def _attr_value(value: Any) -> Any:
    """Turn a parameter value into something NetCDF can store as an attribute."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, (int, float, str, np.integer, np.floating)):
        return value
    return json.dumps(value, default=str)


def build_dataset(
    times: np.ndarray,
    data: Mapping[str, np.ndarray],
    *,
    model: str,
    params: Mapping[str, Any],
    engine: str,
    notes: Mapping[str, str] | None = None,
    attrs: Mapping[str, Any] | None = None,
    started: float | None = None,
) -> xr.Dataset:
    """Assemble a result Dataset with the schema of SPEC §5.

    Parameters
    ----------
    times : ndarray, shape (nt,)
        The times (coordinate ``time``).
    data : mapping of name -> ndarray, shape (nt,)
        Values of the variables; every name of :data:`VARIABLES` must be present.
    model, params, engine : str, mapping, str
        Recorded as attributes (parameters also as ``param_<name>``).
    notes : mapping of variable -> reason, optional
        Why a variable is NaN (stored as that variable's ``note`` attribute and in
        the Dataset's ``notes`` attribute).
    """
    from qbattery import __version__

    missing = [name for name in VARIABLES if name not in data]
    if missing:
        raise KeyError(f"result is missing variables {missing}")
    notes = dict(notes or {})
    t = np.asarray(times, dtype=float)
    variables = {}
    for name, values in data.items():
        arr = np.asarray(values, dtype=float)
        var = xr.Variable(("time",), arr, attrs=variable_attrs(name))
        if name in notes:
            var.attrs["note"] = notes[name]
        variables[name] = var
    ds_attrs: dict[str, Any] = {
        "model": model,
        "engine": engine,
        "qbattery_version": __version__,
        "params": json.dumps(dict(params), default=str, sort_keys=True),
    }
    for key, value in params.items():
        ds_attrs[f"param_{key}"] = _attr_value(value)
    if notes:
        ds_attrs["notes"] = json.dumps(notes, sort_keys=True)
    if attrs:
        ds_attrs.update({k: _attr_value(v) for k, v in attrs.items()})
    if started is not None:
        ds_attrs["wall_time_s"] = float(_time.perf_counter() - started)
    coords = {"time": xr.Variable(("time",), t, attrs={"long_name": "time t", "units": "1/energy"})}
    return xr.Dataset(variables, coords=coords, attrs=ds_attrs)


def dataset_params(ds: xr.Dataset) -> dict[str, Any]:
    """Return the model parameters recorded in a result Dataset."""
    return dict(json.loads(ds.attrs.get("params", "{}")))
