"""Distances between units and layers of points or lines, in the distance CRS (metres)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence

import geopandas as gpd
import numpy as np
import shapely

from sahelrisk.features.base import Feature, PanelContext
from sahelrisk.features.windows import points_within, rolling_sum
from sahelrisk.units import DISTANCE_CRS, Units

__all__ = ["project", "points_xy", "nearest_distance_km", "count_within", "unit_points", "near_event_features"]


def project(frame: gpd.GeoDataFrame) -> np.ndarray:
    return frame.geometry.to_crs(DISTANCE_CRS).values


def points_xy(frame: gpd.GeoDataFrame) -> np.ndarray:
    """Point coordinates in the distance CRS, shape (n, 2)."""
    if len(frame) == 0:
        return np.empty((0, 2))
    return shapely.get_coordinates(project(frame))[:, :2]


def unit_points(units: Units) -> np.ndarray:
    xy = units.centroids_xy()
    return shapely.points(xy[:, 0], xy[:, 1])


def _segments(geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Lines broken into two-point segments (and the index of the line each came from).

    A tree of a few long border lines cannot prune: every nearest query measures whole borders.
    Short segments make the same exact distance a cheap query.
    """
    parts, owner = shapely.get_parts(geoms, return_index=True)
    coords, which = shapely.get_coordinates(parts, return_index=True)
    same = which[1:] == which[:-1]
    starts = np.flatnonzero(same)
    segments = shapely.linestrings(np.stack([coords[starts], coords[starts + 1]], axis=1))
    return segments, owner[which[starts]]


def nearest_distance_km(units: Units, geoms: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Distance from each unit centre to the nearest geometry, and that geometry's index."""
    if len(geoms) == 0:
        n = len(units)
        return np.full(n, np.nan, dtype=np.float32), np.full(n, -1)
    owner = np.arange(len(geoms))
    if shapely.get_type_id(geoms).min() in (1, 5):  # (multi)lines: measure to their segments
        geoms, owner = _segments(geoms)
    tree = shapely.STRtree(geoms)
    idx, dist = tree.query_nearest(unit_points(units), return_distance=True, all_matches=False)
    order = np.argsort(idx[0])
    return (dist[order] / 1000.0).astype(np.float32), owner[idx[1][order]]


def count_within(units: Units, points_xy: np.ndarray, radius_km: float) -> np.ndarray:
    target, _ = points_within(units.centroids_xy(), points_xy, radius_km * 1000.0)
    return np.bincount(target, minlength=len(units)).astype(np.float32)


def near_event_features(ctx: PanelContext, theme: str, what: str, geoms: np.ndarray, radii_km: Sequence[float], windows: Sequence[int]) -> Iterator[Feature]:
    """Events and fatalities in each unit that happened within ``r`` km of ``geoms`` (points or
    lines in the distance CRS): ``<theme>_events_r<r>km_<w>w`` and ``<theme>_fatalities_...``."""
    ev = ctx.events
    ok = ev["precise"].to_numpy(dtype=bool)
    xy = ctx.events_xy()
    only_points = len(geoms) and (shapely.get_type_id(geoms) == 0).all()
    tree = None if only_points else shapely.STRtree(geoms)
    for r in radii_km:
        if only_points:  # a KD-tree answers point-to-point radius queries several times faster
            _, hits = points_within(shapely.get_coordinates(geoms)[:, :2], xy[ok], r * 1000.0)
        else:
            assert tree is not None
            hits, _ = tree.query(shapely.points(xy[ok, 0], xy[ok, 1]), predicate="dwithin", distance=r * 1000.0)
        near = np.zeros(len(ev), dtype=bool)
        near[np.flatnonzero(ok)[np.unique(hits)]] = True
        count, fatal = ctx.event_matrices(near)
        for w in windows:
            yield Feature(f"{theme}_events_r{r}km_{w}w", rolling_sum(count, w, keep=ctx.n_out),
                          description=f"events in the unit within {r} km of {what}, last {w} weeks")
            yield Feature(f"{theme}_fatalities_r{r}km_{w}w", rolling_sum(fatal, w, keep=ctx.n_out))
