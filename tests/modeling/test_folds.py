import numpy as np
import pandas as pd
import pytest

from sahelrisk.errors import SpecError
from sahelrisk.evaluation.backtest import run_backtest
from sahelrisk.modeling.folds import RollingOrigin


def _splitter(**kw):
    args = dict(first_origin="2020-01-06", last_origin="2020-12-28", horizon=4, train_start="2015-01-05",
                refit_every_weeks=13)
    args.update(kw)
    dates = ("first_origin", "last_origin", "train_start")
    return RollingOrigin(**{k: (pd.Timestamp(v) if k in dates else v) for k, v in args.items()})


@pytest.mark.parametrize("horizon, gap", [(1, 0), (4, 0), (12, 2)])
def test_no_fold_trains_on_a_target_window_reaching_its_test_weeks(horizon, gap):
    splitter = _splitter(horizon=horizon, gap_weeks=gap)
    folds = list(splitter.split())
    covered = [w for f in folds for w in f.test_weeks]
    assert covered == list(splitter.origins())  # every origin predicted exactly once
    for fold in folds:
        # the last training row's target window ends no later than the first test origin
        assert fold.train_end + pd.Timedelta(weeks=horizon + gap) <= min(fold.test_weeks)
        assert len(fold.test_weeks) <= 13


def test_fixed_window_keeps_the_last_weeks():
    folds = list(_splitter(window="fixed", train_weeks=104).split())
    for fold in folds:
        assert (fold.train_end - fold.train_start).days // 7 + 1 == 104


@pytest.mark.parametrize("kw, message", [
    (dict(first_origin="2020-01-07"), "is a Tuesday"),
    (dict(last_origin="2019-01-07"), "before first_origin"),
    (dict(train_start="2019-12-30"), "leaves no training week"),
    (dict(horizon=0), "horizon must be at least 1"),
    (dict(gap_weeks=-1), "gap_weeks must be >= 0"),
    (dict(window="sliding"), "window 'sliding' unknown"),
    (dict(window="fixed"), "needs train_weeks"),
])
def test_invalid_splitters_are_rejected_on_creation(kw, message):
    with pytest.raises(SpecError, match=message):
        _splitter(**kw)


class SpyModel:
    seen: list = []

    def fit(self, X, y, weeks=None):
        SpyModel.seen.append((pd.Series(weeks).max(), X.index))
        self.rate = float(np.mean(y))
        return self

    def predict_proba(self, X):
        return np.column_stack([np.full(len(X), 1 - self.rate), np.full(len(X), self.rate)])


def test_runner_trains_only_on_rows_before_each_fold():
    weeks = pd.date_range("2015-01-05", "2020-12-28", freq="7D")
    frame = pd.DataFrame({"unit_id": np.repeat([1, 2], len(weeks)), "week": np.tile(weeks, 2), "x": 1.0})
    frame["target_any_fatal_4w"] = (np.arange(len(frame)) % 7 == 0).astype(float)
    frame.loc[frame["week"] > "2020-11-30", "target_any_fatal_4w"] = np.nan  # unobserved
    SpyModel.seen = []
    splitter = _splitter(last_origin=pd.Timestamp("2020-11-30"))
    preds, log = run_backtest(splitter, frame, "target_any_fatal_4w", {"spy": (SpyModel, ["x"])})
    for (last_week, _), fold in zip(SpyModel.seen, splitter.split()):
        assert last_week == fold.train_end
    assert preds["week"].min() == pd.Timestamp("2020-01-06") and preds["target_any_fatal_4w"].notna().all()
    assert [e["fold"] for e in log] == [f.name for f in splitter.split()]
