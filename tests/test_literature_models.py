"""Models from the literature: Dicke, Tavis–Cummings, Heisenberg/XXZ, SYK.

Each is compared with an independent construction (QuTiP tensor products, or explicit
numpy Kronecker products for the Jordan–Wigner fermions), with closed forms where they
exist, and the bounds of Eq. (5) and (6) are checked at several sizes.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import qutip
import xarray as xr

import qbattery as qb
from qbattery.errors import InvalidInputError
from qbattery.models._cavity import cavity_basis as _basis
from qbattery.models.syk import syk_couplings
from tests.test_thermal import assert_bounds_hold

ATOL = 1e-12
# the module of the cavity models (``qb.models.dicke`` is the function)
DICKE = importlib.import_module("qbattery.models.dicke")


def _dense(op) -> np.ndarray:
    return op.toarray() if hasattr(op, "toarray") else np.asarray(op)


# ---- Heisenberg / XXZ --------------------------------------------------------------------


def qutip_xxz(N: int, J: float, Delta: float, omega0: float, Omega: float, periodic: bool):
    def site(op, i):
        return qutip.tensor([op if j == i else qutip.qeye(2) for j in range(N)])

    sx, sy, sz = qutip.sigmax(), qutip.sigmay(), qutip.sigmaz()
    H0 = sum(-(omega0 / 2) * site(sz, i) for i in range(N))
    bonds = [(i, i + 1) for i in range(N - 1)] + ([(N - 1, 0)] if periodic and N > 2 else [])
    for i, j in bonds:
        H0 += J * (
            site(sx, i) * site(sx, j)
            + site(sy, i) * site(sy, j)
            + Delta * site(sz, i) * site(sz, j)
        )
    HC = sum(Omega * site(sx, i) for i in range(N))
    psi = qutip.tensor([qutip.basis(2, 0)] * N)
    return H0, HC, psi


@pytest.mark.parametrize(
    ("N", "J", "Delta", "periodic"),
    [
        pytest.param(3, -1.0, 2.0, False, id="N3-open"),
        pytest.param(4, 0.7, -0.4, True, id="N4-periodic"),
        pytest.param(5, 1.3, 0.0, False, id="N5-XX"),
    ],
)
def test_heisenberg_matches_qutip(N: int, J: float, Delta: float, periodic: bool) -> None:
    bat = qb.models.heisenberg(N, J=J, Delta=Delta, omega0=0.8, Omega=1.1, periodic=periodic)
    H0, HC, psi = qutip_xxz(N, J, Delta, 0.8, 1.1, periodic)
    np.testing.assert_allclose(_dense(bat.H0), H0.full(), atol=ATOL)
    np.testing.assert_allclose(_dense(bat.HC), HC.full(), atol=ATOL)
    np.testing.assert_allclose(bat.state, psi.full().ravel(), atol=ATOL)
    P0 = -1j * (H0 * HC - HC * H0)
    np.testing.assert_allclose(_dense(bat.P0), P0.full(), atol=ATOL)
    assert bat.params["Delta"] == Delta


def test_heisenberg_means_match_qutip_sesolve() -> None:
    bat = qb.models.heisenberg(4, J=-0.6, Delta=1.7, Omega=0.9)
    H0, HC, psi = qutip_xxz(4, -0.6, 1.7, 1.0, 0.9, False)
    times = np.linspace(0, 2.0, 5)
    res = qutip.sesolve(H0 + HC, psi, times, e_ops=[H0], options={"atol": 1e-13, "rtol": 1e-11})
    ds = qb.charge(bat, times, bounds=False)
    np.testing.assert_allclose(ds.work_mean, res.expect[0] - res.expect[0][0], atol=1e-8)


def test_isotropic_chain_charges_like_free_spins() -> None:
    """Δ = 1 commutes with the total spin; from |0…0⟩ the exchange is a constant."""
    N, omega0, Omega = 5, 0.9, 0.6
    bat = qb.models.heisenberg(N, J=0.8, Delta=1.0, omega0=omega0, Omega=Omega)
    ds = qb.charge(bat, [0.4, 1.7])
    t = ds.time.values
    w = np.sqrt(Omega**2 + omega0**2 / 4)  # single-spin Rabi frequency
    excited = Omega**2 / w**2 * np.sin(w * t) ** 2
    np.testing.assert_allclose(ds.work_mean, N * omega0 * excited, rtol=1e-10)


def test_heisenberg_default_starts_in_ground_state() -> None:
    ds = qb.charge(qb.models.heisenberg(6), [0.0, 0.5], bounds=False)
    assert ds.ergotropy.values[0] == 0.0


# ---- SYK ----------------------------------------------------------------------------------


def kron_fermions(N: int) -> list[np.ndarray]:
    """c_i = Z ⊗ … ⊗ Z ⊗ |0⟩⟨1| ⊗ 1 ⊗ … by numpy Kronecker products."""
    Z = np.diag([1.0, -1.0])
    a = np.array([[0.0, 1.0], [0.0, 0.0]])
    out = []
    for i in range(N):
        op = np.ones((1, 1))
        for j in range(N):
            op = np.kron(op, Z if j < i else a if j == i else np.eye(2))
        out.append(op)
    return out


@pytest.mark.parametrize(("N", "q"), [(4, 4), (5, 2), (5, 4), (5, 6)])
def test_syk_matches_kronecker_construction(N: int, q: int) -> None:
    c = kron_fermions(N)
    for i in range(N):  # canonical anticommutation relations
        for j in range(N):
            acomm = c[i] @ c[j].T + c[j].T @ c[i]
            np.testing.assert_allclose(acomm, np.eye(2**N) * (i == j), atol=ATOL)
    H = np.zeros((2**N, 2**N), dtype=complex)
    for (I, K), coupling in syk_couplings(N, q, 1.3, seed=11).items():
        cI = np.eye(2**N)
        for i in I:
            cI = cI @ c[i].T
        cK = np.eye(2**N)
        for k in K:
            cK = cK @ c[k].T
        H += coupling * cI @ cK.conj().T
    bat = qb.models.syk(N, q, J=1.3, omega0=0.7, seed=11)
    np.testing.assert_allclose(_dense(bat.H), H, atol=ATOL)
    number = sum(ci.T @ ci for ci in c)
    np.testing.assert_allclose(H @ number, number @ H, atol=ATOL)
    sy = np.array([[0, -1j], [1j, 0]])
    H0 = sum(-0.35 * np.kron(np.kron(np.eye(2**i), sy), np.eye(2 ** (N - i - 1))) for i in range(N))
    np.testing.assert_allclose(_dense(bat.H0), H0, atol=ATOL)
    np.testing.assert_allclose(_dense(bat.H0) @ bat.state, -0.35 * N * bat.state, atol=ATOL)


def test_syk_couplings_statistics_and_seeds() -> None:
    c = syk_couplings(10, 4, J=2.0, seed=5)
    off = np.array([v for (I, K), v in c.items() if I < K])
    sigma2 = 2.0**2 * 2 / 10**3  # J² (q/2)! (q/2 − 1)! / N^{q−1}
    assert np.mean(np.abs(off) ** 2) == pytest.approx(sigma2, rel=0.15)
    assert abs(np.mean(off)) < 3 * np.sqrt(sigma2 / off.size)
    assert c == syk_couplings(10, 4, J=2.0, seed=5)
    assert c != syk_couplings(10, 4, J=2.0, seed=6)


def test_disorder_average_equals_direct_statistics() -> None:
    bats = qb.models.syk_ensemble(4, 4, seed=3)
    assert len({b.params["seed"] for b in bats}) == 4
    times = np.array([0.0, 0.5, 1.5])
    avg = qb.models.disorder_average(bats, times, bounds=False)
    runs = np.array([qb.charge(b, times, bounds=False).power_mean.values for b in bats])
    stat = avg.power_mean
    np.testing.assert_allclose(stat.sel(statistic="mean"), runs.mean(0), rtol=1e-12)
    np.testing.assert_allclose(stat.sel(statistic="std"), runs.std(0, ddof=1), rtol=1e-12)
    np.testing.assert_allclose(stat.sel(statistic="sem"), runs.std(0, ddof=1) / 2, rtol=1e-12)
    np.testing.assert_allclose(stat.sel(statistic="max"), runs.max(0), rtol=1e-12)
    assert stat.attrs["units"] == "energy/time"
    per_sample = qb.models.disorder_average(bats, times, samples=True, bounds=False)
    assert per_sample.power_mean.dims == ("sample", "time")
    assert isinstance(per_sample, xr.Dataset)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"N": 4, "q": 3}, "must be even", id="odd-q"),
        pytest.param({"N": 2, "q": 6}, "needs N ≥ q/2", id="too-few"),
        pytest.param({"N": 4, "sed": 1}, "did you mean 'seed'", id="unknown-param"),
        pytest.param({"N": 17}, "use N ≤ 16", id="too-large"),
    ],
)
def test_syk_bad_parameters(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        qb.models.syk(**kwargs)


# ---- Dicke and Tavis–Cummings ----------------------------------------------------------------


def qutip_cavity_spins(N: int, n_max: int, omega_a: float, omega_c: float, lam: float, rwa: bool):
    a = qutip.tensor(qutip.destroy(n_max + 1), qutip.qeye(N + 1))
    j = N / 2
    Jz = qutip.tensor(qutip.qeye(n_max + 1), qutip.jmat(j, "z"))
    Jp = qutip.tensor(qutip.qeye(n_max + 1), qutip.jmat(j, "+"))
    Jx = qutip.tensor(qutip.qeye(n_max + 1), qutip.jmat(j, "x"))
    H0 = omega_a * Jz
    if rwa:
        HC = omega_c * a.dag() * a + omega_c * lam * (Jp * a + Jp.dag() * a.dag())
    else:
        HC = omega_c * a.dag() * a + 2 * omega_c * lam * Jx * (a + a.dag())
    return H0.full(), HC.full()


def qutip_index(basis: np.ndarray, N: int) -> np.ndarray:
    """QuTiP orders jmat states m = +j … −j: (n, e) ↦ n (N+1) + (N − e)."""
    return basis[:, 0] * (N + 1) + (N - basis[:, 1])


@pytest.mark.parametrize(
    ("N", "n_photons", "parity"),
    [
        pytest.param(1, 1, True, id="N1"),
        pytest.param(3, 2, True, id="N3-n2-parity"),
        pytest.param(4, 4, False, id="N4-full"),
    ],
)
def test_dicke_matches_qutip(N: int, n_photons: int, parity: bool) -> None:
    bat = qb.models.dicke(N, n_photons, omega_a=1.1, omega_c=0.9, coupling=0.15, parity=parity)
    n_max = bat.params["n_max"]
    basis = _basis(N, n_max, n_photons % 2 if parity else None, None)
    H0, HC = qutip_cavity_spins(N, n_max, 1.1, 0.9, 0.15, rwa=False)
    idx = qutip_index(basis, N)
    np.testing.assert_allclose(_dense(bat.H0), H0[np.ix_(idx, idx)], atol=ATOL)
    np.testing.assert_allclose(_dense(bat.HC), HC[np.ix_(idx, idx)], atol=ATOL)
    # the kept parity sector is invariant: no matrix element leaves it
    rest = np.setdiff1d(np.arange(H0.shape[0]), idx)
    assert np.max(np.abs((H0 + HC)[np.ix_(rest, idx)]), initial=0.0) == 0.0
    start = int(np.flatnonzero((basis[:, 0] == n_photons) & (basis[:, 1] == 0))[0])
    assert bat.state[start] == 1.0


@pytest.mark.parametrize("subspace", [True, False], ids=["subspace", "full"])
def test_tavis_cummings_matches_qutip(subspace: bool) -> None:
    N, n_photons = 3, 2
    bat = qb.models.tavis_cummings(N, n_photons, coupling=0.3, subspace=subspace)
    n_max = n_photons if subspace else n_photons + N
    basis = _basis(N, n_max, None, n_photons if subspace else None)
    H0, HC = qutip_cavity_spins(N, n_max, 1.0, 1.0, 0.3, rwa=True)
    idx = qutip_index(basis, N)
    np.testing.assert_allclose(_dense(bat.H0), H0[np.ix_(idx, idx)], atol=ATOL)
    np.testing.assert_allclose(_dense(bat.HC), HC[np.ix_(idx, idx)], atol=ATOL)
    rest = np.setdiff1d(np.arange(H0.shape[0]), idx)
    assert np.max(np.abs((H0 + HC)[np.ix_(rest, idx)]), initial=0.0) == 0.0


def test_tavis_cummings_single_cell_closed_form() -> None:
    """One cell, one photon, resonance: vacuum Rabi oscillation at ω_c λ."""
    lam, omega = 0.2, 1.3
    bat = qb.models.tavis_cummings(1, 1, omega_a=omega, omega_c=omega, coupling=lam)
    t = np.array([0.0, 1.0, 4.0, 7.5, 11.0])
    ds = qb.charge(bat, t)
    s2 = np.sin(omega * lam * t) ** 2
    np.testing.assert_allclose(ds.work_mean, omega * s2, rtol=1e-10, atol=1e-13)
    # the cell's reduced state is diag(cos², sin²): ergotropy ω max(0, sin² − cos²)
    local = omega * np.maximum(0.0, -np.cos(2 * omega * lam * t))
    np.testing.assert_allclose(ds.battery_ergotropy, local, rtol=1e-9, atol=1e-12)
    # the cell+cavity state is pure: the global ergotropy is the stored energy
    np.testing.assert_allclose(ds.ergotropy, ds.work_mean, rtol=1e-10, atol=1e-13)


def test_dicke_truncation_converged() -> None:
    """Raising n_max changes observables by less than 100 × truncation_tol (1e-12)."""
    times = np.linspace(0.0, 6.0, 7)
    a = qb.charge(qb.models.dicke(3, coupling=0.2, t_max=6.0), times, bounds=False)
    b = qb.charge(
        qb.models.dicke(3, coupling=0.2, t_max=6.0, n_max=40, parity=False), times, bounds=False
    )
    for name in ("work_mean", "work_var", "power_mean", "power_var", "battery_ergotropy"):
        np.testing.assert_allclose(a[name], b[name], rtol=1e-7, atol=1e-8, err_msg=name)


def test_dicke_bad_truncation() -> None:
    with pytest.raises(InvalidInputError, match=r"Fock truncation n_max = 5 is too small"):
        qb.models.dicke(4, n_max=5)


def test_dicke_times_beyond_t_max_rebuild_the_model() -> None:
    # issue 17: a longer window rebuilds the truncation (checked again) instead of refusing
    bat, longer = qb.models.dicke(2, t_max=3.0), qb.models.dicke(2, t_max=4.0)
    a, b = qb.charge(bat, [1.0, 4.0]), qb.charge(longer, [1.0, 4.0])
    np.testing.assert_array_equal(a.work_mean.values, b.work_mean.values)
    xr.testing.assert_identical(qb.distribution(bat, [4.0]), qb.distribution(longer, [4.0]))
    ground = qb.with_state(qb.models.dicke(2, t_max=3.0, parity=False), "ground")
    with pytest.raises(InvalidInputError, match=r"checked only up to t_max = 3"):
        qb.charge(ground, [1.0, 4.0])
    with pytest.raises(InvalidInputError, match=r"checked only up to t_max = 3"):
        qb.distribution(ground, [4.0])


def _top_population_dense(H, vecs: np.ndarray, weights: np.ndarray, top, times) -> np.ndarray:
    """Σ_k w_k ‖Π_top e^{−iHt} v_k‖² by a dense eigendecomposition (reference)."""
    E, V = np.linalg.eigh(_dense(H))
    coef = V.conj().T @ vecs
    return np.array(
        [
            np.sum(np.abs(V[top] @ (np.exp(-1j * E * t)[:, None] * coef)) ** 2 @ weights)
            for t in times
        ]
    )


@pytest.mark.parametrize("rank", [1, 6], ids=["pure", "mixed-rank6"])
def test_dicke_lanczos_truncation_check_matches_dense(rank: int) -> None:
    """The matrix-free check (used above 1500 states) against dense diagonalisation."""
    from qbattery.models.cavity_check import top_population_lanczos
    from qbattery.models.dicke import _dicke_operators

    N, n_max = 9, 30  # too small a cutoff on purpose: the top level is populated
    basis = _basis(N, n_max, None, None)
    H0, HC = _dicke_operators(N, basis, 1.1, 0.9, 0.3)
    H = H0 + HC
    starts = np.flatnonzero(basis[:, 1] == 0)[N : N + rank]  # |n⟩|j, −j⟩, n = N…N+rank−1
    vecs = np.zeros((len(basis), rank), dtype=complex)
    vecs[starts, np.arange(rank)] = 1.0
    weights = np.linspace(1.0, 2.0, rank) / np.linspace(1.0, 2.0, rank).sum()
    top = np.flatnonzero(basis[:, 0] == n_max)
    times = np.linspace(0.0, 6.0, 61)
    got = top_population_lanczos(H, vecs, weights, top, times)
    want = _top_population_dense(H, vecs, weights, top, times)
    assert want.max() > 1e-6  # a populated top level: the comparison means something
    np.testing.assert_allclose(got, want, rtol=1e-9, atol=1e-14)


def test_dicke_krylov_matches_dense() -> None:
    """N = 20 cells (λ√N = 0.45): the matrix-free Krylov engine against the dense one."""
    bat = qb.models.dicke(20)
    assert 100 < bat.dim <= 1024  # dense by default, Krylov diagonalises P0 itself
    times = np.linspace(0.2, 2.0, 10)
    ref = qb.charge(bat, times, engine="dense")
    ds = qb.charge(bat, times, engine="krylov")
    assert ds.attrs["engine"] == "krylov"
    names = ["work_mean", "work_var", "power_mean", "power_var", "fidelity"]
    names += ["work_angle", "power_angle", "nsr_product", "tradeoff_bound", "ergotropy"]
    for name in names:
        scale = float(np.max(np.abs(ref[name].values)))
        np.testing.assert_allclose(ds[name], ref[name], rtol=1e-9, atol=1e-12 * scale, err_msg=name)


def test_dicke_superradiant_cutoff_converged() -> None:
    """λ√N ≈ 1 (superradiant): the automatic cutoff passes its check, lies above the start
    guess 0.9 n_* (classical energy bound), and a larger cutoff changes nothing."""
    N, lam, t_max = 12, 0.3, 3.0
    bat = qb.models.dicke(N, coupling=lam, t_max=t_max)
    assert bat.params["top_population"] <= bat.params["truncation_tol"]
    assert bat.params["n_max"] >= 0.9 * DICKE._photon_scale(N, N, 1.0, 1.0, lam)
    bigger = qb.models.dicke(N, coupling=lam, t_max=t_max, n_max=bat.params["n_max"] + 40)
    times = np.linspace(0.0, t_max, 7)
    a = qb.charge(bat, times, bounds=False, ergotropy=False)
    b = qb.charge(bigger, times, bounds=False, ergotropy=False)
    for name in ("work_mean", "work_var", "power_mean", "power_var", "fidelity"):
        np.testing.assert_allclose(a[name], b[name], rtol=1e-8, atol=1e-10, err_msg=name)


def test_dicke_automatic_cutoff_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    """Beyond the automatic limit: an error that says why (the superradiant regime) and
    what to do, after the first round (n_max = 67 → 102: 442 → 676 states) or at once."""
    monkeypatch.setattr(DICKE, "_AUTO_DIM_MAX", 600)
    with pytest.raises(InvalidInputError, match=r"n_max = 67 is too small.*stops below dim"):
        qb.models.dicke(12, coupling=0.3, t_max=2.5)
    monkeypatch.setattr(DICKE, "_AUTO_DIM_MAX", 400)
    with pytest.raises(InvalidInputError, match=r"start its automatic Fock cutoff at n_max = 67"):
        qb.models.dicke(12, coupling=0.3, t_max=2.4)
    with pytest.raises(InvalidInputError, match=r"λ√N = 1.04; beyond about 1/2, the superradiant"):
        qb.models.dicke(12, coupling=0.3, t_max=2.3)


@pytest.mark.slow
def test_dicke_hundreds_of_cells() -> None:
    """N = 200 cells, λ√N = 0.28 (normal phase): the Krylov engine runs matrix-free on the
    ~3·10⁴ kept states; a cutoff 60 photons higher changes nothing; the work bound (Eq. 5)
    and the trade-off (Eq. 6) hold; the power bound is NaN with a note (P0 is not diagonal
    and too large to diagonalise)."""
    times = np.geomspace(0.02, 2.0, 12)  # the work bound is far from trivial early on
    bat = qb.models.dicke(200, coupling=0.02)
    bigger = qb.models.dicke(200, coupling=0.02, n_max=bat.params["n_max"] + 60)
    a = qb.charge(bat, times)
    b = qb.charge(bigger, times)
    assert a.attrs["engine"] == "krylov"
    assert bat.dim > 20_000
    names = ("work_mean", "work_var", "power_mean", "power_var", "fidelity", "work_angle")
    for name in names:
        scale = float(np.max(np.abs(a[name].values)))
        np.testing.assert_allclose(a[name], b[name], rtol=1e-8, atol=1e-10 * scale, err_msg=name)
    assert np.all(np.isfinite(a.work_bound))
    assert np.all(np.isfinite(a.tradeoff_bound))
    assert a.work_bound.values[0] > 10  # cot²θ − f ≈ 77 at t = 0.02 (NSR ≈ 78)
    assert_bounds_hold(a)
    assert np.all(np.isnan(a.power_bound))
    assert "P0" in a.power_bound.attrs["note"]


@pytest.mark.parametrize(
    ("model", "kwargs", "match"),
    [
        pytest.param("dicke", {"N": 2, "n_photon": 2}, "did you mean 'n_photons'", id="dicke"),
        pytest.param("tavis_cummings", {"N": 2, "lam": 0.1}, "valid parameters", id="tc"),
        pytest.param("heisenberg", {"N": 3, "Dleta": 1.0}, "did you mean 'Delta'", id="xxz"),
    ],
)
def test_unknown_model_parameter(model: str, kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        getattr(qb.models, model)(**kwargs)


def test_tavis_cummings_reaches_hundreds_of_cells() -> None:
    bat = qb.models.tavis_cummings(300)
    assert bat.dim == 301
    ds = qb.charge(bat, [0.0, 0.3], bounds=False)
    assert ds.work_mean.values[1] > 0


def test_thermal_cells_in_a_cavity() -> None:
    with pytest.raises(InvalidInputError, match="need parity=False"):
        qb.thermal(qb.models.dicke(2), 0.5)
    with pytest.raises(InvalidInputError, match="need subspace=False"):
        qb.thermal(qb.models.tavis_cummings(2), 0.5)
    bat = qb.thermal(qb.models.tavis_cummings(2, subspace=False), 0.5)
    rho = np.real(np.diag(bat.state))
    basis = _basis(2, 4, None, None)
    cells = rho[basis[:, 0] == 2]  # the cavity holds its 2 photons
    boltzmann = np.exp(-np.arange(3) / 0.5)
    np.testing.assert_allclose(cells, boltzmann / boltzmann.sum(), rtol=1e-12)
    assert_bounds_hold(qb.charge(bat, [0.5, 2.0]))


# ---- the bounds on every new model, several sizes ----------------------------------------------

_SMALL = [
    pytest.param(lambda: qb.models.heisenberg(3), id="xxz-N3"),
    pytest.param(lambda: qb.models.heisenberg(4, J=0.5, Delta=-1.5), id="xxz-N4"),
    pytest.param(lambda: qb.models.heisenberg(5, periodic=True), id="xxz-N5-periodic"),
    pytest.param(lambda: qb.models.syk(4, seed=1), id="syk-N4"),
    pytest.param(lambda: qb.models.syk(5, 2, seed=2), id="syk2-N5"),
    pytest.param(lambda: qb.models.syk(6, seed=3), id="syk-N6"),
    pytest.param(lambda: qb.models.dicke(1), id="dicke-N1"),
    pytest.param(lambda: qb.models.dicke(3, coupling=0.2), id="dicke-N3"),
    pytest.param(lambda: qb.models.tavis_cummings(2), id="tc-N2"),
    pytest.param(lambda: qb.models.tavis_cummings(8), id="tc-N8"),
    pytest.param(lambda: qb.models.tavis_cummings(40, 20), id="tc-N40-n20"),
]


@pytest.mark.parametrize("make", _SMALL)
def test_bounds_hold_on_new_models(make) -> None:
    bat = make()
    t_max = float(bat.structure.get("valid_until", 3.0))
    ds = qb.charge(bat, np.linspace(0.0, min(3.0, t_max), 7))
    assert_bounds_hold(ds)
    assert ds.attrs["model"] == bat.name


_LARGE = [
    pytest.param(lambda: qb.models.heisenberg(9, J=0.4, Delta=0.5), id="xxz-N9"),
    pytest.param(lambda: qb.models.syk(9, seed=4), id="syk-N9"),
    pytest.param(lambda: qb.models.dicke(12, coupling=0.05), id="dicke-N12"),
    pytest.param(lambda: qb.models.tavis_cummings(400), id="tc-N400"),
]


@pytest.mark.slow
@pytest.mark.parametrize("make", _LARGE)
def test_bounds_hold_on_new_models_larger(make) -> None:
    bat = make()
    t_max = float(bat.structure.get("valid_until", 3.0))
    ds = qb.charge(bat, np.linspace(0.0, min(3.0, t_max), 9))
    assert_bounds_hold(ds)


# ---- the gallery ------------------------------------------------------------------------------


def test_time_of_max_power_kbody_closed_form() -> None:
    """⟨𝒫_t⟩ = NΩ_kω0 sin(2Ω_k t) peaks at Ω_k t* = π/4 (Eq. 8)."""
    from qbattery.studies.gallery import time_of_max_power

    t = time_of_max_power(qb.models.kbody(6, 3, Omega0=0.8), 4.0)
    assert t == pytest.approx(np.pi / 4 / (0.5 * 0.8), rel=1e-8)


def test_power_scaling_matches_charge() -> None:
    from qbattery.studies.gallery import fit_exponent, power_scaling

    ds = power_scaling("tavis_cummings", [1, 3])
    assert ds.power_mean.dims == ("N", "sample")
    for i, N in enumerate(ds.N.values):
        bat = qb.models.tavis_cummings(int(N), coupling=0.05)
        t_star = float(ds.t_star.values[i, 0])
        ref = qb.charge(bat, [t_star])
        for name in ("power_mean", "power_nsr", "power_bound", "work_mean"):
            assert ds[name].values[i, 0] == pytest.approx(float(ref[name].values[0]), rel=1e-12)
        # t* is a maximum: the power is lower on either side
        side = qb.charge(bat, [0.97 * t_star, 1.03 * t_star], bounds=False)
        assert np.all(side.power_mean.values < ds.power_mean.values[i, 0])
    # one cell, one photon: ⟨𝒫_t⟩ = ω λ sin(2λt), maximal at λt* = π/4
    assert ds.t_star.values[0, 0] == pytest.approx(np.pi / 4 / 0.05, rel=1e-8)
    assert ds.power_mean.values[0, 0] == pytest.approx(0.05, rel=1e-10)
    assert fit_exponent([1, 2, 4], [2.0, 2.0 * 2**1.5, 2.0 * 4**1.5]) == pytest.approx(1.5)


def test_gallery_plots_the_data(tmp_path) -> None:
    import matplotlib.pyplot as plt

    from qbattery.studies.gallery import plot_distribution, plot_power_scaling, power_scaling

    ds = power_scaling("syk", [4, 5], samples=2)
    fig, axes = plt.subplots(1, 2)
    drawn = plot_power_scaling(ds, axes)
    line = next(v for k, v in drawn.items() if k.startswith("syk: ⟨P⟩"))
    np.testing.assert_allclose(line.get_ydata(), ds.power_mean.mean("sample"), rtol=1e-14)
    np.testing.assert_allclose(drawn["k-body parallel: 1/N"].get_ydata(), [1 / 4, 1 / 5])
    collective = drawn["k-body collective ∝ N"].get_ydata()
    np.testing.assert_allclose(collective / collective[0], [1.0, 5 / 4])
    plt.close(fig)
    da = qb.distribution(qb.models.kbody(4, 2), np.linspace(0, 2, 5), "work")
    mesh = plot_distribution(da)
    np.testing.assert_allclose(np.asarray(mesh.get_array()).reshape(da.shape[::-1]), da.values.T)
    plt.close("all")


@pytest.mark.parametrize(("bound", "trivial"), [(0.5, False), (-0.5, True)])
def test_gallery_legend_says_when_the_bound_is_trivial(bound: float, trivial: bool) -> None:
    """A bound ≤ 0 at t* cannot be drawn on the log axis: the legend says so."""
    from matplotlib.figure import Figure

    from qbattery.studies.gallery import plot_power_scaling

    N = np.array([1, 2, 4])
    ds = xr.Dataset(
        {
            "power_mean": (("N", "sample"), 2.0 * N[:, None]),
            "power_nsr": (("N", "sample"), 1.0 / N[:, None]),
            "power_bound": (("N", "sample"), np.full((3, 1), bound)),
        },
        coords={"N": N, "sample": [0]},
        attrs={"model": "toy"},
    )
    drawn = plot_power_scaling(ds, Figure().subplots(1, 2))
    assert ("trivial" in drawn["Eq. (5) bound"].get_label()) is trivial
    assert drawn["toy: ⟨P⟩ at t* (∝ N^1.00)"].get_label().endswith(r"($\propto N^{1.00}$)")


def test_gallery_command_writes_files(tmp_path) -> None:
    from qbattery.cli import main

    code = main(["gallery", "--out", str(tmp_path), "--model", "tavis_cummings", "--quick"])
    assert code == 0
    names = {p.name for p in tmp_path.iterdir()}
    for stem in ("gallery_tavis_cummings", "distribution_tavis_cummings"):
        assert {f"{stem}.png", f"{stem}.pdf", f"{stem}.nc"} <= names
    rows = (tmp_path / "exponents.csv").read_text().splitlines()
    assert rows[0].startswith("model,N,power_exponent")
    assert rows[1].startswith("tavis_cummings,1-8,")
    ds = xr.open_dataset(tmp_path / "gallery_tavis_cummings.nc")
    assert ds.power_nsr.attrs["eq"] == "(4)"
    ds.close()
    dist = xr.open_dataset(tmp_path / "distribution_tavis_cummings.nc")
    assert dist.work_distribution.dims == ("time", "work_value")
    np.testing.assert_allclose(dist.work_distribution.sum("work_value"), 1.0, rtol=1e-12)
    np.testing.assert_allclose(dist.power_distribution.sum("power_value"), 1.0, rtol=1e-12)
    dist.close()


def test_gallery_unknown_model() -> None:
    from qbattery.studies.gallery import power_scaling

    with pytest.raises(InvalidInputError, match="unknown gallery model 'ising'"):
        power_scaling("ising")


def test_plot_distribution_bins_many_values() -> None:
    import matplotlib.pyplot as plt

    from qbattery.plotting import plot_distribution

    da = qb.distribution(qb.models.tavis_cummings(4, coupling=0.3), [0.5, 2.0], "power")
    assert da.sizes["value"] > 10
    mesh = plot_distribution(da, bins=10)
    drawn = np.asarray(mesh.get_array()).reshape(10, 2)
    np.testing.assert_allclose(drawn.sum(axis=0), 1.0, rtol=1e-12)  # mass is kept per time
    assert drawn.min() < 0  # a quasi-distribution
    plt.close("all")
