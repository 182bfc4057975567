"""``qbattery sweep CONFIG.toml``: a thin command over :func:`qbattery.sweep.run_config`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbattery._dataset import STATUS
from qbattery.cli.common import EXIT_INCOMPLETE, ProgressOption, parse_pairs
from qbattery.errors import InvalidInputError


def sweep_command(
    config: Annotated[
        Path,
        typer.Argument(
            help="TOML file with [sweep] (model, engine, ...), [grid], [params] and "
            "[times]; see docs/sweeps.md and examples/sweep-kbody.toml.",
            show_default=False,
        ),
    ],
    store: Annotated[
        str | None,
        typer.Option(
            "--store",
            "-s",
            help="Zarr store for the results (default: the config's `store`, else "
            "CONFIG-NAME.zarr here). An existing store of the same sweep is resumed.",
            show_default=False,
        ),
    ] = None,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="Address of a running Dask scheduler (tcp://HOST:PORT), or 'serial' to "
            "compute in this process; default: start a local cluster.",
            show_default=False,
        ),
    ] = None,
    workers: Annotated[
        int | None,
        typer.Option(
            "--workers",
            "-w",
            min=1,
            help="Workers of the local cluster (default: one per core).",
            show_default=False,
        ),
    ] = None,
    retry_failed: Annotated[
        bool,
        typer.Option(
            "--retry-failed",
            help="Compute again the points stored as failed (invalid points never are).",
        ),
    ] = False,
    figure: Annotated[
        Path | None,
        typer.Option(
            "--figure",
            "-f",
            help="Heat maps of power and both NSRs over (parameter, t) (.png, .pdf); needs "
            "one grid axis after --select.",
            show_default=False,
        ),
    ] = None,
    select: Annotated[
        list[str] | None,
        typer.Option(
            "--select",
            help="AXIS=VALUE: the slice of the grid drawn by --figure (repeat for several "
            "axes), e.g. --select N=9 --select Omega0=1.0.",
            show_default=False,
        ),
    ] = None,
    progress: ProgressOption = None,
) -> None:
    """Run a parameter sweep on Dask, writing each finished point to a Zarr store.

    Rerunning the same command resumes: only missing points are computed. Exit code 1
    if some grid points failed (they are listed; --retry-failed computes them again).
    """
    from qbattery.sweep import run_config

    picks = parse_pairs("--select", select or [])
    if picks and figure is None:
        raise InvalidInputError("--select only chooses the slice drawn by --figure; add --figure")
    report = run_config(
        config,
        store=store,
        scheduler=scheduler,
        workers=workers,
        retry_failed=retry_failed or None,
        progress=progress,
    )
    typer.echo(report.summary())
    if figure is not None:
        from qbattery.plotting import sweep_figure

        ds = report.dataset
        unknown = sorted(set(picks) - set(ds[STATUS].dims))
        if unknown:
            raise InvalidInputError(
                f"--select names {unknown}, which are not grid axes {list(ds[STATUS].dims)}"
            )
        try:
            part = ds.sel(picks)
        except KeyError as exc:
            raise InvalidInputError(f"--select value not on the grid: {exc}") from exc
        left = [d for d in part[STATUS].dims if part.sizes[d] > 1]
        if len(left) != 1:
            raise InvalidInputError(
                f"--figure draws one grid axis against time, but {left} remain; pick values "
                "of the others with --select AXIS=VALUE"
            )
        fig = sweep_figure(part.squeeze(drop=True))
        fig.savefig(figure)
        typer.echo(f"wrote {figure}")
    if report.failed:
        raise typer.Exit(EXIT_INCOMPLETE)


def register(app: typer.Typer) -> None:
    """Add ``qbattery sweep`` to the ``qbattery`` app."""
    app.command("sweep")(sweep_command)
