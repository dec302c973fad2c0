"""Admin areas (ADM0/ADM1/ADM2) with OCHA p-codes, and the p-code gazetteer.

Each catalog file says which country it covers, which source columns hold the p-code and the
name, and optionally a ``where`` filter (Natural Earth files hold many countries). A missing
parent ADM1 p-code is taken from the gazetteer.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sahelrisk.countries import get_country, in_scope, to_iso3
from sahelrisk.data.catalog import Dataset
from sahelrisk.data.quarantine import LoadResult, RowChecker
from sahelrisk.data.readers import read_csv_table, read_vector, require_columns
from sahelrisk.data.schemas import BBOX_TOLERANCE_DEG
from sahelrisk.data.sources._common import (
    apply_where,
    blank_to_na,
    repair_mojibake,
    select_fields,
    stack,
)
from sahelrisk.errors import SpecError

__all__ = ["load_admin_areas", "load_pcodes", "ADMIN_COLUMNS", "EQUAL_AREA_CRS"]

ADMIN_COLUMNS = ["country_iso3", "admin_level", "pcode", "name", "adm1_pcode", "area_km2", "geometry"]
# Africa Albers Equal Area Conic, the CRS the geo SOURCES.md areas were computed in.
EQUAL_AREA_CRS = "ESRI:102022"
_PCODE_COLUMNS = ["iso3", "admin_level", "pcode", "name", "parent_pcode", "valid_from"]


def load_pcodes(dataset: Dataset, data_dir: str | Path, **_: object) -> LoadResult:
    """The OCHA p-code gazetteer: one row per admin area, no geometry."""
    frames, quarantines, read = [], [], 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_csv_table(path)
        require_columns(raw, path, _PCODE_COLUMNS, "OCHA global p-codes")
        read += len(raw)
        table = raw.rename(columns={"iso3": "country_iso3"})
        table["admin_level"] = pd.to_numeric(table["admin_level"], errors="coerce").astype("Int8")
        checker = RowChecker(table, dataset=dataset.name, file=str(path), id_column="pcode")
        checker.flag(table["admin_level"].isna(), "admin_level", "admin_level is not a number")
        checker.flag(table["pcode"].str.strip() == "", "pcode", "pcode is empty")
        checker.flag(table["pcode"].duplicated(), "pcode", "duplicate pcode")
        valid, quarantine = checker.split()
        frames.append(valid.drop(columns="_record"))
        quarantines.append(quarantine)
    return LoadResult(dataset.name, pd.concat(frames, ignore_index=True), stack(quarantines), rows_read=read)


def load_admin_areas(dataset: Dataset, data_dir: str | Path, countries: set[str] | None = None, **_: object) -> LoadResult:
    """Polygons of one admin level, p-coded, in EPSG:4326 with their area in km²."""
    level = int(dataset.options["level"])
    parents = {}
    if "gazetteer" in dataset.options:
        gaz = read_csv_table(Path(data_dir) / dataset.options["gazetteer"])
        parents = dict(zip(gaz["pcode"], gaz["parent_pcode"]))
    frames, quarantines, read, out, notes = [], [], 0, 0, []
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = apply_where(read_vector(path), dict(entry.options.get("where", {})), path)
        read += len(raw)
        fields = dict(entry.options["fields"])
        table = select_fields(raw, fields, path, f"ADM{level} ({path.name})")
        table["name"] = repair_mojibake(table["name"])
        if "country_iso3" not in table:
            table["country_iso3"] = entry.options["country"]
        table["country_iso3"] = to_iso3(table["country_iso3"])
        keep = in_scope(table["country_iso3"], countries)
        out += int((~keep).sum())
        table, raw = table[keep], raw[keep]
        table["admin_level"] = level
        if "adm1_pcode" not in table:
            table["adm1_pcode"] = table["pcode"].map(parents) if level == 2 else pd.NA
        table["pcode"] = blank_to_na(table["pcode"])
        invalid = ~raw.geometry.is_valid.to_numpy()
        table = gpd.GeoDataFrame(table, geometry=raw.geometry.make_valid(), crs="EPSG:4326")
        table["area_km2"] = table.geometry.to_crs(EQUAL_AREA_CRS).area / 1e6
        table["_record"] = raw["_record"]
        notes += _repair_notes(dataset.name, raw.geometry[invalid], table[invalid])
        checker = RowChecker(table.reset_index(drop=True), dataset=dataset.name, file=str(path), id_column="pcode")
        outside = _outside_country(checker.frame) & pd.Series(invalid).to_numpy()
        checker.flag(outside, "geometry", "the repaired polygon lies outside its country's bounds; fix the source "
                                          "geometry (a self-intersection repaired into the wrong shape)")
        checker.flag(checker.frame["pcode"].isna(), "pcode", "no p-code; add it to the source or the catalog mapping")
        checker.flag(checker.frame.geometry.is_empty | checker.frame.geometry.isna(), "geometry", "geometry is empty")
        valid, quarantine = checker.split()
        frames.append(valid[ADMIN_COLUMNS])
        quarantines.append(quarantine)
    table = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return LoadResult(dataset.name, table, stack(quarantines), rows_read=read, out_of_scope=out, notes=notes)


def _repair_notes(dataset: str, before: gpd.GeoSeries, after: pd.DataFrame) -> list[str]:
    """One note per polygon that was invalid and repaired: which unit, and how its area changed."""
    if not len(before):
        return []
    old = before.to_crs(EQUAL_AREA_CRS).area.to_numpy() / 1e6
    notes = []
    for (_, row), was in zip(after.iterrows(), old):
        change = row["area_km2"] - was
        share = f" ({change / was:+.1%})" if was else ""
        notes.append(f"{dataset}: the polygon of {row['pcode']} ({row['name']}) was invalid and was repaired; "
                     f"its area changed by {change:+,.1f} km²{share}")
    return notes


def _outside_country(table: pd.DataFrame) -> np.ndarray:
    """Rows whose polygon reaches beyond their country's bounding box (with the usual tolerance)."""
    out = np.zeros(len(table), dtype=bool)
    bounds = table.geometry.bounds.to_numpy()
    for i, iso3 in enumerate(table["country_iso3"].astype(str)):
        try:
            west, south, east, north = get_country(iso3).bbox
        except SpecError:
            continue
        t = BBOX_TOLERANCE_DEG
        x0, y0, x1, y1 = bounds[i]
        out[i] = x0 < west - t or y0 < south - t or x1 > east + t or y1 > north + t
    return out
