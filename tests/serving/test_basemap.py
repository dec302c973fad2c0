"""The maps' background: built from the data's layers, towns sized for their labels, rounded, and
versioned so that new data is a new address."""

import json

import geopandas as gpd
import pandas as pd
from shapely.geometry import LineString, Point, box

from sahelrisk.features.panel import PanelInputs
from sahelrisk.serving.basemap import LAYERS, build_basemap


def _inputs(niono_population=52_584):
    admin0 = gpd.GeoDataFrame({"country_iso3": ["MLI"], "name": ["Mali"]}, geometry=[box(-12, 10, 4, 25)], crs="EPSG:4326")
    admin1 = gpd.GeoDataFrame({"name": ["Ségou"], "country_iso3": ["MLI"]}, geometry=[box(-7, 12.5, -4, 15.5)],
                              crs="EPSG:4326")
    roads = gpd.GeoDataFrame({"road_id": ["r1"]}, geometry=[LineString([(-6.26, 13.44), (-5.99, 14.25123456)])],
                             crs="EPSG:4326")
    places = gpd.GeoDataFrame({
        "name": ["Ségou", "Segou", "Niono", "Sokolo"], "place_kind": ["town", "city", "town", "town"],
        "country_iso3": "MLI", "population": [205_787, 240_936, niono_population, 4_374]},
        geometry=[Point(-6.27, 13.45), Point(-6.25, 13.44), Point(-5.99, 14.25), Point(-6.12, 14.73)], crs="EPSG:4326")
    return PanelInputs(events=pd.DataFrame(), layers={"admin0": admin0, "admin1": admin1, "admin2": admin1.iloc[:0],
                                                      "roads": roads, "places": places},
                       as_of=pd.Timestamp("2023-12-31").date(), fingerprint="x")


def test_every_layer_is_geojson_and_towns_are_sized_once_each():
    basemap = build_basemap(_inputs())
    layers = {name: json.loads(basemap.layers[name]) for name in LAYERS}
    towns = {f["properties"]["name"]: f["properties"]["size"] for f in layers["towns"]["features"]}
    assert towns == {"Ségou": 1, "Niono": 2, "Sokolo": 4}        # the GeoNames spelling, not Krantz's repeat
    assert layers["countries"]["features"][0]["geometry"]["type"] in ("LineString", "MultiLineString")
    assert layers["adm2"]["features"] == []
    road = layers["roads"]["features"][0]["geometry"]["coordinates"]
    assert road[-1] == [-5.99, 14.2512]                           # rounded to about 10 m


def test_new_data_is_a_new_version():
    assert build_basemap(_inputs()).version == build_basemap(_inputs()).version
    assert build_basemap(_inputs()).version != build_basemap(_inputs(niono_population=99_000)).version
