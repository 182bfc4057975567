"""Raw moments → the variables of a result: one step, shared by every engine.

:func:`quantities` applies :mod:`qbattery.statistics` (Eq. 2–4) and
:mod:`qbattery.bounds` (Eq. 5, 6, B8) to an engine's :class:`~qbattery.moments.Moments`
and its speed angles; ``qb.charge`` then builds the Dataset from the result.
"""

from __future__ import annotations

import numpy as np

from qbattery import bounds, statistics
from qbattery._dataset import (
    AVERAGE_POWER,
    FIDELITY,
    NSR_PRODUCT,
    POWER_NSR,
    TRADEOFF_BOUND,
    TRADEOFF_SUM_BOUND,
    WORK_NSR,
    var_name,
)
from qbattery.moments import OBSERVABLES, Moments

__all__ = ["quantities"]


def quantities(moments: Moments, angles: dict[str, np.ndarray | None]) -> dict[str, np.ndarray]:
    """All :ref:`variables <variables-table>`, ``*_f`` and ``tradeoff_sum_bound`` from moments.

    ``angles`` maps ``"work"``/``"power"`` to θ_t (Eq. 5), or ``None`` when the engine
    has no Fisher information: the angle and bound are then NaN.

    Examples
    --------
    >>> import numpy as np, qbattery as qb
    >>> eng = qb.engines.DenseEngine(qb.models.single_qubit())
    >>> t = np.array([0.3])
    >>> out = quantities(eng.moments(t), {"work": t, "power": None})
    >>> bool(np.isclose(out["work_bound"][0], 1 / np.tan(0.3) ** 2)), out["power_bound"].tolist()
    (True, [nan])
    """
    out: dict[str, np.ndarray] = {}
    nt = moments.times.size
    for which in OBSERVABLES:
        m = moments.observable(which)
        var = statistics.variance(m)
        out[var_name(which, "mean")] = m.mean
        out[var_name(which, "var")] = var
        out[var_name(which, "nsr")] = statistics.nsr(var, m.mean)
        f = bounds.correlation_term(m)
        out[var_name(which, "f")] = f
        angle = angles.get(which)
        if angle is None:
            out[var_name(which, "angle")] = np.full(nt, np.nan)
            out[var_name(which, "bound")] = np.full(nt, np.nan)
        else:
            out[var_name(which, "angle")] = angle
            out[var_name(which, "bound")] = bounds.nsr_bound(angle, f)
    out[NSR_PRODUCT] = statistics.nsr_product(out[WORK_NSR], out[POWER_NSR])
    out[TRADEOFF_BOUND] = bounds.tradeoff_bound(
        moments.work.mean, moments.power.mean, moments.cross
    )
    out[TRADEOFF_SUM_BOUND] = bounds.tradeoff_sum_bound(out[TRADEOFF_BOUND])
    out[FIDELITY] = moments.fidelity
    # ⟨W_t⟩/t; its t = 0 limit i⟨[H, H0]⟩_ρ0 is 0 when ρ0 lies in one H0 eigenspace
    work = moments.work
    scale = 1.0 + float(np.max(np.abs(work.mean), initial=0.0))
    rate0 = 0.0 if work.var0 <= 1e-24 * scale**2 else np.nan
    out[AVERAGE_POWER] = statistics.average_power(work.mean, moments.times, initial_rate=rate0)
    return out
