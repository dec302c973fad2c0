"""How risky a route and a mining site are in a scored week.

A route's corridor is its line buffered by ``buffer_km``; the route is split into segments, one
per cell the line runs through, each with the cell's probability, the length and time spent in
it and the fatal events near it. The route's probability is that of at least one fatal event in
its corridor over the horizon. Counting every touched cell in full, ``1 - prod(1 - p)`` with
cells treated as independent, overstates it (a 20 km corridor is a sliver of a 55 km cell) and
is kept only for comparison; the probability shown is the share score of
:mod:`sahelrisk.evaluation.zones` (each cell counted for the part of it the corridor covers),
checked against what happened in road corridors in the backtest (``benchmarks/bench_routes.py``)
and mapped by the model's ``corridor`` calibration where it has one. A site's probability is
that of the disc of ``radius_km`` around it, defined the same way.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry

from sahelrisk.calendar import RECENT_WEEKS, DateLike, events_in_weeks, weeks_up_to
from sahelrisk.errors import DataGapError
from sahelrisk.evaluation.areas import AreaCalibration
from sahelrisk.evaluation.zones import independence_score, share_score, zone_weights
from sahelrisk.geo import metric_crs_for
from sahelrisk.routes.network import Route
from sahelrisk.scoring.week import risk_tier

__all__ = ["route_segments", "route_summary", "assess_routes", "site_risk", "events_near", "events_along", "route_line",
           "around",
           "EVENT_WINDOWS"]

EVENT_WINDOWS = (RECENT_WEEKS, 52)
SLIVER_M = 25.0
SNAP_DEG = 1.0
"""A route's metric projection is centred on the whole degree nearest its middle (see
:func:`sahelrisk.geo.metric_crs_for`)."""
MOST_OUTSIDE = 0.5
"""A route with more than this share of its length outside the scored cells is refused."""


def events_near(shapes_m: gpd.GeoSeries, events: pd.DataFrame, week: DateLike, radius_m: float, crs: str) -> pd.DataFrame:
    """Per shape (metric CRS): fatal events and deaths within ``radius_m`` over each window of
    :data:`EVENT_WINDOWS` weeks up to the end of ``week``."""
    week = pd.Timestamp(week)
    out = pd.DataFrame(index=shapes_m.index)
    recent = events_in_weeks(events, week, max(EVENT_WINDOWS))
    points = gpd.GeoSeries(gpd.points_from_xy(recent["longitude"], recent["latitude"]), crs="EPSG:4326").to_crs(crs)
    # within the distance of each shape, asked of the shapes as they are: buffering a long track
    # (a convoy's passes back and forth, every kink kept) cost seconds and gigabytes for the same answer
    zones = gpd.GeoDataFrame(geometry=shapes_m.to_numpy(), index=shapes_m.index, crs=crs)
    found = gpd.sjoin(gpd.GeoDataFrame({"_event": np.arange(len(points))}, geometry=points.to_numpy(), crs=crs),
                      zones, predicate="dwithin", distance=radius_m, how="inner")
    dates = recent["date_start"].to_numpy()[found["_event"].to_numpy()]
    deaths = recent["fatalities_best"].to_numpy(dtype=float)[found["_event"].to_numpy()]
    for weeks in EVENT_WINDOWS:
        inside = dates >= np.datetime64(weeks_up_to(week, weeks)[0])
        per = pd.Series(inside.astype(int), index=found["index_right"].to_numpy()).groupby(level=0).sum()
        dead = pd.Series(np.where(inside, deaths, 0), index=found["index_right"].to_numpy()).groupby(level=0).sum()
        out[f"events_{weeks}w"] = per.reindex(out.index, fill_value=0).astype(int)
        out[f"deaths_{weeks}w"] = dead.reindex(out.index, fill_value=0).astype(int)
    return out


def route_segments(route: Route, cells: gpd.GeoDataFrame, events: pd.DataFrame, week: DateLike, *,
                   buffer_km: float = 10.0) -> gpd.GeoDataFrame:
    """The route split by cell, in travel order.

    Parameters
    ----------
    route : Route
    cells : geopandas.GeoDataFrame
        Scored cells of one week (``unit_id``, ``probability``, names, geometry).
    events : pandas.DataFrame
        Located events (``latitude``, ``longitude``, ``date_start``, ``fatalities_best``).
    week : date-like
        The scored week.
    buffer_km : float
        Events within this distance of a segment count as near it.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per stretch of the route inside one cell: ``segment`` (1, 2, …), ``unit_id``,
        ``adm2_name``, ``probability``, ``risk_tier``, ``km``, ``minutes``, ``from_km`` (distance
        along the route where it starts), ``kinds`` (road, connector, track), ``events_4w``,
        ``deaths_4w``, ``events_52w``, ``deaths_52w``; cells not scored (outside the countries)
        have no probability.
    """
    line = route.line()
    crs = metric_crs_for(line, snap_deg=SNAP_DEG)
    parts = route.parts.to_crs(crs).reset_index(drop=True)
    grid = _near(cells, line.bounds)[["unit_id", "adm2_name", "probability", "risk_tier", "geometry"]].to_crs(crs)
    pieces = gpd.overlay(gpd.GeoDataFrame(parts.assign(_part=np.arange(len(parts))), crs=crs), grid,
                         how="identity", keep_geom_type=True)
    pieces = pieces.explode(index_parts=False).reset_index(drop=True)
    # slivers where the line grazes a cell corner or a gap between land-clipped cells are noise
    pieces = pieces[pieces.geometry.length > SLIVER_M]
    offsets = np.concatenate([[0.0], np.cumsum(parts.geometry.length.to_numpy())])
    part_len = parts.geometry.length.to_numpy()
    starts, shares, lines = [], [], []
    for geometry, k in zip(pieces.geometry, pieces["_part"].astype(int)):
        # an overlay may hand a piece back drawn against the direction of travel: turn it round
        a, b = (parts.geometry.iloc[k].project(Point(xy)) for xy in (geometry.coords[0], geometry.coords[-1]))
        lines.append(geometry if a <= b else geometry.reverse())
        starts.append(offsets[k] + min(a, b))
        shares.append(geometry.length / part_len[k] if part_len[k] else 0.0)
    pieces = pieces.set_geometry(gpd.GeoSeries(lines, index=pieces.index, crs=crs))
    pieces["from_m"] = starts
    pieces["km"] = pieces["_part"].map(parts["km"]).to_numpy() * np.asarray(shares)
    pieces["minutes"] = pieces["_part"].map(parts["minutes"]).to_numpy() * np.asarray(shares)
    pieces = pieces.sort_values("from_m", kind="stable").reset_index(drop=True)
    # consecutive pieces in one cell are one segment
    cell = np.array([str(u) if pd.notna(u) else "outside" for u in pieces["unit_id"]], dtype=object)
    pieces["segment"] = np.cumsum(np.r_[True, cell[1:] != cell[:-1]])
    grouped = pieces.groupby("segment", sort=True)
    segments = grouped.agg(unit_id=("unit_id", "first"), adm2_name=("adm2_name", "first"),
                           probability=("probability", "first"), risk_tier=("risk_tier", "first"),
                           km=("km", "sum"), minutes=("minutes", "sum"), from_m=("from_m", "min"),
                           kinds=("kind", lambda k: ",".join(sorted(set(k))))).reset_index()
    segments = gpd.GeoDataFrame(segments, geometry=[_joined(g) for _, g in grouped.geometry], crs=crs)
    segments["from_km"] = segments.pop("from_m") / 1000
    segments["unit_id"] = segments["unit_id"].astype("Int64")
    near = events_near(segments.geometry, events, week, buffer_km * 1000, crs)
    segments = pd.concat([segments, near], axis=1)
    return segments.to_crs("EPSG:4326")


def _joined(pieces: Iterable[BaseGeometry]) -> LineString:
    """Lines in travel order as one line (a gap left by a sliver is bridged by a straight step)."""
    coords: list[tuple[float, ...]] = []
    for piece in pieces:
        for line in getattr(piece, "geoms", [piece]):
            points = list(line.coords)
            coords.extend(points[1:] if coords and coords[-1] == points[0] else points)
    return LineString(coords)


def route_line(segments: gpd.GeoDataFrame, label: str) -> LineString:
    """Route ``label`` of :func:`assess_routes`' segments as one line, in travel order (lon/lat)."""
    mine = segments[segments["route"] == label].sort_values("segment")
    return _joined(mine.geometry)


def events_along(line: LineString, events: pd.DataFrame, week: DateLike, buffer_km: float,
                 weeks: int = 52) -> pd.DataFrame:
    """The deadly events within ``buffer_km`` of a route in the ``weeks`` up to the end of ``week``,
    in the order the route meets them.

    Parameters
    ----------
    line : shapely.LineString
        The route in travel order, lon/lat (:func:`route_line`).
    events : pandas.DataFrame
        Located events (``latitude``, ``longitude``, ``date_start``, ``fatalities_best``).
    week : date-like
        The scored week.
    buffer_km : float
        The corridor's half-width.
    weeks : int
        The window, in whole weeks.

    Returns
    -------
    pandas.DataFrame
        The events with at least one death, with ``km_along`` (where the route passes closest)
        and ``km_off`` (how far from it), sorted by ``km_along``.
    """
    recent = events_in_weeks(events, week, weeks)
    recent = recent[recent["fatalities_best"].fillna(0) > 0]
    if recent.empty:
        return recent.assign(km_along=pd.Series(dtype=float), km_off=pd.Series(dtype=float))
    crs = metric_crs_for(line, snap_deg=SNAP_DEG)
    metric = gpd.GeoSeries([line], crs="EPSG:4326").to_crs(crs).iloc[0]
    points = gpd.GeoSeries(gpd.points_from_xy(recent["longitude"], recent["latitude"]), crs="EPSG:4326").to_crs(crs)
    off = points.distance(metric).to_numpy()
    near = off <= buffer_km * 1000
    found = recent[near].assign(km_off=off[near] / 1000,
                                km_along=[metric.project(p) / 1000 for p in points[near]])
    return found.sort_values(["km_along", "date_start"], kind="stable")


def _near(cells: gpd.GeoDataFrame, bounds: tuple[float, float, float, float], margin_deg: float = 1.0) -> gpd.GeoDataFrame:
    """The cells within ``margin_deg`` of ``bounds`` (lon/lat): a route's work is set by the
    route, not by how many cells the week scored."""
    x0, y0, x1, y1 = bounds
    return cells.cx[x0 - margin_deg:x1 + margin_deg, y0 - margin_deg:y1 + margin_deg]


def around(shape: BaseGeometry, km: float) -> BaseGeometry:
    """The zone within ``km`` of ``shape`` (a route's corridor, a site's surroundings), in lon/lat."""
    crs = metric_crs_for(shape, snap_deg=SNAP_DEG)
    return gpd.GeoSeries([shape], crs="EPSG:4326").to_crs(crs).buffer(km * 1000).to_crs("EPSG:4326").iloc[0]


def _zone_probabilities(zone: BaseGeometry, cells: gpd.GeoDataFrame) -> tuple[float, float, int]:
    """(share score, independence score, cells touched) of one zone polygon (EPSG:4326)."""
    weights = zone_weights(gpd.GeoSeries([zone], crs="EPSG:4326"), cells.geometry.reset_index(drop=True))
    p = cells["probability"].to_numpy(dtype=float)
    return float(share_score(weights, p)[0]), float(independence_score(weights, p)[0]), weights.getrow(0).nnz


def route_summary(route: Route, segments: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, *, buffer_km: float = 10.0,
                  calibration: AreaCalibration | None = None) -> dict:
    """The whole route in numbers.

    Returns
    -------
    dict
        ``probability`` of at least one fatal event in the corridor (the line buffered by
        ``buffer_km``) over the horizon: the share score of :mod:`sahelrisk.evaluation.zones`,
        mapped by the model's ``corridor`` calibration where it has one; ``probability_independent``
        (every touched cell in full, as if independent: an upper bound, kept for comparison);
        ``km``, ``hours``, ``km_outside`` (not in a scored cell), ``km_off_network``,
        ``corridor_cells``, ``exposure`` (the sum over segments of probability x hours in the
        cell) and ``risk_per_hour`` (``exposure / hours``: the mean cell probability a traveller
        is under per hour on the road, to compare a long safe way with a short risky one),
        ``riskiest`` (segment numbers, highest probability first), the events near the route and,
        for a recorded track, its ``stops`` (where it stood, and for how many fixes).
    """
    p_share, p_any, touched = _zone_probabilities(around(route.line(), buffer_km), cells)
    if touched == 0:
        raise DataGapError(f"route {route.label!r} runs outside the scored countries "
                           f"({', '.join(sorted(set(cells['country_iso3'])))}): no scored cell within {buffer_km:g} km; "
                           "give a route inside them")
    scored = segments["probability"].notna()
    outside = float(segments.loc[~scored, "km"].sum())
    if outside > MOST_OUTSIDE * route.km:
        raise DataGapError(f"route {route.label!r} runs mostly outside the scored countries "
                           f"({', '.join(sorted(set(cells['country_iso3'])))}): {outside:,.0f} of its {route.km:,.0f} km "
                           "are not scored, so its probability would say little; ask for the part inside them")
    p = float(calibration.apply("corridor", [p_share])[0]) if calibration is not None else p_share
    hours = route.minutes / 60
    exposure = float((segments.loc[scored, "probability"] * segments.loc[scored, "minutes"] / 60).sum())
    return {
        "route": route.label, "km": round(route.km, 1), "hours": round(hours, 2),
        "km_outside": round(outside, 1),
        "km_off_network": round(float(route.parts.loc[route.parts["kind"] == "connector", "km"].sum()), 1),
        "corridor_cells": touched, "probability": p, "probability_independent": p_any,
        "exposure": exposure, "risk_per_hour": exposure / hours if hours else float("nan"),
        "riskiest": segments.loc[scored].nlargest(3, "probability")["segment"].astype(int).tolist(),
        "events_4w": int(segments["events_4w"].sum()), "events_52w": int(segments["events_52w"].sum()),
        "stops": list(route.stops),
    }


def site_risk(sites: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, events: pd.DataFrame, week: DateLike, *,
              radius_km: float = 25.0, calibration: AreaCalibration | None = None) -> gpd.GeoDataFrame:
    """Each site's risk: its cell's probability, that of its surroundings and the events near it.

    Parameters
    ----------
    sites : geopandas.GeoDataFrame
        Points with ``name`` (and any other columns, kept).
    cells : geopandas.GeoDataFrame
        Scored cells of one week.
    radius_km : float
        The surroundings: cells within this distance, and events within it.

    Returns
    -------
    geopandas.GeoDataFrame
        The sites with ``unit_id`` and ``probability_cell`` (the cell holding the site),
        ``probability`` (of at least one fatal event within ``radius_km`` over the horizon: the
        share score mapped by the model's ``site`` calibration where it has one),
        ``probability_independent``, ``risk_tier``, ``events_4w``, ``deaths_4w``, ``events_52w``,
        ``deaths_52w`` and ``rank`` (by ``probability``); sites outside the scored cells are kept
        without probabilities.
    """
    sites = sites.reset_index(drop=True)
    crs = metric_crs_for(cells)
    # "intersects": a site exactly on a cell edge or corner gets a cell (the first of those it touches)
    in_cell = gpd.sjoin(sites[["geometry"]], cells[["unit_id", "probability", "geometry"]], predicate="intersects",
                        how="left")
    in_cell = in_cell[~in_cell.index.duplicated()]
    sites_m = sites.geometry.to_crs(crs)
    zones = sites_m.buffer(radius_km * 1000).to_crs("EPSG:4326")
    weights = zone_weights(zones, cells.geometry.reset_index(drop=True))
    p = cells["probability"].to_numpy(dtype=float)
    out = sites.copy()
    out["unit_id"] = in_cell["unit_id"].reindex(out.index).astype("Int64").array
    out["probability_cell"] = in_cell["probability"].reindex(out.index).to_numpy(dtype=float)
    p_share = share_score(weights, p)
    touched = np.diff(weights.indptr) > 0
    p_share = np.where(touched, p_share, np.nan)
    out["probability"] = calibration.apply("site", p_share) if calibration is not None else p_share
    out["probability_independent"] = np.where(touched, independence_score(weights, p), np.nan)
    out = pd.concat([out, events_near(sites_m, events, week, radius_km * 1000, crs)], axis=1)
    tiers = risk_tier(np.nan_to_num(out["probability"].to_numpy(dtype=float))).astype(object)
    tiers[~touched] = None   # a site outside every scored cell has no tier
    out["risk_tier"] = tiers
    out["rank"] = out["probability"].rank(ascending=False, method="first").astype("Int64")
    return gpd.GeoDataFrame(out, geometry="geometry", crs="EPSG:4326").sort_values("rank", na_position="last")


def assess_routes(routes: list[Route], cells: gpd.GeoDataFrame, events: pd.DataFrame, week: DateLike, *,
                  buffer_km: float = 10.0, calibration: AreaCalibration | None = None) -> gpd.GeoDataFrame:
    """Segments of every route in one frame (column ``route``), the routes ranked by risk and
    by time; the per-route summaries (:func:`route_summary`) in ``.attrs["routes"]``."""
    frames, summaries = [], []
    for route in routes:
        segments = route_segments(route, cells, events, week, buffer_km=buffer_km)
        summaries.append(route_summary(route, segments, cells, buffer_km=buffer_km, calibration=calibration))
        frames.append(segments.assign(route=route.label))
    by_risk = sorted(range(len(summaries)), key=lambda i: summaries[i]["probability"])
    by_time = sorted(range(len(summaries)), key=lambda i: summaries[i]["hours"])
    fastest = summaries[by_time[0]]
    for i, summary in enumerate(summaries):
        summary["rank_by_risk"], summary["rank_by_time"] = by_risk.index(i) + 1, by_time.index(i) + 1
        summary["extra_hours"] = round(summary["hours"] - fastest["hours"], 2)
        summary["probability_change"] = summary["probability"] - fastest["probability"]
    out = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    out.attrs["routes"] = summaries
    out.attrs["week"] = str(pd.Timestamp(week).date())
    out.attrs["buffer_km"] = buffer_km
    return out
