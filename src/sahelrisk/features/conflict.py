"""Conflict history per unit: counts and fatalities over windows, by violence type, decayed
sums, weeks since the last event, spatial lags (queen neighbours, events within a radius) and
country totals.

Columns: ``conflict_<measure>[_<type>]_<window>w``, e.g. ``conflict_events_4w``,
``conflict_fatalities_onesided_52w``, ``conflict_events_hl26w`` (half-life 26 weeks),
``conflict_events_queen_4w``, ``conflict_fatalities_r50km_52w``, ``conflict_country_events_4w``,
``conflict_weeks_since_event``, ``conflict_weeks_since_fatal``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Iterator

import numpy as np
import pandas as pd

from sahelrisk.features.base import Feature, PanelContext, check_options, register
from sahelrisk.features.windows import (
    cumulate,
    decayed_sum,
    lag_weeks,
    points_within,
    rolling_sum,
    tail,
    weekly_matrix,
    weeks_since,
)
from sahelrisk.units import DISTANCE_CRS

__all__ = ["build_conflict", "DEFAULTS", "event_xy"]

DEFAULTS = {
    "windows": [1, 4, 12, 26, 52, 260],
    "type_windows": [4, 52],
    "half_lives": [4, 26, 52],
    "queen_windows": [4, 52],
    "radii_km": [50, 100],
    "radius_windows": [4, 52],
    "country_windows": [4, 52],
}
TYPES = {"state_based": "state", "non_state": "nonstate", "one_sided": "onesided"}


def event_xy(events: pd.DataFrame) -> np.ndarray:
    """Event coordinates in the distance CRS (metres); NaN where unknown."""
    import geopandas as gpd
    ok = events["longitude"].notna() & events["latitude"].notna()
    pts = gpd.GeoSeries(gpd.points_from_xy(events["longitude"].fillna(0), events["latitude"].fillna(0)),
                        crs="EPSG:4326").to_crs(DISTANCE_CRS)
    xy = np.column_stack([pts.x.to_numpy(), pts.y.to_numpy()])
    xy[~ok.to_numpy()] = np.nan
    return xy


@register("conflict", defaults=DEFAULTS)
def build_conflict(ctx: PanelContext, options: dict) -> Iterator[Feature]:
    """Conflict history per unit and week: counts and fatalities over windows, by type of violence, decayed sums, weeks since, spatial lags and country totals."""
    opt = check_options("conflict", options, DEFAULTS)
    ev = ctx.events
    count, fatal = ctx.event_matrices()
    count_cs, fatal_cs = cumulate(count), cumulate(fatal)
    for w in opt["windows"]:
        yield Feature(f"conflict_events_{w}w", rolling_sum(count, w, count_cs, ctx.n_out),
                      description=f"events in the unit, last {w} weeks")
        yield Feature(f"conflict_fatalities_{w}w", rolling_sum(fatal, w, fatal_cs, ctx.n_out),
                      description=f"fatalities (best) in the unit, last {w} weeks")
    for hl in opt["half_lives"]:
        yield Feature(f"conflict_events_hl{hl}w", decayed_sum(count, hl, ctx.max_window, ctx.n_out),
                      description=f"events, decayed with half-life {hl} weeks")
        yield Feature(f"conflict_fatalities_hl{hl}w", decayed_sum(fatal, hl, ctx.max_window, ctx.n_out),
                      description=f"fatalities, decayed with half-life {hl} weeks")
    fatal_events, _ = ctx.event_matrices(ev["fatalities"].to_numpy() >= 1)
    yield Feature("conflict_weeks_since_event", tail(weeks_since(count, ctx.max_window), ctx.n_out),
                  description=f"weeks since the last event in the unit (capped at {ctx.max_window})")
    yield Feature("conflict_weeks_since_fatal",
                  tail(weeks_since(fatal_events, ctx.max_window), ctx.n_out),
                  description="weeks since the last event with at least one death")
    for vtype, label in TYPES.items():
        t_count, t_fatal = ctx.event_matrices((ev["violence_type"] == vtype).to_numpy())
        t_count_cs, t_fatal_cs = cumulate(t_count), cumulate(t_fatal)
        for w in opt["type_windows"]:
            yield Feature(f"conflict_events_{label}_{w}w", rolling_sum(t_count, w, t_count_cs, ctx.n_out))
            yield Feature(f"conflict_fatalities_{label}_{w}w", rolling_sum(t_fatal, w, t_fatal_cs, ctx.n_out))
    queen = ctx.units.neighbours()
    for w in opt["queen_windows"]:
        yield Feature(f"conflict_events_queen_{w}w",
                      np.asarray(queen @ rolling_sum(count, w, count_cs, ctx.n_out), dtype=np.float32),
                      description=f"events in the queen-contiguous neighbours, last {w} weeks")
        yield Feature(f"conflict_fatalities_queen_{w}w",
                      np.asarray(queen @ rolling_sum(fatal, w, fatal_cs, ctx.n_out), dtype=np.float32))
    # Precisely located events count for rings even outside the run's units (across a border).
    located = ev["precise"].to_numpy(dtype=bool)
    xy = ctx.events_xy()
    for r in opt["radii_km"]:
        units_idx, ev_idx = points_within(ctx.units.centroids_xy(), xy[located], r * 1000.0)
        # one (unit, event) pair per unit within the radius: spread events over those units
        ev_idx = np.flatnonzero(located)[ev_idx]
        sub = ev.iloc[ev_idx]
        r_count = lag_weeks(weekly_matrix(units_idx, sub["week_pos"].to_numpy(), None, ctx.n_units, ctx.n_history),
                            ctx.reporting_lag_weeks)
        r_fatal = lag_weeks(weekly_matrix(units_idx, sub["week_pos"].to_numpy(), sub["fatalities"].to_numpy(),
                                          ctx.n_units, ctx.n_history), ctx.reporting_lag_weeks)
        r_count_cs, r_fatal_cs = cumulate(r_count), cumulate(r_fatal)
        for w in opt["radius_windows"]:
            yield Feature(f"conflict_events_r{r}km_{w}w", rolling_sum(r_count, w, r_count_cs, ctx.n_out),
                          description=f"events within {r} km of the unit centre, last {w} weeks")
            yield Feature(f"conflict_fatalities_r{r}km_{w}w", rolling_sum(r_fatal, w, r_fatal_cs, ctx.n_out))
    yield from _country_totals(ctx, opt["country_windows"])


def _country_totals(ctx: PanelContext, windows: Sequence[int]) -> Iterator[Feature]:
    """All events of the unit's country, including those too coarse or unlocated for unit features."""
    countries = ctx.units.table["country_iso3"].astype(str).to_numpy()
    codes, unit_country = np.unique(countries, return_inverse=True)
    lookup = {c: i for i, c in enumerate(codes)}
    ev_country = ctx.events["country_iso3"].map(lookup).fillna(-1).astype(np.int64).to_numpy()
    week_pos = ctx.events["week_pos"].to_numpy()
    count = lag_weeks(weekly_matrix(ev_country, week_pos, None, len(codes), ctx.n_history), ctx.reporting_lag_weeks)
    fatal = lag_weeks(weekly_matrix(ev_country, week_pos, ctx.events["fatalities"].to_numpy(), len(codes), ctx.n_history),
                      ctx.reporting_lag_weeks)
    for w in windows:
        yield Feature(f"conflict_country_events_{w}w", rolling_sum(count, w, keep=ctx.n_out)[unit_country],
                      description=f"events in the unit's country (any precision), last {w} weeks")
        yield Feature(f"conflict_country_fatalities_{w}w", rolling_sum(fatal, w, keep=ctx.n_out)[unit_country])
