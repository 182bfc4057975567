"""The Fock-truncation check of the cavity models: the population of the top levels.

:func:`qbattery.models.dicke` truncates the photon number at ``n_max`` and checks the
truncation by evolving the initial state to ``t_max`` and bounding the population of
the highest kept Fock level, densely for small spaces and by Lanczos windows
(:class:`~qbattery.numerics.lanczos.LanczosPropagator`) above; with jumps (an open
cavity battery) by the Lindblad channel itself (:func:`top_population_open`).
"""

from __future__ import annotations

from math import ceil
from typing import Any

import numpy as np
import scipy.sparse as sp

from qbattery.numerics.lanczos import LanczosPropagator
from qbattery.numerics.liouvillian import liouvillian, unvec, vec
from qbattery.numerics.superprop import Propagator
from qbattery.operators import applier

#: fewest time points of the truncation check on [0, t_max] (4 per unit of ω_a + ω_c)
CHECK_POINTS = 201
#: the truncation check diagonalises H densely up to this dimension (else Lanczos)
DENSE_CHECK_MAX = 1500
#: Lanczos propagation of the truncation check: relative error per window, basis size,
#: kets propagated together (a mixed state is propagated in batches of its eigenvectors)
LANCZOS_TOL = 1e-12
LANCZOS_M = 30
LANCZOS_BATCH = 4


def top_population(
    H: sp.csr_array, state: np.ndarray, top: np.ndarray, t_max: float, frequency: float
) -> tuple[float, float]:
    """max over t ∈ [0, t_max] of the population of the ``top`` basis states, and when.

    Dense eigendecomposition up to ``DENSE_CHECK_MAX`` states; above, matrix-free
    Lanczos propagation (:class:`~qbattery.numerics.lanczos.LanczosPropagator`, the Krylov
    engine's propagator) with dense output: each window's basis gives the top amplitudes
    at every grid time inside it, so nothing of size d × d is formed.
    """
    if state.ndim == 1:
        vecs, weights = state[:, None], np.ones(1)
    else:
        w, v = np.linalg.eigh((state + state.conj().T) / 2)
        keep = w > 1e-14
        vecs, weights = v[:, keep], w[keep]
    times = np.linspace(0.0, t_max, max(CHECK_POINTS, ceil(4 * t_max * frequency)))
    if H.shape[0] <= DENSE_CHECK_MAX:
        E, V = np.linalg.eigh(H.toarray())
        coef = V.conj().T @ vecs  # (d, r)
        Vtop = V[top]  # (ntop, d)
        pop = np.array(
            [
                np.sum(np.abs(Vtop @ (np.exp(-1j * E * t)[:, None] * coef)) ** 2 @ weights)
                for t in times
            ]
        )
    else:
        pop = top_population_lanczos(H, vecs, weights, top, times)
    i = int(np.argmax(pop))
    return float(pop[i]), float(times[i])


def top_population_open(
    H: sp.csr_array,
    jumps: list[Any],
    state: np.ndarray,
    top: np.ndarray,
    t_max: float,
    frequency: float,
) -> tuple[float, float]:
    """As :func:`top_population`, for Lindblad dynamics with ``jumps``: Σ_top (ρ_t)_ii
    from ρ_t = exp(𝓛t)ρ0 (sparse generator, ``expm_multiply``; never a d² × d² matrix)."""
    rho0 = np.outer(state, state.conj()) if state.ndim == 1 else np.asarray(state, complex)
    times = np.linspace(0.0, t_max, max(CHECK_POINTS, ceil(4 * t_max * frequency)))
    G = liouvillian(sp.csr_array(H), [sp.csr_array(L) for L in jumps], sparse=True)
    out = Propagator(G).apply(times, vec(rho0)[:, None])[:, :, 0]
    diag = np.real(np.diagonal(unvec(out, H.shape[0]), axis1=1, axis2=2))
    pop = diag[:, top].sum(axis=1)
    i = int(np.argmax(pop))
    return float(pop[i]), float(times[i])


def top_population_lanczos(
    H: sp.csr_array, vecs: np.ndarray, weights: np.ndarray, top: np.ndarray, times: np.ndarray
) -> np.ndarray:
    """Σ_k w_k ‖Π_top e^{−iHt} v_k‖² at ``times`` (increasing from 0) by Lanczos windows."""
    d = H.shape[0]
    pop = np.zeros(times.size)
    apply = applier(H)
    for lo in range(0, vecs.shape[1], LANCZOS_BATCH):
        block = np.ascontiguousarray(vecs[:, lo : lo + LANCZOS_BATCH].T)  # (b, d)
        w = weights[lo : lo + LANCZOS_BATCH]
        part = np.zeros(times.size)

        def on_window(win: Any, w: np.ndarray = w, part: np.ndarray = part) -> None:
            sel = np.flatnonzero((times >= win.t0) & (times <= win.t1))
            if not sel.size:
                return
            taus = times[sel] - win.t0
            acc = np.zeros(sel.size)
            for c, col in enumerate(win.columns):
                if col.norm > 0:
                    amp = col.coef(taus).T @ win.rows(c)[:, top]  # (n, ntop)
                    acc += w[c] * np.sum(np.abs(amp) ** 2, axis=1)
            part[sel] = acc  # a time on a window edge is set twice, to the same value

        prop = LanczosPropagator(apply, d, tol=LANCZOS_TOL, m_max=LANCZOS_M)
        prop.cover(block, 0.0, float(times[-1]), on_window)
        pop += part
    return pop
