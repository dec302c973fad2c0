"""Generated hostile names for admin areas, mines, places, a user's sites and a track's file go through
every output of a real scored week (HTML map, bulletin and route page, CSV, PDF, PNG, the console,
folder names): no script, no formula, no crash, no path outside the output folder."""

import csv
import json
from dataclasses import replace
from html.parser import HTMLParser
from pathlib import Path

import geopandas as gpd
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from rich.console import Console

from sahelrisk import api, console
from sahelrisk.escaping import FORMULA_START
from sahelrisk.features.panel import PanelInputs
from sahelrisk.publishing.outputs import write_outputs, write_route_outputs, write_site_outputs
from sahelrisk.publishing.summaries import top_sites, top_units
from sahelrisk.routes.risk import site_risk as assess_sites
from sahelrisk.routes.sites import mining_sites, read_sites
from tests.hostile import HOSTILE_NAME

pytestmark = pytest.mark.slow
WEEK = "2023-12-25"
N = 6        # names replaced per layer in each example
COUNTRIES = ("MLI", "BFA", "NER")


@pytest.fixture(scope="module")
def scored(registered, real_data):
    mlruns, _ = registered
    model = api.load_model("champion", name="test-grid-any-fatal-4w", mlruns=mlruns)
    scored = api.score_with_layers(WEEK, model=model, data_dir=real_data, levels=("adm2", "adm1"))
    segments = api.route_risk(["Ségou", "Niono", "Sokolo"], WEEK, model=model, data_dir=real_data)
    return scored, segments


class _Tags(HTMLParser):
    """The page's element structure: tag names and attribute names (values such as ids vary)."""

    def __init__(self):
        super().__init__()
        self.tags = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))


def _structure(path: Path) -> list:
    parser = _Tags()
    parser.feed(path.read_text("utf-8"))
    return parser.tags


def _named(scored, names):
    """The scored week with ``names`` given to the highest areas, mines, places and sites."""
    result, inputs = scored.result, scored.inputs
    adm2 = result.areas["adm2"].sort_values("rank").copy()
    renamed = dict(zip(adm2["adm2_pcode"].head(N), names, strict=False))
    adm2["adm2_name"] = adm2["adm2_pcode"].map(renamed).fillna(adm2["adm2_name"])
    cells = result.cells.copy()
    if "adm2_name" in cells:
        cells["adm2_name"] = cells["adm2_pcode"].map(renamed).fillna(cells["adm2_name"])
    layers = dict(inputs.layers)
    for layer in ("mining_sites", "places"):
        table = layers[layer].copy()
        order = table.index[:N] if layer == "mining_sites" else table["population"].nlargest(N).index
        table.loc[order, "name"] = names[:len(order)]
        layers[layer] = table
    named = replace(result, cells=cells, areas={**result.areas, "adm2": adm2})
    return named, PanelInputs(inputs.events, layers, inputs.as_of, inputs.fingerprint)


def _check_csv(path: Path, names=()) -> None:
    with open(path, newline="", encoding="utf-8") as f:
        cells = [cell for row in csv.reader(f) for cell in row]
    for cell in cells:
        # a lone dash is the outputs' "no value" mark (csv_cell keeps it): no spreadsheet runs it
        if cell.startswith(FORMULA_START) and cell != "-":
            float(cell)              # only a plain number may start with - or +
    for name in names:
        assert name in cells or "'" + name in cells, f"{name!r} lost from {path.name}"


@pytest.fixture(scope="module")
def baseline(scored, tmp_path_factory):
    """The same outputs with plain names: the structure every hostile page must keep."""
    out = tmp_path_factory.mktemp("plain")
    result, inputs = _named(scored[0], [f"Name {i}" for i in range(N)])
    folder = write_outputs(result, scored[0].model, inputs, out, horizon_weeks=4)
    return {p.name: _structure(p) for p in folder.glob("*.html")}


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(names=st.lists(HOSTILE_NAME, min_size=N, max_size=N, unique=True), track=HOSTILE_NAME,
       lang=st.sampled_from(["fr", "en"]))
def test_hostile_names_run_no_script_start_no_formula_and_stay_in_their_folder(scored, baseline, tmp_path_factory,
                                                                               monkeypatch, names, track, lang):
    out = tmp_path_factory.mktemp("hostile")
    result, inputs = _named(scored[0], names)
    folder = write_outputs(result, scored[0].model, inputs, out, horizon_weeks=4, langs=(lang,))
    for page in folder.glob("*.html"):
        assert _structure(page) == baseline[page.name], f"{page.name}: names changed the page's elements"
    _check_csv(folder / "risk_adm2.csv", names)
    _check_csv(folder / "risk_sites.csv")
    assert (folder / f"bulletin.{lang}.pdf").read_bytes().startswith(b"%PDF")
    assert (folder / f"map.{lang}.png").read_bytes().startswith(b"\x89PNG")
    json.loads((folder / "run.json").read_text())

    segments = scored[1]
    route = write_route_outputs(segments, result.cells, inputs, out, track, langs=(lang,))
    assert route.parent == out / "routes" / WEEK and route.name not in ("", ".", "..")
    assert (route / f"route.{lang}.html").is_file() and (folder / "run.json").is_file()   # the week's folder kept

    listed = out / "sites.csv"                  # a user's site list, names and all
    with open(listed, "w", newline="", encoding="utf-8") as f:
        csv.writer(f, lineterminator="\r\n").writerows([("name", "latitude", "longitude"),
                                                        *((n, 14.1, -1.63 + i / 10) for i, n in enumerate(names))])
    sites = assess_sites(gpd.GeoDataFrame(pd.concat([mining_sites(inputs.layers["mining_sites"], COUNTRIES),
                                                     read_sites(listed)], ignore_index=True), crs="EPSG:4326"),
                         result.cells, inputs.events, scored[0].week)
    _check_csv(write_site_outputs(sites, out, WEEK) / "sites.csv", names)

    wide = Console(width=2000, record=True)
    monkeypatch.setattr(console, "console", wide)
    console.print_summary(top_units(result.areas["adm2"], units="adm2", week=scored[0].week, horizon_weeks=4,
                                    lang=lang, n=N))
    console.print_summary(top_sites(sites, radius_km=25, lang=lang, n=len(sites)))
    printed = wide.export_text()
    assert all(n in printed for n in names if n.isprintable()), "a name was read as markup"
