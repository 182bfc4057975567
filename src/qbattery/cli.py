"""The ``qbattery`` command line: a thin typer app (parse → library → one-line errors).

Commands defined here: ``qbattery reproduce`` (the paper's figures and the check table,
:mod:`qbattery.reproduce`) and ``qbattery run CONFIG.toml`` (one battery from a TOML
file, :mod:`qbattery.config`). No physics lives in this file.

Adding a sub-command (sweep, design, scaling, gallery, ...)
------------------------------------------------------------
1. In your own module, define ``register(app: typer.Typer) -> None`` that adds your
   command(s) with ``@app.command("name", help=...)``; give every option a ``help=``
   text (``tests/test_cli.py`` checks that each option of each command is documented).
2. Keep that module light to import: import heavy or optional dependencies (dask,
   zarr, ...) inside the command function, because every module listed below is
   imported on each ``qbattery`` call, ``qbattery --help`` included.
3. Add the module's dotted name to :data:`COMMAND_MODULES` (a one-line edit).
4. For bad input raise :class:`qbattery.errors.QBatteryError` (or a subclass, e.g.
   ``ConfigError``): :func:`main` prints it as one line on stderr and exits with
   code 2, no traceback. End with another code by ``raise typer.Exit(code)``.
5. Long work: use :func:`qbattery._progress.task` (a rich bar on a terminal, silent
   otherwise); switch it with the shared option ``progress: ProgressOption = None``
   (``--progress/--no-progress``, defined below).
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer

try:  # typer ≥ 0.20 ships its own copy of click as typer._click
    from typer._click import exceptions as _click_exceptions
except ImportError:  # pragma: no cover - older typer runs on the click package
    from click import exceptions as _click_exceptions  # type: ignore[no-redef]

from qbattery.errors import QBatteryError

#: Modules that add sub-commands through ``register(app)``; one line per module.
#: ↓↓↓ other helpers: add your module here ↓↓↓
COMMAND_MODULES: list[str] = [
    "qbattery._sweep_cli",  # sweep, design (issue 5)
    "qbattery.gallery",  # gallery (issue 6)
    "qbattery._scaling_cli",  # scaling (issue 4)
]
#: ↑↑↑ ------------------------------------ ↑↑↑

#: exit codes: 0 success, 1 a reproduce check failed, 2 bad input, 130 interrupted
EXIT_OK, EXIT_FAILED_CHECK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

#: the ``--progress/--no-progress`` option of the long commands (reproduce, run, sweep);
#: a sub-command module uses it as ``progress: ProgressOption = None``
ProgressOption = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="Show a progress bar (default: only when stderr is a terminal).",
        show_default=False,
    ),
]

HELP = (
    "Reliability of charging closed quantum batteries: means, variances and "
    "noise-to-signal ratios of work and power, their Fisher-information bounds (Eq. 5) "
    "and the work-power trade-off (Eq. 6) of Mohan, Pandit, Lewenstein and Bera."
)


def _version_callback(value: bool) -> None:
    if value:
        from qbattery import __version__

        typer.echo(f"qbattery {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The typer application with the built-in commands and those of COMMAND_MODULES."""
    app = typer.Typer(
        name="qbattery",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        context_settings={"help_option_names": ["-h", "--help"]},
    )

    @app.callback()
    def _root(
        version: Annotated[
            bool,
            typer.Option(
                "--version",
                callback=_version_callback,
                is_eager=True,
                help="Print the qbattery version and exit.",
            ),
        ] = False,
    ) -> None:
        """Reliability of charging closed quantum batteries (see the commands below)."""

    app.command("reproduce")(reproduce_command)
    app.command("run")(run_command)
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(app)
    return app


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
    """Reproduce the paper's Figs. 1-3 and print a table of checks and claims.

    Writes fig1/fig2/fig3 as PNG and PDF, the data behind each figure as NetCDF and the
    table as checks.csv. Exit code 1 if any check of our numbers FAILs; a paper claim
    that does not hold is reported, not a failure.
    """
    from qbattery import reproduce

    report = reproduce.reproduce(out, ntimes=times, quick=quick, engine=engine, progress=progress)
    reproduce.print_table(report)
    typer.echo(f"wrote {', '.join(sorted(p.name for p in report.files))} to {out}")
    if not report.passed:
        raise typer.Exit(EXIT_FAILED_CHECK)


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
    progress: ProgressOption = None,
) -> None:
    """Compute one battery described by a TOML file; write NetCDF and a figure."""
    from qbattery import config as config_mod

    cfg = config_mod.load_config(config)
    cfg = cfg.override(output=out, figure=figure, no_figure=no_figure, engine=engine)
    result = config_mod.run(cfg, progress=progress)
    typer.echo(result.summary())


#: ``qbattery`` without arguments (click ≥ 8.2 raises this to show the help)
_NO_ARGS: type[Exception] = getattr(
    _click_exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {})
)


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _fail(message: str, code: int = EXIT_BAD_INPUT) -> int:
    sys.stderr.write(f"qbattery: error: {_one_line(message)}\n")
    sys.stderr.flush()
    return code


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``qbattery`` console script; returns the exit code.

    Bad input (a :class:`~qbattery.errors.QBatteryError`, a usage error, a file that
    cannot be read or written) prints one line on stderr and returns 2; no traceback.
    """
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        command = typer.main.get_command(build_app())
        rv = command.main(args=args, prog_name="qbattery", standalone_mode=False)
    except _NO_ARGS as exc:
        ctx = getattr(exc, "ctx", None)
        typer.echo(ctx.get_help() if ctx is not None else HELP)
        return EXIT_OK
    except _click_exceptions.ClickException as exc:
        return _fail(exc.format_message())
    except typer.Abort:
        return _fail("interrupted", EXIT_INTERRUPTED)
    except QBatteryError as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f" {exc.filename!s}" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{':' if where else ''}{where}")
    except KeyboardInterrupt:
        return _fail("interrupted", EXIT_INTERRUPTED)
    return int(rv) if isinstance(rv, int) else EXIT_OK
