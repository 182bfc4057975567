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
from qbattery._checks import is_diagonal
from qbattery.battery import Battery, to_dense
from qbattery.eigenbasis import Eigenbasis
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


def _diagonal(op: object) -> np.ndarray:
    """Diagonal of a dense, sparse or symbolic (``diagonal()`` method) operator."""
    if sp.issparse(op):
        return np.asarray(sp.csr_array(op).diagonal())
    if not isinstance(op, np.ndarray) and hasattr(op, "diagonal"):
        return np.asarray(op.diagonal())
    return np.diag(np.asarray(op))


def dense_bytes(dim: int, ntimes: int) -> int:
    """Memory of the dense engine: ten d×d complex matrices and one chunk of times."""
    return int(10 * dim * dim * 16 + min(ntimes * dim * 16 * 8, 8 * _CHUNK_BYTES))


class _Spectral:
    """Eigenspaces of one counting observable, in the eigenbasis of H."""

    def __init__(
        self, op: object, V: np.ndarray, rtol: float, basis: Eigenbasis | None = None
    ) -> None:
        if basis is not None:  # given by the user (Battery(..., eigenbases=...))
            order = np.argsort(basis.values, kind="stable")
            self.values = basis.values[order]
            self.B = basis.coefficients(V)[order, :]
        elif is_diagonal(op):
            diag = np.real(_diagonal(op))
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

    Examples
    --------
    The single qubit of App. D (ω0 = Ω0 = 1): ⟨𝒲_t⟩ = sin²t, ⟨𝒫_t⟩ = sin 2t and the
    fidelity cos²t.

    >>> import numpy as np, qbattery as qb
    >>> m = DenseEngine(qb.models.single_qubit()).moments(np.array([0.3]))
    >>> bool(np.allclose([m.work.mean[0], m.power.mean[0], m.fidelity[0]],
    ...                  [np.sin(0.3) ** 2, np.sin(0.6), np.cos(0.3) ** 2], rtol=1e-12))
    True
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
        #: ‖H‖, for the phase-precision limit (``_checks.PHASE_LIMIT``)
        self.norm = float(max(abs(E[0]), abs(E[-1])))
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
        return dense_bytes(battery.dim, ntimes)

    def _chunks(self, times: np.ndarray) -> list[np.ndarray]:
        d, r = self.C.shape
        per_time = d * 16 * 6 * max(r, 1)
        size = max(1, _CHUNK_BYTES // per_time)
        return [times[i : i + size] for i in range(0, times.size, size)]

    @cached_property
    def _trivial(self) -> dict[str, bool]:
        """Observables proportional to the identity: 𝒪_t ≡ 0 exactly (one eigenspace)."""
        out = {}
        for which, op in self._ops.items():
            dense = to_dense(op)
            shift = np.trace(dense) / dense.shape[0]
            dev = np.max(np.abs(dense - shift * np.eye(dense.shape[0])))
            out[which] = bool(dev <= self.rtol * max(1.0, float(np.max(np.abs(dense)))))
        return out

    @cached_property
    def _tilde(self) -> dict[str, np.ndarray]:
        out = {}
        for which, op in self._ops.items():
            if is_diagonal(op):
                diag = _diagonal(op)
                out[which] = self.V.conj().T @ (diag[:, None] * self.V)
            else:
                out[which] = self.V.conj().T @ (to_dense(op) @ self.V)
        return out

    def _spectral(self, which: Observable) -> _Spectral:
        cache = self.__dict__.setdefault("_spectral_cache", {})
        if which not in cache:
            basis = self.battery.eigenbases.get(which)
            cache[which] = _Spectral(self._ops[which], self.V, self.rtol, basis)
        return cache[which]

    def moments(self, times: np.ndarray) -> Moments:
        """Exact raw moments at ``times``."""
        times = np.asarray(times, dtype=float)
        _checks.check_phase_range(self.name, times, self.norm)
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
                    if self._trivial[w]:
                        y = np.zeros_like(X)
                    else:
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
        _checks.check_phase_range(self.name, times, self.norm)
        spec = self._spectral(which)
        if spec.starts.size == 1:  # a single eigenspace carries no information
            return np.zeros(times.shape)
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

    # ---- full counting statistics (Eq. A2), ergotropy support: added for issue 6 ----------
    def _sector_state(self, which: Observable) -> tuple[_Spectral, np.ndarray, np.ndarray]:
        """Spectral data of O_0, its sector label per basis row, and the state in O_0's basis.

        Returns ``(spec, sector, A)`` with ``A`` of shape (d, r): the ensemble vectors
        √λ_k Q†φ_k, so that Q†ρ0Q = A A†.
        """
        spec = self._spectral(which)
        d = spec.values.size
        sector = np.repeat(np.arange(spec.starts.size), np.diff(np.append(spec.starts, d)))
        A = (spec.B @ self.C) * np.sqrt(self.weights)[None, :]
        return spec, sector, A

    def counting_distribution(
        self, times: np.ndarray, which: Observable
    ) -> tuple[np.ndarray, np.ndarray, bool]:
        """Quasi-probabilities q(v, t) of the values v of 𝒪_t from Z(χ, t) (Eq. A2).

        With O_0 = Σ_i o_i Π_i and A_t = Q†U_tQ in O_0's eigenbasis,
        exp Z(χ, t) = Σ_{ijk} e^{iχ(o_j − (o_i + o_k)/2)} Tr(Π_j A_t Π_k ρ0 Π_i A_t†).
        When ρ0 commutes with O_0 only i = k survives and q is the two-point-measurement
        distribution of o_j − o_k; otherwise it is a real quasi-distribution (the terms
        (i, k) and (k, i) are complex conjugates with equal values).

        Returns
        -------
        values : ndarray, shape (nv,)
            Distinct values (grouped within the degeneracy tolerance), increasing.
        q : ndarray, shape (nt, nv)
            Quasi-probabilities; each row sums to 1.
        commuting : bool
            Whether ρ0 commutes with O_0 (then q is a true probability distribution).
        """
        times = np.asarray(times, dtype=float)
        _checks.check_phase_range(self.name, times, self.norm)
        spec, sector, A = self._sector_state(which)
        starts = spec.starts
        ns = starts.size
        counts = np.diff(np.append(starts, sector.size))
        levels = np.add.reduceat(spec.values, starts) / counts
        # ‖ρ̃‖² − Σ_i ‖Π_i ρ̃ Π_i‖²: the weight of the coherences between O_0 eigenspaces
        gram = A.conj().T @ A
        total = float(np.real(np.sum(gram * gram.T)))
        diag = 0.0
        for i in range(ns):
            Ai = A[starts[i] : starts[i] + counts[i]]
            gi = Ai.conj().T @ Ai
            diag += float(np.real(np.sum(gi * gi.T)))
        commuting = total - diag <= 1e-24 * max(total, 1.0)
        if commuting:
            table = levels[:, None] - levels[None, :]  # (j, k): o_j − o_k
        else:
            table = levels[None, :, None] - (levels[:, None, None] + levels[None, None, :]) / 2
        flat = table.ravel()
        order = np.argsort(flat, kind="stable")
        groups = eigenspaces(flat[order], rtol=self.rtol)
        label = np.empty(flat.size, dtype=np.intp)
        label[order] = np.repeat(np.arange(groups.size), np.diff(np.append(groups, flat.size)))
        values = np.add.reduceat(flat[order], groups) / np.diff(np.append(groups, flat.size))
        r = A.shape[1]
        # columns (k, λ): Π_k applied to each ensemble vector, then B† once
        D = np.zeros((sector.size, ns * r), dtype=complex)
        for k in range(ns):
            rows = slice(starts[k], starts[k] + counts[k])
            D[rows, k * r : (k + 1) * r] = A[rows]
        X = spec.B.conj().T @ D
        q = np.zeros((times.size, values.size))
        for n, t in enumerate(times):
            Y = spec.B @ (np.exp(-1j * self.E * t)[:, None] * X)  # (d, ns*r)
            if commuting:
                p = np.add.reduceat(np.abs(Y) ** 2, starts, axis=0)  # (j, k*r + λ)
                pjk = p.reshape(ns, ns, r).sum(axis=2)
                q[n] = np.bincount(label, weights=pjk.ravel(), minlength=values.size)
            else:
                Yr = Y.reshape(sector.size, ns, r)
                qijk = np.zeros((ns, ns, ns), dtype=complex)
                for j in range(ns):
                    blk = Yr[starts[j] : starts[j] + counts[j]]  # (m, i, λ)
                    qijk[:, j, :] = np.einsum("mil,mkl->ik", blk.conj(), blk, optimize=True)
                q[n] = np.bincount(label, weights=np.real(qijk).ravel(), minlength=values.size)
        return values, q, bool(commuting)

    def counting_moments(
        self,
        times: np.ndarray,
        which: Observable,
        order: int,
        *,
        center: np.ndarray | None = None,
    ) -> np.ndarray:
        """Moments m_n = (d/d(iχ))^n e^{Z(χ, t) − iχc_t} at χ = 0 (Eq. A2), n = 1…order.

        Moments of 𝒪_t − c_t with c_t = ``center`` (default 0):
        m_n = Σ_{a+b+c=n} n!/(a! b! c!) (−½)^{a+c} Tr(Õ^a U_t† Ô_t^b U_t Õ^c ρ0) with
        Õ = O_0 − ⟨O_0⟩ and Ô_t = Õ − c_t (the values o_j − (o_i + o_k)/2 do not depend
        on the shift of O_0), from the evolved vectors U_t Õ^c φ_k in O_0's eigenbasis:
        no O_t is formed. Centring on the mean avoids cancellation in high moments.

        Returns
        -------
        ndarray, shape (order, nt)
        """
        _checks.check_phase_range(self.name, np.asarray(times, dtype=float), self.norm)
        from math import factorial

        times = np.asarray(times, dtype=float)
        spec, _, A = self._sector_state(which)
        mean0 = float(np.real(np.sum(np.abs(A) ** 2 * spec.values[:, None])))
        o = spec.values - mean0
        powers = o[None, :] ** np.arange(order + 1)[:, None]  # (order+1, d)
        # X[c] = B† (õ^c ∘ a_λ): shape (order+1, d, r)
        X = np.stack([spec.B.conj().T @ (powers[c][:, None] * A) for c in range(order + 1)])
        shift = np.zeros(times.size) if center is None else np.asarray(center, dtype=float)
        out = np.zeros((order, times.size))
        for n_t, t in enumerate(times):
            W = spec.B @ (np.exp(-1j * self.E * t)[None, :, None] * X)  # (c, d, λ)
            inner = (o - shift[n_t])[None, :] ** np.arange(order + 1)[:, None]
            # M[b, a, c] = Σ_λ Σ_m conj(W_a[m, λ]) ô_m^b W_c[m, λ]
            M = np.einsum("amk,bm,cmk->bac", W.conj(), inner, W, optimize=True)
            for n in range(1, order + 1):
                acc = 0.0 + 0.0j
                for a in range(n + 1):
                    for c in range(n + 1 - a):
                        b = n - a - c
                        coef = factorial(n) / (factorial(a) * factorial(b) * factorial(c))
                        acc += coef * (-0.5) ** (a + c) * M[b, a, c]
                out[n - 1, n_t] = acc.real
        return out

    def observable_spectrum(self, which: Observable) -> np.ndarray | None:
        """Eigenvalues of O_0 (work: H0), increasing, if already computed (e.g. for the
        Fisher information); ``None`` otherwise, so callers choose a cheaper route."""
        cache = self.__dict__.get("_spectral_cache", {})
        return np.asarray(cache[which].values) if which in cache else None

    def evolved_states(self, times: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Ensemble weights λ_k and evolved vectors U_t φ_k, shape (nt, d, r)."""
        times = np.asarray(times, dtype=float)
        d, r = self.C.shape
        _checks.check_memory("evolved states", times.size * d * r * 16 * 2)
        phases = np.exp(-1j * np.outer(times, self.E))  # (nt, d)
        states = np.einsum("ij,tj,jk->tik", self.V, phases, self.C, optimize=True)
        return self.weights, states
