"""Structured engine: exact solutions that exploit a built-in model's structure.

* ``kbody`` (and ``single_qubit``): independent two-level blocks, closed forms for all
  13 quantities at any N (:mod:`.kbody`), and cumulants of every order (Eq. A2) as
  sums of the blocks' cumulants.
* ``ising`` in the paper's reading (commuting σ_x strings): light-cone sums of exact
  trigonometric polynomials for the moments, a transfer matrix for the work sectors and,
  for small N, P0's eigenspaces for the power bound (:mod:`.ising`).

The engine works from ``battery.structure`` alone (set by :mod:`qbattery.models`), so it
never forms a 2^N vector; everything else is refused by :meth:`StructuredEngine.supports`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from qbattery import _checks
from qbattery.engines.base import Engine, Moments, Observable
from qbattery.engines.structured.ising import (
    MAX_WINDOWS_PER_SITE,
    WORK_MAX_STATES,
    IsingPaperSolver,
)
from qbattery.engines.structured.kbody import KBodySolver

if TYPE_CHECKING:
    from qbattery.battery import Battery

_KBODY_KEYS = ("N", "k", "omega0", "Omega0")
_ISING_KEYS = ("N", "s", "omega0", "Omega", "variant")


class StructuredEngine(Engine):
    """Exact engine for the k-body and Ising (paper reading) models at any size.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> from qbattery.engines.structured import StructuredEngine
    >>> eng = StructuredEngine(qb.models.kbody(12, 3))
    >>> m = eng.moments(np.array([0.5]))
    >>> bool(np.isclose(m.work.mean[0], 12 * np.sin(0.5 * 3 / 12) ** 2))
    True
    """

    name = "structured"

    def __init__(self, battery: Battery) -> None:
        super().__init__(battery)
        why = self.supports(battery)
        if why is not None:
            from qbattery.errors import EngineError

            raise EngineError(f"engine 'structured' cannot run this battery: {why}")
        st = battery.structure
        self.solver: KBodySolver | IsingPaperSolver
        if st["family"] == "kbody":
            self.solver = KBodySolver(st)
            omega_k = int(st["k"]) / int(st["N"]) * float(st["Omega0"])
            #: the largest frequency of the phases, for the phase-precision limit
            #: (``_checks.PHASE_LIMIT``): blocks evolve independently, each with Ω_k t
            self.norm = abs(omega_k)
        else:
            self.solver = IsingPaperSolver(st)
            strings = int(st["N"]) - int(st["s"]) + 1
            self.norm = 1.0 if st.get("normalize", True) else abs(float(st["Omega"])) * strings
        self.notes = self.solver.notes

    @classmethod
    def supports(cls, battery: Battery) -> str | None:
        """``None`` for kbody / single_qubit and ising(variant="paper"), else the reason."""
        st = battery.structure
        family = st.get("family")
        if family is None:
            return (
                "the battery has no model structure (a custom battery); the structured "
                "engine solves only qbattery.models.kbody, single_qubit and ising "
                "(variant='paper')"
            )
        if not battery.is_pure:
            return "the structured engine needs the models' pure initial state |0…0⟩"
        if family == "kbody":
            missing = [key for key in _KBODY_KEYS if key not in st]
            if missing:
                return f"kbody structure lacks {missing}; build the battery with qb.models.kbody"
            N = int(st["N"])
        elif family == "ising":
            missing = [key for key in _ISING_KEYS if key not in st]
            if missing:
                return f"ising structure lacks {missing}; build the battery with qb.models.ising"
            if st["variant"] != "paper":
                return (
                    f"ising variant {st['variant']!r} is a genuine transverse-field chain "
                    "with no exact structured solution"
                )
            N, s = int(st["N"]), int(st["s"])
            per_site = min(s, N - s + 1)
            if per_site > MAX_WINDOWS_PER_SITE:
                return (
                    f"ising(N={N}, s={s}) has {per_site} windows per site; the light-cone "
                    f"sums are limited to {MAX_WINDOWS_PER_SITE}"
                )
        else:
            return f"model family {family!r} has no structured solution"
        if N <= 62 and battery.dim != 2**N:
            return f"the structure says N = {N} but the battery has dimension {battery.dim}"
        return None

    @classmethod
    def memory_estimate(cls, battery: Battery, ntimes: int) -> int:
        """A few dozen arrays of ``ntimes`` plus, for ising, one transfer-matrix chunk."""
        base = 64 * 8 * max(ntimes, 1) + 1024**2
        st = battery.structure
        if st.get("family") == "ising":
            N, s = int(st["N"]), int(st["s"])
            states = min(2 ** max(s - 1, 0), WORK_MAX_STATES)
            base += min(96 * 1024**2, states * (N + 2) * 8 * 6 * 64)
        return int(base)

    def moments(self, times: np.ndarray) -> Moments:
        """Exact raw moments at ``times``."""
        times = np.asarray(times, dtype=float)
        _checks.check_phase_range(self.name, times, self.norm)
        return self.solver.moments(times)

    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """Exact Fisher information of O_0's eigenspaces (Eq. B5); ``None`` if intractable."""
        times = np.asarray(times, dtype=float)
        _checks.check_phase_range(self.name, times, self.norm)
        return self.solver.fisher(times, which)

    def angle(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """Speed angle θ_t (Eq. 5): closed form (kbody) or one integrated quarter period."""
        times = np.asarray(times, dtype=float)
        _checks.check_phase_range(self.name, times, self.norm)
        return self.solver.angle(times, which)

    # ---- cumulants beyond the second (Eq. A2): k-body only ---------------------------------
    def counting_cumulants(
        self,
        times: np.ndarray,
        which: Observable,
        order: int,
        *,
        center: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Cumulants κ_1…κ_order (order, nt) of 𝒪_t (Eq. A2), or ``None`` with a note.

        k-body: the sum of the independent blocks' cumulants (see :mod:`.kbody`); exact
        to rounding at any N, with no round trip through moments, so ``center`` is not
        needed (it is accepted for the engine interface). Ising: ``None``.

        Examples
        --------
        5 × 10⁵ blocks of two spins, each flipped (work 2ω0) with p = sin²(Ω_k t):
        κ_3 = 5 × 10⁵ · 8 p(1 − p)(1 − 2p).

        >>> import numpy as np, qbattery as qb
        >>> eng = StructuredEngine(qb.models.kbody(10**6, 2))
        >>> kappa = eng.counting_cumulants(np.array([0.0, 1e5]), "work", 3)
        >>> p = np.sin(2e-6 * 1e5) ** 2
        >>> kappa.shape, bool(np.isclose(kappa[2, 1], 4e6 * p * (1 - p) * (1 - 2 * p), rtol=1e-12))
        ((3, 2), True)
        """
        if isinstance(self.solver, KBodySolver):
            return self.solver.cumulants(np.asarray(times, dtype=float), which, order)
        self.notes[f"{which}_cumulants"] = (
            "the structured Ising solver has no moments beyond the second; use "
            "engine='dense' (small N)"
        )
        return None


__all__ = ["IsingPaperSolver", "KBodySolver", "StructuredEngine"]
