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
from qbattery.cli.common import EXIT_BAD_INPUT, EXIT_INTERRUPTED, EXIT_OK, Interrupted
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
        # plain click help: [model], [times], ... are shown as written (no Rich markup),
        # paragraphs are re-wrapped, and flags carry no "<bool>" type
        rich_markup_mode=None,
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


#: the line printed on Ctrl-C (``qbattery sweep`` says more: what is saved, how to resume)
INTERRUPTED = "interrupted (Ctrl-C); nothing was written; run the same command again"

#: ``qbattery`` without arguments (click ≥ 8.2 raises this to show the help)
_NO_ARGS: type[Exception] = getattr(
    _click_exceptions, "NoArgsIsHelpError", type("_Never", (Exception,), {})
)


def _one_line(message: str) -> str:
    return " ".join(str(message).split())


def _usage_message(exc: Exception) -> str:
    """A click usage error in the one grammar: what is wrong, then how to fix it.

    Click says "Missing argument 'config'." or "No such option: --bogus (Possible
    options: --out)"; we say what is wrong in lower case, suggest only a close option
    and point at the command's ``--help``.
    """
    import difflib

    ctx = getattr(exc, "ctx", None)
    command = ctx.command_path if ctx is not None else "qbattery"
    see = f"see '{command} --help'"
    if isinstance(exc, _click_exceptions.NoSuchOption):
        name = exc.option_name
        if name.lstrip("-").replace(".", "", 1).isdigit() and ctx is not None:
            args = [
                (p.name or "").upper()
                for p in ctx.command.params
                if p.param_type_name == "argument"
            ]
            what = args[0] if args else "the argument"
            return f"{what} must be positive, got {name}; {see}"
        close = difflib.get_close_matches(name, sorted(exc.possibilities or ()), n=1, cutoff=0.8)
        hint = f"did you mean {close[0]}? " if close else ""
        return f"unknown option {name}; {hint}{see}"
    message = _one_line(exc.format_message()) if hasattr(exc, "format_message") else str(exc)
    message = message.rstrip(".")
    message = message[:1].lower() + message[1:]
    if "no such command" in message and ctx is not None:
        names = sorted(getattr(ctx.command, "commands", {}) or ())
        return f"{message}; choose one of {names}"
    return f"{message}; {see}"


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
    except _click_exceptions.UsageError as exc:
        return _fail(_usage_message(exc))
    except _click_exceptions.ClickException as exc:
        return _fail(exc.format_message())
    except Interrupted as exc:
        return _fail(str(exc), EXIT_INTERRUPTED)
    except typer.Abort:
        return _fail(INTERRUPTED, EXIT_INTERRUPTED)
    except QBatteryError as exc:
        return _fail(str(exc))
    except OSError as exc:
        where = f" {exc.filename!s}" if exc.filename else ""
        return _fail(f"{exc.strerror or exc}{':' if where else ''}{where}")
    except KeyboardInterrupt:
        return _fail(INTERRUPTED, EXIT_INTERRUPTED)
    return int(rv) if isinstance(rv, int) else EXIT_OK
