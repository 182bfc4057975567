"""``qb.analytic``: the closed forms of tests/README.md against the dense engine.

Every closed form is compared with ``qb.charge(..., engine="dense")`` at ``RTOL``; the
angle, Fisher information, Eq. (9) product and trade-off saturation are also checked
against formulas written out here, independently of :mod:`qbattery.analytic`.
"""

from __future__ import annotations

import math
import subprocess
import sys
import time
from functools import cache
from pathlib import Path

import numpy as np
import pytest
import xarray as xr

import qbattery as qb
from qbattery import analytic
from qbattery.errors import InvalidInputError

RTOL = 1e-10
#: absolute tolerance used ONLY where the exact value is 0: f(W_0, W_t) at t > 0,
#: f(P_0, P_t) where cos 2x ≤ 0, and the bounds there once θ ≥ π/2. The dense engine's f
#: is a rounding-level cancellation in cov + ΔO_t ΔO_0 divided by ⟨𝒪_t⟩² (seen ≤ 1e-13).
ATOL_ZERO = 1e-12
#: F = |⟨ψ0|ψ_t⟩|² from an amplitude with absolute error ~1e-16: F < ~1e-12 loses relative
#: accuracy (F is as small as 1e-14 for parallel charging of 10 spins at x = 1.37)
ATOL_FIDELITY = 1e-20
#: x = Ω_k t in (0, π/2): away from π/4 (cos 2x = 0) and from the zeros of the means
X_KBODY = np.array([0.13, 0.29, 0.47, 0.66, 0.91, 1.13, 1.37])
#: the single qubit also beyond the half-period, where the power bound is −f < 0
X_QUBIT = np.array([0.11, 0.37, 0.62, 0.9, 1.2, 1.45, 1.9, 2.6, 2.9])

PAPER_KS = (1, 2, 3, 4, 5)
KBODY_PARAMS = {6: (1.0, 1.0), 8: (1.7, 0.6), 10: (0.9, 2.5), 12: (1.0, 1.0)}
#: N = 12 (dimension 4096) takes minutes on a loaded 2-core machine: Fig. 1's k = 3 and
#: a remainder case only, marked slow
SLOW_N12_KS = (3, 5)


def _kbody_cases() -> list[object]:
    cases: list[object] = []
    for N in (6, 8, 10):
        for k in sorted({*PAPER_KS, N}):
            cases.append(pytest.param(N, k, id=f"kbody-N{N}-k{k}"))
    for k in SLOW_N12_KS:
        cases.append(pytest.param(12, k, id=f"kbody-N12-k{k}", marks=pytest.mark.slow))
    return cases


KBODY_CASES = _kbody_cases()
DIVISIBLE_CASES = [c for c in KBODY_CASES if c.values[0] % c.values[1] == 0]  # type: ignore[attr-defined]
QUBIT_CASES = [
    pytest.param(1.0, 1.0, id="qubit-w1-W1"),
    pytest.param(2.0, 0.7, id="qubit-w2-W0.7"),
    pytest.param(0.5, -1.3, id="qubit-w0.5-W-1.3"),
    pytest.param(-1.0, 1.0, id="qubit-w-1-W1"),
]


def kbody_times(N: int, k: int) -> np.ndarray:
    return X_KBODY / abs(k / N * KBODY_PARAMS[N][1])


@cache
def dense_kbody(N: int, k: int) -> xr.Dataset:
    omega0, Omega0 = KBODY_PARAMS[N]
    bat = qb.models.kbody(N, k, omega0, Omega0)
    return qb.charge(bat, kbody_times(N, k), engine="dense", fisher=True)


def assert_bound_holds(nsr: xr.DataArray, bound: xr.DataArray) -> None:
    """𝒩 ≥ bound up to rounding (the bound can be saturated exactly)."""
    slack = (nsr - bound).values
    assert (slack >= -RTOL * np.abs(bound.values)).all(), slack


def exact_zeros(name: str, x: np.ndarray, theta: np.ndarray) -> np.ndarray:
    """Where a variable is exactly 0 (x = Ω_k t, θ the speed angle), t > 0."""
    cos2x_nonpos = np.cos(2 * x) <= 0
    beyond = theta >= np.pi / 2
    masks = {
        "work_f": np.ones(x.shape, bool),
        "power_f": cos2x_nonpos,
        "work_bound": beyond,
        "power_bound": beyond & cos2x_nonpos,
    }
    return masks.get(name, np.zeros(x.shape, bool))


def assert_matches_dense(a: xr.Dataset, d: xr.Dataset, x: np.ndarray, theta: np.ndarray) -> None:
    assert set(a.data_vars) == set(d.data_vars)
    for name in a.data_vars:
        av, dv = a[name].values, d[name].values
        zero = exact_zeros(str(name), x, theta)
        atol = ATOL_FIDELITY if name == "fidelity" else 0.0
        np.testing.assert_allclose(av[~zero], dv[~zero], rtol=RTOL, atol=atol, err_msg=name)
        # cot²(π/2) = 3.7e-33 in floating point: the closed form's "0"
        np.testing.assert_allclose(av[zero], 0.0, rtol=0, atol=1e-30, err_msg=name)
        np.testing.assert_allclose(dv[zero], 0.0, rtol=0, atol=ATOL_ZERO, err_msg=name)


# ---- closed forms vs the dense engine ------------------------------------------------------
@pytest.mark.parametrize(("omega0", "Omega0"), QUBIT_CASES)
def test_single_qubit_matches_dense(omega0: float, Omega0: float) -> None:
    t = X_QUBIT / abs(Omega0)
    bat = qb.models.single_qubit(omega0, Omega0)
    d = qb.charge(bat, t, engine="dense", fisher=True)
    a = analytic.single_qubit(t, omega0, Omega0, fisher=True)
    assert_matches_dense(a, d, X_QUBIT, X_QUBIT)
    via_charge = analytic.charge(bat, t, fisher=True)
    xr.testing.assert_equal(via_charge, a)
    assert via_charge.attrs["params"] == a.attrs["params"] == d.attrs["params"]


@pytest.mark.parametrize(("N", "k"), KBODY_CASES)
def test_kbody_matches_dense(N: int, k: int) -> None:
    omega0, Omega0 = KBODY_PARAMS[N]
    t = kbody_times(N, k)
    a = analytic.kbody(t, N, k, omega0, Omega0, fisher=True)
    theta = X_KBODY * math.sqrt(-(-N // k))
    assert_matches_dense(a, dense_kbody(N, k), X_KBODY, theta)


def test_degenerate_single_qubit_without_splitting_matches_dense() -> None:
    """ω0 = 0: W_0 = P_0 = 0, one eigenspace, I = 0, so every ratio is NaN, as dense."""
    t = np.array([0.3, 1.1])
    d = qb.charge(qb.models.single_qubit(0.0, 1.0), t, engine="dense", fisher=True)
    a = analytic.single_qubit(t, 0.0, 1.0, fisher=True)
    for name in a.data_vars:
        np.testing.assert_allclose(a[name], d[name], rtol=RTOL, atol=0, err_msg=str(name))
    assert np.isnan(a.work_nsr).all()
    assert np.isnan(a.power_bound).all()
    assert (a.work_fisher == 0).all()
    assert (a.work_angle == 0).all()


def test_time_zero_ieee_semantics() -> None:
    """t = 0: zero means and variances give NaN ratios (statistics.nsr), as dense."""
    t = np.array([0.0, 0.4])
    a = analytic.kbody(t, 6, 4)
    d = qb.charge(qb.models.kbody(6, 4), t, engine="dense")
    for name in ("work_nsr", "power_nsr", "nsr_product", "tradeoff_bound", "work_bound"):
        assert np.isnan(a[name][0]), name
        assert np.isnan(d[name][0]), name
    assert np.isinf(a.power_f[0])
    assert np.isinf(d.power_f[0])
    # exact f(W_0, W_0) is 0/0; dense's is rounding / 0 = inf (tests/README.md)
    assert np.isnan(a.work_f[0])
    for name in ("work_mean", "work_var", "power_mean", "power_var", "work_angle", "power_angle"):
        assert a[name][0] == 0.0, name
    assert a.fidelity[0] == 1.0


# ---- the Fisher information, angles and bounds, written out here -----------------------------
@pytest.mark.parametrize(("N", "k"), KBODY_CASES)
def test_work_angle_and_bound_formula(N: int, k: int) -> None:
    """θ^W = Ω_k t √(N/k) for k | N, Ω_k t √⌈N/k⌉ with the remainder block; f = 0."""
    d = dense_kbody(N, k)
    Omega_k = k / N * KBODY_PARAMS[N][1]
    blocks = N // k if N % k == 0 else N // k + 1
    theta = abs(Omega_k) * d.time.values * math.sqrt(blocks)
    np.testing.assert_allclose(d.work_angle, theta, rtol=RTOL)
    np.testing.assert_allclose(d.power_angle, theta, rtol=RTOL)
    np.testing.assert_allclose(d.work_fisher, 4 * Omega_k**2 * blocks, rtol=RTOL)
    np.testing.assert_allclose(d.power_fisher, 4 * Omega_k**2 * blocks, rtol=RTOL)
    inside = theta < np.pi / 2
    cot2 = 1 / np.tan(theta[inside]) ** 2
    np.testing.assert_allclose(d.work_bound[inside], cot2, rtol=RTOL)
    np.testing.assert_allclose(d.work_bound[~inside], 0.0, atol=ATOL_ZERO)  # exact 0
    assert_bound_holds(d.work_nsr, d.work_bound)


@pytest.mark.parametrize(("N", "k"), KBODY_CASES)
def test_power_bound_formula(N: int, k: int) -> None:
    """f(P_0, P_t) = 2(S₂/N²)(cos 2x + |cos 2x|)/sin²2x, S₂ = Σ_b k_b² (tests/README.md)."""
    d = dense_kbody(N, k)
    n, r = divmod(N, k)
    s2 = n * k**2 + r**2
    x = X_KBODY
    f = 2 * s2 / N**2 * (np.cos(2 * x) + np.abs(np.cos(2 * x))) / np.sin(2 * x) ** 2
    positive = np.cos(2 * x) > 0
    np.testing.assert_allclose(d.power_f[positive], f[positive], rtol=RTOL)
    np.testing.assert_allclose(d.power_f[~positive], 0.0, atol=ATOL_ZERO)  # exact 0
    assert_bound_holds(d.power_nsr, d.power_bound)


@pytest.mark.parametrize(("N", "k"), KBODY_CASES)
def test_nsrs_and_tradeoff_saturation(N: int, k: int) -> None:
    """𝒩^W = (S₂/N²)cot²x, 𝒩^P = (S₂/N²)tan²x; product = trade-off bound = (S₂/N²)²."""
    d = dense_kbody(N, k)
    n, r = divmod(N, k)
    c = (n * k**2 + r**2) / N**2
    np.testing.assert_allclose(d.work_nsr, c / np.tan(X_KBODY) ** 2, rtol=RTOL)
    np.testing.assert_allclose(d.power_nsr, c * np.tan(X_KBODY) ** 2, rtol=RTOL)
    np.testing.assert_allclose(d.nsr_product, c**2, rtol=RTOL)
    # Eq. (6) is saturated for every N and k, the remainder case included
    np.testing.assert_allclose(d.tradeoff_bound, d.nsr_product, rtol=RTOL)


@pytest.mark.parametrize(("N", "k"), DIVISIBLE_CASES)
def test_eq9_universal_product(N: int, k: int) -> None:
    """Eq. (9): 𝒩^W 𝒩^P = k²/N² for N/k an integer."""
    d = dense_kbody(N, k)
    a = analytic.kbody(d.time.values, N, k, *KBODY_PARAMS[N])
    np.testing.assert_allclose(d.nsr_product, k**2 / N**2, rtol=RTOL)
    np.testing.assert_allclose(a.nsr_product, k**2 / N**2, rtol=RTOL)


def test_remainder_product_differs_from_e12() -> None:
    """N = 10, k = 4: exact (S₂/N²)² = 0.1296; App. E's scaling (E12) gives 0.3164."""
    d = dense_kbody(10, 4)
    n, r = 2, 2
    np.testing.assert_allclose(d.nsr_product, ((n * 16 + r**2) / 100) ** 2, rtol=RTOL)
    e12 = (n * 16 + r**2) ** 2 / (n**2 * 16) ** 2
    assert abs(e12 - 0.31640625) < 1e-15
    assert not np.allclose(d.nsr_product, e12, rtol=0.1)


# ---- the single qubit: where App. D's saturation holds ---------------------------------------
@pytest.mark.parametrize(("omega0", "Omega0"), QUBIT_CASES)
def test_single_qubit_power_bound_saturated_only_before_pi_over_4(
    omega0: float, Omega0: float
) -> None:
    x = np.array([0.2, 0.5, 0.7, 0.9, 1.2, 1.5])
    d = qb.charge(qb.models.single_qubit(omega0, Omega0), x / abs(Omega0), engine="dense")
    early = x < np.pi / 4
    paper_f = 4 / np.tan(2 * x) / np.sin(2 * x)  # App. D: 4 cot(2Ω0t) csc(2Ω0t)
    np.testing.assert_allclose(d.power_f[early], paper_f[early], rtol=RTOL)
    np.testing.assert_allclose(d.power_bound[early], np.tan(x[early]) ** 2, rtol=RTOL)
    np.testing.assert_allclose(d.power_nsr[early], d.power_bound[early], rtol=RTOL)
    # π/4 < x < π/2: f = 0 (exact), bound cot²x strictly below 𝒩^P = tan²x
    np.testing.assert_allclose(d.power_f[~early], 0.0, atol=ATOL_ZERO)
    assert (paper_f[~early] < 0).all()
    np.testing.assert_allclose(d.power_bound[~early], 1 / np.tan(x[~early]) ** 2, rtol=RTOL)
    assert (d.power_nsr[~early] > 1.5 * d.power_bound[~early]).all()
    # the work bound cot²x is saturated all the way to π/2
    np.testing.assert_allclose(d.work_bound, d.work_nsr, rtol=RTOL)


# ---- structure of the closed forms (no dense engine) -------------------------------------------
def test_parallel_is_n_independent_qubits_at_large_n() -> None:
    """k = 1 at N = 10⁶: N copies of single_qubit(ω0, Ω0/N), in well under a second."""
    N, omega0, Omega0 = 10**6, 1.3, 0.8
    t = np.array([1e5, 7e5, 1.6e6])
    start = time.perf_counter()
    a = analytic.kbody(t, N, 1, omega0, Omega0)
    assert time.perf_counter() - start < 1.0
    q = analytic.single_qubit(t, omega0, Omega0 / N)
    for name in ("work_mean", "work_var", "power_mean", "power_var"):
        np.testing.assert_allclose(a[name], N * q[name], rtol=RTOL, err_msg=name)
    np.testing.assert_allclose(a.fidelity, q.fidelity**N, rtol=1e-9)  # power N amplifies
    np.testing.assert_allclose(a.work_nsr, q.work_nsr / N, rtol=RTOL)
    np.testing.assert_allclose(a.nsr_product, 1 / N**2, rtol=RTOL)


def test_collective_is_one_effective_qubit() -> None:
    """k = N: one block, a single qubit with splitting Nω0 and Ω_N = Ω0."""
    t = np.array([0.2, 0.9, 1.4])
    a = analytic.kbody(t, 7, 7, 0.6, 1.1)
    q = analytic.single_qubit(t, 7 * 0.6, 1.1)
    for name in a.data_vars:
        if name != "passive_energy":
            np.testing.assert_allclose(a[name], q[name], rtol=RTOL, err_msg=str(name))


def test_schema_and_attributes_match_charge() -> None:
    t = np.array([0.5, 1.0])
    bat = qb.models.kbody(6, 4)
    a = analytic.charge(bat, t)
    d = qb.charge(bat, t, engine="dense")
    assert list(a.data_vars) == list(d.data_vars)
    for name in a.data_vars:
        assert a[name].dtype == np.float64
        assert a[name].dims == ("time",)
        assert a[name].attrs == d[name].attrs, name
    assert a.time.attrs == d.time.attrs
    for key in ("model", "params", "qbattery_version", "param_N", "param_k", "param_scheme"):
        assert a.attrs[key] == d.attrs[key], key
    assert a.attrs["engine"] == "analytic"
    assert "remainder" in a.attrs["engine_reason"]
    assert "notes" not in a.attrs  # every variable has a closed form


def test_netcdf_round_trip(tmp_path: Path) -> None:
    a = analytic.kbody([0.5, 1.0], 10, 4)
    a.to_netcdf(tmp_path / "a.nc")
    with xr.open_dataset(tmp_path / "a.nc") as b:
        xr.testing.assert_identical(a, b.load())


# ---- errors -----------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("make", "match"),
    [
        pytest.param(lambda: qb.models.ising(4, 2), "no closed form", id="ising"),
        pytest.param(
            lambda: qb.Battery(np.diag([0.5, -0.5]), np.array([[0, 1], [1, 0]]), [1, 0]),
            "no closed form",
            id="custom",
        ),
        pytest.param(lambda: "kbody", "must be a qbattery.Battery", id="not-a-battery"),
    ],
)
def test_charge_rejects_batteries_without_closed_form(make: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        analytic.charge(make(), [0.1])  # type: ignore[operator]


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda: analytic.kbody([0.2, 0.1], 4, 2), "strictly increasing", id="order"),
        pytest.param(lambda: analytic.single_qubit([-1.0]), "non-negative", id="negative"),
        pytest.param(lambda: analytic.kbody([np.nan], 4, 2), "NaN or infinite", id="nan"),
        pytest.param(lambda: analytic.kbody([1.0], 4, 5), r"`k` must be ≥ 1 and ≤ 4", id="k>N"),
        pytest.param(lambda: analytic.kbody([1.0], 0, 1), "`N` must be ≥ 1", id="N=0"),
        pytest.param(lambda: analytic.kbody([1.0], 4.5, 1), "`N` must be an integer", id="N"),
        pytest.param(lambda: analytic.single_qubit([1.0], np.inf), "`omega0`", id="omega0"),
    ],
)
def test_bad_input(call: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        call()  # type: ignore[operator]


# ---- docs/readings.md evidence --------------------------------------------------------------
def test_readings_evidence_script_quick() -> None:
    """docs/readings_evidence.py asserts every number it prints; --quick uses N = 8."""
    script = Path(__file__).resolve().parents[1] / "docs" / "readings_evidence.py"
    out = subprocess.run(
        [sys.executable, str(script), "--quick"], capture_output=True, text=True, check=False
    )
    assert out.returncode == 0, out.stderr[-2000:]
    assert "Fig. 1 caption" in out.stdout
