"""The paper's models built a second, independent way (explicit Kronecker products) and
compared at 1e-10; parameters recorded; caching and immutability."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

import qbattery as qb
from qbattery.errors import InvalidInputError

I2 = np.eye(2)
SX = np.array([[0.0, 1.0], [1.0, 0.0]])
SZ = np.diag([1.0, -1.0])
RTOL = 1e-10


def site_op(N: int, ops: dict[int, np.ndarray]) -> np.ndarray:
    return reduce(np.kron, [ops.get(j, I2) for j in range(N)])


def kron_ising(N: int, s: int, omega0: float, Omega: float, variant: str, power: str):
    """Eq. (10) with SPEC §2's readings, from np.kron and np.linalg.eigvalsh."""
    H0 = -(omega0 / 2) * sum(site_op(N, {j: SZ}) for j in range(N))
    S = sum(site_op(N, dict.fromkeys(range(i, i + s), SX)) for i in range(N - s + 1))
    HC = -Omega * S - (H0 if variant == "paper" else 0)
    HT = H0 + HC
    ev = np.linalg.eigvalsh(HT)
    H = (HT - ev[0] * np.eye(2**N)) / (ev[-1] - ev[0])
    scale = 1 / np.max(np.abs(ev)) if power == "paper" else 1 / (ev[-1] - ev[0])
    P0 = -1j * scale * (H0 @ HC - HC @ H0)
    return H0, HC, H, P0


@pytest.mark.parametrize(
    ("N", "s", "variant", "power"),
    [
        pytest.param(4, 2, "paper", "paper", id="ising-N4-s2"),
        pytest.param(6, 3, "paper", "paper", id="ising-N6-s3"),
        pytest.param(7, 4, "paper", "rate", id="ising-N7-s4-rate"),
        pytest.param(6, 2, "tfim", "paper", id="tfim-N6-s2"),
        pytest.param(5, 3, "tfim", "rate", id="tfim-N5-s3-rate"),
    ],
)
def test_ising_against_kronecker(N, s, variant, power):
    omega0, Omega = 2.0, 1.0
    H0, HC, H, P0 = kron_ising(N, s, omega0, Omega, variant, power)
    bat = qb.models.ising(N, s, omega0, Omega, variant=variant, power=power)
    for name, expected in (("H0", H0), ("HC", HC), ("H", H), ("P0", P0)):
        np.testing.assert_allclose(bat.dense(name), expected, atol=1e-12, err_msg=name)
    psi0 = np.zeros(2**N)
    psi0[0] = 1.0
    t = np.array([0.5, 2.0, 7.0])
    ours = qb.charge(bat, t, engine="dense")
    theirs = qb.charge(qb.Battery(H0, HC, psi0, H=H, P0=P0), t, engine="dense")
    for name in (
        "work_mean",
        "work_var",
        "power_mean",
        "power_var",
        "work_nsr",
        "power_nsr",
        "nsr_product",
        "tradeoff_bound",
        "fidelity",
        "work_angle",
        "work_bound",
        "power_bound",
    ):
        np.testing.assert_allclose(ours[name], theirs[name], rtol=RTOL, err_msg=name)


def test_ising_power_normalisations_differ_by_two():
    """SPEC §2: power='paper' uses HC/‖H^T‖, 'rate' uses HC/(E_max − E_min) = half of it
    for the paper reading (symmetric spectrum); NSRs do not depend on the choice."""
    t = np.array([1.0, 3.0])
    a = qb.charge(qb.models.ising(6, 2), t, engine="dense")
    b = qb.charge(qb.models.ising(6, 2, power="rate"), t, engine="dense")
    np.testing.assert_allclose(a.power_mean, 2 * b.power_mean, rtol=RTOL)
    np.testing.assert_allclose(a.power_nsr, b.power_nsr, rtol=RTOL)


def test_ising_rate_power_is_energy_derivative():
    """power='rate': ⟨P_t⟩ = d⟨W_t⟩/dt exactly (checked by a centred difference)."""
    bat = qb.models.ising(6, 3, power="rate")
    t0, h = 2.0, 1e-4
    ds = qb.charge(bat, np.array([t0 - h, t0, t0 + h]), engine="dense", bounds=False)
    deriv = (ds.work_mean.values[2] - ds.work_mean.values[0]) / (2 * h)
    assert ds.power_mean.values[1] == pytest.approx(deriv, rel=1e-7)


@pytest.mark.parametrize(
    ("N", "k"),
    [
        pytest.param(4, 2, id="kbody-N4-k2"),
        pytest.param(5, 2, id="kbody-N5-k2-remainder"),
        pytest.param(3, 3, id="kbody-N3-collective"),
        pytest.param(4, 1, id="kbody-N4-parallel"),
    ],
)
def test_kbody_against_kronecker(N, k):
    omega0, Omega0 = 1.3, 0.7
    Ok = k / N * Omega0
    H0 = -(omega0 / 2) * sum(site_op(N, {j: SZ}) for j in range(N))
    n, r = divmod(N, k)
    blocks = [range(j * k, (j + 1) * k) for j in range(n)] + ([range(n * k, N)] if r else [])
    HC = Ok * sum(site_op(N, dict.fromkeys(b, SX)) for b in blocks) - H0
    bat = qb.models.kbody(N, k, omega0, Omega0)
    np.testing.assert_allclose(bat.dense("H0"), H0, atol=1e-12)
    np.testing.assert_allclose(bat.dense("HC"), HC, atol=1e-12)
    np.testing.assert_allclose(bat.dense("P0"), -1j * (H0 @ HC - HC @ H0), atol=1e-12)


def test_models_are_cached_immutable_and_record_parameters():
    a = qb.models.kbody(6, 3)
    assert a is qb.models.kbody(6, 3)
    assert qb.models.parallel(6) is qb.models.kbody(6, 1)
    assert qb.models.collective(6) is qb.models.kbody(6, 6)
    assert dict(a.params) == {"N": 6, "k": 3, "omega0": 1.0, "Omega0": 1.0, "scheme": "hybrid"}
    ising = qb.models.ising(5, 2, variant="tfim")
    assert ising.params["variant"] == "tfim"
    assert ising.params["omega0"] == 2.0


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(lambda: qb.models.kbody(4, 5), "`k` must be ≥ 1 and ≤ 4", id="k>N"),
        pytest.param(lambda: qb.models.kbody(4, 0), "`k` must be ≥ 1", id="k0"),
        pytest.param(lambda: qb.models.kbody(4.5, 1), "`N` must be an integer", id="N-float"),
        pytest.param(lambda: qb.models.ising(4, 2, variant="xy"), "variant", id="variant"),
        pytest.param(lambda: qb.models.ising(4, 2, power="fast"), "power", id="power"),
        pytest.param(lambda: qb.models.single_qubit(omega0=float("nan")), "finite", id="nan-omega"),
    ],
)
def test_bad_model_parameters(call, match):
    with pytest.raises(InvalidInputError, match=match):
        call()
