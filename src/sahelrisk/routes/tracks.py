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

__all__ = ["read_track", "read_tracks", "Track", "MAX_TRACKS", "clean_track", "CleanTrack", "STOP_RADIUS_M", "STOP_MIN_POINTS", "SIMPLIFY_M", "MIN_TRACK_M"]

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
SMOOTH_STEP_M = 30.0
"""Only a track logged this densely (median step; 1 Hz at up to 108 km/h) is averaged: a line
drawn from a map, a road's vertices hundreds of metres apart, would have its bends cut."""
POINTS_PER_KM = 10
"""At most this many points per km once cleaned (the tolerance doubles until so): what the
scoring costs is bounded by the route's length, not by how the receiver logged it."""


MAX_TRACKS = 5
"""Journeys in one file scored at once (a day's GPS log rarely holds more)."""


@dataclass(frozen=True)
class Track:
    """One journey of a track file: its name (possibly empty) and its line in lon/lat."""

    name: str
    line: LineString


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
    """The running mean of :data:`SMOOTH_POINTS` fixes (ends kept; a dense log only, see
    :data:`SMOOTH_STEP_M`), simplified at
    :data:`SIMPLIFY_M`, doubled until at most :data:`POINTS_PER_KM` points per km remain."""
    steps = np.hypot(*np.diff(xy, axis=0).T)
    if len(xy) > SMOOTH_POINTS and float(np.median(steps)) < SMOOTH_STEP_M:
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


def _from_gpx(path: Path) -> list[Track]:
    import gpxpy
    import gpxpy.gpx

    try:
        gpx = gpxpy.parse(path.read_text(encoding="utf-8"))
    except (gpxpy.gpx.GPXException, ValueError, UnicodeDecodeError) as e:
        raise DataFileError(path, f"is not a readable GPX file ({str(e).splitlines()[0][:120]})",
                            "Export the track again as GPX 1.1 from the GPS or app") from None
    # each <trk> is one journey (its segments joined in order); a file without tracks, its <rte>s
    trks = [(t.name, [(p.longitude, p.latitude) for seg in t.segments for p in seg.points]) for t in gpx.tracks]
    rtes = [(r.name, [(p.longitude, p.latitude) for p in r.points]) for r in gpx.routes]
    found = trks if any(len(points) >= 2 for _, points in trks) else rtes
    tracks = [Track(name or "", LineString(points)) for name, points in found if len(points) >= 2]
    if not tracks:
        most = max((len(points) for _, points in trks + rtes), default=0)
        raise DataFileError(path, f"holds {most} track or route point(s); a route needs at least 2",
                            "Record or export the track with its points")
    return tracks


def _lines(geometry: BaseGeometry) -> list:
    if geometry.geom_type == "LineString":
        return [geometry]
    if geometry.geom_type == "MultiLineString":
        return list(geometry.geoms)
    return []


def _from_geojson(path: Path) -> list[Track]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        items = data.get("features", [data]) if isinstance(data, dict) else []
        found = [(_name(item), shape(item.get("geometry", item))) for item in items if isinstance(item, dict)]
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
    pieces = [(name, _lines(g)) for name, g in found]
    lines = [line for _, parts in pieces for line in parts]
    if not lines:
        raise DataFileError(path, "holds no LineString", "Save the route as a GeoJSON LineString or a Feature holding one")
    merged = linemerge(lines) if len(lines) > 1 else lines[0]
    if merged.geom_type == "LineString":   # pieces of one journey, end to end
        tracks = [Track(next((n for n, parts in pieces if parts and n), ""), merged)]
    else:   # several journeys: each feature is one, its own parts end to end
        tracks = []
        for name, parts in (p for p in pieces if p[1]):
            joined = linemerge(parts) if len(parts) > 1 else parts[0]
            if joined.geom_type != "LineString":
                raise DataFileError(path, f"holds a feature{f' {name!r}' if name else ''} of {len(parts)} lines that do "
                                    "not join end to end", "Save each journey as one continuous LineString")
            tracks.append(Track(name, joined))
    if any(t.line.is_empty or len(t.line.coords) < 2 for t in tracks):
        raise DataFileError(path, "holds an empty line", "Save the route with at least two points")
    return tracks


def _name(item: dict) -> str:
    """A feature's name, from its properties (``name`` or ``title``)."""
    found = item.get("properties")
    properties = found if isinstance(found, dict) else {}
    value = properties.get("name") or properties.get("title") or ""
    return str(value).strip()[:80]


def read_tracks(path: str | Path) -> list[Track]:
    """The journeys of a GPX (``.gpx``: each ``<trk>``, else each ``<rte>``) or GeoJSON
    (``.geojson``, ``.json``: lines that join end to end are one journey, else each feature is
    one) file, in lon/lat, named as the file names them (else ``track 1``, ``track 2``...).

    Raises
    ------
    DataFileError
        Missing, unreadable, empty, without a line, with a coordinate that is no number or off
        the globe, or holding more than :data:`MAX_TRACKS` journeys: one line naming the file and
        how to fix it.
    """
    path = Path(path)
    if not path.is_file():
        raise DataFileError(path, "does not exist", "Check the path of the track file")
    suffix = path.suffix.lower()
    if suffix == ".gpx":
        tracks = _from_gpx(path)
    elif suffix in (".geojson", ".json"):
        tracks = _from_geojson(path)
    else:
        raise DataFileError(path, f"has an unknown extension {suffix!r}", "Use a .gpx or .geojson file")
    if len(tracks) > MAX_TRACKS:
        raise DataFileError(path, f"holds {len(tracks)} tracks; at most {MAX_TRACKS} are scored at once",
                            "Split the file, or export only the journeys to check")
    for track in tracks:
        if not np.isfinite(np.asarray(track.line.coords)).all():
            raise DataFileError(path, "has a coordinate that is not a number (NaN or infinity)",
                                "Export the track again; every point needs a longitude and a latitude")
        x0, y0, x1, y1 = track.line.bounds
        if not (-180 <= x0 <= x1 <= 180 and -90 <= y0 <= y1 <= 90):
            raise DataFileError(path, "has coordinates outside lon -180..180 / lat -90..90",
                                "Write GeoJSON as [longitude, latitude] in WGS 84 (EPSG:4326)")
    return _named(tracks)


def _named(tracks: list[Track]) -> list[Track]:
    """Every track with a name of its own: unnamed ones numbered, repeated names numbered."""
    out: list[Track] = []
    seen: dict[str, int] = {}
    for i, track in enumerate(tracks, start=1):
        name = track.name or (f"track {i}" if len(tracks) > 1 else "")
        seen[name] = seen.get(name, 0) + 1
        out.append(Track(name if seen[name] == 1 else f"{name} ({seen[name]})", track.line))
    return out


def read_track(path: str | Path) -> LineString:
    """The one journey of a track file (:func:`read_tracks`).

    Raises
    ------
    DataFileError
        As :func:`read_tracks`, or the file holds several journeys.
    """
    tracks = read_tracks(path)
    if len(tracks) > 1:
        raise DataFileError(path, f"holds {len(tracks)} tracks ({', '.join(t.name for t in tracks)})",
                            "Score each with sahelrisk.route_risk, or keep one in the file")
    return tracks[0].line
