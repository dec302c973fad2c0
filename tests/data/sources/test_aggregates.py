from sahelrisk.data.sources import load_dataset
from tests.conftest import REAL_AS_OF


def test_country_month_panel_2024_matches_sources_md(real_data, catalog):
    panel = load_dataset(catalog["ucdp_country_month"], real_data, as_of=REAL_AS_OF).table
    y2024 = panel[panel["month"].dt.year == 2024].groupby("country_iso3")[["events", "fatalities_best"]].sum()
    assert y2024.loc["MLI"].tolist() == [447, 1901]
    assert y2024.loc["BFA"].tolist() == [307, 4251]
    assert "NER" not in set(panel["country_iso3"])  # absent from the source, as SOURCES.md says


def test_cercle_population(real_data, catalog):
    pop = load_dataset(catalog["population"], real_data, as_of=REAL_AS_OF).table
    assert len(pop) == 50 and pop["adm2_pcode"].is_unique
    assert pop.set_index("adm2_pcode").loc["ML0404", "name"] == "Niono"
    assert (pop["population"] > 0).all() and set(pop["year"]) == {2018}
