"""Area risk: the independence score, a calibration that only learns from outcomes already known,
and a stored map that reproduces the fitted one."""

import numpy as np
import pandas as pd
import pytest
from sklearn.isotonic import IsotonicRegression

from sahelrisk.evaluation.areas import (
    METHODS,
    MIN_POSITIVES,
    AreaCalibration,
    calibrate_in_backtest,
    fit_area_calibration,
)

TARGET = "target_any_fatal_4w"


def _rows(seed=0, weeks=60, areas=40):
    rng = np.random.default_rng(seed)
    week = np.repeat(pd.date_range("2021-01-04", periods=weeks, freq="7D"), areas)
    p = rng.uniform(0, 0.9, len(week))
    y = (rng.uniform(size=len(week)) < p * 0.5).astype(float)        # the score runs twice too high
    fold = [f"fold{i // 13:03d}" for i in range(weeks)]
    return pd.DataFrame({"unit_id": np.tile(np.arange(areas), weeks), "week": week, "fold": np.repeat(fold, areas),
                         "p_independent": p, TARGET: y})


@pytest.mark.parametrize("method", [m for m in METHODS if m != "none"])
def test_each_fold_is_calibrated_only_on_outcomes_known_before_it(method):
    rows = calibrate_in_backtest(_rows(), TARGET, horizon_weeks=4, method=method)
    first = rows[rows["fold"] == "fold000"]
    assert first["p_calibrated"].isna().all()                          # nothing known yet
    later = rows[rows["fold"] != "fold000"]
    assert later["p_calibrated"].notna().all()
    # the calibrated probability halves the overstated score, roughly
    assert abs(later["p_calibrated"].mean() - later[TARGET].mean()) < 0.03
    # changing outcomes of the last fold changes nothing before it: no leakage
    changed = _rows()
    changed.loc[changed["fold"] == "fold004", TARGET] = 1.0
    again = calibrate_in_backtest(changed, TARGET, horizon_weeks=4, method=method)
    before = rows["fold"] < "fold004"
    np.testing.assert_array_equal(again.loc[before, "p_calibrated"], rows.loc[before, "p_calibrated"])


def test_the_logistic_map_keeps_the_order_of_areas():
    rows = _rows(seed=5)
    probe = np.linspace(0.001, 0.999, 99)
    mapped = fit_area_calibration({"adm2": rows}, TARGET, "logistic").apply("adm2", probe)
    assert (np.diff(mapped) > 0).all()                                 # areas keep their order
    at_80 = fit_area_calibration({"adm2": rows}, TARGET, "logistic").apply("adm2", [0.8])[0]
    assert abs(at_80 - 0.4) < 0.06                                     # the score ran twice too high


def test_the_stored_map_reproduces_the_isotonic_fit():
    rows = _rows(seed=3)
    calibration = fit_area_calibration({"adm2": rows}, TARGET, "isotonic")
    fit = IsotonicRegression(y_min=0, y_max=1, out_of_bounds="clip").fit(rows["p_independent"], rows[TARGET])
    probe = np.linspace(-0.1, 1.1, 57)
    np.testing.assert_allclose(calibration.apply("adm2", probe), fit.predict(probe), atol=1e-5)
    assert calibration.apply("adm1", probe) is not None and np.allclose(calibration.apply("adm1", probe), probe)


def test_too_few_outcomes_leave_the_independence_score():
    rows = _rows()
    rows[TARGET] = 0.0
    rows.loc[rows.index[: MIN_POSITIVES - 1], TARGET] = 1.0
    assert fit_area_calibration({"adm2": rows}, TARGET).maps == {}
    assert AreaCalibration({}).apply("adm2", [0.3])[0] == 0.3


def test_none_keeps_the_independence_score():
    rows = calibrate_in_backtest(_rows(), TARGET, horizon_weeks=4, method="none")
    later = rows[rows["fold"] != "fold000"]
    np.testing.assert_array_equal(later["p_calibrated"], later["p_independent"])
    assert fit_area_calibration({"adm2": _rows()}, TARGET, "none").maps == {}
