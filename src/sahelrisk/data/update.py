"""``sahelrisk data update``: bring in UCDP's newest releases, every week, without losing anything.

For each release that can be out (:mod:`sahelrisk.data.ucdp_releases`), the site is asked for the
file (a 404 means "not published yet"); a new or changed file is downloaded with resume, checked
(an HTML page served instead of the file is refused), kept unchanged under
``events/ucdp/raw/``, and its rows of the countries in scope (plus a border margin, for the
distance rings) are copied to ``events/ucdp/scope/<release>.parquet``. The manifest is written
last, atomically, so a failed update leaves the previous data as it was. A file the server
changed under the same name is kept beside the old one and reported.

A source that cannot be reached is a warning naming the URL; the update goes on with the rest
and the next update retries.
"""

from __future__ import annotations

import csv
import http.client
import io
import itertools
import json
import logging
import os
import time
import urllib.error
import urllib.request
import zipfile
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from functools import partial
from pathlib import Path
from typing import IO, Any, Callable

import numpy as np
import pandas as pd

from sahelrisk.countries import get_country, iso3_from_gw, to_iso3
from sahelrisk.data.fetch import fetch_file, not_http, open_url, sha256_of
from sahelrisk.data.manifest import UPDATES_DIR, Manifest, ManifestEntry
from sahelrisk.data.readers import RECORD
from sahelrisk.data.revisions import (
    RevisionReport,
    diff_events,
    resolve_releases,
)
from sahelrisk.data.sources.held import manifest_releases
from sahelrisk.data.sources.ucdp import missing_columns
from sahelrisk.data.ucdp_releases import (
    GED_FLOOR,
    Release,
    candidate_plan,
    ged_release,
    release_from_path,
    release_from_version,
)
from sahelrisk.errors import DataFileError, FetchError, SpecError
from sahelrisk.files import write_text_atomic

__all__ = ["update_ucdp", "update_from_ucdp_api", "update_acled", "UpdateOutcome", "DEFAULT_UCDP_URL", "UCDP_URL_ENV",
           "UCDP_COLUMNS", "BORDER_MARGIN_DEG"]

log = logging.getLogger(__name__)

DEFAULT_UCDP_URL = "https://ucdp.uu.se/downloads/"
DEFAULT_DEADLINE_S = 1800.0   # the whole update: a stalled site cannot hold the weekly job's lock for hours
FILE_DEADLINE_S = 900.0       # one file: a global GED zip takes well under a minute on a slow link
# The largest file a release of each kind can be: a global GED zip is ~60 MB, its CSV ~400 MB; a
# Candidate release (global, a month or a year to date) well under 100 MB.
MAX_BYTES = {"ged": 1_000_000_000, "monthly": 300_000_000, "cumulative": 500_000_000}
UCDP_URL_ENV = "SAHELRISK_UCDP_URL"
BORDER_MARGIN_DEG = 1.5  # about 165 km: events across a border reach the 100 km rings
RAW_DIR, SCOPE_DIR = "events/ucdp/raw", "events/ucdp/scope"

# The official GED / Candidate CSV columns, for releases published without a header row.
UCDP_COLUMNS = [
    "id", "relid", "year", "active_year", "code_status", "type_of_violence", "conflict_dset_id", "conflict_new_id",
    "conflict_name", "dyad_dset_id", "dyad_new_id", "dyad_name", "side_a_dset_id", "side_a_new_id", "side_a",
    "side_b_dset_id", "side_b_new_id", "side_b", "number_of_sources", "source_article", "source_office",
    "source_date", "source_headline", "source_original", "where_prec", "where_coordinates", "where_description",
    "adm_1", "adm_2", "latitude", "longitude", "geom_wkt", "priogrid_gid", "country", "country_id", "region",
    "event_clarity", "date_prec", "date_start", "date_end", "deaths_a", "deaths_b", "deaths_civilians",
    "deaths_unknown", "best", "high", "low", "gwnoa", "gwnob",
]


CANNOT_CONNECT = "cannot connect"
"""The words of a request that reached no server (a site down, a wrong address, no network)."""


@dataclass
class UpdateOutcome:
    """What an update did.

    Attributes
    ----------
    new : list of str
        Releases brought in for the first time.
    changed : list of str
        Releases the server now serves with other bytes (the new file is kept beside the old).
    unchanged : list of str
        Releases held and unchanged on the server.
    warnings : list of str
        One line per URL that failed (the update went on without it).
    revisions : RevisionReport
        Ids added, revised and withdrawn, per country.
    report_path : Path or None
        The JSON report of this update.
    """

    new: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    revisions: RevisionReport = field(default_factory=RevisionReport)
    report_path: Path | None = None

    @property
    def nothing_new(self) -> bool:
        """No release new or changed on the server."""
        return not (self.new or self.changed)

    @property
    def unreached(self) -> bool:
        """Nothing came back from the site: every request it was sent failed to connect."""
        return bool(self.warnings) and not (self.new or self.changed or self.unchanged) \
            and all(CANNOT_CONNECT in w for w in self.warnings)

    def record(self, manifest: Manifest, release: str, held: ManifestEntry | None,
               entry: ManifestEntry | None) -> None:
        """Note what became of one release; a new or changed file joins the manifest."""
        if entry is None:
            self.unchanged.append(release)
            return
        if held is not None:
            held.replaced_by = entry.path  # the old bytes stay, beside the new
            self.changed.append(release)
        else:
            self.new.append(release)
        manifest.entries.append(entry)


def _head(url: str, timeout: float) -> tuple[int, dict]:
    """(HTTP status, headers) of ``url``; a server that cannot be reached is a :class:`FetchError`."""
    try:
        request = urllib.request.Request(url, method="HEAD")
        with open_url(url, request, timeout) as response:   # its headers within the timeout, all told
            return response.status, dict(response.headers)
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers or {})
    except (urllib.error.URLError, OSError) as e:
        raise FetchError(f"{url}: {CANNOT_CONNECT} ({getattr(e, 'reason', e)})") from e
    except (http.client.HTTPException, ValueError) as e:   # not HTTP, a header flood, a line too long, a bad URL
        raise FetchError(f"{url}: {not_http(e)}") from e


ACLED_PATH, ACLED_STATE = "events/acled/acled_api.csv", "events/acled/state.json"


def update_acled(data_dir: str | Path, api: Any, *, countries: Sequence[str] = ("MLI", "BFA", "NER")) -> dict:
    """Bring ACLED's events of the countries up to date through its API, in the user's data directory.

    The first call takes every event; later calls only those updated since the newest
    ``timestamp`` held, and remove the events ACLED deleted. The rows go to
    ``events/acled/acled_api.csv`` (atomically) and the state (a timestamp, never a credential)
    to ``events/acled/state.json``.

    Returns
    -------
    dict
        ``{"updated": n, "deleted": n, "rows": n, "since": timestamp or None}``
    """
    data_dir = Path(data_dir)
    state_path, table_path = data_dir / ACLED_STATE, data_dir / ACLED_PATH
    since = json.loads(state_path.read_text())["last_timestamp"] if state_path.is_file() else None
    names = [get_country(c).names[0] for c in sorted(countries)]
    fresh = api.events(names, since=since)
    gone = set(api.deleted(since=since)) if since is not None else set()
    held = pd.read_csv(table_path, dtype=str, keep_default_na=False) if table_path.is_file() else pd.DataFrame()
    deleted = 0
    if len(held):
        replaced = set(fresh["event_id_cnty"]) if len(fresh) else set()
        deleted = int(held["event_id_cnty"].isin(gone - replaced).sum())
        held = held[~held["event_id_cnty"].isin(replaced | gone)]
    table = pd.concat([held, fresh], ignore_index=True) if len(fresh) else held
    if len(table):
        table_path.parent.mkdir(parents=True, exist_ok=True)
        write_text_atomic(table_path, table.to_csv(index=False))
        newest = int(pd.to_numeric(table["timestamp"], errors="coerce").max())
        write_text_atomic(state_path, json.dumps({"last_timestamp": newest}) + "\n")
    return {"updated": len(fresh), "deleted": deleted, "rows": len(table), "since": since}


def _check_payload(url: str, path: Path) -> None:
    """Refuse what is not the published file: an HTML page, a zip that is not one, a non-CSV."""
    with open(path, "rb") as handle:
        start = handle.read(512)
    head = start.lstrip(b"\xef\xbb\xbf \r\n\t").lower()
    if head.startswith(b"<") or b"<html" in head:
        raise FetchError(f"{url}: the server sent an HTML page instead of the file")
    if url.endswith(".zip"):
        if not zipfile.is_zipfile(path):
            raise FetchError(f"{url}: the download is not a zip archive")
    elif b"," not in start:
        raise FetchError(f"{url}: the download is not a CSV file")
    else:
        with open(path, "rb") as handle:
            handle.seek(-1, os.SEEK_END)
            if handle.read(1) != b"\n":   # UCDP's files end their last row; a cut one stops mid-row
                raise FetchError(f"{url}: the file ends mid-row (no final line end): a cut download, held back; "
                                 "the next update tries again")


CHUNK_ROWS = 50_000  # a global GED has ~400,000 rows: filter it a slice at a time


def _members(path: Path) -> list[tuple[Path, Callable[[], IO[bytes]]]]:
    """(name for messages, opener) of each CSV in a release file (a zip holds one or more)."""
    if path.suffix == ".zip":
        with zipfile.ZipFile(path) as archive:
            names = [m for m in archive.namelist() if m.lower().endswith(".csv")]
        if not names:
            raise DataFileError(path, "holds no CSV file", "Check the release on the download site")
        return [(path / m, partial(zipfile.ZipFile(path).open, m)) for m in names]
    return [(path, partial(_open_binary, path))]


def _open_binary(path: Path) -> IO[bytes]:
    return open(path, "rb")


def _scan_release(path: Path, countries: list[str], margin: float) -> tuple[int, pd.DataFrame]:
    """(rows read, in-scope rows as string columns with their source row number), chunk by chunk;
    a file published without a header row gets the official column names."""
    read, kept = 0, []
    for name, opener in _members(path):
        with opener() as raw, io.TextIOWrapper(raw, encoding="utf-8-sig", newline="") as text:
            first = text.readline()
            headerless = first.split(",", 1)[0].strip('" \r\n').isdigit()
            header = list(UCDP_COLUMNS if headerless else next(csv.reader([first]), []))
            missing = missing_columns(header)
            if missing:   # an error message or another table served with a 200
                raise DataFileError(name, f"is not a UCDP release: its header ({', '.join(header[:4]) or 'empty'}"
                                    f"{'...' if len(header) > 4 else ''}) lacks {', '.join(missing[:4])}"
                                    f"{'...' if len(missing) > 4 else ''}",
                                    "The download site served something else; the next update retries")
            lines = itertools.chain([first], text) if headerless else iter(text)
            # The first record (quoted line breaks and all) tells the field count: the UCDP country
            # extracts end every row with a comma, one empty field more than the header names.
            seen: list[str] = []
            record = next(csv.reader(_recording(lines, seen)), [])
            trailing = len(record) == len(header) + 1 and record[-1] == ""
            if record and len(record) != len(header) and not trailing:
                raise DataFileError(name, f"rows have {len(record)} fields but the header names {len(header)}",
                                    "Check the release on the download site; the next update retries")
            names = header + ["_trailing"] if trailing else header
            try:
                chunks = pd.read_csv(_Lines(itertools.chain(seen, lines)), names=names, header=None, dtype=str,
                                     keep_default_na=False, na_filter=False, chunksize=CHUNK_ROWS)
                for chunk in chunks:
                    if trailing:
                        if (chunk["_trailing"] != "").any():
                            raise DataFileError(name, "a row has a field more than the header names",
                                                "Check the release on the download site")
                        chunk = chunk.drop(columns="_trailing")
                    chunk.insert(0, RECORD, np.arange(read + 1, read + len(chunk) + 1))
                    read += len(chunk)
                    kept.append(chunk.loc[_in_scope(chunk, countries, margin)])
            except (pd.errors.ParserError, UnicodeDecodeError, csv.Error) as e:
                raise DataFileError(name, f"is not a well-formed UCDP CSV ({e})",
                                    "Check the release on the download site; the next update retries") from e
    frame = pd.concat(kept, ignore_index=True) if kept else pd.DataFrame(columns=[RECORD, *UCDP_COLUMNS])
    return read, frame


def _recording(lines: Iterable[str], seen: list) -> Iterator[str]:
    """Yield from ``lines``, keeping each line handed out in ``seen`` (to hand it out again)."""
    for line in lines:
        seen.append(line)
        yield line


class _Lines(io.TextIOBase):
    """A file-like view of an iterator of lines, for pandas."""

    def __init__(self, lines: Iterable[str]) -> None:
        self._lines = iter(lines)
        self._buffer = ""

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> str:  # type: ignore[override]  # a text view: -1 reads all
        while size < 0 or len(self._buffer) < size:
            line = next(self._lines, None)
            if line is None:
                break
            self._buffer += line
        if size < 0:
            out, self._buffer = self._buffer, ""
        else:
            out, self._buffer = self._buffer[:size], self._buffer[size:]
        return out


def _in_scope(raw: pd.DataFrame, countries: list[str], margin: float) -> np.ndarray:
    """Rows of the countries in scope, or located within ``margin`` degrees of their bounding boxes."""
    if "country_id" in raw:
        iso3 = raw["country_id"].map(iso3_from_gw).astype("string").fillna(to_iso3(raw["country"]))
    else:
        iso3 = to_iso3(raw["country"])
    keep = iso3.isin(countries).to_numpy(dtype=bool).copy()
    if "latitude" in raw and "longitude" in raw:
        lat = pd.to_numeric(raw["latitude"], errors="coerce").to_numpy()
        lon = pd.to_numeric(raw["longitude"], errors="coerce").to_numpy()
        for c in countries:  # NaN coordinates compare False: unlocated rows count by country only
            west, south, east, north = get_country(c).bbox
            keep |= ((lon >= west - margin) & (lon <= east + margin) & (lat >= south - margin)
                     & (lat <= north + margin))
    return keep


def _write_scope(raw_path: Path, scope_path: Path, countries: list[str], margin: float,
                 previous_rows: int | None = None, previous: pd.DataFrame | None = None) -> tuple[int, int]:
    """Copy the in-scope rows of a raw release to Parquet (atomically) once they pass
    :func:`check_release`; (rows, rows kept)."""
    rows, kept = _scan_release(raw_path, countries, margin)
    check_release(raw_path.name, kept, previous_rows, previous=previous)
    scope_path.parent.mkdir(parents=True, exist_ok=True)
    tmp = scope_path.with_name(f".{scope_path.name}.tmp")
    kept.to_parquet(tmp, index=False)
    os.replace(tmp, scope_path)
    return rows, len(kept)


SUSPICIOUS_SHARE = 0.01   # more duplicated ids or impossible coordinates than this: not a release to take
SHRINK_LIMIT = 0.5        # a GED or cumulative release with fewer in-scope rows than this share of the last one
WITHDRAW_SHARE = 0.10     # ... or one that no longer holds more than this share of a country's events of the last one
WITHDRAW_MIN = 10         # (and at least this many: a country with 3 events may lose 1)


def check_release(name: str, rows: pd.DataFrame, previous_rows: int | None = None, *,
                  previous: pd.DataFrame | None = None) -> None:
    """Refuse a release that does not look like one: ids that are not numbers (a formula), many
    repeated ids, many impossible coordinates (0,0 or off the globe), or far fewer rows than the
    previous release of its kind. Raises :class:`DataFileError` with the reason; nothing is taken.

    Parameters
    ----------
    name : str
        The file, for the message.
    rows : pandas.DataFrame
        Its in-scope rows, as text (``id``, ``latitude``, ``longitude``).
    previous_rows : int, optional
        In-scope rows of the last release of the same kind (GED or cumulative Candidate).
    previous : pandas.DataFrame, optional
        Those rows (``id``, ``country``, ``date_start``): a release that would withdraw more than
        :data:`WITHDRAW_SHARE` of a country's events of them (and at least :data:`WITHDRAW_MIN`)
        is held back, whatever its total, naming the country and its worst month.
    """
    fix = "Held back: check the release on the download site; the next update tries again"
    ids = rows["id"].astype(str).str.strip() if "id" in rows else pd.Series(dtype=str)
    odd = ids[~ids.str.fullmatch(r"\d+")]
    if len(odd):
        raise DataFileError(name, f"{len(odd)} event ids are not numbers (first {odd.iloc[0][:40]!r})", fix)
    repeated = int(ids.duplicated().sum())
    if len(ids) and repeated > SUSPICIOUS_SHARE * len(ids):
        raise DataFileError(name, f"{repeated} of {len(ids)} rows repeat an event id", fix)
    if {"latitude", "longitude"} <= set(rows.columns) and len(rows):
        lat = pd.to_numeric(rows["latitude"], errors="coerce")
        lon = pd.to_numeric(rows["longitude"], errors="coerce")
        impossible = int((((lat == 0) & (lon == 0)) | (lat.abs() > 90) | (lon.abs() > 180)).sum())
        if impossible > SUSPICIOUS_SHARE * len(rows):
            raise DataFileError(name, f"{impossible} of {len(rows)} rows sit at 0,0 or off the globe", fix)
    if previous_rows and len(rows) < SHRINK_LIMIT * previous_rows:
        raise DataFileError(name, f"{len(rows)} rows in scope against {previous_rows} in the previous release of its "
                                  "kind (a cut or partial file?)", fix)
    if previous is not None and len(previous) and {"id", "country", "date_start"} <= set(previous.columns):
        _check_withdrawals(name, ids, previous, fix)


def _check_withdrawals(name: str, ids: pd.Series, previous: pd.DataFrame, fix: str) -> None:
    """Hold back a release that drops too many of a country's events the last release held."""
    old = previous.assign(id=previous["id"].astype(str).str.strip(),
                          month=previous["date_start"].astype(str).str[:7])
    gone = old[~old["id"].isin(set(ids))]
    if gone.empty:
        return
    per_country = pd.DataFrame({"gone": gone.groupby("country").size(), "held": old.groupby("country").size()})
    per_country = per_country.dropna()
    bad = per_country[(per_country["gone"] >= WITHDRAW_MIN)
                      & (per_country["gone"] > WITHDRAW_SHARE * per_country["held"])]
    if bad.empty:
        return
    country = (bad["gone"] / bad["held"]).idxmax()
    months = gone[gone["country"] == country].groupby("month").size()
    month = months.idxmax()
    held_month = int((old["country"].eq(country) & old["month"].eq(month)).sum())
    raise DataFileError(name, f"would withdraw {int(bad.loc[country, 'gone'])} of {country}'s "
                              f"{int(bad.loc[country, 'held'])} events of the previous release of its kind "
                              f"({int(months.max())} of {held_month} in {month}), more than "
                              f"{WITHDRAW_SHARE:.0%}", fix)


def _resolved(data_dir: Path, manifest: Manifest, countries: Sequence[str]) -> pd.DataFrame:
    releases = [rows for rows, _ in manifest_releases(data_dir, manifest, countries=set(countries))]
    return resolve_releases(releases)[0]


def _plan(manifest: Manifest, base: str, until: date, timeout: float, warnings: list[str],
          answers: dict) -> list[Release]:
    """The GED versions that can be out by ``until``, then the Candidate releases of the years
    after the newest GED found. The server's answers about GED files go into ``answers`` (URL ->
    (status, headers)) so they are not asked again."""
    held_ged = [r for r in (release_from_path(e.path) or release_from_path(e.url) for e in manifest.current())
                if r and r.kind == "ged"]
    newest_covered = max((r.last.year for r in held_ged), default=2000 + GED_FLOOR - 1)
    plan = []
    for version in range(GED_FLOOR, until.year - 2000 + 1):
        release = ged_release(version)
        if release.published > until:
            continue
        plan.append(release)
        if manifest.held(release.name) is None:
            try:
                status, _ = answers[base + release.path] = _head(base + release.path, timeout)
            except FetchError as e:
                warnings.append(f"warning: {e}")
                continue
            if status == 200:
                newest_covered = max(newest_covered, release.last.year)
    for year in range(newest_covered + 1, until.year + 1):
        plan.extend(candidate_plan(year, until))
    return plan


def update_ucdp(data_dir: str | Path, *, until: date, retrieved_at: str, base_url: str = DEFAULT_UCDP_URL,
                countries: Sequence[str] = ("MLI", "BFA", "NER"), margin_deg: float = BORDER_MARGIN_DEG, timeout: float = 60.0,
                deadline_s: float = DEFAULT_DEADLINE_S, on_progress: Callable | None = None) -> UpdateOutcome:
    """Bring in every UCDP release published since the last update.

    Parameters
    ----------
    data_dir : str or Path
        The data directory (files go under ``events/ucdp/``).
    until : date
        The caller's date: releases due after it are not probed.
    retrieved_at : str
        The caller's timestamp, recorded in the manifest.
    base_url : str
        The download root laid out like UCDP's (default the official site).
    countries : sequence of str
        ISO3 codes in scope; rows within ``margin_deg`` of their bounding boxes are kept too.
    timeout : float
        Seconds a request may wait for the server.
    deadline_s : float
        Seconds the whole update may take; each file gets at most :data:`FILE_DEADLINE_S` of what
        remains. A file past its deadline or its kind's size cap (:data:`MAX_BYTES`) is a warning
        naming the URL; the data held stays as it was.
    on_progress : callable, optional
        ``(file, bytes done, total)`` during downloads.

    Returns
    -------
    UpdateOutcome
    """
    data_dir = Path(data_dir)
    base = base_url.rstrip("/") + "/"
    countries = sorted(countries)
    manifest = Manifest.read(data_dir)
    before = _resolved(data_dir, manifest, countries)
    outcome = UpdateOutcome()
    answers: dict = {}
    deadline = time.monotonic() + deadline_s
    not_asked: list[str] = []
    for release in _plan(manifest, base, until, timeout, outcome.warnings, answers):
        url = base + release.path
        held = manifest.held(release.name)
        if time.monotonic() > deadline:
            not_asked.append(release.name)
            continue
        try:
            status, headers = answers.pop(url, None) or _head(url, timeout)
            if status == 404:
                if held is not None:
                    outcome.warnings.append(f"warning: {url}: no longer on the server; the copy held is kept")
                continue
            if status != 200:
                raise FetchError(f"{url}: server answered HTTP {status}")
            stamp = (headers.get("Last-Modified", ""), headers.get("ETag", ""))
            if held is not None and str(held.bytes) == headers.get("Content-Length") \
                    and stamp == (held.last_modified, held.etag):
                outcome.unchanged.append(release.name)
                continue
            limits = _Limits(timeout, min(deadline, time.monotonic() + FILE_DEADLINE_S), MAX_BYTES[release.kind],
                             _previous_rows(manifest, release), _previous_scope(data_dir, manifest, release))
            entry = _download(data_dir, release, url, held, stamp, countries, margin_deg, retrieved_at, on_progress,
                              limits)
        except (FetchError, DataFileError) as e:
            outcome.warnings.append(f"warning: {e}")
            continue
        outcome.record(manifest, release.name, held, entry)
    if not_asked:
        outcome.warnings.append(f"warning: {base}: the update passed its deadline of {deadline_s:.0f} s; "
                                f"{', '.join(not_asked)} not asked, the next update asks again")
    manifest.base_url = base
    return _finish(data_dir, manifest, outcome, before, countries, base, retrieved_at)


def _finish(data_dir: Path, manifest: Manifest, outcome: UpdateOutcome, before: pd.DataFrame, countries: Sequence[str],
            source: str, retrieved_at: str) -> UpdateOutcome:
    """Report the revisions and write the manifest (last, atomically) when anything is new."""
    if outcome.nothing_new:
        if manifest.entries and manifest != Manifest.read(data_dir):
            manifest.write(data_dir)  # new server stamps of unchanged files: no re-download next time
        return outcome
    after = _resolved(data_dir, manifest, countries)
    outcome.revisions = diff_events(before, after)
    manifest.write(data_dir)
    report = {"retrieved_at": retrieved_at, "source": source, "new": outcome.new, "changed": outcome.changed,
              "warnings": outcome.warnings, **outcome.revisions.to_dict()}
    outcome.report_path = write_text_atomic(data_dir / UPDATES_DIR / "last_update.json",
                                            json.dumps(report, indent=2) + "\n")
    for line in outcome.revisions.lines():
        log.info("update: %s", line)
    return outcome


def update_from_ucdp_api(data_dir: str | Path, api: Any, versions: list[str], *, retrieved_at: str,
                         countries: Sequence[str] = ("MLI", "BFA", "NER"), margin_deg: float = BORDER_MARGIN_DEG) -> UpdateOutcome:
    """Bring in GED or Candidate ``versions`` through the UCDP API (a token), as held releases.

    Parameters
    ----------
    data_dir : str or Path
    api : UcdpApi
    versions : list of str
        E.g. ``["25.1", "26.0.8"]``.
    retrieved_at : str
        The caller's timestamp.
    countries : sequence of str
        ISO3 codes to ask for (by their Gleditsch-Ward codes).

    Returns
    -------
    UpdateOutcome
    """
    data_dir = Path(data_dir)
    countries = sorted(countries)
    manifest = Manifest.read(data_dir)
    before = _resolved(data_dir, manifest, countries)
    outcome = UpdateOutcome()
    codes = [get_country(c).gw for c in countries if get_country(c).gw]
    for version in versions:
        release = release_from_version(version)
        if release is None:
            raise SpecError(f"UCDP version {version!r} is not a GED (25.1), monthly (26.0.7) or cumulative "
                            "(26.01.26.06) version")
        url = f"{api.root.rstrip('/')}/gedevents/{version}"   # recorded without the token
        held = manifest.held(release.name)
        try:
            rows = api.events(version, codes)
            incoming = data_dir / RAW_DIR / f"GEDEvent_v{version.replace('.', '_')}.csv.download"
            incoming.parent.mkdir(parents=True, exist_ok=True)
            rows.reindex(columns=[c for c in UCDP_COLUMNS if c in rows] or rows.columns).to_csv(incoming, index=False)
            named = replace(release, path=f"api/GEDEvent_v{version.replace('.', '_')}.csv")
            entry = _adopt(data_dir, named, url, incoming, held, ("", ""), countries, margin_deg, retrieved_at)
        except (FetchError, DataFileError) as e:
            outcome.warnings.append(f"warning: {e}")
            continue
        outcome.record(manifest, release.name, held, entry)
    return _finish(data_dir, manifest, outcome, before, countries, url if versions else "", retrieved_at)


@dataclass(frozen=True)
class _Limits:
    timeout: float      # seconds a request waits
    deadline: float     # time.monotonic() by which the file is in
    max_bytes: int      # more than its kind can hold is not the file
    previous_rows: int | None = None   # in-scope rows of the last release of its kind
    previous: pd.DataFrame | None = None   # those rows (id, country, date_start), for the withdrawal check


def _previous_scope(data_dir: Path, manifest: Manifest, release: Release) -> pd.DataFrame | None:
    """The in-scope rows (id, country, date) of the newest other release of the same kind, for
    kinds that only grow; None when there is none or it cannot be read."""
    if release.kind not in ("ged", "cumulative"):
        return None
    same = [e for e in manifest.current() if e.kind == release.kind and e.release != release.name and e.scope_path]
    if not same:
        return None
    try:
        return pd.read_parquet(data_dir / max(same, key=lambda e: e.last).scope_path,
                               columns=["id", "country", "date_start"])
    except (OSError, ValueError, KeyError):
        return None   # the check runs on what can be read; the loader reports a damaged scope file


def _previous_rows(manifest: Manifest, release: Release) -> int | None:
    """In-scope rows of the newest other release of the same kind, for kinds that only grow."""
    if release.kind not in ("ged", "cumulative"):
        return None    # a month's count rises and falls with the violence
    same = [e for e in manifest.current() if e.kind == release.kind and e.release != release.name]
    return max(same, key=lambda e: e.last).scope_rows if same else None


def _download(data_dir: Path, release: Release, url: str, held: ManifestEntry | None, stamp: tuple[str, str],
              countries: list[str], margin: float, retrieved_at: str, on_progress: Callable[[str, int, int | None], None] | None, limits: _Limits) -> ManifestEntry | None:
    """Download, check and copy one release; None when the bytes are those already held."""
    incoming = data_dir / RAW_DIR / f"{release.filename}.download"
    try:
        fetch_file(url, incoming, on_progress=on_progress, timeout=limits.timeout, deadline=limits.deadline,
                   max_bytes=limits.max_bytes)
    except FetchError:
        # Not resumed: the server may publish other bytes under the same name before the next try.
        incoming.with_name(incoming.name + ".part").unlink(missing_ok=True)
        raise
    try:
        return _adopt(data_dir, release, url, incoming, held, stamp, countries, margin, retrieved_at,
                      limits.previous_rows, limits.previous)
    except DataFileError as e:   # the warning names the URL the bad file came from
        raise FetchError(f"{url}: {Path(e.path).name} {e.problem}. {e.fix}") from e


def _adopt(data_dir: Path, release: Release, url: str, incoming: Path, held: ManifestEntry | None,
           stamp: tuple[str, str], countries: list[str], margin: float, retrieved_at: str,
           previous_rows: int | None = None, previous: pd.DataFrame | None = None) -> ManifestEntry | None:
    """Keep a complete incoming file as the release's raw copy and write its in-scope Parquet."""
    raw_dir = data_dir / RAW_DIR
    size = incoming.stat().st_size
    try:
        _check_payload(url, incoming)
        digest = sha256_of(incoming)
        if held is not None and digest == held.sha256:
            held.last_modified, held.etag = stamp  # same bytes: remember the new stamp, skip them next time
            return None
        stem, dot, suffix = release.filename.partition(".")
        name = release.filename if held is None else f"{stem}.{digest[:8]}.{suffix}"
        raw_path = raw_dir / name
        os.replace(incoming, raw_path)
    finally:
        incoming.unlink(missing_ok=True)
    scope_name = release.name if held is None else f"{release.name}.{digest[:8]}"
    scope_path = data_dir / SCOPE_DIR / f"{scope_name}.parquet"
    try:
        rows, kept = _write_scope(raw_path, scope_path, countries, margin, previous_rows, previous)
    except DataFileError:
        raw_path.unlink(missing_ok=True)  # not recorded: the next update tries again
        raise
    return ManifestEntry(
        release=release.name, kind=release.kind, url=url, path=raw_path.relative_to(data_dir).as_posix(),
        bytes=size, sha256=digest, retrieved_at=retrieved_at, published=str(release.published),
        first=str(release.first), last=str(release.last), rows=rows,
        scope_path=scope_path.relative_to(data_dir).as_posix(), scope_sha256=sha256_of(scope_path),
        scope_rows=kept, last_modified=stamp[0], etag=stamp[1])
