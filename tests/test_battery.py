"""Battery construction: conversions and every bad input with its message."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

import qbattery as qb
from qbattery.errors import InvalidInputError

SZ = np.diag([1.0, -1.0])
SX = np.array([[0.0, 1.0], [1.0, 0.0]])
KET = np.array([1.0, 0.0])
BAD_H = np.array([[0.0, 1.0], [0.5, 0.0]])


@pytest.mark.parametrize(
    ("H0", "HC", "state", "match"),
    [
        pytest.param(np.ones((2, 3)), SX, KET, "must be a square matrix", id="non-square"),
        pytest.param(
            SZ, np.eye(3), KET, "HC` has dimension 3 but `H0` has dimension 2", id="mismatched-HC"
        ),
        pytest.param(
            SZ, SX, np.ones(3) / np.sqrt(3), "state` has dimension 3", id="mismatched-state"
        ),
        pytest.param(
            BAD_H,
            SX,
            KET,
            r"H0` must be Hermitian, but max\|H0 − H0†\| = 0.5",
            id="non-hermitian-H0",
        ),
        pytest.param(SZ, BAD_H, KET, "HC` must be Hermitian", id="non-hermitian-HC"),
        pytest.param(np.array([[np.nan, 0], [0, 1.0]]), SX, KET, "NaN or infinite", id="nan-H0"),
        pytest.param(SZ, np.array([[0, np.inf], [np.inf, 0]]), KET, "NaN or infinite", id="inf-HC"),
        pytest.param(
            SZ,
            SX,
            np.array([1.0, 1.0]),
            r"must be normalised, but ‖ψ‖ = 1.41421",
            id="unnormalised-ket",
        ),
        pytest.param(SZ, SX, np.array([np.nan, 0.0]), "NaN or infinite", id="nan-ket"),
        pytest.param(
            SZ,
            SX,
            np.array([[0.5, 0.1], [0.2, 0.5]]),
            "must be Hermitian",
            id="density-non-hermitian",
        ),
        pytest.param(
            SZ, SX, np.diag([0.7, 0.7]), r"must have trace 1, but Tr ρ = 1.4", id="density-trace"
        ),
        pytest.param(
            SZ, SX, np.diag([1.2, -0.2]), "smallest eigenvalue is -0.2", id="density-not-psd"
        ),
        pytest.param(np.ones((1, 1)), np.ones((1, 1)), np.ones(1), "dimension 1", id="dimension-1"),
        pytest.param(np.ones((0, 0)), np.ones((0, 0)), np.ones(0), "dimension 0", id="dimension-0"),
        pytest.param(SZ, SX, np.ones((2, 2, 2)), "must be a ket of shape", id="state-3d"),
        pytest.param(
            np.array([["a", "b"], ["c", "d"]]), SX, KET, "must hold numbers", id="strings"
        ),
    ],
)
def test_bad_input(H0, HC, state, match):
    with pytest.raises(InvalidInputError, match=match):
        qb.Battery(H0, HC, state)


def test_hermitian_tolerance_keyword():
    H0 = SZ + np.array([[0.0, 1e-6], [0.0, 0.0]])
    with pytest.raises(InvalidInputError, match="Hermitian"):
        qb.Battery(H0, SX, KET)
    bat = qb.Battery(H0, SX, KET, hermitian_atol=1e-5)
    assert bat.dim == 2


def test_invalid_input_is_a_value_error():
    with pytest.raises(ValueError, match="normalised"):
        qb.Battery(SZ, SX, np.array([2.0, 0.0]))


@pytest.mark.parametrize(
    "state",
    [
        pytest.param(KET, id="ket-1d"),
        pytest.param(KET.reshape(2, 1), id="ket-column"),
        pytest.param(np.diag([1.0, 0.0]), id="pure-density"),
    ],
)
def test_pure_states(state):
    bat = qb.Battery(SZ, SX, state)
    assert bat.is_pure
    w, v = bat.ensemble()
    np.testing.assert_allclose(w, [1.0])
    assert abs(abs(v[0, 0]) - 1.0) < 1e-15


def test_mixed_state_ensemble():
    rho = np.diag([0.25, 0.75])
    bat = qb.Battery(SZ, SX, rho)
    assert not bat.is_pure
    w, v = bat.ensemble()
    np.testing.assert_allclose((v * w) @ v.conj().T, rho, atol=1e-15)


def test_sparse_operators_kept_sparse_and_power_default():
    bat = qb.Battery(sp.csr_matrix(SZ), sp.csr_matrix(SX), KET)
    assert sp.issparse(bat.H0)
    np.testing.assert_allclose(bat.dense("P0"), -1j * (SZ @ SX - SX @ SZ))
    np.testing.assert_allclose(bat.dense("H"), SZ + SX)


def test_battery_is_immutable():
    bat = qb.Battery(SZ, SX, KET, name="toy", params={"a": 1})
    with pytest.raises(AttributeError, match="immutable"):
        bat.name = "other"  # type: ignore[misc]
    with pytest.raises(TypeError):
        bat.params["a"] = 2  # type: ignore[index]
    assert "toy" in repr(bat)


def test_charge_rejects_non_battery():
    with pytest.raises(InvalidInputError, match=r"must be a qbattery\.Battery"):
        qb.charge("battery", [0.0, 1.0])  # type: ignore[arg-type]


def test_diagonal_density_matrix_fast_path_matches_eigh(rng: np.random.Generator) -> None:
    """A diagonal ρ0 skips the O(d³) eigendecompositions: the ensemble reconstructs ρ0
    and its weights are the eigenvalues eigh finds (degenerate and zero ones included)."""
    p = np.array([0.4, 0.0, 0.3, 0.3, 0.0, 0.0, 0.0, 0.0])
    rho = np.diag(p).astype(complex)
    H0 = np.diag(rng.standard_normal(8))
    HC = rng.standard_normal((8, 8))
    bat = qb.Battery(H0, HC + HC.T, rho)
    weights, vectors = bat.ensemble()
    np.testing.assert_allclose((vectors * weights) @ vectors.conj().T, rho, atol=1e-15)
    np.testing.assert_allclose(np.sort(weights), np.sort(p[p > 0]), rtol=1e-15)
    assert not bat.is_pure
    with pytest.raises(InvalidInputError, match="positive semidefinite"):
        qb.Battery(H0, HC + HC.T, np.diag([1.2, -0.2, 0, 0, 0, 0, 0, 0]))
