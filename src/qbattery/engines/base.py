"""The engine interface: engines return raw time-resolved expectations (:class:`Moments`).

An engine never computes NSRs, bounds, cumulants from moments or Datasets;
:mod:`qbattery.statistics`, :mod:`qbattery.bounds` and :mod:`qbattery.distribution` turn
the same :class:`Moments` into physics for every engine.

The moments' conventions are in :mod:`qbattery.moments`.

Conventions, with expectations in the initial state ρ0 and
``𝒪_t = O_t − O_0`` the counting operator of an observable ``O_0`` (work ``W_0 = H0``
or power ``P_0``):

* ``mean``   = Tr(ρ0 𝒪_t)                                   (Eq. 2)
* ``second`` = Tr(ρ0 𝒪_t²)                                  (Eq. 3)
* ``cross0`` = Tr(ρ0 δO_0 𝒪_t), δO_0 = O_0 − Tr(ρ0 O_0)     (complex; gives cov(O_t, O_0))
* ``var0``   = Tr(ρ0 O_0²) − Tr(ρ0 O_0)²
* ``cross``  = Tr(ρ0 𝒫_t 𝒲_t)                               (complex; Eq. 6)
* ``fidelity`` = F(ρ0, ρ_t), squared (Uhlmann for mixed ρ0)
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from qbattery.moments import OBSERVABLES, Moments, Observable, ObservableMoments
from qbattery.numerics.quadrature import speed_angle

if TYPE_CHECKING:
    from qbattery.battery import Battery

__all__ = ["OBSERVABLES", "Engine", "Moments", "Observable", "ObservableMoments"]


class Engine(ABC):
    """One way of computing :class:`Moments` for a :class:`~qbattery.Battery`.

    Subclasses set :attr:`name`, implement :meth:`supports`, :meth:`memory_estimate`,
    :meth:`moments` and :meth:`fisher`, and are registered in
    :mod:`qbattery.engines`. Construction prepares (and may cache) whatever the engine
    needs, e.g. an eigendecomposition; the other methods can be called repeatedly.

    Examples
    --------
    The dense engine on the single qubit of App. D: the Fisher information of the work
    eigenspaces is I_t = 4Ω0² (Eq. B5), so the speed angle is θ^W_t = Ω0 t (Eq. 5).

    >>> import qbattery as qb
    >>> from qbattery.engines import DenseEngine
    >>> bat = qb.models.single_qubit()
    >>> issubclass(DenseEngine, Engine), DenseEngine.name, DenseEngine.supports(bat)
    (True, 'dense', None)
    >>> eng = DenseEngine(bat)
    >>> eng.fisher(np.array([0.2, 0.7]), "work").round(10).tolist()
    [4.0, 4.0]
    >>> bool(np.allclose(eng.angle(np.array([0.5, 1.0]), "work"), [0.5, 1.0]))
    True
    >>> eng.moments(np.array([0.5])).work.mean.shape
    (1,)
    """

    #: the name users pass as ``engine=`` and the key in the registry
    name: ClassVar[str] = "abstract"
    #: whether the engine is exact up to rounding (1e-10) or approximate
    exact: ClassVar[bool] = True
    #: progress bars for long loops (see :mod:`qbattery._progress`); ``charge`` sets it
    progress: bool | None = None
    #: whether the engine runs open batteries (jump operators, Lindblad charging)
    open_systems: ClassVar[bool] = False

    def __init__(self, battery: Battery) -> None:
        self.battery = battery
        #: quantity name -> why this engine cannot supply it (it is NaN in the result)
        self.notes: dict[str, str] = {}

    @classmethod
    @abstractmethod
    def supports(cls, battery: Battery) -> str | None:
        """Return ``None`` if this engine can run ``battery``, else the reason it cannot."""

    @classmethod
    def refuses(cls, battery: Battery) -> str | None:
        """:meth:`supports`, after refusing an open battery for a closed-only engine.

        Examples
        --------
        >>> import numpy as np, qbattery as qb
        >>> from qbattery.engines import DenseEngine
        >>> sm = np.array([[0.0, 1.0], [0.0, 0.0]])
        >>> bat = qb.models.single_qubit()
        >>> leaky = qb.Battery(bat.H0, bat.HC, bat.state, jumps=[0.5 * sm])
        >>> DenseEngine.refuses(leaky)
        "engine 'dense' is closed-only; this battery has 1 jump operators; use engine='open'"
        """
        njumps = len(getattr(battery, "jumps", ()))
        if njumps and not cls.open_systems:
            return (
                f"engine {cls.name!r} is closed-only; this battery has {njumps} jump "
                "operators; use engine='open'"
            )
        return cls.supports(battery)

    @classmethod
    @abstractmethod
    def memory_estimate(cls, battery: Battery, ntimes: int) -> int:
        """Bytes of memory the engine needs for ``battery`` at ``ntimes`` times."""

    @abstractmethod
    def moments(self, times: np.ndarray) -> Moments:
        """Raw moments at ``times`` (validated: finite, ≥ 0, strictly increasing)."""

    @abstractmethod
    def fisher(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """Classical Fisher information I_t of the eigenspaces of O_0 (Eq. B5).

        Returns ``None`` when the engine cannot compute it (reason in :attr:`notes`).
        Must accept any times (not only the user's), in any order.
        """

    def angle(self, times: np.ndarray, which: Observable) -> np.ndarray | None:
        """Speed angle θ_t = ∫_0^t sqrt(I_t')/2 dt' (Eq. 5), ``None`` if unavailable.

        The default integrates :meth:`fisher` adaptively (see
        :func:`qbattery.numerics.quadrature.speed_angle`); engines with a closed form
        override it.
        """
        probe = self.fisher(np.zeros(1), which)
        if probe is None:
            return None
        func: Callable[[np.ndarray], np.ndarray] = lambda t: self.fisher(t, which)  # type: ignore[assignment,return-value]  # noqa: E731
        return speed_angle(func, times)

    # ---- optional capabilities (issue 6): the default is "not available" with a note ----
    def counting_distribution(
        self, times: np.ndarray, which: Observable
    ) -> tuple[np.ndarray, np.ndarray, bool] | None:
        """Values, quasi-probabilities (nt, nv) and whether ρ0 commutes with O_0 (Eq. A2).

        ``None`` (reason in :attr:`notes`) for engines without full counting statistics.
        """
        self.notes[f"{which}_distribution"] = (
            f"engine {self.name!r} has no full counting statistics; use engine='dense'"
        )
        return None

    def counting_moments(
        self,
        times: np.ndarray,
        which: Observable,
        order: int,
        *,
        center: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Moments (order, nt) of the quasi-distribution of 𝒪_t (Eq. A2) about ``center``
        (default 0), or ``None`` (reason in :attr:`notes`)."""
        self.notes[f"{which}_cumulants"] = (
            f"engine {self.name!r} has no moments beyond the second; use engine='dense'"
        )
        return None

    def counting_cumulants(
        self,
        times: np.ndarray,
        which: Observable,
        order: int,
        *,
        center: np.ndarray | None = None,
    ) -> np.ndarray | None:
        """Cumulants κ_1…κ_order (order, nt) of 𝒪_t (Eq. A2) that the engine computes
        itself, or ``None``.

        The default has none: :func:`qbattery.distribution.counting_cumulants` turns
        :meth:`counting_moments` into cumulants. Engines with cumulants of their own (the
        structured k-body engine sums its blocks') override this; an override that
        returns ``None`` gives the reason in :attr:`notes`.

        Examples
        --------
        >>> import qbattery as qb
        >>> from qbattery.engines import DenseEngine
        >>> DenseEngine(qb.models.single_qubit()).counting_cumulants(np.array([0.4]), "work", 3)
        """
        return None

    def observable_spectrum(self, which: Observable) -> np.ndarray | None:
        """Eigenvalues of O_0, increasing, if the engine has them cached; else ``None``."""
        return None
