"""User-supplied eigenbases of the counting observables (``qb.Eigenbasis``).

Independent routes: the dense ``np.kron`` of the local eigenvectors for
``Eigenbasis.product``; the dense engine's own eigendecomposition of O0 for the Fisher
information computed through a supplied basis (dense and Krylov engines, 1e-10 relative
where the information is O(1); the Krylov engine's Lanczos error 1e-9); the structured
k-body engine for the parallel battery at d = 2^14, beyond what the Krylov engine would
diagonalise.
"""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest

import qbattery as qb
from qbattery.engines.dense import DenseEngine
from qbattery.engines.krylov import KrylovEngine
from qbattery.errors import InvalidInputError

PS = qb.PauliSum
#: σ^y eigenvectors for the eigenvalues +1, −1
QY = np.array([[1, 1], [1j, -1j]]) / np.sqrt(2)


def _zz_battery(n: int, basis: bool = True) -> qb.Battery:
    """H0 = ½Σσ^z, HC = Σσ^x + 0.3Σσ^zσ^z: P0 = Σσ^y, a product eigenbasis."""
    H0 = PS.single_site(n, "Z", 0.5)
    HC = PS.single_site(n, "X") + PS.nearest_neighbour(n, "Z", "Z", 0.3)
    bases = {"power": qb.Eigenbasis.product([([1.0, -1.0], QY)] * n)} if basis else None
    return qb.Battery(H0, HC, qb.ProductState.zeros(n), eigenbases=bases)


def _random_hermitian(rng: np.random.Generator, d: int) -> np.ndarray:
    A = rng.standard_normal((d, d)) + 1j * rng.standard_normal((d, d))
    return (A + A.conj().T) / 2


def test_product_equals_kron(rng: np.random.Generator) -> None:
    """Q†X and the values of a product basis equal the dense Kronecker construction."""
    dims = [2, 3, 2]
    locs = []
    for di in dims:
        vals, vecs = np.linalg.eigh(_random_hermitian(rng, di))
        locs.append((vals, vecs))
    basis = qb.Eigenbasis.product(locs)
    Q = reduce(np.kron, [v for _, v in locs])
    values = reduce(lambda a, b: (a[:, None] + b[None, :]).ravel(), [v for v, _ in locs])
    X = rng.standard_normal((12, 3)) + 1j * rng.standard_normal((12, 3))
    np.testing.assert_allclose(basis.values, values, rtol=1e-14)
    np.testing.assert_allclose(basis.coefficients(X), Q.conj().T @ X, rtol=0, atol=1e-13)
    np.testing.assert_allclose(basis.coefficients(X[:, 0]), Q.conj().T @ X[:, 0], atol=1e-13)
    # and it is an eigenbasis of the sum of the local terms
    eye = [np.eye(di) for di in dims]
    O0 = sum(
        reduce(np.kron, [Q @ np.diag(v) @ Q.conj().T if j == i else eye[j] for j in range(3)])
        for i, (v, Q) in enumerate(locs)
    )
    basis.check(O0, "O0")


def test_check_accepts_eigh_and_rejects_wrong_bases(rng: np.random.Generator) -> None:
    O0 = _random_hermitian(rng, 6)
    vals, Q = np.linalg.eigh(O0)
    qb.Eigenbasis(vals, Q).check(O0, "P0")
    with pytest.raises(InvalidInputError, match=r"not an eigenbasis of P0.*order"):
        qb.Eigenbasis(vals[::-1], Q).check(O0, "P0")
    with pytest.raises(InvalidInputError, match="not an eigenbasis of P0"):
        qb.Eigenbasis(vals, Q.conj()).check(O0, "P0")
    with pytest.raises(InvalidInputError, match="not orthonormal"):
        qb.Eigenbasis(vals, 2 * Q).check(O0, "P0")


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        pytest.param({"values": [[1.0]], "vectors": np.eye(1)}, "1-D array", id="2d-values"),
        pytest.param({"values": [1.0, 1j], "vectors": np.eye(2)}, "must be real", id="complex"),
        pytest.param({"values": [1.0, np.nan], "vectors": np.eye(2)}, "NaN", id="nan"),
        pytest.param({"values": [1.0, 2.0]}, "either `vectors`", id="neither"),
        pytest.param(
            {"values": [1.0, 2.0], "vectors": np.eye(2), "transform": lambda x: x},
            "not both",
            id="both",
        ),
        pytest.param({"values": [1.0, 2.0], "vectors": np.eye(3)}, "shape \\(2, 2\\)", id="shape"),
        pytest.param({"values": [1.0, 2.0], "transform": 3}, "callable", id="not-callable"),
    ],
)
def test_bad_eigenbasis(kwargs: dict, match: str) -> None:
    with pytest.raises(InvalidInputError, match=match):
        qb.Eigenbasis(**kwargs)


def test_bad_product_and_transform() -> None:
    with pytest.raises(InvalidInputError, match="at least one factor"):
        qb.Eigenbasis.product([])
    with pytest.raises(InvalidInputError, match=r"factor 1 of Eigenbasis\.product"):
        qb.Eigenbasis.product([([1.0, -1.0], QY), ([1.0, -1.0], np.eye(3))])
    basis = qb.Eigenbasis([1.0, 2.0], transform=lambda X: X[:1])
    with pytest.raises(InvalidInputError, match="keep the shape"):
        basis.coefficients(np.eye(2))


def test_battery_rejects_bad_eigenbases() -> None:
    good = qb.Eigenbasis.product([([1.0, -1.0], QY)] * 3)
    H0 = PS.single_site(3, "Z", 0.5)
    HC = PS.single_site(3, "X")
    psi = qb.ProductState.zeros(3)
    with pytest.raises(InvalidInputError, match="unknown key 'heat'"):
        qb.Battery(H0, HC, psi, eigenbases={"heat": good})
    with pytest.raises(InvalidInputError, match=r"must be a qbattery\.Eigenbasis"):
        qb.Battery(H0, HC, psi, eigenbases={"power": np.eye(8)})
    with pytest.raises(InvalidInputError, match="must be a mapping"):
        qb.Battery(H0, HC, psi, eigenbases=[good])  # type: ignore[arg-type]
    small = qb.Eigenbasis.product([([1.0, -1.0], QY)] * 2)
    with pytest.raises(InvalidInputError, match="dimension 4 but `H0` has dimension 8"):
        qb.Battery(H0, HC, psi, eigenbases={"power": small})
    # P0's eigenbasis is not H0's
    with pytest.raises(InvalidInputError, match="not an eigenbasis of H0"):
        qb.Battery(H0, HC, psi, eigenbases={"work": good})


def test_with_state_keeps_eigenbases() -> None:
    bat = _zz_battery(3)
    mixed = qb.with_state(bat, np.eye(8) / 8)
    assert mixed.eigenbases["power"] is bat.eigenbases["power"]


@pytest.mark.parametrize("which", ["work", "power"])
def test_engines_with_basis_equal_dense_eigh(which: str) -> None:
    """Fisher information through the supplied basis = the dense engine's own eigh.

    The Krylov engine is made to need the basis (``eig_max_dim`` below d); the work
    basis is the computational one, passed explicitly as ``transform``.
    """
    n = 6
    bases = {
        "power": qb.Eigenbasis.product([([1.0, -1.0], QY)] * n),
        "work": qb.Eigenbasis(PS.single_site(n, "Z", 0.5).diagonal().real, transform=lambda X: X),
    }
    hinted = qb.Battery(
        PS.single_site(n, "Z", 0.5),
        PS.single_site(n, "X") + PS.nearest_neighbour(n, "Z", "Z", 0.3),
        qb.ProductState.zeros(n),
        eigenbases={which: bases[which]},
    )
    plain = _zz_battery(n, basis=False)
    times = np.linspace(0.05, 2.0, 9)
    ref = DenseEngine(plain).fisher(times, which)
    dense = DenseEngine(hinted).fisher(times, which)
    krylov = KrylovEngine(hinted, eig_max_dim=8).fisher(times, which)
    unhinted = KrylovEngine(plain, eig_max_dim=8)
    assert ref is not None
    assert dense is not None
    assert krylov is not None
    assert np.all(ref > 0.1)
    np.testing.assert_allclose(dense, ref, rtol=1e-10)
    np.testing.assert_allclose(krylov, ref, rtol=1e-9)
    if which == "power":  # P0 is not diagonal: without the basis, no information
        assert unhinted.fisher(times, which) is None
        assert "eigenbases={'power': qbattery.Eigenbasis(...)}" in unhinted.notes["power_fisher"]


def test_krylov_power_bound_beyond_eig_max_dim_vs_structured() -> None:
    """Parallel charging (k = 1) at d = 2^14: Krylov with the σ^y product basis of P0
    against the exact structured k-body engine (closed per-cell blocks)."""
    n = 14
    model = qb.models.kbody(n, 1)
    terms = model.P0.to_list()  # P0 = c Σ_i σ^y_i
    c = complex(terms[0][0])
    assert len(terms) == n
    assert c.imag == 0
    assert all(term == {i: "Y"} and coeff == c for i, (coeff, term) in enumerate(terms))
    basis = qb.Eigenbasis.product([(c.real * np.array([1.0, -1.0]), QY)] * n)
    bat = qb.Battery(model.H0, model.HC, model.state, H=model.H, eigenbases={"power": basis})
    times = np.linspace(0.0, 2.0, 11)
    got = qb.charge(bat, times, engine="krylov", progress=False)
    ref = qb.charge(model, times, engine="structured", progress=False)
    assert got.attrs["engine"] == "krylov"
    for name in ("power_bound", "power_angle", "power_nsr", "work_bound"):
        np.testing.assert_allclose(got[name][1:], ref[name][1:], rtol=1e-8, atol=1e-12)
    assert np.all(np.isfinite(got["power_bound"][1:]))


@pytest.mark.slow
def test_charge_power_bound_dense_vs_krylov_d2048() -> None:
    """Through qb.charge at d = 2^11 > 1024: Krylov (basis) vs dense (its own eigh)."""
    times = np.linspace(0.0, 2.0, 21)
    got = qb.charge(_zz_battery(11), times, engine="krylov", progress=False)
    ref = qb.charge(_zz_battery(11, basis=False), times, engine="dense", progress=False)
    for name in ("power_bound", "power_angle", "power_f"):
        np.testing.assert_allclose(got[name][1:], ref[name][1:], rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize(("N", "k"), [(8, 3), (7, 2), (6, 1)])
def test_kbody_power_eigenbasis_matches_dense_eigh(N: int, k: int) -> None:
    """The k-body model's product-of-blocks P0 basis (remainder block included) gives the
    dense engine's power Fisher information of its own eigendecomposition, to 1e-10."""
    model = qb.models.kbody(N, k)
    assert "power" in model.eigenbases
    plain = qb.Battery(model.H0, model.HC, model.state, H=model.H)
    times = np.linspace(0.05, 3.0, 13)
    got = DenseEngine(model).fisher(times, "power")
    ref = DenseEngine(plain).fisher(times, "power")
    assert got is not None
    assert ref is not None
    np.testing.assert_allclose(got, ref, rtol=1e-10)


def test_kbody_power_eigenbasis_only_where_useful() -> None:
    assert not qb.models.kbody(5, 5).eigenbases  # collective: one block, nothing to gain
    assert not qb.models.kbody(17, 2).eigenbases  # its check would cost O(2^17)
    assert not qb.models.kbody(12, 11).eigenbases  # blocks larger than 10 cells
