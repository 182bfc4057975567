"""Cumulants beyond the second (Eq. A2) on the structured k-body engine.

The engine sums the cumulants of the independent blocks, each from the dense engine on
a two-level block battery. Independent routes checked here:

* the dense engine on the whole 2^N battery (N ≤ 12, remainder blocks included);
* the engine's own mean and variance (κ_1, κ_2);
* at N = 10⁶, block additivity in closed form: ⌊N/k⌋ κ^{(k)} + κ^{(r)} with the block
  cumulants from a dense run of the literal m-spin block ``kbody(m, m)`` (2^m states,
  not the two-level reduction the engine uses) and from the block's closed-form
  distribution (docs/beyond.md: work Bernoulli on {0, mω0}; power 0: c², ±2a: s²/2,
  ±a: ±sc).

Tolerance: 1e-10 relative, with an absolute floor of 1e-10 × max_t |κ_n| per order
(cumulants cross zero).
"""

from __future__ import annotations

import numpy as np
import pytest

import qbattery as qb
from qbattery.distribution import cumulants_from_moments
from qbattery.engines.structured import StructuredEngine

RTOL = 1e-10
ORDER = 6
EPS = np.finfo(float).eps
OBS = ("work", "power")


def assert_cumulants(got: np.ndarray, want: np.ndarray, rtol: float = RTOL) -> None:
    """(order, nt) arrays agree to ``rtol``, floor ``rtol`` × max_t |κ_n| per order."""
    assert got.shape == want.shape
    for n in range(want.shape[0]):
        floor = rtol * float(np.max(np.abs(want[n])))
        np.testing.assert_allclose(got[n], want[n], rtol=rtol, atol=floor, err_msg=f"κ_{n + 1}")


def stacked(ds, which: str, order: int = ORDER) -> np.ndarray:
    return np.stack([ds[f"{which}_cumulant_{n}"].values for n in range(1, order + 1)])


def unit_times(bat: qb.Battery) -> np.ndarray:
    """Times covering more than a period of the block rotation Ω_k t (zero included)."""
    p = bat.params
    N, k = p.get("N", 1), p.get("k", 1)
    Omega_k = k / N * p["Omega0"]
    return np.array([0.0, 0.3, 0.7, 1.2, 2.0, 2.9, 4.4]) / Omega_k


# ---- structured vs dense on the whole battery -----------------------------------------

SMALL = [
    pytest.param(lambda: qb.models.single_qubit(omega0=1.3, Omega0=0.7), id="single-qubit"),
    pytest.param(lambda: qb.models.kbody(6, 1), id="N6-k1"),
    pytest.param(lambda: qb.models.kbody(7, 2, omega0=0.8, Omega0=1.7), id="N7-k2-rem1"),
    pytest.param(lambda: qb.models.kbody(8, 3), id="N8-k3-rem2"),
    pytest.param(lambda: qb.models.kbody(8, 4, omega0=1.4, Omega0=0.6), id="N8-k4"),
    pytest.param(lambda: qb.models.kbody(6, 6), id="N6-collective"),
]
# the dense reference diagonalises W0, P0 and H at 2^N: seconds each from N = 9 on
SMALL_SLOW = [
    pytest.param(lambda: qb.models.kbody(10, 4, omega0=1.4, Omega0=0.6), id="N10-k4-rem2"),
    pytest.param(lambda: qb.models.kbody(9, 9), id="N9-collective"),
    pytest.param(lambda: qb.models.kbody(12, 5, omega0=0.9, Omega0=1.3), id="N12-k5-rem2"),
]


@pytest.mark.parametrize(
    "make", SMALL + [pytest.param(*p.values, marks=pytest.mark.slow, id=p.id) for p in SMALL_SLOW]
)
def test_structured_cumulants_match_dense(make) -> None:
    bat = make()
    t = unit_times(bat)
    opts = {"cumulants": ORDER, "bounds": False, "ergotropy": False}
    ds = qb.charge(bat, t, engine="structured", **opts)
    ref = qb.charge(bat, t, engine="dense", **opts)
    assert ds.attrs["engine"] == "structured"
    eng = StructuredEngine(bat)
    for which in OBS:
        want = stacked(ref, which)
        assert_cumulants(stacked(ds, which), want)  # through qb.charge
        assert_cumulants(eng.counting_cumulants(t, which, ORDER), want)  # engine, direct
        for name in ("skewness", "kurtosis"):
            assert "note" not in ds[f"{which}_{name}"].attrs


@pytest.mark.parametrize("make", SMALL)
def test_first_two_cumulants_are_mean_and_variance(make) -> None:
    bat = make()
    t = unit_times(bat)
    ds = qb.charge(bat, t, engine="structured", cumulants=2, bounds=False, ergotropy=False)
    for which in OBS:
        mean, var = ds[f"{which}_mean"].values, ds[f"{which}_var"].values
        scale = float(np.max(np.abs(mean)))
        np.testing.assert_allclose(ds[f"{which}_cumulant_1"], mean, rtol=RTOL, atol=RTOL * scale)
        np.testing.assert_allclose(
            ds[f"{which}_cumulant_2"], var, rtol=RTOL, atol=RTOL * float(np.max(var))
        )


# ---- block additivity at N = 10⁶ --------------------------------------------------------


def block_closed_form(m: int, Omega_k: float, t: np.ndarray, which: str) -> np.ndarray:
    """Cumulants (ORDER, nt) of one m-spin block from its closed-form distribution."""
    omega0 = 1.0
    c, s = np.cos(Omega_k * t), np.sin(Omega_k * t)
    n = np.arange(1, ORDER + 1)[:, None]
    if which == "work":  # 0 with c², mω0 with s²
        raw = (m * omega0) ** n * s**2
    else:  # a = mω0Ω_k: 0: c², ±2a: s²/2, +a: sc, −a: −sc
        a = m * omega0 * Omega_k
        raw = (2 * a) ** n * s**2 / 2 * (1 + (-1.0) ** n) + a**n * s * c * (1 - (-1.0) ** n)
    return cumulants_from_moments(raw)


def block_dense(m: int, Omega_k: float, t: np.ndarray, which: str) -> np.ndarray:
    """Cumulants of the literal m-spin block kbody(m, m) (all 2^m states), dense engine."""
    block = qb.models.kbody(m, m, 1.0, Omega_k)  # Ω_m = (m/m)·Ω_k
    ds = qb.charge(block, t, engine="dense", cumulants=ORDER, bounds=False, ergotropy=False)
    return stacked(ds, which)


LARGE = [
    pytest.param(10**6, 2, id="N1e6-k2"),
    pytest.param(10**6, 3, id="N1e6-k3-rem1"),
    pytest.param(10**6, 7, id="N1e6-k7-rem1"),
]


@pytest.mark.parametrize(("N", "k"), LARGE)
@pytest.mark.parametrize("which", OBS)
def test_large_n_block_additivity(N: int, k: int, which: str) -> None:
    bat = qb.models.kbody(N, k)
    Omega_k = k / N
    t = unit_times(bat)
    n, r = divmod(N, k)
    sizes = [(k, n)] + ([(r, 1)] if r else [])
    closed = sum(count * block_closed_form(m, Omega_k, t, which) for m, count in sizes)
    dense = sum(count * block_dense(m, Omega_k, t, which) for m, count in sizes)
    assert_cumulants(dense, closed)  # the two block routes agree
    eng = StructuredEngine(bat)
    got = eng.counting_cumulants(t, which, ORDER)
    assert_cumulants(got, dense)
    # κ_1 and κ_2 against the engine's closed-form mean and variance (Eq. 8, E3–E7)
    ds = qb.charge(bat, t, cumulants=ORDER, bounds=False)
    assert ds.attrs["engine"] == "structured"
    assert_cumulants(got[:2], np.stack([ds[f"{which}_mean"].values, ds[f"{which}_var"].values]))
    # qb.charge takes the engine's own cumulants (no round trip through moments, which
    # from κ_4 on loses up to ε·n!·κ_2^{n/2}, e.g. 7e-5 relative for κ_6 at N = 10⁶)
    assert_cumulants(stacked(ds, which), got, rtol=1e-14)


def test_ising_has_no_higher_cumulants_on_structured() -> None:
    bat = qb.models.ising(6, 2)
    ds = qb.charge(bat, [0.5, 1.0], engine="structured", cumulants=4, bounds=False)
    np.testing.assert_allclose(ds.work_cumulant_1, ds.work_mean, rtol=1e-14)
    np.testing.assert_allclose(ds.power_cumulant_2, ds.power_var, rtol=1e-14)
    assert np.all(np.isnan(ds.work_cumulant_3))
    assert np.all(np.isnan(ds.power_kurtosis))
    assert "structured Ising solver" in ds.work_cumulant_3.attrs["note"]
    assert "engine='dense'" in ds.power_kurtosis.attrs["note"]
