"""A route split by cell, on a hand-made line whose lengths are known; sites and their surroundings."""

import math

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from sahelrisk.errors import DataGapError
from sahelrisk.routes.network import track_route
from sahelrisk.routes.risk import (
    assess_routes,
    route_segments,
    route_summary,
    site_risk,
)

WEEK = pd.Timestamp("2023-12-25")
KM_PER_DEGREE = 111.32 * math.cos(math.radians(14.25))     # along the parallel at 14.25 N


def _cells():
    return gpd.GeoDataFrame({
        "unit_id": [1, 2, 3], "adm2_name": ["Ségou", "Niono", "Macina"], "country_iso3": "MLI",
        "probability": [0.05, 0.4, 0.2], "risk_tier": ["elevated", "very high", "high"]},
        geometry=[box(-6 + 0.5 * i, 14, -5.5 + 0.5 * i, 14.5) for i in range(3)], crs="EPSG:4326")


def _events():
    return pd.DataFrame({
        "has_location": True, "fatalities_best": [3.0, 10.0, 1.0, 2.0],
        "latitude": [14.28, 14.25, 14.55, 14.22],         # 3 km off the road; on it; 33 km off; on it
        "longitude": [-5.2, -5.3, -5.2, -4.8],
        "date_start": pd.to_datetime(["2023-12-20", "2023-06-01", "2023-12-20", "2021-01-01"])})


def test_the_route_is_split_by_cell_with_known_lengths_and_times():
    route = track_route(LineString([(-5.9, 14.25), (-4.6, 14.25)]), speed_kmh=60)
    segments = route_segments(route, _cells(), _events(), WEEK, buffer_km=10)
    assert list(segments["unit_id"]) == [1, 2, 3] and list(segments["segment"]) == [1, 2, 3]
    assert segments["km"].to_numpy() == pytest.approx(np.array([0.4, 0.5, 0.4]) * KM_PER_DEGREE, rel=2e-3)
    assert segments["minutes"].to_numpy() == pytest.approx(segments["km"].to_numpy(), rel=1e-9)   # 60 km/h
    assert segments["from_km"].to_numpy() == pytest.approx(np.array([0, 0.4, 0.9]) * KM_PER_DEGREE, rel=2e-3)
    # within 10 km of the second stretch: the 3 km-off event of the last 4 weeks, and the June one in 52 weeks
    assert list(segments["events_4w"]) == [0, 1, 0] and list(segments["events_52w"]) == [0, 2, 0]
    assert list(segments["deaths_52w"]) == [0, 13, 0]                      # the 2021 event is too old


def test_the_route_probability_counts_each_cell_for_the_share_its_corridor_covers():
    route = track_route(LineString([(-5.9, 14.25), (-4.6, 14.25)]), speed_kmh=60)
    cells = _cells()
    segments = route_segments(route, cells, _events(), WEEK, buffer_km=10)
    summary = route_summary(route, segments, cells, buffer_km=10)
    corridor = gpd.GeoSeries([route.line()], crs="EPSG:4326").to_crs("+proj=aeqd +lat_0=14.25 +lon_0=-5.25").buffer(10_000)
    squares = cells.geometry.to_crs(corridor.crs)
    share = np.array([corridor.iloc[0].intersection(c).area / c.area for c in squares])
    expected = 1 - np.prod((1 - cells["probability"].to_numpy()) ** share)
    assert summary["probability"] == pytest.approx(expected, rel=1e-3)
    assert summary["probability_independent"] == pytest.approx(1 - 0.95 * 0.6 * 0.8)
    assert summary["probability"] < summary["probability_independent"]
    hours = segments["minutes"].to_numpy() / 60
    assert summary["exposure"] == pytest.approx(float((cells["probability"].to_numpy() * hours).sum()))
    assert summary["risk_per_hour"] == pytest.approx(summary["exposure"] / hours.sum())
    assert summary["riskiest"] == [2, 3, 1]


def test_alternatives_are_ranked_by_risk_and_by_time():
    slow_safe = track_route(LineString([(-5.9, 14.05), (-5.4, 14.05)]), speed_kmh=20, name="slow")
    fast_risky = track_route(LineString([(-5.4, 14.25), (-4.9, 14.25)]), speed_kmh=80, name="fast")
    frame = assess_routes([fast_risky, slow_safe], _cells(), _events(), WEEK)
    ranks = {s["route"]: (s["rank_by_risk"], s["rank_by_time"], s["extra_hours"]) for s in frame.attrs["routes"]}
    assert ranks["slow"][:2] == (1, 2) and ranks["fast"][:2] == (2, 1) and ranks["slow"][2] > 0
    assert set(frame["route"]) == {"slow", "fast"}


def test_a_route_outside_the_scored_countries_is_a_clear_error():
    route = track_route(LineString([(10, 5), (11, 5)]), speed_kmh=50, name="elsewhere")
    segments = route_segments(route, _cells(), _events(), WEEK)
    assert segments["probability"].isna().all()
    with pytest.raises(DataGapError, match="route 'elsewhere' runs outside the scored countries \\(MLI\\)"):
        route_summary(route, segments, _cells())


def test_sites_get_their_cell_their_surroundings_and_a_rank():
    sites = gpd.GeoDataFrame({"site_id": ["a", "b", "c"], "name": ["<b>mine</b>", "Kalana", "far"]},
                             geometry=[Point(-5.25, 14.25), Point(-5.75, 14.25), Point(20, 5)], crs="EPSG:4326")
    scored = site_risk(sites, _cells(), _events(), WEEK, radius_km=10)
    by = scored.set_index("site_id")
    assert by.loc["a", "unit_id"] == 2 and by.loc["a", "probability_cell"] == pytest.approx(0.4)
    assert 0 < by.loc["b", "probability"] < by.loc["a", "probability"] < 0.4   # a 10 km disc is a part of a cell
    assert by.loc["a", "rank"] == 1 and by.loc["b", "rank"] == 2
    assert pd.isna(by.loc["c", "probability"]) and pd.isna(by.loc["c", "rank"])      # outside: kept, unscored
    assert by.loc["a", "events_4w"] == 1 and by.loc["b", "events_4w"] == 0
    assert by.loc["a", "name"] == "<b>mine</b>"                               # kept as data; escaped where shown


@pytest.mark.parametrize("where", [Point(-5.5, 14.25), Point(-5.5, 14.5), Point(-6.0, 14.0)])
def test_a_site_exactly_on_a_cell_edge_or_corner_gets_a_cell(where):
    sites = gpd.GeoDataFrame({"site_id": ["edge"], "name": ["on the line"]}, geometry=[where], crs="EPSG:4326")
    scored = site_risk(sites, _cells(), _events(), WEEK, radius_km=10)
    assert scored["unit_id"].notna().all() and scored["probability_cell"].notna().all()


def test_routes_sites_and_the_map_count_the_same_28_days_of_recent_events():
    from sahelrisk.publishing.outputs import _recent_events
    from sahelrisk.routes.risk import events_near

    # 29 days before the week's Sunday is out; 28 days before, and the Sunday itself, are in
    days = pd.to_datetime(["2023-12-03", "2023-12-04", "2023-12-31"])
    events = pd.DataFrame({"has_location": True, "fatalities_best": 1.0, "latitude": 14.25, "longitude": -5.3,
                           "date_start": days, "country_iso3": "MLI"})
    site = gpd.GeoSeries([Point(-5.3, 14.25)], crs="EPSG:4326").to_crs("EPSG:32630")
    near = events_near(site, events, WEEK, 5_000, "EPSG:32630")
    on_map = _recent_events(events, WEEK, ["MLI"])
    assert near["events_4w"].iloc[0] == len(on_map) == 2
    assert on_map["date_start"].min() == pd.Timestamp("2023-12-04")


def _walks_forward(line: LineString, along: LineString, tolerance_m: float = 50.0) -> bool:
    """Every vertex of ``line`` is no further back along ``along`` than the one before it."""
    crs = "+proj=aeqd +lat_0=14.25 +lon_0=-5.25"
    line_m, along_m = (gpd.GeoSeries([g], crs="EPSG:4326").to_crs(crs).iloc[0] for g in (line, along))
    positions = [along_m.project(Point(xy)) for xy in line_m.coords]
    return all(b >= a - tolerance_m for a, b in zip(positions[:-1], positions[1:]))


def test_a_route_back_and_forth_across_cells_is_joined_in_travel_order():
    from sahelrisk.routes.risk import route_line

    # east through three cells, back west into the second, then north: each cell met more than once
    zigzag = LineString([(-5.9, 14.1), (-4.6, 14.1), (-5.3, 14.2), (-5.3, 14.45), (-5.8, 14.45)])
    route = track_route(zigzag, speed_kmh=60)
    frame = assess_routes([route], _cells(), _events(), WEEK)
    joined = route_line(frame, route.label)
    assert _walks_forward(joined, route.line())
    km = gpd.GeoSeries([joined], crs="EPSG:4326").to_crs("+proj=aeqd +lat_0=14.25 +lon_0=-5.25").length.iloc[0] / 1000
    assert km == pytest.approx(frame["km"].sum(), rel=0.01) and km == pytest.approx(route.km, rel=0.01)
    assert list(frame["from_km"]) == sorted(frame["from_km"])
    for geometry in frame.geometry:                            # each stretch is one line, drawn the way of travel
        assert geometry.geom_type == "LineString" and _walks_forward(geometry, route.line())


def test_events_along_are_the_deadly_ones_in_the_order_the_route_meets_them():
    from sahelrisk.routes.risk import events_along

    events = pd.concat([_events(), pd.DataFrame({
        "has_location": True, "fatalities_best": [0.0, 4.0], "latitude": [14.25, 14.26], "longitude": [-5.6, -5.8],
        "date_start": pd.to_datetime(["2023-12-01", "2023-11-01"])})], ignore_index=True)
    found = events_along(LineString([(-5.9, 14.25), (-4.6, 14.25)]), events, WEEK, buffer_km=10)
    assert (found["fatalities_best"] > 0).all()                  # the event without a death is left out
    assert list(found["longitude"]) == [-5.8, -5.3, -5.2]        # west to east, as the route goes; 2021 too old
    assert found["km_along"].is_monotonic_increasing and found["km_off"].iloc[2] == pytest.approx(3.3, abs=0.1)


def test_a_route_mostly_outside_the_scored_countries_is_refused_with_the_numbers():
    route = track_route(LineString([(-5.9, 14.25), (-4.6, 14.25), (-1.0, 14.25)]), speed_kmh=60, name="east")
    segments = route_segments(route, _cells(), _events(), WEEK)
    with pytest.raises(DataGapError, match=r"route 'east' runs mostly outside the scored countries \(MLI\): 37\d of "
                                           r"its 5\d\d km are not scored"):
        route_summary(route, segments, _cells())
    partly = track_route(LineString([(-5.9, 14.25), (-4.6, 14.25), (-4.0, 14.25)]), speed_kmh=60, name="partly")
    summary = route_summary(partly, route_segments(partly, _cells(), _events(), WEEK), _cells())
    assert summary["km_outside"] == pytest.approx(0.5 * KM_PER_DEGREE, rel=0.01)     # east of the cells, -4.5
