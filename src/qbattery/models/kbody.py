"""k-body (parallel, hybrid, collective) charging, Eq. (7) and App. E."""

from __future__ import annotations

from functools import partial

from qbattery.battery import Battery
from qbattery.ergotropy import uniform_field_spectrum
from qbattery.models._common import cached_model, check_int, check_real
from qbattery.operators import PauliSum, ProductState


def kbody_blocks(N: int, k: int) -> list[list[int]]:
    """Blocks of the k-body model: ⌊N/k⌋ blocks of k sites, then a remainder block."""
    n, r = divmod(N, k)
    blocks = [list(range(j * k, (j + 1) * k)) for j in range(n)]
    if r:
        blocks.append(list(range(n * k, N)))
    return blocks


@cached_model
def kbody(N: int, k: int, omega0: float = 1.0, Omega0: float = 1.0) -> Battery:
    r"""k-body charging of N qubits (Eq. 7): k = 1 parallel, k = N collective, else hybrid.

    .. math:: H_0 = -\frac{\omega_0}{2}\sum_i \sigma_z^{(i)},\quad
       H_C = \Omega_k \sum_j \bigotimes_{i\in B_j}\sigma_x^{(i)} - H_0,\quad
       \Omega_k = \frac{k}{N}\Omega_0

    from |0⟩^⊗N. When k does not divide N, the remaining r = N − ⌊N/k⌋k spins form one
    more block driven by an r-site σ_x string with the same Ω_k (SPEC §2).

    H0 and HC are :class:`~qbattery.PauliSum` objects and |0⟩^⊗N a
    :class:`~qbattery.ProductState`, so even N = 10⁶ is built in milliseconds
    (P0 = −i[H0, HC] stays symbolic until an engine needs it).

    Parameters
    ----------
    N : int
        Number of cells (qubits), ≥ 1.
    k : int
        Interaction order, 1 ≤ k ≤ N.
    omega0, Omega0 : float
        Cell splitting ω0 and charging strength Ω0.

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
    Omega_k = k / N * Omega0
    # PauliSums and a product state: nothing of size 2^N is formed (N = 10⁶ is cheap)
    H0 = PauliSum.single_site(N, "Z", -(omega0 / 2))
    HC = PauliSum.blocks(N, k, "X", Omega_k) - H0
    name = "parallel" if k == 1 else "collective" if k == N else "hybrid"
    return Battery(
        H0,
        HC,
        ProductState.zeros(N),
        name="kbody",
        params={"N": N, "k": k, "omega0": omega0, "Omega0": Omega0, "scheme": name},
        structure={
            "family": "kbody",
            "N": N,
            "k": k,
            "omega0": omega0,
            "Omega0": Omega0,
            "H0_initial": -(omega0 / 2) * N,  # ⟨0…0|H0|0…0⟩
            "H0_spectrum": partial(uniform_field_spectrum, N, omega0),  # for ergotropy
        },
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
