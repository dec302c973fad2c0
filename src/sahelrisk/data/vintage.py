"""The data vintage of a published week: which files, releases and latest events it was made from,
so the week can be checked and re-read as it was."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from functools import lru_cache
from pathlib import Path

import pandas as pd

from sahelrisk.data.catalog import Catalog

__all__ = ["data_vintage", "file_sha256"]


@lru_cache(maxsize=512)
def _hash(path: str, size: int, mtime_ns: int) -> str:
    from sahelrisk.data.fetch import sha256_of
    return sha256_of(Path(path))


def file_sha256(path: Path) -> str:
    """The file's SHA-256, remembered while its size and modification time stay the same (a
    replay of 52 weeks hashes each source once)."""
    stat = path.stat()
    return _hash(str(path.resolve()), stat.st_size, stat.st_mtime_ns)


def data_vintage(catalog: Catalog, data_dir: Path, names: Iterable[str], *, as_of: date | None,
                 events: pd.DataFrame) -> dict:
    """What a week was made from.

    Parameters
    ----------
    catalog : Catalog
        The data catalog.
    data_dir : pathlib.Path
        The data directory.
    names : iterable of str
        The datasets read (event sets and layers).
    as_of : date
        The data cut-off.
    events : pandas.DataFrame
        The events as known at the cut-off (``source``, ``release``, ``date_start``).

    Returns
    -------
    dict
        ``as_of``; per dataset the SHA-256 of each file present; per event source the releases
        read and the latest event date.
    """
    sources: dict[str, dict] = {}
    for name in sorted(set(names)):
        if name not in catalog.datasets:
            continue
        files = {entry.path: file_sha256(data_dir / entry.path) for entry in catalog[name].files
                 if (data_dir / entry.path).is_file()}
        sources[name] = {"files": files}
    releases = {}
    for source, rows in events.groupby("source", observed=True):
        releases[str(source)] = {"releases": sorted(str(r) for r in rows["release"].dropna().unique()),
                                 "latest_event": str(rows["date_start"].max().date()) if len(rows) else None}
    return {"as_of": str(as_of), "datasets": sources, "events": releases}
