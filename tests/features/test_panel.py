"""The panel on real data: hand-checked cells against a slow plain-geopandas reference, and I/O."""

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest
from shapely.geometry import Point, box

from sahelrisk.calendar import week_of
from sahelrisk.errors import SpecError
from sahelrisk.features.panel import compute_panel, read_panel, save_panel
from sahelrisk.features.spec import load_spec

DIST = "ESRI:102023"
CASES = [(150829, "2023-12-25"), (150829, "2022-06-27"), (151557, "2022-12-26"), (151557, "2023-03-27")]


@pytest.fixture(scope="module")
def panel(default_spec, real_inputs, real_grid):
    return compute_panel(default_spec.with_period("2022-01-03", "2023-12-25"), real_inputs, units=real_grid)


def _reference(inputs, grid, unit_id, week):
    """The same numbers the slow way: shapely predicates and GeoSeries.distance per cell."""
    week = pd.Timestamp(week)
    cell = grid.table.set_index("unit_id").loc[unit_id]
    res = 0.5
    x0, y0 = cell["centroid_lon"] - res / 2, cell["centroid_lat"] - res / 2
    ev = inputs.events
    ev = ev[ev["has_location"] & (ev["geo_precision"] <= 3)]
    weeks = week_of(ev["date_start"])
    last52 = ev[(weeks > week - pd.Timedelta(weeks=52)) & (weeks <= week)]
    # half-open cells, as in PRIO-GRID: west and south edges belong to the cell
    inside = (last52["longitude"] >= x0) & (last52["longitude"] < x0 + res) & (last52["latitude"] >= y0) & (
        last52["latitude"] < y0 + res)
    ring = box(x0 - res, y0 - res, x0 + 2 * res, y0 + 2 * res).difference(box(x0, y0, x0 + res, y0 + res))
    in_ring = last52.intersects(ring) & ~inside
    centre = gpd.GeoSeries([Point(cell["centroid_lon"], cell["centroid_lat"])], crs="EPSG:4326").to_crs(DIST).iloc[0]
    d50 = last52.to_crs(DIST).distance(centre) <= 50_000
    layers = inputs.layers
    roads = layers["roads"].to_crs(DIST)
    road_dist = roads.distance(centre)
    gold = layers["mining_sites"][layers["mining_sites"]["is_gold"]].to_crs(DIST)
    gold_sites = layers["mining_sites"][layers["mining_sites"]["is_gold"]
                                        & layers["mining_sites"]["site_kind"].isin(["exploration", "deposit"])]
    towns = layers["places"][layers["places"]["place_kind"].isin(["town", "city"])
                             & (layers["places"]["population"] >= 10000)].to_crs(DIST)
    return {
        "conflict_events_52w": inside.sum(),
        "conflict_fatalities_52w": last52.loc[inside, "fatalities_best"].sum(),
        "conflict_events_queen_52w": in_ring.sum(),
        "conflict_fatalities_queen_52w": last52.loc[in_ring, "fatalities_best"].sum(),
        "conflict_events_r50km_52w": d50.sum(),
        "conflict_fatalities_r50km_52w": last52.loc[d50, "fatalities_best"].sum(),
        "roads_distance_km": road_dist.min() / 1000,
        "roads_nearest_importance": roads["importance"].iloc[int(np.argmin(road_dist.to_numpy()))],
        "mining_gold_distance_km": gold.distance(centre).min() / 1000,
        "mining_gold_sites_r50km": (gold_sites.to_crs(DIST).distance(centre) <= 50_000).sum(),
        "static_town_distance_km": towns.distance(centre).min() / 1000,
    }


@pytest.mark.slow
@pytest.mark.parametrize("unit_id, week", CASES)
def test_named_cells_match_a_slow_reference(panel, real_inputs, real_grid, unit_id, week):
    row = panel[(panel["unit_id"] == unit_id) & (panel["week"] == pd.Timestamp(week))].iloc[0]
    expected = _reference(real_inputs, real_grid, unit_id, week)
    for name, value in expected.items():
        assert row[name] == pytest.approx(value, rel=1e-4, abs=1e-3), name
    assert expected["conflict_events_r50km_52w"] > 0  # the cases are chosen to have nearby attacks


def test_niono_and_boni_cells_are_where_expected(real_grid):
    table = real_grid.table.set_index("unit_id")
    assert table.loc[150829, "adm2_name"] == "Niono"
    assert table.loc[151557, "adm1_name"] == "Mopti"  # Boni, Douentza cercle


def test_save_and_read_keep_values_and_metadata(tmp_path, panel):
    small = panel[panel["week"] >= "2023-12-01"].reset_index(drop=True)
    small.attrs = panel.attrs
    path = save_panel(small, tmp_path / "p.parquet")
    back = read_panel(path)
    pd.testing.assert_frame_equal(back, small, check_dtype=False)
    meta = back.attrs["sahelrisk"]
    assert meta["spec"]["name"] == "default" and meta["data_fingerprint"] == panel.attrs["sahelrisk"]["data_fingerprint"]
    assert meta["columns"]["conflict_events_4w"]["dtype"] == "float32"
    assert [p.name for p in tmp_path.iterdir()] == ["p.parquet"]


def test_spec_errors_name_the_field(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text('[units]\nkind = "hexagons"\ncountries = ["MLI"]\n[period]\nstart = "2020-01-01"\nend = "2021-01-01"\n'
                    '[builders.conflict]\n')
    with pytest.raises(SpecError, match=r"\[units\]: kind = 'hexagons' is invalid: input should be 'grid', 'adm1' or 'adm2'"):
        load_spec(path)
    path.write_text('[units]\nkind = "grid"\nresolution = 0.5\ncountries = ["MLI"]\n[period]\nstart = "2020-01-01"\n'
                    'end = "2021-01-01"\n[builders.conflict]\nwindows = [4, -1]\n')
    with pytest.raises(SpecError, match=r"\[builders.conflict\]: windows\[1\] = -1 is invalid: input should be greater than 0"):
        load_spec(path)
    path.write_text(path.read_text().replace("windows = [4, -1]", "windws = [4]"))
    with pytest.raises(SpecError, match=r"\[builders.conflict\]: unknown key 'windws'; did you mean 'windows'\?"):
        load_spec(path)
    path.write_text('[units]\nkind = "grid"\nresolution = 0.5\ncountries = ["MLI"]\n[period]\nend = "2020-01-06"\n'
                    '[builders.conflict]\n')
    with pytest.raises(SpecError, match=r"\[period\]: 'start' is missing"):
        load_spec(path)
