"""The web app's pages: this week, the archive, the route planner, mining sites, sign-in, static files.

Each handler reads its request, asks the archive or the planner, and renders a template in the
page's language (:func:`sahelrisk.serving.context.render`).
"""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator, Callable
from importlib import resources
from urllib.parse import urlencode

import geopandas as gpd
import pandas as pd
from fastapi import APIRouter, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from starlette.datastructures import UploadFile as StarletteUpload

from sahelrisk.errors import NotFoundError, SahelriskError, SpecError
from sahelrisk.escaping import geojson_text
from sahelrisk.i18n import Formatter
from sahelrisk.publishing.maps import TIER_COLOURS
from sahelrisk.publishing.route_map import route_figure
from sahelrisk.routes.risk import events_along, route_line
from sahelrisk.serving.api_docs import DOCS_FILES
from sahelrisk.serving.archive import MEDIA_TYPES
from sahelrisk.serving.basemap import LAYERS as BASEMAP_LAYERS
from sahelrisk.serving.context import (
    cached,
    lang_of,
    number,
    render,
    services,
    status_of,
    templates,
    whole_number,
)
from sahelrisk.serving.responses import route_json
from sahelrisk.serving.security import (
    CACHE_NEVER,
    LOGIN_BYTES,
    PUBLISHED_HTML_CSP,
    TOKEN_COOKIE,
    TokenError,
    TooLargeError,
    cache_control,
    check_token,
    check_token_value,
    read_bounded,
)
from sahelrisk.serving.views import archive_view, freshness, route_view, sites_view, track_view, week_view

__all__ = ["router"]

router = APIRouter(include_in_schema=False)

STATIC = resources.files(__package__) / "static"
LEAFLET = resources.files("js_lib_leaflet") / "static" / "js_lib_leaflet"
VENDOR = {"leaflet.js": (LEAFLET / "leaflet.js", "text/javascript"),
          "leaflet.css": (LEAFLET / "leaflet.css", "text/css"), **DOCS_FILES}
OWN = {"app.js": "text/javascript", "app.css": "text/css", "docs.js": "text/javascript"}
EMPTY_FORM = {"from": "", "via": "", "to": "", "week": "", "alternatives": "0", "buffer_km": "10"}


@router.get("/")
def home(request: Request) -> Response:
    """The newest week."""
    base = request.scope.get("root_path", "")
    query = f"?{request.url.query}" if request.url.query else ""
    return RedirectResponse(f"{base}/weeks/latest{query}", status_code=307)


@router.get("/weeks/{week}", response_class=HTMLResponse)
def week_page(request: Request, week: str) -> Response:
    """A week: the map, the tiers, the highest areas, what changed, the downloads."""
    lang, base = lang_of(request), request.scope.get("root_path", "")
    found = services(request)
    archive, today = found.archive, found.settings.clock().date()
    # keyed by the query too (a ?lang= page carries its cookie), and by the day (the freshness banner)
    return cached(request, ("week page", week, lang, base, request.url.query, today),
                  lambda: render(request, "week.html.j2", {"view": week_view(archive, archive.week(week), lang),
                                                           "fresh": freshness(archive, today, lang)}))


@router.get("/weeks/{week}/files/{name}")
def week_file(request: Request, week: str, name: str) -> Response:
    """One published file of a week, as the weekly job wrote it."""
    path = services(request).archive.file(week, name)
    headers = {"Content-Security-Policy": PUBLISHED_HTML_CSP} if path.suffix == ".html" else {}
    headers["Cache-Control"] = cache_control(request, week)
    disposition = "inline" if path.suffix in (".html", ".png", ".pdf", ".geojson", ".json") else "attachment"
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"),
                        headers=headers, filename=path.name, content_disposition_type=disposition)


@router.get("/archive", response_class=HTMLResponse)
def archive_page(request: Request) -> Response:
    """Every published week."""
    return render(request, "archive.html.j2", {"weeks": archive_view(services(request).archive, lang_of(request))})


@router.get("/track-record", response_class=HTMLResponse)
def track_record_page(request: Request) -> Response:
    """How often the published maps were right: the verified weeks against the rules."""
    return render(request, "track_record.html.j2", track_view(services(request).archive, lang_of(request)))


@router.get("/track-record/{name}")
def track_record_file(request: Request, name: str) -> Response:
    """A file of the track record (the last verified week's map, the week rows)."""
    path = services(request).archive.track_file(name)
    return FileResponse(path, media_type=MEDIA_TYPES.get(path.suffix, "application/octet-stream"), filename=path.name,
                        content_disposition_type="inline" if path.suffix == ".png" else "attachment")


def _route_form(request: Request) -> dict:
    q = request.query_params
    return {name: q.get(name, default) for name, default in EMPTY_FORM.items()}


def _route_query(form: dict, kind: str) -> str:
    """The query string of a planned route, for its downloads."""
    params = [("from", form["from"]), *[("via", v.strip()) for v in form["via"].split(";") if v.strip()],
              ("to", form["to"]), ("week", form["week"]), ("alternatives", form["alternatives"]),
              ("buffer_km", form["buffer_km"])]
    if kind == "pdf":
        # the page's own form: several stops ride in one field, separated by ";"
        params = [p for p in params if p[0] != "via"] + [("via", form["via"])]
    if kind == "history":   # the fastest route, over the published weeks
        params = [p for p in params if p[0] in ("from", "via", "to", "buffer_km")]
        return urlencode(params)
    return urlencode(params + ([("format", kind)] if kind != "pdf" else []))


def _events_for(request: Request, segments: gpd.GeoDataFrame) -> pd.DataFrame:
    """The deadly events of the past year along the first route (the fastest), in its order."""
    recent = services(request).planner.recent(segments.attrs["week"])
    line = route_line(segments, segments.attrs["routes"][0]["route"])
    return events_along(line, recent, segments.attrs["week"], float(segments.attrs["buffer_km"]))


def _route_answer(request: Request, segments: gpd.GeoDataFrame) -> dict:
    """The planner's answer: the tables, and what the page's map draws (JSON in the page)."""
    line_events = _events_for(request, segments)
    x0, y0, x1, y1 = segments.total_bounds
    cells = services(request).archive.cells(segments.attrs["week"]).cx[x0 - 0.6:x1 + 0.6, y0 - 0.6:y1 + 0.6]
    drawn = {**route_json(segments), "stops": segments.attrs.get("stops", []),
             "cells": json.loads(geojson_text(cells[["adm2_name", "probability", "risk_tier", "geometry"]])),
             "events": [{"latitude": float(e["latitude"]), "longitude": float(e["longitude"]),
                         "date": str(pd.Timestamp(e["date_start"]).date()), "deaths": int(e["fatalities_best"])}
                        for _, e in line_events.iterrows()]}
    return {"answer": route_view(segments, line_events, lang_of(request)), "geojson": drawn}


def _named_route(request: Request, form: dict) -> gpd.GeoDataFrame:
    found = services(request)
    check_token(request, found.settings.token)
    stops = [form["from"], *[v for v in form["via"].split(";") if v.strip()], form["to"]]
    return found.planner.route(form["week"] or found.archive.latest(), stops,
                               alternatives=whole_number(form["alternatives"], "alternatives"),
                               buffer_km=number(form["buffer_km"], "buffer_km"))


def _answered(request: Request, template: str, context: dict, work: Callable[[], dict]) -> Response:
    """The page with ``work``'s answer added, or with its error in one line and the error's status."""
    try:
        context.update(work())
    except SahelriskError as error:
        context["error"] = str(error).splitlines()[0]
        return render(request, template, context, status=status_of(error))
    return render(request, template, context)


@router.get("/route", response_class=HTMLResponse)
def route_page(request: Request) -> Response:
    """The route planner, with the answer when places were given."""
    form = _route_form(request)
    context = {"form": form, "weeks": services(request).archive.weeks(),
               **{f"query_{kind}": _route_query(form, kind) for kind in ("geojson", "gpx", "pdf", "history")}}
    if not (form["from"] or form["to"]):
        return render(request, "route.html.j2", context)
    return _answered(request, "route.html.j2", context, lambda: _route_answer(request, _named_route(request, form)))


async def _chunks(upload: StarletteUpload, size: int = 65536) -> AsyncIterator[bytes]:
    while chunk := await upload.read(size):
        yield chunk


async def _uploaded(request: Request, kind: str) -> tuple[object, dict]:
    """A track (``kind="track"``) or a site list sent with a form, checked; and the form's fields."""
    found = services(request)
    check_token(request, found.settings.token)
    form = await request.form(max_files=1, max_fields=12)
    upload = form.get("file")
    if upload is None or isinstance(upload, str) or not upload.filename:
        raise SpecError("no file was sent; choose a GPX or GeoJSON file" if kind == "track"
                        else "no file was sent; choose a CSV or GeoJSON file of sites")
    body = await read_bounded(_chunks(upload), found.settings.limits.upload_bytes, upload.filename)
    fields = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    return found.planner.read_upload(upload.filename, body, kind), {**fields, "filename": upload.filename}


async def _uploaded_route(request: Request) -> tuple[gpd.GeoDataFrame, dict]:
    """The route along an uploaded track, and the form's fields."""
    track, fields = await _uploaded(request, "track")
    found = services(request)
    segments = found.planner.route(fields.get("week") or found.archive.latest(), track=track,
                                   name=fields["filename"], buffer_km=number(fields.get("buffer_km", "10"), "buffer_km"))
    return segments, fields


@router.post("/route", response_class=HTMLResponse)
async def route_upload(request: Request) -> Response:
    """The route planner's answer for an uploaded track."""
    context: dict = {"form": dict(EMPTY_FORM), "weeks": services(request).archive.weeks()}
    try:
        segments, fields = await _uploaded_route(request)
    except SahelriskError as error:
        context["error"] = str(error).splitlines()[0]
        return render(request, "route.html.j2", context, status=status_of(error))
    context["form"].update({k: fields[k] for k in ("week", "buffer_km") if fields.get(k)})
    context["uploaded"] = fields["filename"]
    context["tracks"] = [r["route"] for r in segments.attrs["routes"]] if len(segments.attrs["routes"]) > 1 else []
    return _answered(request, "route.html.j2", context, lambda: _route_answer(request, segments))


def _pdf(request: Request, form: dict, segments: gpd.GeoDataFrame) -> Response:
    from sahelrisk.publishing.bulletin import write_pdf

    lang = lang_of(request)
    events = _events_for(request, segments)
    inputs, _ = services(request).planner.inputs()
    cells = services(request).archive.cells(segments.attrs["week"])
    shown = sorted(set(cells["country_iso3"]))
    countries = inputs.layers.get("admin0")
    figure = route_figure(segments, cells, countries=None if countries is None else
                          countries[countries["country_iso3"].isin(shown)], roads=inputs.layers.get("roads"),
                          places=inputs.layers.get("places"), events=events, lang=lang)
    # the printed page: the map as a picture, then the tables
    page = templates(lang).get_template("route_print.html.j2").render(
        lang=lang, fmt=Formatter(lang), form=form, answer=route_view(segments, events, lang),
        map_png=base64.b64encode(figure).decode("ascii"))
    buffer = io.BytesIO()
    write_pdf(page, buffer)
    return Response(buffer.getvalue(), media_type="application/pdf",
                    headers={"Content-Disposition": 'attachment; filename="route.pdf"'})


@router.get("/route.pdf")
def route_pdf(request: Request) -> Response:
    """The route planner's answer, to print."""
    form = _route_form(request)
    return _pdf(request, form, _named_route(request, form))


@router.post("/route.pdf")
async def route_pdf_upload(request: Request) -> Response:
    """The answer for an uploaded track, to print."""
    segments, fields = await _uploaded_route(request)
    return _pdf(request, {"from": fields["filename"], "via": "", "to": ""}, segments)


@router.get("/sites", response_class=HTMLResponse)
def sites_page(request: Request, week: str = "latest") -> Response:
    """Every mining site of the week's countries, scored."""
    found = services(request)
    week = found.archive.week(week)
    return render(request, "sites.html.j2", {"week": week, "weeks": found.archive.weeks(),
                                             "rows": sites_view(found.planner.sites(week), lang_of(request))})


@router.post("/sites", response_class=HTMLResponse)
async def sites_upload(request: Request) -> Response:
    """One's own sites, uploaded and scored."""
    found = services(request)
    context: dict = {"weeks": found.archive.weeks(), "rows": [], "week": found.archive.latest()}
    try:
        own, fields = await _uploaded(request, "sites")
        context["week"] = found.archive.week(fields.get("week") or "latest")
        sites = found.planner.sites(context["week"], own, include_mining=fields.get("include_mining") == "on")
        context.update({"rows": sites_view(sites, lang_of(request)), "uploaded": fields["filename"]})
    except SahelriskError as error:
        context["error"] = str(error).splitlines()[0]
        return render(request, "sites.html.j2", context, status=status_of(error))
    return render(request, "sites.html.j2", context)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> Response:
    """The token form."""
    return render(request, "login.html.j2", {})


@router.post("/login")
async def login(request: Request) -> Response:
    """Check the token, keep it in a cookie, then go to the route planner; a wrong one is said."""
    token = services(request).settings.token
    base = request.scope.get("root_path", "")
    length = request.headers.get("content-length", "")
    if not length.isdigit() or int(length) > LOGIN_BYTES:
        raise TooLargeError(f"the sign-in form is over {LOGIN_BYTES:,} bytes or has no length; type the token only")
    form = await request.form(max_files=0, max_fields=2)
    sent = str(form.get("token", "")).strip()
    if not token:
        return RedirectResponse(f"{base}/route", status_code=303)   # nothing to sign in to
    try:
        check_token_value(sent, token)
    except TokenError:   # the form again, saying why
        return render(request, "login.html.j2", {"refused": True}, status=401)
    response = RedirectResponse(f"{base}/route", status_code=303)
    response.headers["Cache-Control"] = CACHE_NEVER
    response.set_cookie(TOKEN_COOKIE, sent, httponly=True, samesite="strict", max_age=30 * 86400,
                        secure=request.url.scheme == "https", path=base or "/")
    return response


@router.post("/logout")
def logout(request: Request) -> Response:
    """Forget the token's cookie and go back to the week's map."""
    base = request.scope.get("root_path", "")
    response = RedirectResponse(f"{base}/weeks/latest", status_code=303, headers={"Cache-Control": CACHE_NEVER})
    response.delete_cookie(TOKEN_COOKIE, httponly=True, samesite="strict", secure=request.url.scheme == "https",
                           path=base or "/")
    return response


@router.get("/static/{name}")
def static(name: str) -> Response:
    """The app's own script and style, and Leaflet's: nothing comes from the internet."""
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


@router.get("/basemap/{name}.geojson")
def basemap_layer(request: Request, name: str, v: str = "") -> Response:
    """One layer of the maps' background (:mod:`sahelrisk.serving.basemap`); asked with its
    version, it may be kept a day (a new version is a new address)."""
    if name not in BASEMAP_LAYERS:
        raise NotFoundError(f"no basemap layer {name!r}; the layers are {', '.join(BASEMAP_LAYERS)}")
    found = services(request).planner.basemap()
    kept = "public, max-age=86400, immutable" if v == found.version else "no-cache"
    return Response(found.layers[name], media_type="application/geo+json",
                    headers={"Cache-Control": kept, "ETag": f'"{found.version}"'})


@router.get("/healthz")
def health(request: Request) -> dict:
    """For a load balancer: the app answers, and how many weeks it has."""
    weeks = services(request).archive.weeks()
    return {"ok": True, "weeks": len(weeks), "latest": weeks[0] if weeks else None}


