"""Dense engine: one eigendecomposition of H, then exact values at any times.

Works in the eigenbasis of H (H = V diag(E) V†) with c = V†ψ0. For a counting
observable with Õ = V† O0 V and g = Õc, the vector 𝒪_t ψ0 (Eq. 2–3) is

    y_t = expm1(iEt) ∘ g + e^{iEt} ∘ Õ (expm1(−iEt) ∘ c),

which keeps full relative accuracy as t → 0 (no cancellation of O(1) terms). Mixed
states are handled as ensembles ρ0 = Σ λ_k |φ_k⟩⟨φ_k|.
"""

from __future__ import annotations

from functools import cached_property

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from qbattery import _checks
from qbattery.battery import Battery, to_dense
from qbattery.engines.base import OBSERVABLES, Engine, Moments, Observable, ObservableMoments

#: relative tolerance for grouping degenerate eigenvalues of a counting observable
DEGENERACY_RTOL = 1e-9
#: bytes of working memory per chunk of times
_CHUNK_BYTES = 64 * 1024**2


def eigenspaces(values: np.ndarray, *, rtol: float = DEGENERACY_RTOL) -> np.ndarray:
    """Start indices of groups of (sorted) eigenvalues equal within ``rtol`` × spread.

    Examples
    --------
    >>> eigenspaces(np.array([-1.0, -1.0 + 1e-13, 0.5, 2.0, 2.0])).tolist()
    [0, 2, 3]
    """
    scale = max(1.0, float(np.max(np.abs(values)))) if values.size else 1.0
    gaps = np.diff(values) > rtol * scale
    return np.concatenate(([0], np.flatnonzero(gaps) + 1))


def is_diagonal(op: object) -> bool:
    """Whether an operator (dense or sparse) is diagonal."""
    if sp.issparse(op):
        coo = sp.coo_array(op)
        mask = coo.row != coo.col
        return not np.any(coo.data[mask])
    a = np.asarray(op)
    return bool(not np.any(a - np.diag(np.diag(a))))


class _Spectral:
    """Eigenspaces of one counting observable, in the eigenbasis of H."""

    def __init__(self, op: object, V: np.ndarray, rtol: float) -> None:
        if is_diagonal(op):
            diag = np.real(sp.csr_array(op).diagonal() if sp.issparse(op) else np.diag(op))
            order = np.argsort(diag, kind="stable")
            self.values = diag[order]
            self.B = V[order, :]  # Q† V with Q a permutation
        else:
            vals, Q = sla.eigh(to_dense(op), driver="evd", check_finite=False)
            self.values = vals
            self.B = Q.conj().T @ V
        self.starts = eigenspaces(self.values, rtol=rtol)


class DenseEngine(Engine):
    """Exact engine from a full eigendecomposition; pure and mixed states, all bounds.

    Memory grows as d² (about 10 d×d complex matrices) and time as d³; use it up to a
    Hilbert-space dimension of a few thousand.
    """

    name = "dense"

    def __init__(self, battery: Battery, *, degeneracy_rtol: float = DEGENERACY_RTOL) -> None:
        super().__init__(battery)
        _checks.check_memory(
            f"the dense engine for dimension {battery.dim}",
            self.memory_estimate(battery, 1),
        )
        self.rtol = degeneracy_rtol
        H = battery.dense("H")
        if not np.any(np.imag(H)):
            H = np.ascontiguousarray(np.real(H))
        E, V = sla.eigh(H, driver="evd", check_finite=False)
        self.E = E - float(np.mean(E))  # a global phase; keeps E·t small
        self.V = V
        weights, vectors = battery.ensemble()
        self.weights = weights
        self.C = V.conj().T @ vectors  # (d, r)
        self._ops = {"work": battery.H0, "power": battery.P0}

    # ---- engine interface -------------------------------------------------------------
    @classmethod
    def supports(cls, battery: Battery) -> str | None:
        """The dense engine runs any battery that fits in memory."""
        return None

    @classmethod
    def memory_estimate(cls, battery: Battery, ntimes: int) -> int:
        """About ten d×d complex matrices plus one chunk of time-resolved vectors."""
        d = battery.dim
        return int(10 * d * d * 16 + min(ntimes * d * 16 * 8, 8 * _CHUNK_BYTES))

    def _chunks(self, times: np.ndarray) -> list[np.ndarray]:
        d, r = self.C.shape
        per_time = d * 16 * 6 * max(r, 1)
        size = max(1, _CHUNK_BYTES // per_time)
        return [times[i : i + size] for i in range(0, times.size, size)]

    @cached_property
    def _tilde(self) -> dict[str, np.ndarray]:
        out = {}
        for which, op in self._ops.items():
            if is_diagonal(op):
                diag = sp.csr_array(op).diagonal() if sp.issparse(op) else np.diag(op)
                out[which] = self.V.conj().T @ (diag[:, None] * self.V)
            else:
                out[which] = self.V.conj().T @ (to_dense(op) @ self.V)
        return out

    def _spectral(self, which: Observable) -> _Spectral:
        cache = self.__dict__.setdefault("_spectral_cache", {})
        if which not in cache:
            cache[which] = _Spectral(self._ops[which], self.V, self.rtol)
        return cache[which]  # type: ignore[no-any-return]

    def moments(self, times: np.ndarray) -> Moments:
        """Exact raw moments at ``times``."""
        times = np.asarray(times, dtype=float)
        nt = times.size
        lam, C, E = self.weights, self.C, self.E
        res: dict[str, dict[str, np.ndarray]] = {
            w: {
                "mean": np.zeros(nt),
                "second": np.zeros(nt),
                "cross0": np.zeros(nt, complex),
            }
            for w in OBSERVABLES
        }
        cross = np.zeros(nt, complex)
        fidelity = np.zeros(nt)
        tilde = self._tilde
        g = {w: tilde[w] @ C for w in OBSERVABLES}
        mean0 = {w: float(np.sum(lam * np.real(np.sum(C.conj() * g[w], axis=0)))) for w in g}
        dg = {w: g[w] - mean0[w] * C for w in g}
        var0 = {w: float(np.sum(lam * np.sum(np.abs(dg[w]) ** 2, axis=0))) for w in g}
        start = 0
        for chunk in self._chunks(times):
            sl = slice(start, start + chunk.size)
            start += chunk.size
            phase = np.outer(E, chunk)
            em1_minus = np.expm1(-1j * phase)
            em1_plus = np.expm1(1j * phase)
            e_plus = np.exp(1j * phase)
            ys: dict[str, list[np.ndarray]] = {w: [] for w in OBSERVABLES}
            for k, lk in enumerate(lam):
                c = C[:, k]
                X = em1_minus * c[:, None]
                for w in OBSERVABLES:
                    y = em1_plus * g[w][:, k, None] + e_plus * (tilde[w] @ X)
                    r = res[w]
                    r["mean"][sl] += lk * np.real(c.conj() @ y)
                    r["second"][sl] += lk * np.sum(np.abs(y) ** 2, axis=0)
                    r["cross0"][sl] += lk * (dg[w][:, k].conj() @ y)
                    ys[w].append(y)
                cross[sl] += lk * np.sum(ys["power"][k].conj() * ys["work"][k], axis=0)
            # fidelity: A = Λ^½ (C† e^{-iEt} C) Λ^½, F = (Σ σ(A))²
            G = np.einsum("mj,mt,mk->tjk", C.conj(), np.conj(e_plus), C, optimize=True)
            sq = np.sqrt(lam)
            A = sq[None, :, None] * G * sq[None, None, :]
            if A.shape[1] == 1:
                fidelity[sl] = np.abs(A[:, 0, 0]) ** 2
            else:
                fidelity[sl] = np.sum(np.linalg.svd(A, compute_uv=False), axis=1) ** 2
        obs = {
            w: ObservableMoments(
                mean=res[w]["mean"],
                second=res[w]["second"],
                cross0=res[w]["cross0"],
                var0=var0[w],
            )
            for w in OBSERVABLES
        }
        return Moments(
            times=times,
            work=obs["work"],
            power=obs["power"],
            cross=cross,
            fidelity=np.minimum(fidelity, 1.0),
            notes=dict(self.notes),
        )

    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray:
        """Fisher information of the eigenspaces of O_0 (Eq. B5), exact dp/dt.

        dp_i/dt = Σ_k λ_k 2 Im⟨ψ_k,t|Π_i H|ψ_k,t⟩; where p_i is at rounding level the
        term's limit 4 Σ_k λ_k ‖Π_i H ψ_k,t‖² is used (no division by zero).
        """
        times = np.asarray(times, dtype=float)
        spec = self._spectral(which)
        lam, C, E = self.weights, self.C, self.E
        d = C.shape[0]
        p_floor = d * 1e-26
        out = np.empty(times.size)
        start = 0
        for chunk in self._chunks(times):
            sl = slice(start, start + chunk.size)
            start += chunk.size
            ph = np.exp(-1j * np.outer(E, chunk))
            nsec = spec.starts.size
            p = np.zeros((nsec, chunk.size))
            z = np.zeros((nsec, chunk.size))
            lim = np.zeros((nsec, chunk.size))
            for k, lk in enumerate(lam):
                psi = ph * C[:, k, None]
                a = spec.B @ psi
                hb = spec.B @ (E[:, None] * psi)
                p += lk * np.add.reduceat(np.abs(a) ** 2, spec.starts, axis=0)
                z += lk * np.add.reduceat(np.imag(a.conj() * hb), spec.starts, axis=0)
                lim += lk * np.add.reduceat(np.abs(hb) ** 2, spec.starts, axis=0)
            dp = 2 * z
            small = p <= p_floor
            terms = np.where(small, 4 * lim, dp**2 / np.where(small, 1.0, p))
            out[sl] = np.sum(terms, axis=0)
        return out
