"""The Python API for analysts: ``import sahelrisk`` then score, load a model, backtest, build a panel.

>>> import sahelrisk                                                      # doctest: +SKIP
>>> risk = sahelrisk.score("2023-12-25", horizon_weeks=4, units="adm2")  # doctest: +SKIP
>>> risk.nsmallest(5, "rank")[["adm2_name", "probability", "risk_tier", "top_drivers"]]  # doctest: +SKIP
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.calendar import week_of
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.errors import ConfigError
from sahelrisk.features.panel import PanelInputs, load_inputs
from sahelrisk.features.spec import PanelSpec, load_spec, spec_from_text
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.scoring.week import ScoreResult, check_unit_level, coverage_gap, score_week

__all__ = ["score", "score_all", "load_model", "backtest", "build_panel", "LoadedModel", "default_model_name"]


def default_model_name(horizon_weeks: int, target: str = "any-fatal") -> str:
    return f"sahelrisk-grid-{target}-{horizon_weeks}w"


@dataclass
class LoadedModel:
    model: RiskModel | BlendedModel
    name: str
    version: str
    run_id: str
    spec: PanelSpec
    metrics: dict


def load_model(model: str = "champion", horizon_weeks: int = 4, *, name: str | None = None,
               tracking_uri: str | None = None, mlruns: str | Path = "mlruns") -> LoadedModel:
    """A registered model by alias (``"champion"``) or version number, with the feature spec it was trained on."""
    from sahelrisk.modeling import tracking
    tracking.configure(tracking_uri, mlruns)
    name = name or default_model_name(horizon_weeks)
    version = str(model) if str(model).isdigit() else None
    fitted, ref = tracking.load_risk_model(name, alias=None if version else str(model), version=version)
    spec = spec_from_text(tracking.load_run_text(ref.run_id, "spec/features.toml"), f"<{name} v{ref.version}>")
    return LoadedModel(fitted, name, ref.version, ref.run_id, spec, ref.metrics)


def _check_as_of(inputs: PanelInputs, week: pd.Timestamp, spec: PanelSpec) -> None:
    located = inputs.events[inputs.events["has_location"] & inputs.events["country_iso3"].isin(list(spec.countries))]
    if located.empty:  # inputs are loaded as of the scored week, so an early week leaves none
        raise ConfigError(f"as-of {week.date()} is before the event data starts: no located event for "
                          f"{', '.join(spec.countries)} is dated on or before it; score a later week")
    first, last = located["date_start"].min(), located["date_start"].max()
    if week < week_of(first):
        raise ConfigError(f"as-of {week.date()} is before the event data starts ({first.date()}); "
                          "score a later week")
    if week > week_of(last):
        raise ConfigError(f"as-of {week.date()} is after the located event data ends ({last.date()}); score a week "
                          f"up to {week_of(last).date()}, or fetch newer data ('sahelrisk data fetch')")
    gap = coverage_gap(located["date_start"], week)
    if gap:
        raise ConfigError(f"the event data has no located events from {gap[0].date()} to {gap[1].date()}, within the "
                          f"year before {week.date()}; features would read that hole as peace. Score a week the data "
                          "covers or add event data for the gap (e.g. UCDP GED 25.1)")


def score_all(as_of, horizon_weeks: int = 4, model: str | LoadedModel = "champion", data=None, *,
              levels=("adm2",), tracking_uri: str | None = None, mlruns: str | Path = "mlruns",
              catalog: Catalog | None = None, inputs: PanelInputs | None = None) -> tuple[ScoreResult, LoadedModel]:
    """Score a week for the model's cells and the given admin levels (for outputs)."""
    loaded = model if isinstance(model, LoadedModel) else load_model(model, horizon_weeks, tracking_uri=tracking_uri,
                                                                      mlruns=mlruns)
    try:
        week = week_of(pd.Timestamp(as_of))
    except (ValueError, TypeError) as e:
        raise ConfigError(f"as_of {as_of!r} is not a date; use YYYY-MM-DD") from e
    if inputs is None:
        # Known at the end of the scored week: later rows are rejected on load, never used.
        inputs = load_inputs(catalog or load_catalog(), resolve_data_dir(data), spec=loaded.spec,
                             as_of=(week + pd.Timedelta(days=6)).date())
    _check_as_of(inputs, week, loaded.spec)
    result = score_week(loaded.model, loaded.spec, inputs, week, horizon_weeks=horizon_weeks,
                        model_version=f"{loaded.name} v{loaded.version}", levels=levels)
    return result, loaded


def score(as_of, horizon_weeks: int = 4, units: str = "grid", model: str | LoadedModel = "champion", data=None,
          **kwargs) -> gpd.GeoDataFrame:
    """Risk of at least one fatal event in the next ``horizon_weeks`` weeks after the week of ``as_of``.

    ``units``: ``"grid"`` (the model's cells), ``"adm2"`` or ``"adm1"`` (cells aggregated as the
    probability of at least one event in the area). ``model``: a registry alias or version number.
    Returns a GeoDataFrame sorted by rank.
    """
    check_unit_level(units)
    levels = () if units == "grid" else (units,)
    result, _ = score_all(as_of, horizon_weeks, model, data, levels=levels, **kwargs)
    frame = result.cells if units == "grid" else result.areas[units]
    return frame.sort_values("rank").reset_index(drop=True)


def backtest(spec: str | Path = "training/default.toml", data=None, horizons: list[int] | None = None,
             include_model: bool = True):
    """The rolling-origin backtest of a training spec (model and baselines); a BacktestResult."""
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.modeling.training import prepare_frame, run_backtests
    training_spec = load_training_spec(spec)
    tf = prepare_frame(training_spec, resolve_data_dir(data))
    return run_backtests(training_spec, tf, horizons, include_model=include_model)


def build_panel(spec: str | Path = "features/default.toml", start=None, end=None, data=None, *,
                as_of: date | str) -> pd.DataFrame:
    """The (unit_id, week) feature panel of a feature spec, from the data as of ``as_of``."""
    from sahelrisk.features.panel import build_panel as _build
    panel_spec = load_spec(spec)
    inputs = load_inputs(load_catalog(), resolve_data_dir(data), as_of=pd.Timestamp(as_of).date(), spec=panel_spec)
    return _build(panel_spec, inputs, start=start, end=end)
