"""Zone risk (road corridors, site surroundings) from cells, and its backtest rows."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import box

from sahelrisk.evaluation.zones import share_score, zone_rows, zone_weights
from sahelrisk.units import Units


def _cells():
    return gpd.GeoSeries([box(0, 14, 0.5, 14.5), box(0.5, 14, 1, 14.5)], crs="EPSG:4326")


def test_a_zone_weighs_each_cell_by_the_share_of_its_area_covered():
    zones = gpd.GeoSeries([box(0.25, 14, 0.75, 14.5), box(0, 14, 0.5, 14.5), box(5, 5, 6, 6)], crs="EPSG:4326")
    weights = zone_weights(zones, _cells()).toarray()
    assert weights[0] == pytest.approx([0.5, 0.5], abs=2e-3) and weights[1] == pytest.approx([1, 0], abs=1e-9)
    assert weights[2].sum() == 0


def test_the_share_score_is_the_poisson_share_of_each_cell():
    weights = zone_weights(gpd.GeoSeries([box(0.25, 14, 0.75, 14.5)], crs="EPSG:4326"), _cells())
    p = np.array([0.4, 0.2])
    expected = 1 - np.sqrt(0.6) * np.sqrt(0.8)     # half of each cell: (1 - p) ** 0.5 each
    assert share_score(weights, p)[0] == pytest.approx(expected, rel=1e-3)
    whole = zone_weights(gpd.GeoSeries([box(0, 14, 1, 14.5)], crs="EPSG:4326"), _cells())
    assert share_score(whole, p)[0] == pytest.approx(1 - 0.6 * 0.8, rel=1e-3)   # whole cells: at least one in either


def test_zone_rows_score_each_week_and_mark_what_happened_next():
    table = gpd.GeoDataFrame({"unit_id": [10, 11], "country_iso3": "MLI", "adm1_pcode": "ML04", "adm1_name": "Ségou",
                              "adm2_pcode": "ML0401", "adm2_name": "Niono", "centroid_lon": [0.25, 0.75],
                              "centroid_lat": 14.25, "area_km2": 3000.0}, geometry=_cells().to_numpy(), crs="EPSG:4326")
    units = Units(kind="grid", table=table, resolution=0.5)
    weeks = pd.date_range("2023-01-02", periods=6, freq="7D")
    preds = pd.DataFrame({"unit_id": np.repeat([10, 11], 6), "week": np.tile(weeks, 2), "fold": 0,
                          "p_model": np.r_[np.full(6, 0.4), np.full(6, 0.2)]})
    zones = gpd.GeoDataFrame({"zone_id": ["road"]}, geometry=[box(0.25, 14, 0.75, 14.5)], crs="EPSG:4326")
    events = pd.DataFrame({"has_location": True, "fatalities_best": [2.0, 0.0], "latitude": [14.2, 14.2],
                           "longitude": [0.3, 0.6], "date_start": pd.to_datetime(["2023-01-25", "2023-01-11"])})
    rows = zone_rows(preds, "model", units, zones, events, target="target_any_fatal_2w", horizon_weeks=2,
                     data_end="2023-03-31")
    assert rows["p_share"].to_numpy() == pytest.approx(np.full(6, 1 - np.sqrt(0.6 * 0.8)), rel=1e-3)
    # the fatal event in the week of 2023-01-23 (a 0-death one does not count) is ahead of 01-09 and 01-16
    assert rows["target_any_fatal_2w"].tolist() == [0, 1, 1, 0, 0, 0]
    # the baseline knows only the past: it rises the week the event happened
    assert rows["p_decay"].tolist()[:3] == [0, 0, 0] and rows["p_decay"].iloc[3] > 0
