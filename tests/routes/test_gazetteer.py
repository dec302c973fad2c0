"""The gazetteer: towns under every Latin-script name they go by, the villages the events name,
the admin areas, each placed in its ADM2 and ADM1; the corridor's places all resolve."""

from datetime import date

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import Point, box

from sahelrisk.errors import SpecError
from sahelrisk.routes.gazetteer import build_gazetteer
from sahelrisk.routes.places import resolve_place


def _places():
    return gpd.GeoDataFrame({
        "name": ["Timbuktu", "Niono", "Sokolo"], "place_kind": ["town", "town", "town"],
        "country_iso3": ["MLI", "MLI", "CIV"], "population": [84208.0, 52584.0, 1244.0],
        "alternate_names": ["TOM|Tombouctou|Timbuktu|tang pu tu|Тимбукту", None, None]},
        geometry=[Point(-3.0, 16.77), Point(-5.99, 14.25), Point(-5.1, 9.3)], crs="EPSG:4326")


def _events():
    return pd.DataFrame({
        "locality": ["Diabaly town", "Diabaly town", "Niono town", "Ségou region", "Farabougou village"],
        "geo_precision": [1, 2, 1, 4, 1], "has_location": True, "country_iso3": "MLI",
        "latitude": [14.69, 14.70, 14.26, 13.4, 14.1], "longitude": [-6.02, -6.01, -5.99, -6.2, -6.3]})


def _admin():
    adm1 = gpd.GeoDataFrame({"name": ["Ségou"], "country_iso3": ["MLI"]}, geometry=[box(-7, 12.5, -4, 15.5)],
                            crs="EPSG:4326")
    adm2 = gpd.GeoDataFrame({"name": ["Niono"], "country_iso3": ["MLI"]}, geometry=[box(-7, 14, -5, 15.5)],
                            crs="EPSG:4326")
    return adm1, adm2


def test_a_town_is_found_under_its_latin_alternate_names_only():
    gazetteer = build_gazetteer(_places())
    keys = set(gazetteer.loc[gazetteer["name"] == "Timbuktu", "key"])
    assert keys == {"timbuktu", "tombouctou"}                      # not the airport code, nor other scripts
    assert resolve_place("Tombouctou", gazetteer).name == "Timbuktu"
    assert resolve_place("Tombuctou", gazetteer).name == "Timbuktu"  # the same sounds, another spelling


def test_villages_the_events_locate_are_places_and_a_town_is_not_repeated():
    adm1, adm2 = _admin()
    gazetteer = build_gazetteer(_places(), _events(), adm1, adm2)
    localities = gazetteer[gazetteer["kind"] == "locality"].set_index("name")
    assert set(localities.index) == {"Diabaly", "Farabougou"}       # Niono is the town; a region is no village
    assert localities.loc["Diabaly", "events"] == 2
    assert (localities.loc["Diabaly", "adm2_name"], localities.loc["Diabaly", "adm1_name"]) == ("Niono", "Ségou")
    point = resolve_place("diabaly", gazetteer, ["MLI"])
    assert point.name == "Diabaly" and (point.lat, point.lon) == pytest.approx((14.695, -6.015))   # the median


def test_an_area_is_reached_only_when_no_settlement_has_the_name():
    adm1, adm2 = _admin()
    gazetteer = build_gazetteer(_places(), _events(), adm1, adm2)
    assert resolve_place("Niono", gazetteer).lat == pytest.approx(14.25)         # the town, not the cercle
    assert resolve_place("Ségou", gazetteer).name == "Ségou"                      # the region, for want of a town


def test_two_places_of_one_name_are_told_apart_by_country_and_area():
    adm1, adm2 = _admin()
    places = pd.concat([_places(), gpd.GeoDataFrame({
        "name": ["Sokolo"], "place_kind": ["town"], "country_iso3": ["MLI"], "population": [4374.0],
        "alternate_names": [None]}, geometry=[Point(-6.12, 14.73)], crs="EPSG:4326")], ignore_index=True)
    gazetteer = build_gazetteer(places, None, adm1, adm2)
    with pytest.raises(SpecError, match=r"names 2 places: Sokolo, MLI \(Niono, Ségou; 14\.730,-6\.120\); "
                                        r"Sokolo, CIV \(9\.300,-5\.100\)"):
        resolve_place("Sokolo", gazetteer)


@pytest.mark.slow
@pytest.mark.parametrize("name", ["Diabaly", "Nampala", "Dogofry", "Farabougou", "Sévaré", "Hombori",
                                  "Tombouctou", "Niono", "Sokolo"])
def test_every_place_of_the_central_corridor_resolves_in_mali(real_data, catalog, real_events, name):
    gazetteer = _real_gazetteer(real_data, catalog, real_events)
    point = resolve_place(name, gazetteer, ["MLI", "BFA", "NER"])
    assert point.country_iso3 == "MLI" and 13 < point.lat < 17.5 and -7 < point.lon < -1


@pytest.mark.slow
def test_boni_between_hombori_and_douentza_is_malis_and_alone_it_is_asked(real_data, catalog, real_events):
    from sahelrisk.routes.places import AmbiguousPlace
    from sahelrisk.routes.plan import _resolved

    gazetteer = _real_gazetteer(real_data, catalog, real_events)
    with pytest.raises(AmbiguousPlace, match=r"'Boni' names 2 places: Boni, MLI \(Douentza, Mopti;.*Boni, NER"):
        resolve_place("Boni", gazetteer, ["MLI", "BFA", "NER"])
    stops = _resolved(["Hombori", "Boni", "Douentza"], gazetteer, ["MLI", "BFA", "NER"])
    assert stops[1].country_iso3 == "MLI" and stops[1].lon == pytest.approx(-2.22, abs=0.05)


_CACHE: dict = {}


def _real_gazetteer(real_data, catalog, real_events):
    if "g" not in _CACHE:
        from sahelrisk.data.sources import load_dataset
        layers = {n: load_dataset(catalog[n], real_data, as_of=date(2023, 12, 31)).table
                  for n in ("places", "admin1", "admin2")}
        _CACHE["g"] = build_gazetteer(layers["places"], real_events.table, layers["admin1"], layers["admin2"])
    return _CACHE["g"]
