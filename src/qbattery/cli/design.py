"""``qbattery design N``: a thin command over :func:`qbattery.studies.design.design`, with the
figures of :func:`qbattery.plotting.design_figure`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from qbattery.cli.common import EXIT_INCOMPLETE, parse_pairs
from qbattery.errors import InvalidInputError


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
    objective: Annotated[
        str,
        typer.Option(
            "--objective",
            help="What to maximise: power_mean (the mean power <P_t>, Eq. 2) or "
            "average_power (<W_t>/t, the field's usual figure of merit).",
        ),
    ] = "power_mean",
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
    """Find the protocol (k or s, and charging time t) with the largest mean power (or
    average power, --objective average_power) that meets the NSR targets; print it and
    draw the Pareto fronts.

    Exit code 1, with the best achievable values, if no protocol meets the targets.
    """
    import numpy as np

    from qbattery._toml import check_figure_path
    from qbattery.studies.design import (
        FAMILY_PARAMETER,
        OBJECTIVES,
        InfeasibleTargetError,
        design,
    )

    if family not in FAMILY_PARAMETER:
        raise InvalidInputError(
            f"--family {family!r} is unknown; choose one of {sorted(FAMILY_PARAMETER)}"
        )
    if objective not in OBJECTIVES:
        raise InvalidInputError(
            f"--objective {objective!r} is unknown; choose one of {sorted(OBJECTIVES)}"
        )
    if not no_figure:  # checked before the design is computed
        figure = check_figure_path(figure or Path(f"design-{family}-{N}.png"), "--figure")
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
            params=parse_pairs("--param", param or []),
            times=times,
            client=client,
            objective=objective,
        )
        code = 0
    except InfeasibleTargetError as exc:
        result = exc.design
        code = EXIT_INCOMPLETE
    typer.echo(result.summary())
    if not no_figure:
        from qbattery.plotting import design_figure

        path = figure or Path(f"design-{family}-{N}.png")
        design_figure(result).savefig(path)
        typer.echo(f"wrote {path}")
    if code:
        raise typer.Exit(code)


def register(app: typer.Typer) -> None:
    """Add ``qbattery design`` to the ``qbattery`` app."""
    app.command("design")(design_command)
