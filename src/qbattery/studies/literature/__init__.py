"""``qbattery literature``: the canonical quantum-battery results, checked (issue 17).

Each row of the table gives the paper, its claim (with the quantity it plots), our
reading, our numbers and whether the claim holds: Binder/Campaioli (k-body Γ = k),
Ferraro (Dicke N^{3/2}), Le et al. (XXZ), Rossini et al. (SYK), Andolina et al.
(ergotropy), Talkner–Lutz–Hänggi (TPM), Farina et al. (open, charger-mediated).
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from pathlib import Path

import pandas as pd

from qbattery.studies.literature.common import FAILS, HOLDS, Check, fit_exponent
from qbattery.studies.literature.figures import write_figures
from qbattery.studies.literature.open_rows import farina
from qbattery.studies.literature.power_rows import binder_campaioli, ferraro, le
from qbattery.studies.literature.statistics_rows import andolina, rossini, talkner_lutz_hanggi

__all__ = ["FAILS", "HOLDS", "ROWS", "Check", "fit_exponent", "literature", "run_checks"]

#: the rows, in table order
ROWS: tuple[Callable[[bool], Check], ...] = (
    binder_campaioli,
    ferraro,
    le,
    rossini,
    andolina,
    talkner_lutz_hanggi,
    farina,
)
#: columns of the table and of checks.csv
COLUMNS = ("paper", "claim", "reading", "ours", "verdict")


def run_checks(quick: bool = False, only: tuple[str, ...] | None = None) -> list[Check]:
    """Compute the rows (all, or those whose key is in ``only``).

    Examples
    --------
    >>> from qbattery.studies.literature import run_checks
    >>> [row] = run_checks(quick=True, only=("talkner_lutz_hanggi",))
    >>> row.holds
    True
    """
    rows = [row for row in ROWS if only is None or row.__name__ in only]
    return [row(quick) for row in rows]


def literature(
    out: Path | None = None,
    quick: bool = False,
    *,
    only: tuple[str, ...] | None = None,
) -> pd.DataFrame:
    """Check the canonical quantum-battery results; write figures, NetCDF and checks.csv.

    Parameters
    ----------
    out : Path or None
        Directory for ``literature_<row>.png``, ``literature_<row>.nc`` and
        ``checks.csv`` (created if missing); ``None`` writes nothing.
    quick : bool
        Small sizes (seconds), for tests and a first look.
    only : tuple of str, optional
        Row keys to run (function names: ``ferraro``, ``rossini``, …).

    Returns
    -------
    pandas.DataFrame
        One row per check, indexed by key, with columns paper, claim, reading, ours and
        verdict ("holds" / "does not hold").

    Examples
    --------
    >>> table = literature(quick=True, only=("binder_campaioli",))
    >>> table.loc["binder_campaioli", "verdict"]
    'holds'
    """
    checks = run_checks(quick, only)
    table = pd.DataFrame(
        [[getattr(c, col) for col in COLUMNS] for c in checks],
        columns=list(COLUMNS),
        index=pd.Index([c.key for c in checks], name="key"),
    )
    if out is not None:
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        for check in checks:
            check.data.to_netcdf(out / f"literature_{check.key}.nc")
        write_figures(checks, out)
        with open(out / "checks.csv", "w", newline="", encoding="utf-8") as fh:
            writer = csv.writer(fh)
            writer.writerow(["key", *COLUMNS])
            for key, row in table.iterrows():
                writer.writerow([key, *row.tolist()])
    return table
