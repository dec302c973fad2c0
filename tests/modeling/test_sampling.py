"""Case-control sampling: every positive, a share of negatives, weights that undo the draw."""

import numpy as np
import pytest

from sahelrisk.errors import SpecError
from sahelrisk.modeling.sampling import case_control


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
