"""The map is not injectable: hostile names in admin areas, mining sites and events neither run
script nor break the page, checked in headless Chromium."""

import json
import shutil
import subprocess

import geopandas as gpd
import pandas as pd
import pytest
from shapely.geometry import LineString, Point, box

from sahelrisk.publishing.maps import interactive_map

# Each payload marks the page if it runs; the map must still draw.
HOSTILE = [
    "<img src=x onerror=\"document.documentElement.setAttribute('data-pwned','img')\">",
    "\" onerror=\"document.documentElement.setAttribute('data-pwned','attr')",
    "</script><script>document.documentElement.setAttribute('data-pwned','script')</script>",
    "`;document.documentElement.setAttribute('data-pwned','backquote');`",
    "${document.documentElement.setAttribute('data-pwned','template')}",
    "back\\slash at the end \\",
]


def _layers():
    cells = gpd.GeoDataFrame({
        "unit_id": [1, 2, 3, 4, 5, 6], "country_iso3": "MLI", "adm1_pcode": "ML04", "adm1_name": HOSTILE,
        "adm2_pcode": "ML0401", "adm2_name": HOSTILE, "probability": [0.01, 0.05, 0.2, 0.4, 0.6, 0.9],
        "risk_tier": ["low", "elevated", "high", "very high", "very high", "very high"], "rank": range(6, 0, -1),
        "change_vs_last_week": [0.0, 0.01, -0.02, 0.1, None, 0.2], "top_drivers": HOSTILE,
    }, geometry=[box(-6 + i * 0.5, 14, -5.5 + i * 0.5, 14.5) for i in range(6)], crs="EPSG:4326")
    adm2 = cells.assign(unit_id=[f"ML04{i:02d}" for i in range(6)])
    mining = gpd.GeoDataFrame({"name": HOSTILE, "site_kind": HOSTILE, "commodity": HOSTILE},
                              geometry=[Point(-5.8 + i * 0.5, 14.2) for i in range(6)], crs="EPSG:4326")
    events = pd.DataFrame({"latitude": 14.3, "longitude": [-5.7 + i * 0.5 for i in range(6)],
                           "date_start": pd.Timestamp("2023-12-20"), "fatalities_best": 3.0, "violence_type": HOSTILE})
    roads = gpd.GeoDataFrame({"road_id": HOSTILE}, geometry=[LineString([(-6, 14 + i * 0.1), (-3, 14.01)]) for i in range(6)],
                             crs="EPSG:4326")
    places = gpd.GeoDataFrame({"name": [*HOSTILE, "Ségou"], "place_kind": "town", "country_iso3": "MLI",
                               "population": [300_000, 60_000, 20_000, 5_000, 1_000, 800, 130_000]},
                              geometry=[Point(-5.9 + i * 0.5, 14.4) for i in range(6)] + [Point(-6.26, 13.43)],
                              crs="EPSG:4326")
    countries = gpd.GeoDataFrame({"country_iso3": ["MLI"]}, geometry=[box(-6, 13, -3, 15)], crs="EPSG:4326")
    return cells, adm2, events, mining, roads, places, countries


def _write(tmp_path_factory, lang):
    cells, adm2, events, mining, roads, places, countries = _layers()
    text = interactive_map(cells, adm2, events, mining, roads, title=HOSTILE[0], places=places, countries=countries,
                           lang=lang)
    path = tmp_path_factory.mktemp("map") / f"map.{lang}.html"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module", params=["fr", "en"])
def page(request, tmp_path_factory):
    return _write(tmp_path_factory, request.param)


def _chromium(page, *extra, url=None):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={page.parent / 'chrome'}",
             "--virtual-time-budget=5000", "--window-size=1000,800"]
    return subprocess.run(["chromium", *flags, *extra, url or page.as_uri()], capture_output=True, text=True,
                          timeout=120).stdout


needs_chromium = pytest.mark.skipif(shutil.which("chromium") is None,
                                    reason="Debian's chromium is not installed (.ci/run installs it)")


def test_no_hostile_text_reaches_the_page_unescaped(page):
    text = page.read_text("utf-8")
    assert "<img src=x" not in text and "</script><script>document" not in text
    assert "onerror=\"document" not in text


@needs_chromium
def test_hostile_names_run_no_script_and_the_map_still_draws(page):
    dom = _chromium(page, "--dump-dom")
    assert "leaflet-container" in dom and "id=\"legend\"" in dom     # the map and its legend drew
    assert dom.count("leaflet-interactive") >= 12                    # cells and area outlines
    html_tag = dom[dom.index("<html"):dom.index(">", dom.index("<html"))]
    assert "data-pwned" not in html_tag                              # no payload ran (it would mark <html>)
    assert "place-label" in dom and "country-label" in dom           # the script after the names still ran


@needs_chromium
def test_the_french_map_names_countries_and_layers_in_french_and_finds_places(tmp_path_factory):
    page = _write(tmp_path_factory, "fr")
    # a place name in the address opens the map there, zoomed in enough to show every town label
    dom = _chromium(page, "--dump-dom", url=page.as_uri() + "#S%C3%A9gou")
    assert '<html lang="fr"' in dom and "Risque (cellules)" in dom and "Sites miniers" in dom
    assert ">Mali<" in dom and "Chercher un lieu" in dom
    assert dom.count("place-label") >= 7                             # all towns show once zoomed on Ségou
    missing = _chromium(page, "--dump-dom", url=page.as_uri() + "#Tombouctou")
    assert "lieu absent de la couche des localités" in missing


@needs_chromium
@pytest.mark.parametrize("address", ["#%", "#%E0%A4%A", "#14.2,-4.6,99", "#95,400,3"])
def test_a_broken_or_extreme_address_still_draws_the_map_and_its_labels(tmp_path_factory, address):
    page = _write(tmp_path_factory, "en")
    # Chromium's command line would escape "%"; a page that follows a link keeps the address as typed.
    hop = page.with_name(f"hop{abs(hash(address))}.html")
    hop.write_text(f"<script>location.replace({json.dumps(page.name + address)});</script>")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", f"--user-data-dir={page.parent / 'c'}",
             "--virtual-time-budget=5000", "--enable-logging=stderr", "--v=0", "--dump-dom"]
    done = subprocess.run(["chromium", *flags, hop.as_uri()], capture_output=True, text=True, timeout=120)
    assert "leaflet-container" in done.stdout and "leaflet-tooltip place-label" in done.stdout
    assert "Uncaught" not in done.stderr, [line for line in done.stderr.splitlines() if "Uncaught" in line]


def test_countries_without_adm2_are_outlined_by_their_adm1_areas():
    cells, adm2, *_ = _layers()
    adm1 = gpd.GeoDataFrame({
        "unit_id": ["ML04", "BJ-AL"], "country_iso3": ["MLI", "BEN"], "adm1_name": ["Ségou", "Alibori"],
        "probability": [0.5, 0.26]}, geometry=[box(-6, 14, -3, 14.5), box(2, 10.5, 4, 12)], crs="EPSG:4326")
    page = interactive_map(cells, adm2, adm1=adm1, lang="fr")
    assert "Zones (ADM1)" in page and "Alibori" in page
    assert "Ségou" not in page and "S\\u00e9gou" not in page   # Mali has its ADM2 outlines: no ADM1 layer for it
    only_sahel = interactive_map(cells, adm2, adm1=adm1[adm1["country_iso3"] == "MLI"], lang="fr")
    assert "Zones (ADM1)" not in only_sahel


def test_a_printed_map_names_the_largest_towns_in_its_frame_once_each():
    import geopandas as gpd
    from shapely.geometry import Point

    from sahelrisk.publishing.maps import largest_towns

    places = gpd.GeoDataFrame({
        "name": ["Ségou", "Segou", "Niono", "Bamako", "Kalana airstrip"],
        "place_kind": ["town", "city", "town", "town", "airport"], "country_iso3": "MLI",
        "population": [205_787, 240_936, 52_584, 2_000_000, None]},
        geometry=[Point(-6.27, 13.45), Point(-6.25, 13.44), Point(-5.99, 14.25), Point(-8.0, 12.65), Point(-7.7, 10.8)],
        crs="EPSG:4326")
    named = largest_towns(places, (-7.0, 13.0, -5.0, 15.0))
    assert [t["name"] for t in named] == ["Ségou", "Niono"]      # GeoNames' spelling; Bamako is out of the frame


def test_the_verified_weeks_map_draws_its_background_when_given(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point, box

    from sahelrisk.publishing.maps import hits_map

    cells = gpd.GeoDataFrame({"status": ["hit", "miss", "quiet"]},
                             geometry=[box(-6, 13, -5.5, 13.5), box(-5.5, 13, -5, 13.5), box(-6, 13.5, -5.5, 14)],
                             crs="EPSG:4326")
    countries = gpd.GeoDataFrame({"country_iso3": ["MLI"]}, geometry=[box(-12, 10, 4, 25)], crs="EPSG:4326")
    places = gpd.GeoDataFrame({"name": ["Niono"], "place_kind": ["town"], "country_iso3": ["MLI"], "population": [52_584]},
                              geometry=[Point(-5.99, 13.9)], crs="EPSG:4326")
    bare, drawn = tmp_path / "bare.png", tmp_path / "drawn.png"
    hits_map(cells, bare, week="2023-12-25")
    hits_map(cells, drawn, week="2023-12-25", countries=countries, adm1=countries, places=places)
    assert drawn.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and drawn.read_bytes() != bare.read_bytes()
