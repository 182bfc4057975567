"""Writing ``qbattery reproduce``: the figures and their data, ``checks.csv`` and the
table."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import fields
from pathlib import Path
from typing import Any

import xarray as xr

from qbattery import plotting
from qbattery._dataset import (
    FIDELITY,
    NSR_PRODUCT,
    POWER_BOUND,
    POWER_MEAN,
    POWER_NSR,
    POWER_VAR,
    TRADEOFF_BOUND,
    WORK_BOUND,
    WORK_MEAN,
    WORK_NSR,
    WORK_VAR,
)
from qbattery.studies.reproduce.settings import (
    DOES_NOT_HOLD,
    FAIL,
    HOLDS,
    PASS,
    Report,
    Row,
)

#: variables drawn in each figure (written to its NetCDF file)
FIGURE_VARIABLES: dict[str, tuple[str, ...]] = {
    "fig1": (WORK_MEAN, POWER_MEAN, WORK_VAR, POWER_VAR, WORK_NSR, POWER_NSR,
             WORK_BOUND, POWER_BOUND),
    "fig2": (POWER_MEAN, POWER_NSR, WORK_MEAN, WORK_NSR, NSR_PRODUCT,
             TRADEOFF_BOUND),
    "fig3": (WORK_VAR, POWER_VAR, FIDELITY),
}  # fmt: skip
CAPTIONS: dict[str, str] = {
    "fig1": "Fig. 1: k-body charging (Eq. 7); (a) means, (b) variances, (c) NSRs with the "
    "Eq. (5) bounds",
    "fig2": "Fig. 2: Ising-like s-body charging (Eq. 10); (a) power and its NSR, (b) work "
    "and its NSR, (c) NSR product with the Eq. (6) bound",
    "fig3": "Fig. 3: Ising-like s-body charging; (a) work variance, (b) power variance, "
    "(c) fidelity",
}


def figure_data(data: dict[str, xr.Dataset]) -> dict[str, xr.Dataset]:
    """The Dataset behind each figure: its drawn variables, dimension ``k`` or ``s``.

    Examples
    --------
    >>> from qbattery.studies.reproduce import Settings, compute
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> figures = figure_data(compute(tiny, progress=False))
    >>> sorted(figures), list(figures["fig3"].data_vars)
    (['fig1', 'fig2', 'fig3'], ['work_var', 'power_var', 'fidelity'])
    >>> figures["fig2"].attrs["figure"].startswith("Fig. 2: Ising-like")
    True
    """
    out = {}
    for fig, source in (("fig1", data["fig1"]), ("fig2", data["fig2"]), ("fig3", data["fig2"])):
        ds = source[list(FIGURE_VARIABLES[fig])]
        ds.attrs = {**source.attrs, "figure": CAPTIONS[fig]}
        out[fig] = ds
    return out


def write_figures(data: dict[str, xr.Dataset], out: Path) -> list[Path]:
    """Write fig1-3 as PNG, PDF and NetCDF into ``out``; return the paths.

    Examples
    --------
    >>> import tempfile
    >>> from qbattery.studies.reproduce import Settings, compute
    >>> tiny = Settings(fig1_N=4, fig1_k=(1, 2), fig2_N=4, fig2_s=(2, 3), ntimes=21)
    >>> data = compute(tiny, progress=False)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     files = write_figures(data, Path(tmp))
    ...     with xr.open_dataset(Path(tmp) / "fig1.nc") as fig1:
    ...         same = bool(fig1.work_nsr.equals(data["fig1"].work_nsr))
    >>> sorted(f.name for f in files)[:4], len(files), same
    (['fig1.nc', 'fig1.pdf', 'fig1.png', 'fig2.nc'], 9, True)
    """
    out.mkdir(parents=True, exist_ok=True)
    builders = {"fig1": plotting.figure1, "fig2": plotting.figure2, "fig3": plotting.figure3}
    files = []
    for name, ds in figure_data(data).items():
        drawn = builders[name](ds)
        files += plotting.save(drawn, out / name, formats=("png", "pdf"))
        path = out / f"{name}.nc"
        ds.to_netcdf(path)
        files.append(path)
    return files


#: column names of ``checks.csv``, in order (the fields of :class:`Row`)
CSV_COLUMNS = tuple(f.name for f in fields(Row))


def write_csv(rows: Sequence[Row], path: Path) -> Path:
    """Write the table as CSV (one header line, columns :data:`CSV_COLUMNS`).

    Examples
    --------
    >>> import tempfile
    >>> row = Row("check", "x", "Eq. (9)", "kbody(N=4, k=2)", "t > 0", "1e-15", PASS)
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     lines = write_csv([row], Path(tmp) / "checks.csv").read_text().splitlines()
    >>> print("\\n".join(lines))
    kind,what,paper,data,window,numbers,result
    check,x,Eq. (9),"kbody(N=4, k=2)",t > 0,1e-15,PASS
    """
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(CSV_COLUMNS)
        for row in rows:
            writer.writerow([getattr(row, c) for c in CSV_COLUMNS])
    return path


def print_table(report: Report, console: Any = None) -> None:
    """Print the table with rich (to standard output by default).

    Examples
    --------
    >>> import io
    >>> from rich.console import Console
    >>> rows = [Row("check", "x", "Eq. (9)", "d", "t > 0", "", PASS),
    ...         Row("claim", "y", "Sec. IV.A", "d", "t > 0", "", DOES_NOT_HOLD)]
    >>> console = Console(file=io.StringIO(), width=120)
    >>> from qbattery.studies.reproduce import QUICK
    >>> print_table(Report(QUICK, {}, rows=rows, wall_time_s=0.5), console)
    >>> console.file.getvalue().splitlines()[-1]
    'checks: 1/1 PASS; paper claims: 0/1 hold (0.5 s)'
    """
    from rich.console import Console
    from rich.table import Table

    console = console or Console(width=None if Console().is_terminal else 160)
    table = Table(title="qbattery reproduce: checks of our numbers and the paper's claims")
    for column, style in (
        ("kind", "dim"),
        ("what", ""),
        ("paper", "dim"),
        ("data", ""),
        ("window", ""),
        ("numbers", ""),
        ("result", "bold"),
    ):
        table.add_column(column, style=style, overflow="fold")
    colors = {PASS: "green", FAIL: "red", HOLDS: "green", DOES_NOT_HOLD: "yellow"}
    for row in report.rows:
        cells = [getattr(row, c) for c in CSV_COLUMNS]
        cells[-1] = f"[{colors.get(row.result, 'white')}]{row.result}[/]"
        table.add_row(*cells)
    console.print(table)
    n_checks = sum(r.kind == "check" for r in report.rows)
    n_fail = sum(r.failed for r in report.rows)
    n_claims = sum(r.kind == "claim" for r in report.rows)
    n_hold = sum(r.kind == "claim" and r.result == HOLDS for r in report.rows)
    console.print(
        f"checks: {n_checks - n_fail}/{n_checks} PASS; paper claims: {n_hold}/{n_claims} hold "
        f"({report.wall_time_s:.1f} s)"
    )
