"""Thermal and arbitrary mixed starts: qb.thermal, qb.with_state, gibbs_state.

Independent routes: scipy.linalg.expm for the Gibbs state; the k-body closed form from a
thermal product state (each block pair |s⟩ ↔ |s̄⟩ rotates by Ω_k t, so the stored energy
is tanh(ω0/2T) times the ground-state value); the pure-ket code path of the dense engine
against its density-matrix path.
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st

import qbattery as qb
from qbattery.battery import to_dense
from qbattery.errors import InvalidInputError
from qbattery.states import gibbs_state
from tests.strategies import batteries, random_degenerate_hermitian, random_hermitian

TIMES = np.array([0.0, 0.15, 0.6, 1.3, 2.7])


def assert_bounds_hold(ds: xr.Dataset, rtol: float = 1e-8) -> None:
    """Eq. (5) for work and power, Eq. (6) and its sum form, wherever they are finite.

    The Eq. (5) bound is cot²θ − f, a difference of two terms that can each be many
    orders larger than the bound (e.g. 8e5 each for a bound of 0.7): the slack is
    relative to the larger term, not to the bound.
    """
    for which in ("work", "power"):
        nsr, bound = ds[f"{which}_nsr"].values, ds[f"{which}_bound"].values
        f = ds[f"{which}_f"].values
        ok = np.isfinite(nsr) & np.isfinite(bound)
        size = np.maximum(np.abs(bound[ok]), np.abs(f[ok]))
        slack = rtol * np.maximum(1.0, size)
        assert np.all(nsr[ok] >= bound[ok] - slack), (which, nsr[ok], bound[ok])
    nsr, bound = ds.nsr_product.values, ds.tradeoff_bound.values
    ok = np.isfinite(nsr) & np.isfinite(bound)
    assert np.all(nsr[ok] >= bound[ok] * (1 - rtol) - rtol), (nsr[ok], bound[ok])
    total = (ds.work_nsr + ds.power_nsr).values
    sum_bound = ds.tradeoff_sum_bound.values
    ok = np.isfinite(total) & np.isfinite(sum_bound)
    assert np.all(total[ok] >= sum_bound[ok] * (1 - rtol) - rtol)


# ---- the Gibbs state -----------------------------------------------------------------


@pytest.mark.parametrize("degenerate", [False, True], ids=["generic", "degenerate"])
@pytest.mark.parametrize("T", [0.2, 1.0, 7.5])
def test_gibbs_state_matches_expm(rng: np.random.Generator, degenerate: bool, T: float) -> None:
    H = random_degenerate_hermitian(rng, 6) if degenerate else random_hermitian(rng, 6)
    ref = sla.expm(-H / T)
    ref /= np.trace(ref)
    np.testing.assert_allclose(gibbs_state(H, T), ref, atol=1e-12)


def test_zero_and_infinite_temperature() -> None:
    H = np.diag([-1.0, -1.0, 0.0, 2.0])
    np.testing.assert_allclose(gibbs_state(H, 0.0), np.diag([0.5, 0.5, 0, 0]), atol=0)
    np.testing.assert_allclose(gibbs_state(H, np.inf), np.eye(4) / 4, atol=0)
    # a very small temperature does not overflow
    np.testing.assert_allclose(gibbs_state(H, 1e-6), np.diag([0.5, 0.5, 0, 0]), atol=1e-300)


# ---- closed forms from thermal starts -----------------------------------------------------


@pytest.mark.parametrize(
    ("N", "k"),
    [
        pytest.param(4, 1, id="kbody-N4-k1"),
        pytest.param(4, 2, id="kbody-N4-k2"),
        pytest.param(5, 2, id="kbody-N5-k2-remainder"),
        pytest.param(3, 3, id="kbody-N3-k3"),
    ],
)
@pytest.mark.parametrize("T", [0.3, 1.0, 5.0])
def test_thermal_kbody_means_closed_form(N: int, k: int, T: float) -> None:
    omega0, Omega0 = 1.2, 0.8
    bat = qb.thermal(qb.models.kbody(N, k, omega0=omega0, Omega0=Omega0), T)
    ds = qb.charge(bat, TIMES, bounds=False)
    Ok = k / N * Omega0
    factor = np.tanh(omega0 / (2 * T))
    np.testing.assert_allclose(
        ds.work_mean, factor * N * omega0 * np.sin(Ok * TIMES) ** 2, rtol=1e-10, atol=1e-13
    )
    np.testing.assert_allclose(
        ds.power_mean, factor * N * Ok * omega0 * np.sin(2 * Ok * TIMES), rtol=1e-10, atol=1e-13
    )
    # a Gibbs state is passive: ergotropy = stored energy, efficiency 1
    np.testing.assert_allclose(ds.ergotropy, ds.work_mean, rtol=1e-10, atol=1e-13)
    np.testing.assert_allclose(ds.charging_efficiency[1:], 1.0, rtol=1e-9)


def test_thermal_record_and_engine() -> None:
    bat = qb.thermal(qb.models.kbody(4, 2), 0.7)
    assert bat.params["state"] == "thermal"
    assert bat.params["temperature"] == 0.7
    assert "family" not in bat.structure
    ds = qb.charge(bat, [0.5])
    assert ds.attrs["engine"] == "dense"
    assert ds.attrs["param_temperature"] == 0.7


def test_ground_is_zero_temperature() -> None:
    base = qb.models.ising(4, 2)
    a = qb.with_state(base, "ground")
    b = qb.thermal(base, 0.0)
    np.testing.assert_array_equal(a.state, b.state)
    assert a.params["state"] == "ground"


def test_density_matrix_path_equals_ket_path() -> None:
    """The same pure state as a ket and as a density matrix: two code paths."""
    base = qb.models.kbody(5, 2)
    ket = to_dense(base.state)
    rho = np.outer(ket, ket.conj())
    as_rho = qb.with_state(base, rho)
    assert as_rho.params["state"] == "density matrix"
    a = qb.charge(base, TIMES, engine="dense")
    b = qb.charge(as_rho, TIMES, engine="dense")
    for name in ("work_mean", "work_var", "power_mean", "power_var", "work_bound", "fidelity"):
        np.testing.assert_allclose(b[name], a[name], rtol=1e-9, atol=1e-12, err_msg=name)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"state": "thermal", "temperature": -1.0}, "must be ≥ 0", id="negative-T"),
        pytest.param({"state": "thermal", "temperature": float("nan")}, "≥ 0", id="nan-T"),
        pytest.param({"state": "thermal", "temperature": "hot"}, "real number", id="str-T"),
        pytest.param({"state": "thermal"}, "needs a temperature", id="missing-T"),
        pytest.param(
            {"state": "ground", "temperature": 1.0}, "takes no temperature", id="ground-T"
        ),
        pytest.param({"state": "warm"}, "'thermal' or 'ground'", id="unknown-state"),
        pytest.param(
            {"state": np.array([1.0, 0.0, 0.0, 0.0]), "temperature": 1.0},
            "only used with state='thermal'",
            id="ket-with-T",
        ),
        pytest.param({"state": np.array([1.0, 0.0, 0.0])}, "dimension 3", id="wrong-dim"),
    ],
)
def test_bad_states(kwargs: dict, match: str) -> None:
    bat = qb.models.kbody(2, 1)
    with pytest.raises(InvalidInputError, match=match):
        qb.with_state(bat, **kwargs)


def test_thermal_negative_temperature_message() -> None:
    with pytest.raises(InvalidInputError, match=r"got -0\.5; a negative temperature"):
        qb.thermal(qb.models.single_qubit(), -0.5)


# ---- the bounds hold from thermal and random mixed starts ------------------------------------

_MODELS = [
    lambda: qb.models.single_qubit(omega0=1.3),
    lambda: qb.models.kbody(3, 1),
    lambda: qb.models.kbody(4, 2),
    lambda: qb.models.ising(3, 2),
    lambda: qb.models.ising(4, 3, variant="tfim"),
]
_LARGER_MODELS = [
    lambda: qb.models.kbody(6, 3),
    lambda: qb.models.kbody(7, 2),
    lambda: qb.models.ising(6, 2),
    lambda: qb.models.ising(6, 4, variant="tfim"),
]


@settings(max_examples=15)
@given(
    st.sampled_from(range(len(_MODELS))),
    st.floats(0.05, 30.0),
    st.lists(st.floats(0.01, 4.0), min_size=1, max_size=3, unique=True),
)
def test_bounds_hold_from_thermal_starts(model: int, T: float, times: list[float]) -> None:
    bat = qb.thermal(_MODELS[model](), T)
    ds = qb.charge(bat, np.sort(times))
    assert_bounds_hold(ds)


@pytest.mark.slow
@settings(max_examples=12)
@given(
    st.sampled_from(range(len(_LARGER_MODELS))),
    st.floats(0.05, 30.0),
    st.lists(st.floats(0.01, 4.0), min_size=1, max_size=4, unique=True),
)
def test_bounds_hold_from_thermal_starts_larger(model: int, T: float, times: list[float]) -> None:
    bat = qb.thermal(_LARGER_MODELS[model](), T)
    ds = qb.charge(bat, np.sort(times))
    assert_bounds_hold(ds)


@settings(max_examples=30)
@given(batteries(max_dim=8, mixed=True), st.floats(0.05, 4.0))
def test_bounds_hold_from_random_density_matrices(args: tuple, t: float) -> None:
    H0, HC, rho = args
    ds = qb.charge(qb.Battery(H0, HC, rho), [t / 3, t])
    assert_bounds_hold(ds)
