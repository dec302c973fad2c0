"""Admin areas (ADM1 or ADM2) as units: ``unit_id`` is the OCHA p-code."""

from __future__ import annotations

from typing import Sequence

import geopandas as gpd
import pandas as pd

from sahelrisk.errors import DataError, SpecError
from sahelrisk.units.base import AREA_CRS, UNIT_COLUMNS, Units

__all__ = ["build_admin_units"]


def build_admin_units(level: int, adm1: gpd.GeoDataFrame, adm2: gpd.GeoDataFrame | None = None, *,
                      countries: Sequence[str] = ()) -> Units:
    """Units from the canonical admin tables; centroids are computed in an equal-area CRS.

    A country of ``countries`` with no area of the level is skipped, with a line in ``Units.notes``.
    """
    if level not in (1, 2):
        raise SpecError(f"admin units must be level 1 or 2, got {level}")
    areas = adm1 if level == 1 else adm2
    if areas is None or areas.empty:
        raise DataError(f"no ADM{level} polygons loaded; check the admin{level} dataset and --countries")
    table = pd.DataFrame({"unit_id": areas["pcode"].to_numpy(), "country_iso3": areas["country_iso3"].to_numpy()})
    names1 = dict(zip(adm1["pcode"], adm1["name"]))
    if level == 1:
        table["adm1_pcode"], table["adm1_name"] = areas["pcode"].to_numpy(), areas["name"].to_numpy()
        table["adm2_pcode"], table["adm2_name"] = pd.NA, pd.NA
    else:
        table["adm1_pcode"] = areas["adm1_pcode"].to_numpy()
        table["adm1_name"] = table["adm1_pcode"].map(names1)
        table["adm2_pcode"], table["adm2_name"] = areas["pcode"].to_numpy(), areas["name"].to_numpy()
    centroids = areas.geometry.to_crs(AREA_CRS).centroid.to_crs("EPSG:4326")
    table["centroid_lon"], table["centroid_lat"] = centroids.x.to_numpy(), centroids.y.to_numpy()
    table["area_km2"] = areas["area_km2"].to_numpy()
    table = gpd.GeoDataFrame(table, geometry=areas.geometry.to_numpy(), crs="EPSG:4326")
    held = set(areas["country_iso3"])
    notes = tuple(f"ADM{level}: no ADM{level} areas for {iso3} in the data; {iso3} is skipped (a grid feature "
                  "spec covers it)" for iso3 in countries if iso3 not in held)
    return Units(kind=f"adm{level}", table=table[UNIT_COLUMNS].sort_values("unit_id").reset_index(drop=True),
                 notes=notes)
