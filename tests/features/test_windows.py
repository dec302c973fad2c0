"""Kernels against plain loops on random data."""

import numpy as np
import pytest

from sahelrisk.features.windows import (
    decayed_sum,
    lag_weeks,
    pairs_within,
    points_within,
    rolling_sum,
    weekly_matrix,
    weeks_since,
)

rng = np.random.default_rng(7)
MAT = (rng.random((5, 60)) < 0.2) * rng.integers(1, 5, (5, 60)).astype(np.float32)


@pytest.mark.parametrize("window", [1, 4, 13])
def test_rolling_sum(window):
    expected = np.array([[MAT[u, max(0, t - window + 1):t + 1].sum() for t in range(60)] for u in range(5)])
    np.testing.assert_allclose(rolling_sum(MAT, window), expected)
    np.testing.assert_allclose(rolling_sum(MAT, window, keep=5), expected[:, -5:])


@pytest.mark.parametrize("half_life, horizon", [(4, 20), (26, 52)])
def test_decayed_sum_is_truncated_at_the_horizon(half_life, horizon):
    a = 0.5 ** (1 / half_life)
    expected = np.array([[sum(MAT[u, w] * a ** (t - w) for w in range(max(0, t - horizon + 1), t + 1))
                          for t in range(60)] for u in range(5)])
    np.testing.assert_allclose(decayed_sum(MAT, half_life, horizon), expected, rtol=1e-5, atol=1e-5)
    # the few-weeks path (scoring) gives the same last weeks
    np.testing.assert_allclose(decayed_sum(MAT, half_life, horizon, keep=3), expected[:, -3:], rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(decayed_sum(MAT, half_life, horizon, keep=30), expected[:, -30:], rtol=1e-5, atol=1e-5)


def test_weeks_since_with_cap():
    expected = np.empty_like(MAT)
    for u in range(5):
        last = None
        for t in range(60):
            if MAT[u, t] > 0:
                last = t
            expected[u, t] = 10 if last is None else min(t - last, 10)
    np.testing.assert_array_equal(weeks_since(MAT, 10), expected)


def test_lag_shifts_forward_only():
    lagged = lag_weeks(MAT, 3)
    np.testing.assert_array_equal(lagged[:, 3:], MAT[:, :-3])
    assert (lagged[:, :3] == 0).all()


def test_weekly_matrix_sums_and_skips_negative_positions():
    got = weekly_matrix(np.array([0, 0, 1, -1, 2]), np.array([3, 3, 0, 1, -1]), np.array([2.0, 5.0, 1.0, 9.0, 9.0]), 3, 4)
    expected = np.zeros((3, 4))
    expected[0, 3], expected[1, 0] = 7, 1
    np.testing.assert_array_equal(got, expected)


def test_points_within_matches_brute_force():
    targets, points = rng.random((30, 2)) * 1000, rng.random((40, 2)) * 1000
    t_idx, p_idx = points_within(targets, points, 150.0)
    got = set(zip(t_idx.tolist(), p_idx.tolist()))
    d = np.linalg.norm(targets[:, None, :] - points[None, :, :], axis=2)
    assert got == set(zip(*np.nonzero(d <= 150.0)))
    t_idx, p_idx, dist = pairs_within(targets, points, 150.0)
    np.testing.assert_allclose(dist, d[t_idx, p_idx])
    assert len(t_idx) == len(got) and all(len(a) == 0 for a in pairs_within(targets[:0], points, 150.0))
