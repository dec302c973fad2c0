"""The web app's JSON API under ``/api/v1``: the published weeks, their cells, areas and sites, places
and the risk along a route. OpenAPI docs at ``/docs``.

A computation (a route, an upload) needs the token when the app has one; what is published does not.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Query, Request
from fastapi.responses import JSONResponse, Response

from sahelrisk.errors import SpecError
from sahelrisk.serving.context import cached, services
from sahelrisk.serving.responses import csv_response, route_response, table_response
from sahelrisk.serving.security import check_token, read_bounded
from sahelrisk.serving.views import health_view

__all__ = ["router"]

router = APIRouter(prefix="/api/v1")

Format = Annotated[str, Query(pattern="^(geojson|csv)$")]
RouteFormat = Annotated[str, Query(pattern="^(json|geojson|gpx)$")]
BufferKm = Annotated[float, Query(gt=0, le=50)]


@router.get("/weeks", tags=["weeks"])
def api_weeks(request: Request) -> list[dict]:
    """The published weeks, newest first, with the model and data cut-off of each."""
    archive = services(request).archive
    out = []
    for week in archive.weeks():
        run = archive.run(week)
        out.append({"week": week, "as_of": run["as_of"], "horizon_weeks": run["horizon_weeks"],
                    "model": run["model"], "model_version": run["model_version"], "units": run.get("units"),
                    "files": archive.files(week)})
    return out


@router.get("/track-record", tags=["track record"])
def api_track_record(request: Request, format: Annotated[str, Query(pattern="^(json|csv)$")] = "json") -> Response:
    """How the published forecasts did once their outcomes came in: rolling summaries against the
    rules (JSON), or one row per verified week and level (CSV)."""
    archive = services(request).archive
    if format == "csv":
        return csv_response(archive.track_weeks(), "track_record")
    return JSONResponse(archive.track_record())


@router.get("/health", tags=["weeks"])
def api_health(request: Request) -> dict:
    """The newest published week and how old its data is, each source's latest release and latest
    event, the countries whose feed went stale, and when the next weekly run is due."""
    found = services(request)
    return health_view(found.archive, found.settings.clock().date())


@router.get("/provenance/{week}", tags=["track record"])
def api_provenance(request: Request, week: str) -> dict:
    """Every frozen revision of a published week: files with their SHA-256, the model, the spec's
    hash, the data vintage, and its place in the hash-chained ledger."""
    archive = services(request).archive
    return {"week": archive.week(week), "revisions": archive.provenance(week)}


@router.get("/weeks/{week}/cells", tags=["weeks"])
def api_cells(request: Request, week: str, format: Format = "geojson",
              fields: Annotated[str | None, Query(max_length=500, description="Comma-separated columns to keep "
                                                  "(default: all), e.g. probability,risk_tier")] = None) -> Response:
    """The week's scored cells as GeoJSON or CSV (``latest`` is the newest week)."""
    archive = services(request).archive

    def make() -> Response:
        cells = archive.cells(archive.week(week))
        if fields:
            wanted = [f.strip() for f in fields.split(",") if f.strip()]
            unknown = [f for f in wanted if f not in cells.columns]
            if unknown:
                raise SpecError(f"fields: unknown column(s) {', '.join(unknown)}; choose from "
                                f"{', '.join(c for c in cells.columns if c != 'geometry')}")
            cells = cells[[*dict.fromkeys(["unit_id", *wanted]), "geometry"]]
        return table_response(cells, f"cells_{archive.week(week)}", format)
    return cached(request, ("cells", week, format, fields), make)


@router.get("/weeks/{week}/areas", tags=["weeks"])
def api_areas(request: Request, week: str, level: Annotated[str, Query(pattern="^(adm1|adm2)$")] = "adm2",
              format: Format = "geojson") -> Response:
    """The week's scored areas of one level as GeoJSON or CSV."""
    archive = services(request).archive
    return cached(request, ("areas", week, level, format),
                  lambda: table_response(archive.areas(week, level), f"{level}_{archive.week(week)}", format))


@router.get("/weeks/{week}/sites", tags=["sites"])
def api_sites(request: Request, week: str, format: Format = "geojson") -> Response:
    """The mining sites of the week's countries, scored."""
    found = services(request)
    return cached(request, ("sites", week, format),
                  lambda: table_response(found.planner.sites(week), f"sites_{found.archive.week(week)}", format))


@router.post("/weeks/{week}/sites", tags=["sites"])
async def api_sites_upload(request: Request, week: str, name: str = "sites.csv", include_mining: bool = False,
                           format: Format = "geojson") -> Response:
    """One's own sites (the body: a CSV with name, latitude, longitude, or a GeoJSON of points), scored."""
    found = services(request)
    check_token(request, found.settings.token)
    week = found.archive.week(week)
    body = await read_bounded(request.stream(), found.settings.limits.upload_bytes, name)
    own = found.planner.read_upload(name, body, "sites")
    return table_response(found.planner.sites(week, own, include_mining=include_mining),
                          f"sites_{week}", format)


@router.get("/history", tags=["weeks"])
def api_history(request: Request, cell: Annotated[str | None, Query(max_length=40)] = None,
                area: Annotated[str | None, Query(max_length=40)] = None,
                level: Annotated[str, Query(pattern="^(adm1|adm2)$")] = "adm2",
                site: Annotated[str | None, Query(max_length=80)] = None,
                via: Annotated[list[str] | None, Query()] = None, to: Annotated[str | None, Query(max_length=120)] = None,
                origin: Annotated[str | None, Query(alias="from", max_length=120)] = None,
                buffer_km: BufferKm = 10.0) -> Response:
    """How the risk of one cell, area (p-code), mining site (``site_id``) or route (``from``,
    ``via``, ``to``) moved over the last published weeks, with the deadly events each forecast's
    weeks then saw (``pending`` until the data covers them)."""
    found = services(request)
    asked = [name for name, value in (("cell", cell), ("area", area), ("site", site), ("route", origin or to))
             if value]
    if len(asked) != 1:
        raise SpecError("ask for the history of one thing: cell=<unit_id>, area=<p-code> (with level=adm1 or "
                        "adm2), site=<site_id>, or a route with from= and to=")
    if asked == ["route"]:
        check_token(request, found.settings.token)
        if not (origin and to):
            raise SpecError("a route's history needs from= and to=")
        answer = found.planner.history("route", stops=[origin, *(via or []), to], buffer_km=buffer_km)
    elif asked == ["site"]:
        answer = found.planner.history("site", str(site))
    else:
        answer = found.planner.history("cell" if cell else level, str(cell or area))
    return JSONResponse(answer, headers={"Cache-Control": "no-cache"})


@router.get("/places", tags=["routes"])
def api_places(request: Request, q: Annotated[str, Query(max_length=80)] = "",
               limit: Annotated[int, Query(ge=1, le=50)] = 12) -> list[dict]:
    """Places whose name starts with (or holds) ``q``, accents and case ignored."""
    return services(request).planner.places(q, limit)


@router.get("/route", tags=["routes"])
def api_route(request: Request, to: str, week: str = "latest", via: Annotated[list[str] | None, Query()] = None,
              alternatives: Annotated[int, Query(ge=0)] = 0, buffer_km: BufferKm = 10.0,
              format: RouteFormat = "json", origin: Annotated[str, Query(alias="from")] = "") -> Response:
    """Risk along the road route through places (names or ``lat,lon``), stretch by stretch."""
    found = services(request)
    check_token(request, found.settings.token)
    stops = [origin, *(via or []), to]
    return cached(request, ("route", week, tuple(stops), alternatives, buffer_km, format), lambda: route_response(
        found.planner.route(week, stops, alternatives=alternatives, buffer_km=buffer_km), format))


@router.post("/route", tags=["routes"])
async def api_route_track(request: Request, week: str = "latest", name: str = "track.geojson",
                          buffer_km: BufferKm = 10.0, speed_kmh: Annotated[float, Query(gt=0, le=200)] = 50.0,
                          format: RouteFormat = "json") -> Response:
    """Risk along a track sent as the body (GPX, or GeoJSON LineString); ``name`` tells its type
    by its extension when the content type does not."""
    found = services(request)
    check_token(request, found.settings.token)
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind in ("application/gpx+xml", "application/gpx") and not name.lower().endswith(".gpx"):
        name = "track.gpx"
    body = await read_bounded(request.stream(), found.settings.limits.upload_bytes, name)
    track = found.planner.read_upload(name, body, "track")
    segments = found.planner.route(week, track=track, buffer_km=buffer_km, speed_kmh=speed_kmh,
                                   name=Path(name).stem)
    return route_response(segments, format)
