"""The web app's downloads: tables as GeoJSON or CSV, routes as JSON, GeoJSON or GPX.

Every cell of a CSV is neutralised for spreadsheets (:func:`sahelrisk.escaping.csv_safe`) and
every file name is made safe (:func:`sahelrisk.escaping.file_slug`).
"""

from __future__ import annotations

import json

import geopandas as gpd
import pandas as pd
from fastapi.responses import JSONResponse, Response

from sahelrisk.escaping import csv_safe, file_slug, geojson_text
from sahelrisk.publishing.summaries import route_notes
from sahelrisk.routes.risk import route_line

__all__ = ["csv_response", "geojson_response", "table_response", "gpx_response", "route_json", "route_response"]


def csv_response(frame: pd.DataFrame, name: str) -> Response:
    """``frame`` (geometry dropped) as a CSV download named ``name``."""
    data = frame.drop(columns="geometry", errors="ignore")
    return Response(csv_safe(data).to_csv(index=False, lineterminator="\r\n"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{file_slug(name)}.csv"'})


def geojson_response(frame: gpd.GeoDataFrame, name: str) -> Response:
    """``frame`` as GeoJSON, shown inline."""
    return Response(geojson_text(frame), media_type="application/geo+json",
                    headers={"Content-Disposition": f'inline; filename="{file_slug(name)}.geojson"'})


def table_response(frame: gpd.GeoDataFrame, name: str, format: str) -> Response:
    """``frame`` as ``geojson`` or ``csv``."""
    return geojson_response(frame, name) if format == "geojson" else csv_response(frame, name)


def gpx_response(segments: gpd.GeoDataFrame) -> Response:
    """Every route of ``segments`` as a GPX track of its own, its stretches in travel order."""
    import gpxpy.gpx

    gpx = gpxpy.gpx.GPX()
    for label in dict.fromkeys(segments["route"]):
        track = gpxpy.gpx.GPXTrack(name=str(label))
        gpx.tracks.append(track)
        part = gpxpy.gpx.GPXTrackSegment()
        track.segments.append(part)
        part.points.extend(gpxpy.gpx.GPXTrackPoint(latitude=y, longitude=x)
                           for x, y in route_line(segments, label).coords)
    return Response(gpx.to_xml(), media_type="application/gpx+xml",
                    headers={"Content-Disposition": 'attachment; filename="route.gpx"'})


def route_json(segments: gpd.GeoDataFrame) -> dict:
    """The route answer as JSON: the week, the corridor, each route's summary and the stretches."""
    routes = [{k: (None if isinstance(v, float) and pd.isna(v) else v) for k, v in s.items()}
              for s in segments.attrs["routes"]]
    return {"week": segments.attrs["week"], "buffer_km": segments.attrs["buffer_km"], "routes": routes,
            "alternatives": {"asked": segments.attrs.get("alternatives_asked", 0),
                             "found": segments.attrs.get("alternatives_found", 0)},
            "notes": route_notes(segments, lang="en"), "segments": json.loads(geojson_text(segments))}


def route_response(segments: gpd.GeoDataFrame, format: str) -> Response:
    """The route answer as ``json``, ``geojson`` or ``gpx``."""
    if format == "geojson":
        return geojson_response(segments, "route")
    if format == "gpx":
        return gpx_response(segments)
    return JSONResponse(route_json(segments))
