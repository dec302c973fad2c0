"""The logistic intensity model: log scaling, missing values, extrapolation, errors."""

import warnings

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError
from sklearn.metrics import roc_auc_score

from sahelrisk.errors import DataError, SpecError
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.logistic import IntensityGLM


def counts_frame(seed=0, n=20000, high=50):
    """Risk rises with log(1 + count); 'drift' is signed noise; 'idps' is missing for a third of rows."""
    rng = np.random.default_rng(seed)
    count = rng.integers(0, high, n).astype(float)
    X = pd.DataFrame({"count": count, "drift": rng.normal(0, 1, n), "idps": rng.gamma(2.0, 100.0, n)})
    X.loc[rng.random(n) < 0.33, "idps"] = np.nan
    p = 1 / (1 + np.exp(-(-4.0 + 1.2 * np.log1p(count))))
    return X, (rng.random(n) < p).astype(float)


def test_learns_the_log_linear_risk_and_handles_missing_values():
    X, y = counts_frame()
    model = IntensityGLM().fit(X, y)
    assert model.log_columns_.tolist() == [True, False, True]   # 'drift' takes negative values: not logged
    p = model.predict_proba(X)[:, 1]
    assert roc_auc_score(y, p) > 0.7 and abs(p.mean() - y.mean()) < 0.01
    truth = 1 / (1 + np.exp(-(-4.0 + 1.2 * np.log1p(X["count"]))))
    assert np.corrcoef(p, truth)[0, 1] > 0.98


def test_a_column_never_observed_in_training_carries_no_weight():
    X, y = counts_frame(n=3000)
    X["late_report"] = np.nan   # e.g. an IDP figure first published after the training weeks
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = IntensityGLM().fit(X, y)
    later = X.head(50).assign(late_report=5000.0)
    np.testing.assert_allclose(model.predict_proba(later), model.predict_proba(X.head(50)))


def test_extrapolates_beyond_the_training_range_where_trees_stay_flat():
    X, y = counts_frame(high=50)
    beyond = pd.DataFrame({"count": [49.0, 200.0, 800.0], "drift": 0.0, "idps": np.nan})
    glm = IntensityGLM().fit(X, y).predict_proba(beyond)[:, 1]
    assert glm[0] < glm[1] < glm[2]
    trees = RiskModel(n_estimators=50, min_child_samples=50, calibration="none").fit(X, y).predict_proba(beyond)[:, 1]
    assert trees[1] == pytest.approx(trees[2])


def test_errors_name_the_problem():
    X, y = counts_frame(n=200)
    with pytest.raises(NotFittedError):
        IntensityGLM().predict_proba(X)
    with pytest.raises(DataError, match="single class"):
        IntensityGLM().fit(X, np.zeros(len(X)))
    with pytest.raises(SpecError, match="C=0"):
        IntensityGLM(C=0).fit(X, y)
    with pytest.raises(SpecError, match=r"lacks feature column\(s\) \['idps'\]"):
        IntensityGLM().fit(X, y).predict_proba(X.drop(columns="idps"))


def test_a_fit_on_a_share_of_negatives_keeps_the_true_rates():
    """Weighted back, a tenth of the negatives gives the probabilities of the full fit."""
    X, y = counts_frame(seed=3, n=60000)
    full = IntensityGLM().fit(X, y).predict_proba(X)[:, 1]
    sampled = IntensityGLM(negative_share=0.1, seed=1).fit(X, y).predict_proba(X)[:, 1]
    assert abs(sampled.mean() - y.mean()) < 0.1 * y.mean()
    assert np.corrcoef(full, sampled)[0, 1] > 0.99
    unweighted_rate = y.mean() / (y.mean() + 0.1 * (1 - y.mean()))  # what an uncorrected fit would say
    assert sampled.mean() < 0.5 * unweighted_rate
