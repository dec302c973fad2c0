"""One contract over every model class, in the manner of scikit-learn's ``parametrize_with_checks``:
fit and predict shapes, a clear error for a missing column or an unfitted model, sample weights
honoured as repeated rows, the same seed giving the same model, and a pickle scoring the same."""

import pickle

import numpy as np
import pandas as pd
import pytest
from sklearn.exceptions import NotFittedError

from sahelrisk.errors import SahelriskError
from sahelrisk.modeling.baselines import BaselineModel, required_columns
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.hawkes import SelfExcitingModel
from sahelrisk.modeling.logistic import IntensityGLM

TREES = ["conflict_events_4w", "conflict_events_52w", "conflict_fatalities_12w"]
GLM = ["conflict_events_52w", "conflict_events_hl26w"]
HAWKES = ["intensity_k50km_hl8w", "conflict_events_260w"]
RULE = required_columns(4)
SMALL_TREES = {"n_estimators": 30, "num_leaves": 7, "min_child_samples": 5, "seed": 3}

MODELS = {
    "RiskModel": (lambda: RiskModel(**SMALL_TREES), TREES),
    "IntensityGLM": (lambda: IntensityGLM(C=0.5), GLM),
    "SelfExcitingModel": (lambda: SelfExcitingModel(seed=3), HAWKES),
    "BaselineModel": (lambda: BaselineModel("decay_neighbours", 4), ["conflict_events_hl26w", "conflict_events_queen_52w"]),
    "BlendedModel": (lambda: BlendedModel(SMALL_TREES, tuple(TREES), tuple(GLM), hawkes_columns=tuple(HAWKES)),
                     sorted({*TREES, *GLM, *RULE, *HAWKES})),
}
WEIGHTED = ["IntensityGLM", "SelfExcitingModel", "BaselineModel"]


@pytest.fixture(scope="module")
def data():
    rng = np.random.default_rng(0)
    n = 1200
    columns = sorted({*TREES, *GLM, *RULE, *HAWKES})
    X = pd.DataFrame(rng.poisson(1.5, (n, len(columns))).astype(float), columns=columns)
    risk = 0.4 * X["conflict_events_4w"] + 0.3 * X["conflict_events_52w"] - 2.5
    y = (rng.random(n) < 1 / (1 + np.exp(-risk))).astype(int)
    weeks = pd.Series(pd.date_range("2020-01-06", periods=60, freq="7D").repeat(n // 60))
    return X, y, weeks


def _fit(name, X, y, weeks, **kwargs):
    factory, columns = MODELS[name]
    return factory().fit(X[columns], y, weeks=weeks, **kwargs)


@pytest.mark.parametrize("name", MODELS)
def test_fit_returns_the_model_and_predict_proba_is_two_columns_of_probabilities(name, data):
    X, y, weeks = data
    model = _fit(name, X, y, weeks)
    p = model.predict_proba(X[MODELS[name][1]])
    assert isinstance(model, type(MODELS[name][0]()))
    assert p.shape == (len(X), 2) and np.allclose(p.sum(axis=1), 1) and ((p >= 0) & (p <= 1)).all()
    assert p[y == 1, 1].mean() > p[y == 0, 1].mean()          # it learned the signal


@pytest.mark.parametrize("name", MODELS)
def test_an_unfitted_model_refuses_to_predict(name, data):
    X, _, _ = data
    with pytest.raises((NotFittedError, SahelriskError)):
        MODELS[name][0]().predict_proba(X[MODELS[name][1]])


@pytest.mark.parametrize("name", MODELS)
def test_a_missing_column_is_one_clear_error_naming_it(name, data):
    X, y, weeks = data
    model = _fit(name, X, y, weeks)
    dropped = MODELS[name][1][0]
    with pytest.raises(SahelriskError, match=dropped):
        model.predict_proba(X[MODELS[name][1]].drop(columns=dropped))


@pytest.mark.parametrize("name", MODELS)
def test_the_same_data_and_seed_give_the_same_model_and_its_pickle_scores_the_same(name, data):
    X, y, weeks = data
    first, second = _fit(name, X, y, weeks), _fit(name, X, y, weeks)
    columns = MODELS[name][1]
    assert np.array_equal(first.predict_proba(X[columns]), second.predict_proba(X[columns]))
    restored = pickle.loads(pickle.dumps(first))
    assert np.array_equal(restored.predict_proba(X[columns]), first.predict_proba(X[columns]))


@pytest.mark.parametrize("name", WEIGHTED)
def test_a_row_weighted_two_counts_as_the_row_twice(name, data):
    X, y, weeks = data
    columns = MODELS[name][1]
    twice = np.r_[np.arange(len(X)), np.arange(0, len(X), 3)]    # every third row repeated
    weight = np.ones(len(X))
    weight[::3] = 2.0
    weighted = MODELS[name][0]().fit(X[columns], y, sample_weight=weight)
    repeated = MODELS[name][0]().fit(X[columns].iloc[twice].reset_index(drop=True), y[twice],
                                     sample_weight=np.ones(len(twice)))
    assert np.allclose(weighted.predict_proba(X[columns]), repeated.predict_proba(X[columns]), atol=2e-3)


def test_the_self_exciting_model_refuses_a_fit_that_did_not_converge(data):
    X, y, _ = data
    with pytest.raises(SahelriskError, match="did not converge in 1 iterations"):
        SelfExcitingModel(max_iter=1).fit(X[HAWKES], y)
