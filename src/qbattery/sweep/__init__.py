"""Parameter sweeps on ``dask.distributed`` that survive interruption.

``qb.sweep(model, grid, times)`` computes ``qb.charge`` at every point of a grid of
model parameters, in tasks of a block of grid points each, and returns one
:class:`xarray.Dataset` with the grid as dimensions (plus ``time``); with
``store=PATH`` every finished task is written to a Zarr store as it arrives, and a
rerun resumes (see :mod:`.api`).

The package, one job per module:

- :mod:`~qbattery.sweep.api`: :func:`sweep`, :func:`run_sweep` and :class:`SweepReport`;
- :mod:`~qbattery.sweep.spec`: the checked sweep (:class:`SweepSpec`, :func:`make_spec`),
  the point states (``PENDING``, ``DONE``, ``INVALID``, ``FAILED``);
- :mod:`~qbattery.sweep.store`: where results go (memory or a Zarr store),
  :func:`open_sweep`;
- :mod:`~qbattery.sweep.worker`: the task of a block of grid points
  (:func:`compute_point`, ``evaluate_chunk``, the hook for batched engines);
- :mod:`~qbattery.sweep.chunks`: cutting the grid into blocks sized from a timed point;
- :mod:`~qbattery.sweep.execute`: one run (measure, open the store, run, record);
- :mod:`~qbattery.sweep.cluster`: running the tasks on a Dask cluster;
- :mod:`~qbattery.sweep.cluster_config`: the ``[cluster]`` table (local, scheduler,
  SLURM/PBS/SGE through dask-jobqueue);
- :mod:`~qbattery.sweep.lock`: one writer per store (a lock file holding host and PID);
- :mod:`~qbattery.sweep.dryrun`: ``--dry-run`` and ``--status``;
- :mod:`~qbattery.sweep.config`: the ``qbattery sweep`` TOML file (:func:`load_config`,
  :func:`run_config`).
"""

from __future__ import annotations

from qbattery.sweep.api import SweepReport, run_sweep, sweep
from qbattery.sweep.config import SweepConfig, load_config, run_config
from qbattery.sweep.spec import (
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
from qbattery.sweep.store import PointResult, open_sweep
from qbattery.sweep.worker import compute_point

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
