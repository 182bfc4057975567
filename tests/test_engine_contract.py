"""Every registered engine against the dense engine, on random and model batteries.

An engine either supports a battery (``supports`` returns None) and then agrees with
dense at ``RTOL`` on every Dataset variable it supplies (a NaN must carry a note), or
it says why not. Structured engines register themselves and are picked up here.
"""

from __future__ import annotations

import numpy as np
import pytest

import qbattery as qb
from qbattery._dataset import (
    FIDELITY,
    NSR_PRODUCT,
    POWER_ANGLE,
    POWER_BOUND,
    POWER_MEAN,
    POWER_NSR,
    POWER_VAR,
    TRADEOFF_BOUND,
    WORK_ANGLE,
    WORK_BOUND,
    WORK_MEAN,
    WORK_NSR,
    WORK_VAR,
)
from qbattery.engines import REGISTRY
from qbattery.operators import PauliSum, ProductState

RTOL = 1e-10
#: The open engine takes θ from the Fisher information of the populations of ρ_t on the
#: vectorised generator's eigenbasis, whose eigenvectors are not orthonormal within
#: degenerate subspaces; its angles agree with dense to 2e-10 (measured on
#: tavis-cummings-N3), so it is held to 1e-9. Every other engine to RTOL.
ENGINE_RTOL = {"open": 1e-9}
#: A bound cot²θ − f (Eq. 5) is a difference of two terms that may nearly cancel (power
#: bounds of tavis-cummings-N3: 44.07 − 44.36), so it is held to RTOL relative to the
#: terms, not to itself: |Δbound| ≤ rtol·(cot²θ + |f| + θ·|d cot²θ/dθ|), the error
#: that θ and f, each within rtol, carry into it.
BOUND_TERMS = {"work_bound": ("work_angle", "work_f"), "power_bound": ("power_angle", "power_f")}
TIMES = np.linspace(0.0, 3.0, 7)
COMPARED = (WORK_MEAN, WORK_VAR, POWER_MEAN, POWER_VAR, FIDELITY, WORK_ANGLE, POWER_ANGLE)
#: variables divided by squared means: compared where the means are not near zero
RATIOS = (WORK_NSR, POWER_NSR, NSR_PRODUCT, TRADEOFF_BOUND, WORK_BOUND, POWER_BOUND)


def random_pauli_battery(seed: int, n: int, mixed: bool = False) -> qb.Battery:
    rng = np.random.default_rng(seed)

    def random_sum(m: int) -> PauliSum:
        terms = [(rng.normal(), "".join(rng.choice(list("IXYZ"), n))) for _ in range(m)]
        return PauliSum.from_terms(terms, n=n)

    H0 = random_sum(4) + PauliSum.single_site(n, "Z", -0.5)
    HC = random_sum(6)
    if mixed:
        w = rng.random(2**n)
        return qb.Battery(H0, HC, np.diag(w / w.sum()))
    amp = rng.normal(size=(n, 2)) + 1j * rng.normal(size=(n, 2))
    state = ProductState(amp / np.linalg.norm(amp, axis=1, keepdims=True))
    return qb.Battery(H0, HC, state)


CASES = [
    pytest.param(lambda: random_pauli_battery(1, 3), id="pauli-N3"),
    pytest.param(lambda: random_pauli_battery(2, 5), id="pauli-N5"),
    pytest.param(lambda: random_pauli_battery(3, 8), id="pauli-N8"),
    pytest.param(lambda: random_pauli_battery(4, 4, mixed=True), id="pauli-N4-mixed"),
    pytest.param(lambda: qb.models.single_qubit(), id="single-qubit"),
    pytest.param(lambda: qb.models.kbody(6, 2), id="kbody-N6-k2"),
    pytest.param(lambda: qb.models.kbody(7, 3), id="kbody-N7-k3-remainder"),
    pytest.param(lambda: qb.models.kbody(8, 8), id="kbody-N8-collective"),
    pytest.param(lambda: qb.models.ising(6, 2), id="ising-N6-s2"),
    pytest.param(lambda: qb.models.ising(8, 3), id="ising-N8-s3"),
    pytest.param(lambda: qb.models.ising(7, 2, variant="tfim"), id="ising-N7-s2-tfim"),
    pytest.param(lambda: qb.models.ising(10, 4), id="ising-N10-s4"),
    pytest.param(lambda: qb.models.kbody(10, 4), id="kbody-N10-k4"),
    pytest.param(lambda: qb.models.dicke(2), id="dicke-N2"),
    pytest.param(lambda: qb.models.tavis_cummings(3), id="tavis-cummings-N3"),
    pytest.param(lambda: qb.models.tavis_cummings(2, subspace=False), id="tavis-cummings-N2-full"),
    pytest.param(lambda: qb.models.heisenberg(4), id="heisenberg-N4"),
    pytest.param(lambda: qb.models.heisenberg(4, periodic=True), id="heisenberg-N4-periodic"),
    pytest.param(lambda: qb.models.syk(4), id="syk-N4-q4"),
    pytest.param(lambda: qb.models.syk(6, q=2, seed=1), id="syk-N6-q2"),
    pytest.param(lambda: qb.models.ising(12, 2), marks=pytest.mark.slow, id="ising-N12-s2"),
    pytest.param(lambda: qb.models.kbody(12, 5), marks=pytest.mark.slow, id="kbody-N12-k5"),
    pytest.param(
        lambda: qb.models.ising(12, 3, variant="tfim"), marks=pytest.mark.slow, id="ising-N12-tfim"
    ),
]

#: dense results per battery (models are cached objects), shared by the engines' tests
_REFERENCE: dict[int, tuple[qb.Battery, object]] = {}


def _charge(bat: qb.Battery, engine: str):
    if engine == "dense":
        if id(bat) not in _REFERENCE:
            _REFERENCE[id(bat)] = (bat, qb.charge(bat, TIMES, engine="dense", ergotropy=False))
        return _REFERENCE[id(bat)][1]
    return qb.charge(bat, TIMES, engine=engine, ergotropy=False)


def _close(a: np.ndarray, b: np.ndarray, atol: np.ndarray | float, rtol: float, msg: str) -> None:
    """|a − b| ≤ atol + rtol|b| elementwise (NaN only where both are NaN)."""
    np.testing.assert_array_equal(np.isnan(a), np.isnan(b), err_msg=msg)
    with np.errstate(invalid="ignore"):
        ok = np.isnan(b) | (a == b) | (np.abs(a - b) <= atol + rtol * np.abs(b))
    assert ok.all(), f"{msg}: {a[~ok]} vs {b[~ok]} (atol {np.broadcast_to(atol, b.shape)[~ok]})"


@pytest.mark.parametrize("make", CASES)
@pytest.mark.parametrize("name", sorted(n for n in REGISTRY if n != "dense"))
def test_engine_agrees_with_dense(name, make):
    bat = make()
    cls = REGISTRY[name]
    why = cls.supports(bat)
    if why is not None:
        assert isinstance(why, str)
        assert len(why) > 10  # a reason a user can act on
        pytest.skip(f"engine {name!r} does not support this battery: {why}")
    ref = _charge(bat, "dense")
    got = _charge(bat, name)
    assert got.attrs["engine"] == name
    notes = got.attrs.get("notes", "")
    for var in COMPARED + RATIOS:
        a, b = got[var].values, ref[var].values
        missing = np.isnan(a) & ~np.isnan(b)
        if missing.any():
            assert var in notes, f"{name}: {var} is NaN without a note"
            continue
        mask = np.ones(a.shape, bool)
        if var in RATIOS:
            for mean in (WORK_MEAN, POWER_MEAN):
                m = np.abs(ref[mean].values)
                mask &= m > 1e-3 * max(float(m.max()), 1e-300)
        scale = max(float(np.nanmax(np.abs(b[mask]))) if mask.any() else 0.0, 1e-300)
        rtol = ENGINE_RTOL.get(name, RTOL)
        atol: np.ndarray | float = rtol * scale
        if var in BOUND_TERMS:
            angle, f = (ref[v].values[mask] for v in BOUND_TERMS[var])
            th = np.minimum(angle, np.pi / 2)
            with np.errstate(divide="ignore", invalid="ignore"):
                cot2 = 1 / np.tan(th) ** 2
                slope = 2 * th / (np.tan(th) * np.sin(th) ** 2)  # θ |d cot²θ / dθ|
                terms = np.where(np.isfinite(cot2 + f + slope), cot2 + np.abs(f) + slope, 0.0)
            atol = rtol * np.maximum(terms, scale)
        _close(a[mask], b[mask], atol, rtol, f"{name}: {var}")


@pytest.mark.parametrize("name", sorted(REGISTRY))
def test_every_engine_declares_support_and_memory(name):
    cls = REGISTRY[name]
    bat = qb.models.ising(4, 2, variant="tfim")
    assert cls.supports(bat) is None or isinstance(cls.supports(bat), str)
    assert int(cls.memory_estimate(bat, 201)) > 0
