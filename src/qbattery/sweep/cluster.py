"""Running a sweep's tasks on ``dask.distributed``: start or connect to a cluster
(local, a running scheduler, or batch jobs through dask-jobqueue), submit one task per
block of grid points, record results as they complete."""

from __future__ import annotations

import contextlib
import os
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

from qbattery._optional import require
from qbattery.errors import InvalidInputError, QBatteryError
from qbattery.sweep.cluster_config import BATCH_KINDS, ClusterConfig, make_batch_cluster
from qbattery.sweep.spec import FAILED, SweepSpec
from qbattery.sweep.store import PointResult
from qbattery.sweep.worker import evaluate_chunk

if TYPE_CHECKING:
    from distributed import Client


#: Dask settings of a local cluster started by a sweep. Its workers take every core, so
#: the cluster's own housekeeping competes with them: idle, a 2-worker LocalCluster used
#: 9.9 % of a core with Dask's defaults and 1.3 % with these (measured). The event-loop
#: watchdog tick (20 ms by default) only warns about blocked loops, the system monitor
#: (0.5 s) feeds the dashboard's plots, the statistical profiler (10 ms) its profile page.
LOCAL_CLUSTER_CONFIG: dict[str, Any] = {
    "distributed.admin.tick.interval": "1s",
    "distributed.admin.system-monitor.interval": "2s",
    "distributed.worker.profile.enabled": False,
}


def local_cluster(workers: int | None, dashboard: bool) -> tuple[Client, Any]:
    """Start a LocalCluster: one single-threaded process per core, memory split evenly,
    with :data:`LOCAL_CLUSTER_CONFIG`; return the client and the cluster."""
    distributed = require("distributed")
    import dask
    from dask.system import CPU_COUNT  # cores available to this process (cgroups aware)
    from distributed.system import MEMORY_LIMIT  # machine memory (cgroups, rlimit aware)

    n = int(workers) if workers is not None else int(CPU_COUNT)
    if n < 1:
        raise InvalidInputError(f"`workers` must be ≥ 1, got {workers}")
    with dask.config.set(LOCAL_CLUSTER_CONFIG):  # copied into the worker processes
        cluster = distributed.LocalCluster(
            n_workers=n,
            threads_per_worker=1,
            processes=True,
            memory_limit=int(MEMORY_LIMIT // n),
            dashboard_address=":8787" if dashboard else None,
        )
    client = distributed.Client(cluster)
    if dashboard:
        print(
            f"qbattery: started a local Dask cluster with {n} workers; dashboard: "
            f"{client.dashboard_link}",
            file=sys.stderr,
        )
    return client, cluster


def _connect(
    client: Client | str | None, workers: int | None, dashboard: bool
) -> tuple[Client, list[Any]]:
    """The client to use and what to close afterwards (what this function opened)."""
    distributed = require("distributed")
    if client is None:
        local, cluster = local_cluster(workers, dashboard)
        return local, [local, cluster]
    if workers is not None:
        raise InvalidInputError(
            "`workers` applies only to a local cluster; an existing scheduler or client "
            "has the workers it has — drop `workers` (or `--workers`)"
        )
    if isinstance(client, str):
        try:
            remote = distributed.Client(client, timeout="20s")
        except OSError as exc:
            raise QBatteryError(
                f"cannot connect to the Dask scheduler at {client!r} ({exc}); check the "
                "address (tcp://HOST:PORT) and that the scheduler is running"
            ) from exc
        return remote, [remote]
    return client, []


@contextlib.contextmanager
def connect(
    client: Client | str | None,
    workers: int | None,
    dashboard: bool,
    cluster: ClusterConfig | None = None,
) -> Iterator[Client]:
    """The client to run on: a new LocalCluster (``client=None``), a scheduler's address,
    a given Client, or a batch-system cluster (``cluster``); closes what it opened."""
    if cluster is not None and cluster.kind in BATCH_KINDS:
        batch = make_batch_cluster(cluster)
        distributed = require("distributed")
        cl = distributed.Client(batch)
        if dashboard:
            print(
                f"qbattery: submitted {cluster.describe()}; dashboard: {cl.dashboard_link}",
                file=sys.stderr,
            )
        try:
            yield cl
        finally:
            cl.close()
            batch.close()
        return
    cl, opened = _connect(client, workers, dashboard)
    try:
        yield cl
    finally:
        for thing in opened:
            thing.close()


def probe(
    cl: Client, spec: SweepSpec, points: list[tuple[int, ...]], workers: int
) -> list[PointResult]:
    """Compute the first points in ``workers`` tasks of two (each point timed by its
    worker, the second one warm): sizes the chunks while every worker is busy."""
    tag = f"{os.getpid()}-{id(spec)}"
    futures = [
        submit_chunk(cl, spec, points[i : i + 2], key=f"qbattery-probe-{i}-{tag}")
        for i in range(0, min(len(points), 2 * max(1, workers)), 2)
    ]
    return [result for future in futures for result in future.result()]


def submit_chunk(cl: Client, spec: SweepSpec, points: list[tuple[int, ...]], key: str) -> Any:
    """Submit the grid ``points`` of ``spec`` as one task named ``key``; return its future."""
    return cl.submit(
        evaluate_chunk,
        spec.fn,
        points,
        [spec.point(idx) for idx in points],
        spec.times,
        spec.engine,
        spec.bounds,
        pure=False,
        key=key,
    )


def run_distributed(
    cl: Client,
    spec: SweepSpec,
    tasks: list[tuple[tuple[slice, ...], list[tuple[int, ...]]]],
    record: Callable[[tuple[slice, ...], list[PointResult]], None],
    submitted: Callable[[], None] | None = None,
) -> None:
    """Submit one task per block and record each as it completes.

    ``submitted`` runs once every task is submitted, while the workers compute (the
    driver creates the store then). A block whose workers died repeatedly
    (``KilledWorker``) is split into one task per point, so only the point that kills
    workers is recorded as failed.
    """
    distributed = require("distributed")
    tag = f"{os.getpid()}-{id(spec)}"
    futures: dict[Any, tuple[tuple[slice, ...], list[tuple[int, ...]]]] = {}

    def submit(region: tuple[slice, ...], points: list[tuple[int, ...]]) -> Any:
        first = "-".join(map(str, points[0]))
        future = submit_chunk(cl, spec, points, key=f"qbattery-chunk-{first}-{len(points)}-{tag}")
        futures[future] = (region, points)
        return future

    queue = distributed.as_completed([submit(region, points) for region, points in tasks])
    if submitted is not None:
        submitted()
    for future in queue:
        region, points = futures.pop(future)
        if future.status == "finished":
            record(region, future.result())
            continue
        error = future.exception()
        if not isinstance(error, distributed.KilledWorker):
            raise QBatteryError(
                f"the Dask cluster failed while computing points {points[0]}…: {error!r}; "
                "finished points are in the store — run the sweep again to resume"
            ) from error
        if len(points) > 1:
            for idx in points:
                queue.add(submit(region, [idx]))
            continue
        message = (
            "KilledWorker: the workers computing this point died repeatedly (most "
            "often: it needs more memory than a worker has)"
        )
        record(region, [PointResult(points[0], FAILED, None, error=message)])
