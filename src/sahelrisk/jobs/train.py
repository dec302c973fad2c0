"""Training as a run step: backtest, fit, register, promote, card; each a function of its own.

``train_and_track`` strings them together for ``sahelrisk train``, ``sahelrisk run`` and the
weekly job; MLflow is written in one call (:func:`sahelrisk.registry.tracking.log_run`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from sahelrisk.cluster import ClusterSpec
from sahelrisk.data.catalog import Catalog
from sahelrisk.evaluation.backtest import (
    MODEL_NAME,
    BacktestResult,
    Evaluation,
    FoldCallback,
    evaluate,
)
from sahelrisk.evaluation.report import (
    pr_figure,
    reliability_figure,
    write_backtest_report,
    write_model_card,
)
from sahelrisk.features.panel import PanelInputs
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.executors import open_executor
from sahelrisk.modeling.fit import SeverityFit, fit_final_model, fit_severity, recipe
from sahelrisk.modeling.frame import TrainingFrame, prepare_frame
from sahelrisk.modeling.spec import TrainingSpec
from sahelrisk.registry import tracking
from sahelrisk.registry.models import (
    AREA_CALIBRATION_ARTIFACT,
    IDENTITY_ARTIFACT,
    SEVERITY_ARTIFACT,
)
from sahelrisk.registry.promotion import (
    LatestFolds,
    PromotionDecision,
    UnreadableChampion,
    champion_recipe,
    compare_on_latest_folds,
    decide_promotion,
)

__all__ = ["train_and_track", "TrainOutcome", "training_log", "decide"]


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
    severity_note: str = ""
    report_paths: tuple = ()
    card_paths: tuple = ()


def train_and_track(spec: TrainingSpec, data_dir: Path, *, as_of: date | None = None, data_end: date | None = None,
                    register: bool = False, out_dir: str | Path = "outputs", models_dir: str | Path = "models",
                    tracking_uri: str | None = None, mlruns: str | Path = "mlruns", on_fold: FoldCallback | None = None, catalog: Catalog | None = None,
                    tf: TrainingFrame | None = None, inputs: PanelInputs | None = None,
                    cluster: ClusterSpec | None = None,
                    log: Callable[[str], None] = lambda _: None) -> TrainOutcome:
    """Backtest, fit on all observed weeks, log to MLflow; with ``register``, add a registry version
    and promote it only if it beats the current champion on the same latest folds.

    Parameters
    ----------
    spec : TrainingSpec
        The training spec: the model's identity.
    data_dir : path-like
        The data directory.
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
    catalog : Catalog, optional
        The data catalog.
    tf : TrainingFrame, optional
        An already built frame (it carries its executor).
    inputs : PanelInputs, optional
        The sources already loaded by the run (read once); default read from ``data_dir``.
    cluster : ClusterSpec, optional
        Run the panel, the backtest and the fits on this cluster, started for this step and
        stopped (or left) when it ends; default this machine.
    log : callable
        Receives what is started on the cluster and its progress.

    Returns
    -------
    TrainOutcome
    """
    tracking.configure(tracking_uri, mlruns)
    with open_executor(None if tf is not None else cluster, log=log) as executor:
        tf = tf or prepare_frame(spec, data_dir, as_of=as_of, data_end=data_end, catalog=catalog, inputs=inputs,
                                 executor=executor)
        evaluation = evaluate(spec, tf, on_fold=on_fold)
        model, severity = fit_final_model(spec, tf), fit_severity(spec, tf)
        return _track(spec, tf, evaluation, model, severity, register=register, out_dir=out_dir,
                      models_dir=models_dir, mlruns=mlruns, data_dir=data_dir, catalog=catalog)


def _track(spec: TrainingSpec, tf: TrainingFrame, evaluation: Evaluation, model: RiskModel | BlendedModel,
           severity: SeverityFit, *, register: bool, out_dir: str | Path, models_dir: str | Path, mlruns: str | Path,
           data_dir: Path, catalog: Catalog | None) -> TrainOutcome:
    """Report, log, register and promote a trained model (the promotion may refit on the executor)."""
    paths = write_backtest_report(evaluation.backtest, spec, out_dir)
    entry = training_log(spec, tf, evaluation, model, severity, paths, register=register)
    run_id, ref = tracking.log_run(entry, root=mlruns)
    outcome = TrainOutcome(model=model, backtest=evaluation.backtest, run_id=run_id, report_paths=paths,
                           areas=evaluation.area_tables, severity_note=severity.note)
    if ref is None:
        outcome.decision = "not registered (pass --register to add a registry version)"
        return outcome
    outcome.version = ref.version
    decision = decide(spec, tf, ref.version, run_id, evaluation.backtest, outcome, data_dir, catalog)
    outcome.promotion, outcome.decision = decision, f"version {ref.version}: {decision.reason}"
    if decision.promote:
        tracking.set_alias(spec.registered_model, ref.version)
        outcome.promoted = True
        outcome.card_paths = write_model_card(
            models_dir, name=spec.registered_model, version=ref.version, spec=spec, result=evaluation.backtest,
            panel_meta=tf.panel_meta, importances=model.feature_importances_, run_id=run_id, promoted_on=tf.as_of,
            promotion=decision, compared_folds=outcome.compared_folds)
    return outcome


def training_log(spec: TrainingSpec, tf: TrainingFrame, evaluation: Evaluation, model: RiskModel | BlendedModel,
                 severity: SeverityFit, report_paths: tuple, *, register: bool) -> tracking.RunLog:
    """What a training run records in MLflow: specs, identity, backtest metrics, area maps, plots, the model."""
    identity = spec.identity()
    table = evaluation.backtest.table(spec.horizon_weeks)
    fingerprint = tf.panel_meta["data_fingerprint"]
    metrics = {f"{name}_{k}": v for name, row in table.iterrows() for k, v in row.drop(labels=["horizon"]).items()}
    artifacts: dict = {}
    for level, (area_table, reliability) in evaluation.area_tables.items():
        metrics.update({f"{level}_{name}_{k}": v for name, row in area_table.iterrows() for k, v in row.items()})
        artifacts[f"areas/{level}.json"] = {"metrics": area_table.reset_index().to_dict("records"),
                                            "reliability": reliability.to_dict("records")}
    artifacts[AREA_CALIBRATION_ARTIFACT] = evaluation.calibration.to_dict()
    if severity.model is not None:
        artifacts[SEVERITY_ARTIFACT] = severity.model.to_dict()
    artifacts[IDENTITY_ARTIFACT] = {**identity, "as_of": str(tf.as_of), "data_end": str(tf.data_end)}
    artifacts["feature_importance.json"] = model.feature_importances_.round(3).to_dict()
    preds = evaluation.backtest.predictions[spec.horizon_weeks]
    return tracking.RunLog(
        experiment=spec.name, run_name=f"train {spec.registered_model} as of {tf.as_of}",
        tags={"git_commit": tracking.git_commit(), "data_fingerprint": fingerprint,
              **{k: str(v) for k, v in identity.items()}},
        params={**{f"model.{k}": v for k, v in spec.model.items()},
                **{f"backtest.{k}": v for k, v in spec.backtest.model_dump(exclude_unset=True).items()},
                **{f"blend.{k}": v for k, v in (spec.blend.model_dump() if spec.blend is not None else {}).items()},
                **identity, "as_of": tf.as_of, "data_end": tf.data_end, "n_features": len(tf.feature_columns),
                "data_fingerprint": fingerprint, "deaths_forecast": severity.note},
        metrics=metrics, json=artifacts,
        texts={"spec/features.toml": spec.features.text, "spec/training.toml": spec.text},
        files={path: "backtest" for path in report_paths},
        figures={"plots/reliability.png": reliability_figure(preds, spec.target, evaluation.backtest.models),
                 "plots/precision_recall.png": pr_figure(preds, spec.target, evaluation.backtest.models)},
        model=model, example=tf.example(),
        registered_name=spec.registered_model if register else None)


def decide(spec: TrainingSpec, tf: TrainingFrame, version: str, run_id: str, backtest: BacktestResult,
           outcome: TrainOutcome, data_dir: Path, catalog: Catalog | None) -> PromotionDecision:
    """Promote the new version only if it beats the champion on the same latest folds; the reason
    and both scores are logged to the new version's run."""
    metric = spec.promotion_metric
    score = float(backtest.table(spec.horizon_weeks).loc[MODEL_NAME, metric])
    current = tracking.champion(spec.registered_model)
    if current is None or current.version == version:
        return decide_promotion(None, metric=metric, challenger_score=score)
    outcome.champion_before = current.version
    texts = (tracking.load_run_text(current.run_id, "spec/training.toml"),
             tracking.load_run_text(current.run_id, "spec/features.toml"))
    try:
        theirs, their_frame = champion_recipe(spec, tf, texts, data_dir, catalog)
    except UnreadableChampion as e:
        # Nothing to compare on equal terms: an older sahelrisk's champion yields to a model whose
        # recipe can be re-evaluated next time; the reason says so.
        decision = PromotionDecision(True, f"champion version {current.version} was trained by an older sahelrisk "
                                     f"and cannot be re-evaluated ({e}); the challenger ({metric} {score:.4f}) "
                                     "becomes champion", metric, score)
        compared = None
    else:
        folds: LatestFolds = LatestFolds.of(spec.splitter(data_end=tf.data_end), spec.promotion_folds)
        compared = compare_on_latest_folds(folds, tf.frame, spec.target, recipe(spec, tf.feature_columns), theirs,
                                           champion_frame=their_frame,
                                           challenger_predictions=backtest.predictions[spec.horizon_weeks],
                                           executor=tf.executor)
        decision = decide_promotion(compared, metric=metric, min_improvement=spec.min_improvement)
        outcome.compared_folds = folds.names
    with tracking.resume(run_id):
        if compared is not None:
            tracking.log_metrics(compared.loc["champion"].to_dict(), prefix="promotion_champion_")
            tracking.log_metrics(compared.loc["challenger"].to_dict(), prefix="promotion_challenger_")
        tracking.log_text(decision.reason, "promotion.txt")
    return decision


