r"""Krylov engine: matrix-free Lanczos propagation, pure states up to d ≈ 2^22.

For a pure state every quantity of :doc:`/concepts` follows from |ψ_t⟩ = U|ψ0⟩ and the evolved
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

from dataclasses import dataclass
from typing import Any

import numpy as np
import scipy.linalg.blas as blas
import scipy.sparse as sp

from qbattery import _checks, _progress
from qbattery._checks import format_dim, is_diagonal
from qbattery._dataset import var_name
from qbattery.battery import Battery, to_dense
from qbattery.engines.base import OBSERVABLES, Engine, Moments, Observable, ObservableMoments
from qbattery.engines.krylov_sectors import Sectors, operator_diagonal
from qbattery.errors import EngineError
from qbattery.numerics.lanczos import (
    DEFAULT_TOL,
    Column,
    LanczosPropagator,
    Window,
    single_blas_thread,
)
from qbattery.operators import Apply, applier, is_lazy

#: default memory for the Krylov basis of the three kets (bytes)
BASIS_BUDGET = 768 * 1024**2
#: Krylov basis size limits
M_MIN, M_MAX = 8, 40
#: non-diagonal counting observables are diagonalised densely up to this dimension
EIG_MAX_DIM = 1024
#: rows of a basis pushed through an operator at once (bounds temporary memory)
_APPLY_ROWS = 4


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
class _WinData:
    """What the engine keeps of one window."""

    t0: float
    t1: float
    columns: list[Column]
    grams: dict[str, np.ndarray]
    f0: np.ndarray
    sectors: dict[Observable, tuple[dict[str, np.ndarray], np.ndarray]]


def _basis_size(dim: int, b: int, budget: float) -> int:
    """Krylov vectors per ket: as many as ``budget`` bytes allow, between 8 and 40."""
    return int(np.clip(budget // (16 * b * dim) - 1, M_MIN, M_MAX))


def _quad(Y1: np.ndarray, G: np.ndarray, Y2: np.ndarray) -> np.ndarray:
    """y1(τ)† G y2(τ) for every column τ of Y1 (k1, n) and Y2 (k2, n)."""
    return np.asarray(np.sum(Y1.conj() * (G @ Y2), axis=0))


def _norm_bound(H: Any) -> float:
    """An upper bound of ‖H‖: Σ|c| of a PauliSum, else the largest absolute row sum."""
    if hasattr(H, "to_list"):
        return float(sum(abs(c) for c, _ in H.to_list()))
    if sp.issparse(H):
        return float(abs(H).sum(axis=1).max())
    return float(np.max(np.sum(np.abs(np.asarray(H)), axis=1)))


class KrylovEngine(Engine):
    """Matrix-free Lanczos engine for pure states (see :doc:`/engines`), dense output.

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
            f"the Krylov engine for dimension {format_dim(battery.dim)}",
            self.memory_estimate(battery, 1),
        )
        self.d = int(battery.dim)
        self.tol = float(tol)
        self.eig_max_dim = int(EIG_MAX_DIM if eig_max_dim is None else eig_max_dim)
        self._apply_h = applier(battery.H)
        #: an upper bound of ‖H‖, for the phase-precision limit (``_checks.PHASE_LIMIT``)
        self.norm = _norm_bound(battery.H)
        self._apply = {"work": applier(battery.H0), "power": applier(battery.P0)}
        self._diag = {
            w: (operator_diagonal(op) if is_diagonal(op) else None)
            for w, op in (("work", battery.H0), ("power", battery.P0))
        }
        if battery.is_ket:
            psi = np.asarray(battery.state, dtype=complex)
        elif is_lazy(battery.state):
            psi = np.asarray(to_dense(battery.state), dtype=complex).reshape(-1)
        else:
            _, vecs = battery.ensemble()
            psi = vecs[:, 0]
        self.psi0 = psi / np.linalg.norm(psi)
        self.m = _basis_size(self.d, 3, basis_budget)  # Krylov vectors per ket
        self._sector_cache: dict[str, Sectors | None] = {}
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
            elif not is_lazy(op):
                ops += 16 * int(d) * int(d)
            else:
                ops += 16 * int(d)
        return int(16 * d * (3 * (k + 1) + k + 16) + ops)

    def _apply_op(self, which: str, X: np.ndarray) -> np.ndarray:
        diag = self._diag[which]
        if diag is not None:
            return np.asarray(X * diag)
        return _apply_rows(self._apply[which], X)

    def _sectors(self, which: Observable) -> Sectors | None:
        if which not in self._sector_cache:
            op = self.battery.H0 if which == "work" else self.battery.P0
            basis = self.battery.eigenbases.get(which)
            if basis is not None or self._diag[which] is not None or self.d <= self.eig_max_dim:
                self._sector_cache[which] = Sectors(op, self.d, basis)
            else:
                name = "W0 = H0" if which == "work" else "P0"
                self._sector_cache[which] = None
                self.notes[var_name(which, "fisher")] = (
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
        _checks.check_phase_range(self.name, times, self.norm)
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
        _checks.check_phase_range(self.name, np.asarray(times, dtype=float), self.norm)
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
