"""The risk model: gradient-boosted trees (LightGBM) with a probability calibration.

``RiskModel`` follows the scikit-learn estimator contract: ``__init__`` stores parameters,
``fit`` validates them and learns ``booster_``, ``calibrator_``, ``feature_names_``;
``predict_proba`` returns calibrated probabilities.

Class imbalance (about 3% positive cell-weeks since 2020) is handled by *not* reweighting: the
trees are fitted, unweighted, on every positive and a share of the negatives, with a large
``min_child_samples`` so leaves hold enough positives, and a calibrator fitted on the *latest*
training weeks (held out from the trees, scored in full) maps scores to probabilities.
Reweighting would inflate probabilities that planners read at face value. Same data, parameters
and seed give the same model on any number of threads (LightGBM's deterministic row-wise mode).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from sahelrisk.cores import thread_count
from sahelrisk.errors import SpecError
from sahelrisk.modeling.calibration import Calibrator
from sahelrisk.modeling.sampling import base_log_odds, case_control, log_odds_offset

__all__ = ["RiskModel"]

_PARAMS = {
    "n_estimators": (int, 1, 20000), "learning_rate": (float, 1e-4, 1.0), "num_leaves": (int, 2, 4096),
    "min_child_samples": (int, 1, 10**7), "subsample": (float, 0.05, 1.0), "colsample_bytree": (float, 0.05, 1.0),
    "reg_lambda": (float, 0.0, 1e6), "calibration_weeks": (int, 0, 5000), "recency_half_life_weeks": (float, 0.0, 1e6),
    "scale_pos_weight": (float, 1e-3, 1e4), "seed": (int, 0, 2**31 - 1), "n_jobs": (int, 0, 256),
    "max_bin": (int, 8, 1024), "neg_bagging_fraction": (float, 0.001, 1.0), "negative_share": (float, 0.001, 1.0),
    "quiet_negative_share": (float, 0.001, 1.0),
}
_FLAGS = ("monotone_history", "refit_full", "linear_tree")


def _monotone(column: str) -> int:
    """+1 where more past violence can only raise risk, -1 for time since the last event, 0 elsewhere."""
    if column.startswith("conflict_weeks_since"):
        return -1
    if column.startswith(("conflict_events", "conflict_fatalities", "conflict_country")):
        return 1
    return 0


TreeTrainer = Callable[["RiskModel", pd.Timestamp, float], tuple[Any, float, float]]
"""Trains a model's trees elsewhere: (model, last week, quiet share) -> (booster, intercept, base rate)."""
RawScorer = Callable[["RiskModel", pd.Timestamp, pd.Timestamp], pd.DataFrame]
"""Reads a model's raw scores elsewhere: (model, first week, last week) -> frame of raw, y, weight."""


class RiskModel(BaseEstimator):
    """The boosted-trees member: LightGBM on the panel's features, with a probability calibration.

    Parameters
    ----------
    n_estimators, learning_rate, num_leaves, min_child_samples, subsample, colsample_bytree, reg_lambda
        LightGBM's parameters (``subsample`` is LightGBM's ``bagging_fraction``).
    calibration : {"isotonic", "sigmoid", "none"}
        How scores become probabilities, fitted on the last ``calibration_weeks`` training weeks.
    calibration_weeks : int
        Training weeks held out from the trees for the calibration (0: calibrate in-sample).
    refit_full : bool
        After calibrating, refit the trees on every training week.
    neg_bagging_fraction : float
        Share of all negative rows each tree sees (every positive is kept); the calibration restores
        rates. At most ``negative_share``.
    negative_share : float
        Share of negative rows the trees are fitted on, drawn once per fit with ``seed`` (every
        positive is kept, see :mod:`sahelrisk.modeling.sampling`). The calibration weeks are scored
        in full, so probabilities keep the true rates. With ``quiet_column``, the share of the
        negatives that are not quiet.
    quiet_column : str
        A feature column that is 0 on structurally quiet rows (e.g. ``conflict_events_r100km_52w``:
        no event within 100 km for a year); "" (the default) samples every negative alike.
    quiet_negative_share : float
        Share of quiet negative rows the trees are fitted on. The strata's different shares are
        undone by a log-odds offset in the fit (:func:`sahelrisk.modeling.sampling.log_odds_offset`),
        so the trees' scores stay on one scale across strata.
    seed : int
        Same data, parameters and seed give the same model (and sample).
    n_jobs : int
        LightGBM's threads; 0, the default, uses :func:`sahelrisk.cores.thread_count` (the cores
        this process may run on, or ``--threads``).

    Attributes
    ----------
    booster_, calibrator_, feature_names_
        Set by :meth:`fit`.
    intercept_ : float
        Added to the trees' raw score: 0 unstratified; with ``quiet_column``, the true base rate's
        log-odds the stratified fit started from.

    Examples
    --------
    >>> model = RiskModel(n_estimators=50).fit(X, y, weeks=weeks)     # doctest: +SKIP
    >>> model.predict_proba(X)[:, 1]                                   # doctest: +SKIP
    """

    def __init__(self, n_estimators: int = 400, learning_rate: float = 0.03, num_leaves: int = 15,
                 min_child_samples: int = 200, subsample: float = 0.8, colsample_bytree: float = 0.8,
                 reg_lambda: float = 1.0, calibration: str = "isotonic", calibration_weeks: int = 52,
                 recency_half_life_weeks: float = 0.0, scale_pos_weight: float = 1.0, objective: str = "binary",
                 seed: int = 42, n_jobs: int = 0, max_bin: int = 63, neg_bagging_fraction: float = 1.0,
                 negative_share: float = 1.0, quiet_column: str = "", quiet_negative_share: float = 1.0,
                 monotone_history: bool = False, refit_full: bool = False, linear_tree: bool = False) -> None:
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.min_child_samples = min_child_samples
        self.subsample = subsample
        self.colsample_bytree = colsample_bytree
        self.reg_lambda = reg_lambda
        self.calibration = calibration
        self.calibration_weeks = calibration_weeks
        self.recency_half_life_weeks = recency_half_life_weeks
        self.scale_pos_weight = scale_pos_weight
        self.objective = objective
        self.seed = seed
        self.n_jobs = n_jobs
        self.max_bin = max_bin
        self.neg_bagging_fraction = neg_bagging_fraction
        self.negative_share = negative_share
        self.quiet_column = quiet_column
        self.quiet_negative_share = quiet_negative_share
        self.monotone_history = monotone_history
        self.refit_full = refit_full
        self.linear_tree = linear_tree

    def _validate(self) -> None:
        for name, (kind, low, high) in _PARAMS.items():
            value = getattr(self, name)
            if not isinstance(value, (int, float)) or isinstance(value, bool) or not low <= value <= high:
                raise SpecError(f"RiskModel parameter {name}={value!r} is invalid; expected a {kind.__name__} "
                                  f"between {low} and {high}")
        for name in _FLAGS:
            if not isinstance(getattr(self, name), bool):
                raise SpecError(f"RiskModel parameter {name}={getattr(self, name)!r} is invalid; use true or false")
        if self.calibration not in ("isotonic", "sigmoid", "none"):
            raise SpecError(f"RiskModel calibration={self.calibration!r}; use 'isotonic', 'sigmoid' or 'none'")
        if self.neg_bagging_fraction > self.negative_share:
            raise SpecError(f"RiskModel neg_bagging_fraction={self.neg_bagging_fraction} exceeds negative_share="
                            f"{self.negative_share}: a tree cannot see more negatives than the fit keeps; lower it "
                            "or raise negative_share")
        if not isinstance(self.quiet_column, str):
            raise SpecError(f"RiskModel quiet_column={self.quiet_column!r} must be a feature column's name or \"\"")
        if self.quiet_negative_share < 1.0 and not self.quiet_column:
            raise SpecError(f"RiskModel quiet_negative_share={self.quiet_negative_share} needs quiet_column, the "
                            "feature that is 0 on quiet rows (e.g. conflict_events_r100km_52w)")
        if self.objective not in ("binary", "lambdarank"):
            raise SpecError(f"RiskModel objective={self.objective!r}; use 'binary' or 'lambdarank'")

    def _lgb_params(self) -> dict:
        params = {
            "objective": self.objective, "learning_rate": self.learning_rate, "num_leaves": self.num_leaves,
            "min_child_samples": self.min_child_samples, "bagging_fraction": self.subsample, "bagging_freq": 1,
            "feature_fraction": self.colsample_bytree, "lambda_l2": self.reg_lambda, "seed": self.seed,
            "num_threads": self.n_jobs or thread_count(), "deterministic": True, "force_row_wise": True, "verbosity": -1,
            "max_bin": self.max_bin, "scale_pos_weight": self.scale_pos_weight,
        }
        if self.linear_tree:
            params["linear_tree"] = True
        if self.neg_bagging_fraction < self.negative_share:
            # Keep every positive and a share of negatives in each tree: faster, and each tree sees
            # more balanced data; the calibrator restores true probabilities.
            params.update({"pos_bagging_fraction": 1.0,
                           "neg_bagging_fraction": self.neg_bagging_fraction / self.negative_share})
        if self.monotone_history:
            params["monotone_constraints"] = [_monotone(c) for c in self.feature_names_]
        if self.objective == "lambdarank":
            params.pop("scale_pos_weight")
            params.update({"lambdarank_truncation_level": 200, "label_gain": [0, 1]})
        return params

    def _weights(self, weeks: pd.Series) -> np.ndarray | None:
        if not self.recency_half_life_weeks:
            return None
        age = (weeks.max() - weeks).dt.days.to_numpy() / 7.0
        return 0.5 ** (age / self.recency_half_life_weeks)

    def _sample(self, X: pd.DataFrame, y: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, float]:
        """The kept rows, their log-odds offsets in the fit (None: unstratified) and the intercept
        that puts the trees' scores back on the true log-odds scale."""
        if not self.quiet_column:
            rows, _ = case_control(y, self.negative_share, self.seed)
            return rows, None, 0.0
        if self.quiet_column not in X:
            raise SpecError(f"RiskModel quiet_column={self.quiet_column!r} is not among the model's features; add "
                            "it to [model_features] include or name another column")
        quiet = (X[self.quiet_column] == 0).to_numpy()   # a missing value is not known to be quiet
        rows, weights = case_control(y, self.negative_share, self.seed, quiet=quiet,
                                     quiet_share=self.quiet_negative_share)
        intercept = base_log_odds(y[rows], weights)
        return rows, intercept + log_odds_offset(self.negative_share, quiet[rows], self.quiet_negative_share), intercept

    def _train(self, X: pd.DataFrame, y: np.ndarray, weeks: pd.Series) -> Any:
        import lightgbm as lgb
        rows, offset, intercept = self._sample(X, y)
        X, y, weeks = X.iloc[rows], y[rows], weeks.iloc[rows]
        order = np.argsort(weeks.to_numpy(), kind="stable")
        X, y, weeks = X.iloc[order], y[order], weeks.iloc[order]
        group = weeks.value_counts(sort=False).sort_index().to_numpy() if self.objective == "lambdarank" else None
        data = lgb.Dataset(X, label=y, weight=self._weights(weeks), group=group,
                           init_score=None if offset is None else offset[order], free_raw_data=True,
                           params={"max_bin": self.max_bin, "verbosity": -1})
        return lgb.train(self._lgb_params(), data, num_boost_round=self.n_estimators), intercept

    def calibration_start(self, last_week: pd.Timestamp) -> pd.Timestamp | None:
        """Rows of the weeks after this one are held out from the trees to fit the calibration
        (the last ``calibration_weeks`` of training); None: no calibration."""
        if self.calibration == "none" or not self.calibration_weeks:
            return None
        return last_week - pd.Timedelta(weeks=self.calibration_weeks)

    def fit(self, X: pd.DataFrame, y: ArrayLike, weeks: ArrayLike | None = None) -> "RiskModel":
        """Fit on (X, y); ``weeks`` (the rows' weeks) set the calibration slice and recency weights."""
        self._validate()
        if not isinstance(X, pd.DataFrame):
            raise SpecError("RiskModel.fit needs a DataFrame of features (column names become feature names)")
        target = np.asarray(y, dtype=float)
        if len(target) != len(X):
            raise SpecError(f"RiskModel.fit: X has {len(X)} rows but y has {len(target)}")
        if np.isnan(target).any():
            raise SpecError("RiskModel.fit: y holds NaN (unobserved targets); drop those rows first")
        when = pd.Series(pd.to_datetime(weeks if weeks is not None else pd.Series(0, index=X.index)),
                         index=X.index)
        self.feature_names_ = list(X.columns)
        start = self.calibration_start(when.max())
        calib = (when > start).to_numpy() if start is not None else np.zeros(len(target), dtype=bool)
        if calib.all() or (calib.any() and len(np.unique(target[calib])) < 2):
            calib = np.zeros(len(target), dtype=bool)  # too little to calibrate on: fall back to raw scores
        self.booster_, self.intercept_ = self._train(X[~calib], target[~calib], when[~calib])
        self.calibrator_ = None
        if calib.any():
            raw = self.decision_function(X[calib])
            self.calibrator_ = Calibrator(self.calibration).fit(raw, target[calib])
            if self.refit_full:
                # The latest weeks matter most under a changing conflict: refit the trees on every
                # week, keeping the map learnt on held-out scores (same parameters, same score scale).
                self.booster_, self.intercept_ = self._train(X, target, when)
        self.base_rate_ = float(target.mean())
        return self

    def fit_elsewhere(self, columns: list[str], end: pd.Timestamp, train: TreeTrainer,
                      raw_scores: RawScorer) -> "RiskModel":
        """Fit as :meth:`fit` does when the rows stay elsewhere (a cluster's partitions): the same
        calibration slice, map and refit, with the trees trained and the raw scores read by hooks.

        Parameters
        ----------
        columns : list of str
            The feature columns, in the order the trees read them.
        end : pandas.Timestamp
            The last training week.
        train : callable
            ``train(model, last_week, quiet_share)`` trains trees on the weeks up to ``last_week``
            (with the case-control offsets of ``model``'s shares) and returns ``(booster,
            intercept, base_rate)``.
        raw_scores : callable
            ``raw_scores(model, first_week, last_week)`` returns a frame of ``raw`` scores, the
            outcome ``y`` and each row's ``weight`` over those weeks (the calibration slice).

        Returns
        -------
        RiskModel
            Fitted: this model owns its booster and calibrator, wherever the trees were trained.
        """
        self._validate()
        if self.objective != "binary" or self.recency_half_life_weeks:
            raise SpecError("on a cluster the boosted member trains with the binary objective and no recency "
                            "weights; remove objective / recency_half_life_weeks from [model] or run without --cluster")
        self.feature_names_ = list(columns)
        quiet = self.quiet_negative_share if self.quiet_column else self.negative_share
        calib_start = self.calibration_start(end)
        self.booster_, self.intercept_, self.base_rate_ = train(self, calib_start if calib_start is not None else end,
                                                                quiet)
        self.calibrator_ = None
        if calib_start is None:
            return self
        scored = raw_scores(self, calib_start, end)
        if len(scored) and scored["y"].nunique() == 2:
            self.calibrator_ = Calibrator(self.calibration).fit(scored["raw"], scored["y"],
                                                                sample_weight=scored["weight"])
            if not self.refit_full:
                return self
        # refit on every week (as in one process), or, with too little to calibrate on, raw scores
        self.booster_, self.intercept_, self.base_rate_ = train(self, end, quiet)
        return self

    def _check_fitted(self) -> None:
        check_is_fitted(self, "booster_")

    def _frame(self, X: pd.DataFrame) -> pd.DataFrame:
        missing = [c for c in self.feature_names_ if c not in X]
        if missing:
            raise SpecError(f"RiskModel: X lacks feature column(s) {missing[:5]}{'...' if len(missing) > 5 else ''}; "
                              "build the panel with the spec the model was trained on")
        return X[self.feature_names_]

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """The trees' raw score per row (log-odds, before calibration)."""
        self._check_fitted()
        # models pickled before stratified sampling have no intercept_
        return self.booster_.predict(self._frame(X), raw_score=True) + getattr(self, "intercept_", 0.0)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(no event), P(event) per row: the raw score through the calibration map."""
        raw = self.decision_function(X)
        if self.calibrator_ is None:
            p = 1 / (1 + np.exp(-raw)) if self.objective == "binary" else (raw - raw.min()) / (np.ptp(raw) or 1)
        else:
            p = self.calibrator_.predict(raw)
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """Per-row contribution of each feature to the raw score (SHAP values from LightGBM)."""
        self._check_fitted()
        values = self.booster_.predict(self._frame(X), pred_contrib=True)
        return pd.DataFrame(values[:, :-1], columns=self.feature_names_, index=X.index)

    @property
    def feature_importances_(self) -> pd.Series:
        """Each feature's total gain in the trees, largest first."""
        self._check_fitted()
        return pd.Series(self.booster_.feature_importance("gain"), index=self.feature_names_).sort_values(ascending=False)
