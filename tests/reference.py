"""Brute-force reference: explicit matrices, scipy.linalg.expm, no eigenbasis tricks.

Independent of the engines: every quantity of SPEC §1 straight from its definition.
"""

from __future__ import annotations

import numpy as np
import scipy.linalg as sla
from scipy.integrate import quad


def density(state: np.ndarray) -> np.ndarray:
    state = np.asarray(state, dtype=complex)
    return np.outer(state, state.conj()) if state.ndim == 1 else state


def eigenspace_projectors(O: np.ndarray, tol: float = 1e-9) -> list[np.ndarray]:
    """Projectors onto eigenspaces of O (eigenvalues grouped within tol)."""
    vals, vecs = np.linalg.eigh(O)
    groups: list[list[int]] = [[0]]
    for i in range(1, vals.size):
        if vals[i] - vals[groups[-1][-1]] > tol * max(1.0, np.abs(vals).max()):
            groups.append([])
        groups[-1].append(i)
    return [vecs[:, g] @ vecs[:, g].conj().T for g in groups]


def moments(H: np.ndarray, O0: np.ndarray, rho0: np.ndarray, t: float) -> dict[str, complex]:
    """Mean, variance, cov(O_t, O_0), Var(O_t), Var(O_0) of a counting observable."""
    U = sla.expm(-1j * H * t)
    Ot = U.conj().T @ O0 @ U
    cal = Ot - O0
    ev = lambda X: np.trace(rho0 @ X)  # noqa: E731
    mean = ev(cal).real
    var = ev(cal @ cal).real - mean**2
    cov = 0.5 * ev(Ot @ O0 + O0 @ Ot).real - ev(Ot).real * ev(O0).real
    var_t = ev(Ot @ Ot).real - ev(Ot).real ** 2
    var_0 = ev(O0 @ O0).real - ev(O0).real ** 2
    return {"mean": mean, "var": var, "cov": cov, "var_t": var_t, "var_0": var_0, "cal": cal}


def fisher(
    H: np.ndarray, O0: np.ndarray, rho0: np.ndarray, t: float, projectors: list | None = None
) -> float:
    """I_t = Σ (dp_i/dt)²/p_i with dp_i/dt = i Tr([H, Π_i] ρ_t) (Eq. B5)."""
    U = sla.expm(-1j * H * t)
    rt = U @ rho0 @ U.conj().T
    total = 0.0
    for P in eigenspace_projectors(O0) if projectors is None else projectors:
        p = np.trace(P @ rt).real
        dp = (1j * np.trace((H @ P - P @ H) @ rt)).real
        if p > 1e-13:
            total += dp**2 / p
    return total


def angle(H: np.ndarray, O0: np.ndarray, rho0: np.ndarray, t: float) -> float:
    """θ_t = ∫_0^t √I/2 by scipy.integrate.quad."""
    projectors = eigenspace_projectors(O0)
    E, V = np.linalg.eigh(H)
    comms = [H @ P - P @ H for P in projectors]

    def integrand(s: float) -> float:
        U = (V * np.exp(-1j * E * s)) @ V.conj().T
        rt = U @ rho0 @ U.conj().T
        total = 0.0
        for P, C in zip(projectors, comms, strict=True):
            p = np.trace(P @ rt).real
            if p > 1e-13:
                total += (1j * np.trace(C @ rt)).real ** 2 / p
        return float(np.sqrt(total)) / 2

    val, _ = quad(
        integrand,
        0,
        t,
        epsabs=1e-12,
        epsrel=1e-11,
        limit=200,
    )
    return float(val)


def fidelity(rho0: np.ndarray, H: np.ndarray, t: float) -> float:
    """Uhlmann fidelity (Tr √(√ρ0 ρ_t √ρ0))² with scipy.linalg.sqrtm."""
    U = sla.expm(-1j * H * t)
    rt = U @ rho0 @ U.conj().T
    vals, vecs = np.linalg.eigh(rho0)
    s = (vecs * np.sqrt(np.clip(vals, 0, None))) @ vecs.conj().T
    m = s @ rt @ s
    ev = np.linalg.eigvalsh((m + m.conj().T) / 2)
    ev = ev[ev > 1e-13 * ev.max()]  # drop rounding noise of the rank-deficient part
    return float(np.sum(np.sqrt(ev)) ** 2)


def all_quantities(H0, HC, state, t, *, H=None, P0=None, angles=True) -> dict[str, float]:
    """Every SPEC §5 quantity at one time, from definitions."""
    H = H0 + HC if H is None else H
    P0 = -1j * (H0 @ HC - HC @ H0) if P0 is None else P0
    rho0 = density(state)
    out: dict[str, float] = {}
    mw = moments(H, H0, rho0, t)
    mp = moments(H, P0, rho0, t)
    for name, m, O0 in (("work", mw, H0), ("power", mp, P0)):
        out[f"{name}_mean"] = m["mean"]
        out[f"{name}_var"] = m["var"]
        out[f"{name}_nsr"] = m["var"] / m["mean"] ** 2
        f = 2 * (m["cov"] + np.sqrt(max(m["var_t"], 0) * max(m["var_0"], 0))) / m["mean"] ** 2
        out[f"{name}_f"] = f
        if angles:
            th = angle(H, O0, rho0, t)
            out[f"{name}_angle"] = th
            out[f"{name}_bound"] = 1 / np.tan(min(th, np.pi / 2)) ** 2 - f
    Pt, Wt = mp["cal"], mw["cal"]
    Pn, Wn = Pt / mp["mean"], Wt / mw["mean"]
    comm = np.trace(rho0 @ (Pn @ Wn - Wn @ Pn))
    anti = np.trace(rho0 @ (Pn @ Wn + Wn @ Pn))
    out["nsr_product"] = out["work_nsr"] * out["power_nsr"]
    out["tradeoff_bound"] = 0.25 * (abs(comm) ** 2 + abs(anti - 2) ** 2)
    out["fidelity"] = fidelity(rho0, H, t)
    return out
