"""Single-qubit battery of App. D."""

from __future__ import annotations

import numpy as np

from qbattery.battery import Battery
from qbattery.models._common import cached_model, check_real


@cached_model
def single_qubit(omega0: float = 1.0, Omega0: float = 1.0) -> Battery:
    r"""Single-qubit battery (App. D): H0 = −(ω0/2)σ_z, HC = Ω0 σ_x − H0, |ψ0⟩ = |0⟩.

    .. math:: \mathcal{N}^W_t = \cot^2(\Omega_0 t),\quad \mathcal{N}^P_t = \tan^2(\Omega_0 t)
       \qquad (D3)

    Both Eq. (5) bounds saturate (while Ω0 t < π/4 for power, see docs/readings.md).

    Examples
    --------
    >>> from qbattery.models import single_qubit
    >>> single_qubit().params["omega0"]
    1.0
    """
    omega0 = check_real("omega0", omega0)
    Omega0 = check_real("Omega0", Omega0)
    sz = np.diag([1.0, -1.0])
    sx = np.array([[0.0, 1.0], [1.0, 0.0]])
    H0 = -(omega0 / 2) * sz
    return Battery(
        H0,
        Omega0 * sx - H0,
        np.array([1.0, 0.0], dtype=complex),
        name="single_qubit",
        params={"omega0": omega0, "Omega0": Omega0},
        structure={"family": "kbody", "N": 1, "k": 1, "omega0": omega0, "Omega0": Omega0},
    )
