"""The tasks of a sweep: a chunk of grid points → ``qb.charge`` on the model built at each.

:func:`evaluate_chunk` is the one function a task runs (in-process or on a Dask worker):
a batched engine (one call for many points, e.g. on a GPU) replaces the loop over
:func:`compute_point` there and nowhere else.
"""

from __future__ import annotations

import inspect
import time
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from qbattery._threads import blas_threads as blas_limit
from qbattery.battery import Battery
from qbattery.charge import charge
from qbattery.engines import clear_engine_cache
from qbattery.engines.cache import cache_engine
from qbattery.engines.jax_batch import primed_batches
from qbattery.errors import InvalidInputError
from qbattery.sweep.spec import DONE, FAILED, INVALID, SWEEP_VARIABLES, SweepSpec
from qbattery.sweep.store import PointResult


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
    started = time.perf_counter()
    with blas_limit(blas_threads):
        battery = _build(fn, index, kwargs)
        if isinstance(battery, PointResult):
            return battery
        return _charge_point(battery, index, times, engine, bounds, started)


def _build(fn: Callable[..., Battery], index: tuple[int, ...], kwargs: dict[str, Any]) -> Any:
    """The model at one point, or the ``invalid``/``failed`` result of building it."""
    try:
        return fn(**kwargs)
    except InvalidInputError as exc:
        return PointResult(index, INVALID, None, error=f"{type(exc).__name__}: {exc}")
    except Exception as exc:
        return PointResult(index, FAILED, None, error=_describe(exc))


def _charge_point(
    battery: Battery,
    index: tuple[int, ...],
    times: np.ndarray,
    engine: str,
    bounds: bool,
    started: float,
) -> PointResult:
    """``qb.charge`` on one point's battery (its prepared engine, if any, is used)."""
    try:
        ds = charge(battery, times, engine, **_charge_options(charge, bounds))
        values = np.stack([np.asarray(ds[v].values, dtype=float) for v in SWEEP_VARIABLES])
    except Exception as exc:
        return PointResult(index, FAILED, None, error=_describe(exc))
    finally:
        # models are cached; their prepared engines (an eigendecomposition: ~10 d²
        # numbers) must not pile up in a worker that computes many points
        clear_engine_cache(battery)
    notes = ds.attrs.get("notes", "")
    return PointResult(
        index,
        DONE,
        values,
        engine=str(ds.attrs["engine"]),
        notes=str(notes),
        seconds=time.perf_counter() - started,
    )


def evaluate_chunk(
    fn: Callable[..., Battery],
    indices: Sequence[tuple[int, ...]],
    kwargs: Sequence[dict[str, Any]],
    times: np.ndarray,
    engine: str,
    bounds: bool,
    out: list[PointResult] | None = None,
) -> list[PointResult]:
    """Compute a chunk of grid points (one task): the hook for batched engines.

    Each point goes through :func:`compute_point`; its result is appended to ``out``
    as soon as it is finished (so a caller interrupted mid-chunk keeps the finished
    points), and ``out`` is returned.

    With ``engine="jax"`` and more than one point, the chunk's models are built first
    and their engines primed by batched, vmapped scans
    (:func:`qbattery.engines.jax_batch.primed_batches`: points of one operator
    structure in one call, as many per call as the device memory allows); then each
    point runs ``qb.charge`` as :func:`compute_point` does, on its primed engine. A
    batched call that raises fails its points with its message; a point that cannot be
    batched is computed alone.

    Examples
    --------
    Two k-body points: ⟨𝒲_t⟩ = Nω0 sin²(Ω_k t), Ω_k = (k/N)Ω0 (E3).

    >>> from qbattery import models
    >>> t = np.array([0.5, 1.0])
    >>> rs = evaluate_chunk(models.kbody, [(0,), (1,)], [{"N": 4, "k": 1},
    ...                     {"N": 4, "k": 2}], t, "auto", False)
    >>> [r.index for r in rs], [r.status == DONE for r in rs]
    ([(0,), (1,)], [True, True])
    >>> work = rs[1].values[SWEEP_VARIABLES.index("work_mean")]
    >>> bool(np.allclose(work, 4 * np.sin(0.5 * t) ** 2, rtol=1e-12))
    True
    """
    results: list[PointResult] = [] if out is None else out
    if engine == "jax" and len(indices) > 1:
        _evaluate_batched(fn, indices, kwargs, times, bounds, results)
        return results
    for index, kw in zip(indices, kwargs, strict=True):
        results.append(compute_point(fn, index, kw, times, engine, bounds))
    return results


def _evaluate_batched(
    fn: Callable[..., Battery],
    indices: Sequence[tuple[int, ...]],
    kwargs: Sequence[dict[str, Any]],
    times: np.ndarray,
    bounds: bool,
    results: list[PointResult],
    blas_threads: int = 1,
) -> None:
    """:func:`evaluate_chunk` with the jax engine's batched scans (its docstring)."""
    with blas_limit(blas_threads):
        batteries: list[Battery] = []
        where: list[tuple[tuple[int, ...], float]] = []  # (index, seconds building it)
        for index, kw in zip(indices, kwargs, strict=True):
            started = time.perf_counter()
            battery = _build(fn, index, kw)
            if isinstance(battery, PointResult):
                results.append(battery)
            else:
                batteries.append(battery)
                where.append((index, time.perf_counter() - started))
        pending = set(range(len(batteries)))
        try:
            for sub in primed_batches(batteries, times, bounds=bounds):
                share = sub.seconds / len(sub.members)
                for pos, eng in zip(sub.members, sub.engines, strict=True):
                    pending.discard(pos)
                    index, build_s = where[pos]
                    if sub.error is not None:
                        results.append(PointResult(index, FAILED, None, error=_describe(sub.error)))
                        continue
                    if eng is not None:
                        cache_engine(batteries[pos], eng)  # charge takes it from there
                    started = time.perf_counter() - build_s - share
                    results.append(_charge_point(batteries[pos], index, times, "jax",
                                                 bounds, started))  # fmt: skip
        except Exception as exc:  # the batching itself failed: its points are failed
            for pos in sorted(pending):
                results.append(PointResult(where[pos][0], FAILED, None, error=_describe(exc)))


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


def run_local(spec: SweepSpec, idx: tuple[int, ...]) -> PointResult:
    """Compute one point of ``spec`` in this process."""
    return compute_point(spec.fn, idx, spec.point(idx), spec.times, spec.engine, spec.bounds)
