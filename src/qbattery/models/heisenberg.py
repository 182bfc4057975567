"""XXZ (Heisenberg) spin-chain battery charged by a transverse field."""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp

from qbattery.battery import Battery
from qbattery.models._common import cached_model, check_int, check_real, convention
from qbattery.models._literature import (
    check_qubits,
    product_ket,
    real_if_possible,
    site_operator,
    strict_parameters,
)

#: largest chain built as sparse matrices here
MAX_QUBITS = 20


def xxz_bonds(N: int, periodic: bool) -> list[tuple[int, int]]:
    """Nearest-neighbour bonds (i, i+1) of an open chain, plus (N−1, 0) if periodic."""
    bonds = [(i, i + 1) for i in range(N - 1)]
    if periodic and N > 2:
        bonds.append((N - 1, 0))
    return bonds


@strict_parameters
@cached_model
def heisenberg(
    N: int,
    J: float = -1.0,
    Delta: float = 2.0,
    omega0: float = 1.0,
    Omega: float = 1.0,
    *,
    periodic: bool = False,
) -> Battery:
    r"""XXZ spin-chain battery charged by a transverse field.

    The battery Hamiltonian is an XXZ chain in a longitudinal field and the charger a
    uniform transverse field, the spin-chain quantum battery of Le, Levinsen, Modi, Parish and
    Pollock, *Spin-chain model of a many-body quantum battery*, Phys. Rev. A **97**,
    022106 (2018) (nearest-neighbour case), in this package's conventions:

    .. math:: H_0 = -\frac{\omega_0}{2}\sum_i\sigma_z^{(i)}
              + J\sum_{\langle ij\rangle}\left(\sigma_x^{(i)}\sigma_x^{(j)}
              + \sigma_y^{(i)}\sigma_y^{(j)} + \Delta\,\sigma_z^{(i)}\sigma_z^{(j)}\right),
       \qquad H_C = \Omega\sum_i \sigma_x^{(i)},

    H = H0 + HC during charging (the battery Hamiltonian stays on, unlike Eq. 7),
    P0 = −i[H0, HC], from the fully polarised |0⟩^⊗N. That state is an eigenstate of H0
    for every J, Δ (the flip-flop terms annihilate it). J < 0 is ferromagnetic here; with
    the defaults (J = −1, Δ = 2: Ising-like ferromagnet) it is the ground state of H0.
    Elsewhere it need not be (e.g. J > 0 with a weak field), and the Dataset then reports
    its ergotropy at t = 0. Δ = 1 is the isotropic chain, which commutes with the total
    spin and so charges exactly like independent spins; Δ = 0 is the XX chain. As Le et
    al. discuss, it is the anisotropy that changes the charging power.

    Parameters
    ----------
    N : int
        Number of spins, 2 ≤ N ≤ 20 (sparse matrices of dimension 2^N).
    J, Delta : float
        Exchange coupling and anisotropy Δ.
    omega0, Omega : float
        Cell splitting ω0 and charging field Ω.
    periodic : bool
        Close the chain (needs N ≥ 3).

    Examples
    --------
    >>> import qbattery as qb
    >>> bat = qb.models.heisenberg(4, J=0.5, Delta=2.0)
    >>> bat.dim, bat.params["Delta"]
    (16, 2.0)
    """
    N = check_int("N", N, 2)
    check_qubits(N, MAX_QUBITS, "heisenberg")
    J = check_real("J", J)
    Delta = check_real("Delta", Delta)
    omega0 = check_real("omega0", omega0)
    Omega = check_real("Omega", Omega)
    periodic = bool(periodic)
    d = 1 << N
    Z = [site_operator(N, i, "Z") for i in range(N)]
    X = [site_operator(N, i, "X") for i in range(N)]
    Y = [site_operator(N, i, "Y") for i in range(N)]
    H0 = sp.csr_array((d, d), dtype=complex)
    for i in range(N):
        H0 = H0 - (omega0 / 2) * Z[i]
    for i, j in xxz_bonds(N, periodic):
        H0 = H0 + J * (X[i] @ X[j] + Y[i] @ Y[j] + Delta * (Z[i] @ Z[j]))
    HC = sp.csr_array((d, d), dtype=complex)
    for i in range(N):
        HC = HC + Omega * X[i]
    H0 = real_if_possible(sp.csr_array(H0))
    HC = real_if_possible(sp.csr_array(HC))
    up = np.array([1.0, 0.0], dtype=complex)
    params = {
        "N": N,
        "J": J,
        "Delta": Delta,
        "omega0": omega0,
        "Omega": Omega,
        "periodic": periodic,
    }
    e_polarised = -(omega0 / 2) * N + J * Delta * len(xxz_bonds(N, periodic))
    return Battery(
        H0,
        HC,
        product_ket(N, up),
        name="heisenberg",
        params=params,
        structure={
            "H0_initial": e_polarised,
            "convention": convention(
                H0="−(ω0/2) Σ σ_z + J Σ_bonds (σ_xσ_x + σ_yσ_y + Δ σ_zσ_z)",
                HC="Ω Σ σ_x",
                H="H0 + HC (the battery Hamiltonian stays on during charging)",
                P0="−i[H0, HC] (unnormalised)",
                state="|0⟩^⊗N (eigenstate of H0; its ground state for J < 0, Δ ≥ 1)",
                fixed="J, Δ, ω0 and Ω per bond / cell (extensive energies)",
            ),
        },
    )
