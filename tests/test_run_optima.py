"""Issue 17: ``qbattery run`` also writes the optimal charging times and the reliability there.

Checked against :func:`qbattery.optimal_charging` (same numbers, bit for bit) and the
k-body closed form ⟨W_t⟩ = Nω0 sin²(Ω_k t), Ω_k = kΩ0/N: τ* = x*/Ω_k with tan x* = 2x*,
max ⟨W_t⟩/t = Nω0 Ω_k sin²x*/x*; ⟨P_t⟩ = Nω0 Ω_k sin(2Ω_k t), maximal at t = π/(4Ω_k).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import xarray as xr
from scipy.optimize import brentq

import qbattery as qb
from qbattery import cli

KBODY = '[model]\nname = "kbody"\nN = 4\nk = 2\n[times]\nstart = 0.0\nstop = 5.0\nnum = 51\n'
X_STAR = brentq(lambda x: np.tan(x) - 2 * x, 1.0, 1.5, xtol=1e-15)  # tan x = 2x


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def test_run_writes_the_optima(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kb.toml"
    path.write_text(KBODY)
    code, out, err = _run(capsys, "run", str(path), "--no-figure")
    assert code == 0, err
    written = tmp_path / "kb_optima.nc"
    assert f"wrote {tmp_path / 'kb.nc'} and {written}" in out
    omega_k = 2 * 1.0 / 4
    with xr.open_dataset(written) as opt:
        tau = float(opt.average_power_time)
        assert tau == pytest.approx(X_STAR / omega_k, rel=1e-9)
        expected = 4 * omega_k * np.sin(X_STAR) ** 2 / X_STAR
        assert float(opt.max_average_power) == pytest.approx(expected, rel=1e-12)
        assert float(opt.power_time) == pytest.approx(np.pi / (4 * omega_k), rel=1e-9)
        assert float(opt.max_power) == pytest.approx(4 * omega_k, rel=1e-12)
        reference = qb.optimal_charging(qb.models.kbody(4, 2), (0.0, 5.0), engine="structured")
        for name in ("average_power_time", "max_average_power", "work_nsr", "power_nsr",
                     "work_bound", "power_bound", "tradeoff_bound"):  # fmt: skip
            np.testing.assert_array_equal(opt[name].values, reference[name].values)
    assert f"τ* = {tau:.6g}" in out
    assert "max power 2 at t = 1.5708" in out


def test_optima_can_be_turned_off(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "kb.toml"
    path.write_text(KBODY)
    code, out, err = _run(capsys, "run", str(path), "--no-figure", "--no-optima")
    assert code == 0, err
    assert "optimal" not in out
    assert not (tmp_path / "kb_optima.nc").exists()
    path.write_text(KBODY + "[run]\noptima = false\nfigure = false\n")
    code, out, err = _run(capsys, "run", str(path))
    assert code == 0, err
    assert not (tmp_path / "kb_optima.nc").exists()
    code, out, err = _run(capsys, "run", str(path), "--optima")  # the option wins
    assert code == 0, err
    assert (tmp_path / "kb_optima.nc").exists()


def test_one_time_has_no_window_to_search(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = tmp_path / "one.toml"
    path.write_text('[model]\nname = "single_qubit"\n[times]\nvalues = [0.5]\n')
    code, out, err = _run(capsys, "run", str(path), "--no-figure")
    assert code == 0, err
    assert "optimal" not in out
    assert sorted(p.name for p in tmp_path.iterdir()) == ["one.nc", "one.toml"]


def test_optima_key_must_be_a_flag(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    path = tmp_path / "bad.toml"
    path.write_text(KBODY + '[run]\noptima = "yes"\n')
    code, _, err = _run(capsys, "run", str(path))
    assert code == 2
    assert err.startswith("qbattery: error: bad.toml: [run] optima must be")
    assert err.count("\n") == 1
