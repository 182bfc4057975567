"""The open-blocks engine (issue 16) against the general open engine on the full space.

Independent route: :class:`~qbattery.engines.OpenEngine` propagates the 4^N-dimensional
vectorised state of the whole battery; the blocks engine combines 4^k-dimensional
blocks (sums of cumulants, convolved sector distributions, product spectra). Moments,
heat and spectra agree to 1e-10 relative; θ_t and θ_∞ to 1e-8 absolute (both are
adaptive quadratures at rtol 1e-12 whose integrands differ by rounding near p_m = 0,
worst seen 1.1e-8, a constant offset from t ≲ 0.25 where sectors fill from empty;
at vanishing decay the blocks route is the one that matches the closed form).
"""

from __future__ import annotations

import json

import numpy as np
import pytest
import xarray as xr

import qbattery as qb
from qbattery.engines import OpenBlocksEngine, OpenEngine, choose_engine

_SLOW = pytest.mark.slow  # N = 5: the full engine's 1024 × 1024 generator (make test-slow)
CASES = [
    (4, 2, 0.1, 0.0),
    (3, 1, 0.5, 0.0),
    (4, 4, 0.2, 0.1),
    (4, 3, 0.0, 0.4),
    pytest.param(5, 2, 0.3, 0.2, marks=_SLOW),
    pytest.param(5, 3, 0.0, 0.4, marks=_SLOW),
]
TIMES = np.linspace(0.0, 5.0, 21)


def _close(a: np.ndarray, b: np.ndarray, rtol: float = 1e-10) -> None:
    scale = max(float(np.max(np.abs(b))), 1e-300)
    assert np.max(np.abs(np.asarray(a) - np.asarray(b))) <= rtol * scale


@pytest.mark.parametrize(("N", "k", "decay", "dephasing"), CASES)
def test_blocks_equal_the_full_open_engine(N: int, k: int, decay: float, dephasing: float) -> None:
    bat = qb.models.kbody(N, k, decay=decay, dephasing=dephasing)
    a, b = OpenBlocksEngine(bat), OpenEngine(bat)
    ma, mb = a.moments(TIMES), b.moments(TIMES)
    for which in ("work", "power"):
        oa, ob = ma.observable(which), mb.observable(which)
        for field in ("mean", "second", "cross0"):
            _close(getattr(oa, field), getattr(ob, field))
        assert oa.var0 == pytest.approx(ob.var0, rel=1e-10, abs=1e-14)
        _close(a.fisher(TIMES[1:], which), b.fisher(TIMES[1:], which), 1e-10)
        assert np.max(np.abs(a.angle(TIMES, which) - b.angle(TIMES, which))) < 2e-8
        if decay:  # pure dephasing has no unique steady state (both engines refuse)
            assert abs(a.steady_angle(which) - b.steady_angle(which)) < 1e-8
            _close(a.steady_moments(which).second, b.steady_moments(which).second)
        else:
            with pytest.raises(np.linalg.LinAlgError):
                a.steady_moments(which)
    _close(ma.cross, mb.cross)
    _close(ma.fidelity, mb.fidelity)
    _close(np.sort(a.populations(TIMES), 1), np.sort(b.populations(TIMES), 1))
    _close(np.sort(a.energy_levels()), np.sort(b.energy_levels()))
    assert a.initial_energy() == pytest.approx(b.initial_energy(), rel=1e-12)
    if bat.counted:
        ha, hb = a.heat_moments(TIMES), b.heat_moments(TIMES)
        for key in ha:
            _close(ha[key], hb[key])
        np.testing.assert_allclose(a.counting_rates(), b.counting_rates(), rtol=1e-10)
        _close(a.generating_function(TIMES, 0.3), b.generating_function(TIMES, 0.3))


@pytest.mark.parametrize("power", ["drive", "net"])
def test_charge_dataset_equals_the_full_open_engine(power: str) -> None:
    bat = qb.models.kbody(4, 2, decay=0.2, dephasing=0.1)
    qb.clear_engine_cache()
    auto = qb.charge(bat, TIMES, power=power)
    full = qb.charge(bat, TIMES, engine="open", power=power)
    assert auto.attrs["engine"] == "open-blocks"
    assert full.attrs["engine"] == "open"
    for name, var in full.data_vars.items():
        ref, got = var.values, auto[name].values
        finite = np.isfinite(ref)
        assert np.array_equal(finite, np.isfinite(got)), name
        if "bound" in name:  # cot²θ − f of the angles below (Eq. 5, tested in test_bounds)
            continue
        tol = 2e-8 if "angle" in name else 1e-10
        scale = max(float(np.max(np.abs(ref[finite]), initial=0.0)), 1.0)
        assert np.max(np.abs(got[finite] - ref[finite]), initial=0.0) <= tol * scale, name
    for key in ("work_angle_inf", "power_angle_inf", "steady_energy", "steady_ergotropy"):
        assert auto.attrs[key] == pytest.approx(full.attrs[key], rel=1e-8, abs=1e-10), key
    assert isinstance(auto, xr.Dataset)


def test_angle_at_vanishing_decay_is_the_closed_form() -> None:
    """γ = 1e-10: θ^W_t = |Ω_k| t √B of closed k-body charging (Eq. 5, App. E) within
    1e-10; the blocks route is the more accurate one (full engine: 6e-11 off)."""
    t = np.array([0.01, 0.25, 1.0, 3.0])
    theta = OpenBlocksEngine(qb.models.kbody(4, 2, decay=1e-10)).angle(t, "work")
    np.testing.assert_allclose(theta, 0.5 * t * np.sqrt(2), rtol=0, atol=1e-10)


def test_single_decaying_cell_closed_form() -> None:
    """One cell (k = 1 blocks) decaying at γ from |0⟩ under Ω σ_x: the blocks of
    ``kbody(3, 1)`` are three copies, so ⟨𝒲⟩ = 3 × the single qubit's."""
    t = np.array([0.7, 2.0])
    one = OpenEngine(qb.models.single_qubit(Omega0=1 / 3, decay=0.4)).moments(t)
    three = OpenBlocksEngine(qb.models.kbody(3, 1, decay=0.4)).moments(t)
    _close(three.work.mean, 3 * one.work.mean)
    var1 = one.work.second - one.work.mean**2
    _close(three.work.second - three.work.mean**2, 3 * var1)
    _close(three.fidelity, one.fidelity**3)


def test_auto_chooses_blocks_and_supports_refuses_by_name() -> None:
    assert choose_engine(256, True, {"family": "kbody"}, 201, 2**33, is_open=True)[0] == (
        "open-blocks"
    )
    assert choose_engine(4, True, {}, 10, 2**33, is_open=True)[0] == "open"
    assert "closed" in (OpenBlocksEngine.supports(qb.models.kbody(4, 2)) or "")
    sm = np.array([[0.0, 1.0], [0.0, 0.0]])
    custom = qb.Battery(np.diag([-0.5, 0.5]), np.zeros((2, 2)), np.array([1.0, 0.0]), jumps=[sm])
    assert "k-body" in (OpenBlocksEngine.supports(custom) or "")
    assert "open" in (OpenBlocksEngine.supports(qb.models.kbody(8, 8, decay=0.1)) or "")


@pytest.mark.parametrize("size", [4, 300])  # a dense grouping matrix / reduceat (> 2^16)
def test_convolve_against_pairwise_sums(size: int) -> None:
    """:func:`~qbattery.numerics.sectors.convolve` against a loop over all value pairs
    with the product rule written out (integer values: the grouping is exact), 1e-12."""
    from qbattery.numerics.sectors import convolve

    rng = np.random.default_rng(size)
    va, vb = (np.unique(rng.integers(-size, size, size)).astype(float) for _ in range(2))
    ja, jb = rng.normal(size=(3, va.size, 2)), rng.normal(size=(3, vb.size, 2))
    values, jet = convolve(va, ja, vb, jb)
    expect: dict[float, np.ndarray] = {}
    for a, x in zip(va, np.moveaxis(ja, 1, 0), strict=True):
        for b, y in zip(vb, np.moveaxis(jb, 1, 0), strict=True):
            term = np.array(
                [
                    x[0] * y[0],
                    x[1] * y[0] + x[0] * y[1],
                    x[2] * y[0] + 2 * x[1] * y[1] + x[0] * y[2],
                ]
            )
            expect[a + b] = expect.get(a + b, 0.0) + term
    assert values.tolist() == sorted(expect)
    want = np.stack([expect[v] for v in values], axis=1)
    np.testing.assert_allclose(jet, want, rtol=1e-12, atol=1e-12 * np.abs(want).max())


def test_many_cells_are_binomial() -> None:
    """N = 40 parallel cells decaying independently (k = 1, d = 2^40, beyond any full
    engine): the moments are N times, the fidelity the N-th power of one decaying qubit's
    (Ω0 → Ω0/N); each observable's sector distribution is Binomial(N, p_t) of the qubit's
    two-level one, whose Fisher information is N times the qubit's, so θ_t = √N θ_t^(1)
    and θ_∞ = √N θ_∞^(1) (1e-9: two adaptive quadratures, see the module docstring).
    The ergotropy (2^40 populations) is NaN with the reason in the notes."""
    N, t = 40, np.array([0.5, 2.0, 6.0])
    many = qb.charge(qb.models.kbody(N, 1, decay=0.3), t, progress=False)
    one = qb.charge(qb.models.single_qubit(Omega0=1 / N, decay=0.3), t, progress=False)
    assert many.attrs["engine"] == "open-blocks"
    for name in ("work_mean", "work_var", "power_mean", "power_var"):
        _close(many[name].values, N * one[name].values)
    _close(many.fidelity.values, one.fidelity.values**N)
    for which in ("work", "power"):
        angle = f"{which}_angle"
        np.testing.assert_allclose(many[angle], np.sqrt(N) * one[angle], rtol=0, atol=1e-9)
        inf = f"{angle}_inf"
        assert abs(many.attrs[inf] - np.sqrt(N) * one.attrs[inf]) <= 1e-9
    assert np.isnan(many.ergotropy).all()
    assert np.isnan(many.attrs["steady_ergotropy"])
    notes = json.loads(many.attrs["notes"])
    assert notes["ergotropy"].startswith("the ergotropy needs the spectrum of ρ, 1099511627776")
    assert notes["steady_ergotropy"] == notes["ergotropy"]
