import geopandas as gpd
import numpy as np
import pandas as pd
from shapely.geometry import box

from sahelrisk.units import Units, assign_events, build_grid


def _units(kind="grid"):
    if kind == "grid":
        country = gpd.GeoDataFrame({"country_iso3": ["MLI"]}, geometry=[box(0, 0, 1, 0.5)], crs="EPSG:4326")
        return build_grid(country, 0.5)
    table = gpd.GeoDataFrame({
        "unit_id": [1, 2], "country_iso3": "MLI", "adm1_pcode": "ML04", "adm1_name": "Segou", "adm2_pcode": "ML0404",
        "adm2_name": "Niono", "centroid_lon": [0.5, 1.5], "centroid_lat": [0.5, 0.5], "area_km2": 1.0},
        geometry=[box(0, 0, 0.5, 0.5), box(0.5, 0, 1, 0.5)], crs="EPSG:4326")
    return Units(kind=kind, table=table)


def _events():
    return pd.DataFrame({
        "event_id": list("abcdefg"),
        "source": ["ucdp_ged", "ucdp_ged", "ucdp_ged", "ucdp_ged", "acled", "acled", "ucdp_candidate"],
        "country_iso3": "MLI", "violence_type": "state_based", "fatalities_best": 1.0,
        "date_start": pd.to_datetime(["2023-01-04", "2023-01-08", "2023-01-09", "2023-01-09", "2023-01-09",
                                      "2023-01-09", "2023-01-09"]),
        "latitude": [0.2, 0.2, 0.2, 0.2, 0.2, 0.2, np.nan], "longitude": [0.2, 0.7, 0.2, 5.0, 0.2, 0.2, np.nan],
        "geo_precision": [1, 3, 4, 1, 2, 3, pd.NA], "has_location": [True] * 6 + [False],
    })


def test_precision_rules_for_cells_and_adm2():
    for kind in ("grid", "adm2"):
        assigned, counts = assign_events(_events(), _units(kind))
        assert assigned["rule"].tolist() == ["assigned", "assigned", "location too coarse for the unit",
                                             "outside every unit", "assigned", "location too coarse for the unit",
                                             "no coordinates"]
        assert assigned["unit_pos"].tolist() == [0, 1, -1, -1, 0, -1, -1]
        assert dict(zip(counts["rule"], counts["events"])) == {
            "assigned": 3, "location too coarse for the unit": 2, "outside every unit": 1, "no coordinates": 1}


def test_adm1_units_take_events_known_to_adm1():
    assigned, _ = assign_events(_events(), _units("adm1"))
    assert assigned["rule"].tolist()[2] == "assigned" and assigned["rule"].tolist()[5] == "assigned"


def test_event_week_is_the_week_of_date_start():
    assigned, _ = assign_events(_events(), _units())
    assert assigned["week"].dt.strftime("%Y-%m-%d").tolist()[:3] == ["2023-01-02", "2023-01-02", "2023-01-09"]
