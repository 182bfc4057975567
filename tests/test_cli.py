"""The ``qbattery`` command line: help for every option, exit codes, one-line errors."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import typer
import xarray as xr

from qbattery import cli

EXAMPLES = Path(__file__).resolve().parents[1] / "examples"
RUN_EXAMPLES = ("single_qubit", "kbody", "ising", "operators")
TIMES = "[times]\nstart = 0.0\nstop = 2.0\nnum = 5\n"


def run_cli(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def assert_one_line_error(code: int, err: str, match: str) -> None:
    assert code == 2
    assert err.endswith("\n")
    assert err.count("\n") == 1, err
    assert err.startswith("qbattery: error: ")
    assert "Traceback" not in err
    assert match in err, err


# ---- help ---------------------------------------------------------------------------------------
def _commands() -> dict[str, Any]:
    group = typer.main.get_command(cli.build_app())
    commands = getattr(group, "commands", None)
    assert isinstance(commands, dict), group
    return dict(commands)


def test_help_lists_commands(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_cli(capsys, "--help")
    assert code == 0
    assert err == ""
    for name in ("reproduce", "run"):
        assert name in out
    assert "Reliability of charging closed quantum batteries" in out


def test_no_arguments_prints_help(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_cli(capsys)
    assert code == 0
    assert "reproduce" in out


def test_every_option_of_every_command_is_documented(capsys: pytest.CaptureFixture[str]) -> None:
    for name, command in _commands().items():
        assert command.help, f"`qbattery {name}` has no help text"
        code, out, _ = run_cli(capsys, name, "--help")
        assert code == 0
        for param in command.params:
            if param.name == "help":
                continue
            assert getattr(param, "help", None), f"`qbattery {name}`: {param.name} has no help"
            for flag in getattr(param, "opts", []):
                if flag.startswith("--"):
                    assert flag in out, f"{flag} missing from `qbattery {name} --help`"


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    import qbattery

    code, out, _ = run_cli(capsys, "--version")
    assert (code, out) == (0, f"qbattery {qbattery.__version__}\n")


def test_command_modules_follow_the_convention() -> None:
    for name in cli.COMMAND_MODULES:
        assert callable(importlib.import_module(name).register), name


# ---- errors: one line, exit code 2 ------------------------------------------------------------
def test_missing_config_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run_cli(capsys, "run", str(tmp_path / "nope.toml"))
    assert_one_line_error(code, err, "config file")
    assert "nope.toml' does not exist" in err


def test_unknown_model(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[model]\nname = "qubit"\n' + TIMES)
    code, _, err = run_cli(capsys, "run", str(path))
    assert_one_line_error(code, err, "unknown model 'qubit' in [model] name; choose one of")


@pytest.mark.parametrize(
    ("times", "match"),
    [
        pytest.param(
            "[times]\nvalues = [0.0, 2.0, 1.0]\n", "must be strictly increasing", id="decreasing"
        ),
        pytest.param("[times]\nvalues = [-1.0, 1.0]\n", "must be non-negative", id="negative"),
        pytest.param(
            "[times]\nstart = 0\nstop = 1\nnum = -3\n", "num must be a positive integer", id="num"
        ),
    ],
)
def test_bad_times(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, times: str, match: str
) -> None:
    path = tmp_path / "t.toml"
    path.write_text('[model]\nname = "single_qubit"\n' + times)
    code, _, err = run_cli(capsys, "run", str(path), "--no-figure")
    assert_one_line_error(code, err, match)


def test_non_hermitian_operator_in_npz(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    H0 = np.array([[0.0, 0.3], [0.0, 1.0]])
    np.savez(tmp_path / "ops.npz", H0=H0, HC=np.eye(2), psi0=np.array([1.0, 0.0]))
    path = tmp_path / "ops.toml"
    path.write_text(
        '[battery]\nH0 = "ops.npz:H0"\nHC = "ops.npz:HC"\nstate = "ops.npz:psi0"\n' + TIMES
    )
    code, _, err = run_cli(capsys, "run", str(path))
    assert_one_line_error(code, err, "`H0` must be Hermitian, but max|H0 − H0†| = 0.3")
    assert not (tmp_path / "ops.nc").exists()


def test_missing_npz_key(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    np.savez(tmp_path / "ops.npz", H0=np.eye(2))
    path = tmp_path / "ops.toml"
    path.write_text(
        '[battery]\nH0 = "ops.npz:H0"\nHC = "ops.npz:HC"\nstate = "ops.npz:psi0"\n' + TIMES
    )
    code, _, err = run_cli(capsys, "run", str(path))
    assert_one_line_error(code, err, "[battery] HC: ops.npz has no array 'HC'; it has ['H0']")


def test_unknown_engine(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[model]\nname = "single_qubit"\n' + TIMES)
    code, _, err = run_cli(capsys, "run", str(path), "--engine", "magic")
    assert_one_line_error(code, err, "unknown engine 'magic'; choose one of")


@pytest.mark.parametrize(
    ("args", "match"),
    [
        pytest.param(["run"], "missing argument 'config'", id="missing-argument"),
        pytest.param(["run", "x.toml", "--colour"], "unknown option --colour", id="unknown-option"),
        pytest.param(
            ["reproduce", "--times", "2"],
            "invalid value for '--times' / '-n'",
            id="times-too-small",
        ),
        pytest.param(["frobnicate"], "no such command 'frobnicate'", id="unknown-command"),
    ],
)
def test_usage_errors(capsys: pytest.CaptureFixture[str], args: list[str], match: str) -> None:
    code, _, err = run_cli(capsys, *args)
    assert_one_line_error(code, err, match)


def test_unwritable_output(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[model]\nname = "single_qubit"\n' + TIMES)
    (tmp_path / "file").write_text("")
    code, _, err = run_cli(capsys, "run", str(path), "--out", str(tmp_path / "file" / "x.nc"))
    assert_one_line_error(code, err, "file")


def test_reproduce_out_is_a_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    (tmp_path / "f").write_text("")
    code, _, err = run_cli(capsys, "reproduce", "--quick", "--out", str(tmp_path / "f"))
    assert_one_line_error(code, err, "is a file; give a directory")


def test_unexpected_bugs_are_not_swallowed(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Only bad input is turned into one line; a programming error keeps its traceback."""
    from qbattery import config

    def boom(*args: object, **kwargs: object) -> None:
        raise ZeroDivisionError("bug")

    monkeypatch.setattr(config, "load_config", boom)
    with pytest.raises(ZeroDivisionError, match="bug"):
        cli.main(["run", str(tmp_path / "x.toml")])


# ---- qbattery run on the shipped examples ------------------------------------------------------
@pytest.mark.parametrize("name", RUN_EXAMPLES)
def test_run_examples(capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str) -> None:
    # run a copy so that outputs relative to the config land in tmp_path
    for path in EXAMPLES.glob(f"{name}.*"):
        if path.suffix in (".toml", ".npz"):
            shutil.copy(path, tmp_path / path.name)
    code, out, err = run_cli(capsys, "run", str(tmp_path / f"{name}.toml"), "--no-progress")
    assert (code, err) == (0, ""), err
    nc, png = tmp_path / f"{name}.nc", tmp_path / f"{name}.png"
    assert f"wrote {nc} and {png}" in out
    assert png.read_bytes()[:4] == b"\x89PNG"
    with xr.open_dataset(nc) as ds:
        ds.load()
    assert ds.sizes["time"] > 100
    # Eq. (5) and Eq. (6) hold on every example (an independent sanity check of the data)
    tol = 1e-9 * np.maximum(1.0, np.abs(ds.work_bound.values[1:]))
    assert np.all(ds.work_nsr.values[1:] >= ds.work_bound.values[1:] - tol)
    assert np.all(ds.nsr_product.values[1:] >= ds.tradeoff_bound.values[1:] * (1 - 1e-9))
    # the example's own closed form, where there is one
    if name == "single_qubit":
        np.testing.assert_allclose(ds.power_nsr[1:150], np.tan(ds.time[1:150]) ** 2, rtol=1e-10)
    if name == "kbody":
        np.testing.assert_allclose(ds.nsr_product[1:], 1 / 16, rtol=1e-9)


def test_run_options_override_the_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "m.toml"
    path.write_text('[model]\nname = "single_qubit"\n' + TIMES + '[run]\nengine = "magic"\n')
    out_nc, fig = tmp_path / "o" / "a.nc", tmp_path / "f.pdf"
    code, _, err = run_cli(
        capsys, "run", str(path), "-o", str(out_nc), "-f", str(fig), "-e", "dense"
    )
    assert (code, err) == (0, "")
    assert fig.read_bytes()[:5] == b"%PDF-"
    with xr.open_dataset(out_nc) as ds:
        assert ds.attrs["engine"] == "dense"
    code, _, _ = run_cli(
        capsys, "run", str(path), "-o", str(tmp_path / "b.nc"), "--no-figure", "-e", "dense"
    )
    assert code == 0
    assert not (tmp_path / "m.png").exists()


def test_console_entry_point_in_a_subprocess(tmp_path: Path) -> None:
    """``python -m qbattery``: real exit codes and stderr, no traceback."""
    bad = subprocess.run(
        [sys.executable, "-m", "qbattery", "run", str(tmp_path / "missing.toml")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 2
    assert bad.stderr.count("\n") == 1
    assert "does not exist" in bad.stderr
    assert "Traceback" not in bad.stderr
    ok = subprocess.run(
        [sys.executable, "-m", "qbattery", "--help"], capture_output=True, text=True, check=False
    )
    assert ok.returncode == 0
    assert "reproduce" in ok.stdout
