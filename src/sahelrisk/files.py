"""Writing files whole or not at all: a reader never sees half a model card, manifest or report."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

from sahelrisk.errors import OutputError

__all__ = ["write_text_atomic", "write_folder_atomic", "restore_old", "output_error", "writable"]

# What a full disk, a read-only mount or a path that is not a folder raise when writing outputs.
_OUTPUT_ERRNOS = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.ENOTDIR, errno.EEXIST,
                  errno.EISDIR, errno.EBUSY}


def output_error(path: str | Path, error: OSError) -> OutputError:
    """One line naming the output path, what went wrong and how to fix it."""
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        problem, fix = "the disk is full", "free some space or choose another output folder (--out)"
    elif error.errno in (errno.ENOTDIR, errno.EEXIST, errno.EISDIR):
        problem, fix = "a file stands where a folder is needed", "remove it or choose another output folder (--out)"
    elif error.errno == errno.EBUSY:   # a mount point (a read-only bind mount of a week) cannot be renamed
        problem, fix = "is in use or a mount point, so it cannot be replaced", \
            "unmount it or choose another output folder (--out)"
    else:
        problem, fix = "cannot be written (read-only or no permission)", \
            "fix its permissions or choose another output folder (--out)"
    return OutputError(f"output {path}: {problem} ({error.strerror or error}); {fix}")


@contextlib.contextmanager
def writable(path: str | Path) -> Iterator[None]:
    """Turn the OS's errors of writing under ``path`` into an :class:`OutputError` naming it."""
    try:
        yield
    except OutputError:
        raise
    except OSError as e:
        if e.errno not in _OUTPUT_ERRNOS:
            raise
        raise output_error(path, e) from e


def write_text_atomic(path: str | Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it over ``path``.

    Parameters
    ----------
    path : str or Path
        The destination; its folder is created if needed.
    text : str
        UTF-8 content.

    Returns
    -------
    Path
    """
    path = Path(path)
    with writable(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as f:
                f.write(text)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


def restore_old(final: str | Path) -> bool:
    """Put ``.<name>-old`` back as ``final`` when it is the only copy left (a run stopped between
    :func:`write_folder_atomic`'s two renames).

    Parameters
    ----------
    final : str or Path
        The folder a writer publishes.

    Returns
    -------
    bool
        Whether a copy was put back.
    """
    final = Path(final)
    old = final.parent / f".{final.name}-old"
    if old.is_dir() and not final.exists():
        old.rename(final)
        return True
    return False


def write_folder_atomic(final: str | Path, fill: Callable[[Path], None]) -> Path:
    """Build a folder in a hidden temporary folder beside ``final`` with ``fill(tmp)``, then put it
    in place of ``final`` (the old one, if any, is removed after the swap).

    A failure leaves ``final`` as it was. A run stopped between the two renames leaves
    ``.<name>-old`` alone, the only copy: the next call puts it back first (:func:`restore_old`),
    so it is never deleted before a new folder stands in its place.

    Returns
    -------
    Path
        ``final``.
    """
    final = Path(final)
    with writable(final):
        final.parent.mkdir(parents=True, exist_ok=True)
        restore_old(final)
        tmp = Path(tempfile.mkdtemp(prefix=f".{final.name}-", dir=final.parent))
    tmp.chmod(0o755)  # mkdtemp makes it private; outputs are for sharing
    try:
        fill(tmp)
        old = final.parent / f".{final.name}-old"
        if old.exists():
            shutil.rmtree(old)
        if final.exists():
            final.rename(old)
            tmp.rename(final)
            shutil.rmtree(old)
        else:
            tmp.rename(final)
    except OSError as e:
        shutil.rmtree(tmp, ignore_errors=True)
        if e.errno in _OUTPUT_ERRNOS and not isinstance(e, OutputError):
            raise output_error(final, e) from e
        raise
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
