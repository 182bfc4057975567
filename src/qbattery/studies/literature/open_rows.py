"""Literature rows on open (Lindblad) charging: Farina et al. (charger-mediated)."""

from __future__ import annotations

import numpy as np
import xarray as xr

import qbattery as qb
from qbattery.engines.open_engine import OpenEngine
from qbattery.ergotropy import ergotropy
from qbattery.studies.literature.common import Check


def farina(quick: bool) -> Check:
    """Two oscillators: the battery's steady energy ω0F²/g² does not depend on κ."""
    kappas = [0.3, 1.0] if quick else [0.1, 0.3, 1.0, 3.0]
    F, g, omega0 = 0.1, 0.5, 1.0
    energy, work = [], []
    for kappa in kappas:
        bat = qb.models.farina(F, g, kappa, omega0, truncation_tol=1e-10)
        rho = OpenEngine(bat).steady_state()
        H0 = bat.dense("H0")
        energy.append(float(np.real(np.trace(H0 @ rho))))
        work.append(float(ergotropy(rho, H0)))
    target = omega0 * F**2 / g**2
    ds = xr.Dataset(
        {"steady_energy": ("kappa", energy), "steady_ergotropy": ("kappa", work)},
        coords={"kappa": kappas},
        attrs={"predicted_energy": target, "F": F, "g": g, "omega0": omega0},
    )
    dev = float(np.max(np.abs(np.asarray(energy) / target - 1)))
    gap = float(np.max(np.abs(np.asarray(work) / np.asarray(energy) - 1)))
    return Check(
        key="farina",
        paper="Farina, Andolina, Mari, Polini, Giovannetti, PRB 99, 035421 (2019)",
        claim="charger-mediated charging of two harmonic oscillators (charger driven by F, "
        "losing photons at rate κ, coupled with g): the battery's steady energy is "
        "ω0F²/g², independent of κ, and all of it is ergotropy (a coherent state)",
        reading=f"models.farina(F={F}, g={g}, κ, ω0={omega0}), Fock cutoff dropping 1e-10 "
        f"of the Poisson weight, steady state of the open engine for κ = {kappas}; "
        "ergotropy of the steady state for H0 = ω0 b†b",
        ours=f"E_∞/(ω0F²/g²) − 1 up to {dev:.1e}; ergotropy/energy − 1 up to {gap:.1e}",
        holds=bool(dev < 1e-7 and gap < 1e-6),
        data=ds,
    )
