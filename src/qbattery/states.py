r"""Other initial states for any battery: thermal (Gibbs) states and arbitrary ρ0.

Design: models keep their paper initial state (and stay cached and immutable); a
different start is a *new* battery, ``qb.with_state(bat, ...)`` or
``qb.thermal(bat, T)``, with the same H0, HC, H, P0 and the state recorded in its
parameters. This works for every model and for user batteries alike:

>>> import qbattery as qb
>>> hot = qb.thermal(qb.models.kbody(4, 2), temperature=0.5)
>>> hot.params["state"], hot.params["temperature"], hot.is_pure
('thermal', 0.5, False)

The thermal state is the Gibbs state of H0 (k_B = 1),

.. math:: \rho_0 = e^{-H_0/T} / \mathrm{Tr}\, e^{-H_0/T},

with T = 0 the uniform mixture over H0's ground space and T = ∞ the maximally mixed
state. Models with a charger (Dicke, Tavis–Cummings) define their own thermal state in
``battery.structure["gibbs"]``: the battery spins in a Gibbs state of H0, the cavity in
its model state. Mixed states run on the dense engine.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import scipy.linalg as sla

from qbattery._checks import check_named_state, check_temperature
from qbattery._typing import StateLike
from qbattery.battery import Battery, as_state, check_battery

#: structure keys that describe the model's own initial state and are dropped
_STATE_KEYS = ("family", "H0_initial", "rebuild")


def gibbs_state(H0: Any, temperature: float) -> np.ndarray:
    r"""Gibbs state e^{−H0/T}/Z of a Hermitian matrix (dense), stable at any T ≥ 0.

    Parameters
    ----------
    H0 : array_like, shape (d, d)
    temperature : float
        T ≥ 0; 0 gives the uniform mixture over the ground space (degeneracy tolerance
        1e-12 relative), ``inf`` the maximally mixed state.

    Examples
    --------
    >>> import numpy as np
    >>> gibbs_state(np.diag([0.0, 1.0]), np.inf).real.tolist()
    [[0.5, 0.0], [0.0, 0.5]]
    >>> gibbs_state(np.diag([0.0, 1.0]), 0.0).real.tolist()
    [[1.0, 0.0], [0.0, 0.0]]
    """
    T = check_temperature(temperature)
    H = np.asarray(H0)
    d = H.shape[0]
    if not np.any(H - np.diag(np.diag(H))):
        E, V = np.real(np.diag(H)), None
    else:
        E, V = sla.eigh((H + H.conj().T) / 2)
    shifted = E - E.min()
    if T == 0:
        scale = max(1.0, float(np.max(np.abs(E))))
        p = (shifted <= 1e-12 * scale).astype(float)
    elif math.isinf(T):
        p = np.ones(d)
    else:
        p = np.exp(-shifted / T)
    p = p / p.sum()
    if V is None:
        return np.diag(p).astype(complex)
    return np.asarray((V * p) @ V.conj().T, dtype=complex)


def with_state(
    battery: Battery,
    state: StateLike | str,
    *,
    temperature: float | None = None,
) -> Battery:
    r"""The same battery (H0, HC, H, P0) started from another state.

    Parameters
    ----------
    battery : Battery
    state : ket, density matrix, ``qutip.Qobj``, ``"thermal"`` or ``"ground"``
        ``"thermal"`` needs ``temperature``: the Gibbs state of H0 (or the model's
        ``structure["gibbs"]``); ``"ground"`` is its T = 0 limit.
    temperature : float, optional
        T ≥ 0 for ``state="thermal"``; rejected otherwise.

    Returns
    -------
    Battery
        Parameters gain ``state`` (and ``temperature``); structure hints that describe
        the model's own initial state (the structured-engine ``family``, ``H0_initial``)
        are dropped, so ``engine="auto"`` picks an engine for the new state.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> bat = qb.with_state(qb.models.single_qubit(), np.eye(2) / 2)
    >>> bat.params["state"], bat.is_pure
    ('density matrix', False)
    """
    battery = check_battery(battery, build=None)
    params: dict[str, Any] = dict(battery.params)
    T = check_named_state(state, temperature)  # None for a ket or density matrix
    if T is not None:  # "thermal" or "ground"
        gibbs = battery.structure.get("gibbs")
        rho = gibbs(T) if gibbs is not None else gibbs_state(battery.dense("H0"), T)
        params.update(state=state, temperature=T)
        new_state: Any = rho
    else:
        new_state = as_state(state)
        params["state"] = "ket" if np.ndim(new_state) == 1 else "density matrix"
    check = battery.structure.get("check_state")
    if check is not None:
        check(new_state)
    structure = {k: v for k, v in battery.structure.items() if k not in _STATE_KEYS}
    return Battery(
        battery.H0,
        battery.HC,
        new_state,
        name=battery.name,
        params=params,
        H=battery.H,
        P0=battery.P0,
        structure=structure,
        eigenbases=battery.eigenbases,
    )


def thermal(battery: Battery, temperature: float) -> Battery:
    r"""The battery started from the Gibbs state of H0 at ``temperature`` (k_B = 1).

    Shorthand for ``with_state(battery, "thermal", temperature=temperature)``.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> bat = qb.thermal(qb.models.single_qubit(omega0=1.0), temperature=1.0)
    >>> p_excited = bat.state[1, 1].real
    >>> bool(np.isclose(p_excited, 1 / (1 + np.e)))
    True
    """
    return with_state(battery, "thermal", temperature=temperature)
