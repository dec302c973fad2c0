"""Scoring a week on the real data, the outputs planners read, and the scoring path = backtest path."""

import json
import shutil
import subprocess
from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd
import pytest

from sahelrisk import api
from sahelrisk.errors import ModelNotFoundError, SahelriskError
from sahelrisk.features.panel import load_inputs
from sahelrisk.publishing.outputs import output_files, write_outputs
from sahelrisk.scoring.week import risk_tier
from tests.conftest import REPO

pytestmark = pytest.mark.slow
LATEST = "2023-12-25"


@pytest.fixture(scope="module")
def loaded(registered):
    mlruns, _ = registered
    return api.load_model("champion", name="test-grid-any-fatal-4w", mlruns=mlruns)


@pytest.fixture(scope="module")
def latest(loaded, real_data, catalog):
    inputs = load_inputs(catalog, real_data, spec=loaded.spec, as_of=date(2023, 12, 31))
    result, _ = api.score_all(LATEST, horizon_weeks=4, model=loaded, data_dir=real_data, levels=("adm2", "adm1"),
                              inputs=inputs)
    return result, inputs


@pytest.fixture(scope="module")
def outputs(latest, loaded, tmp_path_factory):
    result, inputs = latest
    return write_outputs(result, loaded, inputs, tmp_path_factory.mktemp("out"), horizon_weeks=4)


def test_grid_scores_every_cell_with_names_tiers_ranks_and_drivers(latest, loaded):
    cells = latest[0].cells
    assert len(cells) == 1031 and cells["unit_id"].is_unique
    assert cells["probability"].between(0, 1).all()
    assert (cells["risk_tier"] == risk_tier(cells["probability"])).all()
    assert sorted(cells["rank"]) == list(range(1, 1032))
    assert cells["adm2_pcode"].notna().all() and cells["adm1_name"].notna().all()
    top = cells.nsmallest(20, "rank")
    assert top["top_drivers"].str.len().gt(0).all()
    first = json.loads(top["driver_records"].iloc[0])
    assert first and {"feature", "value", "typical"} <= set(first[0])  # the unit's own number and a comparison
    assert (" against " in top["top_drivers"].iloc[0]) or ("(typical: " in top["top_drivers"].iloc[0])
    # what moved a unit since last week: the inputs that changed, with last week's value
    moved = cells[cells["top_changes"].str.len() > 0]
    assert len(moved) > 0 and moved["top_changes"].str.contains("(last week: ", regex=False).all()
    assert (cells["week"] == pd.Timestamp(LATEST)).all() and (cells["horizon_weeks"] == 4).all()
    assert cells["model_version"].iloc[0] == f"test-grid-any-fatal-4w v{loaded.version}"
    assert cells["latest_event"].iloc[0] == "2023-12-31"
    assert np.isfinite(cells["change_vs_last_week"]).all()


def test_cells_and_areas_forecast_how_many_may_die(latest):
    result = latest[0]
    for frame in (result.cells, result.areas["adm2"]):
        assert (frame["deaths_q05"] <= frame["deaths_q25"]).all() and (frame["deaths_q75"] <= frame["deaths_q95"]).all()
        assert (frame["p_25plus_deaths"] <= frame["p_10plus_deaths"]).all()
        assert (frame["p_10plus_deaths"] <= frame["probability"] + 0.02).all()  # 10 deaths need at least one
    cells = result.cells
    # the expected deaths follow the risk: the riskiest tenth of cells carries most of them
    top = cells["rank"] <= len(cells) // 10
    assert cells.loc[top, "deaths_expected"].sum() > cells.loc[~top, "deaths_expected"].sum()


def test_the_highest_risk_areas_read_differently(latest):
    top = latest[0].areas["adm2"].nsmallest(20, "rank")
    # each sentence carries the area's own numbers (it was one shared sentence before)
    assert top["top_drivers"].nunique() >= 15
    # and not only by their numbers: the reasons differ
    reasons = {tuple(r["feature"] for r in json.loads(records)) for records in top["driver_records"]}
    assert len(reasons) >= 3


def test_admin_areas_aggregate_as_at_least_one_event_then_calibrate(latest, loaded):
    result = latest[0]
    cells, adm2, adm1 = result.cells, result.areas["adm2"], result.areas["adm1"]
    assert len(adm2) == 162 and len(adm1) == 31
    assert set(loaded.area_calibration.maps) == {"adm1", "adm2"}   # fitted in training, loaded with the model
    for pcode in adm2["unit_id"].head(25):
        p = cells.loc[cells["adm2_pcode"] == pcode, "probability"].to_numpy()
        if len(p) == 0:
            continue
        area = adm2.set_index("unit_id").loc[pcode]
        assert area["probability_independent"] == pytest.approx(1 - np.prod(1 - p))
        assert area["probability"] == pytest.approx(loaded.area_calibration.apply("adm2", [1 - np.prod(1 - p)])[0])
    # the map keeps the order of areas
    ordered = adm2.sort_values("probability_independent")
    assert ordered["probability"].is_monotonic_increasing
    assert adm2["cells"].sum() == len(cells)  # every cell counted once; tiny areas borrow the cell under them
    small = adm2[adm2["cells"] == 0]
    assert len(small) > 0 and small["probability"].notna().all()
    assert small["highest_risk_cell"].isin(cells["unit_id"]).all()


def test_every_output_is_written(outputs):
    assert sorted(p.name for p in outputs.iterdir()) == sorted(output_files())
    grid = gpd.read_parquet(outputs / "risk_grid.parquet")
    assert len(grid) == 1031 and grid.crs.to_epsg() == 4326
    assert len(gpd.read_file(outputs / "risk_grid.geojson")) == 1031
    assert len(pd.read_csv(outputs / "risk_adm2.csv")) == 162
    run = json.loads((outputs / "run.json").read_text())
    assert run["week"] == LATEST and run["data_fingerprint"] and run["timings_s"]["total_s"] > 0
    assert run["as_of"] == "2023-12-31" and run["model_identity"]["horizon_weeks"] == 4
    coverage = {c["country"]: c for c in run["country_coverage"]}
    assert sorted(coverage) == ["BFA", "MLI", "NER"] and not any(c["stale"] for c in coverage.values())
    assert run["languages"] == ["fr", "en"]
    bulletin = (outputs / "bulletin.en.html").read_text()
    assert "Data coverage" in bulletin and "Mali: latest located event" in bulletin
    assert "What changed" in bulletin and "The deadliest events of the past four weeks" in bulletin
    assert " killed" in bulletin                                     # recent events are listed
    assert "highest-risk areas" in bulletin and "data:image/png;base64" in bulletin and "How accurate" in bulletin
    assert not any(p.name.startswith(".") for p in outputs.parent.iterdir())  # nothing half-written left
    french = (outputs / "bulletin.fr.html").read_text()
    assert "Couverture des données" in french and "décembre 2023" in french and "tués" in french
    for lang in ("fr", "en"):
        assert (outputs / f"bulletin.{lang}.pdf").read_bytes().startswith(b"%PDF")


def test_map_html_is_self_contained(outputs):
    for lang in ("fr", "en"):
        page = (outputs / f"map.{lang}.html").read_text()
        assert "<script src=\"http" not in page and "<link rel=\"stylesheet\" href=\"http" not in page
        assert "L.map(" in page and 'id="legend"' in page and '"name": "Mopti"' in page   # towns to label


def test_static_map_is_not_blank(outputs):
    from matplotlib.image import imread
    image = imread(outputs / "map.fr.png")[..., :3]
    assert image.shape[0] > 500 and image.std() > 0.05
    tier_red = np.array([0xd7, 0x30, 0x1f]) / 255
    assert (np.abs(image - tier_red).sum(axis=2) < 0.05).sum() > 50  # some very-high cells are drawn


@pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_map_renders_in_headless_chromium(outputs):
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", f"--user-data-dir={outputs.parent / 'chrome'}",
             "--virtual-time-budget=8000", "--window-size=1200,900"]
    url = (outputs / "map.en.html").as_uri()
    dom = subprocess.run(["chromium", *flags, "--dump-dom", url], capture_output=True, text=True, timeout=120).stdout
    assert "leaflet-container" in dom                     # Leaflet ran
    assert "id=\"legend\"" in dom and "very high" in dom   # legend rendered
    assert dom.count("leaflet-interactive") > 100          # risk cells drawn as interactive paths
    shot = outputs.parent / "map_screenshot.png"
    subprocess.run(["chromium", *flags, f"--screenshot={shot}", url], capture_output=True, timeout=120)
    from matplotlib.image import imread
    pixels = imread(shot)[..., :3]
    assert pixels.std() > 0.05                             # not a blank page


def test_scoring_a_past_week_reproduces_the_backtest_path(loaded, small_frame, real_data, catalog):
    week = pd.Timestamp("2023-06-26")
    rows = small_frame.frame[small_frame.frame["week"] == week]
    backtest_path = pd.Series(loaded.model.predict_proba(rows[loaded.model.feature_names_])[:, 1],
                              index=rows["unit_id"].to_numpy())
    scored = api.score(str(week.date()), horizon_weeks=4, units="grid", model=loaded, data_dir=real_data,
                       catalog=catalog)
    scoring_path = scored.set_index("unit_id")["probability"].reindex(backtest_path.index)
    # The scoring path sums a few weeks directly where the panel filters the whole history: the
    # float32 features agree to rounding, which the blend's logistic member carries through smoothly.
    np.testing.assert_allclose(scoring_path.to_numpy(), backtest_path.to_numpy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("as_of, units, message", [
    ("1980-01-07", "grid", "before the event data starts"),
    ("2027-01-04", "grid", "after the located event data ends"),
    ("2026-02-02", "grid", "has no located events from"),
    ("2023-12-25", "hexagons", "unknown unit level 'hexagons'"),
    ("not a date", "grid", "is not a date"),
])
def test_bad_calls_get_clear_errors(loaded, real_data, catalog, as_of, units, message):
    with pytest.raises(SahelriskError, match=message):
        api.score(as_of, horizon_weeks=4, units=units, model=loaded, data_dir=real_data, catalog=catalog)


def test_missing_model_alias_is_a_clear_error(registered):
    mlruns, _ = registered
    with pytest.raises(ModelNotFoundError, match="no model 'test-grid-any-fatal-4w' at alias 'staging'"):
        api.load_model("staging", name="test-grid-any-fatal-4w", mlruns=mlruns)
    with pytest.raises(ModelNotFoundError, match="no model 'sahelrisk-grid-any-fatal-4w'"):
        api.load_model("champion", str(REPO / "training" / "default.toml"), mlruns=mlruns)


def test_a_folder_left_by_a_stopped_run_does_not_block_the_next(latest, loaded, tmp_path):
    result, inputs = latest
    (tmp_path / f".{LATEST}-old").mkdir()
    (tmp_path / f".{LATEST}-old" / "run.json").write_text("{}")      # a swap stopped half-way
    first = write_outputs(result, loaded, inputs, tmp_path, horizon_weeks=4)
    again = write_outputs(result, loaded, inputs, tmp_path, horizon_weeks=4)
    assert first == again and (again / "run.json").is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == [LATEST]
