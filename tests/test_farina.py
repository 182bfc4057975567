"""The charger-mediated battery of Farina et al. (2019): qb.charge against the coherent
amplitudes integrated here with scipy's solve_ivp (an independent route to the model's
own matrix exponential), the steady energy ω0F²/g² whatever κ, and errors."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

import qbattery as qb
from qbattery.errors import InvalidInputError

TIMES = np.linspace(0.0, 16.0, 33)


def amplitudes(F: float, g: float, kappa: float, gamma_b: float) -> np.ndarray:
    """(α_t, β_t) from α̇ = −iF − (κ/2)α − igβ, β̇ = −igα − (γ_B/2)β, vacuum start."""

    def rhs(_t: float, x: np.ndarray) -> np.ndarray:
        a, b = x[0] + 1j * x[1], x[2] + 1j * x[3]
        da = -1j * F - kappa / 2 * a - 1j * g * b
        db = -1j * g * a - gamma_b / 2 * b
        return np.array([da.real, da.imag, db.real, db.imag])

    sol = solve_ivp(rhs, (0.0, TIMES[-1]), np.zeros(4), t_eval=TIMES, rtol=1e-12, atol=1e-14)
    return np.stack([sol.y[0] + 1j * sol.y[1], sol.y[2] + 1j * sol.y[3]], axis=1)


@pytest.mark.parametrize(
    ("F", "g", "kappa", "gamma_b", "omega0"),
    [(0.1, 0.5, 0.5, 0.0, 1.0), (0.15, 0.4, 1.2, 0.1, 2.0)],
    ids=["charger-loss", "both-losses"],
)
def test_work_is_the_coherent_battery_amplitude(F, g, kappa, gamma_b, omega0) -> None:
    bat = qb.models.farina(F, g, kappa, omega0, battery_loss=gamma_b, truncation_tol=1e-10)
    ds = qb.charge(bat, TIMES, bounds=False, ergotropy=False)
    assert ds.attrs["engine"] == "open"
    n_b = np.abs(amplitudes(F, g, kappa, gamma_b)[:, 1]) ** 2
    # coherent state from the vacuum (an H0 eigenstate): ⟨W⟩ = ω0|β|², Var W = ω0²|β|².
    # The Fock cutoff drops ≤ 1e-10 of the Poisson weight; the truncated dynamics then
    # agrees to about 100 × that (as for dicke's cutoff): 1e-8 relative, stated.
    np.testing.assert_allclose(ds.work_mean.values, omega0 * n_b, rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(ds.work_var.values, omega0**2 * n_b, rtol=1e-7, atol=1e-9)
    ok = n_b > 1e-3
    np.testing.assert_allclose(ds.work_nsr.values[ok], 1 / n_b[ok], rtol=1e-6)


@pytest.mark.parametrize("kappa", [0.3, 1.5])
def test_steady_energy_is_omega0_f2_over_g2_whatever_kappa(kappa: float) -> None:
    from qbattery.engines.open_engine import OpenEngine

    bat = qb.models.farina(0.1, 0.5, kappa, 1.5, truncation_tol=1e-10)
    rho = OpenEngine(bat).steady_state()
    energy = float(np.real(np.trace(bat.dense("H0") @ rho)))
    np.testing.assert_allclose(energy, 1.5 * 0.1**2 / 0.5**2, rtol=1e-8)  # 100 × tol


def test_convention_and_counted_channel() -> None:
    bat = qb.models.farina(battery_loss=0.2)
    assert bat.counted == {0: 1.0, 1: 1.0}
    assert "F(a + a†) + g(a†b + b†a)" in bat.describe()
    closed = qb.models.farina(kappa=0.0)
    assert closed.jumps == ()


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"g": 0.0}, "`g` must be non-zero"),
        ({"n_max": 2}, r"n_max = 2 drops more than truncation_tol"),
        ({"kappa": -1.0}, "must be a rate ≥ 0"),
        ({"kapa": 1.0}, "did you mean 'kappa'"),
    ],
)
def test_errors(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        qb.models.farina(**kwargs)


@pytest.mark.parametrize(
    ("F", "g", "kappa", "loss"),
    [
        (0.25, 0.5, 0.5, 0.0),
        (1e-3, 0.5, 0.5, 0.0),
        (0.4, 2.0, 0.01, 0.0),
        (0.3, 0.7, 0.0, 0.0),
        (0.3, 0.5, 0.2, 0.3),
        (0.3, 0.5, 2.0, 0.0),
    ],  # the last at an exceptional point
)
def test_peak_photon_bound_holds_on_a_fine_grid(F, g, kappa, loss):
    """The cutoff's photon-number bound is above the true peak (a 10⁵-point grid) and
    within 10 % of it: rigorous, yet not so loose that it inflates the dimension."""
    from qbattery.models.farina import _peak_photons, farina_amplitudes

    slowest = min([r for r in (kappa, loss) if r > 0], default=0.0)
    end = 80.0 / slowest if slowest else 4 * np.pi / g
    t = np.linspace(0.0, end, 100_001)
    true = float(np.max(np.abs(farina_amplitudes(t, F, g, kappa, loss)) ** 2))
    bound = _peak_photons(F, g, kappa, loss)
    assert true <= bound <= 1.1 * true


def test_counting_rates_sparse_route_poissonian_emission():
    """Long-time heat rates on the sparse route (d > 64): both counted channels of the
    steady coherent state (α_∞, β_∞) emit Poissonian photons, at rates κ|α_∞|² and
    γ_B|β_∞|², so with n = κ|α_∞|² + γ_B|β_∞|²: κ₁ = ω0n and κ₂ = ω0²n (closed form, 1e-8;
    the Fock cutoff drops < 1e-12)."""
    from qbattery.models.farina import farina_amplitudes

    F, g, kappa, loss, w = 0.1, 0.5, 0.5, 0.3, 1.3
    bat = qb.models.farina(F, g, kappa, w, battery_loss=loss, n_max=8)  # d = 81
    eng = qb.engines.OpenEngine(bat)
    assert not eng.small  # the sparse LU route
    alpha, beta = farina_amplitudes(np.array([1e4]), F, g, kappa, loss)[0]
    n = kappa * abs(alpha) ** 2 + loss * abs(beta) ** 2
    k1, k2 = eng.counting_rates()
    assert np.isclose(k1, w * n, rtol=1e-8, atol=0)
    assert np.isclose(k2, w**2 * n, rtol=1e-8, atol=0)
