r"""Lindblad generators as superoperators (issue 16): builders, actions and propagators.

The Lindblad master equation with Hamiltonian H and jump operators L_k (rates
included in L_k) is

.. math:: \mathcal L\rho = -i[H, \rho] + \sum_k \big(L_k\rho L_k^\dagger
          - \tfrac12\{L_k^\dagger L_k, \rho\}\big),

its adjoint (Heisenberg picture) :math:`\mathcal L^\dagger X = i[H, X] + \sum_k
(L_k^\dagger X L_k - \tfrac12\{L_k^\dagger L_k, X\})`, and the channel
Λ_t = exp(𝓛t).

**Convention: column stacking.** ``vec(X)`` stacks the columns of X
(``X.reshape(-1, order="F")``), so that vec(A X B) = (Bᵀ ⊗ A) vec(X) and
Tr(O X) = ``O.ravel() @ vec(X)`` (row-major ravel of O). The vectorised generator is

.. math:: \hat{\mathcal L} = -i(1\otimes H - H^{\mathsf T}\otimes 1)
          + \sum_k \big(\bar L_k\otimes L_k - \tfrac12 1\otimes L_k^\dagger L_k
          - \tfrac12 (L_k^\dagger L_k)^{\mathsf T}\otimes 1\big).

Counting (full counting statistics of quanta leaving through counted channels, each
carrying energy ε_k) tilts the jump terms: 𝓛_s = 𝓛 + Σ_k (e^{sε_k} − 1) 𝒥_k with
𝒥_kρ = L_kρL_k†, so Tr exp(𝓛_s t)ρ0 = ⟨e^{sQ}⟩ for the heat Q = Σ_k ε_k N_k.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = [
    "adjoint_action",
    "counting_generator",
    "liouvillian",
    "liouvillian_action",
    "liouvillian_operator",
    "tilted_liouvillian",
    "trace_row",
    "unvec",
    "vec",
]


def vec(X: np.ndarray) -> np.ndarray:
    """Column-stacked vector of a d×d matrix (or of each matrix in a (..., d, d) stack).

    Examples
    --------
    >>> vec(np.array([[1, 2], [3, 4]])).tolist()
    [1, 3, 2, 4]
    """
    X = np.asarray(X)
    return np.swapaxes(X, -1, -2).reshape(*X.shape[:-2], -1)


def unvec(v: np.ndarray, d: int) -> np.ndarray:
    """Inverse of :func:`vec`: (..., d²) → (..., d, d).

    Examples
    --------
    >>> unvec(np.array([1, 3, 2, 4]), 2).tolist()
    [[1, 2], [3, 4]]
    """
    v = np.asarray(v)
    return np.swapaxes(v.reshape(*v.shape[:-1], d, d), -1, -2)


def trace_row(O: Any) -> np.ndarray:
    """Row vector r with Tr(O X) = r @ vec(X) (column stacking): r = ravel(O).

    Examples
    --------
    >>> O = np.array([[1.0, 2.0], [0.5, -1.0]]); X = np.array([[0.3, 1j], [2.0, 0.7]])
    >>> bool(np.isclose(trace_row(O) @ vec(X), np.trace(O @ X)))
    True
    """
    dense = O.toarray() if sp.issparse(O) else np.asarray(O)
    return np.asarray(dense).ravel()


def _dense(op: Any) -> np.ndarray:
    if sp.issparse(op):
        return np.asarray(op.toarray())
    if hasattr(op, "to_dense") and not isinstance(op, np.ndarray):
        return np.asarray(op.to_dense())
    return np.asarray(op)


def _sparse(op: Any) -> sp.csr_array:
    if sp.issparse(op):
        return sp.csr_array(op, dtype=complex)
    if hasattr(op, "to_sparse") and not isinstance(op, np.ndarray):
        return sp.csr_array(op.to_sparse(), dtype=complex)
    return sp.csr_array(_dense(op).astype(complex))


def liouvillian(H: Any, jumps: Sequence[Any], *, sparse: bool = False) -> Any:
    r"""Vectorised Lindblad generator 𝓛̂ (d² × d², column stacking; module docstring).

    Parameters
    ----------
    H : operator, shape (d, d)
        Hamiltonian (dense, scipy.sparse or PauliSum).
    jumps : sequence of operators
        Jump operators L_k, rates included.
    sparse : bool
        Return a ``scipy.sparse.csr_array`` built from sparse factors (never a dense
        d² × d² matrix), else a dense ndarray.

    Examples
    --------
    A decaying qubit (basis |e⟩, |g⟩): the excited population decays at rate γ.

    >>> sm = np.array([[0, 0], [1, 0]]); L = liouvillian(np.zeros((2, 2)), [np.sqrt(0.5) * sm])
    >>> rho = unvec(L @ vec(np.diag([1.0, 0.0])), 2)
    >>> np.real(np.diag(rho)).round(12).tolist()
    [-0.5, 0.5]
    """
    if sparse:
        h = _sparse(H)
        d = h.shape[0]
        eye = sp.identity(d, dtype=complex, format="csr")
        out = -1j * (sp.kron(eye, h) - sp.kron(h.T, eye))
        for L in jumps:
            lk = _sparse(L)
            ldl = lk.conj().T @ lk
            out = out + sp.kron(lk.conj(), lk) - 0.5 * sp.kron(eye, ldl) - 0.5 * sp.kron(ldl.T, eye)
        return sp.csr_array(out)
    h = _dense(H).astype(complex)
    d = h.shape[0]
    eye = np.eye(d)
    gen = -1j * (np.kron(eye, h) - np.kron(h.T, eye))
    for L in jumps:
        lk = _dense(L).astype(complex)
        ldl = lk.conj().T @ lk
        gen += np.kron(lk.conj(), lk) - 0.5 * np.kron(eye, ldl) - 0.5 * np.kron(ldl.T, eye)
    return gen


def liouvillian_action(H: Any, jumps: Sequence[Any], rho: np.ndarray) -> np.ndarray:
    """𝓛ρ for a d×d matrix, matrix-free (H, L_k dense or sparse; O(d²·nnz) work).

    Examples
    --------
    >>> sm = np.array([[0, 0], [1, 0]]); H = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> r = np.array([[0.3, 0.1j], [-0.1j, 0.7]])
    >>> bool(np.allclose(vec(liouvillian_action(H, [sm], r)), liouvillian(H, [sm]) @ vec(r)))
    True
    """
    out = -1j * (H @ rho - rho @ H)
    for L in jumps:
        Ld = L.conj().T
        out = out + (L @ rho) @ Ld - 0.5 * ((Ld @ (L @ rho)) + (rho @ Ld) @ L)
    return np.asarray(out)


def adjoint_action(H: Any, jumps: Sequence[Any], X: Any) -> np.ndarray:
    """𝓛†X = i[H, X] + Σ_k (L_k† X L_k − ½{L_k†L_k, X}) (Heisenberg picture), dense.

    With X = H0 this is the net power operator d⟨H0⟩/dt (``power="net"``); without jumps
    it equals i[H, H0] = −i[H0, HC] for H = H0 + HC.

    Examples
    --------
    >>> sz = np.diag([1.0, -1.0]); sm = np.array([[0, 0], [1, 0]])
    >>> adjoint_action(np.zeros((2, 2)), [sm], sz).real.tolist()
    [[-2.0, 0.0], [0.0, 0.0]]
    """
    h = _dense(H).astype(complex)
    x = _dense(X).astype(complex)
    out = 1j * (h @ x - x @ h)
    for L in jumps:
        lk = _dense(L).astype(complex)
        ldl = lk.conj().T @ lk
        out += lk.conj().T @ x @ lk - 0.5 * (ldl @ x + x @ ldl)
    return out


def liouvillian_operator(H: Any, jumps: Sequence[Any]) -> spla.LinearOperator:
    """Matrix-free 𝓛̂ as a ``LinearOperator`` on vec(ρ) (for d where d²×d² will not fit).

    Examples
    --------
    >>> sm = np.array([[0.0, 0.0], [1.0, 0.0]]); H = np.array([[0.0, 1.0], [1.0, 0.0]])
    >>> op = liouvillian_operator(H, [sm]); v = vec(np.diag([0.4, 0.6]).astype(complex))
    >>> bool(np.allclose(op @ v, liouvillian(H, [sm]) @ v))
    True
    """
    h = _sparse(H)
    ls = [_sparse(L) for L in jumps]
    d = h.shape[0]

    def matvec(v: np.ndarray) -> np.ndarray:
        rho = unvec(np.asarray(v).ravel(), d)
        return vec(liouvillian_action(h, ls, rho))

    return spla.LinearOperator((d * d, d * d), matvec=matvec, dtype=complex)


def tilted_liouvillian(
    H: Any, jumps: Sequence[Any], counted: Mapping[int, float], s: complex, *, sparse: bool = False
) -> Any:
    """𝓛_s = 𝓛 + Σ_{k counted} (e^{sε_k} − 1) 𝒥_k (module docstring).

    Tr exp(𝓛_s t)ρ0 = ⟨e^{sQ}⟩ for the counted heat Q; with s = iχ it is the
    characteristic function, with s real the moment generating function.

    Examples
    --------
    >>> sm = np.array([[0, 0], [1, 0]])
    >>> G = tilted_liouvillian(np.zeros((2, 2)), [sm], {0: 1.0}, 0.0)
    >>> bool(np.allclose(G, liouvillian(np.zeros((2, 2)), [sm])))
    True
    """
    gen = liouvillian(H, jumps, sparse=sparse)
    for k, eps in counted.items():
        J = _jump_super(jumps[k], sparse)
        gen = gen + (np.exp(s * eps) - 1.0) * J
    return sp.csr_array(gen) if sparse else gen


def _jump_super(L: Any, sparse: bool) -> Any:
    """𝒥ρ = LρL† vectorised: conj(L) ⊗ L."""
    if sparse:
        lk = _sparse(L)
        return sp.kron(lk.conj(), lk)
    lk = _dense(L).astype(complex)
    return np.kron(lk.conj(), lk)


def counting_generator(
    H: Any, jumps: Sequence[Any], counted: Mapping[int, float], *, sparse: bool = False
) -> Any:
    r"""Block generator for the first two derivatives of exp(𝓛_s t) at s = 0.

    With 𝓛_s = 𝓛 + s𝓙₁ + (s²/2)𝓙₂ + O(s³), 𝓙_n = Σ_k ε_k^n 𝒥_k, and
    exp(𝓛_s t) = M₀ + sM₁ + s²M₂ + O(s³), block upper-triangular Toeplitz matrices
    form an algebra isomorphic to truncated power series, hence

    .. math:: \exp\left(t\begin{pmatrix}\mathcal L & \mathcal J_1 & \mathcal J_2/2\\
              0 & \mathcal L & \mathcal J_1\\ 0 & 0 & \mathcal L\end{pmatrix}\right)
              = \begin{pmatrix}M_0 & M_1 & M_2\\ 0 & M_0 & M_1\\ 0 & 0 & M_0\end{pmatrix}.

    Applied to (0, 0, vec Y) it gives (M₂Y, M₁Y, M₀Y): ⟨Q⟩ = Tr M₁ρ0 and
    ⟨Q²⟩ = 2 Tr M₂ρ0.

    Examples
    --------
    A qubit kept excited by nothing, decaying at rate 1: ⟨Q⟩ = ε(1 − e^{−t}).

    >>> import scipy.linalg as sla
    >>> sm = np.array([[0, 0], [1, 0]]); G = counting_generator(np.zeros((2, 2)), [sm], {0: 2.0})
    >>> v = np.zeros(12, complex); v[8:] = vec(np.diag([1.0, 0.0]))
    >>> out = sla.expm(G * 0.5) @ v
    >>> bool(np.isclose(trace_row(np.eye(2)) @ out[4:8], 2.0 * (1 - np.exp(-0.5))))
    True
    """
    L = liouvillian(H, jumps, sparse=sparse)
    J1: Any = 0
    J2: Any = 0
    for k, eps in counted.items():
        J = _jump_super(jumps[k], sparse)
        J1 = J1 + eps * J
        J2 = J2 + eps**2 * J
    n = L.shape[0]
    if sparse:
        Z = sp.csr_array((n, n), dtype=complex)
        J1s = sp.csr_array(J1) if not np.isscalar(J1) else Z
        J2s = sp.csr_array(J2) if not np.isscalar(J2) else Z
        return sp.csr_array(sp.block_array([[L, J1s, J2s / 2], [None, L, J1s], [None, None, L]]))
    Zd = np.zeros((n, n), complex)
    J1d = np.zeros((n, n), complex) + J1
    J2d = np.zeros((n, n), complex) + J2
    return np.block([[L, J1d, J2d / 2], [Zd, L, J1d], [Zd, Zd, L]])
