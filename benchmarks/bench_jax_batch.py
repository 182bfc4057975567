"""Issue 13, item 3: the points of a sweep in batched, vmapped jax scans, on CPU.

``ising(N, 2, variant="tfim", normalize=False)`` at P points of an Ω × ω0 grid, 201
times in [0, 20], everything a sweep point computes (``qb.charge`` with the Fisher
bounds, no ergotropy), three ways, one after the other in one process:

* ``krylov``: a loop of ``qb.charge(bat, t, engine="krylov")``;
* ``jax``: a loop of ``qb.charge(bat, t, engine="jax")`` (one scan per point);
* ``batched``: what a sweep chunk with ``engine="jax"`` does
  (:func:`qbattery.sweep.worker.evaluate_chunk`): the engines of all points primed by
  :func:`qbattery.engines.jax_batch.prime_batch` (points of one structure in one vmapped
  call), then ``qb.charge`` per point on its primed engine.

The jax rows include their compilation (its seconds are a column of their own: the
per-point scan is compiled again for each new shape of a point's step grid, the batched
scan once per group and call size; the kernels that build an engine are compiled by the
``jax`` row first). "max rel. dev." is
the largest deviation from the Krylov row over the sweep variables, each relative to
its curve's maximum, with the variable where it is reached, then the largest over the
means, variances, angles and fidelity alone (where both are finite; the jax engine's
power angle is NaN beyond d = 256, see docs/engines.md; the correlation terms f, 0 up
to rounding here, relative to 1).

Run: ``python benchmarks/bench_jax_batch.py [--N 10] [--points 64]``; ``make bench``
runs ``run(quick)``.
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

import qbattery as qb
from qbattery.engines import clear_engine_cache, get_engine
from qbattery.engines.cache import cache_engine
from qbattery.sweep import SWEEP_VARIABLES


def batteries(N: int, points: int) -> list[qb.Battery]:
    """``points`` tfim chains: Ω and ω0 on a grid as square as ``points`` allows."""
    n_omega = int(np.sqrt(points))
    while points % n_omega:
        n_omega -= 1
    omegas = np.linspace(0.5, 2.0, points // n_omega)
    omega0s = np.linspace(1.0, 3.0, n_omega)
    return [
        qb.models.ising(N, 2, float(w0), float(w), variant="tfim", normalize=False)
        for w, w0 in itertools.product(omegas, omega0s)
    ]


def _curves(bat: qb.Battery, times: np.ndarray, engine: str) -> tuple[np.ndarray, float]:
    """The sweep variables (len(SWEEP_VARIABLES), nt) of one point, and compile seconds."""
    eng, _ = get_engine(bat, engine, times.size)
    ds = qb.charge(bat, times, engine=engine, ergotropy=False, progress=False)
    compile_s = float(getattr(eng, "stats", {}).get("compile_time_s", 0.0))
    clear_engine_cache(bat)
    return np.stack([np.asarray(ds[v].values, float) for v in SWEEP_VARIABLES]), compile_s


#: dimensionless terms that are 0 up to rounding for the tfim ground state: scale ≥ 1
UNIT_SCALE = ("work_f", "power_f")


def _deviation(got: list[np.ndarray], ref: list[np.ndarray]) -> str:
    """Largest |got − ref| over the points and variables, relative to each curve's max,
    and the variable where it is largest; then the largest over the means, variances,
    angles and fidelity (the well-conditioned curves)."""
    worst, where, plain = 0.0, "", 0.0
    for g, r in zip(got, ref, strict=True):
        for name, a, b in zip(SWEEP_VARIABLES, g, r, strict=True):
            ok = np.isfinite(a) & np.isfinite(b)
            if not ok.any():
                continue
            scale = float(np.max(np.abs(b[ok])))
            scale = max(scale, 1.0) if name in UNIT_SCALE else scale
            if scale > 0:
                dev = float(np.max(np.abs(a[ok] - b[ok]))) / scale
                if dev > worst:
                    worst, where = dev, name
                if name.endswith(("_mean", "_var", "_angle")) or name == "fidelity":
                    plain = max(plain, dev)
    return f"{worst:.1e} ({where}); {plain:.1e}" if where else "0"


def measure(N: int, points: int, times: np.ndarray) -> list[dict]:
    """Rows of the table: one per way of computing the same points."""
    from qbattery.engines.jax_batch import prime_batch

    bats = batteries(N, points)
    rows: list[dict] = []
    results: dict[str, list[np.ndarray]] = {}
    for way in ("krylov", "jax"):
        start = time.perf_counter()
        out = [_curves(b, times, way) for b in bats]
        seconds = time.perf_counter() - start
        results[way] = [c for c, _ in out]
        rows.append({"way": way, "seconds": seconds, "compile_s": sum(s for _, s in out)})
    start = time.perf_counter()
    engines = prime_batch(bats, times)
    curves = []
    for bat, eng in zip(bats, engines, strict=True):
        cache_engine(bat, eng)
        curves.append(_curves(bat, times, "jax")[0])
    seconds = time.perf_counter() - start
    results["batched"] = curves
    batch = engines[0].stats.get("batch", {})
    rows.append({
        "way": f"batched ({batch.get('size', 1)} per call)",
        "seconds": seconds,
        "compile_s": sum(float(e.stats["compile_time_s"]) for e in engines),
    })  # fmt: skip
    base = rows[0]["seconds"]
    for row, way in zip(rows, ("krylov", "jax", "batched"), strict=True):
        row["per point (ms)"] = 1e3 * row["seconds"] / points
        row["speed-up vs krylov"] = base / row["seconds"]
        row["speed-up vs krylov, no compile"] = base / max(row["seconds"] - row["compile_s"], 1e-9)
        row["max rel. dev. vs krylov"] = _deviation(results[way], results["krylov"])
        row["batched vs jax"] = ""
    rows[2]["batched vs jax"] = _deviation(results["batched"], results["jax"])
    return rows


def run(quick: bool) -> tuple[str, list[dict]]:
    """``make bench``: N = 8 at 16 points (quick) or N = 10 at 64 points."""
    N, points = (8, 16) if quick else (10, 64)
    times = np.linspace(0.0, 20.0, 201)
    title = f"batched jax sweep points on CPU: ising({N}, 2, 'tfim'), {points} points, 201 times"
    return title, measure(N, points, times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--N", type=int, default=10)
    parser.add_argument("--points", type=int, default=64)
    parser.add_argument("--nt", type=int, default=201, help="times in [0, 20]")
    args = parser.parse_args()
    times = np.linspace(0.0, 20.0, args.nt)
    rows = measure(args.N, args.points, times)
    print(f"ising({args.N}, 2, 'tfim'), {args.points} points, {args.nt} times in [0, 20]\n")
    keys = list(dict.fromkeys(k for r in rows for k in r))
    print("| " + " | ".join(keys) + " |")
    print("|" + "---|" * len(keys))
    for r in rows:
        cells = [f"{r[k]:.2f}" if isinstance(r.get(k), float) else str(r.get(k, "")) for k in keys]
        print("| " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
