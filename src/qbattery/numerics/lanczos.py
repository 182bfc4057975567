r"""Lanczos propagation of a block of kets with dense output (Saad 1992; Hochbruck & Lubich 1997).

One Krylov basis V (k vectors per ket) from the kets at t₀ represents
e^{−iH(t−t₀)}v = ‖v‖ V e^{−i(t−t₀)T} e₁ for every t in a window [t₀, t₁], whose length is
chosen so that the a-posteriori error estimate (the change of the Krylov solution when
one more vector is added) stays below ``tol`` relative, for every ket. The Hamiltonian
enters only through v ↦ Hv (:func:`qbattery.operators.applier`), so nothing of size
d × d is formed. Used by the Krylov engine (:mod:`qbattery.engines.krylov`) and by the
Dicke model's truncation check.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import scipy.linalg as sla
import scipy.linalg.blas as blas

from qbattery._threads import blas_threads
from qbattery.operators import Apply

F = TypeVar("F", bound=Callable[..., Any])

#: default relative error per window of each propagated ket
DEFAULT_TOL = 1e-12
#: below this dimension the basis is fully reorthogonalised (cheap and robust)
REORTH_MAX_DIM = 1 << 14


def single_blas_thread(func: F) -> F:
    """Run ``func`` with BLAS limited to one thread.

    The Lanczos loop is a chain of small products (k ≤ 40 rows against d columns) on
    which threaded BLAS only adds synchronisation: measured on the 2-core development
    machine (idle), ``dicke(60)`` took 86 s with two OpenBLAS threads and 7 s with one,
    ``ising(18, 2, "tfim")`` 1.2–2.0 s and 1.2–1.5 s.

    Examples
    --------
    >>> from threadpoolctl import threadpool_info
    >>> @single_blas_thread
    ... def threads():
    ...     return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    >>> threads() <= {1}
    True
    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        with blas_threads(1):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass
class Column:
    """The Lanczos data of one ket in one window: e^{−iHτ}v = ‖v‖ V e^{−iτT} e₁."""

    norm: float
    alpha: np.ndarray
    beta: np.ndarray
    exact: bool = False  # invariant Krylov space: exact for every τ
    theta: np.ndarray = field(init=False)
    S: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        k = self.alpha.size
        if k == 1:
            self.theta, self.S = self.alpha.copy(), np.ones((1, 1))
        else:
            self.theta, self.S = sla.eigh_tridiagonal(self.alpha, self.beta)

    @property
    def size(self) -> int:
        return int(self.alpha.size)

    def coef(self, taus: np.ndarray) -> np.ndarray:
        """y(τ) with e^{−iHτ}v = V y(τ) (norm included); shape (k, ntau)."""
        taus = np.asarray(taus, dtype=float)
        return self.norm * (
            self.S @ (np.exp(-1j * np.outer(self.theta, taus)) * self.S[0, :, None])
        )

    def tridiagonal(self) -> np.ndarray:
        k = self.size
        T = np.diag(self.alpha)
        if k > 1:
            T += np.diag(self.beta, 1) + np.diag(self.beta, -1)
        return T


def _coef_from(alpha: np.ndarray, beta: np.ndarray, taus: np.ndarray) -> np.ndarray:
    """exp(−iτT)e₁ for T = tridiag(β, α, β) (unit norm), shape (k, ntau)."""
    if alpha.size == 1:
        return np.exp(-1j * alpha[0] * np.asarray(taus))[None, :]
    theta, S = sla.eigh_tridiagonal(alpha, beta)
    return S @ (np.exp(-1j * np.outer(theta, taus)) * S[0, :, None])


@dataclass
class Window:
    """A Krylov window [t0, t1]: the data every consumer gets (basis valid in the call)."""

    t0: float
    t1: float
    columns: list[Column]
    basis: np.ndarray  # (b, m + 1, d): rows [:k] of column c are its orthonormal basis
    resid: np.ndarray  # (b, d): H V_c = V_c T_c + resid_c e_k^T

    def rows(self, c: int) -> np.ndarray:
        """The Krylov basis of ket ``c`` as rows, shape (k_c, d)."""
        return self.basis[c, : self.columns[c].size]

    def kets(self, times: np.ndarray) -> np.ndarray:
        """The propagated kets at ``times`` in [t0, t1], shape (nt, b, d)."""
        taus = np.asarray(times, dtype=float) - self.t0
        out = np.zeros((taus.size, len(self.columns), self.basis.shape[2]), complex)
        for c, col in enumerate(self.columns):
            if col.norm > 0:
                out[:, c] = col.coef(taus).T @ self.rows(c)
        return out


class LanczosPropagator:
    """e^{−iHt} for a block of kets, as error-controlled Krylov windows (dense output).

    Parameters
    ----------
    apply : callable
        v ↦ H v for v of shape (b, d); H Hermitian.
    dim : int
        Hilbert-space dimension d.
    tol : float
        Relative error allowed per window for every ket.
    m_max : int
        Largest Krylov basis per ket (memory (m_max + 1)·b·d complex numbers).

    Examples
    --------
    >>> import numpy as np, scipy.linalg as sla
    >>> H = np.diag([0.0, 1.0, 3.0]) + 0.2
    >>> v = np.ones((1, 3)) / np.sqrt(3)
    >>> prop = LanczosPropagator(lambda x: x @ H.T, 3)
    >>> t_end, v_end = prop.cover(v, 0.0, 2.0, lambda window: None)
    >>> bool(np.allclose(v_end[0], sla.expm(-2j * H) @ v[0], atol=1e-12))
    True
    """

    def __init__(self, apply: Apply, dim: int, *, tol: float = DEFAULT_TOL, m_max: int = 30):
        self.apply = apply
        self.dim = int(dim)
        self.tol = float(tol)
        self.m_max = int(max(2, min(m_max, self.dim)))
        self.matvecs = 0
        self.windows = 0
        self._V: np.ndarray | None = None

    @single_blas_thread
    def cover(
        self,
        v0: np.ndarray,
        t_start: float,
        t_end: float,
        on_window: Callable[[Window], None],
    ) -> tuple[float, np.ndarray]:
        """Windows from ``t_start`` until ``t_end``; ``on_window`` is called for each.

        Returns the time reached (= ``t_end``) and the block of kets there.
        """
        v = np.array(v0, dtype=complex, ndmin=2, copy=True)
        t = float(t_start)
        while True:
            win = self._window(v, t, float(t_end))
            on_window(win)
            v = win.kets(np.array([win.t1]))[0]
            t = win.t1
            if t >= t_end:
                return t, v

    def _basis(self, b: int, d: int) -> np.ndarray:
        shape = (b, self.m_max + 1, d)
        if self._V is None or self._V.shape != shape:
            self._V = None
            self._V = np.empty(shape, dtype=complex)
        return self._V

    def _errors(
        self,
        alpha: np.ndarray,
        beta: np.ndarray,
        sizes: np.ndarray,
        done: np.ndarray,
        taus: np.ndarray,
    ) -> np.ndarray:
        """Max over kets of ‖y_k(τ) − y_{k−1}(τ)‖ (0 for exact kets)."""
        err = np.zeros(np.size(taus))
        for c in np.flatnonzero(~done):
            k = int(sizes[c])
            if k < 2:
                return np.ones(np.size(taus))
            y = _coef_from(alpha[:k, c], beta[: k - 1, c], taus)
            y[: k - 1] -= _coef_from(alpha[: k - 1, c], beta[: k - 2, c], taus)
            err = np.maximum(err, np.linalg.norm(y, axis=0))
        return err

    def _window(self, v: np.ndarray, t0: float, t_end: float) -> Window:
        self.windows += 1
        b, d = v.shape
        norms = np.linalg.norm(v, axis=1)
        live = norms > 0
        V = self._basis(b, d)
        V[:, 0] = 0.0
        V[live, 0] = v[live] / norms[live, None]
        m = self.m_max
        alpha = np.zeros((m, b))
        beta = np.zeros((m, b))
        done = ~live
        sizes = np.ones(b, np.int64)
        reorth = d <= REORTH_MAX_DIM
        need = np.array([t_end - t0])
        resid = np.zeros((b, d), complex)
        x = np.empty((b, d), complex)
        for j in range(m):
            k = j + 1
            x[...] = V[:, j]
            w = np.ascontiguousarray(self.apply(x), dtype=complex)
            self.matvecs += 1
            for c in np.flatnonzero(~done):
                wc = w[c]  # BLAS level 1 in place: no temporaries of size d
                a = float(blas.zdotc(V[c, j], wc).real)
                blas.zaxpy(V[c, j], wc, a=-a)
                if j:
                    blas.zaxpy(V[c, j - 1], wc, a=-beta[j - 1, c])
                if reorth:
                    Vc = V[c, :k]
                    wc -= np.conj(Vc @ np.conj(wc)) @ Vc
                bn = float(blas.dznrm2(wc))
                alpha[j, c], beta[j, c] = a, bn
                sizes[c] = k
                scale = max(1.0, float(np.max(np.abs(alpha[:k, c]))))
                if bn <= 1e-13 * scale or k == d:
                    done[c] = True  # invariant subspace: exact for every τ
                    resid[c] = 0.0
                else:
                    np.multiply(wc, 1.0 / bn, out=V[c, k])
            if done.all() or (
                k >= 2 and self._errors(alpha, beta, sizes, done, need)[0] <= self.tol
            ):
                break
        for c in np.flatnonzero(~done):
            resid[c] = w[c]
        if done.all() or self._errors(alpha, beta, sizes, done, need)[0] <= self.tol:
            t1 = t_end
        else:
            t1 = t0 + self._valid_span(alpha, beta, sizes, done, t_end - t0)
        columns = [
            Column(
                float(norms[c]),
                alpha[: sizes[c], c].copy(),
                beta[: sizes[c] - 1, c].copy(),
                bool(done[c]),
            )
            for c in range(b)
        ]
        return Window(t0, t1, columns, V, resid)

    def _valid_span(
        self, alpha: np.ndarray, beta: np.ndarray, sizes: np.ndarray, done: np.ndarray, hi: float
    ) -> float:
        """Largest τ < hi with every ket's error estimate ≤ tol (bisection, then checked)."""
        lo = 0.0
        for _ in range(60):
            mid = 0.5 * (lo + hi)
            if self._errors(alpha, beta, sizes, done, np.array([mid]))[0] <= self.tol:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-9 * hi:
                break
        if lo <= 0.0:
            raise RuntimeError(  # pragma: no cover - needs a Krylov basis of one vector
                "Lanczos propagation made no progress; increase the Krylov basis size"
            )
        # the estimate is not always monotone in τ: stop before any violation below lo
        grid = lo * np.arange(1, 33) / 32
        bad = np.flatnonzero(self._errors(alpha, beta, sizes, done, grid) > self.tol)
        if bad.size:
            lo = float(grid[bad[0] - 1]) if bad[0] > 0 else lo / 64
        return lo
