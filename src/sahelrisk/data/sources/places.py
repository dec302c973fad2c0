"""Places: towns, cities and airports, as points with a kind and a population where known."""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.countries import in_scope, to_iso3
from sahelrisk.data.catalog import Dataset
from sahelrisk.data.quarantine import LoadResult, RowChecker
from sahelrisk.data.readers import read_vector
from sahelrisk.data.schemas import check_coordinates
from sahelrisk.data.sources._common import select_fields, stack

__all__ = ["load_places", "PLACE_COLUMNS"]

PLACE_COLUMNS = ["place_id", "name", "place_kind", "subtype", "country_iso3", "population", "capital",
                 "alternate_names", "latitude", "longitude", "geometry"]


def load_places(dataset: Dataset, data_dir: str | Path, countries: set[str] | None = None, **_: object) -> LoadResult:
    """The places (towns and villages, with their alternate names) of ``countries``."""
    frames, quarantines, read, out = [], [], 0, 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_vector(path)
        read += len(raw)
        kind = entry.options["place_kind"]
        table = select_fields(raw, dict(entry.options["fields"]), path, f"places ({kind})")
        table["country_iso3"] = to_iso3(table.pop("country_iso2") if "country_iso2" in table else table["country_iso3"])
        keep = in_scope(table["country_iso3"], countries)
        out += int((~keep).sum())
        table, raw = table[keep].reset_index(drop=True), raw[keep].reset_index(drop=True)
        table["place_id"] = kind + ":" + table["place_id"].astype(str)
        table["place_kind"] = kind
        for col in ("subtype", "capital", "alternate_names"):
            if col not in table:
                table[col] = pd.NA
        table["population"] = pd.to_numeric(table["population"], errors="coerce") if "population" in table else float("nan")
        table["longitude"], table["latitude"] = raw.geometry.x, raw.geometry.y
        table["_record"] = raw["_record"]
        table = gpd.GeoDataFrame(table, geometry=raw.geometry, crs="EPSG:4326")
        checker = RowChecker(table, dataset=dataset.name, file=str(path), id_column="place_id")
        check_coordinates(checker, table["latitude"], table["longitude"], table["country_iso3"],
                          pd.Series(True, index=table.index))
        checker.flag(table["population"] < 0, "population", "population is negative")
        checker.flag(table["place_id"].duplicated(), "place_id", "duplicate place id")
        valid, quarantine = checker.split()
        frames.append(valid[PLACE_COLUMNS])
        quarantines.append(quarantine)
    table = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return LoadResult(dataset.name, table, stack(quarantines), rows_read=read, out_of_scope=out)
