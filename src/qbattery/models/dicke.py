r"""Photonic (cavity) batteries: Dicke and Tavis–Cummings, in the collective-spin basis.

N two-level cells couple identically to one cavity mode, so from |n⟩ ⊗ |all cells down⟩
the state stays in the symmetric (j = N/2) sector: the cells are one spin j with
Dicke states |j, m⟩, m = −j…j, and N reaches the hundreds. Basis states are
|n⟩ ⊗ |j, −j + e⟩ (n photons, e excited cells), ordered by (n, e).

* :func:`dicke` keeps the counter-rotating terms and so creates photons: the Fock space
  is truncated at ``n_max`` photons, and the model checks the truncation by evolving
  the initial state to ``t_max`` and bounding the population of |n_max⟩; results at
  later times are refused. Parity (−1)^{n+e} is conserved and halves the space.
* :func:`tavis_cummings` (rotating-wave approximation) conserves n + e, so from a Fock
  state the dynamics lives in the ≤ N + 1 states with n + e = n_photons: exact, no
  truncation, cheap for N in the thousands.

For both, the battery is the cells (H0 = ω_a J_z acts on them only) and the cavity
(ω_c a†a, part of HC) is the charger. ``battery.structure["subsystem"]`` lets
:mod:`qbattery.ergotropy` report the ergotropy of the cells' reduced state
(``battery_ergotropy``), with the passive state taken over all 2^N cell states.
"""

from __future__ import annotations

from math import ceil, sqrt

import numpy as np
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
from qbattery.models.cavity_check import top_population, top_population_open

#: the automatic choice of n_max stops growing the space beyond this dimension
_AUTO_DIM_MAX = 300_000
#: while the top Fock level holds more than this, the cutoff lies inside the bulk of the
#: photon distribution and the automatic n_max grows by 50 % per round (else by 25 %)
_BULK_POPULATION = 1e-6


def _truncation_error(
    n_max: int, pop: float, when: float, t_max: float, tol: float, extra: str = ""
) -> InvalidInputError:
    return InvalidInputError(
        f"Fock truncation n_max = {n_max} is too small: the top level |{n_max}⟩ reaches "
        f"population {pop:.3g} > truncation_tol = {tol:.1g} at t = {when:.4g} "
        f"(checked on [0, {t_max:.4g}]); raise n_max (e.g. to {int(n_max * 1.5) + 4}) "
        f"or shorten t_max{extra}"
    )


def _auto_limit_text(N: int, coupling: float) -> str:
    return (
        f"the automatic cutoff stops below dimension {_AUTO_DIM_MAX} (here λ√N = "
        f"{coupling * sqrt(N):.3g}; beyond about 1/2, the superradiant regime, the "
        "counter-rotating terms spread the photons far above n_photons): pass n_max "
        "explicitly (it is then only checked), shorten t_max or lower the coupling"
    )


def _top(
    H: sp.csr_array,
    jumps: list,
    state: np.ndarray,
    top: np.ndarray,
    t_max: float,
    frequency: float,
) -> tuple[float, float]:
    """The truncation check's top population, by the closed or the Lindblad dynamics."""
    if jumps:
        return top_population_open(H, jumps, state, top, t_max, frequency)
    return top_population(H, state, top, t_max, frequency)


def _check_truncation(
    H: sp.csr_array,
    jumps: list,
    state: np.ndarray,
    basis: np.ndarray,
    n_max: int,
    t_max: float,
    tol: float,
    frequency: float,
) -> float:
    top = np.flatnonzero(basis[:, 0] == n_max)
    pop, when = _top(H, jumps, state, top, t_max, frequency)
    if pop > tol:
        raise _truncation_error(n_max, pop, when, t_max, tol)
    return pop


def _photon_scale(
    N: int, n_photons: float, omega_a: float = 1.0, omega_c: float = 1.0, coupling: float = 0.1
) -> float:
    r"""Classical largest photon number of the Dicke battery, from energy conservation.

    ⟨H⟩ = ω_c n_photons − ω_a N/2 is conserved; with |J_x| ≤ N/2, ω_a J_z ≥ −|ω_a| N/2
    and a + a† of size 2√n, a state with n photons needs
    ω_c n − 2ω_cλN√n ≤ ω_c n_photons + N max(0, −ω_a), i.e.

    .. math:: n \le n_\ast = \Bigl(\lambda N + \sqrt{\lambda^2N^2 + n_{\rm photons}
              + N\max(0, -\omega_a)/\omega_c}\Bigr)^2 .

    For λ√N ≪ 1 this is n_photons plus O(λN√n_photons); in the superradiant regime
    (λ√N ≳ 1/2) the counter-rotating terms spread the photon distribution up to about
    n_* (measured at λ = 0.1: the top level of the truncation falls below 1e-12 at
    about 1.15 n_* for N = 100 and between 0.9 and 1.13 n_* for N = 200; not a
    rigorous bound: 1.8 n_* for N = 12, λ = 0.3). :func:`dicke` starts its automatic
    cutoff at 0.9 n_* when that exceeds its small-coupling guess. 0 for ω_c ≤ 0.

    Examples
    --------
    >>> round(_photon_scale(100, 100, coupling=0.1), 1)   # (10 + √200)²
    582.8
    """
    if omega_c <= 0:
        return 0.0
    lam_n = coupling * N
    return float((lam_n + sqrt(lam_n**2 + n_photons + N * max(0.0, -omega_a) / omega_c)) ** 2)


def _dicke_operators(
    N: int, basis: np.ndarray, omega_a: float, omega_c: float, coupling: float
) -> tuple[sp.csr_array, sp.csr_array]:
    """H0 = ω_a J_z and HC = ω_c a†a + 2ω_cλ J_x(a + a†) on the kept basis."""
    jz, num, jp_a, jp_adag = ladder_operators(N, basis)
    # J_x (a + a†) = ½(J_+ + J_−)(a + a†) = ½(J_+a + J_+a† + h.c.)
    jx_x = (jp_a + jp_adag + (jp_a + jp_adag).T) / 2
    return sp.csr_array(omega_a * jz), sp.csr_array(omega_c * num + 2 * omega_c * coupling * jx_x)


@strict_parameters
@cached_model
def dicke(
    N: int,
    n_photons: float | None = None,
    omega_a: float = 1.0,
    omega_c: float = 1.0,
    coupling: float = 0.1,
    *,
    charger: str = "fock",
    n_max: int | None = None,
    t_max: float | None = None,
    truncation_tol: float = TRUNCATION_TOL,
    parity: bool | None = None,
    cavity_loss: float = 0.0,
    decay: float = 0.0,
) -> Battery:
    r"""Dicke quantum battery: N cells in one cavity, counter-rotating terms kept.

    Ferraro, Campisi, Andolina, Pellegrini and Polini, *High-power collective charging
    of a solid-state quantum battery*, Phys. Rev. Lett. **120**, 117702 (2018):

    .. math:: H_0 = \omega_a J_z,\qquad
       H_C = \omega_c a^\dagger a + 2\omega_c\lambda\, J_x (a + a^\dagger),

    H = H0 + HC (coupling switched on at t = 0), P0 = −i[H0, HC], from
    |n_photons⟩ ⊗ |j, −j⟩ (cavity in a Fock state, all cells in the ground state;
    Ferraro et al. take n_photons = N, the default), or from a coherent charger
    |α⟩ ⊗ |j, −j⟩ with n_photons = |α|² (``charger="coherent"``, α real).

    Parameters
    ----------
    N : int
        Number of cells, ≥ 1.
    n_photons : float, optional
        Photon number of the charger (default N): an integer for a Fock state, the mean
        |α|² ≥ 0 for a coherent state.
    omega_a, omega_c : float
        Cell and cavity frequencies (resonance by default).
    coupling : float
        λ.
    charger : {"fock", "coherent"}
        The cavity's initial state. A coherent state's Poisson tail above n_max is
        dropped and the kept amplitudes renormalised; the tail is kept below
        ``truncation_tol`` (``params["photon_tail"]``).
    n_max : int, optional
        Highest Fock level kept. By default it starts at the larger of
        n_photons + 4 + 3√(n_photons + N + 1) (more for λ > ½) and 0.9 n_* (n_* the
        classical photon bound of energy conservation, large in the superradiant regime
        λ√N ≳ 1/2) and grows (50 % per round while |n_max⟩ holds more than 1e-6, else
        25 %) until the truncation check passes, below 300 000 states; a value given here
        is only checked. Above 1500 states the check propagates by Lanczos (matrix-free).
    t_max : float, optional
        End of the window on which the truncation is checked, and the latest time
        :func:`qbattery.charge` accepts (default 1.5π/(ω_c λ √N): 1.5 to 3 times the
        first maximum of the stored energy in the rotating-wave limit for N ≤ 64).
    truncation_tol : float
        Largest allowed population of |n_max⟩ on [0, t_max] (observables then agree
        with a larger cutoff to about 100 × truncation_tol).
    parity : bool, optional
        Keep only the conserved parity sector of (−1)^{n+e} (half the states). Default:
        on for a closed battery with a Fock charger; a coherent charger, thermal starts
        and dissipation (a jump changes n + e by one) need it off.
    cavity_loss, decay : float
        Open battery (:doc:`/open`): photons leave the cavity through the jump √κ a
        (counted, energy |ω_c| each) and the cells decay collectively through √γ J_−
        (counted, |ω_a| each; the cells stay in the symmetric multiplet j = N/2). The
        truncation is then checked under the Lindblad dynamics. Both 0 (the default):
        the closed battery, unchanged.

    Raises
    ------
    InvalidInputError
        If the truncation is too small (with the population reached and how to fix it),
        or the automatic cutoff would exceed 300 000 states.

    Notes
    -----
    Times beyond ``t_max`` are not refused: :func:`qbattery.charge` rebuilds the model
    with ``t_max`` at the last time (the cutoff grows and is checked again; the
    Dataset's attributes give the ``n_max`` used). A battery given another state by
    :func:`qbattery.with_state` keeps its window.

    Cost of ``bounds=True`` in scans (docs/sweeps.md): ``dicke(24)``, 400 times, dense
    engine 1.29 s without and 18.5 s with the bounds; the Krylov engine (what
    ``engine="auto"`` picks) 1.55 s either way, without the power bound.

    Reachable sizes (docs/beyond.md, measured): N = 200–300 in well under a minute for
    λ√N < 1/2 (e.g. λ = 0.02); with the default λ = 0.1, N = 100 in about 30 s and
    N = 200 in about 5 minutes (224 216 states), N = 300 beyond the automatic limit.

    Examples
    --------
    >>> import qbattery as qb
    >>> bat = qb.models.dicke(2, coupling=0.2)
    >>> bat.params["n_max"], bat.params["top_population"] < 1e-8
    (19, True)
    """
    N = check_int("N", N, 1)
    if n_photons is not None and charger == "fock":
        n_photons = check_int("n_photons", n_photons, 0)
    kind, nbar = check_charger(charger, N if n_photons is None else n_photons)
    n_photons = int(nbar) if kind == "fock" else nbar
    leaky = bool(check_real("cavity_loss", cavity_loss) or check_real("decay", decay))
    if parity is None:
        parity = kind == "fock" and not leaky
    parity = _checks.check_flag("parity", parity)
    if parity and kind == "coherent":
        raise InvalidInputError(
            "a coherent charger mixes both parity sectors of (−1)^{n+e}; use parity=False "
            "(or leave parity out)"
        )
    if parity and leaky:
        raise InvalidInputError(
            "cavity_loss and decay jumps change the parity of n + e; use parity=False "
            "(or leave parity out)"
        )
    omega_a = check_real("omega_a", omega_a)
    omega_c = check_real("omega_c", omega_c)
    coupling = check_real("coupling", coupling, positive=True)
    tol = check_real("truncation_tol", truncation_tol, positive=True)
    t_max = (
        float(1.5 * np.pi / (abs(omega_c) * coupling * sqrt(N)))
        if t_max is None
        else check_real("t_max", t_max, positive=True)
    )
    frequency = abs(omega_a) + abs(omega_c)
    auto = n_max is None
    if n_max is None:
        strong = max(1.0, 2 * coupling) ** 2
        n_max = int(n_photons + 4 + ceil(3 * sqrt(n_photons + N + 1) * strong))
        scale = _photon_scale(N, n_photons, omega_a, omega_c, coupling)
        n_max = max(n_max, ceil(0.9 * scale))
        if kind == "coherent":
            n_max = max(n_max, coherent_cutoff(nbar, tol) + 4)
    n_max = check_int("n_max", n_max, ceil(nbar) if kind == "fock" else 0)
    tail = photon_tail(kind, nbar, n_max)
    if tail > tol:
        raise InvalidInputError(
            f"n_max = {n_max} drops {tail:.3g} > truncation_tol = {tol:.1g} of the coherent "
            f"charger's photon distribution; use n_max ≥ {coherent_cutoff(nbar, tol)}"
        )
    states = (n_max + 1) * (N + 1) // (2 if parity else 1)
    if auto and states > _AUTO_DIM_MAX:
        raise InvalidInputError(
            f"dicke(N={N}, coupling={coupling:g}) would start its automatic Fock cutoff at "
            f"n_max = {n_max} (about {states} states); {_auto_limit_text(N, coupling)}"
        )
    while True:
        basis = cavity_basis(N, n_max, int(nbar) % 2 if parity else None, None)
        H0, HC = _dicke_operators(N, basis, omega_a, omega_c, coupling)
        state = initial_state(basis, charger_amplitudes(kind, nbar, n_max))
        H = sp.csr_array(H0 + HC)
        jumps, counted, rates = cavity_dissipation(N, basis, cavity_loss, decay, omega_a, omega_c)
        levels = np.flatnonzero(basis[:, 0] == n_max)
        top, when = _top(H, jumps, state, levels, t_max, frequency)
        if top <= tol:
            break
        bigger = ceil((1.5 if top > _BULK_POPULATION else 1.25) * n_max) + 2
        if not auto:
            raise _truncation_error(n_max, top, when, t_max, tol)
        if len(basis) * bigger / n_max > _AUTO_DIM_MAX:
            extra = f"; {_auto_limit_text(N, coupling)}"
            raise _truncation_error(n_max, top, when, t_max, tol, extra)
        n_max = bigger
    params = {
        "N": N,
        "n_photons": n_photons,
        "omega_a": omega_a,
        "omega_c": omega_c,
        "coupling": coupling,
        "n_max": n_max,
        "t_max": t_max,
        "truncation_tol": tol,
        "parity": bool(parity),
        "top_population": top,
        "charger": kind,
        "photon_tail": photon_tail(kind, nbar, n_max),
        **rates,
    }
    why = (
        "thermal starts of dicke() need parity=False"
        if parity
        else "thermal cell starts of dicke() take a Fock charger"
        if kind == "coherent"
        else None
    )

    def check_state(rho: np.ndarray) -> None:
        _check_truncation(H, jumps, np.asarray(rho), basis, n_max, t_max, tol, frequency)

    def rebuild(t_end: float) -> Battery:  # a longer window: the same model to t_end
        return dicke(
            N, n_photons, omega_a, omega_c, coupling, charger=kind,
            n_max=None if auto else n_max, t_max=t_end, truncation_tol=tol, parity=parity,
            cavity_loss=cavity_loss, decay=decay,
        )  # fmt: skip

    return Battery(
        H0,
        HC,
        state,
        name="dicke",
        params=params,
        jumps=jumps,
        counted=counted,
        structure={
            "valid_until": t_max,
            "rebuild": rebuild,
            "H0_initial": -omega_a * N / 2,
            "subsystem": cell_subsystem(N, n_max, basis, omega_a),
            "gibbs": cell_gibbs(N, n_photons, basis, omega_a, why),
            "check_state": check_state,
            "convention": convention(
                H0="ω_a J_z (the cells only)",
                HC="ω_c a†a + 2ω_cλ J_x(a + a†) (Ferraro et al.'s coupling, no 1/√N)",
                H="H0 + HC (coupling switched on at t = 0)",
                P0="−i[H0, HC] (unnormalised)",
                state=state_text(kind, nbar),
                fixed="λ, ω_a, ω_c; n_photons = N by default; Fock cutoff n_max checked to t_max",
            ),
        },
    )
