"""Issues 5 and 15 benchmark: a sweep on a LocalCluster with 2 workers vs the same points
in a loop.

Both run the same task function (:func:`qbattery.sweep.compute_point`: build the model,
``qb.charge`` with the dense engine and Fisher bounds, BLAS capped to one thread).

* serial: a plain loop over the grid points in this process, no store;
* cluster: ``run_sweep(..., client=<LocalCluster, 2 single-threaded workers>)`` (the
  cluster a sweep starts itself, :func:`qbattery.sweep.cluster.local_cluster`) writing
  to a Zarr store in chunked tasks (issue 15: one point measured first, then blocks of
  points sized for ~1 s tasks, one region write per variable per block, per-point
  completion records), the cluster started before the clock (its start-up time is its
  own column).

Speed-up = serial / cluster. Overhead per task = (2 × cluster − serial) / points: the
worker time per task not spent computing (scheduling, transfers, waiting for the driver,
load imbalance at the end). "workers busy" is the compute time the workers reported
(Dask task stream) over 2 × the sweep's wall time; "driver CPU/point" the CPU time of
this process (client, scheduler thread, the store writes) per point. Also measured
alone: one no-op Dask task round trip and one store write (two region writes).
Targets (issue 15): ≥ 1.8× for 0.3–1 s points, ≥ 1.5× for 13 ms points.

The 1-minute load average is reported: on a shared machine with Linux autogroup
scheduling (``/proc/sys/kernel/sched_autogroup_enabled``) CPU time is shared between
sessions, not processes, so a busy machine caps the whole benchmark (workers included)
at its session's share and the speed-up says little; compare runs on an idle machine.
"""

from __future__ import annotations

import math
import os
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from qbattery.sweep import PointResult, compute_point, make_spec, run_sweep
from qbattery.sweep.cluster import local_cluster
from qbattery.sweep.store import ZarrWriter

TIMES = np.linspace(0.0, 3.0, 61)


def _cases(quick: bool) -> list[tuple[str, dict[str, list[Any]]]]:
    omegas = [float(v) for v in np.linspace(0.5, 3.0, 4 if quick else 12)]
    more = [float(v) for v in np.linspace(0.5, 4.5, 6 if quick else 30)]
    return [
        # d = 512 and 1024: 0.25 s and 1.5 s per task, about 0.9 s on average
        ("kbody N=9,10 (tasks > 0.5 s)", {"N": [9, 10], "k": [*range(1, 10)], "Omega0": omegas}),
        ("kbody N=7 (short tasks)", {"N": [7], "k": list(range(1, 8)), "Omega0": more}),
    ]


def _serial(spec: Any) -> tuple[float, list[PointResult]]:
    started = time.perf_counter()
    results = [
        compute_point(spec.fn, idx, spec.point(idx), spec.times, spec.engine, spec.bounds)
        for idx in spec.indices()
    ]
    return time.perf_counter() - started, results


def report_block(store: Path) -> tuple[int, ...]:
    """The block (points per task) the sweep chose for its store."""
    import zarr

    return tuple(zarr.open_array(str(store / "work_mean"), mode="r").chunks[:-1])


def _noop(x: int) -> int:
    return x


def run(quick: bool) -> tuple[str, list[dict[str, Any]]]:
    import distributed

    rows: list[dict[str, Any]] = []
    tmp = Path(tempfile.mkdtemp(prefix="qb-bench-sweep-"))
    try:
        started = time.perf_counter()
        client, cluster = local_cluster(2, dashboard=False)  # the sweep's own LocalCluster
        client.run(lambda: __import__("qbattery.sweep"))  # workers import qbattery once
        t_start = time.perf_counter() - started
        with cluster, client:
            client.get_task_stream()  # start recording task start/stop times
            n_noop = 200 if quick else 1000
            t0 = time.perf_counter()
            futures = client.map(_noop, range(n_noop), pure=False)
            for _ in distributed.as_completed(futures):
                pass
            noop_ms = (time.perf_counter() - t0) / n_noop * 1e3
            for label, grid in _cases(quick):
                spec = make_spec("kbody", grid, TIMES, engine="dense")
                t_serial, results = _serial(spec)
                store = tmp / f"{len(rows)}.zarr"
                load = os.getloadavg()[0]
                t0, c0, w0 = time.perf_counter(), time.process_time(), time.time()
                report = run_sweep(
                    "kbody", grid, TIMES, engine="dense", client=client, store=store, progress=False
                )
                t_cluster = time.perf_counter() - t0
                driver_ms = (time.process_time() - c0) / spec.size * 1e3
                stream = client.get_task_stream(start=w0)
                busy = sum(
                    part["stop"] - part["start"]
                    for task in stream
                    for part in task["startstops"]
                    if part["action"] == "compute"
                )
                assert report.computed == spec.size
                writer = ZarrWriter(spec, tmp / f"w{len(rows)}.zarr")
                t0 = time.perf_counter()
                for result in results:
                    writer.write(result)
                write_ms = (time.perf_counter() - t0) / len(results) * 1e3
                rows.append(
                    {
                        "case": label,
                        "points": spec.size,
                        "mean task (s)": t_serial / spec.size,
                        "serial (s)": t_serial,
                        "cluster start (s)": t_start,
                        "cluster sweep (s)": t_cluster,
                        "speed-up": t_serial / t_cluster,
                        "speed-up incl. start": t_serial / (t_cluster + t_start),
                        "overhead/task (ms)": (2 * t_cluster - t_serial) / spec.size * 1e3,
                        "workers busy (%)": 100 * busy / (2 * t_cluster),
                        "driver CPU/point (ms)": driver_ms,
                        "store write/point (ms)": write_ms,
                        "points/task": math.prod(report_block(store)),
                        "no-op task (ms)": noop_ms,
                        "load avg": load,
                    }
                )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    title = "sweep: LocalCluster, 2 single-threaded workers, vs a serial loop (dense, bounds)"
    return title, rows


if __name__ == "__main__":
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    from run import print_table

    print_table(*run("--quick" in sys.argv))
