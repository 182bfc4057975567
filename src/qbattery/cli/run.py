"""``qbattery run CONFIG.toml``: a thin command over :mod:`qbattery.config`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbattery.cli.common import ProgressOption


def run_command(
    config: Annotated[
        Path,
        typer.Argument(
            help="TOML file naming a built-in model ([model]) or operator files "
            "([battery]), the [times] and [run] options; see docs/cli.md.",
            show_default=False,
        ),
    ],
    out: Annotated[
        Path | None,
        typer.Option(
            "--out",
            "-o",
            help="NetCDF file to write (overrides [run] output; relative to the current "
            "directory).",
            show_default=False,
        ),
    ] = None,
    figure: Annotated[
        Path | None,
        typer.Option(
            "--figure",
            "-f",
            help="Figure of the 13 quantities (.png, .pdf, .svg; overrides [run] figure).",
            show_default=False,
        ),
    ] = None,
    no_figure: Annotated[
        bool,
        typer.Option("--no-figure", help="Write only the NetCDF file, no figure."),
    ] = False,
    engine: Annotated[
        str | None,
        typer.Option(
            "--engine",
            "-e",
            help="Engine (auto, dense, ...); overrides [run] engine.",
            show_default=False,
        ),
    ] = None,
    optima: Annotated[
        bool | None,
        typer.Option(
            "--optima/--no-optima",
            help="Also find the optimal charging time τ* (max average power) and the time "
            "of maximum power, with the NSRs and bounds there, into <out>_optima.nc "
            "(overrides [run] optima; default on).",
            show_default=False,
        ),
    ] = None,
    progress: ProgressOption = None,
) -> None:
    """Compute one battery described by a TOML file; write NetCDF and a figure."""
    from qbattery import config as config_mod

    cfg = config_mod.load_config(config)
    cfg = cfg.override(output=out, figure=figure, no_figure=no_figure, engine=engine, optima=optima)
    result = config_mod.run(cfg, progress=progress)
    typer.echo(result.summary())


def register(app: typer.Typer) -> None:
    """Add ``qbattery run`` to the ``qbattery`` app."""
    app.command("run")(run_command)
