r"""Batched jax engine: batteries of one operator structure in one vmapped scan (issue 13).

A sweep's grid points often share their operators' structure, the same Pauli strings
with other coefficients (``ising(N, 2, variant="tfim")`` at several Ω, ω0). Their
:class:`~qbattery.engines.JaxEngine` scans then differ only in the numbers
they are given, and one ``jax.vmap`` of the compiled scan propagates all of them at once
(``jax_kernels.build_batched_scan``).

**Groups.** Engines are grouped by ``JaxEngine.batch_key``: n, the number of kets r, the Pauli
structure of H, W0 and P0, and the eigenspace layout (kind, sector bounds, shapes of the
eigenbasis transforms) of the Fisher data. A group shares one step grid, the one of its
largest spectral radius r_max (steps of at most ``max_step_phase / r_max``), and one
number of Chebyshev terms K; each member keeps its own centre c and radius r in its
coefficients (2 − δ_{j0})(−i)^j J_j(rτ) e^{−icτ}, so terms past its own need are only
Bessel values below 1e-15: the results equal the per-point engine's to rounding.

**Sub-batches.** A group runs in calls of at most ``BATCH_MEMORY_FRACTION`` of the
device's free memory (:func:`~qbattery.engines.jax_engine.device_free_memory`) and
``GRAM_MEMORY_FRACTION`` of the host's for the Fisher data, padded to a size among
1, 2, 3, 4, 6, 8, 12, … (one compilation serves calls of that size). A point that alone
does not fit is refused by the memory guard before anything is allocated.

**Not batched**, each recorded in the engine's ``stats["not_batched"]``: a point whose
Fisher data needs a host callback (many eigenspaces without a device transform), the
only point of its structure, and a battery ``qb.charge`` would rebuild for its time
window. Those run one by one, exactly as ``qb.charge(..., engine="jax")`` does.

Each member ends as a :class:`~qbattery.engines.JaxEngine` *primed* with its part of
the outputs (``JaxEngine.prime``): its
``moments(times)``, ``fisher`` and ``angle`` are those of a per-point engine, and
``stats["batch"]`` records the call (its size, the group's size, seconds).
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from qbattery import _checks
from qbattery._optional import require
from qbattery.battery import Battery, within_window
from qbattery.engines.jax_engine import GRAM_MEMORY_FRACTION, JaxEngine
from qbattery.engines.jax_host import ScanPlan, device_free_memory, scan_bytes

#: fraction of the device's free memory that one batched call may use
BATCH_MEMORY_FRACTION = 0.5


@dataclass
class SubBatch:
    """One batched call of :func:`primed_batches` (or one point that was not batched).

    ``members`` are positions in the batteries given; ``engines`` their engines, primed
    when the call succeeded (``None`` where no engine could be built: ``qb.charge``
    builds it and reports why); ``error`` is what the call raised (then no engine is
    primed); ``seconds`` the wall time of building the members' engines and the call.

    Examples
    --------
    >>> SubBatch([0, 1], [None, None]).error is None
    True
    """

    members: list[int]
    engines: list[JaxEngine | None]
    error: BaseException | None = None
    seconds: float = 0.0
    batched: bool = False


def padded_size(n: int, cap: int) -> tuple[int, int]:
    """(calls, size): ``n`` points in calls of at most ``cap`` points, each call padded to
    a size among 1, 2, 3, 4, 6, 8, 12, 16, … (at most a third of padding).

    Examples
    --------
    >>> padded_size(64, 1000), padded_size(5, 1000), padded_size(64, 24), padded_size(7, 1)
    ((1, 64), (1, 6), (3, 24), (7, 1))
    """
    cap = max(1, int(cap))
    calls = -(-n // cap)
    each = -(-n // calls)
    size = next(s for s in _sizes() if s >= each)
    return calls, size if size <= cap else each


def _sizes() -> Iterator[int]:
    yield from (1, 2, 3)
    for k in itertools.count(2):
        yield 1 << k
        yield 3 << (k - 1)


def member_bytes(eng: JaxEngine, plan: ScanPlan, *, fisher: bool = True) -> int:
    """Device bytes of one member of a batched scan: the scan's work space
    (``jax_host.scan_bytes``), its inputs and its outputs (the
    Gram matrices of every padded step included).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> eng = JaxEngine(qb.models.ising(4, 2, variant="tfim", normalize=False))
    >>> plan = eng.plan(0.0, np.linspace(0.1, 1.0, 10))
    >>> member_bytes(eng, plan) > member_bytes(eng, plan, fisher=False) > 0
    True
    """
    d, r, K, M, steps = eng.d, eng.r, plan.K, plan.M, plan.bucket
    secs = eng.sector_layout(fisher)
    nsec = sum(len(s[1]) - 1 for s in secs if s is not None)
    work = scan_bytes(d, r, K, any(s is not None for s in secs))
    outputs = 16 * steps * (r * nsec * (K + 1) ** 2 + M * r * (7 + r))
    transforms = 16 * d * d * sum(s is not None and s[0] == "matrix" for s in secs)
    inputs = 16 * (steps * (M + 1) * (K + 1) + 4 * r * d + 6 * d) + 16 * d + transforms
    return int(work + outputs + inputs)


def prime_batch(
    batteries: Sequence[Battery], times: np.ndarray, *, bounds: bool = True
) -> list[JaxEngine]:
    """Jax engines of ``batteries`` primed for ``times`` by batched, vmapped scans.

    Batteries that share their operators' structure are propagated together (module
    docstring); each returned engine's ``moments(times)``, ``fisher`` and ``angle``
    equal those of ``JaxEngine(battery)`` to rounding. ``bounds=False`` keeps no Fisher
    data in the batch (a later ``fisher`` call propagates that engine alone).

    Parameters
    ----------
    batteries : sequence of Battery
        Batteries the jax engine can run (H, H0, P0 as PauliSums).
    times : ndarray, shape (nt,)
        Finite, non-negative, strictly increasing times.
    bounds : bool
        Keep the Fisher data (Gram matrices) for the angles and bounds (Eq. 5).

    Returns
    -------
    list of JaxEngine
        In the order of ``batteries``; ``stats["batch"]`` describes the call of each
        batched one, ``stats["not_batched"]`` says why another was not batched.

    Raises
    ------
    MemoryLimitError
        If one point of a batch does not fit in the device's free memory.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> t = np.linspace(0.0, 2.0, 5)
    >>> bats = [qb.models.ising(5, 2, Omega=w, variant="tfim") for w in (0.5, 1.0, 1.5)]
    >>> engines = prime_batch(bats, t)
    >>> [e.stats["batch"]["group"] for e in engines]
    [3, 3, 3]
    >>> alone = JaxEngine(bats[2]).moments(t).work.mean
    >>> bool(np.allclose(engines[2].moments(t).work.mean, alone, rtol=1e-12, atol=1e-14))
    True
    """
    engines = [JaxEngine(b) for b in batteries]
    for sub in run_batches(engines, np.asarray(times, dtype=float), bounds=bounds):
        if sub.error is not None:
            raise sub.error
    return engines


def primed_batches(
    batteries: Sequence[Battery], times: np.ndarray, *, bounds: bool = True
) -> Iterator[SubBatch]:
    """:func:`prime_batch` one call at a time, for a sweep's chunk of points.

    Yields each call as soon as it is done (its members' engines primed), so that the
    points of one call can be finished and freed before the next call. A battery whose
    engine cannot be built (the error is left to ``qb.charge``) or that ``qb.charge``
    would rebuild for its time window is yielded alone with ``None`` as its engine; a
    call that raises is yielded with the error and no engine primed.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> bats = [qb.models.ising(4, 2, Omega=w, variant="tfim") for w in (0.5, 1.0)]
    >>> [(s.members, s.batched) for s in primed_batches(bats, np.array([0.5, 1.0]))]
    [([0, 1], True)]
    """
    times = np.asarray(times, dtype=float)
    engines: list[JaxEngine | None] = []  # handed to _grouped, which drops each when done
    positions: list[int] = []
    built: dict[int, float] = {}
    for i, battery in enumerate(batteries):
        start = time.perf_counter()
        try:
            if within_window(battery, times) is not battery:
                yield SubBatch([i], [None])  # charge rebuilds it: not this battery
                continue
            eng = JaxEngine(battery)
        except Exception:  # charge raises it again, with its own message
            yield SubBatch([i], [None], seconds=time.perf_counter() - start)
            continue
        engines.append(eng)
        positions.append(i)
        built[len(engines) - 1] = time.perf_counter() - start
    for sub in _grouped(engines, times, bounds):
        sub.seconds += sum(built[m] for m in sub.members)
        sub.members = [positions[m] for m in sub.members]
        yield sub


def run_batches(
    engines: Sequence[JaxEngine], times: np.ndarray, *, bounds: bool = True
) -> Iterator[SubBatch]:
    """Prime ``engines`` for ``times``, grouped by structure, one call at a time.

    ``members`` of each yielded :class:`SubBatch` are positions in ``engines``.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> engs = [JaxEngine(qb.models.ising(n, 2, variant="tfim")) for n in (3, 4, 3)]
    >>> [(s.members, s.batched) for s in run_batches(engs, np.array([0.5, 1.0]))]
    [([0, 2], True), ([1], False)]
    >>> engs[1].stats["not_batched"]
    'no other point of the batch has its structure'
    """
    return _grouped(list(engines), np.asarray(times, dtype=float), bounds)


def _grouped(
    engines: list[JaxEngine | None], times: np.ndarray, fisher: bool
) -> Iterator[SubBatch]:
    """:func:`run_batches` on a list it owns: an engine's entry is dropped once its call
    was yielded, so that a long chunk does not keep every point's Fisher data."""
    groups: dict[Any, list[int]] = {}
    for i, eng in enumerate(engines):
        assert eng is not None
        key = eng.batch_key(fisher=fisher)
        if key is None:
            eng.stats["not_batched"] = (
                "its Fisher data needs a host callback (eigenspaces without a device "
                "transform), which cannot be batched"
            )
            groups[("alone", i)] = [i]
        else:
            groups.setdefault(key, []).append(i)
    for members in groups.values():
        engs: list[JaxEngine] = []
        for m in members:
            eng, engines[m] = engines[m], None
            assert eng is not None
            engs.append(eng)
        if len(members) == 1:
            engs[0].stats.setdefault("not_batched", "no other point of the batch has its structure")
            yield SubBatch(members, list[JaxEngine | None](engs))
            continue
        yield from _run_group(engs, members, times, fisher)


def _run_group(
    engs: list[JaxEngine], members: list[int], times: np.ndarray, fisher: bool
) -> Iterator[SubBatch]:
    """One group: a common plan, calls sized from the free memory; ``engs`` is consumed."""
    start = time.perf_counter()
    try:
        rmax = max(e.radius for e in engs)
        dmax = min(e.max_step_phase / e.radius for e in engs)
        plan = engs[0].plan(0.0, times, dmax=dmax, radius=rmax)
        cap = _capacity(engs[0], plan, fisher)
    except Exception as exc:
        yield SubBatch(members, [None] * len(members), error=exc, batched=True,
                       seconds=time.perf_counter() - start)  # fmt: skip
        return
    group = len(engs)
    calls, size = padded_size(group, cap)
    for _ in range(calls):
        part, here = engs[:size], members[:size]
        del engs[:size], members[:size]
        started = time.perf_counter()
        try:
            _call(part, plan, times, fisher, size, group, cap)
        except Exception as exc:
            yield SubBatch(here, [None] * len(here), error=exc, batched=True,
                           seconds=time.perf_counter() - started)  # fmt: skip
            continue
        yield SubBatch(here, list(part), batched=True, seconds=time.perf_counter() - started)


def _capacity(eng: JaxEngine, plan: ScanPlan, fisher: bool) -> int:
    """Members per call: device memory for the scans, host memory for the Fisher data;
    the memory guard refuses a point that alone does not fit."""
    per = member_bytes(eng, plan, fisher=fisher)
    free = device_free_memory()
    _checks.check_memory(
        f"one point of a batched jax scan (dimension {eng.d}, {plan.K} Chebyshev terms, "
        f"{plan.bucket} steps)",
        per,
        available=free,
        fix="use fewer times, a smaller system, or bounds=False (no Fisher data)",
    )
    cap = int(BATCH_MEMORY_FRACTION * free // per)
    grams = eng.gram_bytes(plan.nsteps, plan.K) if fisher else 0
    if grams:
        host = _checks.available_memory()
        _checks.check_memory(
            f"the Fisher data of one point of a batched jax scan ({plan.nsteps} steps)",
            grams / GRAM_MEMORY_FRACTION,
            available=host,
        )
        cap = min(cap, int(GRAM_MEMORY_FRACTION * host // grams))
    return max(1, cap)


def _call(
    engs: list[JaxEngine],
    plan: ScanPlan,
    times: np.ndarray,
    fisher: bool,
    size: int,
    group: int,
    cap: int,
) -> None:
    """One vmapped scan of ``engs`` (padded to ``size``); prime each with its outputs."""
    from qbattery.engines import jax_kernels as jk

    jax = require("jax")
    per = member_bytes(engs[0], plan, fisher=fisher)
    with jk.x64():
        inputs = [e.scan_inputs(plan, fisher=fisher) for e in engs]
        layout = inputs[0][0]
        rows = [args for _, _, args in inputs]
        rows += [rows[-1]] * (size - len(rows))  # padding: the last member again
        stacked = jax.tree_util.tree_map(lambda *xs: jax.numpy.stack(xs), *[r[:-1] for r in rows])
        args = (*stacked, rows[0][-1])  # nsteps: shared
        exe, compile_s = jk.compiled(
            ("scan-batch", layout), lambda: jk.build_batched_scan(layout), *args
        )
        t0 = time.perf_counter()
        final, norms, outs = exe(*args)
        outs = jax.tree_util.tree_map(np.asarray, outs)
        norms = np.asarray(norms)
        run_s = time.perf_counter() - t0
        for i, eng in enumerate(engs):
            mine = {k: v[i, : plan.nsteps].copy() for k, v in outs.items()}
            fin, mine = eng.scan_outputs(plan, final[i], norms[i], mine)
            eng.prime(times, fin, mine)
            eng.stats["compile_time_s"] += compile_s / len(engs)
            eng.stats["run_time_s"] += run_s / len(engs)
            eng.stats["batch"] = {
                "size": len(engs),
                "padded_to": size,
                "group": group,
                "max_per_call": cap,
                "compile_time_s": compile_s,
                "run_time_s": run_s,
                "member_bytes": per,
            }


__all__ = [
    "BATCH_MEMORY_FRACTION",
    "SubBatch",
    "member_bytes",
    "padded_size",
    "prime_batch",
    "primed_batches",
    "run_batches",
]
