"""qb.optimal_charging against closed forms (issue 17).

Single qubit (App. D, ω0 = Ω0 = 1 up to scale): ⟨W_t⟩ = ω0 sin²(Ω0 t), so
⟨W_t⟩/t = ω0Ω0 sin²x/x with x = Ω0 t; d/dx (sin²x/x) = sin x (2x cos x − sin x)/x² = 0
gives tan x = 2x, x* ≈ 1.16556, and max ⟨W_t⟩/t = ω0Ω0 sin²x*/x*. ⟨P_t⟩ = ω0Ω0 sin 2Ω0t
is maximal at t = π/(4Ω0) with ω0Ω0.
k-body (Eq. 8, N/k integer): ⟨W_t⟩ = Nω0 sin²(Ω_k t), Ω_k = kΩ0/N, so τ* = x*/Ω_k,
max ⟨W_t⟩/t = kω0Ω0 sin²x*/x*; ⟨P_t⟩ = NΩ_kω0 sin 2Ω_k t has max kω0Ω0 at π/(4Ω_k):
both powers give Γ = k over parallel charging at equal norm.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import brentq

import qbattery as qb
from qbattery.errors import InvalidInputError
from qbattery.optimal import optimal_charging

X_STAR = brentq(lambda x: np.tan(x) - 2 * x, 1.0, 1.3, xtol=1e-15)
PEAK = np.sin(X_STAR) ** 2 / X_STAR


def test_x_star_value() -> None:
    assert abs(X_STAR - 1.1655611852072113) < 1e-12


@pytest.mark.parametrize(
    ("omega0", "Omega0", "window"),
    [
        pytest.param(1.0, 1.0, (0, 3), id="unit-window"),
        pytest.param(1.0, 1.0, None, id="unit-auto"),
        pytest.param(2.0, 0.5, None, id="scaled-auto"),
    ],
)
def test_single_qubit_closed_form(
    omega0: float, Omega0: float, window: tuple[float, float] | None
) -> None:
    opt = optimal_charging(qb.models.single_qubit(omega0, Omega0), window)
    assert float(opt.average_power_time) == pytest.approx(X_STAR / Omega0, rel=1e-8)
    assert float(opt.max_average_power) == pytest.approx(omega0 * Omega0 * PEAK, rel=1e-8)
    assert float(opt.power_time) == pytest.approx(np.pi / (4 * Omega0), rel=1e-8)
    assert float(opt.max_power) == pytest.approx(omega0 * Omega0, rel=1e-8)
    # reliability at the optima: App. D, N^W = cot²(Ω0 t), work bound saturated
    x = np.array([X_STAR, np.pi / 4])
    np.testing.assert_allclose(opt.work_nsr, 1 / np.tan(x) ** 2, rtol=1e-7)
    np.testing.assert_allclose(opt.work_bound, opt.work_nsr, rtol=1e-7)
    np.testing.assert_allclose(opt.work_mean, omega0 * np.sin(x) ** 2, rtol=1e-8)
    assert opt.optimum.values.tolist() == ["average_power", "power"]
    assert opt.attrs["time_rtol"] == 1e-10
    assert opt.attrs["at_window_end"] == "none"


@pytest.mark.parametrize(
    ("N", "k"),
    [
        pytest.param(6, 2, id="kbody-N6-k2"),
        pytest.param(6, 3, id="kbody-N6-k3"),
        pytest.param(8, 8, id="kbody-N8-k8"),
        pytest.param(12, 4, id="kbody-N12-k4"),
    ],
)
def test_kbody_power_advantage(N: int, k: int) -> None:
    par = optimal_charging(qb.models.kbody(N, 1))
    opt = optimal_charging(qb.models.kbody(N, k))
    assert float(opt.max_power / par.max_power) == pytest.approx(k, rel=1e-8)
    assert float(opt.max_average_power / par.max_average_power) == pytest.approx(k, rel=1e-8)
    omega_k = k / N
    assert float(opt.average_power_time) == pytest.approx(X_STAR / omega_k, rel=1e-8)
    # Eq. (8): <P_t> = N Ω_k ω0 sin(2 Ω_k t); the first maximum (ties: earliest)
    assert float(opt.power_time) == pytest.approx(np.pi / (4 * omega_k), rel=1e-8)


def test_dicke_uses_model_window() -> None:
    bat = qb.models.tavis_cummings(4)
    opt = optimal_charging(bat, (0, 20))
    grid = np.linspace(0, 20, 2001)[1:]
    ds = qb.charge(bat, grid, bounds=False, ergotropy=False)
    coarse = np.max(ds.work_mean.values / grid)
    assert float(opt.max_average_power) >= coarse * (1 - 1e-12)
    assert float(opt.max_power) >= float(ds.power_mean.max()) * (1 - 1e-12)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"times": (1.0,)}, "window", id="short-window"),
        pytest.param({"rtol": 2.0}, "rtol", id="rtol"),
        pytest.param({"points": 2}, "points", id="points"),
    ],
)
def test_bad_input(kwargs: dict[str, object], match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        optimal_charging(qb.models.single_qubit(), **kwargs)  # type: ignore[arg-type]


def test_charge_average_power() -> None:
    """``average_power`` in qb.charge: ⟨W_t⟩/t of the same Dataset, the closed form, 0 at t = 0."""
    t = np.array([0.0, 0.3, 1.1, 2.5])
    ds = qb.charge(qb.models.kbody(6, 2), t, bounds=False)
    np.testing.assert_allclose(ds.average_power[1:], ds.work_mean[1:] / t[1:], rtol=1e-14)
    omega_k = 2 / 6
    closed = 6 * np.sin(omega_k * t[1:]) ** 2 / t[1:]
    np.testing.assert_allclose(ds.average_power[1:], closed, rtol=1e-10)
    assert float(ds.average_power[0]) == 0.0  # ground-state start: the limit i<[H, H0]> = 0
    assert ds.average_power.attrs["units"] == "energy/time"
