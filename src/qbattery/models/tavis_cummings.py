r"""The Tavis–Cummings battery: the Dicke battery in the rotating-wave approximation.

n + e is conserved, so from a Fock state the dynamics lives in the ≤ N + 1 states with
n + e = n_photons: exact, no truncation, cheap for N in the thousands.
"""

from __future__ import annotations

import scipy.sparse as sp

from qbattery import _checks
from qbattery.battery import Battery
from qbattery.errors import InvalidInputError
from qbattery.models._cavity import (
    TRUNCATION_TOL,
    cavity_basis,
    cavity_dissipation,
    cell_gibbs,
    cell_subsystem,
    initial_state,
    ladder_operators,
    state_text,
)
from qbattery.models._chargers import (
    charger_amplitudes,
    check_charger,
    coherent_cutoff,
    photon_tail,
)
from qbattery.models._common import cached_model, check_int, check_real, convention
from qbattery.models._literature import strict_parameters


@strict_parameters
@cached_model
def tavis_cummings(
    N: int,
    n_photons: float | None = None,
    omega_a: float = 1.0,
    omega_c: float = 1.0,
    coupling: float = 0.1,
    *,
    charger: str = "fock",
    subspace: bool | None = None,
    truncation_tol: float = TRUNCATION_TOL,
    cavity_loss: float = 0.0,
    decay: float = 0.0,
) -> Battery:
    r"""Tavis–Cummings battery: the Dicke battery in the rotating-wave approximation.

    .. math:: H_0 = \omega_a J_z,\qquad
       H_C = \omega_c a^\dagger a + \omega_c\lambda\,(J_+ a + J_- a^\dagger)

    (the rotating-wave part of Ferraro et al.'s 2ω_cλ J_x(a + a†), Phys. Rev. Lett.
    **120**, 117702 (2018)), H = H0 + HC, P0 = −i[H0, HC], from |n_photons⟩ ⊗ |j, −j⟩.
    The excitation number n + e is conserved, so nothing is truncated:

    * ``subspace=True`` (default): only the states with n + e = n_photons, at most
      N + 1 of them (N in the thousands is cheap);
    * ``subspace=False``: all states with n ≤ n_photons + N (exact for any initial
      cell state, needed for thermal starts).

    A coherent charger |α⟩ (``charger="coherent"``, n_photons = |α|², α real) spans
    every sector n + e = n ≤ n_c, each closed under H: the model keeps n ≤ n_c, with
    n_c the smallest cutoff whose Poisson tail is below ``truncation_tol``; the only
    approximation is that dropped tail (``params["photon_tail"]``).

    Parameters
    ----------
    N : int
        Number of cells, ≥ 1.
    n_photons : float, optional
        Photon number of the charger (default N): an integer for a Fock state, the mean
        |α|² ≥ 0 for a coherent state.
    omega_a, omega_c, coupling : float
        Cell and cavity frequencies, λ.
    charger : {"fock", "coherent"}
        The cavity's initial state.
    subspace : bool, optional
        Restrict to the initial excitation-number sector (default: on for a closed
        battery with a Fock charger; a coherent charger spans many sectors and
        dissipation leaves the sector, so both need it off).
    truncation_tol : float
        Largest Poisson weight a coherent charger may lose above its cutoff.
    cavity_loss, decay : float
        Open battery (:doc:`/open`): jumps √κ a (photons leaving the cavity, counted with
        energy |ω_c|) and √γ J_− (collective decay of the cells, counted with |ω_a|).
        Both only lower n + e, so the space n ≤ n_photons + N (Fock) or n ≤ n_c
        (coherent) stays exact. Both 0 (the default): the closed battery, unchanged.

    Examples
    --------
    >>> import qbattery as qb
    >>> qb.models.tavis_cummings(300).dim
    301
    """
    N = check_int("N", N, 1)
    if n_photons is not None and charger == "fock":
        n_photons = check_int("n_photons", n_photons, 0)
    kind, nbar = check_charger(charger, N if n_photons is None else n_photons)
    leaky = bool(check_real("cavity_loss", cavity_loss) or check_real("decay", decay))
    subspace = _checks.check_flag(
        "subspace", kind == "fock" and not leaky if subspace is None else subspace
    )
    if subspace and kind == "coherent":
        raise InvalidInputError(
            "a coherent charger spans every excitation number n + e; use subspace=False "
            "(or leave subspace out)"
        )
    if subspace and leaky:
        raise InvalidInputError(
            "cavity_loss and decay jumps lower the excitation number n + e out of its "
            "sector; use subspace=False (or leave subspace out)"
        )
    tol = check_real("truncation_tol", truncation_tol, positive=True)
    omega_a = check_real("omega_a", omega_a)
    omega_c = check_real("omega_c", omega_c)
    coupling = check_real("coupling", coupling, positive=True)
    n_photons = int(nbar) if kind == "fock" else nbar
    if kind == "coherent":
        n_max = coherent_cutoff(nbar, tol)
    else:
        n_max = int(nbar) if subspace else int(nbar) + N
    basis = cavity_basis(N, n_max, None, int(nbar) if subspace else None)
    if len(basis) < 2:
        raise InvalidInputError(
            f"tavis_cummings(N={N}, n_photons={n_photons}) has a single state in its "
            "excitation sector (no photon to absorb); use n_photons ≥ 1"
        )
    jz, num, jp_a, _ = ladder_operators(N, basis)
    H0 = sp.csr_array(omega_a * jz)
    HC = sp.csr_array(omega_c * num + omega_c * coupling * (jp_a + jp_a.T))
    state = initial_state(basis, charger_amplitudes(kind, nbar, n_max))
    jumps, counted, rates = cavity_dissipation(N, basis, cavity_loss, decay, omega_a, omega_c)
    why = (
        "thermal starts of tavis_cummings() need subspace=False"
        if subspace
        else "thermal cell starts of tavis_cummings() take a Fock charger"
        if kind == "coherent"
        else None
    )
    return Battery(
        H0,
        HC,
        state,
        name="tavis_cummings",
        params={
            "N": N,
            "n_photons": n_photons,
            "omega_a": omega_a,
            "omega_c": omega_c,
            "coupling": coupling,
            "subspace": bool(subspace),
            "charger": kind,
            "photon_tail": photon_tail(kind, nbar, n_max),
            **rates,
        },
        jumps=jumps,
        counted=counted,
        structure={
            "H0_initial": -omega_a * N / 2,
            "subsystem": cell_subsystem(N, n_max, basis, omega_a),
            "gibbs": cell_gibbs(N, n_photons, basis, omega_a, why),
            "convention": convention(
                H0="ω_a J_z (the cells only)",
                HC="ω_c a†a + ω_cλ (J_+ a + J_− a†) (rotating-wave Dicke coupling)",
                H="H0 + HC (coupling switched on at t = 0)",
                P0="−i[H0, HC] (unnormalised)",
                state=state_text(kind, nbar),
                fixed="λ, ω_a, ω_c; n_photons = N by default; exact (n + e conserved)",
            ),
        },
    )
