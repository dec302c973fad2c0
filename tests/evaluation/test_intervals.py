"""Intervals over resampled whole weeks: whole weeks move together, and the interval covers as stated."""

import numpy as np
import pytest

from sahelrisk.errors import SpecError
from sahelrisk.evaluation.intervals import (
    percentile_interval,
    resample_sums,
    resample_weeks,
    summary,
    week_blocks,
    week_picks,
)


def test_the_rows_of_a_week_are_one_block_whatever_their_order():
    blocks = week_blocks(["b", "a", "b", "c", "a"])
    assert [list(b) for b in blocks] == [[1, 4], [0, 2], [3]]


def test_a_resample_takes_whole_weeks_and_the_same_seed_the_same_weeks():
    weeks = np.repeat(np.arange(20), 7)
    seen = []
    resample_weeks(weeks, lambda rows: seen.append(rows) or 0.0, resamples=30, seed=3)
    for rows in seen:
        assert len(rows) == 140 and all(np.sum(weeks[rows] == w) % 7 == 0 for w in np.unique(weeks[rows]))
    again = resample_weeks(weeks, lambda rows: float(rows.sum()), resamples=30, seed=3)
    assert np.array_equal(again, resample_weeks(weeks, lambda rows: float(rows.sum()), resamples=30, seed=3))
    assert not np.array_equal(again, resample_weeks(weeks, lambda rows: float(rows.sum()), resamples=30, seed=4))


def test_sums_by_week_are_the_row_resample_of_the_same_picks():
    rng = np.random.default_rng(0)
    weeks, values = np.repeat(np.arange(15), 4), rng.normal(size=60)
    per_week = np.array([values[weeks == w].sum() for w in range(15)])
    fast = resample_sums(per_week, resamples=50, seed=9)[:, 0]
    slow = resample_weeks(weeks, lambda rows: values[rows].sum(), resamples=50, seed=9)
    assert np.allclose(fast, slow)


def test_the_interval_of_a_mean_covers_the_truth_as_often_as_it_says_when_weeks_move_together():
    # each week shares a shock: rows of one week are not independent, as cells of one week are not
    rng = np.random.default_rng(1)
    covered, covered_rows = 0, 0
    for trial in range(200):
        shocks = rng.normal(0, 1.0, 40)
        values = (shocks[:, None] + rng.normal(0, 0.5, (40, 25))).ravel()
        weeks = np.repeat(np.arange(40), 25)
        per_week = values.reshape(40, 25).sum(axis=1)
        draws = resample_sums(np.c_[per_week, np.full(40, 25)], resamples=300, seed=trial)
        low, high = percentile_interval(draws[:, 0] / draws[:, 1])
        covered += low < 0 < high
        rows = np.random.default_rng(trial).integers(0, len(values), (300, len(values)))
        low_r, high_r = percentile_interval(values[rows].mean(axis=1))      # rows as if independent
        covered_rows += low_r < 0 < high_r
        assert len(weeks) == len(values)
    assert 0.88 <= covered / 200 <= 0.99
    assert covered_rows / 200 < 0.6            # resampling rows would claim far too much


def test_a_summary_says_whether_the_difference_is_beyond_the_noise():
    assert summary(0.03, np.linspace(0.01, 0.05, 101))["beyond_noise"] is True
    tie = summary(0.0, np.linspace(-0.02, 0.02, 101), digits=3)
    assert tie["beyond_noise"] is False and tie["interval"] == [-0.019, 0.019] and tie["level"] == 0.95


def test_undefined_draws_are_left_out_and_bad_settings_are_refused():
    assert np.allclose(percentile_interval(np.array([np.nan, 1.0, 2.0, 3.0]), 0.5), [1.5, 2.5])
    with pytest.raises(SpecError, match="at least 2 weeks"):
        week_picks(1)
    with pytest.raises(SpecError, match="level"):
        percentile_interval(np.ones(5), 1.5)
    with pytest.raises(SpecError, match="no week"):
        week_blocks([])
