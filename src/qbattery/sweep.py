"""Parameter sweeps on ``dask.distributed`` that survive interruption.

``qb.sweep(model, grid, times)`` computes ``qb.charge`` at every point of a grid of
model parameters, one task per grid point, and returns one :class:`xarray.Dataset`
with the grid as dimensions (plus ``time``).

With ``store=PATH`` every finished point is written to a Zarr store as it arrives:

1. the *template* (every array, its metadata and the sweep's configuration, but no
   data) is written first, to a temporary directory renamed into place, so a store
   either exists whole or not at all;
2. each finished point is one ``to_zarr(region=...)`` write of its data; every array
   has one chunk per grid point, so no two writes share a chunk (Zarr writes each chunk
   file atomically);
3. then the point's *completion record* (its ``status``) is written; a point whose
   status is still ``pending`` is computed again on the next run.

Killing the command (Ctrl-C, SIGKILL) or losing a worker loses no finished point;
running the same sweep again with the same store computes only what is missing and
gives the same Dataset as an uninterrupted run. A store made for a different sweep is
refused with a message saying what differs.
"""

from __future__ import annotations

import contextlib
import inspect
import os
import sys
import time as _time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from qbattery._optional import require
from qbattery._sweep_config import SweepConfig, load_config, run_config
from qbattery._sweep_spec import (
    DONE,
    FAILED,
    INVALID,
    PENDING,
    SWEEP_VARIABLES,
    SweepMismatchError,
    SweepSpec,
    make_spec,
    resolve_model,
)
from qbattery._sweep_store import PointResult, _MemoryWriter, _ZarrWriter, open_sweep
from qbattery._typing import TimesLike
from qbattery.battery import Battery
from qbattery.errors import InvalidInputError, QBatteryError

if TYPE_CHECKING:
    from distributed import Client

__all__ = [
    "DONE",
    "FAILED",
    "INVALID",
    "PENDING",
    "SWEEP_VARIABLES",
    "PointResult",
    "SweepConfig",
    "SweepMismatchError",
    "SweepReport",
    "SweepSpec",
    "compute_point",
    "load_config",
    "make_spec",
    "open_sweep",
    "resolve_model",
    "run_config",
    "run_sweep",
    "sweep",
]


def compute_point(
    fn: Callable[..., Battery],
    index: tuple[int, ...],
    kwargs: dict[str, Any],
    times: np.ndarray,
    engine: str,
    bounds: bool,
    blas_threads: int = 1,
) -> PointResult:
    """Build the model at one grid point and run ``qb.charge`` on it (one task).

    BLAS threads are capped to ``blas_threads`` with threadpoolctl so that workers
    sharing a machine do not oversubscribe its cores. A model that rejects the
    parameters (e.g. k > N) gives an ``invalid`` point, any other exception a
    ``failed`` point; both carry the error message.

    Examples
    --------
    One k-body point: ⟨𝒲_t⟩ = Nω0 sin²(Ω_k t), Ω_k = (k/N)Ω0 (E3).

    >>> from qbattery import models
    >>> t = np.array([0.5, 1.0])
    >>> r = compute_point(models.kbody, (0,), {"N": 4, "k": 2}, t, "auto", False)
    >>> r.status == DONE, r.values.shape == (len(SWEEP_VARIABLES), t.size), r.engine
    (True, True, 'structured')
    >>> work = r.values[SWEEP_VARIABLES.index("work_mean")]
    >>> bool(np.allclose(work, 4 * np.sin(0.5 * t) ** 2, rtol=1e-12))
    True
    >>> bad = compute_point(models.kbody, (1,), {"N": 2, "k": 3}, t, "auto", False)
    >>> bad.status == INVALID, bad.values, bad.error.split(":")[0]
    (True, None, 'InvalidInputError')
    """
    threadpoolctl = require("threadpoolctl")
    from qbattery.charge import _ENGINE_CACHE, charge

    with threadpoolctl.threadpool_limits(limits=blas_threads):
        try:
            battery = fn(**kwargs)
        except InvalidInputError as exc:
            return PointResult(index, INVALID, None, error=f"{type(exc).__name__}: {exc}")
        except Exception as exc:
            return PointResult(index, FAILED, None, error=_describe(exc))
        try:
            ds = charge(battery, times, engine, **_charge_options(charge, bounds))
            values = np.stack([np.asarray(ds[v].values, dtype=float) for v in SWEEP_VARIABLES])
        except Exception as exc:
            return PointResult(index, FAILED, None, error=_describe(exc))
        finally:
            # models are cached; their prepared engines (an eigendecomposition: ~10 d²
            # numbers) must not pile up in a worker that computes many points
            _ENGINE_CACHE.pop(battery, None)
    notes = ds.attrs.get("notes", "")
    return PointResult(index, DONE, values, engine=str(ds.attrs["engine"]), notes=str(notes))


def _charge_options(charge: Callable[..., Any], bounds: bool) -> dict[str, Any]:
    """Keywords of ``qb.charge`` for a sweep point: no ergotropy (not stored) and no
    progress bar of its own (the sweep has one), where this version of charge has them."""
    accepted = inspect.signature(charge).parameters
    wanted = {"bounds": bounds, "ergotropy": False, "progress": False}
    return {key: value for key, value in wanted.items() if key == "bounds" or key in accepted}


def _describe(exc: BaseException) -> str:
    """One line naming an exception and where it was raised."""
    frames = traceback.extract_tb(exc.__traceback__)
    where = f" (at {Path(frames[-1].filename).name}:{frames[-1].lineno})" if frames else ""
    return f"{type(exc).__name__}: {exc}{where}"


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
        dims = list(ds["status"].dims)
        shape = " × ".join(f"{ds.sizes[d]} {d}" for d in dims)
        done = int((ds["status"] == DONE).sum())
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
) -> SweepReport:
    """Run a sweep (see :func:`sweep`) and report what was done.

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
    writer: _MemoryWriter | _ZarrWriter = (
        _MemoryWriter(spec) if store is None else _ZarrWriter(spec, store)
    )
    status = writer.status()
    todo_mask = status == PENDING
    if retry_failed:
        todo_mask |= status == FAILED
    todo = [idx for idx in spec.indices() if todo_mask[idx]]
    stored_before = int(spec.size - len(todo))

    computed = 0
    n_workers = 1
    with _progress(progress, len(todo), stored_before) as bar:

        def record(result: PointResult) -> None:
            nonlocal computed
            writer.write(result)
            computed += 1
            if bar is not None:
                bar.advance(bar.task_ids[0])

        if todo and client == "serial":
            for idx in todo:
                record(_run_local(spec, idx))
        elif todo:
            n_workers = _run_distributed(spec, todo, client, workers, dashboard, record)
    ds = writer.dataset()
    invalid: list[tuple[dict[str, Any], str]] = []
    failed: list[tuple[dict[str, Any], str]] = []
    for idx in spec.indices():
        st = int(ds["status"].values[idx])
        if st in (INVALID, FAILED):
            point = {d: spec.grid[d][i] for d, i in zip(spec.dims, idx, strict=True)}
            (invalid if st == INVALID else failed).append((point, str(ds["error"].values[idx])))
    return SweepReport(
        dataset=ds,
        total=spec.size,
        computed=computed,
        stored_before=stored_before,
        elapsed_s=_time.perf_counter() - started,
        workers=n_workers,
        store=writer.path,
        invalid=invalid,
        failed=failed,
    )


def _run_local(spec: SweepSpec, idx: tuple[int, ...]) -> PointResult:
    return compute_point(spec.fn, idx, spec.point(idx), spec.times, spec.engine, spec.bounds)


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


def _run_distributed(
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

    Each grid point is one task: build the model with the point's parameters, then
    compute the Dataset of :func:`qbattery.charge` (Eq. 2–6) at ``times``.

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
