"""GPU benchmark of the jax engine (issue 13): one script, < 8 minutes on one GPU.

``ising(N, 2, variant="tfim", normalize=False)``, 201 times in [0, 20]: all curves plus
the work angle and bound with ``engine="jax"``, seconds per N (compile time separate),
the deviation from the CPU Krylov engine where that is quick (N ≤ 16), an optional
dynamiqs ``sesolve`` comparison (if dynamiqs is importable) and the device model.
Sizes stop early when the previous one took more than 60 s (the largest N in 60 s).

Run: ``python benchmarks/gpu.py`` on a GPU machine; ``python benchmarks/gpu.py --small``
runs N = 8, 10 on whatever JAX sees (CPU included), for testing the script.
Not done here yet: the batched 1,000-point sweep (issue 13, item 3).
"""

from __future__ import annotations

import argparse
import importlib.util
import time

import numpy as np

import qbattery as qb

CURVES = ("work_mean", "work_var", "power_mean", "power_var", "fidelity", "work_angle")


def device_model() -> str:
    """The JAX device JAX uses, e.g. ``cuda:0 (NVIDIA H200)``."""
    import jax

    dev = jax.devices()[0]
    return f"{dev} ({getattr(dev, 'device_kind', '?')})"


def one(N: int, times: np.ndarray, compare: bool) -> dict[str, float]:
    """Charge with engine='jax'; compare with Krylov when ``compare``."""
    from qbattery.engines.jax_engine import JaxEngine

    bat = qb.models.ising(N, 2, variant="tfim", normalize=False)
    start = time.perf_counter()
    eng = JaxEngine(bat)
    moments = eng.moments(times)
    angle = eng.angle(times, "work")
    total = time.perf_counter() - start
    row = {"N": N, "total_s": total, "compile_s": float(eng.stats["compile_time_s"])}
    if compare:
        ref = qb.charge(bat, times, engine="krylov", ergotropy=False)
        got = {
            "work_mean": moments.work.mean,
            "work_var": moments.work.second - moments.work.mean**2,
            "power_mean": moments.power.mean,
            "power_var": moments.power.second - moments.power.mean**2,
            "fidelity": moments.fidelity,
            "work_angle": angle,
        }
        row["dev"] = max(
            float(np.max(np.abs(got[c] - ref[c].values)) / np.max(np.abs(ref[c].values)))
            for c in CURVES
        )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="N = 8, 10 (runs on CPU)")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the sizes")
    args = parser.parse_args()
    sizes = args.sizes or ([8, 10] if args.small else [12, 14, 16, 18, 20, 22, 24, 26])
    times = np.linspace(0.0, 20.0, 201)
    print(f"device: {device_model()}")
    if importlib.util.find_spec("dynamiqs") is not None:
        print("dynamiqs is importable: its comparison is not scripted yet (see issue 13)")
    print("| N | jax total (s) | compile (s) | dev. vs Krylov |")
    print("|---|---|---|---|")
    for N in sizes:
        row = one(N, times, compare=N <= 16)
        dev = f"{row['dev']:.1e}" if "dev" in row else "-"
        print(f"| {N} | {row['total_s']:.2f} | {row['compile_s']:.2f} | {dev} |", flush=True)
        if row["total_s"] > 60:
            print(f"largest N within 60 s: {N - 2}")
            break


if __name__ == "__main__":
    main()
