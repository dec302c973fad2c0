"""Mining sites, roads and places on the real files."""

from sahelrisk.data.sources import load_dataset
from tests.conftest import REAL_AS_OF


def _load(name, real_data, catalog, **kw):
    return load_dataset(catalog[name], real_data, as_of=REAL_AS_OF, **kw)


def test_mining_sites_per_kind_match_sources_md(real_data, catalog):
    sites = _load("mining_sites", real_data, catalog, countries={"MLI", "BFA", "NER"}).table
    counts = sites.groupby(["site_kind", "country_iso3"]).size().to_dict()
    assert counts[("exploration", "MLI")] == 58 and counts[("exploration", "BFA")] == 58
    assert counts[("exploration", "NER")] == 24
    assert counts[("deposit", "MLI")] == 4 and counts[("deposit", "BFA")] == 6 and counts[("deposit", "NER")] == 4
    assert counts[("facility", "MLI")] == 9
    mali_exploration = sites[(sites["site_kind"] == "exploration") & (sites["country_iso3"] == "MLI")]
    assert (mali_exploration["commodity"] == "Gold").sum() == 51


def test_multi_commodity_facility_is_one_site(real_data, catalog):
    result = _load("mining_sites", real_data, catalog)
    sites = result.table.set_index("site_id")
    assert sites.index.is_unique
    assert sites.loc["BFA007", "commodity"] == "Lead; Silver; Zinc"
    assert bool(sites.loc["MRT007", "is_gold"])  # gold is its third commodity
    assert result.rows_read == len(result.table) + 19 and "19 per-commodity rows merged" in result.notes[0]


def test_proposed_roads_are_left_out(real_data, catalog):
    roads = _load("roads", real_data, catalog)
    assert roads.rows_read == 588 and roads.out_of_scope == 92 and len(roads.table) == 496
    # SOURCES.md counts 68 links touching Mali; 20 of them are proposed, so 48 roads exist.
    mali = _load("roads", real_data, catalog, countries={"MLI"}).table
    assert len(mali) == 48
    assert ((mali["from_iso3"] == "MLI") | (mali["to_iso3"] == "MLI")).all()
    assert (roads.table["length_km"] > 0).all() and roads.table["importance"].notna().all()


def test_places_per_kind_and_country(real_data, catalog):
    places = _load("places", real_data, catalog).table
    towns = places[places["place_kind"] == "town"].groupby("country_iso3").size()
    assert (towns["BFA"], towns["MLI"], towns["NER"]) == (118, 94, 74)
    cities = places[places["place_kind"] == "city"].groupby("country_iso3").size()
    assert (cities["MLI"], cities["BFA"], cities["NER"]) == (11, 8, 6)
    bamako = places[(places["place_kind"] == "city") & (places["name"] == "Bamako")]
    assert bamako["capital"].iloc[0] == "primary" and bamako["population"].iloc[0] > 4e6
    assert places["place_id"].is_unique
