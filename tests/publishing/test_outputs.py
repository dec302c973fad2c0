"""Outputs land in the folder of the week's Monday, whatever day of the week was asked."""

import geopandas as gpd
import pandas as pd
from shapely.geometry import Point

from sahelrisk.publishing.outputs import write_site_outputs


def test_site_outputs_of_a_wednesday_go_under_its_monday(tmp_path):
    sites = gpd.GeoDataFrame({"name": ["Kalsaka"], "rank": [1], "probability": [0.2]},
                             geometry=[Point(-2.1, 13.3)], crs="EPSG:4326")
    folder = write_site_outputs(sites, tmp_path, "2023-12-27")
    assert folder == tmp_path / "sites" / "2023-12-25"
    assert sorted(p.name for p in folder.iterdir()) == ["sites.csv", "sites.geojson"]
    assert pd.read_csv(folder / "sites.csv")["name"].tolist() == ["Kalsaka"]
    assert [p.name for p in (tmp_path / "sites").iterdir()] == ["2023-12-25"]
