"""The ``qbattery`` typer app: the root options, the commands of :data:`COMMANDS`, and
:func:`main`, which turns bad input into one line on stderr and an exit code."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from types import ModuleType
from typing import Annotated

import typer

try:  # typer ≥ 0.20 ships its own copy of click as typer._click
    from typer._click import exceptions as _click_exceptions
except ImportError:  # pragma: no cover - older typer runs on the click package
    from click import exceptions as _click_exceptions  # type: ignore[no-redef]

from qbattery._version import __version__
from qbattery.cli import design, gallery, literature, reproduce, run, scaling, sweep
from qbattery.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK
from qbattery.errors import QBatteryError

#: the command modules, each with ``register(app)``, in the order ``qbattery --help``
#: lists them; a new command is a new module here (one line)
COMMANDS: tuple[ModuleType, ...] = (reproduce, run, sweep, design, gallery, scaling, literature)
#: their dotted names
COMMAND_MODULES: list[str] = [module.__name__ for module in COMMANDS]

HELP = (
    "Reliability of charging closed quantum batteries: means, variances and "
    "noise-to-signal ratios of work and power, their Fisher-information bounds (Eq. 5) "
    "and the work-power trade-off (Eq. 6) of Mohan, Pandit, Lewenstein and Bera."
)


def _version_callback(value: bool) -> None:
    if value:
        typer.echo(f"qbattery {__version__}")
        raise typer.Exit()


def build_app() -> typer.Typer:
    """The typer application with the commands of :data:`COMMANDS`."""
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

    for module in COMMANDS:
        module.register(app)
    return app


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
