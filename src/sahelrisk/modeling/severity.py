"""How deadly: a predictive distribution of the deaths in a unit over the horizon.

A hurdle. Whether any fatal event happens is the registered model's calibrated probability ``p``.
Given at least one, the deaths are ``1 + Z`` with ``Z`` negative binomial: its mean ``m(x)`` from
a Poisson regression on log-scaled history (the unit's and its surroundings' recent deaths and
events), its dispersion ``r`` fitted by maximum likelihood on the training rows that had a death.
So ``P(deaths = 0) = 1 - p`` and ``P(deaths >= k) = p * P(Z >= k - 1)``; expected deaths
``p * (1 + m)``; quantiles and samples from the mixture.

An area's deaths are the sum of its cells' draws. Cells of one area may rise and fall together
(one campaign, one armed group), and drawn independently the sum's interval would then be too
narrow. The draws can therefore be tied by a Gaussian copula: each cell's uniform comes from a
normal with one shared factor per ADM1 area and one per ADM2 area (loadings ``correlation``),
and each cell keeps its own hurdle distribution. The loadings are chosen on validation origins
(``benchmarks/bench_area_deaths.py``: on 2017-2019 independent draws were already calibrated at
both levels, so the shipped spec keeps them at 0) and travel with the model.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from scipy import optimize, stats
from sklearn.base import BaseEstimator
from sklearn.linear_model import PoissonRegressor
from sklearn.utils.validation import check_is_fitted

__all__ = ["SeverityModel", "SeverityForecast", "SEVERITY_FEATURES", "THRESHOLDS", "MIN_DEATH_ROWS"]

# History the count model reads (present in the default feature spec).
SEVERITY_FEATURES = ("conflict_fatalities_hl26w", "conflict_events_hl4w", "conflict_events_hl26w",
                     "conflict_events_r50km_4w", "conflict_events_r50km_52w", "conflict_events_queen_52w",
                     "conflict_fatalities_52w")
THRESHOLDS = (10, 25)
MIN_DEATH_ROWS = 30   # fewer rows with a death leave a model without its deaths forecast


@dataclass
class SeverityForecast:
    """The predictive distribution of deaths for each row: ``p`` (any death), ``mean_z`` and
    ``dispersion`` of the count above one."""

    p: np.ndarray
    mean_z: np.ndarray
    dispersion: float
    correlation: tuple[float, ...] = ()

    def _z(self) -> Any:
        r = self.dispersion
        return stats.nbinom(r, r / (r + self.mean_z))

    def expected(self) -> np.ndarray:
        """The expected deaths of each row."""
        return self.p * (1 + self.mean_z)

    def prob_at_least(self, k: int) -> np.ndarray:
        """P(deaths >= k), k >= 1."""
        return self.p * self._z().sf(k - 2) if k >= 2 else self.p

    def cdf(self, y: ArrayLike) -> np.ndarray:
        """P(deaths <= y) for integer y >= 0 (broadcast over rows)."""
        y = np.asarray(y, dtype=float)
        return np.where(y < 1, 1 - self.p, 1 - self.p + self.p * self._z().cdf(y - 1))

    def quantile(self, q: float) -> np.ndarray:
        """The smallest integer y with P(deaths <= y) >= q."""
        above = (q - (1 - self.p)) / np.where(self.p > 0, self.p, 1)
        z = self._z().ppf(np.clip(above, 0, 1 - 1e-12))
        return np.where(q <= 1 - self.p, 0.0, 1 + z)

    def sample(self, n: int, seed: int = 0, groups: Sequence[ArrayLike] | None = None) -> np.ndarray:
        """``n`` draws per row (rows x n), non-negative integers.

        Parameters
        ----------
        n : int
            Draws per row.
        seed : int
            Seed of the draws.
        groups : sequence of array-like, optional
            One array per loading of ``correlation`` (e.g. each row's ADM1 and ADM2 p-code):
            rows sharing a value share that factor. A missing value shares with no row. Without
            groups, or with zero loadings, rows are drawn independently.
        """
        rng = np.random.default_rng(seed)
        loadings = np.asarray(self.correlation, dtype=float)
        if groups is None or not loadings.any():
            any_death = rng.random((len(self.p), n)) < self.p[:, None]
            r = self.dispersion
            z = rng.negative_binomial(r, (r / (r + self.mean_z))[:, None], size=(len(self.p), n))
            return np.where(any_death, 1 + z, 0)
        if len(groups) != len(loadings):
            raise ValueError(f"{len(groups)} group arrays for {len(loadings)} correlation loadings")
        latent = np.sqrt(1 - loadings.sum()) * rng.standard_normal((len(self.p), n))
        for values, loading in zip(groups, loadings):
            codes = _codes(values)
            latent += np.sqrt(loading) * rng.standard_normal((codes.max() + 1, n))[codes]
        return self._inverse(stats.norm.cdf(latent))

    def _inverse(self, u: np.ndarray) -> np.ndarray:
        """The deaths at probability levels ``u`` (rows x draws) of each row's distribution."""
        out = np.zeros(u.shape)
        rows, cols = np.nonzero(u > 1 - self.p[:, None])
        p = self.p[rows]
        above = np.clip((u[rows, cols] - (1 - p)) / p, 0, 1 - 1e-12)
        r = self.dispersion
        out[rows, cols] = 1 + stats.nbinom.ppf(above, r, r / (r + self.mean_z[rows]))
        return out


def _codes(values: ArrayLike) -> np.ndarray:
    """Integer group codes; each missing value its own group."""
    codes, _ = pd.factorize(pd.Series(np.asarray(values, dtype=object)))
    missing = codes < 0
    codes[missing] = codes.max(initial=-1) + 1 + np.arange(missing.sum())
    return codes


class SeverityModel(BaseEstimator):
    """The count part of the hurdle: deaths above the first, given at least one.

    Parameters
    ----------
    alpha : float
        L2 penalty of the Poisson regression.
    features : tuple of str
        History columns read (log1p-scaled).
    correlation : tuple of float
        Copula loadings (ADM1, ADM2) of the forecasts' draws (see :meth:`SeverityForecast.sample`);
        (0, 0) draws cells independently. Not fitted here: chosen on validation origins.
    """

    def __init__(self, alpha: float = 1.0, features: Sequence[str] = SEVERITY_FEATURES, correlation: tuple[float, float] = (0.0, 0.0)) -> None:
        self.alpha = alpha
        self.features = features
        self.correlation = correlation

    def _design(self, X: pd.DataFrame) -> np.ndarray:
        return np.log1p(np.clip(X[list(self.features)].to_numpy(dtype=float), 0, None))

    def fit(self, X: pd.DataFrame, deaths: ArrayLike) -> "SeverityModel":
        """Fit on the rows with at least one death (``deaths`` over the horizon)."""
        deaths = np.asarray(deaths, dtype=float)
        keep = np.isfinite(deaths) & (deaths >= 1)
        if keep.sum() < MIN_DEATH_ROWS:
            raise ValueError(f"{int(keep.sum())} rows with a death: too few to fit the count model "
                             f"(need {MIN_DEATH_ROWS})")
        z = deaths[keep] - 1
        design = self._design(X.loc[keep] if isinstance(X, pd.DataFrame) else X[keep])
        glm = PoissonRegressor(alpha=self.alpha, max_iter=1000).fit(design, z)
        self.coef_, self.intercept_ = glm.coef_, float(glm.intercept_)
        m = glm.predict(design)

        def nll(log_r: np.ndarray) -> float:
            r = np.exp(log_r)
            return -stats.nbinom.logpmf(z, r, r / (r + m)).sum()
        self.dispersion_ = float(np.exp(optimize.minimize_scalar(nll, bounds=(-6, 6), method="bounded").x))
        return self

    def forecast(self, X: pd.DataFrame, p: ArrayLike) -> SeverityForecast:
        """The predictive distribution, given each row's probability ``p`` of any death."""
        check_is_fitted(self, ["coef_", "dispersion_"])
        mean_z = np.exp(self._design(X) @ self.coef_ + self.intercept_)
        return SeverityForecast(np.asarray(p, dtype=float), mean_z, self.dispersion_, tuple(self.correlation))

    def to_dict(self) -> dict:
        """Plain numbers, logged with the model and read back without pickles."""
        check_is_fitted(self, ["coef_", "dispersion_"])
        return {"features": list(self.features), "coef": self.coef_.tolist(), "intercept": self.intercept_,
                "dispersion": self.dispersion_, "alpha": self.alpha, "correlation": list(self.correlation)}

    @classmethod
    def from_dict(cls, data: dict) -> "SeverityModel":
        """The model as logged (:meth:`to_dict`), without a pickle."""
        # a model logged before the copula draws its cells independently
        model = cls(alpha=data["alpha"], features=tuple(data["features"]),
                    correlation=tuple(data.get("correlation", (0.0, 0.0))))
        model.coef_, model.intercept_ = np.asarray(data["coef"], dtype=float), float(data["intercept"])
        model.dispersion_ = float(data["dispersion"])
        return model
