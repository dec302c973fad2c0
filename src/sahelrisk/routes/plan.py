"""One assembly of a planner's question: a route or a list of sites, scored against a week.

The command line, the Python API, the web app and the published outputs all call these two
functions, so a route asked in any of them is planned and scored the same way:

- :func:`plan_route`: places in order are routed on the road network (with different
  alternatives), a recorded track is taken as it is; then every stretch is scored
  (:func:`sahelrisk.routes.risk.assess_routes`).
- :func:`plan_sites`: the mining sites of the scored countries and the user's own sites, scored
  with their surroundings (:func:`sahelrisk.routes.risk.site_risk`).

Arguments are checked at the edges that call them (their limits differ: the web app bounds what
one request may ask); these functions trust what they are given.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString

from sahelrisk.errors import SpecError
from sahelrisk.evaluation.areas import AreaCalibration
from sahelrisk.routes.network import RoadNetwork, Route, track_route
from sahelrisk.routes.places import AmbiguousPlace, Waypoint, nearest, resolve_place
from sahelrisk.routes.risk import assess_routes, site_risk
from sahelrisk.routes.sites import mining_sites, read_sites
from sahelrisk.routes.tracks import Track, read_tracks

__all__ = ["plan_route", "plan_sites", "routes_for", "check_route", "TRACK_SUFFIXES"]

TRACK_SUFFIXES = (".gpx", ".geojson", ".json")
"""File endings read as a recorded track rather than a place name."""


def _not_a_route(route: object) -> SpecError:
    return SpecError(f"route must be place names in order, a GPX or GeoJSON file, or a LineString, not {route!r}")


def check_route(route: object) -> None:
    """Refuse, before anything is read, a route that is none of the forms :func:`routes_for` takes."""
    if not isinstance(route, (str, Path, list, tuple, LineString)) or (not isinstance(route, LineString) and not route):
        raise _not_a_route(route)


def routes_for(route: str | Path | Sequence[str] | LineString | list[Track], places: gpd.GeoDataFrame, roads: RoadNetwork | gpd.GeoDataFrame,
               countries: Sequence[str], *, alternatives: int = 0, speed_kmh: float = 50.0,
               name: str = "track") -> tuple[list[Route], list[dict]]:
    """The routes a planner's ``route`` means, and the places it passes.

    Parameters
    ----------
    route : list of str, str, path, shapely LineString or list of Track
        Places in order (origin, stops, destination: names or "lat,lon"), routed on the road
        network; or a GPX / GeoJSON track file (each journey it holds scored on its own); or a
        line in lon/lat, or named lines (:class:`~sahelrisk.routes.tracks.Track`), taken as recorded.
    places : geopandas.GeoDataFrame
        The places layer (the gazetteer).
    roads : RoadNetwork or geopandas.GeoDataFrame
        The road network, or the roads layer to build it from.
    countries : sequence of str
        The countries whose places are looked up.
    alternatives : int
        Up to this many other routes through the same places (not for a track).
    speed_kmh : float
        Speed assumed on a track.
    name : str
        A track's name (a file's name when ``route`` is a file).

    Returns
    -------
    routes : list of Route
        The fastest first, then the alternatives; or a file's journeys in its order.
    passed : list of dict
        Each place passed (``name``, ``latitude``, ``longitude``): where each name resolved, or a
        track's two ends.

    Raises
    ------
    SpecError
        ``route`` is none of the forms above, or a place is unknown.
    """
    check_route(route)
    if isinstance(route, (str, Path)) and Path(route).suffix.lower() in TRACK_SUFFIXES:
        name = Path(route).name   # a file, named as the user named it
        route = read_tracks(route)
    if isinstance(route, LineString):
        route = [Track("", route)]
    if isinstance(route, list) and route and all(isinstance(t, Track) for t in route):
        # each journey of a file scored on its own, named by the file's name for it
        tracks = [track_route(t.line, speed_kmh, t.name or name) for t in route]
        ends = [(t.label, xy) for t in tracks for xy in (t.line().coords[0], t.line().coords[-1])]
        return tracks, [{"name": label, "latitude": xy[1], "longitude": xy[0]} for label, xy in ends]
    if isinstance(route, Path):   # a file that is no track
        raise _not_a_route(route)
    stops = [route] if isinstance(route, str) else list(route)
    waypoints = _resolved([str(stop) for stop in stops], places, countries)
    network = roads if isinstance(roads, RoadNetwork) else RoadNetwork(roads)
    passed = [{"name": w.name, "latitude": w.lat, "longitude": w.lon} for w in waypoints]
    return network.route(waypoints, alternatives=alternatives), passed


def _resolved(stops: list[str], places: gpd.GeoDataFrame, countries: Sequence[str]) -> list[Waypoint]:
    """Each stop's place; a name of several places is the one nearest the other stops (Boni
    between Hombori and Douentza is Mali's, not Niger's), else the error lists them."""
    found: list[Waypoint | AmbiguousPlace] = []
    for stop in stops:
        try:
            found.append(resolve_place(stop, places, countries))
        except AmbiguousPlace as e:
            found.append(e)
    sure = [(w.lon, w.lat) for w in found if isinstance(w, Waypoint)]
    resolved = []
    for w in found:
        if isinstance(w, AmbiguousPlace):
            chosen = nearest(w.candidates, sure)
            if chosen is None:
                raise w
            w = chosen
        resolved.append(w)
    return resolved


def plan_route(route: str | Path | Sequence[str] | LineString | list[Track], week: object, cells: gpd.GeoDataFrame, events: pd.DataFrame,
               places: gpd.GeoDataFrame, roads: RoadNetwork | gpd.GeoDataFrame, countries: Sequence[str], *,
               alternatives: int = 0, buffer_km: float = 10.0, speed_kmh: float = 50.0,
               calibration: AreaCalibration | None = None, name: str = "track") -> gpd.GeoDataFrame:
    """A planner's route, planned and scored stretch by stretch against a scored week.

    Parameters
    ----------
    route : list of str, str, path or shapely LineString
        As for :func:`routes_for`.
    week : date-like
        The scored week (its events window ends with the week's Sunday).
    cells : geopandas.GeoDataFrame
        The week's scored cells.
    events : pandas.DataFrame
        Located events, as known at the week's cut-off.
    places, roads, countries, alternatives, speed_kmh, name
        As for :func:`routes_for`.
    buffer_km : float
        Half-width of the corridor.
    calibration : AreaCalibration, optional
        The model's corridor calibration.

    Returns
    -------
    geopandas.GeoDataFrame
        One row per stretch (:func:`sahelrisk.routes.risk.assess_routes`); ``.attrs`` holds each
        route's summary (``routes``), the places passed (``stops``), and the alternatives asked for
        and found on the road network (``alternatives_asked``, ``alternatives_found``).
    """
    routes, passed = routes_for(route, places, roads, countries, alternatives=alternatives, speed_kmh=speed_kmh,
                                name=name)
    segments = assess_routes(routes, cells, events, week, buffer_km=buffer_km, calibration=calibration)
    segments.attrs["stops"] = passed
    on_roads = not (routes and routes[0].parts["kind"].eq("track").all())
    segments.attrs["alternatives_asked"] = alternatives if on_roads else 0
    segments.attrs["alternatives_found"] = len(routes) - 1 if on_roads else 0
    return segments


def plan_sites(week: object, cells: gpd.GeoDataFrame, events: pd.DataFrame, mining: gpd.GeoDataFrame | None,
               countries: Sequence[str], *, own: str | Path | gpd.GeoDataFrame | None = None,
               include_mining: bool = True, radius_km: float = 25.0,
               calibration: AreaCalibration | None = None) -> gpd.GeoDataFrame:
    """The mining sites of ``countries`` and the user's own sites, scored and ranked.

    Parameters
    ----------
    week : date-like
        The scored week.
    cells : geopandas.GeoDataFrame
        The week's scored cells.
    events : pandas.DataFrame
        Located events, as known at the week's cut-off.
    mining : geopandas.GeoDataFrame or None
        The mining sites layer (None: the data has none).
    countries : sequence of str
        The countries scored: mining sites elsewhere are left out.
    own : path or GeoDataFrame, optional
        The user's sites: a CSV (``name``, ``latitude``, ``longitude``) or GeoJSON of points.
    include_mining : bool
        False scores the user's sites only.
    radius_km : float
        The surroundings: cells and events within this distance.
    calibration : AreaCalibration, optional
        The model's area calibration.

    Returns
    -------
    geopandas.GeoDataFrame
        The sites ranked (:func:`sahelrisk.routes.risk.site_risk`), index from 0.

    Raises
    ------
    SpecError
        No site to score.
    """
    frames = [mining_sites(mining, countries)] if include_mining and mining is not None else []
    if own is not None:
        frames.append(own if isinstance(own, gpd.GeoDataFrame) else read_sites(own))
    if not frames:
        raise SpecError("no site to score: the data has no mining sites layer and no list of your own was given")
    sites = gpd.GeoDataFrame(pd.concat(frames, ignore_index=True), geometry="geometry", crs="EPSG:4326")
    return site_risk(sites, cells, events, week, radius_km=radius_km, calibration=calibration).reset_index(drop=True)
