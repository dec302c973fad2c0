"""Routes a planner already has: a GPX track recorded in the field or a GeoJSON line."""

from __future__ import annotations

import json
from pathlib import Path

from shapely.geometry import LineString, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from sahelrisk.errors import DataFileError

__all__ = ["read_track"]


def _from_gpx(path: Path) -> LineString:
    import gpxpy
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
    except (gpxpy.gpx.GPXException, ValueError, UnicodeDecodeError) as e:
        raise DataFileError(path, f"is not a readable GPX file ({str(e).splitlines()[0][:120]})",
                            "Export the track again as GPX 1.1 from the GPS or app") from None
    points = [(p.longitude, p.latitude) for track in gpx.tracks for seg in track.segments for p in seg.points]
    if len(points) < 2 and gpx.routes:
        points = [(p.longitude, p.latitude) for route in gpx.routes for p in route.points]
    if len(points) < 2:
        raise DataFileError(path, f"holds {len(points)} track or route point(s); a route needs at least 2",
                            "Record or export the track with its points")
    return LineString(points)


def _lines(geometry: BaseGeometry) -> list:
    if geometry.geom_type == "LineString":
        return [geometry]
    if geometry.geom_type == "MultiLineString":
        return list(geometry.geoms)
    return []


def _from_geojson(path: Path) -> LineString:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data.get("features", [data]) if isinstance(data, dict) else []
        geometries = [shape(item.get("geometry", item)) for item in items if isinstance(item, dict)]
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        raise DataFileError(path, f"is not valid GeoJSON ({str(e)[:120]})",
                            "Save the route as a GeoJSON LineString or a Feature holding one") from None
    lines = [line for g in geometries for line in _lines(g)]
    if not lines:
        raise DataFileError(path, "holds no LineString", "Save the route as a GeoJSON LineString or a Feature holding one")
    merged = linemerge(lines) if len(lines) > 1 else lines[0]
    if merged.geom_type != "LineString":
        raise DataFileError(path, f"holds {len(lines)} lines that do not join end to end",
                            "Save the route as one continuous LineString")
    if merged.is_empty or len(merged.coords) < 2:
        raise DataFileError(path, "holds an empty line", "Save the route with at least two points")
    return merged


def read_track(path: str | Path) -> LineString:
    """The route of a GPX (``.gpx``) or GeoJSON (``.geojson``, ``.json``) file, in lon/lat.

    Raises
    ------
    DataFileError
        Missing, unreadable, empty or without a line: one line naming the file and how to fix it.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "does not exist", "Check the path of the track file")
    suffix = path.suffix.lower()
    if suffix == ".gpx":
        line = _from_gpx(path)
    elif suffix in (".geojson", ".json"):
        line = _from_geojson(path)
    else:
        raise DataFileError(path, f"has an unknown extension {suffix!r}", "Use a .gpx or .geojson file")
    x0, y0, x1, y1 = line.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise DataFileError(path, "has coordinates outside lon -180..180 / lat -90..90",
                            "Write GeoJSON as [longitude, latitude] in WGS 84 (EPSG:4326)")
    return line
