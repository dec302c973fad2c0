"""The training frame on a cluster: what its partitions read, keep and weigh (no cluster needed here;
tests/test_cluster.py fits and scores on a LocalCluster with the real data)."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sahelrisk.features.panel import build_units
from sahelrisk.features.partitions import build_panel_dataset
from sahelrisk.features.targets import build_targets
from sahelrisk.modeling.baselines import BaselineModel
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.calibration import Calibrator
from sahelrisk.modeling.distributed import STATED_SHARE, ClusterFrame, StatedSample, _sample_partition, _thin
from sahelrisk.modeling.logistic import IntensityGLM
from tests.features.world import synthetic_inputs, synthetic_spec

DATA_END = date(2023, 6, 30)


@pytest.fixture(scope="module")
def world(tmp_path_factory):
    spec, inputs = synthetic_spec(), synthetic_inputs(n_events=1500)
    units = build_units(spec, inputs)
    dataset = build_panel_dataset(spec, inputs, tmp_path_factory.mktemp("panels"), units=units, tile_deg=1.0,
                                  block_weeks=60)
    frame = ClusterFrame(dataset, units, inputs.events, "any_fatal", (1, 4), DATA_END, client=lambda: None)
    return spec, inputs, units, frame


def test_the_partitions_with_their_targets_are_the_in_process_frame(world):
    spec, inputs, units, frame = world
    from sahelrisk.features.panel import compute_panel
    panel = compute_panel(spec, inputs, units=units)
    targets = build_targets(inputs.events, units, spec.start, spec.end, horizons=(1, 4),
                            kinds=("any_fatal", "fatalities"), data_end=DATA_END)
    whole = panel.join(targets.drop(columns=["unit_id", "week"]))
    got = frame.to_pandas()
    assert list(got.columns) == frame.columns and len(got) == len(frame) == len(whole)
    pd.testing.assert_frame_equal(got.drop(columns="country_iso3"), whole[[c for c in got if c != "country_iso3"]],
                                  check_dtype=False)
    assert set(got["country_iso3"]) == {"MLI"}
    assert "target_any_fatal_4w" in frame and "target_civilian_4w" not in frame


def _sample(world, how):
    _, inputs, units, frame = world
    return pd.concat([_sample_partition(path, units, inputs.events, part, how, "any_fatal", (1, 4), DATA_END)
                      for path, part in frame._partitions()], ignore_index=True)


HOW = StatedSample("target_any_fatal_4w", "target_fatalities_4w", ("conflict_events_1w", "conflict_events_52w"),
                   "conflict_events_1w", near_share=0.5, quiet_share=0.2, rule_share=0.2, seed=7)


def test_the_sample_keeps_every_positive_and_death_and_each_stratums_share_of_the_negatives(world):
    full = world[3].to_pandas()
    full = full[full[HOW.target].notna()]
    sample = _sample(world, HOW)
    positives = full[(full[HOW.target] > 0) | (full[HOW.deaths] >= 1)]
    assert len(sample[(sample[HOW.target] > 0) | (sample[HOW.deaths] >= 1)]) == len(positives)
    for quiet, share in ((True, 0.2), (False, 0.5)):
        stratum = (full["conflict_events_1w"] == 0) == quiet
        negatives = int(((full[HOW.target] == 0) & (full[HOW.deaths] < 1) & stratum).sum())
        kept = sample[(sample[HOW.target] == 0) & (sample[HOW.deaths] < 1) & ((sample["conflict_events_1w"] == 0) == quiet)]
        assert negatives > 100 and abs(len(kept) - share * negatives) < 4 * np.sqrt(share * negatives)
        assert (kept["_share"] == share).all()
    again = _sample(world, HOW)
    pd.testing.assert_frame_equal(again, sample)   # the same seed draws the same rows


def test_a_member_thins_the_sample_to_its_share_and_weighs_the_negatives_back(world):
    sample = _sample(world, HOW)
    start, end = pd.Timestamp("2021-01-04"), pd.Timestamp("2022-12-26")
    rows = _thin(sample, HOW.target, start, end, 0.25, 0.05, HOW.quiet_column, ["conflict_events_52w"])
    assert rows["week"].between(start, end).all()
    in_weeks = sample[sample["week"].between(start, end)]
    assert (rows[HOW.target] > 0).sum() == (in_weeks[HOW.target] > 0).sum()   # every positive
    negatives = rows[rows[HOW.target] == 0]
    assert set(np.round(negatives["weight"], 6)) <= {4.0, 20.0}
    assert set(np.round(rows["offset"], 6)) <= {round(-np.log(0.25), 6), round(-np.log(0.05), 6)}
    # weighted back, the negatives count about as many rows as the full weeks hold
    full = world[3].to_pandas()
    full = full[full[HOW.target].notna() & full["week"].between(start, end)]
    assert abs(negatives["weight"].sum() / (full[HOW.target] == 0).sum() - 1) < 0.15


def test_the_sample_is_planned_on_the_largest_share_each_member_asks_for(world):
    frame = world[3]
    blend = BlendedModel(model_params={"negative_share": 0.3, "quiet_column": "conflict_events_52w",
                                       "quiet_negative_share": 0.01, "neg_bagging_fraction": 0.3, "seed": 5},
                         model_columns=("conflict_events_4w",), glm_columns=("conflict_events_52w",),
                         glm_negative_share=0.05)
    how = frame.plan([(blend, ["conflict_events_4w", "conflict_events_52w"]),
                      (BaselineModel("decay"), ["conflict_events_hl26w"])], "target_any_fatal_4w")
    assert (how.near_share, how.quiet_share, how.rule_share, how.seed) == (0.3, 0.05, 0.05, 5)
    assert how.deaths == "target_fatalities_4w" and how.quiet_column == "conflict_events_52w"
    assert how.columns == ("conflict_events_4w", "conflict_events_52w", "conflict_events_hl26w")
    alone = frame.plan([(BaselineModel("decay"), ["conflict_events_hl26w"])], "target_any_fatal_1w")
    assert (alone.near_share, alone.quiet_share, alone.quiet_column) == (STATED_SHARE, STATED_SHARE, "")


def test_a_sample_drawn_once_serves_every_later_request_it_covers():
    from sahelrisk.modeling.distributed import _covers
    narrower = StatedSample(HOW.target, HOW.deaths, HOW.columns[:1], HOW.quiet_column, 0.3, 0.2, 0.05, HOW.seed)
    assert _covers(HOW, narrower) and _covers(HOW, HOW)
    assert not _covers(narrower, HOW)                                              # fewer columns, smaller share
    assert not _covers(HOW, StatedSample(HOW.target, HOW.deaths, HOW.columns, HOW.quiet_column, 0.6, 0.2, 0.2, 7))
    assert not _covers(HOW, StatedSample("target_any_fatal_1w", HOW.deaths, HOW.columns, HOW.quiet_column,
                                         0.5, 0.2, 0.2, 7))                        # another target
    assert not _covers(HOW, StatedSample(HOW.target, HOW.deaths, HOW.columns, HOW.quiet_column, 0.5, 0.2, 0.2, 8))


def test_a_weighted_row_counts_as_that_many_copies_in_the_rules_and_the_logistic_member():
    rng = np.random.default_rng(0)
    X = pd.DataFrame({"conflict_events_hl26w": rng.exponential(1, 400), "conflict_events_queen_52w": rng.poisson(3, 400),
                      "conflict_events_4w": rng.poisson(1, 400), "conflict_events_52w": rng.poisson(5, 400)})
    y = (rng.random(400) < 0.2 + 0.1 * (X["conflict_events_hl26w"] > 1)).astype(float)
    copies = rng.integers(1, 4, 400)
    repeated = X.loc[X.index.repeat(copies)]
    for name in ("decay", "decay_neighbours"):
        weighted = BaselineModel(name).fit(X, y, sample_weight=copies)
        plain = BaselineModel(name).fit(repeated, np.repeat(y, copies))
        np.testing.assert_allclose(weighted.predict_proba(X), plain.predict_proba(X), atol=1e-12)
        assert weighted.base_rate_ == pytest.approx(plain.base_rate_)
    glm = IntensityGLM().fit(X, y, sample_weight=copies)
    plain = IntensityGLM().fit(repeated, np.repeat(y, copies))
    np.testing.assert_allclose(glm.predict_proba(X), plain.predict_proba(X), atol=1e-4)
    score = X["conflict_events_hl26w"].to_numpy()
    np.testing.assert_allclose(Calibrator().fit(score, y, sample_weight=copies).predict(score),
                               Calibrator().fit(np.repeat(score, copies), np.repeat(y, copies)).predict(score))


def test_an_estimator_it_cannot_fit_is_refused_with_the_way_out(world):
    from sahelrisk.errors import SpecError
    with pytest.raises(SpecError, match="cannot be fitted on a cluster.*run without --cluster"):
        world[3].fit(object(), [], HOW, pd.Timestamp("2021-01-04"), pd.Timestamp("2022-01-03"))



class _Folds:
    def __init__(self, *folds):
        self.folds = folds

    def split(self):
        return iter(self.folds)


def _never_started():
    raise AssertionError("the cluster was asked for before the folds were checked")


def test_a_fold_with_no_observed_week_raises_on_a_cluster_as_in_process(world):
    from sahelrisk.errors import DataError
    from sahelrisk.evaluation.backtest import run_backtest
    from sahelrisk.modeling.executors import DaskPartitions
    from sahelrisk.modeling.folds import Fold

    _, _, _, frame = world
    target = "target_any_fatal_4w"
    last = frame.last_observed_week(target)
    assert last == pd.Timestamp("2023-05-22")        # the last full week (06-19) less the 4 weeks ahead
    late = Fold("late", pd.Timestamp("2020-01-06"), pd.Timestamp("2022-12-26"),
                tuple(pd.date_range(last + pd.Timedelta(weeks=1), periods=3, freq="7D")))
    models = {"rate": (lambda: BaselineModel("rate52"), ["conflict_events_52w"])}
    with pytest.raises(DataError, match="late: no test week has an observed target_any_fatal_4w") as on_cluster:
        run_backtest(_Folds(late), frame, target, models, executor=DaskPartitions(_never_started))
    with pytest.raises(DataError) as in_process:
        run_backtest(_Folds(late), frame.to_pandas(), target, models)
    assert str(on_cluster.value) == str(in_process.value)


def test_a_frame_kept_on_a_cluster_is_refused_by_this_machines_executor_with_the_way_out(world):
    from sahelrisk.errors import SpecError
    from sahelrisk.evaluation.backtest import run_backtest
    from sahelrisk.modeling.folds import Fold

    frame = world[3]
    fold = Fold("f", pd.Timestamp("2020-01-06"), pd.Timestamp("2021-12-27"), (pd.Timestamp("2022-01-03"),))
    with pytest.raises(SpecError, match="kept on a cluster: run it with the executor that built it"):
        run_backtest(_Folds(fold), frame, "target_any_fatal_4w", {"rate": (lambda: BaselineModel("rate52"), [])})
