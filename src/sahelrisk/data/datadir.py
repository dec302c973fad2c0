"""Where the data directory is.

Resolution order, first match wins: the ``--data`` flag, the ``SAHELRISK_DATA`` environment
variable, ``./data`` if it exists, ``../shared/data`` if it exists. Commands that write data
(``data fetch``, ``data update``) resolve the same way, so they write where every other command
reads; only when no folder exists yet do they create ``./data``.
"""

from __future__ import annotations

import os
from pathlib import Path

from sahelrisk.errors import DataError

__all__ = ["resolve_data_dir", "ENV_VAR"]

ENV_VAR = "SAHELRISK_DATA"


def resolve_data_dir(flag: str | os.PathLike | None = None, *, cwd: Path | None = None,
                     environ: dict | None = None, create: bool = False) -> Path:
    """Return the data directory to use: the first of ``flag``, ``$SAHELRISK_DATA``, ``./data``
    and ``../shared/data`` that is given or exists.

    Parameters
    ----------
    flag : path-like, optional
        The caller's choice (``--data-dir``).
    cwd, environ : optional
        Stand-ins for the process state, so tests can resolve without touching it.
    create : bool
        For a command that writes data: a given folder that does not exist yet is returned (the
        writer creates it), and with no folder at all, ``./data``.

    Returns
    -------
    Path

    Raises
    ------
    DataError
        The given directory does not exist, or none of the defaults does (unless ``create``), or
        the path is a file.
    """
    cwd = Path.cwd() if cwd is None else Path(cwd)
    env = os.environ if environ is None else environ
    if flag is not None:
        path = Path(flag)
        origin = "--data"
    elif env.get(ENV_VAR):
        path = Path(env[ENV_VAR])
        origin = ENV_VAR
    else:
        for candidate in (cwd / "data", cwd.parent / "shared" / "data"):
            if candidate.is_dir():
                return candidate.resolve()
        if create:
            return (cwd / "data").resolve()
        raise DataError(
            f"no data directory found: tried --data, ${ENV_VAR}, {cwd / 'data'} and "
            f"{cwd.parent / 'shared' / 'data'}. Pass --data DIR, set {ENV_VAR}, or run "
            "'sahelrisk data fetch --data DIR' to download the sources"
        )
    if not path.is_absolute():
        path = cwd / path
    if path.exists() and not path.is_dir():
        raise DataError(f"data directory {path} (from {origin}) is a file; point {origin} at a folder")
    if not path.is_dir() and not create:
        raise DataError(f"data directory {path} (from {origin}) does not exist. "
                          "Create it with 'sahelrisk data fetch --data DIR' or point to an existing one")
    return path.resolve()
