"""The registered risk model: an equal-weight blend of calibrated probabilities.

- LightGBM on the compact feature set (:class:`~sahelrisk.modeling.boosted.RiskModel`),
- the logistic intensity model on history and space-time intensity (:class:`~sahelrisk.modeling.logistic.IntensityGLM`),
- the decayed-history-plus-neighbours rule, calibrated on the training weeks
  (:class:`~sahelrisk.modeling.baselines.BaselineModel`),
- with ``hawkes_columns``, a fitted self-exciting process on the intensity columns
  (:class:`~sahelrisk.modeling.hawkes.SelfExcitingModel`).

Each member alone ranks the validation weeks (2017-2019 origins) and the test weeks about
equally well, and they err on different cells, so their mean beats each of them on both. The
weights are equal and fixed: weights fitted on the validation weeks (a weighted mean, a stacked
logistic regression) scored lower there, held out by year, than equal ones
(``benchmarks/bench_skill.py``). Drivers and importances come from the LightGBM member, the only
one with per-feature contributions.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted

from sahelrisk.errors import SpecError
from sahelrisk.modeling.baselines import BASELINES, BaselineModel, required_columns
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.hawkes import SelfExcitingModel
from sahelrisk.modeling.logistic import IntensityGLM

__all__ = ["BlendedModel"]


class BlendedModel(BaseEstimator):
    """The registered model: the mean of the boosted-trees, logistic, baseline (and self-exciting) probabilities.

    Parameters
    ----------
    model_params : mapping
        :class:`~sahelrisk.modeling.boosted.RiskModel` parameters (``[model]`` of the training spec).
    model_columns, glm_columns : tuple of str
        The columns each member reads.
    glm_C : float
        Inverse penalty of the logistic member.
    glm_negative_share : float
        Share of negative rows the logistic member is fitted on (weighted back, see
        :class:`~sahelrisk.modeling.logistic.IntensityGLM`).
    hawkes_columns : tuple of str
        The excitation columns of the self-exciting member; empty: no such member.
    hawkes_negative_share : float
        Share of negative rows the self-exciting member is fitted on (weighted back).
    baseline : str
        The calibrated baseline member (default ``decay_neighbours``).
    horizon : int
        The horizon in weeks (the baseline's history columns depend on it).

    Examples
    --------
    >>> spec.make_model(columns).fit(X, y, weeks=weeks).predict_proba(X)   # doctest: +SKIP
    """

    def __init__(self, model_params: Mapping | None = None, model_columns: tuple[str, ...] = (),
                 glm_columns: tuple[str, ...] = (), glm_C: float = 1.0, baseline: str = "decay_neighbours",
                 horizon: int = 4, glm_negative_share: float = 1.0, hawkes_columns: tuple[str, ...] = (),
                 hawkes_negative_share: float = 1.0) -> None:
        self.model_params = model_params
        self.model_columns = model_columns
        self.glm_columns = glm_columns
        self.glm_C = glm_C
        self.baseline = baseline
        self.horizon = horizon
        self.glm_negative_share = glm_negative_share
        self.hawkes_columns = hawkes_columns
        self.hawkes_negative_share = hawkes_negative_share

    def _hawkes_columns(self) -> tuple[str, ...]:
        # a blend pickled before the self-exciting member has no such attribute
        return tuple(getattr(self, "hawkes_columns", ()))

    def columns(self) -> list[str]:
        """Every column a member reads, in a stable order (the LightGBM member's first)."""
        ordered = [*self.model_columns, *self.glm_columns, *required_columns(self.horizon), *self._hawkes_columns()]
        return list(dict.fromkeys(ordered))

    def _validate(self) -> None:
        if not self.model_columns or not self.glm_columns:
            raise SpecError("BlendedModel needs the LightGBM member's and the logistic member's columns")
        if self.baseline not in BASELINES:
            raise SpecError(f"BlendedModel baseline {self.baseline!r} unknown; known: {list(BASELINES)}")
        RiskModel(**dict(self.model_params or {}))._validate()

    def fit(self, X: pd.DataFrame, y: ArrayLike, weeks: ArrayLike | None = None) -> "BlendedModel":
        """Fit every member on its own columns of ``X`` (the trees with the weeks, for their calibration year)."""
        self._validate()
        missing = [c for c in self.columns() if c not in X]
        if missing:
            raise SpecError(f"BlendedModel.fit: X lacks column(s) {missing[:5]}; pass the columns of .columns()")
        lgbm, glm, rule, *hawkes = self.members()
        lgbm.fit(X[list(self.model_columns)], y, weeks=weeks)
        glm.fit(X[list(self.glm_columns)], y)
        rule.fit(X[required_columns(self.horizon)], y)
        for member in hawkes:
            member.fit(X[list(self.hawkes_columns)], y)
        return self.with_members(lgbm, glm, rule, *hawkes)

    def members(self) -> tuple[Any, ...]:
        """Unfitted members as this blend's parameters make them: the trees, the logistic model, the
        rule and, with ``hawkes_columns``, the self-exciting model (those two sample with the trees'
        seed)."""
        self._validate()
        params = dict(self.model_params or {})
        seed = int(params.get("seed", 42))
        members: tuple[Any, ...] = (RiskModel(**params),
                                    IntensityGLM(C=self.glm_C, negative_share=self.glm_negative_share, seed=seed),
                                    BaselineModel(self.baseline, self.horizon))
        if self._hawkes_columns():
            members += (SelfExcitingModel(negative_share=self.hawkes_negative_share, seed=seed),)
        return members

    def with_members(self, lgbm: RiskModel, glm: IntensityGLM, rule: BaselineModel,
                     hawkes: SelfExcitingModel | None = None) -> "BlendedModel":
        """Set the fitted members (fitted here, or on a cluster) and return the fitted blend."""
        if (hawkes is None) != (not self._hawkes_columns()):
            raise SpecError("BlendedModel.with_members: pass the self-exciting member exactly when the blend has "
                            "hawkes_columns")
        self.members_: dict[str, Any] = {"lgbm": lgbm, "glm": glm, self.baseline: rule}
        if hawkes is not None:
            self.members_["hawkes"] = hawkes
        self.feature_names_ = self.columns()
        return self

    def _check_fitted(self) -> None:
        check_is_fitted(self, "members_")

    def member_probabilities(self, X: pd.DataFrame) -> pd.DataFrame:
        """Each member's probability, one column per member."""
        self._check_fitted()
        return pd.DataFrame({name: m.predict_proba(X)[:, 1] for name, m in self.members_.items()}, index=X.index)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        """P(no event), P(event) per row: the mean of the members' probabilities."""
        p = self.member_probabilities(X).mean(axis=1).to_numpy()
        return np.column_stack([1 - p, p])

    def contributions(self, X: pd.DataFrame) -> pd.DataFrame:
        """The LightGBM member's per-feature contributions (the drivers shown to planners)."""
        self._check_fitted()
        return self.members_["lgbm"].contributions(X)

    @property
    def feature_importances_(self) -> pd.Series:
        """The LightGBM member's importances (gain), largest first."""
        self._check_fitted()
        return self.members_["lgbm"].feature_importances_
