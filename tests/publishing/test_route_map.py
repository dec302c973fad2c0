"""The route map: one offline page, the route by risk, and no hostile name runs script."""

import pandas as pd
from shapely.geometry import LineString

from sahelrisk.publishing.route_map import route_map
from sahelrisk.routes.network import track_route
from sahelrisk.routes.risk import assess_routes
from tests.publishing.test_maps import HOSTILE, _chromium, _layers, needs_chromium


def _page(tmp_path, lang="fr"):
    cells, _, events, _, _, places, countries = _layers()
    routes = [track_route(LineString([(-5.9, 14.25), (-3.2, 14.25)]), 50, name=HOSTILE[0]),
              track_route(LineString([(-5.9, 14.1), (-3.2, 14.4)]), 40, name=HOSTILE[3])]
    segments = assess_routes(routes, cells, events.assign(has_location=True), pd.Timestamp("2023-12-25"))
    page = route_map(segments, cells, events, places=places, countries=countries, title=HOSTILE[2], lang=lang)
    path = tmp_path / f"route.{lang}.html"
    path.write_text(page, encoding="utf-8")
    return path


def test_the_route_map_is_self_contained_and_escapes_names(tmp_path):
    text = _page(tmp_path).read_text()
    assert "<script src=\"http" not in text and "L.map(" in text
    assert "<img src=x" not in text and "</script><script>document" not in text


@needs_chromium
def test_hostile_route_and_place_names_run_no_script_and_the_route_draws(tmp_path):
    page = _page(tmp_path)
    dom = _chromium(page, "--dump-dom")
    html_tag = dom[dom.index("<html"):dom.index(">", dom.index("<html"))]
    assert "data-pwned" not in html_tag
    assert dom.count("leaflet-interactive") >= 10 and "place-label" in dom and 'id="legend"' in dom


def test_a_long_gps_track_is_cleaned_before_it_is_scored_drawn_and_saved():
    import numpy as np

    cells, _, events, _, _, places, countries = _layers()
    lon = np.linspace(-5.9, -3.2, 200_000)                       # a point every ~1.5 m, as a GPS logs
    lat = 14.25 + 0.01 * np.sin(np.linspace(0, 40, lon.size))
    track = track_route(LineString(np.column_stack([lon, lat])), 50, name="log.gpx")
    segments = assess_routes([track], cells, events.assign(has_location=True), pd.Timestamp("2023-12-25"))
    page = route_map(segments, cells, events, places=places, countries=countries, title="t", lang="en")
    assert len(page) < 2_000_000                                  # the whole track inlined would be ~15 MB
    # scored on the cleaned line (issue 36): at most 10 points per km, the swings of the road kept
    km = segments["km"].sum()
    points = sum(len(g.coords) for g in segments.geometry)
    assert 290 < km < 320 and 40 < points <= 10 * km + len(segments)
