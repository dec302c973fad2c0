"""The planners' web app (``sahelrisk serve``): this week's map, the archive, routes and sites.

Pages are rendered on the server from the package's Jinja2 templates in French or English; the
JSON API lives under ``/api/v1`` (OpenAPI docs at ``/docs``). The app only reads: the weekly job
publishes, the app shows what is published (:mod:`sahelrisk.serving.archive`) and computes route
and site risk against it (:mod:`sahelrisk.serving.planner`). Everything a page needs is served by
the app itself (Leaflet included), so it works on a field laptop with no internet.
"""

from __future__ import annotations

import asyncio
import io
import json
import logging
import threading
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Annotated

import geopandas as gpd
import pandas as pd
from fastapi import FastAPI, Query, Request
from fastapi.responses import FileResponse, HTMLResponse, JSONResponse, RedirectResponse, Response
from jinja2 import Environment
from starlette.datastructures import UploadFile as StarletteUpload

from sahelrisk.errors import (
    DataError,
    DataFileError,
    ModelNotFoundError,
    NotFoundError,
    SahelriskError,
    SpecError,
    TrackingUnavailableError,
)
from sahelrisk.escaping import csv_safe, file_slug, geojson_text
from sahelrisk.i18n import LANGUAGES, Formatter
from sahelrisk.publishing.bulletin import template_environment
from sahelrisk.publishing.maps import TIER_COLOURS
from sahelrisk.serving.archive import MEDIA_TYPES, Archive
from sahelrisk.serving.planner import Limits, Planner
from sahelrisk.serving.security import (
    PUBLISHED_HTML_CSP,
    TOKEN_COOKIE,
    SafeHeaders,
    TokenError,
    TooLargeError,
    check_token,
    read_bounded,
)
from sahelrisk.serving.views import archive_view, events_along, route_view, sites_view, week_view

__all__ = ["create_app", "app_from_environment", "ServeSettings"]

log = logging.getLogger("sahelrisk.serve")
STATIC = resources.files(__package__) / "static"
LEAFLET = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
VENDOR = {"leaflet.js": (LEAFLET / "leaflet.js", "text/javascript"),
          "leaflet.css": (LEAFLET / "leaflet.css", "text/css")}
OWN = {"app.js": "text/javascript", "app.css": "text/css"}
ANSWERS_BYTES = 200_000_000   # answers of GET requests kept in memory, the least recently asked dropped first


@dataclass(frozen=True)
class ServeSettings:
    """Where the app reads from, and what it allows.

    Attributes
    ----------
    out_dir : Path
        The weekly job's outputs folder (the published weeks).
    data_dir : Path
        The data directory (events, places, roads, mining sites for routes and sites).
    tracking_uri, mlruns
        The model store holding the models that scored the weeks.
    token : str or None
        When set, computations and uploads need it (``SAHELRISK_API_TOKEN``).
    limits : Limits
        Upload size, track points, sites, stops and alternatives per request.
    """

    out_dir: Path
    data_dir: Path
    tracking_uri: str | None = None
    mlruns: Path = Path("mlruns")
    token: str | None = None
    limits: Limits = field(default_factory=Limits)


_STATUS = ((TokenError, 401), (TooLargeError, 413), (NotFoundError, 404), (ModelNotFoundError, 404), (TrackingUnavailableError, 503),
           (DataFileError, 400), (SpecError, 400), (DataError, 422), (SahelriskError, 400))


def status_of(error: SahelriskError) -> int:
    """The HTTP status of one of our errors: 4xx for what the user sent, 503 for a store down."""
    return next(code for kind, code in _STATUS if isinstance(error, kind))


def _templates(lang: str) -> Environment:
    return template_environment(lang, "sahelrisk.serving")


def _lang(request: Request) -> str:
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    accepted = request.headers.get("accept-language", "").lower()
    return "fr" if accepted.startswith("fr") else "en"


def _csv(frame: pd.DataFrame, name: str) -> Response:
    data = frame.drop(columns="geometry", errors="ignore")
    return Response(csv_safe(data).to_csv(index=False, lineterminator="\r\n"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{file_slug(name)}.csv"'})


def _table(frame: gpd.GeoDataFrame, name: str, format: str) -> Response:
    return _geojson(frame, name) if format == "geojson" else _csv(frame, name)


def _geojson(frame: gpd.GeoDataFrame, name: str) -> Response:
    return Response(geojson_text(frame), media_type="application/geo+json",
                    headers={"Content-Disposition": f'inline; filename="{file_slug(name)}.geojson"'})


def _gpx(segments: gpd.GeoDataFrame) -> Response:
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    for label in dict.fromkeys(segments["route"]):
        track = gpxpy.gpx.GPXTrack(name=str(label))
        gpx.tracks.append(track)
        part = gpxpy.gpx.GPXTrackSegment()
        track.segments.append(part)
        for line in segments.loc[segments["route"] == label].geometry:
            for geom in getattr(line, "geoms", [line]):
                part.points.extend(gpxpy.gpx.GPXTrackPoint(latitude=y, longitude=x) for x, y in geom.coords)
    return Response(gpx.to_xml(), media_type="application/gpx+xml",
                    headers={"Content-Disposition": 'attachment; filename="route.gpx"'})


def _route_json(segments: gpd.GeoDataFrame) -> dict:
    routes = [{k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in s.items()}
              for s in segments.attrs["routes"]]
    return {"week": segments.attrs["week"], "buffer_km": segments.attrs["buffer_km"], "routes": routes,
            "segments": json.loads(geojson_text(segments))}


def create_app(settings: ServeSettings, *, root_path: str = "") -> FastAPI:
    """The web app over ``settings.out_dir``.

    Parameters
    ----------
    settings : ServeSettings
    root_path : str
        The path the app is mounted under behind a reverse proxy (links and the API use it).

    Returns
    -------
    fastapi.FastAPI
    """
    archive = Archive(settings.out_dir)
    planner = Planner(archive, settings.data_dir, tracking_uri=settings.tracking_uri, mlruns=settings.mlruns,
                      limits=settings.limits)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Accept requests once the data and the model are in memory: no user waits for the loading.
        await asyncio.to_thread(planner.warm)
        yield

    app = FastAPI(title="sahelrisk", version="1", root_path=root_path, lifespan=lifespan,
                  description="Weekly risk of deadly armed-conflict attacks: the published weeks, their cells, areas "
                              "and mining sites, and the risk along a route.")
    app.state.archive, app.state.planner, app.state.settings = archive, planner, settings
    answers: OrderedDict[tuple, Response] = OrderedDict()
    answers_lock = threading.Lock()
    flights: dict[tuple, threading.Lock] = {}

    def cached(key: tuple, make: Callable[[], Response]) -> Response:
        """The same answer for the same request of the same published week, computed once: the
        key holds the week's publication time, so a week published again is computed afresh."""
        week = archive.week(key[1])
        key = (key[0], week, archive.file(week, "run.json").stat().st_mtime_ns, *key[2:])
        with answers_lock:
            flight = flights.setdefault(key, threading.Lock())
        with flight:   # the same request asked at once by many: computed by the first, shared
            with answers_lock:
                if key in answers:
                    answers.move_to_end(key)
                    hit = answers[key]
                    return Response(hit.body, status_code=hit.status_code, headers=dict(hit.headers))
            try:
                made = make()
            except BaseException:
                with answers_lock:
                    flights.pop(key, None)
                raise
            with answers_lock:
                answers[key] = made
                flights.pop(key, None)
                while len(answers) > 1 and sum(len(a.body) for a in answers.values()) > ANSWERS_BYTES:
                    answers.popitem(last=False)
            return made

    app.add_middleware(SafeHeaders, refuse=lambda request: _refuse_upload(request))

    def _refuse_upload(request: Request) -> Response | None:
        """An upload refused before its body is read: no length, or a length over the limit."""
        if request.method != "POST" or request.url.path.endswith("/login"):
            return None
        length = request.headers.get("content-length")
        if length is None:
            return _error(request, SpecError("an upload needs a Content-Length header; send the file whole"), 411)
        # the file and a form's few fields
        if not length.isdigit() or int(length) > settings.limits.upload_bytes + 64_000:
            return _error(request, TooLargeError(f"the upload is {length} bytes, over the limit of "
                                                 f"{settings.limits.upload_bytes:,}; send a shorter track or fewer "
                                                 "sites"))
        return None

    def _error(request: Request, error: SahelriskError, status: int | None = None) -> Response:
        status = status or status_of(error)
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
            return JSONResponse({"error": message, "status": status}, status_code=status)
        return _page(request, "error.html.j2", {"message": message, "status": status}, status=status)

    @app.exception_handler(SahelriskError)
    async def on_error(request: Request, error: SahelriskError) -> Response:
        return _error(request, error)

    @app.exception_handler(Exception)
    async def on_crash(request: Request, error: Exception) -> Response:
        log.exception("internal error on %s", request.url.path)
        return _error(request, SahelriskError("internal error; the server's log has the details"), 500)

    def _page(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
        lang = _lang(request)
        base = request.scope.get("root_path", "")
        path = request.url.path[len(base):] if request.url.path.startswith(base) else request.url.path
        switch = {other: f"{base}{path}?{_with_lang(request, other)}" for other in LANGUAGES}
        html = _templates(lang).get_template(template).render(
            lang=lang, base=base, switch=switch, token_needed=bool(settings.token), tier_colours=TIER_COLOURS,
            fmt=Formatter(lang), **context)
        response = HTMLResponse(html, status_code=status)
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
        return response

    # pages -------------------------------------------------------------------------------------
    @app.get("/", include_in_schema=False)
    def home(request: Request) -> Response:
        base = request.scope.get("root_path", "")
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"{base}/weeks/latest{query}", status_code=307)

    @app.get("/weeks/{week}", include_in_schema=False, response_class=HTMLResponse)
    def week_page(request: Request, week: str) -> Response:
        lang, base = _lang(request), request.scope.get("root_path", "")
        # keyed by the query too: a ?lang= page carries its cookie
        return cached(("week page", week, lang, base, request.url.query),
                      lambda: _page(request, "week.html.j2", {"view": week_view(archive, archive.week(week), lang)}))

    @app.get("/weeks/{week}/files/{name}", include_in_schema=False)
    def week_file(week: str, name: str) -> Response:
        path = archive.file(week, name)
        headers = {"Content-Security-Policy": PUBLISHED_HTML_CSP} if path.suffix == ".html" else {}
        disposition = "inline" if path.suffix in (".html", ".png", ".pdf", ".geojson", ".json") else "attachment"
        return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                            headers=headers, filename=path.name, content_disposition_type=disposition)

    @app.get("/archive", include_in_schema=False, response_class=HTMLResponse)
    def archive_page(request: Request) -> Response:
        return _page(request, "archive.html.j2", {"weeks": archive_view(archive, _lang(request))})

    def _route_form(request: Request) -> dict:
        q = request.query_params
        return {"from": q.get("from", ""), "via": q.get("via", ""), "to": q.get("to", ""),
                "week": q.get("week", ""), "alternatives": q.get("alternatives", "0"),
                "buffer_km": q.get("buffer_km", "10")}

    def _route_answer(request: Request, segments: gpd.GeoDataFrame, line_events: pd.DataFrame) -> dict:
        """The planner's answer: the tables, and what the page's map draws (JSON in the page)."""
        x0, y0, x1, y1 = segments.total_bounds
        cells = archive.cells(segments.attrs["week"]).cx[x0 - 0.6:x1 + 0.6, y0 - 0.6:y1 + 0.6]
        drawn = {**_route_json(segments), "stops": segments.attrs.get("stops", []),
                 "cells": json.loads(geojson_text(cells[["adm2_name", "probability", "risk_tier", "geometry"]])),
                 "events": [{"latitude": float(e["latitude"]), "longitude": float(e["longitude"]),
                             "date": str(pd.Timestamp(e["date_start"]).date()), "deaths": int(e["fatalities_best"])}
                            for _, e in line_events.iterrows()]}
        return {"answer": route_view(segments, line_events, _lang(request)), "geojson": drawn}

    def _events_for(segments: gpd.GeoDataFrame) -> pd.DataFrame:
        inputs, _ = planner.inputs()
        fastest = segments[segments["route"] == segments.attrs["routes"][0]["route"]]
        line = fastest.geometry.union_all()
        return events_along(line, inputs.events, segments.attrs["week"], float(segments.attrs["buffer_km"]))

    def _named_route(request: Request, form: dict) -> gpd.GeoDataFrame:
        check_token(request, settings.token)
        stops = [form["from"], *[v for v in form["via"].split(";") if v.strip()], form["to"]]
        return planner.route(form["week"] or archive.latest(), stops, alternatives=_int(form["alternatives"], "alternatives"),
                             buffer_km=_float(form["buffer_km"], "buffer_km"))

    @app.get("/route", include_in_schema=False, response_class=HTMLResponse)
    def route_page(request: Request) -> Response:
        form = _route_form(request)
        context = {"form": form, "weeks": archive.weeks(),
                   **{f"query_{kind}": _route_query(form, kind) for kind in ("geojson", "gpx", "pdf")}}
        if form["from"] or form["to"]:
            try:
                segments = _named_route(request, form)
                context.update(_route_answer(request, segments, _events_for(segments)))
            except SahelriskError as error:
                context["error"] = str(error).splitlines()[0]
                return _page(request, "route.html.j2", context, status=status_of(error))
        return _page(request, "route.html.j2", context)

    async def _uploaded(request: Request, kind: str) -> tuple[object, dict]:
        check_token(request, settings.token)
        form = await request.form(max_files=1, max_fields=12)
        upload = form.get("file")
        if upload is None or isinstance(upload, str) or not upload.filename:
            raise SpecError("no file was sent; choose a GPX or GeoJSON file" if kind == "track"
                            else "no file was sent; choose a CSV or GeoJSON file of sites")
        body = await read_bounded(_chunks(upload), settings.limits.upload_bytes, upload.filename)
        fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
        return planner.read_upload(upload.filename, body, kind), {**fields, "filename": upload.filename}

    async def _uploaded_route(request: Request) -> tuple[gpd.GeoDataFrame, dict]:
        """The route along an uploaded track, and the form's fields."""
        track, fields = await _uploaded(request, "track")
        segments = planner.route(fields.get("week") or archive.latest(), track=track, name=fields["filename"],
                                 buffer_km=_float(fields.get("buffer_km", "10"), "buffer_km"))
        return segments, fields

    @app.post("/route", include_in_schema=False, response_class=HTMLResponse)
    async def route_upload(request: Request) -> Response:
        context: dict = {"form": {"from": "", "via": "", "to": "", "week": "", "alternatives": "0", "buffer_km": "10"},
                         "weeks": archive.weeks()}
        try:
            segments, fields = await _uploaded_route(request)
            context["form"].update({k: fields[k] for k in ("week", "buffer_km") if fields.get(k)})
            context.update(_route_answer(request, segments, _events_for(segments)))
            context["uploaded"] = fields["filename"]
        except SahelriskError as error:
            context["error"] = str(error).splitlines()[0]
            return _page(request, "route.html.j2", context, status=status_of(error))
        return _page(request, "route.html.j2", context)

    def _pdf(request: Request, form: dict, segments: gpd.GeoDataFrame) -> Response:
        from sahelrisk.publishing.bulletin import write_pdf

        lang = _lang(request)
        # the printed page has the tables only, not the map's JSON
        page = _templates(lang).get_template("route_print.html.j2").render(
            lang=lang, fmt=Formatter(lang), form=form, answer=route_view(segments, _events_for(segments), lang))
        buffer = io.BytesIO()
        write_pdf(page, buffer)
        return Response(buffer.getvalue(), media_type="application/pdf",
                        headers={"Content-Disposition": 'attachment; filename="route.pdf"'})

    @app.get("/route.pdf", include_in_schema=False)
    def route_pdf(request: Request) -> Response:
        form = _route_form(request)
        return _pdf(request, form, _named_route(request, form))

    @app.post("/route.pdf", include_in_schema=False)
    async def route_pdf_upload(request: Request) -> Response:
        segments, fields = await _uploaded_route(request)
        return _pdf(request, {"from": fields["filename"], "via": "", "to": ""}, segments)

    @app.get("/sites", include_in_schema=False, response_class=HTMLResponse)
    def sites_page(request: Request, week: str = "latest") -> Response:
        week = archive.week(week)
        sites = planner.sites(week)
        return _page(request, "sites.html.j2", {"week": week, "weeks": archive.weeks(),
                                                 "rows": sites_view(sites, _lang(request))})

    @app.post("/sites", include_in_schema=False, response_class=HTMLResponse)
    async def sites_upload(request: Request) -> Response:
        context: dict = {"weeks": archive.weeks(), "rows": [], "week": archive.latest()}
        try:
            own, fields = await _uploaded(request, "sites")
            context["week"] = archive.week(fields.get("week") or "latest")
            sites = planner.sites(context["week"], own, include_mining=fields.get("include_mining") == "on")
            context.update({"rows": sites_view(sites, _lang(request)), "uploaded": fields["filename"]})
        except SahelriskError as error:
            context["error"] = str(error).splitlines()[0]
            return _page(request, "sites.html.j2", context, status=status_of(error))
        return _page(request, "sites.html.j2", context)

    @app.get("/login", include_in_schema=False, response_class=HTMLResponse)
    def login_page(request: Request) -> Response:
        return _page(request, "login.html.j2", {})

    @app.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        form = await request.form(max_files=0, max_fields=2)
        sent = str(form.get("token", ""))
        response = RedirectResponse(f"{request.scope.get('root_path', '')}/route", status_code=303)
        response.set_cookie(TOKEN_COOKIE, sent, httponly=True, samesite="strict", max_age=30 * 86400)
        return response

    @app.get("/static/{name}", include_in_schema=False)
    def static(name: str) -> Response:
        if name in VENDOR:
            source, media = VENDOR[name]
            return Response(source.read_bytes(), media_type=media, headers={"Cache-Control": "max-age=86400"})
        if name not in OWN:
            raise NotFoundError(f"no static file {name!r}")
        body = (STATIC / name).read_text("utf-8")
        if name == "app.css":   # the tiers in the maps' colours, one source for both
            body += "".join(f".tier-{t.replace(' ', '-')}{{background:{c}}} tr.tier-{t.replace(' ', '-')} td:first-child"
                            f"{{border-left-color:{c}}}\n" for t, c in TIER_COLOURS.items())
        return Response(body, media_type=OWN[name], headers={"Cache-Control": "max-age=3600"})

    @app.get("/healthz", include_in_schema=False)
    def health() -> dict:
        weeks = archive.weeks()
        return {"ok": True, "weeks": len(weeks), "latest": weeks[0] if weeks else None}

    # the JSON API --------------------------------------------------------------------------------
    @app.get("/api/v1/weeks", tags=["weeks"])
    def api_weeks() -> list[dict]:
        """The published weeks, newest first, with the model and data cut-off of each."""
        out = []
        for week in archive.weeks():
            run = archive.run(week)
            out.append({"week": week, "as_of": run["as_of"], "horizon_weeks": run["horizon_weeks"],
                        "model": run["model"], "model_version": run["model_version"], "units": run.get("units"),
                        "files": archive.files(week)})
        return out

    @app.get("/api/v1/weeks/{week}/cells", tags=["weeks"])
    def api_cells(week: str, format: Annotated[str, Query(pattern="^(geojson|csv)$")] = "geojson",
                  fields: Annotated[str | None, Query(max_length=500, description="Comma-separated columns to "
                                                      "keep (default: all), e.g. probability,risk_tier")] = None
                  ) -> Response:
        """The week's scored cells as GeoJSON or CSV (``latest`` is the newest week)."""
        def make() -> Response:
            cells = archive.cells(archive.week(week))
            if fields:
                wanted = [f.strip() for f in fields.split(",") if f.strip()]
                unknown = [f for f in wanted if f not in cells.columns]
                if unknown:
                    raise SpecError(f"fields: unknown column(s) {', '.join(unknown)}; choose from "
                                    f"{', '.join(c for c in cells.columns if c != 'geometry')}")
                cells = cells[[*dict.fromkeys(["unit_id", *wanted]), "geometry"]]
            return _table(cells, f"cells_{archive.week(week)}", format)
        return cached(("cells", week, format, fields), make)

    @app.get("/api/v1/weeks/{week}/areas", tags=["weeks"])
    def api_areas(week: str, level: Annotated[str, Query(pattern="^(adm1|adm2)$")] = "adm2",
                  format: Annotated[str, Query(pattern="^(geojson|csv)$")] = "geojson") -> Response:
        """The week's scored areas of one level as GeoJSON or CSV."""
        return cached(("areas", week, level, format), lambda: _table(archive.areas(week, level),
                                                                     f"{level}_{archive.week(week)}", format))

    @app.get("/api/v1/weeks/{week}/sites", tags=["sites"])
    def api_sites(week: str, format: Annotated[str, Query(pattern="^(geojson|csv)$")] = "geojson") -> Response:
        """The mining sites of the week's countries, scored."""
        return cached(("sites", week, format), lambda: _table(planner.sites(week), f"sites_{archive.week(week)}", format))

    @app.post("/api/v1/weeks/{week}/sites", tags=["sites"])
    async def api_sites_upload(request: Request, week: str, name: str = "sites.csv",
                               include_mining: bool = False,
                               format: Annotated[str, Query(pattern="^(geojson|csv)$")] = "geojson") -> Response:
        """One's own sites (the body: a CSV with name, latitude, longitude, or a GeoJSON of points), scored."""
        check_token(request, settings.token)
        week = archive.week(week)
        body = await read_bounded(request.stream(), settings.limits.upload_bytes, name)
        own = planner.read_upload(name, body, "sites")
        return _table(planner.sites(week, own, include_mining=include_mining), f"sites_{week}", format)

    @app.get("/api/v1/places", tags=["routes"])
    def api_places(q: Annotated[str, Query(max_length=80)] = "",
                   limit: Annotated[int, Query(ge=1, le=50)] = 12) -> list[dict]:
        """Places whose name starts with (or holds) ``q``, accents and case ignored."""
        return planner.places(q, limit)

    def _route_response(segments: gpd.GeoDataFrame, format: str) -> Response:
        if format == "geojson":
            return _geojson(segments, "route")
        if format == "gpx":
            return _gpx(segments)
        return JSONResponse(_route_json(segments))

    @app.get("/api/v1/route", tags=["routes"])
    def api_route(request: Request, to: str, week: str = "latest",
                  via: Annotated[list[str] | None, Query()] = None, alternatives: Annotated[int, Query(ge=0)] = 0,
                  buffer_km: Annotated[float, Query(gt=0, le=50)] = 10.0,
                  format: Annotated[str, Query(pattern="^(json|geojson|gpx)$")] = "json",
                  origin: Annotated[str, Query(alias="from")] = "") -> Response:
        """Risk along the road route through places (names or ``lat,lon``), stretch by stretch."""
        check_token(request, settings.token)
        stops = [origin, *(via or []), to]
        return cached(("route", week, tuple(stops), alternatives, buffer_km, format), lambda: _route_response(
            planner.route(week, stops, alternatives=alternatives, buffer_km=buffer_km), format))

    @app.post("/api/v1/route", tags=["routes"])
    async def api_route_track(request: Request, week: str = "latest", name: str = "track.geojson",
                              buffer_km: Annotated[float, Query(gt=0, le=50)] = 10.0,
                              speed_kmh: Annotated[float, Query(gt=0, le=200)] = 50.0,
                              format: Annotated[str, Query(pattern="^(json|geojson|gpx)$")] = "json") -> Response:
        """Risk along a track sent as the body (GPX, or GeoJSON LineString); ``name`` tells its type
        by its extension when the content type does not."""
        check_token(request, settings.token)
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind in ("application/gpx+xml", "application/gpx") and not name.lower().endswith(".gpx"):
            name = "track.gpx"
        body = await read_bounded(request.stream(), settings.limits.upload_bytes, name)
        track = planner.read_upload(name, body, "track")
        segments = planner.route(week, track=track, buffer_km=buffer_km, speed_kmh=speed_kmh, name=Path(name).stem)
        return _route_response(segments, format)

    return app


def app_from_environment() -> FastAPI:
    """The app configured from the environment, for ``uvicorn --factory`` and several workers:
    ``SAHELRISK_OUT`` (default ``outputs``), ``SAHELRISK_DATA``, ``MLFLOW_TRACKING_URI``,
    ``SAHELRISK_MLRUNS`` (default ``mlruns``), ``SAHELRISK_API_TOKEN`` and ``SAHELRISK_ROOT_PATH``."""
    import os

    from sahelrisk.data.datadir import resolve_data_dir

    settings = ServeSettings(out_dir=Path(os.environ.get("SAHELRISK_OUT", "outputs")), data_dir=resolve_data_dir(None),
                             tracking_uri=os.environ.get("MLFLOW_TRACKING_URI") or None,
                             mlruns=Path(os.environ.get("SAHELRISK_MLRUNS", "mlruns")),
                             token=os.environ.get("SAHELRISK_API_TOKEN") or None)
    return create_app(settings, root_path=os.environ.get("SAHELRISK_ROOT_PATH", ""))


async def _chunks(upload: StarletteUpload, size: int = 65536) -> AsyncIterator[bytes]:
    while chunk := await upload.read(size):
        yield chunk


def _route_query(form: dict, kind: str) -> str:
    """The query string of a planned route, for its downloads."""
    from urllib.parse import urlencode

    params = [("from", form["from"]), *[("via", v.strip()) for v in form["via"].split(";") if v.strip()],
              ("to", form["to"]), ("week", form["week"]), ("alternatives", form["alternatives"]),
              ("buffer_km", form["buffer_km"])]
    if kind == "pdf":
        # the page's own form: several stops ride in one field, separated by ";"
        params = [p for p in params if p[0] != "via"] + [("via", form["via"])]
    return urlencode(params + ([("format", kind)] if kind != "pdf" else []))


def _with_lang(request: Request, lang: str) -> str:
    from urllib.parse import urlencode

    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return urlencode([*params, ("lang", lang)])


def _int(text: str, name: str) -> int:
    try:
        return int(str(text).strip() or 0)
    except ValueError:
        raise SpecError(f"{name} must be a whole number, not {text!r}") from None


def _float(text: str, name: str) -> float:
    try:
        return float(str(text).strip().replace(",", "."))
    except ValueError:
        raise SpecError(f"{name} must be a number, not {text!r}") from None
