"""What a careless or hostile client can send the web app: malformed bodies and parameters, the
sign-in form, and what every answer says about caching. Each is a 4xx with one line, never a 500."""

import json

import pytest

from tests.serving.published import client, synthetic_archive

TOKEN = "s3cret-t0ken"
SIGNED = {"Authorization": f"Bearer {TOKEN}"}


@pytest.fixture
def out(tmp_path):
    return synthetic_archive(tmp_path)


def _post_track(api, body: bytes, name: str = "track.geojson"):
    return api.post(f"/api/v1/route?name={name}", content=body, headers={**SIGNED, "Content-Type": "application/json"})


@pytest.mark.filterwarnings("ignore:invalid value encountered")   # shapely, meeting the NaN we refuse
@pytest.mark.parametrize("body, words", [
    (b"[" * 100_000 + b"]" * 100_000, "nested deeper than any GeoJSON"),
    (json.dumps({"type": "LineString", "coordinates": [[-6, 13]]}).encode(), "a line of a single point"),
    (json.dumps({"type": "LineString", "coordinates": "abc"}).encode(), "is not valid GeoJSON"),
    (json.dumps({"type": "LineString", "coordinates": [["a", "b"], [1, 2]]}).encode(), "is not valid GeoJSON"),
    (b'{"type":"LineString","coordinates":[[1' + b"0" * 5000 + b',2],[1,2]]}', "a number too long to be a coordinate"),
    (b'{"type":"LineString","coordinates":[[NaN,2],[1,2]]}', "not a number (NaN or infinity)"),
    (b'{"type":"LineString","coordinates":[[1e308,1e308],[-1e308,2]]}', "outside lon -180..180"),
    (b'{"type": "Polygon", "coordinates": [[[0, 0], [1, 1]]]}', "A linearring requires at least 4"),
])
def test_a_malformed_track_is_a_400_naming_the_file_in_one_line(out, tmp_path, body, words):
    answer = _post_track(client(out, tmp_path, token=TOKEN), body)
    assert answer.status_code == 400, answer.text
    error = answer.json()["error"]
    assert error.startswith("track.geojson: ") and words in error and "\n" not in error


@pytest.mark.parametrize("query, words", [
    ("buffer_km=1e400", "buffer_km: Input should be less than or equal to 50 (got '1e400')"),
    ("buffer_km=ten", "buffer_km: Input should be a valid number"),
    ("speed_kmh=-1", "speed_kmh: Input should be greater than 0"),
    ("format=xlsx", "format: String should match pattern"),
])
def test_a_parameter_of_the_wrong_type_or_range_is_a_400_naming_it(out, tmp_path, query, words):
    answer = client(out, tmp_path, token=TOKEN).post(f"/api/v1/route?{query}", content=b"{}", headers=SIGNED)
    assert answer.status_code == 400 and words in answer.json()["error"] and "\n" not in answer.json()["error"]


def test_an_unknown_path_or_method_is_one_line_in_the_apps_form(out, tmp_path):
    api = client(out, tmp_path)
    missing = api.get("/api/v1/nothing-here")
    assert missing.status_code == 404 and "no page or API path '/api/v1/nothing-here'" in missing.json()["error"]
    wrong = api.delete("/api/v1/weeks")
    assert wrong.status_code == 405 and "DELETE is not allowed" in wrong.json()["error"]
    page = api.get("/logout")
    assert page.status_code == 405 and "<h1>" in page.text and "GET is not allowed" in page.text


def test_sign_in_checks_the_token_before_setting_its_cookie_and_sign_out_forgets_it(out, tmp_path):
    api = client(out, tmp_path, token=TOKEN)
    wrong = api.post("/login", data={"token": "guess"}, follow_redirects=False)
    assert wrong.status_code == 401 and "set-cookie" not in wrong.headers and 'id="error"' in wrong.text
    flood = api.post("/login", data={"token": "x" * 1_000_000}, follow_redirects=False)
    assert flood.status_code == 413 and "set-cookie" not in flood.headers and len(flood.content) < 20_000
    right = api.post("/login", data={"token": TOKEN}, follow_redirects=False)
    cookie = right.headers["set-cookie"]
    assert right.status_code == 303 and "HttpOnly" in cookie and "SameSite=strict" in cookie and "Secure" not in cookie
    assert right.headers["cache-control"] == "no-store"
    assert api.get("/api/v1/route?from=Ségou&to=Sokolo").status_code != 401    # the cookie is the token now
    assert "Sign out" in api.get("/weeks/latest?lang=en").text
    gone = api.post("/logout", follow_redirects=False)
    assert gone.status_code == 303 and 'sahelrisk_token=""' in gone.headers["set-cookie"]
    assert "Max-Age=0" in gone.headers["set-cookie"] and gone.headers["cache-control"] == "no-store"
    api.cookies.clear()
    assert api.get("/api/v1/route?from=Ségou&to=Sokolo").status_code == 401


def test_the_token_cookie_is_secure_when_served_over_https(out, tmp_path):
    api = client(out, tmp_path, token=TOKEN)
    api.base_url = "https://testserver"
    assert "Secure" in api.post("/login", data={"token": TOKEN}, follow_redirects=False).headers["set-cookie"]


def test_every_answer_says_how_long_it_may_be_kept(out, tmp_path):
    api = client(out, tmp_path)
    assert api.get("/weeks/2023-12-25").headers["cache-control"] == "no-cache"          # a page: its language
    assert api.get("/api/v1/weeks/latest/cells").headers["cache-control"] == "no-cache"  # a new week may be out
    dated = api.get("/api/v1/weeks/2023-12-25/cells")
    assert dated.headers["cache-control"] == "public, max-age=3600"
    assert api.get("/weeks/2023-12-25/files/risk_grid.geojson").headers["cache-control"] == "public, max-age=3600"
    signed = client(out, tmp_path, token=TOKEN).get("/api/v1/weeks/2023-12-25/cells", headers=SIGNED)
    assert signed.headers["cache-control"] == "private, max-age=3600"
    assert api.get("/api/v1/weeks").headers["cache-control"] == "no-cache"
    assert api.get("/nothing").headers["cache-control"] == "no-cache"


def test_the_api_docs_are_served_with_their_own_files_under_the_policy(out, tmp_path):
    api = client(out, tmp_path)
    for path, needs in (("/docs", ("/static/swagger-ui-bundle.js", "/static/docs.js")),
                        ("/redoc", ("/static/redoc.standalone.js",))):
        page = api.get(path)
        policy = page.headers["content-security-policy"]
        assert page.status_code == 200 and "script-src 'self';" in policy and "http" not in policy
        assert "cdn" not in page.text and all(f'src="{n}"' in page.text for n in needs)
        for name in needs:
            script = api.get(name)
            assert script.status_code == 200 and script.headers["content-type"].startswith("text/javascript")
    assert api.get("/static/swagger-ui.css").status_code == 200


def test_a_french_error_page_says_what_happened_in_french_and_gives_the_detail(out, tmp_path):
    page = client(out, tmp_path).get("/weeks/2020-01-06?lang=fr")
    assert page.status_code == 404 and '<html lang="fr">' in page.text
    assert "Rien n'est publié à cette adresse." in page.text and "Détail (en anglais) :" in page.text
    assert "week 2020-01-06 is not published" in page.text
