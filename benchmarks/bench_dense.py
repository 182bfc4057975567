"""Issue 3 benchmark: the dense engine (all 13 quantities) vs a QuTiP ``sesolve`` script.

The QuTiP script is what a careful QuTiP user writes for the work and power means and
variances of the counting operators (Eq. 2–3): it evolves ψ0, W0ψ0 and P0ψ0 with
``sesolve`` (atol 1e-14, rtol 1e-12) and forms ⟨𝒪_t⟩ and ⟨𝒪_t²⟩ from overlaps. Both
run side by side in one process; peak memory is tracemalloc's peak of Python/numpy
allocations during the call.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable
from typing import Any

import numpy as np

import qbattery as qb
from qbattery.engines import clear_engine_cache

NT = 201


def qutip_script(bat: qb.Battery, times: np.ndarray) -> dict[str, np.ndarray]:
    """Means and variances of 𝒲_t and 𝒫_t with qutip.sesolve (the user's way)."""
    import qutip

    H = qutip.Qobj(bat.dense("H"))
    psi0 = qutip.Qobj(_ket(bat))
    out = {}
    opts = {"atol": 1e-14, "rtol": 1e-12, "nsteps": 10**7, "store_states": True}
    states = qutip.sesolve(H, psi0, times, options=opts).states
    for name, op in (("work", bat.dense("H0")), ("power", bat.dense("P0"))):
        O = qutip.Qobj(op)
        o_psi0 = O * psi0
        moved = qutip.sesolve(H, o_psi0, times, options=opts).states
        m0 = qutip.expect(O, psi0)
        m00 = qutip.expect(O * O, psi0)
        mean = np.array([qutip.expect(O, s) for s in states]) - m0
        # ⟨𝒪_t²⟩ = ⟨O_t²⟩ + ⟨O0²⟩ − 2 Re⟨U O0 ψ0|O0|U ψ0⟩
        second = np.array(
            [
                qutip.expect(O * O, s) + m00 - 2 * np.real(m.overlap(O * s))
                for s, m in zip(states, moved, strict=True)
            ],
            dtype=float,
        )
        out[f"{name}_mean"] = np.real(mean)
        out[f"{name}_var"] = second - np.real(mean) ** 2
    return out


def _ket(bat: qb.Battery) -> np.ndarray:
    _, vectors = bat.ensemble()
    return vectors[:, 0]


def _measure(func: Callable[[], Any]) -> tuple[Any, float, int]:
    tracemalloc.start()
    start = time.perf_counter()
    result = func()
    elapsed = time.perf_counter() - start
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return result, elapsed, peak


def run(quick: bool) -> tuple[str, list[dict[str, Any]]]:
    cases = [
        ("ising(8, 2)", lambda: qb.models.ising(8, 2)),
        ("ising(10, 2)", lambda: qb.models.ising(10, 2)),
    ]
    if not quick:
        cases += [
            ("ising(12, 2)", lambda: qb.models.ising(12, 2)),
            ("kbody(12, 3)", lambda: qb.models.kbody(12, 3)),
        ]
    times = np.linspace(0, 10, NT)
    qb.charge(qb.models.single_qubit(), times[:3])  # warm-up: first-use imports of xarray
    rows = []
    for label, build in cases:
        bat = build()
        clear_engine_cache()
        ds, t_ours, m_ours = _measure(lambda b=bat: qb.charge(b, times, engine="dense"))
        ref, t_qt, m_qt = _measure(lambda b=bat: qutip_script(b, times))
        dev = max(
            float(np.max(np.abs(ds[k].values - v)) / np.max(np.abs(v))) for k, v in ref.items()
        )
        rows.append(
            {
                "battery": label,
                "dim": bat.dim,
                "qbattery dense [s] (13 quantities)": t_ours,
                "qutip sesolve [s] (means+vars)": t_qt,
                "speed-up": t_qt / t_ours,
                "peak MiB dense": m_ours / 2**20,
                "peak MiB qutip": m_qt / 2**20,
                "max rel. deviation": dev,
            }
        )
    return f"Dense engine vs QuTiP sesolve, {NT} times in [0, 10]", rows
