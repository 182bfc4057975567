r"""``qbattery reproduce``: the paper's Figs. 1-3, the data behind them, and a check table.

:func:`reproduce` computes, with :func:`qbattery.charge`,

* Fig. 1: ``kbody(N=12, k)`` for k = 2, 3, 4 (ω0 = Ω0 = 1), t ∈ [0, 10];
* Figs. 2-3: ``ising(N=10, s)`` for s = 2, 3, 4 (ω0 = 2, Ω = 1, Eq. 10 as read on
  :doc:`/readings`), t ∈ [0, 12];
* the single qubit of App. D (ω0 = Ω0 = 1), t ∈ [0, 1.5] (Ω0 t < π/2), for the checks;

writes ``fig1``, ``fig2``, ``fig3`` as PNG and PDF, the data behind each figure as
NetCDF (dimension ``k`` for Fig. 1, ``s`` for Figs. 2-3) and ``checks.csv``, and
returns a :class:`Report` of two kinds of rows:

**checks** of our numbers (PASS/FAIL; any FAIL makes ``qbattery reproduce`` exit 1):

* closed forms (:mod:`qbattery.analytic`) against the numerics, for the single qubit and
  for each k of Fig. 1: maximum relative error of the 13 variables, FAIL above 1e-9
  (how the error is measured: :func:`max_relative_error`);
* the Eq. (5) bounds, the Eq. (6) trade-off and its sum form hold on every computed
  Dataset, up to τ × max(1, |bound|), τ = max(``BOUND_TOL``, ``EPS_COND`` × κ) with κ
  the condition number of the values at that time (:func:`condition_numbers`);
* the single qubit saturates the work bound for 0 < Ω0 t < π/2 and the power bound
  for 0 < Ω0 t < π/4 (App. D; see docs/readings.md for π/4);
* Eq. (9): 𝒩^W 𝒩^P = k²/N² at every time (and (D4) = 1 for the single qubit);

**claims** of the paper (Sec. IV.A for Fig. 1, IV.B for Fig. 2, App. D/E), evaluated
on the computed data and reported as ``holds`` / ``does not hold`` with the time window
and the numbers; a claim that does not hold is a finding, not a failure. Trend claims
("X increases with k") are evaluated on the early-charging window (0, t_w], t_w the
first maximum of ⟨𝒫_t⟩ of the fastest battery (largest k or s), where the paper's
"ignoring the trigonometric factors" arguments apply; the table also gives the share
of the whole plotted range on which the ordering holds.
"""

from __future__ import annotations

import time as _time
from dataclasses import replace
from pathlib import Path

from qbattery.errors import InvalidInputError
from qbattery.studies.reproduce.checks import checks
from qbattery.studies.reproduce.claims import claims, first_peak_time
from qbattery.studies.reproduce.compute import compute, concat_runs
from qbattery.studies.reproduce.precision import (
    Comparison,
    condition_numbers,
    max_relative_error,
)
from qbattery.studies.reproduce.report import (
    CAPTIONS,
    CSV_COLUMNS,
    FIGURE_VARIABLES,
    figure_data,
    print_table,
    write_csv,
    write_figures,
)
from qbattery.studies.reproduce.settings import (
    BOUND_FLOOR,
    BOUND_TOL,
    COND_MAX,
    DOES_NOT_HOLD,
    EPS_COND,
    FAIL,
    FLOOR,
    HOLDS,
    PAPER,
    PASS,
    QUICK,
    RTOL,
    SATURATION_GAP,
    Report,
    Row,
    Settings,
)


def reproduce(
    out: str | Path,
    *,
    ntimes: int | None = None,
    quick: bool = False,
    engine: str = "dense",
    progress: bool | None = None,
) -> Report:
    """Compute, check and write everything of ``qbattery reproduce`` into ``out``.

    Parameters
    ----------
    out : path
        Output directory (created if missing).
    ntimes : int, optional
        Number of times per curve (default 401, or 121 with ``quick``).
    quick : bool
        Smaller systems (:data:`QUICK`: k-body N = 8, Ising N = 6).
    engine : str
        Engine of :func:`qbattery.charge` (default the exact dense engine).
    progress : bool or None
        Progress bar: ``None`` on a terminal only, ``False`` never.

    Returns
    -------
    Report
        ``report.passed`` is False when a check failed.

    Examples
    --------
    The quick settings on a coarse grid, with the structured engine (exact for both
    model families):

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     report = reproduce(tmp, quick=True, ntimes=11, engine="structured", progress=False)
    >>> report.passed, report.settings.fig1_N, report.settings.fig2_N, report.settings.ntimes
    (True, 8, 6, 11)
    >>> print(*sorted(f.name for f in report.files))
    checks.csv fig1.nc fig1.pdf fig1.png fig2.nc fig2.pdf fig2.png fig3.nc fig3.pdf fig3.png
    """
    started = _time.perf_counter()
    settings = QUICK if quick else PAPER
    if ntimes is not None:
        if ntimes < 3:
            raise InvalidInputError(f"`ntimes` must be ≥ 3, got {ntimes}; pass e.g. 401")
        settings = replace(settings, ntimes=int(ntimes))
    out = Path(out)
    if out.exists() and not out.is_dir():
        raise InvalidInputError(
            f"--out {str(out)!r} is a file; give a directory for the figures and data"
        )
    data = compute(settings, engine=engine, progress=progress)
    report = Report(settings, data)
    report.rows = checks(data, settings) + claims(data, settings)
    report.files = write_figures(data, out)
    report.files.append(write_csv(report.rows, out / "checks.csv"))
    report.wall_time_s = _time.perf_counter() - started
    return report


__all__ = [
    "BOUND_FLOOR",
    "BOUND_TOL",
    "CAPTIONS",
    "COND_MAX",
    "CSV_COLUMNS",
    "DOES_NOT_HOLD",
    "EPS_COND",
    "FAIL",
    "FIGURE_VARIABLES",
    "FLOOR",
    "HOLDS",
    "PAPER",
    "PASS",
    "QUICK",
    "RTOL",
    "SATURATION_GAP",
    "Comparison",
    "Report",
    "Row",
    "Settings",
    "checks",
    "claims",
    "compute",
    "concat_runs",
    "condition_numbers",
    "figure_data",
    "first_peak_time",
    "max_relative_error",
    "print_table",
    "reproduce",
    "write_csv",
    "write_figures",
]
