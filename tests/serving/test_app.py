"""The web app over a synthetic published archive: pages, formats, errors, the token, limits and
safety. Route and site computations on the real data are in test_app_real.py."""

import io
import json

import geopandas as gpd
import pandas as pd
import pytest
from fastapi.testclient import TestClient

from sahelrisk.serving.app import ServeSettings, create_app
from sahelrisk.serving.planner import Limits
from tests.serving.published import HOSTILE, a_clock, client, publish_week, synthetic_archive


@pytest.fixture
def out(tmp_path):
    return synthetic_archive(tmp_path)


def test_weeks_lists_the_published_weeks_newest_first_and_a_new_week_shows_without_restart(out, tmp_path):
    api = client(out, tmp_path)
    weeks = api.get("/api/v1/weeks").json()
    assert [w["week"] for w in weeks] == ["2023-12-25", "2023-12-18"]
    assert weeks[0]["model"] == "test-model" and "risk_grid.parquet" in weeks[0]["files"]
    (out / "2024-01-01.tmp").mkdir()                  # a folder being written is not a week
    publish_week(out, "2024-01-01")
    assert api.get("/api/v1/weeks").json()[0]["week"] == "2024-01-01"


def test_cells_come_as_geojson_or_csv(out, tmp_path):
    api = client(out, tmp_path)
    geo = api.get("/api/v1/weeks/2023-12-25/cells?format=geojson")
    assert geo.status_code == 200 and geo.headers["content-type"].startswith("application/geo+json")
    features = geo.json()["features"]
    assert len(features) == 4 and features[0]["geometry"]["type"] == "Polygon"
    assert {f["properties"]["adm2_name"] for f in features} >= {"Ségou", HOSTILE}
    table = pd.read_csv(io.StringIO(api.get("/api/v1/weeks/latest/cells?format=csv").text))
    assert len(table) == 4 and "probability" in table and "geometry" not in table


def test_areas_of_each_level_and_an_unknown_level_is_a_400(out, tmp_path):
    api = client(out, tmp_path)
    adm2 = gpd.read_file(io.BytesIO(api.get("/api/v1/weeks/2023-12-25/areas?level=adm2").content))
    adm1 = gpd.read_file(io.BytesIO(api.get("/api/v1/weeks/2023-12-25/areas?level=adm1").content))
    assert len(adm2) == 4 and len(adm1) == 1
    bad = api.get("/api/v1/weeks/2023-12-25/areas?level=adm3")
    assert bad.status_code == 400 and "level: " in bad.json()["error"] and "adm1|adm2" in bad.json()["error"]
    assert api.get("/api/v1/weeks/2023-12-25/areas?level=adm2&format=csv").text.startswith("unit_id,")


@pytest.mark.parametrize("path, status, words", [
    ("/api/v1/weeks/2020-01-06/cells", 404, "week 2020-01-06 is not published; published weeks run from 2023-12-18"),
    ("/api/v1/weeks/yesterday/cells", 400, "week 'yesterday' is not a date"),
    ("/api/v1/weeks/05.06.2023/cells", 400, "week '05.06.2023' can be read two ways (2023-06-05 day first"),
    ("/api/v1/route?from=Segou&to=Sokolo&week=05/06/2023", 400, "week '05/06/2023' can be read two ways"),
    ("/weeks/2023-12-25/files/secret.txt", 404, "is not a file the weekly job publishes"),
    ("/weeks/2023-12-25/files/bulletin.fr.pdf", 404, "bulletin.fr.pdf was not published"),
])
def test_errors_are_one_line_json_with_a_4xx_code(out, tmp_path, path, status, words):
    answer = client(out, tmp_path).get(path, headers={"Accept": "application/json"})
    assert answer.status_code == status
    body = answer.json()
    assert words in body["error"] and "\n" not in body["error"] and body["status"] == status


@pytest.mark.parametrize("path", ["/weeks/..%2F..%2Fetc/files/passwd", "/weeks/2023-12-25/files/..%2Frun.json",
                                  "/weeks/2023-12-25/files/%2Fetc%2Fpasswd", "/static/..%2F__init__.py",
                                  "/weeks/2023-12-25/files/../../../../etc/passwd",
                                  "/api/v1/weeks/..%2F2023-12-25/cells"])
def test_no_request_reads_outside_the_app_folders(out, tmp_path, path):
    (tmp_path / "secret.txt").write_text("top secret")
    answer = client(out, tmp_path).get(path)
    assert answer.status_code in (400, 404) and "top secret" not in answer.text and "root:" not in answer.text


def test_pages_carry_a_policy_forbidding_inline_script_and_published_html_is_sandboxed(out, tmp_path):
    api = client(out, tmp_path)
    page = api.get("/weeks/latest")
    policy = page.headers["content-security-policy"]
    assert "script-src 'self'" in policy and "unsafe-inline" not in policy.split("script-src")[1].split(";")[0]
    published = api.get("/weeks/2023-12-25/files/map.en.html")
    assert published.status_code == 200 and published.headers["content-security-policy"].startswith("sandbox")


def test_names_from_the_data_are_escaped_in_pages(out, tmp_path):
    html = client(out, tmp_path).get("/weeks/2023-12-25?lang=en").text
    assert HOSTILE not in html and "&lt;script&gt;window.pwned=1&lt;/script&gt;" in html
    assert '" onmouseover="x' not in html
    assert "<script>" not in html.replace('<script src="/static/leaflet.js" defer></script>', "").replace(
        '<script src="/static/app.js" defer></script>', "")


def test_the_week_page_shows_tiers_top_areas_changes_and_downloads_in_french(out, tmp_path):
    api = client(out, tmp_path)
    html = api.get("/weeks/2023-12-25?lang=fr").text
    assert '<html lang="fr">' in html and "Semaine du 25 décembre 2023" in html
    assert "Téléchargements" in html and "/weeks/2023-12-25/files/risk_adm2.csv" in html
    assert "Là où le risque a le plus augmenté depuis la semaine dernière" in html
    assert 'href="/weeks/2023-12-18"' in html                # the previous week
    english = api.get("/weeks/2023-12-25", cookies={"lang": "en"}).text
    assert "Downloads" in english and 'id="lang-fr"' in english


def test_the_archive_lists_every_week_and_the_home_page_opens_the_latest(out, tmp_path):
    api = client(out, tmp_path)
    html = api.get("/archive?lang=en").text
    assert html.count('href="/weeks/2023-') >= 2
    home = api.get("/", follow_redirects=False)
    assert home.status_code == 307 and home.headers["location"] == "/weeks/latest"


def test_behind_a_proxy_links_carry_the_root_path(out, tmp_path):
    app = create_app(ServeSettings(out_dir=out, data_dir=tmp_path, clock=a_clock()), root_path="/sahelrisk")
    html = TestClient(app, root_path="/sahelrisk").get("/weeks/latest?lang=en").text
    assert 'href="/sahelrisk/archive"' in html and 'src="/sahelrisk/static/app.js"' in html


def test_leaflet_and_the_app_script_are_served_by_the_app(out, tmp_path):
    api = client(out, tmp_path)
    assert "Leaflet" in api.get("/static/leaflet.js").text[:2000]
    assert api.get("/static/app.js").headers["content-type"].startswith("text/javascript")
    assert api.get("/static/missing.js").status_code == 404


def test_with_a_token_set_computations_need_it_and_reading_stays_open(out, tmp_path):
    api = client(out, tmp_path, token="s3cret")
    refused = api.get("/api/v1/route?from=Ségou&to=Sokolo")
    assert refused.status_code == 401 and "Authorization: Bearer" in refused.json()["error"]
    wrong = api.get("/api/v1/route?from=Ségou&to=Sokolo", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "is not this server's" in wrong.json()["error"]
    upload = api.post("/api/v1/route", content=b"{}", headers={"Content-Type": "application/geo+json"})
    assert upload.status_code == 401
    assert api.get("/api/v1/weeks").status_code == 200 and api.get("/weeks/latest").status_code == 200


def test_an_upload_over_the_limit_is_one_clear_error(out, tmp_path):
    api = client(out, tmp_path, limits=Limits(upload_bytes=1000))
    big = json.dumps({"type": "LineString", "coordinates": [[-6 + i / 1e4, 13] for i in range(500)]}).encode()
    answer = api.post("/api/v1/route?name=big.geojson", content=big, headers={"Content-Type": "application/geo+json"})
    assert answer.status_code == 413 and "over the limit of 1,000" in answer.json()["error"]
    page = api.post("/route", files={"file": ("big.gpx", b"x" * 5000, "application/gpx+xml")})
    assert page.status_code == 413 and "big.gpx: the file is over the limit of 1,000 bytes" in page.text
    huge = api.post("/route", files={"file": ("huge.gpx", b"x" * 100_000, "application/gpx+xml")})
    assert huge.status_code == 413 and "over the limit" in huge.text


def test_an_upload_without_a_length_is_refused(out, tmp_path):
    def body():
        yield b'{"type": "LineString"}'
    answer = client(out, tmp_path).post("/api/v1/route", content=body(), headers={"Content-Type": "application/json"})
    assert answer.status_code == 411 and "Content-Length" in answer.json()["error"]


def test_no_published_week_is_a_404_naming_the_folder(tmp_path):
    api = client(tmp_path / "empty", tmp_path)
    answer = api.get("/api/v1/weeks/latest/cells")
    assert answer.status_code == 404 and "no week is published in" in answer.json()["error"]
    assert api.get("/api/v1/weeks").json() == []
    assert "No week is published yet." in api.get("/archive?lang=en").text


def test_serve_refuses_a_bad_root_path_in_one_line(tmp_path, real_data):
    import subprocess
    import sys
    result = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "serve", "--root-path", "sahelrisk",
                             "--data-dir", str(real_data)], capture_output=True, text=True, cwd=tmp_path)
    assert result.returncode == 3 and "must start with '/'" in result.stderr and "Traceback" not in result.stderr


def test_the_app_for_several_workers_reads_its_settings_from_the_environment(out, tmp_path, monkeypatch):
    from sahelrisk.cli import served_app, utc_now
    monkeypatch.setenv("SAHELRISK_OUT", str(out))
    monkeypatch.setenv("SAHELRISK_DATA", str(tmp_path))
    monkeypatch.setenv("SAHELRISK_API_TOKEN", "t0k3n")
    app = served_app()   # what each of `serve --workers N` runs
    assert app.state.services.settings.out_dir == out and app.state.services.settings.token == "t0k3n"
    assert app.state.services.settings.clock is utc_now
    assert TestClient(app).get("/api/v1/weeks").json()[0]["week"] == "2023-12-25"


def test_the_track_record_and_each_weeks_provenance_are_served(out, tmp_path):
    from sahelrisk.publishing.ledger import freeze
    api = client(out, tmp_path)
    assert api.get("/api/v1/track-record").status_code == 404                    # nothing verified yet
    assert "verified yet" in api.get("/api/v1/track-record").json()["error"]
    assert api.get("/api/v1/provenance/2023-12-25").status_code == 404           # published before the ledger
    freeze(out / "2023-12-25", vintage={"as_of": "2023-12-31"}, published_at="2023-12-26T06:00:00+00:00")
    freeze(out / "2023-12-25", published_at="2024-01-02T06:00:00+00:00")
    provenance = api.get("/api/v1/provenance/latest").json()
    assert provenance["week"] == "2023-12-25" and [r["manifest"]["revision"] for r in provenance["revisions"]] == [1, 2]
    first = provenance["revisions"][0]
    assert first["manifest"]["data"] == {"as_of": "2023-12-31"} and len(first["manifest"]["files"]["run.json"]) == 64
    assert provenance["revisions"][1]["ledger"]["previous"] == first["ledger"]["hash"]
    (out / "track_record").mkdir()
    (out / "track_record" / "track_record.json").write_text(json.dumps({"verified": ["2023-11-27"], "summary": []}))
    (out / "track_record" / "weeks.csv").write_text("week,level,ap\n2023-11-27,cells,0.31\n")
    assert api.get("/api/v1/track-record").json()["verified"] == ["2023-11-27"]
    csv = api.get("/api/v1/track-record?format=csv")
    assert csv.headers["content-type"].startswith("text/csv") and "2023-11-27,cells,0.31" in csv.text


def _track_record(out):
    (out / "track_record").mkdir(exist_ok=True)
    calls = {"model": {"called": 120, "caught": 33}, "rule_decay_neighbours": {"called": 120, "caught": 31},
             "flag_surge": {"called": 40, "caught": 5}}
    summary = [{"scope": "all", "window_weeks": 4, "weeks": 4, "first_week": "2023-11-06", "last_week": "2023-11-27",
                "positives": 41, "ap": 0.312, "brier": 0.041, "calls": calls,
                "versus": {"rule_decay_neighbours": {"difference": 0.049, "low": -0.02, "high": 0.11}}}]
    tiers = [{"tier": t, "low": lo, "high": hi, "units": 100, "with_event": 5, "share": s, "mean_forecast": s}
             for t, lo, hi, s in (("low", 0, 0.02, 0.01), ("elevated", 0.02, 0.1, 0.05), ("high", 0.1, 0.3, 0.2),
                                  ("very high", 0.3, 1.0, 0.45))]
    record = {"data_end": "2023-12-31", "verified": ["2023-11-27"], "pending": ["2023-12-04"], "summary": summary,
              "tiers": tiers, "weeks": []}
    (out / "track_record" / "track_record.json").write_text(json.dumps(record))


@pytest.mark.parametrize("lang, words", [
    ("en", ["Of the 41 cells where a deadly attack happened, 33 had been called high or very high.",
            "The rule of recent violence, given as many cells, had 31.", "+4.9 pts (−2.0 pts .. +11.0 pts)",
            "recent violence nearby"]),
    ("fr", ["Des 41 cellules touchées par une attaque meurtrière, 33 avaient été classées en risque élevé ou très élevé.",
            "violence récente à proximité", "flambée de la semaine (ACLED)", "0,312"])])
def test_the_track_record_page_tells_the_record_in_a_planners_words(out, tmp_path, lang, words):
    api = client(out, tmp_path)
    empty = api.get(f"/track-record?lang={lang}")
    assert empty.status_code == 200 and ("No published week has its outcomes" in empty.text
                                         or "Aucune semaine publiée" in empty.text)
    _track_record(out)
    page = api.get(f"/track-record?lang={lang}").text
    for expected in words:
        assert expected in page
    assert page.count("<rect") == 8 and "2023-12-04" not in page   # dates written in the language


@pytest.mark.parametrize("lang, words", [
    ("en", "This map is old: the newest published week is the week of December 25, 2023, with data up to "
           "December 25, 2023, 23 days ago."),
    ("fr", "Cette carte est ancienne : la semaine publiée la plus récente est celle du 25 décembre 2023, avec des "
           "données jusqu\u2019au 25 décembre 2023, il y a 23 jours.")])
def test_the_week_page_says_when_the_newest_map_is_old(out, tmp_path, lang, words):
    import html
    fresh = client(out, tmp_path, clock=a_clock("2024-01-03T08:00:00")).get(f"/weeks/2023-12-18?lang={lang}").text
    assert 'id="freshness"' not in fresh                                  # 9 days: fresh
    old = client(out, tmp_path, clock=a_clock("2024-01-17T08:00:00")).get(f"/weeks/2023-12-18?lang={lang}").text
    assert 'id="freshness"' in old
    assert words.replace("\u2019", "'") in html.unescape(old)


def test_health_tells_the_newest_week_its_age_its_sources_and_the_next_run(out, tmp_path):
    from sahelrisk.publishing.ledger import freeze
    freeze(out / "2023-12-25", vintage={"events": {"ucdp_candidate": {"releases": ["candidate_26_0_2"],
                                                                      "latest_event": "2023-12-24"}}})
    health = client(out, tmp_path, clock=a_clock("2024-01-03T08:00:00")).get("/api/v1/health").json()
    assert health["newest_week"] == "2023-12-25" and health["data_age_days"] == 9 and health["status"] == "ok"
    assert health["sources"]["ucdp_candidate"]["latest_event"] == "2023-12-24"
    assert health["next_run_due"] == "2024-01-08"                         # the next Monday
    late = client(out, tmp_path, clock=a_clock("2024-01-22T08:00:00")).get("/api/v1/health").json()
    assert late["status"] == "stale" and late["data_age_days"] == 28
    nothing = client(tmp_path / "empty", tmp_path).get("/api/v1/health").json()
    assert nothing["status"] == "nothing published" and nothing["newest_week"] is None


def test_the_last_verified_weeks_map_is_served_and_other_names_are_not(out, tmp_path):
    _track_record(out)
    (out / "track_record" / "last_week.fr.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    api = client(out, tmp_path)
    assert api.get("/track-record/last_week.fr.png").headers["content-type"] == "image/png"
    assert api.get("/track-record/last_week.en.png").status_code == 404
    assert api.get("/track-record/..%2Frun.json").status_code == 404
