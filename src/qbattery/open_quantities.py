r"""Open batteries (issue 16): heat, injected work, ergotropy over time, steady state.

The moments of ΔE (work and power) come from the open engine's channel Λ_t through
Eq. (A2) applied to system plus environment (:mod:`qbattery.engines.open_engine`) and go
through :func:`qbattery.quantities.quantities` like every closed engine's. This module adds
what only an open battery has (definitions in :doc:`/open`):

* heat Q = Σ_k ε_k N_k carried by the counted jumps and the injected work W = ΔE + Q:
  mean, variance and NSR (Eq. 4) from the tilted generator;
* the ergotropy of ρ_t, whose passive energy changes in time under dissipation;
* the t → ∞ limits: θ_∞, N_∞ (Eq. 4 with the steady-state moments), and the stored
  energy and ergotropy of the steady state.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from qbattery import statistics
from qbattery._dataset import (
    CHARGING_EFFICIENCY,
    ERGOTROPY,
    HEAT_MEAN,
    HEAT_NSR,
    HEAT_VAR,
    INJECTED_WORK_MEAN,
    INJECTED_WORK_NSR,
    INJECTED_WORK_VAR,
    PASSIVE_ENERGY,
    STEADY_ATTRS,
)
from qbattery.ergotropy import passive_energies, passive_energy
from qbattery.errors import EngineError
from qbattery.moments import OBSERVABLES

__all__ = ["heat_variables", "open_ergotropy_variables", "steady_attributes"]


def heat_variables(eng: Any, times: np.ndarray) -> dict[str, np.ndarray]:
    """Heat and injected-work mean, variance and NSR (Eq. 4) at ``times``.

    ``eng`` is an :class:`~qbattery.engines.OpenEngine` with counted channels.

    Examples
    --------
    A qubit decaying from |e⟩ at rate γ = 1 with the emitted quanta counted (ε = 1): one
    quantum leaves with probability 1 − e^{−t}, so ⟨Q⟩ = 1 − e^{−t} and the injected work
    ΔE + Q is exactly zero.

    >>> import numpy as np, qbattery as qb
    >>> sm = np.array([[0.0, 1.0], [0.0, 0.0]])
    >>> bat = qb.Battery(np.diag([-0.5, 0.5]), np.zeros((2, 2)), np.array([0.0, 1.0]),
    ...                  jumps=[sm], counted={0: 1.0})
    >>> out = heat_variables(qb.engines.OpenEngine(bat), np.array([0.5, 1.0]))
    >>> bool(np.allclose(out["heat_mean"], 1 - np.exp(-np.array([0.5, 1.0])), rtol=1e-10))
    True
    >>> bool(np.allclose(out["injected_work_var"], 0.0, atol=1e-12))
    True
    """
    raw = eng.heat_moments(times)
    out: dict[str, np.ndarray] = {}
    for key, (mean_name, var_name, nsr_name) in {
        "heat": (HEAT_MEAN, HEAT_VAR, HEAT_NSR),
        "injected_work": (INJECTED_WORK_MEAN, INJECTED_WORK_VAR, INJECTED_WORK_NSR),
    }.items():
        mean = raw[f"{key}_mean"]
        var = raw[f"{key}_second"] - mean**2
        out[mean_name] = mean
        out[var_name] = var
        out[nsr_name] = statistics.nsr(var, mean)
    return out


def open_ergotropy_variables(
    levels: np.ndarray, populations: np.ndarray, energy: np.ndarray, stored: np.ndarray
) -> dict[str, np.ndarray]:
    """``ergotropy``, ``passive_energy`` and ``charging_efficiency`` from ρ_t's spectrum.

    Under dissipation the spectrum of ρ_t changes, so the passive energy is recomputed at
    every time: 𝓔_t = Tr(ρ_tH0) − Σ r_k↓(t) ε_k↑.

    Parameters
    ----------
    levels : ndarray, shape (d,)
        Eigenvalues of H0.
    populations : ndarray, shape (nt, d)
        Eigenvalues r_k(t) of ρ_t.
    energy : ndarray, shape (nt,)
        Tr(ρ_tH0).
    stored : ndarray, shape (nt,)
        The stored energy ⟨𝒲_t⟩ (the efficiency's denominator).

    Examples
    --------
    A qubit (levels ∓1/2) with populations (0.2, 0.8) in its excited state holds
    ergotropy 0.8 − 0.2 = 0.6:

    >>> out = open_ergotropy_variables(np.array([-0.5, 0.5]), np.array([[0.2, 0.8]]),
    ...                                np.array([0.3]), np.array([0.8]))
    >>> round(float(out["ergotropy"][0]), 12), sorted(out)
    (0.6, ['charging_efficiency', 'ergotropy', 'passive_energy'])
    """
    passive = passive_energies(populations, levels)
    ergo = np.asarray(energy, dtype=float) - passive
    with np.errstate(divide="ignore", invalid="ignore"):
        eff = ergo / stored
    return {ERGOTROPY: ergo, PASSIVE_ENERGY: passive, CHARGING_EFFICIENCY: eff}


def ergotropy_over_time(
    eng: Any, times: np.ndarray, stored: np.ndarray, notes: dict[str, str]
) -> dict[str, np.ndarray]:
    """:func:`open_ergotropy_variables` from an open engine's spectra; NaN with the reason
    in ``notes`` where the engine cannot form them (:class:`~qbattery.EngineError`).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> notes = {}
    >>> eng = qb.engines.OpenBlocksEngine(qb.models.kbody(20, 2, decay=0.1))
    >>> out = ergotropy_over_time(eng, np.array([1.0]), np.array([0.5]), notes)
    >>> bool(np.isnan(out["ergotropy"][0])), notes["ergotropy"][:37]
    (True, 'the ergotropy needs the spectrum of ρ')
    """
    energy = eng.initial_energy() + np.asarray(stored, dtype=float)
    try:
        levels, populations = eng.energy_levels(), eng.populations(times)
    except EngineError as err:
        nan = np.full(np.asarray(times).size, np.nan)
        for name in (ERGOTROPY, PASSIVE_ENERGY, CHARGING_EFFICIENCY):
            notes[name] = str(err)
        return {ERGOTROPY: nan, PASSIVE_ENERGY: nan, CHARGING_EFFICIENCY: nan}
    return open_ergotropy_variables(levels, populations, energy, stored)


def steady_attributes(eng: Any, notes: dict[str, str]) -> dict[str, float]:
    """θ_∞, N_∞ (work and power), stored energy and ergotropy of the steady state.

    ``eng`` is an open engine (:class:`~qbattery.engines.OpenEngine` or
    :class:`~qbattery.engines.OpenBlocksEngine`). The steady moments are those of
    Λ_∞(X) = ρ_ss Tr X (a unique steady state): mean = ⟨O_0⟩_ss − ⟨O_0⟩_0,
    variance = Var_ss(O_0) + Var_0(O_0). A limit that cannot be computed is NaN with the
    reason in ``notes``.

    Examples
    --------
    Resonance fluorescence (Ω = 1, γ = 1) from the ground state: the excited population
    of the steady state is (Ω²/4)/(Ω²/2 + γ²/4) = 1/3, so ⟨W_∞⟩ = 1/3.

    >>> import numpy as np, qbattery as qb
    >>> bat = qb.models.single_qubit(omega0=1.0, Omega0=0.5, decay=1.0)
    >>> out = steady_attributes(qb.engines.OpenEngine(bat), {})
    >>> round(out["steady_energy"], 10)
    0.3333333333
    """
    names = list(STEADY_ATTRS)
    out: dict[str, float] = dict.fromkeys(names, float("nan"))
    try:
        work = eng.steady_moments("work")
    except (np.linalg.LinAlgError, RuntimeError) as err:  # singular 𝓛: no unique ρ_ss
        for name in names:
            notes[name] = f"no unique steady state: {err}"
        return out
    energy = eng.initial_energy() + float(work.mean[0])
    out["steady_energy"] = float(work.mean[0])
    try:
        passive = passive_energy(eng.steady_populations(), eng.energy_levels())
        out["steady_ergotropy"] = energy - passive
    except EngineError as err:  # ρ_ss exists, but its spectrum is too large to form
        notes["steady_ergotropy"] = str(err)
    for which in OBSERVABLES:
        m = work if which == "work" else eng.steady_moments(which)
        var = statistics.variance(m)
        out[f"{which}_nsr_inf"] = float(statistics.nsr(var, m.mean)[0])
        out[f"{which}_angle_inf"] = float(eng.steady_angle(which))
        why = eng.notes.get(f"{which}_angle_inf")
        if why:
            notes[f"{which}_angle_inf"] = why
    return out
