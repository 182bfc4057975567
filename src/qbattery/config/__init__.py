"""TOML configuration files of ``qbattery run``: one battery, its times, engine and outputs.

A file has a ``[model]`` table (a built-in model of :mod:`qbattery.models` and its
parameters) *or* a ``[battery]`` table (your operators in ``.npy`` / ``.npz`` files),
plus ``[times]`` and an optional ``[run]`` table::

    [model]                       # or [battery], see below
    name = "kbody"                # any function of qbattery.models
    N = 8                         # ... and its keyword parameters
    k = 2

    [times]                       # start/stop/num (both ends included) ...
    start = 0.0
    stop = 10.0
    num = 201                     # ... or: values = [0.0, 0.5, 1.0]

    [run]                         # all optional
    engine = "auto"               # auto, dense, ... (qbattery.engines.REGISTRY)
    output = "kbody.nc"           # default: <config name>.nc
    figure = "kbody.png"          # default: <config name>.png; false for none
    bounds = true                 # Fisher-information angles and Eq. 5 bounds

    [battery]                     # instead of [model]
    H0 = "ops.npz:H0"             # "file.npy", or "file.npz:key"
    HC = "ops.npz:HC"
    state = "ops.npz:psi0"        # ket (d,) or density matrix (d, d)
    # P0 = "ops.npz:P0"           # optional power observable (default -i[H0, HC])
    # H = "ops.npz:H"             # optional evolution Hamiltonian (default H0 + HC)
    # name = "my-battery"         # recorded in the result's attributes
    # hermitian_atol = 1e-10

Paths are relative to the directory of the configuration file. Arrays are read with
``allow_pickle=False``. Every problem raises :class:`~qbattery.errors.ConfigError` (or
the library's own :class:`~qbattery.errors.InvalidInputError`) naming the file, the key
and what to write instead.

The job is split in three modules: :mod:`~qbattery.config.load` (TOML → :class:`RunConfig`),
:mod:`~qbattery.config.battery` (:class:`RunConfig` → :class:`~qbattery.Battery`) and
:mod:`~qbattery.config.output` (:func:`qbattery.charge` → NetCDF and figure).
"""

from __future__ import annotations

from qbattery.config.battery import OperatorSource, RunConfig, builtin_models
from qbattery.config.load import OPERATOR_KEYS, TABLES, load_config, parse_times
from qbattery.config.output import RunResult, run

__all__ = [
    "OPERATOR_KEYS",
    "TABLES",
    "OperatorSource",
    "RunConfig",
    "RunResult",
    "builtin_models",
    "load_config",
    "parse_times",
    "run",
]
