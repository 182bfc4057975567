"""Krylov engine and Lanczos propagator against scipy.linalg.expm and the dense engine."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import qbattery as qb
from qbattery.engines.dense import DenseEngine
from qbattery.engines.krylov import KrylovEngine, LanczosPropagator
from qbattery.errors import EngineError, MemoryLimitError
from qbattery.operators import PauliSum, ProductState
from qbattery.statistics import variance
from tests.strategies import random_hermitian, random_ket

RTOL = 1e-9


def _close(a, b, rtol=RTOL, scale=None):
    a, b = np.asarray(a), np.asarray(b)
    scale = max(float(np.max(np.abs(b))) if scale is None else scale, 1e-300)
    np.testing.assert_allclose(a, b, rtol=rtol, atol=rtol * scale)


def _compare_moments(bat, times, **kw):
    ref = DenseEngine(bat).moments(times)
    eng = KrylovEngine(bat, **kw)
    got = eng.moments(times)
    for which in ("work", "power"):
        r, g = ref.observable(which), got.observable(which)
        _close(g.mean, r.mean)
        _close(g.second, r.second)
        # cross0 is a difference of O(second + var0) terms (it may vanish exactly)
        _close(g.cross0, r.cross0, scale=float(np.max(r.second) + r.var0))
        _close(variance(g), variance(r))
        assert g.var0 == pytest.approx(r.var0, rel=1e-12, abs=1e-12)
    _close(
        got.cross,
        ref.cross,
        scale=float(np.sqrt(np.max(ref.work.second) * np.max(ref.power.second))),
    )
    _close(got.fidelity, ref.fidelity)
    return eng


@pytest.mark.parametrize(
    "m_max", [pytest.param(12, id="m12-many-windows"), pytest.param(30, id="m30")]
)
def test_propagator_matches_expm(rng, m_max):
    d = 40
    H = random_hermitian(rng, d)
    V0 = np.stack([random_ket(rng, d), np.zeros(d), 2.5 * random_ket(rng, d)])
    prop = LanczosPropagator(lambda v: v @ H.T, d, tol=1e-13, m_max=m_max)
    times = np.array([0.0, 0.3, 1.7, 4.0])
    kets = {}

    def on_window(win):
        inside = times[(times >= win.t0) & (times <= win.t1)]
        for t, k in zip(inside, win.kets(inside), strict=True):
            kets[float(t)] = k

    t_end, v_end = prop.cover(V0, 0.0, 4.0, on_window)
    assert t_end == 4.0
    for t in times:
        ref = V0 @ sla.expm(-1j * H * t).T
        np.testing.assert_allclose(kets[float(t)], ref, atol=1e-11)
    np.testing.assert_allclose(v_end, V0 @ sla.expm(-4j * H).T, atol=1e-11)
    if m_max == 12:
        assert prop.windows > 3  # the span was cut into several error-controlled windows


def test_propagator_invariant_subspace_is_exact(rng):
    d = 12
    H = random_hermitian(rng, d)
    _, vecs = np.linalg.eigh(H)
    v = (vecs[:, 0] + vecs[:, 1]) / np.sqrt(2)  # a 2-dimensional Krylov space
    prop = LanczosPropagator(lambda x: x @ H.T, d, tol=1e-14, m_max=10)
    wins = []
    prop.cover(v[None, :], 0.0, 50.0, wins.append)
    assert len(wins) == 1
    assert wins[0].columns[0].exact
    assert wins[0].columns[0].size == 2
    np.testing.assert_allclose(wins[0].kets([50.0])[0, 0], sla.expm(-50j * H) @ v, atol=1e-11)


@given(st.integers(0, 2**32 - 1), st.integers(2, 24))
def test_moments_match_dense_on_random_batteries(seed, d):
    rng = np.random.default_rng(seed)
    bat = qb.Battery(random_hermitian(rng, d), random_hermitian(rng, d), random_ket(rng, d))
    _compare_moments(bat, np.array([0.0, 0.4, 1.1, 2.5]))


@pytest.mark.parametrize(
    "kind", [pytest.param("pauli", id="paulisum"), pytest.param("sparse", id="sparse")]
)
def test_operator_types_and_many_windows(rng, kind):
    n = 7
    terms = [(rng.normal(), "".join(rng.choice(list("IXYZ"), n))) for _ in range(10)]
    H0 = PauliSum.single_site(n, "Z", -0.5) + PauliSum.from_terms([(0.3, {0: "Z", 1: "Z"})], n=n)
    HC = PauliSum.from_terms(terms, n=n)
    HC = (HC + HC.adjoint()) / 2
    if kind == "sparse":
        H0, HC = H0.to_sparse(), HC.to_sparse()
    bat = qb.Battery(H0, HC, ProductState.zeros(n))
    eng = _compare_moments(bat, np.linspace(0, 6, 13), basis_budget=1)  # k = 8 per ket
    assert eng.stats["windows"] > 1


def test_fisher_matches_dense_at_any_times(rng):
    bat = qb.models.ising(6, 2, variant="tfim")
    dense, kry = DenseEngine(bat), KrylovEngine(bat, basis_budget=1)
    times = np.array([[2.5, 0.0], [0.7, 2.5]])  # any shape, order, duplicates
    for which in ("work", "power"):
        _close(kry.fisher(times, which).ravel(), dense.fisher(times.ravel(), which))
        grid = np.linspace(0, 3, 7)
        np.testing.assert_allclose(
            kry.angle(grid, which), dense.angle(grid, which), rtol=1e-9, atol=1e-12
        )


def test_power_fisher_needs_eigenspaces():
    bat = qb.models.ising(5, 2, variant="tfim")
    eng = KrylovEngine(bat, eig_max_dim=8)
    assert eng.fisher(np.array([1.0]), "power") is None
    assert "eigenspaces of P0" in eng.notes["power_fisher"]
    assert eng.fisher(np.array([1.0]), "work") is not None  # H0 is diagonal


def test_charge_reports_missing_power_bound(monkeypatch):
    monkeypatch.setattr("qbattery.engines.krylov.EIG_MAX_DIM", 8)
    bat = qb.models.ising(5, 3, variant="tfim")
    ds = qb.charge(bat, np.linspace(0, 2, 5), engine="krylov", ergotropy=False)
    assert np.all(np.isnan(ds.power_bound))
    assert "eigenspaces of P0" in ds.power_bound.attrs["note"]
    assert np.all(np.isfinite(ds.work_bound[1:]))
    assert ds.attrs["engine"] == "krylov"


def test_values_at_time_zero_are_exact():
    bat = qb.models.ising(6, 3, variant="tfim")
    m = KrylovEngine(bat).moments(np.array([0.0, 0.5]))
    for which in ("work", "power"):
        o = m.observable(which)
        assert o.mean[0] == 0.0
        assert o.second[0] == 0.0
        assert o.cross0[0] == 0.0
    assert m.cross[0] == 0.0
    assert m.fidelity[0] == 1.0


def test_accuracy_near_zero_time():
    # documented: absolute error ≈ (w·tol + kε)‖O0‖²; at t = 1e-3 the mean ∝ t² keeps
    # ~1e-7 relative accuracy against the dense engine's cancellation-free form
    bat = qb.models.ising(6, 2, variant="tfim")
    t = np.array([1e-3])
    ref = DenseEngine(bat).moments(t).work.mean
    got = KrylovEngine(bat).moments(t).work.mean
    scale = float(np.max(np.abs(bat.dense("H0")))) ** 2
    assert abs(got[0] - ref[0]) <= 1e-12 * scale
    assert abs(got[0] - ref[0]) <= 1e-6 * abs(ref[0])


def test_mixed_state_is_refused_with_alternatives(rng):
    d = 4
    rho = np.diag([0.5, 0.5, 0.0, 0.0])
    bat = qb.Battery(random_hermitian(rng, d), random_hermitian(rng, d), rho)
    assert "mixed density matrix" in KrylovEngine.supports(bat)
    with pytest.raises(
        EngineError,
        match=r"engine 'krylov' cannot run this battery: .*"
        r"mixed density matrix; use one of \['dense'",
    ):
        qb.charge(bat, [0.0, 1.0], engine="krylov")
    with pytest.raises(EngineError, match=r"propagates kets"):
        KrylovEngine(bat)


def test_memory_limit_fails_at_once(monkeypatch):
    monkeypatch.setenv("QBATTERY_MEMORY_LIMIT", str(10 * 1024**2))
    bat = qb.models.ising(16, 2, variant="tfim", normalize=False)
    with pytest.raises(
        MemoryLimitError,
        match=r"engine 'krylov' for dimension 65536 needs about .* "
        r"but only 10 MiB is available",
    ):
        qb.charge(bat, [0.0, 1.0], engine="krylov")


def test_pure_density_matrix_is_accepted(rng):
    d = 6
    psi = random_ket(rng, d)
    bat = qb.Battery(random_hermitian(rng, d), random_hermitian(rng, d), np.outer(psi, psi.conj()))
    assert KrylovEngine.supports(bat) is None
    _compare_moments(bat, np.array([0.3, 1.0]))


def test_charge_is_silent_with_progress(capfd):
    bat = qb.models.ising(6, 2, variant="tfim")
    for flag in (None, True, False):
        qb.charge(bat, np.linspace(0, 1, 3), engine="krylov", progress=flag, ergotropy=False)
    captured = capfd.readouterr()
    assert captured.out == ""
    assert captured.err == ""


def test_dense_sparse_and_pauli_batteries_agree(rng):
    n = 5
    H0 = PauliSum.single_site(n, "Z", -1.0)
    HC = PauliSum.sliding(n, 2, "X", 0.7) + PauliSum.single_site(n, "Y", 0.2)
    psi = random_ket(rng, 2**n)
    t = np.linspace(0, 3, 5)
    results = []
    for a, b in ((H0, HC), (H0.to_sparse(), HC.to_sparse()), (H0.to_dense(), HC.to_dense())):
        bat = qb.Battery(a, b, psi)
        results.append(KrylovEngine(bat).moments(t))
    for other in results[1:]:
        _close(other.power.second, results[0].power.second, rtol=1e-11)
        _close(other.cross, results[0].cross, rtol=1e-11)


def test_sparse_hamiltonian_with_complex_entries(rng):
    d = 10
    H0 = sp.csr_array(np.diag(rng.normal(size=d)))
    HC = sp.csr_array(random_hermitian(rng, d))
    _compare_moments(qb.Battery(H0, HC, random_ket(rng, d)), np.array([0.5, 2.0]))


@pytest.mark.slow
def test_models_n12_match_dense():
    for bat in (qb.models.ising(12, 2, variant="tfim"), qb.models.kbody(12, 5)):
        _compare_moments(bat, np.linspace(0, 8, 9))


@pytest.mark.slow
def test_ising20_tfim_fits_in_2_gib():
    import tracemalloc

    bat = qb.models.ising(20, 2, variant="tfim")
    tracemalloc.start()
    ds = qb.charge(bat, np.linspace(0, 20, 201), engine="krylov", ergotropy=False)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert peak < 2 * 1024**3
    assert np.all(np.isfinite(ds.work_nsr[1:]))
    assert np.all(np.isfinite(ds.work_bound[1:]))
    assert np.all(ds.work_nsr[1:] >= ds.work_bound[1:] - 1e-9)


def test_progress_bar_shows_only_on_a_terminal():
    import io

    from rich.console import Console

    from qbattery import _progress

    buf = io.StringIO()
    console = Console(file=buf, force_terminal=True, width=80)
    with _progress.task("demo work", 4, enabled=True, console=console) as bar:
        for _ in range(4):
            bar.advance()
        assert bar.shown
    assert "demo work" in buf.getvalue()
    quiet = io.StringIO()
    with _progress.task(
        "demo", 2, enabled=False, console=Console(file=quiet, force_terminal=True)
    ) as bar:
        bar.advance(2)
        assert not bar.shown
    with _progress.task("demo", 2, enabled=True) as bar:  # stderr is not a terminal here
        bar.advance(2)
        assert not bar.shown
    assert quiet.getvalue() == ""
    assert not _progress.is_terminal(io.StringIO())


def test_evolved_states_and_battery_ergotropy_match_dense() -> None:
    """|ψ_t⟩ by a second Lanczos run (up to the dense engine's global phase) and, from it,
    the cells' reduced-state ergotropy of a Dicke battery, against the dense engine."""
    bat = qb.models.dicke(12)
    t = np.linspace(0.0, 2.0, 11)
    _, kry = KrylovEngine(bat).evolved_states(t)
    _, ref = DenseEngine(bat).evolved_states(t)
    overlap = np.abs(np.sum(kry.conj() * ref, axis=1))
    np.testing.assert_allclose(overlap, 1.0, rtol=0, atol=1e-10)
    a = qb.charge(bat, t, engine="krylov", bounds=False)
    b = qb.charge(bat, t, engine="dense", bounds=False)
    scale = float(np.max(np.abs(b.battery_ergotropy)))
    assert scale > 1.0
    np.testing.assert_allclose(
        a.battery_ergotropy, b.battery_ergotropy, rtol=1e-9, atol=1e-12 * scale
    )
    assert "battery_ergotropy" not in a.attrs.get("notes", "")
