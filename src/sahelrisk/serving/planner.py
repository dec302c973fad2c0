"""Routes and sites checked against a published week, from what the server keeps in memory.

The scored cells come from the week's published grid (:class:`~sahelrisk.serving.archive.Archive`);
events, places, roads and mining sites from the data directory, loaded once per data cut-off (the
``as_of`` of the newest published week: events after a week's end are never counted for it, see
:func:`sahelrisk.routes.risk.events_near`); the corridor and site calibration from the model that
scored the week, loaded once per model version. A new route then takes about 0.16 s of one core,
and one asked before is kept.
"""

from __future__ import annotations

import logging
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from threading import BoundedSemaphore, Lock

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString

from sahelrisk.calendar import events_in_weeks
from sahelrisk.countries import normalize_name
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.errors import DataFileError, NotFoundError, SahelriskError, SpecError
from sahelrisk.evaluation.areas import AreaCalibration
from sahelrisk.features.panel import PanelInputs
from sahelrisk.jobs.run import ROUTE_LAYERS, load_step
from sahelrisk.registry.models import LoadedModel, load_model
from sahelrisk.routes.gazetteer import KIND_ORDER
from sahelrisk.routes.network import RoadNetwork
from sahelrisk.routes.plan import plan_route, plan_sites
from sahelrisk.routes.risk import EVENT_WINDOWS, around, route_line
from sahelrisk.routes.sites import read_sites
from sahelrisk.routes.tracks import Track, read_tracks
from sahelrisk.scoring.week import risk_tier
from sahelrisk.serving.archive import Archive
from sahelrisk.serving.basemap import Basemap, build_basemap
from sahelrisk.serving.cache import Answers
from sahelrisk.serving.history import scored_history, unit_history
from sahelrisk.serving.security import TooLargeError

__all__ = ["Planner", "Limits", "ROUTES_KEPT"]

ROUTES_KEPT = 256
"""Route and site answers kept in memory, the least recently asked dropped first."""
_COMPUTING = BoundedSemaphore(1)
"""One new route or site list computed at a time in a process: the work holds Python's lock
most of the time, and ten computed side by side took 2.5 times as long as one after another
(each worker process has its own)."""


def _copy(frame: gpd.GeoDataFrame) -> gpd.GeoDataFrame:
    return frame.copy()
log = logging.getLogger("sahelrisk.serve")


@dataclass(frozen=True)
class Limits:
    """What one request may send: bytes of an upload, points of a track, sites of a list, stops."""

    upload_bytes: int = 2_000_000
    track_points: int = 20_000
    sites: int = 5_000
    stops: int = 8
    alternatives: int = 3


class Planner:
    """Route and site risk for the published weeks of ``archive``.

    Parameters
    ----------
    archive : Archive
    data_dir : Path
        The data directory (events, places, roads, mining sites).
    tracking_uri, mlruns
        The model store holding the models that scored the weeks.
    catalog : Catalog, optional
    limits : Limits
    """

    def __init__(self, archive: Archive, data_dir: Path, *, tracking_uri: str | None = None,
                 mlruns: str | Path = "mlruns", catalog: Catalog | None = None, limits: Limits = Limits()) -> None:
        self.archive = archive
        self.data_dir = Path(data_dir)
        self.tracking_uri, self.mlruns = tracking_uri, mlruns
        self.catalog = catalog or load_catalog()
        self.limits = limits
        self._inputs: tuple[date, PanelInputs, RoadNetwork] | None = None
        self._basemap: tuple[PanelInputs, Basemap] | None = None
        self._recent: dict[str, tuple[PanelInputs, pd.DataFrame]] = {}
        self._models: dict[tuple[str, str], LoadedModel] = {}
        self._answers: Answers[gpd.GeoDataFrame] = Answers(ROUTES_KEPT, copy=_copy)
        self._lock = Lock()

    # what stays in memory -------------------------------------------------------------------
    def inputs(self) -> tuple[PanelInputs, RoadNetwork]:
        """Events and layers known at the newest published week's cut-off, and the road network."""
        run = self.archive.run(self.archive.latest())
        as_of = date.fromisoformat(str(run["as_of"])[:10])
        with self._lock:
            if self._inputs is None or self._inputs[0] != as_of:
                spec = self._model(run).spec
                inputs = load_step(self.catalog, self.data_dir, spec, as_of, layers=ROUTE_LAYERS)
                self._inputs = (as_of, inputs, RoadNetwork(inputs.layers["roads"]))
            return self._inputs[1], self._inputs[2]

    def _model(self, run: dict) -> LoadedModel:
        """The model that scored a published week (``run.json``), loaded once per version."""
        key = (str(run["model"]), str(run["model_version"]))
        if key not in self._models:
            self._models[key] = load_model(key[1], name=key[0], tracking_uri=self.tracking_uri, mlruns=self.mlruns)
        return self._models[key]

    def basemap(self) -> Basemap:
        """The maps' background from the data loaded (:mod:`sahelrisk.serving.basemap`), built once per cut-off."""
        inputs, _ = self.inputs()
        with self._lock:
            if self._basemap is None or self._basemap[0] is not inputs:
                self._basemap = (inputs, build_basemap(inputs))
            return self._basemap[1]

    def recent(self, week: str) -> pd.DataFrame:
        """The located events of the year up to ``week`` (all a route or a site counts), cut once a week
        rather than from every event at each request."""
        inputs, _ = self.inputs()
        with self._lock:
            found = self._recent.get(week)
            if found is None or found[0] is not inputs:
                found = self._recent[week] = (inputs, events_in_weeks(inputs.events, week, max(EVENT_WINDOWS)))
            return found[1]

    def basemap_version(self) -> str:
        """The version of the basemap built so far ("" before the data is loaded): a page never
        waits for the data to learn it."""
        found = self._basemap
        return found[1].version if found is not None else ""

    def calibration(self, week: str) -> AreaCalibration | None:
        """The area calibration of the model that scored ``week`` (None when it has none)."""
        run = self.archive.run(week)
        with self._lock:
            return self._model(run).area_calibration

    def warm(self) -> None:
        """Load what routes need before the first request asks (a server starting in the background)."""
        try:
            self.inputs()
            self.basemap()
            self.calibration(self.archive.latest())
        except SahelriskError as error:   # nothing published yet, or the store is down: the requests will say
            log.warning("not ready yet: %s", error)

    def countries(self, week: str) -> list[str]:
        """The countries ``week`` was scored for."""
        return sorted(set(self.archive.cells(week)["country_iso3"]))

    # look-ups -------------------------------------------------------------------------------
    def places(self, query: str, limit: int = 12) -> list[dict]:
        """Places whose name (or another name of theirs) starts with, then contains, ``query``:
        towns by size, then the places the events name, then admin areas; each with the ADM2 and
        ADM1 it lies in, so that two places of one name can be told apart."""
        inputs, _ = self.inputs()
        gazetteer = inputs.layers["gazetteer"]
        wanted = normalize_name(query)
        if not wanted:
            return []
        keys = gazetteer["key"].astype(str)
        contains = keys.str.contains(wanted, regex=False)
        found = gazetteer[contains].assign(_starts=keys[contains].str.startswith(wanted).to_numpy(),
                                           _order=gazetteer.loc[contains, "kind"].map(KIND_ORDER).to_numpy())
        found = found.sort_values(["_starts", "_order", "population", "events"], ascending=[False, True, False, False],
                                  na_position="last", kind="stable")
        found = found.drop_duplicates(subset=["key", "country_iso3", "adm2_name"])   # one town, one line
        return [{"name": str(r["name"]), "country_iso3": str(r["country_iso3"]), "kind": str(r["kind"]),
                 "adm2_name": str(r["adm2_name"]), "adm1_name": str(r["adm1_name"]),
                 "latitude": round(float(r.geometry.y), 5), "longitude": round(float(r.geometry.x), 5)}
                for _, r in found.head(limit).iterrows()]

    # computations ---------------------------------------------------------------------------
    def route(self, week: str, stops: list[str] | None = None, track: list[Track] | LineString | None = None, *,
              alternatives: int = 0, buffer_km: float = 10.0, speed_kmh: float = 50.0,
              name: str = "track") -> gpd.GeoDataFrame:
        """Segments of the route(s) through ``stops`` (names or "lat,lon") or along ``track``, with
        the routes' summaries in ``.attrs["routes"]`` (:func:`sahelrisk.routes.risk.assess_routes`)."""
        week = self.archive.week(week)
        work = lambda: self._route(week, stops, track, alternatives=alternatives, buffer_km=buffer_km,  # noqa: E731
                                   speed_kmh=speed_kmh, name=name)
        if track is not None:   # an upload: asked once
            return work()
        # the same convoy routes are asked again and again: keep the latest answers
        return self._answers.get(("route", week, self._published(week), tuple(stops or ()), alternatives,
                                  float(buffer_km)), work)

    def _published(self, week: str) -> int:
        """When ``week`` was published: an answer for a week published again is computed afresh."""
        return self.archive.file(week, "run.json").stat().st_mtime_ns

    def _route(self, week: str, stops: list[str] | None, track: list[Track] | LineString | None, *, alternatives: int,
               buffer_km: float, speed_kmh: float, name: str) -> gpd.GeoDataFrame:
        """The route's segments; ``.attrs`` adds ``stops`` (each place passed, where it resolved)."""
        if not 0 <= alternatives <= self.limits.alternatives:
            raise SpecError(f"alternatives must be 0 to {self.limits.alternatives}, not {alternatives}")
        if not 0 < buffer_km <= 50:
            raise SpecError(f"buffer_km must be more than 0 and at most 50, not {buffer_km}")
        route: list[Track] | LineString | list[str]
        if track is not None:
            route = track
        else:
            route = [s.strip() for s in stops or [] if s and s.strip()]
            if len(route) < 2:
                raise SpecError("a route needs at least an origin and a destination (from and to)")
            if len(route) > self.limits.stops:
                raise SpecError(f"a route may pass {self.limits.stops} places at most, not {len(route)}")
        inputs, network = self.inputs()
        with _COMPUTING:
            return plan_route(route, week, self.archive.cells(week), self.recent(week), inputs.layers["gazetteer"],
                              network, self.countries(week), alternatives=alternatives, buffer_km=buffer_km,
                              speed_kmh=speed_kmh, calibration=self.calibration(week), name=name)

    def sites(self, week: str, own: gpd.GeoDataFrame | None = None, *, radius_km: float = 25.0,
              include_mining: bool = True) -> gpd.GeoDataFrame:
        """The mining sites of the week's countries (and ``own`` sites), scored."""
        week = self.archive.week(week)
        work = lambda: self._sites(week, own, radius_km=radius_km, include_mining=include_mining)  # noqa: E731
        if own is not None or not include_mining:   # a user's own list: asked once
            return work()
        return self._answers.get(("sites", week, self._published(week), float(radius_km)), work)

    def history(self, kind: str, unit: str = "", stops: list[str] | None = None, *, buffer_km: float = 10.0,
                radius_km: float = 25.0) -> dict:
        """How the risk of a cell, an area (``adm1``, ``adm2``), a mining ``site`` or a ``route``
        through ``stops`` moved over the published weeks, and what happened
        (:mod:`sahelrisk.serving.history`)."""
        inputs, _ = self.inputs()
        data_end = pd.Timestamp(inputs.as_of)
        if kind in ("cell", "adm1", "adm2"):
            return unit_history(self.archive, inputs.events, data_end, kind, unit)
        if kind == "site":
            def site(week: str) -> tuple[float, str, object, int]:
                sites = self.sites(week, radius_km=radius_km)
                found = sites[sites["site_id"].astype(str) == str(unit).strip()]
                if found.empty:
                    raise NotFoundError(f"no mining site {unit!r} in the week of {week}; take its site_id from the "
                                        "week's sites")
                row = found.iloc[0]
                horizon = int(self.archive.run(week)["horizon_weeks"])
                return float(row["probability"]), str(row["risk_tier"]), around(row.geometry, radius_km), horizon
            return scored_history(self.archive, site, "site", str(unit), inputs.events, data_end)
        if kind == "route":
            def route(week: str) -> tuple[float, str, object, int]:
                segments = self.route(week, stops, buffer_km=buffer_km)
                summary = segments.attrs["routes"][0]
                zone = around(route_line(segments, summary["route"]), buffer_km)
                tier = str(risk_tier(np.array([summary["probability"]]))[0])
                return float(summary["probability"]), tier, zone, int(self.archive.run(week)["horizon_weeks"])
            return scored_history(self.archive, route, "route", " → ".join(s.strip() for s in stops or []),
                                  inputs.events, data_end)
        raise SpecError(f"a history is of a cell, an adm1 or adm2 area, a site or a route, not {kind!r}")

    def _sites(self, week: str, own: gpd.GeoDataFrame | None, *, radius_km: float,
               include_mining: bool) -> gpd.GeoDataFrame:
        inputs, _ = self.inputs()
        with _COMPUTING:
            return plan_sites(week, self.archive.cells(week), self.recent(week), inputs.layers.get("mining_sites"),
                              self.countries(week), own=own, include_mining=include_mining, radius_km=radius_km,
                              calibration=self.calibration(week))

    # uploads --------------------------------------------------------------------------------
    def read_upload(self, filename: str, body: bytes, kind: str) -> list[Track] | gpd.GeoDataFrame:
        """A track (``kind="track"``) or a site list (``kind="sites"``) sent by a user, checked
        against :class:`Limits`; errors name the file as the user called it."""
        if len(body) > self.limits.upload_bytes:
            raise TooLargeError(f"{filename}: the file is {len(body):,} bytes, over the limit of "
                            f"{self.limits.upload_bytes:,}; send a shorter track or fewer sites")
        allowed = (".gpx", ".geojson", ".json") if kind == "track" else (".csv", ".geojson", ".json")
        suffix = Path(filename).suffix.lower() if filename else ""
        if suffix not in allowed:
            raise SpecError(f"{filename or 'the upload'}: unknown file type {suffix or '(none)'}; "
                            f"send a {', '.join(allowed)} file")
        # A fixed name in a private folder: the user's file name never becomes a path.
        with tempfile.TemporaryDirectory(prefix="sahelrisk-upload-") as folder:
            path = Path(folder) / f"upload{suffix}"
            path.write_bytes(body)
            try:
                value = read_tracks(path) if kind == "track" else read_sites(path)
            except DataFileError as e:
                raise DataFileError(filename, e.problem, e.fix) from None
        count = sum(len(t.line.coords) for t in value) if kind == "track" else len(value)
        most = self.limits.track_points if kind == "track" else self.limits.sites
        if count > most:
            what = "points" if kind == "track" else "sites"
            raise TooLargeError(f"{filename}: {count:,} {what}, over the limit of {most:,}; simplify the track or split "
                            "the list")
        return value

