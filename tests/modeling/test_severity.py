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
