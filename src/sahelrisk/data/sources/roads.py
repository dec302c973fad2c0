"""Main roads: the inter-city network (convoy corridors) and the Trans-African Highway labels.

Proposed links (``add`` true in the Krantz network) are not roads yet and are left out, counted
as out of scope.
"""

from __future__ import annotations

from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.data.catalog import Dataset
from sahelrisk.data.quarantine import LoadResult, RowChecker
from sahelrisk.data.readers import read_vector, require_columns
from sahelrisk.data.sources._common import stack

__all__ = ["load_road_network", "load_road_corridors", "ROAD_COLUMNS"]

ROAD_COLUMNS = ["road_id", "from_node", "to_node", "from_iso3", "to_iso3", "distance_m", "duration_min",
                "speed_kmh", "importance", "gravity", "length_km", "geometry"]
_SOURCE = {"from": "from_node", "to": "to_node", "from_ctry": "from_iso3", "to_ctry": "to_iso3",
           "distance": "distance_m", "duration": "duration_min", "speed_kmh": "speed_kmh",
           "passes": "importance", "gravity": "gravity"}


def _is_true(values: pd.Series) -> pd.Series:
    return values.astype("string").str.strip().str.lower().isin(["true", "1", "yes"])


def load_road_network(dataset: Dataset, data_dir: str | Path, countries: set[str] | None = None, **_: object) -> LoadResult:
    """Existing inter-city road links; ``importance`` is the number of optimal city-to-city routes using the link."""
    frames, quarantines, read, out = [], [], 0, 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_vector(path)
        require_columns(raw, path, [*_SOURCE, "add"], "road network (Krantz 2024)")
        read += len(raw)
        keep = ~_is_true(raw["add"])
        if countries is not None:
            keep &= raw["from_ctry"].isin(sorted(countries)) | raw["to_ctry"].isin(sorted(countries))
        out += int((~keep).sum())
        raw = raw[keep].reset_index(drop=True)
        table = raw[list(_SOURCE)].rename(columns=_SOURCE)
        table["road_id"] = table["from_node"].astype(str) + "-" + table["to_node"].astype(str)
        table = gpd.GeoDataFrame(table, geometry=raw.geometry, crs="EPSG:4326")
        table["length_km"] = table.geometry.to_crs("ESRI:102022").length / 1000
        table["_record"] = raw["_record"]
        checker = RowChecker(table, dataset=dataset.name, file=str(path), id_column="road_id")
        checker.flag(table.geometry.isna() | table.geometry.is_empty, "geometry", "road has no geometry")
        for col in ("distance_m", "duration_min", "importance"):
            checker.flag(pd.to_numeric(table[col], errors="coerce") < 0, col, f"{col} is negative")
        valid, quarantine = checker.split()
        frames.append(valid[ROAD_COLUMNS])
        quarantines.append(quarantine)
    table = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return LoadResult(dataset.name, table, stack(quarantines), rows_read=read, out_of_scope=out)


def load_road_corridors(dataset: Dataset, data_dir: str | Path, **_: object) -> LoadResult:
    """Named corridor lines (labels for maps, not a road layer for distances)."""
    frames, read = [], 0
    for entry in dataset.files:
        path = Path(data_dir) / entry.path
        raw = read_vector(path)
        require_columns(raw, path, ["Name"], "Trans-African Highway")
        read += len(raw)
        frames.append(gpd.GeoDataFrame({"name": raw["Name"]}, geometry=raw.geometry, crs="EPSG:4326"))
    return LoadResult(dataset.name, gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), crs="EPSG:4326"),
                      rows_read=read)
