"""The latest IDP figure known each week, and its age, whatever week the window starts."""

import numpy as np
import pandas as pd

from sahelrisk.features.displacement import latest_known


def test_figures_before_the_window_keep_their_true_age_and_the_latest_wins():
    figures = pd.DataFrame({"area": ["MLI", "MLI", "MLI"],
                            "reference_date": pd.to_datetime(["2019-12-31", "2018-12-31", "2020-03-04"]),
                            "idps": [250.0, 100.0, 300.0], "_order": [0, 0, 0]})
    history = pd.date_range("2020-01-06", periods=12, freq="7D")
    values, age = latest_known(figures, ["MLI"], history, lag=0)
    # 2019-12-31 is in the week of 2019-12-30: one week before the window, the later of the two early figures
    assert values[0, 0] == 250.0 and age[0, 0] == 1
    assert values[0, 7] == 250.0 and age[0, 7] == 8
    assert values[0, 8] == 300.0 and age[0, 8] == 0     # 2020-03-04 is in the week of 2020-03-02
    later = latest_known(figures, ["MLI"], history[4:], lag=0)
    np.testing.assert_array_equal(later[0], values[:, 4:])
    np.testing.assert_array_equal(later[1], age[:, 4:])


def test_a_figure_after_the_window_is_not_known_in_it():
    figures = pd.DataFrame({"area": ["MLI"], "reference_date": pd.to_datetime(["2021-01-01"]), "idps": [5.0],
                            "_order": [0]})
    values, age = latest_known(figures, ["MLI"], pd.date_range("2020-01-06", periods=4, freq="7D"), lag=0)
    assert np.isnan(values).all() and np.isnan(age).all()
