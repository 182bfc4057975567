"""Models for the sweep tests, importable by Dask workers and subprocesses.

``counting_kbody`` is ``qb.models.kbody`` that appends ``N k pid`` to the file named
by ``$QB_SWEEP_LOG`` on every call (one line per task, to count tasks across
processes), sleeps ``$QB_SWEEP_SLEEP`` seconds (to leave time to interrupt a sweep),
raises ``KeyboardInterrupt`` once ``$QB_SWEEP_STOP_AFTER`` calls were logged (an
in-process Ctrl-C) and raises ``RuntimeError`` for ``k == $QB_SWEEP_FAIL_K``.
``counting_tfim`` is the transverse-field Ising chain (PauliSums, for the jax engine)
that logs and sleeps alike (its line is ``N round(1000 Ω) pid``).
"""

from __future__ import annotations

import os
import time
from pathlib import Path

import qbattery as qb
from qbattery.battery import Battery


def logged_points(path: str | os.PathLike[str]) -> list[tuple[int, int, int]]:
    """The (N, k, pid) lines written by :func:`counting_kbody`."""
    p = Path(path)
    if not p.exists():
        return []
    rows = [line.split() for line in p.read_text().splitlines() if line.strip()]
    return [(int(n), int(k), int(pid)) for n, k, pid in rows]


def counting_kbody(N: int, k: int, omega0: float = 1.0, Omega0: float = 1.0) -> Battery:
    """``qb.models.kbody`` that logs, sleeps, stops or fails on request (see module)."""
    log = os.environ.get("QB_SWEEP_LOG")
    if log:
        stop_after = int(os.environ.get("QB_SWEEP_STOP_AFTER", "0"))
        if stop_after and len(logged_points(log)) >= stop_after:
            raise KeyboardInterrupt
        with open(log, "a", encoding="ascii") as fh:
            fh.write(f"{N} {k} {os.getpid()}\n")
    time.sleep(float(os.environ.get("QB_SWEEP_SLEEP", "0")))
    if int(os.environ.get("QB_SWEEP_FAIL_K", "0")) == k:
        raise RuntimeError(f"deliberate failure at k = {k}")
    return qb.models.kbody(N, k, omega0, Omega0)


def counting_tfim(Omega: float, omega0: float = 2.0, N: int = 6) -> Battery:
    """``qb.models.ising(N, 2, omega0, Omega, variant="tfim", normalize=False)`` that logs
    and sleeps on request (see module)."""
    log = os.environ.get("QB_SWEEP_LOG")
    if log:
        with open(log, "a", encoding="ascii") as fh:
            fh.write(f"{N} {round(1000 * Omega)} {os.getpid()}\n")
    time.sleep(float(os.environ.get("QB_SWEEP_SLEEP", "0")))
    return qb.models.ising(N, 2, omega0, Omega, variant="tfim", normalize=False)
