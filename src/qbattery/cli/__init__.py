"""The ``qbattery`` command line: a thin typer app (parse → library → one-line errors).

One module per command, each a thin layer over the library (no physics here):
``reproduce`` (the paper's figures and the check table, :mod:`qbattery.studies.reproduce`),
``run CONFIG.toml`` (one battery from a TOML file, :mod:`qbattery.config`), ``sweep``
(:mod:`qbattery.sweep`), ``design``, ``gallery`` and ``scaling``
(:mod:`qbattery.studies`). :mod:`~qbattery.cli.app` builds the app and holds
:func:`main`, the entry point of the console script; :mod:`~qbattery.cli.common` holds
what commands share (exit codes, the ``--progress`` option).

Adding a command
----------------
1. Write ``qbattery/cli/<name>.py`` defining ``register(app: typer.Typer) -> None``
   that adds the command with ``app.command("name")(name_command)``; give every option
   a ``help=`` text (``tests/test_cli.py`` checks that each option of each command is
   documented).
2. Keep the module light to import: import heavy or optional dependencies (dask,
   zarr, ...) inside the command function, because every command module is imported
   on each ``qbattery`` call, ``qbattery --help`` included.
3. Add the module to :data:`~qbattery.cli.app.COMMANDS` (a one-line edit).
4. For bad input raise :class:`qbattery.errors.QBatteryError` (or a subclass, e.g.
   ``ConfigError``): :func:`main` prints it as one line on stderr and exits with
   code 2, no traceback. End with another code by ``raise typer.Exit(code)``.
5. Long work: use :func:`qbattery._progress.task` (a rich bar on a terminal, silent
   otherwise); switch it with the shared option ``progress: ProgressOption = None``
   (``--progress/--no-progress``, :mod:`qbattery.cli.common`).
"""

from __future__ import annotations

from qbattery.cli.app import COMMAND_MODULES, COMMANDS, HELP, build_app, main
from qbattery.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_FAILED_CHECK,
    EXIT_INTERRUPTED,
    EXIT_OK,
    ProgressOption,
)

__all__ = [
    "COMMANDS",
    "COMMAND_MODULES",
    "EXIT_BAD_INPUT",
    "EXIT_FAILED_CHECK",
    "EXIT_INTERRUPTED",
    "EXIT_OK",
    "HELP",
    "ProgressOption",
    "build_app",
    "main",
]
