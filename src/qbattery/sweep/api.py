"""The sweep API: parameter sweeps on ``dask.distributed`` that survive interruption.

``qb.sweep(model, grid, times)`` computes ``qb.charge`` at every point of a grid of
model parameters, in tasks of a block of grid points each (sized from the first point
so that a task takes about a second, :mod:`.chunks`), and returns one
:class:`xarray.Dataset` with the grid as dimensions (plus ``time``). A sweep estimated
at under a few seconds runs in this process.

With ``store=PATH`` every finished point is written to a Zarr store as it arrives:

1. the *template* (every array, its metadata and the sweep's configuration, but no
   data) is written first, to a temporary directory renamed into place, so a store
   either exists whole or not at all;
2. each finished task is one region write per variable of its block; the data arrays
   are chunked in the same blocks, so no two writes share a chunk (Zarr writes each
   chunk file atomically);
3. then the points' *completion records* (their ``status``, chunked in the same blocks)
   are written; a point whose status is still ``pending`` is computed again on the next
   run.

A store has one writer at a time: a lock file holding host and PID (:mod:`.lock`).

Killing the command (Ctrl-C, SIGKILL) or losing a worker loses no finished point;
running the same sweep again with the same store computes only what is missing and
gives the same Dataset as an uninterrupted run. A store made for a different sweep is
refused with a message saying what differs.
"""

from __future__ import annotations

import contextlib
import os
import sys
import time as _time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import xarray as xr

from qbattery._dataset import ERROR, STATUS
from qbattery._typing import TimesLike
from qbattery.battery import Battery
from qbattery.errors import InvalidInputError
from qbattery.sweep.cluster_config import ClusterConfig
from qbattery.sweep.execute import SweepRun
from qbattery.sweep.lock import StoreLock
from qbattery.sweep.spec import DONE, FAILED, INVALID, make_spec

if TYPE_CHECKING:
    from distributed import Client


@dataclass
class SweepReport:
    """Outcome of :func:`run_sweep`: the Dataset and what this run did.

    Examples
    --------
    >>> report = run_sweep("kbody", {"k": [1, 2, 5]}, [0.5, 1.0], params={"N": 4},
    ...                    client="serial", bounds=False)
    >>> report.total, report.computed, report.stored_before, report.store
    (3, 3, 0, None)
    >>> report.invalid[0][0], report.failed
    ({'k': 5}, [])
    >>> print(report.summary().splitlines()[1])
      invalid: k=5: InvalidInputError: `k` must be ≥ 1 and ≤ 4, got 5
    """

    dataset: xr.Dataset
    total: int
    computed: int
    stored_before: int
    elapsed_s: float
    workers: int
    store: Path | None = None
    invalid: list[tuple[dict[str, Any], str]] = field(default_factory=list)
    failed: list[tuple[dict[str, Any], str]] = field(default_factory=list)

    def summary(self, *, max_listed: int = 10) -> str:
        """A few lines: points done, computed now, invalid and failed points with errors."""
        ds = self.dataset
        dims = list(ds[STATUS].dims)
        shape = " × ".join(f"{ds.sizes[d]} {d}" for d in dims)
        done = int((ds[STATUS] == DONE).sum())
        where = (
            f" on {self.workers} worker{'s' if self.workers != 1 else ''}" if self.computed else ""
        )
        lines = [
            f"sweep of {ds.attrs.get('model')!r} over {shape} = {self.total} points: "
            f"{done} done ({self.computed} computed now in {self.elapsed_s:.1f} s{where}, "
            f"{self.stored_before} already in the store), {len(self.invalid)} invalid, "
            f"{len(self.failed)} failed"
        ]
        for label, items in (("invalid", self.invalid), ("failed", self.failed)):
            for point, error in items[:max_listed]:
                where = ", ".join(f"{k}={v}" for k, v in point.items())
                lines.append(f"  {label}: {where}: {error}")
            if len(items) > max_listed:
                lines.append(f"  ... and {len(items) - max_listed} more {label} points")
        if self.store is not None:
            lines.append(f"store: {self.store}")
        return "\n".join(lines)


def _progress(enabled: bool | None, total: int, stored: int) -> Any:
    """A rich progress bar on a terminal (stderr), nothing otherwise."""
    if enabled is None:
        enabled = sys.stderr.isatty()
    if not enabled:
        return contextlib.nullcontext(None)
    from rich.console import Console
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TextColumn,
        TimeElapsedColumn,
        TimeRemainingColumn,
    )

    bar = Progress(
        TextColumn("[bold]sweep[/bold]"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("points"),
        TimeElapsedColumn(),
        TextColumn("ETA"),
        TimeRemainingColumn(),
        TextColumn(f"({stored} already stored)" if stored else ""),
        console=Console(stderr=True),
        transient=False,
    )
    bar.add_task("sweep", total=total)
    return bar


def run_sweep(
    model: str | Callable[..., Battery],
    grid: Mapping[str, Sequence[Any]],
    times: TimesLike,
    *,
    params: Mapping[str, Any] | None = None,
    store: str | os.PathLike[str] | None = None,
    client: Client | str | None = None,
    workers: int | None = None,
    engine: str = "auto",
    bounds: bool = True,
    retry_failed: bool = False,
    progress: bool | None = None,
    dashboard: bool = True,
    chunk_points: int | None = None,
    cluster: ClusterConfig | None = None,
    wait: bool = False,
) -> SweepReport:
    """Run a sweep (see :func:`sweep`) and report what was done.

    Beyond the arguments of :func:`sweep`: ``chunk_points`` fixes the points per task
    (default: sized from the first point so that a task takes about a second),
    ``cluster`` a batch-system cluster (``qbattery.sweep.cluster_config.ClusterConfig``,
    the ``[cluster]`` table of a config), and ``wait`` waits for a store locked by another
    sweep instead of raising ``qbattery.sweep.lock.StoreLockedError``.

    Returns
    -------
    SweepReport
        ``dataset`` (as :func:`sweep` returns it), the number of points ``computed``
        by this run, those already ``stored_before`` it, and the ``invalid`` and
        ``failed`` points with their errors.

    Examples
    --------
    A sweep with a store resumes: the second run computes nothing and returns the same
    Dataset.

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = Path(tmp) / "kbody.zarr"
    ...     first = run_sweep("kbody", {"k": [1, 2]}, [0.5, 1.0], params={"N": 4},
    ...                       store=store, client="serial", bounds=False, progress=False)
    ...     again = run_sweep("kbody", {"k": [1, 2]}, [0.5, 1.0], params={"N": 4},
    ...                       store=store, client="serial", bounds=False, progress=False)
    >>> (first.computed, first.stored_before), (again.computed, again.stored_before)
    ((2, 0), (0, 2))
    >>> bool(again.dataset.work_mean.equals(first.dataset.work_mean))
    True
    """
    started = _time.perf_counter()
    spec = make_spec(model, grid, times, params=params, engine=engine, bounds=bounds)
    if client == "serial" and workers is not None:
        raise InvalidInputError("`workers` does not apply to client='serial'; drop it")
    if chunk_points is not None and (isinstance(chunk_points, bool) or chunk_points < 1):
        raise InvalidInputError(f"`chunk_points` must be ≥ 1, got {chunk_points!r}")
    lock = contextlib.nullcontext() if store is None else StoreLock(store, wait=wait)
    with lock:
        run = SweepRun(spec, store, retry_failed, chunk_points)
        with _progress(progress, len(run.todo), run.stored_before) as bar:
            run.bar = bar
            n_workers = run.execute(client, workers, dashboard, cluster)
        writer = run.writer
        assert writer is not None  # execute() opens it
        ds = writer.dataset()
    invalid: list[tuple[dict[str, Any], str]] = []
    failed: list[tuple[dict[str, Any], str]] = []
    for idx in spec.indices():
        st = int(ds[STATUS].values[idx])
        if st in (INVALID, FAILED):
            point = {d: spec.grid[d][i] for d, i in zip(spec.dims, idx, strict=True)}
            (invalid if st == INVALID else failed).append((point, str(ds[ERROR].values[idx])))
    return SweepReport(
        dataset=ds,
        total=spec.size,
        computed=run.computed,
        stored_before=run.stored_before,
        elapsed_s=_time.perf_counter() - started,
        workers=n_workers,
        store=writer.path,
        invalid=invalid,
        failed=failed,
    )


def sweep(
    model: str | Callable[..., Battery],
    grid: Mapping[str, Sequence[Any]],
    times: TimesLike,
    *,
    params: Mapping[str, Any] | None = None,
    store: str | os.PathLike[str] | None = None,
    client: Client | str | None = None,
    workers: int | None = None,
    engine: str = "auto",
    bounds: bool = True,
    retry_failed: bool = False,
    progress: bool | None = None,
    dashboard: bool = True,
) -> xr.Dataset:
    """Compute ``qb.charge`` at every point of a grid of model parameters.

    At each grid point: build the model with the point's parameters, then compute the
    Dataset of :func:`qbattery.charge` (Eq. 2–6) at ``times``. A task computes a block
    of points (about a second of work).

    Parameters
    ----------
    model : str or callable
        ``"kbody"``, ``"ising"``, ``"single_qubit"`` (``qb.models``), a
        ``"package.module:function"`` string, or a callable returning a Battery.
    grid : mapping of parameter -> sequence
        The swept parameters, e.g. ``{"N": [8, 10], "k": [1, 2, 4]}``; each axis becomes
        a dimension of the result, in this order. Values must be distinct.
    times : array_like, shape (nt,)
        Charging times, as for :func:`qbattery.charge`.
    params : mapping, optional
        Fixed parameters of the model (e.g. ``{"omega0": 2.0}``).
    store : path, optional
        Zarr store to write each finished point to; an existing store for the same
        sweep is resumed (only missing points are computed), one for another sweep is
        refused with :class:`SweepMismatchError`.
    client : distributed.Client, str or None
        ``None`` starts a ``LocalCluster`` (``workers`` single-threaded processes,
        default one per core, each with an equal share of the machine's memory);
        ``"tcp://HOST:PORT"`` connects to a running scheduler; a ``Client`` is used as
        is; ``"serial"`` computes in this process without Dask.
    workers : int, optional
        Number of local workers (default: the number of cores).
    engine : str
        Engine for every point (``"auto"`` picks per point).
    bounds : bool
        Compute the Fisher-information bounds (Eq. 5); without them they are NaN.
    retry_failed : bool
        Compute again the points stored as ``failed`` (invalid points never are).
    progress : bool, optional
        Show a progress bar on stderr; default: only when stderr is a terminal.
    dashboard : bool
        Serve (and print the address of) the Dask dashboard of a local cluster.

    Returns
    -------
    xarray.Dataset
        Every variable of ``qb.charge`` (plus ``work_f``, ``power_f``,
        ``tradeoff_sum_bound``) on dimensions ``(*grid, "time")``, and per point
        ``status`` (0 pending, 1 done, 2 invalid, 3 failed), ``error``, ``engine`` and
        ``notes``. Invalid points (the model rejects the parameters, e.g. k > N) and
        failed points (an error while computing) hold NaN.

    Examples
    --------
    >>> import qbattery as qb
    >>> ds = qb.sweep("kbody", {"N": [2, 4], "k": [1, 2, 3]}, [0.5, 1.0], client="serial")
    >>> ds.work_nsr.dims
    ('N', 'k', 'time')
    >>> ds.status.values.tolist()  # k = 3 > N = 2 is invalid
    [[1, 1, 2], [1, 1, 1]]
    """
    return run_sweep(
        model,
        grid,
        times,
        params=params,
        store=store,
        client=client,
        workers=workers,
        engine=engine,
        bounds=bounds,
        retry_failed=retry_failed,
        progress=progress,
        dashboard=dashboard,
    ).dataset
