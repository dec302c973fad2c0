"""Canonical tables: their columns, dtypes and the row rules every loader applies.

The event table is the contract between sources and everything downstream: a UCDP row and an
ACLED row look the same once loaded.
"""

from __future__ import annotations

from datetime import date
from typing import NamedTuple

import geopandas as gpd
import numpy as np
import pandas as pd

from sahelrisk.countries import known_countries
from sahelrisk.data.quarantine import RowChecker

__all__ = ["EVENT_COLUMNS", "FileEvents", "VIOLENCE_TYPES", "SOURCES", "BBOX_TOLERANCE_DEG", "check_events",
           "check_coordinates", "finish_events", "widen_fatality_bounds", "empty_events", "to_geoframe"]

# column -> pandas dtype of the canonical event table (geometry comes last)
EVENT_COLUMNS: dict[str, str] = {
    "event_id": "string",
    "source": "string",           # ucdp_ged, ucdp_candidate, acled
    "release": "string",          # e.g. ged_24_1, candidate_26_0_2
    "date_start": "datetime64[ns]",
    "date_end": "datetime64[ns]",
    "date_precision": "Int8",     # the source's own scale: UCDP date_prec 1-5, ACLED time_precision 1-3
    "latitude": "float64",
    "longitude": "float64",
    "geo_precision": "Int8",      # UCDP where_prec 1-7, ACLED geo_precision 1-3
    "has_location": "bool",
    "country_iso3": "string",
    "admin1": "string",
    "admin2": "string",
    "locality": "string",         # the place the source names: UCDP where_coordinates, ACLED location
    "violence_type": "string",
    "actor1": "string",
    "actor2": "string",
    "conflict_name": "string",
    "fatalities_best": "float64",
    "fatalities_low": "float64",
    "fatalities_high": "float64",
    "code_status": "string",
}
VIOLENCE_TYPES = ("state_based", "non_state", "one_sided")
SOURCES = ("ucdp_ged", "ucdp_candidate", "acled")
# Simplified borders and UCDP's rounding put genuine border events a little outside a country's
# box; half a degree (~55 km) keeps them while still catching swapped or mistyped coordinates.
BBOX_TOLERANCE_DEG = 0.5


class FileEvents(NamedTuple):
    """What reading one event file gives."""

    events: gpd.GeoDataFrame
    quarantine: pd.DataFrame
    rows_read: int
    out_of_scope: int
    repaired: int


def empty_events() -> gpd.GeoDataFrame:
    """An events table with the canonical columns and no row."""
    frame = pd.DataFrame({c: pd.Series(dtype=t) for c, t in EVENT_COLUMNS.items()})
    return gpd.GeoDataFrame(frame, geometry=gpd.GeoSeries([], crs="EPSG:4326"), crs="EPSG:4326")


def check_coordinates(checker: RowChecker, lat: pd.Series, lon: pd.Series, iso3: pd.Series,
                      located: pd.Series) -> None:
    """Flag coordinates out of range or outside the declared country's box (naming a likely swap)."""
    in_range = lat.between(-90, 90) & lon.between(-180, 180)
    checker.flag(located & ~in_range, "latitude;longitude",
                 "coordinates out of range: latitude " + lat.astype(str) + ", longitude " + lon.astype(str)
                 + " (latitude must be -90..90, longitude -180..180)")
    boxes = {c.iso3: c.bbox for c in known_countries().values()}
    box = pd.DataFrame([boxes.get(i, (np.nan,) * 4) for i in iso3], index=lat.index,
                       columns=["x0", "y0", "x1", "y1"])
    t = BBOX_TOLERANCE_DEG

    def inside(x: pd.Series, y: pd.Series) -> pd.Series:
        return x.between(box.x0 - t, box.x1 + t) & y.between(box.y0 - t, box.y1 + t)

    outside = located & in_range & box.x0.notna() & ~inside(lon, lat)
    swapped = outside & inside(lat, lon)
    checker.flag(swapped, "latitude;longitude",
                 "latitude and longitude look swapped: (" + lat.astype(str) + ", " + lon.astype(str)
                 + ") lies outside " + iso3.astype(str) + " but the swapped pair lies inside; swap the columns")
    checker.flag(outside & ~swapped, "latitude;longitude",
                 "point (lat " + lat.astype(str) + ", lon " + lon.astype(str) + ") lies outside the bounding box of "
                 + iso3.astype(str) + "; check the coordinates or the country")


def check_events(checker: RowChecker, as_of: date) -> None:
    """Apply the event rules to a frame already holding the canonical columns."""
    ev = checker.frame
    as_of_ts = pd.Timestamp(as_of)
    checker.flag(ev["event_id"].isna() | (ev["event_id"] == ""), "event_id", "event id is empty")
    checker.flag(ev["date_start"].isna(), "date_start",
                 "date_start " + ev["_raw_date_start"].astype(str).map(repr) + " is not a date in a known format")
    checker.flag(ev["date_start"] > as_of_ts, "date_start",
                 "date_start " + ev["date_start"].dt.strftime("%Y-%m-%d") + f" is after the data's as-of {as_of}")
    checker.flag(ev["date_end"] < ev["date_start"], "date_end", "date_end is before date_start")
    for col in ("fatalities_best", "fatalities_low", "fatalities_high"):
        checker.flag(ev[col] < 0, col, col + " is negative (" + ev[col].astype(str) + ")")
    checker.flag(ev["fatalities_best"].isna(), "fatalities_best", "fatalities_best is missing")
    checker.flag(~ev["violence_type"].isin(VIOLENCE_TYPES), "violence_type",
                 "unknown violence type " + ev["_raw_violence_type"].astype(str).map(repr))
    located = ev["has_location"]
    checker.flag(located & (ev["latitude"].isna() | ev["longitude"].isna()), "latitude;longitude",
                 "latitude or longitude is missing or not a number")
    check_coordinates(checker, ev["latitude"], ev["longitude"], ev["country_iso3"], located)
    first = ev.groupby("event_id", sort=False)["_record"].transform("first")
    dup = ev["event_id"].duplicated(keep="first")
    checker.flag(dup, "event_id", "duplicate event id " + ev["event_id"].astype(str)
                 + " (first seen at record " + first.astype(str) + "); the first row is kept")


def to_geoframe(frame: pd.DataFrame, lon: str = "longitude", lat: str = "latitude") -> gpd.GeoDataFrame:
    """Points from lon/lat columns in EPSG:4326; missing coordinates give an empty geometry."""
    located = frame[lon].notna() & frame[lat].notna()
    points = gpd.points_from_xy(frame[lon].where(located, 0.0), frame[lat].where(located, 0.0), crs="EPSG:4326")
    geometry = gpd.GeoSeries(points, index=frame.index, crs="EPSG:4326").where(located, None)
    return gpd.GeoDataFrame(frame, geometry=geometry, crs="EPSG:4326")


def widen_fatality_bounds(events: pd.DataFrame) -> tuple[pd.DataFrame, int]:
    """Make ``fatalities_low <= fatalities_best <= fatalities_high`` hold by widening the bounds.

    UCDP's own files break the order on about 1% of rows (best 6, high 4). The event and its
    best estimate stand, only the interval is wrong, so the row is kept with the bound moved to
    ``best`` rather than quarantined; the count of such repairs is reported.
    """
    best = events["fatalities_best"]
    low_bad = events["fatalities_low"] > best
    high_bad = events["fatalities_high"] < best
    events = events.copy()
    events.loc[low_bad, "fatalities_low"] = best[low_bad]
    events.loc[high_bad, "fatalities_high"] = best[high_bad]
    return events, int((low_bad | high_bad).sum())


def finish_events(checker: RowChecker, as_of: date) -> tuple[gpd.GeoDataFrame, pd.DataFrame, int]:
    """Run the rules, then return (valid canonical GeoDataFrame, quarantine, rows repaired)."""
    check_events(checker, as_of)
    valid, quarantine = checker.split()
    valid, repaired = widen_fatality_bounds(valid[list(EVENT_COLUMNS)].astype(EVENT_COLUMNS))
    return to_geoframe(valid), quarantine, repaired
