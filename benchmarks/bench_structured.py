"""Issue 4 benchmark: the structured engine (kbody, Ising paper reading) at large N.

Rows (one table, side by side in one run):

* kbody N = 10⁶, 201 times: model construction, ``qb.charge`` (all 13 quantities) and the
  engine alone (raw moments + both angles);
* ising N = 1000, s = 2, 3, 4, 201 times: ``qb.charge`` (everything but the power bound,
  which is NaN with a note at this size) and the work-sector evaluations it needed;
* the largest N each structured family reaches within the time budget (60 s; 10 s with
  ``--quick``), by doubling N, and the fitted exponent α of time ∝ N^α;
* the issue's comparison: ising(N, 2), N = 12 and 14, 201 times, ``engine="auto"``
  computing every quantity except the power bound, against a QuTiP ``sesolve`` script
  computing only the means and variances (sparse operators, atol 1e-14, rtol 1e-12);
* the time to add the power bound (P0's eigenspaces on the window space) at N = 10, 12:
  the first call and a second, cached one.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import numpy as np

import qbattery as qb
from qbattery.bounds import nsr_bound
from qbattery.engines import clear_engine_cache, get_engine
from qbattery.engines.structured import ising as structured_ising
from qbattery.studies.scaling import fit_exponent

NT = 201
KEYS = ("case", "N", "what", "time [s]", "reference [s]", "speed-up", "note")


def _row(
    case: str, N: int | str, what: str, t: float, ref: float | str = "", note: str = ""
) -> dict:
    speed = f"{ref / t:.3g}x" if isinstance(ref, float) else ""
    return dict(zip(KEYS, (case, N, what, t, ref, speed, note), strict=True))


def _timed(func: Callable[[], Any]) -> tuple[Any, float]:
    start = time.perf_counter()
    out = func()
    return out, time.perf_counter() - start


def qutip_means_variances(bat: qb.Battery, times: np.ndarray) -> dict[str, np.ndarray]:
    """Means and variances of 𝒲_t and 𝒫_t as a QuTiP user computes them: ``sesolve`` of
    ψ0, W0ψ0 and P0ψ0 with sparse operators, then ⟨𝒪_t⟩, ⟨𝒪_t²⟩ from overlaps."""
    import qutip

    H = qutip.Qobj(bat.H.to_sparse())
    psi0 = qutip.basis(bat.dim, 0)
    opts = {"atol": 1e-14, "rtol": 1e-12, "nsteps": 10**7, "store_states": True}
    states = qutip.sesolve(H, psi0, times, options=opts).states
    out = {}
    for name, op in (("work", bat.H0), ("power", bat.P0)):
        O = qutip.Qobj(op.to_sparse())
        moved = qutip.sesolve(H, O * psi0, times, options=opts).states
        m0 = qutip.expect(O, psi0)
        m00 = qutip.expect(O * O, psi0)
        mean = np.real(np.array([qutip.expect(O, s) for s in states]) - m0)
        second = np.array(
            [
                qutip.expect(O * O, s) + m00 - 2 * np.real(m.overlap(O * s))
                for s, m in zip(states, moved, strict=True)
            ],
            dtype=float,
        )
        out[f"{name}_mean"] = mean
        out[f"{name}_var"] = second - mean**2
    return out


def all_but_power_bound(bat: qb.Battery, times: np.ndarray) -> Any:
    """``engine="auto"``: every quantity except the power bound (work angle and bound too)."""
    ds = qb.charge(bat, times, bounds=False)
    eng, _ = get_engine(bat, "auto", times.size)
    angle = eng.angle(times, "work")
    ds["work_angle"].values[:] = angle
    ds["work_bound"].values[:] = nsr_bound(angle, ds["work_f"].values)
    return ds


def _largest(
    build: Callable[[int], qb.Battery], start: int, cap: int, budget: float, times: np.ndarray
) -> tuple[list[int], list[float]]:
    """Double N from ``start`` while a full ``qb.charge`` stays within ``budget`` seconds."""
    sizes, secs = [], []
    N = start
    while cap >= N:
        clear_engine_cache()
        _, t = _timed(lambda n=N: qb.charge(build(n), times))
        sizes.append(N)
        secs.append(t)
        if t > budget:
            break
        N *= 2
    return sizes, secs


def run(quick: bool) -> tuple[str, list[dict[str, Any]]]:
    budget = 10.0 if quick else 60.0
    times_k = np.linspace(0.0, 2.0e5, NT)
    qb.charge(qb.models.single_qubit(), times_k[:3])  # first-use imports (xarray, ...)
    rows: list[dict[str, Any]] = []

    # kbody N = 10⁶
    N = 10**5 if quick else 10**6
    for k in (3, 1000):
        bat, t_build = _timed(lambda k=k: qb.models.kbody(N, k))
        clear_engine_cache()
        ds, t_charge = _timed(lambda b=bat: qb.charge(b, times_k))
        assert ds.attrs["engine"] == "structured"
        eng, _ = get_engine(bat, "structured", NT)
        _, t_eng = _timed(
            lambda e=eng: (e.moments(times_k), e.angle(times_k, "work"), e.angle(times_k, "power"))
        )
        rows.append(_row(f"kbody(N, {k})", N, "model construction (PauliSum)", t_build))
        rows.append(_row(f"kbody(N, {k})", N, "qb.charge, 13 quantities", t_charge))
        rows.append(_row(f"kbody(N, {k})", N, "engine only: moments + 2 angles", t_eng))

    # ising N = 1000, s = 2, 3, 4
    N = 300 if quick else 1000
    for s in (2, 3, 4):
        bat = qb.models.ising(N, s)
        times_i = np.linspace(0.0, 4.0 * (N - s + 1), NT)
        clear_engine_cache()
        ds, t_charge = _timed(lambda b=bat, t=times_i: qb.charge(b, t))
        note = "power bound NaN: " + ds.power_bound.attrs.get("note", "")[:60] + "…"
        rows.append(
            _row(f"ising(N, {s})", N, "qb.charge, all but the power bound", t_charge, "", note)
        )

    # largest N within the budget, and the time exponent
    cap_k = 2 * 10**6 if quick else 16 * 10**6  # PauliSum construction: ~250 B per spin
    sizes, secs = _largest(lambda n: qb.models.kbody(n, 3), 10**5, cap_k, budget, times_k)
    within = [n for n, t in zip(sizes, secs, strict=True) if t <= budget]
    rows.append(
        _row(
            "kbody(N, 3)",
            max(within) if within else "-",
            f"largest N within {budget:g} s",
            secs[len(within) - 1] if within else float("nan"),
            "",
            f"time ∝ N^{fit_exponent(np.array(sizes), np.array(secs)):.2f} over N = "
            f"{sizes[0]}…{sizes[-1]}" + (" (memory cap)" if sizes[-1] * 2 > cap_k else ""),
        )
    )
    times_i = np.linspace(0.0, 100.0, NT)
    default_cost = structured_ising.WORK_MAX_COST
    structured_ising.WORK_MAX_COST = float("inf")  # the work bound at every N tried
    try:
        sizes, secs = _largest(lambda n: qb.models.ising(n, 2), 125, 64_000, budget, times_i)
    finally:
        structured_ising.WORK_MAX_COST = default_cost
    within = [n for n, t in zip(sizes, secs, strict=True) if t <= budget]
    tail = slice(max(0, len(sizes) - 3), None)
    rows.append(
        _row(
            "ising(N, 2)",
            max(within) if within else "-",
            f"largest N within {budget:g} s",
            secs[len(within) - 1] if within else float("nan"),
            "",
            f"time ∝ N^{fit_exponent(np.array(sizes[tail]), np.array(secs[tail])):.2f} "
            f"over N = {sizes[tail][0]}…{sizes[-1]} (work-sector transfer matrix)",
        )
    )

    # the row: auto vs a QuTiP sesolve script, ising(N, 2), N = 12 and 14
    for N in (10,) if quick else (12, 14):
        bat = qb.models.ising(N, 2)
        times = np.linspace(0.0, 40.0, NT)
        clear_engine_cache()
        ds, t_ours = _timed(lambda b=bat, t=times: all_but_power_bound(b, t))
        ref, t_qt = _timed(lambda b=bat, t=times: qutip_means_variances(b, t))
        dev = max(
            float(np.max(np.abs(ds[k].values - v)) / np.max(np.abs(v))) for k, v in ref.items()
        )
        rows.append(
            _row(
                f"ising(N, 2) auto={ds.attrs['engine']}",
                N,
                "all but power bound vs QuTiP sesolve means+vars",
                t_ours,
                t_qt,
                f"max rel. deviation of means/vars {dev:.1e}",
            )
        )

    # adding the power bound: P0 eigenspaces on the 2^(N−1) window space
    for N in (8, 10) if quick else (10, 12):
        bat = qb.models.ising(N, 2)
        times = np.linspace(0.0, 40.0, NT)
        clear_engine_cache()
        eng, _ = get_engine(bat, "auto", NT)
        _, t_first = _timed(lambda e=eng, t=times: e.angle(t, "power"))
        _, t_again = _timed(lambda e=eng, t=times: e.angle(t, "power"))
        rows.append(
            _row(
                "ising(N, 2)",
                N,
                "add the power bound (first call)",
                t_first,
                "",
                f"window space 2^{N - 1}; cached call {t_again:.3g} s",
            )
        )
    return f"Structured engine, {NT} times (budget {budget:g} s for 'largest N')", rows
