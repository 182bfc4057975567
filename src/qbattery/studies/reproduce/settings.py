"""Settings, tolerances and result types of ``qbattery reproduce``."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np
import xarray as xr

#: relative tolerance of "closed form vs numerics" and of saturation checks
RTOL = 1e-9
#: a bound holds if value ≥ bound − τ · max(1, |bound|) with τ = max(BOUND_TOL, EPS_COND · κ),
#: κ the condition number of value and bound at that time (rounding of exact saturation)
BOUND_TOL = 1e-9
#: ten times the double-precision unit roundoff: rounding error per unit condition number
EPS_COND = 10 * float(np.finfo(float).eps)
#: values below this fraction of a variable's scale are compared absolutely (see below)
FLOOR = 1e-3
#: the floor of the Eq. (5) bounds in :func:`max_relative_error` (see there)
BOUND_FLOOR = 1.0
#: points whose condition number exceeds this are not compared (double precision would
#: leave fewer than 10 significant digits there); their number is reported
COND_MAX = 1e6
#: relative gap below which a bound counts as saturated in the paper's claims
SATURATION_GAP = 1e-6

PASS, FAIL, HOLDS, DOES_NOT_HOLD = "PASS", "FAIL", "holds", "does not hold"


@dataclass(frozen=True)
class Settings:
    """Models, parameters and time grids of :func:`reproduce` (``PAPER`` or ``QUICK``).

    Examples
    --------
    >>> PAPER.fig1_N, PAPER.fig1_k, PAPER.fig2_N, PAPER.fig2_s  # captions of Figs. 1-3
    (12, (2, 3, 4), 10, (2, 3, 4))
    >>> Settings(ntimes=5).times(1.0).tolist()
    [0.0, 0.25, 0.5, 0.75, 1.0]
    """

    fig1_N: int = 12
    fig1_k: tuple[int, ...] = (2, 3, 4)
    fig1_omega0: float = 1.0
    fig1_Omega0: float = 1.0
    fig1_tmax: float = 10.0
    fig2_N: int = 10
    fig2_s: tuple[int, ...] = (2, 3, 4)
    fig2_omega0: float = 2.0
    fig2_Omega: float = 1.0
    fig2_tmax: float = 12.0
    qubit_omega0: float = 1.0
    qubit_Omega0: float = 1.0
    qubit_tmax: float = 1.5
    ntimes: int = 401

    def times(self, tmax: float) -> np.ndarray:
        """``ntimes`` evenly spaced times in [0, tmax] (t = 0 included)."""
        return np.linspace(0.0, tmax, self.ntimes)


#: the paper's settings (captions of Figs. 1-3)
PAPER = Settings()
#: small systems for tests and a first look: seconds instead of minutes
QUICK = Settings(fig1_N=8, fig2_N=6, ntimes=121)


@dataclass(frozen=True)
class Row:
    """One row of the table: a check (PASS/FAIL) or a claim (holds / does not hold).

    Examples
    --------
    >>> check = Row("check", "𝒩^W𝒩^P = k²/N²", "Eq. (9)", "kbody(N=4, k=2)", "t > 0",
    ...             "max rel. deviation 2e-03", FAIL)
    >>> claim = Row("claim", "𝒩^P increases with k", "Sec. IV.A", "kbody(N=4, k=1,2)",
    ...             "(0, 1]", "", DOES_NOT_HOLD)
    >>> check.failed, claim.failed  # a claim that does not hold is a finding
    (True, False)
    """

    kind: Literal["check", "claim"]
    what: str
    paper: str
    data: str
    window: str
    numbers: str
    result: str

    @property
    def failed(self) -> bool:
        """Whether this is a check that failed."""
        return self.kind == "check" and self.result != PASS


@dataclass
class Report:
    """What :func:`reproduce` computed, checked and wrote.

    Examples
    --------
    >>> from dataclasses import replace
    >>> row = Row("check", "x", "Eq. (9)", "d", "t > 0", "", PASS)
    >>> report = Report(QUICK, {}, rows=[row])
    >>> report.passed
    True
    >>> report.rows.append(replace(row, result=FAIL))
    >>> report.passed
    False
    """

    settings: Settings
    datasets: dict[str, xr.Dataset]
    rows: list[Row] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    wall_time_s: float = float("nan")

    @property
    def passed(self) -> bool:
        """True when every check row is PASS (claims never fail the run)."""
        return not any(row.failed for row in self.rows)
