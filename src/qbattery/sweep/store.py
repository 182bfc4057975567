"""Where a sweep's results go: memory, or a Zarr store written point by point.

Layout of a store (format 1): every variable of :data:`SWEEP_VARIABLES` on
``(*grid, "time")`` and the ``engine``, ``notes`` and ``error`` strings on the grid,
chunked in *blocks* of grid points (one task each, :mod:`.chunks`; stores written
before chunked tasks have one point per block); the int8 ``status`` (0 pending, 1 done,
2 invalid, 3 failed) on the grid, the completion records, in the same blocks (stores
written before 0.2 have one status chunk per point; both are read and written alike);
the grid and ``time`` coordinates; the sweep's record (model,
grid, params, times, engine, bounds) in the attribute ``qbattery_sweep``.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from qbattery._checks import available_memory
from qbattery._dataset import (
    ENGINE,
    ERROR,
    NOTES,
    STATUS,
    SWEEP_POINT_VARIABLES,
    TIME,
    time_coordinate,
    variable_attrs,
)
from qbattery._optional import require
from qbattery._version import __version__
from qbattery.errors import InvalidInputError
from qbattery.sweep.spec import (
    DONE,
    FAILED,
    INVALID,
    PENDING,
    RECORD_ATTR,
    STATUS_MEANINGS,
    SWEEP_VARIABLES,
    SweepMismatchError,
    SweepSpec,
)

#: a new store's results are also kept in memory (for the final Dataset) when they need
#: less than this fraction of the available memory
MIRROR_MEMORY_FRACTION = 0.1
#: the per-point string variables (engine, notes, error), in the order they are stored
POINT_STRINGS: tuple[str, ...] = (ENGINE, NOTES, ERROR)


@dataclass(frozen=True)
class PointResult:
    """What one task returns: the point's values or its error.

    Attributes
    ----------
    index : tuple of int
        The grid index of the point.
    status : int
        ``DONE``, ``INVALID`` or ``FAILED``.
    values : ndarray, shape (len(SWEEP_VARIABLES), nt), or None
        The point's ``SWEEP_VARIABLES`` (None unless done).
    engine, notes, error : str
        The engine used, its notes, and the error of an invalid or failed point.
    seconds : float
        Wall time of the computation (0 unless done); sizes the chunks of a sweep.

    Examples
    --------
    One k-body point: ⟨𝒫_t⟩ = NΩ_kω0 sin(2Ω_k t), Ω_k = (k/N)Ω0 (E6).

    >>> from qbattery import models
    >>> from qbattery.sweep import compute_point
    >>> t = np.array([0.5, 1.0])
    >>> r = compute_point(models.kbody, (0, 1), {"N": 4, "k": 2}, t, "auto", False)
    >>> r.index, r.status == DONE, r.values.shape == (len(SWEEP_VARIABLES), 2), r.error
    ((0, 1), True, True, '')
    >>> power = r.values[SWEEP_VARIABLES.index("power_mean")]
    >>> bool(np.allclose(power, 4 * 0.5 * np.sin(2 * 0.5 * t), rtol=1e-12))
    True
    """

    index: tuple[int, ...]
    status: int
    values: np.ndarray | None  # shape (len(SWEEP_VARIABLES), nt)
    engine: str = ""
    notes: str = ""
    error: str = ""
    seconds: float = 0.0


def _zarr_sync(coro: Any) -> Any:
    """Run a coroutine of Zarr's asynchronous arrays on Zarr's own event loop (the loop
    its synchronous API uses; ``zarr.core.sync.sync``)."""
    from zarr.core.sync import sync

    return sync(coro)


def _template(spec: SweepSpec, *, lazy: bool, block: tuple[int, ...] | None = None) -> xr.Dataset:
    """The sweep's Dataset with no results: NaN data, every status pending."""
    dims = spec.dims
    shape = spec.shape
    nt = spec.times.size
    point_chunks = (1,) * len(dims)
    block_chunks = point_chunks if block is None else block
    if lazy:
        da = require("dask.array")

        def full(shp: tuple[int, ...], value: Any, dtype: Any, chunks: tuple[int, ...]) -> Any:
            return da.full(shp, value, dtype=dtype, chunks=chunks)
    else:

        def full(shp: tuple[int, ...], value: Any, dtype: Any, chunks: tuple[int, ...]) -> Any:
            return np.full(shp, value, dtype=dtype)

    data: dict[str, xr.Variable] = {}
    for name in SWEEP_VARIABLES:
        data[name] = xr.Variable(
            (*dims, TIME),
            full((*shape, nt), np.nan, np.float64, (*block_chunks, nt)),
            attrs=variable_attrs(name),
        )
    for name in POINT_STRINGS:
        # written eagerly with the template (chunks equal to the fill value "" are skipped)
        data[name] = xr.Variable(
            dims,
            np.full(shape, "", dtype=object),
            {"long_name": SWEEP_POINT_VARIABLES[name]},
            encoding={"chunks": block_chunks},
        )
    data[STATUS] = xr.Variable(
        dims,
        full(shape, PENDING, np.int8, block_chunks),
        attrs={
            "long_name": SWEEP_POINT_VARIABLES[STATUS],
            "flag_values": [PENDING, DONE, INVALID, FAILED],
            "flag_meanings": STATUS_MEANINGS,
        },
    )
    coords: dict[str, xr.Variable] = {
        d: xr.Variable((d,), np.asarray(v, dtype=object if isinstance(v[0], str) else None))
        for d, v in spec.grid.items()
    }
    coords[TIME] = time_coordinate(spec.times)
    attrs = {
        "model": spec.model,
        "params": json.dumps(spec.params, sort_keys=True),
        "grid": json.dumps(list(spec.dims)),
        "engine": spec.engine,
        "bounds": int(spec.bounds),
        "qbattery_version": __version__,
        RECORD_ATTR: json.dumps(spec.record(), sort_keys=True),
    }
    return xr.Dataset(data, coords=coords, attrs=attrs)


def _finalize(ds: xr.Dataset) -> xr.Dataset:
    """Give string variables and coordinates one dtype (``str``), whatever the backend."""

    def as_str(var: xr.Variable) -> xr.Variable:
        return var.copy(data=np.array(np.asarray(var.values).astype(object), dtype=str))

    strings = {n: as_str(v) for n, v in ds.variables.items() if v.dtype.kind in "OTU"}
    coords = {n: v for n, v in strings.items() if n in ds.coords}
    ds = ds.assign_coords(coords)
    ds = ds.assign({n: v for n, v in strings.items() if n not in coords})
    return ds[[*SWEEP_VARIABLES, STATUS, ERROR, ENGINE, NOTES]]


class MemoryWriter:
    """Results kept in memory (``store=None``)."""

    def __init__(self, spec: SweepSpec) -> None:
        self.ds = _template(spec, lazy=False)
        self.path: Path | None = None

    def status(self) -> np.ndarray:
        return np.asarray(self.ds[STATUS].values)

    def write(self, result: PointResult) -> None:
        idx = result.index
        if result.values is not None:
            for name, row in zip(SWEEP_VARIABLES, result.values, strict=True):
                self.ds[name].values[idx] = row
        for name in POINT_STRINGS:
            self.ds[name].values[idx] = getattr(result, name)
        self.ds[STATUS].values[idx] = result.status

    def write_block(self, region: tuple[slice, ...], results: list[PointResult]) -> None:
        """Record a finished task (the points of one block)."""
        for result in results:
            self.write(result)

    def dataset(self) -> xr.Dataset:
        return _finalize(self.ds.copy(deep=True))


class ZarrWriter:
    """Results written to a Zarr store, one region write per variable per finished block.

    ``block`` is the chunking of a new store (default: one point per chunk); an
    existing store keeps its own (:attr:`block`).
    """

    def __init__(
        self,
        spec: SweepSpec,
        path: str | os.PathLike[str],
        *,
        block: tuple[int, ...] | None = None,
    ) -> None:
        require("zarr")
        self.spec = spec
        self.path = Path(path)
        self._open: dict[str, Any] | None = None
        #: what this writer wrote, kept in memory when it created the store (the final
        #: Dataset then needs no read back); None for a store that existed before
        self._mirror: MemoryWriter | None = None
        self.block: tuple[int, ...] = block or (1,) * len(spec.dims)
        if self.path.exists():
            self._check_existing()
            self.block = tuple(self._arrays()[SWEEP_VARIABLES[0]].chunks[:-1])
        else:
            self._create()
            nbytes = spec.size * (len(SWEEP_VARIABLES) * spec.times.size * 8 + 64)
            if nbytes < MIRROR_MEMORY_FRACTION * available_memory():
                self._mirror = MemoryWriter(spec)

    def _create(self) -> None:
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        shutil.rmtree(tmp, ignore_errors=True)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            _template(self.spec, lazy=True, block=self.block).to_zarr(
                tmp, mode="w-", compute=False, consolidated=False, zarr_format=3
            )
            os.rename(tmp, self.path)  # the store appears whole or not at all
        finally:
            shutil.rmtree(tmp, ignore_errors=True)  # left only if the rename failed

    def _check_existing(self) -> None:
        zarr = require("zarr")
        try:
            attrs = dict(zarr.open_group(str(self.path), mode="r").attrs)
        except Exception as exc:
            raise InvalidInputError(
                f"{str(self.path)!r} exists but is not a Zarr store ({exc}); "
                "choose another store path"
            ) from exc
        if RECORD_ATTR not in attrs:
            raise InvalidInputError(
                f"{str(self.path)!r} is a Zarr store but not a qbattery sweep store; "
                "choose another store path"
            )
        stored = json.loads(attrs[RECORD_ATTR])
        diffs = describe_differences(stored, self.spec.record())
        if diffs:
            raise SweepMismatchError(
                f"store {str(self.path)!r} was made for a different sweep: "
                + "; ".join(diffs)
                + ". Use another store path, or delete the store to start again"
            )

    def status(self) -> np.ndarray:
        zarr = require("zarr")
        return np.asarray(zarr.open_array(str(self.path / STATUS), mode="r")[...])

    def write(self, result: PointResult) -> None:
        """Write one point: its values in every variable, then its completion record
        (:meth:`write_block` with the point as its region). Only the store's single
        writer (the driver, holding its lock) writes, so a point sharing its block's
        chunk with others is safe.
        """
        self.write_block(tuple(slice(i, i + 1) for i in result.index), [result])

    def write_block(self, region: tuple[slice, ...], results: list[PointResult]) -> None:
        """Write a finished task: one region write per variable, all at once, then the
        completion records of its points.

        ``region`` is one block of the store (:attr:`block`), or a part of one; points of
        the region not in ``results`` (done before) keep their stored values. The region
        writes of all variables run concurrently on Zarr's event loop (one round trip
        instead of one per variable: 17 → 8 ms of driver CPU per block of 15 points,
        measured).
        """
        offsets = tuple(s.start for s in region)
        local = [tuple(i - o for i, o in zip(r.index, offsets, strict=True)) for r in results]
        shape = tuple(s.stop - s.start for s in region)
        whole = len(results) == math.prod(shape)
        names = [*SWEEP_VARIABLES, *POINT_STRINGS]
        stored = None if whole else self._read(region, [*names, STATUS])
        blocks: dict[str, np.ndarray] = {}
        for k, name in enumerate(names):
            if k < len(SWEEP_VARIABLES):
                block = np.full((*shape, self.spec.times.size), np.nan)
                for at, result in zip(local, results, strict=True):
                    block[at] = np.nan if result.values is None else result.values[k]
            else:
                block = np.full(shape, "", dtype=object)
                for at, result in zip(local, results, strict=True):
                    block[at] = getattr(result, name)
            if stored is not None:  # keep the block's other points as stored
                mine = np.zeros(shape, bool)
                for at in local:
                    mine[at] = True
                block = np.where(
                    mine.reshape(mine.shape + (1,) * (block.ndim - mine.ndim)),
                    block,
                    stored[name].astype(block.dtype),
                )
            blocks[name] = block
        status = np.full(shape, PENDING, np.int8) if stored is None else stored[STATUS].copy()
        for at, result in zip(local, results, strict=True):
            status[at] = result.status
        self._write(region, blocks)
        # the completion records, written only after the data are on disk
        self._write(region, {STATUS: status})
        for result in results:
            self._mirror_write(result)

    def _mirror_write(self, result: PointResult) -> None:
        if self._mirror is not None:
            self._mirror.write(result)

    def _write(self, region: tuple[slice, ...], blocks: Mapping[str, np.ndarray]) -> None:
        """Region writes of several variables, concurrently on Zarr's event loop."""
        arrays = self._async_arrays()

        async def write_all() -> None:
            await asyncio.gather(*(arrays[n].setitem(region, b) for n, b in blocks.items()))

        _zarr_sync(write_all())

    def _read(self, region: tuple[slice, ...], names: list[str]) -> dict[str, np.ndarray]:
        """Region reads of several variables, concurrently."""
        arrays = self._async_arrays()

        async def read_all() -> list[Any]:
            return list(await asyncio.gather(*(arrays[n].getitem(region) for n in names)))

        return {n: np.asarray(v) for n, v in zip(names, _zarr_sync(read_all()), strict=True)}

    def _arrays(self) -> dict[str, Any]:
        if self._open is None:
            zarr = require("zarr")
            group = zarr.open_group(str(self.path), mode="r+")
            names = [*SWEEP_VARIABLES, *POINT_STRINGS, STATUS]
            self._open = {name: group[name] for name in names}
        return self._open

    def _async_arrays(self) -> dict[str, Any]:
        """The arrays as ``zarr.AsyncArray`` (``Array.async_array``) for concurrent writes."""
        return {name: array.async_array for name, array in self._arrays().items()}

    def dataset(self) -> xr.Dataset:
        """The store's Dataset: from the copy in memory when this writer created the
        store and wrote every point of it (identical; no read back), else read."""
        if self._mirror is not None and not np.any(self._mirror.status() == PENDING):
            return self._mirror.dataset()
        # chunks=None: whole arrays through zarr (concurrent reads), not a dask task per
        # chunk (one chunk per point: 5x slower for a few hundred points)
        with xr.open_zarr(self.path, consolidated=False, chunks=None) as ds:
            return _finalize(ds.load())


def describe_differences(stored: Mapping[str, Any], wanted: Mapping[str, Any]) -> list[str]:
    """Human-readable differences between a store's sweep record and this sweep's.

    Examples
    --------
    >>> describe_differences({"engine": "dense"}, {"engine": "auto"})
    ["engine is 'dense' in the store but 'auto' here"]
    """
    out: list[str] = []
    for key in sorted(set(stored) | set(wanted)):
        a, b = stored.get(key), wanted.get(key)
        if a == b:
            continue
        if key == "grid" and isinstance(a, list) and isinstance(b, list):
            a, b = dict(a), dict(b)  # [[axis, values], ...] in axis order
        if key == "times" and isinstance(a, list) and isinstance(b, list):
            out.append(
                f"times are {len(a)} values in [{min(a):g}, {max(a):g}] in the store but "
                f"{len(b)} values in [{min(b):g}, {max(b):g}] here"
                if (len(a), min(a), max(a)) != (len(b), min(b), max(b))
                else "times differ (same number and range, different values)"
            )
        elif key in ("grid", "params") and isinstance(a, dict) and isinstance(b, dict):
            for name in sorted(set(a) | set(b)):
                if name not in a:
                    out.append(f"{key} {name!r} is not in the store but is {b[name]!r} here")
                elif name not in b:
                    out.append(f"{key} {name!r} is {a[name]!r} in the store but not given here")
                elif a[name] != b[name]:
                    out.append(f"{key} {name!r} is {a[name]!r} in the store but {b[name]!r} here")
            if list(a) != list(b) and set(a) == set(b):
                out.append(f"{key} axes are ordered {list(a)} in the store but {list(b)} here")
        else:
            out.append(f"{key} is {a!r} in the store but {b!r} here")
    return out


def open_sweep(store: str | os.PathLike[str]) -> xr.Dataset:
    """Load a sweep store (finished or not) as the Dataset :func:`sweep` returns.

    Points not yet computed have ``status`` 0 and NaN values.

    Examples
    --------
    >>> import tempfile, qbattery as qb
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = Path(tmp) / "k.zarr"
    ...     ds = qb.sweep("kbody", {"k": [1, 2]}, [0.5, 1.0], params={"N": 4},
    ...                   store=store, client="serial", bounds=False)
    ...     opened = qb.open_sweep(store)
    >>> opened.status.values.tolist(), opened.work_nsr.dims
    ([1, 1], ('k', 'time'))
    >>> bool(opened.work_nsr.equals(ds.work_nsr))
    True
    """
    require("zarr")
    path = Path(store)
    if not path.exists():
        raise InvalidInputError(f"no sweep store at {str(path)!r}; run the sweep first")
    if not path.is_dir() or not any((path / m).exists() for m in (".zgroup", "zarr.json")):
        raise InvalidInputError(
            f"{str(path)!r} is not a Zarr store (a directory written by qb.sweep); give the "
            "store path of a sweep (NetCDF files open with xarray.open_dataset)"
        )
    with xr.open_zarr(path, consolidated=False, chunks=None) as ds:
        if RECORD_ATTR not in ds.attrs:
            raise InvalidInputError(f"{str(path)!r} is not a qbattery sweep store")
        return _finalize(ds.load())
