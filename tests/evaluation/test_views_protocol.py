"""The ViEWS challenge protocol on the real cells: months named its way, draws in its format,
benchmarks to their definitions, and no peeking past October of the year before."""

import numpy as np
import pandas as pd
import pytest

from sahelrisk.evaluation.views_protocol import (
    FORECASTERS,
    month_id,
    monthly_deaths,
    score_draws,
    window_forecasts,
)


@pytest.fixture(scope="module")
def deaths(real_inputs, real_grid):
    return monthly_deaths(real_inputs.events, real_grid, 1989, 2023)


@pytest.fixture(scope="module")
def window(deaths, real_grid):
    return window_forecasts(deaths, real_grid, 2023, n_draws=20)


def test_months_are_numbered_the_views_way():
    assert month_id(1980, 1) == 1 and month_id(2023, 12) == 528 and month_id(2022, 10) == 514


def test_monthly_deaths_count_state_based_best_estimates_per_cell(deaths, real_inputs, real_grid):
    events = real_inputs.events
    state = events[events["has_location"] & (events["violence_type"] == "state_based")
                   & events["date_start"].between("2022-01-01", "2022-12-31")]
    inside = real_grid.locate(state["longitude"].to_numpy(), state["latitude"].to_numpy()) >= 0
    assert deaths.loc[:, month_id(2022, 1):month_id(2022, 12)].to_numpy().sum() == \
        pytest.approx(state.loc[inside, "fatalities_best"].sum())


def test_every_forecaster_draws_non_negative_integers_for_the_twelve_months(window, deaths):
    assert list(window.months) == list(range(month_id(2023, 1), month_id(2023, 12) + 1))
    for name in FORECASTERS:
        draws = window.draws[name]
        assert draws.shape == (len(window.cells), 12, 20) and draws.min() >= 0
        assert np.array_equal(draws, np.round(draws))
    assert window.draws["zero"].max() == 0
    np.testing.assert_array_equal(window.actuals, deaths.loc[:, month_id(2023, 1):month_id(2023, 12)].to_numpy())
    # conflictology draws only what the cell saw in its last 12 months (November 2021 - October 2022)
    last_year = deaths.loc[:, month_id(2021, 11):month_id(2022, 10)].to_numpy()
    for i in np.flatnonzero(last_year.sum(axis=1) > 0)[:20]:
        assert set(np.unique(window.draws["conflictology"][i])) <= set(last_year[i])


def test_the_draws_are_written_in_the_challenges_long_format(window):
    frame = window.frame("sahelrisk")
    assert list(frame.columns) == ["month_id", "priogrid_gid", "draw", "outcome"]
    assert len(frame) == len(window.cells) * 12 * 20 and frame["draw"].max() == 19
    assert set(frame["priogrid_gid"]) == set(window.cells)
    assert list(window.actuals_frame().columns) == ["month_id", "priogrid_gid", "outcome"]


def test_the_zero_forecast_scores_its_closed_form(window):
    # CRPS of a point mass at 0 is |y|; its 90% interval [0, 0] scores 0 + 20 y
    scores = score_draws(window.draws["zero"], window.actuals)
    assert scores["crps"] == pytest.approx(window.actuals.mean())
    assert scores["mis_90"] == pytest.approx(20 * window.actuals.mean())
    assert scores["coverage_90"] == pytest.approx((window.actuals == 0).mean())


def test_the_model_does_not_see_past_october_of_the_year_before(deaths, real_grid, window):
    changed = deaths.copy()
    changed.loc[:, month_id(2022, 11):] = 999.0            # a different future
    again = window_forecasts(changed, real_grid, 2023, n_draws=20)
    np.testing.assert_array_equal(again.draws["sahelrisk"], window.draws["sahelrisk"])
    np.testing.assert_array_equal(again.draws["conflictology_neighbours"], window.draws["conflictology_neighbours"])
    assert not np.array_equal(again.actuals, window.actuals)


def test_the_cli_writes_draws_actuals_and_metrics_per_window(real_data, tmp_path):
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "backtest", "--protocol", "views-challenge",
                           "--years", "2023", "--draws", "10", "--data-dir", str(real_data), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "views_challenge" / "2023"
    assert sorted(p.name for p in folder.iterdir()) == sorted(["actuals.parquet", "metrics.json",
                                                                *(f"{n}.parquet" for n in FORECASTERS)])
    draws = pd.read_parquet(folder / "conflictology.parquet")
    assert draws["draw"].nunique() == 10 and draws["month_id"].between(517, 528).all()
    metrics = pd.read_csv(tmp_path / "views_challenge" / "metrics.csv")
    assert set(metrics["forecaster"]) == set(FORECASTERS) and "conflictology_neighbours" in done.stdout
    bad = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "backtest", "--protocol", "views-challenge",
                          "--years", "twenty", "--data-dir", str(real_data), "--out", str(tmp_path)],
                         capture_output=True, text=True, timeout=120)
    assert bad.returncode == 3 and "--years 'twenty'" in bad.stderr
    late = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "backtest", "--protocol", "views-challenge",
                           "--years", "2024-2025", "--data-dir", str(real_data), "--out", str(tmp_path)],
                          capture_output=True, text=True, timeout=300)
    assert late.returncode == 3 and "the outcomes of 2025 are not known" in late.stderr, late.stderr
