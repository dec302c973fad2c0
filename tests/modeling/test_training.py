"""Training on the real data: a short backtest, MLflow logging, registration and promotion."""

import json
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from sahelrisk.errors import SpecError
from sahelrisk.modeling import tracking
from sahelrisk.modeling.spec import load_training_spec
from sahelrisk.modeling.training import run_backtests, train_and_track
from tests.conftest import REPO, SMALL


def test_training_frame_has_targets_aligned_with_the_panel(small_frame):
    frame = small_frame.frame
    assert frame["week"].min() == pd.Timestamp("2017-01-02") and frame["week"].max() == pd.Timestamp("2023-12-25")
    assert frame["target_any_fatal_4w"].notna().sum() > 0
    # weeks whose 4-week window runs past the data end are unobserved, not zero
    assert frame.loc[frame["week"] > "2023-11-27", "target_any_fatal_4w"].isna().all()
    assert frame.loc[frame["week"] <= "2023-11-27", "target_any_fatal_4w"].notna().all()
    assert set(frame["country_iso3"]) == {"MLI", "BFA", "NER"}


@pytest.mark.slow
def test_backtest_on_real_data_scores_model_and_baselines_per_horizon(small_spec, small_frame):
    result = run_backtests(small_spec, small_frame, [1, 4])
    table = result.table(4)
    assert list(table.index) == ["zero", "persistence", "decay_neighbours", "model"]
    assert table.loc["decay_neighbours", "roc_auc"] > 0.85 and table.loc["model", "roc_auc"] > 0.85
    assert table.loc["zero", "ap"] < 0.1 < table.loc["model", "ap"]
    assert set(result.by_country["country_iso3"]) == {"BFA", "MLI", "NER"}
    assert (result.predictions[4]["week"].max(), result.predictions[1]["week"].max()) == (
        pd.Timestamp("2023-11-27"), pd.Timestamp("2023-12-18"))


@pytest.mark.slow
def test_train_registers_and_promotes_only_a_better_model(small_spec, small_frame, real_data, tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    kw = dict(out_dir=tmp_path / "out", models_dir=tmp_path / "models", mlruns=tmp_path / "mlruns", tf=small_frame)
    first = train_and_track(small_spec, real_data, register=True, **kw)
    assert first.promoted and first.version == "1"
    card = json.loads((tmp_path / "models" / "test-grid-any-fatal-4w.json").read_text())
    assert card["version"] == "1" and card["horizon_weeks"] == 4 and len(card["backtest"]) == 4
    assert "| model |" in (tmp_path / "models" / "test-grid-any-fatal-4w.md").read_text()
    assert (tmp_path / "out" / "backtest.json").is_file() and (tmp_path / "out" / "backtest_report.html").is_file()

    stricter = replace(small_spec, min_improvement=1.0)  # nothing beats the champion by a whole AP point
    second = train_and_track(stricter, real_data, register=True, **kw)
    assert second.version == "2" and not second.promoted and "champion kept" in second.decision
    model, ref = tracking.load_risk_model("test-grid-any-fatal-4w", "champion")
    assert ref.version == "1" and ref.metrics["model_ap"] == pytest.approx(first.backtest.table(4).loc["model", "ap"])
    X = small_frame.frame[small_frame.feature_columns].tail(500)
    assert (model.predict_proba(X) == first.model.predict_proba(X)).all()


def test_training_spec_errors(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace('kind = "any_fatal"', 'kind = "riots"'))
    with pytest.raises(SpecError, match=r"\[target\]: kind = 'riots' is invalid"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace('first_origin = "2023-01-02"',
                                                                                        'first_origin = "2023-01-03"'))
    with pytest.raises(SpecError, match="first_origin 2023-01-03 is a Tuesday"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("[target]\n", "[targt]\n"))
    with pytest.raises(SpecError, match="unknown section 'targt'; did you mean 'target'"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("[blend]\n", "[blend]\nweights = [1]\n"))
    with pytest.raises(SpecError, match=r"\[blend\]: unknown key 'weights'"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("glm_include = ", "glm_C = 2.0\n# "))
    with pytest.raises(SpecError, match=r"\[blend\]: 'glm_include' is missing"):
        load_training_spec(path)
    path.write_text(SMALL.format(features=REPO / "features" / "default.toml").replace("[blend]\n", "[blend]\nglm_C = -1\n"))
    with pytest.raises(SpecError, match=r"\[blend\]: glm_C = -1 is invalid: input should be greater than 0"):
        load_training_spec(path)


def test_the_blend_reads_its_members_columns(small_spec, small_frame):
    columns = small_frame.feature_columns
    assert {"intensity_k50km_hl8w", "conflict_events_queen_52w", "static_latitude"} <= set(columns)
    model = small_spec.make_model(columns)
    assert model.columns() == columns and model.model_columns == tuple(small_spec.select_features(columns))
    assert all(c.startswith(("conflict_events_hl", "conflict_weeks_since", "intensity_")) for c in model.glm_columns)
    with pytest.raises(SpecError, match=r"glm_include \['rainfall_\*'\] match no column"):
        replace(small_spec, blend={"glm_include": ["rainfall_*"]}).make_model(columns)


@pytest.mark.slow
def test_cli_backtest_baselines_only(small_spec, tmp_path):
    spec_path = Path(small_spec.origin)
    result = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "backtest", "--spec", str(spec_path), "--baselines-only",
                             "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "decay_neighbours" in result.stdout and (tmp_path / "backtest.json").is_file()
    summary = json.loads((tmp_path / "backtest.json").read_text())
    assert {r["model"] for r in summary["overall"]} == {"zero", "persistence", "decay_neighbours"}
