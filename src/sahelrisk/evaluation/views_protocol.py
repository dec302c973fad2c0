"""The ViEWS 2023/24 prediction challenge's protocol on sahelrisk's cells.

Outcome: UCDP GED state-based deaths (``violence_type == "state_based"``, best estimate) per
PRIO-GRID cell (``priogrid_gid``: the 0.5-degree grid's ``unit_id``) and calendar month. For a
window year Y, models see the data up to the end of October of Y-1 and forecast each month of Y
(3 to 14 months ahead) as draws of non-negative integers. Months are named the ViEWS way:
``month_id = (year - 1980) * 12 + month``.

Forecasters, each giving draws per cell-month:

- the challenge's five benchmarks, as its ``benchmark.py`` draws them (:func:`benchmark_draws`):
  ``zero`` (1,000 draws of 0); ``last`` (1,000 Poisson draws around the cell's deaths in October of
  Y-1); ``boot_240`` (1,000 draws from the deaths of *every* cell over the 240 months to October of
  Y-1, pooled); ``conflictology`` (12 draws: the cell's own 12 months, November Y-2 to October Y-1,
  the same for every month of Y); ``conflictology_neighbours`` (108 draws: those 12 months of the
  cell and of each of its 8 neighbouring gids, +-1, +-719, +-720, +-721, a neighbour absent from the
  data counting 12 zeros);
- ``sahelrisk``: a hurdle fitted on the history before the cutoff only: a logistic model of any
  death in the month from the cell's log-scaled deaths over the last 1, 3, 12 and 36 months, its
  neighbours' last 12 months, months since its last death and the lead; then 1 + a negative
  binomial count (:class:`sahelrisk.modeling.severity.SeverityModel` on the same history);
- ``ensemble``: an equal mixture of ``sahelrisk`` and ``conflictology_neighbours`` (each draw
  from one or the other with probability 1/2), the weight chosen on the validation windows
  2014-2017 (``benchmarks/bench_views.py``), as the ViEWS ensembles weigh their members.

Scores per window: mean CRPS (scoringrules), the ignorance score on the challenge's bins and the
90% mean interval score, with coverage.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike
from sklearn.linear_model import LogisticRegression

from sahelrisk.modeling.severity import SeverityModel
from sahelrisk.units import Units

__all__ = ["month_id", "monthly_deaths", "window_forecasts", "benchmark_draws", "mixture_draws", "NEIGHBOUR_OFFSETS", "ENSEMBLE", "score_draws", "ignorance", "interval_score", "FORECASTERS", "IGNORANCE_BINS",
           "ViewsWindow"]

BOOT_MONTHS = 240
CONFLICTOLOGY_MONTHS = 12
PRIOGRID_ROW = 720
"""PRIO-GRID gids run west to east in rows of 720 cells, south to north."""
NEIGHBOUR_OFFSETS = (-1, 1, -PRIOGRID_ROW, PRIOGRID_ROW, -(PRIOGRID_ROW - 1), PRIOGRID_ROW - 1, -(PRIOGRID_ROW + 1),
                     PRIOGRID_ROW + 1)
"""The 8 neighbouring gids, in the order the challenge concatenates them after the cell's own months."""
IGNORANCE_BINS = np.array([0, 0.5, 2.5, 5.5, 10.5, 25.5, 50.5, 100.5, 250.5, 500.5, 1000.5, np.inf])
FORECASTERS = ("zero", "last", "boot_240", "conflictology", "conflictology_neighbours", "sahelrisk", "ensemble")
ENSEMBLE = ("conflictology_neighbours", 0.5)
"""The benchmark mixed with ``sahelrisk`` in ``ensemble``, and the weight of ``sahelrisk``: chosen on
the validation windows 2014-2017, where the weights 0.25, 0.5 and 0.75 scored within 0.0001 CRPS."""
LEADS = range(3, 15)
HISTORY = ("deaths_1m", "deaths_3m", "deaths_12m", "deaths_36m", "neighbours_12m", "months_since")


def month_id(year: ArrayLike, month: ArrayLike) -> np.ndarray:
    """ViEWS' month number: January 1980 is 1."""
    return (np.asarray(year) - 1980) * 12 + np.asarray(month)


def monthly_deaths(events: pd.DataFrame, units: Units, first_year: int, last_year: int) -> pd.DataFrame:
    """State-based deaths per cell (rows, ``units`` order) and month (columns: month ids)."""
    months = np.arange(int(month_id(first_year, 1)), int(month_id(last_year, 12)) + 1)
    located = events[events["has_location"] & (events["violence_type"] == "state_based")]
    pos = units.locate(located["longitude"].to_numpy(), located["latitude"].to_numpy())
    dates = pd.DatetimeIndex(located["date_start"])
    col = month_id(dates.year, dates.month) - months[0]
    keep = (pos >= 0) & (col >= 0) & (col < len(months))
    matrix = np.zeros((len(units), len(months)))
    np.add.at(matrix, (pos[keep], col[keep]), located["fatalities_best"].to_numpy(dtype=float)[keep])
    return pd.DataFrame(matrix, index=units.ids, columns=months)


def _history(deaths: np.ndarray, neighbours: Any, cutoff: int) -> pd.DataFrame:
    """Features of every cell at a cutoff column (the last month known)."""
    past = deaths[:, : cutoff + 1]

    def last(n: int) -> np.ndarray:
        return past[:, max(0, cutoff + 1 - n):].sum(axis=1)
    seen = past > 0
    since = np.where(seen.any(axis=1), cutoff - (past.shape[1] - 1 - np.argmax(seen[:, ::-1], axis=1)), 120)
    return pd.DataFrame({"deaths_1m": last(1), "deaths_3m": last(3), "deaths_12m": last(12), "deaths_36m": last(36),
                         "neighbours_12m": neighbours @ last(12), "months_since": np.minimum(since, 120)})


def _design(features: pd.DataFrame, lead: ArrayLike) -> np.ndarray:
    logged = np.log1p(features[list(HISTORY)].to_numpy(dtype=float))
    return np.column_stack([logged, np.broadcast_to(np.asarray(lead, dtype=float), len(features)) / 12])


@dataclass
class ViewsWindow:
    """One window's draws (forecaster -> cells x months x draws) and actuals (cells x months)."""

    year: int
    months: np.ndarray
    cells: np.ndarray
    draws: dict
    actuals: np.ndarray

    def frame(self, forecaster: str) -> pd.DataFrame:
        """The challenge's long format: ``month_id``, ``priogrid_gid``, ``draw``, ``outcome``."""
        values = self.draws[forecaster]
        n_cells, n_months, n_draws = values.shape
        return pd.DataFrame({"month_id": np.tile(np.repeat(self.months, n_draws), n_cells).astype(np.int32),
                             "priogrid_gid": np.repeat(self.cells, n_months * n_draws).astype(np.int64),
                             "draw": np.tile(np.arange(n_draws), n_cells * n_months).astype(np.int32),
                             "outcome": values.reshape(-1).astype(np.int64)})

    def actuals_frame(self) -> pd.DataFrame:
        """The observed deaths as the challenge lays them out: one row per month and cell."""
        return pd.DataFrame({"month_id": np.tile(self.months, len(self.cells)).astype(np.int32),
                             "priogrid_gid": np.repeat(self.cells, len(self.months)).astype(np.int64),
                             "outcome": self.actuals.reshape(-1).astype(np.int64)})


def _fit_sahelrisk(deaths: np.ndarray, neighbours: Any, cutoff: int, step: int = 3) -> tuple[LogisticRegression, SeverityModel]:
    """The hurdle, fitted on (cutoff c, lead k) pairs whose target month is no later than ``cutoff``."""
    designs, any_death, counts, history = [], [], [], []
    for c in range(36, cutoff - 2, step):
        features = _history(deaths, neighbours, c)
        for lead in LEADS:
            if c + lead > cutoff:
                break
            target = deaths[:, c + lead]
            designs.append(_design(features, lead))
            history.append(features.assign(lead=lead))
            any_death.append(target > 0)
            counts.append(target)
    X, y = np.vstack(designs), np.concatenate(any_death)
    classifier = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    frame = pd.concat(history, ignore_index=True)
    count = SeverityModel(features=HISTORY).fit(frame, np.concatenate(counts))
    return classifier, count


def benchmark_draws(matrix: np.ndarray, gids: np.ndarray, cutoff: int, n_draws: int,
                    rng: np.random.Generator) -> dict[str, np.ndarray]:
    """The challenge's benchmarks for the 12 months of a window, from the months up to ``cutoff``.

    Parameters
    ----------
    matrix : numpy.ndarray
        Deaths per cell (rows) and month (columns).
    gids : numpy.ndarray
        Each row's PRIO-GRID gid (neighbours are found by gid, as the challenge does).
    cutoff : int
        The column of the last month known (October of the year before the window).
    n_draws : int
        Draws of ``zero``, ``last`` and ``boot_240`` (the challenge: 1,000); the conflictology
        benchmarks have 12 and 108 draws, their months themselves.
    rng : numpy.random.Generator
        For ``last`` and ``boot_240``.

    Returns
    -------
    dict
        Benchmark name -> draws, cells x 12 months x draws.
    """
    n = len(matrix)
    if cutoff + 1 < BOOT_MONTHS:
        raise ValueError(f"boot_240 needs {BOOT_MONTHS} months up to the cutoff; the data starts "
                         f"{cutoff + 1} months before it")
    pool = matrix[:, cutoff + 1 - BOOT_MONTHS: cutoff + 1].ravel()   # every cell's months, pooled
    own = matrix[:, cutoff + 1 - CONFLICTOLOGY_MONTHS: cutoff + 1]
    row = {gid: i for i, gid in enumerate(gids.tolist())}
    blank = np.zeros(CONFLICTOLOGY_MONTHS)
    around = np.stack([np.concatenate([own[i], *(own[row[g + d]] if g + d in row else blank for d in NEIGHBOUR_OFFSETS)])
                       for i, g in enumerate(gids.tolist())]) if n else np.zeros((0, 9 * CONFLICTOLOGY_MONTHS))

    def every_month(values: np.ndarray) -> np.ndarray:
        return np.repeat(values[:, None, :], 12, axis=1).astype(np.int64)
    return {
        "zero": np.zeros((n, 12, n_draws), dtype=np.int64),
        "last": rng.poisson(np.repeat(matrix[:, cutoff][:, None, None], 12, axis=1), size=(n, 12, n_draws)),
        "boot_240": rng.choice(pool, size=(n, 12, n_draws)).astype(np.int64),
        "conflictology": every_month(own),
        "conflictology_neighbours": every_month(around),
    }


def mixture_draws(first: np.ndarray, second: np.ndarray, weight: float, rng: np.random.Generator) -> np.ndarray:
    """Draws of the mixture ``weight`` x first + (1 - weight) x second, as many as ``first`` has:
    each draw is ``first``'s with probability ``weight``, else one of ``second``'s at random.

    Parameters
    ----------
    first, second : numpy.ndarray
        Draws, cells x months x draws (their numbers of draws may differ).
    weight : float
        The share of ``first``, in [0, 1].
    rng : numpy.random.Generator

    Returns
    -------
    numpy.ndarray
        Cells x months x ``first``'s number of draws.
    """
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"mixture weight {weight} must be in [0, 1]")
    picks = rng.integers(0, second.shape[2], first.shape)
    from_second = np.take_along_axis(second, picks, axis=2)
    return np.where(rng.random(first.shape) < weight, first, from_second)


def window_forecasts(deaths: pd.DataFrame, units: Units, year: int, n_draws: int = 1000, seed: int = 0) -> ViewsWindow:
    """Every forecaster's draws for the 12 months of ``year``, from the data up to October of ``year - 1``."""
    rng = np.random.default_rng(seed)
    matrix = deaths.to_numpy()
    columns = deaths.columns.to_numpy()
    cutoff = int(np.flatnonzero(columns == month_id(year - 1, 10))[0])
    targets = np.arange(cutoff + 3, cutoff + 15)
    if targets[-1] >= len(columns):
        raise ValueError(f"window {year}: the outcomes of {year} are not in the data")
    neighbours = units.neighbours()
    n = len(units)
    draws = benchmark_draws(matrix, np.asarray(units.ids, dtype=np.int64), cutoff, n_draws, rng)
    classifier, count = _fit_sahelrisk(matrix, neighbours, cutoff)
    features = _history(matrix, neighbours, cutoff)
    model = np.zeros((n, 12, n_draws), dtype=np.int64)
    for j, lead in enumerate(LEADS):
        p = classifier.predict_proba(_design(features, lead))[:, 1]
        model[:, j, :] = count.forecast(features.assign(lead=lead), p).sample(n_draws, seed=seed + lead)
    draws["sahelrisk"] = model
    other, weight = ENSEMBLE
    draws["ensemble"] = mixture_draws(model, draws[other], weight, rng)
    return ViewsWindow(year, columns[targets], units.ids, draws, matrix[:, targets])


def ignorance(draws: np.ndarray, y: np.ndarray) -> np.ndarray:
    """Per row (rows x draws): -log2 of the forecast probability of the observed bin of
    :data:`IGNORANCE_BINS`, the bin probabilities from the draws with one pseudo-draw spread over
    the bins (no zero probability)."""
    k = len(IGNORANCE_BINS) - 1
    sample_bins = np.clip(np.searchsorted(IGNORANCE_BINS, draws, side="right") - 1, 0, k - 1)
    y_bin = np.clip(np.searchsorted(IGNORANCE_BINS, y, side="right") - 1, 0, k - 1)
    hits = (sample_bins == y_bin[:, None]).sum(axis=1)
    return -np.log2((hits + 1 / k) / (draws.shape[1] + 1))


def interval_score(draws: np.ndarray, y: np.ndarray, alpha: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Per row (rows x draws): the ``1 - alpha`` interval score of the draws' central interval,
    and whether ``y`` fell inside it."""
    lower, upper = np.quantile(draws, [alpha / 2, 1 - alpha / 2], axis=1, method="inverted_cdf")
    score = (upper - lower) + 2 / alpha * (lower - y) * (y < lower) + 2 / alpha * (y - upper) * (y > upper)
    return score, (y >= lower) & (y <= upper)


def score_draws(draws: np.ndarray, actuals: np.ndarray, alpha: float = 0.1) -> dict:
    """Mean CRPS, ignorance (:func:`ignorance`) and the ``1 - alpha`` mean interval score with
    its coverage (:func:`interval_score`), over every cell-month."""
    import scoringrules

    flat = draws.reshape(-1, draws.shape[-1]).astype(float)
    y = actuals.reshape(-1).astype(float)
    mis, covered = interval_score(flat, y, alpha)
    return {"crps": float(np.mean(scoringrules.crps_ensemble(y, flat))), "ignorance": float(np.mean(ignorance(flat, y))),
            "mis_90": float(np.mean(mis)), "coverage_90": float(np.mean(covered))}
