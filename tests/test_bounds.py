"""Property tests: Eq. (5) both bounds, Eq. (6) trade-off and its sum form hold for random
closed batteries (pure and mixed states, degenerate H0), not only the paper's models.

Tolerance: a bound may exceed its NSR by at most 1e-8 × max(1, |NSR|, |f|): the Eq. (5)
bound is the difference cot²θ − f of two terms that can be large (near-pure states, small
t) and saturate it (qubits), so rounding is relative to the terms, not to their
difference. Where an NSR is undefined (mean exactly 0 → NaN) the test asserts that the
mean is indeed 0.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings

import qbattery as qb

from .strategies import batteries, time_grids

TOL = 1e-8


def _holds(value: np.ndarray, bound: np.ndarray, terms: np.ndarray | None = None) -> bool:
    scale = np.maximum(1.0, np.abs(value))
    if terms is not None:
        scale = np.maximum(scale, np.nan_to_num(np.abs(terms)))
    ok = np.isnan(bound) | (value >= bound - TOL * scale)
    return bool(np.all(ok))


def _check(ds) -> None:
    for which in ("work", "power"):
        nsr = ds[f"{which}_nsr"].values
        undefined = np.isnan(nsr)
        assert np.all(ds[f"{which}_mean"].values[undefined] == 0.0)
        assert _holds(nsr, ds[f"{which}_bound"].values, ds[f"{which}_f"].values), which
        # the angle is a non-decreasing function of time
        assert np.all(np.diff(ds[f"{which}_angle"].values) >= -1e-12)
    product = ds.nsr_product.values
    assert _holds(product, ds.tradeoff_bound.values)
    total = ds.work_nsr.values + ds.power_nsr.values
    assert _holds(total, 2 * np.sqrt(product))
    assert _holds(total, ds.tradeoff_sum_bound.values)
    assert np.all((ds.fidelity.values >= -1e-12) & (ds.fidelity.values <= 1 + 1e-12))


@settings(max_examples=200)
@given(bat=batteries(max_dim=16, mixed=False), times=time_grids())
def test_bounds_hold_pure(bat, times):
    H0, HC, state = bat
    _check(qb.charge(qb.Battery(H0, HC, state), times, engine="dense"))


@settings(max_examples=150)
@given(bat=batteries(max_dim=12, mixed=True), times=time_grids())
def test_bounds_hold_mixed(bat, times):
    H0, HC, state = bat
    _check(qb.charge(qb.Battery(H0, HC, state), times, engine="dense"))


def test_bounds_hold_on_paper_models():
    t = np.linspace(0.05, 6, 40)
    for bat in (qb.models.kbody(6, 2), qb.models.kbody(5, 2), qb.models.ising(6, 3)):
        _check(qb.charge(bat, t, engine="dense"))


def test_single_qubit_saturation():
    """App. D: work bound saturates for all t; the power bound while Ω0 t < π/4 only."""
    t = np.array([0.2, 0.5, 0.7, 1.0, 1.3])
    ds = qb.charge(qb.models.single_qubit(omega0=0.8, Omega0=1.0), t)
    np.testing.assert_allclose(ds.work_bound, 1 / np.tan(t) ** 2, rtol=1e-9)
    np.testing.assert_allclose(ds.work_nsr, ds.work_bound, rtol=1e-9)
    early = t < np.pi / 4
    np.testing.assert_allclose(ds.power_bound[early], ds.power_nsr[early], rtol=1e-9)
    assert np.all(ds.power_bound.values[~early] < 0.5 * ds.power_nsr.values[~early])
    np.testing.assert_allclose(ds.nsr_product, ds.tradeoff_bound, rtol=1e-9)
