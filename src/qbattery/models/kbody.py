"""k-body (parallel, hybrid, collective) charging, Eq. (7) and App. E."""

from __future__ import annotations

from functools import partial

import numpy as np

from qbattery._checks import check_memory
from qbattery.battery import Battery
from qbattery.eigenbasis import Eigenbasis
from qbattery.engines.open_blocks import BLOCK_MAX_CELLS
from qbattery.ergotropy import uniform_field_spectrum
from qbattery.errors import InvalidInputError
from qbattery.models._common import cached_model, check_int, check_real, convention, dissipation
from qbattery.numerics.kbody import kbody_blocks as block_counts
from qbattery.operators import PauliSum, ProductState, cell_operator


def kbody_blocks(N: int, k: int) -> list[list[int]]:
    """Blocks of the k-body model: ⌊N/k⌋ blocks of k sites, then a remainder block."""
    n, r = block_counts(N, k)
    blocks = [list(range(j * k, (j + 1) * k)) for j in range(n)]
    if r:
        blocks.append(list(range(n * k, N)))
    return blocks


#: peak bytes per cell of building ``kbody`` (its PauliSums, product state and the
#: battery's checks; measured with tracemalloc: 180 B/cell for k = 1, less for larger k)
BYTES_PER_CELL = 256
#: the advice when a model's operators do not fit
TOO_MANY_CELLS_FIX = (
    "use fewer cells; closed forms at any N: qb.analytic.kbody(times, N, k) (no operators)"
)

#: largest N of an open k-body battery whose blocks exceed ``BLOCK_MAX_CELLS`` cells: it
#: is run whole by the open engine (the vectorised ρ has 4^N entries); with smaller blocks
#: the open-blocks engine runs any N
OPEN_MAX_N = 12


#: the power eigenbasis is attached up to this many cells (its check costs O(2^N))
EIGENBASIS_MAX_N = 16
#: ... and when every block has at most this many cells (a dense eigh of 2^k)
EIGENBASIS_MAX_K = 10


def power_eigenbasis(N: int, k: int, omega0: float, Omega0: float) -> Eigenbasis:
    """P0's eigenbasis as a product of block eigenbases (blocks commute, App. E).

    P0 = −i[H0, HC] = Σ_j P0^(j) with P0^(j) acting on block B_j only, so its
    eigenvectors are products of the blocks' (one dense 2^k eigendecomposition per block
    size) and its eigenvalues sums.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> basis = power_eigenbasis(6, 4, 1.0, 1.0)  # blocks of 4 and 2 cells
    >>> P0 = qb.models.kbody(6, 4).P0.to_dense()
    >>> bool(np.allclose(np.sort(basis.values), np.linalg.eigvalsh(P0), atol=1e-12))
    True
    """
    Omega_k = k / N * Omega0
    local: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    factors = []
    for block in kbody_blocks(N, k):
        m = len(block)
        if m not in local:
            h0 = PauliSum.single_site(m, "Z", -(omega0 / 2))
            hc = PauliSum.blocks(m, m, "X", Omega_k)
            p0 = (-1j * h0.commutator(hc)).to_dense()
            local[m] = np.linalg.eigh((p0 + p0.conj().T) / 2)
        factors.append(local[m])
    return Eigenbasis.product(factors)


@cached_model
def kbody(
    N: int,
    k: int,
    omega0: float = 1.0,
    Omega0: float = 1.0,
    decay: float = 0.0,
    dephasing: float = 0.0,
) -> Battery:
    r"""k-body charging of N qubits (Eq. 7): k = 1 parallel, k = N collective, else hybrid.

    .. math:: H_0 = -\frac{\omega_0}{2}\sum_i \sigma_z^{(i)},\quad
       H_C = \Omega_k \sum_j \bigotimes_{i\in B_j}\sigma_x^{(i)} - H_0,\quad
       \Omega_k = \frac{k}{N}\Omega_0

    from |0⟩^⊗N. When k does not divide N, the remaining r = N − ⌊N/k⌋k spins form one
    more block driven by an r-site σ_x string with the same Ω_k (the
    :ref:`remainder block <readings-remainder>`).

    H0 and HC are :class:`~qbattery.PauliSum` objects and |0⟩^⊗N a
    :class:`~qbattery.ProductState`, so even N = 10⁶ is built in milliseconds
    (P0 = −i[H0, HC] stays symbolic until an engine needs it). Up to N = 16 cells, with
    blocks of at most 10 cells and at least two blocks, the battery carries P0's
    eigenbasis (``power_eigenbasis`` in this module), so the dense and Krylov engines get
    the power bound without diagonalising P0.

    Parameters
    ----------
    N : int
        Number of cells (qubits), ≥ 1.
    k : int
        Interaction order, 1 ≤ k ≤ N.
    omega0, Omega0 : float
        Cell splitting ω0 and charging strength Ω0.
    decay, dephasing : float
        Per-cell dissipation (:doc:`/open`): jumps √γ σ−^(i) towards each cell's ground
        state (counted, energy ω0 per quantum) and √(γ_φ/2) σ_z^(i), as lazy Pauli
        sums. Blocks of k ≤ 6 cells run block by block at any N (engine
        ``open-blocks``); larger blocks need N ≤ ``OPEN_MAX_N`` (12). With both 0
        (default) the battery is closed and identical to Eq. (7)'s.

    Examples
    --------
    >>> from qbattery.models import kbody
    >>> bat = kbody(4, 2)
    >>> bat.dim, dict(bat.params)["k"]
    (16, 2)
    """
    N = check_int("N", N, 1)
    k = check_int("k", k, 1, N)
    omega0 = check_real("omega0", omega0)
    Omega0 = check_real("Omega0", Omega0)
    check_memory(f"kbody(N={N}, k={k})", BYTES_PER_CELL * N, fix=TOO_MANY_CELLS_FIX)
    Omega_k = k / N * Omega0
    # PauliSums and a product state: nothing of size 2^N is formed (N = 10⁶ is cheap)
    H0 = PauliSum.single_site(N, "Z", -(omega0 / 2))
    HC = PauliSum.blocks(N, k, "X", Omega_k) - H0
    name = "parallel" if k == 1 else "collective" if k == N else "hybrid"
    n_blocks = -(-N // k)
    conv = convention(
        H0="−(ω0/2) Σ_i σ_z^(i)",
        HC=f"Ω_k Σ_blocks σ_x⊗…⊗σ_x − H0, Ω_k = kΩ0/N = {Omega_k:g}",
        H="H0 + HC = Ω_k Σ_blocks σ_x strings (the σ_z field cancels: no H0 during charging)",
        P0="−i[H0, HC] (unnormalised)",
        state="|0⟩^⊗N (ground state of H0)",
        fixed="the charging norm ‖H‖ = (N/k)Ω_k = Ω0 (Campaioli's equal-norm comparison): "
        "parallel power is flat in N",
        norm=f"‖H‖ = ⌈N/k⌉Ω_k = {n_blocks * Omega_k:g}",
    )
    if N % k:
        conv["remainder"] = (
            f"a block of {N % k} cell(s) with the same Ω_k makes ‖H‖ = {n_blocks}·kΩ0/N = "
            f"{n_blocks * Omega_k:g}, not Ω0 = {Omega0:g}"
        )
    small = N <= EIGENBASIS_MAX_N and k <= EIGENBASIS_MAX_K and k < N
    if (decay or dephasing) and N > OPEN_MAX_N and k > BLOCK_MAX_CELLS:
        raise InvalidInputError(
            f"an open k-body battery of N = {N} > {OPEN_MAX_N} cells is run block by block, "
            f"in blocks of at most {BLOCK_MAX_CELLS} cells, got k = {k}; use k ≤ "
            f"{BLOCK_MAX_CELLS} or N ≤ {OPEN_MAX_N}"
        )
    jumps, counted, rates = dissipation(
        {
            "decay": (decay, [cell_operator(N, i, "lower") for i in range(N)], omega0),
            "dephasing": (dephasing, [cell_operator(N, i, "z") for i in range(N)], None),
        }
        if decay or dephasing
        else {}
    )
    bases = {"power": power_eigenbasis(N, k, omega0, Omega0)} if small else None
    return Battery(
        H0,
        HC,
        ProductState.zeros(N),
        name="kbody",
        params={"N": N, "k": k, "omega0": omega0, "Omega0": Omega0, "scheme": name, **rates},
        jumps=jumps,
        counted=counted,
        structure={
            "family": "kbody",
            "N": N,
            "k": k,
            "omega0": omega0,
            "Omega0": Omega0,
            "H0_initial": -(omega0 / 2) * N,  # ⟨0…0|H0|0…0⟩
            "H0_spectrum": partial(uniform_field_spectrum, N, omega0),  # for ergotropy
            "convention": conv,
            "H_norm": n_blocks * Omega_k,
        },
        eigenbases=bases,
    )


def parallel(N: int, omega0: float = 1.0, Omega0: float = 1.0) -> Battery:
    """Parallel (local) charging: ``kbody(N, 1)``.

    Examples
    --------
    The NSR product is 1/N² at all times (Eq. 9, E8):

    >>> import numpy as np, qbattery as qb
    >>> bat = qb.models.parallel(4)
    >>> bat.params["k"], bat.params["scheme"]
    (1, 'parallel')
    >>> ds = qb.charge(bat, np.array([0.3, 0.9]), bounds=False)
    >>> bool(np.allclose(ds.nsr_product, 1 / 4**2, rtol=1e-10))
    True
    """
    return kbody(N, 1, omega0, Omega0)


def collective(N: int, omega0: float = 1.0, Omega0: float = 1.0) -> Battery:
    """Collective (fully non-local) charging: ``kbody(N, N)``.

    Examples
    --------
    The NSR product is 1 at all times (Eq. 9, E8):

    >>> import numpy as np, qbattery as qb
    >>> bat = qb.models.collective(4)
    >>> bat.params["k"], bat.params["scheme"]
    (4, 'collective')
    >>> ds = qb.charge(bat, np.array([0.3, 0.9]), bounds=False)
    >>> bool(np.allclose(ds.nsr_product, 1.0, rtol=1e-10))
    True
    """
    return kbody(N, N, omega0, Omega0)
