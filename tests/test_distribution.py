"""Full counting statistics (Eq. A2): distributions, Z(χ, t), cumulants.

Independent routes: closed forms for the single qubit and the k-body blocks (each block
is a two-level problem; blocks are independent, so the distribution is a convolution),
Z(χ, t) by direct evolution with scipy.linalg.expm, and the engine's mean and variance.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest
import scipy.linalg as sla
from hypothesis import given, settings
from hypothesis import strategies as st

import qbattery as qb
from qbattery.charge import get_engine
from qbattery.distribution import cumulants_from_moments
from qbattery.engines import REGISTRY, DenseEngine
from qbattery.engines.base import Engine
from qbattery.errors import EngineError, InvalidInputError
from tests.strategies import batteries, random_density, random_hermitian, random_ket

RTOL = 1e-10

# ---- closed forms ----------------------------------------------------------------------


def _block_work(energy: float, theta: float) -> dict[float, float]:
    """A block flipped |0…0⟩ → |1…1⟩ with probability sin²θ, gaining ``energy``."""
    return {0.0: np.cos(theta) ** 2, energy: np.sin(theta) ** 2}


def _block_power(a: float, theta: float) -> dict[float, float]:
    """Quasi-distribution of a block with P_B = −a σ_y on span{|0…0⟩, |1…1⟩} (derived in
    docs/beyond.md): 0: c², ±2a: s²/2, +a: sc, −a: −sc."""
    c, s = np.cos(theta), np.sin(theta)
    return {0.0: c * c, 2 * a: s * s / 2, -2 * a: s * s / 2, a: s * c, -a: -s * c}


def _convolve(p: dict[float, float], q: dict[float, float]) -> dict[float, float]:
    out: dict[float, float] = defaultdict(float)
    for x, px in p.items():
        for y, qy in q.items():
            out[x + y] += px * qy
    return dict(out)


def kbody_closed_form(
    N: int, k: int, t: float, observable: str, omega0: float = 1.0, Omega0: float = 1.0
) -> dict[float, float]:
    Ok = k / N * Omega0
    n, r = divmod(N, k)
    sizes = [k] * n + ([r] if r else [])
    out: dict[float, float] = {0.0: 1.0}
    for size in sizes:
        if observable == "work":
            block = _block_work(size * omega0, Ok * t)
        else:
            block = _block_power(size * Ok * omega0, Ok * t)
        out = _convolve(out, block)
    return out


def assert_matches(values: np.ndarray, weights: np.ndarray, expected: dict[float, float]) -> None:
    """Every computed weight equals the closed form at its value (0 where absent)."""
    got: dict[float, float] = defaultdict(float)
    for v, w in zip(values, weights, strict=True):
        got[round(float(v), 9)] += float(w)
    want: dict[float, float] = defaultdict(float)
    for v, w in expected.items():
        want[round(float(v), 9)] += float(w)
    for v in set(got) | set(want):
        assert got.get(v, 0.0) == pytest.approx(want.get(v, 0.0), abs=1e-12), v


# ---- distributions vs closed forms -----------------------------------------------------


@pytest.mark.parametrize("observable", ["work", "power"])
def test_single_qubit_closed_form(observable: str) -> None:
    bat = qb.models.single_qubit(omega0=1.3, Omega0=0.7)
    times = np.array([0.0, 0.2, 0.9, 2.0, 4.1])
    p = qb.distribution(bat, times, observable)
    for i, t in enumerate(times):
        exp = (
            _block_work(1.3, 0.7 * t) if observable == "work" else _block_power(0.7 * 1.3, 0.7 * t)
        )
        assert_matches(p.value.values, p.values[i], exp)
    assert p.attrs["commuting"] == (1 if observable == "work" else 0)


@pytest.mark.parametrize(
    ("N", "k"),
    [
        pytest.param(3, 1, id="kbody-N3-k1"),
        pytest.param(4, 2, id="kbody-N4-k2"),
        pytest.param(5, 2, id="kbody-N5-k2-remainder"),
        pytest.param(6, 3, id="kbody-N6-k3"),
        pytest.param(4, 4, id="kbody-N4-k4"),
    ],
)
@pytest.mark.parametrize("observable", ["work", "power"])
def test_kbody_closed_form(N: int, k: int, observable: str) -> None:
    bat = qb.models.kbody(N, k)
    times = np.array([0.3, 1.1, 2.5])
    p = qb.distribution(bat, times, observable)
    for i, t in enumerate(times):
        assert_matches(p.value.values, p.values[i], kbody_closed_form(N, k, t, observable))
    np.testing.assert_allclose(p.sum("value"), 1.0, atol=1e-12)


def test_power_is_a_quasi_distribution() -> None:
    p = qb.distribution(qb.models.single_qubit(), [1.0], "power")
    assert p.attrs["commuting"] == 0
    assert p.attrs["min_weight"] == pytest.approx(-np.sin(1.0) * np.cos(1.0), rel=1e-12)
    assert "quasi-probability" in p.attrs["long_name"]


def test_distribution_schema() -> None:
    p = qb.distribution(qb.models.kbody(4, 2), np.linspace(0, 1, 3), "work")
    assert p.dims == ("time", "value")
    assert p.name == "work_distribution"
    assert p.attrs["eq"] == "(A2)"
    assert p.attrs["engine"] == "dense"
    assert p.value.attrs["units"] == "energy"
    # energy only increases from the ground state: decreases are trimmed
    assert p.value.values.min() == 0.0


# ---- Z(χ, t) two ways --------------------------------------------------------------------


def direct_generating_function(
    H: np.ndarray, O0: np.ndarray, rho0: np.ndarray, chi: float, t: float
) -> complex:
    """Tr ρ(χ, t) with ρ(χ, t) = U(χ, t) ρ0 U†(−χ, t) (Eq. A1), by expm."""
    U = sla.expm(-1j * H * t)
    half = sla.expm(1j * chi * O0 / 2)
    U_chi = half @ U @ half.conj().T  # e^{iχO/2} U e^{−iχO/2}
    U_dag_minus = half.conj().T @ U.conj().T @ half  # e^{−iχO/2} U† e^{iχO/2}
    return complex(np.trace(U_chi @ rho0 @ U_dag_minus))


def _rho(state: np.ndarray) -> np.ndarray:
    return np.outer(state, state.conj()) if state.ndim == 1 else state


@settings(max_examples=15)
@given(batteries(max_dim=6), st.sampled_from(["work", "power"]))
def test_generating_function_spectral_vs_expm(
    bat_args: tuple[np.ndarray, np.ndarray, np.ndarray], observable: str
) -> None:
    H0, HC, state = bat_args
    bat = qb.Battery(H0, HC, state)
    chi = np.array([-1.3, -0.2, 0.0, 0.4, 2.1])
    times = np.array([0.0, 0.35, 1.7])
    Z = qb.generating_function(bat, chi, times, observable)
    O0 = bat.dense("H0") if observable == "work" else bat.dense("P0")
    for i, t in enumerate(times):
        for j, x in enumerate(chi):
            G = direct_generating_function(bat.dense("H"), O0, _rho(state), x, t)
            assert np.exp(complex(Z.values[i, j])) == pytest.approx(G, abs=RTOL)


def test_generating_function_log_matches_for_small_chi(rng: np.random.Generator) -> None:
    d = 5
    bat = qb.Battery(random_hermitian(rng, d), random_hermitian(rng, d), random_ket(rng, d))
    chi = np.linspace(-0.3, 0.3, 7)
    Z = qb.generating_function(bat, chi, [0.8], "power")
    for j, x in enumerate(chi):
        G = direct_generating_function(bat.dense("H"), bat.dense("P0"), _rho(bat.state), x, 0.8)
        assert complex(Z.values[0, j]) == pytest.approx(np.log(G), abs=RTOL)


# ---- cumulants -----------------------------------------------------------------------


def _cumulants_of(values: np.ndarray, weights: np.ndarray, order: int) -> np.ndarray:
    raw = np.array([weights @ values**n for n in range(1, order + 1)])
    return cumulants_from_moments(raw[:, None])[:, 0]


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda rng: qb.models.kbody(5, 2), id="kbody-N5-k2"),
        pytest.param(lambda rng: qb.models.ising(4, 2), id="ising-N4-s2"),
        pytest.param(
            lambda rng: qb.Battery(
                random_hermitian(rng, 6), random_hermitian(rng, 6), random_density(rng, 6, 3)
            ),
            id="random-mixed-d6",
        ),
    ],
)
def test_cumulants_match_mean_variance_and_distribution(make, rng: np.random.Generator) -> None:
    bat = make(rng)
    times = np.array([0.0, 0.4, 1.3, 3.0])
    ds = qb.charge(bat, times, engine="dense", cumulants=6, bounds=False)
    for which in ("work", "power"):
        scale = float(np.max(np.abs(bat.dense("H0" if which == "work" else "P0"))))
        mean = ds[f"{which}_mean"].values
        var = ds[f"{which}_var"].values
        np.testing.assert_allclose(ds[f"{which}_cumulant_1"], mean, rtol=RTOL, atol=RTOL * scale)
        np.testing.assert_allclose(ds[f"{which}_cumulant_2"], var, rtol=RTOL, atol=RTOL * scale**2)
        p = qb.distribution(bat, times, which, trim=0.0)
        for i in range(times.size):
            ref = _cumulants_of(p.value.values, p.values[i], 6)
            for n in range(1, 7):
                got = ds[f"{which}_cumulant_{n}"].values[i]
                assert got == pytest.approx(ref[n - 1], rel=1e-8, abs=1e-9 * scale**n)


def test_raw_counting_moments_equal_engine_moments(rng: np.random.Generator) -> None:
    """Uncentred route: m_1 = Tr(ρ0 𝒪_t), m_2 = Tr(ρ0 𝒪_t²) (Eq. A3–A4)."""
    bat = qb.Battery(random_hermitian(rng, 7), random_hermitian(rng, 7), random_ket(rng, 7))
    eng, _ = get_engine(bat, "dense")
    t = np.array([0.2, 1.0, 2.5])
    m = eng.moments(t)
    for which in ("work", "power"):
        raw = eng.counting_moments(t, which, 2)
        np.testing.assert_allclose(raw[0], m.observable(which).mean, rtol=RTOL, atol=1e-12)
        np.testing.assert_allclose(raw[1], m.observable(which).second, rtol=RTOL, atol=1e-12)


def test_single_qubit_skewness_and_kurtosis_closed_form() -> None:
    omega0, Omega0 = 2.0, 0.6
    bat = qb.models.single_qubit(omega0=omega0, Omega0=Omega0)
    t = np.array([0.3, 1.0, 2.0])
    ds = qb.charge(bat, t, engine="dense", cumulants=4, bounds=False)
    p = np.sin(Omega0 * t) ** 2  # Bernoulli on {0, ω0}
    k2 = omega0**2 * p * (1 - p)
    k3 = omega0**3 * p * (1 - p) * (1 - 2 * p)
    k4 = omega0**4 * p * (1 - p) * (1 - 6 * p * (1 - p))
    np.testing.assert_allclose(ds.work_skewness, k3 / k2**1.5, rtol=1e-9)
    np.testing.assert_allclose(ds.work_kurtosis, k4 / k2**2, rtol=1e-9)
    assert ds.work_kurtosis.attrs["eq"] == "(A2)"


@pytest.mark.parametrize(
    ("value", "match"),
    [
        pytest.param(9, "between 0 and 8", id="too-many"),
        pytest.param(-1, "between 0 and 8", id="negative"),
        pytest.param(2.0, "must be an integer", id="float"),
        pytest.param(True, "must be an integer", id="bool"),
    ],
)
def test_bad_cumulant_order(value: object, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        qb.charge(qb.models.single_qubit(), [0.1], cumulants=value)  # type: ignore[arg-type]


def test_bad_observable_and_chi() -> None:
    bat = qb.models.single_qubit()
    with pytest.raises(InvalidInputError, match="must be 'work' or 'power'"):
        qb.distribution(bat, [0.1], "heat")
    with pytest.raises(InvalidInputError, match="finite real numbers"):
        qb.generating_function(bat, [np.nan], [0.1])


class _NoFCS(DenseEngine):
    """A dense engine that pretends to have no full counting statistics."""

    name = "nofcs"
    counting_distribution = Engine.counting_distribution  # type: ignore[assignment]
    counting_moments = Engine.counting_moments  # type: ignore[assignment]


def test_engine_without_fcs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(REGISTRY, "nofcs", _NoFCS)
    bat = qb.models.kbody(4, 2)
    with pytest.raises(EngineError, match="no full counting statistics"):
        qb.distribution(bat, [0.5], engine="nofcs")
    ds = qb.charge(bat, [0.5, 1.0], engine="nofcs", cumulants=4, bounds=False)
    np.testing.assert_allclose(ds.work_cumulant_1, ds.work_mean, rtol=1e-14)
    np.testing.assert_allclose(ds.work_cumulant_2, ds.work_var, rtol=1e-14)
    assert np.all(np.isnan(ds.work_cumulant_3))
    assert np.all(np.isnan(ds.power_kurtosis))
    assert "use engine='dense'" in ds.work_cumulant_3.attrs["note"]


# ---- TPM vs FCS (kind="tpm") -------------------------------------------------------------


def direct_tpm(
    H: np.ndarray, O0: np.ndarray, rho0: np.ndarray, t: float, decimals: int = 9
) -> dict[float, float]:
    """Two projective measurements of O0, by hand: p(o_j − o_k) = Σ Tr(Π_j U Π_k ρ0 Π_k U† Π_j).

    Eigenspaces Π are found by rounding O0's eigenvalues (independent of the engine's
    grouping); U by scipy.linalg.expm.
    """
    vals, vecs = np.linalg.eigh(O0)
    levels = np.unique(np.round(vals, decimals))
    proj = []
    for o in levels:
        V = vecs[:, np.round(vals, decimals) == o]
        proj.append((float(o), V @ V.conj().T))
    U = sla.expm(-1j * H * t)
    out: dict[float, float] = defaultdict(float)
    for ok, Pk in proj:
        after_first = Pk @ rho0 @ Pk
        evolved = U @ after_first @ U.conj().T
        for oj, Pj in proj:
            out[oj - ok] += float(np.real(np.trace(Pj @ evolved)))
    return dict(out)


def _degenerate_hermitian(rng: np.random.Generator, d: int) -> np.ndarray:
    """A random Hermitian matrix with a doubly degenerate eigenvalue (in a random basis)."""
    vals = rng.integers(-2, 3, size=d).astype(float)
    vals[1] = vals[0]
    Q, _ = np.linalg.qr(rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d)))
    return (Q * vals) @ Q.conj().T


@settings(max_examples=12, deadline=None)
@given(st.integers(3, 6), st.integers(0, 2**32 - 1), st.sampled_from(["work", "power"]))
def test_tpm_matches_two_projective_measurements(d: int, seed: int, observable: str) -> None:
    rng = np.random.default_rng(seed)
    H0 = _degenerate_hermitian(rng, d)
    state = random_ket(rng, d) if seed % 2 else random_density(rng, d, 2)
    bat = qb.Battery(H0, random_hermitian(rng, d), state)
    times = np.array([0.0, 0.3, 1.7])
    p = qb.distribution(bat, times, observable, kind="tpm", trim=0.0)
    assert p.attrs["kind"] == "tpm"
    assert np.all(p.values >= -1e-12)
    O0 = bat.dense("H0" if observable == "work" else "P0")
    for i, t in enumerate(times):
        want = direct_tpm(bat.dense("H"), O0, _rho(state), float(t))
        # compare weights summed within 1e-6 of each value of either side
        centres = np.concatenate((p.value.values, np.fromiter(want, float)))
        for v in centres:
            got = float(p.values[i][np.abs(p.value.values - v) < 1e-6].sum())
            ref = sum(w for k, w in want.items() if abs(k - v) < 1e-6)
            assert got == pytest.approx(ref, abs=1e-12), (v, t)


def test_tpm_equals_fcs_for_commuting_state() -> None:
    """Talkner–Lutz–Hänggi: for ρ0 diagonal in H0 the two kinds coincide."""
    bat = qb.models.kbody(5, 2)
    times = np.array([0.4, 1.3])
    fcs = qb.distribution(bat, times, "work")
    tpm = qb.distribution(bat, times, "work", kind="tpm")
    np.testing.assert_array_equal(fcs.value.values, tpm.value.values)
    np.testing.assert_allclose(fcs.values, tpm.values, rtol=0, atol=1e-13)
    assert fcs.attrs["commuting"] == tpm.attrs["commuting"] == 1


def test_tpm_and_fcs_means_differ_with_coherences(rng: np.random.Generator) -> None:
    """With coherences in H0's eigenbasis the FCS mean is ⟨H0⟩_t − ⟨H0⟩_0 and the TPM
    mean is that of the dephased state (computed here by hand)."""
    d = 4
    H0 = np.diag(rng.normal(size=d))
    bat = qb.Battery(H0, random_hermitian(rng, d), random_ket(rng, d))
    t = 0.3
    fcs = qb.distribution(bat, [t], "work")
    tpm = qb.distribution(bat, [t], "work", kind="tpm")
    U = sla.expm(-1j * bat.dense("H") * t)
    rho = _rho(bat.state)
    rho_d = np.diag(np.diag(rho))
    mean_fcs = np.real(np.trace(U @ rho @ U.conj().T @ H0) - np.trace(rho @ H0))
    mean_tpm = np.real(np.trace(U @ rho_d @ U.conj().T @ H0) - np.trace(rho_d @ H0))
    assert float(fcs.values[0] @ fcs.value.values) == pytest.approx(mean_fcs, abs=1e-12)
    assert float(tpm.values[0] @ tpm.value.values) == pytest.approx(mean_tpm, abs=1e-12)
    assert abs(mean_fcs - mean_tpm) > 1e-3
    assert fcs.attrs["commuting"] == tpm.attrs["commuting"] == 0


def test_bad_distribution_kind() -> None:
    with pytest.raises(InvalidInputError, match="`kind` must be 'fcs' or 'tpm'"):
        qb.distribution(qb.models.single_qubit(), [0.1], kind="both")
