"""Issue 12 (library part): every bad input gets one clear error; no silent precision loss."""

from __future__ import annotations

import numpy as np
import pytest

import qbattery as qb
from qbattery import _checks
from qbattery.engines import get_engine
from qbattery.errors import EngineError, InvalidInputError, MemoryLimitError
from qbattery.numerics.quadrature import speed_angle
from tests.strategies import random_hermitian, random_ket

T = np.array([0.0, 0.5])


# ---- case 1: huge times are refused with the limit, never a wrong number --------------
@pytest.mark.parametrize("engine", ["dense", "krylov", "structured"])
def test_huge_times_are_refused_with_the_limit(engine):
    with pytest.raises(InvalidInputError, match=r"`times` reach 1e\+300, where t·‖H‖ = .*1e\+06"):
        qb.charge(qb.models.kbody(6, 2), [0.0, 1e300], engine=engine)


def test_huge_times_are_refused_by_the_closed_forms():
    with pytest.raises(InvalidInputError, match=r"t·‖H‖ = 3.33e\+11 exceeds 1e\+06"):
        qb.analytic.kbody([0.0, 1e12], 6, 2)


HUGE = r"`times` reach 1e\+12, where t·‖H‖ = .* exceeds 1e\+06"


def test_huge_times_are_refused_by_distribution_and_generating_function():
    bat = qb.models.kbody(6, 2)
    with pytest.raises(InvalidInputError, match=HUGE):
        qb.distribution(bat, [1e12], engine="dense")
    with pytest.raises(InvalidInputError, match=HUGE):
        qb.distribution(bat, [1e12], kind="tpm", engine="dense")
    with pytest.raises(InvalidInputError, match=HUGE):
        qb.generating_function(bat, [0.1], [1e12], engine="dense")


@pytest.mark.parametrize("engine", ["dense", "krylov", "structured"])
def test_huge_times_are_refused_by_engine_methods_called_directly(engine):
    eng, _ = get_engine(qb.models.kbody(6, 2), engine, 2)
    t = np.array([1e12, 0.5])  # fisher takes times in any order
    with pytest.raises(InvalidInputError, match=HUGE):
        eng.fisher(t, "work")
    with pytest.raises(InvalidInputError, match=HUGE):
        eng.angle(np.sort(t), "work")


@pytest.mark.parametrize("engine", ["dense", "krylov", "structured"])
def test_accuracy_at_the_phase_limit(engine):
    # work mean 6 sin²(Ω_k t) with Ω_k = 1/3, ‖H‖ = 1; the reference reduces the phase
    # exactly: t = 3·2π·j + 0.75 gives Ω_k t = 2πj + 0.25 up to the float rounding of t
    t = 9.99e5
    ds = qb.charge(qb.models.kbody(6, 2), [0.0, t], engine=engine, bounds=False)
    x = np.float64(2 / 6) * t  # the engines' phase, rounded once
    ref = 6 * np.sin(x) ** 2
    assert abs(float(ds.work_mean[1]) - ref) <= 1e-10 * 6  # 1e-10 of the scale N ω0


# ---- cases 2, 3, 9: complex times, non-bool flags, negative tolerances ------------------
def test_complex_times_are_refused():
    with pytest.raises(InvalidInputError, match=r"`times` must be real, but 1 of them"):
        qb.charge(qb.models.single_qubit(), np.array([0, 1 + 1j]))


def test_complex_times_with_zero_imaginary_part_are_accepted():
    ds = qb.charge(qb.models.single_qubit(), np.array([0.1 + 0j, 0.3]))
    np.testing.assert_allclose(ds.time.values, [0.1, 0.3], rtol=0, atol=0)


@pytest.mark.parametrize("flag", ["bounds", "fisher", "ergotropy", "progress"])
@pytest.mark.parametrize("value", ["no", 0, 1.0, None])
def test_non_bool_flags_are_refused(flag, value):
    if flag == "progress" and value is None:
        return  # None is progress's documented "automatic"
    with pytest.raises(InvalidInputError, match=rf"`{flag}` must be True or False, got"):
        qb.charge(qb.models.single_qubit(), T, **{flag: value})


def test_numpy_bools_are_flags():
    ds = qb.charge(qb.models.single_qubit(), T, bounds=np.bool_(False))
    assert np.all(np.isnan(ds.work_bound))


@pytest.mark.parametrize("key", ["hermitian_atol", "state_atol"])
@pytest.mark.parametrize("value", [-1, -1e-12, float("nan"), "small"])
def test_negative_or_malformed_tolerances_are_refused(key, value):
    with pytest.raises(InvalidInputError, match=rf"`{key}` must be a finite number ≥ 0"):
        qb.Battery(np.diag([0.0, 1.0]), np.array([[0, 1.0], [1.0, 0]]), [1.0, 0.0], **{key: value})


def test_negative_tolerance_of_a_symbolic_operator_is_refused():
    bat = qb.models.kbody(3, 1)
    with pytest.raises(InvalidInputError, match=r"`hermitian_atol` must be a finite number ≥ 0"):
        qb.Battery(bat.H0, bat.HC, bat.state, hermitian_atol=-1)


# ---- case 4: θ does not depend on the time grid ----------------------------------------
def _angle(bat, grid, which, engine):
    eng, _ = get_engine(bat, engine, grid.size)
    return eng.angle(grid, which)


def _random_battery(seed):
    rng = np.random.default_rng(seed)
    return qb.Battery(random_hermitian(rng, 6), random_hermitian(rng, 6), random_ket(rng, 6))


@pytest.mark.parametrize(
    ("bat", "engine"),
    [
        (qb.models.single_qubit(), "dense"),
        (qb.models.kbody(6, 2), "dense"),
        (qb.models.kbody(6, 2), "krylov"),
        (_random_battery(12), "dense"),
    ],
    ids=["single-qubit", "kbody-dense", "kbody-krylov", "random"],
)
@pytest.mark.parametrize("which", ["work", "power"])
def test_theta_is_independent_of_the_time_grid(bat, engine, which):
    long, short = np.linspace(0.0, 4.0, 41), np.linspace(0.0, 0.6, 7)
    a, b = _angle(bat, long, which, engine), _angle(bat, short, which, engine)
    np.testing.assert_allclose(a[:7], b, rtol=1e-10, atol=0)


def test_theta_matches_closed_forms_on_two_grids():
    for grid in (np.linspace(0.0, 4.0, 41), np.linspace(0.0, 0.6, 7)):
        # single qubit: θ^W = Ω0 t; k-body: θ^W = Ω_k t √(N/k)
        np.testing.assert_allclose(
            _angle(qb.models.single_qubit(), grid, "work", "dense"), grid, rtol=1e-10, atol=1e-15
        )
        theta = _angle(qb.models.kbody(6, 2), grid, "work", "dense")
        np.testing.assert_allclose(theta, (2 / 6) * grid * np.sqrt(3), rtol=1e-10, atol=1e-15)


def test_saturated_qubit_bound_margin_is_grid_independent():
    # work bound = NSR on the single qubit (saturated): the margin is rounding on both grids
    for grid in (np.linspace(0.0, 4.0, 81)[1:], np.linspace(0.0, 0.6, 13)[1:]):
        ds = qb.charge(qb.models.single_qubit(), grid[grid < 1.5])
        margin = (ds.work_nsr - ds.work_bound) / ds.work_nsr
        assert float(abs(margin.sel(time=0.2, method="nearest"))) < 1e-10


def test_quadrature_refuses_to_stop_early():
    with pytest.raises(InvalidInputError, match=r"needs more than 50 quadrature panels"):
        speed_angle(lambda t: 1 + np.cos(50 * t) ** 2, np.array([0.0, 100.0]), max_panels=50)


# ---- cases 5, 6: model constructors estimate their cost first --------------------------
def test_kbody_refuses_billions_of_cells_before_allocating():
    with pytest.raises(MemoryLimitError, match=r"kbody\(N=2147483648, k=1\) needs about 512 GiB"):
        qb.models.kbody(N=2**31, k=1)


def test_kbody_respects_the_memory_limit(monkeypatch):
    monkeypatch.setenv("QBATTERY_MEMORY_LIMIT", str(8 * 10**9))
    with pytest.raises(MemoryLimitError, match=r"kbody\(N=100000000, k=1\) .*only 7.45 GiB"):
        qb.models.kbody(10**8, 1)


def test_ising_tfim_refuses_an_arpack_spectrum_that_cannot_fit():
    with pytest.raises(MemoryLimitError, match=r"ARPACK eigsh\) needs about 448 TiB"):
        qb.models.ising(N=40, s=2, variant="tfim")


# ---- case 8: only engines that can run the battery are suggested -----------------------
def test_refusal_suggests_only_engines_that_can_run_it():
    with pytest.raises(MemoryLimitError, match=r"is available; use one of \['structured'\]$"):
        qb.charge(qb.models.ising(40, 2), T, engine="krylov")


def test_refusal_with_no_engine_fitting_says_so(rng):
    rho = np.diag([0.5, 0.5, 0.0, 0.0])
    bat = qb.Battery(random_hermitian(rng, 4), random_hermitian(rng, 4), rho)
    with pytest.raises(EngineError, match=r"mixed density matrix; use one of \['dense'"):
        qb.charge(bat, T, engine="krylov")


def test_check_helpers_doc_grammar():
    with pytest.raises(InvalidInputError, match=r"`x` must be True or False, got 'yes' \(str\)"):
        _checks.check_flag("x", "yes")


def test_distribution_trim_must_be_a_nonnegative_number() -> None:
    """A negative ``trim`` would keep every value; it is refused with the number."""
    with pytest.raises(InvalidInputError, match=r"`trim` must be a finite number ≥ 0, got -1"):
        qb.distribution(qb.models.single_qubit(), [0.5], trim=-1)


def test_ising_normalize_must_be_a_bool() -> None:
    """``normalize="no"`` is truthy; it is refused instead of silently normalising."""
    with pytest.raises(InvalidInputError, match=r"`normalize` must be True or False, got 'no'"):
        qb.models.ising(4, 2, normalize="no")
