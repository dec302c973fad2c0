"""The data check: load every catalog dataset and report what loaded, what was rejected, and why.

This is what ``sahelrisk data check`` prints and the first step of the main job.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sahelrisk.calendar import parse_week
from sahelrisk.countries import country_codes
from sahelrisk.data.catalog import Catalog, Dataset
from sahelrisk.data.extent import CountryCoverage, country_coverage, data_extent
from sahelrisk.data.quarantine import write_quarantine
from sahelrisk.data.row_counts import RowDrop, row_drops, rows_by_country
from sahelrisk.data.sources import load_dataset, load_events
from sahelrisk.errors import DataFileError, DataGapError
from sahelrisk.files import write_text_atomic

__all__ = ["DatasetReport", "check_data", "reports_to_json", "missing_required", "flag_row_drops"]

_DATE_COLUMNS = ("date_start", "reference_date", "month")


@dataclass
class DatasetReport:
    """What loading one dataset found: rows read, loaded and quarantined, dates, countries, notes."""

    name: str
    title: str
    kind: str
    required: bool
    status: str                      # ok, missing, error
    rows_read: int = 0
    rows_loaded: int = 0
    quarantined: int = 0
    out_of_scope: int = 0
    date_min: str | None = None
    date_max: str | None = None
    countries: list[str] = field(default_factory=list)
    seconds: float = 0.0
    message: str = ""
    notes: list[str] = field(default_factory=list)
    quarantine_file: str | None = None
    rows_by_country: dict[str, int] = field(default_factory=dict)


def _date_range(table: pd.DataFrame) -> tuple[str | None, str | None]:
    for column in _DATE_COLUMNS:
        if column in table and table[column].notna().any():
            return (table[column].min().strftime("%Y-%m-%d"), table[column].max().strftime("%Y-%m-%d"))
    return None, None


def _countries(table: pd.DataFrame) -> list[str]:
    for column in ("country_iso3", "from_iso3"):
        if column in table:
            return sorted(set(table[column].dropna().astype(str)))
    return []


def _check_one(dataset: Dataset, data_dir: Path, as_of: date, countries: set[str] | None, out_dir: str | Path | None) -> DatasetReport:
    report = DatasetReport(dataset.name, dataset.title, dataset.kind, dataset.required, status="ok")
    missing = [f.path for f in dataset.files if not (data_dir / f.path).is_file()]
    if missing:
        report.status = "missing"
        command = "sahelrisk data update" if dataset.written_by_update else "sahelrisk data fetch"
        report.message = f"missing file(s): {', '.join(missing)}; run '{command}'"
        return report
    if dataset.loader == "none":  # provenance copies: presence is the check
        report.message = f"{len(dataset.files)} file(s) present (kept as provenance, not loaded)"
        return report
    started = time.perf_counter()
    try:
        result = load_dataset(dataset, data_dir, as_of=as_of, countries=countries)
    except DataFileError as e:
        report.status, report.message = "error", str(e)
        return report
    report.seconds = round(time.perf_counter() - started, 3)
    report.rows_read, report.rows_loaded = result.rows_read, result.rows_loaded
    report.quarantined, report.out_of_scope = len(result.quarantine), result.out_of_scope
    report.date_min, report.date_max = _date_range(result.table)
    report.countries = _countries(result.table)
    report.rows_by_country = rows_by_country(result.table)
    report.notes = list(result.notes)
    if out_dir is not None:
        path = write_quarantine(result.quarantine, out_dir, dataset.name)
        report.quarantine_file = str(path) if path else None
    if dataset.required and report.rows_loaded == 0 and dataset.loader != "none":
        # A header and no rows, or every row rejected, is a dataset gone dark, not "ok".
        report.status = "error"
        report.message = (f"no valid row loaded ({report.rows_read} read, {report.quarantined} rejected); "
                          "see the quarantine file, fix the files or run 'sahelrisk data fetch'")
        return report
    # A country the dataset declares, in scope, with no row left has gone dark there.
    dark = [c for c in dataset.countries or () if (countries is None or c in countries) and c not in report.countries]
    if dark:
        report.status = "error"
        report.message = (f"declares {', '.join(dark)} but no valid row of {'them' if len(dark) > 1 else 'it'} "
                          "loaded; see the quarantine file, fix the files or run 'sahelrisk data fetch'")
    return report


def coverage_report(catalog: Catalog, data_dir: str | Path, *, as_of: date, countries: Iterable[str]) -> list[CountryCoverage]:
    """Per country in scope: do its located events reach the last week the data supports?

    Parameters
    ----------
    catalog : Catalog
    data_dir : str or Path
    as_of : date
        The data cut-off.
    countries : iterable of str
        ISO3 codes to check.

    Returns
    -------
    list of CountryCoverage
        One per country; ``stale`` marks a country whose events stop or fall far below its own
        recent history (a country gone dark would otherwise read as calm).
    """
    events = load_events(catalog, data_dir, as_of=as_of).table
    try:
        week = data_extent(events, countries).last_week
    except DataGapError:
        week = parse_week(as_of, "as_of")
    return country_coverage(events, countries, week, lag_weeks=catalog.reporting_lags())


def check_data(catalog: Catalog, data_dir: str | Path, *, as_of: date, countries: str | Iterable[str] | None = None,
               out_dir: str | Path | None = None, datasets: list[str] | None = None,
               on_dataset: Callable[[str], None] | None = None) -> list[DatasetReport]:
    """Load each dataset (all, or those named), writing rejected rows under ``out_dir/quarantine``.

    A dataset whose files are missing or unreadable is reported, not raised, so one broken file
    does not hide the state of the others.

    Parameters
    ----------
    catalog : Catalog
    data_dir : str or Path
    as_of : date
        The data cut-off: rows dated later are quarantined.
    countries : str or iterable of str, optional
        ISO3 codes in scope (one code, ``"MLI,BFA"`` or a list; None: every country).
    out_dir : str or Path, optional
        Where ``quarantine/<dataset>.csv`` files go.
    datasets : list of str, optional
        Only these datasets.
    on_dataset : callable, optional
        Called with each dataset's name before it loads (progress display).

    Returns
    -------
    list of DatasetReport
        Per dataset: status, rows read, loaded, quarantined, out of scope, dates, countries, notes.
    """
    data_dir = Path(data_dir)
    countries = country_codes(countries)
    if isinstance(datasets, str):
        datasets = [datasets]
    chosen = [catalog[n] for n in datasets] if datasets else list(catalog)
    reports = []
    for dataset in chosen:
        if on_dataset:
            on_dataset(dataset.name)
        reports.append(_check_one(dataset, data_dir, as_of, countries, out_dir))
    return reports


def missing_required(reports: list[DatasetReport]) -> list[DatasetReport]:
    """The required datasets that are not usable (missing, unreadable or without a valid row)."""
    return [r for r in reports if r.required and r.status != "ok"]


def flag_row_drops(reports: list[DatasetReport], previous_report: str | Path, *, as_of: date,
                   countries: Iterable[str] | None = None) -> list[RowDrop]:
    """Compare each dataset's rows per country with the previous report's; add a note per fall.

    Parameters
    ----------
    reports : list of DatasetReport
        This load's reports; a note is appended to the dataset whose country fell.
    previous_report : str or Path
        The previous ``data_check.json`` (absent or unreadable: nothing to compare).
    as_of : date
        This load's cut-off.
    countries : iterable of str, optional
        The countries in scope now.

    Returns
    -------
    list of RowDrop
    """
    try:
        previous = json.loads(Path(previous_report).read_text())
        before = {d["name"]: d.get("rows_by_country") or {} for d in previous["datasets"] if d["status"] == "ok"}
    except (OSError, ValueError, KeyError, TypeError):
        return []
    now = {r.name: r.rows_by_country for r in reports if r.status == "ok"}
    drops = row_drops(before, now, previous_as_of=previous.get("as_of"), as_of=as_of, countries=countries)
    by_name = {r.name: r for r in reports}
    for drop in drops:
        by_name[drop.dataset].notes.append(drop.text)
    return drops


def reports_to_json(reports: list[DatasetReport], path: str | Path, coverage: Sequence[Any] = (), **context: object) -> Path:
    """Write the data check's report (datasets and per-country coverage) as JSON, atomically."""
    payload = {**context, "datasets": [asdict(r) for r in reports], "countries": [asdict(c) for c in coverage]}
    return write_text_atomic(path, json.dumps(payload, indent=2, default=str))
