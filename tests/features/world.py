"""A small synthetic world for builder tests: a 4x4-cell country, events, mines, roads, places, IDPs."""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import LineString, Point, box

from sahelrisk.features.panel import PanelInputs
from sahelrisk.features.spec import PanelSpec

COUNTRY = box(-6.0, 14.0, -4.0, 16.0)  # 4 x 4 cells at 0.5 degree, inside Mali


def synthetic_inputs(seed: int = 3, n_events: int = 400) -> PanelInputs:
    rng = np.random.default_rng(seed)
    dates = pd.Timestamp("2018-01-01") + pd.to_timedelta(rng.integers(0, 6 * 365, n_events), unit="D")
    lon, lat = rng.uniform(-6.3, -3.7, n_events), rng.uniform(13.7, 16.3, n_events)
    events = gpd.GeoDataFrame({
        "event_id": [str(i) for i in range(n_events)], "source": "ucdp_ged", "release": "test",
        "date_start": dates, "date_end": dates, "date_precision": 1, "latitude": lat, "longitude": lon,
        "geo_precision": rng.choice([1, 2, 3, 4, 6], n_events), "has_location": True, "country_iso3": "MLI",
        "violence_type": rng.choice(["state_based", "non_state", "one_sided"], n_events),
        "fatalities_best": rng.integers(0, 20, n_events).astype(float),
    }, geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326")
    admin0 = gpd.GeoDataFrame({"country_iso3": ["MLI"], "pcode": ["MLI"], "name": ["Mali"]}, geometry=[COUNTRY],
                              crs="EPSG:4326")
    admin1 = gpd.GeoDataFrame({"country_iso3": ["MLI"], "pcode": ["ML04"], "name": ["Segou"], "adm1_pcode": [None]},
                              geometry=[COUNTRY], crs="EPSG:4326")
    admin2 = gpd.GeoDataFrame({"country_iso3": ["MLI"] * 2, "pcode": ["ML0404", "ML0405"], "name": ["Niono", "Macina"],
                               "adm1_pcode": ["ML04"] * 2, "area_km2": [1.0, 1.0]},
                              geometry=[box(-6, 14, -5, 16), box(-5, 14, -4, 16)], crs="EPSG:4326")
    mining = gpd.GeoDataFrame({
        "site_id": ["m1", "m2", "m3"], "site_kind": ["facility", "exploration", "deposit"], "is_gold": [True, True, False],
        "country_iso3": "MLI"}, geometry=[Point(-5.2, 14.6), Point(-4.3, 15.7), Point(-5.9, 15.9)], crs="EPSG:4326")
    roads = gpd.GeoDataFrame({"road_id": ["r1"], "importance": [42.0]},
                             geometry=[LineString([(-6.5, 14.3), (-3.5, 15.2)])], crs="EPSG:4326")
    places = gpd.GeoDataFrame({
        "place_id": ["c1", "t1"], "place_kind": ["city", "town"], "capital": ["primary", None],
        "population": [2e6, 15000.0], "country_iso3": "MLI"}, geometry=[Point(-4.5, 14.2), Point(-5.7, 15.3)],
        crs="EPSG:4326")
    displacement = pd.DataFrame({
        "country_iso3": "MLI", "admin_level": [0, 0, 1, 1], "admin_pcode": ["MLI", "MLI", "ML04", "ML04"],
        "reference_date": pd.to_datetime(["2019-12-31", "2020-12-31", "2020-07-31", "2021-03-31"]),
        "idps": [100.0, 250.0, 40.0, 55.0], "layout": ["idmc_country_year", "idmc_country_year", "dtm", "snapshots"]})
    layers = {"admin0": admin0, "admin1": admin1, "admin2": admin2, "mining_sites": mining, "roads": roads,
              "places": places, "displacement": displacement}
    return PanelInputs(events=events, layers=layers, as_of=date(2024, 1, 1), fingerprint="synthetic")


def synthetic_spec(units: str = "grid", lag: int = 0, builders: dict | None = None) -> PanelSpec:
    return PanelSpec(name="synthetic", units=units, resolution=0.5 if units == "grid" else None, countries=("MLI",),
                     start=date(2020, 1, 6), end=date(2023, 6, 26), reporting_lag_weeks=lag, sources=("ucdp",),
                     builders=builders or {"conflict": {"windows": [1, 4, 12, 52]}, "mining": {}, "roads": {},
                                           "displacement": {}, "static": {}, "intensity": {}})
