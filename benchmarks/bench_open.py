"""Open (Lindblad) charging against a QuTiP ``mesolve`` script, side by side.

A decaying k-body battery (``kbody(N, 2, decay=0.1)``, d = 2^N, 201 times on [0, 5]).
qbattery computes everything ``charge`` returns, bounds, θ_∞, heat and ergotropy
included, on the ``auto`` route (``open-blocks``: independent two-cell blocks) and, up
to N = 6, on the general ``open`` engine (the full 4^N-dimensional generator). The QuTiP
script (CSR operators) computes only the mean energy and the one-time variance of H0
(``e_ops=[H0, H0²]``), once at its default tolerances (atol 1e-8, rtol 1e-6) and once
at atol = rtol = 1e-10. Accuracy: the largest difference of ⟨H0⟩_t from qbattery's
(which agrees with the full open engine to 1e-10, ``tests/test_open_blocks.py``).
Beyond N = 10 only the blocks route runs (d = 2^300 at the largest size).
"""

from __future__ import annotations

import contextlib
import time

import numpy as np

import qbattery as qb

TIMES = np.linspace(0.0, 5.0, 201)
#: the QuTiP script runs up to d = 2^10 (13.6 s at default tolerances; ~4× per cell)
MAX_QUTIP_N = 10


def _qutip(bat: qb.Battery, tol: float | None) -> tuple[float, np.ndarray]:
    import qutip

    # CSR operators, as a careful script would use: a dense Qobj makes QuTiP build the
    # d² × d² Liouvillian densely (47.6 s at d = 64, 64 GiB at d = 256)
    H = qutip.Qobj(bat.dense("H0") + bat.dense("HC")).to("CSR")
    H0 = qutip.Qobj(bat.dense("H0")).to("CSR")
    c_ops = [qutip.Qobj(L.to_sparse()).to("CSR") for L in bat.jumps]  # PauliSum jumps
    psi = np.zeros(bat.dim, complex)
    psi[0] = 1.0  # kbody starts in |0…0⟩
    options = {} if tol is None else {"atol": tol, "rtol": tol}
    start = time.perf_counter()
    res = qutip.mesolve(H, qutip.Qobj(psi), TIMES, c_ops, e_ops=[H0, H0 * H0], options=options)
    elapsed = time.perf_counter() - start
    return elapsed, np.asarray(res.expect[0]).real


def _timed(bat: qb.Battery, engine: str) -> tuple[float, object]:
    qb.clear_engine_cache()
    start = time.perf_counter()
    ds = qb.charge(bat, TIMES, engine=engine, progress=False)
    return time.perf_counter() - start, ds


def run(quick: bool) -> tuple[str, list[dict]]:
    rows = []
    sizes = (4, 6, 50) if quick else (4, 6, 8, 10, 20, 100, 300)
    for N in sizes:
        bat = qb.models.kbody(N, 2, decay=0.1)
        _timed(bat, "auto")  # warm-up: imports and first-call set-up
        ours, ds = min((_timed(bat, "auto") for _ in range(3)), key=lambda r: r[0])
        full = _timed(bat, "open")[0] if N <= 6 else float("nan")
        energy = ds.work_mean.values + bat.structure["H0_initial"]  # type: ignore[attr-defined]
        row: dict = {
            "N": N,
            "d": f"2^{N}",
            "route": ds.attrs["engine"],  # type: ignore[attr-defined]
            "qbattery all (s)": ours,
            "open engine all (s)": full,
        }
        for label, tol in (("default", None), ("1e-10", 1e-10)):
            theirs, expect = float("nan"), np.full(TIMES.size, np.nan)
            if N <= MAX_QUTIP_N:
                with contextlib.suppress(ImportError):  # qutip is a dev extra
                    theirs, expect = _qutip(bat, tol)
            row[f"qutip {label} (s)"] = theirs
            row[f"ratio qutip {label}/qbattery"] = theirs / ours
            row[f"qutip {label} max |Δ<H0>|"] = float(np.max(np.abs(energy - expect)))
        rows.append(row)
    return "Open charging, everything incl. bounds: qbattery vs QuTiP mesolve, 201 times", rows
