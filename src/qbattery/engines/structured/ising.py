r"""Exact Ising chain in the paper's reading of Eq. (10): commuting σ_x strings.

With H^T = −Ω S, S = Σ_{j=0}^{L−1} w_j, w_j = σ_x^(j)…σ_x^(j+s−1), L = N − s + 1, the
evolution H_norm = (H^T − E_min)/(E_max − E_min) is −gS up to a constant, with
g = Ω/(E_max − E_min) (= Ω/(2|Ω|L) exactly; g = Ω without normalisation).

**Window variables.** In the σ_x basis |0…0⟩ is the uniform superposition, and the L
strings w_j are independent, uniformly distributed ±1 variables (the windows are
linearly independent over GF(2)). σ_z^(i) flips x_i, i.e. flips the w_j of the windows
J_i ∋ i (an interval of ≤ s windows), so with D_i = Σ_{j∈J_i} w_j and τ = 2gt

.. math:: \sigma_z^{(i)}(t) = \sigma_z^{(i)} e^{i\tau D_i},\qquad
   P_0 = -i\,c_P\,\Omega\omega_0 \sum_i \sigma_z^{(i)} D_i

(c_P = 1/‖H^T‖ for ``power="paper"``, 1/(E_max − E_min) for ``"rate"``). Every term
of a moment, ⟨σ_z^(i) f(D_i) σ_z^(l) g(D_l)⟩, is an expectation over the windows of
J_i ∪ J_l only; pairs with disjoint J_i, J_l factorise, so variances and covariances
are light-cone sums over |i − l| < s. Pairs fall into a few classes (sizes of
J_i∖J_l, J_i∩J_l, J_l∖J_i); each class gives an exact trigonometric polynomial in τ
with rational coefficients (:mod:`.trigpoly`), weighted by its exact integer count.

**Work sectors.** In the dual (window) basis the state is the product
⊗_j(cos gt|0⟩ + i sin gt|1⟩) and site i is flipped iff an odd number of chosen
windows covers it, so the number n of flipped spins (the W0 eigenvalue) is an
additive functional of L independent Bernoulli(q = sin²gt) trials. Its distribution
p_n and r_n = E[(|T| − Lq) 1{n}] follow from a transfer matrix over the last s − 1
window bits (all weights positive: tails keep full relative accuracy), and
I^W_t = 4g² Σ_n r_n²/(p_n q(1 − q)) (Eq. B5 with ∂_q p_n = r_n/(q(1 − q))).

**Power eigenspaces.** P0 maps the 2^L-dimensional window space to itself, so its
eigenspaces there (dense, small L only) give I^P_t; beyond, NaN with the reason.

Both Fisher informations depend on t only through gt mod π and are symmetric about
gt = π/2, so the speed angle is integrated over one quarter period and continued.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import cached_property
from typing import Any

import numpy as np

from qbattery import _checks
from qbattery._dataset import POWER_FISHER, WORK_FISHER
from qbattery.engines.base import Moments, Observable, ObservableMoments
from qbattery.engines.structured.lightcone import (
    cov_poly,
    mean_poly,
    pair_classes,
    pair_poly,
    window_ranges,
)
from qbattery.engines.structured.sectors import (
    PowerSpectrum,
    quarter_period_angle,
    work_information,
    work_information_full,
)
from qbattery.engines.structured.trigpoly import TrigPoly
from qbattery.errors import InvalidInputError

#: largest number of windows covering one site for the light-cone sums
MAX_WINDOWS_PER_SITE = 24
#: largest window-space dimension 2^L for the power bound (dense P0 eigenspaces)
POWER_MAX_DIM = 4096
#: largest number of transfer-matrix states 2^(s−1) for the work sectors
WORK_MAX_STATES = 1024
#: largest work-bound cost 2^(s−1)·L·N per transfer-matrix run (about a minute in all:
#: benchmarks/bench_structured.py measured ising(8000, 2), 1.3e8, in 37 s)
WORK_MAX_COST = 1.5e8


def _dim_text(L: int) -> str:
    """'2^L = d' for moderate L, '2^L' beyond."""
    return f"2^{L} = {2**L}" if L <= 40 else f"2^{L}"


class IsingPaperSolver:
    """Exact moments and Fisher informations of ``ising(N, s, variant="paper")``.

    Parameters
    ----------
    structure : mapping
        ``battery.structure`` of :func:`qbattery.models.ising` (N, s, omega0, Omega,
        power, normalize, E_min, E_max).
    power_max_dim : int
        Largest window-space dimension 2^(N−s+1) for which the power bound is computed
        from P0's eigenspaces (NaN with a note beyond).
    work_max_cost : float, optional
        Largest 2^(s−1)·(N−s+1)·N (the cost of one work-sector transfer-matrix run) for
        which the work bound is computed, NaN with a note beyond; default
        ``WORK_MAX_COST`` (N up to about 8600 at s = 2, 4300 at s = 4).

    Examples
    --------
    >>> import numpy as np
    >>> st = {"N": 1000, "s": 3, "omega0": 2.0, "Omega": 1.0, "power": "paper",
    ...       "normalize": True, "E_min": -998.0, "E_max": 998.0}
    >>> m = IsingPaperSolver(st).moments(np.array([0.0, 100.0]))
    >>> float(m.work.mean[0]) == 0.0, bool(m.work.mean[1] > 0)
    (True, True)
    """

    def __init__(
        self,
        structure: Mapping[str, Any],
        *,
        power_max_dim: int = POWER_MAX_DIM,
        work_max_cost: float | None = None,
    ):
        self.N = N = int(structure["N"])
        self.s = s = int(structure["s"])
        self.L = L = N - s + 1
        self.omega0 = float(structure["omega0"])
        self.Omega = Omega = float(structure["Omega"])
        self.power_max_dim = int(power_max_dim)
        self.work_max_cost = float(WORK_MAX_COST if work_max_cost is None else work_max_cost)
        self.notes: dict[str, str] = {}
        if bool(structure.get("normalize", True)):
            exact = abs(Omega) * L
            e_min = float(structure.get("E_min", -exact))
            e_max = float(structure.get("E_max", exact))
            if not (np.isfinite(e_min) and np.isfinite(e_max)):
                e_min, e_max = -exact, exact
            if abs(e_min + exact) > 1e-8 * exact or abs(e_max - exact) > 1e-8 * exact:
                raise InvalidInputError(
                    f"ising({N}, {s}) has E_min = {e_min!r}, E_max = {e_max!r}, but the "
                    f"paper reading has exactly ∓|Ω|(N − s + 1) = ∓{exact!r}; rebuild the "
                    "battery with qbattery.models.ising"
                )
            width = e_max - e_min
            self.g = Omega / width
            mode = structure.get("power", "paper")
            self.p_scale = 1.0 / max(abs(e_min), abs(e_max)) if mode == "paper" else 1.0 / width
        else:
            self.g = Omega
            self.p_scale = 1.0
        #: P0 = −i κ Σ_i σ_z^(i) D_i and W0 = V Σ_i σ_z^(i)
        self.kappa = self.p_scale * Omega * self.omega0
        self.V = -self.omega0 / 2

    # ---- moments ----------------------------------------------------------------------
    @cached_property
    def _polys(self) -> dict[str, TrigPoly]:
        lo, hi = window_ranges(self.N, self.s)
        sizes = np.bincount(hi - lo + 1)
        classes = pair_classes(self.N, self.s)
        per_site = [(int(c), n) for n, c in enumerate(sizes) if c]

        def total(F: str, G: str, connected: bool = True) -> TrigPoly:
            fn = cov_poly if connected else pair_poly
            return TrigPoly.total((c, fn(F, G, *cls)) for cls, c in classes.items())

        return {
            "mean_A": TrigPoly.total((c, mean_poly("A", n)) for c, n in per_site),
            "mean_B": TrigPoly.total((c, mean_poly("B", n)) for c, n in per_site),
            "cov_AA": total("A", "A"),
            "cov_BB": total("B", "B"),
            "cov_BA": total("B", "A"),
            "pair_DB": total("D", "B", connected=False),
            "pair_DD": total("D", "D", connected=False),
        }

    def moments(self, times: np.ndarray) -> Moments:
        """Exact raw moments at ``times`` (light-cone sums, O(s³) work per time)."""
        t = np.asarray(times, dtype=float)
        tau = 2 * self.g * t
        P = self._polys
        V, kap = self.V, self.kappa
        work_mean = V * P["mean_A"](tau).real
        work_var = V**2 * P["cov_AA"](tau).real
        # K = −iκ: K·E[B] is real, K² = −κ²
        power_mean = (kap * P["mean_B"](tau).imag) if kap else np.zeros(t.size)
        power_var = -(kap**2) * P["cov_BB"](tau).real
        var0 = -(kap**2) * float(P["pair_DD"](np.zeros(1)).real[0])
        cross0 = -(kap**2) * P["pair_DB"](tau)
        cross = power_mean * work_mean + (-1j * kap) * V * P["cov_BA"](tau)
        with np.errstate(divide="ignore"):
            fidelity = np.exp(self.L * np.log1p(-(np.sin(self.g * t) ** 2)))
        zeros = np.zeros(t.size, dtype=complex)
        work = ObservableMoments.from_variance(work_mean, work_var, zeros, 0.0)
        power = ObservableMoments.from_variance(power_mean, power_var, cross0, var0)
        return Moments(
            times=t,
            work=work,
            power=power,
            cross=cross,
            fidelity=np.minimum(fidelity, 1.0),
            notes=dict(self.notes),
        )

    # ---- Fisher information -----------------------------------------------------------
    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """I_t of the eigenspaces of W0 or P0 (Eq. B5), exact; ``None`` if intractable."""
        t = np.asarray(times, dtype=float)
        if self.omega0 == 0.0 or self.g == 0.0:  # O0 = 0 (one eigenspace) or no dynamics
            return np.zeros(t.shape)
        info = self._information(which)
        return None if info is None else info(np.abs(self.g * t))

    def angle(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """θ_t (Eq. 5) from one quarter period of gt, continued by symmetry."""
        t = np.asarray(times, dtype=float)
        if self.omega0 == 0.0 or self.g == 0.0:
            return np.zeros(t.shape)
        info = self._information(which)
        if info is None:
            return None
        return quarter_period_angle(info, self.g, t, interpolate=which == "work")

    def _information(self, which: Observable) -> Any:
        """I as a function of x = |g|t, or ``None`` (reason in :attr:`notes`)."""
        return self._work_information if which == "work" else self._power_information

    @cached_property
    def _work_information(self) -> Any:
        N, s, L = self.N, self.s, self.L
        if 2 ** (s - 1) > WORK_MAX_STATES:
            self.notes[WORK_FISHER] = (
                f"the work sectors of ising(N={N}, s={s}) need a transfer matrix with "
                f"2^{s - 1} states (limit {WORK_MAX_STATES}); use engine='dense' for small N"
            )
            return None
        cost = 2 ** (s - 1) * L * N
        if cost > self.work_max_cost:
            self.notes[WORK_FISHER] = (
                f"the work bound of ising(N={N}, s={s}) needs transfer-matrix runs of "
                f"2^{s - 1}·L·N = {cost:.2g} operations each (limit {self.work_max_cost:.2g}, "
                "about a minute in all); NaN here, raise work_max_cost or use a smaller N"
            )
            return None
        rate = 4 * self.g**2
        full = work_information_full(N, s)

        def info(x: np.ndarray) -> np.ndarray:
            q, qc = np.sin(x) ** 2, np.cos(x) ** 2
            K = np.where(q == 0.0, float(L), full)
            inner = (q > 0.0) & (qc > 0.0)
            if np.any(inner):
                K[inner] = work_information(N, s, q[inner], qc[inner])
            return rate * K

        return info

    @cached_property
    def _power_information(self) -> Any:
        dim = 2 ** min(self.L, 64)
        if self.L > 64 or dim > self.power_max_dim:
            self.notes[POWER_FISHER] = (
                f"the power bound needs the eigenspaces of P0 on the {_dim_text(self.L)}-"
                f"dimensional window space of ising(N={self.N}, s={self.s}) (limit "
                f"{self.power_max_dim}); NaN here, use a smaller N or engine='dense'"
            )
            return None
        _checks.check_memory(f"the P0 eigenspaces of dimension {dim}", 4 * dim * dim * 16)
        spectrum = PowerSpectrum(self.N, self.s, self.kappa)
        g = self.g
        return lambda x: spectrum.information(np.sign(g) * x, g)
