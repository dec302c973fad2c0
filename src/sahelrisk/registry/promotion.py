"""Promotion on equal terms: a new model (the challenger) replaces the champion only when it
scores better on the same folds of the same data.

A logged backtest score is not comparable across runs (other data end, other origins), so the
champion's recipe (its logged training and feature specs) is backtested again beside the
challenger on the latest folds of the challenger's data. Both are refitted per fold: the champion's
fitted model has already seen those weeks, so scoring it as it is would flatter it. The
challenger's fits are its backtest's, and a champion of the same recipe shares them.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from sahelrisk.data.catalog import Catalog
from sahelrisk.errors import SpecError
from sahelrisk.evaluation.backtest import MODEL_NAME, run_backtest
from sahelrisk.evaluation.metrics import metrics_by
from sahelrisk.modeling.executors import Executor
from sahelrisk.modeling.fit import Recipe, recipe
from sahelrisk.modeling.folds import Fold
from sahelrisk.modeling.frame import TrainingFrame, prepare_frame
from sahelrisk.modeling.spec import TrainingSpec, training_spec_from_text

__all__ = ["PromotionDecision", "decide_promotion", "LatestFolds", "compare_on_latest_folds", "champion_recipe",
           "UnreadableChampion", "same_recipe"]

CHALLENGER, CHAMPION = "challenger", "champion"


@dataclass(frozen=True)
class PromotionDecision:
    """Whether to promote, and why, with both scores.

    Attributes
    ----------
    promote : bool
    reason : str
        One sentence for logs, the run record and the model card.
    metric : str
    challenger : float
    champion : float or None
        None when there was no champion.
    table : pandas.DataFrame or None
        Both models' metrics on the shared folds (one row each).
    """

    promote: bool
    reason: str
    metric: str
    challenger: float
    champion: float | None = None
    table: pd.DataFrame | None = field(default=None, compare=False)


def decide_promotion(table: pd.DataFrame | None, *, metric: str = "ap", min_improvement: float = 0.0,
                     challenger_score: float | None = None) -> PromotionDecision:
    """Promote when the challenger beats the champion by more than ``min_improvement``.

    Parameters
    ----------
    table : pandas.DataFrame or None
        Metrics indexed by ``"challenger"`` and ``"champion"``, computed on the same folds; None
        when there is no champion yet.
    metric : str
        A metric where higher is better (``ap``, ``roc_auc``, ``brier_skill``, ``top10_recall``).
    min_improvement : float
        The margin the challenger must exceed (set it at the measured noise level).
    challenger_score : float, optional
        The challenger's score when there is no champion (from its own backtest).

    Returns
    -------
    PromotionDecision

    Examples
    --------
    >>> t = pd.DataFrame({"ap": [0.31, 0.30]}, index=["challenger", "champion"])
    >>> decide_promotion(t, metric="ap", min_improvement=0.02).promote
    False
    """
    if table is None:
        score = float("nan") if challenger_score is None else float(challenger_score)
        return PromotionDecision(True, f"no champion yet; the challenger ({metric} {score:.4f}) becomes champion",
                                 metric, score)
    new, old = float(table.loc[CHALLENGER, metric]), float(table.loc[CHAMPION, metric])
    if new > old + min_improvement:
        verdict, promote = "beats", True
    else:
        verdict, promote = "does not beat", False
    margin = f" by more than {min_improvement:g}" if min_improvement else ""
    reason = (f"on the same folds, the challenger ({metric} {new:.4f}) {verdict} the champion ({metric} {old:.4f})"
              f"{margin}; {'challenger promoted' if promote else 'champion kept'}")
    return PromotionDecision(promote, reason, metric, new, old, table)


@dataclass(frozen=True)
class LatestFolds:
    """The last ``n`` folds of a splitter, as a splitter."""

    folds: tuple[Fold, ...]

    @classmethod
    def of(cls, splitter: Any, n: int) -> "LatestFolds":
        """The last ``n`` folds of ``splitter`` (anything with ``split()``)."""
        return cls(tuple(list(splitter.split())[-n:]))

    def split(self) -> Iterator[Fold]:
        """The folds, oldest first."""
        return iter(self.folds)

    @property
    def names(self) -> list[str]:
        """The folds' names."""
        return [f.name for f in self.folds]


def same_recipe(a: Recipe, b: Recipe) -> bool:
    """Whether two recipes read the same columns into estimators of the same parameters.

    Fitted on the same rows they give the same model (fits are deterministic), so one's fold
    predictions are the other's.
    """
    return a[1] == b[1] and a[0]().get_params(deep=True) == b[0]().get_params(deep=True)  # type: ignore[attr-defined]


def compare_on_latest_folds(folds: LatestFolds, frame: pd.DataFrame, target: str, challenger: Recipe,
                            champion: Recipe, champion_frame: pd.DataFrame | None = None,
                            challenger_predictions: pd.DataFrame | None = None,
                            executor: Executor | None = None) -> pd.DataFrame:
    """Both recipes refitted and scored on the same folds; metrics indexed by challenger/champion.

    No fit is done twice: the challenger's backtest predictions, when given for these folds, are
    used as they are, and a champion whose recipe is the challenger's (the same specs, say) shares them.

    Parameters
    ----------
    folds : LatestFolds
        The shared folds.
    frame : pandas.DataFrame
        The challenger's training frame (features and target).
    target : str
        The target column; both models must forecast it.
    challenger, champion : tuple of (factory, columns)
        An estimator factory and the columns it reads, for each model.
    champion_frame : pandas.DataFrame, optional
        The champion's own frame when its feature spec differs (same rows, same target).
    challenger_predictions : pandas.DataFrame, optional
        The challenger's backtest on the same frame (``fold``, ``unit_id``, ``week``, the target,
        ``p_model``); refitted when it lacks any of the folds.
    executor : Executor, optional
        Where the refits run (the frames' own; default this machine).
    """
    if challenger_predictions is not None and set(folds.names) <= set(challenger_predictions["fold"]):
        mine = (challenger_predictions.loc[challenger_predictions["fold"].isin(folds.names),
                                           ["unit_id", "week", "fold", target, f"p_{MODEL_NAME}"]]
                .rename(columns={f"p_{MODEL_NAME}": f"p_{CHALLENGER}"}))
    else:
        mine, _ = run_backtest(folds, frame, target, {CHALLENGER: challenger}, executor=executor)
    if champion_frame is None and same_recipe(challenger, champion):
        out = mine.assign(**{f"p_{CHAMPION}": mine[f"p_{CHALLENGER}"]})
    else:
        theirs, _ = run_backtest(folds, frame if champion_frame is None else champion_frame, target,
                                 {CHAMPION: champion}, executor=executor)
        out = mine.merge(theirs[["unit_id", "week", f"p_{CHAMPION}"]], on=["unit_id", "week"], how="inner")
    return metrics_by(out, target, [CHALLENGER, CHAMPION]).set_index("model")


class UnreadableChampion(Exception):
    """The champion's logged spec no longer reads (an older sahelrisk wrote it)."""


def champion_recipe(spec: TrainingSpec, tf: TrainingFrame, champion_texts: tuple[str, str], data_dir: Path,
                    catalog: Catalog | None) -> tuple[Recipe, pd.DataFrame | None]:
    """The champion's recipe from its logged specs, and its own frame if its features differ.

    Raises
    ------
    UnreadableChampion
        Its logged training spec does not read with this sahelrisk.
    SpecError
        It forecasts another target or on other units: the two cannot be compared.
    """
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
    theirs = prepare_frame(old, data_dir, as_of=tf.as_of, data_end=tf.data_end, catalog=catalog, inputs=tf.inputs,
                           executor=tf.executor)
    return recipe(old, theirs.feature_columns), theirs.frame
