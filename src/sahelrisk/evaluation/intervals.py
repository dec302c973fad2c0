"""The noise behind a claim: intervals from resampling whole weeks (a block bootstrap).

The cells of one week move together (one campaign, one season, one reporting delay), so a
difference between two forecasts is resampled by whole weeks, never row by row: row resampling
would make the noise look several times smaller than it is. Every interval a benchmark reports,
and so every claim of the docs, comes from here, with one setting: :data:`RESAMPLES` resamples
and a :data:`LEVEL` percentile interval, unless a caller says otherwise.

>>> import numpy as np
>>> weeks = np.repeat(np.arange(52), 10)                    # 52 weeks of 10 cells
>>> gain = np.random.default_rng(0).normal(0.1, 1.0, 520)
>>> draws = resample_weeks(weeks, lambda rows: gain[rows].mean())
>>> low, high = percentile_interval(draws)
>>> bool(low < gain.mean() < high)
True
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from sahelrisk.errors import SpecError

__all__ = ["RESAMPLES", "LEVEL", "week_blocks", "week_picks", "resample_weeks", "resample_sums",
           "percentile_interval", "summary"]

RESAMPLES = 1000
"""Resamples of whole weeks behind every interval."""

LEVEL = 0.95
"""The intervals' level: the central 95% of the resampled statistic."""


def week_blocks(weeks: Sequence | np.ndarray | pd.Series) -> list[np.ndarray]:
    """The row positions of each week, in the weeks' order.

    Parameters
    ----------
    weeks : array-like
        Each row's week (any labels: Mondays, month numbers, fold names).

    Returns
    -------
    list of numpy.ndarray
        One array of row positions per distinct week.
    """
    codes, uniques = pd.factorize(pd.Series(np.asarray(weeks)), sort=True)
    if len(uniques) == 0:
        raise SpecError("no week to resample: the rows are empty")
    order = np.argsort(codes, kind="stable")
    return np.split(order, np.cumsum(np.bincount(codes, minlength=len(uniques)))[:-1])


def week_picks(n_weeks: int, *, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """Which weeks each resample takes: ``resamples`` draws of ``n_weeks`` weeks with replacement.

    Parameters
    ----------
    n_weeks : int
        How many weeks there are.
    resamples : int
        How many resamples.
    seed : int
        The same seed gives the same picks.

    Returns
    -------
    numpy.ndarray
        Shape ``(resamples, n_weeks)``, week numbers.
    """
    if n_weeks < 2:
        raise SpecError(f"an interval over resampled weeks needs at least 2 weeks, not {n_weeks}")
    if resamples < 10:
        raise SpecError(f"resamples must be at least 10, not {resamples}")
    return np.random.default_rng(seed).integers(0, n_weeks, (resamples, n_weeks))


def resample_weeks(weeks: Sequence | np.ndarray | pd.Series, statistic: Callable[[np.ndarray], float | np.ndarray], *,
                   resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """A statistic of the rows, on copies of them made of whole weeks drawn with replacement.

    Parameters
    ----------
    weeks : array-like
        Each row's week.
    statistic : callable
        Takes the row positions of one resample (a week drawn twice appears twice) and returns a
        number or a 1-D array (several statistics at once, e.g. the AP of each model); NaN when it
        is undefined on that resample (no event drawn, say).
    resamples : int
        How many resamples.
    seed : int
        The same seed gives the same draws.

    Returns
    -------
    numpy.ndarray
        One row per resample: shape ``(resamples,)`` or ``(resamples, k)``.
    """
    blocks = week_blocks(weeks)
    picks = week_picks(len(blocks), resamples=resamples, seed=seed)
    return np.asarray([statistic(np.concatenate([blocks[i] for i in pick])) for pick in picks], dtype=float)


def resample_sums(per_week: np.ndarray | pd.DataFrame, *, resamples: int = RESAMPLES, seed: int = 0) -> np.ndarray:
    """Column sums over resampled weeks, for statistics that add up week by week (fast: no rows).

    Parameters
    ----------
    per_week : array-like
        One row per week, one column per quantity (a Brier gain per region, a CRPS sum and a row
        count for a mean...).
    resamples : int
        How many resamples.
    seed : int
        The same seed gives the same draws.

    Returns
    -------
    numpy.ndarray
        Shape ``(resamples, k)``: each quantity's sum over each resample's weeks.
    """
    values = np.asarray(per_week, dtype=float)
    values = values[:, None] if values.ndim == 1 else values
    return values[week_picks(len(values), resamples=resamples, seed=seed)].sum(axis=1)


def percentile_interval(draws: np.ndarray, level: float = LEVEL) -> np.ndarray:
    """The central ``level`` of the draws (NaN draws left out), per column.

    Parameters
    ----------
    draws : numpy.ndarray
        From :func:`resample_weeks` or :func:`resample_sums`.
    level : float
        Between 0 and 1.

    Returns
    -------
    numpy.ndarray
        ``[low, high]``, or shape ``(2, k)`` for ``k`` columns of draws.
    """
    if not 0 < level < 1:
        raise SpecError(f"level must be between 0 and 1, not {level}")
    tail = (1 - level) / 2
    return np.nanquantile(np.asarray(draws, dtype=float), [tail, 1 - tail], axis=0)


def summary(estimate: float, draws: np.ndarray, *, digits: int = 4, level: float = LEVEL) -> dict:
    """A claim as the benchmarks write it: the estimate on every row and its interval.

    Parameters
    ----------
    estimate : float
        The statistic on the rows as they are.
    draws : numpy.ndarray
        Its resampled values, shape ``(resamples,)``.
    digits : int
        Rounding.
    level : float
        The interval's level.

    Returns
    -------
    dict
        ``estimate``, ``interval`` (``[low, high]``), ``level`` and ``beyond_noise`` (the interval
        excludes zero).
    """
    low, high = percentile_interval(draws, level)
    return {"estimate": round(float(estimate), digits), "interval": [round(float(low), digits), round(float(high), digits)],
            "level": level, "beyond_noise": bool(low > 0 or high < 0)}
