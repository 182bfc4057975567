r"""Open engine (issue 16): Lindblad charging, the moments of Eq. (A2) from the channel Λ_t.

Applying the paper's generating function (A2) to system plus environment, with
O_t = U†(O_0 ⊗ 1)U and the environment traced out, every moment needs only the
channel Λ_t = exp(𝓛t) (:mod:`qbattery.numerics.liouvillian`):

* mean   ⟨𝒪_t⟩   = Tr[O_0(ρ_t − ρ_0)]                                        (Eq. 2)
* second ⟨𝒪_t²⟩  = Tr[O_0²ρ_t] − Tr[O_0 Λ_t({O_0, ρ_0})] + Tr[O_0²ρ_0]       (Eq. 3)
* two-time correlations (quantum regression theorem): Tr(ρ0 A B_t) =
  Tr[B Λ_t(ρ0 A)], Tr(ρ0 B_t A) = Tr[B Λ_t(Aρ0)], and Tr(ρ0 A_t B_t) = Tr[AB ρ_t], so
  cross0 = Tr(ρ0 δO_0 𝒪_t) = Tr[O_0Λ_t(ρ0 O_0)] − ⟨O_0⟩Tr[O_0ρ_t] − Var_ρ0(O_0) and
  cross = Tr(ρ0 𝒫_t𝒲_t) = Tr[P_0W_0ρ_t] − Tr[P_0Λ_t(W_0ρ0)] − Tr[W_0Λ_t(ρ0P_0)]
  + Tr(ρ0P_0W_0).

Λ_t preserves Hermiticity, Λ_t(ρ0 O) = Λ_t(Oρ0)†, so only ρ0, W_0ρ0 and P_0ρ0 are
evolved. Without jumps these are the closed-system moments for any ρ0; for [ρ0, O_0] = 0
they are the two-point-measurement (TPM) moments. **Never** take the variance from
(Λ_t†O_0)²: Tr[ρ0(Λ_t†O_0)²] ≤ Tr[ρ0 Λ_t†(O_0²)] (Kadison–Schwarz), so that "variance"
is too small and appears to violate Eq. (5).

The speed angle (Eq. 5) uses the Fisher information (B5) of p_m(t) = Tr[Π_mρ_t] with
ṗ_m = Tr[Π_m𝓛ρ_t] exactly. The paper proves Eq. (5) and (6) for closed dynamics; for
open dynamics they are checked numerically (tests/test_open.py).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import scipy.sparse as sp
import scipy.sparse.linalg as spla

from qbattery._checks import format_dim
from qbattery.battery import Battery, to_dense
from qbattery.engines.base import Engine, Moments, Observable, ObservableMoments
from qbattery.engines.dense import eigenspaces
from qbattery.errors import InvalidInputError
from qbattery.numerics.liouvillian import (
    adjoint_action,
    counting_generator,
    liouvillian,
    tilted_liouvillian,
    trace_row,
    unvec,
    vec,
)
from qbattery.numerics.quadrature import speed_angle
from qbattery.numerics.sectors import fisher_terms
from qbattery.numerics.superprop import EIGEN_MAX, Propagator
from qbattery.operators import PauliSum

#: dimension up to which the vectorised generator is dense (d² ≤ 4096)
DENSE_MAX_DIM = 64
#: closed batteries (no jumps) are accepted up to this dimension (contract test)
CLOSED_MAX_DIM = 16
#: p_m below this counts as zero in the Fisher information (stepping routes' rounding)
P_FLOOR = 1e-14
_EPS = float(np.finfo(float).eps)


class OpenEngine(Engine):
    """Lindblad (open) charging: all moments, bounds, heat statistics, steady state.

    Parameters
    ----------
    battery : Battery
        H = battery.H drives, W_0 = H0; jumps from ``battery.jumps`` unless given.
    jumps : sequence of operators, optional
        Jump operators L_k, rates included (dense or sparse, d × d).
    counted : mapping int -> float, optional
        Index of a counted jump -> energy per quantum ε_k carried away (heat Q = Σε_kN_k).
    power : {"drive", "net"}
        P_0 = −i[H0, HC] (the battery's P0) or 𝓛†(H0) (the net rate of energy change).

    Examples
    --------
    Without jumps the open engine reproduces the closed qubit of App. D:
    ⟨𝒲_t⟩ = sin²t.

    >>> import numpy as np, qbattery as qb
    >>> m = OpenEngine(qb.models.single_qubit(), jumps=[]).moments(np.array([0.3]))
    >>> bool(np.isclose(m.work.mean[0], np.sin(0.3) ** 2, rtol=1e-12))
    True
    """

    name = "open"
    open_systems = True

    def __init__(
        self,
        battery: Battery,
        *,
        jumps: Sequence[Any] | None = None,
        counted: Mapping[int, float] | None = None,
        power: Literal["drive", "net"] = "drive",
    ) -> None:
        super().__init__(battery)
        given = getattr(battery, "jumps", ()) if jumps is None else jumps
        cnt = getattr(battery, "counted", {}) if counted is None else counted
        d = battery.dim
        self.dim = d
        self.small = d <= DENSE_MAX_DIM
        conv = (lambda a: to_dense(a).astype(complex)) if self.small else _csr
        self.jumps = [conv(L) for L in given]
        self.counted = {int(k): float(v) for k, v in dict(cnt).items()}
        for k in self.counted:
            if not 0 <= k < len(self.jumps):
                raise InvalidInputError(
                    f"`counted` index {k} is not a jump (0…{len(self.jumps) - 1})"
                )
        self.H = conv(battery.H)
        W0 = battery.dense("H0").astype(complex)
        if power == "net":
            P0 = adjoint_action(self.H, self.jumps, W0)
        elif power == "drive":
            P0 = battery.dense("P0").astype(complex)
        else:
            raise InvalidInputError(f"`power` must be 'drive' or 'net', got {power!r}")
        self.ops = {"work": W0, "power": (P0 + P0.conj().T) / 2}
        st = to_dense(battery.state)
        self.rho0 = np.outer(st, st.conj()) if st.ndim == 1 else np.asarray(st, complex)
        self.weights, self.vectors = battery.ensemble()
        G = liouvillian(self.H, self.jumps, sparse=not self.small)
        self.G = G
        self.prop = Propagator(G)

    # ---- engine contract --------------------------------------------------------------
    @classmethod
    def supports(cls, battery: Battery) -> str | None:
        """Any open battery (memory permitting); a closed one up to d = 16 (the closed
        engines are faster; the limit keeps the engine contract test quick)."""
        if battery.jumps or battery.dim <= CLOSED_MAX_DIM:
            return None
        return (
            f"a closed battery of dimension {format_dim(battery.dim)} > {CLOSED_MAX_DIM} is "
            "run faster "
            "by the closed engines; pass jumps=[...] for Lindblad charging"
        )

    @classmethod
    def memory_estimate(cls, battery: Battery, ntimes: int) -> int:
        """Dense route: about 6 d²×d² complex matrices; sparse: a few d²-vectors per time."""
        n = battery.dim**2
        if battery.dim <= DENSE_MAX_DIM:
            return int(6 * n * n * 16 + 16 * n * 4 * ntimes)
        return int(16 * n * (3 * ntimes + 60))

    def states(self, times: np.ndarray) -> np.ndarray:
        """ρ_t at ``times``, shape (nt, d, d)."""
        out = self.prop.apply(np.asarray(times, float), vec(self.rho0))
        return unvec(out[:, :, 0], self.dim)

    def moments(self, times: np.ndarray) -> Moments:
        """Raw moments (module docstring) at ``times``.

        Written with D = O_0 − ⟨O_0⟩ and the changes Δρ = ρ_t − ρ0, Δa = Λ_t(Dρ0) − Dρ0
        (the propagator's ``offset`` route, expm1 on the eigen route); Λ_t preserves
        the trace, so mean = Tr[DΔρ], second = Tr[D²Δρ] − 2Re Tr[DΔa],
        cross0 = conj Tr[DΔa] and var0 = Tr[D²ρ0] with no constant terms left to cancel:
        exactly 0 at t = 0, and for a start that is an eigenstate of O_0 (Dρ0 ≈ 0) the
        correlation term f of Eq. (5) stays at rounding level as in the closed engines.
        """
        times = np.asarray(times, dtype=float)
        rho0 = self.rho0
        eye = np.eye(self.dim)
        e0 = {w: float(np.real(np.trace(O @ rho0))) for w, O in self.ops.items()}
        D = {w: O - e0[w] * eye for w, O in self.ops.items()}
        V = np.stack([vec(rho0), vec(D["work"] @ rho0), vec(D["power"] @ rho0)], axis=1)
        ev = self.prop.apply(times, V, offset=True)  # (nt, n, 3): the changes
        d_rho, d_obs = ev[:, :, 0], {"work": ev[:, :, 1], "power": ev[:, :, 2]}
        res = {}
        for which, Dw in D.items():
            mean = np.real(d_rho @ trace_row(Dw))
            d_corr = d_obs[which] @ trace_row(Dw)  # Tr[D Δa]
            res[which] = ObservableMoments(
                mean=mean,
                second=np.real(d_rho @ trace_row(Dw @ Dw)) - 2 * np.real(d_corr),
                cross0=np.conj(d_corr),
                var0=max(float(np.real(np.trace(Dw @ Dw @ rho0))), 0.0),
            )
        W0, P0 = self.ops["work"], self.ops["power"]
        # Λ_t(Oρ0) − Oρ0 = Δa + ⟨O⟩Δρ; the constants Tr[PWρ0] cancel (module docstring)
        d_w = d_obs["work"] + e0["work"] * d_rho
        d_p = d_obs["power"] + e0["power"] * d_rho
        cross = d_rho @ trace_row(P0 @ W0) - d_w @ trace_row(P0) - np.conj(d_p @ trace_row(W0))
        rt = d_rho + vec(rho0)[None, :]
        return Moments(
            times=times,
            work=res["work"],
            power=res["power"],
            cross=np.asarray(cross, complex),
            fidelity=self._fidelity(unvec(rt, self.dim)),
            notes=dict(self.notes),
        )

    def _fidelity(self, rhos: np.ndarray) -> np.ndarray:
        """Uhlmann F(ρ0, ρ_t) = (Tr√(√ρ0 ρ_t √ρ0))², from the ensemble of ρ0."""
        phi = self.vectors * np.sqrt(self.weights)[None, :]
        A = np.einsum("ai,tab,bj->tij", phi.conj(), rhos, phi)
        A = (A + np.conj(np.swapaxes(A, 1, 2))) / 2
        ev = np.maximum(np.linalg.eigvalsh(A), 0.0)
        return np.minimum(np.sum(np.sqrt(ev), axis=1) ** 2, 1.0)

    # ---- Fisher information and speed angle (Eq. B5, 5) -------------------------------
    def _projector_rows(self, which: Observable) -> tuple[np.ndarray, np.ndarray]:
        """Distinct eigenvalues of O_0 and the trace rows of their eigenprojectors."""
        cache = self.__dict__.setdefault("_rows", {})
        if which not in cache:
            vals, Q = np.linalg.eigh(self.ops[which])
            starts = np.append(eigenspaces(vals), vals.size)
            rows = [
                trace_row(Q[:, a:b] @ Q[:, a:b].conj().T) for a, b in itertools.pairwise(starts)
            ]
            values = np.array([vals[a:b].mean() for a, b in itertools.pairwise(starts)])
            cache[which] = (values, np.array(rows))
        values, rows = cache[which]
        return np.asarray(values), np.asarray(rows)

    def sector_jets(
        self, times: np.ndarray, which: Observable
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """O_0's distinct eigenvalues, the jet (p_m, ṗ_m, p̈_m) of p_m(t) = Tr[Π_mρ_t]
        (shape (3, S, nt), :mod:`qbattery.numerics.sectors`) and the rounding floor of
        p_m (shape (1, nt)).

        ṗ_m = Tr[Π_m𝓛ρ_t] and p̈_m = Tr[Π_m𝓛²ρ_t] exactly; p_m = p_m(0) + Δp_m, so p_m
        keeps its accuracy as t → 0. The floor is relative to the largest p_m on the
        eigen route (κ(R)·eps; the scale is p_m(t), not Δp_m) and absolute otherwise.
        """
        times = np.asarray(times, dtype=float).ravel()
        values, rows = self._projector_rows(which)
        v0 = vec(self.rho0)
        if self.prop.method == "eigen":
            # Tr[Π_m 𝓛ʲ e^{𝓛t}ρ0] = Σ_k (Π_m R)_k λ_kʲ e^{λ_k t} (R⁻¹ρ0)_k: one product
            # of the (S, n) coefficients with the (n, nt) exponentials per derivative
            lam = self.prop.lam
            coef = (rows @ self.prop.R) * (self.prop.Rinv @ v0)[None, :]
            z = np.outer(lam, times)
            exps = np.exp(z)
            # e^z − 1 without cancellation where |z| is small; elsewhere the difference
            # is exact to rounding (complex expm1 costs twice exp)
            offset = exps - 1.0
            near = np.abs(z) < 0.5
            offset[near] = np.expm1(z[near])
            jet = np.real(np.stack([coef @ offset, (coef * lam) @ exps, (coef * lam**2) @ exps]))
        else:
            ev = self.prop.apply(times, v0, powers=2, offset=True)[..., 0]  # (3, nt, n)
            jet = np.real(np.swapaxes(ev @ rows.T, 1, 2))  # (3, S, nt)
        jet[0] += np.real(rows @ v0)[:, None]
        if self.prop.method == "eigen":
            floor = 10 * self.prop.cond * _EPS * np.max(np.abs(jet[0]), axis=0, keepdims=True)
        else:
            floor = np.full((1, times.size), P_FLOOR)
        return values, jet, floor

    def _fisher_terms(self, times: np.ndarray, which: Observable, scaled: bool) -> np.ndarray:
        _, jet, floor = self.sector_jets(times, which)
        return fisher_terms(times, jet, floor, scaled=scaled)

    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray:
        """Fisher information (B5) of the eigenspaces of O_0 under ρ_t, exact ṗ = Tr[Π𝓛ρ_t].

        Where p_m = 0 the limit 2p̈_m (a quadratic zero) is used; a sector fed from empty
        at t = 0 gives I ~ ṗ/t, infinite at t = 0 but integrable (see :meth:`angle`).
        """
        return self._fisher_terms(times, which, scaled=False)

    def angle(self, times: np.ndarray, which: Observable, *, floor: float = 1e-13) -> np.ndarray:
        """θ_t = ∫_0^t √I/2 dt' (Eq. 5), integrated in u = √t' so that the integrand
        u√I(u²) stays finite where a sector is fed from empty (I ~ 1/t); ``floor`` as for
        :func:`~qbattery.numerics.quadrature.speed_angle`."""
        times = np.asarray(times, dtype=float)

        def in_u(u: np.ndarray) -> np.ndarray:
            return 4.0 * self._fisher_terms(np.asarray(u) ** 2, which, scaled=True)

        return speed_angle(in_u, np.sqrt(times), floor=floor)

    # ---- steady state ------------------------------------------------------------------
    def steady_state(self) -> np.ndarray:
        """ρ_ss with 𝓛ρ_ss = 0, Tr ρ_ss = 1 (row 0 of 𝓛̂ replaced by the trace; unique
        steady state assumed)."""
        if "_rho_ss" not in self.__dict__:
            b = np.zeros(self.dim**2, complex)
            b[0] = 1.0
            rho = unvec(self._solve_traced(b), self.dim)
            self.__dict__["_rho_ss"] = (rho + rho.conj().T) / 2
        return np.asarray(self.__dict__["_rho_ss"])

    def _solve_traced(self, rhs: np.ndarray) -> np.ndarray:
        """x with 𝓛x = rhs on rows 1…, and Tr x = rhs[0] (row 0 of 𝓛̂ replaced by the
        trace): dense solve on the dense route, else one sparse LU (never a dense
        d² × d²) kept for the next right-hand side."""
        if self.small:
            A = np.array(self.G)
            A[0, :] = trace_row(np.eye(self.dim))
            return np.asarray(np.linalg.solve(A, rhs))
        if "_traced_lu" not in self.__dict__:
            A = sp.lil_array(self.G)
            A[0, :] = trace_row(np.eye(self.dim))
            self.__dict__["_traced_lu"] = spla.splu(sp.csc_array(A))
        return np.asarray(self.__dict__["_traced_lu"].solve(np.asarray(rhs, complex)))

    def relaxation_rate(self) -> float:
        """Spectral gap g = −max Re λ over the non-zero eigenvalues of 𝓛 (dense route)."""
        lam = self.prop.eigenvalues()
        if lam is None:
            if not self.small or self.G.shape[0] > EIGEN_MAX:
                lam = spla.eigs(
                    sp.csc_array(self.G), k=6, sigma=0.0, tol=1e-10, return_eigenvectors=False
                )
            else:
                lam = np.linalg.eigvals(self.G)
        lam = np.asarray(lam)
        rates = -np.real(lam[np.abs(lam) > 1e-9])
        return float(rates.min()) if rates.size else 0.0

    def steady_moments(self, which: Observable) -> ObservableMoments:
        """t → ∞ moments (unique steady state): Λ_∞(X) = ρ_ss Tr X, so
        mean = ⟨O_0⟩_ss − ⟨O_0⟩_0, variance = Var_ss(O_0) + Var_0(O_0), cross0 = 0."""
        O, rss = self.ops[which], self.steady_state()
        e0 = float(np.real(np.trace(O @ self.rho0)))
        e2 = float(np.real(np.trace(O @ O @ self.rho0)))
        s1 = float(np.real(np.trace(O @ rss)))
        s2 = float(np.real(np.trace(O @ O @ rss)))
        mean = np.array([s1 - e0])
        second = np.array([s2 - 2 * s1 * e0 + e2])
        return ObservableMoments(
            mean=mean, second=second, cross0=np.zeros(1, complex), var0=e2 - e0**2
        )

    def steady_angle(self, which: Observable) -> float:
        """θ_∞ (Eq. 5), see :func:`steady_angle`."""
        return steady_angle(self, which)

    def steady_populations(self) -> np.ndarray:
        """Eigenvalues of ρ_ss (for the steady state's ergotropy)."""
        return _populations(self.steady_state()[None])[0]

    # ---- spectra for the ergotropy ----------------------------------------------------
    def energy_levels(self) -> np.ndarray:
        """Eigenvalues of H0 = W_0."""
        return np.asarray(np.linalg.eigvalsh(self.ops["work"]))

    def initial_energy(self) -> float:
        """Tr[H0ρ0]."""
        return float(np.real(np.trace(self.ops["work"] @ self.rho0)))

    def populations(self, times: np.ndarray) -> np.ndarray:
        """Eigenvalues of ρ_t, shape (nt, d) (for the ergotropy over time)."""
        return _populations(self.states(times))

    # ---- counted channels: heat and injected work -------------------------------------
    def heat_moments(self, times: np.ndarray) -> dict[str, np.ndarray]:
        """Mean and second moment of the heat Q and of the injected work W = ΔE + Q.

        From the tilted generator (block form, :func:`counting_generator`) with M₀, M₁,
        M₂ the Taylor coefficients of exp(𝓛_s t): ⟨Q⟩ = Tr M₁ρ0, ⟨Q²⟩ = 2Tr M₂ρ0, and
        with ΔE by Eq. (A2) (TPM for [ρ0, H0] = 0): ⟨W⟩ = ⟨ΔE⟩ + ⟨Q⟩,
        ⟨W²⟩ = ⟨ΔE²⟩ + ⟨Q²⟩ + 2Tr[H0 M₁ρ0] − Tr[M₁{H0, ρ0}].
        """
        times = np.asarray(times, dtype=float)
        n, W0 = self.dim**2, self.ops["work"]
        G = counting_generator(self.H, self.jumps, self.counted, sparse=n > 400)
        V = np.zeros((3 * n, 2), complex)
        V[2 * n :, 0] = vec(self.rho0)
        V[2 * n :, 1] = vec(W0 @ self.rho0)
        method = "expm" if n <= 400 else "krylov"
        ev = Propagator(G, method=method).apply(times, V)
        one, rw, rw2 = trace_row(np.eye(self.dim)), trace_row(W0), trace_row(W0 @ W0)
        m2, m1, m0 = ev[:, :n, 0], ev[:, n : 2 * n, 0], ev[:, 2 * n :, 0]
        m1w, m0w = ev[:, n : 2 * n, 1], ev[:, 2 * n :, 1]
        e0 = float(np.real(np.trace(W0 @ self.rho0)))
        e2 = float(np.real(np.trace(W0 @ W0 @ self.rho0)))
        de_mean = np.real(m0 @ rw) - e0
        de_second = np.real(m0 @ rw2) - 2 * np.real(m0w @ rw) + e2
        q_mean = np.real(m1 @ one)
        q_second = 2 * np.real(m2 @ one)
        w_second = de_second + q_second + 2 * np.real(m1 @ rw) - 2 * np.real(m1w @ one)
        return {
            "heat_mean": q_mean,
            "heat_second": q_second,
            "injected_work_mean": de_mean + q_mean,
            "injected_work_second": w_second,
        }

    def generating_function(self, times: np.ndarray, s: float) -> np.ndarray:
        """G(s, t) = Tr[e^{sH0} Φ_s(e^{−sH0/2}ρ0e^{−sH0/2})], Φ_s = exp(𝓛_s t) tilted on
        the counted jumps: ⟨e^{s(ΔE + Q)}⟩ for [ρ0, H0] = 0 (TPM), Eq. (A2) otherwise."""
        vals, Q = np.linalg.eigh(self.ops["work"])
        half = (Q * np.exp(-s * vals / 2)) @ Q.conj().T
        full = (Q * np.exp(s * vals)) @ Q.conj().T
        Gs = tilted_liouvillian(self.H, self.jumps, self.counted, s, sparse=not self.small)
        prop = Propagator(Gs, method="expm" if self.small else "krylov")
        ev = prop.apply(np.asarray(times, float), vec(half @ self.rho0 @ half))
        return np.real(ev[:, :, 0] @ trace_row(full))

    def counting_rates(self) -> tuple[float, float]:
        """Long-time rates κ₁/t, κ₂/t of Q (steady-state perturbation theory):
        κ₁ = Tr 𝓙₁ρ_ss, κ₂ = Tr 𝓙₂ρ_ss − 2Tr[𝓙₁𝓛⁺(𝓙₁ − κ₁)ρ_ss], 𝓛⁺ the inverse of 𝓛 on
        traceless matrices."""
        rss, d = self.steady_state(), self.dim
        j1 = sum(e * self.jumps[k] @ rss @ self.jumps[k].conj().T for k, e in self.counted.items())
        j2 = sum(
            e**2 * self.jumps[k] @ rss @ self.jumps[k].conj().T for k, e in self.counted.items()
        )
        k1 = float(np.real(np.trace(j1)))
        rhs = vec(np.asarray(j1) - k1 * rss)
        rhs[0] = 0.0
        x = unvec(self._solve_traced(rhs), d)  # 𝓛x = (𝓙₁ − κ₁)ρ_ss, Tr x = 0
        j1x = sum(e * self.jumps[k] @ x @ self.jumps[k].conj().T for k, e in self.counted.items())
        k2 = float(np.real(np.trace(j2))) - 2 * float(np.real(np.trace(j1x)))
        return k1, k2


#: the quadrature floor of θ_∞ (relative to θ, per panel; θ_t's is 1e-13): θ_∞ is
#: converged to 1e-10, and summed over its panels this floor costs about 1e-11 (measured
#: on kbody(8, 2, decay=0.1): 9e-12 for work, 1.0e-11 for power; 1e-11 gave 1.2e-10)
STEADY_FLOOR = 1e-12


def steady_angle(eng: Any, which: Observable, *, decay_lengths: float = 80.0) -> float:
    """θ_∞ (Eq. 5) of an open engine: the angle at t = ``decay_lengths``/g (g its
    ``relaxation_rate()``), doubled until θ(T) − θ(T/2) ≤ 1e-10; NaN with a note in
    ``eng.notes`` without a gap (no relaxation) or without convergence.

    Examples
    --------
    Above a decay rate of about 0.66 the work angle of a charged qubit saturates below
    π/2 (:doc:`/open`):

    >>> import numpy as np, qbattery as qb
    >>> eng = OpenEngine(qb.models.single_qubit(decay=1.0))
    >>> bool(0 < steady_angle(eng, "work") < np.pi / 2)
    True
    """
    g = eng.relaxation_rate()
    if not g > 1e-9:
        eng.notes[f"{which}_angle_inf"] = "no spectral gap: the state never relaxes"
        return float("nan")
    T = decay_lengths / g
    for _ in range(6):  # the gap may be estimated (sparse route): check convergence
        th = eng.angle(np.array([T / 2, T]), which, floor=STEADY_FLOOR)
        if abs(th[1] - th[0]) <= 1e-10 * max(1.0, abs(th[1])):
            return float(th[1])
        T *= 2
    eng.notes[f"{which}_angle_inf"] = "θ_t did not converge as t → ∞"
    return float("nan")


def _populations(rhos: np.ndarray) -> np.ndarray:
    """Eigenvalues (clipped at 0) of the Hermitian parts of a stack of density matrices."""
    herm = (rhos + np.conj(np.swapaxes(rhos, 1, 2))) / 2
    return np.clip(np.linalg.eigvalsh(herm), 0.0, None)


def _csr(op: Any) -> sp.csr_array:
    if sp.issparse(op):
        return sp.csr_array(op, dtype=complex)
    if isinstance(op, PauliSum):
        return sp.csr_array(op.to_sparse(), dtype=complex)
    return sp.csr_array(to_dense(op).astype(complex))


__all__ = ["DENSE_MAX_DIM", "EIGEN_MAX", "OpenEngine", "steady_angle"]
