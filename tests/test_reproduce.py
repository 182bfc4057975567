"""``qbattery reproduce``: its files, the check table, the figure data by independent routes."""

from __future__ import annotations

import csv
from functools import reduce
from pathlib import Path

import numpy as np
import pytest
import scipy.linalg as sla
import xarray as xr

import qbattery as qb
from qbattery import cli
from qbattery.studies import reproduce
from qbattery.studies.reproduce import DOES_NOT_HOLD, FAIL, HOLDS, PASS, QUICK

NTIMES = 41
FIGURES = ("fig1", "fig2", "fig3")


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, int, str]:
    """``qbattery reproduce --quick`` once for the module: (out dir, exit code, stdout)."""
    import contextlib
    import io

    out = tmp_path_factory.mktemp("paper")
    stdout = io.StringIO()
    with contextlib.redirect_stdout(stdout):
        code = cli.main(["reproduce", "--quick", "--times", str(NTIMES), "--out", str(out)])
    return out, code, stdout.getvalue()


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_quick_run_passes_and_writes_every_file(quick_run: tuple[Path, int, str]) -> None:
    out, code, stdout = quick_run
    assert code == 0, stdout
    expected = {f"{f}.{ext}" for f in FIGURES for ext in ("png", "pdf", "nc")} | {"checks.csv"}
    assert {p.name for p in out.iterdir()} == expected
    for fig in FIGURES:
        assert (out / f"{fig}.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert (out / f"{fig}.pdf").read_bytes()[:5] == b"%PDF-"
    assert "checks: 14/14 PASS" in stdout
    assert "qbattery reproduce: checks of our numbers and the paper's claims" in stdout


def test_checks_csv(quick_run: tuple[Path, int, str]) -> None:
    rows = read_csv(quick_run[0] / "checks.csv")
    assert tuple(rows[0]) == reproduce.CSV_COLUMNS
    checks = [r for r in rows if r["kind"] == "check"]
    claims = [r for r in rows if r["kind"] == "claim"]
    assert len(checks) == 14
    assert all(r["result"] == PASS for r in checks), [r for r in checks if r["result"] != PASS]
    assert {r["result"] for r in claims} <= {HOLDS, DOES_NOT_HOLD}
    assert len(claims) == 17
    closed = [r for r in checks if r["what"].startswith("closed form = numerics")]
    assert [r["data"].split(",")[0] for r in closed] == [
        "single_qubit",
        "kbody(N=8",
        "kbody(N=8",
        "kbody(N=8",
    ]
    # App. D claims saturation of the power bound at all times; it holds only for Ω0t < π/4
    power_claim = next(r for r in claims if "Eq. (5) power bound saturates" in r["what"])
    assert power_claim["result"] == DOES_NOT_HOLD
    assert "π/4 = 0.7854" in power_claim["numbers"]
    work_claim = next(r for r in claims if "Eq. (5) work bound saturates" in r["what"])
    assert work_claim["result"] == HOLDS


def test_fig1_data_is_the_closed_form(quick_run: tuple[Path, int, str]) -> None:
    """Fig. 1's NetCDF against Eq. (8) and (E3)-(E7) written out here (N = 8, ω0 = Ω0 = 1)."""
    with xr.open_dataset(quick_run[0] / "fig1.nc") as ds:
        ds.load()
    assert ds.k.values.tolist() == [2, 3, 4]
    assert set(ds.data_vars) == set(reproduce.FIGURE_VARIABLES["fig1"])
    t = ds.time.values
    np.testing.assert_allclose(t, np.linspace(0, QUICK.fig1_tmax, NTIMES))
    N = QUICK.fig1_N
    for k in (2, 3, 4):
        n, r = divmod(N, k)
        S2 = n * k * k + r * r
        x = k / N * t
        one = ds.sel(k=k)
        np.testing.assert_allclose(one.work_mean, N * np.sin(x) ** 2, rtol=1e-12, atol=1e-12)
        np.testing.assert_allclose(
            one.power_mean, N * (k / N) * np.sin(2 * x), rtol=1e-12, atol=1e-12
        )
        np.testing.assert_allclose(one.work_var, S2 / 4 * np.sin(2 * x) ** 2, rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(
            one.power_var, 4 * S2 * (k / N) ** 2 * np.sin(x) ** 4, rtol=1e-9, atol=1e-12
        )


def _ising_reference(
    N: int, s: int, omega0: float, Omega: float, t: np.ndarray
) -> dict[str, np.ndarray]:
    """Eq. (10) with SPEC §2's readings from explicit Kronecker products."""
    sx = np.array([[0.0, 1.0], [1.0, 0.0]])
    sz = np.diag([1.0, -1.0])

    def site(op: np.ndarray, i: int) -> np.ndarray:
        return reduce(np.kron, [op if j == i else np.eye(2) for j in range(N)])

    H0 = -(omega0 / 2) * sum(site(sz, i) for i in range(N))
    S = sum(reduce(np.matmul, [site(sx, j) for j in range(i, i + s)]) for i in range(N - s + 1))
    HC = -Omega * S - H0
    HT = H0 + HC
    ev = np.linalg.eigvalsh(HT)
    H = (HT - ev[0] * np.eye(2**N)) / (ev[-1] - ev[0])
    P0 = -1j * (H0 @ HC - HC @ H0) / max(abs(ev[0]), abs(ev[-1]))
    psi0 = np.zeros(2**N)
    psi0[0] = 1.0
    out: dict[str, list[float]] = {"work_mean": [], "power_mean": [], "fidelity": []}
    for time in t:
        psi = sla.expm(-1j * H * time) @ psi0
        out["work_mean"].append(float(np.real(psi.conj() @ H0 @ psi - psi0 @ H0 @ psi0)))
        out["power_mean"].append(float(np.real(psi.conj() @ P0 @ psi - psi0 @ P0 @ psi0)))
        out["fidelity"].append(float(abs(psi0 @ psi) ** 2))
    return {k: np.array(v) for k, v in out.items()}


def test_fig2_and_fig3_data_against_kronecker_products(quick_run: tuple[Path, int, str]) -> None:
    with (
        xr.open_dataset(quick_run[0] / "fig2.nc") as fig2,
        xr.open_dataset(quick_run[0] / "fig3.nc") as fig3,
    ):
        fig2.load()
        fig3.load()
    assert fig2.s.values.tolist() == fig3.s.values.tolist() == [2, 3, 4]
    assert set(fig2.data_vars) == set(reproduce.FIGURE_VARIABLES["fig2"])
    assert set(fig3.data_vars) == set(reproduce.FIGURE_VARIABLES["fig3"])
    t = fig2.time.values[::8]
    for s in (2, 3, 4):
        ref = _ising_reference(QUICK.fig2_N, s, QUICK.fig2_omega0, QUICK.fig2_Omega, t)
        for name in ("work_mean", "power_mean"):
            got = fig2[name].sel(s=s).values[::8]
            np.testing.assert_allclose(got, ref[name], rtol=1e-9, atol=1e-12, err_msg=name)
        np.testing.assert_allclose(
            fig3.fidelity.sel(s=s).values[::8], ref["fidelity"], rtol=1e-9, atol=1e-14
        )
        prod = fig2.work_nsr.sel(s=s) * fig2.power_nsr.sel(s=s)
        np.testing.assert_allclose(fig2.nsr_product.sel(s=s)[1:], prod[1:], rtol=1e-14)
    assert "Fig. 2" in fig2.attrs["figure"]
    assert fig2.attrs["model"] == "ising"


# ---- the measures behind the table, on datasets built without the dense engine ----------------
@pytest.fixture(scope="module")
def fake_data() -> dict[str, xr.Dataset]:
    """A report's data with closed forms as 'numerics' (checks must then all pass)."""
    s = reproduce.Settings(fig1_N=6, fig2_N=4, ntimes=31)
    t_q, t1, t2 = s.times(s.qubit_tmax), s.times(s.fig1_tmax), s.times(s.fig2_tmax)
    qubit = qb.analytic.single_qubit(t_q)
    fig1 = reproduce.concat_runs([qb.analytic.kbody(t1, 6, k) for k in (2, 3, 6)], "k", [2, 3, 6])
    ising = [qb.charge(qb.models.ising(4, v, 2.0, 1.0), t2, engine="dense") for v in (2, 3, 4)]
    return {
        "qubit": qubit,
        "qubit_closed": qubit,
        "fig1": fig1,
        "fig1_closed": fig1,
        "fig2": reproduce.concat_runs(ising, "s", [2, 3, 4]),
    }


FAKE_SETTINGS = reproduce.Settings(fig1_N=6, fig2_N=4, ntimes=31)


def test_checks_pass_on_consistent_data(fake_data: dict[str, xr.Dataset]) -> None:
    rows = reproduce.checks(fake_data, FAKE_SETTINGS)
    assert [r.result for r in rows] == [PASS] * len(rows)
    assert "max rel. error 0 " in rows[0].numbers


def test_a_violated_bound_fails(fake_data: dict[str, xr.Dataset]) -> None:
    bad = dict(fake_data)
    fig2 = fake_data["fig2"].copy(deep=True)
    fig2["work_bound"].loc[{"s": 3}] = fig2.work_nsr.sel(s=3) * (1 + 1e-6) + 1e-6
    bad["fig2"] = fig2
    rows = reproduce.checks(bad, FAKE_SETTINGS)
    failed = [r for r in rows if r.failed]
    assert [r.what for r in failed] == ["bound holds: 𝒩^W ≥ cot²θ^W − f"]
    assert "ising(N=4, s=3)" in failed[0].numbers
    report = reproduce.Report(FAKE_SETTINGS, bad, rows=rows)
    assert not report.passed


def test_bound_tolerance_widens_only_where_ill_conditioned(
    fake_data: dict[str, xr.Dataset],
) -> None:
    """A saturated bound off by rounding passes where κ is large, fails where it is not."""
    # collective N = k = 6: x = t, ⟨𝒲_t⟩ = 6 sin²t → 0 at t = π: κ_W ~ 1/sin²t ~ 1e10
    t = np.array([0.0, 1.0, np.pi - 1e-5])
    fig1 = reproduce.concat_runs([qb.analytic.kbody(t, 6, k) for k in (2, 3, 6)], "k", [2, 3, 6])
    cond = reproduce.condition_numbers(fig1.sel(k=6))["nsr_product"]
    assert reproduce.EPS_COND * cond[2] > 1e-6
    assert reproduce.EPS_COND * cond[1] < 1e-12
    for i, expected in ((2, PASS), (1, FAIL)):
        bad = fig1.copy(deep=True)
        bad["tradeoff_bound"].loc[{"k": 6, "time": t[i]}] *= 1 + 1e-8
        data = {**fake_data, "fig1": bad, "fig1_closed": fig1}
        rows = reproduce.checks(data, FAKE_SETTINGS)
        row = next(r for r in rows if r.what == "bound holds: 𝒩^W𝒩^P ≥ trade-off bound")
        assert row.result == expected, row.numbers
        assert "kbody(N=6, k=6)" in row.numbers


def test_a_wrong_number_fails_the_closed_form_and_eq9_checks(
    fake_data: dict[str, xr.Dataset],
) -> None:
    bad = dict(fake_data)
    fig1 = fake_data["fig1"].copy(deep=True)
    fig1["nsr_product"].loc[{"k": 3}] = fig1.nsr_product.sel(k=3) * (1 + 1e-8)
    bad["fig1"] = fig1
    failed = [r for r in reproduce.checks(bad, FAKE_SETTINGS) if r.failed]
    assert [(r.what.split(":")[0], r.data) for r in failed] == [
        ("closed form = numerics (13 variables)", "kbody(N=6, k=3), engine analytic"),
        ("universal product 𝒩^W𝒩^P = k²/N² = 9/36, at every time", "kbody(N=6, k=3)"),
    ]
    assert "1.00e-08 (nsr_product" in failed[0].numbers


def test_max_relative_error_measures(fake_data: dict[str, xr.Dataset]) -> None:
    ref = fake_data["qubit"]
    assert reproduce.max_relative_error(ref, ref).error == 0.0
    bumped = ref.copy(deep=True)
    bumped["work_var"] = bumped.work_var * (1 + 3e-8)
    c = reproduce.max_relative_error(bumped, ref)
    assert c.error == pytest.approx(3e-8, rel=1e-6)
    assert c.worst.startswith("work_var at t = ")
    # a value through zero is compared absolutely, at FLOOR × its scale
    shifted = ref.copy(deep=True)
    shifted["power_mean"] = shifted.power_mean + 1e-12
    scale = float(np.max(np.abs(ref.power_mean)))
    expected = 1e-12 / max(float(np.min(np.abs(ref.power_mean[1:]))), reproduce.FLOOR * scale)
    assert reproduce.max_relative_error(shifted, ref).error == pytest.approx(expected, rel=1e-3)
    # a non-finite value where the reference is finite is an infinite error
    broken = ref.copy(deep=True)
    broken["fidelity"][3] = np.nan
    assert reproduce.max_relative_error(broken, ref).error == np.inf


def test_condition_numbers_of_the_single_qubit() -> None:
    """c = 1 + ⟨𝒲⟩²/(Δ𝒲)² = 1/cos²(Ω0t) for the qubit (⟨𝒲⟩ = sin², (Δ𝒲)² = sin²2x/4)."""
    t = np.array([0.3, 0.7, 1.2])
    cond = reproduce.condition_numbers(qb.analytic.single_qubit(t))
    np.testing.assert_allclose(cond["work_var"], 1 / np.cos(t) ** 2, rtol=1e-12)
    np.testing.assert_array_equal(cond["fidelity"], 1.0)


def test_claims_can_fail(fake_data: dict[str, xr.Dataset]) -> None:
    rows = reproduce.claims(fake_data, FAKE_SETTINGS)
    fig2_rows = [r for r in rows if "Sec. IV.B" in r.paper]
    # relabel s so that every trend is reversed
    flipped = fake_data["fig2"].assign_coords(s=[4, 3, 2]).sortby("s")
    rows_flipped = reproduce.claims({**fake_data, "fig2": flipped}, FAKE_SETTINGS)
    flipped_rows = [r for r in rows_flipped if "Sec. IV.B" in r.paper]
    for before, after in zip(fig2_rows, flipped_rows, strict=True):
        if before.result == HOLDS:
            assert after.result == DOES_NOT_HOLD, after
            assert "first fails at t = " in after.numbers


def test_first_peak_time_without_a_peak() -> None:
    t = np.linspace(0, 1, 11)
    assert reproduce.first_peak_time(t, t**2) == 1.0


def test_failed_check_exits_1(
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    fake_data: dict[str, xr.Dataset],
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(reproduce, "compute", lambda *a, **k: fake_data)
    bad_row = reproduce.Row("check", "x", "p", "d", "w", "n", FAIL)
    monkeypatch.setattr(reproduce, "checks", lambda *a, **k: [bad_row])
    monkeypatch.setattr(reproduce, "write_figures", lambda *a, **k: [])  # tested above
    code = cli.main(["reproduce", "--out", str(tmp_path)])
    out, err = capsys.readouterr()
    assert code == 1
    assert "checks: 0/1 PASS" in out
    assert err == ""
    rows = read_csv(tmp_path / "checks.csv")
    assert rows[0]["result"] == FAIL


def test_three_times_do_not_break_the_claims(tmp_path: Path) -> None:
    """With 3 times the peak power can be 0: the fitted exponent is NaN (claim does not
    hold), not a log(0) warning (warnings are errors in the tests)."""
    report = reproduce.reproduce(tmp_path, quick=True, ntimes=3, progress=False)
    row = next(r for r in report.rows if "grows as k³" in r.what)
    assert "nan" in row.numbers
    assert row.result == reproduce.DOES_NOT_HOLD
