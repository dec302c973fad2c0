"""The model on synthetic panels where the answer is known."""

import numpy as np
import pandas as pd
import pytest
from sklearn.base import clone
from sklearn.exceptions import NotFittedError

from sahelrisk.errors import SpecError
from sahelrisk.evaluation.backtest import run_backtest
from sahelrisk.evaluation.metrics import metrics_by
from sahelrisk.modeling.baselines import BASELINES, BaselineModel
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.folds import RollingOrigin
from sahelrisk.modeling.logistic import IntensityGLM

FAST = dict(n_estimators=60, learning_rate=0.1, num_leaves=7, min_child_samples=20, calibration_weeks=26)


def synthetic_panel(seed=0, units=120, start="2015-01-05", end="2020-12-28"):
    """History columns are noise; the target follows a 'mine nearby' signal the baselines cannot see."""
    rng = np.random.default_rng(seed)
    weeks = pd.date_range(start, end, freq="7D")
    n = units * len(weeks)
    signal = np.repeat(rng.random(units), len(weeks)) + rng.normal(0, 0.05, n)
    frame = pd.DataFrame({"unit_id": np.repeat(np.arange(units), len(weeks)), "week": np.tile(weeks, units),
                          "mining_signal": signal})
    for col in ("conflict_events_4w", "conflict_events_52w", "conflict_events_hl26w", "conflict_events_queen_52w"):
        frame[col] = rng.poisson(0.3, n).astype(float)
    frame["target_any_fatal_4w"] = (rng.random(n) < np.where(signal > 0.85, 0.5, 0.01)).astype(float)
    return frame


def test_model_beats_every_baseline_when_the_target_follows_a_feature():
    frame = synthetic_panel()
    features = [c for c in frame.columns if c not in ("unit_id", "week", "target_any_fatal_4w")]
    splitter = RollingOrigin(first_origin=pd.Timestamp("2019-01-07"), last_origin=pd.Timestamp("2020-11-30"), horizon=4,
                             train_start=pd.Timestamp("2015-01-05"), refit_every_weeks=26)
    models = {b: ((lambda b=b: BaselineModel(b, 4)), features) for b in BASELINES}
    models["lgbm"] = ((lambda: RiskModel(**FAST)), features)
    preds, _ = run_backtest(splitter, frame, "target_any_fatal_4w", models)
    table = metrics_by(preds, "target_any_fatal_4w", list(models)).set_index("model")
    assert table.loc["lgbm", "ap"] > 0.3
    assert table.loc["lgbm", "ap"] > 3 * table.drop("lgbm")["ap"].max()
    assert table.loc["lgbm", "roc_auc"] > 0.9
    assert abs(preds["p_lgbm"].mean() - preds["target_any_fatal_4w"].mean()) < 0.02  # calibrated


def test_same_inputs_and_seed_give_the_same_model():
    frame = synthetic_panel(units=40)
    X, y, weeks = frame[["mining_signal", "conflict_events_4w"]], frame["target_any_fatal_4w"], frame["week"]
    a = RiskModel(**FAST, seed=7).fit(X, y, weeks=weeks).predict_proba(X)
    b = RiskModel(**FAST, seed=7).fit(X, y, weeks=weeks).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    c = RiskModel(**{**FAST, "subsample": 0.5}, seed=8).fit(X, y, weeks=weeks).predict_proba(X)
    assert not np.array_equal(a, c)


def test_trees_on_a_share_of_negatives_still_give_calibrated_probabilities():
    """The trees see every positive and a fifth of the negatives; the calibration weeks, scored in
    full, bring the probabilities back to the true rate."""
    frame = synthetic_panel(units=80)
    X, y, weeks = frame[["mining_signal", "conflict_events_4w"]], frame["target_any_fatal_4w"], frame["week"]
    model = RiskModel(**FAST, negative_share=0.2, neg_bagging_fraction=0.1).fit(X, y, weeks=weeks)
    p = model.predict_proba(X)[:, 1]
    assert abs(p.mean() - y.mean()) < 0.1 * y.mean()
    assert model._lgb_params()["neg_bagging_fraction"] == pytest.approx(0.5)  # of the kept negatives
    rows_in_a_tree = model.booster_.dump_model()["tree_info"][0]["tree_structure"]["internal_count"]
    assert rows_in_a_tree < 0.35 * len(y)   # every positive, a tenth of the negatives: not 80% of every row


def test_trees_on_a_stratified_sample_fit_the_true_rate_of_each_stratum():
    """Quiet rows (the quiet column at 0) keep 3% of their negatives, the others 30%: without the
    log-odds offset the quiet stratum's odds would be inflated ten times more than the others',
    which a calibration cannot undo. Uncalibrated, the trees' probabilities match each stratum."""
    rng = np.random.default_rng(3)
    n = 120_000
    active = rng.random(n) < 0.25
    X = pd.DataFrame({"conflict_events_r100km_52w": np.where(active, rng.gamma(2.0, 2.0, n), 0.0),
                      "mining_signal": rng.normal(size=n)})
    logit = -6.5 + 0.4 * X["conflict_events_r100km_52w"] + 0.5 * X["mining_signal"] + 2.5 * active
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).to_numpy(dtype=float)
    stratified = dict(FAST, calibration="none", negative_share=0.3, neg_bagging_fraction=0.3,
                      quiet_column="conflict_events_r100km_52w", quiet_negative_share=0.03)
    model = RiskModel(**stratified).fit(X, y)
    p = model.predict_proba(X)[:, 1]
    for stratum in (active, ~active):
        assert abs(p[stratum].mean() - y[stratum].mean()) < 0.15 * y[stratum].mean()
    rows_in_a_tree = model.booster_.dump_model()["tree_info"][0]["tree_structure"]["internal_count"]
    assert rows_in_a_tree < 0.15 * n   # 0.8 of (positives, 30% of 25% and 3% of 75% of the negatives)
    uniform = RiskModel(**dict(FAST, calibration="none", negative_share=0.1, neg_bagging_fraction=0.1)).fit(X, y)
    assert uniform.predict_proba(X)[:, 1].mean() > 2 * y.mean()   # what the offset corrects


def test_calibrated_probabilities_keep_the_score_order():
    frame = synthetic_panel(units=40)
    X, y, weeks = frame[["mining_signal"]], frame["target_any_fatal_4w"], frame["week"]
    model = RiskModel(**FAST).fit(X, y, weeks=weeks)
    raw, p = model.decision_function(X), model.predict_proba(X)[:, 1]
    order = np.argsort(raw, kind="stable")
    assert (np.diff(p[order]) >= 0).all()
    assert len(np.unique(p)) > 0.5 * len(np.unique(raw))


def test_contributions_sum_to_the_raw_score():
    frame = synthetic_panel(units=20)
    X = frame[["mining_signal", "conflict_events_4w"]]
    model = RiskModel(**FAST).fit(X, frame["target_any_fatal_4w"], weeks=frame["week"])
    contrib = model.contributions(X.head(50))
    bias = model.booster_.predict(X.head(50), pred_contrib=True)[:, -1]
    np.testing.assert_allclose(contrib.sum(axis=1) + bias, model.decision_function(X.head(50)), rtol=1e-6)
    assert model.feature_importances_.index[0] == "mining_signal"


def test_errors_name_the_problem():
    with pytest.raises(NotFittedError):
        RiskModel().predict_proba(pd.DataFrame({"a": [1.0]}))
    with pytest.raises(SpecError, match="learning_rate=5 is invalid"):
        RiskModel(learning_rate=5).fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])
    with pytest.raises(SpecError, match="refit_full='yes' is invalid; use true or false"):
        RiskModel(refit_full="yes").fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])
    with pytest.raises(SpecError, match="neg_bagging_fraction=0.5 exceeds negative_share=0.2"):
        RiskModel(neg_bagging_fraction=0.5, negative_share=0.2).fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])
    with pytest.raises(SpecError, match="quiet_negative_share=0.1 needs quiet_column"):
        RiskModel(quiet_negative_share=0.1).fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])
    with pytest.raises(SpecError, match="quiet_column='b' is not among the model's features"):
        RiskModel(quiet_column="b", quiet_negative_share=0.1).fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])
    with pytest.raises(SpecError, match="calibration='beta'"):
        RiskModel(calibration="beta").fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, 1])
    frame = synthetic_panel(units=10)
    model = RiskModel(**FAST).fit(frame[["mining_signal"]], frame["target_any_fatal_4w"], weeks=frame["week"])
    with pytest.raises(SpecError, match=r"lacks feature column\(s\) \['mining_signal'\]"):
        model.predict_proba(frame[["conflict_events_4w"]])
    with pytest.raises(SpecError, match="y holds NaN"):
        RiskModel().fit(pd.DataFrame({"a": [1.0, 2.0]}), [0, np.nan])


def test_baseline_probabilities_follow_their_score():
    frame = synthetic_panel(units=30)
    model = BaselineModel("decay", 4).fit(frame, frame["target_any_fatal_4w"])
    p = model.predict_proba(frame)[:, 1]
    order = np.argsort(frame["conflict_events_hl26w"].to_numpy(), kind="stable")
    assert (np.diff(p[order]) >= -1e-12).all()
    zero = BaselineModel("zero").fit(frame, frame["target_any_fatal_4w"]).predict_proba(frame)[:, 1]
    assert np.allclose(zero, frame["target_any_fatal_4w"].mean())
    with pytest.raises(SpecError, match="unknown baseline 'oracle'"):
        BaselineModel("oracle").fit(frame, frame["target_any_fatal_4w"])


def test_estimators_clone_with_their_parameters():
    # scikit-learn's clone, grid search and MLflow's sklearn tools read parameters from get_params
    for model, key, value in [(RiskModel(num_leaves=5), "num_leaves", 5), (IntensityGLM(C=0.3), "C", 0.3),
                              (BaselineModel("rate52", 12), "horizon", 12),
                              (BlendedModel(model_params=FAST, glm_C=2.0), "glm_C", 2.0)]:
        copy = clone(model)
        assert copy is not model and copy.get_params()[key] == value
        assert copy.set_params(**{key: value}).get_params() == model.get_params()
        with pytest.raises(ValueError, match="Invalid parameter"):
            model.set_params(not_a_parameter=1)


@pytest.mark.parametrize("refit_full", [False, True])
def test_a_model_fitted_elsewhere_owns_its_trees_and_calibration_as_fit_makes_them(refit_full):
    frame = synthetic_panel(units=60, start="2018-01-01")
    columns = ["mining_signal", "conflict_events_52w"]
    X, y, weeks = frame[columns], frame["target_any_fatal_4w"].to_numpy(), frame["week"]
    here = RiskModel(**FAST, refit_full=refit_full).fit(X, y, weeks=weeks)
    asked = []

    def train(model, until, quiet):          # the trees as a cluster would train them: here, in process
        asked.append(until)
        rows = (weeks <= until).to_numpy()
        booster, intercept = model._train(X[rows], y[rows], weeks[rows])
        return booster, intercept, float(y[rows].mean())

    def raw_scores(model, first, last):
        rows = ((weeks > first) & (weeks <= last)).to_numpy()
        return pd.DataFrame({"raw": model.decision_function(X[rows]), "y": y[rows], "weight": 1.0})

    elsewhere = RiskModel(**FAST, refit_full=refit_full).fit_elsewhere(columns, weeks.max(), train, raw_scores)
    start = here.calibration_start(weeks.max())
    assert asked == ([start, weeks.max()] if refit_full else [start])
    assert elsewhere.calibrator_ is not None and elsewhere.feature_names_ == columns
    assert np.allclose(elsewhere.predict_proba(X), here.predict_proba(X), atol=1e-9)
