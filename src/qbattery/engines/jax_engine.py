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
from qbattery.engines.base import OBSERVABLES, Engine, Moments, Observable
from qbattery.engines.jax_host import (
    MATRIX_MAX_DIM,
    ScanPlan,
    cheb_coefficients,
    device_free_memory,
    fisher_in_step,
    gpu_visible,
    host_grams,
    moments_from_scan,
    sector_info,
    step_grid,
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
        self._primed: tuple[np.ndarray, dict[str, Any]] | None = None
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
        """How the eigenspaces of O0 are handled (``jax_host.sector_info``)."""
        info, note = sector_info(
            self.battery, which, self._spec[which].is_diagonal, self.d,
            eig_max_dim=EIG_MAX_DIM, max_sectors=MAX_DEVICE_SECTORS,
        )  # fmt: skip
        if note is not None:
            self.notes[f"{which}_fisher"] = note
        return info

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
    def plan(
        self,
        t_start: float,
        ends: np.ndarray,
        *,
        dmax: float | None = None,
        radius: float | None = None,
    ) -> ScanPlan:
        """Steps from ``t_start`` through ``ends``: at most ``dmax`` long (default
        ``max_step_phase / radius``), with K for the phase ``radius`` × the longest step
        (default: this engine's radius; a batch passes its largest)."""
        radius = self.radius if radius is None else float(radius)
        dmax = self.max_step_phase / radius if dmax is None else float(dmax)
        steps, targets = step_grid(t_start, ends, dmax)
        longest = max(ln for _, ln, _ in steps)
        K = -(-self._jk.bessel_terms(radius * longest) // 8) * 8  # bucketed
        return ScanPlan.from_grid(steps, targets, K)

    def sector_layout(self, fisher: bool = True) -> tuple[Any, Any]:
        """Per observable, the Fisher data the scan keeps: ``None``, ``(kind, bounds)``
        for a device kind, or ``("host", n_sectors)`` (a host callback)."""
        infos = [self._sector[w] if fisher else None for w in OBSERVABLES]
        secs = [
            None if i is None else ("host", len(i["bounds"]) - 1) if i["kind"] == "host"
            else (i["kind"], i["bounds"])
            for i in infos
        ]  # fmt: skip
        return secs[0], secs[1]

    def batch_key(self, *, fisher: bool = True) -> tuple[Any, ...] | None:
        """What engines must share to run as one vmapped scan
        (:mod:`qbattery.engines.jax_batch`): n, the number of kets, the Pauli structure of
        H, W0 and P0, and the eigenspace layout of the Fisher data; ``None`` when a host
        callback computes that data."""
        secs = self.sector_layout(fisher)
        if any(s is not None and s[0] == "host" for s in secs):
            return None
        leaves = tuple(
            (np.shape(x), str(np.asarray(x).dtype))
            for w, sec in zip(OBSERVABLES, secs, strict=True)
            if sec is not None
            for x in _jax().tree_util.tree_leaves(self._sector[w]["Qh"])
        )
        specs = tuple(self._spec[k].key for k in ("H", "work", "power"))
        return (self.n, self.r, specs, secs, leaves)

    def _host_grams(self, which: Observable, K: int) -> Any:
        info = self._sector[which]
        return None if info is None or info["kind"] != "host" else host_grams(info, self.r, K)

    def scan_inputs(
        self, plan: ScanPlan, kets: Any = None, *, fisher: bool = True
    ) -> tuple[Any, tuple[Any, Any], tuple[Any, ...]]:
        """Static layout, host callbacks and arguments of one scan of ``plan`` from
        ``kets`` (default: the kets at t = 0); ``fisher=False`` keeps no Gram matrices."""
        jax, jk = _jax(), self._jk
        jnp = jax.numpy
        secs = self.sector_layout(fisher)
        layout = jk.ScanLayout(
            self.n, self.r, plan.K, self._spec["H"].groups, self._spec["work"].groups,
            self._spec["power"].groups, secs,
        )  # fmt: skip
        host = (self._host_grams("work", plan.K), self._host_grams("power", plan.K))
        host = host if fisher else (None, None)
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
        a = jnp.asarray(plan.coefficients(self.center, self.radius))
        args = (self._kets0 if kets is None else kets, self._psi0, a, self._dev["Ht"],
                self._dev["work"], self._dev["power"], perms,
                jnp.asarray([self._mean0["work"], self._mean0["power"]]),
                jnp.asarray(plan.nsteps))  # fmt: skip
        return layout, host, args

    def scan_outputs(
        self, plan: ScanPlan, final: Any, norms: Any, outs: dict[str, Any]
    ) -> tuple[Any, dict[str, Any]]:
        """One scan's outputs on the host (its ``plan.nsteps`` real steps), checked for
        unitarity, with the step grid and the time slots added."""
        outs = {k: np.asarray(v)[: plan.nsteps] for k, v in outs.items()}
        self.stats.update(terms=plan.K, steps=self.stats.get("steps", 0) + plan.nsteps)
        dev = float(np.max(np.abs(np.asarray(norms)[: self.r] - 1.0)))
        if dev > 1e-8:  # pragma: no cover - a spectral interval that missed an eigenvalue
            raise RuntimeError(
                f"the jax engine's Chebyshev propagation lost unitarity (‖ψ‖ − 1 = {dev:.2g}); "
                "the spectral interval of H is too narrow: please report this"
            )
        outs.update(starts=plan.starts, lengths=plan.lengths, K=plan.K, slots=plan.slots())
        return final, outs

    def _propagate(self, t_start: float, kets: Any, ends: np.ndarray) -> tuple[Any, dict]:
        """One compiled scan from ``kets`` at ``t_start`` through the times ``ends``."""
        jax, jk = _jax(), self._jk
        plan = self.plan(t_start, ends)
        self._check_gram_memory(plan.nsteps, plan.K)
        layout, host, args = self.scan_inputs(plan, kets)
        key = ("scan", layout) if host == (None, None) else None  # host closures: no cache
        exe, secs_c = jk.compiled(key, lambda: jk.build_scan(layout, host), *args)
        self.stats["compile_time_s"] += secs_c
        t0 = time.perf_counter()
        final, norms, outs = exe(*args)
        outs = jax.tree_util.tree_map(np.asarray, outs)
        self.stats["run_time_s"] += time.perf_counter() - t0
        return self.scan_outputs(plan, final, norms, outs)

    def gram_bytes(self, nsteps: int, K: int) -> int:
        """Host bytes of the Fisher data (Gram matrices) of ``nsteps`` steps of K terms."""
        nsec = sum(len(s["bounds"]) - 1 for s in self._sector.values() if s is not None)
        return nsteps * self.r * nsec * (K + 1) ** 2 * 16

    def _check_gram_memory(self, nsteps: int, K: int) -> None:
        need = self.gram_bytes(nsteps, K)
        if need > GRAM_MEMORY_FRACTION * _checks.available_memory():
            nsec = sum(len(s["bounds"]) - 1 for s in self._sector.values() if s is not None)
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

    def _adopt(self, final: Any, outs: dict) -> None:
        """Keep a scan from t = 0 as the Fisher data if it reaches further than before."""
        if any(w not in outs for w in OBSERVABLES if self._sector[w] is not None):
            return  # a scan without Gram matrices (a batch with bounds=False)
        if not self._steps or outs["starts"][-1] + outs["lengths"][-1] >= self._covered():
            self._steps, self._grams, self._K = [], {x: [] for x in OBSERVABLES}, []
            self._record(outs)
            self._tail = (float(outs["starts"][-1] + outs["lengths"][-1]), final)

    def prime(self, times: np.ndarray, final: Any, outs: dict[str, Any]) -> None:
        """Adopt the outputs of a scan from t = 0 through ``times`` computed elsewhere
        (a batch, :mod:`qbattery.engines.jax_batch`): the next ``moments`` at these
        ``times`` reads them instead of propagating, and ``fisher`` uses their Gram
        matrices."""
        self._adopt(final, outs)
        self._primed = (np.array(times, dtype=float), outs)

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
        primed, self._primed = self._primed, None
        if primed is not None and np.array_equal(primed[0], times):
            outs = primed[1]
        else:
            with self._jk.x64():
                final, outs = self._propagate(0.0, self._kets0, times)
            self._adopt(final, outs)
        return moments_from_scan(times, outs, self.weights, self._var0, dict(self.notes))

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
