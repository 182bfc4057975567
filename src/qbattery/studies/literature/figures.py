"""Figures of the literature checks (matplotlib, Agg-safe); one per row that has curves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from qbattery._dataset import MAX_AVERAGE_POWER, MAX_POWER
from qbattery.studies.literature.common import Check


def _binder(ax: Axes, check: Check) -> None:
    ds = check.data
    k = ds["k"].values
    ax.plot(k, ds["gamma_average_power"], "o", label="max ⟨W_t⟩/t")
    ax.plot(k, ds["gamma_power"], "x", label="max ⟨P_t⟩")
    ax.plot(k, k, "k:", label="Γ = k")
    ax.set(xlabel="k", ylabel="Γ (relative to k = 1)")


def _ferraro(ax: Axes, check: Check) -> None:
    ds = check.data
    n = ds["N"].values
    weak, strong = ds.attrs["coupling"], ds.attrs["coupling_strong"]
    ax.loglog(n, ds[MAX_AVERAGE_POWER], "o", label=f"max ⟨W_t⟩/t, λ = {weak:g}")
    ax.loglog(n, ds[MAX_POWER], "x", label=f"max ⟨P_t⟩, λ = {weak:g}")
    ax.loglog(
        n, ds[f"{MAX_AVERAGE_POWER}_strong"], "s", mfc="none", label=f"max ⟨W_t⟩/t, λ = {strong:g}"
    )
    ref = ds[MAX_AVERAGE_POWER].values[-1] * (n / n[-1]) ** 1.5
    ax.loglog(n, ref, "k:", label="∝ N^{3/2}")
    ax.set(xlabel="N", ylabel="power")


def _le(ax: Axes, check: Check) -> None:
    ds = check.data
    for name in ds.data_vars:
        ax.plot(ds["time"], ds[name], label=str(name), lw=1)
    ax.set(xlabel="t", ylabel="⟨W_t⟩")


def _rossini(ax: Axes, check: Check) -> None:
    ds = check.data
    n = ds["N"].values
    for q in (2, 4):
        values = ds[f"q{q}_{MAX_POWER}"].values
        sem = values.std(axis=1, ddof=1) / np.sqrt(values.shape[1])
        ax.errorbar(n, values.mean(axis=1), sem, fmt="o-", label=f"q = {q}, max ⟨P_t⟩")
    ax.plot(n, n * ds[f"q2_{MAX_POWER}"].values.mean(axis=1)[0] / n[0], "k:", label="∝ N")
    ax.set(xscale="log", yscale="log", xlabel="N", ylabel="disorder-averaged max power")


def _andolina(ax: Axes, check: Check) -> None:
    ds = check.data
    ax.plot(ds["N"], ds["tc_efficiency"], "o-", label="Tavis–Cummings, Fock n = N")
    ax.plot(ds["N"], ds["tc_coherent_efficiency"], "^-", label="TC, coherent n̄ = N")
    ax.plot(ds["N_dicke"], ds["dicke_efficiency"], "s-", label="Dicke, Fock n = N")
    ax.plot(ds["n_photons"], ds["coherent_N2_efficiency"], "d--", label="TC N = 2, coherent (x: n̄)")
    ax.axhline(1.0, color="k", ls=":")
    ax.set(xscale="log", xlabel="N (or n̄)", ylabel="cells' ergotropy / energy")


_DRAW = {
    "binder_campaioli": _binder,
    "ferraro": _ferraro,
    "le": _le,
    "rossini": _rossini,
    "andolina": _andolina,
}


def write_figures(checks: list[Check], out: Path) -> list[Path]:
    """Write ``literature_<key>.png`` for every row with curves; return the paths."""
    paths = []
    for check in checks:
        draw = _DRAW.get(check.key)
        if draw is None:
            continue
        fig = Figure(figsize=(5, 3.6), layout="constrained")
        ax = fig.add_subplot()
        draw(ax, check)
        ax.set_title(check.paper.split(",")[0] + f" — {check.verdict}", fontsize=9)
        ax.legend(fontsize=6)
        path = out / f"literature_{check.key}.png"
        fig.savefig(path, dpi=120)
        paths.append(path)
    return paths
