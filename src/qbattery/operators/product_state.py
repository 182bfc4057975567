"""Product kets stored per site: :class:`ProductState`."""

from __future__ import annotations

from typing import Any

import numpy as np

from qbattery import _checks
from qbattery.errors import InvalidInputError
from qbattery.operators.terms import check_n


class ProductState:
    r"""A product ket ⊗_j (a_j|0⟩ + b_j|1⟩) stored per site, never as a 2^n vector.

    Parameters
    ----------
    amplitudes : array_like, shape (n, 2)
        Row j holds (a_j, b_j) for site j; every row must have norm 1.

    Examples
    --------
    >>> from qbattery.operators import ProductState
    >>> psi = ProductState.zeros(3)
    >>> psi.shape, psi.is_pure, psi.to_dense()[:2].tolist()
    ((8,), True, [(1+0j), 0j])
    >>> ProductState.zeros(10**6).shape[0] == 2 ** 10**6
    True
    """

    is_pure = True
    ndim = 1

    def __init__(self, amplitudes: Any, *, atol: float = _checks.DEFAULT_ATOL) -> None:
        amp = np.asarray(amplitudes, dtype=complex)
        if amp.ndim != 2 or amp.shape[1] != 2 or amp.shape[0] < 1:
            raise InvalidInputError(
                f"`amplitudes` must have shape (n, 2), one (a_j, b_j) row per site, got {amp.shape}"
            )
        _checks.check_finite("amplitudes", amp)
        norms = np.sum(np.abs(amp) ** 2, axis=1)
        bad = np.flatnonzero(np.abs(norms - 1) > atol)
        if bad.size:
            raise InvalidInputError(
                f"site {int(bad[0])} of the product state has norm² {norms[bad[0]]:.12g}; "
                "normalise every row (a_j, b_j) to |a_j|² + |b_j|² = 1"
            )
        self.amplitudes = amp
        self.n = int(amp.shape[0])

    @classmethod
    def zeros(cls, n: int) -> ProductState:
        """|0…0⟩ on ``n`` qubits."""
        n = check_n(n)
        obj = cls.__new__(cls)  # normalised by construction: skip the checks
        obj.amplitudes = np.zeros((n, 2), complex)
        obj.amplitudes[:, 0] = 1.0
        obj.n = n
        return obj

    @property
    def shape(self) -> tuple[int]:
        """(2^n,)."""
        return (1 << self.n,)

    @property
    def site_amplitudes(self) -> np.ndarray:
        """The (n, 2) per-site amplitudes (a read-only view)."""
        view = self.amplitudes.view()
        view.flags.writeable = False
        return view

    def to_dense(self) -> np.ndarray:
        """The 2^n ket (site 0 most significant), checked against the free memory."""
        if self.n > 62:
            raise InvalidInputError(f"a ket on {self.n} qubits cannot be stored; use n ≤ 40")
        _checks.check_memory(f"a ket on {self.n} qubits", 16.0 * 2**self.n)
        out = np.ones(1, complex)
        for row in self.amplitudes:
            out = np.outer(out, row).ravel()
        return out

    def __repr__(self) -> str:
        return f"ProductState(n={self.n})"
