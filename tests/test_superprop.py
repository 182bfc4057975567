"""The open engine's propagator: its three routes agree (issue 16).

Reference: ``scipy.linalg.expm`` of the dense generator at every time. Tolerance 1e-12
relative to the propagated vector's norm (exact routes; the Taylor and Al-Mohy–Higham
routes stop at 2⁻⁵³ per step).
"""

from __future__ import annotations

import numpy as np
import pytest
import scipy.linalg as sla
import scipy.sparse as sp

from qbattery.numerics.liouvillian import liouvillian, vec
from qbattery.numerics.superprop import Propagator


def _generator(seed: int, d: int = 4) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    A = rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))
    H = (A + A.conj().T) / 2
    jumps = [0.5 * (rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))) for _ in range(2)]
    G = liouvillian(H, jumps)
    psi = rng.normal(size=d) + 1j * rng.normal(size=d)
    psi /= np.linalg.norm(psi)
    V = np.stack(
        [vec(np.outer(psi, psi.conj())), vec(np.diag(np.arange(d)) @ np.outer(psi, psi.conj()))],
        axis=1,
    )
    return G, V


@pytest.mark.parametrize("seed", [0, 1, 2])
@pytest.mark.parametrize("times", [np.linspace(0.0, 2.0, 9), np.array([1.3, 0.0, 0.2, 0.21, 2.5])])
def test_routes_agree_with_dense_expm(seed, times):
    G, V = _generator(seed)
    ref = np.stack([sla.expm(G * t) @ V for t in times])
    scale = np.max(np.abs(V))
    for method, op in (("eigen", G), ("expm", G), ("krylov", sp.csr_array(G))):
        prop = Propagator(op, method=method)
        out = prop.apply(times, V, powers=2, offset=True)
        assert np.max(np.abs(out[0] - (ref - V[None]))) <= 1e-12 * scale, method
        assert np.allclose(
            out[1], np.stack([G @ r for r in ref]), rtol=0, atol=1e-11 * scale * np.abs(G).max()
        )
        assert np.allclose(
            out[2],
            np.stack([G @ G @ r for r in ref]),
            rtol=0,
            atol=1e-10 * scale * np.abs(G).max() ** 2,
        )
