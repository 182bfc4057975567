"""One writer per sweep store: a lock file next to the store, holding host and PID.

POSIX and ``flock`` locks are unreliable on NFS, where cluster stores live, so the
lock is a file ``STORE.lock`` created with ``O_CREAT | O_EXCL`` (atomic on local
filesystems and NFSv3+), holding JSON ``{host, pid, user, since}``. The holder touches
it every :data:`HEARTBEAT_S` seconds. A lock is *stale*, and taken over, when

- its holder ran on this host and that process is gone, or
- it comes from another host and was not touched for :data:`STALE_AFTER_S` seconds
  (another host's processes cannot be checked; its holder's heartbeat has stopped).

A second sweep on a locked store refuses with a message naming the holder, or waits
(``wait=True``, ``qbattery sweep --wait``).
"""

from __future__ import annotations

import contextlib
import getpass
import json
import os
import socket
import threading
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from qbattery.errors import QBatteryError

#: seconds between two touches of the lock file by its holder
HEARTBEAT_S = 30.0
#: a lock from another host untouched for this long (s) is stale
STALE_AFTER_S = 300.0


class StoreLockedError(QBatteryError):
    """The store is being written by another sweep (named in the message).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp, StoreLock(Path(tmp) / "s.zarr"):
    ...     try:
    ...         StoreLock(Path(tmp) / "s.zarr").acquire()
    ...     except StoreLockedError as err:
    ...         print(str(err).startswith("store 's.zarr' is in use by PID"))
    True
    """


def lock_path(store: Path) -> Path:
    """The lock file of a store: ``STORE.lock`` beside it.

    Examples
    --------
    >>> lock_path(Path("runs/k.zarr")).as_posix()
    'runs/k.zarr.lock'
    """
    return store.with_name(store.name + ".lock")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's live process
        return True
    return True


def _read(path: Path) -> dict[str, Any] | None:
    try:
        holder = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return holder if isinstance(holder, dict) else None


class StoreLock:
    """Hold the lock of a sweep store (a context manager).

    Examples
    --------
    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     store = Path(tmp) / "s.zarr"
    ...     with StoreLock(store) as lock:
    ...         held = lock_path(store).exists()
    ...     print(held, lock_path(store).exists())
    True False
    """

    def __init__(self, store: str | os.PathLike[str], *, wait: bool = False) -> None:
        self.store = Path(store)
        self.path = lock_path(self.store)
        self.wait = wait
        self.me = {
            "host": socket.gethostname(),
            "pid": os.getpid(),
            "user": getpass.getuser(),
            "since": time.strftime("%Y-%m-%d %H:%M:%S"),
        }
        self._stop = threading.Event()
        self._beat: threading.Thread | None = None

    def _stale(self, holder: dict[str, Any] | None) -> bool:
        try:
            age = time.time() - self.path.stat().st_mtime
        except FileNotFoundError:
            return False
        if holder is None:  # unreadable: being written, or corrupt
            return age > STALE_AFTER_S
        if holder.get("host") == self.me["host"]:
            return not _alive(int(holder.get("pid", -1)))
        return age > STALE_AFTER_S

    def _try(self) -> dict[str, Any] | None:
        """Create the lock file; None on success, else its holder."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _read(self.path)
            if self._stale(holder):
                # rename is atomic: of two sweeps taking over, one wins the rename
                aside = self.path.with_name(f"{self.path.name}.stale.{os.getpid()}")
                with contextlib.suppress(FileNotFoundError):
                    os.rename(self.path, aside)
                    aside.unlink()
                return self._try_once_more()
            return holder or {"host": "?", "pid": "?", "since": "?"}
        with os.fdopen(fd, "w") as handle:
            json.dump(self.me, handle)
        return None

    def _try_once_more(self) -> dict[str, Any] | None:
        try:
            fd = os.open(self.path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            return _read(self.path) or {"host": "?", "pid": "?", "since": "?"}
        with os.fdopen(fd, "w") as handle:
            json.dump(self.me, handle)
        return None

    def acquire(self) -> StoreLock:
        """Take the lock, waiting for it if ``wait``; else raise StoreLockedError."""
        while True:
            holder = self._try()
            if holder is None:
                break
            if not self.wait:
                raise StoreLockedError(
                    f"store {self.store.name!r} is in use by PID {holder.get('pid')} on host "
                    f"{holder.get('host')} (user {holder.get('user', '?')}, since "
                    f"{holder.get('since')}); wait for it (add --wait), or, if that process "
                    f"is gone, delete {str(self.path)!r}"
                )
            time.sleep(1.0)
        self._beat = threading.Thread(target=self._heartbeat, daemon=True)
        self._beat.start()
        return self

    def _heartbeat(self) -> None:
        while not self._stop.wait(HEARTBEAT_S):
            with contextlib.suppress(OSError):
                os.utime(self.path)

    def release(self) -> None:
        """Stop the heartbeat and delete the lock file if it is still ours."""
        self._stop.set()
        holder = _read(self.path)
        if holder is not None and (holder.get("host"), holder.get("pid")) == (
            self.me["host"],
            self.me["pid"],
        ):
            with contextlib.suppress(FileNotFoundError):
                self.path.unlink()

    def __enter__(self) -> StoreLock:
        return self.acquire()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.release()
