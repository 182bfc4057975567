"""GPU benchmark of the jax engine (issue 13): one script, < 8 minutes on one GPU.

``ising(N, 2, variant="tfim", normalize=False)``, 201 times in [0, 20]: all curves plus
the work angle and bound with ``engine="jax"``, seconds per N (compile time separate),
the deviation from the CPU Krylov engine where that is quick (N ≤ 16), an optional
dynamiqs ``sesolve`` comparison (if dynamiqs is importable) and the device model.
Sizes stop early when the previous one took more than 60 s (the largest N in 60 s).

With a GPU visible it then runs the batched sweep of issue 13, item 3 (:func:`batched`):
1,000 points of ``ising(12, 2, "tfim")`` (an Ω × ω0 grid) in vmapped scans
(``qbattery.engines.jax_batch``), their moments against per-point jax scans of the first
points (seconds per point, the deviation), and the full sweep-point path (``qb.charge``
with the Fisher bounds on primed engines) on a subset.

Run: ``python benchmarks/gpu.py`` on a GPU machine; ``python benchmarks/gpu.py --small``
runs N = 8, 10 on whatever JAX sees (CPU included), for testing the script;
``--batched-only`` skips the per-N table, ``--batch-points`` and ``--batch-N`` size the
batched sweep (``--batched-only --batch-points 16 --batch-N 8`` runs it on a CPU).
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


def batched(N: int, points: int, times: np.ndarray, *, alone: int = 20, full: int = 50) -> None:
    """Issue 13, item 3: ``points`` tfim points in batched scans; prints a table.

    Rows: the moments of all points from vmapped scans (``bounds=False``: no Fisher
    data), per-point scans of the first ``alone`` points (extrapolated to all), and
    ``full`` points through the sweep's path (``prime_batch`` with the Fisher data, then
    ``qb.charge`` with the bounds on each primed engine; the θ quadrature runs on the
    host). The deviation is the largest over work/power mean and variance and fidelity,
    relative to each curve's maximum, between batched and per-point moments.
    """
    from qbattery.engines.cache import cache_engine, clear_engine_cache
    from qbattery.engines.jax_batch import prime_batch
    from qbattery.engines.jax_engine import JaxEngine
    from qbattery.moments import Moments

    n_omega = 40 if points >= 1000 else max(1, int(np.sqrt(points)))
    omegas = np.linspace(0.5, 2.0, n_omega)
    omega0s = np.linspace(1.0, 3.0, -(-points // n_omega))
    grid = [(float(w), float(w0)) for w in omegas for w0 in omega0s][:points]
    bats = [qb.models.ising(N, 2, w0, w, variant="tfim", normalize=False) for w, w0 in grid]

    def curves(m: Moments) -> list[np.ndarray]:
        w, p = m.work, m.power
        return [w.mean, w.second - w.mean**2, p.mean, p.second - p.mean**2, m.fidelity]

    start = time.perf_counter()
    engines = prime_batch(bats, times, bounds=False)
    got = [curves(e.moments(times)) for e in engines]
    t_batch = time.perf_counter() - start
    compile_b = sum(float(e.stats["compile_time_s"]) for e in engines)
    info = engines[0].stats["batch"]
    del engines
    start = time.perf_counter()
    ref, compile_a = [], 0.0
    for bat in bats[:alone]:
        eng = JaxEngine(bat)
        ref.append(curves(eng.moments(times)))
        compile_a += float(eng.stats["compile_time_s"])
    t_alone = time.perf_counter() - start
    dev = max(
        float(np.max(np.abs(a - b)) / max(np.max(np.abs(b)), 1e-300))
        for g, r in zip(got, ref, strict=False)
        for a, b in zip(g, r, strict=True)
    )
    start = time.perf_counter()
    primed = prime_batch(bats[:full], times)
    for bat, eng in zip(bats[:full], primed, strict=True):
        cache_engine(bat, eng)
        qb.charge(bat, times, engine="jax", ergotropy=False, progress=False)
        clear_engine_cache(bat)
    t_full = time.perf_counter() - start
    compile_f = sum(float(e.stats["compile_time_s"]) for e in primed)
    print(f"\nbatched sweep: ising({N}, 2, 'tfim'), {points} points, {times.size} times")
    print(f"calls of {info['size']} (at most {info['max_per_call']} per call in memory)")
    print("| what | points | seconds | of which compile | ms per point |")
    print("|---|---|---|---|---|")
    rows = [
        ("batched moments", points, t_batch, compile_b),
        ("per-point moments", alone, t_alone, compile_a),
        ("batched, full sweep point (bounds)", full, t_full, compile_f),
    ]
    for what, n, secs, comp in rows:
        print(f"| {what} | {n} | {secs:.2f} | {comp:.2f} | {1e3 * secs / n:.1f} |")
    per_alone = t_alone / alone
    print(
        f"speed-up of the moments (per-point time × {points} / batched time): "
        f"{per_alone * points / t_batch:.1f}×; max rel. dev. batched vs per point: {dev:.1e}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="N = 8, 10 (runs on CPU)")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the sizes")
    parser.add_argument("--batched-only", action="store_true", help="only the batched sweep")
    parser.add_argument("--batch-points", type=int, default=1000)
    parser.add_argument("--batch-N", type=int, default=12)
    args = parser.parse_args()
    sizes = args.sizes or ([8, 10] if args.small else [12, 14, 16, 18, 20, 22, 24, 26])
    times = np.linspace(0.0, 20.0, 201)
    print(f"device: {device_model()}")
    if importlib.util.find_spec("dynamiqs") is not None:
        print("dynamiqs is importable: its comparison is not scripted yet (see issue 13)")
    if not args.batched_only:
        print("| N | jax total (s) | compile (s) | dev. vs Krylov |")
        print("|---|---|---|---|")
        for N in sizes:
            row = one(N, times, compare=N <= 16)
            dev = f"{row['dev']:.1e}" if "dev" in row else "-"
            print(f"| {N} | {row['total_s']:.2f} | {row['compile_s']:.2f} | {dev} |", flush=True)
            if row["total_s"] > 60:
                print(f"largest N within 60 s: {N - 2}")
                break
    from qbattery.engines.jax_engine import gpu_visible

    if gpu_visible() or args.batched_only:
        small = args.batch_points < 100
        batched(args.batch_N, args.batch_points, times, alone=4 if small else 20,
                full=4 if small else 50)  # fmt: skip
    else:
        print("no GPU visible: the batched 1,000-point sweep is skipped (--batched-only runs it)")


if __name__ == "__main__":
    main()
