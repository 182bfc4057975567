"""Batched, vmapped jax scans (issue 13, item 3) against the per-point jax engine.

Independent route: every batched point is compared with ``qb.charge(..., engine="jax")``
on the same model, computed alone (its own step grid and K): all sweep variables agree to
1e-12 of each curve's largest value. Sweeps with ``engine="jax"`` are compared with the
per-point sweep (one point per task) and, after a SIGKILL and a resume, with an
uninterrupted sweep of the same chunks (``xarray.testing.assert_identical``).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import qbattery as qb
from qbattery.engines import clear_engine_cache
from qbattery.engines import jax_batch as jb
from qbattery.engines.cache import cache_engine
from qbattery.engines.jax_batch import prime_batch, primed_batches, run_batches
from qbattery.engines.jax_engine import JaxEngine
from qbattery.errors import MemoryLimitError
from qbattery.sweep import DONE, FAILED, PENDING, SWEEP_VARIABLES, run_sweep
from qbattery.sweep.worker import evaluate_chunk
from tests.sweep_models import logged_points

ROOT = Path(__file__).resolve().parents[1]
RTOL = 1e-12
TIMES = np.linspace(0.0, 3.0, 13)


def tfim(N: int, Omega: float, omega0: float = 2.0) -> qb.Battery:
    return qb.models.ising(N, 2, omega0, Omega, variant="tfim", normalize=False)


def close(a: np.ndarray, b: np.ndarray, what: str) -> None:
    """Equal NaNs; elsewhere 1e-12 of the curve's largest finite value (1e-14 absolute).

    The correlation terms f of Eq. (B8) are dimensionless and exactly 0 for the models'
    eigenstate ψ0 of W0 (rounding noise, ~1e-14): for them the scale is at least 1.
    """
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    assert np.array_equal(np.isnan(a), np.isnan(b)), what
    ok = np.isfinite(b)
    assert np.array_equal(a[~ok], b[~ok], equal_nan=True), what
    if ok.any():
        scale = float(np.max(np.abs(b[ok])))
        if what.split()[0] in ("work_f", "power_f"):
            scale = max(scale, 1.0)
        assert float(np.max(np.abs(a[ok] - b[ok]))) <= RTOL * scale + 1e-14, what


def charge_alone(bat: qb.Battery, times: np.ndarray) -> dict[str, np.ndarray]:
    clear_engine_cache(bat)
    ds = qb.charge(bat, times, engine="jax", ergotropy=False, progress=False)
    clear_engine_cache(bat)
    return {v: ds[v].values for v in SWEEP_VARIABLES}


def charge_primed(bat: qb.Battery, eng: JaxEngine, times: np.ndarray) -> dict[str, np.ndarray]:
    cache_engine(bat, eng)
    ds = qb.charge(bat, times, engine="jax", ergotropy=False, progress=False)
    assert eng._primed is None, "charge did not read the primed outputs"
    clear_engine_cache(bat)
    return {v: ds[v].values for v in SWEEP_VARIABLES}


BATCHES = [
    pytest.param(
        lambda: [tfim(6, w, w0) for w, w0 in ((0.5, 2.0), (1.0, 1.0), (1.7, 2.5), (2.3, 0.7))],
        id="tfim-N6-Omega-omega0",
    ),
    pytest.param(
        lambda: [qb.models.kbody(6, 2, w0, w) for w, w0 in ((0.6, 1.0), (1.0, 2.0), (1.9, 0.5))],
        id="kbody-N6-k2-product-eigenbasis",
    ),
]


@pytest.mark.parametrize("make", BATCHES)
def test_batched_charge_equals_per_point(make) -> None:
    bats = make()
    engines = prime_batch(bats, TIMES)
    for eng in engines:
        assert eng.stats["batch"]["group"] == len(bats)
        assert "not_batched" not in eng.stats
    for bat, eng in zip(bats, engines, strict=True):
        got, ref = charge_primed(bat, eng, TIMES), charge_alone(bat, TIMES)
        for var in SWEEP_VARIABLES:
            close(got[var], ref[var], var)
        assert np.isfinite(got["power_angle"][1:]).all()  # the bounds were computed


def test_groups_by_structure() -> None:
    """Two sizes in one chunk: two groups, each one call; results as per point."""
    bats = [tfim(5, 0.7), tfim(6, 0.7), tfim(5, 1.3), tfim(6, 1.3), tfim(4, 1.0)]
    engs = [JaxEngine(b) for b in bats]
    subs = list(run_batches(engs, TIMES))
    assert [(s.members, s.batched) for s in subs] == [([0, 2], True), ([1, 3], True), ([4], False)]
    assert engs[4].stats["not_batched"] == "no other point of the batch has its structure"
    assert [e.stats["batch"]["group"] for e in engs[:4]] == [2, 2, 2, 2]
    for bat, eng in zip(bats, engs, strict=True):
        ref = JaxEngine(bat).moments(TIMES)
        got = eng.moments(TIMES)
        close(got.work.second, ref.work.second, "work second")
        close(got.power.mean, ref.power.mean, "power mean")
        close(got.fidelity, ref.fidelity, "fidelity")


def test_host_callback_fisher_is_not_batched(monkeypatch: pytest.MonkeyPatch) -> None:
    """Many eigenspaces without a device transform need a host callback: not batched
    (and said so), unless no Fisher data is wanted."""
    import qbattery.engines.jax_engine as je

    monkeypatch.setattr(je, "MAX_DEVICE_SECTORS", 4)  # P0's 27 eigenspaces: "host"
    bats = [tfim(6, 0.8), tfim(6, 1.4)]
    engs = [JaxEngine(b) for b in bats]
    assert [s.batched for s in run_batches(engs, TIMES)] == [False, False]
    assert "host callback" in engs[0].stats["not_batched"]
    assert [s.batched for s in run_batches([JaxEngine(b) for b in bats], TIMES, bounds=False)] == [
        True
    ]


def test_engine_that_cannot_be_built_is_left_to_charge() -> None:
    """A battery the jax engine refuses is yielded alone without an engine (qb.charge
    then raises its own error for that point); the others are batched."""
    d = 2048
    H0 = np.diag(np.linspace(-1.0, 1.0, d))
    bad = qb.Battery(H0, H0 * 0, np.eye(d)[0])
    subs = list(primed_batches([tfim(4, 0.5), bad, tfim(4, 1.0)], TIMES))
    assert [(s.members, s.engines, s.batched) for s in subs[:1]] == [([1], [None], False)]
    assert [(s.members, s.batched, s.error) for s in subs[1:]] == [([0, 2], True, None)]
    assert all(e is not None and "batch" in e.stats for e in subs[1].engines)


def test_sub_batches_follow_free_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    bats = [tfim(5, w) for w in (0.5, 0.9, 1.3, 1.7, 2.1)]
    whole = prime_batch(bats, TIMES)
    per = whole[0].stats["batch"]["member_bytes"]
    assert whole[0].stats["batch"]["size"] == 5
    monkeypatch.setattr(jb, "device_free_memory", lambda: int(2.5 * per / jb.BATCH_MEMORY_FRACTION))
    split = prime_batch(bats, TIMES)
    assert [e.stats["batch"]["size"] for e in split] == [2, 2, 2, 2, 1]
    assert {e.stats["batch"]["max_per_call"] for e in split} == {2}
    assert {e.stats["batch"]["group"] for e in split} == {5}
    for a, b in zip(split, whole, strict=True):
        ma, mb = a.moments(TIMES), b.moments(TIMES)
        close(ma.work.second, mb.work.second, "work second")
        close(ma.power.second, mb.power.second, "power second")
        close(a.angle(TIMES, "work"), b.angle(TIMES, "work"), "work angle")


def test_memory_guard_refuses_before_allocating(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(jb, "device_free_memory", lambda: 10**5)
    bats = [tfim(5, 0.5), tfim(5, 1.5)]
    with pytest.raises(MemoryLimitError, match=r"one point of a batched jax scan .* needs about"):
        prime_batch(bats, TIMES)
    # in a sweep's chunk: the points are failed with the message, not computed otherwise
    out = evaluate_chunk(
        tfim, [(0,), (1,)], [{"N": 5, "Omega": 0.5}, {"N": 5, "Omega": 1.5}],
        TIMES, "jax", True,
    )  # fmt: skip
    assert [r.status for r in out] == [FAILED, FAILED]
    assert all("MemoryLimitError: one point of a batched jax scan" in r.error for r in out)


def test_evaluate_chunk_batched_equals_compute_point() -> None:
    """The chunk hook with engine="jax": failed model builds as per point, the rest batched."""
    from qbattery.sweep import compute_point

    def model(N: int, Omega: float) -> qb.Battery:
        if Omega < 0:
            raise RuntimeError("deliberate failure")
        return tfim(N, Omega)

    kws = [{"N": 5, "Omega": w} for w in (0.6, -1.0, 1.2, 1.8)]
    idx = [(i,) for i in range(len(kws))]
    out: list = []
    assert evaluate_chunk(model, idx, kws, TIMES, "jax", True, out=out) is out
    got = {r.index: r for r in out}
    for i, kw in zip(idx, kws, strict=True):
        ref = compute_point(model, i, kw, TIMES, "jax", True)
        assert (got[i].status, got[i].engine, got[i].notes) == (ref.status, ref.engine, ref.notes)
        if ref.status == DONE:
            for k, var in enumerate(SWEEP_VARIABLES):
                close(got[i].values[k], ref.values[k], var)
        else:
            assert got[i].error.split(" (at")[0] == ref.error.split(" (at")[0]


GRID = {"Omega": [0.5, 0.8, 1.1, 1.4, 1.7, 2.0]}
MODEL = "tests.sweep_models:counting_tfim"


def test_sweep_store_equals_per_point_store(tmp_path: Path) -> None:
    kw = {"engine": "jax", "client": "serial", "progress": False}
    per_point = run_sweep(MODEL, GRID, TIMES, store=tmp_path / "a.zarr", chunk_points=1, **kw)
    batched = run_sweep(MODEL, GRID, TIMES, store=tmp_path / "b.zarr", chunk_points=3, **kw)
    a, b = per_point.dataset, batched.dataset
    assert (a.status.values == DONE).all()
    assert (b.status.values == DONE).all()
    for name in ("status", "engine", "notes", "error"):
        assert np.array_equal(a[name].values, b[name].values), name
    for var in SWEEP_VARIABLES:
        for j in range(len(GRID["Omega"])):
            close(b[var].values[j], a[var].values[j], f"{var} at point {j}")
    assert set(a.data_vars) == set(b.data_vars)


def _driver(store: Path) -> str:
    return textwrap.dedent(
        f"""
        import numpy as np
        from qbattery.sweep import run_sweep
        if __name__ == "__main__":
            run_sweep({MODEL!r}, {GRID!r}, np.linspace(0.0, 3.0, 13), store={str(store)!r},
                      engine="jax", client="serial", chunk_points=3, progress=False,
                      dashboard=False)
        """
    )


def test_sigkill_mid_chunk_then_resume_equals_uninterrupted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    log = tmp_path / "tasks.log"
    monkeypatch.setenv("QB_SWEEP_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    store = tmp_path / "s.zarr"
    env = {**os.environ, "QB_SWEEP_SLEEP": "0.3"}
    proc = subprocess.Popen([sys.executable, "-c", _driver(store)], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        while True:  # the first chunk recorded, the second one building its models
            done = 0
            if (store / "status").exists():
                try:
                    done = int(np.count_nonzero(qb.open_sweep(store).status.values != PENDING))
                except Exception:  # the template may be half-written
                    done = 0
            if done >= 3 and len(logged_points(log)) >= 4:
                break
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "the first chunk did not finish in 120 s"
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    stored = np.count_nonzero(qb.open_sweep(store).status.values != PENDING)
    assert stored == 3  # the killed chunk wrote nothing: no completion record
    log.unlink()
    kw = {"engine": "jax", "client": "serial", "progress": False, "chunk_points": 3}
    report = run_sweep(MODEL, GRID, TIMES, store=store, **kw)
    assert report.computed == len(logged_points(log)) == 3
    again = run_sweep(MODEL, GRID, TIMES, store=tmp_path / "ref.zarr", **kw)
    xr.testing.assert_identical(report.dataset, again.dataset)
