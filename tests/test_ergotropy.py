"""Ergotropy, passive energy and charging efficiency.

Independent routes: brute force with scipy.linalg.expm (ρ_t, its eigenvalues sorted
against H0's), closed forms (pure state: energy above the ground state; passive state:
zero; k-body from |0⟩^⊗N: Nω0 sin²(Ω_k t)).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

import qbattery as qb
from qbattery.ergotropy import ergotropy, passive_energy
from qbattery.errors import InvalidInputError
from tests.strategies import random_density, random_hermitian, random_ket

TIMES = np.array([0.0, 0.2, 0.9, 2.3])


def brute_ergotropy(H0: np.ndarray, H: np.ndarray, rho0: np.ndarray, t: float) -> float:
    U = sla.expm(-1j * H * t)
    rho = U @ rho0 @ U.conj().T
    energy = np.trace(rho @ H0).real
    r = np.sort(np.linalg.eigvalsh(rho))[::-1]
    e = np.sort(np.linalg.eigvalsh(H0))
    return float(energy - np.sum(r * e))


def test_passive_energy_with_multiplicities() -> None:
    # levels −1 (×2), +1 (×2): populations fill the two lowest first
    assert passive_energy([0.5, 0.25, 0.25], [-1.0, 1.0], [2, 2]) == pytest.approx(-0.5)
    assert passive_energy([0.4, 0.3, 0.2, 0.1], [1.0, -1.0], [2, 2]) == pytest.approx(-0.4)
    # huge multiplicities (binomials beyond float range) are fine as inf
    assert passive_energy([1.0], [-3.0, 0.0], [1.0, np.inf]) == -3.0
    with pytest.raises(InvalidInputError, match="only 2 levels"):
        passive_energy([0.5, 0.3, 0.2], [0.0, 1.0])


def test_pure_state_ergotropy_is_energy_above_ground(rng: np.random.Generator) -> None:
    H0 = random_hermitian(rng, 6)
    psi = random_ket(rng, 6)
    above = np.real(psi.conj() @ H0 @ psi) - np.linalg.eigvalsh(H0)[0]
    assert ergotropy(psi, H0) == pytest.approx(above, rel=1e-12)
    bat = qb.Battery(H0, random_hermitian(rng, 6), psi)
    ds = qb.charge(bat, TIMES, bounds=False)
    H = bat.dense("H")
    for i, t in enumerate(TIMES):
        psi_t = sla.expm(-1j * H * t) @ psi
        ref = np.real(psi_t.conj() @ H0 @ psi_t) - np.linalg.eigvalsh(H0)[0]
        assert ds.ergotropy.values[i] == pytest.approx(ref, rel=1e-10, abs=1e-12)
    np.testing.assert_allclose(ds.passive_energy, np.linalg.eigvalsh(H0)[0], rtol=1e-12)


def test_passive_state_has_zero_ergotropy(rng: np.random.Generator) -> None:
    H0 = random_hermitian(rng, 5)
    _, V = np.linalg.eigh(H0)
    p = np.sort(rng.random(5))[::-1]
    p /= p.sum()
    rho = (V * p) @ V.conj().T  # decreasing populations on increasing energies
    assert ergotropy(rho, H0) == pytest.approx(0.0, abs=1e-12)
    ds = qb.charge(qb.Battery(H0, random_hermitian(rng, 5), rho), TIMES, bounds=False)
    assert ds.ergotropy.values[0] == 0.0
    # unitary charging from a passive state: all stored energy is extractable
    np.testing.assert_allclose(ds.ergotropy, ds.work_mean, rtol=1e-10, atol=1e-13)
    assert np.isnan(ds.charging_efficiency.values[0])  # 0/0 at t = 0


def test_mixed_state_ergotropy_brute_force(rng: np.random.Generator) -> None:
    d = 6
    H0, HC = random_hermitian(rng, d), random_hermitian(rng, d)
    rho = random_density(rng, d, 3)
    bat = qb.Battery(H0, HC, rho)
    ds = qb.charge(bat, TIMES, bounds=False)
    for i, t in enumerate(TIMES):
        ref = brute_ergotropy(H0, bat.dense("H"), rho, t)
        assert ds.ergotropy.values[i] == pytest.approx(ref, rel=1e-10, abs=1e-12)
    # the passive energy is constant: ρ_t has ρ0's spectrum
    ref_passive = np.sum(np.sort(np.linalg.eigvalsh(rho))[::-1] * np.linalg.eigvalsh(H0))
    np.testing.assert_allclose(ds.passive_energy, ref_passive, rtol=1e-12)
    np.testing.assert_allclose(
        ds.charging_efficiency[1:], ds.ergotropy[1:] / ds.work_mean[1:], rtol=1e-14
    )


@pytest.mark.parametrize(
    ("N", "k"),
    [pytest.param(4, 2, id="kbody-N4-k2"), pytest.param(5, 2, id="kbody-N5-k2-remainder")],
)
def test_kbody_closed_form(N: int, k: int) -> None:
    omega0, Omega0 = 1.5, 0.7
    ds = qb.charge(qb.models.kbody(N, k, omega0=omega0, Omega0=Omega0), TIMES, bounds=False)
    ref = N * omega0 * np.sin(k / N * Omega0 * TIMES) ** 2
    np.testing.assert_allclose(ds.ergotropy, ref, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ds.passive_energy, -N * omega0 / 2, rtol=1e-12)
    np.testing.assert_allclose(ds.charging_efficiency[1:], 1.0, rtol=1e-10)


def test_ergotropy_variables_schema_and_opt_out() -> None:
    ds = qb.charge(qb.models.single_qubit(), [0.3])
    assert ds.ergotropy.attrs["units"] == "energy"
    assert "Allahverdyan" in ds.ergotropy.attrs["eq"]
    off = qb.charge(qb.models.single_qubit(), [0.3], ergotropy=False)
    assert "ergotropy" not in off


def test_kbody_million_cells_from_hints() -> None:
    """Engine-agnostic route at N = 10⁶: ⟨W_t⟩ from any engine plus the structure hints
    (H0's binomial spectrum, ⟨H0⟩_0); no 2^N object is formed."""
    from qbattery.engines.base import Engine, Moments, ObservableMoments
    from qbattery.ergotropy import ergotropy_variables

    N, k, omega0 = 10**6, 4, 1.3
    bat = qb.models.kbody(N, k, omega0=omega0)
    t = np.array([0.0, 1.0, 5.0])
    stored = N * omega0 * np.sin(k / N * t) ** 2  # Eq. (8)
    zeros = np.zeros(t.size)
    obs = ObservableMoments(stored, stored**2, zeros.astype(complex), 0.0)
    moments = Moments(t, obs, obs, zeros.astype(complex), np.ones(t.size))

    class NoSpectrum(Engine):
        name = "stub"

        @classmethod
        def supports(cls, battery):  # pragma: no cover - not called
            return None

        @classmethod
        def memory_estimate(cls, battery, ntimes):  # pragma: no cover - not called
            return 0

        def moments(self, times):  # pragma: no cover - not called
            raise NotImplementedError

        def fisher(self, times, which):  # pragma: no cover - not called
            return None

    notes: dict[str, str] = {}
    out = ergotropy_variables(bat, NoSpectrum(bat), moments, notes)
    assert notes == {}
    np.testing.assert_allclose(out["passive_energy"], -N * omega0 / 2, rtol=1e-15)
    np.testing.assert_allclose(out["ergotropy"], stored, rtol=1e-12, atol=1e-9)


@pytest.mark.parametrize("omega0", [1.7, -0.6])
def test_uniform_field_spectrum_hint_matches_dense(omega0: float) -> None:
    from qbattery.ergotropy import uniform_field_spectrum

    for bat in (qb.models.kbody(5, 2, omega0=omega0), qb.models.ising(5, 3, omega0=omega0)):
        levels, mult = bat.structure["H0_spectrum"]()
        expanded = np.repeat(levels, mult.astype(int))
        np.testing.assert_allclose(expanded, np.linalg.eigvalsh(bat.dense("H0")), atol=1e-12)
    levels, _ = uniform_field_spectrum(5, omega0)
    assert np.all(np.diff(levels) > 0)


def test_kbody_million_cells_end_to_end() -> None:
    """qb.charge picks the structured engine at N = 10⁶; ergotropy from the hints."""
    N, k, omega0 = 10**6, 4, 1.3
    t = np.array([0.0, 1.0, 5.0e3])
    ds = qb.charge(qb.models.kbody(N, k, omega0=omega0), t, bounds=False)
    assert ds.attrs["engine"] == "structured"
    closed = N * omega0 * np.sin(k / N * t) ** 2
    np.testing.assert_allclose(ds.ergotropy, closed, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(ds.passive_energy, -N * omega0 / 2, rtol=1e-15)
    np.testing.assert_allclose(ds.charging_efficiency[1:], 1.0, rtol=1e-9)


def test_large_pure_battery_uses_lanczos_ground_energy(monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the dense sizes a pure state's passive energy is E_min of H0 by Lanczos."""
    import qbattery.ergotropy as ergo

    bat = qb.models.heisenberg(7, J=0.9, Delta=0.3)  # ground state ≠ |0…0⟩: ergotropy > 0
    exact = ergo.h0_spectrum(bat)
    monkeypatch.setattr(ergo, "SMALL_DIM", 16)
    levels, _ = ergo.h0_spectrum(bat)
    assert levels.size == 1
    assert levels[0] == pytest.approx(exact[0][0], rel=1e-12)
    ds = qb.charge(bat, [0.0, 0.7], bounds=False)
    dense = ergotropy(bat.state, bat.dense("H0"))
    assert ds.ergotropy.values[0] == pytest.approx(dense, rel=1e-10)
    assert dense > 1.0
