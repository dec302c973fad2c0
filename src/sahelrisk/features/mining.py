"""Mining sites: counts in and around the unit, distance to gold, and attacks near mines.

Static columns use the USGS layers (reference year about 2018-2019) for every week: the layers
have no opening dates, so a mine counts in weeks before it existed. Industrial sites only.
"""

from __future__ import annotations

from typing import Iterator

import numpy as np

from .base import Feature, PanelContext, check_options, register
from ._geometry import count_within, nearest_distance_km, points_xy, project
from .conflict import event_xy
from .windows import points_within, rolling_sum

__all__ = ["build_mining", "DEFAULTS"]

DEFAULTS = {"radii_km": [25, 50], "event_radius_km": [25], "event_windows": [4, 52]}


@register("mining", needs=("mining_sites",), defaults=DEFAULTS)
def build_mining(ctx: PanelContext, options: dict) -> Iterator[Feature]:
    opt = check_options("mining", options, DEFAULTS)
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
    # Attacks near any mining site, per unit.
    ev = ctx.events
    all_xy = points_xy(sites)
    exy = event_xy(ev)
    ok = ev["precise"].to_numpy(dtype=bool)
    for r in opt["event_radius_km"]:
        _, near_idx = points_within(all_xy, exy[ok], r * 1000.0)
        near = np.zeros(len(ev), dtype=bool)
        near[np.flatnonzero(ok)[np.unique(near_idx)]] = True
        count, fatal = ctx.event_matrices(near)
        for w in opt["event_windows"]:
            yield Feature(f"mining_events_r{r}km_{w}w", rolling_sum(count, w, keep=ctx.n_out),
                          description=f"events in the unit within {r} km of a mining site, last {w} weeks")
            yield Feature(f"mining_fatalities_r{r}km_{w}w", rolling_sum(fatal, w, keep=ctx.n_out))
