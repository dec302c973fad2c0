
import geopandas as gpd
import pytest

from sahelrisk.data.readers import read_vector
from sahelrisk.data.sources import load_dataset
from tests.conftest import REAL_AS_OF


def _load(name, real_data, catalog, **kw):
    return load_dataset(catalog[name], real_data, as_of=REAL_AS_OF, **kw)


def test_adm2_counts_and_pcodes_match_the_gazetteer(real_data, catalog):
    adm2 = _load("admin2", real_data, catalog).table
    assert adm2.groupby("country_iso3").size().to_dict() == {"BFA": 45, "MLI": 50, "NER": 67}
    gazetteer = _load("pcodes", real_data, catalog).table
    known = set(gazetteer["pcode"])
    # The old Menaka cercle carries the four COD-2021 cercles it covers.
    for pcode in adm2["pcode"]:
        assert all(p in known for p in pcode.split("|")), pcode
    assert adm2["adm1_pcode"].notna().all()
    assert adm2.crs.to_epsg() == 4326 and adm2.is_valid.all()


def test_areas_match_sources_md(real_data, catalog):
    adm2 = _load("admin2", real_data, catalog).table
    mali = adm2[adm2["country_iso3"] == "MLI"]
    assert mali.set_index("name").loc["Bamako", "area_km2"] == pytest.approx(245.7, abs=0.5)
    assert mali["area_km2"].sum() == pytest.approx(1_254_307, rel=0.001)


def test_adm1_has_the_cod_frames_and_natural_earth_for_the_coastal_countries(real_data, catalog):
    adm1 = _load("admin1", real_data, catalog).table
    assert adm1.groupby("country_iso3").size().to_dict() == {
        "BFA": 13, "MLI": 10, "NER": 8,                              # OCHA COD frames
        "BEN": 5, "CIV": 8, "GNB": 9, "SEN": 14, "TGO": 4}            # Natural Earth north of 8°N
    assert "ML10" in set(adm1["pcode"])  # Menaka region of the 2021 frame
    benin = adm1[adm1["country_iso3"] == "BEN"].set_index("pcode")
    assert benin.loc["BJ-AL", "name"] == "Alibori" and benin["area_km2"].sum() > 90_000
    assert set(catalog["admin1"].countries) == set(adm1["country_iso3"])
    assert catalog["admin2"].countries == ("MLI", "BFA", "NER")


def test_mojibake_names_are_repaired(real_data, catalog):
    adm0 = _load("admin0", real_data, catalog).table
    assert "Côte d'Ivoire" in set(adm0["name"])


def test_country_filter(real_data, catalog):
    adm2 = _load("admin2", real_data, catalog, countries={"MLI"})
    assert set(adm2.table["country_iso3"]) == {"MLI"} and adm2.out_of_scope == 112


def test_topojson_source_decodes_to_the_same_cercles(real_data):
    topo = read_vector(real_data / "geo/admin/geoBoundaries-MLI-ADM2_simplified.topojson")
    geo = read_vector(real_data / "geo/admin/mli_adm2_cercles_geoboundaries_gbopen_simplified.geojson")
    assert len(topo) == len(geo) == 50
    topo_area = topo.set_index("shapeID").to_crs("ESRI:102022").area
    geo_area = geo.set_index("shapeID").to_crs("ESRI:102022").area
    assert (abs(topo_area / geo_area.loc[topo_area.index] - 1) < 0.01).all()


def test_pcodes_gazetteer_counts(real_data, catalog):
    gaz = _load("pcodes", real_data, catalog).table
    counts = gaz.groupby(["country_iso3", "admin_level"]).size().to_dict()
    assert counts == {("BFA", 1): 13, ("BFA", 2): 45, ("MLI", 1): 10, ("MLI", 2): 53, ("NER", 1): 8, ("NER", 2): 67}


def test_area_without_pcode_is_quarantined(tmp_path, catalog):
    from shapely.geometry import box

    from sahelrisk.data.catalog import CatalogFile, Dataset
    path = tmp_path / "adm.geojson"
    gpd.GeoDataFrame({"code": ["X1", ""], "label": ["a", "b"]},
                     geometry=[box(-5, 14, -4, 15), box(-4, 14, -3, 15)], crs="EPSG:4326").to_file(path)
    dataset = Dataset(name="adm", title="t", kind="admin", loader="admin_areas", options={"level": 2},
                      files=(CatalogFile(path="adm.geojson", options={"country": "MLI",
                                                                      "fields": {"pcode": "code", "name": "label"}}),))
    got = load_dataset(dataset, tmp_path, as_of=REAL_AS_OF)
    assert got.table["pcode"].tolist() == ["X1"]
    assert got.quarantine["record"].tolist() == [2] and "no p-code" in got.quarantine["reason"].iloc[0]


def test_a_repaired_polygon_is_reported_and_one_outside_its_country_is_rejected(tmp_path):
    from shapely.geometry import Polygon

    from sahelrisk.data.catalog import load_catalog

    # A bow-tie (self-intersecting) cercle inside Mali, and one whose repair lands in the Atlantic.
    bowtie = Polygon([(-6.0, 14.0), (-5.0, 15.0), (-5.0, 14.0), (-6.0, 15.0)])
    astray = Polygon([(-30.0, 14.0), (-29.0, 15.0), (-29.0, 14.0), (-30.0, 15.0)])
    square = Polygon([(-4.0, 14.0), (-3.0, 14.0), (-3.0, 15.0), (-4.0, 15.0)])
    layer = gpd.GeoDataFrame({"pc": ["ML0401", "ML0402", "ML0403"], "nm": ["Niono", "Atlantique", "Macina"]},
                             geometry=[bowtie, astray, square], crs="EPSG:4326")
    layer.to_file(tmp_path / "adm2.geojson", driver="GeoJSON")
    (tmp_path / "catalog.toml").write_text(
        '[datasets.admin2]\ntitle = "t"\nkind = "admin"\nloader = "admin_areas"\nlevel = 2\nlicence = "x"\n'
        'official = "https://example.org"\n'
        'files = [{ path = "adm2.geojson", country = "MLI", fields = { pcode = "pc", name = "nm" } }]\n')
    result = load_dataset("admin2", tmp_path, as_of=REAL_AS_OF, catalog=load_catalog(tmp_path / "catalog.toml"))
    assert list(result.table["pcode"]) == ["ML0401", "ML0403"] and result.table.is_valid.all()
    [niono, atlantique] = result.notes
    assert "ML0401 (Niono) was invalid and was repaired; its area changed by" in niono
    assert "ML0402 (Atlantique)" in atlantique
    [rejected] = result.quarantine.to_dict("records")
    assert rejected["id"] == "ML0402" and "outside its country's bounds" in rejected["reason"]
