"""The published weeks, as the weekly job left them in its outputs folder (read-only).

A week is a folder ``<out_dir>/<YYYY-MM-DD>/`` holding ``run.json``; the folder is renamed into
place whole (:func:`sahelrisk.files.write_folder_atomic`), so a week listed here is complete. The
listing is read again at each request: a week the job publishes shows without a restart. Names
asked for are checked against the published ones before any path is built, so nothing a request
sends can reach a file outside the folder.
"""

from __future__ import annotations

import json
import re
from collections import OrderedDict
from collections.abc import Callable
from pathlib import Path
from threading import Lock
from typing import Any

import geopandas as gpd
import pandas as pd

from sahelrisk.calendar import Week
from sahelrisk.errors import NotFoundError, SpecError
from sahelrisk.i18n import LANGUAGES
from sahelrisk.jobs.verify import TRACK_RECORD_DIR
from sahelrisk.publishing.ledger import read_ledger, revisions
from sahelrisk.publishing.outputs import output_files

__all__ = ["Archive", "WEEK_PATTERN"]

WEEK_PATTERN = re.compile(r"^\d{4}-\d{2}-\d{2}$")
PUBLISHED_FILES = frozenset(output_files(LANGUAGES))
MEDIA_TYPES = {".parquet": "application/vnd.apache.parquet", ".geojson": "application/geo+json",
               ".csv": "text/csv; charset=utf-8", ".json": "application/json", ".html": "text/html; charset=utf-8",
               ".png": "image/png", ".pdf": "application/pdf"}


class Archive:
    """The weeks published in ``out_dir``, with a small in-memory cache of the tables in use.

    Parameters
    ----------
    out_dir : path-like
        The weekly job's outputs folder.
    keep : int
        Weeks whose tables stay in memory (the most recently used).
    """

    def __init__(self, out_dir: str | Path, keep: int = 6) -> None:
        self.root = Path(out_dir).resolve()
        self.keep = keep
        self._cache: OrderedDict[tuple, object] = OrderedDict()
        self._lock = Lock()

    def weeks(self) -> list[str]:
        """The published weeks, newest first."""
        if not self.root.is_dir():
            return []
        return sorted((p.name for p in self.root.iterdir()
                       if WEEK_PATTERN.match(p.name) and (p / "run.json").is_file()), reverse=True)

    def latest(self) -> str:
        """The newest published week; :class:`NotFoundError` when none is."""
        weeks = self.weeks()
        if not weeks:
            raise NotFoundError(f"no week is published in {self.root}; run the weekly job (sahelrisk run) first, "
                                "or point --out-dir at its outputs folder")
        return weeks[0]

    def week(self, week: str) -> str:
        """``week`` if it is published (``latest`` means the newest); else a one-line error."""
        if week == "latest":
            return self.latest()
        if not isinstance(week, str):
            raise SpecError(f"week {week!r} is not a date; write it as YYYY-MM-DD (a Monday), or 'latest'")
        week = str(Week.parse(week, "week"))   # the edges' one reader: any day names its week, dd/mm is refused
        published = self.weeks()
        if week not in published:
            hint = f"published weeks run from {published[-1]} to {published[0]}" if published else "none is published"
            raise NotFoundError(f"week {week} is not published; {hint}")
        return week

    def file(self, week: str, name: str) -> Path:
        """The path of one published file of ``week``, named as the job names it."""
        week = self.week(week)
        if name not in PUBLISHED_FILES:
            raise NotFoundError(f"{name!r} is not a file the weekly job publishes; choose one of "
                                f"{', '.join(sorted(PUBLISHED_FILES))}")
        path = self.root / week / name
        if not path.is_file():
            raise NotFoundError(f"{name} was not published for the week of {week} (an older run, or another language)")
        return path

    def files(self, week: str) -> list[str]:
        """The published files of ``week``."""
        week = self.week(week)
        return sorted(p.name for p in (self.root / week).iterdir() if p.name in PUBLISHED_FILES)

    def _cached(self, key: tuple, path: Path, read: Callable[[Path], Any]) -> Any:
        stamp = (key, path.stat().st_mtime_ns)
        with self._lock:
            if stamp in self._cache:
                self._cache.move_to_end(stamp)
                return self._cache[stamp]
        value = read(path)
        with self._lock:
            self._cache[stamp] = value
            while len(self._cache) > self.keep * 4:
                self._cache.popitem(last=False)
        return value

    def track_record(self) -> dict:
        """The track record ``sahelrisk verify`` wrote (``track_record/track_record.json``)."""
        path = self.root / TRACK_RECORD_DIR / "track_record.json"
        if not path.is_file():
            raise NotFoundError("no published week is verified yet: the track record is written by 'sahelrisk verify' "
                                "(and the weekly job) once a published week's outcomes are in the data")
        return self._cached(("track_record",), path, lambda p: json.loads(p.read_text("utf-8")))

    def track_weeks(self) -> pd.DataFrame:
        """The track record one row per verified week and level (``track_record/weeks.csv``)."""
        self.track_record()   # the same one-line error when there is none
        path = self.root / TRACK_RECORD_DIR / "weeks.csv"
        return self._cached(("track_weeks",), path, pd.read_csv)

    def track_file(self, name: str) -> Path:
        """One of the track record's files (``weeks.csv``, ``last_week.<lang>.png``...)."""
        self.track_record()
        allowed = {"track_record.json", "weeks.csv", *(f"last_week.{lang}.png" for lang in LANGUAGES)}
        path = self.root / TRACK_RECORD_DIR / name
        if name not in allowed or not path.is_file():
            raise NotFoundError(f"{name!r} is not a file of the track record; choose one of {', '.join(sorted(allowed))}")
        return path

    def provenance(self, week: str) -> list[dict]:
        """Every frozen revision of a published week: its ledger entry and its manifest (files and
        their SHA-256, the model, the spec's hash, the data vintage)."""
        week = self.week(week)
        entries = {(e["week"], int(e["revision"])): e for e in read_ledger(self.root)}
        found = [{"ledger": entries[(r.week, r.revision)], "manifest": r.manifest}
                 for r in revisions(self.root) if r.week == week]
        if not found:
            raise NotFoundError(f"the week of {week} was published before the ledger was kept: it has no frozen revision")
        return found

    def run(self, week: str) -> dict:
        """The week's ``run.json``: the model, the data cut-off, coverage and timings."""
        return self._cached(("run", week), self.file(week, "run.json"), lambda p: json.loads(p.read_text("utf-8")))

    def cells(self, week: str) -> gpd.GeoDataFrame:
        """The week's scored cells, with their shapes."""
        return self._cached(("cells", week), self.file(week, "risk_grid.parquet"), gpd.read_parquet)

    def areas(self, week: str, level: str) -> gpd.GeoDataFrame:
        """The week's scored areas of ``level`` ("adm1" or "adm2"), with their shapes."""
        if level not in ("adm1", "adm2"):
            raise SpecError(f"level {level!r} is not an area level; use adm1 or adm2")
        try:
            path = self.file(week, "risk_areas.parquet")
        except NotFoundError:
            raise NotFoundError(f"the week of {self.week(week)} was published before area shapes were kept; "
                                "publish it again with sahelrisk score") from None
        frame = self._cached(("areas", week), path, gpd.read_parquet)
        return frame[frame["level"] == level].drop(columns="level").reset_index(drop=True)

    def adm2_table(self, week: str) -> pd.DataFrame:
        """The week's ADM2 areas as published in ``risk_adm2.csv`` (names, probabilities, reasons)."""
        return self._cached(("adm2", week), self.file(week, "risk_adm2.csv"), pd.read_csv)

    def previous(self, week: str) -> str | None:
        """The published week before ``week``, if any."""
        older = [w for w in self.weeks() if w < self.week(week)]
        return older[0] if older else None
