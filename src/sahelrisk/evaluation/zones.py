"""Risk in a zone that is not a cell: a road's corridor, a mining site's surroundings.

A zone covers parts of several cells. Its score assumes a cell's fatal events fall anywhere in
it alike: with ``p`` a cell's probability of at least one, the cell's expected count is
``-log(1 - p)`` (Poisson), the zone's share of it the covered fraction of the cell's area, and
the zone's probability of at least one ``1 - exp(-sum(fraction * -log(1 - p)))`` (``p_share``).
Events might gather along roads and near towns rather than spread evenly, so that score is
checked against what happened in the zone in the rolling-origin backtest, beside maps fitted on
earlier weeks only (:func:`sahelrisk.evaluation.areas.calibrate_in_backtest`). On the validation
origins the score as it is was the best calibrated (:data:`ZONE_METHOD`); were a map chosen, the
registered model would carry it, fitted on every backtest row (levels ``corridor`` and ``site``
of its area calibration). ``p_independent`` (every touched cell in full, as if independent) is
kept for comparison. The baseline, ``p_decay``, is the zone's own fatal events with a 26-week
half-life, ``d / (1 + d)``.
"""

from __future__ import annotations

from collections.abc import Iterable

import geopandas as gpd
import numpy as np
import pandas as pd
import shapely
from numpy.typing import ArrayLike
from scipy import sparse

from sahelrisk.calendar import DateLike, last_full_week, week_of
from sahelrisk.evaluation.areas import MIN_POSITIVES, calibrate_in_backtest, fit_map
from sahelrisk.geo import metric_crs_for
from sahelrisk.units import Units

__all__ = ["ZONE_KINDS", "ZONE_METHOD", "zone_weights", "share_score", "independence_score", "road_zones", "site_zones", "zone_rows",
           "evaluate_zones", "fit_zone_maps", "DEFAULT_BUFFER_KM", "DEFAULT_RADIUS_KM", "ZONE_REPORTED"]

ZONE_KINDS = ("corridor", "site")
# Chosen on the 2017-2019 validation origins (benchmarks/routes.json): the share score as it is
# had the lowest calibration error for corridors and sites; a logistic or isotonic map did worse.
ZONE_METHOD = "none"
DEFAULT_BUFFER_KM = 10.0      # a route's corridor: this far either side of the road
DEFAULT_RADIUS_KM = 25.0      # a site's surroundings
DECAY_HALF_LIFE_WEEKS = 26
# The scores a zone backtest reports (``p_<name>`` columns of :func:`evaluate_zones`).
ZONE_REPORTED = ("independent", "share", "calibrated", "decay_calibrated")


def zone_weights(zones: gpd.GeoSeries, cells: gpd.GeoSeries) -> sparse.csr_matrix:
    """Share of each cell's area inside each zone (zones x cells), both in EPSG:4326."""
    crs = metric_crs_for(cells)
    zones_m = gpd.GeoDataFrame(geometry=zones.to_crs(crs).to_numpy(), crs=crs)
    cells_m = gpd.GeoDataFrame(geometry=cells.to_crs(crs).to_numpy(), crs=crs)
    pairs = gpd.sjoin(zones_m, cells_m, predicate="intersects", how="inner")
    zone_pos, cell_pos = pairs.index.to_numpy(), pairs["index_right"].to_numpy()
    inter = shapely.intersection(zones_m.geometry.to_numpy()[zone_pos], cells_m.geometry.to_numpy()[cell_pos])
    share = shapely.area(inter) / cells_m.geometry.area.to_numpy()[cell_pos]
    return sparse.csr_matrix((share, (zone_pos, cell_pos)), shape=(len(zones_m), len(cells_m)))


def share_score(weights: sparse.csr_matrix, p: ArrayLike) -> np.ndarray:
    """``p_share`` of each zone from cell probabilities ``p`` (cells, or cells x weeks)."""
    rate = -np.log1p(-np.clip(np.asarray(p, dtype=float), 0, 1 - 1e-12))
    return 1 - np.exp(-(weights @ rate))


def independence_score(weights: sparse.csr_matrix, p: ArrayLike) -> np.ndarray:
    """Each zone's ``1 - prod(1 - p)`` over every cell it touches, in full (cells independent)."""
    touched = (weights > 0).astype(float)
    return 1 - np.exp(touched @ np.log1p(-np.clip(np.asarray(p, dtype=float), 0, 1 - 1e-12)))


def road_zones(roads: gpd.GeoDataFrame, countries: Iterable[str], buffer_km: float = DEFAULT_BUFFER_KM) -> gpd.GeoDataFrame:
    """The corridor of every road link touching ``countries``: ``zone_id`` (the road id), geometry."""
    keep = roads["from_iso3"].isin(list(countries)) | roads["to_iso3"].isin(list(countries))
    links = roads[keep.to_numpy()].reset_index(drop=True)
    crs = metric_crs_for(links)
    zones = links.geometry.to_crs(crs).buffer(buffer_km * 1000).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"zone_id": links["road_id"].astype(str).to_numpy()}, geometry=zones.to_numpy(),
                            crs="EPSG:4326")


def site_zones(sites: gpd.GeoDataFrame, radius_km: float = DEFAULT_RADIUS_KM) -> gpd.GeoDataFrame:
    """A disc of ``radius_km`` around every site: ``zone_id`` (the site id), geometry."""
    sites = sites.reset_index(drop=True)
    crs = metric_crs_for(sites)
    zones = sites.geometry.to_crs(crs).buffer(radius_km * 1000).to_crs("EPSG:4326")
    return gpd.GeoDataFrame({"zone_id": sites["site_id"].astype(str).to_numpy()}, geometry=zones.to_numpy(),
                            crs="EPSG:4326")


def _event_matrix(events: pd.DataFrame, zones: gpd.GeoDataFrame, span: pd.DatetimeIndex) -> np.ndarray:
    """Fatal located events per (zone, week of ``span``)."""
    fatal = events[events["has_location"].to_numpy() & (events["fatalities_best"].to_numpy(dtype=float) >= 1)]
    points = gpd.GeoDataFrame({"week_pos": span.get_indexer(week_of(fatal["date_start"]))},
                              geometry=gpd.points_from_xy(fatal["longitude"], fatal["latitude"]), crs="EPSG:4326")
    points = points[points["week_pos"] >= 0]
    found = gpd.sjoin(points, zones[["geometry"]], predicate="within", how="inner")
    out = np.zeros((len(zones), len(span)))
    np.add.at(out, (found["index_right"].to_numpy(), found["week_pos"].to_numpy()), 1)
    return out


def zone_rows(preds: pd.DataFrame, model: str, units: Units, zones: gpd.GeoDataFrame, events: pd.DataFrame, *,
              target: str, horizon_weeks: int, data_end: DateLike) -> pd.DataFrame:
    """Backtest rows per (zone, week): ``p_share``, ``p_independent``, ``p_decay`` and whether a
    fatal event fell in the zone in weeks t+1 .. t+h (``target``); unobserved rows dropped.

    Parameters
    ----------
    preds : pandas.DataFrame
        Cell predictions (``unit_id``, ``week``, ``fold``, ``p_<model>``).
    zones : geopandas.GeoDataFrame
        ``zone_id`` and polygons (:func:`road_zones`, :func:`site_zones`).
    """
    zones = zones.reset_index(drop=True)
    wide = preds.pivot_table(index="unit_id", columns="week", values=f"p_{model}", aggfunc="first")
    wide = wide.reindex(units.ids)
    weeks = pd.DatetimeIndex(wide.columns)
    weights = zone_weights(zones.geometry, units.table.geometry.reset_index(drop=True))
    P = wide.to_numpy(dtype=float)
    seen = ~np.isnan(P).any(axis=0)
    weeks, P = weeks[seen], P[:, seen]
    history = max(52 * 5, 4 * DECAY_HALF_LIFE_WEEKS)
    span = pd.date_range(weeks[0] - pd.Timedelta(weeks=history), weeks[-1] + pd.Timedelta(weeks=horizon_weeks),
                         freq="7D")
    counts = _event_matrix(events, zones, span)
    # the baseline: the zone's own events up to week t, decayed
    lags = np.arange(history)
    kernel = 0.5 ** (lags / DECAY_HALF_LIFE_WEEKS)
    at = span.get_indexer(weeks)
    decayed = np.stack([counts[:, t - lags] @ kernel for t in at], axis=1)
    cs = np.concatenate([np.zeros((len(zones), 1)), np.cumsum(counts, axis=1)], axis=1)
    ahead = cs[:, at + horizon_weeks + 1] - cs[:, at + 1]
    observed = (weeks + pd.Timedelta(weeks=horizon_weeks)) <= last_full_week(data_end)
    folds = preds.drop_duplicates("week").set_index("week")["fold"].reindex(weeks).to_numpy()
    rows = pd.DataFrame({
        "unit_id": np.repeat(zones["zone_id"].to_numpy(), len(weeks)),
        "week": np.tile(weeks.to_numpy(), len(zones)), "fold": np.tile(folds, len(zones)),
        "p_share": share_score(weights, P).ravel(), "p_independent": independence_score(weights, P).ravel(),
        "p_decay": (decayed / (1 + decayed)).ravel(),
        target: np.where(np.tile(observed, len(zones)), (ahead > 0).astype(float).ravel(), np.nan),
    })
    return rows.dropna(subset=[target]).reset_index(drop=True)


def evaluate_zones(preds: pd.DataFrame, units: Units, layers: dict, events: pd.DataFrame, *, target: str,
                   horizon_weeks: int, data_end: DateLike, model: str = "model", method: str = ZONE_METHOD,
                   buffer_km: float = DEFAULT_BUFFER_KM, radius_km: float = DEFAULT_RADIUS_KM) -> dict[str, pd.DataFrame]:
    """Backtest rows of road corridors and mining sites in the units' countries, with the share
    score calibrated fold by fold on earlier folds (``p_calibrated``) and the baseline likewise
    (``p_decay_calibrated``). Kinds whose layer is missing are left out."""
    countries = sorted(units.table["country_iso3"].unique())
    zones = {}
    if "roads" in layers:
        zones["corridor"] = road_zones(layers["roads"], countries, buffer_km)
    if "mining_sites" in layers:
        sites = layers["mining_sites"]
        zones["site"] = site_zones(sites[sites["country_iso3"].isin(countries)], radius_km)
    out = {}
    for kind, frame in zones.items():
        if frame.empty:
            continue
        rows = zone_rows(preds, model, units, frame, events, target=target, horizon_weeks=horizon_weeks,
                         data_end=data_end)
        rows = calibrate_in_backtest(rows, target, horizon_weeks, method, score="p_share")
        base = calibrate_in_backtest(rows, target, horizon_weeks, "logistic", score="p_decay")
        rows["p_decay_calibrated"] = base.set_index(["unit_id", "week"])["p_calibrated"].reindex(
            pd.MultiIndex.from_frame(rows[["unit_id", "week"]])).to_numpy()
        out[kind] = rows
    return out


def fit_zone_maps(rows_by_kind: dict[str, pd.DataFrame], target: str, method: str = ZONE_METHOD) -> dict:
    """The registered model's maps from ``p_share`` to the zone's probability, per kind."""
    return {kind: fit_map(rows["p_share"], rows[target], method) for kind, rows in rows_by_kind.items()
            if rows[target].sum() >= MIN_POSITIVES}
