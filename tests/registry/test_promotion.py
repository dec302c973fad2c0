"""Promotion on equal terms: the champion's recipe is re-evaluated on the challenger's folds."""

from dataclasses import replace

import pandas as pd
import pytest

from sahelrisk.evaluation.backtest import MODEL_NAME, run_backtest
from sahelrisk.jobs.train import train_and_track
from sahelrisk.modeling.baselines import BaselineModel
from sahelrisk.modeling.folds import RollingOrigin
from sahelrisk.registry.promotion import LatestFolds, compare_on_latest_folds, decide_promotion, same_recipe
from tests.modeling.test_boosted import synthetic_panel


def _table(challenger, champion, metric="ap"):
    return pd.DataFrame({metric: [challenger, champion]}, index=["challenger", "champion"])


def test_first_model_is_promoted_with_its_own_score():
    decision = decide_promotion(None, metric="ap", challenger_score=0.3)
    assert decision.promote and decision.champion is None and "no champion yet" in decision.reason


@pytest.mark.parametrize("new, old, margin, promote", [
    (0.31, 0.30, 0.0, True), (0.30, 0.30, 0.0, False), (0.29, 0.30, 0.0, False),
    (0.305, 0.30, 0.01, False), (0.32, 0.30, 0.01, True),
])
def test_challenger_must_beat_champion_by_more_than_the_margin(new, old, margin, promote):
    decision = decide_promotion(_table(new, old), metric="ap", min_improvement=margin)
    assert decision.promote is promote
    assert decision.challenger == new and decision.champion == old
    assert ("challenger promoted" if promote else "champion kept") in decision.reason


class Counted:
    """A recipe's factory that counts the estimators it makes (one per fit)."""

    def __init__(self, name):
        self.name, self.made = name, 0

    def __call__(self):
        self.made += 1
        return BaselineModel(self.name, 4)


def _compare_setup():
    frame = synthetic_panel(units=30, start="2016-01-04", end="2020-12-28")
    splitter = RollingOrigin(first_origin=pd.Timestamp("2019-01-07"), last_origin=pd.Timestamp("2020-11-30"), horizon=4,
                             train_start=pd.Timestamp("2016-01-04"), refit_every_weeks=26)
    return frame, LatestFolds.of(splitter, 2), splitter, ["conflict_events_4w", "conflict_events_52w",
                                                         "conflict_events_hl26w", "conflict_events_queen_52w"]


def test_a_champion_of_the_challengers_recipe_is_not_refitted():
    frame, folds, _, columns = _compare_setup()
    challenger, champion = Counted("decay"), Counted("decay")
    table = compare_on_latest_folds(folds, frame, "target_any_fatal_4w", (challenger, columns), (champion, columns))
    assert challenger.made == 1 + 2 and champion.made == 1   # one look at its parameters, no fit
    assert table.loc["champion", "ap"] == table.loc["challenger", "ap"]


def test_the_challengers_backtest_predictions_are_used_not_refitted():
    frame, folds, splitter, columns = _compare_setup()
    backtest, _ = run_backtest(splitter, frame, "target_any_fatal_4w",
                               {MODEL_NAME: ((lambda: BaselineModel("rate52", 4)), columns)})
    challenger, champion = Counted("rate52"), Counted("decay")
    table = compare_on_latest_folds(folds, frame, "target_any_fatal_4w", (challenger, columns), (champion, columns),
                                    challenger_predictions=backtest)
    assert challenger.made == 1 and champion.made == 1 + 2   # the champion, another recipe, is refitted per fold
    refitted = compare_on_latest_folds(folds, frame, "target_any_fatal_4w", (Counted("rate52"), columns),
                                       (Counted("decay"), columns))
    pd.testing.assert_frame_equal(table, refitted)
    # predictions of other folds are not these folds': the challenger is refitted
    other = compare_on_latest_folds(folds, frame, "target_any_fatal_4w", (again := Counted("rate52"), columns),
                                    (Counted("decay"), columns), challenger_predictions=backtest.iloc[:0])
    assert again.made == 1 + 2 and other.equals(table)


def test_recipes_differ_by_parameters_or_columns():
    columns = ["conflict_events_4w"]
    assert same_recipe((Counted("decay"), columns), (Counted("decay"), list(columns)))
    assert not same_recipe((Counted("decay"), columns), (Counted("rate52"), columns))
    assert not same_recipe((Counted("decay"), columns), (Counted("decay"), [*columns, "conflict_events_52w"]))


@pytest.mark.slow   # trains on the real data
def test_promotion_re_evaluates_the_champion_on_the_challengers_latest_folds(registered, small_spec, small_frame,
                                                                               real_data, tmp_path):
    mlruns, first = registered
    spec = replace(small_spec, promotion_folds=1)
    outcome = train_and_track(spec, real_data, register=True, out_dir=tmp_path / "out", models_dir=tmp_path / "models",
                              mlruns=mlruns, tf=small_frame)
    folds = list(spec.splitter(data_end=small_frame.data_end).split())
    assert outcome.champion_before == first.version
    assert outcome.compared_folds == [folds[-1].name]
    table = outcome.promotion.table
    # Same recipe, same folds, same data: the champion scores exactly what the challenger does...
    assert table.loc["champion", "ap"] == table.loc["challenger", "ap"]
    # ...which is not the score it logged on its own (longer) backtest, and so it is kept.
    assert table.loc["champion", "ap"] != pytest.approx(first.backtest.table(4).loc[MODEL_NAME, "ap"])
    assert not outcome.promoted and "champion kept" in outcome.decision
    assert table.loc["champion", "rows"] == table.loc["challenger", "rows"] > 0


@pytest.mark.slow   # trains on the real data
def test_a_champion_whose_spec_no_longer_reads_yields_with_the_reason(monkeypatch, small_spec, small_frame,
                                                                      real_data, tmp_path):
    from sahelrisk.registry import tracking
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    mlruns = tmp_path / "mlruns"   # its own store: the shared champion stays as it is
    kw = dict(out_dir=tmp_path / "out", models_dir=tmp_path / "models", mlruns=mlruns, tf=small_frame)
    assert train_and_track(small_spec, real_data, register=True, **kw).promoted
    real = tracking.load_run_text

    def old_spec(run_id, path):   # what an older sahelrisk logged: dates in [data]
        text = real(run_id, path)
        return '[data]\nas_of = "2023-12-31"\n' + text if path == "spec/training.toml" else text

    monkeypatch.setattr(tracking, "load_run_text", old_spec)
    outcome = train_and_track(replace(small_spec, promotion_folds=1), real_data, register=True, **kw)
    assert outcome.promoted and "trained by an older sahelrisk and cannot be re-evaluated" in outcome.decision
