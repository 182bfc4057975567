r"""The designer: the most powerful charging protocol that meets reliability targets.

The paper's design rule (Sec. IV–V): more non-local charging (larger k, or longer
strings s) gives more power but less reliable power, and more reliable work.
:func:`design` turns it into numbers: for N cells of a model family it finds the
protocol — interaction order k (or string length s) and charging time t — that
maximises the mean power ⟨𝒫_t⟩ (Eq. 2, A6) — or, with ``objective="average_power"``,
the field's average power ⟨𝒲_t⟩/t — subject to

.. math:: \mathcal N^P_t \le \text{max\_power\_nsr},\qquad
          \mathcal N^W_t \le \text{max\_work\_nsr},\qquad t \le \text{max\_time}.

For ``kbody`` the answer is exact, from the closed forms (Eq. 8, E3–E7, and the
:ref:`remainder block <readings-remainder>`). With x = Ω_k t, Ω_k = (k/N)Ω0 and
c_k = S₂/N² (S₂ = nk² + r²),

.. math:: \langle\mathcal P_t\rangle = N\Omega_k\omega_0\sin 2x,\quad
          \mathcal N^P_t = c_k\tan^2 x,\quad \mathcal N^W_t = c_k\cot^2 x,

so on the charging half-period 0 < x < π/2 the targets confine x to
[arctan √(c_k/max_work_nsr), arctan √(max_power_nsr/c_k)] (and x ≤ Ω_k max_time), and
the power is largest at the point of that interval nearest to x = π/4 (the average
power NΩ_kω0 sin²x/x: nearest to x*, tan x* = 2x*). The best k is
found by comparing these optima over every k. Both targets can be met only if
c_k² ≤ max_power_nsr · max_work_nsr (Eq. 9: 𝒩^W𝒩^P = c_k² ≥ 1/N²).

Any other model is designed from a sweep (:func:`qbattery.sweep`) over the family's
parameter and a grid of times; the answer is then the best grid point.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from qbattery._checks import check_int, check_real
from qbattery.errors import InvalidInputError
from qbattery.studies.design.closed_form import design_kbody
from qbattery.studies.design.from_sweep import design_sweep
from qbattery.studies.design.result import (
    FAMILY_PARAMETER,
    OBJECTIVES,
    TABLE_MAX_ROWS,
    TABLE_TIMES,
    TABLE_VARIABLES,
    Design,
    InfeasibleTargetError,
    feasible_mask,
    infeasible_message,
    pareto_front,
)

if TYPE_CHECKING:
    from distributed import Client


def _positive(name: str, value: float | None) -> float | None:
    if value is None:
        return None
    v = check_real(name, value)
    if v <= 0:
        raise InvalidInputError(f"`{name}` must be positive, got {value!r}")
    return v


def _values(parameter: str, values: Sequence[int] | None, N: int) -> np.ndarray:
    if values is None:
        return np.arange(1, N + 1)
    vals = sorted({check_int(parameter, v, 1, N) for v in values})
    if not vals:
        raise InvalidInputError(f"`values` of {parameter} is empty; give at least one")
    return np.asarray(vals)


def design(
    N: int,
    family: str = "kbody",
    *,
    max_power_nsr: float | None = None,
    max_work_nsr: float | None = None,
    max_time: float | None = None,
    values: Sequence[int] | None = None,
    params: Mapping[str, Any] | None = None,
    times: Any = None,
    method: str = "auto",
    client: Client | str | None = "serial",
    store: str | None = None,
    engine: str = "auto",
    objective: str = "power_mean",
) -> Design:
    """Find the charging protocol (k or s, and t) with the largest mean (or average) power.

    Parameters
    ----------
    N : int
        Number of cells.
    family : {"kbody", "ising"}
        Model family; the designer chooses k (kbody) or s (ising).
    max_power_nsr, max_work_nsr : float, optional
        Reliability targets: upper limits on 𝒩^P_t and 𝒩^W_t (Eq. 4).
    max_time : float, optional
        Longest allowed charging time.
    values : sequence of int, optional
        The k (or s) to consider; default 1…N.
    params : mapping, optional
        Other model parameters (kbody: ``omega0``, ``Omega0``; ising: ``omega0``,
        ``Omega``, ``variant``, ...).
    times : array_like, optional
        Times of the sweep (required for sweep designs); for the closed form, the times
        of the table used for plots (default: 801 times over the k = min(values)
        half-period, or up to ``max_time``).
    method : {"auto", "closed form", "sweep"}
        ``"auto"``: closed form for kbody, sweep otherwise.
    client, store, engine
        Passed to :func:`qbattery.sweep` for sweep designs (default: in this process).
    objective : {"power_mean", "average_power"}
        What to maximise: the mean power ⟨𝒫_t⟩ (Eq. 2) or the average power ⟨𝒲_t⟩/t
        (kbody: exact, at Ω_kt = x* where the targets allow it).

    Returns
    -------
    Design
        The answer, its figures of merit and the table it was chosen from.

    Raises
    ------
    InfeasibleTargetError
        If no protocol meets the targets; its message and ``.design.best`` give the
        best achievable values.

    Examples
    --------
    >>> import qbattery as qb
    >>> d = qb.design(12, max_power_nsr=0.1, max_work_nsr=0.5)
    >>> d.value, round(d.time, 4), round(d.power_mean, 4)
    (2, 3.9543, 1.9365)
    >>> bool(d.power_nsr <= 0.1 and d.work_nsr <= 0.5)
    True
    >>> a = qb.design(12, max_power_nsr=0.1, max_work_nsr=0.5, objective="average_power")
    >>> a.value, round(a.time, 4), round(a.average_power, 4)
    (2, 3.9543, 1.138)
    """
    if family not in FAMILY_PARAMETER:
        raise InvalidInputError(
            f"unknown family {family!r}; choose one of {sorted(FAMILY_PARAMETER)}"
        )
    N = check_int("N", N, 1)
    if objective not in OBJECTIVES:
        raise InvalidInputError(
            f"unknown objective {objective!r}; choose one of {sorted(OBJECTIVES)}"
        )
    parameter = FAMILY_PARAMETER[family]
    targets = {
        "max_power_nsr": _positive("max_power_nsr", max_power_nsr),
        "max_work_nsr": _positive("max_work_nsr", max_work_nsr),
        "max_time": _positive("max_time", max_time),
    }
    vals = _values(parameter, values, N)
    fixed = dict(params or {})
    if "N" in fixed or parameter in fixed:
        raise InvalidInputError(
            f"give N as the argument and {parameter} through `values`, not in `params`"
        )
    if method == "auto":
        method = "closed form" if family == "kbody" else "sweep"
    if method == "closed form":
        if family != "kbody":
            raise InvalidInputError(
                f"no closed form for family {family!r}; use method='sweep' (or 'auto')"
            )
        result = design_kbody(N, vals, targets, fixed, times, objective)
    elif method == "sweep":
        result = design_sweep(
            family, N, vals, targets, fixed, times, client, store, engine, objective
        )
    else:
        raise InvalidInputError(
            f"unknown method {method!r}; choose 'auto', 'closed form' or 'sweep'"
        )
    if not result.feasible:
        raise InfeasibleTargetError(infeasible_message(result), result)
    return result


__all__ = [
    "FAMILY_PARAMETER",
    "OBJECTIVES",
    "TABLE_MAX_ROWS",
    "TABLE_TIMES",
    "TABLE_VARIABLES",
    "Design",
    "InfeasibleTargetError",
    "design",
    "feasible_mask",
    "infeasible_message",
    "pareto_front",
]
