"""``qbattery reproduce``: a thin command over :func:`qbattery.studies.reproduce.reproduce`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbattery.cli.common import EXIT_FAILED_CHECK, ProgressOption


def reproduce_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory for fig1/fig2/fig3 (.png, .pdf, .nc) and checks.csv; created "
            "if missing.",
        ),
    ] = Path("results/paper"),
    times: Annotated[
        int | None,
        typer.Option(
            "--times",
            "-n",
            min=3,
            help="Number of time points of each curve (default 401, or 121 with --quick).",
        ),
    ] = None,
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Smaller systems (k-body N=8, Ising N=6) and fewer times: seconds instead "
            "of minutes; for tests and a first look.",
        ),
    ] = False,
    engine: Annotated[
        str,
        typer.Option(
            "--engine",
            "-e",
            help="Engine for the numerics: dense (exact eigendecomposition, default) or "
            "any registered engine name, or auto.",
        ),
    ] = "dense",
    progress: ProgressOption = None,
) -> None:
    """Reproduce the paper's Figures 1-3 and print a table of checks and claims.

    Writes fig1/fig2/fig3 as PNG and PDF, the data behind each figure as NetCDF and the
    table as checks.csv. Exit code 1 if any check of our numbers FAILs; a paper claim
    that does not hold is reported, not a failure.
    """
    from qbattery.studies import reproduce

    report = reproduce.reproduce(out, ntimes=times, quick=quick, engine=engine, progress=progress)
    reproduce.print_table(report)
    typer.echo(f"wrote {', '.join(sorted(p.name for p in report.files))} to {out}")
    if not report.passed:
        raise typer.Exit(EXIT_FAILED_CHECK)


def register(app: typer.Typer) -> None:
    """Add ``qbattery reproduce`` to the ``qbattery`` app."""
    app.command("reproduce")(reproduce_command)
