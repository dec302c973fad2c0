"""One weekly job at a time: an OS file lock, released by the kernel when the process dies (a
killed job leaves no stale lock behind, unlike a PID file)."""

from __future__ import annotations

import contextlib
import fcntl
import os
from collections.abc import Iterator
from pathlib import Path

from sahelrisk.errors import JobBusyError
from sahelrisk.files import writable

__all__ = ["job_lock"]


@contextlib.contextmanager
def job_lock(path: str | Path) -> Iterator[Path]:
    """Hold an exclusive lock on ``path`` for the block; raise :class:`JobBusyError` at once if
    another process holds it."""
    path = Path(path)
    with writable(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        handle = open(path, "a+")
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            holder = handle.read().strip() or "another process"
            raise JobBusyError(f"another weekly job runs on this output folder ({holder}; lock {path}); "
                               "wait for it to finish, it releases the lock when it ends or dies") from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}")
        handle.flush()
        yield path
    finally:
        handle.close()
