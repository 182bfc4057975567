"""Hypothesis strategies: random Hermitian operators (incl. degenerate), states, times."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def _complex_matrix(rng: np.random.Generator, d: int) -> np.ndarray:
    return rng.normal(size=(d, d)) + 1j * rng.normal(size=(d, d))


def random_hermitian(rng: np.random.Generator, d: int, *, scale: float = 1.0) -> np.ndarray:
    """GUE-like Hermitian matrix."""
    a = _complex_matrix(rng, d)
    return scale * (a + a.conj().T) / 2


def random_degenerate_hermitian(rng: np.random.Generator, d: int) -> np.ndarray:
    """Hermitian matrix with degenerate eigenvalues (2 … d/2 distinct levels, never ∝ 1)."""
    levels = int(rng.integers(2, max(3, d // 2 + 1)))
    index = rng.integers(0, levels, size=d)
    index[:2] = [0, 1]
    values = rng.normal(size=levels)[index]
    q, _ = np.linalg.qr(_complex_matrix(rng, d))
    return (q * values) @ q.conj().T


def random_ket(rng: np.random.Generator, d: int) -> np.ndarray:
    v = rng.normal(size=d) + 1j * rng.normal(size=d)
    return v / np.linalg.norm(v)


def random_density(rng: np.random.Generator, d: int, rank: int | None = None) -> np.ndarray:
    r = d if rank is None else rank
    a = rng.normal(size=(d, r)) + 1j * rng.normal(size=(d, r))
    rho = a @ a.conj().T
    return rho / np.trace(rho).real


@st.composite
def batteries(draw: st.DrawFn, min_dim: int = 2, max_dim: int = 16, mixed: bool | None = None):
    """(H0, HC, state) with random dimension, optionally degenerate H0, pure or mixed."""
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    d = draw(st.integers(min_dim, max_dim))
    degenerate = draw(st.booleans())
    H0 = random_degenerate_hermitian(rng, d) if degenerate else random_hermitian(rng, d)
    HC = random_hermitian(rng, d, scale=draw(st.floats(0.1, 3.0)))
    is_mixed = draw(st.booleans()) if mixed is None else mixed
    if is_mixed:
        rank = draw(st.integers(1, d))
        state = random_density(rng, d, rank)
    else:
        state = random_ket(rng, d)
    return H0, HC, state


@st.composite
def time_grids(draw: st.DrawFn, max_time: float = 5.0, max_size: int = 6) -> np.ndarray:
    """Strictly increasing non-negative times."""
    n = draw(st.integers(1, max_size))
    values = draw(st.lists(st.floats(0.01, max_time), min_size=n, max_size=n, unique=True))
    return np.sort(np.array(values))
