"""The backtest runner: every model fitted on each fold's training rows and scored on its test
rows, the spec's model beside every baseline on the same folds; then area and zone risk scored from
the same predictions.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date

import pandas as pd

from sahelrisk.data.sources.families import select_sources
from sahelrisk.evaluation.areas import (
    AreaCalibration,
    area_report,
    evaluate_areas,
    fit_area_calibration,
)
from sahelrisk.evaluation.metrics import metrics_by
from sahelrisk.evaluation.zones import ZONE_REPORTED, evaluate_zones, fit_zone_maps
from sahelrisk.features.targets import target_column
from sahelrisk.modeling.baselines import BaselineModel, required_columns
from sahelrisk.modeling.distributed import ONSET_COLUMN, ClusterFrame
from sahelrisk.modeling.executors import Executor, FoldCallback, Recipe, local_executor
from sahelrisk.modeling.fit import recipe
from sahelrisk.modeling.frame import TrainingFrame
from sahelrisk.modeling.spec import TrainingSpec

__all__ = ["run_backtest", "run_backtests", "BacktestResult", "onset_metrics", "ONSET_QUIET_WEEKS", "model_factories",
           "MODEL_NAME", "FoldCallback", "Evaluation", "evaluate"]

MODEL_NAME = "model"  # the trained estimator in backtest tables and MLflow metrics ("model_ap")


def run_backtest(splitter: object, frame: pd.DataFrame | ClusterFrame, target: str, models: dict[str, Recipe],
                 on_fold: FoldCallback | None = None, workers: int | None = None,
                 executor: Executor | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Fit every model on each fold's training rows and predict its test rows.

    Every fold is checked before the first is fitted, wherever it runs: a bad spec fails in
    seconds, never as a fold silently empty. The predictions do not depend on where the folds run
    (on a cluster's stated sample, within the tolerance ``docs/how-to/cluster.md`` gives).

    Parameters
    ----------
    splitter : RollingOrigin or LatestFolds
        Anything whose ``split()`` yields :class:`~sahelrisk.modeling.folds.Fold`.
    frame : pandas.DataFrame or ClusterFrame
        ``unit_id``, ``week``, the features and the target; or a frame kept on a cluster.
    target : str
        The target column.
    models : dict
        Name -> (a factory of unfitted estimators, the columns it reads).
    on_fold : callable, optional
        Progress callback ``(fold, k, n)``, called as each fold's fits end (``k`` folds ended before it).
    workers : int, optional
        Without ``executor``: folds fitted at once on this machine
        (:func:`~sahelrisk.modeling.executors.local_executor`).
    executor : Executor, optional
        Where the folds run (:mod:`sahelrisk.modeling.executors`); default this machine.

    Returns
    -------
    (pandas.DataFrame, list of dict)
        The predictions (one row per unit and test week: ``fold``, the target, one ``p_<model>``
        column per model) and per-fold timings.

    Raises
    ------
    DataError
        A fold's training weeks hold one class, or none of its test weeks has an observed target.
    """
    folds = list(splitter.split())  # type: ignore[attr-defined]
    executor = executor or local_executor(len(frame), workers)
    executor.check(frame, folds, target)
    return executor.backtest(frame, folds, target, models, on_fold)


@dataclass
class BacktestResult:
    """The backtest's predictions and metrics, per horizon.

    Attributes
    ----------
    predictions : dict
        Horizon -> rows of (unit, week, fold, target, ``p_<model>``...).
    overall, by_year, by_country : pandas.DataFrame
        Model x horizon metrics, overall and per year and country.
    onsets : pandas.DataFrame
        The same metrics on onset rows only (cell-weeks with no fatal event in the unit for at
        least :data:`ONSET_QUIET_WEEKS` weeks, so a positive is a first deadly event after a quiet
        year), for all countries (``country_iso3`` "all") and per country, with their counts.
    folds : dict
        Horizon -> per-fold rows and timings.
    seconds : float
        Wall time.
    """

    predictions: dict[int, pd.DataFrame]
    overall: pd.DataFrame
    by_year: pd.DataFrame
    by_country: pd.DataFrame
    folds: dict[int, list[dict]]
    seconds: float
    models: list[str] = field(default_factory=list)
    as_of: date | None = None
    data_end: date | None = None
    onsets: pd.DataFrame = field(default_factory=pd.DataFrame)

    def table(self, horizon: int) -> pd.DataFrame:
        """The overall metrics of one horizon, indexed by model."""
        return self.overall[self.overall["horizon"] == horizon].set_index("model")


def _baseline(name: str, horizon: int) -> Callable[[], BaselineModel]:
    """A factory of unfitted copies of one baseline rule."""
    return lambda: BaselineModel(name, horizon)


def model_factories(spec: TrainingSpec, tf: TrainingFrame, horizon: int, include_model: bool = True) -> dict[str, Recipe]:
    """Name -> recipe: baselines read their history columns, the model its declared features."""
    history = [c for c in required_columns(horizon) if c in tf.frame]
    factories: dict[str, Recipe] = {name: (_baseline(name, horizon), history) for name in spec.baselines}
    if include_model:
        factories[MODEL_NAME] = recipe(spec, tf.feature_columns, horizon)
    return factories


ONSET_QUIET_WEEKS = 52


def onset_metrics(preds: pd.DataFrame, frame: pd.DataFrame, target: str, models: list[str]) -> pd.DataFrame:
    """Metrics on the onset rows of ``preds`` (quiet for :data:`ONSET_QUIET_WEEKS` weeks at the
    origin, read from the panel ``frame``), for all countries and per country.

    Parameters
    ----------
    preds : pandas.DataFrame
        Backtest rows with ``unit_id``, ``week``, ``country_iso3``, the target and ``p_<model>``
        (and ``conflict_weeks_since_fatal`` when scored on a cluster).
    frame : pandas.DataFrame or ClusterFrame
        The panel the rows came from, with ``conflict_weeks_since_fatal`` (read when the rows lack it).
    target : str
        The target column.
    models : list of str
        The models to score.

    Returns
    -------
    pandas.DataFrame
        One row per model and country (``"all"`` first); empty without the quiet column.
    """
    if ONSET_COLUMN in preds:   # scored on a cluster, the rows carry it
        since = preds[ONSET_COLUMN]
    elif ONSET_COLUMN in frame:
        since = preds[["unit_id", "week"]].merge(frame[["unit_id", "week", ONSET_COLUMN]], on=["unit_id", "week"],
                                                 how="left")[ONSET_COLUMN]
    else:
        return pd.DataFrame()
    onset = preds[(since >= ONSET_QUIET_WEEKS).to_numpy()]
    if onset.empty:
        return pd.DataFrame()
    return pd.concat([metrics_by(onset, target, models).assign(country_iso3="all"),
                      metrics_by(onset, target, models, by="country_iso3")], ignore_index=True)


def run_backtests(spec: TrainingSpec, tf: TrainingFrame, horizons: list[int] | None = None, *,
                  include_model: bool = True, on_fold: FoldCallback | None = None,
                  executor: Executor | None = None) -> BacktestResult:
    """The model and every baseline, on the same folds, for each horizon (default the spec's), run
    by ``executor`` (default the frame's own, ``tf.executor``)."""
    started = time.perf_counter()
    preds: dict[int, pd.DataFrame] = {}
    folds: dict[int, list[dict]] = {}
    overall: list[pd.DataFrame] = []
    years: list[pd.DataFrame] = []
    countries: list[pd.DataFrame] = []
    onsets: list[pd.DataFrame] = []
    names: list[str] = []
    for h in horizons or [spec.horizon_weeks]:
        target = target_column(spec.target_kind, h)
        factories = model_factories(spec, tf, h, include_model)
        out, log = run_backtest(spec.splitter(h, data_end=tf.data_end), tf.frame, target, factories,
                                on_fold=on_fold, executor=executor or tf.executor)
        out["country_iso3"] = out["unit_id"].map(tf.units.table.set_index("unit_id")["country_iso3"])
        out["year"] = out["week"].dt.year
        names = list(factories)
        for by, sink in ((None, overall), ("year", years), ("country_iso3", countries)):
            sink.append(metrics_by(out, target, names, by=by).assign(horizon=h))
        onsets.append(onset_metrics(out, tf.frame, target, names).assign(horizon=h))
        preds[h], folds[h] = out, log
    return BacktestResult(preds, pd.concat(overall, ignore_index=True), pd.concat(years, ignore_index=True),
                          pd.concat(countries, ignore_index=True), folds, round(time.perf_counter() - started, 1),
                          models=names, as_of=tf.as_of, data_end=tf.data_end,
                          onsets=pd.concat(onsets, ignore_index=True))


@dataclass(frozen=True)
class Evaluation:
    """A training run's backtest with the area and zone risk scored from its predictions.

    Attributes
    ----------
    backtest : BacktestResult
        The model and the baselines on the spec's folds, at the trained horizon.
    area_tables : dict
        Level or zone kind -> (metrics table, reliability table).
    calibration : AreaCalibration
        The maps from an area's or zone's independence score to its probability (travel with the model).
    """

    backtest: BacktestResult
    area_tables: dict
    calibration: AreaCalibration


def evaluate(spec: TrainingSpec, tf: TrainingFrame, *, on_fold: FoldCallback | None = None) -> Evaluation:
    """Backtest the spec at its horizon, then score admin areas, road corridors and sites from it."""
    result = run_backtests(spec, tf, [spec.horizon_weeks], on_fold=on_fold)
    preds = result.predictions[spec.horizon_weeks]
    events = select_sources(tf.inputs.events, (spec.target_source,))
    areas = evaluate_areas(preds, tf.units, tf.inputs.layers, events, target_kind=spec.target_kind,
                           horizon_weeks=spec.horizon_weeks, data_end=tf.data_end, method=spec.area_calibration)
    zones = evaluate_zones(preds, tf.units, tf.inputs.layers, events, target=spec.target,
                           horizon_weeks=spec.horizon_weeks, data_end=tf.data_end)
    # Route corridors and mining sites: their maps travel with the model beside the areas'.
    calibration = AreaCalibration({**fit_area_calibration(areas, spec.target, spec.area_calibration).maps,
                                   **{k: v for k, v in fit_zone_maps(zones, spec.target).items() if v}})
    tables = {**{level: area_report(rows, spec.target) for level, rows in areas.items()},
              **{kind: area_report(rows, spec.target, ZONE_REPORTED) for kind, rows in zones.items()}}
    return Evaluation(result, tables, calibration)
