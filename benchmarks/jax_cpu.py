"""CPU benchmark of the jax engine against the Krylov engine (issue 13).

``ising(N, 2, variant="tfim", normalize=False)``, 201 times in [0, 20], everything the
Krylov engine computes (moments, the work angle and bound; the power Fisher information
is NaN for both at these sizes). Prints one table row per N: seconds of each engine
(the jax engine's first call, with JAX's start-up and compilation, and a second call that
reuses the compiled code) and the largest deviation relative to each curve's maximum.

Run: ``python benchmarks/jax_cpu.py 14 16 18``.
"""

from __future__ import annotations

import sys
import time

import numpy as np

import qbattery as qb

CURVES = ("work_mean", "work_var", "power_mean", "power_var", "fidelity", "work_angle")


def _jax_once(bat: qb.Battery, times: np.ndarray) -> tuple[float, float, dict]:
    """Seconds of one jax evaluation (moments and work angle), its compile seconds, curves."""
    from qbattery.engines.jax_engine import JaxEngine

    start = time.perf_counter()
    eng = JaxEngine(bat)
    moments = eng.moments(times)
    angle = eng.angle(times, "work")
    seconds = time.perf_counter() - start
    got = {
        "work_mean": moments.work.mean,
        "work_var": moments.work.second - moments.work.mean**2,
        "power_mean": moments.power.mean,
        "power_var": moments.power.second - moments.power.mean**2,
        "fidelity": moments.fidelity,
        "work_angle": angle,
    }
    return seconds, float(eng.stats["compile_time_s"]), got


def run(N: int) -> dict[str, float]:
    """Time both engines on one N; return the row of the table.

    The jax engine runs twice in this process: the first call pays JAX's start-up and the
    compilation (reported separately), the second reuses the compiled scan, as every later
    call on a battery of the same structure does (a sweep, a second time grid).
    """
    bat = qb.models.ising(N, 2, variant="tfim", normalize=False)
    times = np.linspace(0.0, 20.0, 201)
    start = time.perf_counter()
    ref = qb.charge(bat, times, engine="krylov", ergotropy=False)
    t_krylov = time.perf_counter() - start
    t_first, compile_s, _ = _jax_once(bat, times)
    t_warm, _, got = _jax_once(bat, times)
    dev = max(
        float(np.max(np.abs(got[c] - ref[c].values)) / np.max(np.abs(ref[c].values)))
        for c in CURVES
    )
    return {"N": N, "krylov_s": t_krylov, "first_s": t_first, "compile_s": compile_s,
            "warm_s": t_warm, "dev": dev}  # fmt: skip


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [14, 16]
    print(
        "| N | Krylov (s) | jax first call (s) | of which compile (s) | jax compiled (s) "
        + "| speed-up (compiled) | max rel. dev. |"
    )
    print("|---|---|---|---|---|---|---|")
    for N in sizes:
        r = run(N)
        print(
            f"| {N} | {r['krylov_s']:.2f} | {r['first_s']:.2f} | {r['compile_s']:.2f} | "
            f"{r['warm_s']:.2f} | {r['krylov_s'] / r['warm_s']:.1f}× | {r['dev']:.1e} |",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
