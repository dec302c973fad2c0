"""Place names resolve like a planner writes them, and fail with the candidates."""

import geopandas as gpd
import pytest
from shapely.geometry import Point

from sahelrisk.errors import SpecError
from sahelrisk.routes.places import resolve_place

PLACES = gpd.GeoDataFrame({
    "name": ["Ségou", "Niono", "Niono", "Sokolo", "Sokolo", "Sokolo", "Mopti", "Tombouctou airport"],
    "place_kind": ["town", "town", "city", "town", "town", "town", "town", "airport"],
    "country_iso3": ["MLI", "MLI", "MLI", "MLI", "CIV", "CIV", "MLI", "MLI"],
    "population": [205_000, 52_000, 128_000, 4_000, 1_200, 900, 186_000, None],
}, geometry=[Point(-6.27, 13.45), Point(-5.99, 14.25), Point(-5.95, 14.3), Point(-6.12, 14.73), Point(-5.1, 9.3),
             Point(-6.0, 9.9), Point(-4.2, 14.5), Point(-3.0, 16.7)], crs="EPSG:4326")


def test_names_match_without_accents_or_case():
    for query in ("Ségou", "segou", "SEGOU", " Ségou "):
        assert resolve_place(query, PLACES).name == "Ségou"


def test_two_entries_of_one_town_a_few_km_apart_are_one_place():
    found = resolve_place("Niono", PLACES, ["MLI"])
    assert found.name == "Niono" and found.lon == pytest.approx(-5.99)     # the town's own point, not the city's


def test_the_model_countries_come_first_and_a_country_code_picks_one():
    assert resolve_place("Sokolo", PLACES, ["MLI", "BFA", "NER"]).country_iso3 == "MLI"
    assert resolve_place("Sokolo, MLI", PLACES).lat == pytest.approx(14.73)


def test_an_ambiguous_name_lists_the_candidates_and_how_to_pick():
    with pytest.raises(SpecError, match=r"names 3 places: Sokolo, MLI .*Pick one with 'Name, ISO3' or give lat,lon"):
        resolve_place("Sokolo", PLACES)
    with pytest.raises(SpecError, match="names 2 places"):
        resolve_place("Sokolo, CIV", PLACES)


def test_an_unknown_name_suggests_close_ones_and_lat_lon():
    with pytest.raises(SpecError, match=r"'Segoo' is not in the gazetteer; did you mean Ségou\? Give its position as lat,lon"):
        resolve_place("Segoo", PLACES)
    assert resolve_place("Segu", PLACES).name == "Ségou"        # the English spelling of the same sounds
    with pytest.raises(SpecError, match="unknown country code 'XYZ'"):
        resolve_place("Ségou, XYZ", PLACES)


def test_lat_lon_works_anywhere_and_is_checked():
    point = resolve_place("14.7328,-6.1219", PLACES)
    assert (point.lat, point.lon) == (14.7328, -6.1219)
    with pytest.raises(SpecError, match="latitude -90..90"):
        resolve_place("214.7,-6.1", PLACES)


def test_only_towns_and_cities_are_places_to_route_to():
    with pytest.raises(SpecError, match="not in the gazetteer"):
        resolve_place("Tombouctou airport", PLACES)
