"""CPU benchmark of the jax engine against the Krylov engine (issue 13).

``ising(N, 2, variant="tfim", normalize=False)``, 201 times in [0, 20], everything the
Krylov engine computes (moments, the work angle and bound; the power Fisher information
is NaN for both at these sizes). Prints one table row per N: seconds of each engine
(the jax engine's compile time separately) and the largest deviation relative to each
curve's maximum.

Run: ``python benchmarks/jax_cpu.py 14 16 18``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import qbattery as qb

CURVES = ("work_mean", "work_var", "power_mean", "power_var", "fidelity", "work_angle")


def run(N: int) -> dict[str, float]:
    """Time both engines on one N; return the row of the table."""
    bat = qb.models.ising(N, 2, variant="tfim", normalize=False)
    times = np.linspace(0.0, 20.0, 201)
    start = time.perf_counter()
    ref = qb.charge(bat, times, engine="krylov", ergotropy=False)
    t_krylov = time.perf_counter() - start
    from qbattery.engines.jax_engine import JaxEngine

    start = time.perf_counter()
    eng = JaxEngine(bat)
    moments = eng.moments(times)
    angle = eng.angle(times, "work")
    t_jax = time.perf_counter() - start
    compile_s = float(eng.stats["compile_time_s"])
    got = {
        "work_mean": moments.work.mean,
        "work_var": moments.work.second - moments.work.mean**2,
        "power_mean": moments.power.mean,
        "power_var": moments.power.second - moments.power.mean**2,
        "fidelity": moments.fidelity,
        "work_angle": angle,
    }
    dev = max(
        float(np.max(np.abs(got[c] - ref[c].values)) / np.max(np.abs(ref[c].values)))
        for c in CURVES
    )
    return {"N": N, "krylov_s": t_krylov, "jax_s": t_jax, "compile_s": compile_s, "dev": dev}


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [14, 16]
    print(
        "| N | Krylov (s) | jax incl. compile (s) | jax compile (s) "
        + "| speed-up w/o compile | max rel. dev. |"
    )
    print("|---|---|---|---|---|---|")
    for N in sizes:
        r = run(N)
        speed = r["krylov_s"] / max(r["jax_s"] - r["compile_s"], 1e-9)
        print(
            f"| {N} | {r['krylov_s']:.2f} | {r['jax_s']:.2f} | {r['compile_s']:.2f} | "
            f"{speed:.1f}× | {r['dev']:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
