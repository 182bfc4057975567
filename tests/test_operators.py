"""PauliSum and ProductState against matrices built independently with np.kron."""

from __future__ import annotations

from functools import reduce

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given
from hypothesis import strategies as st

import qbattery as qb
from qbattery.errors import InvalidInputError, MemoryLimitError
from qbattery.operators import (
    PauliSum,
    ProductState,
    pauli_string_sparse,
    sum_z,
    x_string_sum,
)

PAULI = {
    "I": np.eye(2),
    "X": np.array([[0, 1], [1, 0]], complex),
    "Y": np.array([[0, -1j], [1j, 0]]),
    "Z": np.diag([1.0, -1.0]).astype(complex),
}


def kron_string(letters: str) -> np.ndarray:
    """Reference: ⊗ of 2×2 Pauli matrices, site 0 leftmost."""
    return reduce(np.kron, [PAULI[c] for c in letters])


def reference(terms: list[tuple[complex, str]], n: int) -> np.ndarray:
    out = np.zeros((2**n, 2**n), complex)
    for c, s in terms:
        out += c * kron_string(s)
    return out


@st.composite
def pauli_terms(draw: st.DrawFn, n: int | None = None, max_terms: int = 6, real: bool = False):
    n = draw(st.integers(1, 5)) if n is None else n
    m = draw(st.integers(0, max_terms))
    letters = st.text(alphabet="IXYZ", min_size=n, max_size=n)
    part = st.floats(-2, 2, allow_nan=False).map(lambda v: round(v, 3))
    terms = []
    for _ in range(m):
        re = draw(part)
        im = 0.0 if real else draw(part)
        terms.append((complex(re, im), draw(letters)))
    # repeat a string sometimes so that simplification has something to combine
    if terms and draw(st.booleans()):
        terms.append((complex(draw(part)), terms[0][1]))
    return n, terms


@given(pauli_terms())
def test_to_dense_and_sparse_match_kron(data):
    n, terms = data
    A = PauliSum.from_terms(terms, n=n)
    ref = reference(terms, n)
    np.testing.assert_allclose(A.to_dense(), ref, atol=1e-13)
    np.testing.assert_allclose(A.to_sparse().toarray(), ref, atol=1e-13)
    assert A.shape == (2**n, 2**n)


@given(pauli_terms(), st.integers(0, 2**32 - 1))
def test_matrix_free_products_match_kron(data, seed):
    n, terms = data
    A = PauliSum.from_terms(terms, n=n)
    ref = reference(terms, n)
    rng = np.random.default_rng(seed)
    v = rng.normal(size=2**n) + 1j * rng.normal(size=2**n)
    V = rng.normal(size=(2**n, 3))
    np.testing.assert_allclose(A.matvec(v), ref @ v, atol=1e-12)
    np.testing.assert_allclose(A @ V, ref @ V, atol=1e-12)
    np.testing.assert_allclose(A.apply(V.T), (ref @ V).T, atol=1e-12)
    lin = A.to_linear_operator()
    np.testing.assert_allclose(lin.matvec(v), ref @ v, atol=1e-12)
    np.testing.assert_allclose(lin.rmatvec(v), ref.conj().T @ v, atol=1e-12)
    np.testing.assert_allclose(lin.matmat(V), ref @ V, atol=1e-12)


@given(pauli_terms(n=3), pauli_terms(n=3), st.complex_numbers(max_magnitude=3))
def test_algebra_matches_matrices(a, b, z):
    (n, ta), (_, tb) = a, b
    A, B = PauliSum.from_terms(ta, n=n), PauliSum.from_terms(tb, n=n)
    Ad, Bd = reference(ta, n), reference(tb, n)
    eye = np.eye(2**n)
    np.testing.assert_allclose((A + B).to_dense(), Ad + Bd, atol=1e-12)
    np.testing.assert_allclose((A - B).to_dense(), Ad - Bd, atol=1e-12)
    np.testing.assert_allclose((-A).to_dense(), -Ad, atol=1e-12)
    np.testing.assert_allclose((z * A).to_dense(), z * Ad, atol=1e-11)
    np.testing.assert_allclose((A * z).to_dense(), z * Ad, atol=1e-11)
    np.testing.assert_allclose((A + 1.5).to_dense(), Ad + 1.5 * eye, atol=1e-12)
    np.testing.assert_allclose((2 - A).to_dense(), 2 * eye - Ad, atol=1e-12)
    np.testing.assert_allclose((A / 4).to_dense(), Ad / 4, atol=1e-12)
    np.testing.assert_allclose(A.adjoint().to_dense(), Ad.conj().T, atol=1e-12)
    np.testing.assert_allclose(A.commutator(B).to_dense(), Ad @ Bd - Bd @ Ad, atol=1e-11)
    np.testing.assert_allclose(
        (-1j * A.commutator(B)).to_dense(), -1j * (Ad @ Bd - Bd @ Ad), atol=1e-11
    )


@given(pauli_terms())
def test_simplify_combines_equal_strings_exactly(data):
    n, terms = data
    A = PauliSum.from_terms(terms, n=n)
    S = A.simplify()
    np.testing.assert_allclose(S.to_dense(), A.to_dense(), atol=1e-13)
    labels = [frozenset(p.items()) for _, p in S.to_list()]
    assert len(labels) == len(set(labels))
    assert all(c != 0 for c, _ in S.to_list())


@given(pauli_terms(n=3))
def test_hermitian_deviation_bounds_the_matrix(data):
    n, terms = data
    A = PauliSum.from_terms(terms, n=n)
    Ad = reference(terms, n)
    dev = np.max(np.abs(Ad - Ad.conj().T))
    assert A.hermitian_deviation() >= dev - 1e-12
    assert A.max_abs() >= np.max(np.abs(Ad)) - 1e-12
    if dev < 1e-13:
        assert A.hermitian_deviation() <= 1e-12
        assert A.is_hermitian()


def test_hermitian_pair_of_complex_terms_is_recognised():
    # 1j*XY − 1j*YX is Hermitian although its coefficients are imaginary
    A = PauliSum.from_terms([(1j, "XY"), (-1j, "YX"), (0.5j, "ZI"), (-0.5j, "ZI")], n=2)
    assert A.hermitian_deviation() == pytest.approx(4.0)  # 2(|1| + |−1|): XY, YX differ
    B = PauliSum.from_terms([(0.5j, "ZI"), (-0.5j, "ZI")], n=2)
    assert B.hermitian_deviation() == 0.0
    assert not PauliSum.from_terms([(1j, "X")], n=1).is_hermitian()


@given(pauli_terms(n=4, real=True))
def test_diagonal_and_is_diagonal(data):
    n, terms = data
    A = PauliSum.from_terms(terms, n=n)
    Ad = reference(terms, n)
    np.testing.assert_allclose(A.diagonal(), np.diag(Ad), atol=1e-13)
    assert A.is_diagonal() == (not np.any(np.abs(Ad - np.diag(np.diag(Ad))) > 1e-13))


def test_builders_match_sparse_builders():
    n = 5
    np.testing.assert_allclose(PauliSum.single_site(n, "Z").to_dense(), sum_z(n).toarray())
    blocks = [[0, 1], [2, 3], [4]]
    np.testing.assert_allclose(PauliSum.blocks(n, 2).to_dense(), x_string_sum(n, blocks).toarray())
    np.testing.assert_allclose(
        PauliSum.strings(n, blocks).to_dense(), x_string_sum(n, blocks).toarray()
    )
    ising = [list(range(i, i + 3)) for i in range(n - 2)]
    np.testing.assert_allclose(
        PauliSum.sliding(n, 3, "X").to_dense(), x_string_sum(n, ising).toarray()
    )
    zz = sum(pauli_string_sparse(n, {i: "Z", (i + 1) % n: "Z"}) for i in range(n))
    np.testing.assert_allclose(
        PauliSum.nearest_neighbour(n, "Z", "Z", periodic=True).to_dense(), zz.toarray()
    )
    np.testing.assert_allclose(PauliSum.sliding(n, 2, "Z", periodic=True).to_dense(), zz.toarray())
    yx = sum(pauli_string_sparse(n, {i: "Y", i + 1: "X"}) for i in range(n - 1))
    np.testing.assert_allclose(
        PauliSum.nearest_neighbour(n, "Y", "X", 1.0).to_dense(), yx.toarray()
    )
    np.testing.assert_allclose(PauliSum.identity(2, 3.0).to_dense(), 3 * np.eye(4))


def test_to_qobj_matches_qutip_tensor():
    qutip = pytest.importorskip("qutip")
    A = PauliSum.from_terms([(0.7, "XZ"), (-0.2, "IY")], n=2)
    ref = 0.7 * qutip.tensor(qutip.sigmax(), qutip.sigmaz()) - 0.2 * qutip.tensor(
        qutip.qeye(2), qutip.sigmay()
    )
    q = A.to_qobj()
    assert q.dims == [[2, 2], [2, 2]]
    np.testing.assert_allclose(q.full(), ref.full(), atol=1e-14)


def test_large_sums_are_cheap_and_lazy():
    n = 10**6
    H0 = PauliSum.single_site(n, "Z", -0.5)
    HC = PauliSum.blocks(n, n) - H0
    P0 = -1j * H0.commutator(HC)  # 10^6 strings of 10^6 sites if expanded: stays lazy
    assert "not yet evaluated" in repr(P0)
    assert HC.hermitian_deviation() == 0.0
    assert H0.shape[0] == 2**n
    assert (H0 + HC).num_terms == 3 * n + 1 - n  # concatenation, not simplified
    with pytest.raises(InvalidInputError, match=r"needs n ≤ 40"):
        H0.apply(np.zeros(4))
    with pytest.raises(InvalidInputError, match=r"a sparse matrix on 1000000 qubits"):
        H0.to_sparse()


def test_commutator_of_large_sparse_sums_pairs_only_overlaps():
    n = 2000
    H0 = PauliSum.single_site(n, "Z", -1.0)
    S = PauliSum.sliding(n, 3, "X")
    C = H0.commutator(S).simplify()
    # [Z_i, X_i X_{i+1} X_{i+2}] = 2i Y_i X X: three strings per window
    assert C.num_terms == 3 * (n - 2)
    small = PauliSum.single_site(6, "Z", -1.0).commutator(PauliSum.sliding(6, 3, "X"))
    ref = reference([(-1.0, "ZIIIII"[-i:] + "ZIIIII"[:-i]) for i in range(6)], 6)
    sref = x_string_sum(6, [list(range(i, i + 3)) for i in range(4)]).toarray()
    np.testing.assert_allclose(small.to_dense(), ref @ sref - sref @ ref, atol=1e-12)


def test_battery_accepts_pauli_sums_without_dense_matrices(monkeypatch):
    n = 30  # 2^30: a dense or sparse matrix would not fit
    H0 = PauliSum.single_site(n, "Z", -0.5)
    HC = PauliSum.sliding(n, 2, "X", -1.0)

    def boom(self):  # pragma: no cover - the test fails if it is called
        raise AssertionError("to_dense called")

    monkeypatch.setattr(PauliSum, "to_dense", boom)
    monkeypatch.setattr(PauliSum, "to_sparse", boom)
    bat = qb.Battery(H0, HC, ProductState.zeros(n))
    assert bat.dim == 2**n
    assert bat.is_pure
    assert isinstance(bat.H, PauliSum)
    assert isinstance(bat.P0, PauliSum)
    assert bat.P0.simplify().num_terms == 2 * (n - 1)


def test_battery_rejects_non_hermitian_pauli_sum():
    H0 = PauliSum.from_terms([(1j, "XI")], n=2)
    with pytest.raises(InvalidInputError, match=r"`H0` must be Hermitian"):
        qb.Battery(H0, PauliSum.single_site(2, "X"), ProductState.zeros(2))


def test_product_state():
    rng = np.random.default_rng(3)
    amp = rng.normal(size=(4, 2)) + 1j * rng.normal(size=(4, 2))
    amp /= np.linalg.norm(amp, axis=1, keepdims=True)
    psi = ProductState(amp)
    ref = reduce(np.kron, list(amp))
    np.testing.assert_allclose(psi.to_dense(), ref, atol=1e-15)
    assert psi.shape == (16,)
    assert psi.is_pure
    assert psi.n == 4
    np.testing.assert_array_equal(psi.site_amplitudes, amp)
    with pytest.raises(InvalidInputError, match=r"site 0 of the product state has norm²"):
        ProductState([[1.0, 1.0]])
    with pytest.raises(InvalidInputError, match=r"must have shape \(n, 2\)"):
        ProductState([1.0, 0.0])


def test_memory_checked_before_dense(monkeypatch):
    monkeypatch.setenv("QBATTERY_MEMORY_LIMIT", "1000")
    with pytest.raises(MemoryLimitError, match=r"dense 32×32 matrix of a PauliSum needs about"):
        PauliSum.single_site(5, "Z").to_dense()
    with pytest.raises(MemoryLimitError, match=r"a ket on 10 qubits needs about"):
        ProductState.zeros(10).to_dense()


@pytest.mark.parametrize(
    ("call", "match"),
    [
        pytest.param(
            lambda: PauliSum.from_terms([(1, "XX")], n=3), r"has 2 letters but n = 3", id="length"
        ),
        pytest.param(
            lambda: PauliSum.from_terms([(1, "XQ")], n=2), r"unknown Pauli letter 'Q'", id="letter"
        ),
        pytest.param(
            lambda: PauliSum.from_terms([(1, {5: "X"})], n=2), r"site 5 is outside", id="site"
        ),
        pytest.param(lambda: PauliSum.from_terms([(np.nan, "X")], n=1), r"is not finite", id="nan"),
        pytest.param(lambda: PauliSum.from_terms([1.0], n=1), r"each term must be", id="shape"),
        pytest.param(lambda: PauliSum.from_terms([(1, 3)], n=1), r"must be a str like", id="spec"),
        pytest.param(lambda: PauliSum.single_site(0), r"positive integer", id="n"),
        pytest.param(lambda: PauliSum.blocks(4, 5), r"block size `k`", id="k"),
        pytest.param(lambda: PauliSum.sliding(4, 0), r"string length `s`", id="s"),
        pytest.param(
            lambda: PauliSum.single_site(2) + PauliSum.single_site(3),
            r"cannot add PauliSums on 2 and 3 qubits",
            id="mismatch",
        ),
        pytest.param(
            lambda: PauliSum.single_site(2).apply(np.zeros(3)),
            r"vector has 3 entries but the PauliSum acts on 2\^2",
            id="vector",
        ),
    ],
)
def test_errors(call, match):
    with pytest.raises(InvalidInputError, match=match):
        call()


def test_unsupported_operand_types():
    with pytest.raises(TypeError, match=r"unsupported operand"):
        PauliSum.single_site(2) + "x"
    with pytest.raises(TypeError, match=r"does not support ufuncs"):
        PauliSum.single_site(2) * np.ones(2)
    assert isinstance(np.float64(2.0) * PauliSum.single_site(2), PauliSum)
    assert sp.issparse(PauliSum.single_site(2).to_sparse())


# ---- the models build PauliSums (qbattery.models.ising / kbody) -----------------------
@pytest.mark.parametrize(
    ("N", "s", "Omega"),
    [
        pytest.param(6, 2, 1.0, id="N6-s2"),
        pytest.param(7, 3, -0.7, id="N7-s3-negative"),
        pytest.param(5, 5, 2.0, id="N5-s5-one-string"),
        pytest.param(8, 1, 1.3, id="N8-s1"),
    ],
)
def test_ising_paper_extremes_are_exact(N, s, Omega):
    from qbattery.models.ising import paper_extremes

    bat = qb.models.ising(N, s, Omega=Omega, normalize=False)
    ev = np.linalg.eigvalsh(bat.dense("H"))
    lo, hi = paper_extremes(N, s, Omega)
    assert lo == -abs(Omega) * (N - s + 1)
    assert ev[0] == pytest.approx(lo, abs=1e-12)
    assert ev[-1] == pytest.approx(hi, abs=1e-12)
    norm = qb.models.ising(N, s, Omega=Omega)
    assert (norm.structure["E_min"], norm.structure["E_max"]) == (lo, hi)
    evn = np.linalg.eigvalsh(norm.dense("H"))
    assert evn[0] == pytest.approx(0.0, abs=1e-12)
    assert evn[-1] == pytest.approx(1.0, abs=1e-12)


def test_ising_tfim_extremes_by_lanczos_match_dense():
    bat = qb.models.ising(11, 3, variant="tfim")  # d = 2048 > 1024: Lanczos (eigsh)
    ev = np.linalg.eigvalsh(bat.HC.to_dense() + bat.H0.to_dense())
    assert bat.structure["E_min"] == pytest.approx(ev[0], abs=1e-10)
    assert bat.structure["E_max"] == pytest.approx(ev[-1], abs=1e-10)


def test_models_hold_pauli_sums_and_product_states():
    for bat in (qb.models.kbody(6, 4), qb.models.ising(6, 2)):
        assert isinstance(bat.H0, PauliSum)
        assert isinstance(bat.P0, PauliSum)
        assert isinstance(bat.state, ProductState)
    big = qb.models.kbody(10**6, 1000)
    assert big.dim == 2**1_000_000
    assert big.structure["H0_initial"] == -0.5 * 10**6


def test_battery_repr_with_an_astronomical_dimension():
    assert "dim=2^1000000" in repr(qb.models.kbody(10**6, 10))
