"""``qbattery gallery``: a thin command over :func:`qbattery.studies.gallery.run_gallery`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbattery.studies.gallery import SPECS, run_gallery

HELP = (
    "Power and its NSR against the number of cells for the literature models "
    "(Dicke, Tavis-Cummings, Heisenberg/XXZ, SYK), with the paper's k-body "
    "scaling for comparison, and the work/power distribution over time. Writes "
    "PNG/PDF figures, NetCDF data and exponents.csv."
)


def gallery_command(
    out: Annotated[Path, typer.Option("--out", help="Directory for the figures and data.")] = Path(
        "results/gallery"
    ),
    model: Annotated[
        list[str] | None,
        typer.Option(
            "--model",
            help=f"Only these models (repeat the option); default all of {sorted(SPECS)}.",
        ),
    ] = None,
    quick: Annotated[
        bool, typer.Option("--quick", help="Few, small sizes (a smoke test in seconds).")
    ] = False,
    progress: Annotated[
        bool | None,
        typer.Option("--progress/--no-progress", help="Progress bar on a terminal."),
    ] = None,
) -> None:
    paths = run_gallery(out, models_=model, quick=quick, progress=progress)
    typer.echo(f"wrote {len(paths)} files to {out}")


def register(app: typer.Typer) -> None:
    """Add ``qbattery gallery`` to the ``qbattery`` app.

    Examples
    --------
    >>> app = typer.Typer()
    >>> register(app)
    >>> [command.name for command in app.registered_commands]
    ['gallery']
    """
    app.command("gallery", help=HELP)(gallery_command)
