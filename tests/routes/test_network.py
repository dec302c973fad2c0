"""Routing on a small hand-made network whose shortest paths are known."""

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString

from sahelrisk.errors import SpecError
from sahelrisk.routes.network import OFF_ROAD_KMH, RoadNetwork, track_route
from sahelrisk.routes.places import Waypoint

# A -(60)- B -(60)- D: 120 min, the fastest; A -(50)- C -(80)- D: 130; A -(200)- D: 200.
NODES = {0: (-6.0, 14.0), 1: (-5.5, 14.3), 2: (-5.5, 13.7), 3: (-5.0, 14.0), 9: (-2.0, 12.0), 10: (-1.5, 12.0)}
LINKS = [(0, 1, 60), (1, 3, 60), (0, 2, 50), (2, 3, 80), (0, 3, 200), (9, 10, 30)]


def _roads():
    return gpd.GeoDataFrame({
        "road_id": [f"{u}-{v}" for u, v, _ in LINKS], "from_node": [u for u, _, _ in LINKS],
        "to_node": [v for _, v, _ in LINKS], "duration_min": [m for _, _, m in LINKS],
        "length_km": [m * 1.0 for _, _, m in LINKS]},
        geometry=[LineString([NODES[u], NODES[v]]) for u, v, _ in LINKS], crs="EPSG:4326")


def _at(node, name=None):
    lon, lat = NODES[node]
    return Waypoint(name or str(node), name or str(node), lon, lat)


@pytest.fixture(scope="module")
def network():
    return RoadNetwork(_roads())


def test_the_fastest_route_takes_the_shortest_travel_time(network):
    route = network.route([_at(0), _at(3)])[0]
    assert list(route.parts["road_id"]) == ["0-1", "1-3"] and route.minutes == pytest.approx(120)
    assert route.line().coords[0] == NODES[0] and route.line().coords[-1] == NODES[3]


def test_alternatives_are_the_next_shortest_different_paths_in_order(network):
    routes = network.route([_at(0), _at(3)], alternatives=2)
    assert [r.label for r in routes] == ["fastest", "alternative 1", "alternative 2"]
    assert [round(r.minutes) for r in routes] == [120, 130, 200]
    assert list(routes[1].parts["road_id"]) == ["0-2", "2-3"]


def test_alternatives_through_a_stop_still_pass_the_stop(network):
    routes = network.route([_at(0), _at(1), _at(3)], alternatives=1)
    assert [r.label for r in routes] == ["fastest", "alternative 1"]
    assert list(routes[0].parts["road_id"]) == ["0-1", "1-3"]
    # the first leg takes its next way (A-C-D-B, 190 min), the second stays B-D
    other = routes[1]
    assert list(other.parts["road_id"]) == ["0-2", "2-3", "1-3", "1-3"] and other.minutes == pytest.approx(250)
    first_leg = other.parts[other.parts["leg"] == 0]
    assert first_leg.geometry.iloc[-1].coords[-1] == NODES[1]


def test_a_stop_on_the_way_is_visited(network):
    route = network.route([_at(0), _at(2), _at(3)])[0]
    assert list(route.parts["road_id"]) == ["0-2", "2-3"] and route.minutes == pytest.approx(130)


def test_a_point_off_the_network_joins_its_nearest_road_by_a_marked_straight_connector(network):
    # 0.1 degree (about 9 km) north of the middle of A-B
    off = Waypoint("off", "off", -5.75, 14.25)
    route = network.route([off, _at(3)])[0]
    first = route.parts.iloc[0]
    assert first["kind"] == "connector" and pd.isna(first["road_id"])
    assert first["minutes"] == pytest.approx(first["km"] / OFF_ROAD_KMH * 60)
    assert 5 < first["km"] < 15
    # then the rest of A-B from the join (part of its 60 minutes, pro rata), not back to A, then B-D
    assert list(route.parts["road_id"].iloc[1:]) == ["0-1", "1-3"]
    assert 15 < route.parts.iloc[1]["minutes"] < 45 and route.parts.iloc[2]["minutes"] == pytest.approx(60)


def test_two_points_on_one_road_take_the_stretch_between_them(network):
    a, b = Waypoint("a", "a", -5.9, 14.06), Waypoint("b", "b", -5.6, 14.24)
    route = network.route([a, b])[0]
    assert list(route.parts["kind"]) == ["road"] and route.minutes == pytest.approx(36, abs=1)


def test_unreachable_places_and_misuse_are_clear_errors(network):
    with pytest.raises(SpecError, match="no road joins '0' to '9'"):
        network.route([_at(0), _at(9)])
    with pytest.raises(SpecError, match="at least an origin and a destination"):
        network.route([_at(0)])


def test_a_track_is_taken_as_recorded_and_timed_at_the_given_speed():
    route = track_route(LineString([(-6.0, 14.0), (-5.0, 14.0)]), speed_kmh=54)
    assert route.km == pytest.approx(108, rel=0.01)          # 1 degree of longitude at 14N
    assert route.minutes == pytest.approx(route.km / 54 * 60)


def test_a_route_from_a_place_to_itself_is_the_users_error_naming_both(network):
    with pytest.raises(SpecError, match="'Ségou' and '13.0,-6.0' are the same place"):
        network.route([Waypoint("Ségou", "Ségou", -6.0, 13.0), Waypoint("13.0,-6.0", "13.0,-6.0", -6.0, 13.0)])


def test_fewer_different_routes_than_asked_are_said_not_repeated():
    import numpy as np
    import pandas as pd
    from shapely.geometry import box

    from sahelrisk.publishing.summaries import route_notes
    from sahelrisk.routes.plan import plan_route

    cells = gpd.GeoDataFrame({"unit_id": [1, 2], "adm2_name": ["west", "east"], "country_iso3": "MLI",
                              "probability": [0.1, 0.3], "risk_tier": ["elevated", "high"]},
                             geometry=[box(-6.1, 13.6, -5.5, 14.4), box(-5.5, 13.6, -4.9, 14.4)], crs="EPSG:4326")
    events = pd.DataFrame({"has_location": True, "fatalities_best": [1.0], "latitude": [14.0], "longitude": [-5.5],
                           "date_start": pd.to_datetime(["2023-12-20"])})
    places = gpd.GeoDataFrame({"name": pd.Series(dtype=str)}, geometry=[], crs="EPSG:4326")
    stops = [f"{NODES[0][1]},{NODES[0][0]}", f"{NODES[3][1]},{NODES[3][0]}"]
    segments = plan_route(stops, "2023-12-25", cells, events, places, RoadNetwork(_roads()), ["MLI"], alternatives=3)
    labels = list(dict.fromkeys(segments["route"]))
    assert labels == ["fastest", "alternative 1", "alternative 2"]           # three ways exist, not four
    assert len({round(s["km"], 3) for s in segments.attrs["routes"]}) == 3    # and no two are the same road
    assert (segments.attrs["alternatives_asked"], segments.attrs["alternatives_found"]) == (3, 2)
    notes = route_notes(segments, lang="en")
    assert any(n.startswith("2 of the 3 alternatives asked for: no other road taking at most 2.5 times the fastest route's time shares less than 70%") for n in notes)
    assert np.isfinite([s["probability"] for s in segments.attrs["routes"]]).all()


def test_driving_a_road_out_and_back_on_its_two_drawings_is_no_alternative():
    # A-B is the road; A-E a spur; A' sits on A and A'-B is A-B drawn again under other node ids
    nodes = {0: (-6.0, 14.0), 1: (-5.0, 14.0), 4: (-6.0, 14.6), 5: (-6.0, 14.0)}
    links = [(0, 1, 60), (0, 4, 40), (4, 5, 40), (5, 1, 60)]
    roads = gpd.GeoDataFrame({
        "road_id": [f"{u}-{v}" for u, v, _ in links], "from_node": [u for u, _, _ in links],
        "to_node": [v for _, v, _ in links], "duration_min": [m for _, _, m in links],
        "length_km": [m * 1.0 for _, _, m in links]},
        geometry=[LineString([nodes[u], nodes[v]]) for u, v, _ in links], crs="EPSG:4326")
    a, b = (Waypoint(n, n, *nodes[k]) for n, k in (("A", 0), ("B", 1)))
    routes = RoadNetwork(roads).route([a, b], alternatives=1)
    assert [r.label for r in routes] == ["fastest"]     # A-E-A'-B shares under 70% by link, but retraces the spur


def test_two_places_joining_one_road_at_one_point_route_by_their_connectors_alone():
    # a road bent into a roof: both places sit above its ridge, so both join it at the ridge itself
    roads = gpd.GeoDataFrame({"road_id": ["roof"], "from_node": [1], "to_node": [2], "duration_min": [120.0],
                              "length_km": [150.0]},
                             geometry=[LineString([(-6.0, 14.0), (-5.5, 14.5), (-5.0, 14.0)])], crs="EPSG:4326")
    a, b = Waypoint("P", "P", -5.5, 14.8), Waypoint("Q", "Q", -5.5, 15.1)
    route = RoadNetwork(roads).route([a, b])[0]
    assert list(route.parts["kind"]) == ["connector", "connector"]
    assert all(g.geom_type == "LineString" and g.length > 0 for g in route.parts.geometry)
