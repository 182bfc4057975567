"""Open cavity batteries: dicke/tavis_cummings with cavity_loss (√κ a) and collective
decay (√γ J_−), against the same Lindblad problem built independently with np.kron on
the full 2^N-qubit ⊗ Fock space (the symmetric multiplet is invariant under H, a and
J_− = Σσ_−), at 1e-10; and the errors for sectors that dissipation leaves."""

from __future__ import annotations

import numpy as np
import pytest

import qbattery as qb
from qbattery.errors import InvalidInputError

TIMES = np.linspace(0.0, 6.0, 13)
COMPARED = ("work_mean", "work_var", "power_mean", "power_var")


def kron_battery(
    N: int,
    n_max: int,
    n_photons: int,
    coupling: float,
    kappa: float,
    gamma: float,
    *,
    rotating: bool,
) -> qb.Battery:
    """Cavity (Fock ≤ n_max) ⊗ N qubits, every operator by np.kron; |n_photons⟩|0…0⟩."""
    a = np.diag(np.sqrt(np.arange(1.0, n_max + 1)), 1)
    sm = np.array([[0.0, 1.0], [0.0, 0.0]])  # σ−: |1⟩ (excited) → |0⟩ (ground)

    def cell(op: np.ndarray, i: int) -> np.ndarray:
        mats = [np.eye(2)] * N
        mats[i] = op
        out = np.eye(1)
        for m in mats:
            out = np.kron(out, m)
        return out

    jm = sum(cell(sm, i) for i in range(N))
    jz = sum(cell(np.diag([-0.5, 0.5]), i) for i in range(N))
    ic, iq = np.eye(n_max + 1), np.eye(2**N)
    A, Jm, Jz = np.kron(a, iq), np.kron(ic, jm), np.kron(ic, jz)
    Jp = Jm.conj().T
    H0 = Jz  # ω_a = 1
    if rotating:
        HC = A.conj().T @ A + coupling * (Jp @ A + Jm @ A.conj().T)
    else:
        Jx = (Jp + Jm) / 2
        HC = A.conj().T @ A + 2 * coupling * Jx @ (A + A.conj().T)
    psi = np.zeros((n_max + 1) * 2**N, dtype=complex)
    psi[n_photons * 2**N] = 1.0  # |n_photons⟩ ⊗ |0…0⟩
    jumps = [np.sqrt(r) * op for r, op in ((kappa, A), (gamma, Jm)) if r > 0]
    return qb.Battery(H0, HC, psi, jumps=jumps)


@pytest.mark.parametrize(
    ("N", "kappa", "gamma"),
    [(1, 0.3, 0.0), (2, 0.05, 0.02), (3, 0.0, 0.1)],
    ids=["N1-loss", "N2-both", "N3-decay"],
)
def test_tavis_cummings_with_losses_against_kron(N: int, kappa: float, gamma: float) -> None:
    bat = qb.models.tavis_cummings(N, coupling=0.2, cavity_loss=kappa, decay=gamma)
    assert bat.params["subspace"] is False
    assert len(bat.jumps) == int(kappa > 0) + int(gamma > 0)
    ref_bat = kron_battery(N, N + N, N, 0.2, kappa, gamma, rotating=True)
    got = qb.charge(bat, TIMES, bounds=False, ergotropy=False)
    ref = qb.charge(ref_bat, TIMES, engine="open", bounds=False, ergotropy=False)
    assert got.attrs["engine"] == "open"
    for name in COMPARED:
        np.testing.assert_allclose(
            got[name].values, ref[name].values, rtol=1e-10, atol=1e-12, err_msg=name
        )
    # losses drain the battery: less stored energy than the closed battery at late times
    closed = qb.charge(qb.models.tavis_cummings(N, coupling=0.2), TIMES, bounds=False)
    assert got.work_mean.values[-1] < closed.work_mean.values.max()


def test_dicke_with_losses_against_kron_at_the_same_cutoff() -> None:
    bat = qb.models.dicke(2, coupling=0.2, cavity_loss=0.1, decay=0.05, t_max=6.0)
    n_max = int(bat.params["n_max"])
    assert bat.params["parity"] is False
    assert bat.params["top_population"] < 1e-12  # checked under the Lindblad dynamics
    ref_bat = kron_battery(2, n_max, 2, 0.2, 0.1, 0.05, rotating=False)
    got = qb.charge(bat, TIMES, bounds=False, ergotropy=False)
    ref = qb.charge(ref_bat, TIMES, engine="open", bounds=False, ergotropy=False)
    for name in COMPARED:
        np.testing.assert_allclose(
            got[name].values, ref[name].values, rtol=1e-10, atol=1e-12, err_msg=name
        )


def test_counted_channels_carry_the_quantum_energies() -> None:
    bat = qb.models.tavis_cummings(2, omega_a=1.5, omega_c=0.7, cavity_loss=0.2, decay=0.1)
    assert bat.counted == {0: 0.7, 1: 1.5}
    assert bat.params["cavity_loss"] == 0.2
    assert bat.params["decay"] == 0.1
    closed = qb.models.tavis_cummings(2)
    assert closed.jumps == ()
    assert "cavity_loss" not in closed.params


def test_dicke_truncation_is_checked_with_losses() -> None:
    with pytest.raises(InvalidInputError, match="Fock truncation n_max = 3 is too small"):
        qb.models.dicke(2, n_max=3, cavity_loss=0.1)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: qb.models.dicke(2, cavity_loss=0.1, parity=True), "change the parity"),
        (lambda: qb.models.tavis_cummings(2, decay=0.1, subspace=True), "out of its sector"),
        (lambda: qb.models.tavis_cummings(2, cavity_loss=-0.1), "must be a rate ≥ 0"),
        (lambda: qb.models.dicke(2, decay=-1.0), "must be a rate ≥ 0"),
    ],
    ids=["dicke-parity", "tc-subspace", "tc-negative", "dicke-negative"],
)
def test_sector_and_rate_errors(make, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        make()
