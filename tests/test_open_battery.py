"""Open batteries through the public API (issue 16): Battery(jumps=), engine choice,
charge(power=), heat statistics, ergotropy over time, steady-state attributes, models.

Independent routes: a Liouvillian built here by Kronecker products (not
qbattery.numerics.liouvillian) and scipy.linalg.expm; closed forms of a decaying qubit
and of resonance fluorescence; the dense engine for zero dissipation. Tolerances 1e-10
unless stated.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla

import qbattery as qb
from qbattery.engines import choose_engine, resolve
from qbattery.ergotropy import ergotropy as ergotropy_of
from qbattery.errors import EngineError, InvalidInputError

SM = np.array([[0.0, 1.0], [0.0, 0.0]])  # |1⟩ → |0⟩, the ground state of −(ω0/2)σ_z
SZ = np.diag([1.0, -1.0])
SX = np.array([[0.0, 1.0], [1.0, 0.0]])
TIMES = np.linspace(0.0, 4.0, 9)


def _lindblad_by_hand(H: np.ndarray, jumps: list[np.ndarray]) -> np.ndarray:
    """Row-major vec: vec(AXB) = (A ⊗ Bᵀ) vec(X)."""
    d = H.shape[0]
    one = np.eye(d)
    G = -1j * (np.kron(H, one) - np.kron(one, H.T))
    for L in jumps:
        LdL = L.conj().T @ L
        G += np.kron(L, L.conj()) - 0.5 * (np.kron(LdL, one) + np.kron(one, LdL.T))
    return G


def _rho_t(bat: qb.Battery, t: float) -> np.ndarray:
    d = bat.dim
    psi = np.asarray(bat.state, complex)
    rho0 = np.outer(psi, psi.conj()) if psi.ndim == 1 else psi
    G = _lindblad_by_hand(bat.dense("H"), [np.asarray(qb.battery.to_dense(L)) for L in bat.jumps])
    return (sla.expm(G * t) @ rho0.reshape(-1)).reshape(d, d)


# ---- Battery(jumps=, counted=) -------------------------------------------------------------
@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"jumps": SM}, r"`jumps` must be a list of jump operators, got ndarray"),
        ({"jumps": [np.eye(3)]}, r"`jumps\[0\]` has dimension 3 but `H0` has dimension 2"),
        ({"jumps": [SM, np.full((2, 2), np.nan)]}, r"`jumps\[1\]` has 4 NaN or infinite"),
        ({"jumps": [np.ones(2)]}, r"`jumps\[0\]` must be a square matrix"),
        ({"jumps": [SM], "counted": {1: 1.0}}, r"`counted` index 1 is not a jump .*0 … 0"),
        ({"jumps": [SM], "counted": [0]}, r"`counted` must be a mapping"),
        ({"jumps": [SM], "counted": {0: np.inf}}, r"`counted\[0\]` must be a finite number"),
    ],
)
def test_battery_rejects_bad_jumps(kwargs, match):
    with pytest.raises(InvalidInputError, match=match):
        qb.Battery(-0.5 * SZ, SX, np.array([1.0, 0.0]), **kwargs)


def test_battery_takes_every_operator_type():
    import scipy.sparse as sp

    from qbattery.operators import PauliSum

    lower = PauliSum.from_terms([(0.5, "X"), (0.5j, "Y")], n=1)  # σ− = (X + iY)/2
    for L in (SM, sp.csr_array(SM), lower):
        bat = qb.Battery(-0.5 * SZ, SX, np.array([1.0, 0.0]), jumps=[0.5 * L], counted={0: 1})
        np.testing.assert_array_equal(qb.battery.to_dense(bat.jumps[0]), 0.5 * SM)
        assert bat.is_open
        assert dict(bat.counted) == {0: 1.0}
        assert "1 jumps" in repr(bat)
    closed = qb.Battery(-0.5 * SZ, SX, np.array([1.0, 0.0]))
    assert closed.jumps == ()
    assert not closed.is_open
    assert dict(closed.counted) == {}


# ---- engines ----------------------------------------------------------------------------
def test_closed_only_engines_refuse_by_name():
    bat = qb.models.single_qubit(decay=0.5, dephasing=0.2)
    for name in ("dense", "krylov", "structured", "jax"):
        with pytest.raises(
            EngineError,
            match=rf"^engine '{name}' is closed-only; this battery has 2 jump operators; "
            r"use engine='open'$",
        ):
            resolve(bat, name, 3)
    cls, why = resolve(bat, "auto", 3)
    assert cls.name == "open-blocks"  # one cell is a k = 1 block
    assert "per-cell dissipation" in why


def test_choose_engine_open_rows():
    names = ("dense", "krylov", "structured", "open")
    got = choose_engine(2**8, True, {"family": "kbody"}, 201, 2**34, names, is_open=True)
    assert got[0] == "open"
    # a closed battery never gets the open engine while a closed one can run it
    assert choose_engine(8, True, {}, 201, 2**34, ("open", "dense"))[0] == "dense"
    assert choose_engine(8, False, {}, 201, 2**34, ("open", "dense"))[0] == "dense"


def test_open_engine_refuses_large_closed_battery():
    with pytest.raises(EngineError, match=r"closed battery of dimension 32 > 16"):
        resolve(qb.models.heisenberg(5), "open", 3)


@pytest.mark.parametrize(
    "make", [lambda: qb.models.single_qubit(), lambda: qb.models.kbody(4, 2)], ids=["sq", "kb"]
)
def test_open_engine_without_jumps_equals_dense(make):
    bat = make()
    a = qb.charge(bat, TIMES, engine="open", ergotropy=False)
    b = qb.charge(bat, TIMES, engine="dense", ergotropy=False)
    for var in ("work_mean", "work_var", "power_mean", "power_var", "fidelity"):
        np.testing.assert_allclose(a[var], b[var], rtol=1e-10, atol=1e-10, err_msg=var)
    for var in ("work_angle", "power_angle"):
        np.testing.assert_allclose(a[var], b[var], rtol=1e-9, atol=1e-9, err_msg=var)


# ---- charge on open batteries -------------------------------------------------------------
@pytest.mark.parametrize("engine", ["auto", "open"])
def test_charge_means_and_ergotropy_match_expm_by_hand(engine):
    bat = qb.models.single_qubit(decay=0.7, dephasing=0.3)
    ds = qb.charge(bat, TIMES, engine=engine)
    assert ds.attrs["engine"] == ("open-blocks" if engine == "auto" else "open")
    H0 = bat.dense("H0")
    for n, t in enumerate(TIMES):
        rho = _rho_t(bat, t)
        e = np.real(np.trace(H0 @ rho)) - (-0.5)
        assert abs(float(ds.work_mean[n]) - e) <= 1e-10
        assert abs(float(ds.ergotropy[n]) - ergotropy_of(rho, H0)) <= 1e-10


def test_net_power_is_lindblad_adjoint_of_h0():
    bat = qb.models.single_qubit(decay=0.7)
    ds = qb.charge(bat, TIMES, power="net", bounds=False)
    assert ds.attrs["power_observable"] == "net"
    H, L, H0 = bat.dense("H"), 0.7**0.5 * SM, bat.dense("H0")
    P0 = 1j * (H @ H0 - H0 @ H) + L.T @ H0 @ L - 0.5 * (L.T @ L @ H0 + H0 @ L.T @ L)
    rho0 = np.diag([1.0, 0.0])
    for n, t in enumerate(TIMES):
        want = np.real(np.trace(P0 @ (_rho_t(bat, t) - rho0)))
        assert abs(float(ds.power_mean[n]) - want) <= 1e-10
    # mean net power integrates to the stored energy: d⟨W⟩/dt = Tr[𝓛†(H0) ρ_t]
    drive = qb.charge(bat, TIMES, bounds=False)
    assert not np.allclose(drive.power_mean, ds.power_mean)


def test_power_net_needs_an_open_battery():
    with pytest.raises(
        InvalidInputError, match=r"`power='net'` needs jump operators, but this battery"
    ):
        qb.charge(qb.models.single_qubit(), TIMES, power="net")
    with pytest.raises(InvalidInputError, match=r"`power` must be 'drive' or 'net', got 'x'"):
        qb.charge(qb.models.single_qubit(decay=1.0), TIMES, power="x")


def test_heat_of_a_decaying_excited_qubit():
    """No drive, start in |1⟩: one quantum of energy ω0 leaves with p = 1 − e^{−γt}."""
    gamma, omega0 = 0.8, 1.5
    bat = qb.Battery(
        -(omega0 / 2) * SZ,
        np.zeros((2, 2)),
        np.array([0.0, 1.0]),
        jumps=[gamma**0.5 * SM],
        counted={0: omega0},
    )
    ds = qb.charge(bat, TIMES[1:], bounds=False)
    p = 1 - np.exp(-gamma * TIMES[1:])
    np.testing.assert_allclose(ds.heat_mean, omega0 * p, rtol=1e-10)
    np.testing.assert_allclose(ds.heat_var, omega0**2 * p * (1 - p), rtol=1e-9)
    np.testing.assert_allclose(ds.heat_nsr, (1 - p) / p, rtol=1e-9)
    np.testing.assert_allclose(ds.work_mean, -omega0 * p, rtol=1e-10)
    np.testing.assert_allclose(ds.injected_work_mean, 0.0, atol=1e-12)
    np.testing.assert_allclose(ds.injected_work_var, 0.0, atol=1e-12)


def test_steady_state_attributes_resonance_fluorescence():
    """H = Ω0σ_x (Ω = 2Ω0), decay γ: p_e = (Ω²/4)/(Ω²/2 + γ²/4) (1e-8)."""
    Omega0, gamma = 0.5, 1.0
    bat = qb.models.single_qubit(Omega0=Omega0, decay=gamma)
    ds = qb.charge(bat, TIMES)
    Om = 2 * Omega0
    pe = (Om**2 / 4) / (Om**2 / 2 + gamma**2 / 4)
    assert abs(ds.attrs["steady_energy"] - pe) <= 1e-8
    # ρ_ss by hand: null vector of the Liouvillian
    G = _lindblad_by_hand(bat.dense("H"), [gamma**0.5 * SM])
    w, v = np.linalg.eig(G)
    rss = v[:, np.argmin(np.abs(w))].reshape(2, 2)
    rss /= np.trace(rss)
    assert abs(ds.attrs["steady_ergotropy"] - ergotropy_of(rss, bat.dense("H0"))) <= 1e-10
    var_ss = np.real(np.trace(bat.dense("H0") @ bat.dense("H0") @ rss)) - (pe - 0.5) ** 2
    assert abs(ds.attrs["work_nsr_inf"] - var_ss / pe**2) <= 1e-8
    assert 0 < ds.attrs["work_angle_inf"] < np.pi / 2
    # the time-resolved angle approaches θ_∞ from below
    assert float(ds.work_angle[-1]) <= ds.attrs["work_angle_inf"] + 1e-10


# ---- models ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("closed", "zero"),
    [
        (lambda: qb.models.single_qubit(), lambda: qb.models.single_qubit(decay=0, dephasing=0)),
        (lambda: qb.models.kbody(4, 2), lambda: qb.models.kbody(4, 2, decay=0.0, dephasing=0)),
    ],
    ids=["single_qubit", "kbody"],
)
def test_zero_rates_give_the_closed_model_bit_for_bit(closed, zero):
    a, b = closed(), zero()
    assert b.jumps == ()
    assert dict(a.params) == dict(b.params)
    da, db = qb.charge(a, TIMES), qb.charge(b, TIMES)
    for var in da.data_vars:
        np.testing.assert_array_equal(da[var].values, db[var].values, err_msg=var)
    skip = {"wall_time", "wall_time_s", "created"}
    assert {k: v for k, v in da.attrs.items() if k not in skip} == {
        k: v for k, v in db.attrs.items() if k not in skip
    }


def test_kbody_decay_per_cell_matches_independent_qubits():
    """Parallel charging (k = 1) with per-cell decay: cells are independent, so the
    stored energy is N times that of one decaying qubit with Ω0 → Ω0/N."""
    N, gamma = 3, 0.4
    many = qb.charge(qb.models.kbody(N, 1, decay=gamma), TIMES, bounds=False)
    one = qb.charge(qb.models.single_qubit(Omega0=1.0 / N, decay=gamma), TIMES, bounds=False)
    np.testing.assert_allclose(many.work_mean, N * one.work_mean, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(many.work_var, N * one.work_var, rtol=1e-10, atol=1e-12)


def test_model_rates_are_checked():
    with pytest.raises(InvalidInputError, match=r"`decay` must be a rate ≥ 0, got -1.0"):
        qb.models.single_qubit(decay=-1)
    with pytest.raises(InvalidInputError, match=r"N = 13 > 12 cells .* got k = 7; use k ≤ 6"):
        qb.models.kbody(13, 7, decay=0.1)
