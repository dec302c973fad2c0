"""UCDP event files: GED (full CSV and the country extracts), Candidate CSV/XLSX, 7-column extract.

The layout is recognised from the header, so any of UCDP's published forms loads through one
function:

- ``full``: the official 49-column GED / Candidate schema (``best``, ``date_start``, ``gwnoa``);
- ``extract``: the 47-column country extracts (``best_est``; ``MM/DD/YYYY HH:MM:SS`` dates);
- ``short``: the 7-column 2025 Candidate extract, which has no location: its rows load with
  ``has_location`` false and count at country level only.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.countries import in_scope, iso3_from_gw, to_iso3
from sahelrisk.data.quarantine import RowChecker, parse_dates, to_number
from sahelrisk.data.readers import RECORD, read_table, require_columns
from sahelrisk.data.schemas import FileEvents, finish_events

__all__ = ["read_ucdp_events", "detect_layout", "missing_columns", "UCDP_DATE_FORMATS"]

UCDP_DATE_FORMATS = ["%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%d %H:%M:%S", "%Y-%m-%d", "%m/%d/%Y %H:%M:%S", "%m/%d/%Y"]
_VIOLENCE = {"1": "state_based", "2": "non_state", "3": "one_sided"}
_LAYOUT_COLUMNS = {
    "full": ["id", "type_of_violence", "side_a", "side_b", "where_prec", "adm_1", "adm_2", "latitude",
             "longitude", "country", "country_id", "date_prec", "date_start", "date_end", "best", "high", "low"],
    "extract": ["id", "type_of_violence", "side_a", "side_b", "where_prec", "adm_1", "adm_2", "latitude",
                "longitude", "country", "country_id", "date_prec", "date_start", "date_end", "best_est",
                "high_est", "low_est"],
    "short": ["id", "conflict_name", "country", "best", "type_of_violence", "date"],
}


def detect_layout(columns: Iterable[str]) -> str:
    """Which UCDP layout a header is: ``long`` (GED, Candidate) or ``short`` (the API's)."""
    columns = set(columns)
    if "best_est" in columns:
        return "extract"
    if "date_start" in columns or "latitude" in columns:
        return "full"
    if "date" in columns:
        return "short"
    return "full"  # report against the official schema, the one users are most likely to have


def missing_columns(columns: Iterable[str]) -> list[str]:
    """The columns a UCDP file of this header's layout must have and lacks (empty: a UCDP file)."""
    columns = list(columns)
    return [c for c in _LAYOUT_COLUMNS[detect_layout(columns)] if c not in columns]


def _text(raw: pd.DataFrame, column: str) -> pd.Series:
    if column not in raw:
        return pd.Series(pd.NA, index=raw.index, dtype="string")
    values = raw[column].astype("string").str.strip()
    return values.where(values != "")


def read_ucdp_events(path: str | Path, *, dataset: str, source: str, release: str, as_of: date,
                     countries: set[str] | None = None) -> FileEvents:
    """Read one UCDP file; return its events, quarantine and row counts."""
    path = Path(path)
    raw = read_table(path)
    layout = detect_layout(raw.columns)
    require_columns(raw, path, _LAYOUT_COLUMNS[layout], f"UCDP {layout}")
    rows_read = len(raw)

    # Country first: rows of countries outside the run (global Candidate files) are out of scope,
    # not errors.
    if layout == "short":
        iso3 = to_iso3(raw["country"])
    else:
        iso3 = raw["country_id"].map(iso3_from_gw).astype("string").fillna(to_iso3(raw["country"]))
    scope = in_scope(iso3, countries)
    raw, iso3 = raw.loc[scope].reset_index(drop=True), iso3[scope].reset_index(drop=True)

    suffix = "_est" if layout == "extract" else ""
    date_col = "date" if layout == "short" else "date_start"
    ev = pd.DataFrame({RECORD: raw[RECORD], "event_id": _text(raw, "id"), "source": source, "release": release})
    ev["_raw_date_start"] = raw[date_col]
    ev["date_start"] = parse_dates(raw[date_col], UCDP_DATE_FORMATS)
    ev["date_end"] = ev["date_start"] if layout == "short" else parse_dates(raw["date_end"], UCDP_DATE_FORMATS)
    checker_fields = {}
    for canon, col in (("date_precision", "date_prec"), ("geo_precision", "where_prec"),
                       ("latitude", "latitude"), ("longitude", "longitude"),
                       ("fatalities_best", "best" + suffix), ("fatalities_low", "low" + suffix),
                       ("fatalities_high", "high" + suffix)):
        if col in raw:
            ev[canon], checker_fields[canon] = to_number(raw[col])
        else:
            ev[canon], checker_fields[canon] = np.nan, None
    ev["has_location"] = layout != "short"
    ev["country_iso3"] = iso3.astype("string")
    ev["admin1"] = _text(raw, "adm_1")
    ev["admin2"] = _text(raw, "adm_2")
    ev["locality"] = _text(raw, "where_coordinates")
    ev["_raw_violence_type"] = raw["type_of_violence"]
    ev["violence_type"] = raw["type_of_violence"].str.strip().map(_VIOLENCE)
    ev["actor1"] = _text(raw, "side_a")
    ev["actor2"] = _text(raw, "side_b")
    ev["conflict_name"] = _text(raw, "conflict_name")
    ev["code_status"] = _text(raw, "code_status")

    checker = RowChecker(ev, dataset=dataset, file=str(path), id_column="event_id")
    for canon, malformed in checker_fields.items():
        if malformed is not None:
            checker.flag(malformed, canon, f"{canon} is not a number")
    events, quarantine, repaired = finish_events(checker, as_of)
    return FileEvents(events, quarantine, rows_read, rows_read - int(scope.sum()), repaired)
