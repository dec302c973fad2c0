"""The self-exciting member: a non-negative sum of excitations as a rate, fitted by likelihood."""

import numpy as np
import pandas as pd
import pytest

from sahelrisk.errors import DataError, SpecError
from sahelrisk.modeling.hawkes import SelfExcitingModel


def excited(n=40_000, seed=0):
    """Rows whose hazard is 0.01 + 0.05 x near + 0.02 x background; ``far`` excites nothing."""
    rng = np.random.default_rng(seed)
    X = pd.DataFrame({"near": rng.exponential(1, n), "far": rng.exponential(1, n),
                      "background": rng.poisson(2, n).astype(float)})
    rate = 0.01 + 0.05 * X["near"] + 0.02 * X["background"]
    y = (rng.random(n) < -np.expm1(-rate)).astype(float)
    return X, y


def test_recovers_the_rate_each_excitation_adds_and_none_for_a_column_that_excites_nothing():
    X, y = excited()
    model = SelfExcitingModel().fit(X, y)
    assert model.weights_["near"] == pytest.approx(0.05, abs=0.01)
    assert model.weights_["background"] == pytest.approx(0.02, abs=0.006)
    assert model.weights_["far"] < 0.005 and (model.weights_ >= 0).all()
    assert model.background_ == pytest.approx(0.01, abs=0.01)
    p = model.predict_proba(X)[:, 1]
    assert ((p > 0) & (p < 1)).all()
    assert p.mean() == pytest.approx(y.mean(), rel=0.03)   # the likelihood's fit is calibrated in the mean


def test_more_excitation_never_lowers_the_risk():
    X, y = excited()
    model = SelfExcitingModel().fit(X, y)
    more = X.assign(**{c: X[c] + 1 for c in X})
    assert (model.predict_proba(more)[:, 1] >= model.predict_proba(X)[:, 1]).all()


def test_a_fit_on_a_share_of_negatives_weighs_them_back():
    X, y = excited()
    full = SelfExcitingModel().fit(X, y).predict_proba(X)[:, 1]
    sampled = SelfExcitingModel(negative_share=0.2).fit(X, y).predict_proba(X)[:, 1]
    assert sampled.mean() == pytest.approx(full.mean(), rel=0.08)
    assert np.corrcoef(full, sampled)[0, 1] > 0.98


def test_a_weighted_row_counts_as_that_many_copies():
    X, y = excited(n=5_000, seed=1)
    copies = np.random.default_rng(2).integers(1, 4, len(X))
    weighted = SelfExcitingModel().fit(X, y, sample_weight=copies)
    plain = SelfExcitingModel().fit(X.loc[X.index.repeat(copies)], np.repeat(y, copies))
    np.testing.assert_allclose(weighted.predict_proba(X), plain.predict_proba(X), atol=2e-3)


def test_same_rows_and_seed_give_the_same_model():
    X, y = excited(n=5_000)
    a = SelfExcitingModel(negative_share=0.5).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, SelfExcitingModel(negative_share=0.5).fit(X, y).predict_proba(X))


def test_errors_name_the_problem():
    X, y = excited(n=1_000)
    with pytest.raises(SpecError, match=r"column\(s\) \['near'\] hold negative values.*hawkes_include"):
        SelfExcitingModel().fit(X.assign(near=-X["near"]), y)
    with pytest.raises(DataError, match="single class"):
        SelfExcitingModel().fit(X, np.zeros(len(X)))
    with pytest.raises(SpecError, match=r"lacks column\(s\) \['far'\]"):
        SelfExcitingModel().fit(X, y).predict_proba(X[["near", "background"]])
