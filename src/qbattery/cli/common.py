"""What every ``qbattery`` command shares: exit codes, the ``--progress`` option, and
parsing of ``NAME=VALUE`` options."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from qbattery.errors import InvalidInputError

#: exit codes: 0 success, 1 a reproduce check failed, 2 bad input, 130 interrupted
EXIT_OK, EXIT_FAILED_CHECK, EXIT_BAD_INPUT, EXIT_INTERRUPTED = 0, 1, 2, 130

#: exit code when some grid points failed, or no protocol meets the design targets
EXIT_INCOMPLETE = 1


class Interrupted(Exception):
    """Ctrl-C during a command: :func:`~qbattery.cli.app.main` prints the message as one
    line and exits with :data:`EXIT_INTERRUPTED` (130).

    Examples
    --------
    >>> str(Interrupted("interrupted; 3 of 8 points are saved"))
    'interrupted; 3 of 8 points are saved'
    """


#: the ``--progress/--no-progress`` option of the long commands (reproduce, run, sweep);
#: a command module uses it as ``progress: ProgressOption = None``
ProgressOption = Annotated[
    bool | None,
    typer.Option(
        "--progress/--no-progress",
        help="Show a progress bar (default: only when stderr is a terminal).",
        show_default=False,
    ),
]


def parse_value(text: str) -> Any:
    """'3' → 3, '2.5' → 2.5, 'true' → True, anything else stays a string.

    Examples
    --------
    >>> parse_value("3"), parse_value("2.5"), parse_value("True"), parse_value(" tfim ")
    (3, 2.5, True, 'tfim')
    """
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    for kind in (int, float):
        try:
            return kind(text)
        except ValueError:
            continue
    return text.strip()


def parse_pairs(option: str, items: list[str]) -> dict[str, Any]:
    """``["N=9", "Omega0=1.0"]`` → ``{"N": 9, "Omega0": 1.0}``; ``option`` names the flag
    in the error message.

    Examples
    --------
    >>> parse_pairs("--select", ["N=9", "Omega0=1.0"])
    {'N': 9, 'Omega0': 1.0}
    """
    out: dict[str, Any] = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise InvalidInputError(f"{option} takes NAME=VALUE, got {item!r}")
        out[name.strip()] = parse_value(value)
    return out
