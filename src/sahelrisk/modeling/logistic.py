"""A logistic model of risk on log-scaled history and intensity features: the fitted,
smooth counterpart of the self-exciting (Hawkes-style) intensity.

Trees cut each feature into steps learnt on the training years, so they cannot rank cells
beyond the highest intensity they have seen; an escalating conflict keeps producing such cells.
A logistic regression on ``log1p`` of counts and distances extrapolates along the same
log-linear slope instead, and its errors differ from the trees', which is why the two are
blended (see :mod:`sahelrisk.modeling.blend`).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.preprocessing import StandardScaler
from sklearn.utils.validation import check_is_fitted
from threadpoolctl import threadpool_limits

from sahelrisk.errors import DataError, SpecError
from sahelrisk.modeling.sampling import case_control

__all__ = ["IntensityGLM", "one_blas_thread"]


def one_blas_thread() -> Any:
    """Sums in one BLAS thread: the same coefficients and probabilities on any number of cores
    (threads split sums differently, and the last digits with them). The solver's products are
    small; a thread is enough."""
    return threadpool_limits(1, user_api="blas")


class IntensityGLM(BaseEstimator):
    """L2-penalised logistic regression; columns that are never negative on the training rows
    (counts, intensities, distances, weeks since) enter as ``log1p``, missing values as the
    training median plus a missing-indicator (a column with no value in the training weeks, such
    as a displacement figure before its first report, is kept as a constant and carries no weight).

    Parameters
    ----------
    C : float
        Inverse strength of the L2 penalty (positive).
    max_iter : int
        Solver iterations.
    negative_share : float
        Share of negative rows fitted on, drawn once with ``seed``; each kept negative weighs
        ``1 / negative_share``, so the fit estimates the same model as one on every row
        (:mod:`sahelrisk.modeling.sampling`).
    seed : int
        The sampling's seed.

    Examples
    --------
    >>> IntensityGLM(C=1.0).fit(X, y).predict_proba(X)[:, 1]     # doctest: +SKIP
    """

    def __init__(self, C: float = 1.0, max_iter: int = 2000, negative_share: float = 1.0, seed: int = 42) -> None:
        self.C = C
        self.max_iter = max_iter
        self.negative_share = negative_share
        self.seed = seed

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        values = X[self.feature_names_].to_numpy(dtype=np.float64, copy=True)
        log = self.log_columns_
        values[:, log] = np.log1p(np.clip(values[:, log], 0.0, None))
        return values

    def fit(self, X: pd.DataFrame, y: ArrayLike, weeks: ArrayLike | None = None, sample_weight: ArrayLike | None = None) -> "IntensityGLM":
        """Fit on (X, y): on every positive and ``negative_share`` of the negatives, weighted back;
        or, with ``sample_weight``, on rows already drawn, each standing for that many rows."""
        if not isinstance(X, pd.DataFrame):
            raise SpecError("IntensityGLM.fit needs a DataFrame of features")
        if not (isinstance(self.C, (int, float)) and self.C > 0):
            raise SpecError(f"IntensityGLM C={self.C!r} must be a positive number (inverse penalty strength)")
        y = np.asarray(y, dtype=float)
        if len(np.unique(y)) < 2:
            raise DataError("IntensityGLM.fit: the training rows hold a single class; widen the training window")
        self.feature_names_ = list(X.columns)
        self.log_columns_ = np.asarray([bool((X[c].dropna() >= 0).all()) for c in self.feature_names_])
        if sample_weight is None:
            rows, weights = case_control(y, self.negative_share, self.seed)
        else:
            rows, weights = np.arange(len(y)), np.asarray(sample_weight, dtype=float)
        with one_blas_thread():
            self.model_ = self._pipeline().fit(self._design(X.iloc[rows]), y[rows],
                                               standardscaler__sample_weight=weights,
                                               logisticregression__sample_weight=weights)
        return self

    def _pipeline(self) -> Pipeline:
        imputer = SimpleImputer(strategy="median", add_indicator=True, keep_empty_features=True)
        return make_pipeline(imputer, StandardScaler(), LogisticRegression(C=self.C, max_iter=self.max_iter))

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(no event), P(event) per row."""
        check_is_fitted(self, "model_")
        missing = [c for c in self.feature_names_ if c not in X]
        if missing:
            raise SpecError(f"IntensityGLM: X lacks feature column(s) {missing[:5]}; build the panel with the "
                              "spec the model was trained on")
        with one_blas_thread():
            return self.model_.predict_proba(self._design(X))
