r"""Krylov engine: matrix-free Lanczos propagation, pure states up to d ≈ 2^22.

For a pure state every quantity of SPEC §1 follows from |ψ_t⟩ = U|ψ0⟩ and the evolved
counting vectors |φ^O_t⟩ = U O0|ψ0⟩ (O0 = W0, P0). With δ^O_t = O0|ψ_t⟩ − |φ^O_t⟩, so
that 𝒪_t|ψ0⟩ = U†δ^O_t (Eq. 2–3, A3–A4),

    mean   = ⟨ψ_t|δ_t⟩,             second = ‖δ_t‖²,
    cross0 = ⟨φ_t − ⟨O0⟩ψ_t|δ_t⟩,  cross  = ⟨δ^P_t|δ^W_t⟩,   F_t = |⟨ψ0|ψ_t⟩|².

**Dense output.** The three kets are propagated together by the Lanczos method (Saad
1992; Hochbruck & Lubich 1997). One Krylov basis V (k ≤ 40 vectors per ket) from the
state at t₀ represents e^{−iH(t−t₀)}v = ‖v‖ V e^{−i(t−t₀)T} e₁ for every t in a window
[t₀, t₁], whose length is chosen so that the a-posteriori error estimate (the change of
the Krylov solution when one more vector is added) stays below ``tol`` relative, for
every ket. Per window the engine stores only small matrices: the Gram matrices
⟨V_a|O V_b⟩ that the quantities above need, and, for the Fisher information (Eq. B5),
the sector matrices V†Π_iV of the eigenspaces Π_i of O0. Each requested time, and each
node of the adaptive speed-angle quadrature, then costs O(k²) operations, independent
of d. Nothing of size d × d is formed: the Hamiltonian acts as a
:class:`~qbattery.PauliSum` (bit tricks), a sparse matrix or a dense array.

**Accuracy.** Each window adds at most ``tol`` (default 1e-12) relative error to each
ket (estimated), so after w windows the kets are accurate to about w·tol. The moments
are differences of O(‖O0‖²) numbers, so their *absolute* error is about
(w·tol + k·ε)‖O0‖²; near t = 0, where ⟨𝒪_t⟩ ∝ t², the relative error grows like
(w·tol + k·ε)/t² (the dense engine's expm1 form has no such loss). At t = 0 itself
the values are exactly 0 (and the fidelity 1).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import numpy as np
import scipy.linalg as sla
import scipy.linalg.blas as blas
import scipy.sparse as sp
from threadpoolctl import threadpool_limits

from qbattery import _checks, _progress
from qbattery.battery import Battery, _is_lazy, to_dense
from qbattery.eigenbasis import Eigenbasis
from qbattery.engines.base import OBSERVABLES, Engine, Moments, Observable, ObservableMoments
from qbattery.engines.dense import DEGENERACY_RTOL, eigenspaces, is_diagonal
from qbattery.errors import EngineError

Apply = Callable[[np.ndarray], np.ndarray]
F = TypeVar("F", bound=Callable[..., Any])


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
        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


#: default relative error per window of each propagated ket
DEFAULT_TOL = 1e-12
#: default memory for the Krylov basis of the three kets (bytes)
BASIS_BUDGET = 768 * 1024**2
#: Krylov basis size limits
M_MIN, M_MAX = 8, 40
#: below this dimension the basis is fully reorthogonalised (cheap and robust)
REORTH_MAX_DIM = 1 << 14
#: non-diagonal counting observables are diagonalised densely up to this dimension
EIG_MAX_DIM = 1024
#: rows of a basis pushed through an operator at once (bounds temporary memory)
_APPLY_ROWS = 4


def applier(op: Any) -> Apply:
    """A function v ↦ (op v) for v of shape (b, d) (batch first)."""
    if _is_lazy(op) and hasattr(op, "apply"):
        return op.apply  # type: ignore[no-any-return,unused-ignore]
    if sp.issparse(op):
        csr = sp.csr_array(op)
        return lambda v: np.asarray((csr @ v.T).T)
    arr = np.asarray(op)
    return lambda v: np.asarray(v @ arr.T)


def _apply_rows(apply: Apply, X: np.ndarray) -> np.ndarray:
    """apply to the rows of X (k, d), a few rows at a time."""
    out = np.empty(X.shape, dtype=complex)
    for lo in range(0, X.shape[0], _APPLY_ROWS):
        out[lo : lo + _APPLY_ROWS] = apply(X[lo : lo + _APPLY_ROWS])
    return out


def _gram(X: np.ndarray, Y: np.ndarray) -> np.ndarray:
    """⟨X_i|Y_j⟩ for rows X_i, Y_j: shape (len(X), len(Y)) (one BLAS call, no copies)."""
    if X.dtype == complex and Y.dtype == complex and X.flags.c_contiguous and Y.flags.c_contiguous:
        return np.asarray(blas.zgemm(1.0, X.T, Y.T, trans_a=2))
    return np.asarray(X.conj() @ Y.T)


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


class _Sectors:
    """Eigenspaces of a counting observable: labels per basis row (diagonal) or Q†."""

    def __init__(self, op: Any, dim: int, basis: Eigenbasis | None = None) -> None:
        self.Qh: np.ndarray | None = None
        self.basis = basis
        if basis is not None:  # given by the user: ψ ↦ Q†ψ, then sorted by eigenvalue
            order = np.argsort(basis.values, kind="stable")
            starts = eigenspaces(basis.values[order], rtol=DEGENERACY_RTOL)
        elif is_diagonal(op):
            diag = _diagonal(op)
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


@dataclass
class _WinData:
    """What the engine keeps of one window."""

    t0: float
    t1: float
    columns: list[Column]
    grams: dict[str, np.ndarray]
    f0: np.ndarray
    sectors: dict[Observable, tuple[dict[str, np.ndarray], np.ndarray]]


def _diagonal(op: Any) -> np.ndarray:
    if _is_lazy(op) and hasattr(op, "diagonal"):
        return np.real(op.diagonal())
    if sp.issparse(op):
        return np.real(sp.csr_array(op).diagonal())
    return np.real(np.diag(np.asarray(op)))


def _basis_size(dim: int, b: int, budget: float) -> int:
    """Krylov vectors per ket: as many as ``budget`` bytes allow, between 8 and 40."""
    return int(np.clip(budget // (16 * b * dim) - 1, M_MIN, M_MAX))


def _quad(Y1: np.ndarray, G: np.ndarray, Y2: np.ndarray) -> np.ndarray:
    """y1(τ)† G y2(τ) for every column τ of Y1 (k1, n) and Y2 (k2, n)."""
    return np.asarray(np.sum(Y1.conj() * (G @ Y2), axis=0))


class KrylovEngine(Engine):
    """Matrix-free Lanczos engine for pure states (SPEC §4), dense output.

    Memory: the Krylov basis of the three kets (``basis_budget``, default 768 MiB, k
    between 8 and 40 vectors per ket), k products P0·v and a few kets. The work
    (power) Fisher information is exact when W0 (P0) is diagonal in the computational
    basis — its eigenspaces are groups of equal diagonal entries, as in every built-in
    model —, when its eigenbasis is given (``Battery(..., eigenbases=...)``, see
    :class:`~qbattery.Eigenbasis`), or when it is small enough
    (d ≤ ``eig_max_dim``) to be diagonalised; otherwise it is NaN with a note.

    Parameters
    ----------
    battery : Battery
        A battery with a pure initial state.
    tol : float
        Relative error per Lanczos window of each propagated ket (default 1e-12).
    basis_budget : float
        Bytes for the Krylov basis; sets k between 8 and 40.
    eig_max_dim : int, optional
        Largest dimension at which a non-diagonal counting observable is diagonalised
        for its Fisher information (default ``EIG_MAX_DIM`` = 1024).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> bat = qb.models.ising(8, 2, variant="tfim")
    >>> ds = qb.charge(bat, np.linspace(0, 10, 11), engine="krylov")
    >>> ref = qb.charge(bat, np.linspace(0, 10, 11), engine="dense")
    >>> bool(np.allclose(ds.work_var, ref.work_var, rtol=1e-9, atol=1e-12))
    True
    """

    name = "krylov"

    def __init__(
        self,
        battery: Battery,
        *,
        tol: float = DEFAULT_TOL,
        basis_budget: float = BASIS_BUDGET,
        eig_max_dim: int | None = None,
    ) -> None:
        super().__init__(battery)
        why = self.supports(battery)
        if why is not None:
            raise EngineError(f"engine 'krylov' cannot run this battery: {why}; use 'dense'")
        _checks.check_memory(
            f"the Krylov engine for dimension {_fmt_dim(battery.dim)}",
            self.memory_estimate(battery, 1),
        )
        self.d = int(battery.dim)
        self.tol = float(tol)
        self.eig_max_dim = int(EIG_MAX_DIM if eig_max_dim is None else eig_max_dim)
        self._apply_h = applier(battery.H)
        self._apply = {"work": applier(battery.H0), "power": applier(battery.P0)}
        self._diag = {
            w: (_diagonal(op) if is_diagonal(op) else None)
            for w, op in (("work", battery.H0), ("power", battery.P0))
        }
        if battery.is_ket:
            psi = np.asarray(battery.state, dtype=complex)
        elif _is_lazy(battery.state):
            psi = np.asarray(to_dense(battery.state), dtype=complex).reshape(-1)
        else:
            _, vecs = battery.ensemble()
            psi = vecs[:, 0]
        self.psi0 = psi / np.linalg.norm(psi)
        self.m = _basis_size(self.d, 3, basis_budget)  # Krylov vectors per ket
        self._sector_cache: dict[str, _Sectors | None] = {}
        self._windows: list[_WinData] = []
        self._tail: tuple[float, np.ndarray] | None = None
        o_psi = {w: self._apply_op(w, self.psi0[None, :])[0] for w in OBSERVABLES}
        self._mean0 = {w: float(np.vdot(self.psi0, o_psi[w]).real) for w in OBSERVABLES}
        self._var0 = {
            w: float(np.linalg.norm(o_psi[w] - self._mean0[w] * self.psi0) ** 2)
            for w in OBSERVABLES
        }
        self._start = np.stack([self.psi0, o_psi["work"], o_psi["power"]])
        self.stats = {"matvecs": 0, "windows": 0}

    # ---- engine interface -------------------------------------------------------------
    @classmethod
    def supports(cls, battery: Battery) -> str | None:
        """Pure states only (the engine propagates kets)."""
        if not battery.is_pure:
            return (
                "the Krylov engine propagates kets, but the initial state is a mixed density matrix"
            )
        return None

    @classmethod
    def memory_estimate(cls, battery: Battery, ntimes: int) -> int:
        """Krylov basis (k + 1)·3·d, k products P0·v, ~16 work kets, operator diagonals."""
        d = battery.dim
        if d > 1 << 60:
            return int(16 * 40 * d)
        k = _basis_size(int(d), 3, BASIS_BUDGET)
        ops = 0
        for op in (battery.H, battery.H0, battery.P0):
            if sp.issparse(op):
                ops += 12 * int(op.nnz)  # type: ignore[union-attr]
            elif not _is_lazy(op):
                ops += 16 * int(d) * int(d)
            else:
                ops += 16 * int(d)
        return int(16 * d * (3 * (k + 1) + k + 16) + ops)

    def _apply_op(self, which: str, X: np.ndarray) -> np.ndarray:
        diag = self._diag[which]
        if diag is not None:
            return np.asarray(X * diag)
        return _apply_rows(self._apply[which], X)

    def _sectors(self, which: Observable) -> _Sectors | None:
        if which not in self._sector_cache:
            op = self.battery.H0 if which == "work" else self.battery.P0
            basis = self.battery.eigenbases.get(which)
            if basis is not None or self._diag[which] is not None or self.d <= self.eig_max_dim:
                self._sector_cache[which] = _Sectors(op, self.d, basis)
            else:
                name = "W0 = H0" if which == "work" else "P0"
                self._sector_cache[which] = None
                self.notes[f"{which}_fisher"] = (
                    f"the Krylov engine needs the eigenspaces of {name}: it is not diagonal "
                    f"in the computational basis and dimension {self.d} > eig_max_dim = "
                    f"{self.eig_max_dim} is too large to diagonalise it; pass its eigenbasis "
                    f"as Battery(..., eigenbases={{{which!r}: qbattery.Eigenbasis(...)}})"
                )
        return self._sector_cache[which]

    def _consume(self, win: Window) -> None:
        """Keep the Gram and sector matrices of a window (then the basis is reused)."""
        V0, V1, V2 = win.rows(0), win.rows(1), win.rows(2)
        A = self._apply_op("work", V0)
        B = self._apply_op("power", V0)
        g = {
            "0A": _gram(V0, A), "AA": _gram(A, A), "A1": _gram(A, V1), "01": _gram(V0, V1),
            "11": _gram(V1, V1), "0B": _gram(V0, B), "BB": _gram(B, B), "B2": _gram(B, V2),
            "02": _gram(V0, V2), "22": _gram(V2, V2), "BA": _gram(B, A), "B1": _gram(B, V1),
            "2A": _gram(V2, A), "21": _gram(V2, V1),
        }  # fmt: skip
        del A, B
        f0 = np.asarray(V0 @ self.psi0.conj())
        sectors = {}
        for which in OBSERVABLES:
            sec = self._sectors(which)
            if sec is not None:
                sectors[which] = (sec.window_data(V0, win.resid[0]), win.columns[0].tridiagonal())
        self._windows.append(_WinData(win.t0, win.t1, win.columns, g, f0, sectors))

    def _extend(self, t_end: float) -> None:
        """Cover [0, t_end] with windows (continuing from the last one)."""
        if self._tail is not None and self._tail[0] >= t_end:
            return
        t0, v = self._tail if self._tail is not None else (0.0, self._start)
        prop = LanczosPropagator(self._apply_h, self.d, tol=self.tol, m_max=self.m)
        span = t_end - t0
        with _progress.task("krylov: propagating", span, enabled=self.progress) as bar:

            def on_window(win: Window) -> None:
                self._consume(win)
                bar.advance(win.t1 - win.t0)

            self._tail = prop.cover(v, t0, t_end, on_window)
        self.stats["matvecs"] += prop.matvecs
        self.stats["windows"] += prop.windows

    def _locate(self, times: np.ndarray) -> list[tuple[_WinData, np.ndarray]]:
        """Group the indices of ``times`` by the window containing them."""
        ends = np.array([w.t1 for w in self._windows])
        idx = np.minimum(np.searchsorted(ends, times, side="left"), len(self._windows) - 1)
        return [(self._windows[i], np.flatnonzero(idx == i)) for i in np.unique(idx)]

    @single_blas_thread
    def moments(self, times: np.ndarray) -> Moments:
        """Raw moments at ``times`` from the windows' Gram matrices (module docstring)."""
        times = np.asarray(times, dtype=float)
        nt = times.size
        self._extend(float(times.max()) if nt else 0.0)
        out = {
            w: {"mean": np.zeros(nt), "second": np.zeros(nt), "cross0": np.zeros(nt, complex)}
            for w in OBSERVABLES
        }
        cross = np.zeros(nt, complex)
        fidelity = np.ones(nt)
        for win, sel in self._locate(times):
            taus = times[sel] - win.t0
            Y = [col.coef(taus) for col in win.columns]
            g = win.grams
            pairs: tuple[tuple[Observable, str, str], ...] = (
                ("work", "A", "1"),
                ("power", "B", "2"),
            )
            for w, o, c in pairs:
                y0, y1 = Y[0], Y[1 if w == "work" else 2]
                ox = _quad(y0, g[f"0{o}"], y0)  # ⟨ψ|O0ψ⟩
                pf = _quad(y0, g[f"0{c}"], y1)  # ⟨ψ|φ⟩
                oo = _quad(y0, g[f"{o}{o}"], y0)  # ‖O0ψ‖²
                of = _quad(y0, g[f"{o}{c}"], y1)  # ⟨O0ψ|φ⟩
                ff = _quad(y1, g[f"{c}{c}"], y1)  # ‖φ‖²
                r = out[w]
                r["mean"][sel] = np.real(ox - pf)
                r["second"][sel] = np.real(oo + ff) - 2 * np.real(of)
                r["cross0"][sel] = np.conj(of) - ff - self._mean0[w] * (ox - pf)
            y0, y1, y2 = Y
            cross[sel] = (
                _quad(y0, g["BA"], y0) - _quad(y0, g["B1"], y1)
                - _quad(y2, g["2A"], y0) + _quad(y2, g["21"], y1)
            )  # fmt: skip
            fidelity[sel] = np.abs(win.f0 @ y0) ** 2
        at0 = times == 0  # 𝒪_0 = 0 exactly
        for w in OBSERVABLES:
            for key in ("mean", "second", "cross0"):
                out[w][key][at0] = 0.0
        cross[at0] = 0.0
        fidelity[at0] = 1.0
        obs = {
            w: ObservableMoments(
                mean=out[w]["mean"],
                second=out[w]["second"],
                cross0=out[w]["cross0"],
                var0=self._var0[w],
            )
            for w in OBSERVABLES
        }
        return Moments(
            times=times,
            work=obs["work"],
            power=obs["power"],
            cross=cross,
            fidelity=np.clip(fidelity, 0.0, 1.0),
            notes=dict(self.notes),
        )

    @single_blas_thread
    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """Fisher information of the eigenspaces of O_0 (Eq. B5) at any ``times``.

        From the window containing t, with ψ_t = V y and Hψ_t = V T y + r y_k (the
        Lanczos relation): p_i = y†M_i y, dp_i/dt = 2 Im⟨ψ_t|Π_i H ψ_t⟩ and
        ‖Π_i H ψ_t‖² from M_i = V†Π_iV, u_i = V†Π_i r and ‖Π_i r‖², exactly (no finite
        differences); where p_i is at rounding level the term's limit 4‖Π_i Hψ_t‖² is
        used. Each time costs O(n_sectors k²): the adaptive speed-angle quadrature
        is cheap once the windows exist.
        """
        sectors = self._sectors(which)
        if sectors is None:
            return None
        times = np.asarray(times, dtype=float)
        flat = times.ravel()
        if flat.size == 0:
            return np.zeros(times.shape)
        self._extend(float(flat.max()))
        values = np.empty(flat.size)
        for win, sel in self._locate(flat):
            data, T = win.sectors[which]
            y = win.columns[0].coef(flat[sel] - win.t0)  # (k, n)
            p, z, lim = sectors.terms(data, y, T @ y)
            dp = 2 * z
            small = p <= self.d * 1e-26
            terms = np.where(small, 4 * lim, dp**2 / np.where(small, 1.0, p))
            values[sel] = np.sum(terms, axis=0)
        return values.reshape(times.shape)

    @single_blas_thread
    def evolved_states(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Weights (1,) and |ψ_t⟩ at ``times``, shape (nt, d, 1).

        The windows keep no Krylov basis, so this propagates |ψ0⟩ once more on its own
        (one ket instead of three, no Gram matrices). Used for the battery's reduced
        state (``battery_ergotropy``) of models with a charger, e.g. Dicke.

        Examples
        --------
        >>> import numpy as np, qbattery as qb
        >>> bat = qb.models.ising(6, 2, variant="tfim")
        >>> t = np.array([0.0, 0.7, 2.0])
        >>> _, kry = KrylovEngine(bat).evolved_states(t)
        >>> from qbattery.engines import DenseEngine
        >>> _, ref = DenseEngine(bat).evolved_states(t)
        >>> overlap = np.abs(np.sum(kry.conj() * ref, axis=1))  # equal up to a global phase
        >>> kry.shape, bool(np.allclose(overlap, 1.0, atol=1e-10))
        ((3, 64, 1), True)
        """
        times = np.asarray(times, dtype=float)
        _checks.check_memory("evolved states", times.size * self.d * 16 * 2)
        out = np.zeros((times.size, self.d), dtype=complex)
        out[times == 0] = self.psi0
        t_end = float(times.max()) if times.size else 0.0
        if t_end > 0:

            def on_window(win: Window) -> None:
                sel = np.flatnonzero((times > win.t0) & (times <= win.t1))
                if sel.size:
                    out[sel] = win.kets(times[sel])[:, 0]

            prop = LanczosPropagator(self._apply_h, self.d, tol=self.tol, m_max=self.m)
            prop.cover(self.psi0[None, :], 0.0, t_end, on_window)
        return np.ones(1), out[:, :, None]


def _fmt_dim(d: int) -> str:
    """A dimension for messages: 2^n for huge powers of two (str() of 2^(10^6) fails)."""
    if d > 1 << 64 and d & (d - 1) == 0:
        return f"2^{d.bit_length() - 1}"
    if d > 1 << 64:
        return f"about 2^{d.bit_length() - 1}"
    return str(d)
