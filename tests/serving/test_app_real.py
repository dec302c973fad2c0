"""The web app on the real data, through httpx against uvicorn: routes (places, via, alternatives,
tracks), sites (the mining layer and one's own list), formats, errors and the same numbers as the
Python API."""

import io
import json

import geopandas as gpd
import httpx
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sahelrisk.routes.risk import assess_routes
from sahelrisk.serving.app import ServeSettings, create_app
from tests.serving.conftest import LATEST
from tests.serving.published import a_clock

pytestmark = pytest.mark.slow

GPX = """<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1"><trk><name>{name}</name><trkseg>
<trkpt lat="13.44" lon="-6.26"></trkpt><trkpt lat="13.9" lon="-6.0"></trkpt><trkpt lat="14.27" lon="-5.99"></trkpt>
</trkseg></trk></gpx>"""


@pytest.fixture(scope="module")
def http(live):
    with httpx.Client(base_url=live.url, timeout=60) as client:
        yield client


def test_a_route_through_a_stop_with_alternatives_names_each_route_and_its_stretches(http):
    answer = http.get("/api/v1/route", params={"from": "Ségou", "via": "Niono", "to": "Sokolo", "week": LATEST,
                                               "alternatives": 2})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    routes = body["routes"]
    assert routes[0]["route"] == "fastest" and 1 <= len(routes) <= 3
    assert all(0 < r["probability"] < 1 and r["km"] > 100 for r in routes)
    assert sorted(r["rank_by_risk"] for r in routes) == list(range(1, len(routes) + 1))
    stretches = body["segments"]["features"]
    assert {f["properties"]["route"] for f in stretches} == {r["route"] for r in routes}
    assert all(f["geometry"]["type"] == "LineString" for f in stretches)   # one line each, in travel order
    assert len({(r["km"], r["hours"]) for r in routes}) == len(routes)          # no road repeated as an "alternative"
    assert body["alternatives"] == {"asked": 2, "found": len(routes) - 1}
    assert len(routes) == 3 or any("no other road" in note for note in body["notes"])


def test_the_route_of_the_api_is_the_route_of_the_python_api(http, settings, catalog):
    from sahelrisk import api

    served = http.get("/api/v1/route", params={"from": "Ségou", "to": "Sokolo", "week": LATEST}).json()
    loaded = api.load_model("champion", name="test-grid-any-fatal-4w", mlruns=settings.mlruns)
    scored = api.score_with_layers(LATEST, model=loaded, data_dir=settings.data_dir, catalog=catalog,
                                   as_of="2023-12-31")
    routes = api.plan_routes(["Ségou", "Sokolo"], scored.inputs, loaded.spec.countries)
    direct = assess_routes(routes, scored.result.cells, scored.inputs.events, scored.week,
                           calibration=loaded.area_calibration).attrs["routes"][0]
    assert served["routes"][0]["probability"] == pytest.approx(direct["probability"], abs=1e-9)
    assert served["routes"][0]["km"] == direct["km"] and served["routes"][0]["events_52w"] == direct["events_52w"]


@pytest.mark.parametrize("form, kind", [("geojson", "application/geo+json"), ("gpx", "application/gpx+xml")])
def test_a_route_downloads_as_geojson_and_gpx(http, form, kind):
    answer = http.get("/api/v1/route", params={"from": "Ségou", "to": "Sokolo", "format": form})
    assert answer.status_code == 200 and answer.headers["content-type"].startswith(kind)
    if form == "geojson":
        assert len(gpd.read_file(io.BytesIO(answer.content))) > 2
    else:
        import gpxpy
        points = gpxpy.parse(answer.text).tracks[0].segments[0].points
        assert len(points) > 10 and 13 < points[0].latitude < 14


def _km(line) -> float:
    from sahelrisk.geo import metric_crs_for
    return gpd.GeoSeries([line], crs="EPSG:4326").to_crs(metric_crs_for(line)).length.iloc[0] / 1000


def test_every_exported_route_has_the_tables_length_and_never_doubles_back(http):
    import gpxpy
    from shapely.geometry import LineString, Point

    params = {"from": "Ségou", "via": "Niono", "to": "Sokolo", "week": LATEST, "alternatives": 2}
    table = {r["route"]: r["km"] for r in http.get("/api/v1/route", params=params).json()["routes"]}
    gpx = gpxpy.parse(http.get("/api/v1/route", params={**params, "format": "gpx"}).text)
    geojson = gpd.read_file(io.BytesIO(http.get("/api/v1/route", params={**params, "format": "geojson"}).content))
    assert [t.name for t in gpx.tracks] == list(table)
    for track in gpx.tracks:
        line = LineString([(p.longitude, p.latitude) for s in track.segments for p in s.points])
        assert _km(line) == pytest.approx(table[track.name], rel=0.01)
        stretches = geojson[geojson["route"] == track.name].sort_values("segment")
        assert sum(_km(g) for g in stretches.geometry) == pytest.approx(table[track.name], rel=0.01)
        # walking the exported line, each point is further along the route than the one before, but
        # for the few metres to a stop off the road and back (Niono's centre is 70 m from the road)
        crs = "+proj=aeqd +lat_0=14 +lon_0=-6"
        metric = gpd.GeoSeries([line], crs="EPSG:4326").to_crs(crs).iloc[0]
        along = [metric.project(Point(xy)) for xy in metric.coords]
        assert all(b >= a - 250 for a, b in zip(along[:-1], along[1:]))


def test_a_downloaded_gpx_of_three_routes_uploads_as_three_routes_each_named(http):
    params = {"from": "Ségou", "via": "Niono", "to": "Sokolo", "week": LATEST, "alternatives": 2}
    asked = http.get("/api/v1/route", params=params).json()["routes"]
    gpx = http.get("/api/v1/route", params={**params, "format": "gpx"}).content
    back = http.post("/api/v1/route", params={"week": LATEST, "name": "route.gpx"}, content=gpx,
                     headers={"Content-Type": "application/gpx+xml"})
    assert back.status_code == 200, back.text
    routes = back.json()["routes"]
    assert [r["route"] for r in routes] == [r["route"] for r in asked]
    for mine, theirs in zip(routes, asked):
        assert mine["km"] == pytest.approx(theirs["km"], rel=0.02)   # the same roads, recorded and cleaned


def test_the_route_page_lists_every_deadly_event_along_with_its_place_and_kilometre(http):
    page = http.get("/route", params={"from": "Ségou", "via": "Niono", "to": "Sokolo", "week": LATEST, "lang": "en"})
    assert page.status_code == 200
    html = page.text
    table = html.split('<table id="events">')[1].split("</table>")[0]
    rows = table.split("<tr>")[2:]
    said = html.split('id="events-count">')[1].split("</p>")[0]
    assert rows and f"{len(rows)} deadly events" in said or f"The {len(rows)} most recent of" in said
    kms = [float(r.split("<td>")[1].split("</td>")[0].replace(",", "")) for r in rows]
    assert kms == sorted(kms)                                   # in the order the route meets them
    killed = [int(r.split("<td>")[6].split("</td>")[0].replace(",", "")) for r in rows]
    assert min(killed) > 0
    assert any("Niono" in r.split("<td>")[2] or "Ségou" in r.split("<td>")[2] for r in rows)


def test_a_route_mostly_outside_the_scored_countries_is_refused_with_the_reason(http):
    answer = http.get("/api/v1/route", params={"from": "Ségou", "to": "14.7,-17.4", "week": LATEST})   # Dakar
    assert answer.status_code == 422 and "runs mostly outside the scored countries" in answer.json()["error"]


def test_a_track_posted_as_gpx_or_geojson_is_scored_along_its_line(http):
    gpx = http.post("/api/v1/route", params={"week": LATEST, "name": "convoy.gpx"},
                    content=GPX.format(name="convoy").encode(), headers={"Content-Type": "application/gpx+xml"})
    assert gpx.status_code == 200, gpx.text
    line = {"type": "LineString", "coordinates": [[-6.26, 13.44], [-6.0, 13.9], [-5.99, 14.27]]}
    geo = http.post("/api/v1/route", params={"week": LATEST}, content=json.dumps(line).encode(),
                    headers={"Content-Type": "application/geo+json"})
    assert geo.status_code == 200, geo.text
    a, b = gpx.json()["routes"][0], geo.json()["routes"][0]
    assert a["km"] == b["km"] and a["probability"] == pytest.approx(b["probability"])


@pytest.mark.parametrize("params, status, words", [
    ({"from": "Atlantis", "to": "Sokolo"}, 400, "Atlantis"),
    ({"from": "Ségou", "to": "Sokolo", "week": "2019-01-07"}, 404, "is not published"),
    ({"from": "Ségou", "to": "Sokolo", "alternatives": 9}, 400, "alternatives must be 0 to 3"),
    ({"from": "5.3,-4.0", "to": "5.4,-4.1"}, 422, "runs outside the scored countries"),
])
def test_route_mistakes_are_4xx_with_the_clis_one_line_message(http, params, status, words):
    answer = http.get("/api/v1/route", params=params)
    assert answer.status_code == status and words in answer.json()["error"]


def test_a_broken_track_names_the_uploaded_file_not_a_server_path(http):
    answer = http.post("/api/v1/route", params={"name": "field.gpx"}, content=b"<gpx><oops",
                       headers={"Content-Type": "application/gpx+xml"})
    body = answer.json()
    assert answer.status_code == 400 and body["error"].startswith("field.gpx: is not a readable GPX file")
    assert "/tmp" not in body["error"] and "upload" not in body["error"]


def test_too_many_track_points_is_one_clear_error(published, real_data):
    from sahelrisk.serving.planner import Limits
    out, mlruns = published
    app = create_app(ServeSettings(out_dir=out, data_dir=real_data, mlruns=mlruns, limits=Limits(track_points=2),
                                   clock=a_clock()))
    answer = TestClient(app).post("/api/v1/route", params={"name": "long.gpx"}, content=GPX.format(name="x").encode())
    assert answer.status_code == 413 and "long.gpx: 3 points, over the limit of 2" in answer.json()["error"]


def test_sites_are_the_mining_layer_scored_and_ones_own_list_is_scored_beside_it(http):
    mining = gpd.read_file(io.BytesIO(http.get(f"/api/v1/weeks/{LATEST}/sites").content))
    assert len(mining) > 50 and mining["probability"].between(0, 1).any()
    own = "name,latitude,longitude\nMy camp,13.9,-5.4\n<b>x</b>,14.3,-4.1\n"
    answer = http.post(f"/api/v1/weeks/{LATEST}/sites", params={"name": "mine.csv", "format": "csv"},
                       content=own.encode(), headers={"Content-Type": "text/csv"})
    assert answer.status_code == 200, answer.text
    table = pd.read_csv(io.StringIO(answer.text))
    assert list(table["name"].sort_values()) == ["<b>x</b>", "My camp"] and table["probability"].between(0, 1).all()


def test_the_data_and_model_stay_in_memory_between_requests(http, live):
    planner = live.server.config.app.state.services.planner
    before = planner.inputs()
    assert http.get("/api/v1/route", params={"from": "Mopti", "to": "Douentza", "week": LATEST}).status_code == 200
    assert planner.inputs()[0] is before[0] and planner.inputs()[1] is before[1]     # not reloaded
    assert len(planner._models) == 1                                                  # one model, loaded once


def test_the_route_pdf_is_a_pdf_with_its_map_for_places_and_for_an_uploaded_track(http, tmp_path):
    import shutil
    import subprocess

    answer = http.get("/route.pdf", params={"from": "Ségou", "to": "Sokolo", "via": "", "lang": "fr"})
    assert answer.status_code == 200 and answer.content.startswith(b"%PDF")
    if shutil.which("pdfimages"):                       # poppler-utils (.ci/run installs it)
        (tmp_path / "route.pdf").write_bytes(answer.content)
        listed = subprocess.run(["pdfimages", "-list", str(tmp_path / "route.pdf")], capture_output=True, text=True)
        images = [row.split() for row in listed.stdout.splitlines()[2:]]
        assert any(int(row[3]) >= 800 and int(row[4]) >= 600 for row in images)    # the 960 x 720 map
        text = subprocess.run(["pdftotext", str(tmp_path / "route.pdf"), "-"], capture_output=True, text=True).stdout
        assert "Événements meurtriers le long de l'itinéraire" in text
    upload = http.post("/route.pdf?lang=en", files={"file": ("convoy.gpx", GPX.format(name="c").encode())},
                       data={"week": LATEST, "buffer_km": "10"})
    assert upload.status_code == 200 and upload.content.startswith(b"%PDF")


def test_places_complete_a_name_without_accents_the_biggest_first_with_where_they_are(http):
    from sahelrisk.countries import normalize_name

    found = http.get("/api/v1/places", params={"q": "segou"}).json()
    assert found and normalize_name(found[0]["name"]) == "segou" and found[0]["country_iso3"] == "MLI"
    assert normalize_name(found[0]["adm1_name"]) == "segou" and found[0]["kind"] == "town"
    sokolo = http.get("/api/v1/places", params={"q": "sokolo"}).json()
    assert {(p["country_iso3"], p["adm2_name"] or p["adm1_name"]) for p in sokolo if p["name"] == "Sokolo"} >= {
        ("MLI", "Niono")}
    tombouctou = http.get("/api/v1/places", params={"q": "tombouctou"}).json()
    assert tombouctou[0]["name"] == "Timbuktu"                       # found by its French name
    assert http.get("/api/v1/places", params={"q": ""}).json() == []
    assert http.get("/api/v1/places", params={"q": "x" * 81}).status_code == 400


def test_the_mining_sites_come_as_csv_too(http):
    table = pd.read_csv(io.StringIO(http.get(f"/api/v1/weeks/{LATEST}/sites", params={"format": "csv"}).text))
    assert len(table) > 50 and {"name", "probability", "risk_tier", "events_52w"} <= set(table.columns)


def test_the_basemap_is_served_by_the_app_and_kept_by_version(http):
    version = http.get("/weeks/latest").text.split('data-basemap="')[1].split('"')[0]
    assert len(version) == 16
    towns = http.get("/basemap/towns.geojson", params={"v": version})
    assert towns.status_code == 200 and "immutable" in towns.headers["cache-control"]
    names = {f["properties"]["name"]: f["properties"]["size"] for f in towns.json()["features"]}
    assert names["Bamako"] == 1 and "Niono" in names and "Diabaly" not in names   # towns, not the events' villages
    assert http.get("/basemap/towns.geojson").headers["cache-control"] == "no-cache"   # no version: ask again
    roads = http.get("/basemap/roads.geojson", params={"v": version}).json()
    assert len(roads["features"]) > 100
    assert http.get("/basemap/rivers.geojson").status_code == 404


def test_a_cell_and_an_area_show_their_published_probabilities_and_what_then_happened(http):
    from datetime import date

    cells = gpd.read_file(io.BytesIO(http.get(f"/api/v1/weeks/{LATEST}/cells").content))
    top = cells.sort_values("probability", ascending=False).iloc[0]
    history = http.get("/api/v1/history", params={"cell": str(top["unit_id"])}).json()
    weeks = [w["week"] for w in history["weeks"]]
    assert weeks == sorted(weeks) and weeks[-1] == LATEST and len(weeks) == 3
    assert history["weeks"][-1]["probability"] == pytest.approx(float(top["probability"]))
    # the forecast of 2023-11-20 covers weeks the data holds; that of 2023-12-25 does not yet
    first, last = history["weeks"][0], history["weeks"][-1]
    assert first["pending"] is False and first["events"] is not None and last["pending"] is True
    assert date.fromisoformat(first["week"]) < date(2023, 12, 4)
    areas = gpd.read_file(io.BytesIO(http.get(f"/api/v1/weeks/{LATEST}/areas?level=adm2").content))
    pcode = areas.sort_values("probability", ascending=False).iloc[0]["unit_id"]
    area = http.get("/api/v1/history", params={"area": pcode, "level": "adm2"}).json()
    assert area["name"] and len(area["weeks"]) == 3 and area["weeks"][0]["events"] >= first["events"]
    assert http.get("/api/v1/history", params={"cell": "nope"}).status_code == 404
    assert http.get("/api/v1/history", params={"cell": "1", "site": "2"}).status_code == 400


def test_a_route_and_a_site_are_scored_again_for_each_published_week(http):
    route = http.get("/api/v1/history", params={"from": "Ségou", "via": "Niono", "to": "Sokolo"}).json()
    asked = http.get("/api/v1/route", params={"from": "Ségou", "via": "Niono", "to": "Sokolo", "week": LATEST}).json()
    assert [w["week"] for w in route["weeks"]][-1] == LATEST
    assert route["weeks"][-1]["probability"] == pytest.approx(asked["routes"][0]["probability"])
    sites = pd.read_csv(io.StringIO(http.get(f"/api/v1/weeks/{LATEST}/sites", params={"format": "csv"}).text))
    site = http.get("/api/v1/history", params={"site": sites.iloc[0]["site_id"]}).json()
    assert len(site["weeks"]) == 3 and site["weeks"][-1]["probability"] == pytest.approx(sites.iloc[0]["probability"])
