"""Running a sweep's tasks on ``dask.distributed``: start or connect to a cluster,
submit one task per grid point, record results as they complete."""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from qbattery._optional import require
from qbattery.errors import InvalidInputError, QBatteryError
from qbattery.sweep.spec import FAILED, SweepSpec
from qbattery.sweep.store import PointResult
from qbattery.sweep.worker import compute_point

if TYPE_CHECKING:
    from distributed import Client


def _local_client(workers: int | None, dashboard: bool) -> tuple[Client, Any]:
    """Start a LocalCluster: one single-threaded process per core, memory split evenly."""
    distributed = require("distributed")
    from dask.system import CPU_COUNT  # cores available to this process (cgroups aware)
    from distributed.system import MEMORY_LIMIT  # machine memory (cgroups, rlimit aware)

    n = int(workers) if workers is not None else int(CPU_COUNT)
    if n < 1:
        raise InvalidInputError(f"`workers` must be ≥ 1, got {workers}")
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
        local, cluster = _local_client(workers, dashboard)
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


def run_distributed(
    spec: SweepSpec,
    todo: list[tuple[int, ...]],
    client: Client | str | None,
    workers: int | None,
    dashboard: bool,
    record: Callable[[PointResult], None],
) -> int:
    """Submit one task per point and record results as they complete; return #workers."""
    distributed = require("distributed")
    cl, opened = _connect(client, workers, dashboard)
    try:
        n_workers = len(cl.nthreads()) or 1
        tag = f"{os.getpid()}-{id(spec)}"
        futures = {
            cl.submit(
                compute_point,
                spec.fn,
                idx,
                spec.point(idx),
                spec.times,
                spec.engine,
                spec.bounds,
                pure=False,
                key=f"qbattery-point-{'-'.join(map(str, idx))}-{tag}",
            ): idx
            for idx in todo
        }
        for future in distributed.as_completed(list(futures)):
            idx = futures[future]
            if future.status == "finished":
                record(future.result())
                continue
            error = future.exception()
            if not isinstance(error, distributed.KilledWorker):
                raise QBatteryError(
                    f"the Dask cluster failed while computing point {spec.point(idx)}: "
                    f"{error!r}; finished points are in the store — run the sweep again to "
                    "resume"
                ) from error
            message = (
                "KilledWorker: the workers computing this point died repeatedly (most "
                "often: it needs more memory than a worker has)"
            )
            record(PointResult(idx, FAILED, None, error=message))
    finally:
        for thing in opened:
            thing.close()
    return n_workers
