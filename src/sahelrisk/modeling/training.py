"""Backtest and train from a training spec: the panel and its targets, the rolling-origin
backtest of the model and every baseline on the same folds, the final fit, MLflow logging,
registration and promotion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.extent import data_extent
from sahelrisk.data.sources import load_events
from sahelrisk.data.sources.families import select_sources
from sahelrisk.data.sources.held import NO_CUTOFF
from sahelrisk.errors import SpecError
from sahelrisk.features.panel import (
    PanelInputs,
    build_units,
    compute_panel,
    load_inputs,
)
from sahelrisk.features.targets import build_targets, last_full_week, target_column
from sahelrisk.modeling.areas import (
    AreaCalibration,
    area_report,
    evaluate_areas,
    fit_area_calibration,
)
from sahelrisk.modeling.baselines import BaselineModel, required_columns
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.folds import run_backtest
from sahelrisk.modeling.metrics import metrics_by
from sahelrisk.modeling.promotion import (
    LatestFolds,
    PromotionDecision,
    compare_on_latest_folds,
    decide_promotion,
)
from sahelrisk.modeling.severity import SEVERITY_FEATURES, SeverityModel
from sahelrisk.modeling.spec import TrainingSpec, training_spec_from_text
from sahelrisk.modeling.zones import ZONE_REPORTED, evaluate_zones, fit_zone_maps
from sahelrisk.units import Units

__all__ = ["TrainingFrame", "prepare_frame", "BacktestResult", "run_backtests", "fit_final_model", "train_and_track",
           "TrainOutcome", "MODEL_NAME"]

AREA_CALIBRATION_ARTIFACT = "area_calibration.json"
SEVERITY_ARTIFACT = "severity.json"
MODEL_NAME = "model"  # the trained estimator in backtest tables and MLflow metrics ("model_ap")


@dataclass
class TrainingFrame:
    """The panel of a training spec with every target, and the data window it was built from.

    Attributes
    ----------
    frame : pandas.DataFrame
        ``unit_id``, ``week``, ``country_iso3``, the features and the targets.
    feature_columns : list of str
        The columns the spec's model reads.
    as_of : date
        The data cut-off: rows dated later were not used.
    data_end : date
        The last day the data covers: targets after it are NaN.
    extent_reason : str
        Why that ``data_end`` (when it was derived from the data).
    """

    frame: pd.DataFrame
    feature_columns: list[str]
    units: Units
    inputs: PanelInputs
    panel_meta: dict
    as_of: date
    data_end: date
    extent_reason: str = ""


def resolve_window(spec_features, catalog: Catalog, data_dir, *, as_of=None, data_end=None,
                   inputs: PanelInputs | None = None) -> tuple[date, date, str]:
    """``(as_of, data_end, reason)``: the caller's dates, else what the located events support.

    The default ``data_end`` is the last complete week of the latest stretch of located events
    long enough to forecast from, less the feature spec's reporting lag; the default ``as_of`` is
    ``data_end``. A caller's ``as_of`` alone caps the data (``data_end`` is then derived from the
    events known on it).
    """
    if as_of is not None and data_end is not None:
        return as_of, data_end, "given"
    # Without a cut-off the events show what the data supports; the cut-off is applied after.
    events = inputs.events if inputs is not None else load_events(catalog, data_dir, as_of=as_of or NO_CUTOFF).table
    if as_of is not None:
        events = events[events["date_start"] <= pd.Timestamp(as_of)]
    extent = data_extent(events, spec_features.countries, reporting_lag_weeks=spec_features.reporting_lag_weeks)
    end = data_end or extent.data_end
    return (as_of or end), end, extent.reason


def prepare_frame(spec: TrainingSpec, data_dir, *, as_of: date | None = None, data_end: date | None = None,
                  catalog: Catalog | None = None, inputs: PanelInputs | None = None) -> TrainingFrame:
    """The panel from the first training week to the data's last full week, with every target.

    Parameters
    ----------
    spec : TrainingSpec
    data_dir : path-like
        The data directory.
    as_of : date, optional
        The data cut-off; default ``data_end``.
    data_end : date, optional
        The last day the data covers; default what the located events support
        (:func:`sahelrisk.data.extent.data_extent`).
    catalog : Catalog, optional
    inputs : PanelInputs, optional
        Already loaded inputs (their own cut-off then applies).

    Returns
    -------
    TrainingFrame
    """
    catalog = catalog or load_catalog()
    as_of, data_end, reason = resolve_window(spec.features, catalog, data_dir, as_of=as_of, data_end=data_end,
                                             inputs=inputs)
    inputs = inputs or load_inputs(catalog, data_dir, as_of=as_of, spec=spec.features)
    start = pd.Timestamp(spec.backtest["train_start"])
    end = last_full_week(data_end)
    panel_spec = spec.features.with_period(start, end)
    units = build_units(panel_spec, inputs)
    panel = compute_panel(panel_spec, inputs, units=units)
    horizons = sorted({spec.horizon_weeks, *spec.report_horizons})
    # The target reads one source family whatever else the catalog holds.
    targets = build_targets(select_sources(inputs.events, (spec.target_source,)), units, start, end, horizons=horizons,
                            kinds=(spec.target_kind, "fatalities"), data_end=data_end)
    features = spec.model_columns([c for c in panel.columns if c not in ("unit_id", "week")])
    frame = panel.join(targets.drop(columns=["unit_id", "week"]))  # same row order by construction
    frame.insert(2, "country_iso3", np.repeat(units.table["country_iso3"].to_numpy(), len(panel) // len(units)))
    return TrainingFrame(frame, features, units, inputs, panel.attrs["sahelrisk"], as_of, data_end, reason)


@dataclass
class BacktestResult:
    predictions: dict[int, pd.DataFrame]          # horizon -> rows of (unit, week, fold, target, p_<model>...)
    overall: pd.DataFrame                          # model x horizon metrics
    by_year: pd.DataFrame
    by_country: pd.DataFrame
    folds: dict[int, list[dict]]
    seconds: float
    models: list[str] = field(default_factory=list)
    as_of: date | None = None
    data_end: date | None = None

    def table(self, horizon: int) -> pd.DataFrame:
        return self.overall[self.overall["horizon"] == horizon].set_index("model")


def model_factories(spec: TrainingSpec, tf: TrainingFrame, horizon: int, include_model: bool = True) -> dict:
    """name -> (factory, columns): baselines read their history columns, the model its declared features."""
    history = [c for c in required_columns(horizon) if c in tf.frame]
    factories = {name: ((lambda name=name: BaselineModel(name, horizon)), history) for name in spec.baselines}
    if include_model:
        factories[MODEL_NAME] = recipe(spec, tf.feature_columns, horizon)
    return factories


def recipe(spec: TrainingSpec, feature_columns: list[str], horizon: int | None = None) -> tuple:
    """(a factory of the spec's unfitted estimator, the columns it reads)."""
    return (lambda: spec.make_model(feature_columns, horizon)), spec.model_columns(feature_columns, horizon)


def run_backtests(spec: TrainingSpec, tf: TrainingFrame, horizons: list[int] | None = None,
                  include_model: bool = True, on_fold=None) -> BacktestResult:
    """The model and every baseline, on the same folds, for each horizon."""
    started = time.perf_counter()
    preds, folds, overall, years, countries = {}, {}, [], [], []
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
        preds[h], folds[h] = out, log
    return BacktestResult(preds, pd.concat(overall, ignore_index=True), pd.concat(years, ignore_index=True),
                          pd.concat(countries, ignore_index=True), folds, round(time.perf_counter() - started, 1),
                          models=names, as_of=tf.as_of, data_end=tf.data_end)


def fit_final_model(spec: TrainingSpec, tf: TrainingFrame) -> RiskModel | BlendedModel:
    """The model on every week whose target is observed (the registered model)."""
    observed = tf.frame[spec.target].notna()
    train = tf.frame[observed]
    model = spec.make_model(tf.feature_columns)
    return model.fit(train[tf.feature_columns], train[spec.target].to_numpy(), weeks=train["week"])


@dataclass
class TrainOutcome:
    """What ``train_and_track`` did: the model, its backtest, its run, and the promotion decision."""

    model: RiskModel | BlendedModel
    backtest: BacktestResult
    run_id: str
    version: str | None = None
    promoted: bool = False
    champion_before: str | None = None
    decision: str = ""
    promotion: PromotionDecision | None = None
    compared_folds: list[str] = field(default_factory=list)
    areas: dict = field(default_factory=dict)   # level -> (metrics table, reliability) of area risk
    report_paths: tuple = ()
    card_paths: tuple = ()


class UnreadableChampion(Exception):
    """The champion's logged spec no longer reads (an older sahelrisk wrote it)."""


def champion_recipe(spec: TrainingSpec, tf: TrainingFrame, champion_texts: tuple[str, str], data_dir,
                    catalog: Catalog | None) -> tuple[tuple, pd.DataFrame | None]:
    """The champion's (factory, columns) from its logged specs, and its own frame if its features differ."""
    training_text, features_text = champion_texts
    try:
        old = training_spec_from_text(training_text, "<champion's training spec>", features=features_text)
    except SpecError as e:
        raise UnreadableChampion(str(e)) from None
    if old.target != spec.target or old.units != spec.units:
        raise SpecError(f"the champion forecasts {old.target} on {old.units} units, the challenger {spec.target} on "
                        f"{spec.units}: they cannot be compared; register the challenger under another name")
    if old.features.with_period(start=spec.features.start).to_json() == spec.features.to_json():
        return recipe(old, tf.feature_columns), None
    theirs = prepare_frame(old, data_dir, as_of=tf.as_of, data_end=tf.data_end, catalog=catalog, inputs=tf.inputs)
    return recipe(old, theirs.feature_columns), theirs.frame


def fit_severity(spec: TrainingSpec, tf: TrainingFrame):
    """The count model of the deaths forecast (:mod:`sahelrisk.modeling.severity`), fitted on every
    observed training week; None when the panel lacks its history columns or has too few deaths."""
    target = target_column("fatalities", spec.horizon_weeks)
    if target not in tf.frame or not set(SEVERITY_FEATURES) <= set(tf.frame.columns):
        return None
    rows = tf.frame[tf.frame[target].notna() & (tf.frame["week"] >= pd.Timestamp(spec.backtest["train_start"]))]
    try:
        return SeverityModel().fit(rows, rows[target])
    except ValueError:
        return None


def train_and_track(spec: TrainingSpec, data_dir, *, as_of: date | None = None, data_end: date | None = None,
                    register: bool = False, out_dir: str | Path = "outputs",
                    models_dir: str | Path = "models", tracking_uri: str | None = None,
                    mlruns: str | Path = "mlruns", on_fold=None, catalog: Catalog | None = None,
                    tf: TrainingFrame | None = None) -> TrainOutcome:
    """Backtest, fit on all observed weeks, log to MLflow; with ``register``, add a registry version
    and promote it only if it beats the current champion on the same latest folds.

    Parameters
    ----------
    spec : TrainingSpec
    data_dir : path-like
    as_of, data_end : date, optional
        The data window (default: what the data supports), recorded with the run and the model.
    register : bool
        Register a version under ``spec.registered_model`` and decide its promotion.
    out_dir, models_dir : path-like
        Where the backtest report and (on promotion) the model card go.
    tracking_uri, mlruns
        The MLflow store (default SQLite under ``mlruns/``).
    on_fold : callable, optional
        Progress callback ``(fold, k, n)``.
    tf : TrainingFrame, optional
        An already built frame.

    Returns
    -------
    TrainOutcome
    """
    from sahelrisk.modeling import tracking
    from sahelrisk.modeling.report import (
        pr_figure,
        reliability_figure,
        write_backtest_report,
        write_model_card,
    )

    tracking.configure(tracking_uri, mlruns)
    tf = tf or prepare_frame(spec, data_dir, as_of=as_of, data_end=data_end, catalog=catalog)
    result = run_backtests(spec, tf, [spec.horizon_weeks], on_fold=on_fold)
    areas = evaluate_areas(result.predictions[spec.horizon_weeks], tf.units, tf.inputs.layers,
                           select_sources(tf.inputs.events, (spec.target_source,)), target_kind=spec.target_kind,
                           horizon_weeks=spec.horizon_weeks, data_end=tf.data_end, method=spec.area_calibration)
    zones = evaluate_zones(result.predictions[spec.horizon_weeks], tf.units, tf.inputs.layers,
                           select_sources(tf.inputs.events, (spec.target_source,)), target=spec.target,
                           horizon_weeks=spec.horizon_weeks, data_end=tf.data_end)
    # Route corridors and mining sites: their maps travel with the model beside the areas'.
    area_calibration = AreaCalibration({**fit_area_calibration(areas, spec.target, spec.area_calibration).maps,
                                        **{k: v for k, v in fit_zone_maps(zones, spec.target).items() if v}})
    area_tables = {**{level: area_report(rows, spec.target) for level, rows in areas.items()},
                   **{kind: area_report(rows, spec.target, ZONE_REPORTED) for kind, rows in zones.items()}}
    model = fit_final_model(spec, tf)
    severity = fit_severity(spec, tf)
    paths = write_backtest_report(result, spec, out_dir)
    table = result.table(spec.horizon_weeks)
    identity = spec.identity()
    with tracking.run(spec.name, f"train {spec.registered_model} as of {tf.as_of}",
                      tags={"git_commit": tracking.git_commit(), "data_fingerprint": tf.panel_meta["data_fingerprint"],
                            **{k: str(v) for k, v in identity.items()}}, root=mlruns) as run_id:
        tracking.log_params({**{f"model.{k}": v for k, v in spec.model.items()},
                             **{f"backtest.{k}": v for k, v in spec.backtest.items()},
                             **{f"blend.{k}": v for k, v in spec.blend.items()},
                             **identity, "as_of": tf.as_of, "data_end": tf.data_end,
                             "n_features": len(tf.feature_columns),
                             "data_fingerprint": tf.panel_meta["data_fingerprint"]})
        for name, row in table.iterrows():
            tracking.log_metrics(row.drop(labels=["horizon"]).to_dict(), prefix=f"{name}_")
        for level, (area_table, reliability) in area_tables.items():
            for name, row in area_table.iterrows():
                tracking.log_metrics(row.to_dict(), prefix=f"{level}_{name}_")
            tracking.log_json({"metrics": area_table.reset_index().to_dict("records"),
                               "reliability": reliability.to_dict("records")}, f"areas/{level}.json")
        tracking.log_json(area_calibration.to_dict(), AREA_CALIBRATION_ARTIFACT)
        if severity is not None:
            tracking.log_json(severity.to_dict(), SEVERITY_ARTIFACT)
        tracking.log_text(spec.features.text, "spec/features.toml")
        tracking.log_text(spec.text, "spec/training.toml")
        tracking.log_json({**identity, "as_of": str(tf.as_of), "data_end": str(tf.data_end)}, "spec/identity.json")
        for path in paths:
            tracking.log_file(path, "backtest")
        preds = result.predictions[spec.horizon_weeks]
        tracking.log_figure(reliability_figure(preds, spec.target, result.models), "plots/reliability.png")
        tracking.log_figure(pr_figure(preds, spec.target, result.models), "plots/precision_recall.png")
        tracking.log_json(model.feature_importances_.round(3).to_dict(), "feature_importance.json")
        ref = tracking.log_risk_model(model, tf.frame[tf.feature_columns], spec.registered_model if register else None)
    outcome = TrainOutcome(model=model, backtest=result, run_id=run_id, report_paths=paths, areas=area_tables)
    if ref is None:
        outcome.decision = "not registered (pass --register to add a registry version)"
        return outcome
    outcome.version = ref.version
    current = tracking.champion(spec.registered_model)
    metric = spec.promotion_metric
    if current is None or current.version == ref.version:
        decision = decide_promotion(None, metric=metric, challenger_score=float(table.loc[MODEL_NAME, metric]))
    else:
        outcome.champion_before = current.version
        folds = LatestFolds.of(spec.splitter(data_end=tf.data_end), spec.promotion_folds)
        texts = (tracking.load_run_text(current.run_id, "spec/training.toml"),
                 tracking.load_run_text(current.run_id, "spec/features.toml"))
        try:
            theirs, their_frame = champion_recipe(spec, tf, texts, data_dir, catalog)
        except UnreadableChampion as e:
            # Nothing to compare on equal terms: an older sahelrisk's champion yields to a model
            # whose recipe can be re-evaluated next time; the reason says so.
            score = float(table.loc[MODEL_NAME, metric])
            decision = PromotionDecision(True, f"champion version {current.version} was trained by an older "
                                         f"sahelrisk and cannot be re-evaluated ({e}); the challenger ({metric} "
                                         f"{score:.4f}) becomes champion", metric, score)
        else:
            compared = compare_on_latest_folds(folds, tf.frame, spec.target, recipe(spec, tf.feature_columns),
                                               theirs, champion_frame=their_frame)
            decision = decide_promotion(compared, metric=metric, min_improvement=spec.min_improvement)
            outcome.compared_folds = folds.names
            with tracking.resume(run_id):
                tracking.log_metrics(compared.loc["champion"].to_dict(), prefix="promotion_champion_")
                tracking.log_metrics(compared.loc["challenger"].to_dict(), prefix="promotion_challenger_")
        with tracking.resume(run_id):
            tracking.log_text(decision.reason, "promotion.txt")
    outcome.promotion, outcome.decision = decision, f"version {ref.version}: {decision.reason}"
    if not decision.promote:
        return outcome
    tracking.set_alias(spec.registered_model, ref.version)
    outcome.promoted = True
    outcome.card_paths = write_model_card(models_dir, name=spec.registered_model, version=ref.version, spec=spec,
                                          result=result, panel_meta=tf.panel_meta,
                                          importances=model.feature_importances_, run_id=run_id,
                                          promoted_on=tf.as_of, promotion=decision, compared_folds=outcome.compared_folds)
    return outcome

