"""``qbattery literature``: a thin command over :func:`qbattery.studies.literature.literature`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer


def literature_command(
    out: Annotated[
        Path,
        typer.Option(
            "--out",
            "-o",
            help="Directory for literature_<row>.png, literature_<row>.nc and checks.csv; "
            "created if missing.",
        ),
    ] = Path("results/literature"),
    quick: Annotated[
        bool,
        typer.Option(
            "--quick",
            help="Small sizes (k-body N=8, Dicke N≤8, SYK N≤8 with 4 samples): about a "
            "minute instead of many; for tests and a first look.",
        ),
    ] = False,
) -> None:
    """Check canonical quantum-battery results (Binder, Campaioli, Ferraro, Le, Rossini,
    Andolina, Talkner-Lutz-Hänggi) and print the table.

    Each row gives the paper, its claim, our reading, our numbers and whether the claim
    holds. A claim that does not hold at the sizes reached is reported, not a failure
    (exit code 0).
    """
    from qbattery.studies.literature import literature

    table = literature(out, quick)
    for key, row in table.iterrows():
        typer.echo(f"[{row['verdict']}] {key}: {row['paper']}\n    claim: {row['claim']}")
        typer.echo(f"    ours:  {row['ours']}")
    typer.echo(f"wrote checks.csv and literature_*.nc/.png to {out}")


def register(app: typer.Typer) -> None:
    """Add ``qbattery literature`` to the ``qbattery`` app."""
    app.command("literature")(literature_command)
