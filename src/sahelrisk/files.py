"""Writing files whole or not at all: a reader never sees half a model card, manifest or report."""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

__all__ = ["write_text_atomic", "write_folder_atomic"]


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


def write_folder_atomic(final: str | Path, fill) -> Path:
    """Build a folder in a hidden temporary folder beside ``final`` with ``fill(tmp)``, then put it
    in place of ``final`` (the old one, if any, is removed after the swap).

    A failure leaves ``final`` as it was. A run stopped between the two renames leaves
    ``.<name>-old``; the next call removes it (it is either the published folder's stale copy or
    already replaced).

    Returns
    -------
    Path
        ``final``.
    """
    final = Path(final)
    final.parent.mkdir(parents=True, exist_ok=True)
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
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return final
