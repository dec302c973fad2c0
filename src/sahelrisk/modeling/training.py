"""Backtest and train from a training spec: the panel and its targets, the rolling-origin
backtest of the model and every baseline on the same folds, the final fit, MLflow logging,
registration and promotion.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.features.panel import PanelInputs, build_panel, build_units, load_inputs
from sahelrisk.features.targets import build_targets, last_full_week, target_column
from sahelrisk.modeling.baselines import BaselineModel, required_columns
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.folds import run_backtest
from sahelrisk.modeling.metrics import metrics_by
from sahelrisk.modeling.spec import TrainingSpec
from sahelrisk.units import Units

__all__ = ["TrainingFrame", "prepare_frame", "BacktestResult", "run_backtests", "fit_final_model", "train_and_track",
           "TrainOutcome", "MODEL_NAME"]

MODEL_NAME = "model"  # the trained estimator in backtest tables and MLflow metrics ("model_ap")


@dataclass
class TrainingFrame:
    frame: pd.DataFrame            # unit_id, week, country_iso3, features, targets
    feature_columns: list[str]
    units: Units
    inputs: PanelInputs
    panel_meta: dict


def prepare_frame(spec: TrainingSpec, data_dir, *, catalog: Catalog | None = None,
                  inputs: PanelInputs | None = None) -> TrainingFrame:
    """The panel from the first training week to the data's last full week, with every target."""
    inputs = inputs or load_inputs(catalog or load_catalog(), data_dir, as_of=spec.as_of, spec=spec.features)
    start = pd.Timestamp(spec.backtest["train_start"])
    end = last_full_week(spec.data_end)
    panel_spec = spec.features.with_period(start, end)
    units = build_units(panel_spec, inputs)
    panel = build_panel(panel_spec, inputs, units=units)
    horizons = sorted({spec.horizon, *spec.report_horizons})
    targets = build_targets(inputs.events, units, start, end, horizons=horizons,
                            kinds=(spec.target_kind, "fatalities"), data_end=spec.data_end)
    features = spec.model_columns([c for c in panel.columns if c not in ("unit_id", "week")])
    frame = panel.join(targets.drop(columns=["unit_id", "week"]))  # same row order by construction
    frame.insert(2, "country_iso3", np.repeat(units.table["country_iso3"].to_numpy(), len(panel) // len(units)))
    return TrainingFrame(frame, features, units, inputs, panel.attrs["sahelrisk"])


@dataclass
class BacktestResult:
    predictions: dict[int, pd.DataFrame]          # horizon -> rows of (unit, week, fold, target, p_<model>...)
    overall: pd.DataFrame                          # model x horizon metrics
    by_year: pd.DataFrame
    by_country: pd.DataFrame
    folds: dict[int, list[dict]]
    seconds: float
    models: list[str] = field(default_factory=list)

    def table(self, horizon: int) -> pd.DataFrame:
        return self.overall[self.overall["horizon"] == horizon].set_index("model")


def model_factories(spec: TrainingSpec, tf: TrainingFrame, horizon: int, include_model: bool = True) -> dict:
    """name -> (factory, columns): baselines read their history columns, the model its declared features."""
    history = [c for c in required_columns(horizon) if c in tf.frame]
    factories = {name: ((lambda name=name: BaselineModel(name, horizon)), history) for name in spec.baselines}
    if include_model:
        factories[MODEL_NAME] = ((lambda: spec.make_model(tf.feature_columns, horizon)),
                                 spec.model_columns(tf.feature_columns, horizon))
    return factories


def run_backtests(spec: TrainingSpec, tf: TrainingFrame, horizons: list[int] | None = None,
                  include_model: bool = True, on_fold=None) -> BacktestResult:
    """The model and every baseline, on the same folds, for each horizon."""
    started = time.perf_counter()
    preds, folds, overall, years, countries = {}, {}, [], [], []
    for h in horizons or [spec.horizon]:
        target = target_column(spec.target_kind, h)
        factories = model_factories(spec, tf, h, include_model)
        out, log = run_backtest(spec.splitter(h), tf.frame, target, factories, on_fold=on_fold)
        out["country_iso3"] = out["unit_id"].map(tf.units.table.set_index("unit_id")["country_iso3"])
        out["year"] = out["week"].dt.year
        names = list(factories)
        for by, sink in ((None, overall), ("year", years), ("country_iso3", countries)):
            sink.append(metrics_by(out, target, names, by=by).assign(horizon=h))
        preds[h], folds[h] = out, log
    return BacktestResult(preds, pd.concat(overall, ignore_index=True), pd.concat(years, ignore_index=True),
                          pd.concat(countries, ignore_index=True), folds, round(time.perf_counter() - started, 1),
                          models=names)


def fit_final_model(spec: TrainingSpec, tf: TrainingFrame) -> RiskModel | BlendedModel:
    """The model on every week whose target is observed (the registered model)."""
    observed = tf.frame[spec.target].notna()
    train = tf.frame[observed]
    model = spec.make_model(tf.feature_columns)
    return model.fit(train[tf.feature_columns], train[spec.target].to_numpy(), weeks=train["week"])


@dataclass
class TrainOutcome:
    model: RiskModel | BlendedModel
    backtest: BacktestResult
    run_id: str
    version: str | None = None
    promoted: bool = False
    champion_before: str | None = None
    decision: str = ""
    report_paths: tuple = ()
    card_paths: tuple = ()


def train_and_track(spec: TrainingSpec, data_dir, *, register: bool = False, out_dir: str | Path = "outputs",
                    models_dir: str | Path = "models", tracking_uri: str | None = None,
                    mlruns: str | Path = "mlruns", on_fold=None, catalog: Catalog | None = None,
                    tf: TrainingFrame | None = None) -> TrainOutcome:
    """Backtest, fit on all observed weeks, log to MLflow; with ``register``, add a registry version
    and make it champion only if its backtest beats the current champion's."""
    from sahelrisk.modeling import tracking
    from sahelrisk.modeling.report import pr_figure, reliability_figure, write_backtest_report, write_model_card

    tracking.configure(tracking_uri, mlruns)
    tf = tf or prepare_frame(spec, data_dir, catalog=catalog)
    result = run_backtests(spec, tf, [spec.horizon], on_fold=on_fold)
    model = fit_final_model(spec, tf)
    paths = write_backtest_report(result, spec, out_dir)
    table = result.table(spec.horizon)
    metric = spec.promotion_metric
    with tracking.run(spec.name, f"train {spec.registered_model} as of {spec.as_of}",
                      tags={"git_commit": tracking.git_commit(), "data_fingerprint": tf.panel_meta["data_fingerprint"],
                            "target": spec.target, "units": tf.panel_meta["units"]}, root=mlruns) as run_id:
        tracking.log_params({**{f"model.{k}": v for k, v in spec.model.items()},
                             **{f"backtest.{k}": v for k, v in spec.backtest.items()},
                             **{f"blend.{k}": v for k, v in spec.blend.items()},
                             "target": spec.target, "as_of": spec.as_of, "data_end": spec.data_end,
                             "feature_spec": spec.features.name, "n_features": len(tf.feature_columns),
                             "data_fingerprint": tf.panel_meta["data_fingerprint"]})
        for name, row in table.iterrows():
            tracking.log_metrics(row.drop(labels=["horizon"]).to_dict(), prefix=f"{name}_")
        tracking.log_text(spec.features.text, "spec/features.toml")
        tracking.log_text(spec.text, "spec/training.toml")
        for path in paths:
            tracking.log_file(path, "backtest")
        preds = result.predictions[spec.horizon]
        tracking.log_figure(reliability_figure(preds, spec.target, result.models), "plots/reliability.png")
        tracking.log_figure(pr_figure(preds, spec.target, result.models), "plots/precision_recall.png")
        tracking.log_json(model.feature_importances_.round(3).to_dict(), "feature_importance.json")
        ref = tracking.log_risk_model(model, tf.frame[tf.feature_columns], spec.registered_model if register else None)
    outcome = TrainOutcome(model=model, backtest=result, run_id=run_id, report_paths=paths)
    if ref is None:
        outcome.decision = "not registered (pass --register to add a registry version)"
        return outcome
    outcome.version = ref.version
    current = tracking.champion(spec.registered_model)
    new_score = float(table.loc[MODEL_NAME, metric])
    if current is not None and current.version != ref.version:
        outcome.champion_before = current.version
        old = current.metrics.get(f"{MODEL_NAME}_{metric}", float("-inf"))
        if not new_score > old + spec.min_improvement:
            outcome.decision = (f"version {ref.version} ({metric} {new_score:.4f}) does not beat champion "
                                f"version {current.version} ({metric} {old:.4f}); champion kept")
            return outcome
    tracking.set_alias(spec.registered_model, ref.version)
    outcome.promoted = True
    outcome.decision = f"version {ref.version} ({metric} {new_score:.4f}) is now champion"
    outcome.card_paths = write_model_card(models_dir, name=spec.registered_model, version=ref.version, spec=spec,
                                          result=result, panel_meta=tf.panel_meta,
                                          importances=model.feature_importances_, run_id=run_id,
                                          promoted_on=spec.as_of)
    return outcome
