"""Array kernels over (units, weeks) matrices: weekly totals, rolling sums, decays, lags.

Every kernel is causal: the value at week ``t`` depends on columns ``<= t`` only, and on no more
than ``horizon`` weeks back, so a panel's values do not depend on where its history starts.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from scipy.spatial import cKDTree

__all__ = ["weekly_matrix", "rolling_sum", "cumulate", "tail", "decayed_sum", "weeks_since", "lag_weeks", "points_within",
           "pairs_within"]


def weekly_matrix(unit_pos: np.ndarray, week_pos: np.ndarray, weights: np.ndarray | None, n_units: int,
                  n_weeks: int) -> np.ndarray:
    """Sum of ``weights`` (1 per event when None) per (unit, week); entries with a negative position are skipped."""
    ok = (unit_pos >= 0) & (week_pos >= 0) & (week_pos < n_weeks)
    flat = unit_pos[ok] * n_weeks + week_pos[ok]
    w = None if weights is None else np.asarray(weights, dtype=np.float64)[ok]
    return np.bincount(flat, weights=w, minlength=n_units * n_weeks).reshape(n_units, n_weeks).astype(np.float32)


def lag_weeks(mat: np.ndarray, lag: int) -> np.ndarray:
    """Shift along weeks so week t sees week t - lag (reporting delay)."""
    if lag == 0:
        return mat
    out = np.zeros_like(mat)
    out[:, lag:] = mat[:, :-lag]
    return out


def rolling_sum(mat: np.ndarray, window: int, cumulative: np.ndarray | None = None, keep: int | None = None) -> np.ndarray:
    """Sum over weeks t - window + 1 .. t for the last ``keep`` weeks (all by default).

    Pass ``cumulative`` (from :func:`cumulate`) to reuse one running sum across windows; scoring
    one week keeps 2 of ~260 history columns, so computing only those matters at 0.1 degree.
    """
    cs = cumulate(mat) if cumulative is None else cumulative
    n = cs.shape[1]
    keep = n if keep is None else keep
    cols = np.arange(n - keep, n)
    before = cols - window
    out = cs[:, cols].astype(np.float64)
    valid = before >= 0
    out[:, valid] -= cs[:, before[valid]]
    return out.astype(np.float32)


def cumulate(mat: np.ndarray) -> np.ndarray:
    """Running sum along weeks, computed only for units that ever had an event (most never do).

    float32 is exact here: event and death counts are integers far below 2**24.
    """
    active = np.flatnonzero(mat.any(axis=1))
    out = np.zeros(mat.shape, dtype=np.float32)
    out[active] = np.cumsum(mat[active], axis=1, dtype=np.float32)
    return out


def tail(values: np.ndarray, keep: int) -> np.ndarray:
    """The last ``keep`` columns (weeks) of a (units, weeks) matrix, contiguous."""
    return np.ascontiguousarray(values[:, values.shape[1] - keep:])


def decayed_sum(mat: np.ndarray, half_life: float, horizon: int, keep: int | None = None,
                dtype: type = np.float32) -> np.ndarray:
    """Sum of past weeks weighted 0.5 ** (age / half_life), over the last ``horizon`` weeks,
    for the last ``keep`` weeks (all by default)."""
    a = 0.5 ** (1.0 / half_life)
    n = mat.shape[1]
    if keep is not None and keep <= 8:
        # a handful of weeks (scoring): one weighted sum each beats filtering the whole history
        weights = a ** np.arange(horizon)[::-1]
        out = np.empty((mat.shape[0], keep), dtype=np.float64)
        for j, t in enumerate(range(n - keep, n)):
            lo = max(0, t - horizon + 1)
            out[:, j] = mat[:, lo:t + 1] @ weights[horizon - (t + 1 - lo):]
    else:
        full = signal.lfilter([1.0], [1.0, -a], mat.astype(np.float64), axis=1)
        out = full.copy()
        out[:, horizon:] -= (a ** horizon) * full[:, :-horizon]
        out = out if keep is None else tail(out, keep)
    # The subtraction leaves float dust where nothing happened; both paths drop it alike, so
    # scoring one week gives what the panel gives.
    out[np.abs(out) < 1e-9] = 0.0
    return out.astype(dtype, copy=False)


def weeks_since(mat: np.ndarray, cap: int) -> np.ndarray:
    """Weeks since the last week with a positive value (0: this week), capped at ``cap``."""
    n_weeks = mat.shape[1]
    idx = np.where(mat > 0, np.arange(n_weeks)[None, :], -cap - 1)
    last = np.maximum.accumulate(idx, axis=1)
    return np.minimum(np.arange(n_weeks)[None, :] - last, cap).astype(np.float32)


def pairs_within(targets_xy: np.ndarray, points_xy: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """All (target, point, distance) with distance <= ``radius_m`` (coordinates in metres)."""
    if len(targets_xy) == 0 or len(points_xy) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64), np.empty(0)
    # both trees in C: millions of pairs at 0.1 degree, no Python loop over them
    found = cKDTree(targets_xy).sparse_distance_matrix(cKDTree(points_xy), radius_m, output_type="ndarray")
    return found["i"].astype(np.int64), found["j"].astype(np.int64), found["v"]


def points_within(targets_xy: np.ndarray, points_xy: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """All (target, point) index pairs within ``radius_m`` (coordinates in metres)."""
    target_idx, point_idx, _ = pairs_within(targets_xy, points_xy, radius_m)
    return target_idx, point_idx
