"""The road network as a graph (networkx): the fastest route between waypoints, joined to points
off the network by straight connectors, and different alternatives (k shortest simple paths)."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass, field
from itertools import islice

import geopandas as gpd
import networkx as nx
import pandas as pd
from shapely.geometry import LineString, Point
from shapely.geometry.base import BaseGeometry
from shapely.ops import substring

from sahelrisk.errors import SpecError
from sahelrisk.geo import metric_crs_for
from sahelrisk.routes.places import Waypoint
from sahelrisk.routes.tracks import clean_track

__all__ = ["RoadNetwork", "Route", "track_route", "OFF_ROAD_KMH", "MAX_SHARED", "MAX_DETOUR", "CANDIDATE_PATHS"]

# Speed assumed on a connector from a point off the network to its nearest road (tracks, sand).
OFF_ROAD_KMH = 30.0
# A point closer than this to a road needs no connector.
ON_ROAD_M = 50.0
MAX_SHARED = 0.7
"""An alternative shares at most this share of its length with each route already kept."""
CANDIDATE_PATHS = 40
"""Next fastest simple paths of each leg tried for an alternative."""
MAX_DETOUR = 2.5
"""An alternative takes at most this many times the fastest route's time."""
RETRACED = 0.15
"""An alternative covering this share of its length twice (out and back on one road) is refused."""
SAME_ROAD_M = 100.0
"""Two routes within this of each other run on the same road."""


@dataclass
class Route:
    """A route: its parts in order (``kind`` road, connector or track; ``km``; ``minutes``;
    ``road_id``; geometry in lon/lat) and the waypoints it joins."""

    parts: gpd.GeoDataFrame
    waypoints: list[Waypoint] = field(default_factory=list)
    label: str = "route"
    stops: list[dict] = field(default_factory=list)   # a track's halts, where and for how many fixes

    @property
    def km(self) -> float:
        """The route's length."""
        return float(self.parts["km"].sum())

    @property
    def minutes(self) -> float:
        """The route's travel time."""
        return float(self.parts["minutes"].sum())

    def line(self) -> LineString:
        """The whole route as one line, its parts joined in travel order."""
        coords: list[tuple[float, ...]] = []
        for geometry in self.parts.geometry:
            points = list(geometry.coords)
            coords.extend(points if not coords or coords[-1] != points[0] else points[1:])
        return LineString(coords)


class RoadNetwork:
    """The road layer as an undirected graph weighted by travel time.

    Parameters
    ----------
    roads : geopandas.GeoDataFrame
        ``road_id``, ``from_node``, ``to_node``, ``duration_min``, ``length_km`` and the line
        geometry drawn from ``from_node`` to ``to_node``.
    """

    def __init__(self, roads: gpd.GeoDataFrame) -> None:
        if roads is None or roads.empty:
            raise SpecError("the road layer is empty: routing needs the 'roads' dataset (sahelrisk data list)")
        self.roads = roads.reset_index(drop=True)
        self.crs = metric_crs_for(self.roads)
        self.metric = self.roads.to_crs(self.crs)
        self.graph = nx.Graph()
        for i, r in self.roads.iterrows():
            u, v, minutes = int(r["from_node"]), int(r["to_node"]), float(r["duration_min"])
            old = self.graph.get_edge_data(u, v)
            if old is None or old["minutes"] > minutes:   # two links between the same nodes: the faster
                self.graph.add_edge(u, v, minutes=minutes, km=float(r["length_km"]), row=i)
        self._index = self.metric.sindex

    def _edge_geometry(self, u: Hashable, v: Hashable, graph: nx.Graph) -> tuple[LineString, dict]:
        data = graph.edges[u, v]
        if "geometry" in data:
            geometry = data["geometry"]
            return (geometry if data["start"] == u else LineString(geometry.coords[::-1])), data
        road = self.roads.loc[data["row"]]
        geometry = road.geometry
        return (geometry if int(road["from_node"]) == u else LineString(geometry.coords[::-1])), data

    def _attach(self, graph: nx.Graph, point: Waypoint, key: Hashable) -> tuple[object, list[dict]]:
        """Join a waypoint to the graph at the nearest point of the nearest road; returns the node
        and the connector parts (from the waypoint to the road)."""
        p = gpd.GeoSeries([Point(point.lon, point.lat)], crs="EPSG:4326").to_crs(self.crs).iloc[0]
        i = int(self._index.nearest(p, return_all=False)[1][0])
        road, metric = self.roads.loc[i], self.metric.geometry.iloc[i]
        along = metric.project(p)
        joined = metric.interpolate(along)
        fraction = along / metric.length if metric.length else 0.0
        u, v = int(road["from_node"]), int(road["to_node"])
        minutes, km = float(road["duration_min"]), float(road["length_km"])
        node: object
        if fraction <= 1e-6:
            node = u
        elif fraction >= 1 - 1e-6:
            node = v
        else:
            node = ("join", key)
            line = road.geometry
            if graph.has_edge(u, v) and graph.edges[u, v].get("row") == i:
                # the road is now its two halves: kept whole too, a path could drive a half and
                # come back along the whole road
                graph.remove_edge(u, v)
            # the road split where the waypoint joins it: u -> node and node -> v
            graph.add_edge(u, node, minutes=minutes * fraction, km=km * fraction, row=i,
                           geometry=substring(line, 0, fraction, normalized=True), start=u)
            graph.add_edge(node, v, minutes=minutes * (1 - fraction), km=km * (1 - fraction), row=i,
                           geometry=substring(line, fraction, 1, normalized=True), start=node)
            graph.nodes[node].update(row=i, fraction=fraction)
        gap = p.distance(joined)
        connectors = []
        if gap > ON_ROAD_M:
            on_road = road.geometry.interpolate(fraction, normalized=True)
            connectors.append({"kind": "connector", "road_id": None, "km": gap / 1000,
                               "minutes": gap / 1000 / OFF_ROAD_KMH * 60,
                               "geometry": LineString([(point.lon, point.lat), (on_road.x, on_road.y)])})
        return node, connectors

    def _parts(self, graph: nx.Graph, path: list) -> list[dict]:
        parts = []
        for u, v in zip(path[:-1], path[1:]):
            geometry, data = self._edge_geometry(u, v, graph)
            if geometry.geom_type != "LineString" or geometry.length == 0:
                continue   # two stops joining one road at one point: no road between them
            parts.append({"kind": "road", "road_id": self.roads.loc[data["row"], "road_id"], "km": data["km"],
                          "minutes": data["minutes"], "geometry": geometry})
        return parts

    def _leg_graph(self, a: Waypoint, b: Waypoint) -> tuple[nx.Graph, Hashable, Hashable, list[dict], list[dict]]:
        graph = self.graph.copy()
        start, before = self._attach(graph, a, 0)
        end, after = self._attach(graph, b, 1)
        joined = [graph.nodes[n] for n in (start, end) if isinstance(n, tuple)]
        if len(joined) == 2 and joined[0]["row"] == joined[1]["row"]:
            # both on one road: the stretch between them, not a detour through its ends
            road = self.roads.loc[joined[0]["row"]]
            f0, f1 = joined[0]["fraction"], joined[1]["fraction"]
            lo, hi = sorted((f0, f1))
            graph.add_edge(start, end, minutes=float(road["duration_min"]) * (hi - lo),
                           km=float(road["length_km"]) * (hi - lo), row=joined[0]["row"],
                           geometry=substring(road.geometry, lo, hi, normalized=True), start=start if f0 <= f1 else end)
        after = [{**c, "geometry": LineString(c["geometry"].coords[::-1])} for c in after]
        return graph, start, end, before, after

    def route(self, waypoints: list[Waypoint], alternatives: int = 0, max_shared: float = MAX_SHARED) -> list[Route]:
        """The fastest route through ``waypoints`` in order, then up to ``alternatives`` others.

        Alternatives pass the same stops: each takes, on one leg, one of that leg's next fastest
        simple paths (the other legs stay the fastest), from the least extra time up to
        :data:`MAX_DETOUR` times the fastest's, and is kept when at most ``max_shared`` of its
        length runs within :data:`SAME_ROAD_M` of a route already kept, so each is a different
        way, not the same road with a detour (nor the same road drawn twice in the layer).

        Returns
        -------
        list of Route
            The fastest first.
        """
        if len(waypoints) < 2:
            raise SpecError("a route needs at least an origin and a destination (--from and --to)")
        for a, b in zip(waypoints[:-1], waypoints[1:]):
            if (a.lon, a.lat) == (b.lon, b.lat):
                raise SpecError(f"{a.query!r} and {b.query!r} are the same place ({a.lat:.4f},{a.lon:.4f}); a route "
                                "needs two different places in a row")
        legs = []
        for a, b in zip(waypoints[:-1], waypoints[1:]):
            graph, start, end, before, after = self._leg_graph(a, b)
            try:
                paths = nx.shortest_simple_paths(graph, start, end, weight="minutes")
                first = next(paths)
            except nx.NetworkXNoPath:
                raise SpecError(f"no road joins {a.query!r} to {b.query!r} in the road layer; add a --via on "
                                "a connected road or give the route as a GPX or GeoJSON track") from None
            legs.append((graph, before, after, first, paths))
        fastest = [leg[3] for leg in legs]
        routes = [Route(self._frame(self._whole(legs, fastest)), list(waypoints), "fastest")]
        if alternatives:
            # Other ways: one leg at a time takes one of its next fastest paths (the others stay the
            # fastest), tried from the least extra time up.
            leg_minutes = [self._minutes(graph, path) for (graph, *_), path in zip(legs, fastest)]
            candidates = sorted(((self._minutes(graph, path) - leg_minutes[k], k, n, path)
                                 for k, (graph, _, _, _, paths) in enumerate(legs)
                                 for n, path in enumerate(islice(paths, CANDIDATE_PATHS))), key=lambda c: (c[0], c[1], c[2]))
            kept = [self._metric_line(self._whole(legs, fastest)).buffer(SAME_ROAD_M)]
            longest = (MAX_DETOUR - 1) * routes[0].minutes   # extra time past which a way is no alternative
            for extra, k, _, path in candidates:
                if extra > longest:
                    break
                chosen = [path if j == k else fastest[j] for j in range(len(legs))]
                parts = self._whole(legs, chosen)
                # shared measured on the ground, not by link: the road layer has links drawn twice
                # under other node ids, which a comparison of links takes for another road; and a
                # leg that drives a road out and back (on its two drawings) is no alternative
                leg = gpd.GeoSeries([p["geometry"] for p in parts if p["leg"] == k], crs="EPSG:4326").to_crs(self.crs)
                if leg.union_all().length < (1 - RETRACED) * leg.length.sum():
                    continue
                line = self._metric_line(parts)
                if all(line.intersection(other).length <= max_shared * line.length for other in kept):
                    kept.append(line.buffer(SAME_ROAD_M))
                    routes.append(Route(self._frame(parts), list(waypoints), f"alternative {len(routes)}"))
                if len(routes) > alternatives:
                    break
        return routes

    def _whole(self, legs: list, paths: list) -> list[dict]:
        """The parts of a route made of one path per leg, connectors included."""
        parts = []
        for k, ((graph, before, after, _, _), path) in enumerate(zip(legs, paths)):
            parts += [{**p, "leg": k} for p in before + self._parts(graph, path) + after]
        return parts

    @staticmethod
    def _minutes(graph: nx.Graph, path: list) -> float:
        return sum(graph.edges[e]["minutes"] for e in zip(path[:-1], path[1:]))

    def _metric_line(self, parts: list[dict]) -> BaseGeometry:
        """A route's parts as one geometry in the network's metric CRS."""
        return gpd.GeoSeries([p["geometry"] for p in parts], crs="EPSG:4326").to_crs(self.crs).union_all()

    @staticmethod
    def _frame(parts: list[dict]) -> gpd.GeoDataFrame:
        frame = gpd.GeoDataFrame(pd.DataFrame(parts), geometry="geometry", crs="EPSG:4326")
        frame["km"] = frame["km"].astype(float)
        frame["minutes"] = frame["minutes"].astype(float)
        return frame


def track_route(line: LineString, speed_kmh: float, name: str = "track") -> Route:
    """A route as recorded (a GPX or GeoJSON line), cleaned of its repeated points, stops and
    jitter (:func:`sahelrisk.routes.tracks.clean_track`) and timed at ``speed_kmh``."""
    cleaned = clean_track(line)
    line = cleaned.line
    km = gpd.GeoSeries([line], crs="EPSG:4326").to_crs(metric_crs_for(line)).length.iloc[0] / 1000
    frame = gpd.GeoDataFrame({"kind": ["track"], "road_id": [None], "km": [km], "minutes": [km / speed_kmh * 60],
                              "leg": [0]}, geometry=[line], crs="EPSG:4326")
    first, last = line.coords[0], line.coords[-1]
    return Route(frame, [Waypoint(name, "start", first[0], first[1]), Waypoint(name, "end", last[0], last[1])], name,
                 cleaned.stops)

