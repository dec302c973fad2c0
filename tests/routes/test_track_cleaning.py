"""A recorded track is cleaned before it is scored: repeated points, stops and jitter go; stops are told."""

import numpy as np
import pytest
from shapely.geometry import LineString

from sahelrisk.errors import SpecError
from sahelrisk.routes.tracks import clean_track

# Ségou to Niono, roughly: 0.9 degrees of longitude and latitude, about 140 km
START, END = np.array([-6.27, 13.45]), np.array([-5.99, 14.25])
M_PER_DEG = 111_000.0


def _drive(seconds: int, rng, jitter_m: float = 5.0, stop_at: float | None = None, stop_s: int = 600):
    """A 1 Hz log along the straight line, with ``jitter_m`` of GPS noise and a halt of ``stop_s`` fixes."""
    share = np.linspace(0, 1, seconds)
    if stop_at is not None:
        share = np.insert(share, int(stop_at * seconds), np.full(stop_s, stop_at))
    points = START + np.outer(share, END - START)
    return points + rng.normal(0, jitter_m / M_PER_DEG, points.shape)


def _km(line):
    import geopandas as gpd

    from sahelrisk.geo import metric_crs_for
    return gpd.GeoSeries([line], crs="EPSG:4326").to_crs(metric_crs_for(line)).length.iloc[0] / 1000


def test_a_halt_at_a_checkpoint_is_one_stop_told_and_the_road_keeps_its_length():
    rng = np.random.default_rng(1)
    raw = LineString(_drive(10_000, rng, stop_at=0.4))          # 10,000 fixes, 600 of them standing still
    cleaned = clean_track(raw)
    straight = _km(LineString([START, END]))
    assert cleaned.points_in == 10_600 and cleaned.points_out < 400
    assert len(cleaned.stops) == 1 and cleaned.stops[0]["points"] >= 600
    where = np.array([cleaned.stops[0]["longitude"], cleaned.stops[0]["latitude"]])
    assert np.abs(where - (START + 0.4 * (END - START))).max() < 0.001   # within ~100 m of the halt
    assert abs(_km(cleaned.line) - straight) / straight < 0.02           # jitter gone: the road length, within 2%
    assert _km(raw) > 1.2 * straight                                     # the raw log is a third too long


def test_a_vehicle_that_never_moved_or_a_ten_metre_route_is_one_line_not_a_crash():
    rng = np.random.default_rng(2)
    standing = LineString(START + rng.normal(0, 5 / M_PER_DEG, (3_600, 2)))
    with pytest.raises(SpecError, match=r"the track is \d+ m long once its repeated points and stops are taken out"):
        clean_track(standing)
    with pytest.raises(SpecError, match="a route needs at least 100 m"):
        clean_track(LineString([START, START + 1e-5]))
