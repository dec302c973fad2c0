"""Convoy routes: main-road length in the unit, distance and importance of the nearest main road,
and attacks near roads.

The road layer is the inter-city backbone (about 2023), used for every week.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import shapely

from sahelrisk.features._geometry import (
    near_event_features,
    nearest_distance_km,
    project,
)
from sahelrisk.features.base import Feature, PanelContext, check_options, register
from sahelrisk.units import DISTANCE_CRS

__all__ = ["build_roads", "DEFAULTS"]

DEFAULTS = {"event_radius_km": [10], "event_windows": [4, 52]}


def road_length_km(units_geoms: np.ndarray, roads: np.ndarray) -> np.ndarray:
    """Length of road inside each unit polygon (both in the distance CRS), km."""
    tree = shapely.STRtree(roads)
    unit_idx, road_idx = tree.query(units_geoms, predicate="intersects")
    pieces = shapely.intersection(units_geoms[unit_idx], roads[road_idx])
    return (np.bincount(unit_idx, weights=shapely.length(pieces), minlength=len(units_geoms)) / 1000).astype(np.float32)


@register("roads", needs=("roads",), defaults=DEFAULTS)
def build_roads(ctx: PanelContext, options: dict) -> Iterator[Feature]:
    """Convoy routes: main-road length in the unit, distance and importance of the nearest main road, attacks near roads."""
    opt = check_options("roads", options, DEFAULTS)
    lines = project(ctx.layer("roads"))
    yield from ctx.once_per_units("roads", opt, ("roads",), lambda: _geography(ctx, lines))
    yield from near_event_features(ctx, "roads", "a main road", lines, opt["event_radius_km"], opt["event_windows"])


def _geography(ctx: PanelContext, lines: np.ndarray) -> Iterator[Feature]:
    units_geoms = ctx.units.table.geometry.to_crs(DISTANCE_CRS).values
    yield Feature("roads_length_km", road_length_km(units_geoms, lines), kind="static",
                  description="km of main road inside the unit")
    dist, nearest = nearest_distance_km(ctx.units, lines)
    yield Feature("roads_distance_km", dist, kind="static", description="km from the unit centre to the nearest main road")
    importance = ctx.layer("roads")["importance"].to_numpy(dtype=np.float32)
    yield Feature("roads_nearest_importance", importance[nearest], kind="static",
                  description="city-to-city routes using the nearest main road (Krantz 'passes')")
