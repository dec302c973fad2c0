"""Static geography and the calendar: distances to the border, the capital and towns; the
unit's centre and area; week of year (rainy-season effects).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import shapely

from sahelrisk.features._geometry import nearest_distance_km, project
from sahelrisk.features.base import Feature, PanelContext, check_options, register

__all__ = ["build_static", "DEFAULTS"]

DEFAULTS = {"town_min_population": 10000}


@register("static", needs=("admin0", "places"), defaults=DEFAULTS)
def build_static(ctx: PanelContext, options: dict) -> Iterator[Feature]:
    """Geography and the calendar: distances to the border, the capital and towns; the unit's centre and area; week of year."""
    opt = check_options("static", options, DEFAULTS)
    yield from ctx.once_per_units("static", opt, ("admin0", "places"), lambda: _geography(ctx, opt))
    yield Feature("calendar_week_of_year", ctx.history.isocalendar().week.to_numpy().astype(np.float32), kind="calendar")


def _geography(ctx: PanelContext, opt: dict) -> Iterator[Feature]:
    table = ctx.units.table
    admin0 = ctx.layer("admin0")
    # International borders: country outlines minus coastlines is not needed in the landlocked
    # Sahel; outlines of every loaded country give the borders with neighbours too.
    borders = shapely.boundary(project(admin0))
    border_km, _ = nearest_distance_km(ctx.units, borders)
    places = ctx.layer("places")
    capitals = places[(places["place_kind"] == "city") & (places["capital"] == "primary")]
    towns = places[(places["place_kind"].isin(["town", "city"])) & (places["population"] >= opt["town_min_population"])]
    capital_km = np.full(len(table), np.nan, dtype=np.float32)
    for iso3 in table["country_iso3"].unique():
        own = capitals[capitals["country_iso3"] == iso3]
        mask = (table["country_iso3"] == iso3).to_numpy()
        if len(own):
            dist, _ = nearest_distance_km(ctx.units, project(own))
            capital_km[mask] = dist[mask]
    town_km, _ = nearest_distance_km(ctx.units, project(towns))
    yield from [
        Feature("static_border_distance_km", border_km, kind="static", description="km to the nearest international border"),
        Feature("static_capital_distance_km", capital_km, kind="static", allow_nan=True,
                description="km to the capital of the unit's country"),
        Feature("static_town_distance_km", town_km, kind="static",
                description=f"km to the nearest town of {opt['town_min_population']:,}+ people"),
        Feature("static_latitude", table["centroid_lat"].to_numpy(dtype=np.float32), kind="static"),
        Feature("static_longitude", table["centroid_lon"].to_numpy(dtype=np.float32), kind="static"),
        Feature("static_area_km2", table["area_km2"].to_numpy(dtype=np.float32), kind="static"),
    ]
