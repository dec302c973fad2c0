"""The Python API for analysts: ``import sahelrisk`` then score, load a model, backtest, build a panel.

>>> import sahelrisk                                                      # doctest: +SKIP
>>> risk = sahelrisk.score("2023-12-25", units="adm2")                    # doctest: +SKIP
>>> risk.nsmallest(5, "rank")[["adm2_name", "probability", "risk_tier", "top_drivers"]]  # doctest: +SKIP

A façade only: each function validates its arguments, then calls the steps of one week's run
(:mod:`sahelrisk.jobs.run`) that the command line and the weekly job call too.

Vocabulary: ``week`` is the Monday forecast from (any day of it is accepted); ``as_of`` the data
cut-off (rows dated later are not used); ``data_end`` the last day the data covers;
``horizon_weeks`` the weeks ahead; ``data_dir`` the data directory; ``spec`` a training spec (the
model's identity).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from datetime import date
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.calendar import parse_date, parse_week
from sahelrisk.cluster import ClusterSpec, parse_cluster
from sahelrisk.countries import country_codes
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.errors import SpecError
from sahelrisk.evaluation.backtest import BacktestResult
from sahelrisk.features.panel import PanelInputs, compute_panel, load_inputs
from sahelrisk.features.spec import load_spec
from sahelrisk.jobs.run import ROUTE_LAYERS, Scored, load_step, score_step, week_window
from sahelrisk.jobs.verify import VerifyResult
from sahelrisk.registry.models import DEFAULT_SPEC, LoadedModel, load_model
from sahelrisk.routes.network import Route
from sahelrisk.scoring.week import ScoreResult, check_unit_level

__all__ = ["score", "score_all", "load_model", "backtest", "build_panel", "route_risk", "route_of", "site_risk", "plan_routes",
           "score_with_layers", "verify", "LoadedModel", "DEFAULT_SPEC"]

def _date(value: object, name: str) -> date | None:
    """An optional date argument, or a :class:`SpecError` naming it."""
    return None if value is None else _as_date(value, name)


def _as_date(value: object, name: str) -> date:
    """A date argument, or a :class:`SpecError` naming it (a number is never read as a date)."""
    return parse_date(value, name).date()


def _positive(name: str, value: object, *, allow_zero: bool = False, integer: bool = False) -> None:
    """Refuse a number out of range (or of the wrong type, or not finite), naming the argument."""
    kinds = (int,) if integer else (int, float)
    if isinstance(value, bool) or not isinstance(value, kinds):
        raise SpecError(f"{name} must be {'a whole number' if integer else 'a number'}, not {value!r}")
    if not math.isfinite(value):
        raise SpecError(f"{name} must be a finite number, not {value!r}")
    if value < 0 or (value == 0 and not allow_zero):
        raise SpecError(f"{name} must be {'zero or more' if allow_zero else 'more than zero'}, not {value!r}")


def _paths(**named: object) -> None:
    """Refuse a path argument that is not a path (``data_dir=5``), naming it; None means the default."""
    for name, value in named.items():
        if value is not None and not isinstance(value, (str, Path)):
            raise SpecError(f"{name} must be a path (a str or pathlib.Path), not {value!r}")


def _model(model: str | LoadedModel, spec: str | Path, tracking_uri: str | None, mlruns: str | Path) -> LoadedModel:
    if isinstance(model, LoadedModel):
        return model
    if not isinstance(model, (str, int)):
        raise SpecError(f"model must be a registry alias, a version number or a LoadedModel, not {model!r}")
    return load_model(str(model), spec, tracking_uri=tracking_uri, mlruns=mlruns)


def score_with_layers(week: object, *, model: str | LoadedModel = "champion", data_dir: str | Path | None = None,
                      spec: str | Path = DEFAULT_SPEC, as_of: object = None, tracking_uri: str | None = None,
                      mlruns: str | Path = "mlruns", catalog: Catalog | None = None, inputs: PanelInputs | None = None,
                      levels: Sequence[str] = (), layers: Sequence[str] = ROUTE_LAYERS,
                      allow_stale: bool = False) -> Scored:
    """The week scored, with the model and the data it was scored from (and the ``layers`` loaded).

    Parameters
    ----------
    week : date-like
        The week forecast from (any day of it).
    model : str or LoadedModel
        A registry alias or version of the model ``spec`` names, or a loaded model.
    data_dir : path-like, optional
        Default ``$SAHELRISK_DATA``, ``./data`` or ``../shared/data``.
    spec : str or Path
        The training spec naming the registered model.
    as_of : date-like, optional
        The data cut-off; default the end of ``week`` (what was known when forecasting it).
    tracking_uri, mlruns
        The MLflow store (default SQLite under ``mlruns/``).
    catalog : Catalog, optional
        Default the packaged catalog.
    inputs : PanelInputs, optional
        Already loaded data (its own cut-off applies).
    levels : sequence of {"adm1", "adm2"}
        Admin levels to aggregate to.
    layers : sequence of str
        Extra layers to load (places, roads and mining sites for routes and sites).
    allow_stale : bool
        Score a country whose feed went dark, flagged in ``result.coverage``, instead of refusing.

    Returns
    -------
    Scored
        ``week``, ``model``, ``inputs`` and ``result`` (:class:`~sahelrisk.scoring.week.ScoreResult`).

    Raises
    ------
    SpecError
        An argument is not what it should be.
    DataGapError
        The data does not cover the year before ``week``.
    """
    for level in levels:
        check_unit_level(level, ("adm1", "adm2"))
    _paths(data_dir=data_dir, spec=spec, mlruns=mlruns)
    window, monday = week_window(week, as_of=_date(as_of, "as_of"))   # before anything is read
    loaded = _model(model, spec, tracking_uri, mlruns)
    catalog = catalog or load_catalog()
    data = resolve_data_dir(data_dir)
    if inputs is None:
        inputs = load_step(catalog, data, loaded.spec, window.as_of, layers=layers)
    return score_step(loaded, monday, inputs, catalog=catalog, levels=levels, allow_stale=allow_stale)


def score_all(week: object, *, horizon_weeks: int | None = None, model: str | LoadedModel = "champion",
              data_dir: str | Path | None = None, spec: str | Path = DEFAULT_SPEC, levels: Sequence[str] = ("adm2",),
              as_of: object = None, tracking_uri: str | None = None, mlruns: str | Path = "mlruns",
              catalog: Catalog | None = None, inputs: PanelInputs | None = None,
              allow_stale: bool = False) -> tuple[ScoreResult, LoadedModel]:
    """Score a week for the model's units and the given admin levels.

    Parameters
    ----------
    week : date-like
        The week forecast from (any day of it).
    horizon_weeks : int, optional
        Must be the model's horizon; default the model's.
    model, data_dir, spec, levels, as_of, tracking_uri, mlruns, catalog, inputs, allow_stale
        As for :func:`score_with_layers`.

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
    monday = parse_week(week)   # before the model is loaded
    loaded = _model(model, spec, tracking_uri, mlruns)
    loaded.check_scores(horizon_weeks)
    scored = score_with_layers(monday, model=loaded, data_dir=data_dir, as_of=as_of, catalog=catalog, inputs=inputs,
                               levels=levels, layers=(), allow_stale=allow_stale)
    return scored.result, loaded


def score(week: object, *, horizon_weeks: int | None = None, units: str = "grid",
          model: str | LoadedModel = "champion", data_dir: str | Path | None = None, spec: str | Path = DEFAULT_SPEC,
          as_of: object = None, tracking_uri: str | None = None, mlruns: str | Path = "mlruns",
          catalog: Catalog | None = None, countries: str | Sequence[str] | None = None) -> gpd.GeoDataFrame:
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
    data_dir, spec, as_of, tracking_uri, mlruns, catalog
        As for :func:`score_with_layers`.
    countries : str or sequence of str, optional
        Only the units of these countries (ISO3); each must be one the model was trained on.
        Default all of the model's.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per unit, sorted by rank.

    Raises
    ------
    SpecError
        A horizon, unit level or country the model was not trained for.

    Examples
    --------
    >>> sahelrisk.score("2023-12-25", units="adm2").head()   # doctest: +SKIP
    """
    check_unit_level(units)
    monday = parse_week(week)   # before the model is loaded
    wanted = country_codes(countries)
    _paths(data_dir=data_dir, spec=spec, mlruns=mlruns)
    _date(as_of, "as_of")
    if horizon_weeks is not None:
        _positive("horizon_weeks", horizon_weeks, integer=True)
    loaded = _model(model, spec, tracking_uri, mlruns)
    loaded.check_scores(horizon_weeks, units, wanted)
    levels = () if units == "grid" else (units,)
    result, _ = score_all(monday, model=loaded, data_dir=data_dir, levels=levels, as_of=as_of, catalog=catalog)
    frame = result.cells if units == "grid" else result.areas[units]
    if wanted is not None:
        frame = frame[frame["country_iso3"].isin(sorted(wanted))]
    return frame.sort_values("rank").reset_index(drop=True)


def plan_routes(route: object, inputs: PanelInputs, countries: Sequence[str], *, alternatives: int = 0,
                speed_kmh: float = 50.0) -> list[Route]:
    """Routes from what a planner has.

    Parameters
    ----------
    route : list of str, str, path or shapely LineString
        Places in order (origin, stops, destination: names or "lat,lon"), routed on the road
        network; or a GPX / GeoJSON track file; or a line in lon/lat.
    inputs : PanelInputs
        Loaded data with the places and roads layers.
    countries : sequence of str
        The countries whose places are looked up.
    alternatives : int
        Up to this many other routes between origin and destination.
    speed_kmh : float
        Speed assumed on a track.

    Returns
    -------
    list of Route
        The fastest first, then up to ``alternatives`` others (places only).
    """
    from sahelrisk.routes.plan import check_route, routes_for

    _positive("alternatives", alternatives, allow_zero=True, integer=True)
    _positive("speed_kmh", speed_kmh)
    check_route(route)   # before the layers are read
    return routes_for(route, inputs.layers.get("gazetteer", inputs.layers["places"]), inputs.layers["roads"], countries, alternatives=alternatives,
                      speed_kmh=speed_kmh)[0]


def route_risk(route: object, week: object, *, alternatives: int = 0, buffer_km: float = 10.0,
               speed_kmh: float = 50.0, model: str | LoadedModel = "champion", data_dir: str | Path | None = None,
               spec: str | Path = DEFAULT_SPEC, as_of: object = None, tracking_uri: str | None = None,
               mlruns: str | Path = "mlruns", catalog: Catalog | None = None) -> gpd.GeoDataFrame:
    """How risky a route is in the weeks after ``week``, stretch by stretch.

    Parameters
    ----------
    route : list of str, str, path or shapely LineString
        As for :func:`plan_routes`.
    week : date-like
        The week forecast from.
    alternatives : int
        Up to this many other routes between origin and destination, each a different way.
    buffer_km : float
        Half-width of the corridor.
    speed_kmh : float
        Speed assumed on a track (routes on the network take the network's travel times).
    model, data_dir, spec, as_of, tracking_uri, mlruns, catalog
        As for :func:`score_with_layers`.

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
    _positive("buffer_km", buffer_km)
    _positive("alternatives", alternatives, allow_zero=True, integer=True)
    _positive("speed_kmh", speed_kmh)
    from sahelrisk.routes.plan import check_route
    check_route(route)   # before the model and the data are read
    scored = score_with_layers(week, model=model, data_dir=data_dir, spec=spec, as_of=as_of,
                               tracking_uri=tracking_uri, mlruns=mlruns, catalog=catalog)
    return route_of(scored, route, alternatives=alternatives, buffer_km=buffer_km, speed_kmh=speed_kmh)


def route_of(scored: Scored, route: object, *, alternatives: int = 0, buffer_km: float = 10.0,
             speed_kmh: float = 50.0) -> gpd.GeoDataFrame:
    """A route planned and scored against a week already scored (:func:`sahelrisk.routes.plan.plan_route`).

    Parameters
    ----------
    scored : Scored
        The week, its model and the data, with the places and roads layers
        (:func:`score_with_layers`).
    route : list of str, str, path or shapely LineString
        As for :func:`plan_routes`.
    alternatives, buffer_km, speed_kmh
        As for :func:`route_risk`.

    Returns
    -------
    geopandas.GeoDataFrame
        As :func:`route_risk` returns.
    """
    from sahelrisk.routes.plan import plan_route

    return plan_route(route, scored.week, scored.result.cells, scored.inputs.events,
                      scored.inputs.layers.get("gazetteer", scored.inputs.layers["places"]),
                      scored.inputs.layers["roads"], scored.model.spec.countries, alternatives=alternatives,
                      buffer_km=buffer_km, speed_kmh=speed_kmh, calibration=scored.model.area_calibration)


def site_risk(week: object, sites: str | Path | gpd.GeoDataFrame | None = None, *, radius_km: float = 25.0,
              include_mining: bool = True, model: str | LoadedModel = "champion", data_dir: str | Path | None = None,
              spec: str | Path = DEFAULT_SPEC, as_of: object = None, tracking_uri: str | None = None,
              mlruns: str | Path = "mlruns", catalog: Catalog | None = None) -> gpd.GeoDataFrame:
    """Risk at and around each site in the weeks after ``week``: every mining site of the data in
    the model's countries, plus the user's sites.

    Parameters
    ----------
    week : date-like
        The week forecast from.
    sites : path or GeoDataFrame, optional
        A CSV (``name``, ``latitude``, ``longitude``) or GeoJSON of points, e.g. an NGO's list of
        artisanal gold sites.
    radius_km : float
        The surroundings: cells and events within this distance.
    include_mining : bool
        False scores the user's sites only.
    model, data_dir, spec, as_of, tracking_uri, mlruns, catalog
        As for :func:`score_with_layers`.

    Returns
    -------
    geopandas.GeoDataFrame
        The sites ranked (:func:`sahelrisk.routes.risk.site_risk`).
    """
    from sahelrisk.routes.plan import plan_sites

    _positive("radius_km", radius_km)
    if sites is not None and not isinstance(sites, (str, Path, gpd.GeoDataFrame)):
        raise SpecError(f"sites must be a CSV or GeoJSON file or a GeoDataFrame of points, not {sites!r}")
    if sites is None and not include_mining:
        raise SpecError("no sites to score: pass a sites file or keep the mining sites (include_mining=True)")
    scored = score_with_layers(week, model=model, data_dir=data_dir, spec=spec, as_of=as_of,
                               tracking_uri=tracking_uri, mlruns=mlruns, catalog=catalog)
    return plan_sites(scored.week, scored.result.cells, scored.inputs.events, scored.inputs.layers.get("mining_sites"),
                      scored.model.spec.countries, own=sites, include_mining=include_mining, radius_km=radius_km,
                      calibration=scored.model.area_calibration)


def backtest(spec: str | Path = DEFAULT_SPEC, *, data_dir: str | Path | None = None,
             horizons: Sequence[int] | None = None, include_model: bool = True, as_of: object = None,
             data_end: object = None, cluster: str | ClusterSpec | None = None) -> BacktestResult:
    """The rolling-origin backtest of a training spec: the model and every baseline on the same folds.

    Parameters
    ----------
    spec : str or Path
        A training spec.
    data_dir : path-like, optional
        Default ``$SAHELRISK_DATA``, ``./data`` or ``../shared/data``.
    horizons : sequence of int, optional
        Default the spec's horizon.
    include_model : bool
        False backtests the baselines only (fast).
    as_of, data_end : date-like, optional
        The data window; default what the data supports.
    cluster : str or ClusterSpec, optional
        Run on a Dask cluster: ``"local:N"`` (N worker processes here, stopped at the end) or
        ``"tcp://host:8786"`` (a running scheduler, left running). Default this machine.

    Returns
    -------
    BacktestResult

    Examples
    --------
    >>> result = sahelrisk.backtest(include_model=False)                 # doctest: +SKIP
    >>> result = sahelrisk.backtest(cluster="local:2")                   # doctest: +SKIP
    """
    from sahelrisk.evaluation.backtest import run_backtests
    from sahelrisk.modeling.executors import open_executor
    from sahelrisk.modeling.frame import prepare_frame
    from sahelrisk.modeling.spec import load_training_spec

    _paths(spec=spec, data_dir=data_dir)
    if horizons is not None:
        if isinstance(horizons, (int, str)) or not isinstance(horizons, Sequence):
            raise SpecError(f"horizons must be a list of weeks ahead, e.g. [1, 4], not {horizons!r}")
        for h in horizons:
            _positive("each of horizons", h, integer=True)
    if cluster is not None and not isinstance(cluster, (str, ClusterSpec)):
        raise SpecError(f"cluster must be 'local:N' or 'tcp://host:port', not {cluster!r}")
    where = parse_cluster(cluster, "cluster") if isinstance(cluster, str) else cluster
    training_spec = load_training_spec(spec)
    with open_executor(where) as executor:
        tf = prepare_frame(training_spec, resolve_data_dir(data_dir), as_of=_date(as_of, "as_of"),
                           data_end=_date(data_end, "data_end"), executor=executor)
        return run_backtests(training_spec, tf, list(horizons) if horizons else None, include_model=include_model)


def build_panel(spec: str | Path = "features/default.toml", *, start: object = None, end: object = None,
                data_dir: str | Path | None = None, as_of: object) -> pd.DataFrame:
    """The (unit_id, week) feature panel of a feature spec, from the data as of ``as_of``.

    Parameters
    ----------
    spec : str or Path
        A feature spec.
    start, end : date-like, optional
        First and last week; default the spec's start and the last week the data supports.
    data_dir : path-like, optional
        Default ``$SAHELRISK_DATA``, ``./data`` or ``../shared/data``.
    as_of : date-like
        The data cut-off.

    Returns
    -------
    pandas.DataFrame
    """
    _paths(spec=spec, data_dir=data_dir)
    panel_spec = load_spec(spec)
    cut_off = _as_date(as_of, "as_of")
    inputs = load_inputs(load_catalog(), resolve_data_dir(data_dir), as_of=cut_off, spec=panel_spec)
    return compute_panel(panel_spec, inputs, start=_date(start, "start"), end=_date(end, "end"))


def verify(out_dir: str | Path = "outputs", *, data_dir: str | Path | None = None, catalog: Catalog | None = None,
           as_of: object = None, data_end: object = None, check_only: bool = False,
           log: Callable[[str], None] = lambda _: None) -> VerifyResult:
    """The track record: every published week whose outcomes are now in the data, scored as it was
    published on time, beside the history and practice rules; written to ``<out_dir>/track_record/``.

    Parameters
    ----------
    out_dir : path-like
        The outputs folder the weeks were published in (with its ``ledger/``).
    data_dir : path-like, optional
        The data holding the outcomes; default ``$SAHELRISK_DATA``, ``./data`` or ``../shared/data``.
    catalog : Catalog, optional
        Default the packaged catalog.
    as_of, data_end : date-like, optional
        The window of the outcomes; default what the data supports.
    check_only : bool
        Only recompute the hashes of the ledger and the frozen weeks (``sahelrisk verify --check``).
    log : callable
        Receives progress lines.

    Returns
    -------
    VerifyResult
        ``verified`` and ``pending`` weeks, the rolling ``summary``, and ``problems`` when anything
        frozen changed (then nothing is scored; ``raise_for_problems()`` raises them).

    Examples
    --------
    >>> record = sahelrisk.verify("outputs")                            # doctest: +SKIP
    >>> record.summary[0]["calls"]["model"]                             # doctest: +SKIP
    """
    from sahelrisk.jobs.verify import verify_published

    if not isinstance(out_dir, (str, Path)):
        raise SpecError(f"out_dir must be a folder path, not {type(out_dir).__name__}")
    # the check reads only the outputs folder: no data needed
    return verify_published(Path(out_dir), None if check_only else resolve_data_dir(data_dir), catalog or load_catalog(),
                            as_of=_date(as_of, "as_of"), data_end=_date(data_end, "data_end"), check_only=check_only,
                            log=log)
