"""The space-time intensity: kernel weights, half-life decay and nearest-event distances by hand."""

from dataclasses import replace

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from sahelrisk.errors import SpecError
from sahelrisk.features.panel import build_units, compute_panel

from .world import synthetic_inputs, synthetic_spec

WEEK = pd.Timestamp("2021-03-01")
COLUMNS = ["intensity_k50km_hl8w", "intensity_nearest_fatal_km_4w"]


@pytest.fixture(scope="module")
def world():
    inputs = synthetic_inputs()
    lon, lat = np.array([-5.25, -4.25, -5.75]), np.array([15.25, 14.25, 14.25])
    # a fatal event at a cell centre, one without deaths and one too coarse: only the first counts
    events = inputs.events.iloc[:3].copy().assign(
        longitude=lon, latitude=lat, fatalities_best=[5.0, 0.0, 9.0], geo_precision=[1, 1, 6],
        date_start=WEEK + pd.Timedelta(days=2), date_end=WEEK + pd.Timedelta(days=2))
    events = events.set_geometry(gpd.points_from_xy(lon, lat, crs="EPSG:4326"))
    inputs = replace(inputs, events=events)
    spec = synthetic_spec(builders={"intensity": {"bandwidths_km": [50], "half_lives": [8], "nearest_windows": [4]}})
    units = build_units(spec, inputs)
    panel = compute_panel(spec, inputs, units=units).set_index(["unit_id", "week"])
    return units, panel


def _home(units) -> int:
    """The cell whose centre holds the fatal event."""
    b = units.table.geometry.bounds
    return int(np.argmin(np.abs((b.minx + b.maxx) / 2 + 5.25) + np.abs((b.miny + b.maxy) / 2 - 15.25)))


def _at(panel, unit, weeks_after):
    return panel.loc[(unit, WEEK + pd.Timedelta(weeks=weeks_after)), COLUMNS].to_numpy(dtype=float)


def test_kernel_weight_decays_with_distance_and_half_life(world):
    units, panel = world
    xy = units.centroids_xy()
    home = _home(units)
    ids = units.ids
    event_xy = xy[home]  # the event sits at the centre of its cell
    intensity, _ = _at(panel, ids[home], 0)
    assert intensity == pytest.approx(1.0, abs=1e-3)
    assert _at(panel, ids[home], 8)[0] == pytest.approx(0.5, abs=1e-3)
    assert _at(panel, ids[home], -1)[0] == 0.0
    for other in range(len(ids)):
        d_km = np.hypot(*(xy[other] - event_xy)) / 1000.0
        expected = np.exp(-0.5 * (d_km / 50.0) ** 2) if d_km <= 150 else 0.0
        assert _at(panel, ids[other], 0)[0] == pytest.approx(expected, abs=1e-3), ids[other]


def test_nearest_fatal_event_distance_uses_the_window_only(world):
    units, panel = world
    xy = units.centroids_xy()
    home = _home(units)
    far = int(np.argmax(np.hypot(*(xy - xy[home]).T)))
    assert _at(panel, units.ids[home], 0)[1] == pytest.approx(0.0, abs=2.0)
    assert _at(panel, units.ids[home], 3)[1] == pytest.approx(0.0, abs=2.0)
    assert _at(panel, units.ids[home], 4)[1] == 1000.0       # the event has left the 4-week window
    assert _at(panel, units.ids[home], -1)[1] == 1000.0      # and was not known before its week
    assert _at(panel, units.ids[far], 0)[1] == pytest.approx(np.hypot(*(xy[far] - xy[home])) / 1000.0, rel=1e-3)


def test_a_bad_cap_is_a_config_error(world):
    inputs = synthetic_inputs()
    spec = synthetic_spec(builders={"intensity": {"nearest_cap_km": -5}})
    with pytest.raises(SpecError, match="nearest_cap_km"):
        compute_panel(spec, inputs)
