"""Structured engine: against dense (N ≤ 12), closed forms (N = 10⁶), brute force.

Independent routes:

* dense eigendecomposition (raw Moments, Fisher information, angles, all 13 variables);
* kbody at N = 10⁶: Eq. (8), (E3)–(E7) and SPEC §2's remainder block, written out below;
* ising work sectors: brute-force enumeration of all window subsets (T-space);
* ising light-cone class counting at N = 1000: exact extensivity, Q(N) affine in N for
  unnormalised chains, extrapolated from dense-verified N = 3s − 3, 3s − 2.
"""

from __future__ import annotations

import weakref
from fractions import Fraction
from itertools import combinations

import numpy as np
import pytest

import qbattery as qb
from qbattery.engines.dense import DenseEngine
from qbattery.engines.structured import StructuredEngine
from qbattery.engines.structured.ising import IsingPaperSolver
from qbattery.engines.structured.lightcone import pair_classes, window_ranges
from qbattery.engines.structured.sectors import (
    PiecewiseChebyshev,
    quarter_period_angle,
    work_information,
    work_information_full,
)
from qbattery.engines.structured.trigpoly import TrigPoly
from qbattery.errors import EngineError

#: agreement between exact engines (SPEC §4)
RTOL = 1e-9
VARIABLES = (
    "work_mean",
    "work_var",
    "work_nsr",
    "power_mean",
    "power_var",
    "power_nsr",
    "nsr_product",
    "tradeoff_bound",
    "work_angle",
    "power_angle",
    "work_bound",
    "power_bound",
    "fidelity",
)


def assert_close(actual, expected, *, rtol: float = RTOL, scale=None) -> None:
    """|a − e| ≤ rtol (|e| + scale) elementwise; scale = max|e| unless given (a number or
    an array, e.g. the size of the terms a difference cancels)."""
    actual, expected = np.asarray(actual), np.asarray(expected)
    if scale is None:
        scale = float(np.max(np.abs(expected))) if expected.size else 0.0
    bad = np.abs(actual - expected) > rtol * (np.abs(expected) + scale)
    if np.any(bad):
        i = np.flatnonzero(bad.ravel())[:4]
        raise AssertionError(
            f"{bad.sum()} of {bad.size} differ beyond rtol={rtol:g}: at {i.tolist()} "
            f"actual {actual.ravel()[i]}, expected {expected.ravel()[i]}"
        )


def kbody_times(bat: qb.Battery) -> np.ndarray:
    """0, a dense grid and times beyond a quarter period of Ω_k t."""
    Om = bat.structure["k"] / bat.structure["N"] * bat.structure["Omega0"]
    return np.linspace(0.0, 2.2 * np.pi / abs(Om), 23)


def ising_times(bat: qb.Battery) -> np.ndarray:
    """0, gt up to 1.7 π (several quarter periods), and gt = π/2 exactly (q = 1)."""
    solver = IsingPaperSolver(bat.structure)
    g = abs(solver.g)
    return np.unique(np.r_[np.linspace(0.0, 1.7 * np.pi / g, 21), np.pi / (2 * g)])


KBODY = [
    pytest.param(lambda: qb.models.single_qubit(0.7, 1.3), id="single-qubit"),
    pytest.param(lambda: qb.models.kbody(2, 1), id="kbody-N2-k1"),
    pytest.param(lambda: qb.models.kbody(5, 2, 1.5, -0.8), id="kbody-N5-k2-neg"),
    pytest.param(lambda: qb.models.kbody(6, 6), id="kbody-N6-k6"),
    pytest.param(lambda: qb.models.kbody(7, 3), id="kbody-N7-k3"),
    pytest.param(lambda: qb.models.kbody(8, 3, 2.0, 0.5), id="kbody-N8-k3"),
    pytest.param(lambda: qb.models.kbody(9, 4), id="kbody-N9-k4", marks=pytest.mark.slow),
    pytest.param(lambda: qb.models.kbody(10, 5), id="kbody-N10-k5", marks=pytest.mark.slow),
    pytest.param(lambda: qb.models.kbody(12, 5), id="kbody-N12-k5", marks=pytest.mark.slow),
    pytest.param(lambda: qb.models.kbody(12, 12), id="kbody-N12-k12", marks=pytest.mark.slow),
]
ISING = [
    pytest.param(lambda: qb.models.ising(2, 1), id="ising-N2-s1"),
    pytest.param(lambda: qb.models.ising(4, 2), id="ising-N4-s2"),
    pytest.param(lambda: qb.models.ising(5, 3, 1.3, -0.7), id="ising-N5-s3-neg"),
    pytest.param(lambda: qb.models.ising(6, 2, power="rate"), id="ising-N6-s2-rate"),
    pytest.param(lambda: qb.models.ising(6, 4, normalize=False), id="ising-N6-s4-raw"),
    pytest.param(lambda: qb.models.ising(7, 7), id="ising-N7-s7"),
    pytest.param(lambda: qb.models.ising(8, 3), id="ising-N8-s3"),
    pytest.param(lambda: qb.models.ising(8, 1), id="ising-N8-s1"),
    pytest.param(lambda: qb.models.ising(9, 2), id="ising-N9-s2", marks=pytest.mark.slow),
    pytest.param(lambda: qb.models.ising(10, 3), id="ising-N10-s3", marks=pytest.mark.slow),
    pytest.param(lambda: qb.models.ising(10, 2), id="ising-N10-s2", marks=pytest.mark.slow),
    pytest.param(lambda: qb.models.ising(10, 4), id="ising-N10-s4", marks=pytest.mark.slow),
    pytest.param(lambda: qb.models.ising(12, 2), id="ising-N12-s2", marks=pytest.mark.slow),
]


def _times(bat: qb.Battery) -> np.ndarray:
    return kbody_times(bat) if bat.structure["family"] == "kbody" else ising_times(bat)


@pytest.mark.parametrize("make", KBODY + ISING)
def test_raw_moments_match_dense(make):
    bat = make()
    t = _times(bat)
    ref = dense_engine(bat).moments(t)
    got = StructuredEngine(bat).moments(t)
    for which in ("work", "power"):
        a, e = got.observable(which), ref.observable(which)
        assert_close(a.mean, e.mean)
        assert_close(a.second, e.second)
        assert_close(a.cross0, e.cross0, scale=float(np.max(e.second)))
        assert_close(a.var0, e.var0, scale=float(np.max(e.second)))
        assert a.var is not None
        assert_close(a.var, e.second - e.mean**2, scale=float(np.max(e.second)))
    # ⟨𝒫𝒲⟩ vanishes for one block; compare on the scale of ⟨𝒫⟩⟨𝒲⟩
    pw = float(np.max(np.abs(ref.power.mean * ref.work.mean)))
    assert_close(got.cross, ref.cross, scale=max(pw, float(np.max(np.abs(ref.cross)))))
    assert_close(got.fidelity, ref.fidelity)


#: the dense power angle at N = 12 takes ~10 dense-engine minutes: the contract test
#: (tests/test_engine_contract.py) covers it for ising(12, 2); here the Fisher information
ANGLE_CASES = [
    pytest.param(p.values[0], which, id=f"{which}-{p.id}", marks=p.marks)
    for p in KBODY + ISING
    for which in ("work", "power")
    if not (which == "power" and "N12" in p.id)
]

_DENSE: weakref.WeakKeyDictionary[qb.Battery, DenseEngine] = weakref.WeakKeyDictionary()


def dense_engine(bat: qb.Battery) -> DenseEngine:
    """One dense eigendecomposition per (cached) model battery and test worker."""
    if bat not in _DENSE:
        _DENSE[bat] = DenseEngine(bat)
    return _DENSE[bat]


@pytest.mark.parametrize("make", KBODY + ISING)
@pytest.mark.parametrize("which", ["work", "power"])
def test_fisher_matches_dense(make, which):
    bat = make()
    t = _times(bat)
    assert_close(StructuredEngine(bat).fisher(t, which), dense_engine(bat).fisher(t, which))


@pytest.mark.parametrize(("make", "which"), ANGLE_CASES)
def test_angle_matches_dense(make, which):
    bat = make()
    t = _times(bat)
    assert_close(StructuredEngine(bat).angle(t, which), dense_engine(bat).angle(t, which))


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda: qb.models.kbody(7, 3), id="kbody-N7-k3"),
        pytest.param(lambda: qb.models.ising(8, 3), id="ising-N8-s3"),
        pytest.param(lambda: qb.models.ising(6, 2, 2.0, 1.0, power="rate"), id="ising-N6-s2"),
    ],
)
def test_charge_dataset_matches_dense(make):
    bat = make()
    # off the points where ⟨𝒫⟩ or ⟨𝒲⟩ vanish (NSRs ±inf or ill-conditioned for both)
    t = _times(bat)[-1] * (np.arange(1, 14) / 14.3 + 0.011)
    ds = qb.charge(bat, t, engine="structured")
    ref = qb.charge(bat, t, engine="dense")
    assert ds.attrs["engine"] == "structured"
    for name in VARIABLES:
        a, e = ds[name].values, ref[name].values
        np.testing.assert_array_equal(np.isfinite(a), np.isfinite(e), err_msg=name)
        fin = np.isfinite(e)
        assert_close(a[fin], e[fin], scale=float(np.max(np.abs(e[fin]))))


def test_auto_picks_structured_with_reason():
    ds = qb.charge(qb.models.ising(6, 2), np.linspace(0.1, 3.0, 4))
    assert ds.attrs["engine"] == "structured"
    assert "exact structured solution" in ds.attrs["engine_reason"]


# ---- kbody at N = 10⁶ against the closed forms ----------------------------------------
def kbody_closed_forms(N: int, k: int, omega0: float, Omega0: float, t: np.ndarray):
    """Eq. (8), (E3)–(E7) with SPEC §2's remainder block, (B8) and Eq. (5) written out;
    also the size of the terms that the bounds cot²θ − f cancel."""
    n, r = divmod(N, k)
    Q2 = n * k**2 + r**2  # Σ_j m_j²
    B = n + (1 if r else 0)  # number of blocks
    Om = k / N * Omega0
    phi = Om * t
    wm = N * omega0 * np.sin(phi) ** 2
    wv = Q2 * omega0**2 / 4 * np.sin(2 * phi) ** 2
    pm = N * Om * omega0 * np.sin(2 * phi)
    pv = 4 * Q2 * Om**2 * omega0**2 * np.sin(phi) ** 4
    theta = abs(Om) * t * np.sqrt(B)  # I = 4Ω_k² B
    cot2 = 1 / np.tan(np.minimum(theta, np.pi / 2)) ** 2
    c2 = np.cos(2 * phi)
    power_f = 2 * Q2 * (c2 + np.abs(c2)) / (N**2 * np.sin(2 * phi) ** 2)
    product = (Q2 / N**2) ** 2 * np.ones_like(t)
    terms = {"work_bound": cot2, "power_bound": cot2 + np.abs(power_f)}  # cot² − f cancels
    return terms, {
        "work_mean": wm,
        "work_var": wv,
        "work_nsr": Q2 / N**2 / np.tan(phi) ** 2,
        "power_mean": pm,
        "power_var": pv,
        "power_nsr": Q2 / N**2 * np.tan(phi) ** 2,
        "nsr_product": product,
        "tradeoff_bound": product,  # Eq. (6) saturates
        "work_angle": theta,
        "power_angle": theta,
        "work_bound": cot2,  # f(W0, W_t) = 0: |0…0⟩ is an eigenstate of W0
        "power_bound": cot2 - power_f,
        "fidelity": np.cos(phi) ** (2 * B),
    }


@pytest.mark.parametrize(
    ("N", "k"),
    [
        pytest.param(10**6, 1, id="kbody-N1e6-k1"),
        pytest.param(10**6, 7, id="kbody-N1e6-k7"),
        pytest.param(10**6, 1000, id="kbody-N1e6-k1000"),
        pytest.param(10**6, 999_999, id="kbody-N1e6-kN-1"),
        pytest.param(10**6, 10**6, id="kbody-N1e6-kN"),
    ],
)
def test_kbody_million_spins_closed_forms(N, k):
    omega0, Omega0 = 1.3, 0.9
    Om = k / N * Omega0
    t = np.linspace(0.01, 0.24, 201) * np.pi / Om  # Ω_k t < π/4: every bound nontrivial
    ds = qb.charge(qb.models.kbody(N, k, omega0, Omega0), t)
    assert ds.attrs["engine"] == "structured"
    terms, expected = kbody_closed_forms(N, k, omega0, Omega0, t)
    for name, values in expected.items():
        # N = 10⁶, k = 1: ⟨𝒫𝒲⟩ − ⟨𝒫⟩⟨𝒲⟩ is 10⁻⁶ of ⟨𝒫⟩⟨𝒲⟩, so the trade-off bound
        # (computed from ⟨𝒫𝒲⟩ by bounds.tradeoff_bound) keeps only N·1e-16 relative
        rtol = 1e-8 if name == "tradeoff_bound" else 1e-10
        assert_close(ds[name].values, values, rtol=rtol, scale=terms.get(name, 0.0))


def test_kbody_eq8_for_divisible_n():
    """N/k integer: Q₂ = Nk and Eq. (8) 𝒩^W = (k/N)cot², 𝒩^P = (k/N)tan², product k²/N²."""
    N, k = 10**6, 250
    t = np.linspace(1.0, 3000.0, 201)
    ds = qb.charge(qb.models.kbody(N, k), t)
    x = k / N * t
    assert_close(ds.work_nsr.values, k / N / np.tan(x) ** 2, rtol=1e-10, scale=0.0)
    assert_close(ds.power_nsr.values, k / N * np.tan(x) ** 2, rtol=1e-10, scale=0.0)
    assert_close(ds.nsr_product.values, np.full(t.size, (k / N) ** 2), rtol=1e-10, scale=0.0)


# ---- ising: independent checks at larger N -----------------------------------------------
def brute_force_work_information(N: int, s: int, q: float) -> float:
    """K(q) = q(1−q) Σ_n (∂_q p_n)²/p_n by enumerating every subset T of the L windows."""
    L = N - s + 1
    counts: dict[tuple[int, int], int] = {}
    for m in range(L + 1):
        for T in combinations(range(L), m):
            flips = np.zeros(N, dtype=int)
            for j in T:
                flips[j : j + s] ^= 1
            key = (int(flips.sum()), m)
            counts[key] = counts.get(key, 0) + 1
    p: dict[int, float] = {}
    dp: dict[int, float] = {}
    for (n, m), c in counts.items():
        w = c * q**m * (1 - q) ** (L - m)
        p[n] = p.get(n, 0.0) + w
        dp[n] = dp.get(n, 0.0) + w * (m - L * q) / (q * (1 - q))
    return q * (1 - q) * sum(dp[n] ** 2 / p[n] for n in p if p[n] > 0)


@pytest.mark.parametrize(
    ("N", "s"),
    [(5, 2), (9, 3), (14, 2), (15, 4), (16, 5), (13, 13), (12, 1)],
    ids=lambda v: str(v),
)
def test_work_sectors_against_enumeration(N, s):
    q = np.array([1e-7, 0.013, 0.31, 0.5, 0.77, 0.999])
    got = work_information(N, s, q, 1 - q)
    expected = [brute_force_work_information(N, s, float(x)) for x in q]
    assert_close(got, expected, rtol=1e-11, scale=0.0)


@pytest.mark.parametrize(("N", "s"), [(6, 2), (9, 3), (12, 4), (10, 10), (7, 1)])
def test_work_sector_limits(N, s):
    """K(0) = L and K(1) are the continuous limits of K(q)."""
    L = N - s + 1
    eps = np.array([1e-9])
    assert_close(work_information(N, s, eps, 1 - eps), [L], rtol=1e-7, scale=0.0)
    near_full = work_information(N, s, 1 - eps, eps)
    assert_close(near_full, [work_information_full(N, s)], rtol=1e-7, scale=float(L))


@pytest.mark.parametrize("s", [2, 3, pytest.param(4, marks=pytest.mark.slow)])
def test_ising_light_cone_extensive_at_n1000(s):
    """Unnormalised chains: every moment is affine in N from N = 3s − 3 on, so N = 1000 is
    fixed by two dense-verified sizes (N = 3s − 3, 3s − 2): checks the class counting."""
    Omega, omega0 = 0.8, 1.7
    n0 = max(3, 3 * s - 3)  # beyond, no pair of sites sees both ends of the chain
    tau_t = np.linspace(0.05, 2.0, 9)  # t, with g = Ω
    sizes = {}
    for N in (n0, n0 + 1):
        bat = qb.models.ising(N, s, omega0, Omega, normalize=False)
        sizes[N] = DenseEngine(bat).moments(tau_t)
        assert_close(StructuredEngine(bat).moments(tau_t).power.second, sizes[N].power.second)
    big = IsingPaperSolver(
        {"N": 1000, "s": s, "omega0": omega0, "Omega": Omega, "normalize": False}
    ).moments(tau_t)
    a, b = sizes[n0], sizes[n0 + 1]

    def extrapolate(x0, x1):
        return x0 + (1000 - n0) * (x1 - x0)

    for which in ("work", "power"):
        ma, mb, mbig = a.observable(which), b.observable(which), big.observable(which)
        var_a, var_b = ma.second - ma.mean**2, mb.second - mb.mean**2
        assert_close(mbig.mean, extrapolate(ma.mean, mb.mean))
        assert_close(mbig.var, extrapolate(var_a, var_b))
        big_scale = float(np.max(np.abs(mbig.second)))  # work: cross0 = 0 exactly
        assert_close(mbig.cross0, extrapolate(ma.cross0, mb.cross0), scale=big_scale)
    cov_a = a.cross - a.power.mean * a.work.mean
    cov_b = b.cross - b.power.mean * b.work.mean
    assert_close(big.cross - big.power.mean * big.work.mean, extrapolate(cov_a, cov_b))
    assert_close(big.fidelity, np.cos(Omega * tau_t) ** (2 * (1000 - s + 1)))


def test_pair_classes_against_loop():
    for N, s in [(3, 2), (7, 3), (12, 5), (20, 1), (9, 9), (11, 4)]:
        lo, hi = window_ranges(N, s)
        expected: dict[tuple[int, int, int], int] = {}
        for i in range(N):
            Ji = set(range(lo[i], hi[i] + 1))
            for l in range(N):
                Jl = set(range(lo[l], hi[l] + 1))
                if Ji & Jl:
                    key = (len(Ji - Jl), len(Ji & Jl), len(Jl - Ji))
                    expected[key] = expected.get(key, 0) + 1
        assert pair_classes(N, s) == expected, (N, s)


def test_trigpoly_exact_near_zero():
    """(cos τ − 1)² = 4 sin⁴(τ/2) to rounding at τ = 1e-5, where summing its terms
    (1.5, −2cos τ, ½cos 2τ) would lose every digit."""
    c = TrigPoly({1: Fraction(1, 2), -1: Fraction(1, 2)})  # cos τ
    p = (c - 1) * (c - 1)
    tau = np.array([1e-5, 0.3, 2.0, 40.0])
    assert_close(p(tau).real, 4 * np.sin(tau / 2) ** 4, rtol=1e-14, scale=0.0)
    assert np.max(np.abs(p(tau).imag)) < 1e-15


def test_quarter_period_angle_matches_direct_integration():
    """I(x) = (1 + cos 2x)² + 0.1 is π-periodic and even about π/2."""

    def info(x):
        return (1 + np.cos(2 * x)) ** 2 + 0.1

    from qbattery.bounds import speed_angle

    g = 0.37
    t = np.linspace(0.0, 11.0 / g, 15)
    direct = speed_angle(lambda u: info(g * u), t)
    assert_close(quarter_period_angle(info, g, t), direct, rtol=1e-10)


def test_piecewise_chebyshev_splits_a_sharp_feature():
    f = PiecewiseChebyshev(lambda x: 1 / (1 + 400 * x**2), -1.0, 1.0, rtol=1e-12)
    x = np.linspace(-1, 1, 101)
    assert_close(f(x), 1 / (1 + 400 * x**2), rtol=1e-11, scale=0.0)
    assert len(f.panels) > 1


# ---- what the engine refuses, and NaN with reasons ---------------------------------------
def test_refuses_tfim_custom_and_mixed():
    tfim = qb.models.ising(4, 2, variant="tfim")
    assert "transverse-field" in StructuredEngine.supports(tfim)
    with pytest.raises(EngineError, match=r"'structured' cannot run.*transverse-field.*use one"):
        qb.charge(tfim, [0.0, 1.0], engine="structured")
    bat = qb.models.kbody(3, 2)
    custom = qb.Battery(bat.dense("H0"), bat.dense("HC"), np.eye(8)[0])
    with pytest.raises(EngineError, match="no model structure"):
        qb.charge(custom, [0.0, 1.0], engine="structured")
    mixed = qb.Battery(
        bat.dense("H0"), bat.dense("HC"), np.eye(8) / 8, structure=dict(bat.structure)
    )
    with pytest.raises(EngineError, match="pure initial state"):
        StructuredEngine(mixed)


def test_power_bound_nan_with_reason_beyond_limit():
    st = dict(qb.models.ising(8, 2).structure)
    solver = IsingPaperSolver(st, power_max_dim=64)
    t = np.linspace(0.0, 10.0, 5)
    assert solver.fisher(t, "power") is None
    assert solver.angle(t, "power") is None
    assert "2^7 = 128-dimensional window space" in solver.notes["power_fisher"]
    assert solver.angle(t, "work") is not None
    ds = qb.charge(qb.models.ising(14, 2), np.linspace(0.5, 20.0, 5), engine="structured")
    assert np.all(np.isnan(ds.power_bound))
    assert np.all(np.isfinite(ds.work_bound))
    assert "8192-dimensional window space" in ds.power_bound.attrs["note"]


def test_work_bound_nan_with_reason_beyond_cost_limit():
    solver = IsingPaperSolver(dict(qb.models.ising(8, 2).structure), work_max_cost=100)
    t = np.linspace(0.0, 10.0, 5)
    assert solver.fisher(t, "work") is None
    assert solver.angle(t, "work") is None
    assert "2^1·L·N = 1.1e+02 operations each (limit 1e+02" in solver.notes["work_fisher"]


@pytest.mark.slow
def test_ising_n14_against_krylov():
    from qbattery.engines import REGISTRY

    if "krylov" not in REGISTRY:
        pytest.fail("the Krylov engine is not registered")
    bat = qb.models.ising(14, 2)
    t = ising_times(bat)
    ref = REGISTRY["krylov"](bat).moments(t)
    got = StructuredEngine(bat).moments(t)
    for which in ("work", "power"):
        a, e = got.observable(which), ref.observable(which)
        assert_close(a.mean, e.mean)
        assert_close(a.second, e.second)
    assert_close(got.fidelity, ref.fidelity)
