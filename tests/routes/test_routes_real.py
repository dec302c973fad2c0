"""Routes and sites on the real data, through the API and the CLI, with a champion trained on it."""

import json
import subprocess
import sys

import pytest

from sahelrisk import api

pytestmark = pytest.mark.slow
WEEK = "2023-12-25"


@pytest.fixture(scope="module")
def loaded(registered):
    mlruns, _ = registered
    return api.load_model("champion", name="test-grid-any-fatal-4w", mlruns=mlruns)


def test_the_convoy_corridor_north_of_niono_is_scored_stretch_by_stretch(loaded, real_data):
    segments = api.route_risk(["Ségou", "Niono", "Sokolo"], WEEK, model=loaded, data_dir=real_data)
    summary = segments.attrs["routes"][0]
    assert 140 < summary["km"] < 190 and summary["km_off_network"] > 5     # Sokolo lies off the main roads
    assert segments["km"].sum() == pytest.approx(summary["km"], abs=0.5)
    assert segments["probability"].between(0, 1).all() and len(segments) >= 4
    assert 0 < summary["probability"] < summary["probability_independent"] < 1
    # the corridor's calibration map travelled with the model (fitted in training) where it had one
    assert set(loaded.area_calibration.maps) >= {"adm1", "adm2"}


def test_alternatives_between_two_towns_differ_and_are_ranked(loaded, real_data):
    segments = api.route_risk(["Bamako", "Mopti"], WEEK, alternatives=2, model=loaded, data_dir=real_data)
    routes = segments.attrs["routes"]
    assert len(routes) == 3 and routes[0]["route"] == "fastest" and routes[0]["rank_by_time"] == 1
    assert sorted(r["rank_by_risk"] for r in routes) == [1, 2, 3]
    assert all(r["extra_hours"] > 0 for r in routes[1:])


def test_every_mining_site_and_a_users_site_is_ranked(loaded, real_data, tmp_path):
    mine = tmp_path / "orpaillage.csv"
    mine.write_text("name,latitude,longitude\nSite artisanal près de Djibo,14.1,-1.63\n")
    sites = api.site_risk(WEEK, mine, model=loaded, data_dir=real_data)
    assert len(sites) > 150 and sites["rank"].iloc[0] == 1
    user = sites[sites["source"] == "orpaillage.csv"].iloc[0]
    assert user["probability"] > 0.05 and user["events_52w"] > 0      # Djibo: the heart of the violence


def test_the_route_command_prints_the_table_and_writes_geojson_and_maps(registered, small_spec, real_data, tmp_path):
    mlruns, _ = registered
    command = [sys.executable, "-m", "sahelrisk.cli", "route", "--from", "Ségou", "--via", "Niono", "--to", "14.7328,-6.1219",
               "--week", WEEK, "--spec", small_spec.origin, "--data-dir", str(real_data), "--out", str(tmp_path)]
    done = subprocess.run(command, capture_output=True, text=True, cwd=mlruns.parent, timeout=600)
    assert done.returncode == 0, done.stderr
    assert "stretch" in done.stdout and "P(fatal event in the corridor" in done.stdout
    folder = next((tmp_path / "routes" / WEEK).iterdir())
    assert sorted(p.name for p in folder.iterdir()) == ["route.en.html", "route.fr.html", "route.geojson",
                                                        "segments.csv", "summary.json"]
    assert json.loads((folder / "summary.json").read_text())["routes"][0]["route"] == "fastest"
    page = (folder / "route.fr.html").read_text()
    assert '<html lang="fr"' in page and "tronçon" in page and "<script src=\"http" not in page


@pytest.mark.parametrize("args, message", [
    (["--from", "Atlantis", "--to", "Mopti"], "place 'Atlantis' is not in the gazetteer"),
    (["--from", "Ségou"], "give either --from and --to"),
    (["--track", "missing.gpx"], "missing.gpx: does not exist"),
])
def test_bad_route_input_is_one_line_and_exit_3_or_4(registered, small_spec, real_data, tmp_path, args, message):
    mlruns, _ = registered
    done = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "route", *args, "--week", WEEK, "--spec",
                           small_spec.origin, "--data-dir", str(real_data), "--out", str(tmp_path)],
                          capture_output=True, text=True, cwd=mlruns.parent, timeout=600)
    assert done.returncode in (3, 4) and message in done.stderr and "Traceback" not in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1



def test_the_sites_command_writes_under_the_weeks_monday_and_prints_names_as_text(registered, small_spec, real_data,
                                                                                  tmp_path):
    mlruns, _ = registered
    mine = tmp_path / "sites.csv"
    mine.write_text('name,latitude,longitude\n"[/bold] Site [red]près de Djibo",14.1,-1.63\n')
    done = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "sites", "--week", "2023-12-27", "--sites", str(mine),
                           "--only-mine", "--spec", small_spec.origin, "--data-dir", str(real_data),
                           "--out", str(tmp_path / "out")], capture_output=True, text=True, cwd=mlruns.parent,
                          timeout=600)
    assert done.returncode == 0, done.stderr
    assert "[/bold] Site [red]près de Djibo" in done.stdout
    assert [p.name for p in (tmp_path / "out" / "sites").iterdir()] == [WEEK]   # the Monday, not the Wednesday
