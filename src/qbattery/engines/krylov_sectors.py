"""Eigenspaces of a counting observable for the Krylov engine's Fisher information (Eq. B5).

The Krylov engine keeps, per Lanczos window, only small matrices; :class:`Sectors` turns
a window's basis into what the Fisher information of the eigenspaces Π_i of O0 needs
(V†Π_iV and the residual's projections), whichever form is cheaper.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from qbattery._checks import is_diagonal
from qbattery.battery import to_dense
from qbattery.eigenbasis import Eigenbasis
from qbattery.engines.dense import DEGENERACY_RTOL, eigenspaces
from qbattery.operators import is_lazy


def operator_diagonal(op: Any) -> np.ndarray:
    """The real diagonal of an array, sparse matrix or symbolic operator."""
    if is_lazy(op) and hasattr(op, "diagonal"):
        return np.real(op.diagonal())
    if sp.issparse(op):
        return np.real(sp.csr_array(op).diagonal())
    return np.real(np.diag(np.asarray(op)))


class Sectors:
    """Eigenspaces of a counting observable: labels per basis row (diagonal) or Q†."""

    def __init__(self, op: Any, dim: int, basis: Eigenbasis | None = None) -> None:
        self.Qh: np.ndarray | None = None
        self.basis = basis
        if basis is not None:  # given by the user: ψ ↦ Q†ψ, then sorted by eigenvalue
            order = np.argsort(basis.values, kind="stable")
            starts = eigenspaces(basis.values[order], rtol=DEGENERACY_RTOL)
        elif is_diagonal(op):
            diag = operator_diagonal(op)
            order = np.argsort(diag, kind="stable")
            starts = eigenspaces(diag[order], rtol=DEGENERACY_RTOL)
        else:
            vals, Q = sla.eigh(to_dense(op), driver="evd", check_finite=False)
            order = np.arange(dim)
            starts = eigenspaces(vals, rtol=DEGENERACY_RTOL)
            self.Qh = np.ascontiguousarray(Q.conj().T)
        self.order = order
        self.bounds = np.append(starts, dim)
        self.count = int(starts.size)

    def window_data(self, V: np.ndarray, resid: np.ndarray) -> dict[str, np.ndarray]:
        """What the Fisher information of one window needs, whichever form is cheaper.

        Few sectors (diagonal O0): M_i = V†Π_iV (nsec, k, k), u_i = V†Π_i r (nsec, k) and
        ‖Π_i r‖² (nsec,), so that each time costs O(nsec k²). Many sectors (a densely
        diagonalised O0): the basis in O0's eigenbasis X (k, d) and r there, O(d k).
        """
        if self.basis is not None:
            X = self.basis.coefficients(V.T)[self.order].T
            R = self.basis.coefficients(resid)[self.order]
        elif self.Qh is None:
            X = V[:, self.order]
            R = resid[self.order]
        else:
            X = V @ self.Qh.T
            R = self.Qh @ resid
        k = V.shape[0]
        if self.count * k > X.shape[1]:
            return {"X": np.ascontiguousarray(X.T), "R": R}
        M = np.empty((self.count, k, k), complex)
        u = np.empty((self.count, k), complex)
        r = np.empty(self.count)
        for i in range(self.count):
            sl = slice(self.bounds[i], self.bounds[i + 1])
            Xi = X[:, sl]
            M[i] = Xi.conj() @ Xi.T
            u[i] = Xi.conj() @ R[sl]
            r[i] = float(np.vdot(R[sl], R[sl]).real)
        return {"M": M, "u": u, "r": r}

    def terms(
        self, data: dict[str, np.ndarray], y: np.ndarray, hy: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """p_i, Im⟨ψ|Π_i Hψ⟩ and ‖Π_i Hψ‖² for coefficient columns y (k, n), hy = T y."""
        yk = y[-1]
        if "X" in data:
            c = data["X"] @ y  # (d, n): ψ in O0's eigenbasis
            hc = data["X"] @ hy + data["R"][:, None] * yk
            starts = self.bounds[:-1]
            p = np.add.reduceat(np.abs(c) ** 2, starts, axis=0)
            z = np.add.reduceat(np.imag(c.conj() * hc), starts, axis=0)
            lim = np.add.reduceat(np.abs(hc) ** 2, starts, axis=0)
            return p, z, lim
        M, u, r = data["M"], data["u"], data["r"]
        My = M @ y  # (nsec, k, n)
        MHy = M @ hy
        p = np.real(np.sum(y.conj() * My, axis=1))
        uy = (u.conj() @ y).conj()  # y†u_i
        z = np.imag(np.sum(My.conj() * hy, axis=1) + uy * yk)
        lim = (
            np.real(np.sum(hy.conj() * MHy, axis=1))
            + 2 * np.real((u @ hy.conj()) * yk)
            + np.abs(yk) ** 2 * r[:, None]
        )
        return p, z, lim
