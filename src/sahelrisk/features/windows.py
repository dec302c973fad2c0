"""Array kernels over (units, weeks) matrices: weekly totals, rolling sums, decays, lags.

Every kernel is causal: the value at week ``t`` depends on columns ``<= t`` only, and on no more
than ``horizon`` weeks back, so a panel's values do not depend on where its history starts.
"""

from __future__ import annotations

import numpy as np
from scipy import signal
from scipy.spatial import cKDTree

__all__ = ["weekly_matrix", "rolling_sum", "decayed_sum", "weeks_since", "lag_weeks", "points_within"]


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


def rolling_sum(mat: np.ndarray, window: int) -> np.ndarray:
    """Sum over weeks t - window + 1 .. t."""
    cs = np.cumsum(mat, axis=1, dtype=np.float64)
    out = cs.copy()
    out[:, window:] -= cs[:, :-window]
    return out.astype(np.float32)


def decayed_sum(mat: np.ndarray, half_life: float, horizon: int) -> np.ndarray:
    """Sum of past weeks weighted 0.5 ** (age / half_life), over the last ``horizon`` weeks."""
    a = 0.5 ** (1.0 / half_life)
    full = signal.lfilter([1.0], [1.0, -a], mat.astype(np.float64), axis=1)
    out = full.copy()
    out[:, horizon:] -= (a ** horizon) * full[:, :-horizon]
    out[np.abs(out) < 1e-9] = 0.0  # the subtraction leaves float dust where nothing happened
    return out.astype(np.float32)


def weeks_since(mat: np.ndarray, cap: int) -> np.ndarray:
    """Weeks since the last week with a positive value (0: this week), capped at ``cap``."""
    n_weeks = mat.shape[1]
    idx = np.where(mat > 0, np.arange(n_weeks)[None, :], -cap - 1)
    last = np.maximum.accumulate(idx, axis=1)
    return np.minimum(np.arange(n_weeks)[None, :] - last, cap).astype(np.float32)


def points_within(targets_xy: np.ndarray, points_xy: np.ndarray, radius_m: float) -> tuple[np.ndarray, np.ndarray]:
    """All (target, point) index pairs closer than ``radius_m`` (coordinates in metres)."""
    if len(targets_xy) == 0 or len(points_xy) == 0:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    tree = cKDTree(targets_xy)
    lists = tree.query_ball_point(points_xy, r=radius_m)
    counts = np.fromiter((len(x) for x in lists), dtype=np.int64, count=len(lists))
    point_idx = np.repeat(np.arange(len(points_xy)), counts)
    target_idx = np.fromiter((i for x in lists for i in x), dtype=np.int64, count=int(counts.sum()))
    return target_idx, point_idx
