"""Where folds and fits run: each executor gives the in-process rows, and none is started before it is needed."""

import pandas as pd
import pytest

from sahelrisk.cluster import ClusterSpec
from sahelrisk.errors import DataError, SpecError
from sahelrisk.evaluation.backtest import run_backtest
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.executors import (
    PARALLEL_MIN_ROWS,
    DaskFolds,
    DaskPartitions,
    InProcess,
    Joblib,
    local_executor,
    open_executor,
)
from sahelrisk.modeling.folds import RollingOrigin
from tests.modeling.test_boosted import FAST, synthetic_panel

TARGET = "target_any_fatal_4w"


@pytest.fixture(scope="module")
def problem():
    frame = synthetic_panel(units=60)
    splitter = RollingOrigin(first_origin=pd.Timestamp("2019-01-07"), last_origin=pd.Timestamp("2020-11-30"), horizon=4,
                             train_start=pd.Timestamp("2015-01-05"), refit_every_weeks=26)
    blend = BlendedModel(model_params={**FAST, "negative_share": 0.3, "neg_bagging_fraction": 0.2},
                         model_columns=("mining_signal", "conflict_events_52w"), glm_columns=("mining_signal",),
                         baseline="decay", glm_negative_share=0.3)
    models = {"blend": ((lambda: blend.__class__(**blend.get_params())), blend.columns())}
    return frame, splitter, models


def test_folds_fitted_side_by_side_give_exactly_the_one_by_one_predictions(problem):
    """Two worker processes, one thread each: the same predictions, in fold order, and progress
    for every fold."""
    frame, splitter, models = problem
    seen = []
    one, log_one = run_backtest(splitter, frame, TARGET, models, executor=InProcess())
    two, log_two = run_backtest(splitter, frame, TARGET, models, executor=Joblib(2),
                                on_fold=lambda fold, k, n: seen.append((k, n)))
    pd.testing.assert_frame_equal(one, two)
    assert [e["fold"] for e in log_one] == [e["fold"] for e in log_two] == list(dict.fromkeys(one["fold"]))
    assert sorted(seen) == [(k, len(log_one)) for k in range(len(log_one))]


def test_every_executor_checks_the_folds_before_the_first_fit(problem):
    frame, splitter, models = problem
    one_class = frame.assign(**{TARGET: frame[TARGET].where(frame[TARGET].isna(), 0.0)})
    for executor in (InProcess(), Joblib(2), DaskFolds(_never_started), DaskPartitions(_never_started)):
        with pytest.raises(DataError, match="training weeks hold only one class of target_any_fatal_4w"):
            run_backtest(splitter, one_class, TARGET, models, executor=executor)


def _never_started():
    raise AssertionError("the cluster was asked for before the folds were checked")


def test_this_machine_picks_in_process_for_small_frames_and_joblib_for_large_ones():
    assert type(local_executor(1_000)) is InProcess
    assert type(local_executor(1_000, workers=3)) is Joblib and local_executor(1_000, workers=3).workers == 3
    assert type(local_executor(PARALLEL_MIN_ROWS, workers=1)) is InProcess
    with pytest.raises(SpecError, match="workers must be at least 1"):
        Joblib(0)


def test_the_final_fit_in_memory_reads_the_weeks_it_is_given_with_an_observed_target(problem):
    frame, _, _ = problem

    class Spy:
        def fit(self, X, y, weeks):
            self.weeks, self.n = weeks, len(y)
            return self

    start, end = pd.Timestamp("2018-01-01"), pd.Timestamp("2019-12-30")
    spy = InProcess().fit(Spy(), frame, ["mining_signal"], TARGET, start, end)
    expected = frame[frame[TARGET].notna() & frame["week"].between(start, end)]
    assert spy.n == len(expected) and spy.weeks.min() >= start and spy.weeks.max() <= end


def test_without_a_cluster_each_frame_picks_its_own_and_a_cluster_starts_only_when_asked():
    with open_executor(None) as executor:
        assert executor is None
    lines: list[str] = []
    with open_executor(ClusterSpec(workers=2), log=lines.append) as executor:
        assert isinstance(executor, DaskPartitions) and executor.partitioned
        assert not executor.client.started and lines == []     # nothing started yet
    with open_executor(ClusterSpec(workers=2), by="fold") as executor:
        assert type(executor) is DaskFolds and not executor.partitioned
    with pytest.raises(SpecError, match="by='rows': use 'partition' or 'fold'"):
        with open_executor(None, by="rows"):
            pass
