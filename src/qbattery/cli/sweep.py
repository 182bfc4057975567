"""``qbattery sweep CONFIG.toml``: a thin command over :func:`qbattery.sweep.run_config`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from qbattery._dataset import STATUS
from qbattery.cli.common import EXIT_INCOMPLETE, Interrupted, ProgressOption, parse_pairs
from qbattery.errors import InvalidInputError


def sweep_command(
    config: Annotated[
        Path | None,
        typer.Argument(
            help="TOML file with [sweep] (model, engine, ...), [grid], [params], [times] "
            "and [cluster]; see docs/sweeps.md and examples/sweep-kbody.toml.",
            show_default=False,
        ),
    ] = None,
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
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run",
            help="Print the grid size, store size, memory per point and the batch job "
            "script of [cluster]; compute and submit nothing.",
        ),
    ] = False,
    status: Annotated[
        Path | None,
        typer.Option(
            "--status",
            help="Print the done/invalid/failed/pending counts of a sweep store and exit "
            "(no CONFIG needed).",
            show_default=False,
        ),
    ] = None,
    wait: Annotated[
        bool,
        typer.Option("--wait", help="Wait for a store in use by another sweep to be free."),
    ] = False,
    cluster: Annotated[
        str | None,
        typer.Option(
            "--cluster",
            help="Where the tasks run: local, scheduler, slurm, pbs or sge (overrides "
            "[cluster] kind; batch systems need qbattery[hpc]).",
            show_default=False,
        ),
    ] = None,
    queue: Annotated[
        str | None,
        typer.Option("--queue", "--partition", help="Batch queue / partition.", show_default=False),
    ] = None,
    account: Annotated[
        str | None, typer.Option("--account", help="Batch account.", show_default=False)
    ] = None,
    cores: Annotated[
        int | None,
        typer.Option("--cores", help="Cores (= workers) per batch job.", show_default=False),
    ] = None,
    memory: Annotated[
        str | None,
        typer.Option("--memory", help="Memory per batch job, e.g. 16GB.", show_default=False),
    ] = None,
    walltime: Annotated[
        str | None,
        typer.Option("--walltime", help="Walltime per job, HH:MM:SS.", show_default=False),
    ] = None,
    jobs: Annotated[
        int | None,
        typer.Option("--jobs", help="Number of batch jobs.", show_default=False),
    ] = None,
) -> None:
    """Run a parameter sweep on Dask, writing each finished point to a Zarr store.

    Rerunning the same command resumes: only missing points are computed. Exit code 1
    if some grid points failed (they are listed; --retry-failed computes them again).
    """
    from qbattery.sweep import run_config

    if status is not None:
        from qbattery.sweep.dryrun import status_counts

        counts = status_counts(status)
        typer.echo(", ".join(f"{n} {name}" for name, n in counts.items()) + f" ({status})")
        return
    if config is None:
        raise InvalidInputError("missing CONFIG: give a sweep config file (or --status STORE)")
    given = {
        "kind": cluster,
        "queue": queue,
        "account": account,
        "cores": cores,
        "memory": memory,
        "walltime": walltime,
        "jobs": jobs,
    }
    cluster_cfg = None
    if dry_run or any(v is not None for v in given.values()):
        from qbattery.sweep import load_config
        from qbattery.sweep.cluster_config import override

        loaded = load_config(config)
        cluster_cfg = loaded.cluster
        if any(v is not None for v in given.values()):
            cluster_cfg = override(cluster_cfg, "command line", given)
        if dry_run:
            from qbattery.sweep.dryrun import dry_run as describe

            target = store or loaded.store or f"{config.stem}.zarr"
            typer.echo(describe(loaded.spec(), target, cluster_cfg))
            return
    picks = parse_pairs("--select", select or [])
    if picks and figure is None:
        raise InvalidInputError("--select only chooses the slice drawn by --figure; add --figure")
    if figure is not None:  # the format, before anything is computed
        from qbattery._toml import check_figure_path

        check_figure_path(figure, "--figure")
    try:
        report = run_config(
            config,
            store=store,
            scheduler=scheduler,
            workers=workers,
            retry_failed=retry_failed or None,
            progress=progress,
            cluster=cluster_cfg,
            wait=wait,
        )
    except KeyboardInterrupt:
        raise Interrupted(_interrupted(config, store, scheduler)) from None
    typer.echo(report.summary())
    if figure is not None:
        from qbattery.plotting import sweep_figure

        ds = report.dataset
        unknown = sorted(set(picks) - set(ds[STATUS].dims))
        if unknown:
            raise InvalidInputError(
                f"--select names {unknown}, which are not grid axes {list(ds[STATUS].dims)}"
            )
        for axis, value in picks.items():
            on_grid = ds[axis].values.tolist()
            if value not in on_grid:
                raise InvalidInputError(
                    f"--select {axis}={value} is not on the grid; {axis} takes {on_grid}"
                )
        part = ds.sel(picks)
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


def _interrupted(config: Path, store: str | None, scheduler: str | None) -> str:
    """The line for Ctrl-C: how many points the store holds and the command to resume."""
    from qbattery.sweep import load_config, open_sweep

    try:
        target = store or load_config(config).store or f"{config.stem}.zarr"
        status = open_sweep(target)[STATUS].values
        saved = f"{int((status != 0).sum())} of {status.size} points are saved in {target}"
    except Exception:  # the store may not exist yet, or be mid-creation
        target = store or f"{config.stem}.zarr"
        saved = f"no point is saved in {target} yet"
    again = f"qbattery sweep {config} --store {target}"
    if scheduler is not None:
        again += f" --scheduler {scheduler}"
    return f"interrupted (Ctrl-C); {saved}; resume with: {again}"


def register(app: typer.Typer) -> None:
    """Add ``qbattery sweep`` to the ``qbattery`` app."""
    app.command("sweep")(sweep_command)
