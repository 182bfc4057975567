"""Open (Lindblad) charging against a QuTiP ``mesolve`` script, side by side.

A decaying k-body battery (``kbody(N, 2, decay=0.1)``, d = 2^N, 201 times on [0, 5]):
qbattery computes the moments and heat statistics (``bounds=False``), and separately
everything including the bounds, θ_∞ and the ergotropy; the QuTiP script (CSR
operators) only the mean energy and the one-time variance of H0 (``e_ops=[H0, H0²]``,
default tolerances). Accuracy: the largest
difference of ⟨H0⟩_t between the two (QuTiP's default atol is 1e-8).
"""

from __future__ import annotations

import time

import numpy as np

import qbattery as qb

TIMES = np.linspace(0.0, 5.0, 201)


def _qutip(bat: qb.Battery) -> tuple[float, np.ndarray]:
    import qutip

    # CSR operators, as a careful script would use: a dense Qobj makes QuTiP build the
    # d² × d² Liouvillian densely (47.6 s at d = 64, 64 GiB at d = 256)
    H = qutip.Qobj(bat.dense("H0") + bat.dense("HC")).to("CSR")
    H0 = qutip.Qobj(bat.dense("H0")).to("CSR")
    c_ops = [
        qutip.Qobj(np.asarray(L.toarray() if hasattr(L, "toarray") else L)).to("CSR")
        for L in bat.jumps
    ]
    psi = np.zeros(bat.dim, complex)
    psi[0] = 1.0  # kbody starts in |0…0⟩
    start = time.perf_counter()
    res = qutip.mesolve(H, qutip.Qobj(psi), TIMES, c_ops, e_ops=[H0, H0 * H0])
    elapsed = time.perf_counter() - start
    return elapsed, np.asarray(res.expect[0]).real


def run(quick: bool) -> tuple[str, list[dict]]:
    rows = []
    for N in (4, 6) if quick else (4, 6, 8):
        bat = qb.models.kbody(N, 2, decay=0.1)
        start = time.perf_counter()
        ds = qb.charge(bat, TIMES, bounds=False, ergotropy=False, progress=False)
        ours = time.perf_counter() - start
        start = time.perf_counter()
        qb.charge(bat, TIMES, progress=False)  # bounds, θ_∞, ergotropy, heat
        everything = time.perf_counter() - start
        try:
            theirs, energy = _qutip(bat)
        except ImportError:  # qutip is a dev extra
            theirs, energy = float("nan"), np.full(TIMES.size, np.nan)
        e0 = float(np.real(np.trace(bat.dense("H0") @ np.diag(np.eye(bat.dim)[0]))))
        dev = float(np.max(np.abs(ds.work_mean.values + e0 - energy)))
        rows.append(
            {
                "N": N,
                "d": bat.dim,
                "qbattery moments, heat (s)": ours,
                "qbattery all incl. bounds, θ_∞ (s)": everything,
                "qutip mesolve <H0>, var (s)": theirs,
                "ratio qutip/qbattery": theirs / ours,
                "max |Δ<H0>|": dev,
                "route": ds.attrs["engine"],
            }
        )
    return "Open charging: qbattery (open engine) vs QuTiP mesolve, 201 times", rows
