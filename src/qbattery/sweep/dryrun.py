"""Looking before running: ``qbattery sweep CONFIG --dry-run`` and ``--status STORE``."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from qbattery._memory import format_bytes
from qbattery.engines import resolve
from qbattery.sweep.cluster_config import BATCH_KINDS, ClusterConfig, job_script
from qbattery.sweep.spec import DONE, FAILED, INVALID, PENDING, SWEEP_VARIABLES, SweepSpec
from qbattery.sweep.store import open_sweep


def store_bytes(spec: SweepSpec) -> int:
    """Uncompressed bytes of a sweep's store: float64 results, int8 status, strings.

    Examples
    --------
    >>> from qbattery.sweep import make_spec
    >>> spec = make_spec("kbody", {"k": [1, 2]}, [0.5, 1.0], params={"N": 4})
    >>> store_bytes(spec) == 2 * (len(SWEEP_VARIABLES) * 2 * 8 + 1 + 24)
    True
    """
    per_point = len(SWEEP_VARIABLES) * spec.times.size * 8 + 1 + 3 * 8
    return spec.size * per_point


def point_memory(spec: SweepSpec) -> tuple[int, str]:
    """Largest engine memory estimate over the first and last grid points, and where.

    Examples
    --------
    >>> from qbattery.sweep import make_spec
    >>> nbytes, where = point_memory(make_spec("kbody", {"N": [2, 8]}, [0.5], params={"k": 1}))
    >>> nbytes > 0, where
    (True, 'N=8 (engine structured)')
    """
    best = (0, "no valid point")
    for idx in {(0,) * len(spec.dims), tuple(n - 1 for n in spec.shape)}:
        point = spec.point(idx)
        try:
            battery = spec.fn(**point)
            cls, _ = resolve(battery, spec.engine, spec.times.size)
        except Exception:  # an invalid point: the sweep records it
            continue
        nbytes = int(cls.memory_estimate(battery, spec.times.size))
        where = ", ".join(f"{d}={point[d]}" for d in spec.dims)
        best = max(best, (nbytes, f"{where} (engine {cls.name})"))
    return best


def dry_run(spec: SweepSpec, store: str | os.PathLike[str], cluster: ClusterConfig | None) -> str:
    """What ``qbattery sweep --dry-run`` prints: the batch script, jobs, workers, sizes.

    Submits nothing (for a batch cluster, dask-jobqueue writes the script without
    submitting it).

    Examples
    --------
    >>> from qbattery.sweep import make_spec
    >>> text = dry_run(make_spec("kbody", {"k": [1, 2]}, [0.5], params={"N": 4}), "k.zarr",
    ...                None)
    >>> print(text.splitlines()[0])
    grid: 2 points (k: 2) × 1 times
    """
    axes = ", ".join(f"{d}: {n}" for d, n in zip(spec.dims, spec.shape, strict=True))
    nbytes, where = point_memory(spec)
    lines = [
        f"grid: {spec.size} points ({axes}) × {spec.times.size} times",
        f"store: {store} (about {format_bytes(store_bytes(spec))} uncompressed)"
        + (", exists: the sweep resumes" if Path(store).exists() else ""),
        f"memory per point: {format_bytes(nbytes)} at {where} (engine estimate)",
    ]
    if cluster is not None and cluster.kind in BATCH_KINDS:
        lines.append(
            f"cluster: {cluster.describe()} = {cluster.workers_expected()} workers at most"
        )
        lines.append("job script (submitted once per job; nothing is submitted now):")
        lines.append(job_script(cluster).rstrip())
    elif cluster is not None and cluster.kind == "scheduler":
        lines.append(f"cluster: the running Dask scheduler at {cluster.address}")
    else:
        workers = cluster.workers if cluster is not None and cluster.workers else "one per core"
        lines.append(f"cluster: a LocalCluster on this machine ({workers} workers)")
    return "\n".join(lines)


def status_counts(store: str | os.PathLike[str]) -> dict[str, int]:
    """Points of a store by status: done, invalid, failed, pending.

    Examples
    --------
    >>> import tempfile, qbattery as qb
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     _ = qb.sweep("kbody", {"k": [1, 2, 9]}, [0.5], params={"N": 4},
    ...                  store=Path(tmp) / "k.zarr", client="serial", bounds=False)
    ...     counts = status_counts(Path(tmp) / "k.zarr")
    >>> counts
    {'done': 2, 'invalid': 1, 'failed': 0, 'pending': 0}
    """
    status = np.asarray(open_sweep(store).status.values)
    names = {"done": DONE, "invalid": INVALID, "failed": FAILED, "pending": PENDING}
    return {name: int(np.count_nonzero(status == code)) for name, code in names.items()}
