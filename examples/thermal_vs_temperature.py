"""Charging from a thermal state: power, reliability and ergotropy against temperature.

Run:  .venv/bin/python examples/thermal_vs_temperature.py [OUT_DIR]

Two batteries start from the Gibbs state of their battery Hamiltonian at temperature T
(qb.thermal): a hybrid k-body battery (N = 6, k = 2, Eq. 7) and a Tavis–Cummings
photonic battery (4 cells in a cavity holding 4 photons; only the cells are thermal).
For each T the script finds the time t* of maximum mean power and prints, at t*, the
power, its NSR and Eq. (5) bound, the work NSR, the ergotropy and the charging
efficiency. It writes a figure and the data (NetCDF) to OUT_DIR (default
results/thermal).

What to look for: a thermal k-body battery stores tanh(ω0/2T) times the energy of the
T = 0 battery (tests/test_thermal.py checks this closed form), so the mean power falls
with T while the power NSR grows (1/3 at T = 0, 21.6 at T = 4). For the cavity battery
the third panel shows the cells' own ergotropy (battery_ergotropy, passive state over
all 2^N cell states) at t = 0 and at t*, and the stored energy at t*. The thermal cell
state is the Gibbs state within the symmetric (collective-spin) sector the model keeps,
which is not passive for unitaries that leave that sector: at T > 0 the cells start with
some ergotropy (0.82 at T = 4), so ergotropy / stored energy can exceed 1.
"""

from __future__ import annotations

import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import numpy as np
import xarray as xr

import qbattery as qb
from qbattery.studies.gallery import time_of_max_power

TEMPERATURES = np.array([0.0, 0.25, 0.5, 1.0, 2.0, 4.0])
COLUMNS = ("power_mean", "power_nsr", "power_bound", "work_nsr", "ergotropy")


def scan(base: qb.Battery, window: float, extra: tuple[str, ...] = ()) -> xr.Dataset:
    """Quantities at the time of maximum power, one row per temperature."""
    rows = []
    for T in TEMPERATURES:
        bat = qb.thermal(base, T)
        t_star = time_of_max_power(bat, window)
        both = qb.charge(bat, [0.0, t_star])
        ds = both.isel(time=1)[list(COLUMNS + extra)].assign(t_star=t_star)
        for name in extra:
            ds[f"{name}_at_0"] = both[name].isel(time=0)
        rows.append(ds.drop_vars("time"))
    out = xr.concat(rows, dim="temperature")
    out = out.assign_coords(temperature=("temperature", TEMPERATURES, {"units": "energy"}))
    out.attrs.update(model=base.name, params=str(dict(base.params)))
    return out


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    kbody = scan(qb.models.kbody(6, 2), window=2 * np.pi)
    cavity = scan(
        qb.models.tavis_cummings(4, 4, coupling=0.2, subspace=False),
        window=6.0,
        extra=("battery_ergotropy", "work_mean"),
    )
    tables = (
        ("kbody N=6 k=2", kbody, COLUMNS),
        ("tavis_cummings N=4", cavity, (*COLUMNS, "battery_ergotropy")),
    )
    for name, ds, columns in tables:
        print(f"\n{name}: at the time t* of maximum power")
        header = ["T", "t*", *columns]
        print("  ".join(f"{h[:17]:>17}" for h in header))
        for i, T in enumerate(ds.temperature.values):
            values = [T, ds.t_star.values[i], *(ds[c].values[i] for c in columns)]
            print("  ".join(f"{v:17.4g}" for v in values))
    fig, axes = plt.subplots(1, 3, figsize=(12, 3.5), layout="constrained")
    for ds, label in ((kbody, "k-body N=6, k=2"), (cavity, "Tavis–Cummings N=4")):
        T = ds.temperature.values
        axes[0].plot(T, ds.power_mean / ds.power_mean[0], "o-", label=label)
        axes[1].semilogy(T, ds.power_nsr, "o-", label=f"{label}: NSR")
        positive = np.where(ds.power_bound > 0, ds.power_bound, np.nan)  # log axis
        axes[1].semilogy(T, positive, "x:", label=f"{label}: Eq. (5) where > 0")
    axes[0].plot(
        TEMPERATURES, np.tanh(1 / (2 * np.maximum(TEMPERATURES, 1e-9))), "k--", label="tanh(ω0/2T)"
    )
    T = cavity.temperature
    axes[2].plot(T, cavity.battery_ergotropy, "o-", color="C1", label="cells' ergotropy at t*")
    axes[2].plot(T, cavity.battery_ergotropy_at_0, "s--", color="C1", label="… at t = 0")
    axes[2].plot(T, cavity.work_mean, "^:", color="C3", label="stored energy at t*")
    axes[2].legend(fontsize="small")
    axes[0].set(xlabel="temperature T", ylabel="max power / max power at T = 0")
    axes[1].set(xlabel="temperature T", ylabel="power NSR at t*")
    axes[2].set(xlabel="temperature T", ylabel="Tavis–Cummings cells [energy]")
    axes[0].legend(fontsize="small")
    axes[1].legend(fontsize="small")
    fig.savefig(out / "thermal_vs_temperature.png", dpi=150)
    xr.Dataset({f"kbody_{k}": v for k, v in kbody.data_vars.items()}).to_netcdf(
        out / "thermal_kbody.nc"
    )
    cavity.to_netcdf(out / "thermal_tavis_cummings.nc")
    print(f"\nwrote {out}/thermal_vs_temperature.png and the data")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else Path("results/thermal"))
