"""Host-side (NumPy) parts of the jax engine: step grid, Fisher information, fidelity.

These run on the small arrays the compiled scan returns
(:mod:`qbattery.engines.jax_kernels`); JAX is imported only inside the device queries.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import numpy as np

from qbattery import _checks
from qbattery._optional import require
from qbattery.battery import Battery, to_dense
from qbattery.engines.base import Moments, Observable, ObservableMoments
from qbattery.engines.dense import DEGENERACY_RTOL, eigenspaces
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


@dataclass(frozen=True)
class ScanPlan:
    """The steps of one scan and its static shapes (host side, shared by batched kets).

    ``steps``/``targets`` as :func:`step_grid` returns them; ``K`` Chebyshev terms per
    step; ``M`` dense outputs per step and ``bucket`` steps (``nsteps`` real ones, the
    rest identity padding), both rounded up so that similar grids reuse compiled code.

    Examples
    --------
    >>> plan = ScanPlan.from_grid(*step_grid(0.0, np.array([0.5, 1.0, 4.0]), 1.5), K=16)
    >>> plan.nsteps, plan.M, plan.bucket, plan.coefficients(0.0, 1.0).shape
    (3, 2, 8, (8, 3, 17))
    >>> plan.slots()[4.0]
    (2, 0)
    """

    steps: tuple[Step, ...]
    targets: tuple[Step, ...]
    K: int
    M: int
    bucket: int

    @classmethod
    def from_grid(cls, steps: list[Step], targets: list[Step], K: int) -> ScanPlan:
        """The plan of a step grid with ``K`` terms (M and the bucket rounded up)."""
        M = max(1, max(len(taus) for _, _, taus in steps))
        M = -(-M // 4) * 4 if M > 2 else M  # reuse compiles across similar grids
        bucket = 1 << max(3, int(np.ceil(np.log2(len(steps)))))
        return cls(tuple(steps), tuple(targets), int(K), M, bucket)

    @property
    def nsteps(self) -> int:
        return len(self.steps)

    @property
    def starts(self) -> np.ndarray:
        return np.array([s for s, _, _ in self.steps])

    @property
    def lengths(self) -> np.ndarray:
        return np.array([ln for _, ln, _ in self.steps])

    def coefficients(self, c: float, r: float) -> np.ndarray:
        """(bucket, M + 1, K + 1): row 0 each step's end, rows 1… its outputs; padding
        steps are the identity."""
        a = np.zeros((self.bucket, self.M + 1, self.K + 1), complex)
        a[:, 0, 0] = 1.0
        for k, (_, length, taus) in enumerate(self.steps):
            a[k, : len(taus) + 1] = cheb_coefficients(np.array([length, *taus]), self.K, c, r)
        return a

    def slots(self) -> dict[float, tuple[int, int]]:
        """Requested time -> (step, output row) where the scan stores it."""
        return {
            float(targets[m]): (k, m)
            for k, (_, _, targets) in enumerate(self.targets)
            for m in range(len(targets))
        }


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


def sector_info(
    battery: Battery,
    which: Observable,
    is_diagonal: bool,
    d: int,
    *,
    eig_max_dim: int,
    max_sectors: int,
) -> tuple[dict[str, Any] | None, str | None]:
    """How the scan keeps the Fisher data of O0's eigenspaces, or ``None`` and why not.

    The eigenvalues come from the given eigenbasis, the diagonal (O0 diagonal in the
    computational basis) or ``eigh`` (d ≤ ``eig_max_dim``). ``kind``: ``"sorted"``
    (diagonal), ``"matrix"`` (Q† as a matrix), ``"factors"`` (a product basis, factor by
    factor) on the device for up to ``max_sectors`` eigenspaces, else ``"host"`` (a
    callback through ``transform``); ``order`` sorts the basis by eigenvalue and
    ``bounds`` delimit the eigenspaces; ``Qh`` is the device transform.

    Examples
    --------
    >>> import qbattery as qb
    >>> bat = qb.models.ising(3, 2, variant="tfim")
    >>> info, why = sector_info(bat, "work", True, 8, eig_max_dim=256, max_sectors=64)
    >>> info["kind"], info["bounds"], why
    ('sorted', (0, 1, 4, 7, 8), None)
    """
    basis = battery.eigenbases.get(which)
    op = battery.H0 if which == "work" else battery.P0
    transform: Any
    Qh: Any = None  # Q† (matrix) or a tuple of the factors' q_i† (factors)
    if basis is not None:
        values, transform = basis.values, basis.coefficients
    elif is_diagonal:
        values = np.real(op.diagonal() if is_pauli(op) else np.diagonal(to_dense(op)))
        transform = None
    elif d <= eig_max_dim:
        values, Q = np.linalg.eigh(to_dense(op))
        Qh = np.ascontiguousarray(Q.conj().T)
        transform = Qh.__matmul__
    else:
        name = "W0 = H0" if which == "work" else "P0"
        return None, (
            f"the jax engine needs the eigenspaces of {name}: it is not diagonal in the "
            f"computational basis and dimension {d} > {eig_max_dim} is too large to "
            f"diagonalise it; pass its eigenbasis as Battery(..., eigenbases="
            f"{{{which!r}: qbattery.Eigenbasis(...)}})"
        )
    order = np.argsort(values, kind="stable")
    starts = eigenspaces(np.asarray(values)[order], rtol=DEGENERACY_RTOL)
    bounds = tuple(int(b) for b in np.append(starts, d))
    few = len(bounds) - 1 <= max_sectors
    factors = None if basis is None else basis.factors
    if transform is None or basis is None:  # diagonal, or Q† as a matrix (small d)
        kind = ("sorted" if transform is None else "matrix") if few else "host"
    elif few and factors is not None:
        kind = "factors"  # a product basis: Q† factor by factor on the device
        Qh = tuple(np.ascontiguousarray(np.conj(Q).T) for _, Q in factors)
    else:
        kind = "host"
    info = {"order": order, "bounds": bounds, "transform": transform, "kind": kind, "Qh": Qh}
    return info, None


def moments_from_scan(
    times: np.ndarray,
    outs: dict[str, Any],
    weights: np.ndarray,
    var0: dict[str, float],
    notes: dict[str, str],
) -> Moments:
    """The :class:`~qbattery.moments.Moments` at ``times`` from a scan's outputs.

    ``outs`` holds, per step and output row, the inner products of the scan (``"w"``,
    ``"p"``: ⟨ψ|δ⟩, ‖δ‖², ⟨φ − ⟨O0⟩ψ|δ⟩ per ket; ``"cross"``; ``"overlap"``) and
    ``"slots"``, the (step, row) of each requested time; they are weighted over the
    ensemble (``weights``). Values at t = 0 are exact (0, and fidelity 1).

    Examples
    --------
    >>> outs = {"w": np.ones((1, 3, 1, 1), complex), "p": np.zeros((1, 3, 1, 1), complex),
    ...         "cross": np.zeros((1, 1, 1), complex), "overlap": np.ones((1, 1, 1, 1)),
    ...         "slots": {0.5: (0, 0)}}
    >>> m = moments_from_scan(np.array([0.0, 0.5]), outs, np.ones(1),
    ...                       {"work": 0.0, "power": 0.0}, {})
    >>> m.work.mean.tolist(), m.fidelity.tolist()
    ([0.0, 1.0], [1.0, 1.0])
    """
    nt = times.size
    slots = np.zeros((nt, 2), np.int64)
    at0 = times == 0
    for q, tq in enumerate(times):
        if not at0[q]:
            slots[q] = outs["slots"][float(tq)]
    ks, ms = slots[:, 0], slots[:, 1]
    obs = {}
    for which, key in (("work", "w"), ("power", "p")):
        o = outs[key][ks, :, ms]  # (nt, 3, r)
        mean = np.real(o[:, 0]) @ weights
        second = np.real(o[:, 1]) @ weights
        cross0 = o[:, 2] @ weights
        for arr in (mean, second, cross0):
            arr[at0] = 0.0
        obs[which] = ObservableMoments(mean, second, cross0, var0[which])
    cross = outs["cross"][ks, ms] @ weights
    cross[at0] = 0.0
    fidelity = uhlmann_fidelity(outs["overlap"][ks, ms], weights)
    fidelity[at0] = 1.0
    return Moments(
        times=times,
        work=obs["work"],
        power=obs["power"],
        cross=cross if nt else np.zeros(0, complex),
        fidelity=np.clip(fidelity, 0.0, 1.0),
        notes=notes,
    )
