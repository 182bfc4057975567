"""Host-side (NumPy) parts of the jax engine: step grid, Fisher information, fidelity.

These run on the small arrays the compiled scan returns
(:mod:`qbattery.engines.jax_kernels`); JAX is imported only inside the device queries.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np

from qbattery import _checks
from qbattery._optional import require
from qbattery.numerics.bessel import bessel_j_orders
from qbattery.operators import PauliSum

#: operators that are not PauliSums are decomposed into Pauli strings up to this d
MATRIX_MAX_DIM = 1024

Step = tuple[float, float, list[float]]


@functools.lru_cache(maxsize=1)
def gpu_visible() -> bool:
    """Whether JAX is installed and sees a GPU (``False`` without JAX; cached).

    Examples
    --------
    >>> from qbattery.engines.jax_engine import gpu_visible
    >>> isinstance(gpu_visible(), bool)
    True
    """
    import importlib.util

    if importlib.util.find_spec("jax") is None:
        return False
    try:
        import jax

        return any(dev.platform == "gpu" for dev in jax.devices())
    except Exception:  # pragma: no cover - broken JAX installation
        return False


def device_free_memory() -> int:
    """Free bytes on JAX's default device (host memory for the CPU backend).

    Examples
    --------
    >>> from qbattery.engines.jax_engine import device_free_memory
    >>> device_free_memory() > 0
    True
    """
    jax = require("jax")
    stats = jax.devices()[0].memory_stats() or {}
    if "bytes_limit" in stats:
        return int(stats["bytes_limit"]) - int(stats.get("bytes_in_use", 0))
    return _checks.available_memory()


def is_pauli(op: Any) -> bool:
    """Whether ``op`` is a :class:`~qbattery.PauliSum` (applied as bit-flip/phase kernels)."""
    return isinstance(op, PauliSum)


def scan_bytes(d: int, r: int, K: int, sectors: bool) -> int:
    """Device memory of one scan: the Chebyshev basis of the 3r kets, ≤ 17 dense outputs,
    the sorted ψ basis, ~8 work kets per ket, operator diagonals and permutations."""
    basis = 3 * r * (K + 1) + 3 * r * 17 + ((K + 1) * r if sectors else 0) + 24 * r
    return int(16 * d * (basis + 6) + 8 * d * 4)


def step_grid(t_start: float, ends: np.ndarray, dmax: float) -> tuple[list[Step], list[Step]]:
    """Steps (start, length, output offsets τ) from ``t_start`` through ``ends``.

    A step is at most ``dmax`` long and ends on a requested time when it can; the
    requested times inside it are its dense outputs. Also returns, per step, the
    requested times themselves (start, length, times), so that outputs are looked up by
    the exact time, not by ``start + τ``.

    Examples
    --------
    >>> steps, hits = step_grid(0.0, np.array([0.5, 1.0, 4.0]), 1.5)
    >>> [(s, round(ln, 12), [round(t, 12) for t in taus]) for s, ln, taus in steps]
    [(0.0, 1.0, [0.5, 1.0]), (1.0, 1.5, []), (2.5, 1.5, [1.5])]
    >>> hits[-1][2]
    [4.0]
    """
    targets = np.sort(np.asarray(ends, dtype=float))
    targets = targets[targets > t_start]
    steps: list[Step] = []
    hits: list[Step] = []
    t, i = float(t_start), 0
    while i < targets.size:
        taus: list[float] = []
        while i < targets.size and targets[i] - t <= dmax * (1 + 1e-12):
            taus.append(float(targets[i] - t))
            i += 1
        if not taus:  # a gap longer than one step: equal steps without outputs
            gap = float(targets[i] - t)
            length = gap / int(np.ceil(gap / dmax))
            steps.append((t, length, []))
            hits.append((t, length, []))
            t += length
            continue
        steps.append((t, taus[-1], taus))
        hits.append((t, taus[-1], [float(x) for x in targets[i - len(taus) : i]]))
        t = float(targets[i - 1])
    if not steps:  # nothing to propagate: one zero-length step keeps the Fisher data
        steps.append((float(t_start), 0.0, []))
    return steps, hits


def uhlmann_fidelity(G: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """F(ρ0, ρ_t) from the overlaps G_kl = ⟨ψ_k|ψ_l(t)⟩ (nt, r, r) of ρ0's eigenvectors.

    In the basis {ψ_k}, √ρ0 ρ_t √ρ0 = S G Λ G† S with S = diag(√λ), so
    F = (Tr √(S G Λ G† S))²; |G|² for a pure state.

    Examples
    --------
    >>> G = np.eye(2)[None].astype(complex)           # ρ_t = ρ0
    >>> uhlmann_fidelity(G, np.array([0.3, 0.7])).round(12).tolist()
    [1.0]
    """
    if weights.size == 1:
        return np.asarray(np.abs(G[:, 0, 0]) ** 2)
    s = np.sqrt(weights)
    M = s[None, :, None] * ((G * weights[None, None, :]) @ np.conj(np.swapaxes(G, 1, 2)))
    M = M * s[None, None, :]
    ev = np.clip(np.linalg.eigvalsh((M + np.conj(np.swapaxes(M, 1, 2))) / 2), 0.0, None)
    return np.asarray(np.sum(np.sqrt(ev), axis=1) ** 2)


def cheb_coefficients(taus: np.ndarray, K: int, c: float, r: float) -> np.ndarray:
    """a_j(τ) = (2 − δ_{j0}) (−i)^j J_j(rτ) e^{−icτ}, shape (len(taus), K + 1), a_K = 0."""
    j = np.arange(K)
    taus = np.asarray(taus, dtype=float)
    a = np.zeros((taus.size, K + 1), complex)
    a[:, :K] = bessel_j_orders(r * taus, K) * ((-1j) ** j)[None, :]
    a[:, 1:K] *= 2
    return a * np.exp(-1j * c * taus)[:, None]


def h_matrix(K: int, c: float, r: float) -> np.ndarray:
    """B with H [T_0ψ … T_Kψ] a = [T_0ψ … T_Kψ] (B a) for a with a_K = 0."""
    B = np.zeros((K + 1, K + 1))
    B[1, 0] = r
    for j in range(1, K):
        B[j + 1, j] = B[j - 1, j] = r / 2
    B[np.arange(K + 1), np.arange(K + 1)] = c
    B[:, K] = 0.0
    return B


def fisher_in_step(
    M: np.ndarray,
    a: np.ndarray,
    weights: np.ndarray,
    c: float,
    r: float,
    *,
    floor: float,
) -> np.ndarray:
    """Fisher information (Eq. B5) at offsets τ of one step from its Gram matrices.

    ``M`` (r_kets, nsec, K + 1, K + 1) holds V†Π_iV for the step's Chebyshev basis V of
    each ket; ``a`` (n, K + 1) = :func:`cheb_coefficients` at the n offsets. With
    ψ = V a(τ) and Hψ = V B a(τ): p_i = a†M_i a, dp_i/dt = 2 Im a†M_i Ba, and where
    p_i ≤ ``floor`` the term's limit 4 (Ba)†M_i(Ba) (weighted over kets).
    """
    K = a.shape[1] - 1
    h = a @ h_matrix(K, c, r).T  # (n, K + 1)
    J = K + 1
    Ma = (M.reshape(-1, J) @ a.T).reshape(*M.shape[:3], -1)  # (r, nsec, J, n)
    Mh = (M.reshape(-1, J) @ h.T).reshape(Ma.shape)
    w = weights[:, None, None]
    p = np.sum(w * np.real(np.sum(a.T.conj() * Ma, axis=2)), axis=0)
    z = np.sum(w * np.imag(np.sum(a.T.conj() * Mh, axis=2)), axis=0)
    lim = np.sum(w * np.real(np.sum(h.T.conj() * Mh, axis=2)), axis=0)
    dp = 2 * z
    small = p <= floor
    terms = np.where(small, 4 * lim, dp**2 / np.where(small, 1.0, p))
    return np.asarray(np.sum(terms, axis=0))


def host_grams(info: dict[str, Any], r: int, K: int) -> Any:
    """V ↦ the Gram matrices (r, nsec, K + 1, K + 1) of V (K + 1, r, d) in O0's eigenspaces,
    on the host through the eigenbasis transform in ``info`` (a ``pure_callback``)."""
    order, bounds, transform = info["order"], info["bounds"], info["transform"]
    nsec = len(bounds) - 1

    def host(V: Any) -> np.ndarray:
        V = np.asarray(V)
        out = np.zeros((r, nsec, K + 1, K + 1), complex)
        for k in range(r):
            Vk = np.ascontiguousarray(V[:, k].T)  # (d, K + 1)
            X = np.asarray(Vk if transform is None else transform(Vk))[order]
            for i in range(nsec):
                Xi = X[bounds[i] : bounds[i + 1]]
                out[k, i] = Xi.conj().T @ Xi
        return out

    return host
