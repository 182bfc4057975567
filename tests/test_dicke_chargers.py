"""Issue 17 item 5: coherent chargers for the Dicke and Tavis–Cummings batteries, checked
against a Kronecker-product construction; Dicke windows beyond ``t_max`` rebuild the model.

The Kronecker route builds cavity ⊗ collective spin j = N/2 from scratch: a = Σ √n |n−1⟩⟨n|,
J_+|j, m⟩ = √(j(j+1) − m(m+1)) |j, m+1⟩, |α⟩ = Σ c_n |n⟩ with Poisson amplitudes
c_n = e^{−n̄/2} n̄^{n/2}/√(n!) (by recursion) renormalised after the cutoff.
Tolerances: operators 1e-12, charge() 1e-10 relative to each curve's scale.
"""

from __future__ import annotations

import numpy as np
import pytest

import qbattery as qb
from qbattery.errors import InvalidInputError

CURVES = ("work_mean", "work_var", "power_mean", "power_var", "fidelity", "work_nsr")


def kron_battery(N: int, nbar: float, n_max: int, coupling: float, rwa: bool) -> qb.Battery:
    """Dicke (or Tavis–Cummings if ``rwa``) battery with a coherent charger, by np.kron."""
    j = N / 2
    m = np.arange(-j, j + 1)
    jz = np.diag(m)
    jp = np.diag(np.sqrt(j * (j + 1) - m[:-1] * (m[:-1] + 1)), -1)  # |m⟩ → |m+1⟩
    a = np.diag(np.sqrt(np.arange(1, n_max + 1)), 1)
    ic, ij = np.eye(n_max + 1), np.eye(N + 1)
    H0 = np.kron(ic, jz)
    if rwa:
        HC = np.kron(a.T @ a, ij) + coupling * (np.kron(a, jp) + np.kron(a.T, jp.T))
    else:
        jx = (jp + jp.T) / 2
        HC = np.kron(a.T @ a, ij) + 2 * coupling * np.kron(a + a.T, jx)
    c = np.empty(n_max + 1)
    c[0] = np.exp(-nbar / 2)
    for n in range(1, n_max + 1):  # c_n = c_{n−1} √(n̄/n)
        c[n] = c[n - 1] * np.sqrt(nbar / n)
    c /= np.linalg.norm(c)
    down = np.zeros(N + 1)
    down[0] = 1.0
    return qb.Battery(H0, HC, np.kron(c, down))


@pytest.mark.parametrize("model", ["dicke", "tavis_cummings"])
def test_coherent_charger_equals_kronecker_construction(model: str) -> None:
    N, nbar, coupling = 3, 2.5, 0.2
    fn = getattr(qb.models, model)
    bat = fn(N, nbar, coupling=coupling, charger="coherent")
    n_max = bat.params["n_max"] if model == "dicke" else bat.dim // (N + 1) - 1
    ref = kron_battery(N, nbar, n_max, coupling, rwa=model == "tavis_cummings")
    assert bat.dim == ref.dim  # no parity/sector restriction: same (n, e) order as kron
    for name in ("H0", "HC"):
        np.testing.assert_allclose(bat.dense(name), ref.dense(name), rtol=0, atol=1e-12)
    np.testing.assert_allclose(bat.dense("state"), ref.dense("state"), rtol=0, atol=1e-14)
    t = np.linspace(0.0, 6.0, 25)
    ours = qb.charge(bat, t, engine="dense")
    theirs = qb.charge(ref, t, engine="dense")
    for curve in CURVES:
        scale = np.max(np.abs(theirs[curve].values[1:]))
        np.testing.assert_allclose(ours[curve].values[1:], theirs[curve].values[1:],
                                   rtol=0, atol=1e-10 * scale)  # fmt: skip


@pytest.mark.parametrize("model", ["dicke", "tavis_cummings"])
def test_coherent_charger_mean_photon_number(model: str) -> None:
    bat = getattr(qb.models, model)(4, 3.0, charger="coherent")
    psi = bat.dense("state").ravel()
    n_of_state = bat.structure["subsystem"]["embed"] // (4 + 1)
    assert float(np.sum(n_of_state * np.abs(psi) ** 2)) == pytest.approx(3.0, rel=1e-11)
    assert bat.params["photon_tail"] <= 1e-12
    assert "coherent charger" in bat.describe()


def test_tavis_cummings_coherent_is_exact_up_to_the_tail() -> None:
    t = np.linspace(0.0, 10.0, 11)
    loose = qb.charge(qb.models.tavis_cummings(3, 2.0, charger="coherent"), t, bounds=False)
    tight = qb.charge(
        qb.models.tavis_cummings(3, 2.0, charger="coherent", truncation_tol=1e-15), t,
        bounds=False,
    )  # fmt: skip
    for curve in ("work_mean", "work_var", "power_mean"):
        np.testing.assert_allclose(loose[curve], tight[curve], rtol=0, atol=1e-10)


def test_fock_charger_is_the_default() -> None:
    t = np.linspace(0.0, 3.0, 7)
    a = qb.charge(qb.models.dicke(3), t)
    b = qb.charge(qb.models.dicke(3, charger="fock", parity=True), t)
    for curve in CURVES:
        np.testing.assert_array_equal(a[curve].values, b[curve].values)


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda: qb.models.dicke(3, 2.0, charger="coherent", parity=True),
         "a coherent charger mixes both parity sectors"),
        (lambda: qb.models.tavis_cummings(3, 2.0, charger="coherent", subspace=True),
         "a coherent charger spans every excitation number"),
        (lambda: qb.models.dicke(3, 2.5), "`n_photons` must be an integer, got 2.5"),
        (lambda: qb.models.dicke(3, 2.0, charger="squeezed"), "`charger` must be one of"),
        (lambda: qb.models.dicke(3, 9.0, charger="coherent", n_max=12),
         r"n_max = 12 drops .* of the coherent charger's photon distribution; use n_max ≥ 3"),
        (lambda: qb.models.dicke(3, -1.0, charger="coherent"), "must be finite and ≥ 0"),
    ],
)  # fmt: skip
def test_charger_inputs_are_checked(call, match) -> None:
    with pytest.raises(InvalidInputError, match=match):
        call()


def test_times_beyond_t_max_rebuild_the_dicke_model() -> None:
    short = qb.models.dicke(2, coupling=0.2, t_max=5.0)
    t = np.linspace(0.0, 20.0, 41)
    ds = qb.charge(short, t, engine="dense")
    direct = qb.charge(qb.models.dicke(2, coupling=0.2, t_max=20.0), t, engine="dense")
    for curve in CURVES:
        np.testing.assert_array_equal(ds[curve].values, direct[curve].values)
    assert '"t_max": 20.0' in ds.attrs["params"]
    # an explicit cutoff is only checked, never grown: too small for the longer window
    fixed = qb.models.dicke(2, coupling=0.2, t_max=2.0, n_max=15)  # enough until t = 2
    with pytest.raises(InvalidInputError, match=r"Fock truncation n_max = 15 is too small"):
        qb.charge(fixed, np.array([0.0, 50.0]))


def test_with_state_keeps_the_window() -> None:
    bat = qb.with_state(qb.models.dicke(2, coupling=0.2, t_max=5.0, parity=False), "ground")
    with pytest.raises(InvalidInputError, match=r"checked only up to t_max = 5; rebuild"):
        qb.charge(bat, np.array([0.0, 6.0]))
