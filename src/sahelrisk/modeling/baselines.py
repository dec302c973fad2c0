"""Honest baselines: the history-only rules a model must beat, each a scikit-learn-style estimator.

Each baseline turns one score (from the panel's own history columns) into a probability with a
one-feature calibrator fitted on the training weeks (isotonic, monotone in the score), so Brier
scores and calibration compare fairly with the model:

- ``zero``: no risk anywhere; its probability is the training base rate (climatology);
- ``persistence``: any event in the unit in the last h weeks (h = the horizon, or 4);
- ``rate52``: events in the unit over the last 52 weeks;
- ``decay``: exponentially decayed event history (half-life 26 weeks), the conflictology rule;
- ``decay_neighbours``: that, plus half the decayed history of the queen neighbours (52-week sum / 52).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from sahelrisk.errors import SpecError
from sahelrisk.modeling.calibration import Calibrator

__all__ = ["BaselineModel", "BASELINES", "baseline_score", "required_columns"]


def _col(frame: pd.DataFrame, name: str) -> np.ndarray:
    if name not in frame:
        raise SpecError(f"baseline needs panel column {name!r}; add it to the feature spec")
    return frame[name].to_numpy(dtype=np.float64)


def baseline_score(name: str, frame: pd.DataFrame, horizon: int = 4) -> np.ndarray:
    """The rule ``name``'s raw score of each row (higher: riskier), from the panel's history columns."""
    if name == "zero":
        return np.zeros(len(frame))
    if name == "persistence":
        window = horizon if f"conflict_events_{horizon}w" in frame else 4
        return (_col(frame, f"conflict_events_{window}w") > 0).astype(float)
    if name == "rate52":
        return _col(frame, "conflict_events_52w") / 52.0
    if name == "decay":
        return _col(frame, "conflict_events_hl26w")
    if name == "decay_neighbours":
        return _col(frame, "conflict_events_hl26w") + 0.5 * _col(frame, "conflict_events_queen_52w") / 52.0
    raise SpecError(f"unknown baseline {name!r}; known: {', '.join(BASELINES)}")


BASELINES = ("zero", "persistence", "rate52", "decay", "decay_neighbours")


def required_columns(horizon: int = 4) -> list[str]:
    """The panel columns every rule together reads."""
    return sorted({f"conflict_events_{horizon}w", "conflict_events_4w", "conflict_events_52w",
                   "conflict_events_hl26w", "conflict_events_queen_52w"})


class BaselineModel(BaseEstimator):
    """A history rule calibrated into a probability: ``fit`` learns only the score-to-probability map."""

    def __init__(self, name: str = "decay", horizon: int = 4) -> None:
        self.name = name
        self.horizon = horizon

    def fit(self, X: pd.DataFrame, y: ArrayLike, weeks: ArrayLike | None = None, sample_weight: ArrayLike | None = None) -> "BaselineModel":
        """Learn the rule's score-to-probability map; ``sample_weight``: how many training rows each
        row stands for (a weighted sample, as on a cluster)."""
        if self.name not in BASELINES:
            raise SpecError(f"unknown baseline {self.name!r}; known: {', '.join(BASELINES)}")
        y = np.asarray(y, dtype=float)
        weights = None if sample_weight is None else np.asarray(sample_weight, dtype=float)
        self.base_rate_ = float(np.average(y, weights=weights))
        self.calibrator_ = None
        if self.name != "zero":
            self.calibrator_ = Calibrator("isotonic").fit(baseline_score(self.name, X, self.horizon), y,
                                                          sample_weight=sample_weight)
        return self

    def score(self, X: pd.DataFrame) -> np.ndarray:
        """The raw rule (for ranking) before calibration."""
        return baseline_score(self.name, X, self.horizon)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(no event), P(event) per row: the rule's score through its calibrated map."""
        check_is_fitted(self, "base_rate_")
        if self.calibrator_ is None:
            p = np.full(len(X), self.base_rate_)
        else:
            p = self.calibrator_.predict(self.score(X))
        return np.column_stack([1 - p, p])
