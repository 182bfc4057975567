r"""Charger-mediated battery of Farina, Andolina, Mari, Polini and Giovannetti,
*Charger-mediated energy transfer for quantum batteries: An open-system approach*,
Phys. Rev. B **99**, 035421 (2019): two resonant oscillators, the charger A driven by
a classical field F and losing photons at rate κ, the battery B coupled to A with g.
"""

from __future__ import annotations

from math import pi

import numpy as np
import scipy.linalg as sla
import scipy.sparse as sp

from qbattery.battery import Battery
from qbattery.errors import InvalidInputError
from qbattery.models._cavity import TRUNCATION_TOL
from qbattery.models._chargers import coherent_cutoff
from qbattery.models._common import cached_model, check_real, convention, dissipation
from qbattery.models._literature import strict_parameters

#: points of the grid on which the coherent amplitudes' largest size is found
_AMPLITUDE_POINTS = 4001


def farina_amplitudes(
    times: np.ndarray, F: float, g: float, kappa: float, battery_loss: float
) -> np.ndarray:
    r"""Coherent amplitudes (α_t, β_t) of charger and battery, shape (nt, 2).

    In the frame rotating at the common frequency, from the vacuum,
    α̇ = −iF − (κ/2)α − igβ and β̇ = −igα − (γ_B/2)β: x_t = (e^{Mt} − 1)M⁻¹(−iF, 0)
    (M invertible for g ≠ 0). The state stays a product of coherent states.

    Examples
    --------
    >>> import numpy as np
    >>> beta = farina_amplitudes(np.array([400.0]), 0.3, 0.5, 1.0, 0.0)[0, 1]
    >>> bool(abs(beta + 0.3 / 0.5) < 1e-12)   # the steady state β∞ = −F/g
    True
    """
    M, steady = _drift(F, g, kappa, battery_loss)
    return np.array([(sla.expm(M * t) @ -steady) + steady for t in np.asarray(times, float)])


def _drift(F: float, g: float, kappa: float, battery_loss: float) -> tuple[np.ndarray, np.ndarray]:
    """M and x_∞ = −M⁻¹(−iF, 0) of ẋ = Mx + (−iF, 0) (:func:`farina_amplitudes`)."""
    M = np.array([[-kappa / 2, -1j * g], [-1j * g, -battery_loss / 2]])
    return M, -np.linalg.solve(M, np.array([-1j * F, 0.0]))


def _peak_photons(F: float, g: float, kappa: float, battery_loss: float) -> float:
    """An upper bound on max_t max(|α_t|², |β_t|²), rigorous between and beyond the grid.

    M = −iK − D with K Hermitian and D ≥ 0, so e^{Mt} is a contraction and
    ‖ẋ_t‖ = ‖Me^{Mt}x_∞‖ ≤ ‖M‖‖x_∞‖: between grid points spaced Δt the amplitudes grow
    by at most ‖M‖‖x_∞‖Δt/2. Without loss the motion is periodic (period 2π/|g|, the
    grid covers two); with loss, beyond the grid's end t_h every amplitude stays within
    |x_∞,i| + ‖e^{Mt_h}x_∞‖ (the contraction only shrinks the transient).
    """
    slowest = min([r for r in (kappa, battery_loss) if r > 0], default=0.0)
    horizon = min(max(4 * pi / abs(g), 60.0 / slowest if slowest else 0.0), 1e6)
    M, x_inf = _drift(F, g, kappa, battery_loss)
    lam, V = np.linalg.eig(M)
    points = int(np.clip(horizon * np.linalg.norm(M, 2) * 8, _AMPLITUDE_POINTS, 400_001))
    if np.linalg.cond(V) > 1e6:  # at an exceptional point: exponentials one by one
        points = _AMPLITUDE_POINTS
    grid = np.linspace(0.0, horizon, points)
    if points > _AMPLITUDE_POINTS:  # x_t = x_∞ − V e^{λt} V⁻¹ x_∞, vectorised
        c = np.linalg.solve(V, x_inf)
        amps = np.abs(x_inf[None, :] - (np.exp(np.outer(grid, lam)) * c[None, :]) @ V.T)
    else:
        amps = np.abs(farina_amplitudes(grid, F, g, kappa, battery_loss))
    slack = float(np.linalg.norm(M, 2) * np.linalg.norm(x_inf)) * (grid[1] - grid[0]) / 2
    bound = np.max(amps, axis=0) + slack
    if slowest:
        rest = float(np.linalg.norm(sla.expm(M * horizon) @ x_inf))
        bound = np.maximum(bound, np.abs(x_inf) + rest)
    return float(np.max(bound) ** 2)


@strict_parameters
@cached_model
def farina(
    F: float = 0.25,
    g: float = 0.5,
    kappa: float = 0.5,
    omega0: float = 1.0,
    *,
    battery_loss: float = 0.0,
    n_max: int | None = None,
    truncation_tol: float = TRUNCATION_TOL,
) -> Battery:
    r"""Charger-mediated open battery (Farina et al. 2019), two oscillators on resonance.

    In the frame rotating at ω0 (which leaves the battery energy unchanged):

    .. math:: H_0 = \omega_0 b^\dagger b,\qquad
       H = F(a + a^\dagger) + g(a^\dagger b + b^\dagger a),\qquad H_C = H - H_0,

    P0 = −i[H0, HC], both oscillators start in the vacuum; jumps √κ a (the charger's
    photons leave, counted with energy ω0) and, if ``battery_loss`` > 0, √γ_B b. The
    state stays a product of coherent states (:func:`farina_amplitudes`): ⟨W_t⟩ =
    ω0|β_t|² and, the vacuum being an H0 eigenstate, Var W_t = ω0²|β_t|² (Poisson), so
    𝒩^W_t = 1/|β_t|²; with γ_B = 0 the battery ends in |−F/g⟩ whatever κ, storing
    ω0F²/g².

    Parameters
    ----------
    F, g, kappa : float
        Drive amplitude, charger–battery coupling (≠ 0) and charger loss rate (≥ 0).
    omega0 : float
        The common frequency (energy per quantum).
    battery_loss : float
        Loss rate γ_B of the battery oscillator (≥ 0).
    n_max : int, optional
        Fock cutoff of each oscillator; default: the smallest whose Poisson tail stays
        below ``truncation_tol`` at an upper bound on the mean photon numbers |α_t|²,
        |β_t|² at all times (a grid into the steady state, with a rigorous margin between
        and beyond its points).
    truncation_tol : float
        Largest Poisson weight dropped above n_max.

    Examples
    --------
    >>> import qbattery as qb
    >>> bat = qb.models.farina()
    >>> bat.params["n_max"], len(bat.jumps), dict(bat.counted)
    (11, 1, {0: 1.0})
    """
    F = check_real("F", F)
    g = check_real("g", g)
    if g == 0:
        raise InvalidInputError("`g` must be non-zero: the battery is charged through the charger")
    omega0 = check_real("omega0", omega0)
    tol = check_real("truncation_tol", truncation_tol, positive=True)
    kappa = check_real("kappa", kappa)
    gamma_b = check_real("battery_loss", battery_loss)
    peak = _peak_photons(F, g, max(kappa, 0.0), max(gamma_b, 0.0))
    cutoff = coherent_cutoff(peak, tol)
    if n_max is None:
        n_max = max(cutoff, 1)
    elif n_max < cutoff:
        raise InvalidInputError(
            f"n_max = {n_max} drops more than truncation_tol = {tol:.1g} of the coherent "
            f"states (mean photon number up to {peak:.4g}); use n_max ≥ {cutoff}"
        )
    n = int(n_max) + 1
    a1 = sp.diags_array(np.sqrt(np.arange(1.0, n)), offsets=1)
    eye = sp.identity(n)
    a, b = sp.csr_array(sp.kron(a1, eye)), sp.csr_array(sp.kron(eye, a1))
    H0 = sp.csr_array(omega0 * (b.T @ b))
    H = sp.csr_array(F * (a + a.T) + g * (a.T @ b + b.T @ a))
    state = np.zeros(n * n, dtype=complex)
    state[0] = 1.0
    jumps, counted, params = dissipation(
        {"kappa": (kappa, a, abs(omega0)), "battery_loss": (gamma_b, b, abs(omega0))}
    )
    return Battery(
        H0,
        sp.csr_array(H - H0),
        state,
        name="farina",
        params={"F": F, "g": g, "omega0": omega0, "n_max": int(n_max), **params},
        jumps=jumps,
        counted=counted,
        structure={
            "convention": convention(
                H0="ω0 b†b (the battery oscillator)",
                HC="F(a + a†) + g(a†b + b†a) − H0 (frame rotating at ω0)",
                H="F(a + a†) + g(a†b + b†a)",
                P0="−i[H0, HC] = −ig ω0 (b†a − a†b)",
                state="|0⟩_A ⊗ |0⟩_B",
                fixed="one charger and one battery (no N)",
            ),
        },
    )


__all__ = ["farina", "farina_amplitudes"]
