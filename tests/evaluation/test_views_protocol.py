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
    draws_of = {"conflictology": 12, "conflictology_neighbours": 108}
    for name in FORECASTERS:
        draws = window.draws[name]
        assert draws.shape == (len(window.cells), 12, draws_of.get(name, 20)) and draws.min() >= 0
        assert np.array_equal(draws, np.round(draws))
    assert window.draws["zero"].max() == 0
    np.testing.assert_array_equal(window.actuals, deaths.loc[:, month_id(2023, 1):month_id(2023, 12)].to_numpy())
    # conflictology's draws are the cell's last 12 months (November 2021 - October 2022), every month
    last_year = deaths.loc[:, month_id(2021, 11):month_id(2022, 10)].to_numpy()
    np.testing.assert_array_equal(window.draws["conflictology"], np.repeat(last_year[:, None, :], 12, axis=1))


# A hand-made case: four cells, 240 months; the draws of every benchmark follow from them by hand.
GIDS = np.array([100_000, 100_001, 100_720, 100_721 + 720 * 5])   # a cell, its east and north neighbours, a far one


def _months() -> np.ndarray:
    matrix = np.zeros((4, 240))
    matrix[0, -12:] = np.arange(12)          # the cell: 0..11 in its last year
    matrix[1, -12:] = 100                    # east: 100 every month
    matrix[2, -1] = 7                        # north: 7 in the last month
    matrix[3, 0] = 5000                      # far away, 20 years ago
    return matrix


def test_zero_and_last_draw_nothing_and_poisson_around_the_last_month():
    from sahelrisk.evaluation.views_protocol import benchmark_draws
    draws = benchmark_draws(_months(), GIDS, 239, 4000, np.random.default_rng(1))
    assert draws["zero"].shape == (4, 12, 4000) and not draws["zero"].any()
    last = draws["last"]
    assert (last[3] == 0).all() and (last[0] == last[0].round()).all()
    assert last[0].mean() == pytest.approx(11, rel=0.03) and last[0].var() == pytest.approx(11, rel=0.1)
    assert last[1].mean() == pytest.approx(100, rel=0.01) and last[2].mean() == pytest.approx(7, rel=0.03)


def test_boot_240_draws_from_every_cells_240_months_pooled():
    from sahelrisk.evaluation.views_protocol import benchmark_draws
    months = _months()
    draws = benchmark_draws(months, GIDS, 239, 20000, np.random.default_rng(2))["boot_240"]
    pool = months.ravel()   # 960 values: 949 zeros, 0..11 once each but 0, 12 x 100, a 7 and a 5000
    assert set(np.unique(draws)) <= set(pool)
    for cell in range(4):   # the same pooled distribution for every cell, whatever its own history
        assert (draws[cell] == 100).mean() == pytest.approx(12 / 960, abs=0.003)
        assert (draws[cell] == 0).mean() == pytest.approx((pool == 0).mean(), abs=0.01)
    assert (draws == 5000).any()   # the far cell's month 20 years ago is in everyone's pool


def test_conflictology_is_the_cells_last_12_months_and_with_neighbours_108_draws_zero_filled():
    from sahelrisk.evaluation.views_protocol import benchmark_draws
    draws = benchmark_draws(_months(), GIDS, 239, 10, np.random.default_rng(3))
    own = draws["conflictology"]
    assert own.shape == (4, 12, 12)
    for month in range(12):
        np.testing.assert_array_equal(own[0, month], np.arange(12))
        np.testing.assert_array_equal(own[1, month], np.full(12, 100))
    around = draws["conflictology_neighbours"]
    assert around.shape == (4, 12, 108)
    # the cell's 12 months, then west (absent: zeros), east, south (absent), north, and the diagonals
    expected = np.concatenate([np.arange(12), np.zeros(12), np.full(12, 100), np.zeros(12),
                               np.r_[np.zeros(11), 7], np.zeros(48)])
    np.testing.assert_array_equal(around[0, 0], expected)
    np.testing.assert_array_equal(around[0, 11], expected)
    # the east cell sees the cell to its west and the north cell on its north-west diagonal (+719)
    east = np.concatenate([np.full(12, 100), np.arange(12), np.zeros(12 * 4), np.r_[np.zeros(11), 7], np.zeros(24)])
    np.testing.assert_array_equal(around[1, 0], east)
    assert not around[3].any()   # the far cell's last year was quiet and so were its neighbours


def test_the_ensemble_draws_each_member_at_its_weight():
    from sahelrisk.evaluation.views_protocol import mixture_draws
    first = np.full((3, 12, 4000), 500)
    second = np.stack([np.repeat(np.arange(108)[None, :], 12, axis=0)] * 3)   # 108 draws: 0..107
    mixed = mixture_draws(first, second, 0.25, np.random.default_rng(4))
    assert mixed.shape == first.shape
    assert (mixed == 500).mean() == pytest.approx(0.25, abs=0.01)
    others = mixed[mixed != 500]
    assert set(np.unique(others)) <= set(range(108))
    assert np.bincount(others, minlength=108).min() > 0   # every draw of the second member is reachable
    assert (mixture_draws(first, second, 1.0, np.random.default_rng(0)) == 500).all()
    with pytest.raises(ValueError, match="must be in"):
        mixture_draws(first, second, 1.5, np.random.default_rng(0))


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
    draws = pd.read_parquet(folder / "boot_240.parquet")
    assert draws["draw"].nunique() == 10 and draws["month_id"].between(517, 528).all()
    # the conflictology benchmarks keep their own draws whatever --draws says: the 12 months, and 9 x 12
    assert pd.read_parquet(folder / "conflictology.parquet")["draw"].nunique() == 12
    assert pd.read_parquet(folder / "conflictology_neighbours.parquet")["draw"].nunique() == 108
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
