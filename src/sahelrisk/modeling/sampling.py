"""Case-control sampling: every positive training row, a fixed share of the negatives.

About 1.4% of cell-weeks since 2012 see a fatal attack. The negatives carry little information
each, yet every tree and every solver pass costs time per row, so a fit on all positives and a
share of the negatives is several times faster and loses little. The likelihood is corrected where
probabilities are read: the logistic member weights each kept negative by ``1 / share`` (the
weighted fit estimates the same model as the full one), and the trees' scores are mapped to
probabilities by a calibrator fitted on held-out weeks scored in full.

Stratified: most cell-weeks are structurally quiet (no event within 100 km for a year: 74% of
the rows, 5% of the positives). Their negatives say almost nothing the first few do not, while
negatives near recent violence are where the ranking is decided. A *quiet* mask gives the quiet
rows a share of their own, so the same number of rows keeps several times more of the informative
negatives. Sampling the strata at different rates shifts their log-odds by different amounts,
which no monotone calibration can undo, so the trees fit through :func:`log_odds_offset`: each
row's sampled log-odds is its true log-odds plus ``log(1 / share)`` of its stratum (the classic
case-control correction), and the model learns the true log-odds.
"""

from __future__ import annotations

import numpy as np

from sahelrisk.errors import SpecError

__all__ = ["case_control", "log_odds_offset", "base_log_odds", "log_odds"]


def _check_share(share: float, what: str) -> None:
    if not 0.0 < share <= 1.0:
        raise SpecError(f"{what} {share!r} must be in (0, 1]: the share of negative rows a fit keeps")


def _shares(n: int, share: float, quiet: np.ndarray | None, quiet_share: float | None) -> np.ndarray | float:
    _check_share(share, "negative share")
    if quiet is None:
        return share
    if quiet_share is None:
        raise SpecError("case-control: a quiet mask needs quiet_share, the share of quiet negatives kept")
    _check_share(quiet_share, "quiet negative share")
    quiet = np.asarray(quiet, dtype=bool)
    if len(quiet) != n:
        raise SpecError(f"case-control: the quiet mask has {len(quiet)} rows but the targets have {n}")
    return np.where(quiet, quiet_share, share)


def case_control(y: np.ndarray, share: float, seed: int, *, quiet: np.ndarray | None = None,
                 quiet_share: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The rows a case-control fit keeps, and the weights that undo the sampling.

    Parameters
    ----------
    y : array of 0/1
        The training targets.
    share : float
        Share of negative rows kept, in (0, 1]; 1 keeps every row. With ``quiet``, the share of
        the negatives that are not quiet.
    seed : int
        The draw's seed: same targets, shares, mask and seed keep the same rows.
    quiet : array of bool, optional
        Rows of the quiet stratum, sampled at ``quiet_share`` instead.
    quiet_share : float, optional
        Share of quiet negative rows kept, in (0, 1]; needed with ``quiet``.

    Returns
    -------
    (numpy.ndarray, numpy.ndarray)
        Indices of the kept rows (sorted) and their weights: 1 for positives, ``1 / share`` of
        their stratum for negatives.

    Raises
    ------
    SpecError
        A share outside (0, 1], or a mask without its share or of another length.

    Examples
    --------
    >>> rows, weights = case_control(np.array([0, 0, 1, 0]), share=0.5, seed=0)   # doctest: +SKIP
    """
    y = np.asarray(y)
    shares = _shares(len(y), share, quiet, quiet_share)
    if np.all(shares == 1.0):
        return np.arange(len(y)), np.ones(len(y))
    keep = (y > 0) | (np.random.default_rng(seed).random(len(y)) < shares)
    rows = np.flatnonzero(keep)
    kept_shares = shares[rows] if isinstance(shares, np.ndarray) else shares
    return rows, np.where(y[rows] > 0, 1.0, 1.0 / kept_shares)


def log_odds_offset(share: float, quiet: np.ndarray, quiet_share: float) -> np.ndarray:
    """Each row's shift from true to sampled log-odds: ``log(1 / share)`` of its stratum.

    Parameters
    ----------
    share, quiet_share : float
        The strata's shares of negatives kept, as given to :func:`case_control`.
    quiet : array of bool
        The kept rows' stratum (True: quiet).

    Returns
    -------
    numpy.ndarray
        One offset per row, positives and negatives alike (thinning the negatives multiplies the
        odds of every row of the stratum by ``1 / share``).
    """
    return -np.log(np.asarray(_shares(len(quiet), share, quiet, quiet_share), dtype=float))


def base_log_odds(y: np.ndarray, weights: np.ndarray) -> float:
    """The log-odds of the weighted rate of ``y``: the population's base rate estimated from a
    case-control sample whose rows carry ``weights`` (1 / their chance of being drawn)."""
    return log_odds(float(np.sum(weights * y) / np.sum(weights)))


def log_odds(rate: float) -> float:
    """``log(rate / (1 - rate))``, the rate kept within (1e-6, 1 - 1e-6)."""
    rate = float(np.clip(rate, 1e-6, 1 - 1e-6))
    return float(np.log(rate / (1 - rate)))
