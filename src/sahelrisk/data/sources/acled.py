"""ACLED exports: the older HDX country CSV (HXL tag row, numeric ``inter1``) and the current
export / API CSV (text ``inter1``, ``civilian_targeting``).

Only political violence comparable with UCDP loads: battles, explosions/remote violence and
violence against civilians. Protests, riots and strategic developments are counted as out of
scope. Violence type: violence against civilians, or any event ACLED marks as civilian
targeting, is ``one_sided``; a battle or explosion with state forces on either side is
``state_based``; other battles and explosions are ``non_state``.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd

from sahelrisk.countries import in_scope, to_iso3
from sahelrisk.data.quarantine import RowChecker, parse_dates, to_number
from sahelrisk.data.readers import RECORD, read_table, require_columns
from sahelrisk.data.schemas import FileEvents, finish_events

__all__ = ["read_acled_events", "ACLED_DATE_FORMATS", "ARMED_EVENT_TYPES"]

# ISO from HDX and the API, "01 January 2020" from the old export tool, "12-September-22" and
# "12-Sep-22" as Excel leaves them.
ACLED_DATE_FORMATS = ["%Y-%m-%d", "%d %B %Y", "%d-%B-%y", "%d-%b-%y", "%d-%B-%Y", "%d-%b-%Y"]
ARMED_EVENT_TYPES = {"Battles", "Explosions/Remote violence", "Violence against civilians"}
_REQUIRED = ["event_id_cnty", "event_date", "event_type", "actor1", "actor2", "inter1", "inter2", "country",
             "admin1", "admin2", "latitude", "longitude", "geo_precision", "time_precision", "fatalities"]


def _is_state(inter: pd.Series) -> pd.Series:
    text = inter.astype("string").str.strip().str.lower()
    return (text == "1") | text.str.startswith("state forces")


def read_acled_events(path: str | Path, *, dataset: str, release: str, as_of: date,
                      countries: set[str] | None = None) -> FileEvents:
    """Read one ACLED CSV; return its events, quarantine and row counts."""
    path = Path(path)
    raw = read_table(path)
    require_columns(raw, path, _REQUIRED, "ACLED export")
    rows_read = len(raw)
    iso3 = to_iso3(raw["iso3"] if "iso3" in raw else raw["country"])
    armed = raw["event_type"].str.strip().isin(ARMED_EVENT_TYPES)
    scope = armed & in_scope(iso3, countries)
    raw, iso3 = raw.loc[scope].reset_index(drop=True), iso3[scope].reset_index(drop=True)

    civilian = raw["event_type"].str.strip().eq("Violence against civilians")
    if "civilian_targeting" in raw:
        civilian |= raw["civilian_targeting"].str.strip().str.lower().eq("civilian targeting")
    state = _is_state(raw["inter1"]) | _is_state(raw["inter2"])
    violence = pd.Series("non_state", index=raw.index).mask(state, "state_based").mask(civilian, "one_sided")

    ev = pd.DataFrame({RECORD: raw[RECORD], "event_id": raw["event_id_cnty"].str.strip(), "source": "acled",
                       "release": release})
    ev["_raw_date_start"] = raw["event_date"]
    ev["date_start"] = parse_dates(raw["event_date"], ACLED_DATE_FORMATS)
    ev["date_end"] = ev["date_start"]
    malformed = {}
    for canon, col in (("date_precision", "time_precision"), ("geo_precision", "geo_precision"),
                       ("latitude", "latitude"), ("longitude", "longitude"), ("fatalities_best", "fatalities")):
        ev[canon], malformed[canon] = to_number(raw[col])
    ev["fatalities_low"] = ev["fatalities_best"]
    ev["fatalities_high"] = ev["fatalities_best"]
    ev["has_location"] = True
    ev["country_iso3"] = iso3.astype("string")
    ev["admin1"] = raw["admin1"].replace("", pd.NA)
    ev["admin2"] = raw["admin2"].replace("", pd.NA)
    ev["locality"] = raw["location"].replace("", pd.NA) if "location" in raw else pd.NA
    ev["_raw_violence_type"] = raw["event_type"]
    ev["violence_type"] = violence
    ev["actor1"] = raw["actor1"].replace("", pd.NA)
    ev["actor2"] = raw["actor2"].replace("", pd.NA)
    ev["conflict_name"] = pd.NA
    ev["code_status"] = pd.NA

    checker = RowChecker(ev, dataset=dataset, file=str(path), id_column="event_id")
    for canon, bad in malformed.items():
        checker.flag(bad, canon, f"{canon} is not a number")
    events, quarantine, repaired = finish_events(checker, as_of)
    return FileEvents(events, quarantine, rows_read, rows_read - int(scope.sum()), repaired)
