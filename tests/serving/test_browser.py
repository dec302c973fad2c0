"""The web app in a real browser: Debian's Chromium driven by Playwright against uvicorn on
127.0.0.1, on the real data. Screenshots go to $SAHELRISK_SCREENSHOTS when set (the README's)."""

import os
import shutil
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(shutil.which("chromium") is None,
                                 reason="Debian's chromium is not installed (.ci/run installs it)")]

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
HOSTILE = "<img src=x onerror=\"window.pwned=1\">"


@pytest.fixture(scope="module")
def browser(tmp_path_factory):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=shutil.which("chromium"), args=FLAGS)
        yield browser
        browser.close()


@pytest.fixture
def page(browser, live):
    context = browser.new_context(base_url=live.url, viewport={"width": 1280, "height": 1000}, locale="en-GB")
    page = context.new_page()
    page.dialogs = []
    page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
    page.console_errors = []
    page.on("console", lambda m: page.console_errors.append(m.text) if m.type == "error" else None)
    yield page
    context.close()


def _shot(page, name: str) -> None:
    folder = os.environ.get("SAHELRISK_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / name), full_page=False)


def test_a_planner_opens_the_week_switches_to_french_and_checks_segou_to_sokolo(page):
    page.goto("/")
    page.wait_for_selector("#map[data-drawn]")                         # the cells drawn by Leaflet
    assert int(page.get_attribute("#map", "data-drawn")) > 1000
    assert page.locator("#tier-counts li").count() == 4
    page.click("#lang-fr")
    assert page.locator("html").get_attribute("lang") == "fr"
    assert page.locator("h2", has_text="Téléchargements").count() == 1
    page.wait_for_selector("#map[data-drawn]")
    page.click("text=Planificateur d'itinéraire")
    page.fill("#from", "Ségou")
    page.fill("#to", "Sokolo")
    page.click("#check")
    page.wait_for_selector("#route-map[data-drawn]")
    assert page.locator("#route-map path.leaflet-interactive").count() >= 3   # the stretches, drawn
    probability = page.locator("#routes .corridor-p").first.inner_text()
    assert probability.endswith("%") and 0 < float(probability.rstrip(" %\u202f\xa0").replace(",", ".")) < 100
    assert page.locator("#stretches tbody tr").count() >= 2
    assert "Itinéraires, du moins risqué au plus risqué" in page.content()
    page.wait_for_selector("#route-history[data-weeks]")                     # the route over the published weeks
    assert page.get_attribute("#route-history", "data-weeks") == "3"
    assert page.dialogs == [] and not page.console_errors
    _shot(page, "webapp_route_fr_segou-sokolo.png")


def test_an_uploaded_gpx_track_is_checked(page, tmp_path):
    from tests.serving.test_app_real import GPX

    track = tmp_path / "convoy.gpx"
    track.write_text(GPX.format(name="convoy"), encoding="utf-8")
    page.goto("/route?lang=en")
    page.set_input_files("#track-file", str(track))
    page.click("#upload")
    page.wait_for_selector("#route-map[data-drawn]")
    assert "Track convoy.gpx" in page.inner_text("main")
    assert page.locator("#routes tbody tr").count() == 1 and page.locator("#stretches tbody tr").count() >= 1


def test_a_hostile_place_name_runs_no_script(page):
    page.goto("/route?lang=en")
    page.fill("#from", HOSTILE)
    page.fill("#to", "Sokolo")
    page.click("#check")
    page.wait_for_selector("#error")
    assert "onerror" in page.inner_text("#error")                      # shown as text, not run
    assert page.evaluate("window.pwned") is None and page.dialogs == []
    assert page.locator("main img").count() == 0


def test_a_hostile_name_inside_an_uploaded_file_runs_no_script(page, tmp_path):
    sites = tmp_path / "sites.csv"
    sites.write_text(f'name,latitude,longitude\n"{HOSTILE.replace(chr(34), chr(34) * 2)}",13.9,-5.4\n'
                     "<script>window.pwned=2</script>,14.3,-4.1\n", encoding="utf-8")
    page.goto("/sites?lang=en")
    page.set_input_files("#sites-file", str(sites))
    page.click("#sites-upload")
    page.wait_for_selector("#sites tbody tr")
    assert "<script>window.pwned=2</script>" in page.inner_text("#sites")   # the name, as text
    assert page.evaluate("window.pwned") is None and page.dialogs == [] and page.locator("#sites img").count() == 0
    # a hostile file name too, on the route planner
    track = tmp_path / "track.gpx"
    from tests.serving.test_app_real import GPX
    track.write_text(GPX.format(name=HOSTILE.replace("<", "&lt;")), encoding="utf-8")
    page.goto("/route?lang=en")
    page.set_input_files("#track-file", {"name": "<img src=x onerror=window.pwned=3>.gpx", "mimeType": "application/gpx+xml",
                                         "buffer": track.read_bytes()})
    page.click("#upload")
    page.wait_for_selector("#route-map[data-drawn]")
    assert page.evaluate("window.pwned") is None and page.dialogs == []


def test_the_mining_sites_table_sorts_in_the_browser_beside_their_map(page):
    page.goto("/sites?lang=en")
    page.wait_for_selector("#sites-map[data-drawn]")
    assert int(page.get_attribute("#sites-map", "data-drawn")) == page.locator("#sites tbody tr").count()
    page.wait_for_selector("#sites-map[data-towns]")                         # on the basemap
    page.wait_for_selector("#sites tbody tr")
    first = page.locator("#sites tbody tr").first.inner_text()
    page.click("#sites th:nth-child(6)")            # probability: ascending, the least risky first
    assert page.locator("#sites tbody tr").first.inner_text() != first
    page.click("#sites th:nth-child(6)")            # again: descending, the riskiest first
    assert page.locator("#sites tbody tr").first.inner_text() == first


def test_a_planner_reads_how_often_the_published_maps_were_right_in_french(page):
    page.goto("/track-record?lang=fr")
    assert page.locator("h1").inner_text() == "Les cartes publiées ont-elles vu juste ?"
    claim = page.locator("p.claim").first.inner_text()
    assert claim.startswith("Des ") and "avaient été classées en risque élevé ou très élevé" in claim
    assert page.locator("table.track").first.locator("tbody tr").count() >= 3     # sahelrisk and the rules
    page.wait_for_function("document.querySelector('img.verified-map') && document.querySelector('img.verified-map').naturalWidth > 0")
    assert page.locator("svg.reliability rect").count() == 8
    assert page.console_errors == []
    _shot(page, "track_record.png")


@pytest.mark.parametrize("path, drawn", [("/docs", ".swagger-ui .opblock"), ("/redoc", "redoc h1, [role=navigation]")])
def test_the_api_docs_render_offline_under_the_policy(page, live, path, drawn):
    fetched = []   # from elsewhere (ReDoc asks a CDN for its logo: the policy refuses it)
    page.on("response", lambda r: None if r.url.startswith((live.url, "data:", "blob:")) else fetched.append(r.url))
    page.goto(path)
    page.wait_for_selector(drawn, timeout=30_000)
    assert page.locator(drawn).count() >= 1
    if path == "/docs":
        assert page.locator(".opblock-summary-path", has_text="/api/v1/route").count() >= 1
    assert fetched == [] and not [e for e in page.console_errors if "script" in e and "Content Security" in e]


def test_the_week_map_has_a_basemap_with_towns_a_legend_a_scale_and_a_panel_for_a_tap(page, live):
    layers = []
    page.on("response", lambda r: layers.append(r.url.split("/basemap/")[1].split(".")[0])
            if "/basemap/" in r.url and r.ok else None)
    page.goto("/weeks/latest?lang=fr")
    page.wait_for_selector("#map[data-drawn]")
    page.wait_for_selector("#map[data-towns]")
    assert int(page.get_attribute("#map", "data-towns")) >= 5                 # the largest towns, named
    labels = page.locator("#map .town-label").all_inner_texts()
    assert "Ségou" in labels and "Mopti" in labels
    assert page.locator("#map .leaflet-control-scale-line").count() == 1
    assert page.locator("#map .legend").inner_text().split("\n")[0].strip() == "très élevé"
    page.wait_for_load_state("networkidle")
    assert sorted(layers) == ["adm1", "adm2", "countries", "roads", "towns"]    # every layer from the app itself
    before = page.inner_text("#map-info")
    page.locator("#map").click(position={"x": 400, "y": 240})                # a tap on a cell
    assert page.inner_text("#map-info") != before and "%" in page.inner_text("#map-info")
    page.wait_for_selector("#map-info svg.history")                          # and its history, drawn
    assert page.locator("#map-info svg.history circle").count() == 3
    assert "3 semaines publiées" in page.inner_text("#map-info")
    _shot(page, "webapp_week_basemap_fr.png")
    # closer in, more towns are named
    shown = int(page.get_attribute("#map", "data-towns"))
    page.mouse.move(640, 240)
    for _ in range(4):
        page.mouse.wheel(0, -300)
        page.wait_for_timeout(400)
    page.wait_for_function(f"Number(document.querySelector('#map').dataset.towns) > {shown}")


@pytest.mark.parametrize("path", ["/weeks/latest", "/route?from=Ségou&via=Niono&to=Sokolo&alternatives=2",
                                  "/sites", "/track-record", "/archive"])
def test_every_page_fits_a_phone_without_sideways_scrolling(browser, live, path):
    context = browser.new_context(base_url=live.url, viewport={"width": 360, "height": 740}, is_mobile=True,
                                  has_touch=True, locale="fr-FR")
    page = context.new_page()
    try:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= 360
    finally:
        context.close()


@pytest.mark.parametrize("lang", ["fr", "en"])
@pytest.mark.parametrize("path", ["/weeks/latest", "/route?from=Ségou&via=Niono&to=Sokolo&alternatives=2",
                                  "/sites", "/track-record", "/archive", "/login", "/weeks/2001-01-01"])
def test_axe_core_finds_no_accessibility_violation(page, path, lang):
    from axe_playwright_python.sync_playwright import Axe

    page.goto(f"{path}{'&' if '?' in path else '?'}lang={lang}")
    page.wait_for_load_state("networkidle")
    results = Axe().run(page)
    found = [(v["id"], v["help"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]
    assert found == []


def test_the_accessibility_check_does_find_a_violation_when_there_is_one(page):
    from axe_playwright_python.sync_playwright import Axe

    page.set_content('<html lang="en"><head><title>t</title></head><body><main><img src="data:,"></main></body></html>')
    assert "image-alt" in {v["id"] for v in Axe().run(page).response["violations"]}
