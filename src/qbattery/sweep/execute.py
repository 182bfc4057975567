"""Executing a sweep: measure a point, size the blocks, open the store, run the tasks
in this process or on a Dask cluster, record each finished block (used by :mod:`.api`)."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from qbattery._optional import require
from qbattery.sweep.chunks import (
    SERIAL_BELOW_S,
    balanced_block,
    block_indices,
    block_shape,
    blocks,
    points_per_task,
)
from qbattery.sweep.cluster import connect, probe, run_distributed
from qbattery.sweep.cluster_config import ClusterConfig
from qbattery.sweep.spec import FAILED, PENDING, SweepSpec
from qbattery.sweep.store import MemoryWriter, PointResult, ZarrWriter
from qbattery.sweep.worker import evaluate_chunk, run_local

if TYPE_CHECKING:
    from distributed import Client


class SweepRun:
    """One run of a sweep: the store, the points to compute, the chunks, the executor.

    Examples
    --------
    >>> from qbattery.sweep import make_spec
    >>> run = SweepRun(make_spec("kbody", {"k": [1, 2, 3]}, [0.5], params={"N": 4}),
    ...                None, False, None)
    >>> len(run.todo), run.execute("serial", None, False, None), run.computed
    (3, 1, 3)
    """

    def __init__(
        self,
        spec: SweepSpec,
        store: str | os.PathLike[str] | None,
        retry_failed: bool,
        chunk_points: int | None,
    ) -> None:
        self.spec = spec
        self.store = store
        self.chunk_points = chunk_points
        self.writer: MemoryWriter | ZarrWriter | None = None
        if store is None:
            self.writer = MemoryWriter(spec)
        elif Path(store).exists():
            self.writer = ZarrWriter(spec, store)  # checks the store, keeps its chunking
        status = (
            self.writer.status()
            if self.writer is not None
            else np.full(spec.shape, PENDING, dtype=np.int8)
        )
        mask = status == PENDING
        if retry_failed:
            mask |= status == FAILED
        self.mask = mask
        self.todo = [idx for idx in spec.indices() if mask[idx]]
        self.stored_before = int(spec.size - len(self.todo))
        self.computed = 0
        self.bar: Any = None

    def record(self, region: tuple[slice, ...] | None, results: list[PointResult]) -> None:
        assert self.writer is not None
        if region is None:
            for result in results:
                self.writer.write(result)
        else:
            self.writer.write_block(region, results)
        for result in results:
            self.mask[result.index] = False
        self.computed += len(results)
        if self.bar is not None:
            self.bar.advance(self.bar.task_ids[0], len(results))

    def _open(self, seconds: float | None, workers: int) -> None:
        """Open the store (sized from ``seconds`` per point) if it is not open yet."""
        if self.writer is None:
            assert self.store is not None
            self.writer = ZarrWriter(self.spec, self.store, block=self._block(seconds, workers))

    def _block(self, seconds: float | None, workers: int) -> tuple[int, ...]:
        """The block of a task: an existing store's, as asked, or sized from ``seconds``."""
        if isinstance(self.writer, ZarrWriter):
            return self.writer.block
        if self.chunk_points is not None:  # as asked
            return block_shape(self.spec.shape, self.chunk_points)
        points = points_per_task(seconds, len(self.todo), workers) if seconds else 1
        return balanced_block(self.spec.shape, points, workers)

    def _tasks(self, seconds: float | None, workers: int) -> list[Any]:
        block = self._block(seconds, workers)
        tasks = []
        for region in blocks(self.spec.shape, block):
            points_in = [idx for idx in block_indices(region) if self.mask[idx]]
            if points_in:
                tasks.append((region, points_in))
        return tasks

    def execute(
        self,
        client: Client | str | None,
        workers: int | None,
        dashboard: bool,
        cluster: ClusterConfig | None,
    ) -> int:
        """Compute every point to do; return the number of workers used."""
        if client != "serial":
            require("distributed")  # named up front, even if the sweep turns out small
        if not self.todo:
            self._open(None, 1)
            return 1
        seconds: float | None = None
        in_process = client == "serial" or (
            client is None and (cluster is None or cluster.kind == "local")
        )
        if in_process and self.chunk_points is None:
            # two points: the first pays for imports and caches, the second is warm
            firsts = [run_local(self.spec, idx) for idx in self.todo[:2]]
            seconds = _warm_seconds(firsts)
            estimate = (seconds or 0.0) * (len(self.todo) - len(firsts))
            if client is None and estimate < SERIAL_BELOW_S:
                print(
                    f"qbattery: about {estimate:.1f} s of work left "
                    f"({len(self.todo) - len(firsts)} points); computing in this process, "
                    "without a Dask cluster",
                    file=sys.stderr,
                )
                client = "serial"
            self._open(seconds, 1 if client == "serial" else _local_workers(workers, cluster))
            self.record(None, firsts)
        if client == "serial":
            self._open(seconds, 1)
            for region, points in self._tasks(seconds, 1):
                done: list[PointResult] = []
                try:
                    evaluate_chunk(
                        self.spec.fn,
                        points,
                        [self.spec.point(i) for i in points],
                        self.spec.times,
                        self.spec.engine,
                        self.spec.bounds,
                        out=done,
                    )
                finally:  # an interrupted chunk keeps its finished points
                    if done:
                        self.record(region, done)
            return 1
        address = cluster.address if cluster is not None and cluster.kind == "scheduler" else client
        if cluster is not None and cluster.kind == "local" and workers is None:
            workers = cluster.workers
        with connect(address, workers, dashboard, cluster) as cl:
            n_workers = len(cl.nthreads()) or (
                cluster.workers_expected() if cluster is not None else 1
            )
            firsts = []
            if seconds is None and self.chunk_points is None and self.mask.any():
                todo = [i for i in self.todo if self.mask[i]]
                firsts = probe(cl, self.spec, todo[: 2 * n_workers], n_workers)
                seconds = _warm_seconds(firsts)
                for result in firsts:  # not in any task; recorded once the store is open
                    self.mask[result.index] = False

            def open_and_record_firsts() -> None:
                # while the workers compute the first tasks: create the store (a new
                # one is sized from ``seconds``), then record the probe's points
                self._open(seconds, n_workers)
                if firsts:
                    self.record(None, firsts)

            run_distributed(
                cl,
                self.spec,
                self._tasks(seconds, n_workers),
                self.record,
                submitted=open_and_record_firsts,
            )
        return n_workers


def _warm_seconds(results: list[PointResult]) -> float | None:
    """The shortest compute time of finished points (None if none finished)."""
    times = [r.seconds for r in results if r.seconds > 0]
    return min(times) if times else None


def _local_workers(workers: int | None, cluster: ClusterConfig | None) -> int:
    """Workers a local cluster will have."""
    if workers is not None:
        return workers
    if cluster is not None and cluster.workers is not None:
        return cluster.workers
    from dask.system import CPU_COUNT

    return int(CPU_COUNT)
