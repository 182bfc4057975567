"""The Dataset schema: the only place where result variable names live.

Every engine, :mod:`qbattery.analytic` and the plotting code go through
:data:`VARIABLES` so that names, units and the paper's equation numbers stay in one
place (the :ref:`variables table <variables-table>`). Names are stable: add, don't rename.
"""

from __future__ import annotations

import json
import time as _time
from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from qbattery._version import __version__

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

#: Issue 16, open batteries with counted channels: heat Q = Σ_k ε_k N_k carried away by
#: the counted jumps and the injected work W = ΔE + Q (tilted generator, docs/open.md)
HEAT_MEAN, HEAT_VAR, HEAT_NSR = "heat_mean", "heat_var", "heat_nsr"
INJECTED_WORK_MEAN, INJECTED_WORK_VAR, INJECTED_WORK_NSR = (
    "injected_work_mean",
    "injected_work_var",
    "injected_work_nsr",
)
EXTRA_VARIABLES.update(
    {
        HEAT_MEAN: ("mean heat <Q_t> carried by the counted jumps", "energy", "docs/open.md"),
        HEAT_VAR: ("heat variance (ΔQ_t)^2", "energy^2", "docs/open.md"),
        HEAT_NSR: ("noise-to-signal ratio of the heat", "1", "(4), docs/open.md"),
        INJECTED_WORK_MEAN: ("mean injected work <ΔE_t + Q_t>", "energy", "docs/open.md"),
        INJECTED_WORK_VAR: ("injected-work variance", "energy^2", "docs/open.md"),
        INJECTED_WORK_NSR: ("noise-to-signal ratio of the injected work", "1", "(4)"),
    }
)

#: Issue 16: steady-state (t → ∞) limits of an open battery, stored as Dataset attributes
STEADY_ATTRS: dict[str, str] = {
    "work_angle_inf": "θ^W_∞, the work speed angle as t → ∞ (Eq. 5)",
    "power_angle_inf": "θ^P_∞, the power speed angle as t → ∞ (Eq. 5)",
    "work_nsr_inf": "N^W_∞, the work NSR in the steady state (Eq. 4)",
    "power_nsr_inf": "N^P_∞, the power NSR in the steady state (Eq. 4)",
    "steady_energy": "stored energy <W_∞> = Tr[H0(ρ_ss − ρ0)] of the steady state",
    "steady_ergotropy": "ergotropy of the steady state ρ_ss for H0",
}


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
    """Assemble a result Dataset with the schema of the :ref:`variables table <variables-table>`.

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
    coords = {TIME: time_coordinate(t)}
    return xr.Dataset(variables, coords=coords, attrs=ds_attrs)


def dataset_params(ds: xr.Dataset) -> dict[str, Any]:
    """Return the model parameters recorded in a result Dataset."""
    return dict(json.loads(ds.attrs.get("params", "{}")))


#: Issue 17: average power ⟨W_t⟩/t and the optimal charging time (``qb.optimal_charging``).
#: ⟨W_t⟩ = t·i⟨[H, H0]⟩_ρ0 + O(t²), so at t = 0 the average power is its limit, the
#: initial rate of energy change i⟨[H, H0]⟩_ρ0 (the mean power of ρ0): 0 when ρ0 commutes
#: with H0 (e.g. starts in an eigenstate, the usual ground-state start).
EXTRA_VARIABLES.update(
    {
        "average_power": (
            "average power <W_t>/t (t = 0: its limit, i<[H, H0]> in ρ0)",
            "energy/time",
            "(2); Binder 2015, Campaioli 2017",
        ),
        "average_power_time": (
            "optimal charging time τ* = argmax_t <W_t>/t",
            "1/energy",
            "Binder 2015, Campaioli 2017",
        ),
        "max_average_power": ("maximum average power <W_τ*>/τ*", "energy/time", "(2)"),
        "power_time": ("time of maximum mean power argmax_t <P_t>", "1/energy", "(2), (A6)"),
        "max_power": ("maximum mean power max_t <P_t>", "energy/time", "(2), (A6)"),
    }
)
AVERAGE_POWER = "average_power"
AVERAGE_POWER_TIME, MAX_AVERAGE_POWER = "average_power_time", "max_average_power"
POWER_TIME, MAX_POWER = "power_time", "max_power"
#: dimension of ``qb.optimal_charging``'s variables, and its values (the two optima)
OPTIMUM = "optimum"
OPTIMA: tuple[str, str] = (AVERAGE_POWER, "power")

#: attributes of the ``time`` coordinate of every result Dataset
TIME_ATTRS: dict[str, str] = {"long_name": "time t", "units": "1/energy"}


def time_coordinate(times: Any) -> xr.Variable:
    """The ``time`` coordinate, with its attributes, of a result Dataset.

    Examples
    --------
    >>> t = time_coordinate([0.0, 0.5])
    >>> t.dims, t.attrs["units"]
    (('time',), '1/energy')
    """
    return xr.Variable((TIME,), np.asarray(times), attrs=dict(TIME_ATTRS))


#: per-point variables of a sweep Dataset (``qb.sweep``) beside the results
STATUS, ERROR, ENGINE, NOTES = "status", "error", "engine", "notes"
#: long names of a sweep's per-point variables, in the order they are stored
SWEEP_POINT_VARIABLES: dict[str, str] = {
    ENGINE: "engine that computed the point",
    NOTES: "why some variables are NaN at this point (JSON)",
    ERROR: "error that made the point invalid or failed",
    STATUS: "state of the grid point",
}


#: study tables (gallery, scaling: :mod:`qbattery.studies`): their dimensions and the
#: variables that are not ``charge()`` results
CELLS, SAMPLE, ORDER_K, ORDER_S = "N", "sample", "k", "s"
T_STAR, PEAK_POWER, PEAK_POWER_TIME = "t_star", "peak_power", "peak_power_time"
#: scaling tables: the NSRs at the optimal charging time τ* = argmax ⟨W_t⟩/t
WORK_NSR_AT_TAU, POWER_NSR_AT_TAU = "work_nsr_at_tau", "power_nsr_at_tau"
#: attributes of ``t_star`` (gallery: the time of maximum mean power on the window)
T_STAR_ATTRS: dict[str, str] = {"long_name": "time of maximum mean power t*", "units": "1/energy"}


def predicted_name(name: str) -> str:
    """Name of the prediction of a fitted quantity in a scaling table.

    Examples
    --------
    >>> predicted_name(PEAK_POWER)
    'predicted_peak_power'
    """
    return f"predicted_{name}"


def build_table(
    variables: Mapping[str, tuple[tuple[str, ...], Any, Mapping[str, Any]]],
    coords: Mapping[str, tuple[tuple[str, ...], Any, Mapping[str, Any]]],
    attrs: Mapping[str, Any] | None = None,
) -> xr.Dataset:
    """A study's table (gallery, scaling): each entry is ``(dims, values, attributes)``.

    Examples
    --------
    >>> ds = build_table({PEAK_POWER: ((CELLS,), [1.0, 2.0], {"long_name": "peak"})},
    ...                  {CELLS: ((CELLS,), [4, 8], {})}, {"family": "kbody"})
    >>> ds.peak_power.attrs["long_name"], ds.N.values.tolist(), ds.attrs["family"]
    ('peak', [4, 8], 'kbody')
    """
    return xr.Dataset(
        {
            name: xr.Variable(dims, values, attrs=dict(a))
            for name, (dims, values, a) in variables.items()
        },
        coords={name: (dims, values, dict(a)) for name, (dims, values, a) in coords.items()},
        attrs=dict(attrs or {}),
    )


#: symbols and units of the counting observables (``qb.distribution``,
#: ``qb.generating_function``: the value coordinate and the DataArray names)
OBSERVABLE_SYMBOLS: dict[str, str] = {"work": "W", "power": "P"}
OBSERVABLE_UNITS: dict[str, str] = {"work": "energy", "power": "energy/time"}
VALUE, CHI = "value", "chi"


def distribution_name(observable: str, kind: str = "distribution") -> str:
    """Name of ``qb.distribution``'s (or, ``kind="generating_function"``, Z's) DataArray.

    Examples
    --------
    >>> distribution_name("work"), distribution_name("power", "generating_function")
    ('work_distribution', 'power_generating_function')
    """
    return f"{observable}_{kind}"
