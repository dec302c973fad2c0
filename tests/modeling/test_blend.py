"""The blended model: the mean of its members, their columns, the LightGBM drivers."""

import numpy as np
import pytest
from sklearn.exceptions import NotFittedError

from sahelrisk.errors import SpecError
from sahelrisk.modeling.baselines import required_columns
from sahelrisk.modeling.blend import BlendedModel
from tests.modeling.test_boosted import FAST, synthetic_panel


@pytest.fixture(scope="module")
def panel():
    frame = synthetic_panel(units=60)
    frame["intensity_k50km_hl8w"] = frame["mining_signal"] * 2 + frame["conflict_events_4w"]
    return frame


def blend(**kw):
    return BlendedModel(model_params=FAST, model_columns=("mining_signal", "conflict_events_4w"),
                        glm_columns=("intensity_k50km_hl8w", "conflict_events_hl26w"), **kw)


def test_probability_is_the_mean_of_the_members(panel):
    model = blend()
    X = panel[model.columns()]
    assert model.columns() == ["mining_signal", "conflict_events_4w", "intensity_k50km_hl8w", "conflict_events_hl26w",
                               "conflict_events_52w", "conflict_events_queen_52w"]
    assert set(required_columns(4)) <= set(model.columns())
    model.fit(X, panel["target_any_fatal_4w"], weeks=panel["week"])
    members = model.member_probabilities(X)
    assert list(members.columns) == ["lgbm", "glm", "decay_neighbours"]
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], members.mean(axis=1))
    assert (members.std(axis=1) > 0).any()   # the members differ, or blending would be pointless
    assert list(model.contributions(X.head(5)).columns) == ["mining_signal", "conflict_events_4w"]
    assert model.feature_importances_.index[0] == "mining_signal"


def test_same_inputs_and_seed_give_the_same_blend(panel):
    X, y, weeks = panel[blend().columns()], panel["target_any_fatal_4w"], panel["week"]
    a = blend().fit(X, y, weeks=weeks).predict_proba(X)
    b = blend().fit(X, y, weeks=weeks).predict_proba(X)
    np.testing.assert_array_equal(a, b)


def test_errors_name_the_problem(panel):
    with pytest.raises(SpecError, match="lacks column"):
        blend().fit(panel[["mining_signal"]], panel["target_any_fatal_4w"])
    with pytest.raises(SpecError, match="baseline 'oracle' unknown"):
        blend(baseline="oracle").fit(panel, panel["target_any_fatal_4w"])
    with pytest.raises(NotFittedError):
        blend().predict_proba(panel)


def test_a_self_exciting_member_joins_the_mean_when_the_blend_has_its_columns(panel):
    model = blend(hawkes_columns=("conflict_events_hl26w", "conflict_events_52w"))
    X = panel[model.columns()]
    model.fit(X, panel["target_any_fatal_4w"], weeks=panel["week"])
    members = model.member_probabilities(X)
    assert list(members.columns) == ["lgbm", "glm", "decay_neighbours", "hawkes"]
    np.testing.assert_allclose(model.predict_proba(X)[:, 1], members.mean(axis=1))
    assert model.members_["hawkes"].negative_share == model.hawkes_negative_share
    with pytest.raises(SpecError, match="self-exciting member exactly when"):
        blend().with_members(*model.members())
