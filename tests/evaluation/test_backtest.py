"""The backtest on the real data: the model and every baseline on the same folds, per horizon."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sahelrisk.evaluation.backtest import run_backtests
from tests.conftest import REPO


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
def test_cli_backtest_baselines_only(small_spec, tmp_path):
    spec_path = Path(small_spec.origin)
    result = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "backtest", "--spec", str(spec_path), "--baselines-only",
                             "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "decay_neighbours" in result.stdout and (tmp_path / "backtest.json").is_file()
    summary = json.loads((tmp_path / "backtest.json").read_text())
    assert {r["model"] for r in summary["overall"]} == {"zero", "persistence", "decay_neighbours"}

