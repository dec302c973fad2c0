"""The fits a registered model is made of: the spec's estimator on every observed week, and the
count part of its deaths forecast.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sahelrisk.features.targets import last_observed_origin, target_column
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.executors import Recipe
from sahelrisk.modeling.frame import TrainingFrame
from sahelrisk.modeling.severity import MIN_DEATH_ROWS, SEVERITY_FEATURES, SeverityModel
from sahelrisk.modeling.spec import TrainingSpec

__all__ = ["fit_final_model", "fit_severity", "SeverityFit", "recipe", "Recipe"]

def recipe(spec: TrainingSpec, feature_columns: list[str], horizon: int | None = None) -> Recipe:
    """The spec's estimator as a recipe: a factory of unfitted copies and the columns it reads."""
    return (lambda: spec.make_model(feature_columns, horizon)), spec.model_columns(feature_columns, horizon)


def fit_final_model(spec: TrainingSpec, tf: TrainingFrame) -> RiskModel | BlendedModel:
    """The spec's model fitted on every week whose target is observed (the registered model), by
    the frame's executor."""
    return tf.executor.fit(spec.make_model(tf.feature_columns), tf.frame, tf.feature_columns, spec.target,
                           pd.Timestamp(spec.backtest.train_start),
                           last_observed_origin(tf.data_end, spec.horizon_weeks))


@dataclass(frozen=True)
class SeverityFit:
    """The count model of the deaths forecast, or why the model forecasts probabilities only.

    Attributes
    ----------
    model : SeverityModel or None
        None: no deaths forecast; ``note`` says why.
    note : str
        ``"fitted on N rows with a death"`` or the reason there is no deaths forecast.
    """

    model: SeverityModel | None
    note: str


def fit_severity(spec: TrainingSpec, tf: TrainingFrame) -> SeverityFit:
    """The count model of the deaths forecast (:mod:`sahelrisk.modeling.severity`), fitted on every
    observed training week.

    A panel without the history columns it reads, or with fewer than
    :data:`~sahelrisk.modeling.severity.MIN_DEATH_ROWS` rows with a death, gives a recorded
    "probabilities only"; any other failure is raised.
    """
    target = target_column("fatalities", spec.horizon_weeks)
    missing = sorted({target, *SEVERITY_FEATURES} - set(tf.frame.columns))
    if missing:
        return SeverityFit(None, f"probabilities only: the panel has no {', '.join(missing)}")
    # the rows with a death: the only ones the count model reads
    rows = tf.executor.rows_with_deaths(tf.frame, target, list(SEVERITY_FEATURES),
                                        pd.Timestamp(spec.backtest.train_start))
    with_deaths = int((rows[target] >= 1).sum())
    if with_deaths < MIN_DEATH_ROWS:
        return SeverityFit(None, f"probabilities only: {with_deaths} training rows with a death, fewer than the "
                                 f"{MIN_DEATH_ROWS} the count model needs")
    model = SeverityModel(correlation=spec.area_deaths_correlation).fit(rows, rows[target])
    return SeverityFit(model, f"fitted on {with_deaths} rows with a death")
