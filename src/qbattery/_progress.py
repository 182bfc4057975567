"""Progress bars for long computations: rich on a terminal, silent otherwise.

A bar appears only when standard error is a terminal and the work has already taken
more than :data:`DELAY_S` seconds (so quick calls never flash a bar), or at once with
``enabled=True`` on a terminal. With ``enabled=False``, or when standard error is not a
terminal (pipes, files, pytest, CI), nothing is ever printed. Nested tasks share one
live display (rich allows only one at a time).
"""

from __future__ import annotations

import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

#: seconds a computation must already have taken before a bar is shown (``enabled=None``)
DELAY_S = 2.0

_LIVE: dict[str, Any] = {"progress": None, "users": 0}


def is_terminal(stream: Any = None) -> bool:
    """Whether ``stream`` (default ``sys.stderr``) is an interactive terminal."""
    stream = sys.stderr if stream is None else stream
    isatty = getattr(stream, "isatty", None)
    try:
        return bool(isatty()) if isatty is not None else False
    except (ValueError, OSError):  # closed stream
        return False


class Task:
    """Handle of one task: call :meth:`advance` as work is done."""

    def __init__(
        self, description: str, total: float | None, enabled: bool | None, console: Any = None
    ) -> None:
        self.description = description
        self.total = None if total is None else float(total)
        self.done = 0.0
        self.started = time.perf_counter()
        self._console = console
        terminal = is_terminal(console.file if console is not None else None)
        if console is not None and getattr(console, "is_terminal", False):
            terminal = True
        self._allowed = enabled is not False and terminal
        self._delay = 0.0 if enabled else DELAY_S
        self._progress: Any = None
        self._task_id: Any = None
        self._phase = ""
        self._timer: threading.Timer | None = None

    @property
    def shown(self) -> bool:
        """Whether a bar is being displayed for this task."""
        return self._progress is not None

    @property
    def label(self) -> str:
        """The description with the current phase (see :meth:`phase`)."""
        return f"{self.description}: {self._phase}" if self._phase else self.description

    def phase(self, name: str) -> None:
        """Name the phase now running, for work whose progress cannot be measured.

        A spinner with ``description: name`` is shown (after the delay, with no further
        calls needed) instead of a bar that would sit still.
        """
        self._phase = name
        if self._progress is not None:
            self._progress.update(self._task_id, description=self.label)
            return
        if not self._allowed or self._timer is not None:
            return
        wait = self._delay - (time.perf_counter() - self.started)
        if wait <= 0:
            self._show()
        else:
            self._timer = threading.Timer(wait, self._show)
            self._timer.daemon = True
            self._timer.start()

    def _show(self) -> None:
        from rich.progress import (
            BarColumn,
            Progress,
            ProgressColumn,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
            TimeRemainingColumn,
        )
        from rich.text import Text

        class Count(ProgressColumn):  # "3/10", nothing for a phase of unknown length
            def render(self, task: Any) -> Text:
                if task.total is None:
                    return Text("")
                return Text(f"{task.completed:.0f}/{task.total:.0f}")

        if self._progress is not None:
            return

        if _LIVE["progress"] is None:
            kwargs: dict[str, Any] = {"transient": True}
            if self._console is not None:
                kwargs["console"] = self._console
            else:
                from rich.console import Console

                kwargs["console"] = Console(file=sys.stderr)
            progress = Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                BarColumn(),
                Count(),
                TimeElapsedColumn(),
                TimeRemainingColumn(),
                **kwargs,
            )
            progress.start()
            _LIVE["progress"] = progress
        _LIVE["users"] += 1
        self._progress = _LIVE["progress"]
        self._task_id = self._progress.add_task(self.label, total=self.total, completed=self.done)

    def advance(self, amount: float = 1.0) -> None:
        """Record ``amount`` units of work done; shows the bar once it is due."""
        self.done += amount
        if self._progress is not None:
            self._progress.update(self._task_id, completed=self.done)
        elif self._allowed and time.perf_counter() - self.started >= self._delay:
            self._show()

    def close(self) -> None:
        """Remove the bar (if any); stop the live display when no task is left."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer.join()
        if self._progress is None:
            return
        self._progress.remove_task(self._task_id)
        self._progress = None
        _LIVE["users"] -= 1
        if _LIVE["users"] <= 0:
            _LIVE["progress"].stop()
            _LIVE["progress"] = None
            _LIVE["users"] = 0


@contextmanager
def task(
    description: str, total: float | None, *, enabled: bool | None = None, console: Any = None
) -> Iterator[Task]:
    """Context manager yielding a :class:`Task`; the bar is removed on exit.

    Parameters
    ----------
    description : str
        Text shown left of the bar.
    total : float or None
        Units of work (e.g. number of times); ``None`` if unknown (a pulsing bar).
    enabled : bool or None
        ``None``: show on a terminal once the work has taken more than ``DELAY_S``
        seconds; ``True``: show on a terminal at once; ``False``: never.
    console : rich.console.Console, optional
        Where to draw (default: standard error).

    Examples
    --------
    >>> with task("computing", 3) as t:   # not a terminal here: silent
    ...     for _ in range(3):
    ...         t.advance()
    >>> t.done, t.shown
    (3.0, False)

    A phase whose progress cannot be measured shows a spinner with its name:

    >>> import io
    >>> from rich.console import Console
    >>> console = Console(file=io.StringIO(), force_terminal=True)
    >>> with task("qbattery run", None, enabled=True, console=console) as t:
    ...     t.phase("eigendecomposition")
    ...     label, shown = t.label, t.shown
    >>> label, shown
    ('qbattery run: eigendecomposition', True)
    """
    handle = Task(description, total, enabled, console)
    try:
        yield handle
    finally:
        handle.close()
