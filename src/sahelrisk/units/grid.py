"""PRIO-GRID-compatible cells.

Cell id: ``gid = row * ncols + col + 1`` with ``row`` counted from latitude -90 and ``col`` from
longitude -180, ``ncols = 360 / resolution``. At 0.5 degree (720 columns) this is PRIO-GRID's
``gid``, so cells join ViEWS and PRIO-GRID data; at 0.25 and 0.1 degree the same formula gives
each resolution its own id scheme (ids of different resolutions must not be mixed).

A cell belongs to the grid when it intersects a country of the run; ``area_km2`` is the area of
the part inside those countries (equal-area CRS), and ``centroid_lon/lat`` is the full cell's
centre, as in PRIO-GRID. Each cell's country, ADM1 and ADM2 are those holding a point inside the
clipped cell (the nearest area where simplified borders leave a gap). A cell's ADM1 and ADM2 are
looked for among its own country's areas only, and no farther than :data:`GAP_DEG`: a country the
admin layers do not cover (no ADM2 outside Mali, Burkina Faso and Niger in the shipped data), or
cover in part, leaves those cells in no area rather than in a neighbour's, and ``Units.notes``
says so in one line per country and level.
"""

from __future__ import annotations

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely

from sahelrisk.errors import DataError
from sahelrisk.units.base import AREA_CRS, UNIT_COLUMNS, Units
from sahelrisk.units.cells import (
    SUPPORTED_RESOLUTIONS,
    _check_resolution,
    cell_ids,
    cell_row_col,
    queen_neighbours,
)

__all__ = ["build_grid", "cell_ids", "cell_row_col", "queen_neighbours", "SUPPORTED_RESOLUTIONS", "GAP_DEG"]

# How far (degrees, about 20 km) a cell's point may lie from its nearest area and still be taken
# as in it: the gaps simplified borders leave are a few hundred metres, a missing area is wider.
GAP_DEG = 0.2

def _assign(points: np.ndarray, areas: gpd.GeoDataFrame, columns: list[str],
            max_distance: float | None = None) -> pd.DataFrame:
    """Attributes of the area holding each point, or of the nearest area where none holds it
    (within ``max_distance`` degrees; farther points get missing values)."""
    tree = shapely.STRtree(areas.geometry.values)
    pt, ar = tree.query(points, predicate="intersects")
    order = np.lexsort((ar, pt))
    hit, first = np.unique(pt[order], return_index=True)
    idx = np.full(len(points), -1, dtype=np.int64)
    idx[hit] = ar[order][first]
    missing = np.flatnonzero(idx < 0)
    if len(missing):
        found, nearest = tree.query_nearest(points[missing], max_distance=max_distance, return_distance=False,
                                            all_matches=False)
        idx[missing[found]] = nearest
    got = areas.iloc[np.where(idx < 0, 0, idx)][columns].reset_index(drop=True).astype(object)
    got[idx < 0] = pd.NA
    return got


def _assign_areas(table: pd.DataFrame, inside: np.ndarray, areas: gpd.GeoDataFrame | None,
                  level: str) -> tuple[pd.DataFrame, list[str]]:
    """Each cell's area of one level among its own country's, and a note per country left out."""
    got = pd.DataFrame({"pcode": pd.NA, "name": pd.NA}, index=table.index, dtype=object)
    notes = []
    for iso3, rows in table.groupby("country_iso3", sort=True).indices.items():
        own = areas[areas["country_iso3"] == iso3] if areas is not None else None
        if own is None or own.empty:
            notes.append(f"{level.upper()}: no {level.upper()} areas for {iso3} in the data; its cells are in no "
                         f"{level.upper()} area (the {level} tables leave them out)")
            continue
        found = _assign(inside[rows], own, ["pcode", "name"], max_distance=GAP_DEG)
        got.iloc[rows] = found.to_numpy()
        outside = int(found["pcode"].isna().sum())
        if outside:
            notes.append(f"{level.upper()}: {outside} of {len(rows)} {iso3} cells lie in no {level.upper()} area of "
                         f"the data (the {level} tables leave them out)")
    return got, notes


def build_grid(countries: gpd.GeoDataFrame, resolution: float = 0.5, *, adm1: gpd.GeoDataFrame | None = None,
               adm2: gpd.GeoDataFrame | None = None) -> Units:
    """Cells over ``countries`` (admin-0 polygons with ``country_iso3``), annotated with ADM1/ADM2."""
    ncols = _check_resolution(resolution)
    if countries.empty:
        raise DataError("no country polygons to build a grid on; check --countries and the admin0 dataset")
    land = shapely.union_all(countries.geometry.values)
    x0, y0, x1, y1 = land.bounds
    r0, c0 = (int(v) for v in cell_row_col(x0, y0, resolution))
    r1, c1 = (int(v) for v in cell_row_col(x1, y1, resolution))
    grid_rows, grid_cols = np.meshgrid(np.arange(r0, r1 + 1), np.arange(c0, c1 + 1), indexing="ij")
    rows, cols = grid_rows.ravel(), grid_cols.ravel()
    west, south = cols * resolution - 180, rows * resolution - 90
    boxes = shapely.box(west, south, west + resolution, south + resolution)
    shapely.prepare(land)
    # Cells that only touch the outline (a shared edge) hold no land.
    keep = shapely.intersects(land, boxes) & ~shapely.touches(land, boxes)
    rows, cols, boxes, west, south = rows[keep], cols[keep], boxes[keep], west[keep], south[keep]
    clipped = shapely.intersection(boxes, land)
    area = gpd.GeoSeries(clipped, crs="EPSG:4326").to_crs(AREA_CRS).area.to_numpy() / 1e6
    inside = shapely.point_on_surface(clipped)
    table = pd.DataFrame({
        "unit_id": rows * ncols + cols + 1, "row": rows, "col": cols,
        "centroid_lon": west + resolution / 2, "centroid_lat": south + resolution / 2, "area_km2": area,
    })
    table["country_iso3"] = _assign(inside, countries, ["country_iso3"])["country_iso3"].to_numpy()
    notes: list[str] = []
    for level, areas in (("adm1", adm1), ("adm2", adm2)):
        got, missing = _assign_areas(table, inside, areas, level)
        table[f"{level}_pcode"], table[f"{level}_name"] = got["pcode"].to_numpy(), got["name"].to_numpy()
        notes += missing
    table = gpd.GeoDataFrame(table, geometry=boxes, crs="EPSG:4326")
    table = table.sort_values("unit_id").reset_index(drop=True)
    return Units(kind="grid", table=table[UNIT_COLUMNS + ["row", "col"]], resolution=resolution, notes=tuple(notes))
