"""Memory: what is available (``QBATTERY_MEMORY_LIMIT`` caps it), sizes in words, and the
memory check with its message (re-exported by :mod:`qbattery._checks`)."""

from __future__ import annotations

import os

from qbattery.errors import MemoryLimitError

__all__ = ["available_memory", "check_memory", "format_bytes", "format_dim"]


def available_memory() -> int:
    """Bytes of memory available now (MemAvailable on Linux; overridable for tests).

    The environment variable ``QBATTERY_MEMORY_LIMIT`` (bytes) caps the value.
    """
    limit_env = os.environ.get("QBATTERY_MEMORY_LIMIT")
    avail: int | None = None
    try:
        with open("/proc/meminfo", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("MemAvailable:"):
                    avail = int(line.split()[1]) * 1024
                    break
    except OSError:  # pragma: no cover - non-Linux
        pass
    if avail is None:  # pragma: no cover - non-Linux
        try:
            avail = os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        except (ValueError, OSError, AttributeError):
            avail = 8 * 1024**3
    if limit_env:
        avail = min(avail, int(float(limit_env)))
    return avail


def format_bytes(n: float) -> str:
    """Human-readable byte count."""
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if abs(n) < 1024 or unit == "PiB":
            return f"{n:.3g} {unit}"
        n /= 1024
    return f"{n:.3g} PiB"  # pragma: no cover


def format_dim(d: int) -> str:
    """A dimension for messages: 2^n for huge powers of two (str() of 2^(10^6) fails).

    Examples
    --------
    >>> format_dim(4096), format_dim(2**100), format_dim(2**100 + 1)
    ('4096', '2^100', 'about 2^100')
    """
    if d > 1 << 64 and d & (d - 1) == 0:
        return f"2^{d.bit_length() - 1}"
    if d > 1 << 64:
        return f"about 2^{d.bit_length() - 1}"
    return str(d)


#: the default advice of :func:`check_memory`
MEMORY_FIX = (
    "use a smaller system, fewer times, or a matrix-free engine (engine='krylov' or 'structured')"
)


def check_memory(
    what: str, needed: float, *, available: int | None = None, fix: str = MEMORY_FIX
) -> None:
    """Raise :class:`MemoryLimitError` if ``needed`` bytes exceed what is available.

    ``fix`` is the advice after the numbers (callers that know which engines can run
    the battery name only those).

    Examples
    --------
    >>> try:
    ...     check_memory("a test", 2**40, available=2**30, fix="use fewer qubits")
    ... except MemoryLimitError as err:
    ...     print(err)
    a test needs about 1 TiB of memory but only 1 GiB is available; use fewer qubits
    """
    avail = available_memory() if available is None else available
    if needed > avail:
        amount = (
            f"2^{int(needed).bit_length() - 1} bytes"
            if needed > 2**900  # beyond float range for the message: a power of two
            else format_bytes(needed)
        )
        raise MemoryLimitError(
            f"{what} needs about {amount} of memory but only "
            f"{format_bytes(avail)} is available; {fix}"
        )
