"""Sweeps: equal to qb.charge point by point, resumable, refuse mismatched stores.

Independent route: every swept point is compared with ``qb.charge`` on the same model,
computed one by one in this process (bitwise, with BLAS capped to one thread as the
sweep does). Interrupted sweeps are compared with uninterrupted ones with
``xarray.testing.assert_identical``. Tasks are counted by a model that logs each call
(tests/sweep_models.py).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import distributed  # the dask extra is part of the dev extra: fail loudly without it
import numpy as np
import psutil
import pytest
import threadpoolctl
import xarray as xr

import qbattery as qb
from qbattery.errors import ConfigError, InvalidInputError, QBatteryError
from qbattery.sweep import (
    DONE,
    FAILED,
    INVALID,
    PENDING,
    SWEEP_VARIABLES,
    SweepMismatchError,
    SweepReport,
    load_config,
    run_config,
    run_sweep,
)
from tests.sweep_models import logged_points

ROOT = Path(__file__).resolve().parents[1]
MODEL = "tests.sweep_models:counting_kbody"
TIMES = np.linspace(0.0, 2.0, 9)
GRID = {"N": [2, 3, 4], "k": [1, 2, 3]}


@pytest.fixture
def task_log(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh task log for counting_kbody; workers inherit the environment."""
    log = tmp_path / "tasks.log"
    monkeypatch.setenv("QB_SWEEP_LOG", str(log))
    monkeypatch.setenv("PYTHONPATH", os.pathsep.join([str(ROOT), os.environ.get("PYTHONPATH", "")]))
    return log


def _reference(N: int, k: int, times: np.ndarray, engine: str = "dense") -> xr.Dataset:
    qb.models.kbody.cache_clear()  # a fresh battery: nothing shared with the sweep
    with threadpoolctl.threadpool_limits(limits=1):
        return qb.charge(qb.models.kbody(N, k), times, engine)


def test_sweep_equals_charge_point_by_point() -> None:
    ds = qb.sweep("kbody", {"N": [2, 3, 5], "k": [1, 2, 3]}, TIMES, engine="dense", client="serial")
    assert ds.work_nsr.dims == ("N", "k", "time")
    np.testing.assert_array_equal(ds.time, TIMES)
    for N in (2, 3, 5):
        for k in (1, 2, 3):
            point = ds.sel(N=N, k=k)
            if k > N:
                assert int(point.status) == INVALID
                assert "`k` must be ≥ 1 and ≤ 2, got 3" in str(point.error.values)
                assert np.isnan(point.work_mean).all()
                continue
            assert int(point.status) == DONE
            assert str(point.engine.values) == "dense"
            ref = _reference(N, k, TIMES)
            for name in SWEEP_VARIABLES:
                np.testing.assert_array_equal(point[name].values, ref[name].values, err_msg=name)


def test_sweep_keeps_no_prepared_engine() -> None:
    from qbattery.engines.cache import ENGINE_CACHE

    qb.sweep("kbody", {"N": [3, 4], "k": [1, 2]}, TIMES, engine="dense", client="serial")
    for N in (3, 4):
        for k in (1, 2):
            assert qb.models.kbody(N, k) not in ENGINE_CACHE  # no eigendecomposition kept


def test_threaded_dask_cluster_gives_the_serial_result() -> None:
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        report = run_sweep("kbody", GRID, TIMES, engine="dense", client=client)
    assert report.workers == 2
    assert report.computed == 9
    serial = qb.sweep("kbody", GRID, TIMES, engine="dense", client="serial")
    # worker threads share one process, so BLAS thread limits (threadpoolctl) race
    # between them: equal to rounding, not bitwise (process workers are bitwise equal)
    xr.testing.assert_allclose(report.dataset, serial, rtol=1e-12, atol=1e-14)
    xr.testing.assert_identical(
        report.dataset[["status", "error", "engine"]], serial[["status", "error", "engine"]]
    )


def test_store_round_trip_equals_memory(tmp_path: Path) -> None:
    store = tmp_path / "s.zarr"
    stored = qb.sweep("kbody", GRID, TIMES, store=store, client="serial")
    memory = qb.sweep("kbody", GRID, TIMES, client="serial")
    xr.testing.assert_identical(stored, memory)
    xr.testing.assert_identical(qb.open_sweep(store), memory)
    assert (store / "status").is_dir()
    # one chunk file per block (one task) holding a finished point, for each variable
    import zarr

    from qbattery.sweep.chunks import blocks

    block = zarr.open_array(str(store / "work_nsr"), mode="r").chunks[:-1]
    done = memory.status.values == DONE
    expected = sum(bool(done[region].any()) for region in blocks(done.shape, block))
    chunks = [p for p in (store / "work_nsr").rglob("*") if p.is_file() and p.name != "zarr.json"]
    assert len(chunks) == expected
    assert expected < int(done.sum())  # chunked: fewer files than points


def test_interrupted_sweep_resumes_computing_only_missing_points(
    tmp_path: Path, task_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s.zarr"
    monkeypatch.setenv("QB_SWEEP_STOP_AFTER", "4")
    with pytest.raises(KeyboardInterrupt):
        qb.sweep(MODEL, GRID, TIMES, store=store, client="serial")
    partial = qb.open_sweep(store)
    first = logged_points(task_log)
    assert len(first) == 4
    stored = {(int(n), int(k)) for n, k in zip(*np.nonzero(partial.status.values), strict=True)}
    assert len(stored) == 4  # every task that ran before the interrupt was stored
    monkeypatch.delenv("QB_SWEEP_STOP_AFTER")
    task_log.unlink()
    report = run_sweep(MODEL, GRID, TIMES, store=store, client="serial")
    assert report.stored_before == 4
    assert report.computed == 5
    again = logged_points(task_log)
    n_values, k_values = GRID["N"], GRID["k"]
    recomputed = {(n_values.index(n), k_values.index(k)) for n, k, _ in again}
    assert len(again) == 5
    assert not recomputed & stored
    task_log.unlink()
    uninterrupted = qb.sweep(MODEL, GRID, TIMES, client="serial")
    xr.testing.assert_identical(report.dataset, uninterrupted)
    assert run_sweep(MODEL, GRID, TIMES, store=store, client="serial").computed == 0


def test_failed_point_is_recorded_and_retried_on_request(
    tmp_path: Path, task_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = tmp_path / "s.zarr"
    monkeypatch.setenv("QB_SWEEP_FAIL_K", "2")
    report = run_sweep(MODEL, GRID, TIMES, store=store, client="serial")
    status = report.dataset.status
    assert (status.sel(k=2) == FAILED).all()
    assert "RuntimeError: deliberate failure at k = 2" in str(
        report.dataset.error.sel(N=3, k=2).values
    )
    assert int((status == DONE).sum()) == 5  # (2,1) (2,2)x (3,1) (3,3) (4,1) (4,3)
    assert int((status == INVALID).sum()) == 1  # N = 2, k = 3
    assert np.isnan(report.dataset.power_nsr.sel(k=2)).all()
    summary = report.summary()
    assert "3 failed" in summary
    assert "failed: N=4, k=2: RuntimeError: deliberate failure at k = 2" in summary
    assert "invalid: N=2, k=3: InvalidInputError" in summary
    assert run_sweep(MODEL, GRID, TIMES, store=store, client="serial").computed == 0
    monkeypatch.delenv("QB_SWEEP_FAIL_K")
    retried = run_sweep(MODEL, GRID, TIMES, store=store, client="serial", retry_failed=True)
    assert retried.computed == 3
    xr.testing.assert_identical(retried.dataset, qb.sweep(MODEL, GRID, TIMES, client="serial"))


@pytest.mark.parametrize(
    ("change", "match"),
    [
        pytest.param(
            {"grid": {"N": [2, 3, 4], "k": [1, 2]}},
            r"grid 'k' is \[1, 2, 3\] in the store but \[1, 2\] here",
            id="grid",
        ),
        pytest.param(
            {"grid": {"k": [1, 2, 3], "N": [2, 3, 4]}},
            r"grid axes are ordered \['N', 'k'\] in the store",
            id="order",
        ),
        pytest.param(
            {"times": np.linspace(0, 1, 9)},
            r"times are 9 values in \[0, 2\] in the store but 9 values in \[0, 1\]",
            id="times",
        ),
        pytest.param(
            {"engine": "dense"}, r"engine is 'auto' in the store but 'dense' here", id="engine"
        ),
        pytest.param(
            {"params": {"omega0": 2.0}},
            r"params 'omega0' is not in the store but is 2.0 here",
            id="params",
        ),
        pytest.param(
            {"model": MODEL},
            r"model is 'kbody' in the store but 'tests.sweep_models:counting_kbody' here",
            id="model",
        ),
    ],
)
def test_store_for_another_sweep_is_refused(tmp_path: Path, change: dict, match: str) -> None:
    store = tmp_path / "s.zarr"
    grid = {"N": [2, 3, 4], "k": [1, 2, 3]}
    qb.sweep("kbody", grid, TIMES, store=store, client="serial", bounds=False)
    args = {"model": "kbody", "grid": grid, "times": TIMES, "bounds": False, **change}
    with pytest.raises(SweepMismatchError, match=match):
        qb.sweep(
            args.pop("model"),
            args.pop("grid"),
            args.pop("times"),
            store=store,
            client="serial",
            **args,
        )


@pytest.mark.parametrize(
    ("model", "grid", "params", "match"),
    [
        pytest.param(
            "kbody",
            {"N": [4], "q": [1]},
            None,
            r"unknown parameter 'q' of model 'kbody'; its parameters are "
            r"\['N', 'Omega0', 'decay', 'dephasing', 'k', 'omega0'\]",
            id="unknown-param",
        ),
        pytest.param("kbody", {}, None, r"the grid is empty", id="empty-grid"),
        pytest.param(
            "kbody", {"N": [4], "k": []}, None, r"grid axis 'k' is empty", id="empty-axis"
        ),
        pytest.param(
            "kbody",
            {"N": [4], "k": [1, 2, 1]},
            None,
            r"grid axis 'k' repeats the values \[1\]",
            id="repeated",
        ),
        pytest.param(
            "kbody",
            {"N": [4], "k": 2},
            None,
            r"grid axis 'k' must be a list of values",
            id="scalar-axis",
        ),
        pytest.param(
            "kbody",
            {"N": [4], "k": [1, "a"]},
            None,
            r"grid axis 'k' must hold scalars of one kind",
            id="mixed",
        ),
        pytest.param(
            "kbody",
            {"N": [4], "k": [1]},
            {"k": 2},
            r"parameters \['k'\] are both swept",
            id="swept-and-fixed",
        ),
        pytest.param(
            "kbody", {"N": [4]}, None, r"model 'kbody' needs the parameters \['k'\]", id="missing"
        ),
        pytest.param(
            "nope", {"N": [4]}, None, r"unknown model 'nope'; choose one of", id="unknown-model"
        ),
        pytest.param(
            "tests.sweep_models:nope",
            {"N": [4]},
            None,
            r"cannot import model 'tests.sweep_models:nope'",
            id="bad-import",
        ),
        pytest.param(
            "kbody",
            {"N": [4], "k": [1]},
            {"omega0": [1, 2]},
            r"fixed parameter 'omega0' must be a number",
            id="list-param",
        ),
    ],
)
def test_invalid_sweeps_are_refused(
    model: str, grid: dict, params: dict | None, match: str
) -> None:
    with pytest.raises(InvalidInputError, match=match):
        qb.sweep(model, grid, TIMES, params=params, client="serial")


def test_path_that_is_not_a_sweep_store_is_refused(tmp_path: Path) -> None:
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "notes.txt").write_text("hello")
    with pytest.raises(InvalidInputError, match="exists but is not a Zarr store"):
        qb.sweep("kbody", GRID, TIMES, store=tmp_path / "other", client="serial")
    xr.Dataset({"a": ("x", [1.0])}).to_zarr(
        tmp_path / "plain.zarr", zarr_format=3, consolidated=False
    )
    with pytest.raises(InvalidInputError, match="is a Zarr store but not a qbattery sweep store"):
        qb.sweep("kbody", GRID, TIMES, store=tmp_path / "plain.zarr", client="serial")
    with pytest.raises(InvalidInputError, match="no sweep store at"):
        qb.open_sweep(tmp_path / "missing.zarr")


def test_string_and_float_axes(tmp_path: Path) -> None:
    grid = {"variant": ["paper", "tfim"], "Omega": [0.5, 1]}
    ds = qb.sweep(
        "ising", grid, TIMES, params={"N": 3, "s": 2}, store=tmp_path / "i.zarr", client="serial"
    )
    assert ds.variant.values.tolist() == ["paper", "tfim"]
    assert ds.Omega.dtype == np.float64  # mixed int/float axis → float
    ref = qb.charge(qb.models.ising(3, 2, Omega=1.0, variant="tfim"), TIMES)
    np.testing.assert_allclose(
        ds.sel(variant="tfim", Omega=1.0).work_mean, ref.work_mean, rtol=1e-12, atol=1e-14
    )


def test_progress_bar_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    qb.sweep("kbody", GRID, TIMES, client="serial", progress=False, bounds=False)
    assert capsys.readouterr().err == ""
    qb.sweep("kbody", GRID, TIMES, client="serial", progress=True, bounds=False)
    err = capsys.readouterr().err
    assert "9/9" in err
    assert "ETA" in err


def test_missing_dask_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "distributed", None)  # makes `import distributed` fail
    with pytest.raises(QBatteryError, match=r"install it with `pip install qbattery\[dask\]`"):
        qb.sweep("kbody", GRID, TIMES)


def test_workers_with_existing_scheduler_is_refused() -> None:
    with pytest.raises(InvalidInputError, match="`workers` applies only to a local cluster"):
        qb.sweep("kbody", GRID, TIMES, client="tcp://127.0.0.1:1", workers=2)


# --------------------------------------------------------------------------- config files


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "sweep.toml"
    path.write_text(textwrap.dedent(text))
    return path


def test_example_config_has_at_least_200_points() -> None:
    config = load_config(ROOT / "examples" / "sweep-kbody.toml")
    spec = config.spec()
    assert spec.size >= 200
    assert spec.model == "kbody"


def test_config_runs_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    path = _write(
        tmp_path,
        """
        [sweep]
        model = "kbody"
        scheduler = "serial"
        [grid]
        N = [2, 3, 4]
        k = {start = 1, stop = 3}
        [params]
        Omega0 = 1.5
        [times]
        start = 0.0
        stop = 2.0
        num = 9
        """,
    )
    report = run_config(path)
    assert report.store == Path("sweep.zarr")
    assert report.computed == 9
    expected = qb.sweep("kbody", GRID, TIMES, params={"Omega0": 1.5}, client="serial")
    xr.testing.assert_identical(report.dataset, expected)
    assert run_config(path).computed == 0


@pytest.mark.parametrize(
    ("text", "match"),
    [
        pytest.param(
            "[sweep]\nmodel='kbody'\n[grid]\nk=[1]\n[time]\nstart=0\n",
            r"unknown tables or keys \['time'\]",
            id="unknown-table",
        ),
        pytest.param(
            "[sweep]\nmodel='kbody'\nthreads=2\n",
            r"unknown keys \['threads'\] in \[sweep\]",
            id="unknown-key",
        ),
        pytest.param(
            "[sweep]\nengine='dense'\n", r"\[sweep\] needs model, e.g. model", id="no-model"
        ),
        pytest.param(
            "[sweep]\nmodel='kbody'\n[grid]\nN=[4]\nk={from=1}\n[times]\nvalues=[1.0]\n",
            r"\[grid\] k must be a list or a table",
            id="bad-axis",
        ),
        pytest.param(
            "[sweep]\nmodel='kbody'\n[grid]\nN=[4]\nk=[1]\n[times]\nstart=0\n",
            r"\[times\] needs start, stop and num",
            id="no-times",
        ),
        pytest.param(
            "[sweep]\nmodel='kbody'\nbounds='yes'\n",
            r"\[sweep\] bounds must be true or false",
            id="bad-bool",
        ),
        pytest.param("[sweep\nmodel='kbody'\n", r"is not valid TOML", id="bad-toml"),
    ],
)
def test_config_errors(tmp_path: Path, text: str, match: str) -> None:
    with pytest.raises(ConfigError, match=match):
        load_config(_write(tmp_path, text))


def test_config_directory_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="is a directory, not a TOML file"):
        load_config(tmp_path)


def test_config_model_checks_run_before_any_cluster(tmp_path: Path) -> None:
    text = "[sweep]\nmodel='kbody'\n[grid]\nN=[4]\nq=[1]\n[times]\nvalues=[1.0]\n"
    with pytest.raises(InvalidInputError, match="unknown parameter 'q'"):
        load_config(_write(tmp_path, text))
    text = "[sweep]\nmodel='kbody'\n[times]\nvalues=[1.0]\n"
    with pytest.raises(
        InvalidInputError, match=r"\[grid\] is empty or missing; add at least one swept parameter"
    ):
        load_config(_write(tmp_path, text))


# --------------------------------------------------------------------------- processes


def _count_status(store: Path) -> int:
    """Finished points in a store being written by another process."""
    try:
        return int(np.count_nonzero(qb.open_sweep(store).status.values != PENDING))
    except Exception:  # the template may not exist yet
        return 0


@pytest.mark.slow
def test_sigkill_then_rerun_computes_only_missing_points(tmp_path: Path, task_log: Path) -> None:
    store = tmp_path / "s.zarr"
    grid = {"N": [3, 4, 5, 6], "k": [1, 2, 3]}
    script = textwrap.dedent(
        f"""
        import numpy as np, qbattery as qb
        if __name__ == "__main__":
            qb.sweep({MODEL!r}, {grid!r}, np.linspace(0.0, 2.0, 9), store={str(store)!r},
                     workers=2, dashboard=False)
        """
    )
    env = {**os.environ, "QB_SWEEP_SLEEP": "0.4"}
    proc = subprocess.Popen([sys.executable, "-c", script], cwd=ROOT, env=env)
    try:
        deadline = time.monotonic() + 120
        while _count_status(store) < 4:
            assert proc.poll() is None, "the sweep ended before it could be killed"
            assert time.monotonic() < deadline, "no point was stored within 120 s"
            time.sleep(0.1)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait()
    worker_pids = {pid for _, _, pid in logged_points(task_log)}
    stopped = time.monotonic() + 30
    while any(_alive(pid) for pid in worker_pids) and time.monotonic() < stopped:
        time.sleep(0.2)
    assert not any(_alive(pid) for pid in worker_pids), "workers outlived the killed sweep"
    partial = qb.open_sweep(store)
    stored = {tuple(ix) for ix in np.argwhere(partial.status.values != PENDING)}
    assert 4 <= len(stored) < 12
    task_log.unlink()
    report = run_sweep(MODEL, grid, np.linspace(0.0, 2.0, 9), store=store, client="serial")
    computed = [(grid["N"].index(n), grid["k"].index(k)) for n, k, _ in logged_points(task_log)]
    assert report.computed == len(computed) == 12 - len(stored)
    assert not set(computed) & stored
    task_log.unlink()
    uninterrupted = qb.sweep(MODEL, grid, np.linspace(0.0, 2.0, 9), client="serial")
    xr.testing.assert_identical(report.dataset, uninterrupted)


def _alive(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


@pytest.mark.slow
def test_losing_a_worker_loses_no_point(
    tmp_path: Path, task_log: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QB_SWEEP_SLEEP", "0.3")
    grid = {"N": [3, 4, 5, 6], "k": [1, 2, 3]}
    cluster = distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    )
    with cluster, distributed.Client(cluster) as client:
        pids = list(client.run(os.getpid).values())
        result: dict[str, object] = {}

        def run() -> None:
            result["report"] = run_sweep(
                MODEL, grid, TIMES, store=tmp_path / "s.zarr", client=client
            )

        thread = threading.Thread(target=run)
        thread.start()
        deadline = time.monotonic() + 60
        while len(logged_points(task_log)) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
        victim = pids[0]
        os.kill(victim, signal.SIGKILL)
        thread.join(timeout=180)
        assert not thread.is_alive()
    report = result["report"]
    assert isinstance(report, SweepReport)
    assert report.failed == []
    status = report.dataset.status.values
    assert (status == DONE).all()
    assert victim in {pid for _, _, pid in logged_points(task_log)}  # the victim did work
    task_log.unlink()
    xr.testing.assert_identical(report.dataset, qb.sweep(MODEL, grid, TIMES, client="serial"))


# --------------------------------------------------------------------------- command line


TINY = """
[sweep]
model = "{model}"
scheduler = "serial"
[grid]
N = [2, 3]
k = [1, 2]
[times]
start = 0.0
stop = 2.0
num = 5
"""


def test_cli_sweep_runs_resumes_and_draws(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbattery.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(TINY.format(model="kbody"))
    args = ["sweep", "tiny.toml", "--store", "out.zarr", "--figure", "k.png", "--select", "N=3"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "4 done (4 computed now" in out
    assert "wrote k.png" in out
    assert (tmp_path / "k.png").read_bytes()[:4] == b"\x89PNG"
    expected = qb.sweep("kbody", {"N": [2, 3], "k": [1, 2]}, np.linspace(0, 2, 5), client="serial")
    xr.testing.assert_identical(qb.open_sweep(tmp_path / "out.zarr"), expected)
    assert main(["sweep", "tiny.toml", "--store", "out.zarr"]) == 0
    assert "(0 computed now" in capsys.readouterr().out


def test_cli_sweep_errors_are_one_line_with_exit_2(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    from qbattery.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "tiny.toml").write_text(TINY.format(model="kbody"))
    assert main(["sweep", "tiny.toml", "--store", "a.zarr", "--figure", "x.png"]) == 2
    err = capsys.readouterr().err
    assert "--figure draws one grid axis against time, but ['N', 'k'] remain" in err
    assert len(err.strip().splitlines()) == 1
    (tmp_path / "other.toml").write_text(TINY.format(model="kbody").replace("num = 5", "num = 6"))
    assert main(["sweep", "other.toml", "--store", "a.zarr"]) == 2
    assert "was made for a different sweep: times are 5 values" in capsys.readouterr().err
    (tmp_path / "bad.toml").write_text(TINY.format(model="kbody").replace("k = [", "q = ["))
    assert main(["sweep", "bad.toml"]) == 2
    assert "unknown parameter 'q' of model 'kbody'" in capsys.readouterr().err
    assert main(["sweep", "tiny.toml", "--scheduler", "serial", "--workers", "2"]) == 2
    assert "--workers 2 applies only to a local cluster" in capsys.readouterr().err


def test_cli_sweep_exits_1_when_points_failed(
    tmp_path: Path,
    task_log: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    from qbattery.cli import main

    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("QB_SWEEP_FAIL_K", "2")
    (tmp_path / "tiny.toml").write_text(TINY.format(model=MODEL))
    assert main(["sweep", "tiny.toml"]) == 1
    out = capsys.readouterr().out
    assert "failed: N=3, k=2: RuntimeError: deliberate failure at k = 2" in out
    monkeypatch.delenv("QB_SWEEP_FAIL_K")
    assert main(["sweep", "tiny.toml", "--retry-failed"]) == 0
    assert "(2 computed now" in capsys.readouterr().out
