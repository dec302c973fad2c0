"""A fitted self-exciting (Hawkes) model of the hazard: the classic model of clustered attacks.

A unit's rate of fatal events is a background plus what past fatal events excite nearby and
soon after. The panel's intensity columns are exactly such excitations: past fatal events
weighted by a Gaussian kernel in space and an exponential decay in time, for several bandwidths
and half-lives. The model is their non-negative sum,

    rate(x) = b + sum_j w_j x_j,   b > 0, w_j >= 0,   P(any fatal event in the horizon) = 1 - exp(-rate),

with ``b`` and ``w`` maximising the Bernoulli likelihood of the training rows. The fit picks which
reach and memory of excitation the data support; the long-run count of events in the unit (a
column such as ``conflict_events_260w``) serves as the cell's own background.

It differs from the logistic member (:mod:`sahelrisk.modeling.logistic`) on purpose: excitations
add up here, where the logistic model multiplies log-scaled odds, and no weight can be negative.
On the 2017-2019 validation origins, adding it to the blend as a fourth member raised the held-out
AP beyond the noise of resampled weeks (``benchmarks/bench_skill.py``).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from sahelrisk.errors import DataError, SpecError
from sahelrisk.modeling.logistic import one_blas_thread
from sahelrisk.modeling.sampling import case_control

__all__ = ["SelfExcitingModel"]

MIN_BACKGROUND = 1e-8   # a rate never reaches 0, so P(any) never does


class SelfExcitingModel(BaseEstimator):
    """Non-negative sum of excitation columns (and a background) as a rate; P = 1 - exp(-rate).

    Parameters
    ----------
    negative_share : float
        Share of negative rows fitted on, drawn once with ``seed``; each kept negative weighs
        ``1 / negative_share`` (:mod:`sahelrisk.modeling.sampling`).
    seed : int
        The sampling's seed.
    max_iter : int
        L-BFGS-B iterations.

    Attributes
    ----------
    background_ : float
        The rate of a unit with no excitation.
    weights_ : pandas.Series
        The rate added per unit of each column (never negative).

    Examples
    --------
    >>> SelfExcitingModel().fit(X[["intensity_k50km_hl8w"]], y).weights_     # doctest: +SKIP
    """

    def __init__(self, negative_share: float = 1.0, seed: int = 42, max_iter: int = 500) -> None:
        self.negative_share = negative_share
        self.seed = seed
        self.max_iter = max_iter

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        # a missing excitation is none (e.g. weeks before the panel's first event)
        return np.nan_to_num(X[self.feature_names_].to_numpy(dtype=np.float64), nan=0.0)

    def fit(self, X: pd.DataFrame, y: ArrayLike, weeks: ArrayLike | None = None,
            sample_weight: ArrayLike | None = None) -> "SelfExcitingModel":
        """Fit on (X, y): every positive and ``negative_share`` of the negatives, weighted back;
        or, with ``sample_weight``, on rows already drawn, each standing for that many rows.

        Parameters
        ----------
        X : pandas.DataFrame
            Excitation columns (never negative; a missing value counts as none).
        y : array-like
            1 where a fatal event followed in the horizon.
        weeks : array-like, optional
            Unused: the same signature as the other members.
        sample_weight : array-like, optional
            How many rows each row stands for.

        Returns
        -------
        SelfExcitingModel
            Fitted.
        """
        if not isinstance(X, pd.DataFrame):
            raise SpecError("SelfExcitingModel.fit needs a DataFrame of excitation columns")
        target = np.asarray(y, dtype=float)
        if len(np.unique(target)) < 2:
            raise DataError("SelfExcitingModel.fit: the training rows hold a single class; widen the training window")
        negative = [c for c in X.columns if (X[c].dropna() < 0).any()]
        if negative:
            raise SpecError(f"SelfExcitingModel: column(s) {negative[:3]} hold negative values; an excitation is a "
                            "count or an intensity (check [blend] hawkes_include)")
        self.feature_names_ = list(X.columns)
        if sample_weight is None:
            rows, weights = case_control(target, self.negative_share, self.seed)
        else:
            rows, weights = np.arange(len(target)), np.asarray(sample_weight, dtype=float)
        Z, event = self._design(X.iloc[rows]), target[rows]
        # scaled columns condition the solver; the weights are scaled back below
        scale = Z.std(axis=0)
        scale[scale == 0] = 1.0
        Z = np.column_stack([np.ones(len(Z)), Z / scale])
        total = weights.sum()
        # A negative row adds its rate to the loss, and the rate is linear in the weights, so all
        # the negatives together are one weighted column sum: each step then reads the positives only.
        hit = event > 0
        with one_blas_thread():   # the same sums, to the last digit, on any number of cores
            negatives = weights[~hit] @ Z[~hit]
        Z_hit, w_hit = Z[hit], weights[hit]

        def loss(w: np.ndarray) -> tuple[float, np.ndarray]:
            rate = np.maximum(Z_hit @ w, MIN_BACKGROUND)
            nll = negatives @ w - (w_hit * np.log(-np.expm1(-rate))).sum()
            grad = negatives - Z_hit.T @ (w_hit / np.expm1(rate))
            return nll / total, grad / total

        start = np.full(Z.shape[1], 0.01)
        bounds = [(MIN_BACKGROUND, None)] + [(0.0, None)] * (Z.shape[1] - 1)
        with one_blas_thread():
            found = optimize.minimize(loss, start, jac=True, method="L-BFGS-B", bounds=bounds,
                                      options={"maxiter": self.max_iter})
        if not found.success:
            # a model that stopped short of its optimum would score without saying so
            raise DataError(f"SelfExcitingModel.fit did not converge in {self.max_iter} iterations "
                            f"({found.message}); raise max_iter or check the excitation columns")
        self.background_ = float(found.x[0])
        self.weights_ = pd.Series(found.x[1:] / scale, index=self.feature_names_)
        return self

    def rate(self, X: pd.DataFrame) -> np.ndarray:
        """The hazard over the horizon (expected fatal events, were each counted once)."""
        check_is_fitted(self, "weights_")
        missing = [c for c in self.feature_names_ if c not in X]
        if missing:
            raise SpecError(f"SelfExcitingModel: X lacks column(s) {missing[:5]}; build the panel with the spec "
                            "the model was trained on")
        return self.background_ + self._design(X) @ self.weights_.to_numpy()

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(no fatal event), P(at least one) in the horizon: ``1 - exp(-rate)`` (rows x 2)."""
        p = -np.expm1(-self.rate(X))
        return np.column_stack([1 - p, p])
