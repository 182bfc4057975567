r"""Closed forms of the paper's solvable batteries, as the same Dataset as ``qb.charge``.

The single qubit (App. D) and the k-body model (Eq. 7, App. E, with a
:ref:`remainder block <readings-remainder>`) are products of independent effective
qubits. Block ``b`` of ``k_b`` spins (``k_b = k``, or ``r`` for the remainder block
when k does not divide N) stays in span{|0^k_b⟩, |1^k_b⟩} and evolves as
``cos(Ω_k t)|0^k_b⟩ − i sin(Ω_k t)|1^k_b⟩`` with Ω_k = (k/N)Ω0 (Ω_1 = Ω0 for the
single qubit). On that subspace

.. math:: W_0^b = -\tfrac{k_b\omega_0}{2}\sigma_z^{\rm eff},\qquad
   P_0^b = -k_b\,\Omega_k\omega_0\,\sigma_y^{\rm eff},

so every quantity is a sum (means, variances, covariances) or a product (fidelity)
over blocks. With x = Ω_k t, m = ⌈N/k⌉ blocks and S₂ = Σ_b k_b² = n k² + r²
(n = ⌊N/k⌋, r = N − n k):

* ⟨𝒲_t⟩ = N ω0 sin²x (E3) and (Δ𝒲_t)² = S₂ (ω0²/4) sin²2x (E4, S₂ = Nk when k divides N);
* ⟨𝒫_t⟩ = N Ω_k ω0 sin 2x (E6) and (Δ𝒫_t)² = 4 S₂ Ω_k² ω0² sin⁴x (E7, S₂ = Nk when k divides N);
* 𝒩^W = (S₂/N²) cot²x and 𝒩^P = (S₂/N²) tan²x (Eq. 8, D3);
* 𝒩^W 𝒩^P = (S₂/N²)², which is k²/N² when k divides N (Eq. 9, D4), and equals the
  trade-off bound of Eq. (6, C1): it is saturated, remainder block included;
* Fisher information I^W = I^P = 4 Ω_k² m (B5), angles θ^W = θ^P = |Ω_k| t √m (Eq. 5);
* f(W_0, W_t) = 0 (|0…0⟩ is a W_0 eigenstate) and
  f(P_0, P_t) = 2 (S₂/N²)(cos 2x + |cos 2x|) / sin²2x (B8);
* bounds cot²(min(θ, π/2)) − f (Eq. 5) and fidelity F_t = cos^{2m}x (Fig. 3);
* average power ⟨𝒲_t⟩/t = NΩ_kω0 sin²x/x, maximal at the optimal charging time
  Ω_kτ* = :data:`X_STAR`, the root of tan x = 2x in (0, π/2).

The Fisher information follows from the sector distributions. The excitation numbers
k j + r b (j = 0…n, b ∈ {0, 1}) are all distinct (0 < r < k), so a W_0 sector fixes
(j, b): j ~ Binomial(n, q) and b ~ Bernoulli(q), independent, q = sin²x, whose Fisher
information is m (dq/dt)²/(q(1 − q)) = 4Ω_k² m. The P_0 eigenvalues
Ω_kω0(k Σ_j s_j + r s_r), s = ±1, are distinct in the same way, and each block is
found in the σ_y^eff eigenstates with probabilities (1 ∓ sin 2x)/2, which again gives
4Ω_k² per block. Because the angles
grow as √m |Ω_k| t, they pass π/2 at t = π/(2√m|Ω_k|), before the end of the charging
half-period π/(2|Ω_k|); beyond it the bound cot²(min(θ, π/2)) − f is ≤ 0 (trivial).

f uses ΔP_t ΔP_0 ≥ 0 (:doc:`/concepts`), which gives |cos 2x| where App. D writes cos 2x: the
paper's f = 4 cot(2Ω0t) csc(2Ω0t) is right only while Ω0 t < π/4 (see
:doc:`/readings`). NSRs, f and the trade-off follow IEEE semantics like
:func:`qbattery.statistics.nsr`: a zero mean gives inf, or NaN at t = 0.
"""

from __future__ import annotations

import time as _time
from typing import Any

import numpy as np
import scipy.optimize
import xarray as xr

from qbattery import _checks, bounds, statistics
from qbattery._checks import check_int, check_real
from qbattery._dataset import (
    AVERAGE_POWER,
    CHARGING_EFFICIENCY,
    ERGOTROPY,
    FIDELITY,
    NSR_PRODUCT,
    PASSIVE_ENERGY,
    POWER_ANGLE,
    POWER_BOUND,
    POWER_F,
    POWER_FISHER,
    POWER_MEAN,
    POWER_NSR,
    POWER_VAR,
    TRADEOFF_BOUND,
    TRADEOFF_SUM_BOUND,
    WORK_ANGLE,
    WORK_BOUND,
    WORK_F,
    WORK_FISHER,
    WORK_MEAN,
    WORK_NSR,
    WORK_VAR,
    build_dataset,
    var_name,
)
from qbattery._typing import TimesLike
from qbattery.battery import Battery, check_battery
from qbattery.errors import InvalidInputError
from qbattery.numerics.kbody import block_count, block_sum_squares, kbody_blocks

__all__ = ["X_STAR", "charge", "kbody", "kbody_block_sizes", "single_qubit"]

#: x* = Ω_kτ* ≈ 1.16556: where sin²x/x, the average power ⟨𝒲_t⟩/t of k-body and
#: single-qubit charging in units of NΩ_kω0, is maximal (d/dx: tan x = 2x)
X_STAR = float(scipy.optimize.brentq(lambda x: np.tan(x) - 2 * x, 1.0, 1.5, xtol=1e-15))


def kbody_block_sizes(N: int, k: int) -> list[int]:
    """Sizes of the blocks of ``kbody(N, k)``: ⌊N/k⌋ blocks of k, then r = N mod k if r > 0.

    Examples
    --------
    >>> kbody_block_sizes(10, 4)
    [4, 4, 2]
    """
    n, r = kbody_blocks(N, k)
    return [k] * n + ([r] if r else [])


def _closed_forms(
    t: np.ndarray,
    *,
    N: int,
    k: int,
    omega0: float,
    Omega: float,
    fisher: bool,
    ergotropy: bool,
) -> dict[str, np.ndarray]:
    """Every Dataset variable for the blocks of ``kbody(N, k)`` (module docstring).

    The closed forms give means, variances, covariances, f and θ; NSRs and bounds then
    come from :mod:`qbattery.statistics` and :mod:`qbattery.bounds`, as for ``qb.charge``.
    """
    m = block_count(N, k)
    # the phases are Ω_k t per block (blocks evolve independently): the limit is on |Ω_k| t
    _checks.check_phase_range("analytic", t, abs(Omega))
    S2 = float(block_sum_squares(N, k))
    x = Omega * t
    s, c = np.sin(x), np.cos(x)
    s2, c2 = np.sin(2 * x), np.cos(2 * x)
    out: dict[str, np.ndarray] = {}
    # "+ 0.0" turns −0.0 (ω0 < 0 at t = 0) into +0.0, as an engine's sum would give
    out[WORK_MEAN] = N * omega0 * s**2 + 0.0
    out[WORK_VAR] = S2 * omega0**2 / 4 * s2**2
    out[POWER_MEAN] = N * Omega * omega0 * s2 + 0.0
    out[POWER_VAR] = 4 * S2 * Omega**2 * omega0**2 * s**4
    # ⟨𝒫_t 𝒲_t⟩ − ⟨𝒫_t⟩⟨𝒲_t⟩ = −Σ_b ⟨𝒫_t^b⟩⟨𝒲_t^b⟩: within a block ⟨𝒫𝒲⟩ ∝ ⟨σ_x^eff⟩ = 0
    cov_pw = -S2 * Omega * omega0**2 * s2 * s**2
    # Fisher information (B5); a battery with ω0 = 0 has W_0 = P_0 = 0: one sector, I = 0
    info = 4 * Omega**2 * m if omega0 != 0 else 0.0
    angle = np.sqrt(info) / 2 * t
    out[WORK_NSR] = statistics.nsr(out[WORK_VAR], out[WORK_MEAN])
    out[POWER_NSR] = statistics.nsr(out[POWER_VAR], out[POWER_MEAN])
    out[TRADEOFF_BOUND] = bounds.tradeoff_bound_from_covariance(
        out[WORK_MEAN], out[POWER_MEAN], cov_pw
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        # f (B8): W: cov(W_t, W_0) = ΔW_0 = 0; P: cov = S₂(Ω_kω0)² cos 2x,
        # ΔP_t ΔP_0 = S₂(Ω_kω0)² |cos 2x|
        out[WORK_F] = np.zeros_like(t) / out[WORK_MEAN] ** 2
        out[POWER_F] = 2 * S2 * (Omega * omega0) ** 2 * (c2 + np.abs(c2)) / out[POWER_MEAN] ** 2
    out[WORK_BOUND] = bounds.nsr_bound(angle, out[WORK_F])
    out[POWER_BOUND] = bounds.nsr_bound(angle, out[POWER_F])
    out[NSR_PRODUCT] = statistics.nsr_product(out[WORK_NSR], out[POWER_NSR])
    out[TRADEOFF_SUM_BOUND] = bounds.tradeoff_sum_bound(out[TRADEOFF_BOUND])
    out[WORK_ANGLE] = angle
    out[POWER_ANGLE] = angle.copy()
    out[FIDELITY] = c ** (2 * m)
    out[AVERAGE_POWER] = statistics.average_power(out[WORK_MEAN], t, initial_rate=0.0)
    if fisher:
        out[WORK_FISHER] = np.full(t.shape, info)
        out[POWER_FISHER] = np.full(t.shape, info)
    if ergotropy:
        # pure state: E_passive is H0's lowest level −N|ω0|/2; ⟨H0⟩_0 = −Nω0/2
        passive = -N * abs(omega0) / 2
        out[ERGOTROPY] = (-N * omega0 / 2 - passive) + out[WORK_MEAN]
        out[PASSIVE_ENERGY] = np.full(t.shape, passive)
        with np.errstate(divide="ignore", invalid="ignore"):
            out[CHARGING_EFFICIENCY] = out[ERGOTROPY] / out[WORK_MEAN]
    return {name: out[name] for name in _ORDER if name in out}


#: the order in which ``qb.charge`` lists its variables
_ORDER = (
    *(
        var_name(w, q)
        for w in ("work", "power")
        for q in ("mean", "var", "nsr", "f", "angle", "bound")
    ),
    NSR_PRODUCT,
    TRADEOFF_BOUND,
    TRADEOFF_SUM_BOUND,
    FIDELITY,
    AVERAGE_POWER,
    WORK_FISHER,
    POWER_FISHER,
    ERGOTROPY,
    PASSIVE_ENERGY,
    CHARGING_EFFICIENCY,
)


def single_qubit(
    times: TimesLike,
    omega0: float = 1.0,
    Omega0: float = 1.0,
    *,
    fisher: bool = False,
    ergotropy: bool = True,
) -> xr.Dataset:
    r"""Closed forms of the single-qubit battery (App. D), ``qb.models.single_qubit``.

    .. math::
       \langle\mathcal W_t\rangle = \omega_0\sin^2\Omega_0 t,\quad
       (\Delta\mathcal W_t)^2 = \tfrac{\omega_0^2}{4}\sin^2 2\Omega_0 t,\quad
       \langle\mathcal P_t\rangle = \Omega_0\omega_0\sin 2\Omega_0 t,\quad
       (\Delta\mathcal P_t)^2 = 4\Omega_0^2\omega_0^2\sin^4\Omega_0 t

    so 𝒩^W = cot²(Ω0t), 𝒩^P = tan²(Ω0t) (D3) and 𝒩^W𝒩^P = 1 (D4), equal to the
    trade-off bound (Eq. 6). Both speed angles are |Ω0| t (I = 4Ω0²), f(W_0, W_t) = 0
    and

    .. math:: f(P_0, P_t) = \frac{2(\cos 2\Omega_0 t + |\cos 2\Omega_0 t|)}
              {\sin^2 2\Omega_0 t}

    which is App. D's 4 cot(2Ω0t) csc(2Ω0t) while Ω0 t < π/4 and 0 after. Hence the
    work bound cot²(Ω0t) is saturated for Ω0 t < π/2 and the power bound only for
    Ω0 t < π/4 (there cot² − f = tan²); for π/4 ≤ Ω0 t < π/2 it is cot²(Ω0t) < tan²(Ω0t).
    Fidelity F_t = cos²(Ω0t).

    Parameters
    ----------
    times : array_like, shape (nt,)
        Finite, non-negative, strictly increasing times.
    omega0, Omega0 : float
        Qubit splitting ω0 and charging strength Ω0.
    fisher : bool
        Also return ``work_fisher`` and ``power_fisher`` (both 4Ω0²), as ``qb.charge``.
    ergotropy : bool
        Return ``ergotropy``, ``passive_energy``, ``charging_efficiency``, as
        ``qb.charge``: the state stays pure, so ℰ_t = ⟨H0⟩_t + |ω0|/2.

    Returns
    -------
    xarray.Dataset
        The schema of ``qb.charge`` with ``engine="analytic"``.

    Examples
    --------
    >>> import numpy as np
    >>> from qbattery import analytic
    >>> ds = analytic.single_qubit([0.2, 0.5, 1.0])
    >>> bool(np.allclose(ds.work_nsr, 1 / np.tan(ds.time) ** 2))
    True
    >>> ds.nsr_product.values.round(12).tolist(), ds.attrs["engine"]
    ([1.0, 1.0, 1.0], 'analytic')
    >>> (ds.power_bound / ds.power_nsr).values.round(6).tolist()  # saturated only for t < π/4
    [1.0, 1.0, 0.169977]
    """
    started = _time.perf_counter()
    t = _checks.check_times(times)
    omega0 = check_real("omega0", omega0)
    Omega0 = check_real("Omega0", Omega0)
    data = _closed_forms(
        t, N=1, k=1, omega0=omega0, Omega=Omega0, fisher=fisher, ergotropy=ergotropy
    )
    return build_dataset(
        t,
        data,
        model="single_qubit",
        params={"omega0": omega0, "Omega0": Omega0},
        engine="analytic",
        attrs={"engine_reason": "closed forms of App. D, (D3)-(D4)"},
        started=started,
    )


def _scheme(N: int, k: int) -> str:
    return "parallel" if k == 1 else "collective" if k == N else "hybrid"


def kbody(
    times: TimesLike,
    N: int,
    k: int,
    omega0: float = 1.0,
    Omega0: float = 1.0,
    *,
    fisher: bool = False,
    ergotropy: bool = True,
) -> xr.Dataset:
    r"""Closed forms of k-body charging (Eq. 7–9, (E3)–(E7)), ``qb.models.kbody``.

    With Ω_k = (k/N)Ω0, x = Ω_k t, n = ⌊N/k⌋, r = N − nk, m = ⌈N/k⌉ blocks and
    S₂ = nk² + r² (= Nk when k divides N):

    .. math::
       \langle\mathcal W_t\rangle = N\omega_0\sin^2 x,\quad
       (\Delta\mathcal W_t)^2 = S_2\tfrac{\omega_0^2}{4}\sin^2 2x,\quad
       \langle\mathcal P_t\rangle = N\Omega_k\omega_0\sin 2x,\quad
       (\Delta\mathcal P_t)^2 = 4S_2\Omega_k^2\omega_0^2\sin^4 x

    so 𝒩^W = (S₂/N²)cot²x, 𝒩^P = (S₂/N²)tan²x (Eq. 8 when k divides N) and
    𝒩^W𝒩^P = (S₂/N²)² (Eq. 9: k²/N²), equal to the trade-off bound of Eq. (6) for every
    N and k, remainder included. Fisher information I^W = I^P = 4Ω_k² m, hence
    θ^W = θ^P = |Ω_k| t √m (for k | N: Ω_k t √(N/k)); f(W_0, W_t) = 0,
    f(P_0, P_t) = 2(S₂/N²)(cos 2x + |cos 2x|)/sin²2x, and each bound is
    cot²(min(θ, π/2)) − f. The angles reach π/2 at t = π/(2√m|Ω_k|), before the charging
    half-period π/(2|Ω_k|); after that the bounds are ≤ 0. Fidelity F_t = cos^{2m}x.

    Parameters
    ----------
    times : array_like, shape (nt,)
        Finite, non-negative, strictly increasing times.
    N, k : int
        Number of spins N ≥ 1 and interaction order 1 ≤ k ≤ N.
    omega0, Omega0 : float
        Cell splitting ω0 and charging strength Ω0.
    fisher : bool
        Also return ``work_fisher`` and ``power_fisher`` (both 4Ω_k²m), as ``qb.charge``.
    ergotropy : bool
        Return ``ergotropy``, ``passive_energy``, ``charging_efficiency``, as
        ``qb.charge``: the state stays pure, so ℰ_t = ⟨H0⟩_t + N|ω0|/2 (= ⟨𝒲_t⟩ for
        ω0 > 0, where |0…0⟩ is the ground state).

    Returns
    -------
    xarray.Dataset
        The schema of ``qb.charge`` with ``engine="analytic"``; O(len(times)) work for
        any N (e.g. N = 10⁶).

    Examples
    --------
    >>> import numpy as np
    >>> from qbattery import analytic
    >>> ds = analytic.kbody([0.5, 1.0], N=12, k=3)
    >>> ds.nsr_product.values.round(12).tolist()  # Eq. (9): k²/N² = 1/16
    [0.0625, 0.0625]
    >>> bool(np.allclose(ds.work_angle, 0.25 * ds.time * np.sqrt(4)))  # Ω_k t √(N/k)
    True
    >>> round(float(analytic.kbody([1.0], N=10, k=4).nsr_product[0]), 12)  # (36/100)²
    0.1296
    """
    started = _time.perf_counter()
    t = _checks.check_times(times)
    N = check_int("N", N, 1)
    k = check_int("k", k, 1, N)
    omega0 = check_real("omega0", omega0)
    Omega0 = check_real("Omega0", Omega0)
    sizes = kbody_block_sizes(N, k)
    data = _closed_forms(
        t,
        N=N,
        k=k,
        omega0=omega0,
        Omega=k / N * Omega0,
        fisher=fisher,
        ergotropy=ergotropy,
    )
    eqs = "Eq. (8), (9), (E3)-(E7)" + ("" if N % k == 0 else ", with a remainder block")
    return build_dataset(
        t,
        data,
        model="kbody",
        params={"N": N, "k": k, "omega0": omega0, "Omega0": Omega0, "scheme": _scheme(N, k)},
        engine="analytic",
        attrs={"engine_reason": f"closed forms of {eqs}", "block_sizes": sizes},
        started=started,
    )


def charge(
    battery: Battery, times: TimesLike, *, fisher: bool = False, ergotropy: bool = True
) -> xr.Dataset:
    """Closed forms for a built-in solvable battery: the analytic twin of ``qb.charge``.

    Dispatches on ``battery.structure["family"]``: ``qb.models.single_qubit`` and
    ``qb.models.kbody`` (also ``parallel``, ``collective``) have closed forms.

    Parameters
    ----------
    battery : Battery
        A battery built by ``qb.models.single_qubit`` or ``qb.models.kbody``.
    times : array_like, shape (nt,)
        Finite, non-negative, strictly increasing times.
    fisher : bool
        Also return the Fisher information (``work_fisher``, ``power_fisher``).
    ergotropy : bool
        Return the ergotropy variables, as ``qb.charge``.

    Raises
    ------
    InvalidInputError
        For a battery with no closed form (``ising``, user batteries).

    Examples
    --------
    >>> import qbattery as qb
    >>> ds = qb.analytic.charge(qb.models.kbody(6, 2), [0.5])
    >>> ds.attrs["model"], ds.attrs["engine"]
    ('kbody', 'analytic')
    """
    battery = check_battery(battery, build="qb.models.single_qubit or qb.models.kbody")
    family = battery.structure.get("family")
    if family != "kbody" or battery.name not in ("kbody", "single_qubit"):
        raise InvalidInputError(
            f"battery {battery.name!r} (structure family {family!r}) has no closed form; "
            "closed forms exist for qb.models.single_qubit and qb.models.kbody only, "
            "use qb.charge(battery, times) for the others"
        )
    s: dict[str, Any] = dict(battery.structure)
    if battery.name == "single_qubit":
        return single_qubit(times, s["omega0"], s["Omega0"], fisher=fisher, ergotropy=ergotropy)
    return kbody(
        times, s["N"], s["k"], s["omega0"], s["Omega0"], fisher=fisher, ergotropy=ergotropy
    )
