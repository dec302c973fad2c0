"""The UCDP releases brought in by ``sahelrisk data update``, read through their manifest."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from sahelrisk.data.manifest import Manifest, ManifestEntry
from sahelrisk.data.revisions import ReleaseRows
from sahelrisk.data.schemas import FileEvents
from sahelrisk.data.sources.ucdp import read_ucdp_events
from sahelrisk.data.ucdp_releases import Release, release_from_path
from sahelrisk.errors import DataFileError

__all__ = ["manifest_releases", "NO_CUTOFF"]

NO_CUTOFF = date(9999, 12, 31)


def _release_of(entry: ManifestEntry) -> Release:
    release = release_from_path(entry.path) or release_from_path(entry.url)
    if release is None:
        raise DataFileError(entry.path, f"release {entry.release!r} in the manifest has an unknown file name",
                            "Delete events/ucdp/ and run 'sahelrisk data update'")
    return release


def manifest_releases(data_dir: str | Path, manifest: Manifest | None = None, *, as_of: date = NO_CUTOFF,
                      countries: set[str] | None = None, verify: bool = True) -> list[tuple[ReleaseRows, FileEvents]]:
    """The canonical rows of every release held, each checked against the manifest.

    Parameters
    ----------
    data_dir : str or Path
    manifest : Manifest, optional
        Default the one in ``data_dir`` (``events/ucdp/manifest.json``; none held: an empty list).
    as_of : date
        The data cut-off: rows dated later are quarantined.
    countries : set of str, optional
    verify : bool
        Check each file's SHA-256 against the manifest first.

    Returns
    -------
    list of (ReleaseRows, FileEvents)
    """
    manifest = manifest or Manifest.read(data_dir)
    out = []
    for entry in manifest.current():
        if verify:
            manifest.verify(data_dir, entry)
        release = _release_of(entry)
        source = "ucdp_ged" if release.kind == "ged" else "ucdp_candidate"
        result = read_ucdp_events(Path(data_dir) / entry.scope_path, dataset="ucdp_updates", source=source,
                                  release=entry.release, as_of=as_of, countries=countries)
        rows = ReleaseRows(entry.release, release.published, result.events, withdraws=release.kind != "monthly",
                           first=release.first, last=release.last)
        out.append((rows, result))
    return out


