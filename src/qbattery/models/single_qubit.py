"""Single-qubit battery of App. D."""

from __future__ import annotations

import numpy as np

from qbattery.battery import Battery
from qbattery.models._common import cached_model, check_real, convention, dissipation


@cached_model
def single_qubit(
    omega0: float = 1.0, Omega0: float = 1.0, decay: float = 0.0, dephasing: float = 0.0
) -> Battery:
    r"""Single-qubit battery (App. D): H0 = −(ω0/2)σ_z, HC = Ω0 σ_x − H0, |ψ0⟩ = |0⟩.

    ``decay`` = γ adds the jump √γ σ− towards the ground state of H0 (|0⟩ for ω0 ≥ 0),
    ``dephasing`` = γ_φ the jump √(γ_φ/2) σ_z (coherences decay at rate γ_φ); the decay
    channel is counted with energy |ω0| per quantum (:doc:`/open`). With both 0 (the
    default) the battery is closed and identical to App. D's.

    .. math:: \mathcal{N}^W_t = \cot^2(\Omega_0 t),\quad \mathcal{N}^P_t = \tan^2(\Omega_0 t)
       \qquad (D3)

    Both Eq. (5) bounds saturate (while Ω0 t < π/4 for power, see docs/readings.md).

    Examples
    --------
    >>> from qbattery.models import single_qubit
    >>> single_qubit().params["omega0"]
    1.0
    >>> len(single_qubit(decay=0.5).jumps), single_qubit().jumps
    (1, ())
    """
    omega0 = check_real("omega0", omega0)
    Omega0 = check_real("Omega0", Omega0)
    sz = np.diag([1.0, -1.0])
    sx = np.array([[0.0, 1.0], [1.0, 0.0]])
    H0 = -(omega0 / 2) * sz
    lower = np.array([[0.0, 1.0], [0.0, 0.0]]) if omega0 >= 0 else np.array([[0, 0], [1.0, 0]])
    jumps, counted, params = dissipation(
        {"decay": (decay, lower, abs(omega0)), "dephasing": (dephasing, sz / np.sqrt(2), None)}
    )
    return Battery(
        H0,
        Omega0 * sx - H0,
        np.array([1.0, 0.0], dtype=complex),
        name="single_qubit",
        params={"omega0": omega0, "Omega0": Omega0, **params},
        jumps=jumps,
        counted=counted,
        structure={
            "family": "kbody",
            "N": 1,
            "k": 1,
            "omega0": omega0,
            "Omega0": Omega0,
            "convention": convention(
                H0="−(ω0/2) σ_z",
                HC="Ω0 σ_x − H0",
                H="H0 + HC = Ω0 σ_x (no H0 during charging)",
                P0="−i[H0, HC] = −ω0Ω0 σ_y (unnormalised)",
                state="|0⟩ (ground state of H0)",
                fixed="one cell",
            ),
        },
    )
