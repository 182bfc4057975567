"""``qbattery sweep`` and ``qbattery design``: thin commands over :mod:`qbattery.sweep`
and :mod:`qbattery.design` (registered by :mod:`qbattery.cli`)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qbattery.cli import ProgressOption
from qbattery.errors import InvalidInputError

#: exit code when some grid points failed, or no protocol meets the design targets
EXIT_INCOMPLETE = 1


def _parse_value(text: str) -> Any:
    """'3' → 3, '2.5' → 2.5, 'true' → True, anything else stays a string."""
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text.strip()


def _pairs(option: str, items: list[str]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInputError(f"{option} takes NAME=VALUE, got {item!r}")
        out[name.strip()] = _parse_value(value)
    return out


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

    picks = _pairs("--select", select or [])
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
        from qbattery.plotting_sweep import sweep_figure

        ds = report.dataset
        unknown = sorted(set(picks) - set(ds["status"].dims))
        if unknown:
            raise InvalidInputError(
                f"--select names {unknown}, which are not grid axes {list(ds['status'].dims)}"
            )
        try:
            part = ds.sel(picks)
        except KeyError as exc:
            raise InvalidInputError(f"--select value not on the grid: {exc}") from exc
        left = [d for d in part["status"].dims if part.sizes[d] > 1]
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


def design_command(
    N: Annotated[int, typer.Argument(min=1, help="Number of cells N.", show_default=False)],
    family: Annotated[
        str,
        typer.Option(
            "--family",
            help="Model family: kbody (chooses k, exact closed form) or ising (chooses s, "
            "by a sweep).",
        ),
    ] = "kbody",
    max_power_nsr: Annotated[
        float | None,
        typer.Option(
            "--max-power-nsr",
            help="Largest allowed power NSR (Eq. 4) at the charging time.",
            show_default=False,
        ),
    ] = None,
    max_work_nsr: Annotated[
        float | None,
        typer.Option(
            "--max-work-nsr",
            help="Largest allowed work NSR (Eq. 4) at the charging time.",
            show_default=False,
        ),
    ] = None,
    max_time: Annotated[
        float | None,
        typer.Option(
            "--max-time",
            help="Longest allowed charging time; for ising also the end of the time grid "
            "(required there).",
            show_default=False,
        ),
    ] = None,
    num_times: Annotated[
        int,
        typer.Option("--num-times", min=2, help="Times in the grid of a sweep design (ising)."),
    ] = 121,
    values: Annotated[
        str | None,
        typer.Option(
            "--values",
            help="Comma-separated k (or s) to consider, e.g. 1,2,3,6 (default 1..N).",
            show_default=False,
        ),
    ] = None,
    param: Annotated[
        list[str] | None,
        typer.Option(
            "--param",
            "-p",
            help="NAME=VALUE of another model parameter (repeatable), e.g. -p omega0=2 "
            "-p Omega0=0.5 (kbody) or -p variant=tfim (ising).",
            show_default=False,
        ),
    ] = None,
    figure: Annotated[
        Path | None,
        typer.Option(
            "--figure",
            "-f",
            help="Heat maps and Pareto fronts with the choice marked (.png, .pdf); default "
            "design-FAMILY-N.png.",
            show_default=False,
        ),
    ] = None,
    no_figure: Annotated[bool, typer.Option("--no-figure", help="Only print the answer.")] = False,
    scheduler: Annotated[
        str | None,
        typer.Option(
            "--scheduler",
            help="For sweep designs: tcp://HOST:PORT of a Dask scheduler, or 'local' for a "
            "local cluster; default: compute in this process.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Find the protocol (k or s, and charging time t) with the largest mean power that
    meets the NSR targets; print it and draw the Pareto fronts.

    Exit code 1, with the best achievable values, if no protocol meets the targets.
    """
    import numpy as np

    from qbattery.design import InfeasibleTargetError, design

    chosen_values = None
    if values is not None:
        try:
            chosen_values = [int(v) for v in values.split(",") if v.strip()]
        except ValueError as exc:
            raise InvalidInputError(f"--values takes integers like 1,2,3, got {values!r}") from exc
    times = None
    if family != "kbody" and max_time is None:
        raise InvalidInputError(
            f"--family {family} is designed from a sweep over times up to --max-time; give "
            "--max-time (and optionally --num-times)"
        )
    if family != "kbody" and max_time is not None:
        times = np.linspace(0.0, max_time, num_times + 1)[1:]
    client: Any = "serial" if scheduler is None else (None if scheduler == "local" else scheduler)
    try:
        result = design(
            N,
            family,
            max_power_nsr=max_power_nsr,
            max_work_nsr=max_work_nsr,
            max_time=max_time,
            values=chosen_values,
            params=_pairs("--param", param or []),
            times=times,
            client=client,
        )
        code = 0
    except InfeasibleTargetError as exc:
        result = exc.design
        code = EXIT_INCOMPLETE
    typer.echo(result.summary())
    if not no_figure:
        from qbattery.plotting_sweep import design_figure

        path = figure or Path(f"design-{family}-{N}.png")
        design_figure(result).savefig(path)
        typer.echo(f"wrote {path}")
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``sweep`` and ``design`` to the ``qbattery`` app."""
    app.command("sweep")(sweep_command)
    app.command("design")(design_command)
