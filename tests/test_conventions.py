"""One visible convention per model (docs/conventions.md): structure["convention"],
Battery.describe() and repr, and the k-body remainder block's charging norm.

Independent route for the norms: the largest |eigenvalue| of the dense H.
"""

from __future__ import annotations

import numpy as np
import pytest

import qbattery as qb

KEYS = ("H0", "HC", "H", "P0", "state", "fixed as N grows")

BUILT_IN = [
    pytest.param(lambda: qb.models.single_qubit(), id="single_qubit"),
    pytest.param(lambda: qb.models.kbody(4, 2), id="kbody"),
    pytest.param(lambda: qb.models.ising(4, 2), id="ising"),
    pytest.param(lambda: qb.models.heisenberg(3), id="heisenberg"),
    pytest.param(lambda: qb.models.syk(4), id="syk"),
    pytest.param(lambda: qb.models.dicke(2, coupling=0.2), id="dicke"),
    pytest.param(lambda: qb.models.tavis_cummings(3), id="tavis_cummings"),
    pytest.param(lambda: qb.models.farina(), id="farina"),
]


@pytest.mark.parametrize("make", BUILT_IN)
def test_every_model_records_its_convention(make) -> None:
    bat = make()
    conv = bat.structure["convention"]
    assert tuple(conv)[: len(KEYS)] == KEYS
    text = bat.describe()
    for key in KEYS:
        assert f"{key}:" in text
        assert conv[key] in text
    assert f"H = {conv['H']}" in repr(bat)


def _norm(bat: qb.Battery) -> float:
    return float(np.max(np.abs(np.linalg.eigvalsh(bat.dense("H")))))


@pytest.mark.parametrize(("N", "k"), [(5, 2), (4, 2), (7, 3), (6, 4), (5, 5), (3, 1)])
def test_kbody_charging_norm(N: int, k: int) -> None:
    """‖H‖ = ⌈N/k⌉ kΩ0/N: Ω0 when k divides N, more with a remainder block."""
    Omega0 = 0.7
    bat = qb.models.kbody(N, k, Omega0=Omega0)
    dense = _norm(bat)
    assert bat.structure["H_norm"] == pytest.approx(dense, rel=1e-12)
    has_remainder = N % k != 0
    assert ("remainder" in bat.structure["convention"]) is has_remainder
    if not has_remainder:
        assert dense == pytest.approx(Omega0, rel=1e-12)


def test_kbody_remainder_norm_is_stated() -> None:
    bat = qb.models.kbody(5, 2)
    assert _norm(bat) == pytest.approx(1.2, rel=1e-12)
    assert "‖H‖ = 3·kΩ0/N = 1.2, not Ω0 = 1" in bat.structure["convention"]["remainder"]
    assert "remainder:" in bat.describe()


def test_describe_uses_the_state_set_later() -> None:
    bat = qb.with_state(qb.models.single_qubit(), np.eye(2) / 2)
    assert "state:            density matrix" in bat.describe()


def test_describe_of_a_custom_battery() -> None:
    sz = np.diag([1.0, -1.0])
    bat = qb.Battery(sz, np.fliplr(np.eye(2)), np.array([1.0, 0.0]), name="toy")
    text = bat.describe()
    assert text.splitlines()[0] == repr(bat)
    assert "H:     as given, else H0 + HC (Eq. 1)" in text


def test_heisenberg_cites_all_five_authors() -> None:
    doc = qb.models.heisenberg.__doc__ or ""
    assert "Le, Levinsen, Modi, Parish and" in doc
    assert "Pollock" in doc
