"""Issue 12, command line and config files: every bad input is one line, rc 2, no files.

Each case of the issue (7, 10-24), the ``--help`` texts, Click's usage messages,
Ctrl-C and the run progress spinner; a hypothesis test feeds malformed TOML files.
"""

from __future__ import annotations

import io
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import qbattery as qb
from qbattery import cli
from qbattery.errors import ConfigError, InvalidInputError

SWEEP = (
    '[sweep]\nmodel = "kbody"\nscheduler = "serial"\nbounds = false\n'
    "[grid]\nk = [1, 2]\n[params]\nN = 4\n[times]\nvalues = [0.5, 1.0]\n"
)
RUN = '[model]\nname = "single_qubit"\n[times]\nvalues = [0.5, 1.0]\n'


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def one_line(code: int, err: str, match: str) -> None:
    """rc 2, exactly one stderr line with our prefix, containing ``match``."""
    assert code == 2, err
    assert err.count("\n") == 1, err
    assert err.endswith("\n"), err
    assert err.startswith("qbattery: error: "), err
    assert match in err, err


def files(path: Path) -> set[str]:
    return {str(p.relative_to(path)) for p in path.rglob("*")}


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


# ---- sweep configs (cases 7, 14, 15, 19, 23, 24) -------------------------------------------
@pytest.mark.parametrize(
    ("grid", "match"),
    [
        pytest.param(
            "Omega0 = {start = 0, stop = 1, num = 100000000}",
            "the grid has 100000000 = 1e+08 points × 2 times",
            id="case7-num-1e8",
        ),
        pytest.param(
            "a = {start = 1, stop = 1000}\nb = {start = 1, stop = 1000}\n"
            "c = {start = 1, stop = 1000}",
            "the grid has 1000 × 1000 × 1000 = 1e+09 points",
            id="case7-1000-cubed",
        ),
    ],
)
def test_huge_grid_refused_fast(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, grid: str, match: str
) -> None:
    path = write(
        tmp_path / "big.toml",
        f'[sweep]\nmodel = "kbody"\nscheduler = "serial"\n[grid]\n{grid}\n'
        "[params]\nN = 4\nk = 1\n[times]\nvalues = [0.5, 1.0]\n".replace("k = 1\n", "")
        if "a =" not in grid
        else f'[sweep]\nmodel = "kbody"\n[grid]\n{grid}\n[times]\nvalues = [0.5, 1.0]\n',
    )
    before = files(tmp_path)
    started = time.perf_counter()
    code, _, err = run_cli(capsys, "sweep", str(path))
    assert time.perf_counter() - started < 5.0
    one_line(code, err, match)
    assert "of memory is available" in err
    assert files(tmp_path) == before


def test_grid_size_estimate_against_the_memory_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """The estimate is (variables × times + 2) × 8 B + 512 B per point: exact bytes."""
    from qbattery.sweep.config import TASK_BYTES, check_grid_size
    from qbattery.sweep.spec import SWEEP_VARIABLES

    per_point = (len(SWEEP_VARIABLES) * 3 + 2) * 8 + TASK_BYTES
    monkeypatch.setenv("QBATTERY_MEMORY_LIMIT", str(100 * per_point))
    check_grid_size("s.toml", (10, 10), 3)  # exactly fits
    with pytest.raises(ConfigError, match=r"10 × 11 = 110 points × 3 times"):
        check_grid_size("s.toml", (10, 11), 3)


def test_case24_unknown_engine_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "m.toml", SWEEP.replace("bounds = false", 'engine = "magic"'))
    os.chdir(tmp_path)
    code, _, err = run_cli(capsys, "sweep", str(path))
    one_line(code, err, "m.toml: [sweep] engine: unknown engine 'magic'; choose one of")
    assert files(tmp_path) == {"m.toml"}


@pytest.mark.parametrize(
    ("old", "new", "match"),
    [
        pytest.param("N = 4", 'N = "four"', "[params] N must be a number, got 'four'", id="params"),
        pytest.param(
            "k = [1, 2]", 'k = ["1", "2"]', "[grid] k must be a number, got '1'", id="grid"
        ),
    ],
)
def test_case19_numeric_parameter_given_as_text_creates_nothing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, old: str, new: str, match: str
) -> None:
    """A built-in model's number written as text is refused with the file and table, before
    a store of invalid points is made."""
    path = write(tmp_path / "four.toml", SWEEP.replace(old, new))
    os.chdir(tmp_path)
    code, _, err = run_cli(capsys, "sweep", str(path))
    one_line(code, err, f"four.toml: {match}")
    assert files(tmp_path) == {"four.toml"}


def test_case14_model_that_is_not_a_battery(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(
        tmp_path / "j.toml",
        '[sweep]\nmodel = "os.path:join"\nscheduler = "serial"\n[grid]\na = ["x", "y"]\n'
        "[times]\nvalues = [0.5]\n",
    )
    os.chdir(tmp_path)
    code, _, err = run_cli(capsys, "sweep", str(path))
    one_line(code, err, "model 'os.path:join' returned a str, not a qbattery.Battery")
    path.write_text(path.read_text().replace('["x", "y"]', "[1, 2]"))
    code, _, err = run_cli(capsys, "sweep", str(path))
    one_line(code, err, "model 'os.path:join' fails at {'a': 1}: TypeError")
    assert files(tmp_path) == {"j.toml"}


def test_case15_store_under_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", SWEEP)
    (tmp_path / "afile").write_text("")
    code, _, err = run_cli(capsys, "sweep", str(path), "--store", str(tmp_path / "afile/x.zarr"))
    one_line(code, err, "'afile' is a file, not a directory; choose another path")


def test_read_only_store_location_refused_before_computing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """os.access is patched: as root every directory is writable."""
    path = write(tmp_path / "s.toml", SWEEP)
    ro = tmp_path / "ro"
    ro.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m: real(p, m) and Path(p) != ro)
    code, _, err = run_cli(capsys, "sweep", str(path), "--store", str(ro / "x.zarr"))
    one_line(code, err, f"the directory {str(ro)!r} is read-only")
    assert files(ro) == set()


def test_case23_bogus_scheduler(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(tmp_path / "s.toml", SWEEP)
    os.chdir(tmp_path)
    code, _, err = run_cli(capsys, "sweep", str(path), "--scheduler", "bogus")
    one_line(code, err, "--scheduler 'bogus' is not a Dask scheduler address; give tcp://HOST")
    assert files(tmp_path) == {"s.toml"}


def test_case19_cli_words_not_python_api(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "s.toml", SWEEP)
    os.chdir(tmp_path)
    code, _, err = run_cli(capsys, "sweep", str(path), "--workers", "2")
    one_line(code, err, "--workers 2 applies only to a local cluster, not to scheduler 'serial'")
    assert "client=" not in err
    empty = write(tmp_path / "e.toml", SWEEP.replace("k = [1, 2]\n", ""))
    code, _, err = run_cli(capsys, "sweep", str(empty))
    one_line(code, err, "e.toml: [grid] is empty or missing; add at least one swept parameter")
    assert "grid={" not in err
    four = write(
        tmp_path / "four.toml",
        '[model]\nname = "kbody"\nN = "four"\nk = 1\n[times]\nvalues = [0.5]\n',
    )
    code, _, err = run_cli(capsys, "run", str(four))
    one_line(code, err, "four.toml: [model] `N` must be an integer, got 'four'")
    bad = write(tmp_path / "b.toml", SWEEP.replace("bounds = false", 'workers = "two"'))
    code, _, err = run_cli(capsys, "sweep", str(bad))
    one_line(code, err, "b.toml: [sweep] workers must be a positive integer, got 'two'; write e.g.")


def test_case16_select_value_not_on_grid(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "s.toml", SWEEP)
    store = str(tmp_path / "s.zarr")
    code, _, err = run_cli(
        capsys, "sweep", str(path), "--store", store, "--figure", str(tmp_path / "f.png"),
        "--select", "k=99",
    )  # fmt: skip
    one_line(code, err, "--select k=99 is not on the grid; k takes [1, 2]")
    assert "method" not in err


# ---- Python API (cases 10, 11) ---------------------------------------------------------------
def test_case10_grid_as_list_of_pairs() -> None:
    with pytest.raises(InvalidInputError, match=r"`grid` must be a mapping .* got a list"):
        qb.sweep("kbody", [("N", [2])], [0.5], client="serial")


def test_case11_open_sweep_of_a_netcdf_file(tmp_path: Path) -> None:
    path = tmp_path / "kbody.nc"
    qb.charge(qb.models.single_qubit(), [0.5]).to_netcdf(path)
    with pytest.raises(InvalidInputError, match=r"'.*kbody.nc' is not a Zarr store"):
        qb.open_sweep(path)


# ---- run configs (cases 12, 13, 20, 21) ------------------------------------------------------
def _battery_toml(tmp_path: Path, archive: str) -> Path:
    return write(
        tmp_path / "b.toml",
        f'[battery]\nH0 = "{archive}:H0"\nHC = "{archive}:HC"\nstate = "{archive}:s"\n'
        "[times]\nvalues = [0.5]\n",
    )


def test_case12_npz_is_a_directory(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "adir.npz").mkdir()
    code, _, err = run_cli(capsys, "run", str(_battery_toml(tmp_path, "adir.npz")))
    one_line(code, err, "adir.npz' is a directory, not a .npy/.npz file")


def test_case13_npz_not_a_zip(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "garbage.npz").write_text("garbage")
    code, _, err = run_cli(capsys, "run", str(_battery_toml(tmp_path, "garbage.npz")))
    one_line(code, err, "garbage.npz is not an .npz archive (a zip file); save the arrays")
    assert "pickle" not in err


def test_case20_not_utf8(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "b.toml"
    path.write_bytes(b"\xff\xfe")
    for command in ("run", "sweep"):
        code, _, err = run_cli(capsys, command, str(path))
        one_line(code, err, "b.toml is not UTF-8 text (byte 0xff at offset 0); save the config")


def test_case21_figure_format_checked_before_computing(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = write(tmp_path / "x.toml", RUN + '[run]\nfigure = "out.xyz"\n')
    code, _, err = run_cli(capsys, "run", str(path))
    one_line(code, err, "x.toml: [run] figure '")
    assert "out.xyz' has the unknown figure format '.xyz'" in err
    ok = write(tmp_path / "y.toml", RUN)
    code, _, err = run_cli(capsys, "run", str(ok), "--figure", str(tmp_path / "f.xyz"))
    one_line(code, err, "has the unknown figure format '.xyz'")
    assert files(tmp_path) == {"x.toml", "y.toml"}


def test_command_line_outputs_replace_bad_ones_in_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    (tmp_path / "afile").write_text("")
    path = write(tmp_path / "x.toml", RUN + '[run]\noutput = "afile/x.nc"\nfigure = "f.xyz"\n')
    code, _, err = run_cli(capsys, "run", str(path))
    one_line(code, err, "x.toml: [run] output '")
    assert "'afile' is a file, not a directory" in err
    out = tmp_path / "ok.nc"
    code, _, err = run_cli(capsys, "run", str(path), "--out", str(out))
    one_line(code, err, "x.toml: [run] figure '")
    assert "f.xyz' has the unknown figure format '.xyz'" in err
    assert not out.exists()
    fig = tmp_path / "ok.png"
    code, _, err = run_cli(capsys, "run", str(path), "--out", str(out), "--figure", str(fig))
    assert code == 0, err
    assert out.exists()
    assert fig.exists()
    code, _, err = run_cli(capsys, "run", str(path), "--out", str(tmp_path / "afile" / "y.nc"))
    one_line(code, err, "--out '")


def test_battery_table_errors_name_the_file(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    np.savez(
        tmp_path / "ops.npz",
        H0=np.array([[0.0, 1.0], [0.0, 0.0]]),
        HC=np.eye(2),
        s=np.array([1.0, 0.0]),
    )
    code, _, err = run_cli(capsys, "run", str(_battery_toml(tmp_path, "ops.npz")))
    one_line(code, err, "b.toml: [battery] `H0` must be Hermitian, but max|H0 − H0†| = 1")
    code, _, err = run_cli(capsys, "run", str(_battery_toml(tmp_path, "nowhere.npz")))
    one_line(code, err, "b.toml: [battery] H0: file ")


def test_case22_design_figure_format(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(
        capsys, "design", "4", "--max-power-nsr", "10", "--figure", str(tmp_path / "d.xyz")
    )
    one_line(code, err, "--figure '")
    assert "unknown figure format '.xyz'" in err


def test_num_1_leaks_no_warning(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = write(
        tmp_path / "n.toml",
        '[model]\nname = "single_qubit"\n[times]\nstart = 0\nstop = 1\nnum = 1\n',
    )
    code, _, err = run_cli(capsys, "run", str(path))
    assert code == 0
    assert err == ""
    assert (tmp_path / "n.png").is_file()


# ---- design (cases 17, 18) -------------------------------------------------------------------
def test_case17_negative_n(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "design", "-3")
    one_line(code, err, "N must be positive, got -3; see 'qbattery design --help'")


def test_case18_unknown_family(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_cli(capsys, "design", "12", "--max-power-nsr", "0.1", "--family", "foo")
    one_line(code, err, "--family 'foo' is unknown; choose one of ['ising', 'kbody']")


# ---- usage messages and --help ---------------------------------------------------------------
@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["run"], "qbattery: error: missing argument 'config'; see 'qbattery run --help'\n"),
        (
            ["run", "--bogus"],
            "qbattery: error: unknown option --bogus; see 'qbattery run --help'\n",
        ),
        (
            ["run", "--figur", "x"],
            "qbattery: error: unknown option --figur; did you mean --figure? see "
            "'qbattery run --help'\n",
        ),
    ],
)
def test_click_messages_in_our_grammar(
    capsys: pytest.CaptureFixture[str], args: list[str], message: str
) -> None:
    code, _, err = run_cli(capsys, *args)
    assert (code, err) == (2, message)


@pytest.mark.parametrize(
    ("command", "tables"),
    [
        ("run", ["[model]", "[battery]", "[times]", "[run]"]),
        ("sweep", ["[sweep]", "[grid]", "[params]", "[times]"]),
    ],
)
def test_help_shows_table_names(
    capsys: pytest.CaptureFixture[str], command: str, tables: list[str]
) -> None:
    code, out, _ = run_cli(capsys, command, "--help")
    assert code == 0
    flat = " ".join(out.split())
    for table in tables:
        assert table in flat, (table, out)


def test_help_has_no_types_of_flags_or_ragged_lines(capsys: pytest.CaptureFixture[str]) -> None:
    code, text, _ = run_cli(capsys, "--help")
    assert code == 0
    assert "<bool>" not in text
    assert "--version" in text
    code, out, _ = run_cli(capsys, "sweep", "--help")
    lines = out.splitlines()
    i = next(n for n, line in enumerate(lines) if "Rerunning the same command" in line)
    assert len(lines[i]) > 60  # the paragraph is re-wrapped, not cut at the docstring's breaks


# ---- Ctrl-C ----------------------------------------------------------------------------------
@pytest.mark.slow
def test_sigint_during_sweep_prints_saved_points_and_resume(tmp_path: Path) -> None:
    path = write(
        tmp_path / "slow.toml",
        '[sweep]\nmodel = "kbody"\nscheduler = "serial"\n[grid]\nk = {start = 1, stop = 12}\n'
        "Omega0 = {start = 0.5, stop = 2, num = 20}\n[params]\nN = 12\n"
        "[times]\nstart = 0\nstop = 2\nnum = 30\n",
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "qbattery", "sweep", str(path), "--no-progress"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    store = tmp_path / "slow.zarr"
    deadline = time.time() + 60
    while time.time() < deadline and not (store / "status").exists():
        time.sleep(0.2)
    time.sleep(3.0)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=60)
    assert proc.returncode == 130, err
    assert err.count("\n") == 1, err
    saved = int((qb.open_sweep(store).status.values != 0).sum())
    assert f"interrupted (Ctrl-C); {saved} of 240 points are saved in slow.zarr" in err
    assert f"resume with: qbattery sweep {path} --store slow.zarr" in err
    assert 0 < saved < 240


# ---- progress --------------------------------------------------------------------------------
def test_run_shows_a_phase_spinner(tmp_path: Path) -> None:
    """The run task has no fake total: a spinner names the phase while charge() runs."""
    from rich.console import Console

    from qbattery import _progress

    console = Console(file=io.StringIO(), force_terminal=True, width=100)
    seen: list[tuple[str, float | None]] = []
    real_task = _progress.task

    def spy(description: str, total: float | None, **kw: object):
        kw["console"] = console
        kw["enabled"] = True
        ctx = real_task(description, total, **kw)
        handle = ctx.__enter__()
        original = handle.phase

        def phase(name: str) -> None:
            original(name)
            seen.append((handle.label, handle.total))

        handle.phase = phase

        class Wrapper:
            def __enter__(self):
                return handle

            def __exit__(self, *exc: object) -> None:
                ctx.__exit__(None, None, None)

        return Wrapper()

    from qbattery.config import RunConfig, output

    cfg = RunConfig(tmp_path / "q.toml", np.array([0.5]), model="single_qubit",
                    output=tmp_path / "q.nc")  # fmt: skip
    old = output._progress.task
    output._progress.task = spy
    try:
        output.run(cfg, progress=True)
    finally:
        output._progress.task = old
    assert seen[0] == (
        "qbattery run q.toml: charging (eigendecomposition, time chunks, quadrature)",
        None,
    )
    assert "eigendecomposition" in console.file.getvalue()  # type: ignore[attr-defined]


# ---- malformed configs (hypothesis) ----------------------------------------------------------
_BAD_VALUES = st.sampled_from(
    ['"four"', "true", "-3", "1.5", "[]", "{a = 1}", '"../nowhere/x.npz:H0"', "1e400"]
)


#: numbers written as TOML strings: numeric text ("4", "1.5", "1e3") and words
_TEXT_NUMBERS = st.one_of(
    st.integers(-5, 50).map(lambda n: f'"{n}"'),
    st.floats(-10, 10, allow_nan=False).map(lambda x: f'"{x!r}"'),
    st.sampled_from(['"four"', '"1e3"', '" 2"', '""', '"inf"', '"nan"']),
)


@st.composite
def bad_run_config(draw: st.DrawFn) -> str:
    kind = draw(
        st.sampled_from(["type", "unknown-key", "unknown-table", "path", "times", "text-number"])
    )
    if kind == "text-number":  # a model parameter written as text, numeric or not
        value = draw(_TEXT_NUMBERS)
        return RUN.replace('"single_qubit"\n', f'"single_qubit"\nOmega0 = {value}\n')
    if kind == "type":
        key = draw(st.sampled_from(["engine", "output", "figure", "bounds"]))
        value = draw(_BAD_VALUES.filter(lambda v: not v.startswith('"')))
        if key == "bounds" and value == "true":
            value = "1"
        return RUN + f"[run]\n{key} = {value}\n"
    if kind == "unknown-key":
        return RUN + f"[run]\n{draw(st.sampled_from(['engin', 'out', 'x']))} = 1\n"
    if kind == "unknown-table":
        return RUN + f"[{draw(st.sampled_from(['tims', 'sweep', 'grid']))}]\na = 1\n"
    if kind == "path":
        return (
            '[battery]\nH0 = "nowhere.npz:H0"\nHC = "nowhere.npz:HC"\nstate = "x.npy"\n'
            "[times]\nvalues = [0.5]\n"
        )
    return RUN.replace("values = [0.5, 1.0]", f"values = {draw(_BAD_VALUES)}")


@st.composite
def bad_sweep_config(draw: st.DrawFn) -> str:
    kind = draw(st.sampled_from(["type", "unknown-key", "huge", "engine", "times", "text-number"]))
    if kind == "text-number":  # a model parameter written as text, in [params] or [grid]
        value = draw(_TEXT_NUMBERS)
        if draw(st.booleans()):
            return SWEEP.replace("N = 4", f"N = {value}")
        return SWEEP.replace("k = [1, 2]", f"k = [1, {value}]")
    if kind == "type":
        key = draw(st.sampled_from(["engine", "bounds", "store", "workers", "scheduler"]))
        value = draw(_BAD_VALUES)
        if (key == "bounds" and value == "true") or (key != "bounds" and value.startswith('"')):
            value = "1.5"
        return SWEEP.replace("bounds = false", f"{key} = {value}").replace(
            'scheduler = "serial"\n', "" if key == "scheduler" else 'scheduler = "serial"\n'
        )
    if kind == "unknown-key":
        return SWEEP.replace("bounds = false", f"{draw(st.sampled_from(['engin', 'x']))} = 1")
    if kind == "huge":
        n = draw(st.integers(10**9, 10**12))
        return SWEEP.replace("k = [1, 2]", f"Omega0 = {{start = 0, stop = 1, num = {n}}}")
    if kind == "engine":
        return SWEEP.replace("bounds = false", f'engine = "{draw(st.sampled_from(["magic", ""]))}"')
    if kind == "times":
        return SWEEP.replace("values = [0.5, 1.0]", f"values = {draw(_BAD_VALUES)}")
    return SWEEP.replace("values = [0.5, 1.0]", "start = 1.0\nstop = 0.0")


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(command=st.sampled_from(["run", "sweep"]), data=st.data())
def test_malformed_configs_one_line_no_files(
    capsys: pytest.CaptureFixture[str], tmp_path_factory: pytest.TempPathFactory,
    command: str, data: st.DataObject,
) -> None:  # fmt: skip
    text = data.draw(bad_run_config() if command == "run" else bad_sweep_config())
    where = tmp_path_factory.mktemp("bad")
    path = write(where / "c.toml", text)
    cwd = os.getcwd()
    os.chdir(where)
    try:
        code, _, err = run_cli(capsys, command, str(path))
    finally:
        os.chdir(cwd)
    one_line(code, err, "")
    assert "Traceback" not in err
    assert files(where) == {"c.toml"}, (text, err)
