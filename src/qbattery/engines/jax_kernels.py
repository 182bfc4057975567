r"""JAX kernels of the jax engine: Pauli sums as bit-flip/phase kernels, Chebyshev scans.

Imported only by :mod:`qbattery.engines.jax_engine` after JAX was found (it imports
JAX at module level). Nothing here forms a matrix of size d × d.

**Pauli sums.** A string with flip mask x, sign mask z and n_Y letters Y acts as
(P v)[a] = (−i)^{n_Y} (−1)^{popcount(a & z)} v[a ⊕ x]. Strings are grouped by x; the
diagonal group (x = 0) is one precomputed array, every other group is one gather
v[iota ⊕ x] times a factor computed on the fly from the index iota (a constant when no
string of the group has a Z or Y). XLA fuses all groups into one pass. The structure
(the masks) is static; the coefficients are arguments, so a new battery with the same
strings reuses the compiled code.

**Chebyshev propagation** (Tal-Ezer & Kosloff 1984). With H̃ = (H − c)/r and the
spectrum of H inside [c − r, c + r],

    e^{−iHτ} v = e^{−icτ} Σ_{j<K} (2 − δ_{j0}) (−i)^j J_j(rτ) T_j(H̃) v,

truncated where the Bessel tail is below 1e-15. One ``lax.scan`` runs over the time
steps; each step runs the three-term recurrence of T_j(H̃) v for all kets in a nested
scan and, for the Fisher information (Eq. B5), keeps the Gram matrices
M_i = V†Π_iV of the ψ basis V = [T_0 ψ, …, T_K ψ] in each eigenspace Π_i of O0: then
ψ(t_k + τ) = V a(τ) and Hψ = V B a(τ) for any τ in the step, evaluated on the host at
O(n_sectors K²) per time.
"""

from __future__ import annotations

import contextlib
import itertools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import jax
import jax.numpy as jnp
import numpy as np
from jax import lax

#: Chebyshev truncation: the Bessel tail Σ_{j≥K} 2|J_j(x)| below this
CHEB_TOL = 1e-15


def x64() -> Any:
    """Enable float64/complex128 in JAX (``jax_enable_x64``); a no-op context manager.

    Called when a jax engine is constructed, never at import of qbattery. It is a global
    JAX setting: the thread-local ``jax.enable_x64`` context does not reach the host
    callbacks (they run in XLA's threads), which then return complex64.
    """
    if not jax.config.read("jax_enable_x64"):
        jax.config.update("jax_enable_x64", True)
    return contextlib.nullcontext()


# ---- Pauli sums ----------------------------------------------------------------------
@dataclass(frozen=True)
class PauliSpec:
    """A Pauli sum split into a static structure (``key``) and coefficient arrays.

    ``diag_z``/``diag_coef``: the diagonal strings (x = 0); ``groups``: per flip mask x
    the sign masks of its strings; ``coef``: their coefficients (with (−i)^{n_Y}) in
    the order of ``groups``; ``real``: whether every coefficient is real.
    """

    n: int
    diag_z: tuple[int, ...]
    diag_coef: np.ndarray
    groups: tuple[tuple[int, tuple[int, ...]], ...]
    coef: np.ndarray
    real: bool

    @property
    def key(self) -> tuple[Any, ...]:
        return (self.n, self.groups, self.real)

    @property
    def is_diagonal(self) -> bool:
        return not self.groups

    @property
    def abs_sum(self) -> tuple[float, float]:
        """(identity coefficient, Σ|c| over the other strings): a bound on the spectrum."""
        ident = float(np.sum(self.diag_coef[np.array(self.diag_z, dtype=np.int64) == 0].real))
        other = float(np.sum(np.abs(self.coef)))
        other += float(np.sum(np.abs(self.diag_coef[np.array(self.diag_z, np.int64) != 0])))
        return ident, other


def _arr(values: list[complex], real: bool) -> np.ndarray:
    out = np.array(values, dtype=complex)
    return out.real.copy() if real else out


def pauli_spec(terms: Sequence[tuple[complex, dict[int, str]]], n: int) -> PauliSpec:
    """The :class:`PauliSpec` of ``PauliSum.to_list()`` (equal strings combined)."""
    acc: dict[tuple[int, int], complex] = {}
    for c, ops in terms:
        x = z = ny = 0
        for site, letter in ops.items():
            bit = 1 << (n - 1 - int(site))
            if letter in "XY":
                x |= bit
            if letter in "YZ":
                z |= bit
            ny += letter == "Y"
        acc[(x, z)] = acc.get((x, z), 0.0) + complex(c) * (-1j) ** (ny % 4)
    acc = {k: v for k, v in acc.items() if v != 0}
    real = all(v.imag == 0 for v in acc.values())
    diag = sorted((z, v) for (x, z), v in acc.items() if x == 0)
    xs = sorted({x for x, _ in acc if x != 0})
    groups = tuple((x, tuple(sorted(z for (xx, z) in acc if xx == x))) for x in xs)
    coef = [acc[(x, z)] for x, zs in groups for z in zs]
    return PauliSpec(
        n=n,
        diag_z=tuple(z for z, _ in diag),
        diag_coef=_arr([v for _, v in diag], real),
        groups=groups,
        coef=_arr(coef, real),
        real=real,
    )


def matrix_spec(A: np.ndarray, n: int, atol: float = 1e-14) -> PauliSpec:
    """The :class:`PauliSpec` of a small 2^n × 2^n matrix (Walsh–Hadamard, O(d² log d)).

    A[a, a ⊕ x] = Σ_z c_{x,z} (−1)^{popcount(a & z)}, so the coefficients of flip mask x
    are the Walsh–Hadamard transform of that diagonal band, divided by d.
    """
    d = 1 << n
    a = np.arange(d)
    scale = max(1.0, float(np.max(np.abs(A)))) if A.size else 1.0
    acc: dict[tuple[int, int], complex] = {}
    for x in range(d):
        band = np.asarray(A[a, a ^ x], dtype=complex).reshape((2,) * n) if n else A[a, a ^ x]
        for ax in range(n):  # unnormalised Walsh-Hadamard transform, one axis at a time
            lo, hi = np.take(band, 0, axis=ax), np.take(band, 1, axis=ax)
            band = np.stack([lo + hi, lo - hi], axis=ax)
        coef = np.asarray(band).reshape(d) / d
        for z in np.flatnonzero(np.abs(coef) > atol * scale):
            acc[(x, int(z))] = complex(coef[z])
    real = all(v.imag == 0 for v in acc.values())
    diag = sorted((z, v) for (x, z), v in acc.items() if x == 0)
    xs = sorted({x for x, _ in acc if x != 0})
    groups = tuple((x, tuple(sorted(z for (xx, z) in acc if xx == x))) for x in xs)
    coef_list = [acc[(x, z)] for x, zs in groups for z in zs]
    return PauliSpec(n, tuple(z for z, _ in diag), _arr([v for _, v in diag], real),
                     groups, _arr(coef_list, real), real)  # fmt: skip


def _index(n: int) -> jax.Array:
    return lax.iota(jnp.int64 if n > 30 else jnp.int32, 1 << n)


def _sign(idx: jax.Array, z: int) -> jax.Array:
    """(−1)^{popcount(idx & z)} as ±1 (float64)."""
    bits = lax.population_count(idx & jnp.asarray(z, idx.dtype)) & 1
    return (1 - 2 * bits).astype(jnp.float64)


def diagonal(n: int, diag_z: tuple[int, ...], coef: jax.Array) -> jax.Array:
    """Σ_t c_t (−1)^{popcount(a & z_t)} over the diagonal strings, shape (2^n,)."""
    dtype = jnp.float64 if coef.dtype == jnp.float64 else jnp.complex128
    out = jnp.zeros(1 << n, dtype)
    idx = _index(n)
    for t, z in enumerate(diag_z):
        out = out + coef[t] * (_sign(idx, z) if z else 1.0)
    return out


def _flip_shape(n: int, x: int) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Shape of a view of 2^n amplitudes with one axis per flipped bit, and those axes."""
    shape: list[int] = []
    axes: list[int] = []
    run = 0
    for pos in range(n - 1, -1, -1):
        if (x >> pos) & 1:
            if run:
                shape.append(1 << run)
                run = 0
            axes.append(len(shape))
            shape.append(2)
        else:
            run += 1
    if run:
        shape.append(1 << run)
    return tuple(shape), tuple(axes)


def make_apply(
    n: int, groups: tuple[tuple[int, tuple[int, ...]], ...], *, gather: bool = True
) -> Callable[[jax.Array, jax.Array, jax.Array], jax.Array]:
    """v ↦ A v for v of shape (b, 2^n), given A's diagonal array and group coefficients.

    ``gather=True``: each flip v[a ⊕ x] is a 1-D gather with indices iota ⊕ x, which
    XLA fuses into one pass (on CPU at N = 14 about 1.7× faster than the reversals);
    ``False``: reversal of the flipped axes of a reshaped view (the same numbers).
    """
    d = 1 << n
    layouts = [_flip_shape(n, x) for x, _ in groups]
    signed = any(any(zs) for _, zs in groups)

    def apply(diag: jax.Array, coef: jax.Array, v: jax.Array) -> jax.Array:
        b = v.shape[0]
        out = diag * v
        idx = _index(n) if signed else None
        k = 0
        # flat index of (row, a) is row·d + a, and x < d flips only a's bits: one 1-D
        # gather per group, v.ravel()[iota ⊕ x] (no transposed gather layout in a scan)
        flat = v.reshape(-1)
        io = lax.iota(jnp.int64 if b * d > 2**31 - 1 else jnp.int32, b * d)
        for (x, zs), (shape, axes) in zip(groups, layouts, strict=True):
            if gather:
                flipped = (
                    flat.at[io ^ jnp.asarray(x, io.dtype)]
                    .get(mode="promise_in_bounds", unique_indices=True)
                    .reshape(b, d)
                )
            else:
                flipped = jnp.flip(v.reshape((b, *shape)), [1 + a for a in axes]).reshape(b, d)
            if any(zs):
                assert idx is not None
                factor: Any = 0.0
                for j, z in enumerate(zs):
                    factor = factor + coef[k + j] * (_sign(idx, z) if z else 1.0)
            else:
                factor = jnp.sum(coef[k : k + len(zs)])
            k += len(zs)
            out = out + factor * flipped
        return out

    return apply


# ---- Chebyshev coefficients ------------------------------------------------------------
def bessel_terms(x: float) -> int:
    """Smallest K with Σ_{j≥K} 2|J_j(x)| ≤ CHEB_TOL (at least 2)."""
    from scipy.special import jv

    j = np.arange(int(x) + 80)
    tail = np.cumsum(np.abs(jv(j, x))[::-1])[::-1] * 2
    return max(2, int(np.argmax(tail <= CHEB_TOL)))


# ---- compiled functions, cached by structure ---------------------------------------------
_COMPILED: dict[tuple[Any, ...], Any] = {}


def compiled(
    key: tuple[Any, ...] | None, build: Callable[[], Any], *args: Any
) -> tuple[Any, float]:
    """The AOT-compiled ``jax.jit(build())`` for ``key`` and the arguments' shapes.

    Returns the executable and the seconds spent compiling it now (0.0 when cached).
    ``key=None``: compile without caching (functions that close over host callbacks).
    """
    shapes = tuple((tuple(a.shape), str(a.dtype)) for a in jax.tree_util.tree_leaves(args))
    full = (key, shapes)
    if key is not None and full in _COMPILED:
        return _COMPILED[full], 0.0
    start = time.perf_counter()
    exe = jax.jit(build()).lower(*args).compile()
    if key is not None:
        _COMPILED[full] = exe
    return exe, time.perf_counter() - start


def clear_compiled() -> None:
    """Forget every compiled function (tests)."""
    _COMPILED.clear()


def build_lanczos(n: int, groups: Any, m: int) -> Callable[..., Any]:
    """(diag, coef, v0) ↦ Lanczos α (m,), β (m,) of H (no reorthogonalisation)."""
    apply = make_apply(n, groups)

    def run(diag: jax.Array, coef: jax.Array, v0: jax.Array) -> tuple[jax.Array, jax.Array]:
        def body(carry: Any, _: Any) -> Any:
            prev, cur, beta = carry
            w = apply(diag, coef, cur[None])[0] - beta * prev
            alpha = jnp.real(jnp.vdot(cur, w))
            w = w - alpha * cur
            bn = jnp.linalg.norm(w)
            ok = bn > 1e-12 * (jnp.abs(alpha) + 1.0)
            nxt = jnp.where(ok, w / jnp.where(ok, bn, 1.0), jnp.zeros_like(w))
            return (cur, nxt, jnp.where(ok, bn, 0.0)), (alpha, jnp.where(ok, bn, 0.0))

        _, (alphas, betas) = lax.scan(body, (jnp.zeros_like(v0), v0, 0.0), None, length=m)
        return alphas, betas

    return run


@dataclass(frozen=True)
class ScanLayout:
    """Static description of one propagation scan (part of the compile key)."""

    n: int
    r: int  # kets of the ensemble; the scan propagates 3r kets (ψ, W0ψ, P0ψ)
    K: int
    h_groups: Any
    w_groups: Any
    p_groups: Any
    #: per observable: None (no Fisher), ("sorted" | "matrix" | "factors", bounds) or
    #: ("host", nsec)
    sectors: tuple[Any, Any]


def build_scan(layout: ScanLayout, host_grams: tuple[Any, Any]) -> Callable[..., Any]:
    """The jitted propagation over steps; see the module docstring.

    Arguments of the returned function: ``kets`` (3r, d) at the first step, ``psi0``
    (r, d), ``a`` (steps, M + 1, K + 1) Chebyshev coefficients of each step's end (row 0)
    and of its M output times, then (diag, coef) of H̃, W0, P0,
    then the sector permutations (d,) of work and power (unused ones of length 1), and
    the initial means (⟨W0⟩, ⟨P0⟩).
    """
    n, r, K = layout.n, layout.r, layout.K
    apply_h = make_apply(n, layout.h_groups)
    apply_w = make_apply(n, layout.w_groups)
    apply_p = make_apply(n, layout.p_groups)

    def grams(spec: Any, host: Any, perm: Any, V: jax.Array) -> jax.Array:
        # V: (K + 1, r, d) -> (r, nsec, K + 1, K + 1); perm = (order, Q† or a dummy)
        if spec[0] == "host":
            shape = jax.ShapeDtypeStruct((r, spec[1], K + 1, K + 1), jnp.complex128)
            return jax.pure_callback(host, shape, V)
        order, Qh = perm
        X = jnp.moveaxis(V, 1, 0)  # (r, K + 1, d)
        if spec[0] == "matrix":  # O0 diagonalised on the host (small d): X ↦ X Q†ᵀ
            X = X @ Qh.T
        elif spec[0] == "factors":  # product basis: Qh is a tuple of the factors' q_i†
            X = X.reshape(r, K + 1, *(q.shape[0] for q in Qh))  # np.kron order
            for i, q in enumerate(Qh):
                X = jnp.moveaxis(jnp.tensordot(q, X, axes=([1], [2 + i])), 0, 2 + i)
            X = X.reshape(r, K + 1, 1 << n)
        # sorted by sector, as real rows [Re; Im] laid out (r, d, 2(K + 1)) in one pass:
        # each sector is then a contiguous block of rows, and its Gram matrix
        # V_s†V_s = (AᵀA + BᵀB) + i(AᵀB − BᵀA) one real product of that block with itself
        # (no per-sector copy or conjugate; moments and work angle of ising(16, 2,
        # "tfim") on 2 CPU cores: 9.0 → 7.6 s)
        Xs = jnp.take(X, order, axis=2)
        R = jnp.concatenate([jnp.real(Xs), jnp.imag(Xs)], axis=1).transpose(0, 2, 1)
        J = K + 1
        parts = []
        for lo, hi in itertools.pairwise(spec[1]):
            P = jnp.einsum("rdj,rdl->rjl", R[:, lo:hi], R[:, lo:hi])  # (r, 2J, 2J)
            re = P[:, :J, :J] + P[:, J:, J:]
            im = P[:, :J, J:] - P[:, J:, :J]
            parts.append(lax.complex(re, im))
        return jnp.stack(parts, axis=1)

    def run(
        kets: jax.Array,
        psi0: jax.Array,
        a: jax.Array,
        h: tuple[jax.Array, jax.Array],
        w: tuple[jax.Array, jax.Array],
        p: tuple[jax.Array, jax.Array],
        perms: tuple[jax.Array, jax.Array],
        m0: jax.Array,
        nsteps: jax.Array,
    ) -> Any:
        # T_{j+1} = s_j H̃ T_j − u_j T_{j−1}: (s, u) = (1, 0) for j = 0, else (2, 1)
        s_coef = jnp.full(K, 2.0).at[0].set(1.0)
        u_coef = jnp.ones(K).at[0].set(0.0)

        def step(kets: jax.Array, a_s: jax.Array) -> Any:
            # a_s: (M + 1, K + 1); row 0 gives the kets at the step's end, rows 1… the
            # outputs inside the step (dense output from the basis, one GEMM). (On XLA's
            # CPU backend this scan + concatenate beats a preallocated buffer filled by
            # dynamic-update-slice and any unrolling, measured at N = 16.)
            def body(carry: Any, x: Any) -> Any:
                tm, tc = carry
                sj, uj = x
                tn = sj * apply_h(h[0], h[1], tc) - uj * tm
                return (tc, tn), tn

            _, ys = lax.scan(body, (jnp.zeros_like(kets), kets), (s_coef, u_coef))
            # Σ_j a_j T_j without concatenating T_0 = kets to ys (a copy of the basis)
            kout = a_s[:, 0, None, None] * kets[None] + jnp.einsum(
                "mj,jbd->mbd", a_s[:, 1:], ys
            )  # (M + 1, 3r, d)
            out: dict[str, Any] = {}
            for name, spec, host, perm in zip(
                ("work", "power"), layout.sectors, host_grams, perms, strict=True
            ):
                if spec is not None:  # the ψ basis only (r of the 3r kets)
                    V = jnp.concatenate([kets[None, :r], ys[:, :r]], axis=0)
                    out[name] = grams(spec, host, perm, V)
            M = kout.shape[0] - 1
            psi = kout[1:, :r].reshape(-1, kout.shape[2])  # (M r, d)
            fw = kout[1:, r : 2 * r].reshape(psi.shape)
            fp = kout[1:, 2 * r :].reshape(psi.shape)
            dw = apply_w(w[0], w[1], psi) - fw  # δ = O0 ψ_t − U O0 ψ0
            dp = apply_p(p[0], p[1], psi) - fp
            # every inner product below from one batched Gram of the five vectors (each
            # δ is computed once and read once; no reduction re-evaluates it)
            L = jnp.stack([psi, fw, fp, dw, dp], axis=1)  # (M r, 5, d)
            G = jnp.einsum("mad,mbd->mab", jnp.conj(L), L)  # G[a, b] = ⟨L_a|L_b⟩
            for name, (f, dl), mean0 in (("w", (1, 3), m0[0]), ("p", (2, 4), m0[1])):
                out[name] = jnp.stack(
                    [G[:, 0, dl], G[:, dl, dl], G[:, f, dl] - jnp.conj(mean0) * G[:, 0, dl]]
                ).reshape(3, M, r)  # ⟨ψ|δ⟩, ‖δ‖², ⟨φ − ⟨O0⟩ψ|δ⟩
            out["cross"] = G[:, 4, 3].reshape(M, r)
            out["overlap"] = jnp.einsum("kd,mld->mkl", jnp.conj(psi0), kout[1:, :r])
            return kout[0], out

        def step_or_skip(kets: jax.Array, x: Any) -> Any:
            # steps past ``nsteps`` pad the grid to a bucketed length (compiled code is
            # reused across grids); they cost nothing and return zeros
            a_s, k = x
            shapes = jax.eval_shape(step, kets, a_s)[1]
            return lax.cond(
                k < nsteps,
                step,
                lambda kets, _: (kets, jax.tree_util.tree_map(
                    lambda s: jnp.zeros(s.shape, s.dtype), shapes)),
                kets,
                a_s,
            )  # fmt: skip

        final, outs = lax.scan(step_or_skip, kets, (a, jnp.arange(a.shape[0])))
        norms = jnp.linalg.norm(final, axis=1)
        return final, norms, outs

    return run


def build_batched_scan(layout: ScanLayout) -> Callable[..., Any]:
    """:func:`build_scan` vmapped over a leading batch axis of every argument but
    ``nsteps``: one compiled call propagates many batteries of the same structure.

    ``nsteps`` stays unbatched, so the padding steps remain a ``lax.cond`` (skipped)
    rather than a select that computes both branches. No host callbacks: batteries whose
    Fisher data needs one are propagated one by one (:mod:`qbattery.engines.jax_batch`).
    """
    return jax.vmap(build_scan(layout, (None, None)), in_axes=(0,) * 8 + (None,))
