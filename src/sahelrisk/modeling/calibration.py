"""Score-to-probability calibration shared by the model and the baselines.

Isotonic regression maps scores to probabilities in steps, so many units end up with the same
probability and the ranking the score had is lost (the calibrated LightGBM kept ~400 distinct
values, costing average precision). Ties are broken by the raw score with a shift below 1e-9:
probabilities, Brier score and calibration are unchanged to that precision, while the order of
units within a step is the score's.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike
from sklearn.isotonic import IsotonicRegression
from sklearn.linear_model import LogisticRegression

from sahelrisk.errors import SpecError

__all__ = ["Calibrator", "TIE_BREAK"]

TIE_BREAK = 1e-9


class Calibrator:
    """A monotone map from a score to a probability: isotonic (default) or a logistic (sigmoid) curve."""

    def __init__(self, method: str = "isotonic") -> None:
        if method not in ("isotonic", "sigmoid"):
            raise SpecError(f"calibration {method!r} unknown; use 'isotonic' or 'sigmoid'")
        self.method = method

    def fit(self, score: ArrayLike, y: ArrayLike, sample_weight: ArrayLike | None = None) -> "Calibrator":
        """Learn the map from ``score`` to the probability of ``y``; ``sample_weight`` counts how many
        rows each row stands for (a weighted sample: 1 / its chance of being drawn)."""
        score, y = np.asarray(score, dtype=float), np.asarray(y, dtype=float)
        if self.method == "isotonic":
            self.map_ = IsotonicRegression(out_of_bounds="clip", y_min=0.0, y_max=1.0).fit(
                score, y, sample_weight=sample_weight)
        else:
            self.map_ = LogisticRegression(C=1e6).fit(score.reshape(-1, 1), y, sample_weight=sample_weight)
        return self

    def predict(self, score: ArrayLike) -> np.ndarray:
        """The probability of each score."""
        score = np.asarray(score, dtype=float)
        if self.method == "isotonic":
            p = self.map_.predict(score)
        else:
            p = self.map_.predict_proba(score.reshape(-1, 1))[:, 1]
        # strictly increasing in the score, in (-1, 1): keeps the score's order inside isotonic steps
        p = p + TIE_BREAK * (score / (1.0 + np.abs(score)))
        return np.clip(p, 0.0, 1.0)
