"""Mining sites: counts in and around the unit, distance to gold, and attacks near mines.

Static columns use the USGS layers (reference year about 2018-2019) for every week: the layers
have no opening dates, so a mine counts in weeks before it existed. Industrial sites only.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from sahelrisk.features._geometry import (
    count_within,
    near_event_features,
    nearest_distance_km,
    points_xy,
    project,
)
from sahelrisk.features.base import Feature, PanelContext, check_options, register

__all__ = ["build_mining", "DEFAULTS"]

DEFAULTS = {"radii_km": [25, 50], "event_radius_km": [25], "event_windows": [4, 52]}


@register("mining", needs=("mining_sites",), defaults=DEFAULTS)
def build_mining(ctx: PanelContext, options: dict) -> Iterator[Feature]:
    """Mining per unit: gold and other sites in the unit and within radii, and the distance to the nearest."""
    opt = check_options("mining", options, DEFAULTS)
    yield from ctx.once_per_units("mining", opt, ("mining_sites",), lambda: _sites(ctx, opt))
    # Attacks near any mining site, per unit.
    yield from near_event_features(ctx, "mining", "a mining site", project(ctx.layer("mining_sites")),
                                   opt["event_radius_km"], opt["event_windows"])


def _sites(ctx: PanelContext, opt: dict) -> Iterator[Feature]:
    sites = ctx.layer("mining_sites")
    facilities = sites[sites["site_kind"] == "facility"]
    gold = sites[sites["is_gold"] & sites["site_kind"].isin(["exploration", "deposit"])]
    gold_any = sites[sites["is_gold"]]
    for name, layer in (("facilities", facilities), ("gold_sites", gold)):
        pos = ctx.units.locate(layer.geometry.x.to_numpy(), layer.geometry.y.to_numpy())
        inside = np.bincount(pos[pos >= 0], minlength=ctx.n_units).astype(np.float32)
        yield Feature(f"mining_{name}_in_unit", inside, kind="static")
        xy = points_xy(layer)
        for r in opt["radii_km"]:
            yield Feature(f"mining_{name}_r{r}km", count_within(ctx.units, xy, r), kind="static",
                          description=f"{name.replace('_', ' ')} within {r} km of the unit centre")
    dist, _ = nearest_distance_km(ctx.units, project(gold_any))
    yield Feature("mining_gold_distance_km", dist, kind="static", description="km to the nearest gold site")
