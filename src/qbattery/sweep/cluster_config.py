"""The ``[cluster]`` table of a sweep config: where the tasks run (docs/how-to/slurm.md).

``kind = "local"`` (default: a LocalCluster on this machine), ``"scheduler"`` (a
running Dask scheduler at ``address``), or a batch system, ``"slurm"``, ``"pbs"`` or
``"sge"``: dask-jobqueue (the ``qbattery[hpc]`` extra) submits ``jobs`` batch jobs (or
scales adaptively between ``minimum`` and ``maximum`` jobs), each starting ``cores``
single-threaded Dask workers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from qbattery._optional import require
from qbattery.errors import ConfigError

#: kinds of cluster; the last three are batch systems (dask-jobqueue)
KINDS = ("local", "scheduler", "slurm", "pbs", "sge")
BATCH_KINDS = ("slurm", "pbs", "sge")
#: keys of the [cluster] table
CLUSTER_KEYS = (
    "kind",
    "address",
    "workers",
    "queue",
    "partition",
    "account",
    "cores",
    "memory",
    "walltime",
    "jobs",
    "minimum",
    "maximum",
    "job_extra_directives",
    "python",
    "local_directory",
)
_MEMORY = re.compile(r"^\s*\d+(\.\d+)?\s*([KMGTP]i?B|B)\s*$", re.IGNORECASE)
_WALLTIME = re.compile(r"^\d+:[0-5]\d:[0-5]\d$")
_CLASSES = {"slurm": "SLURMCluster", "pbs": "PBSCluster", "sge": "SGECluster"}


@dataclass(frozen=True)
class ClusterConfig:
    """A checked ``[cluster]`` table (build it with :func:`parse_cluster`).

    Examples
    --------
    >>> cfg = parse_cluster("s.toml", {"kind": "slurm", "partition": "short",
    ...                     "cores": 8, "memory": "16GB", "walltime": "04:00:00", "jobs": 20})
    >>> cfg.kind, cfg.queue, cfg.workers_expected()
    ('slurm', 'short', 160)
    >>> cfg.describe()
    '20 slurm jobs of 8 workers (partition short, 16GB, 04:00:00)'
    """

    kind: str = "local"
    address: str | None = None
    workers: int | None = None
    queue: str | None = None
    account: str | None = None
    cores: int = 1
    memory: str | None = None
    walltime: str | None = None
    jobs: int | None = None
    minimum: int | None = None
    maximum: int | None = None
    job_extra_directives: tuple[str, ...] = field(default_factory=tuple)
    python: str | None = None
    local_directory: str | None = None

    def workers_expected(self) -> int:
        """Workers once every job runs (``jobs`` or ``maximum`` × ``cores``)."""
        if self.kind not in BATCH_KINDS:
            return self.workers or 1
        return (self.jobs or self.maximum or 1) * self.cores

    def describe(self) -> str:
        """One phrase: how many jobs of how many workers, where and for how long."""
        count = f"{self.jobs}" if self.jobs else f"{self.minimum or 0}–{self.maximum} adaptive"
        where = ", ".join(
            x
            for x in (
                f"partition {self.queue}" if self.queue else "",
                f"account {self.account}" if self.account else "",
                self.memory or "",
                self.walltime or "",
            )
            if x
        )
        return f"{count} {self.kind} jobs of {self.cores} workers" + (
            f" ({where})" if where else ""
        )


def _int(where: str, key: str, value: Any, *, low: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < low:
        raise ConfigError(f"{where}: [cluster] {key} must be an integer ≥ {low}, got {value!r}")
    return value


def _str(where: str, key: str, value: Any) -> str:
    if not isinstance(value, str) or not value:
        raise ConfigError(f"{where}: [cluster] {key} must be a non-empty string, got {value!r}")
    return value


def parse_cluster(where: str, table: Mapping[str, Any]) -> ClusterConfig:
    """Check a ``[cluster]`` table (``where`` names the file in messages).

    Raises
    ------
    ConfigError
        One line for an unknown key or kind, memory that is not a size, walltime not
        ``HH:MM:SS``, a batch key for a non-batch kind, or ``jobs`` with ``maximum``.

    Examples
    --------
    >>> parse_cluster("s.toml", {"kind": "pbs", "memory": "4 GiB", "jobs": 2}).memory
    '4 GiB'
    >>> try:
    ...     parse_cluster("s.toml", {"kind": "slurm", "walltime": "4h"})
    ... except ConfigError as err:
    ...     print(err)
    s.toml: [cluster] walltime must be HH:MM:SS (e.g. "04:00:00"), got '4h'
    """
    unknown = sorted(set(table) - set(CLUSTER_KEYS))
    if unknown:
        raise ConfigError(
            f"{where}: unknown keys {unknown} in [cluster]; known: {list(CLUSTER_KEYS)}"
        )
    kind = table.get("kind", "local")
    if kind not in KINDS:
        raise ConfigError(f"{where}: [cluster] kind must be one of {list(KINDS)}, got {kind!r}")
    if "queue" in table and "partition" in table:
        raise ConfigError(f"{where}: [cluster] give `queue` or `partition` (the same), not both")
    batch_keys = sorted(set(table) - {"kind", "address", "workers"})
    if kind not in BATCH_KINDS and batch_keys:
        raise ConfigError(
            f"{where}: [cluster] {batch_keys} apply to kind = slurm, pbs or sge, not {kind!r}; "
            "drop them or change `kind`"
        )
    if kind == "scheduler" and "address" not in table:
        raise ConfigError(
            f'{where}: [cluster] kind = "scheduler" needs address = "tcp://HOST:PORT"'
        )
    if kind != "scheduler" and "address" in table:
        raise ConfigError(f'{where}: [cluster] address needs kind = "scheduler", not {kind!r}')
    if kind != "local" and "workers" in table:
        raise ConfigError(
            f'{where}: [cluster] workers applies to kind = "local"; for {kind!r} use jobs and cores'
        )
    memory = table.get("memory")
    if memory is not None and (not isinstance(memory, str) or not _MEMORY.match(memory)):
        raise ConfigError(
            f'{where}: [cluster] memory must be a size such as "16GB" or "4 GiB", got {memory!r}'
        )
    walltime = table.get("walltime")
    if walltime is not None and (not isinstance(walltime, str) or not _WALLTIME.match(walltime)):
        raise ConfigError(
            f'{where}: [cluster] walltime must be HH:MM:SS (e.g. "04:00:00"), got {walltime!r}'
        )
    if "jobs" in table and ("minimum" in table or "maximum" in table):
        raise ConfigError(
            f"{where}: [cluster] give `jobs` (fixed) or `minimum`/`maximum` (adaptive), not both"
        )
    if "minimum" in table and "maximum" not in table:
        raise ConfigError(f"{where}: [cluster] adaptive scaling needs `maximum` with `minimum`")
    extra = table.get("job_extra_directives", [])
    if not isinstance(extra, list) or not all(isinstance(x, str) for x in extra):
        raise ConfigError(
            f"{where}: [cluster] job_extra_directives must be a list of strings, got {extra!r}"
        )
    ints = {
        k: _int(where, k, table[k]) for k in ("workers", "cores", "jobs", "maximum") if k in table
    }
    if "minimum" in table:
        ints["minimum"] = _int(where, "minimum", table["minimum"], low=0)
        if ints["minimum"] > ints["maximum"]:
            raise ConfigError(
                f"{where}: [cluster] minimum = {ints['minimum']} exceeds maximum = "
                f"{ints['maximum']}; lower minimum"
            )
    strs = {
        k: _str(where, k, table[k])
        for k in ("address", "queue", "partition", "account", "python", "local_directory")
        if k in table
    }
    jobs = ints.get("jobs")
    if kind in BATCH_KINDS and jobs is None and "maximum" not in ints:
        jobs = 1
    return ClusterConfig(
        kind=kind,
        address=strs.get("address"),
        workers=ints.get("workers"),
        queue=strs.get("queue", strs.get("partition")),
        account=strs.get("account"),
        cores=ints.get("cores", 1),
        memory=memory,
        walltime=walltime,
        jobs=jobs,
        minimum=ints.get("minimum"),
        maximum=ints.get("maximum"),
        job_extra_directives=tuple(extra),
        python=strs.get("python"),
        local_directory=strs.get("local_directory"),
    )


def make_batch_cluster(cfg: ClusterConfig, *, scale: bool = True) -> Any:
    """The dask-jobqueue cluster of ``cfg`` (one single-threaded worker per core).

    With ``scale=False`` nothing is submitted (:func:`job_script` uses this). Needs
    the ``qbattery[hpc]`` extra.
    """
    jobqueue = require("dask_jobqueue")
    cls = getattr(jobqueue, _CLASSES[cfg.kind])
    options: dict[str, Any] = {
        "cores": cfg.cores,
        "processes": cfg.cores,
        "memory": cfg.memory or f"{2 * cfg.cores}GB",
        "job_extra_directives": list(cfg.job_extra_directives),
        # a dry run serves no dashboard (and takes no port)
        "scheduler_options": {"dashboard_address": ":8787" if scale else None},
    }
    for key in ("queue", "account", "walltime", "python", "local_directory"):
        if getattr(cfg, key) is not None:
            options[key] = getattr(cfg, key)
    cluster = cls(**options)
    if scale:
        if cfg.jobs is not None:
            cluster.scale(jobs=cfg.jobs)
        else:
            cluster.adapt(minimum_jobs=cfg.minimum or 0, maximum_jobs=cfg.maximum)
    return cluster


def job_script(cfg: ClusterConfig) -> str:
    """The batch script dask-jobqueue would submit for ``cfg``; submits nothing.

    Examples
    --------
    >>> cfg = parse_cluster("s.toml", {"kind": "slurm", "partition": "short",
    ...                     "account": "phys", "cores": 4, "memory": "8GB",
    ...                     "walltime": "01:00:00", "python": "/opt/py/bin/python"})
    >>> script = job_script(cfg)  # doctest: +SKIP
    >>> "#SBATCH -p short" in script  # doctest: +SKIP
    True
    """
    cluster = make_batch_cluster(cfg, scale=False)
    try:
        return str(cluster.job_script())
    finally:
        cluster.close()


def override(cfg: ClusterConfig | None, where: str, given: Mapping[str, Any]) -> ClusterConfig:
    """``cfg`` (a config's ``[cluster]``) with the keys in ``given`` replaced, checked again.

    Keys whose value is None in ``given`` are not given.

    Examples
    --------
    >>> cfg = parse_cluster("s.toml", {"kind": "slurm", "cores": 4, "jobs": 2})
    >>> new = override(cfg, "command line", {"jobs": 10, "memory": None})
    >>> new.jobs, new.cores
    (10, 4)
    """
    table: dict[str, Any] = {}
    if cfg is not None:
        table = {
            key: getattr(cfg, key)
            for key in CLUSTER_KEYS
            if hasattr(cfg, key) and getattr(cfg, key) not in (None, ())
        }
        table["job_extra_directives"] = list(cfg.job_extra_directives)
        if cfg.kind not in BATCH_KINDS:
            table = {k: v for k, v in table.items() if k in ("kind", "address", "workers")}
        elif cfg.maximum is not None:
            table.pop("jobs", None)
    table.update({k: v for k, v in given.items() if v is not None})
    if "jobs" in given and given["jobs"] is not None:
        table.pop("minimum", None)
        table.pop("maximum", None)
    return parse_cluster(where, table)
