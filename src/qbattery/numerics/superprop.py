r"""exp(G t) V at many times for a (non-Hermitian) generator G: the open engine's propagator.

Three routes, all exact to rounding:

* ``"eigen"``: G = R diag(λ) R⁻¹ once (dense G, n ≤ :data:`EIGEN_MAX`), then
  exp(Gt)V = R (e^{λt} ∘ R⁻¹V) at any time, and GʲExp(Gt)V = R(λʲ e^{λt} ∘ R⁻¹V) for
  free. Used only when the eigenvector matrix is well conditioned (κ(R) ≤
  :data:`COND_MAX`): a Liouvillian at or near an exceptional point is not (safely)
  diagonalisable;
* ``"expm"``: dense G up to ``EXPM_MAX``, stepping through the sorted times with
  exp(G Δt) (``scipy`` Padé), one matrix exponential per distinct step (uniform grids
  need one); a larger dense G goes the krylov route as a sparse matrix;
* ``"krylov"``: sparse G or a ``LinearOperator``, ``scipy.sparse.linalg.expm_multiply``
  (Al-Mohy–Higham), on the evenly spaced grid in one call or step by step; never
  forms a dense n × n matrix.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp
import scipy.sparse.linalg as spla

__all__ = ["COND_MAX", "EIGEN_MAX", "EXPM_MAX", "Propagator"]

#: largest dense generator diagonalised (n = d² ≤ 1024, d ≤ 32: a dense eig of a
#: non-Hermitian n × n matrix costs seconds at n = 1764, minutes at 4096)
EIGEN_MAX = 1024
#: largest dense generator stepped by dense exponentials when the eigen route is
#: refused; above, G is made sparse and propagated by ``expm_multiply`` (one dense
#: exp(GΔt) per distinct step would cost seconds each at n = 1764)
EXPM_MAX = 256
#: largest condition number of the eigenvectors for the eigen route (error ≈ κ·1e-16)
COND_MAX = 1e4


class Propagator:
    """exp(G t) applied to the columns of V, at sorted or unsorted times.

    Parameters
    ----------
    G : ndarray, scipy.sparse array or LinearOperator, shape (n, n)
    method : {"auto", "eigen", "expm", "krylov"}
        ``"auto"``: eigen if dense, n ≤ :data:`EIGEN_MAX` and well conditioned; else
        expm for dense G, krylov otherwise.

    Examples
    --------
    >>> G = np.array([[-1.0, 0.0], [1.0, 0.0]])  # decay of a population
    >>> out = Propagator(G).apply(np.array([0.0, 1.0]), np.array([[1.0], [0.0]]))
    >>> np.real(out[:, :, 0]).round(12).tolist()
    [[1.0, 0.0], [0.367879441171, 0.632120558829]]
    >>> Propagator(np.array([[0.0, 1.0], [0.0, 0.0]])).method  # a Jordan block
    'expm'
    """

    def __init__(self, G: Any, method: str = "auto") -> None:
        self.G = G
        self.n = int(G.shape[0])
        dense = isinstance(G, np.ndarray)
        self.cond = np.inf
        if method == "auto":
            method = "eigen" if dense and self.n <= EIGEN_MAX else "expm" if dense else "krylov"
            if method == "expm" and self.n > EXPM_MAX:
                method = "krylov"
                self.G = G = sp.csr_array(G)
        if method == "eigen":
            lam, R = sla.eig(G, check_finite=False)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", sla.LinAlgWarning)
                try:
                    Rinv = sla.inv(R, check_finite=False)
                    self.cond = float(np.linalg.norm(R, 2) * np.linalg.norm(Rinv, 2))
                except (np.linalg.LinAlgError, ValueError):
                    Rinv = R
            if self.cond <= COND_MAX:
                self.lam, self.R, self.Rinv = lam, R, Rinv
            elif self.n > EXPM_MAX:
                method = "krylov"
                self.G = sp.csr_array(G)
            else:
                method = "expm"
        self.method = method
        self._expm: dict[float, np.ndarray] = {}
        self._norm: float | None = None  # ‖G‖₁ of a sparse G, on the first Taylor step

    def eigenvalues(self) -> np.ndarray | None:
        """Eigenvalues of G when the eigen route is used, else ``None``."""
        return self.lam if self.method == "eigen" else None

    def apply(
        self, times: np.ndarray, V: np.ndarray, *, powers: int = 0, offset: bool = False
    ) -> np.ndarray:
        """exp(G t)V at ``times``: shape (nt, n, k); with ``powers = p`` shape
        (p + 1, nt, n, k) holding Gʲ exp(Gt)V for j = 0…p. With ``offset`` the j = 0
        entry is exp(Gt)V − V, computed without cancellation on the eigen route
        (R(expm1(λt) ∘ R⁻¹V)), so small changes keep their relative accuracy."""
        times = np.asarray(times, dtype=float)
        V = np.asarray(V, dtype=complex)
        if V.ndim == 1:
            V = V[:, None]
        if self.method == "eigen":
            C = self.Rinv @ V  # (n, k)
            E = np.exp(np.outer(times, self.lam))  # (nt, n)
            first = np.expm1(np.outer(times, self.lam)) if offset else E
            # R (F_t ∘ C) for every t: one batched BLAS product (a three-operand einsum
            # would loop in C without BLAS, ~50× slower at n = 225)
            out = np.stack(
                [
                    self.R @ ((first if j == 0 else E * self.lam**j)[:, :, None] * C[None])
                    for j in range(powers + 1)
                ]
            )
            return out if powers else out[0]
        order = np.argsort(times, kind="stable")
        res = np.empty((times.size, self.n, V.shape[1]), dtype=complex)
        sorted_t = times[order]
        uniform = _uniform(sorted_t)
        if self.method == "krylov" and uniform:
            res[order] = _expm_multiply_grid(self.G, V, sorted_t)
        else:
            # an evenly spaced grid takes one step size (steps equal to rounding would
            # otherwise cost a second dense exponential)
            even = float(np.diff(sorted_t)[0]) if uniform else None
            cur, t_prev = V, 0.0
            for j, (i, t) in enumerate(zip(order, sorted_t, strict=True)):
                cur = self._step(cur, even if (even is not None and j) else t - t_prev)
                t_prev = t
                res[i] = cur
        stack: list[np.ndarray] = [res]
        for _ in range(powers):
            prev = stack[-1]
            # all times in one product: G (n × n) against the (n, nt·k) block
            flat = np.transpose(prev, (1, 0, 2)).reshape(self.n, -1)
            nxt = np.asarray(self.G @ flat).reshape(self.n, times.size, -1)
            stack.append(np.transpose(nxt, (1, 0, 2)))
        if offset:
            stack[0] = stack[0] - V[None]
        return np.stack(stack) if powers else stack[0]

    def _step(self, V: np.ndarray, dt: float) -> np.ndarray:
        if dt == 0.0:
            return V
        if self.method == "expm":
            key = float(f"{dt:.13e}")  # steps equal to 13 digits share one exponential
            if key not in self._expm:
                if len(self._expm) > 64:
                    self._expm.clear()
                self._expm[key] = sla.expm(self.G * key)
            return np.asarray(self._expm[key] @ V)
        if sp.issparse(self.G):
            if self._norm is None:
                self._norm = float(abs(self.G).sum(axis=0).max())
            return _taylor_step(self.G, V, dt, self._norm)
        return np.asarray(spla.expm_multiply(_scaled(self.G, dt), V, traceA=0.0))


def _taylor_step(G: Any, V: np.ndarray, dt: float, norm1: float) -> np.ndarray:
    """exp(G dt)V for sparse G by a truncated Taylor series in s sub-steps with
    ‖G dt/s‖₁ ≤ 1, each summed until two consecutive terms fall below 2⁻⁵³ of the sum
    (the stopping rule of Al-Mohy & Higham's ``expm_multiply``). ``norm1`` = ‖G‖₁ is
    computed once per propagator: scipy's ``expm_multiply`` recomputes it (and forms
    G·dt) at every call, which dominated the open engine's Fisher quadrature."""
    s = max(1, int(np.ceil(norm1 * abs(dt))))
    h = dt / s
    out = np.array(V, dtype=complex)
    for _ in range(s):
        term, acc = out, out.copy()
        prev = float(np.max(np.abs(term)))
        for k in range(1, 64):
            term = (G @ term) * (h / k)
            acc += term
            size = float(np.max(np.abs(term)))
            if prev + size <= 2.0**-53 * float(np.max(np.abs(acc))):
                break
            prev = size
        out = acc
    return out


def _uniform(t: np.ndarray) -> bool:
    if t.size < 3:
        return False
    step = np.diff(t)
    return bool(np.allclose(step, step[0], rtol=1e-12, atol=0.0) and step[0] > 0)


def _scaled(G: Any, dt: float) -> spla.LinearOperator:
    return spla.aslinearoperator(G) * dt


def _expm_multiply_grid(G: Any, V: np.ndarray, t: np.ndarray) -> np.ndarray:
    """exp(G t_i)V on an evenly spaced grid (one Al-Mohy–Higham call)."""
    kw: dict[str, Any] = {} if sp.issparse(G) else {"traceA": 0.0}
    out = spla.expm_multiply(
        G, V, start=float(t[0]), stop=float(t[-1]), num=t.size, endpoint=True, **kw
    )
    return np.asarray(out).reshape(t.size, G.shape[0], V.shape[1])
