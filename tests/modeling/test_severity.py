"""The deaths distribution: a hurdle whose pieces a test can check by hand."""

import numpy as np
import pandas as pd
import pytest
import scoringrules
from scipy import stats

from sahelrisk.modeling.severity import SeverityForecast, SeverityModel


def _forecast():
    return SeverityForecast(p=np.array([0.0, 0.5, 0.9]), mean_z=np.array([2.0, 2.0, 20.0]), dispersion=1.5)


def test_the_hurdle_puts_one_minus_p_at_zero_and_the_rest_above_one():
    f = _forecast()
    assert f.cdf([0, 0, 0]) == pytest.approx([1.0, 0.5, 0.1])
    assert f.expected() == pytest.approx([0.0, 1.5, 0.9 * 21])
    z = stats.nbinom(1.5, 1.5 / (1.5 + 2.0))
    assert f.prob_at_least(10)[1] == pytest.approx(0.5 * z.sf(8))       # P(1 + Z >= 10) = P(Z >= 9)
    assert f.prob_at_least(1) == pytest.approx(f.p)
    assert f.quantile(0.4)[1] == 0 and f.quantile(0.6)[1] >= 1


def test_draws_follow_the_distribution():
    draws = _forecast().sample(20_000, seed=1)
    assert draws.min() == 0 and (draws[0] == 0).all()
    assert (draws[1] == 0).mean() == pytest.approx(0.5, abs=0.02)
    assert draws[2].mean() == pytest.approx(0.9 * 21, rel=0.05)
    assert (draws[1] >= 10).mean() == pytest.approx(_forecast().prob_at_least(10)[1], abs=0.01)


def test_crps_from_the_library_matches_the_closed_form_on_small_cases():
    # an ensemble: E|X - y| - E|X - X'| / 2, by hand
    members = np.array([0.0, 0.0, 1.0, 2.0])
    by_hand = np.abs(members - 0).mean() - np.abs(members[:, None] - members[None, :]).mean() / 2
    assert scoringrules.crps_ensemble(np.array([0.0]), members[None, :])[0] == pytest.approx(by_hand)
    # a hurdle with no count spread: deaths 0 w.p. 1 - p, else 1; CRPS at y = 0 is p^2 (integral of F - 1)
    p = 0.3
    draws = SeverityForecast(np.array([p]), np.array([1e-9]), 1e6).sample(200_000, seed=2).astype(float)
    assert scoringrules.crps_ensemble(np.array([0.0]), draws)[0] == pytest.approx(p**2, abs=0.005)


def test_the_count_model_learns_that_a_bloodier_history_means_more_deaths():
    rng = np.random.default_rng(0)
    history = rng.exponential(5, 3000)
    X = pd.DataFrame({name: history for name in SeverityModel().features})
    deaths = 1 + rng.poisson(0.5 + 0.8 * history)
    model = SeverityModel().fit(X, deaths)
    f = model.forecast(pd.DataFrame({name: [1.0, 20.0] for name in model.features}), [1.0, 1.0])
    assert f.mean_z[1] > 3 * f.mean_z[0] and model.dispersion_ > 0
    with pytest.raises(ValueError, match="too few to fit"):
        SeverityModel().fit(X.head(10), deaths[:10])


def test_the_fitted_count_model_round_trips_as_plain_numbers():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({name: rng.exponential(3, 500) for name in SeverityModel().features})
    model = SeverityModel().fit(X, 1 + rng.poisson(2, 500))
    again = SeverityModel.from_dict(model.to_dict())
    np.testing.assert_array_equal(again.forecast(X, np.full(500, 0.4)).mean_z, model.forecast(X, np.full(500, 0.4)).mean_z)


def _tied(correlation, n=200):
    return SeverityForecast(p=np.full(n, 0.3), mean_z=np.full(n, 2.0), dispersion=1.5, correlation=correlation)


def _areas(n=200):
    # two ADM1 areas of two ADM2 areas each
    return [np.repeat(["A", "B"], n // 2), np.repeat(["A1", "A2", "B1", "B2"], n // 4)]


def test_copula_draws_keep_each_cells_distribution():
    draws = _tied((0.3, 0.3)).sample(20_000, seed=3, groups=_areas())
    assert (draws == 0).mean(axis=1) == pytest.approx(np.full(200, 0.7), abs=0.03)
    assert draws.mean() == pytest.approx(0.3 * 3, rel=0.05)
    assert (draws[:, :] >= 10).mean() == pytest.approx(_tied((0, 0)).prob_at_least(10)[0], abs=0.01)


def test_cells_of_one_area_rise_together_and_other_areas_do_not_follow():
    draws = _tied((0.0, 0.5)).sample(5_000, seed=4, groups=_areas())
    same = np.corrcoef(draws[0], draws[1])[0, 1]          # both in A1
    other = np.corrcoef(draws[0], draws[60])[0, 1]        # A1 and A2: no ADM1 loading, so apart
    assert same > 0.2 and abs(other) < 0.05
    sums = draws[:50].sum(axis=0)
    alone = _tied((0.0, 0.0)).sample(5_000, seed=4, groups=_areas())[:50].sum(axis=0)
    assert np.quantile(sums, 0.95) > 1.5 * np.quantile(alone, 0.95)   # a wider interval for the area


def test_zero_loadings_or_no_groups_draw_cells_independently_as_before():
    plain = _tied(()).sample(100, seed=5)
    np.testing.assert_array_equal(_tied((0.0, 0.0)).sample(100, seed=5, groups=_areas()), plain)
    np.testing.assert_array_equal(_tied((0.3, 0.3)).sample(100, seed=5), plain)


def test_a_cell_without_an_area_shares_no_factor():
    groups = [np.array([None] * 100 + ["B"] * 100, dtype=object), np.array([None] * 200, dtype=object)]
    draws = _tied((0.6, 0.0)).sample(5_000, seed=6, groups=groups)
    assert abs(np.corrcoef(draws[0], draws[1])[0, 1]) < 0.05
    assert np.corrcoef(draws[100], draws[101])[0, 1] > 0.2
    with pytest.raises(ValueError, match="2 correlation loadings"):
        _tied((0.3, 0.3)).sample(10, groups=groups[:1])


def test_the_copula_loadings_travel_with_the_count_model():
    rng = np.random.default_rng(1)
    X = pd.DataFrame({name: rng.exponential(3, 500) for name in SeverityModel().features})
    model = SeverityModel(correlation=(0.1, 0.2)).fit(X, 1 + rng.poisson(2, 500))
    again = SeverityModel.from_dict(model.to_dict())
    assert again.forecast(X, np.full(500, 0.4)).correlation == (0.1, 0.2)
    logged_before = {k: v for k, v in model.to_dict().items() if k != "correlation"}
    assert SeverityModel.from_dict(logged_before).correlation == (0.0, 0.0)
