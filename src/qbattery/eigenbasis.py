r"""Eigenbases of the counting observables, supplied by the user.

The Fisher-information bounds (Eq. 5, B5) need the eigenspaces of the counting
observable O0 (W0 = H0 for work, P0 = −i[H0, HC] for power). When O0 is diagonal in the
computational basis (H0 of every built-in model) the engines read them off its diagonal;
otherwise the dense engine diagonalises O0 (O(d³)) and the Krylov engine can do so only
up to ``EIG_MAX_DIM`` = 1024. An :class:`Eigenbasis` passed to
:class:`~qbattery.Battery` (``eigenbases={"power": ...}``) tells the engines the
eigenbasis instead, as a unitary map ψ ↦ Q†ψ that never forms Q when it has structure:
e.g. :meth:`Eigenbasis.product` for a sum of single-site terms, whose eigenbasis is a
tensor product of local ones. The battery checks every basis it is given on random
vectors (Q†O0x = Λ Q†x and ‖Q†x‖ = ‖x‖), so a wrong hint is an error, not a wrong bound.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from math import prod
from typing import Any

import numpy as np

from qbattery.errors import InvalidInputError
from qbattery.operators import applier

#: relative tolerance of the eigenbasis check on random vectors
CHECK_RTOL = 1e-9

Transform = Callable[[np.ndarray], np.ndarray]


class Eigenbasis:
    r"""An orthonormal eigenbasis of a counting observable O0: O0 = Q Λ Q†.

    Parameters
    ----------
    values : array_like, shape (d,)
        The eigenvalue λ_j of each basis vector, in the order of the basis (any order:
        the engines group equal values into eigenspaces).
    vectors : array_like, shape (d, d), optional
        Q, the eigenvectors as columns.
    transform : callable, optional
        Instead of ``vectors``: X ↦ Q†X for X of shape (d, n), the coefficients of the
        columns of X in the eigenbasis (e.g. a fast Hadamard or a local rotation).

    Examples
    --------
    σ^y of one qubit, from its eigenvectors:

    >>> import numpy as np, qbattery as qb
    >>> Q = np.array([[1, 1], [1j, -1j]]) / np.sqrt(2)
    >>> basis = qb.Eigenbasis([1.0, -1.0], vectors=Q)
    >>> basis.dim
    2
    >>> np.round(basis.coefficients(np.array([[1.0], [1j]])).ravel(), 12)
    array([1.41421356+0.j, 0.        +0.j])
    """

    __slots__ = ("_factors", "_transform", "dim", "values")

    values: np.ndarray
    dim: int
    _transform: Transform
    _factors: tuple[tuple[np.ndarray, np.ndarray], ...] | None

    def __init__(
        self,
        values: Any,
        vectors: Any | None = None,
        *,
        transform: Transform | None = None,
    ) -> None:
        vals = np.asarray(values)
        if vals.ndim != 1 or vals.size == 0:
            raise InvalidInputError(
                f"Eigenbasis `values` must be a non-empty 1-D array, got shape {vals.shape}"
            )
        if np.iscomplexobj(vals):
            if np.max(np.abs(vals.imag)) > 1e-12 * max(1.0, float(np.max(np.abs(vals)))):
                raise InvalidInputError(
                    "Eigenbasis `values` must be real (O0 is Hermitian); drop the "
                    "imaginary parts or check the eigenvalues"
                )
            vals = vals.real
        vals = np.asarray(vals, dtype=float)
        if not np.all(np.isfinite(vals)):
            raise InvalidInputError("Eigenbasis `values` contain NaN or infinity")
        if (vectors is None) == (transform is None):
            raise InvalidInputError(
                "give an Eigenbasis either `vectors` (the eigenvectors as columns) or "
                "`transform` (a function X ↦ Q†X), not both or neither"
            )
        d = int(vals.size)
        if vectors is not None:
            Q = np.asarray(vectors, dtype=complex)
            if Q.shape != (d, d):
                raise InvalidInputError(
                    f"Eigenbasis `vectors` must have shape ({d}, {d}) to match the {d} "
                    f"values, got {Q.shape}"
                )
            Qh = np.ascontiguousarray(Q.conj().T)

            def transform(X: np.ndarray) -> np.ndarray:
                return np.asarray(Qh @ X)

        elif not callable(transform):
            raise InvalidInputError(
                f"Eigenbasis `transform` must be callable, got {type(transform).__name__}"
            )
        object.__setattr__(self, "values", vals)
        object.__setattr__(self, "dim", d)
        object.__setattr__(self, "_transform", transform)
        object.__setattr__(self, "_factors", None)

    @property
    def factors(self) -> tuple[tuple[np.ndarray, np.ndarray], ...] | None:
        """Per site (values (d_i,), vectors (d_i, d_i)) of a :meth:`product` basis, else None.

        Engines use them to apply Q† site by site (e.g. on a device) instead of calling
        the transform.

        Examples
        --------
        >>> import numpy as np, qbattery as qb
        >>> qy = np.array([[1, 1], [1j, -1j]]) / np.sqrt(2)
        >>> basis = qb.Eigenbasis.product([([1.0, -1.0], qy)] * 3)
        >>> len(basis.factors), basis.factors[0][0].tolist()
        (3, [1.0, -1.0])
        >>> qb.Eigenbasis([0.0, 1.0], vectors=np.eye(2)).factors is None
        True
        """
        return self._factors

    def __setattr__(self, key: str, value: Any) -> None:
        raise AttributeError(f"Eigenbasis is immutable; cannot set {key!r}")

    def __repr__(self) -> str:
        return f"Eigenbasis(dim={self.dim}, distinct values={np.unique(self.values).size})"

    @classmethod
    def product(cls, factors: Sequence[tuple[Any, Any]]) -> Eigenbasis:
        r"""The eigenbasis of a sum of single-site terms O0 = Σ_i 1⊗…⊗o_i⊗…⊗1.

        Its eigenvectors are the products ⊗_i q_{i,a_i} of the local eigenvectors and
        its eigenvalues the sums Σ_i λ_{i,a_i}; Q†X costs O(d n Σ_i d_i), and nothing of
        size d × d is formed (d = Π_i d_i, sites in the order of ``np.kron``).

        Parameters
        ----------
        factors : sequence of (values, vectors)
            Per site, the eigenvalues (d_i,) and eigenvectors (d_i, d_i, as columns) of
            o_i.

        Examples
        --------
        Cells with H0 = ½Σσ^z, charged by Σσ^x plus a σ^zσ^z coupling (which commutes
        with H0): P0 = −i[H0, HC] = Σ_i σ^y_i, a sum of single-site terms, so its
        eigenbasis is a product of σ^y eigenbases (checked against P0 itself):

        >>> import numpy as np, qbattery as qb
        >>> n, PS = 10, qb.PauliSum
        >>> H0 = PS.single_site(n, "Z", 0.5)
        >>> HC = PS.single_site(n, "X") + PS.nearest_neighbour(n, "Z", "Z", 0.3)
        >>> qy = np.array([[1, 1], [1j, -1j]]) / np.sqrt(2)  # σ^y eigenvectors (+1, −1)
        >>> basis = qb.Eigenbasis.product([([1.0, -1.0], qy)] * n)
        >>> bat = qb.Battery(H0, HC, qb.ProductState.zeros(n), eigenbases={"power": basis})
        >>> basis.dim, sorted(set(basis.values.tolist()))[-3:]
        (1024, [6.0, 8.0, 10.0])
        """
        locs = []
        kept: list[tuple[np.ndarray, np.ndarray]] = []
        for i, (vals, vecs) in enumerate(factors):
            v = np.asarray(vals, dtype=float)
            Q = np.asarray(vecs, dtype=complex)
            if v.ndim != 1 or Q.shape != (v.size, v.size):
                raise InvalidInputError(
                    f"factor {i} of Eigenbasis.product must be (values (d_i,), vectors "
                    f"(d_i, d_i)), got shapes {v.shape} and {Q.shape}"
                )
            locs.append((v, np.ascontiguousarray(Q.conj().T)))
            kept.append((v.copy(), Q.copy()))
        if not locs:
            raise InvalidInputError("Eigenbasis.product needs at least one factor")
        dims = [v.size for v, _ in locs]
        d = prod(dims)
        values = np.zeros(1)
        for v, _ in locs:
            values = (values[:, None] + v[None, :]).ravel()

        def transform(X: np.ndarray) -> np.ndarray:
            n = X.shape[1]
            Y = np.asarray(X, dtype=complex)
            left = 1
            for (_, Qh), di in zip(locs, dims, strict=True):
                right = d // (left * di)
                Y = np.matmul(Qh, Y.reshape(left, di, right * n))  # Qh on axis 1 (BLAS)
                left *= di
            return Y.reshape(d, n)

        basis = cls(values, transform=transform)
        for _, Q in kept:
            Q.setflags(write=False)
        object.__setattr__(basis, "_factors", tuple(kept))
        return basis

    def coefficients(self, X: np.ndarray) -> np.ndarray:
        """Q†X: the columns of X (shape (d,) or (d, n)) in the eigenbasis."""
        X = np.asarray(X)
        one = X.ndim == 1
        Y = np.asarray(self._transform(X.reshape(self.dim, -1)))
        if Y.shape != (self.dim, 1 if one else X.shape[1]):
            raise InvalidInputError(
                f"the Eigenbasis transform returned shape {Y.shape} for input of shape "
                f"{X.reshape(self.dim, -1).shape}; it must keep the shape (d, n)"
            )
        return Y[:, 0] if one else Y

    def check(self, op: Any, name: str, *, seed: int = 0, rtol: float = CHECK_RTOL) -> None:
        """Raise unless this is an orthonormal eigenbasis of ``op``, probed on random vectors.

        Checks ‖Q†x‖ = ‖x‖ and Q†(O0 x) = Λ Q†x for two random complex vectors x (to
        ``rtol`` relative to ‖O0‖·‖x‖ as probed): a wrong basis, a wrong ordering of the
        values or a missing conjugation is caught with overwhelming probability.
        """
        d = self.dim
        rng = np.random.default_rng(seed)
        X = rng.standard_normal((d, 2)) + 1j * rng.standard_normal((d, 2))
        OX = applier(op)(np.ascontiguousarray(X.T)).T
        C = self.coefficients(X)
        scale = max(float(np.max(np.abs(self.values))), 1e-300) * float(np.linalg.norm(X))
        norm_dev = abs(float(np.linalg.norm(C)) - float(np.linalg.norm(X)))
        if norm_dev > rtol * float(np.linalg.norm(X)):
            raise InvalidInputError(
                f"the Eigenbasis given for {name} is not orthonormal: ‖Q†x‖ − ‖x‖ = "
                f"{norm_dev:.3g} relative to ‖x‖ on a random x; pass normalised, orthogonal "
                "eigenvectors"
            )
        dev = float(np.linalg.norm(self.coefficients(OX) - self.values[:, None] * C))
        if dev > rtol * scale:
            raise InvalidInputError(
                f"the Eigenbasis given for {name} is not an eigenbasis of {name}: "
                f"‖Q†{name}x − ΛQ†x‖ = {dev:.3g} relative to ‖{name}‖‖x‖ ≈ {scale:.3g} on a "
                "random x; check the eigenvalues' order, the site order (np.kron) and the "
                "conjugation (transform must return Q†X, not QX)"
            )
