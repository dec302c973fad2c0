"""Backtest reports (JSON and a self-contained HTML page with plots) and model cards."""

from __future__ import annotations

import base64
import html
import io
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import pandas as pd

from sahelrisk.evaluation.backtest import ONSET_QUIET_WEEKS, BacktestResult
from sahelrisk.files import write_text_atomic

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sahelrisk.modeling.spec import TrainingSpec

__all__ = ["reliability_figure", "pr_figure", "write_backtest_report", "write_model_card", "backtest_summary"]


class Decision(Protocol):
    """What a model card says of a promotion decision (:class:`sahelrisk.registry.promotion.PromotionDecision`)."""

    @property
    def reason(self) -> str: ...  # noqa: D102
    @property
    def metric(self) -> str: ...  # noqa: D102
    @property
    def challenger(self) -> Any: ...  # noqa: D102
    @property
    def champion(self) -> Any: ...  # noqa: D102
    @property
    def table(self) -> pd.DataFrame | None: ...  # noqa: D102


def _figure() -> Any:
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    return plt


def reliability_figure(preds: pd.DataFrame, target: str, models: list[str]) -> Figure:
    """Observed frequency against the forecast, per model, in 15 quantile bins."""
    from sahelrisk.evaluation.metrics import reliability_table
    plt = _figure()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    top = 0.0
    for model in models:
        table = reliability_table(preds[target], preds[f"p_{model}"], bins=15)
        ax.plot(table["p_mean"], table["y_rate"], marker="o", ms=3, label=model)
        top = max(top, table["p_mean"].max(), table["y_rate"].max())
    ax.plot([0, top], [0, top], color="grey", lw=1, ls="--", label="perfect")
    ax.set(xlabel="forecast probability (bin mean)", ylabel="observed frequency", title=f"Reliability, {target}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def pr_figure(preds: pd.DataFrame, target: str, models: list[str]) -> Figure:
    """Precision against recall, per model."""
    from sklearn.metrics import precision_recall_curve
    plt = _figure()
    fig, ax = plt.subplots(figsize=(5.5, 5))
    for model in models:
        precision, recall, _ = precision_recall_curve(preds[target], preds[f"p_{model}"])
        ax.plot(recall, precision, lw=1.2, label=model)
    ax.set(xlabel="recall", ylabel="precision", title=f"Precision-recall, {target}", xlim=(0, 1), ylim=(0, 1))
    ax.legend(fontsize=8)
    fig.tight_layout()
    return fig


def _png(fig: Figure) -> str:
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=110)
    _figure().close(fig)
    return base64.b64encode(buffer.getvalue()).decode()


def backtest_summary(result: BacktestResult, spec: TrainingSpec) -> dict:
    """The backtest as JSON-ready records: the spec, the window, every table and each fold's timings."""
    def records(frame: pd.DataFrame) -> list:
        return json.loads(frame.replace({np.nan: None}).to_json(orient="records"))
    return {
        "spec": spec.name, "target": spec.target_kind, "trained_horizon": spec.horizon_weeks,
        "as_of": str(result.as_of), "data_end": str(result.data_end),
        "backtest": {k: str(v) for k, v in spec.backtest.model_dump().items()},
        "model_params": dict(spec.model), "seconds": result.seconds,
        "overall": records(result.overall), "by_year": records(result.by_year),
        "by_country": records(result.by_country), "onsets": records(result.onsets),
        "folds": {str(h): log for h, log in result.folds.items()},
    }


def _table_html(frame: pd.DataFrame) -> str:
    cols = ["model", "ap", "roc_auc", "brier", "brier_skill", "log_loss", "ece", "top10_recall", "positives", "rows"]
    cols = [c for c in cols if c in frame] + [c for c in ("year", "country_iso3") if c in frame]
    return frame[cols].to_html(index=False, float_format=lambda v: f"{v:.4f}", border=0, classes="t")


def write_backtest_report(result: BacktestResult, spec: TrainingSpec, out_dir: str | Path) -> tuple[Path, Path]:
    """``backtest.json`` and ``backtest_report.html`` in ``out_dir``; returns both paths."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    summary = backtest_summary(result, spec)
    json_path = out / "backtest.json"
    json_path.write_text(json.dumps(summary, indent=2, default=str) + "\n")
    sections = []
    for h, preds in result.predictions.items():
        target = f"target_{spec.target_kind}_{h}w"
        table = result.overall[result.overall["horizon"] == h]
        sections.append(f"<h2>Horizon {h} weeks</h2>{_table_html(table)}"
                        f"<img alt='reliability diagram' src='data:image/png;base64,{_png(reliability_figure(preds, target, result.models))}'>"
                        f"<img alt='precision-recall curves' src='data:image/png;base64,{_png(pr_figure(preds, target, result.models))}'>"
                        f"<h3>By year</h3>{_table_html(result.by_year[result.by_year['horizon'] == h])}"
                        f"<h3>By country</h3>{_table_html(result.by_country[result.by_country['horizon'] == h])}"
                        + (f"<h3>Onsets: cells with no fatal event for {ONSET_QUIET_WEEKS} weeks, all countries "
                           f"and per country</h3>{_table_html(result.onsets[result.onsets['horizon'] == h])}"
                           if not result.onsets.empty else ""))
    page = f"""<!doctype html><html><head><meta charset="utf-8"><title>sahelrisk backtest: {html.escape(spec.name)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}} table.t{{border-collapse:collapse;font-size:13px}}
table.t td,table.t th{{padding:3px 8px;border-bottom:1px solid #ddd;text-align:right}} img{{max-width:49%}}</style></head><body>
<h1>Backtest: {html.escape(spec.name)}, target {html.escape(spec.target_kind)}</h1>
<p>Rolling-origin backtest, origins {html.escape(str(spec.backtest.first_origin))} to the last observed week,
refit every {html.escape(str(spec.backtest.refit_every_weeks))} weeks; every baseline is calibrated on the same
training weeks as the model and scored on the same rows. Data as of {result.as_of}, covering up to {result.data_end}. Brier skill is against the
climatology of the scored rows; top-10% recall is the share of event rows that were among that week's 10% highest-risk units.</p>
{''.join(sections)}</body></html>"""
    html_path = out / "backtest_report.html"
    html_path.write_text(page)
    return json_path, html_path


def _model_line(spec: TrainingSpec) -> str:
    if spec.blend is None:
        return "LightGBM, isotonic-calibrated on the last training year."
    hawkes = spec.blend.hawkes_include
    count = "four" if hawkes else "three"
    last = (",\n  and a self-exciting (Hawkes) process on the space-time kernels of past fatal events "
            "(`[blend] hawkes_include`)") if hawkes else ""
    return (f"the mean of {count} probabilities: LightGBM, a logistic model on log-scaled history and\n"
            "  space-time intensity (the columns of `[blend] glm_include` in the training spec), the "
            f"{spec.blend.baseline} rule{last}.")


def _promotion_record(promotion: Decision | None, folds: list[str] | None) -> dict | None:
    if promotion is None:
        return None
    table = None if promotion.table is None else json.loads(promotion.table.reset_index().to_json(orient="records"))
    return {"reason": promotion.reason, "metric": promotion.metric, "challenger": promotion.challenger,
            "champion": promotion.champion, "folds": folds or [], "table": table}


def _promotion_md(promotion: Decision | None, folds: list[str] | None) -> str:
    if promotion is None:
        return "Registered without a promotion decision."
    if promotion.table is None:
        return promotion.reason[0].upper() + promotion.reason[1:] + "."
    rows = "\n".join(f"| {m} | {r.ap:.4f} | {r.roc_auc:.4f} | {r.brier_skill:.4f} | {r.top10_recall:.4f} |"
                     for m, r in promotion.table.iterrows())
    return (f"Both refitted and scored on the latest {len(folds or [])} folds ({', '.join(folds or [])}) of the "
            f"same data: {promotion.reason}.\n\n| model | AP | ROC AUC | Brier skill | top-10% recall |\n"
            f"|---|---|---|---|---|\n{rows}")


def write_model_card(directory: str | Path, *, name: str, version: str, spec: TrainingSpec, result: BacktestResult, panel_meta: dict,
                     importances: pd.Series, run_id: str, promoted_on: date, promotion: Decision | None = None,
                     compared_folds: list[str] | None = None) -> tuple[Path, Path]:
    """``models/<name>.md`` and ``.json``: data, units, features, backtest against baselines, limits."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    table = result.table(spec.horizon_weeks)
    card = {
        "name": name, "version": version, "mlflow_run_id": run_id, "promoted_on": str(promoted_on),
        "target": spec.target, "horizon_weeks": spec.horizon_weeks, "units": panel_meta.get("units"),
        "resolution": panel_meta.get("resolution"), "countries": list(spec.features.countries),
        "as_of": str(result.as_of), "data_end": str(result.data_end), "train_start": str(spec.backtest.train_start),
        "data_fingerprint": panel_meta.get("data_fingerprint"), "feature_spec": spec.features.name,
        "features": list(importances.index), "top_features": importances.head(15).round(1).to_dict(),
        "backtest": json.loads(table.reset_index().to_json(orient="records")), "model_params": dict(spec.model),
        "blend": spec.blend.model_dump() if spec.blend is not None else {},
        "promotion": _promotion_record(promotion, compared_folds),
    }
    json_path = directory / f"{name}.json"
    write_text_atomic(json_path, json.dumps(card, indent=2) + "\n")
    rows = "\n".join(f"| {m} | {r.ap:.3f} | {r.roc_auc:.3f} | {r.brier_skill:.3f} | {r.top10_recall:.3f} | {r.ece:.4f} |"
                     for m, r in table.iterrows())
    md = f"""# Model card: {name} (version {version})

Promoted with data as of {promoted_on}; MLflow run `{run_id}`.

- **Forecast:** probability of at least one {'fatal event' if spec.target_kind == 'any_fatal' else 'fatal attack on civilians'}
  in a unit in the {spec.horizon_weeks} weeks after the forecast week.
- **Units:** {panel_meta.get('units')} ({panel_meta.get('resolution') or ''} degree) over {', '.join(spec.features.countries)}.
- **Data:** UCDP GED / Candidate events to {result.data_end} (as of {result.as_of}); training weeks from
  {spec.backtest.train_start}; data fingerprint `{panel_meta.get('data_fingerprint')}`.
- **Model:** {_model_line(spec)}
- **Features:** {len(importances)} LightGBM columns of the `{spec.features.name}` spec; strongest (gain):
  {', '.join(importances.head(8).index)}.

## Backtest (rolling origin, same folds for every model)

| model | AP | ROC AUC | Brier skill | top-10% recall | ECE |
|---|---|---|---|---|---|
{rows}

## Promotion

{_promotion_md(promotion, compared_folds)}

## Known limits

- UCDP records only events with a death; its locations are to the village or district. Rows
  after {result.data_end} are not forecast-verified.
- Mining and road layers are static snapshots (about 2018-2023) used for every week.
- Displacement figures are taken as known at their reference date; publication comes later.
- The model ranks well where violence already is; onsets in long-quiet cells remain hard.
"""
    md_path = directory / f"{name}.md"
    write_text_atomic(md_path, md)
    return md_path, json_path
