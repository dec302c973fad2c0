"""Scoring one week: the risk of a fatal attack in the coming weeks, per cell or admin area.

The scoring path is the backtest path: the same panel builder on inputs truncated at the scored
week, the same model. Admin areas get the probability of at least one event in any of their cells,
``1 - prod(1 - p_cell)`` over the cells assigned to the area (a cell belongs to the area holding
its land's representative point), treating cells as independent, which overstates an area's risk
where its cells' risks move together.
"""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import geopandas as gpd
import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

from sahelrisk.calendar import DateLike, parse_week
from sahelrisk.errors import SpecError
from sahelrisk.evaluation.areas import AreaCalibration
from sahelrisk.features.panel import PanelInputs, build_units, compute_panel
from sahelrisk.features.spec import PanelSpec
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.severity import SeverityModel
from sahelrisk.scoring.drivers import describe_feature, explain, phrase_all
from sahelrisk.scoring.guard import check_week
from sahelrisk.scoring.rules import history_rules, practice_rules
from sahelrisk.units import Units
from sahelrisk.units.membership import area_membership

__all__ = ["score_week", "DEATH_COLUMNS", "TIER_CUTS", "TIERS", "risk_tier", "tier_index", "describe_feature", "ScoreResult",
           "UNIT_LEVELS", "check_unit_level"]

# Probability cut-points of the tiers. The model's probabilities are calibrated, so a tier means
# what it says; the backtest's observed frequency per tier is reported in the bulletin.
TIER_CUTS = (0.02, 0.10, 0.30)
TIERS = ("low", "elevated", "high", "very high")
UNIT_LEVELS = ("grid", "adm1", "adm2")


def check_unit_level(level: str, allowed: Sequence[str] = UNIT_LEVELS) -> None:
    """Refuse a unit level not in ``allowed``, naming the ones there are."""
    if level not in allowed:
        raise SpecError(f"unknown unit level {level!r}; use one of {', '.join(allowed)}")


def tier_index(p: ArrayLike) -> np.ndarray:
    """Position in :data:`TIERS` of each probability."""
    return np.searchsorted(TIER_CUTS, np.asarray(p, dtype=float), side="right")


def risk_tier(p: ArrayLike) -> np.ndarray:
    """Each probability's tier name (low, elevated, high, very high)."""
    return np.asarray(TIERS, dtype=object)[tier_index(p)]


@dataclass
class ScoreResult:
    """A scored week: the cells, the areas of each level, timings, each country's coverage and notes."""

    cells: gpd.GeoDataFrame          # per unit of the model's grid (or admin units)
    areas: dict[str, gpd.GeoDataFrame]
    seconds: dict
    coverage: list = field(default_factory=list)  # per country, from the check before scoring
    notes: tuple[str, ...] = ()                    # per country and admin level the units leave out
    rules: pd.DataFrame | None = None              # per unit, what the simple rules said (scoring.rules)


def _drivers(model: RiskModel | BlendedModel, X_now: pd.DataFrame, X_before: pd.DataFrame, p: np.ndarray,
             min_rows: int = 200) -> tuple[list[str], list[str]]:
    """Driver and change records (JSON text, see :mod:`sahelrisk.scoring.drivers`) per unit.

    Only units of the elevated tier and above (at least the ``min_rows`` highest) are explained:
    per-row contributions cost more than the prediction itself. Other units get "[]".
    """
    chosen = np.flatnonzero(p >= TIER_CUTS[0])
    if len(chosen) < min(min_rows, len(p)):
        chosen = np.argsort(-p, kind="stable")[:min_rows]
    drivers, changes = ["[]"] * len(p), ["[]"] * len(p)
    if len(chosen) == 0:
        return drivers, changes
    now, before = X_now.iloc[chosen], X_before.iloc[chosen]
    found, moved = explain(model.contributions(now[model.feature_names_]),
                           model.contributions(before[model.feature_names_]), now, before)
    for i, d, c in zip(chosen, found, moved):
        drivers[i], changes[i] = json.dumps(d), json.dumps(c)
    return drivers, changes


def score_week(model: RiskModel | BlendedModel, spec: PanelSpec, inputs: PanelInputs, week: DateLike, *, horizon_weeks: int,
               model_version: str, units: Units | None = None, levels: Sequence[str] = ("adm2",),
               area_calibration: AreaCalibration | None = None, severity: SeverityModel | None = None, draws: int = 1000, seed: int = 0, check: bool = True,
               reporting_lags: dict[str, int] | None = None, allow_stale: bool = False) -> ScoreResult:
    """Score the week holding ``week`` (and the week before, for the change) with a fitted model.

    Parameters
    ----------
    model : fitted estimator
    spec : PanelSpec
        The feature spec the model was trained on.
    inputs : PanelInputs
        The data as of the cut-off (``inputs.as_of``), recorded in every row.
    week : date-like
        The week forecast from (any day of it).
    horizon_weeks : int
        The model's horizon, recorded in every row.
    area_calibration : AreaCalibration, optional
        Maps an area's independence score to its probability (default: the independence score).
    severity : SeverityModel, optional
        The count part of the deaths forecast: adds :data:`DEATH_COLUMNS` to cells and areas
        (areas sum their cells' ``draws`` draws, tied within ADM1 and ADM2 areas by the
        severity model's copula loadings).
    check : bool
        Run the data guard first (:func:`sahelrisk.scoring.guard.check_week`): refuse a week the
        data does not cover. Only a caller that already ran it on the same inputs opts out.
    reporting_lags : dict, optional
        Each event source's reporting lag in weeks (the catalog's), for the per-country check.
    allow_stale : bool
        Score a country whose feed went dark, flagged in ``result.coverage``, instead of refusing.

    Returns
    -------
    ScoreResult
    """
    week = parse_week(week)
    coverage = check_week(inputs, week, spec.countries, reporting_lags=reporting_lags or {},
                          allow_stale=allow_stale) if check else []
    timings = {}
    started = time.perf_counter()
    units = units if units is not None else build_units(spec, inputs)
    timings["units_s"] = round(time.perf_counter() - started, 3)
    t0 = time.perf_counter()
    panel = compute_panel(spec, inputs, start=week - pd.Timedelta(weeks=1), end=week, units=units)
    timings["features_s"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    described = panel.attrs["sahelrisk"]["columns"]
    p = model.predict_proba(panel[model.feature_names_])[:, 1]
    now = (panel["week"] == week).to_numpy()
    current = pd.Series(p[now], index=panel.loc[now, "unit_id"].to_numpy())
    before = pd.Series(p[~now], index=panel.loc[~now, "unit_id"].to_numpy()).reindex(current.index)
    latest_event = inputs.events.loc[inputs.events["has_location"], "date_start"].max()
    names = units.table.set_index("unit_id").loc[current.index]
    cells = gpd.GeoDataFrame({
        "unit_id": current.index,
        **{c: names[c].to_numpy() for c in ("country_iso3", "adm1_pcode", "adm1_name", "adm2_pcode", "adm2_name")},
        "week": week, "as_of": pd.Timestamp(inputs.as_of).date().isoformat(), "horizon_weeks": horizon_weeks,
        "probability": current.to_numpy(),
        "probability_last_week": before.to_numpy(),
    }, geometry=names.geometry.to_numpy(), crs="EPSG:4326")
    cells["change_vs_last_week"] = cells["probability"] - cells["probability_last_week"]
    # Fatal-event history of the unit, for "possible onsets" (risk where nothing happened for a year).
    cells["events_52w"] = (panel.loc[now, "conflict_events_52w"].to_numpy() if "conflict_events_52w" in panel
                           else np.nan)
    features = [c for c in panel.columns if c in described]
    last_week = panel.loc[~now, ["unit_id", *features]].set_index("unit_id").reindex(current.index)
    cells["driver_records"], cells["change_records"] = _drivers(
        model, panel.loc[now, features].reset_index(drop=True), last_week.reset_index(drop=True), current.to_numpy())
    cells["top_drivers"] = ["; ".join(phrase_all(r, "en", described)) for r in cells["driver_records"]]
    cells["top_changes"] = ["; ".join(phrase_all(r, "en", described)) for r in cells["change_records"]]
    timings["predict_s"] = round(time.perf_counter() - t0, 3)
    _finish(cells, model_version, latest_event)
    samples = None
    if severity is not None:
        forecast = severity.forecast(panel.loc[now].reset_index(drop=True), current.to_numpy())
        # cells of one area drawn together (the model's copula loadings, ADM1 then ADM2)
        samples = forecast.sample(draws, seed=seed, groups=[cells["adm1_pcode"], cells["adm2_pcode"]])
        _deaths(cells, samples)
        for k in (10, 25):   # exact for cells; areas take them from the draws
            cells[f"p_{k}plus_deaths"] = forecast.prob_at_least(k)
        cells["deaths_expected"] = forecast.expected()
    areas = {level: aggregate(cells, level, inputs, model_version, latest_event, area_calibration, samples)
             for level in levels}
    rules = history_rules(panel.loc[now], horizon_weeks).merge(
        practice_rules(inputs.events, cells[["unit_id", "country_iso3", "adm1_pcode"]], inputs.layers.get("admin1"),
                       week), on="unit_id")
    timings["total_s"] = round(time.perf_counter() - started, 3)
    return ScoreResult(cells=cells, areas=areas, seconds=timings, coverage=coverage, notes=units.notes, rules=rules)


_EXPLAINED = ("top_drivers", "top_changes", "driver_records", "change_records")
DEATH_COLUMNS = ("deaths_expected", "deaths_q05", "deaths_q25", "deaths_q75", "deaths_q95", "p_10plus_deaths",
                 "p_25plus_deaths")


def _deaths(frame: gpd.GeoDataFrame, samples: np.ndarray) -> None:
    """Death columns from draws (rows x draws): mean, the 50% and 90% intervals, P(>= 10), P(>= 25)."""
    frame["deaths_expected"] = samples.mean(axis=1)
    for name, q in (("deaths_q05", 0.05), ("deaths_q25", 0.25), ("deaths_q75", 0.75), ("deaths_q95", 0.95)):
        frame[name] = np.quantile(samples, q, axis=1, method="inverted_cdf")
    for k in (10, 25):
        frame[f"p_{k}plus_deaths"] = (samples >= k).mean(axis=1)


def _finish(frame: gpd.GeoDataFrame, model_version: str, latest_event: DateLike | None) -> None:
    frame["risk_tier"] = risk_tier(frame["probability"])
    frame["rank"] = frame["probability"].rank(ascending=False, method="first").astype(int)
    frame["model_version"] = model_version
    frame["latest_event"] = pd.Timestamp(latest_event).date().isoformat() if pd.notna(latest_event) else None


def _calibrated(calibration: AreaCalibration | None, level: str, p: np.ndarray) -> np.ndarray:
    return p if calibration is None else calibration.apply(level, p)


def aggregate(cells: gpd.GeoDataFrame, level: str, inputs: PanelInputs, model_version: str, latest_event: DateLike | None,
              calibration: AreaCalibration | None = None, samples: np.ndarray | None = None) -> gpd.GeoDataFrame:
    """Probability of at least one event in each ADM1/ADM2 area from its cells' probabilities: the
    independence score ``1 - prod(1 - p)`` (``probability_independent``), mapped by the model's
    area ``calibration`` where it has one (cells of one area are not independent)."""
    check_unit_level(level, ("adm1", "adm2"))
    key = f"{level}_pcode"
    countries = set(cells["country_iso3"])
    areas = inputs.layers[f"admin{level[-1]}"]
    areas = areas[areas["country_iso3"].isin(sorted(countries))].set_index("pcode")
    pairs = area_membership(cells, areas, key)
    member = cells.iloc[pairs["pos"].to_numpy()].reset_index(drop=True)
    member["area"] = pairs["pcode"].to_numpy()
    member["assigned"] = (member[key] == member["area"]).to_numpy()
    grouped = member.groupby("area", sort=True)
    none_now = grouped["probability"].apply(lambda s: float(np.prod(1 - s.to_numpy(dtype=float))))
    none_before = grouped["probability_last_week"].apply(lambda s: float(np.prod(1 - s.to_numpy(dtype=float))))
    # The area's drivers are those of its highest-risk cell.
    top_cell = member.loc[grouped["probability"].idxmax()].set_index("area")
    index = none_now.index
    names = areas.reindex(index)
    frame = gpd.GeoDataFrame({
        "unit_id": index, "country_iso3": names["country_iso3"].to_numpy(),
        "adm1_pcode": (names["adm1_pcode"] if level == "adm2" else pd.Series(index, index=index)).to_numpy(),
        "adm1_name": top_cell.loc[index, "adm1_name"].to_numpy() if level == "adm2" else names["name"].to_numpy(),
        "adm2_pcode": index if level == "adm2" else None,
        "adm2_name": names["name"].to_numpy() if level == "adm2" else None,
        "week": cells["week"].iloc[0], "as_of": cells["as_of"].iloc[0], "horizon_weeks": cells["horizon_weeks"].iloc[0],
        "probability": _calibrated(calibration, level, 1 - none_now.to_numpy()),
        "probability_last_week": _calibrated(calibration, level, 1 - none_before.to_numpy()),
        "probability_independent": 1 - none_now.to_numpy(),
        "cells": grouped["assigned"].sum().to_numpy(), "highest_risk_cell": top_cell.loc[index, "unit_id"].to_numpy(),
        **{c: top_cell.loc[index, c].to_numpy() for c in _EXPLAINED},
    }, geometry=names.geometry.to_numpy(), crs="EPSG:4326")
    frame["change_vs_last_week"] = frame["probability"] - frame["probability_last_week"]
    if samples is not None:
        # an area's deaths: the sum of its assigned cells' draws (the cell under a tiny area for it)
        area_position = pd.Series(np.arange(len(index)), index=index)
        cell_position = pd.Series(np.arange(len(cells)), index=cells["unit_id"].to_numpy())
        own = member["assigned"].to_numpy()
        sums = np.zeros((len(index), samples.shape[1]))
        np.add.at(sums, area_position.loc[member.loc[own, "area"]].to_numpy(), samples[pairs["pos"].to_numpy()[own]])
        empty = frame["cells"].to_numpy() == 0
        sums[empty] = samples[cell_position.loc[frame.loc[empty, "highest_risk_cell"]].to_numpy()]
        _deaths(frame, sums)
    _finish(frame, model_version, latest_event)
    return frame.sort_values("rank").reset_index(drop=True)
