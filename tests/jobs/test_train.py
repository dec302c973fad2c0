"""Training as a run step on the real data: MLflow logging, registration and promotion."""

import json
from dataclasses import replace

import pytest

from sahelrisk.jobs.train import train_and_track
from sahelrisk.registry import tracking


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
