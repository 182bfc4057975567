"""Sweeps that scale (issue 15): chunked tasks, [cluster], --dry-run, --status, the lock.

Independent routes: a chunked store is compared with a per-point store and with an
uninterrupted serial sweep (``xarray.testing.assert_identical``, bitwise); the job
scripts with the directives written out by hand; the lock with processes that hold it.
No real batch system is used: dask-jobqueue writes job scripts without submitting.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest
import xarray as xr
import zarr

import qbattery as qb
from qbattery.errors import QBatteryError
from qbattery.sweep import PENDING, run_sweep
from qbattery.sweep.chunks import balanced_block, block_shape, blocks, points_per_task
from qbattery.sweep.cluster_config import job_script, parse_cluster
from qbattery.sweep.lock import STALE_AFTER_S, StoreLock, StoreLockedError, lock_path
from tests.sweep_models import logged_points

ROOT = Path(__file__).resolve().parents[1]
MODEL = "tests.sweep_models:counting_kbody"
TIMES = np.linspace(0.0, 2.0, 9)
GRID = {"N": [2, 3, 4], "k": [1, 2, 3]}


@pytest.fixture
def task_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    log = tmp_path / "tasks.log"
    monkeypatch.setenv("QB_SWEEP_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return log


def _block(store: Path) -> tuple[int, ...]:
    return tuple(zarr.open_array(str(store / "work_mean"), mode="r").chunks[:-1])


def _leftovers(directory: Path) -> list[str]:
    return sorted(
        p.name for p in directory.iterdir() if ".partial" in p.name or p.suffix == ".lock"
    )


# --------------------------------------------------------------------------- chunks


def test_block_planning_tiles_the_grid() -> None:
    shape = (2, 9, 12)
    for points in (1, 3, 7, 12, 30, 500):
        block = block_shape(shape, points)
        assert 1 <= int(np.prod(block)) <= max(points, 1)
        seen = np.zeros(shape, dtype=int)
        for region in blocks(shape, block):
            seen[region] += 1
        assert (seen == 1).all()
    # balanced: 14 blocks of 15 points (7 rounds × 15) beat 7 of 30 (4 rounds × 30)
    assert balanced_block((1, 7, 30), 35, 2) == (1, 1, 15)
    assert balanced_block((1, 7, 30), 35, 1) == (1, 1, 30)
    assert points_per_task(0.37, 216, 2) == 3
    assert points_per_task(0.013, 210, 2) == 35


@pytest.mark.parametrize("chunk", [2, 4, 9], ids=["chunk2", "chunk4", "chunk9"])
def test_chunked_store_equals_per_point_store(tmp_path: Path, chunk: int) -> None:
    single = run_sweep(
        "kbody", GRID, TIMES, store=tmp_path / "a.zarr", client="serial", chunk_points=1
    )
    chunked = run_sweep(
        "kbody", GRID, TIMES, store=tmp_path / "b.zarr", client="serial", chunk_points=chunk
    )
    assert _block(tmp_path / "a.zarr") == (1, 1)
    assert _block(tmp_path / "b.zarr") == block_shape((3, 3), chunk)
    assert int(np.prod(_block(tmp_path / "b.zarr"))) > 1
    xr.testing.assert_identical(
        qb.open_sweep(tmp_path / "a.zarr"), qb.open_sweep(tmp_path / "b.zarr")
    )
    xr.testing.assert_identical(chunked.dataset, single.dataset)
    xr.testing.assert_identical(chunked.dataset, qb.sweep("kbody", GRID, TIMES, client="serial"))


def test_chunked_cluster_store_equals_serial(tmp_path: Path) -> None:
    import distributed

    with (
        distributed.LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        report = run_sweep(
            "kbody", GRID, TIMES, store=tmp_path / "c.zarr", client=client, chunk_points=2
        )
    assert report.computed == 9
    xr.testing.assert_identical(report.dataset, qb.sweep("kbody", GRID, TIMES, client="serial"))


def test_small_sweep_runs_in_process_and_says_so(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = run_sweep("kbody", GRID, TIMES, store=tmp_path / "s.zarr", dashboard=False)
    assert report.computed == 9
    assert report.workers == 1
    assert "computing in this process, without a Dask cluster" in capsys.readouterr().err


def test_local_cluster_workers_get_the_quiet_settings() -> None:
    import dask

    from qbattery.sweep.cluster import LOCAL_CLUSTER_CONFIG, local_cluster

    client, cluster = local_cluster(1, dashboard=False)
    with cluster, client:
        got = client.run(lambda: {k: dask.config.get(k) for k in LOCAL_CLUSTER_CONFIG})
        assert list(got.values()) == [LOCAL_CLUSTER_CONFIG]
        assert cluster.scheduler._tick_interval == 1.0  # read when the scheduler started
    assert dask.config.get("distributed.worker.profile.enabled") is True  # not leaked


def test_chunk_interrupted_midway_keeps_finished_points(
    tmp_path: Path, task_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s.zarr"
    monkeypatch.setenv("QB_SWEEP_STOP_AFTER", "5")
    with pytest.raises(KeyboardInterrupt):
        run_sweep(MODEL, GRID, TIMES, store=store, client="serial", chunk_points=3)
    stored = {tuple(ix) for ix in np.argwhere(qb.open_sweep(store).status.values != PENDING)}
    assert len(stored) == 5  # the first chunk of 3 and 2 points of the second
    monkeypatch.delenv("QB_SWEEP_STOP_AFTER")
    task_log.unlink()
    report = run_sweep(MODEL, GRID, TIMES, store=store, client="serial")
    again = {(GRID["N"].index(n), GRID["k"].index(k)) for n, k, _ in logged_points(task_log)}
    assert report.computed == len(again) == 4
    assert not again & stored
    xr.testing.assert_identical(report.dataset, qb.sweep(MODEL, GRID, TIMES, client="serial"))


def test_store_with_per_point_status_chunks_resumes(
    tmp_path: Path, task_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A store of qbattery 0.1 (one ``status`` chunk per point) is resumed as it is."""
    store = tmp_path / "old.zarr"
    monkeypatch.setenv("QB_SWEEP_STOP_AFTER", "4")
    with pytest.raises(KeyboardInterrupt):
        run_sweep(MODEL, GRID, TIMES, store=store, client="serial", chunk_points=3)
    group = zarr.open_group(str(store), mode="r+")
    old = group["status"]
    values, attrs, names = old[...], dict(old.attrs), old.metadata.dimension_names
    group.create_array(  # the 0.1 layout: the same status, one chunk per point
        "status", shape=old.shape, dtype=old.dtype, chunks=(1,) * old.ndim,
        fill_value=old.fill_value, attributes=attrs, dimension_names=names, overwrite=True,
    )[...] = values  # fmt: skip
    assert zarr.open_array(str(store / "status"), mode="r").chunks == (1, 1)
    monkeypatch.delenv("QB_SWEEP_STOP_AFTER")
    report = run_sweep(MODEL, GRID, TIMES, store=store, client="serial")
    assert report.computed == 5
    assert report.stored_before == 4
    assert zarr.open_array(str(store / "status"), mode="r").chunks == (1, 1)
    xr.testing.assert_identical(report.dataset, qb.sweep(MODEL, GRID, TIMES, client="serial"))


def test_final_dataset_from_memory_equals_the_store(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The Dataset a new store's writer keeps in memory is the one read back from disk
    (with an invalid point: k = 3 > N = 2), and a writer without the copy reads."""
    from qbattery.sweep import store as store_module

    report = run_sweep("kbody", GRID, TIMES, store=tmp_path / "m.zarr", client="serial")
    assert int((report.dataset.status == 2).sum()) == 1
    xr.testing.assert_identical(report.dataset, qb.open_sweep(tmp_path / "m.zarr"))
    monkeypatch.setattr(store_module, "MIRROR_MEMORY_FRACTION", 0.0)
    again = run_sweep("kbody", GRID, TIMES, store=tmp_path / "r.zarr", client="serial")
    xr.testing.assert_identical(again.dataset, report.dataset)


def test_new_stores_chunk_status_in_blocks(tmp_path: Path) -> None:
    run_sweep("kbody", GRID, TIMES, store=tmp_path / "n.zarr", client="serial", chunk_points=3)
    status = zarr.open_array(str(tmp_path / "n.zarr" / "status"), mode="r")
    assert status.chunks == _block(tmp_path / "n.zarr") == (1, 3)


def _driver(store: Path, grid: dict, **kw: object) -> str:
    return textwrap.dedent(
        f"""
        import numpy as np
        from qbattery.sweep import run_sweep
        if __name__ == "__main__":
            run_sweep({MODEL!r}, {grid!r}, np.linspace(0.0, 2.0, 9), store={str(store)!r},
                      progress=False, dashboard=False, **{kw!r})
        """
    )


def _wait_done(store: Path, at_least: int, proc: subprocess.Popen, limit: float = 120) -> None:
    deadline = time.monotonic() + limit
    while True:
        try:
            done = int(np.count_nonzero(qb.open_sweep(store).status.values != PENDING))
        except Exception:  # the template may not exist yet
            done = 0
        if done >= at_least:
            return
        assert proc.poll() is None, "the sweep ended before it could be killed"
        assert time.monotonic() < deadline, f"fewer than {at_least} points within {limit} s"
        time.sleep(0.05)


@pytest.mark.slow
def test_chunk_killed_midway_resumes_exactly(tmp_path: Path, task_log: Path) -> None:
    store = tmp_path / "s.zarr"
    env = {**os.environ, "QB_SWEEP_SLEEP": "0.3"}
    script = _driver(store, GRID, client="serial", chunk_points=3)
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    try:
        _wait_done(store, 3, proc)
        while len(logged_points(task_log)) < 4:  # inside the second chunk
            time.sleep(0.02)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    stored = {tuple(ix) for ix in np.argwhere(qb.open_sweep(store).status.values != PENDING)}
    assert len(stored) == 3  # the killed chunk wrote nothing: no completion record
    task_log.unlink()
    report = run_sweep(MODEL, GRID, TIMES, store=store, client="serial")
    again = {(GRID["N"].index(n), GRID["k"].index(k)) for n, k, _ in logged_points(task_log)}
    assert report.computed == len(again) == 6
    assert not again & stored
    xr.testing.assert_identical(report.dataset, qb.sweep(MODEL, GRID, TIMES, client="serial"))


@pytest.mark.slow
def test_preempted_cluster_resumes_with_a_fresh_cluster(tmp_path: Path, task_log: Path) -> None:
    """The allocation ends: driver and workers killed together, a new cluster resumes."""
    store = tmp_path / "s.zarr"
    grid = {"N": [3, 4, 5, 6], "k": [1, 2, 3]}
    env = {**os.environ, "QB_SWEEP_SLEEP": "0.4"}
    script = _driver(store, grid, workers=2, chunk_points=2)
    proc = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, env=env, start_new_session=True
    )
    try:
        _wait_done(store, 4, proc)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # the job's whole process group, workers too
        proc.wait()
    partial = qb.open_sweep(store)
    stored = int(np.count_nonzero(partial.status.values != PENDING))
    assert 4 <= stored < 12
    assert not lock_path(store).exists() or json.loads(lock_path(store).read_text())["pid"]
    report = run_sweep(
        MODEL, grid, TIMES, store=store, workers=2, dashboard=False, progress=False
    )  # the dead holder's lock is taken over
    assert report.computed == 12 - stored
    expected = qb.sweep(MODEL, grid, TIMES, client="serial")
    xr.testing.assert_identical(report.dataset, expected)
    assert _leftovers(tmp_path) == []


# --------------------------------------------------------------------------- the lock


def test_second_sweep_on_a_locked_store_is_refused(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    with (
        StoreLock(store),
        pytest.raises(
            StoreLockedError,
            match=rf"in use by PID {os.getpid()} on host "
            rf"{socket.gethostname()}.*add --wait",
        ),
    ):
        run_sweep("kbody", GRID, TIMES, store=store, client="serial")
    assert not store.exists()
    assert _leftovers(tmp_path) == []


def test_stale_locks_are_taken_over(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        capture_output=True,
        text=True,
        check=True,
    )
    holder = {"host": socket.gethostname(), "pid": int(dead.stdout), "since": "then"}
    lock_path(store).write_text(json.dumps(holder))
    assert run_sweep("kbody", GRID, TIMES, store=store, client="serial").computed == 9
    assert not lock_path(store).exists()
    # another host: stale only once its heartbeat is older than STALE_AFTER_S
    lock_path(store).write_text(json.dumps({"host": "elsewhere", "pid": 1, "since": "then"}))
    with pytest.raises(StoreLockedError, match="in use by PID 1 on host elsewhere"):
        run_sweep("kbody", GRID, TIMES, store=store, client="serial")
    old = time.time() - STALE_AFTER_S - 10
    os.utime(lock_path(store), (old, old))
    assert run_sweep("kbody", GRID, TIMES, store=store, client="serial").computed == 0


def test_wait_waits_for_a_live_holder_then_runs(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    # a live holder in another process: takes the lock, says so, holds it for 2 s
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time\n"
            "from qbattery.sweep.lock import StoreLock\n"
            f"with StoreLock({str(store)!r}):\n"
            "    print('held', flush=True)\n"
            "    time.sleep(2.0)\n",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None
        assert holder.stdout.readline().strip() == "held"
        assert json.loads(lock_path(store).read_text())["pid"] == holder.pid
        with pytest.raises(StoreLockedError, match=rf"in use by PID {holder.pid} "):
            run_sweep("kbody", GRID, TIMES, store=store, client="serial")
        started = time.perf_counter()
        report = run_sweep("kbody", GRID, TIMES, store=store, client="serial", wait=True)
        waited = time.perf_counter() - started
        assert holder.wait(timeout=30) == 0
    finally:
        holder.kill()
    assert waited > 0.5  # it did wait for the holder (which held the lock ~2 s)
    assert report.computed == 9
    xr.testing.assert_identical(report.dataset, qb.sweep("kbody", GRID, TIMES, client="serial"))
    assert not lock_path(store).exists()
    assert _leftovers(tmp_path) == []


@pytest.mark.slow
def test_two_sweeps_on_one_store_exactly_one_runs(tmp_path: Path, task_log: Path) -> None:
    (tmp_path / "s.toml").write_text(
        f'[sweep]\nmodel = "{MODEL}"\n[grid]\nN = [2, 3, 4]\nk = [1, 2, 3]\n'
        '[times]\nstart = 0.0\nstop = 2.0\nnum = 9\n[cluster]\nkind = "local"\n'
    )
    env = {**os.environ, "QB_SWEEP_SLEEP": "0.2"}
    cmd = [
        sys.executable,
        "-m",
        "qbattery",
        "sweep",
        "s.toml",
        "--store",
        "conc.zarr",
        "--scheduler",
        "serial",
    ]
    procs = [
        subprocess.Popen(
            cmd, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes == [0, 2], outs
    refused = next(err for (_, err), p in zip(outs, procs, strict=True) if p.returncode == 2)
    assert "is in use by PID" in refused
    assert len(refused.strip().splitlines()) == 1
    loser = next(p.pid for p in procs if p.returncode == 2)
    rows = logged_points(task_log)
    # the refused sweep built at most the model its config check builds, computed nothing
    assert len([pid for _, _, pid in rows if pid == loser]) <= 1
    assert {(n, k) for n, k, pid in rows if pid != loser} == {
        (n, k) for n in GRID["N"] for k in GRID["k"]
    }
    expected = qb.sweep(MODEL, GRID, TIMES, client="serial")
    xr.testing.assert_identical(qb.open_sweep(tmp_path / "conc.zarr"), expected)
    assert _leftovers(tmp_path) == []
    # --wait: the second one waits, then finds everything done
    procs = [
        subprocess.Popen(
            [*cmd, "--wait"],
            cwd=tmp_path,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    assert all("(0 computed now" in out for out, _ in outs), outs


# --------------------------------------------------------------------------- [cluster]


SLURM = {
    "kind": "slurm",
    "partition": "short",
    "account": "phys123",
    "cores": 8,
    "memory": "16GB",
    "walltime": "04:00:00",
    "jobs": 20,
    "job_extra_directives": ["--gres=gpu:1"],
    "python": "/opt/venv/bin/python",
}


def test_slurm_job_script_has_every_directive() -> None:
    script = job_script(parse_cluster("s.toml", SLURM))
    for line in (
        "#SBATCH -p short",
        "#SBATCH -A phys123",
        "#SBATCH --cpus-per-task=8",
        "#SBATCH --mem=15G",
        "#SBATCH -t 04:00:00",
        "#SBATCH --gres=gpu:1",
    ):
        assert line in script.splitlines(), line
    assert "/opt/venv/bin/python -m distributed.cli.dask_worker" in script
    assert "--nworkers 8" in script
    assert "--nthreads 1" in script


def test_pbs_job_script_has_every_directive() -> None:
    table = {**SLURM, "kind": "pbs", "job_extra_directives": ["-l gpus=1"]}
    table["queue"] = table.pop("partition")
    script = job_script(parse_cluster("s.toml", table))
    for line in (
        "#PBS -q short",
        "#PBS -A phys123",
        "#PBS -l select=1:ncpus=8:mem=15GB",
        "#PBS -l walltime=04:00:00",
        "#PBS -l gpus=1",
    ):
        assert line in script.splitlines(), line
    assert "/opt/venv/bin/python -m distributed.cli.dask_worker" in script


@pytest.mark.parametrize(
    ("table", "match"),
    [
        ('kind = "slurm"\nnodes = 3', r"unknown keys \['nodes'\] in \[cluster\]"),
        ('kind = "lsf"', r"kind must be one of \['local', 'scheduler', 'slurm'"),
        ('kind = "slurm"\nmemory = "lots"', "memory must be a size such as"),
        ('kind = "slurm"\nwalltime = "4h"', r"walltime must be HH:MM:SS .*got '4h'"),
        ('kind = "slurm"\ncores = 0', r"cores must be an integer ≥ 1, got 0"),
        ('kind = "slurm"\njobs = 2\nmaximum = 4', "give `jobs` .*not both"),
        ('kind = "local"\npartition = "x"', r"\['partition'\] apply to kind = slurm"),
        ('kind = "scheduler"', "needs address"),
    ],
    ids=[
        "unknown-key",
        "unknown-kind",
        "memory",
        "walltime",
        "cores",
        "jobs-and-max",
        "batch-key-local",
        "no-address",
    ],
)
def test_cluster_table_errors_are_one_line_rc2(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    table: str,
    match: str,
) -> None:
    from qbattery.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(_config(table))
    assert main(["sweep", "s.toml", "--dry-run"]) == 2
    err = capsys.readouterr().err
    assert len(err.strip().splitlines()) == 1
    import re

    assert re.search(match, err), err
    assert main(["sweep", "s.toml"]) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]  # nothing created


def _config(cluster: str) -> str:
    return (
        '[sweep]\nmodel = "kbody"\n[grid]\nN = [2, 3]\nk = [1, 2]\n'
        f"[times]\nstart = 0.0\nstop = 2.0\nnum = 5\n[cluster]\n{cluster}\n"
    )


def test_dry_run_prints_the_script_and_submits_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import dask_jobqueue.core

    from qbattery.cli import main

    calls: list[object] = []

    async def submit(*args: object, **kwargs: object) -> None:
        calls.append(args)
        raise AssertionError("a dry run submitted a job")

    monkeypatch.setattr(dask_jobqueue.core.Job, "_submit_job", submit)
    monkeypatch.chdir(tmp_path)
    table = "\n".join(f"{k} = {json.dumps(v)}" for k, v in SLURM.items())
    (tmp_path / "s.toml").write_text(_config(table))
    assert main(["sweep", "s.toml", "--dry-run", "--jobs", "5"]) == 0
    out = capsys.readouterr().out
    assert "grid: 4 points (N: 2, k: 2) × 5 times" in out
    assert "5 slurm jobs of 8 workers (partition short, account phys123, 16GB, 04:00:00)" in out
    assert "= 40 workers at most" in out
    assert "memory per point:" in out
    assert "store: s.zarr (about" in out
    assert "#SBATCH -p short" in out
    assert "#SBATCH --gres=gpu:1" in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["s.toml"]  # no store, no lock
    assert calls == []


def test_missing_dask_jobqueue_names_the_hpc_extra(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbattery.cli import main

    monkeypatch.setitem(sys.modules, "dask_jobqueue", None)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "s.toml").write_text(_config('kind = "slurm"'))
    assert main(["sweep", "s.toml", "--dry-run"]) == 2
    assert "pip install qbattery[hpc]" in capsys.readouterr().err
    with pytest.raises(QBatteryError, match=r"pip install qbattery\[hpc\]"):
        run_sweep(
            "kbody",
            {"k": [1, 2]},
            TIMES,
            params={"N": 2},
            store=tmp_path / "x.zarr",
            cluster=parse_cluster("s.toml", {"kind": "slurm"}),
            chunk_points=1,
        )


def test_status_counts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbattery.cli import main

    store = tmp_path / "s.zarr"
    monkeypatch.setenv("QB_SWEEP_LOG", str(tmp_path / "log"))
    monkeypatch.setenv("QB_SWEEP_STOP_AFTER", "5")
    with pytest.raises(KeyboardInterrupt):
        run_sweep(
            MODEL,
            {"N": [2, 3, 4], "k": [1, 3]},
            TIMES,
            store=store,
            client="serial",
            chunk_points=1,
        )
    assert main(["sweep", "--status", str(store)]) == 0
    # (N, k) = (2, 3) is invalid (k > N); 5 points were computed before the interrupt
    assert capsys.readouterr().out.strip() == (f"4 done, 1 invalid, 0 failed, 1 pending ({store})")
    assert main(["sweep", "--status", str(tmp_path / "none.zarr")]) == 2
    assert "no sweep store at" in capsys.readouterr().err
