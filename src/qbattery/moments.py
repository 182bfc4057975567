"""What every engine returns: raw time-resolved moments of work and power (ground floor).

Conventions, with expectations in the initial state ρ0 and ``𝒪_t = O_t − O_0`` the
counting operator of an observable ``O_0`` (work ``W_0 = H0`` or power ``P_0``):

* ``mean``   = Tr(ρ0 𝒪_t)                                   (Eq. 2)
* ``second`` = Tr(ρ0 𝒪_t²)                                  (Eq. 3)
* ``cross0`` = Tr(ρ0 δO_0 𝒪_t), δO_0 = O_0 − Tr(ρ0 O_0)     (complex; gives cov(O_t, O_0))
* ``var0``   = Tr(ρ0 O_0²) − Tr(ρ0 O_0)²
* ``cross``  = Tr(ρ0 𝒫_t 𝒲_t)                               (complex; Eq. 6)
* ``fidelity`` = F(ρ0, ρ_t), squared (Uhlmann for mixed ρ0)
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

import numpy as np

Observable = Literal["work", "power"]
OBSERVABLES: tuple[Observable, Observable] = ("work", "power")


@dataclass(frozen=True)
class ObservableMoments:
    """Raw moments of one counting observable at the requested times.

    Attributes
    ----------
    mean : ndarray, shape (nt,)
        Tr(ρ0 𝒪_t).
    second : ndarray, shape (nt,)
        Tr(ρ0 𝒪_t²).
    cross0 : ndarray, shape (nt,), complex
        Tr(ρ0 δO_0 𝒪_t) with δO_0 = O_0 − ⟨O_0⟩.
    var0 : float
        Variance of O_0 in ρ0.
    var : ndarray, shape (nt,), optional
        (Δ𝒪_t)² computed directly by engines that can (structured engines), free of
        the cancellation in ``second − mean²`` when the variance is far below the
        squared mean (e.g. power at N = 10⁶); ``None`` means ``second − mean²``.

    Examples
    --------
    The work of the single qubit of App. D (ω0 = Ω0 = 1): (Δ𝒲_t)² = sin²(2t)/4 (D3).

    >>> import numpy as np, qbattery as qb
    >>> m = qb.engines.DenseEngine(qb.models.single_qubit()).moments(np.array([0.3]))
    >>> w = m.observable("work")
    >>> bool(np.isclose(w.second[0] - w.mean[0] ** 2, np.sin(0.6) ** 2 / 4, rtol=1e-12))
    True
    """

    mean: np.ndarray
    second: np.ndarray
    cross0: np.ndarray
    var0: float
    var: np.ndarray | None = None

    @classmethod
    def from_variance(
        cls, mean: np.ndarray, var: np.ndarray, cross0: np.ndarray, var0: float
    ) -> ObservableMoments:
        """Moments from a directly computed variance: ``second = mean² + var``, ``var`` kept.

        Examples
        --------
        >>> m = ObservableMoments.from_variance(np.array([2.0]), np.array([1e-20]),
        ...                                     np.zeros(1, complex), 0.0)
        >>> m.second.tolist(), m.var.tolist()
        ([4.0], [1e-20])
        """
        return cls(mean=mean, second=mean**2 + var, cross0=cross0, var0=var0, var=var)


@dataclass(frozen=True)
class Moments:
    """Everything an engine computes at the requested times.

    Attributes
    ----------
    times : ndarray, shape (nt,)
    work, power : ObservableMoments
    cross : ndarray, shape (nt,), complex
        Tr(ρ0 𝒫_t 𝒲_t).
    fidelity : ndarray, shape (nt,)
        F(ρ0, ρ_t) (squared fidelity).
    notes : dict
        variable name -> reason, for quantities the engine could not supply (NaN).

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> m = qb.engines.DenseEngine(qb.models.single_qubit()).moments(np.array([0.1, 0.3]))
    >>> m.times.tolist(), m.work.mean.shape, m.cross.dtype.kind
    ([0.1, 0.3], (2,), 'c')
    """

    times: np.ndarray
    work: ObservableMoments
    power: ObservableMoments
    cross: np.ndarray
    fidelity: np.ndarray
    notes: dict[str, str] = field(default_factory=dict)

    def observable(self, which: Observable) -> ObservableMoments:
        """Return the moments of ``"work"`` or ``"power"``."""
        return self.work if which == "work" else self.power
