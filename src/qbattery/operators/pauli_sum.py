"""The symbolic Pauli sum :class:`PauliSum` (see :mod:`qbattery.operators`).

Its strings are stored and multiplied in :mod:`~qbattery.operators.terms`; its
matrix-free product is the plan of :mod:`~qbattery.operators.plan`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from numbers import Number
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.sparse.linalg import LinearOperator

from qbattery import _checks
from qbattery.errors import InvalidInputError
from qbattery.operators.bits import MAX_SPARSE_QUBITS, check_matvec
from qbattery.operators.plan import Plan, sparse_matrix
from qbattery.operators.terms import (
    Terms,
    block_terms,
    check_n,
    commutator_terms,
    concat,
    empty_terms,
    format_coef,
    identity_terms,
    matrix_coef,
    parse_terms,
    simplify_terms,
    site_terms,
    sliding_terms,
    string_terms,
    term_label,
    term_list,
)


class PauliSum:
    r"""Symbolic sum of Pauli strings with complex coefficients on ``n`` qubits.

    .. math:: A = \sum_t c_t \bigotimes_{j=0}^{n-1} \sigma^{(j)}_{t},
              \quad \sigma \in \{I, X, Y, Z\}

    Site ``j`` is the ``j``-th tensor factor from the left (``qutip.tensor`` order).
    Operations (``+``, ``−``, scalar ``*`` and ``/``, :meth:`commutator`,
    :meth:`adjoint`) are exact on the strings and lazy: a result is computed when first
    needed and then cached, so a battery of 10⁶ sites can be described without ever
    expanding it. ``A + 2`` adds 2·I (the ``qutip`` convention).

    Parameters
    ----------
    n : int
        Number of qubits.
    terms : iterable of (coefficient, string), optional
        As in :meth:`from_terms`.

    Examples
    --------
    >>> import numpy as np
    >>> from qbattery.operators import PauliSum
    >>> A = PauliSum.from_terms([(1.0, "XXI"), (0.5, {0: "Z"})], n=3)
    >>> A
    PauliSum(n=3, 2 terms: 1*XXI + 0.5*ZII)
    >>> B = PauliSum.single_site(3, "Z")
    >>> C = A.commutator(B)                       # exact, on the strings
    >>> bool(np.allclose(C.to_dense(), A.to_dense() @ B.to_dense() - B.to_dense() @ A.to_dense()))
    True
    >>> psi = np.zeros(8); psi[0] = 1.0
    >>> bool(np.allclose(A @ psi, A.to_dense() @ psi))   # matrix-free product
    True
    """

    __array_ufunc__ = None  # numpy defers to our operators (2.0 * A, -1j * A, …)

    def __init__(self, n: int, terms: Iterable[tuple[complex, Any]] | None = None) -> None:
        self.n = check_n(n)
        self._terms: Terms | None = None
        self._thunk: Callable[[], Terms] | None = None
        self._simple = False
        self._plan_cache: Plan | None = None
        if terms is None:
            self._terms = empty_terms()
            self._simple = True
        else:
            self._terms = parse_terms(terms, self.n)

    # ---- construction ----------------------------------------------------------------
    @classmethod
    def from_terms(cls, terms: Iterable[tuple[complex, Any]], n: int) -> PauliSum:
        """Build Σ c_t P_t from ``(c_t, P_t)`` pairs.

        Each P_t is a string of ``n`` letters from ``IXYZ`` (site 0 first) or a mapping
        ``{site: letter}`` (other sites identity).

        Examples
        --------
        >>> PauliSum.from_terms([(2.0, {1: "Y"})], n=2).to_dense().tolist()
        [[0j, -2j, 0j, 0j], [2j, 0j, 0j, 0j], [0j, 0j, 0j, -2j], [0j, 0j, 2j, 0j]]
        """
        return cls(n, terms)

    @classmethod
    def _from_arrays(cls, n: int, t: Terms, *, simple: bool = False) -> PauliSum:
        obj = cls.__new__(cls)
        obj.n = n
        obj._terms = t
        obj._thunk = None
        obj._simple = simple
        obj._plan_cache = None
        return obj

    @classmethod
    def _lazy(cls, n: int, thunk: Callable[[], Terms]) -> PauliSum:
        obj = cls._from_arrays(n, empty_terms())
        obj._terms = None
        obj._thunk = thunk
        return obj

    @classmethod
    def identity(cls, n: int, coeff: complex = 1.0) -> PauliSum:
        """``coeff`` · I on ``n`` qubits."""
        n = check_n(n)
        return cls._from_arrays(n, identity_terms(coeff))

    @classmethod
    def single_site(
        cls,
        n: int,
        letter: str = "Z",
        coeff: complex = 1.0,
        sites: Sequence[int] | np.ndarray | None = None,
    ) -> PauliSum:
        """Σ_j coeff σ^(j) over ``sites`` (default all), e.g. Σ_j σ_z^(j).

        Examples
        --------
        >>> PauliSum.single_site(2, "Z").to_dense().real.diagonal().tolist()
        [2.0, 0.0, 0.0, -2.0]
        """
        n = check_n(n)
        return cls._from_arrays(n, site_terms(n, letter, coeff, sites))

    @classmethod
    def strings(
        cls, n: int, blocks: Iterable[Sequence[int]], letter: str = "X", coeff: complex = 1.0
    ) -> PauliSum:
        """Σ_blocks coeff ⊗_{j∈block} σ^(j): one string per block of sites.

        Examples
        --------
        >>> PauliSum.strings(4, [[0, 1], [2, 3]], "X")
        PauliSum(n=4, 2 terms: 1*XXII + 1*IIXX)
        """
        n = check_n(n)
        return cls._from_arrays(n, string_terms(n, blocks, letter, coeff))

    @classmethod
    def blocks(cls, n: int, k: int, letter: str = "X", coeff: complex = 1.0) -> PauliSum:
        """Σ_j coeff ⊗_{i∈B_j} σ^(i) over consecutive blocks of ``k`` sites.

        ⌊n/k⌋ blocks of k sites, then one block of the remaining n mod k sites (the
        k-body model, Eq. 7). Vectorised: fine for n = 10⁶.

        Examples
        --------
        >>> PauliSum.blocks(5, 2)
        PauliSum(n=5, 3 terms: 1*XXIII + 1*IIXXI + 1*IIIIX)
        """
        n = check_n(n)
        return cls._from_arrays(n, block_terms(n, k, letter, coeff))

    @classmethod
    def sliding(
        cls, n: int, s: int, letter: str = "X", coeff: complex = 1.0, *, periodic: bool = False
    ) -> PauliSum:
        """Σ_i coeff σ^(i) σ^(i+1) … σ^(i+s−1): s-site strings on a chain.

        Open chain: i = 0…n−s; ``periodic=True``: i = 0…n−1 with sites mod n.
        ``s = 2`` gives nearest-neighbour couplings.

        Examples
        --------
        >>> PauliSum.sliding(3, 2, "X")
        PauliSum(n=3, 2 terms: 1*XXI + 1*IXX)
        """
        n = check_n(n)
        return cls._from_arrays(n, sliding_terms(n, s, letter, coeff, periodic=periodic))

    @classmethod
    def nearest_neighbour(
        cls,
        n: int,
        a: str = "X",
        b: str = "X",
        coeff: complex = 1.0,
        *,
        periodic: bool = False,
    ) -> PauliSum:
        """Σ_i coeff σ_a^(i) σ_b^(i+1), e.g. the XX or ZZ couplings of a chain.

        Examples
        --------
        >>> PauliSum.nearest_neighbour(3, "Z", "X")
        PauliSum(n=3, 2 terms: 1*ZXI + 1*IZX)
        """
        n = check_n(n)
        count = n if periodic else n - 1
        if count < 1 or (periodic and n < 3):
            raise InvalidInputError(
                f"nearest-neighbour couplings need n ≥ 2 (≥ 3 periodic), got {n}"
            )
        return cls(
            n,
            ((coeff, {i: a, (i + 1) % n: b}) for i in range(count)),
        )

    # ---- storage ---------------------------------------------------------------------
    @property
    def _data(self) -> Terms:
        if self._terms is None:
            assert self._thunk is not None
            self._terms = self._thunk()
            self._thunk = None
        return self._terms

    def _simplified(self) -> Terms:
        if not self._simple:
            self._terms = simplify_terms(self._data, 0.0)
            self._simple = True
            self._plan_cache = None
        return self._data

    def simplify(self, atol: float = 0.0) -> PauliSum:
        """Combine equal strings and drop terms with |c| ≤ ``atol`` (exact zeros by default).

        Examples
        --------
        >>> A = PauliSum.from_terms([(1.0, "XI"), (2.0, "XI"), (1.0, "ZZ"), (-1.0, "ZZ")], n=2)
        >>> A.simplify()
        PauliSum(n=2, 1 terms: 3*XI)
        """
        return PauliSum._from_arrays(self.n, simplify_terms(self._data, float(atol)), simple=True)

    @property
    def num_terms(self) -> int:
        """Number of stored strings (after simplification if it was done)."""
        return self._data.size

    def __len__(self) -> int:
        return self.num_terms

    def to_list(self) -> list[tuple[complex, dict[int, str]]]:
        """The terms as ``(coefficient, {site: letter})`` pairs."""
        return term_list(self._data)

    def __repr__(self) -> str:
        if self._terms is None and self.n > 64:
            return f"PauliSum(n={self.n}, not yet evaluated)"
        m = self.num_terms
        shown = " + ".join(
            f"{format_coef(self._data.coef[i])}*{term_label(self._data, i, self.n)}"
            for i in range(min(m, 4))
        )
        more = " + …" if m > 4 else ""
        return f"PauliSum(n={self.n}, {m} terms: {shown or '0'}{more})"

    # ---- algebra ---------------------------------------------------------------------
    def _coerce(self, other: Any, what: str) -> PauliSum:
        if isinstance(other, PauliSum):
            if other.n != self.n:
                raise InvalidInputError(
                    f"cannot {what} PauliSums on {self.n} and {other.n} qubits; "
                    "both must act on the same number of qubits"
                )
            return other
        if isinstance(other, Number) and not isinstance(other, bool):
            return PauliSum.identity(self.n, complex(other))  # type: ignore[call-overload]
        raise TypeError(f"cannot {what} a PauliSum and a {type(other).__name__}")

    def __add__(self, other: Any) -> PauliSum:
        try:
            o = self._coerce(other, "add")
        except TypeError:
            return NotImplemented
        return PauliSum._lazy(self.n, lambda: concat([self._data, o._data]))

    __radd__ = __add__

    def __neg__(self) -> PauliSum:
        return self * -1.0

    def __sub__(self, other: Any) -> PauliSum:
        try:
            o = self._coerce(other, "subtract")
        except TypeError:
            return NotImplemented
        return self + (-o)

    def __rsub__(self, other: Any) -> PauliSum:
        return (-self) + other

    def __mul__(self, other: Any) -> PauliSum:
        if isinstance(other, bool) or not isinstance(other, (Number, np.number)):
            return NotImplemented
        c = complex(other)  # type: ignore[arg-type]
        out = PauliSum._lazy(self.n, lambda: self._data.scaled(c))
        out._simple = self._simple and c != 0
        return out

    __rmul__ = __mul__

    def __truediv__(self, other: Any) -> PauliSum:
        if isinstance(other, bool) or not isinstance(other, (Number, np.number)):
            return NotImplemented
        return self * (1.0 / complex(other))  # type: ignore[arg-type]

    def commutator(self, other: PauliSum) -> PauliSum:
        """[A, B] = AB − BA, exactly on the strings (only overlapping strings are paired).

        Examples
        --------
        >>> X = PauliSum.from_terms([(1, "X")], n=1); Y = PauliSum.from_terms([(1, "Y")], n=1)
        >>> X.commutator(Y)                       # [X, Y] = 2iZ
        PauliSum(n=1, 1 terms: 2j*Z)
        """
        o = self._coerce(other, "take the commutator of")
        return PauliSum._lazy(
            self.n,
            lambda: simplify_terms(commutator_terms(self._simplified(), o._simplified()), 0.0),
        )

    def adjoint(self) -> PauliSum:
        """A† (every Pauli string is Hermitian: conjugate the coefficients)."""
        return PauliSum._lazy(self.n, lambda: self._data.conj())

    dag = adjoint

    # ---- properties ------------------------------------------------------------------
    @property
    def shape(self) -> tuple[int, int]:
        """(2^n, 2^n)."""
        d = 1 << self.n
        return (d, d)

    @property
    def dtype(self) -> np.dtype:
        """float64 if the matrix is real, else complex128."""
        return np.dtype(np.float64 if self._plan_real() else np.complex128)

    def _plan_real(self) -> bool:
        return bool(np.all(matrix_coef(self._simplified()).imag == 0))

    def hermitian_deviation(self) -> float:
        """An upper bound on max|A − A†|: 2 Σ|Im c_t| over the combined strings.

        It is 0 exactly for a Hermitian sum. Real coefficients are recognised without
        combining strings (cheap for 10⁶ terms).
        """
        t = self._data
        if not np.any(t.coef.imag):
            return 0.0
        return float(2 * np.sum(np.abs(self._simplified().coef.imag)))

    def is_hermitian(self, atol: float = _checks.DEFAULT_ATOL) -> bool:
        """Whether :meth:`hermitian_deviation` ≤ ``atol`` · max(1, :meth:`max_abs`)."""
        return self.hermitian_deviation() <= atol * max(1.0, self.max_abs())

    def max_abs(self) -> float:
        """An upper bound on max|A_ij|: Σ_t |c_t| (a scale for tolerances)."""
        return float(np.sum(np.abs(self._data.coef)))

    def is_diagonal(self) -> bool:
        """Whether A is diagonal in the computational basis (only I and Z letters)."""
        t = self._simplified()
        return not bool(np.any((t.code == 1) | (t.code == 2)))

    def diagonal(self) -> np.ndarray:
        """The diagonal of A in the computational basis, shape (2^n,)."""
        check_matvec(self.n, "the diagonal")
        _checks.check_memory(f"the diagonal of a PauliSum on {self.n} qubits", 16 * 2**self.n)
        diag = self._plan().diag
        if diag is None:
            return np.zeros(1 << self.n)
        return diag.copy()

    # ---- conversions -----------------------------------------------------------------
    def _plan(self) -> Plan:
        if self._plan_cache is None:
            check_matvec(self.n, "a matrix-free product")
            self._plan_cache = Plan(self.n, self._simplified())
        return self._plan_cache

    def apply(self, v: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
        """A v for v of shape (…, 2^n) (batch axes first), matrix-free.

        Examples
        --------
        >>> A = PauliSum.sliding(3, 2, "X") + PauliSum.single_site(3, "Z", 0.5)
        >>> v = np.arange(16.0).reshape(2, 8)
        >>> bool(np.allclose(A.apply(v), v @ A.to_dense().T))
        True
        """
        check_matvec(self.n, "a matrix-free product")
        v = np.asarray(v)
        if v.shape[-1] != 1 << self.n:
            raise InvalidInputError(
                f"vector has {v.shape[-1]} entries but the PauliSum acts on 2^{self.n}"
            )
        return self._plan().apply(v, out=out)

    def matvec(self, v: np.ndarray) -> np.ndarray:
        """A v for v of shape (2^n,) or (2^n, k) (scipy convention), matrix-free."""
        v = np.asarray(v)
        if v.ndim == 1:
            return self.apply(v)
        return self.apply(np.ascontiguousarray(v.T)).T

    def __matmul__(self, other: Any) -> Any:
        if isinstance(other, PauliSum):
            return NotImplemented
        return self.matvec(other)

    def to_linear_operator(self) -> LinearOperator:
        """A ``scipy.sparse.linalg.LinearOperator`` using the matrix-free product."""
        check_matvec(self.n, "a LinearOperator")
        return LinearOperator(
            self.shape,
            matvec=self.apply,
            rmatvec=lambda v: self.adjoint().apply(v),
            matmat=self.matvec,
            dtype=self.dtype,
        )

    def to_sparse(self) -> sp.csr_array:
        """The matrix as ``scipy.sparse.csr_array`` (n ≤ 24)."""
        if self.n > MAX_SPARSE_QUBITS:
            raise InvalidInputError(
                f"a sparse matrix on {self.n} qubits has 2^{self.n} rows; use n ≤ "
                f"{MAX_SPARSE_QUBITS} or the matrix-free PauliSum.apply"
            )
        return sparse_matrix(self._plan(), self._simplified())

    def to_dense(self) -> np.ndarray:
        """The matrix as a dense ndarray (checked against the free memory)."""
        d = 1 << min(self.n, 62)
        _checks.check_memory(f"a dense {d}×{d} matrix of a PauliSum", 16.0 * d * d)
        return np.asarray(self.to_sparse().toarray())

    def to_qobj(self) -> Any:
        """The operator as a ``qutip.Qobj`` with dims [[2]*n, [2]*n] (needs qutip)."""
        from qbattery._optional import require

        qutip = require("qutip")
        return qutip.Qobj(self.to_sparse(), dims=[[2] * self.n, [2] * self.n])


def cell_operator(N: int, i: int, which: str) -> PauliSum:
    """σ− = (X + iY)/2 (``"lower"``, towards the cell's ground state |0⟩) or σ_z/√2
    (``"z"``) on cell i of N, as a lazy :class:`PauliSum` (no 2^N matrix is formed).

    Examples
    --------
    >>> cell_operator(2, 0, "lower").to_dense().real.astype(int).tolist()[0]
    [0, 0, 1, 0]
    >>> cell_operator(1000, 7, "z")
    PauliSum(n=1000, 1 terms: 0.707107*Z7)
    """
    if which == "lower":
        return PauliSum(N, [(0.5, {i: "X"}), (0.5j, {i: "Y"})])
    return PauliSum(N, [(1 / np.sqrt(2), {i: "Z"})])
