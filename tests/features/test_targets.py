"""The target every metric rests on, on a hand-built event table: which weeks count, exactly."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
import shapely

from sahelrisk.calendar import last_full_week
from sahelrisk.features.targets import build_targets, last_observed_origin
from sahelrisk.units import UNIT_COLUMNS, Units

T = pd.Timestamp("2023-01-02")  # the forecast week t (a Monday)


def _units() -> Units:
    table = gpd.GeoDataFrame({
        "unit_id": [1, 2], "country_iso3": "MLI", "adm1_pcode": None, "adm1_name": None, "adm2_pcode": None,
        "adm2_name": None, "centroid_lon": [0.5, 1.5], "centroid_lat": [0.5, 0.5], "area_km2": 1.0,
    }, geometry=[shapely.box(0, 0, 1, 1), shapely.box(1, 0, 2, 1)], crs="EPSG:4326")
    return Units(kind="adm2", table=table[UNIT_COLUMNS])


def _events(weeks_after_t: list[int], deaths: list[int], lon: float = 0.5) -> pd.DataFrame:
    # Wednesdays of the weeks t+k, in unit 1 (lon 0.5) unless told otherwise.
    dates = [T + pd.Timedelta(weeks=k, days=2) for k in weeks_after_t]
    n = len(dates)
    return gpd.GeoDataFrame({
        "event_id": [f"e{i}" for i in range(n)], "source": "ucdp_ged", "release": "test", "date_start": dates,
        "date_end": dates, "date_precision": 1, "latitude": 0.5, "longitude": lon, "geo_precision": 1,
        "has_location": True, "country_iso3": "MLI", "violence_type": "one_sided",
        "fatalities_best": np.asarray(deaths, dtype=float),
    }, geometry=gpd.points_from_xy([lon] * n, [0.5] * n), crs="EPSG:4326")


def _targets(events, horizons=(1, 4, 12), data_end="2023-12-31"):
    out = build_targets(events, _units(), T, T + pd.Timedelta(weeks=20), horizons=horizons, data_end=data_end)
    return out[out["unit_id"] == 1].set_index("week")


@pytest.mark.parametrize("h", [1, 4, 12])
def test_window_is_weeks_t_plus_1_to_t_plus_h(h):
    # an event in week t itself and one in week t+h+1 fall outside; t+1 and t+h inside
    for k, expected in ((0, 0), (1, 1), (h, 1), (h + 1, 0)):
        got = _targets(_events([k], [3]), horizons=(h,)).loc[T, f"target_any_fatal_{h}w"]
        assert got == expected, f"event in week t+{k}, horizon {h}: {got}"


def test_counts_sum_the_window_and_zero_deaths_is_no_fatal_event():
    t = _targets(_events([1, 2, 4, 5], [2, 0, 7, 100]))
    assert t.loc[T, "target_fatalities_4w"] == 9          # weeks t+1..t+4: 2 + 0 + 7
    assert t.loc[T, "target_any_fatal_1w"] == 1
    later = _targets(_events([2], [0]))
    assert later.loc[T, "target_any_fatal_4w"] == 0 and later.loc[T, "target_fatalities_4w"] == 0


def test_civilian_target_counts_one_sided_violence_only():
    events = _events([1], [5]).assign(violence_type="state_based")
    t = _targets(events)
    assert t.loc[T, "target_any_fatal_4w"] == 1 and t.loc[T, "target_civilian_4w"] == 0


def test_events_in_another_unit_do_not_count():
    assert _targets(_events([1], [5], lon=1.5)).loc[T, "target_any_fatal_4w"] == 0


def test_windows_past_the_data_end_are_nan_not_zero():
    data_end = pd.Timestamp("2023-02-05")                  # a Sunday: the last full week is 2023-01-30
    t = _targets(_events([1], [5]), horizons=(4,), data_end=data_end)
    last = last_observed_origin(data_end, 4)
    assert last == pd.Timestamp("2023-01-02") and last_full_week(data_end) == pd.Timestamp("2023-01-30")
    assert t.loc[last, "target_any_fatal_4w"] == 1
    assert np.isnan(t.loc[last + pd.Timedelta(weeks=1), "target_any_fatal_4w"])
    assert t.loc[t.index > last, "target_fatalities_4w"].isna().all()
