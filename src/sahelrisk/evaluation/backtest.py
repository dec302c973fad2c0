"""The backtest runner: every model fitted on each fold's training rows and scored on its test
rows, the spec's model beside every baseline on the same folds; then area and zone risk scored from
the same predictions.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import nullcontext
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

from sahelrisk.cluster import TASK_RETRIES, active_client
from sahelrisk.cores import THREADS_VARIABLE, thread_count
from sahelrisk.data.sources.families import select_sources
from sahelrisk.errors import DataError
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
from sahelrisk.modeling.fit import Recipe, recipe
from sahelrisk.modeling.folds import Fold
from sahelrisk.modeling.frame import TrainingFrame
from sahelrisk.modeling.spec import TrainingSpec

__all__ = ["run_backtest", "run_backtests", "BacktestResult", "onset_metrics", "ONSET_QUIET_WEEKS", "model_factories",
           "MODEL_NAME", "FoldCallback", "Evaluation", "evaluate", "PARALLEL_MIN_ROWS"]

MODEL_NAME = "model"  # the trained estimator in backtest tables and MLflow metrics ("model_ap")
FoldCallback = Callable[[Fold, int, int], None]
"""Progress: called with the fold, how many folds ended before it and the number of folds, as its fits end."""
PARALLEL_MIN_ROWS = 100_000
"""Frames this large have their folds fitted side by side (smaller ones in this process)."""


def run_backtest(splitter: object, frame: pd.DataFrame | ClusterFrame, target: str, models: dict[str, Recipe],
                 on_fold: FoldCallback | None = None, workers: int | None = None) -> tuple[pd.DataFrame, list[dict]]:
    """Fit every model on each fold's training rows and predict its test rows.

    Folds are fitted side by side, one thread each, by ``workers`` processes that each read one
    shared copy of the frame: a fit's threads wait on each other at every tree, so separate folds
    use the cores better, and a run beside other jobs slows by the share of cores it loses rather
    than stalls. Within :func:`sahelrisk.cluster.use_cluster`, the folds are Dask tasks on the
    cluster's workers instead. The predictions do not depend on how many run at once, or where.

    Parameters
    ----------
    splitter : RollingOrigin or LatestFolds
        Anything whose ``split()`` yields :class:`~sahelrisk.modeling.folds.Fold`.
    frame : pandas.DataFrame or ClusterFrame
        ``unit_id``, ``week``, the features and the target; a
        :class:`~sahelrisk.modeling.distributed.ClusterFrame` is fitted on its stated sample and
        scored by partition (:meth:`~sahelrisk.modeling.distributed.ClusterFrame.backtest`).
    target : str
        The target column.
    models : dict
        Name -> (a factory of unfitted estimators, the columns it reads).
    on_fold : callable, optional
        Progress callback ``(fold, k, n)``, called as each fold's fits end (``k`` folds ended before it).
    workers : int, optional
        Folds fitted at once (default :func:`sahelrisk.cores.thread_count`; one below
        :data:`PARALLEL_MIN_ROWS` rows, where starting processes costs more than it saves).

    Returns
    -------
    (pandas.DataFrame, list of dict)
        The predictions (one row per unit and test week: ``fold``, the target, one ``p_<model>``
        column per model) and per-fold timings.
    """
    folds = list(splitter.split())  # type: ignore[attr-defined]
    # Every fold is checked before the first is fitted, wherever it runs: a bad spec fails in
    # seconds, not after minutes, and never as a fold silently empty.
    if isinstance(frame, ClusterFrame):   # the rows stay on the cluster
        last = frame.last_observed_week(target)
        for fold in folds:
            if not any(pd.Timestamp(week) <= last for week in fold.test_weeks):
                raise _unobserved(fold, target, last)
        return frame.backtest(folds, target, models, on_fold)
    observed = frame[target].notna()
    masks = [_fold_rows(frame, fold, target) for fold in folds]
    for fold, (in_train, in_test) in zip(folds, masks):
        if frame.loc[in_train, target].nunique() < 2:
            raise DataError(f"{fold.name}: the training weeks hold only one class of {target}; start "
                            "training earlier (train_start)")
        if not in_test.any():
            raise _unobserved(fold, target, frame.loc[observed, "week"].max() if observed.any() else None)
    if workers is None:
        workers = thread_count() if len(frame) >= PARALLEL_MIN_ROWS else 1
    workers = max(1, min(workers, len(folds)))
    results: dict[int, tuple[pd.DataFrame, dict]] = {}
    client = active_client() if len(folds) > 1 else None
    with tempfile.TemporaryDirectory(prefix="sahelrisk-folds-") if workers > 1 and client is None \
            else nullcontext("") as shared:
        fitted: Iterable
        if client is not None:
            fitted = _fit_on_cluster(client, frame, folds, target, models)
        elif workers == 1:
            fitted = (_fit_fold(k, frame, fold, target, models) for k, fold in enumerate(folds))
        else:
            from joblib import Parallel, delayed
            # One copy on disk that each worker reads once, instead of the frame sent with every fold.
            path = str(Path(shared) / "frame.arrow")
            _narrow(frame, target, models).to_feather(path)
            fitted = Parallel(n_jobs=workers, backend="loky", return_as="generator_unordered")(
                delayed(_fit_fold)(k, path, fold, target, models, threads=1) for k, fold in enumerate(folds))
        for k, out, entry in fitted:
            if on_fold:
                on_fold(folds[k], len(results), len(folds))
            results[k] = out, entry
    ordered = [results[k] for k in range(len(folds))]
    return pd.concat([out for out, _ in ordered], ignore_index=True), [entry for _, entry in ordered]


def _unobserved(fold: Fold, target: str, last: pd.Timestamp | None) -> DataError:
    """A fold none of whose test weeks has an observed target: the spec's origins pass the data."""
    return DataError(f"{fold.name}: no test week has an observed {target} (the data ends "
                     f"{last.date() if last is not None and pd.notna(last) else 'before it'}); "
                     "set [backtest] first_origin / last_origin within the data")


def _narrow(frame: pd.DataFrame, target: str, models: dict[str, Recipe]) -> pd.DataFrame:
    """The frame's columns a fold reads (keys, target, every model's columns), renumbered."""
    read = dict.fromkeys(["unit_id", "week", target, *(c for _, columns in models.values() for c in columns)])
    return frame[list(read)].reset_index(drop=True)


def _fit_on_cluster(client: Any, frame: pd.DataFrame, folds: list[Fold], target: str,
                    models: dict[str, Recipe]) -> Iterator[tuple[int, pd.DataFrame, dict]]:
    """Each fold a Dask task on one worker thread, the frame sent once to every worker; a fold whose
    worker dies is run again elsewhere."""
    from distributed import as_completed
    shared = client.scatter(_narrow(frame, target, models), broadcast=True, hash=False)
    futures = [client.submit(_fit_fold, k, shared, fold, target, models, threads=1, retries=TASK_RETRIES, pure=False)
               for k, fold in enumerate(folds)]
    for future in as_completed(futures):
        yield future.result()
        future.release()


def _fold_rows(frame: pd.DataFrame, fold: Fold, target: str) -> tuple[pd.Series, pd.Series]:
    """A fold's training and test rows: in its weeks, with an observed target."""
    week, observed = frame["week"], frame[target].notna()
    return ((week >= fold.train_start) & (week <= fold.train_end) & observed,
            week.isin(fold.test_weeks) & observed)


_SHARED: dict[str, pd.DataFrame] = {}
"""A worker's copy of the frame it was last sent, by path (read once, used for every fold it fits)."""


def _shared_frame(path: str) -> pd.DataFrame:
    if path not in _SHARED:
        _SHARED.clear()
        _SHARED[path] = pd.read_feather(path)
    return _SHARED[path]


def _fit_fold(k: int, frame: pd.DataFrame | str, fold: Fold, target: str, models: dict[str, Recipe],
              threads: int | None = None) -> tuple[int, pd.DataFrame, dict]:
    """One fold: every model fitted on its training rows and scored on its test rows.

    ``frame`` is the frame, or in a worker process the path of its shared copy.
    """
    if threads is not None:
        os.environ[THREADS_VARIABLE] = str(threads)  # this worker's fits (its own process)
    if isinstance(frame, str):
        frame = _shared_frame(frame)
    in_train, in_test = _fold_rows(frame, fold, target)
    train, test = frame[in_train], frame[in_test]
    out = test[["unit_id", "week", target]].copy()
    out["fold"] = fold.name
    entry = {"fold": fold.name, "train_rows": len(train), "test_rows": len(test)}
    for name, (factory, columns) in models.items():
        model = factory()
        started = time.perf_counter()
        model.fit(train[columns], train[target].to_numpy(), weeks=train["week"])  # type: ignore[attr-defined]
        entry[f"fit_s_{name}"] = round(time.perf_counter() - started, 3)
        out[f"p_{name}"] = model.predict_proba(test[columns])[:, 1]  # type: ignore[attr-defined]
    return k, out, entry


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
                  include_model: bool = True, on_fold: FoldCallback | None = None) -> BacktestResult:
    """The model and every baseline, on the same folds, for each horizon (default the spec's)."""
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
                                on_fold=on_fold)
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
