"""The fits a registered model is made of: the deaths model is fitted, or the model says plainly
that it forecasts probabilities only, and why; a broken column is an error, never swallowed."""

from datetime import date

import numpy as np
import pandas as pd
import pytest

from sahelrisk.modeling.fit import fit_severity
from sahelrisk.modeling.frame import TrainingFrame
from sahelrisk.modeling.severity import MIN_DEATH_ROWS, SEVERITY_FEATURES


def _frame(rows: int, with_deaths: int, seed: int = 0) -> TrainingFrame:
    rng = np.random.default_rng(seed)
    frame = pd.DataFrame({c: rng.poisson(1.0, rows).astype(float) for c in SEVERITY_FEATURES})
    frame["week"] = pd.Timestamp("2020-01-06") + pd.to_timedelta(np.arange(rows) % 150, unit="W")
    deaths = np.zeros(rows)
    deaths[:with_deaths] = rng.integers(1, 40, with_deaths)
    frame["target_fatalities_4w"] = deaths
    return TrainingFrame(frame, list(SEVERITY_FEATURES), None, None, {}, date(2023, 12, 31), date(2023, 12, 31))


def test_the_deaths_model_is_fitted_and_says_on_how_many_rows(small_spec):
    fit = fit_severity(small_spec, _frame(600, 200))
    assert fit.model is not None and fit.note == "fitted on 200 rows with a death"
    assert fit.model.dispersion_ > 0


def test_too_few_deaths_is_a_recorded_probabilities_only(small_spec):
    fit = fit_severity(small_spec, _frame(600, MIN_DEATH_ROWS - 1))
    assert fit.model is None
    assert fit.note == (f"probabilities only: {MIN_DEATH_ROWS - 1} training rows with a death, fewer than the "
                        f"{MIN_DEATH_ROWS} the count model needs")


def test_a_panel_without_the_history_columns_says_which(small_spec):
    tf = _frame(100, 50)
    tf.frame = tf.frame.drop(columns=[SEVERITY_FEATURES[0]])
    fit = fit_severity(small_spec, tf)
    assert fit.model is None and fit.note == f"probabilities only: the panel has no {SEVERITY_FEATURES[0]}"


def test_a_broken_column_is_an_error_not_a_model_without_deaths(small_spec):
    tf = _frame(600, 200)
    tf.frame[SEVERITY_FEATURES[1]] = "n/a"
    with pytest.raises(ValueError):
        fit_severity(small_spec, tf)
