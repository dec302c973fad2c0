"""The backtest on the real data: the model and every baseline on the same folds, per horizon."""

import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sahelrisk.evaluation.backtest import onset_metrics, run_backtests
from tests.conftest import REPO


@pytest.mark.slow
def test_backtest_on_real_data_scores_model_and_baselines_per_horizon(small_spec, small_frame):
    result = run_backtests(small_spec, small_frame, [1, 4])
    table = result.table(4)
    assert list(table.index) == ["zero", "persistence", "decay_neighbours", "model"]
    assert table.loc["decay_neighbours", "roc_auc"] > 0.85 and table.loc["model", "roc_auc"] > 0.85
    assert table.loc["zero", "ap"] < 0.1 < table.loc["model", "ap"]
    assert set(result.by_country["country_iso3"]) == {"BFA", "MLI", "NER"}
    onsets = result.onsets[result.onsets["horizon"] == 4].set_index(["country_iso3", "model"])
    assert set(onsets.index.get_level_values(0)) == {"all", "BFA", "MLI", "NER"}
    # onsets are a minority of the positives, and rarer per row than positives overall
    everything = table.loc["model"]
    assert 0 < onsets.loc[("all", "model"), "positives"] < everything["positives"] / 2
    assert onsets.loc[("all", "model"), "positives"] / onsets.loc[("all", "model"), "rows"] < \
        everything["positives"] / everything["rows"]
    assert (result.predictions[4]["week"].max(), result.predictions[1]["week"].max()) == (
        pd.Timestamp("2023-11-27"), pd.Timestamp("2023-12-18"))


@pytest.mark.slow
def test_cli_backtest_baselines_only(small_spec, real_data, tmp_path):
    spec_path = Path(small_spec.origin)
    result = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "backtest", "--spec", str(spec_path), "--baselines-only",
                             "--out", str(tmp_path)], capture_output=True, text=True, cwd=REPO)
    assert result.returncode == 0, result.stderr
    assert "decay_neighbours" in result.stdout and (tmp_path / "backtest.json").is_file()
    summary = json.loads((tmp_path / "backtest.json").read_text())
    assert {r["model"] for r in summary["overall"]} == {"zero", "persistence", "decay_neighbours"}



def test_a_fold_without_an_observed_test_week_fails_before_anything_is_fitted():
    import numpy as np

    from sahelrisk.errors import DataError
    from sahelrisk.evaluation.backtest import run_backtest
    from sahelrisk.modeling.folds import RollingOrigin
    from tests.modeling.test_folds import SpyModel

    weeks = pd.date_range("2015-01-05", "2020-12-28", freq="7D")
    frame = pd.DataFrame({"unit_id": 1, "week": weeks, "x": 1.0})
    frame["target_any_fatal_4w"] = (np.arange(len(frame)) % 5 == 0).astype(float)
    frame.loc[frame["week"] > "2020-03-30", "target_any_fatal_4w"] = np.nan      # the data ends in spring 2020
    splitter = RollingOrigin(first_origin=pd.Timestamp("2020-01-06"), last_origin=pd.Timestamp("2020-11-30"),
                             train_start=pd.Timestamp("2015-01-05"), horizon=4, refit_every_weeks=13)
    SpyModel.seen = []
    with pytest.raises(DataError, match=r"no test week has an observed target_any_fatal_4w \(the data ends 2020-03-30\)"):
        run_backtest(splitter, frame, "target_any_fatal_4w", {"spy": (SpyModel, ["x"])})
    assert SpyModel.seen == []                                                  # failed at once


def test_onset_rows_are_cell_weeks_quiet_for_a_year_scored_per_country():
    weeks = pd.date_range("2021-01-04", periods=4, freq="7D")
    frame = pd.DataFrame({"unit_id": [1] * 4 + [2] * 4 + [3] * 4, "week": list(weeks) * 3,
                          "conflict_weeks_since_fatal": [60, 61, 62, 0] + [3, 4, 5, 6] + [52, 53, 54, 55]})
    preds = frame[["unit_id", "week"]].assign(
        country_iso3=["MLI"] * 8 + ["BEN"] * 4, target=[0, 1, 0, 0] + [1, 1, 1, 1] + [0, 0, 1, 0],
        p_model=[0.1, 0.6, 0.2, 0.9] + [0.9] * 4 + [0.3, 0.1, 0.4, 0.2])
    table = onset_metrics(preds.sample(frac=1, random_state=0), frame, "target", ["model"]).set_index("country_iso3")
    # unit 1's last week and unit 2 are not onsets; the rest are, positives ranked first in each country
    assert table.loc["all", "rows"] == 7 and table.loc["all", "positives"] == 2
    assert table.loc["MLI", "rows"] == 3 and table.loc["BEN", "rows"] == 4
    assert table.loc["MLI", "ap"] == 1.0 and table.loc["BEN", "ap"] == 1.0
    assert onset_metrics(preds, frame.drop(columns="conflict_weeks_since_fatal"), "target", ["model"]).empty
