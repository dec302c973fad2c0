"""The manifest of downloaded releases: every file held, where it came from, its size and SHA-256.

``<data_dir>/events/ucdp/manifest.json`` is written whole or not at all. Loading a release checks
its files against it, so a file damaged or replaced by hand is caught before its rows are used.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

from sahelrisk.data.fetch import sha256_of
from sahelrisk.errors import DataFileError
from sahelrisk.files import write_text_atomic

__all__ = ["ManifestEntry", "Manifest", "MANIFEST_PATH", "UPDATES_DIR"]

MANIFEST_PATH = "events/ucdp/manifest.json"
UPDATES_DIR = "events/ucdp"


@dataclass
class ManifestEntry:
    """One downloaded file of a release, and its in-scope columnar copy."""

    release: str
    kind: str
    url: str
    path: str                 # the raw download, unchanged, relative to the data directory
    bytes: int
    sha256: str
    retrieved_at: str
    published: str            # about when UCDP published it (orders releases)
    first: str                # first and last month covered (YYYY-MM-DD, first days)
    last: str
    rows: int = 0
    scope_path: str = ""      # the rows of the countries in scope (and a border margin), Parquet
    scope_sha256: str = ""
    scope_rows: int = 0
    last_modified: str = ""   # the server's Last-Modified / ETag, to notice a file changed in place
    etag: str = ""
    replaced_by: str = ""     # set when the server later served other bytes under the same name


@dataclass
class Manifest:
    """Every file held, in the order retrieved."""

    entries: list[ManifestEntry] = field(default_factory=list)
    base_url: str = ""

    @classmethod
    def read(cls, data_dir: str | Path) -> "Manifest":
        """The manifest of ``data_dir`` (empty when there is none yet).

        Raises
        ------
        DataFileError
            The manifest exists but is not a manifest.
        """
        path = Path(data_dir) / MANIFEST_PATH
        if not path.is_file():
            return cls()
        try:
            raw = json.loads(path.read_text("utf-8"))
            return cls([ManifestEntry(**e) for e in raw["files"]], raw.get("base_url", ""))
        except (ValueError, KeyError, TypeError) as e:
            raise DataFileError(path, f"is not a sahelrisk manifest ({e})",
                                "Restore it from a backup, or delete events/ucdp/ and run 'sahelrisk data update'") from e

    def write(self, data_dir: str | Path) -> Path:
        """Write the manifest atomically."""
        payload = {"format": 1, "base_url": self.base_url, "files": [asdict(e) for e in self.entries]}
        return write_text_atomic(Path(data_dir) / MANIFEST_PATH, json.dumps(payload, indent=2) + "\n")

    def current(self) -> list[ManifestEntry]:
        """The entries in use: one per release, the latest bytes the server gave for it."""
        return [e for e in self.entries if not e.replaced_by]

    def held(self, release: str) -> ManifestEntry | None:
        """The entry of ``release``, if it is held."""
        for entry in self.current():
            if entry.release == release:
                return entry
        return None

    def verify(self, data_dir: str | Path, entry: ManifestEntry) -> None:
        """Check an entry's in-scope copy against its recorded SHA-256.

        Raises
        ------
        DataFileError
            The file is missing or its content changed since it was recorded.
        """
        path = Path(data_dir) / entry.scope_path
        if not path.is_file():
            raise DataFileError(path, f"is listed in {MANIFEST_PATH} (release {entry.release}) but missing",
                                "Run 'sahelrisk data update' to fetch it again")
        actual = sha256_of(path)
        if actual != entry.scope_sha256:
            raise DataFileError(path, f"SHA-256 {actual[:12]}... differs from the manifest's "
                                f"{entry.scope_sha256[:12]}... (changed after download)",
                                "Do not edit downloaded files; delete it and run 'sahelrisk data update'")
