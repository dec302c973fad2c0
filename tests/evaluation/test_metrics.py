import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

from sahelrisk.evaluation.metrics import (
    expected_calibration_error,
    metrics_by,
    score_forecast,
    top_share_recall,
)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_metrics_agree_with_scikit_learn(seed):
    rng = np.random.default_rng(seed)
    y = (rng.random(5000) < 0.05).astype(float)
    p = np.clip(rng.random(5000) * 0.2 + 0.3 * y * rng.random(5000), 0, 1)
    weeks = np.repeat(np.arange(50), 100)
    got = score_forecast(y, p, weeks)
    assert got["ap"] == pytest.approx(average_precision_score(y, p))
    assert got["roc_auc"] == pytest.approx(roc_auc_score(y, p))
    assert got["brier"] == pytest.approx(brier_score_loss(y, p))
    assert got["log_loss"] == pytest.approx(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6)))
    assert got["brier_skill"] == pytest.approx(1 - brier_score_loss(y, p) / brier_score_loss(y, np.full(5000, y.mean())))


def test_top_share_recall_by_hand():
    # two weeks of ten units; top 10% = the single highest unit each week
    y = np.array([1, 0, 0, 0, 0, 0, 0, 0, 0, 1] + [0, 1, 1, 0, 0, 0, 0, 0, 0, 0])
    p = np.array([.9, .1, .1, .1, .1, .1, .1, .1, .1, .2] + [.1, .8, .3, 0, 0, 0, 0, 0, 0, 0])
    weeks = np.repeat([1, 2], 10)
    assert top_share_recall(y, p, weeks) == pytest.approx(2 / 4)


def test_perfectly_calibrated_forecast_has_small_ece():
    rng = np.random.default_rng(3)
    p = rng.random(200_000) * 0.3
    y = (rng.random(200_000) < p).astype(float)
    assert expected_calibration_error(y, p) < 0.005
    assert expected_calibration_error(y, np.clip(p * 2, 0, 1)) > 0.1


def test_metrics_by_groups():
    frame = pd.DataFrame({"t": [0, 1, 0, 1], "p_a": [.1, .9, .2, .8], "week": [1, 1, 2, 2], "year": [2020, 2020, 2021, 2021]})
    table = metrics_by(frame, "t", ["a"], by="year")
    assert table["year"].tolist() == [2020, 2021] and (table["ap"] == 1.0).all()
