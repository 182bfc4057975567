r"""Shared pieces of the cavity batteries (:func:`~qbattery.models.dicke`,
:func:`~qbattery.models.tavis_cummings`): the (n, e) basis, the ladder operators, the
cells as a subsystem, thermal cell starts and the charger's initial state.

Basis states are |n⟩ ⊗ |j, −j + e⟩ (n photons, e excited cells, j = N/2), ordered by
(n, e): without restrictions this is the order of ``np.kron(cavity, spin)``.
"""

from __future__ import annotations

from collections.abc import Callable
from math import sqrt
from typing import Any

import numpy as np
import scipy.sparse as sp
from scipy.special import comb

from qbattery.errors import InvalidInputError
from qbattery.models._common import dissipation
from qbattery.states import gibbs_state

#: default tolerance on the population of the highest kept Fock level (observables then
#: agree with a larger cutoff to about 100× this), and on a coherent charger's dropped tail
TRUNCATION_TOL = 1e-12


def cavity_basis(N: int, n_max: int, parity: int | None, total: int | None) -> np.ndarray:
    """(n, e) pairs kept: all, one parity of n + e, or one value of n + e."""
    grid_n, grid_e = np.meshgrid(np.arange(n_max + 1), np.arange(N + 1), indexing="ij")
    n, e = grid_n.ravel(), grid_e.ravel()
    keep = np.ones(n.size, dtype=bool)
    if parity is not None:
        keep &= (n + e) % 2 == parity
    if total is not None:
        keep &= n + e == total
    return np.stack([n[keep], e[keep]], axis=1)


def _shift(N: int, basis: np.ndarray, dn: int, de: int) -> sp.csr_array:
    """The operator a^{(†)} J_± (or either alone) moving (n, e) → (n + dn, e + de)."""
    j = N / 2
    index = {(int(n), int(e)): i for i, (n, e) in enumerate(basis)}
    d = len(basis)
    rows, cols, vals = [], [], []
    for i, (n, e) in enumerate(basis):
        target = index.get((int(n) + dn, int(e) + de))
        if target is None:
            continue
        m = e - j
        amp = sqrt(j * (j + 1) - m * (m + de)) if de else 1.0
        amp *= sqrt(n) if dn == -1 else sqrt(n + 1) if dn == 1 else 1.0
        rows.append(target)
        cols.append(i)
        vals.append(amp)
    return sp.csr_array((vals, (rows, cols)), shape=(d, d))


def ladder_operators(
    N: int, basis: np.ndarray
) -> tuple[sp.csr_array, sp.csr_array, sp.csr_array, sp.csr_array]:
    """J_z, a†a, J_+ a and J_+ a† on the kept basis."""
    jz = sp.csr_array(sp.diags_array(basis[:, 1] - N / 2))
    num = sp.csr_array(sp.diags_array(basis[:, 0].astype(float)))
    jp_a = _shift(N, basis, -1, 1)  # J_+ a: absorb a photon, excite a cell
    jp_adag = _shift(N, basis, 1, 1)  # J_+ a†: counter-rotating
    return jz, num, jp_a, jp_adag


def cavity_dissipation(
    N: int,
    basis: np.ndarray,
    cavity_loss: float,
    decay: float,
    omega_a: float,
    omega_c: float,
) -> tuple[list[Any], dict[int, float], dict[str, float]]:
    """Jumps √κ a (photons leaving the cavity, counted with energy |ω_c|) and √γ J_−
    (collective decay of the cells, counted with |ω_a|), on the kept basis.

    The cells are kept in the symmetric (Dicke) multiplet j = N/2, so their decay is the
    collective J_−; independent decay of each cell would leave that multiplet. Both
    jumps only lower n or e, so a basis closed under n' ≤ n, e' ≤ e stays closed.

    Examples
    --------
    >>> b = cavity_basis(1, 1, None, None)      # (n, e) = (0,0), (0,1), (1,0), (1,1)
    >>> jumps, counted, params = cavity_dissipation(1, b, 0.25, 0.0, 1.0, 1.0)
    >>> jumps[0].toarray().real.tolist()[0], counted, params
    ([0.0, 0.0, 0.5, 0.0], {0: 1.0}, {'cavity_loss': 0.25})
    """
    a = _shift(N, basis, -1, 0)
    j_minus = _shift(N, basis, 0, -1)
    return dissipation(
        {
            "cavity_loss": (cavity_loss, a, abs(omega_c)),
            "decay": (decay, j_minus, abs(omega_a)),
        }
    )


def cell_subsystem(N: int, n_max: int, basis: np.ndarray, omega_a: float) -> dict[str, Any]:
    e = np.arange(N + 1)
    return {
        "shape": (n_max + 1, N + 1),
        "embed": basis[:, 0] * (N + 1) + basis[:, 1],
        "energies": omega_a * (e - N / 2),
        "levels": (omega_a * (e - N / 2), comb(N, e, exact=False)),
    }


def cell_gibbs(
    N: int, n_photons: float, basis: np.ndarray, omega_a: float, allowed: str | None
) -> Callable[[float], np.ndarray]:
    """ρ0(T) = |n_photons⟩⟨n_photons| ⊗ Gibbs(ω_a J_z) on the symmetric sector."""

    def gibbs(T: float) -> np.ndarray:
        if allowed is not None:
            raise InvalidInputError(allowed)
        cells = np.real(np.diag(gibbs_state(np.diag(omega_a * (np.arange(N + 1) - N / 2)), T)))
        rho = np.zeros(len(basis))
        for i, (n, e) in enumerate(basis):
            if n == n_photons:
                rho[i] = cells[e]
        if abs(rho.sum() - 1) > 1e-12:  # pragma: no cover - guaranteed by the basis
            raise InvalidInputError("the basis does not hold the thermal cell state")
        return np.diag(rho).astype(complex)

    return gibbs


def initial_state(basis: np.ndarray, amplitudes: np.ndarray) -> np.ndarray:
    """Σ_n c_n |n⟩ ⊗ |j, −j⟩ on the kept (n, e) basis."""
    state = np.zeros(len(basis), dtype=complex)
    down = basis[:, 1] == 0
    state[down] = amplitudes[basis[down, 0]]
    return state


def state_text(kind: str, nbar: float) -> str:
    if kind == "fock":
        return f"|n = {int(nbar)}⟩ ⊗ |j, −j⟩ (Fock charger, cells in the ground state)"
    return f"|α⟩ ⊗ |j, −j⟩, |α|² = {nbar:g} (coherent charger, α real; cells in the ground state)"
