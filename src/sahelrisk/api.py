"""The Python API for analysts: ``import sahelrisk`` then score, load a model, backtest, build a panel.

>>> import sahelrisk                                                      # doctest: +SKIP
>>> risk = sahelrisk.score("2023-12-25", units="adm2")                    # doctest: +SKIP
>>> risk.nsmallest(5, "rank")[["adm2_name", "probability", "risk_tier", "top_drivers"]]  # doctest: +SKIP

Vocabulary: ``week`` is the Monday forecast from; ``as_of`` the data cut-off (rows dated later are
not used); ``data_end`` the last day the data covers; ``horizon_weeks`` the weeks ahead;
``data_dir`` the data directory; ``spec`` a training spec (the model's identity).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.calendar import week_of
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.data.extent import country_coverage
from sahelrisk.data.sources import load_dataset
from sahelrisk.errors import DataGapError, ModelNotFoundError, SpecError
from sahelrisk.features.panel import PanelInputs, load_inputs
from sahelrisk.features.spec import PanelSpec, load_spec, spec_from_text
from sahelrisk.modeling.areas import AreaCalibration
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.severity import SeverityModel
from sahelrisk.modeling.training import AREA_CALIBRATION_ARTIFACT, SEVERITY_ARTIFACT
from sahelrisk.scoring.week import (
    ScoreResult,
    check_unit_level,
    coverage_gap,
    score_week,
)

DEFAULT_SPEC = "training/default.toml"

__all__ = ["score", "score_all", "load_model", "backtest", "build_panel", "route_risk", "site_risk", "plan_routes",
           "score_with_layers",
           "LoadedModel", "DEFAULT_SPEC"]


@dataclass
class LoadedModel:
    """A registered model with its identity: what it forecasts, how far ahead, on which units.

    Attributes
    ----------
    model : fitted estimator
        The registered estimator (the blend, or the boosted-trees model alone).
    name, version, run_id : str
        Registry name and version, and the MLflow run that trained it.
    spec : PanelSpec
        The feature spec it was trained on.
    identity : dict
        ``registered_model``, ``target``, ``horizon_weeks``, ``units``, ``as_of``, ``data_end``...
    area_calibration : AreaCalibration or None
        The map from an area's independence score to its probability (None: a model trained
        before areas were calibrated; areas then use the independence formula).
    severity : SeverityModel or None
        The count part of the deaths forecast (None: a model trained before it; no death columns).
    metrics : dict
        The run's logged backtest metrics.
    """

    model: RiskModel | BlendedModel
    name: str
    version: str
    run_id: str
    spec: PanelSpec
    metrics: dict
    identity: dict = field(default_factory=dict)
    area_calibration: AreaCalibration | None = None
    severity: SeverityModel | None = None

    @property
    def horizon_weeks(self) -> int:
        return int(self.identity["horizon_weeks"])

    @property
    def units(self) -> str:
        return self.identity["units"]

    @property
    def target(self) -> str:
        return self.identity["target"]

    def check_scores(self, horizon_weeks: int | None = None, units: str | None = None) -> None:
        """Raise :class:`SpecError` when asked for a horizon or unit level the model was not trained for."""
        if horizon_weeks is not None and int(horizon_weeks) != self.horizon_weeks:
            raise SpecError(f"model {self.name} v{self.version} forecasts {self.horizon_weeks} weeks ahead, not "
                            f"{horizon_weeks}; score with horizon_weeks={self.horizon_weeks} or train a model for "
                            f"{horizon_weeks} weeks (a training spec with [target] horizon_weeks = {horizon_weeks})")
        if units is not None and units in ("grid", "adm1", "adm2") and units != self.units \
                and not (self.units == "grid" and units in ("adm1", "adm2")):
            raise SpecError(f"model {self.name} v{self.version} is trained on {self.units} units and cannot score "
                            f"{units} units; use a model trained with a {units} feature spec")


def _registered_name(spec, name: str | None) -> str:
    if name:
        return name
    from sahelrisk.modeling.spec import load_training_spec
    return load_training_spec(spec).registered_model


def load_model(model: str = "champion", spec: str | Path = DEFAULT_SPEC, *, name: str | None = None,
               tracking_uri: str | None = None, mlruns: str | Path = "mlruns") -> LoadedModel:
    """A registered model by alias or version, with the spec and identity it was trained with.

    Parameters
    ----------
    model : str
        A registry alias (``"champion"``) or a version number.
    spec : str or Path
        The training spec whose ``registered_model`` names the model.
    name : str, optional
        The registered name itself, instead of reading it from ``spec``.
    tracking_uri, mlruns
        The MLflow store (default SQLite under ``mlruns/``).

    Returns
    -------
    LoadedModel

    Raises
    ------
    ModelNotFoundError
        No such model, alias or version, or the model was logged without its identity.
    """
    from sahelrisk.modeling import tracking
    tracking.configure(tracking_uri, mlruns)
    name = _registered_name(spec, name)
    version = str(model) if str(model).isdigit() else None
    fitted, ref = tracking.load_risk_model(name, alias=None if version else str(model), version=version)
    try:
        identity = json.loads(tracking.load_run_text(ref.run_id, "spec/identity.json"))
    except ModelNotFoundError:
        raise ModelNotFoundError(f"model {name} v{ref.version} was logged without its identity (target, horizon, "
                                 "units) by an older sahelrisk; retrain it with 'sahelrisk train --register'") from None
    panel_spec = spec_from_text(tracking.load_run_text(ref.run_id, "spec/features.toml"), f"<{name} v{ref.version}>")
    try:
        calibration = AreaCalibration(json.loads(tracking.load_run_text(ref.run_id, AREA_CALIBRATION_ARTIFACT)))
    except ModelNotFoundError:
        calibration = None
    try:
        severity = SeverityModel.from_dict(json.loads(tracking.load_run_text(ref.run_id, SEVERITY_ARTIFACT)))
    except ModelNotFoundError:
        severity = None     # a model trained before the deaths forecast: probabilities only
    return LoadedModel(fitted, name, ref.version, ref.run_id, panel_spec, ref.metrics, identity, calibration, severity)


def _check_week(inputs: PanelInputs, week: pd.Timestamp, spec: PanelSpec, catalog: Catalog,
                allow_stale: bool = False) -> list:
    """Refuse a week the data does not cover; return each country's coverage of it (a stale
    country refuses the week too, unless ``allow_stale``: then it is flagged in the outputs)."""
    located = inputs.events[inputs.events["has_location"] & inputs.events["country_iso3"].isin(list(spec.countries))]
    if located.empty:  # inputs are loaded as of the scored week, so an early week leaves none
        raise DataGapError(f"week {week.date()} is before the event data starts: no located event for "
                          f"{', '.join(spec.countries)} is dated on or before it; score a later week")
    first, last = located["date_start"].min(), located["date_start"].max()
    if week < week_of(first):
        raise DataGapError(f"week {week.date()} is before the event data starts ({first.date()}); "
                          "score a later week")
    if week > week_of(last):
        raise DataGapError(f"week {week.date()} is after the located event data ends ({last.date()}); score a week "
                          f"up to {week_of(last).date()}, or bring in newer data ('sahelrisk data update')")
    gap = coverage_gap(located["date_start"], week)
    if gap:
        raise DataGapError(f"the event data has no located events from {gap[0].date()} to {gap[1].date()}, within the "
                          f"year before {week.date()}; features would read that hole as peace. Score a week the data "
                          "covers or bring in event data for the gap ('sahelrisk data update' fetches UCDP GED 25.1 and later)")
    coverage = country_coverage(inputs.events, spec.countries, week, lag_weeks=catalog.reporting_lags())
    stale = [c for c in coverage if c.stale]
    if stale and not allow_stale:
        raise DataGapError("; ".join(c.reason for c in stale) + ". Scoring refuses rather than map a country whose "
                           "data went dark as calm: bring in its newer events ('sahelrisk data update'), fix its "
                           "files, or score with a feature spec without it")
    return coverage


def score_all(week, horizon_weeks: int | None = None, model: str | LoadedModel = "champion", data_dir=None, *,
              spec: str | Path = DEFAULT_SPEC, levels=("adm2",), as_of: date | str | None = None,
              tracking_uri: str | None = None, mlruns: str | Path = "mlruns", catalog: Catalog | None = None,
              inputs: PanelInputs | None = None, allow_stale: bool = False) -> tuple[ScoreResult, LoadedModel]:
    """Score a week for the model's units and the given admin levels (for outputs).

    Parameters
    ----------
    week : date-like
        The week forecast from (any day of it).
    horizon_weeks : int, optional
        Must be the model's horizon; default the model's.
    model : str or LoadedModel
        A registry alias or version of the model ``spec`` names, or a loaded model.
    data_dir : path-like, optional
        Default ``$SAHELRISK_DATA``, ``./data`` or ``../shared/data``.
    levels : tuple of str
        Admin levels to aggregate to.
    as_of : date, optional
        The data cut-off; default the end of ``week`` (what was known when forecasting it).
    allow_stale : bool
        Score even when a country's data went stale, flagged in ``result.coverage`` (the weekly
        job publishes it so, with its own exit code); by default that refuses the week.

    Returns
    -------
    (ScoreResult, LoadedModel)

    Raises
    ------
    SpecError
        ``week`` is not a date, or the horizon is not the model's.
    DataGapError
        The data does not cover the year before ``week``.
    """
    loaded = model if isinstance(model, LoadedModel) else load_model(model, spec, tracking_uri=tracking_uri,
                                                                      mlruns=mlruns)
    loaded.check_scores(horizon_weeks)
    try:
        week = week_of(pd.Timestamp(week))
    except (ValueError, TypeError) as e:
        raise SpecError(f"week {week!r} is not a date; use YYYY-MM-DD") from e
    catalog = catalog or load_catalog()
    if inputs is None:
        cutoff = pd.Timestamp(as_of).date() if as_of is not None else (week + pd.Timedelta(days=6)).date()
        inputs = load_inputs(catalog, resolve_data_dir(data_dir), spec=loaded.spec, as_of=cutoff)
    coverage = _check_week(inputs, week, loaded.spec, catalog, allow_stale)
    result = score_week(loaded.model, loaded.spec, inputs, week, horizon_weeks=loaded.horizon_weeks,
                        model_version=f"{loaded.name} v{loaded.version}", levels=levels,
                        area_calibration=loaded.area_calibration, severity=loaded.severity)
    result.coverage = coverage
    return result, loaded


def score(week, horizon_weeks: int | None = None, units: str = "grid", model: str | LoadedModel = "champion",
          data_dir=None, **kwargs) -> gpd.GeoDataFrame:
    """Risk of at least one fatal event in the ``horizon_weeks`` weeks after ``week``.

    Parameters
    ----------
    week : date-like
        The week forecast from.
    horizon_weeks : int, optional
        Must be the model's horizon; default the model's.
    units : {"grid", "adm2", "adm1"}
        The model's cells, or admin areas (cells aggregated as the chance of at least one event).
    model : str or LoadedModel
        A registry alias or version number, or a loaded model.
    data_dir : path-like, optional
    **kwargs
        Passed to :func:`score_all` (``spec``, ``as_of``, ``tracking_uri``, ``mlruns``...).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit, sorted by rank.

    Examples
    --------
    >>> sahelrisk.score("2023-12-25", units="adm2").head()   # doctest: +SKIP
    """
    check_unit_level(units)
    levels = () if units == "grid" else (units,)
    if isinstance(model, LoadedModel):
        model.check_scores(horizon_weeks, units)
    result, loaded = score_all(week, horizon_weeks, model, data_dir, levels=levels, **kwargs)
    loaded.check_scores(horizon_weeks, units)
    frame = result.cells if units == "grid" else result.areas[units]
    return frame.sort_values("rank").reset_index(drop=True)


def plan_routes(route, inputs: PanelInputs, countries, *, alternatives: int = 0, speed_kmh: float = 50.0) -> list:
    """Routes from what a planner has: a list of places (origin, stops, destination; names or
    "lat,lon"), routed on the road network, or a GPX / GeoJSON track file, or a shapely line.

    Returns
    -------
    list of Route
        The fastest first, then up to ``alternatives`` others (places only).
    """
    from shapely.geometry import LineString

    from sahelrisk.routes.network import RoadNetwork, track_route
    from sahelrisk.routes.places import resolve_place
    from sahelrisk.routes.tracks import read_track

    if isinstance(route, LineString):
        return [track_route(route, speed_kmh, "track")]
    if isinstance(route, (str, Path)) and Path(route).suffix.lower() in (".gpx", ".geojson", ".json"):
        return [track_route(read_track(route), speed_kmh, Path(route).name)]
    stops = [route] if isinstance(route, str) else list(route)
    waypoints = [resolve_place(str(stop), inputs.layers["places"], countries) for stop in stops]
    return RoadNetwork(inputs.layers["roads"]).route(waypoints, alternatives=alternatives)


def score_with_layers(week, model: str | LoadedModel = "champion", data_dir=None,
                      **kwargs) -> tuple[ScoreResult, LoadedModel, PanelInputs]:
    """The week's scored cells, the model and what they were scored from, with the places, roads
    and mining layers loaded (for routes and sites). ``kwargs``: ``spec``, ``as_of``, ``mlruns``,
    ``tracking_uri``, ``catalog``, ``inputs``."""
    loaded = model if isinstance(model, LoadedModel) else load_model(
        model, kwargs.get("spec", DEFAULT_SPEC), tracking_uri=kwargs.get("tracking_uri"),
        mlruns=kwargs.get("mlruns", "mlruns"))
    monday = week_of(pd.Timestamp(_date(week)))
    as_of = _date(kwargs.get("as_of")) or (monday + pd.Timedelta(days=6)).date()
    catalog = kwargs.get("catalog") or load_catalog()
    inputs = kwargs.get("inputs") or load_inputs(catalog, resolve_data_dir(data_dir), spec=loaded.spec, as_of=as_of)
    for layer in ("places", "roads", "mining_sites"):   # a feature spec without them still routes
        if layer not in inputs.layers:
            inputs.layers[layer] = load_dataset(catalog[layer], resolve_data_dir(data_dir), as_of=as_of).table
    result, loaded = score_all(monday, None, loaded, data_dir, levels=(), inputs=inputs)
    return result, loaded, inputs


def route_risk(route, week, *, alternatives: int = 0, buffer_km: float = 10.0, speed_kmh: float = 50.0,
               model: str | LoadedModel = "champion", data_dir=None, **kwargs) -> gpd.GeoDataFrame:
    """How risky a route is in the weeks after ``week``, stretch by stretch.

    Parameters
    ----------
    route : list of str, str, path or shapely LineString
        Places in order (names, accents and case ignored, "Name, ISO3" or "lat,lon"), routed on
        the road network; or a GPX or GeoJSON track file; or a line in lon/lat.
    week : date-like
        The week forecast from.
    alternatives : int
        Up to this many other routes between origin and destination, each a different way.
    buffer_km : float
        Half-width of the corridor.
    speed_kmh : float
        Speed assumed on a track (routes on the network take the network's travel times).
    model, data_dir, **kwargs
        As for :func:`score_all` (``spec``, ``as_of``, ``mlruns``, ``tracking_uri``, ``catalog``).

    Returns
    -------
    geopandas.GeoDataFrame
        One row per stretch of a route inside one cell (:func:`sahelrisk.routes.risk.route_segments`),
        column ``route``; ``.attrs["routes"]`` holds each route's probability, length, hours,
        risk per hour, riskiest segments and ranks by risk and by time.

    Examples
    --------
    >>> segments = sahelrisk.route_risk(["Ségou", "Niono", "Sokolo"], "2023-12-25")  # doctest: +SKIP
    >>> segments.attrs["routes"][0]["probability"]                                    # doctest: +SKIP
    """
    from sahelrisk.routes.risk import assess_routes

    result, loaded, inputs = score_with_layers(week, model, data_dir, **kwargs)
    routes = plan_routes(route, inputs, loaded.spec.countries, alternatives=alternatives, speed_kmh=speed_kmh)
    return assess_routes(routes, result.cells, inputs.events, result.cells["week"].iloc[0], buffer_km=buffer_km,
                         calibration=loaded.area_calibration)


def site_risk(week, sites=None, *, radius_km: float = 25.0, include_mining: bool = True,
              model: str | LoadedModel = "champion", data_dir=None, **kwargs) -> gpd.GeoDataFrame:
    """Risk at and around each site in the weeks after ``week``: every mining site of the data
    in the model's countries, plus the user's sites.

    Parameters
    ----------
    week : date-like
    sites : path or GeoDataFrame, optional
        A CSV (``name``, ``latitude``, ``longitude``) or GeoJSON of points, e.g. an NGO's list of
        artisanal gold sites.
    radius_km : float
        The surroundings: cells and events within this distance.
    include_mining : bool
        False scores the user's sites only.

    Returns
    -------
    geopandas.GeoDataFrame
        The sites ranked (:func:`sahelrisk.routes.risk.site_risk`).
    """
    from sahelrisk.routes.risk import site_risk as assess_sites
    from sahelrisk.routes.sites import mining_sites, read_sites

    result, loaded, inputs = score_with_layers(week, model, data_dir, **kwargs)
    frames = [mining_sites(inputs.layers["mining_sites"], loaded.spec.countries)] if include_mining else []
    if sites is not None:
        frames.append(sites if isinstance(sites, gpd.GeoDataFrame) else read_sites(sites))
    if not frames:
        raise SpecError("no sites to score: pass a sites file or keep the mining sites (include_mining=True)")
    table = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return assess_sites(table, result.cells, inputs.events, result.cells["week"].iloc[0], radius_km=radius_km,
                        calibration=loaded.area_calibration).reset_index(drop=True)


def backtest(spec: str | Path = DEFAULT_SPEC, data_dir=None, horizons: list[int] | None = None,
             include_model: bool = True, *, as_of: date | str | None = None, data_end: date | str | None = None):
    """The rolling-origin backtest of a training spec: the model and every baseline on the same folds.

    Parameters
    ----------
    spec : str or Path
        A training spec.
    data_dir : path-like, optional
    horizons : list of int, optional
        Default the spec's horizon.
    include_model : bool
        False backtests the baselines only (fast).
    as_of, data_end : date-like, optional
        The data window; default what the data supports.

    Returns
    -------
    BacktestResult
    """
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.modeling.training import prepare_frame, run_backtests
    training_spec = load_training_spec(spec)
    tf = prepare_frame(training_spec, resolve_data_dir(data_dir), as_of=_date(as_of), data_end=_date(data_end))
    return run_backtests(training_spec, tf, horizons, include_model=include_model)


def build_panel(spec: str | Path = "features/default.toml", start=None, end=None, data_dir=None, *,
                as_of: date | str) -> pd.DataFrame:
    """The (unit_id, week) feature panel of a feature spec, from the data as of ``as_of``.

    Parameters
    ----------
    spec : str or Path
        A feature spec.
    start, end : date-like, optional
        First and last week; default the spec's start and the last week the data supports.
    data_dir : path-like, optional
    as_of : date-like
        The data cut-off.

    Returns
    -------
    pandas.DataFrame
    """
    from sahelrisk.features.panel import compute_panel
    panel_spec = load_spec(spec)
    inputs = load_inputs(load_catalog(), resolve_data_dir(data_dir), as_of=pd.Timestamp(as_of).date(), spec=panel_spec)
    return compute_panel(panel_spec, inputs, start=start, end=end)


def _date(value) -> date | None:
    if value is None:
        return None
    try:
        return pd.Timestamp(value).date()
    except (ValueError, TypeError):
        raise SpecError(f"{value!r} is not a date; use YYYY-MM-DD") from None
