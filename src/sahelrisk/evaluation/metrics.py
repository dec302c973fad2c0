"""Scores for probabilistic forecasts of rare events, overall and by group.

``top10_recall``: of the (unit, week) rows with an event in the horizon, the share the forecast
had put among the top 10% of units that week (ties broken by unit order, deterministically).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.metrics import (
    average_precision_score,
    brier_score_loss,
    log_loss,
    roc_auc_score,
)

__all__ = ["score_forecast", "top_share_recall", "expected_calibration_error", "reliability_table",
           "metrics_by", "METRICS"]

METRICS = ("ap", "roc_auc", "brier", "brier_skill", "log_loss", "ece", "top10_recall", "positives", "rows")


def top_share_recall(y: ArrayLike, p: ArrayLike, weeks: ArrayLike, share: float = 0.10) -> float:
    """Of the rows with an event, the share ranked in the top ``share`` of their week's rows (ties by row order)."""
    frame = pd.DataFrame({"y": np.asarray(y), "p": np.asarray(p), "week": np.asarray(weeks)})
    frame["order"] = np.arange(len(frame))
    frame = frame.sort_values(["week", "p", "order"], ascending=[True, False, True], kind="stable")
    rank = frame.groupby("week").cumcount()
    size = frame.groupby("week")["y"].transform("size")
    top = rank < np.ceil(share * size)
    positives = frame["y"].sum()
    return float(frame.loc[top, "y"].sum() / positives) if positives else float("nan")


def reliability_table(y: ArrayLike, p: ArrayLike, bins: int = 10) -> pd.DataFrame:
    """Mean forecast and observed frequency per probability bin (quantile bins: rare events fill few)."""
    frame = pd.DataFrame({"y": np.asarray(y, dtype=float), "p": np.asarray(p, dtype=float)})
    edges = np.unique(np.quantile(frame["p"], np.linspace(0, 1, bins + 1)))
    frame["bin"] = np.clip(np.searchsorted(edges, frame["p"], side="right") - 1, 0, max(len(edges) - 2, 0))
    return frame.groupby("bin").agg(p_mean=("p", "mean"), y_rate=("y", "mean"), rows=("y", "size")).reset_index()


def expected_calibration_error(y: ArrayLike, p: ArrayLike, bins: int = 10) -> float:
    """The rows-weighted mean gap between forecast and observed frequency over the reliability bins."""
    table = reliability_table(y, p, bins)
    return float((table["rows"] * (table["p_mean"] - table["y_rate"]).abs()).sum() / table["rows"].sum())


def score_forecast(y: ArrayLike, p: ArrayLike, weeks: ArrayLike, climatology: float | None = None) -> dict:
    """Every metric for one forecast; ``climatology`` is the reference rate for Brier skill
    (default: the rate in these rows)."""
    y, p = np.asarray(y, dtype=float), np.clip(np.asarray(p, dtype=float), 0.0, 1.0)
    rate = float(y.mean()) if climatology is None else float(climatology)
    both = len(np.unique(y)) == 2
    brier = brier_score_loss(y, p)
    brier_ref = brier_score_loss(y, np.full(len(y), rate))
    return {
        "ap": float(average_precision_score(y, p)) if both else float("nan"),
        "roc_auc": float(roc_auc_score(y, p)) if both else float("nan"),
        "brier": float(brier),
        "brier_skill": float(1 - brier / brier_ref) if brier_ref > 0 else float("nan"),
        "log_loss": float(log_loss(y, np.clip(p, 1e-6, 1 - 1e-6), labels=[0, 1])),
        "ece": expected_calibration_error(y, p),
        "top10_recall": top_share_recall(y, p, weeks),
        "positives": int(y.sum()), "rows": int(len(y)),
    }


def metrics_by(preds: pd.DataFrame, target: str, models: list[str], by: str | None = None,
               climatology: float | None = None) -> pd.DataFrame:
    """One row per model (and group): the metrics of :func:`score_forecast`."""
    rows = []
    groups = [(None, preds)] if by is None else list(preds.groupby(by, sort=True))
    for key, part in groups:
        for model in models:
            row = {"model": model, **score_forecast(part[target], part[f"p_{model}"], part["week"], climatology)}
            if by is not None:
                row[by] = key
            rows.append(row)
    return pd.DataFrame(rows)
