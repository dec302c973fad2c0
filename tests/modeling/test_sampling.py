"""Case-control sampling: every positive, a share of negatives, weights that undo the draw."""

import numpy as np
import pytest

from sahelrisk.errors import SpecError
from sahelrisk.modeling.sampling import case_control, log_odds_offset


def test_keeps_every_positive_and_about_the_share_of_negatives():
    y = (np.random.default_rng(1).random(200_000) < 0.02).astype(float)
    rows, weights = case_control(y, 0.1, seed=7)
    assert set(np.flatnonzero(y)) <= set(rows)
    kept_negatives = int((y[rows] == 0).sum())
    assert abs(kept_negatives / (y == 0).sum() - 0.1) < 0.005
    assert np.all(np.diff(rows) > 0)
    # weighted, the kept rows count as many negatives as the full data holds
    assert abs(weights[y[rows] == 0].sum() / (y == 0).sum() - 1) < 0.05
    assert np.all(weights[y[rows] == 1] == 1)


def test_same_seed_keeps_the_same_rows_and_another_seed_others():
    y = (np.random.default_rng(2).random(5000) < 0.1).astype(float)
    assert np.array_equal(case_control(y, 0.3, 5)[0], case_control(y, 0.3, 5)[0])
    assert not np.array_equal(case_control(y, 0.3, 5)[0], case_control(y, 0.3, 6)[0])


def test_a_share_of_one_keeps_every_row_unweighted():
    y = np.array([0.0, 1.0, 0.0])
    rows, weights = case_control(y, 1.0, 0)
    assert rows.tolist() == [0, 1, 2] and weights.tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("share", [0.0, -0.1, 1.5])
def test_a_share_outside_zero_to_one_is_refused(share):
    with pytest.raises(SpecError, match="must be in"):
        case_control(np.array([0.0, 1.0]), share, 0)


def test_a_quiet_stratum_keeps_its_own_share_and_weighs_back_to_its_size():
    rng = np.random.default_rng(4)
    y = (rng.random(300_000) < 0.02).astype(float)
    quiet = rng.random(len(y)) < 0.7
    rows, weights = case_control(y, 0.4, seed=1, quiet=quiet, quiet_share=0.05)
    assert set(np.flatnonzero(y)) <= set(rows)
    for mask, share in ((quiet, 0.05), (~quiet, 0.4)):
        negatives = mask & (y == 0)
        kept = np.isin(rows, np.flatnonzero(negatives))
        assert abs(kept.sum() / negatives.sum() - share) < 0.01
        assert np.allclose(weights[kept], 1 / share)
        assert abs(weights[kept].sum() / negatives.sum() - 1) < 0.05


def test_the_offset_is_each_strata_log_inverse_share():
    offsets = log_odds_offset(0.5, np.array([True, False, True]), 0.1)
    np.testing.assert_allclose(offsets, [np.log(10), np.log(2), np.log(10)])


def test_a_quiet_mask_needs_its_share_and_the_targets_length():
    y = np.array([0.0, 1.0, 0.0])
    with pytest.raises(SpecError, match="needs quiet_share"):
        case_control(y, 0.5, 0, quiet=np.array([True, False, True]))
    with pytest.raises(SpecError, match="the quiet mask has 2 rows but the targets have 3"):
        case_control(y, 0.5, 0, quiet=np.array([True, False]), quiet_share=0.1)
    with pytest.raises(SpecError, match="quiet negative share 0 must be in"):
        case_control(y, 0.5, 0, quiet=np.array([True, False, True]), quiet_share=0)
