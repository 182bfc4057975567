r"""JAX engine: Chebyshev propagation of kets on a GPU or CPU, one compiled scan (issue 13).

Every quantity of :doc:`/concepts` follows from the propagated kets ψ_t = Uψ0, φ^W_t = U W0ψ0
and φ^P_t = U P0ψ0 (the Krylov engine's formulas, :mod:`qbattery.engines.krylov`); a
mixed ρ0 = Σ_k λ_k|ψ_k⟩⟨ψ_k| is propagated as the batch of its eigenvectors, and its
Uhlmann fidelity comes from the r × r overlaps ⟨ψ_k|ψ_l(t)⟩ (exact: ρ0's support is
spanned by the batch). The operators are :class:`~qbattery.PauliSum` objects applied as
fused bit-flip/phase kernels (:mod:`qbattery.engines.jax_kernels`); no matrix is formed.

The Fisher information (Eq. B5) of O0 = W0 or P0 is exact (no finite differences) when
O0 is diagonal in the computational basis (every model's W0), when its eigenbasis is
given (``Battery(..., eigenbases=...)``; a product basis such as the k-body P0's,
:attr:`qbattery.Eigenbasis.factors`, is applied factor by factor on the device), or
when d ≤ 1024 (O0 is diagonalised on the host); otherwise it is NaN with a note. Each
step of the scan keeps the Gram matrices of the ψ Chebyshev basis in O0's eigenspaces,
so ``fisher`` at any times (the adaptive θ quadrature's nodes) costs O(n_sectors K²)
per time on the host.

JAX runs in complex128: constructing the engine sets ``jax_enable_x64`` (a global JAX
setting; importing qbattery does not touch JAX).
"""

from __future__ import annotations

import functools
import time
from typing import Any

import numpy as np

from qbattery import _checks
from qbattery._optional import require
from qbattery.battery import Battery, to_dense
from qbattery.engines.base import OBSERVABLES, Engine, Moments, Observable, ObservableMoments
from qbattery.engines.dense import DEGENERACY_RTOL, eigenspaces
from qbattery.engines.jax_host import (
    MATRIX_MAX_DIM,
    cheb_coefficients,
    device_free_memory,
    fisher_in_step,
    gpu_visible,
    host_grams,
    step_grid,
    uhlmann_fidelity,
)
from qbattery.engines.jax_host import (
    is_pauli as _is_pauli,
)
from qbattery.engines.jax_host import (
    scan_bytes as _bytes,
)
from qbattery.engines.krylov import single_blas_thread
from qbattery.errors import EngineError

#: largest phase rτ of one Chebyshev step: K = 64 terms (bucketed) at 30; fewer, longer
#: steps amortise each step's dense output and Gram matrices (ising(14, 2, "tfim") on 2
#: CPU cores, moments and work angle: 2.5 s at 20, 2.1 s at 30, 2.4 s at 40)
MAX_STEP_PHASE = 30.0
#: Chebyshev terms per step assumed by the memory estimate (K at MAX_STEP_PHASE, + margin)
ESTIMATE_TERMS = 72
#: non-diagonal counting observables without a given eigenbasis: diagonalised up to this d
EIG_MAX_DIM = 256  # (krylov: 1024) each step keeps n_sectors (K + 1)² numbers
#: Lanczos steps for the spectral interval of H
LANCZOS_STEPS = 60
#: sectors handled on the device by sorted slices; more are handled on the host
MAX_DEVICE_SECTORS = 64
#: fraction of the free memory the sector Gram matrices may use on the host
GRAM_MEMORY_FRACTION = 0.25


def _jax() -> Any:
    return require("jax")


class JaxEngine(Engine):
    """Chebyshev propagation in JAX for PauliSum batteries, pure or mixed (issue 13).

    Parameters
    ----------
    battery : Battery
        A battery whose H, H0 and P0 are :class:`~qbattery.PauliSum` objects.
    max_step_phase : float
        Largest rτ of one Chebyshev step (r the half-width of H's spectrum).

    Attributes
    ----------
    stats : dict
        ``compile_time_s`` (seconds compiling, 0 when the structure was compiled
        before), ``run_time_s``, ``terms`` (Chebyshev terms per step), ``steps``,
        ``device``.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> bat = qb.models.ising(6, 2, variant="tfim", normalize=False)
    >>> t = np.linspace(0, 2, 5)
    >>> m = JaxEngine(bat).moments(t)
    >>> ref = qb.engines.DenseEngine(bat).moments(t)
    >>> bool(np.allclose(m.work.second, ref.work.second, rtol=1e-10, atol=1e-12))
    True
    """

    name = "jax"

    def __init__(self, battery: Battery, *, max_step_phase: float = MAX_STEP_PHASE) -> None:
        super().__init__(battery)
        jax = _jax()
        why = self.supports(battery)
        if why is not None:
            raise EngineError(f"engine 'jax' cannot run this battery: {why}")
        from qbattery.engines import jax_kernels as jk

        self._jk = jk
        self.d = int(battery.dim)
        self.n = self.d.bit_length() - 1
        self.max_step_phase = float(max_step_phase)
        weights, vecs = battery.ensemble()
        self.weights = np.asarray(weights, dtype=float)
        self.r = int(self.weights.size)
        self.stats: dict[str, Any] = {
            "compile_time_s": 0.0,
            "run_time_s": 0.0,
            "device": str(jax.devices()[0]),
        }
        ops = {"H": battery.H, "work": battery.H0, "power": battery.P0}
        self._spec = {
            k: jk.pauli_spec(op.to_list(), self.n)  # type: ignore[union-attr]
            if _is_pauli(op)
            else jk.matrix_spec(to_dense(op), self.n)
            for k, op in ops.items()
        }
        _checks.check_memory(  # before anything of size d is allocated
            f"the jax engine for dimension {self.d} ({self.r} ket(s)) on {self.stats['device']}",
            _bytes(self.d, self.r, ESTIMATE_TERMS, True)
            + (16 * self.d**2 if self.d <= EIG_MAX_DIM else 0),
            available=device_free_memory(),
        )
        self._sector = {w: self._sector_info(w) for w in OBSERVABLES}
        with jk.x64():
            self._psi0 = jax.numpy.asarray(np.ascontiguousarray(vecs.T, dtype=complex))
            self._dev = {k: self._device_op(k) for k in ops}
            self._interval()
        self._steps: list[tuple[float, float]] = []  # (start, length) of covered steps
        self._grams: dict[str, list[np.ndarray]] = {w: [] for w in OBSERVABLES}
        self._tail: Any = None
        self._start_kets()

    # ---- set-up -----------------------------------------------------------------------
    @classmethod
    def supports(cls, battery: Battery) -> str | None:
        """PauliSum operators (H, H0, P0) on qubits; JAX must be installed."""
        import importlib.util

        if importlib.util.find_spec("jax") is None:
            return "JAX is not installed (`pip install qbattery[jax]`)"
        d = int(battery.dim)
        small = d & (d - 1) == 0 and d <= MATRIX_MAX_DIM
        if not small and not all(_is_pauli(op) for op in (battery.H, battery.H0, battery.P0)):
            return (
                "the jax engine needs H, H0 and P0 as qbattery.PauliSum operators (matrices "
                f"only on qubits up to d = {MATRIX_MAX_DIM})"
            )
        return None

    @classmethod
    def memory_estimate(cls, battery: Battery, ntimes: int) -> int:
        """Device memory of the scan with K = ``ESTIMATE_TERMS`` Chebyshev terms per step."""
        return cls.memory_estimate_dim(int(battery.dim), battery.is_pure)

    @staticmethod
    def memory_estimate_dim(dim: int, is_pure: bool) -> int:
        """:meth:`memory_estimate` from the dimension (a mixed state: up to d kets)."""
        return _bytes(dim, 1 if is_pure else dim, ESTIMATE_TERMS, True)

    def _device_op(self, key: str) -> tuple[Any, Any]:
        jnp = _jax().numpy
        spec = self._spec[key]
        coef = jnp.asarray(spec.diag_coef)
        exe, secs = self._jk.compiled(
            ("diag", spec.n, spec.diag_z),
            lambda: functools.partial(self._jk.diagonal, spec.n, spec.diag_z),
            coef,
        )
        self.stats["compile_time_s"] += secs
        diag = exe(coef)
        return diag, jnp.asarray(spec.coef)

    def _interval(self) -> None:
        """Spectral interval [c − r, c + r] of H: Lanczos Ritz values plus a margin."""
        jax, jk = _jax(), self._jk
        spec = self._spec["H"]
        ident, bound = spec.abs_sum
        m = int(min(LANCZOS_STEPS, self.d))
        v0 = np.random.default_rng(1).standard_normal(self.d) + 0j
        v0 = jax.numpy.asarray(v0 / np.linalg.norm(v0))
        key = ("lanczos", spec.key, m)
        exe, secs = jk.compiled(key, lambda: jk.build_lanczos(spec.n, spec.groups, m),
                                *self._dev["H"], v0)  # fmt: skip
        self.stats["compile_time_s"] += secs
        alphas, betas = (np.asarray(x) for x in exe(*self._dev["H"], v0))
        stop = np.flatnonzero(betas[:-1] == 0)
        k = int(stop[0]) + 1 if stop.size else m
        from scipy.linalg import eigh_tridiagonal

        theta, S = eigh_tridiagonal(alphas[:k], betas[: k - 1])
        resid = np.abs(betas[k - 1] * S[-1, [0, -1]]) if k < m or k == m else np.zeros(2)
        lo, hi = float(theta[0]), float(theta[-1])
        margin = 0.01 * max(hi - lo, 1e-3 * max(1.0, bound)) + float(np.max(resid))
        lo, hi = max(lo - margin, ident - bound), min(hi + margin, ident + bound)
        if hi <= lo:  # H ∝ identity
            hi = lo + 1e-12 * max(1.0, abs(lo))
        self.center, self.radius = (hi + lo) / 2, (hi - lo) / 2
        # H̃ = (H − c)/r on the device
        diag, coef = self._dev["H"]
        self._dev["Ht"] = ((diag - self.center) / self.radius, coef / self.radius)

    def _sector_info(self, which: Observable) -> Any:
        """How the eigenspaces of O0 are handled: sorted diagonal, host transform, or None."""
        spec = self._spec[which]
        basis = self.battery.eigenbases.get(which)
        op = self.battery.H0 if which == "work" else self.battery.P0
        transform: Any
        Qh: Any = None  # Q† (matrix) or a tuple of the factors' q_i† (factors)
        if basis is not None:
            values, transform = basis.values, basis.coefficients
        elif spec.is_diagonal:
            values = np.real(op.diagonal() if _is_pauli(op) else np.diagonal(to_dense(op)))
            transform = None
        elif self.d <= EIG_MAX_DIM:
            values, Q = np.linalg.eigh(to_dense(op))
            Qh = np.ascontiguousarray(Q.conj().T)
            transform = Qh.__matmul__
        else:
            name = "W0 = H0" if which == "work" else "P0"
            self.notes[f"{which}_fisher"] = (
                f"the jax engine needs the eigenspaces of {name}: it is not diagonal in the "
                f"computational basis and dimension {self.d} > {EIG_MAX_DIM} is too large to "
                f"diagonalise it; pass its eigenbasis as Battery(..., eigenbases="
                f"{{{which!r}: qbattery.Eigenbasis(...)}})"
            )
            return None
        order = np.argsort(values, kind="stable")
        starts = eigenspaces(np.asarray(values)[order], rtol=DEGENERACY_RTOL)
        bounds = tuple(int(b) for b in np.append(starts, self.d))
        few = len(bounds) - 1 <= MAX_DEVICE_SECTORS
        factors = None if basis is None else basis.factors
        if transform is None or basis is None:  # diagonal, or Q† as a matrix (small d)
            kind = ("sorted" if transform is None else "matrix") if few else "host"
        elif few and factors is not None:
            kind = "factors"  # a product basis: Q† factor by factor on the device
            Qh = tuple(np.ascontiguousarray(np.conj(Q).T) for _, Q in factors)
        else:
            kind = "host"
        return {"order": order, "bounds": bounds, "transform": transform, "kind": kind,
                "Qh": Qh}  # fmt: skip

    def _start_kets(self) -> None:
        jk = self._jk
        with jk.x64():
            jnp = _jax().numpy
            psi = self._psi0
            kets = []
            for which in OBSERVABLES:
                groups = self._spec[which].groups
                args = (*self._dev[which], psi)
                exe, secs = jk.compiled(
                    ("apply", self.n, groups), lambda g=groups: jk.make_apply(self.n, g), *args
                )
                self.stats["compile_time_s"] += secs
                kets.append(exe(*args))
            wpsi, ppsi = kets
            self._kets0 = jnp.concatenate([psi, wpsi, ppsi])
            w = self.weights
            self._mean0: dict[str, float] = {}
            self._var0: dict[str, float] = {}
            for which, o_psi in (("work", wpsi), ("power", ppsi)):
                ev = np.real(np.asarray(jnp.sum(jnp.conj(psi) * o_psi, axis=1)))
                m0 = float(w @ ev)
                sq = np.asarray(jnp.sum(jnp.abs(o_psi - m0 * psi) ** 2, axis=1))
                self._mean0[which] = m0
                self._var0[which] = float(w @ sq)  # Σ_k λ_k ‖(O0 − ⟨O0⟩)ψ_k‖²

    # ---- propagation --------------------------------------------------------------------
    def _grid(self, t_start: float, ends: np.ndarray) -> list[tuple[float, float, list[float]]]:
        steps, self._targets = step_grid(t_start, ends, self.max_step_phase / self.radius)
        return steps

    def _host_grams(self, which: Observable, K: int) -> Any:
        info = self._sector[which]
        return None if info is None or info["kind"] != "host" else host_grams(info, self.r, K)

    def _propagate(self, t_start: float, kets: Any, ends: np.ndarray) -> tuple[Any, dict]:
        """One compiled scan from ``kets`` at ``t_start`` through the times ``ends``."""
        jax, jk = _jax(), self._jk
        jnp = jax.numpy
        steps = self._grid(t_start, ends)
        starts = np.array([s for s, _, _ in steps])
        lengths = np.array([ln for _, ln, _ in steps])
        K = -(-jk.bessel_terms(self.radius * float(lengths.max())) // 8) * 8  # bucketed
        nsteps = len(steps)
        M = max(1, max(len(taus) for _, _, taus in steps))
        M = -(-M // 4) * 4 if M > 2 else M  # reuse compiles across similar grids
        bucket = 1 << max(3, int(np.ceil(np.log2(nsteps))))
        a = np.zeros((bucket, M + 1, K + 1), complex)
        a[:, 0, 0] = 1.0  # padding steps: identity
        for k, (_, length, taus) in enumerate(steps):
            a[k, : len(taus) + 1] = cheb_coefficients(
                np.array([length, *taus]), K, self.center, self.radius
            )
        secs: list[Any] = []
        for w in OBSERVABLES:
            info = self._sector[w]
            if info is None:
                secs.append(None)
            elif info["kind"] == "host":
                secs.append(("host", len(info["bounds"]) - 1))
            else:
                secs.append((info["kind"], info["bounds"]))
        self._check_gram_memory(nsteps, K)
        layout = jk.ScanLayout(
            self.n, self.r, K, self._spec["H"].groups, self._spec["work"].groups,
            self._spec["power"].groups, (secs[0], secs[1]),
        )  # fmt: skip
        host = (self._host_grams("work", K), self._host_grams("power", K))
        dummy = (jnp.zeros(1, jnp.int64), jnp.zeros((1, 1), complex))
        perms = tuple(
            dummy
            if secs[i] is None or secs[i][0] == "host"
            else (
                jnp.asarray(self._sector[w]["order"]),
                jax.tree_util.tree_map(jnp.asarray, self._sector[w]["Qh"])
                if secs[i][0] in ("matrix", "factors")
                else dummy[1],
            )
            for i, w in enumerate(OBSERVABLES)
        )
        args = (kets, self._psi0, jnp.asarray(a), self._dev["Ht"], self._dev["work"],
                self._dev["power"], perms,
                jnp.asarray([self._mean0["work"], self._mean0["power"]]),
                jnp.asarray(nsteps))  # fmt: skip
        key = ("scan", layout) if host == (None, None) else None  # host closures: no cache
        exe, secs_c = jk.compiled(key, lambda: jk.build_scan(layout, host), *args)
        self.stats["compile_time_s"] += secs_c
        t0 = time.perf_counter()
        final, norms, outs = exe(*args)
        outs = jax.tree_util.tree_map(lambda x: np.asarray(x)[:nsteps], outs)
        self.stats["run_time_s"] += time.perf_counter() - t0
        self.stats.update(terms=K, steps=self.stats.get("steps", 0) + nsteps)
        dev = float(np.max(np.abs(np.asarray(norms)[: self.r] - 1.0)))
        if dev > 1e-8:  # pragma: no cover - a spectral interval that missed an eigenvalue
            raise RuntimeError(
                f"the jax engine's Chebyshev propagation lost unitarity (‖ψ‖ − 1 = {dev:.2g}); "
                "the spectral interval of H is too narrow: please report this"
            )
        slots = {float(targets[m]): (k, m) for k, (_, _, targets) in enumerate(self._targets)
                 for m in range(len(targets))}  # fmt: skip
        outs.update(starts=starts, lengths=lengths, K=K, slots=slots)
        return final, outs

    def _check_gram_memory(self, nsteps: int, K: int) -> None:
        nsec = sum(len(s["bounds"]) - 1 for s in self._sector.values() if s is not None)
        need = nsteps * self.r * nsec * (K + 1) ** 2 * 16
        if need > GRAM_MEMORY_FRACTION * _checks.available_memory():
            _checks.check_memory(
                f"the jax engine's Fisher data ({nsteps} steps, {nsec} eigenspaces)",
                need / GRAM_MEMORY_FRACTION,
            )

    def _record(self, outs: dict) -> None:
        for s, ln in zip(outs["starts"], outs["lengths"], strict=True):
            self._steps.append((float(s), float(ln)))
        for w in OBSERVABLES:
            if w in outs:
                self._grams[w].extend(list(outs[w]))
        self._K = list(getattr(self, "_K", [])) + [outs["K"]] * len(outs["starts"])

    def _extend(self, t_end: float) -> None:
        """Cover [0, t_end] with Fisher data, continuing from the last step."""
        if self._steps and self._steps[-1][0] + self._steps[-1][1] >= t_end:
            return
        if self._tail is None:
            t0, kets = 0.0, self._kets0
        else:
            t0, kets = self._tail
        with self._jk.x64():
            final, outs = self._propagate(t0, kets, np.array([t_end]))
        self._record(outs)
        self._tail = (float(outs["starts"][-1] + outs["lengths"][-1]), final)

    # ---- engine interface ---------------------------------------------------------------
    def moments(self, times: np.ndarray) -> Moments:
        """Raw moments at ``times`` from one scan over them (module docstring)."""
        times = np.asarray(times, dtype=float)
        nt = times.size
        w = self.weights
        with self._jk.x64():
            final, outs = self._propagate(0.0, self._kets0, times)
        if not self._steps or outs["starts"][-1] + outs["lengths"][-1] >= self._covered():
            self._steps, self._grams, self._K = [], {x: [] for x in OBSERVABLES}, []
            self._record(outs)
            self._tail = (float(outs["starts"][-1] + outs["lengths"][-1]), final)
        slots = np.zeros((nt, 2), np.int64)
        by_offset = outs["slots"]
        at0 = times == 0
        for q, tq in enumerate(times):
            if not at0[q]:
                slots[q] = by_offset[float(tq)]
        ks, ms = slots[:, 0], slots[:, 1]
        obs = {}
        for which, key in (("work", "w"), ("power", "p")):
            o = outs[key][ks, :, ms]  # (nt, 3, r)
            mean = np.real(o[:, 0]) @ w
            second = np.real(o[:, 1]) @ w
            cross0 = o[:, 2] @ w
            for arr in (mean, second, cross0):
                arr[at0] = 0.0
            obs[which] = ObservableMoments(mean, second, cross0, self._var0[which])
        cross = outs["cross"][ks, ms] @ w
        cross[at0] = 0.0
        fidelity = uhlmann_fidelity(outs["overlap"][ks, ms], self.weights)
        fidelity[at0] = 1.0
        return Moments(
            times=times,
            work=obs["work"],
            power=obs["power"],
            cross=cross if nt else np.zeros(0, complex),
            fidelity=np.clip(fidelity, 0.0, 1.0),
            notes=dict(self.notes),
        )

    def _covered(self) -> float:
        return self._steps[-1][0] + self._steps[-1][1] if self._steps else 0.0

    @single_blas_thread
    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """Fisher information of the eigenspaces of O_0 (Eq. B5) at any ``times``.

        With ψ = V a(τ) and Hψ = V B a(τ) in the step containing t: p_i = a†M_i a,
        dp_i/dt = 2 Im a†M_i B a, and where p_i is at rounding level the term's limit
        4‖Π_i Hψ‖² = 4 (Ba)†M_i(Ba) (weighted over the ensemble, as the dense engine).
        """
        if self._sector[which] is None:
            return None
        times = np.asarray(times, dtype=float)
        flat = times.ravel()
        if flat.size == 0:
            return np.zeros(times.shape)
        self._extend(float(flat.max()))
        starts = np.array([s for s, _ in self._steps])
        idx = np.clip(np.searchsorted(starts, flat, side="right") - 1, 0, starts.size - 1)
        values = np.empty(flat.size)
        offsets = flat - starts[idx]
        Ks = np.asarray(self._K)[idx]
        for K in np.unique(Ks):  # all Chebyshev coefficients of one order at once
            sel_K = np.flatnonzero(Ks == K)
            a_all = cheb_coefficients(offsets[sel_K], int(K), self.center, self.radius)
            for k in np.unique(idx[sel_K]):
                sel = idx[sel_K] == k
                values[sel_K[sel]] = fisher_in_step(
                    self._grams[which][k], a_all[sel], self.weights, self.center,
                    self.radius, floor=self.d * 1e-26,
                )  # fmt: skip
        return values.reshape(times.shape)

    def observable_spectrum(self, which: Observable) -> np.ndarray | None:
        return None


__all__ = ["JaxEngine", "device_free_memory", "gpu_visible"]
