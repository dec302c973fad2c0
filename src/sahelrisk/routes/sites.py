"""Sites to watch: the mining layers, and sites a user supplies (CSV or GeoJSON of points)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from pathlib import Path

import geopandas as gpd

from sahelrisk.data.readers import read_csv_table
from sahelrisk.errors import DataFileError

__all__ = ["read_sites", "mining_sites"]

SITE_COLUMNS = ["site_id", "name", "site_kind", "commodity", "country_iso3", "source", "geometry"]


def mining_sites(layer: gpd.GeoDataFrame, countries: Iterable[str]) -> gpd.GeoDataFrame:
    """The sites of the mining layers in ``countries``."""
    sites = layer[layer["country_iso3"].isin(list(countries))].copy()
    sites["source"] = "USGS"
    return sites[SITE_COLUMNS].reset_index(drop=True)


def _number(value: str | float, path: Path, row: int, column: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        raise DataFileError(path, f"row {row}: {column} {value!r} is not a number",
                            f"Write {column} in decimal degrees, e.g. 14.32") from None
    limit = 90 if column == "latitude" else 180
    if not -limit <= number <= limit:
        raise DataFileError(path, f"row {row}: {column} {number} is outside -{limit}..{limit}",
                            "Check that latitude and longitude are not swapped")
    return number


def read_sites(path: str | Path) -> gpd.GeoDataFrame:
    """Sites from a CSV (columns ``name``, ``latitude``, ``longitude``; optional ``site_kind``,
    ``commodity``) or a GeoJSON of points (a ``name`` property).

    Raises
    ------
    DataFileError
        A missing column, a bad coordinate (naming the row) or no site at all.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "does not exist", "Check the path of the sites file")
    if path.suffix.lower() == ".csv":
        table = read_csv_table(path)
        missing = [c for c in ("name", "latitude", "longitude") if c not in table.columns]
        if missing:
            raise DataFileError(path, f"has no column {', '.join(missing)}",
                                "Give the sites as columns name, latitude, longitude (decimal degrees)")
        lat = [_number(v, path, i + 2, "latitude") for i, v in enumerate(table["latitude"])]
        lon = [_number(v, path, i + 2, "longitude") for i, v in enumerate(table["longitude"])]
        sites = gpd.GeoDataFrame(table, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    elif path.suffix.lower() in (".geojson", ".json"):
        try:
            json.loads(path.read_text(encoding="utf-8"))
            sites = gpd.read_file(path)
        except Exception as e:  # noqa: BLE001 - any reader failure is the same message to the user
            raise DataFileError(path, f"is not readable GeoJSON ({str(e).splitlines()[0][:120]})",
                                "Save the sites as a GeoJSON FeatureCollection of points") from None
        if sites.crs is None:
            sites = sites.set_crs("EPSG:4326")
        bad = sites.geometry.isna() | (sites.geom_type != "Point")
        if bad.any():
            row = int(bad.to_numpy().argmax()) + 1
            raise DataFileError(path, f"feature {row} is not a point",
                                "Give each site as a Point feature (draw polygons' centres as points)")
        if "name" not in sites.columns:
            raise DataFileError(path, "has no 'name' property", "Give each feature a 'name' property")
    else:
        raise DataFileError(path, f"has an unknown extension {path.suffix!r}", "Use a .csv or .geojson file")
    if sites.empty:
        raise DataFileError(path, "holds no site", "Add at least one site")
    sites = sites.to_crs("EPSG:4326")
    sites["site_id"] = [f"user-{i + 1}" for i in range(len(sites))]
    for column in ("site_kind", "commodity", "country_iso3"):
        if column not in sites:
            sites[column] = None
    sites["source"] = path.name
    return sites[SITE_COLUMNS]
