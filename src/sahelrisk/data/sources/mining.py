"""USGS mining sites: facilities (mines, plants), exploration projects and major deposits.

Industrial sites only; the USGS layers hold no artisanal (orpaillage) sites.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.countries import in_scope, to_iso3
from sahelrisk.data.catalog import Dataset
from sahelrisk.data.quarantine import LoadResult, RowChecker
from sahelrisk.data.readers import read_vector
from sahelrisk.data.schemas import check_coordinates
from sahelrisk.data.sources._common import blank_to_na, select_fields, stack

__all__ = ["load_mining_sites", "MINING_COLUMNS"]

MINING_COLUMNS = ["site_id", "name", "site_kind", "feature_type", "commodity", "commodity_group", "is_gold",
                  "status", "country_iso3", "latitude", "longitude", "geometry"]
_COMMON = {"site_id": "FeatureUID", "name": "FeatureNam", "country": "Country"}


def _one_row_per_site(table: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    """USGS lists a multi-commodity facility once per commodity (Perkoa: lead, silver, zinc).

    Those rows are one site: merge them, listing every commodity, gold if any row is gold.
    """
    def join(values: Iterable[object]) -> object:
        return "; ".join(dict.fromkeys(v for v in values if isinstance(v, str))) or pd.NA

    first = {c: "first" for c in table.columns if c not in {"site_id", "commodity", "commodity_group", "is_gold"}}
    merged = table.groupby("site_id", sort=False, as_index=False).agg(
        {**first, "commodity": join, "commodity_group": join, "is_gold": "any"})
    return gpd.GeoDataFrame(merged, geometry="geometry", crs="EPSG:4326")


def load_mining_sites(dataset: Dataset, data_dir: str | Path, countries: set[str] | None = None, **_: object) -> LoadResult:
    """The USGS mining layers of ``countries``, one row per site (a site's several commodities merged)."""
    frames, quarantines, read, out, merged = [], [], 0, 0, 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_vector(path)
        read += len(raw)
        fields = {**_COMMON, **dict(entry.options.get("fields", {}))}
        table = select_fields(raw, fields, path, f"USGS mining ({entry.options['site_kind']})")
        table["country_iso3"] = to_iso3(table.pop("country"))
        keep = in_scope(table["country_iso3"], countries)
        out += int((~keep).sum())
        table, raw = table[keep], raw[keep]
        table["site_kind"] = entry.options["site_kind"]
        table["feature_type"] = blank_to_na(raw["FeatureTyp"]) if "FeatureTyp" in raw else pd.NA
        table["status"] = blank_to_na(raw["LocOpStat"]) if "LocOpStat" in raw else pd.NA
        table["commodity"] = blank_to_na(table["commodity"])
        if "commodity_group" not in table:
            table["commodity_group"] = pd.NA
        # Gold may be the main or a secondary commodity (DsgAttr01..03 list commodities/products).
        attrs = [c for c in ("DsgAttr01", "DsgAttr02", "DsgAttr03") if c in raw]
        text = raw[attrs].astype("string").fillna("").agg(" ".join, axis=1).str.lower()
        table["is_gold"] = text.str.contains("gold").to_numpy()
        table["longitude"], table["latitude"] = raw.geometry.x, raw.geometry.y
        table["_record"] = raw["_record"]
        merged += len(table)
        table = _one_row_per_site(gpd.GeoDataFrame(table, geometry=raw.geometry, crs="EPSG:4326"))
        merged -= len(table)
        checker = RowChecker(table, dataset=dataset.name, file=str(path), id_column="site_id")
        check_coordinates(checker, table["latitude"], table["longitude"], table["country_iso3"],
                          pd.Series(True, index=table.index))
        valid, quarantine = checker.split()
        frames.append(valid[MINING_COLUMNS])
        quarantines.append(quarantine)
    table = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    notes = [f"{merged} per-commodity rows merged into their site"] if merged else []
    return LoadResult(dataset.name, table, stack(quarantines), rows_read=read, out_of_scope=out, notes=notes)
