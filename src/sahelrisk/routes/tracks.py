"""Routes a planner already has: a GPX track recorded in the field or a GeoJSON line, read and
cleaned before it is scored.

A convoy's GPS log is jitter and stops as much as road: a 10-minute halt at a checkpoint logged at
1 Hz is 600 fixes within a few metres, and a corridor buffered around that knot costs gigabytes.
:func:`clean_track` collapses repeated points, replaces each stop (at least
:data:`STOP_MIN_POINTS` consecutive fixes within :data:`STOP_RADIUS_M` of the first) by its centre
and reports it, then simplifies the line at :data:`SIMPLIFY_M` (Douglas-Peucker: below the scale of
a road, above a GPS fix's error). The cost of what follows is then set by the route's length, not
by how often the receiver logged.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from shapely.errors import ShapelyError
from shapely.geometry import LineString, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import linemerge

from sahelrisk.errors import DataFileError, SpecError
from sahelrisk.geo import metric_crs_for

__all__ = ["read_track", "clean_track", "CleanTrack", "STOP_RADIUS_M", "STOP_MIN_POINTS", "SIMPLIFY_M", "MIN_TRACK_M"]

STOP_RADIUS_M = 25.0
"""A halt: fixes within this of the first (a few times a receiver's error)..."""
STOP_MIN_POINTS = 60
"""... for at least this many fixes (a minute at 1 Hz; a vehicle crawling at walking pace leaves
25 m within 20 fixes, so it is not taken for a halt)."""
SIMPLIFY_M = 20.0
MIN_TRACK_M = 100.0
"""A track shorter than this (after cleaning) is not a route."""
SMOOTH_POINTS = 5
"""Fixes averaged (a running mean) before simplifying: a receiver swinging side to side every fix
averages out instead of surviving as a saw-tooth."""
POINTS_PER_KM = 10
"""At most this many points per km once cleaned (the tolerance doubles until so): what the
scoring costs is bounded by the route's length, not by how the receiver logged it."""


@dataclass(frozen=True)
class CleanTrack:
    """A track after cleaning.

    Attributes
    ----------
    line : shapely.LineString
        The cleaned line, in lon/lat.
    points_in, points_out : int
        Points read and points kept.
    stops : list of dict
        Where the vehicle stood (``longitude``, ``latitude``) and for how many fixes (``points``).
    tolerance_m : float
        The simplification's tolerance (:data:`SIMPLIFY_M`, or more where the track needed it).
    """

    line: LineString
    points_in: int
    points_out: int
    stops: list[dict] = field(default_factory=list)
    tolerance_m: float = SIMPLIFY_M


def _stops(xy: np.ndarray) -> tuple[list[tuple[float, float]], list[tuple[float, float, int]]]:
    """The points with each stop replaced by its centre; the stops (x, y, fixes)."""
    xs, ys = xy[:, 0].tolist(), xy[:, 1].tolist()
    kept: list[tuple[float, float]] = []
    stops: list[tuple[float, float, int]] = []
    at = -1   # where in ``kept`` the last stop's centre is
    radius2, i, n = STOP_RADIUS_M ** 2, 0, len(xs)
    while i < n:
        j = i + 1
        while j < n and (xs[j] - xs[i]) ** 2 + (ys[j] - ys[i]) ** 2 <= radius2:
            j += 1
        if j - i < STOP_MIN_POINTS:
            kept.append((xs[i], ys[i]))
            i += 1
            continue
        cx, cy, count = float(np.mean(xs[i:j])), float(np.mean(ys[i:j])), j - i
        if stops and len(kept) - at <= STOP_MIN_POINTS and \
                (stops[-1][0] - cx) ** 2 + (stops[-1][1] - cy) ** 2 <= radius2:
            # one halt broken by a stray fix or reached from a point short of it: one halt, not two
            px, py, pc = stops.pop()
            cx, cy, count = (px * pc + cx * count) / (pc + count), (py * pc + cy * count) / (pc + count), pc + count
            del kept[at:]
        at = len(kept)
        kept.append((cx, cy))
        stops.append((cx, cy, count))
        i = j
    return kept, stops


def clean_track(line: LineString) -> CleanTrack:
    """The track without its repeated points, stops and jitter (see the module's notes).

    Parameters
    ----------
    line : shapely.LineString
        The track as read, in lon/lat.

    Returns
    -------
    CleanTrack

    Raises
    ------
    SpecError
        The cleaned track is shorter than :data:`MIN_TRACK_M` (a stop, or two points metres apart).
    """
    from pyproj import Transformer

    crs = metric_crs_for(line)
    forward = Transformer.from_crs("EPSG:4326", crs, always_xy=True)
    back = Transformer.from_crs(crs, "EPSG:4326", always_xy=True)
    lon_lat = np.asarray(line.coords)[:, :2]
    xy = np.column_stack(forward.transform(lon_lat[:, 0], lon_lat[:, 1]))
    moved = np.r_[True, np.any(np.diff(xy, axis=0) != 0, axis=1)]
    kept, stops = _stops(xy[moved])
    metric = LineString(kept if len(kept) >= 2 else kept * 2)
    length = metric.length
    if length < MIN_TRACK_M:
        raise SpecError(f"the track is {length:.0f} m long once its repeated points and stops are taken out; a route "
                        f"needs at least {MIN_TRACK_M:.0f} m: record the journey itself, not a halt")
    simple, tolerance = _simplified(np.asarray(metric.coords), length)
    x, y = np.asarray(simple.coords).T
    lon, lat = back.transform(x, y)
    cleaned = LineString(np.column_stack([lon, lat]))
    told = []
    for sx, sy, points in stops:
        slon, slat = back.transform(sx, sy)
        told.append({"longitude": round(float(slon), 5), "latitude": round(float(slat), 5), "points": points})
    return CleanTrack(cleaned, len(lon_lat), len(cleaned.coords), told, tolerance)


def _simplified(xy: np.ndarray, length_m: float) -> tuple[LineString, float]:
    """The running mean of :data:`SMOOTH_POINTS` fixes (ends kept), simplified at
    :data:`SIMPLIFY_M`, doubled until at most :data:`POINTS_PER_KM` points per km remain."""
    if len(xy) > SMOOTH_POINTS:
        kernel = np.ones(SMOOTH_POINTS) / SMOOTH_POINTS
        inner = np.column_stack([np.convolve(xy[:, k], kernel, mode="valid") for k in (0, 1)])
        xy = np.vstack([xy[:1], inner, xy[-1:]])
    line, tolerance = LineString(xy), SIMPLIFY_M
    cap = max(2, int(POINTS_PER_KM * length_m / 1000))
    simple = line.simplify(tolerance, preserve_topology=False)
    while len(simple.coords) > cap and tolerance < 2_000:
        tolerance *= 2
        simple = line.simplify(tolerance, preserve_topology=False)
    return simple, tolerance


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
    except RecursionError:
        raise DataFileError(path, "is nested deeper than any GeoJSON", "Save the route as a GeoJSON LineString or a "
                            "Feature holding one") from None
    except ShapelyError as e:
        said = ("holds a line of a single point; a route needs at least 2" if "point array" in str(e) else
                f"holds a geometry that cannot be built ({str(e)[:120]})")
        raise DataFileError(path, said, "Save the route with its points as a GeoJSON LineString") from None
    except (ValueError, TypeError, AttributeError, KeyError) as e:
        said = "a number too long to be a coordinate" if "digits" in str(e) else str(e)[:120]
        raise DataFileError(path, f"is not valid GeoJSON ({said})",
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
    if not np.isfinite(np.asarray(line.coords)).all():
        raise DataFileError(path, "has a coordinate that is not a number (NaN or infinity)",
                            "Export the track again; every point needs a longitude and a latitude")
    x0, y0, x1, y1 = line.bounds
    if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
        raise DataFileError(path, "has coordinates outside lon -180..180 / lat -90..90",
                            "Write GeoJSON as [longitude, latitude] in WGS 84 (EPSG:4326)")
    return line
