"""The data window of a run is decided in one place: the caller's dates, else the located events."""

from datetime import date

import pandas as pd
import pytest

from sahelrisk.data.window import DataWindow, find_window, resolve_window
from sahelrisk.errors import DataGapError


def _events(start, end, country="MLI"):
    days = pd.date_range(start, end, freq="D")
    return pd.DataFrame({"date_start": days, "has_location": True, "country_iso3": country})


def test_given_dates_are_taken_as_they_are():
    window = resolve_window(_events("2021-01-04", "2021-01-10"), ["MLI"], as_of=date(2023, 12, 31),
                            data_end=date(2023, 12, 24))
    assert window == DataWindow(date(2023, 12, 31), date(2023, 12, 24), "given")
    assert window.week == pd.Timestamp("2023-12-18") and window.describe().endswith("2023-12-24")


def test_without_dates_the_window_ends_with_the_last_full_week_of_located_events():
    window = resolve_window(_events("2021-01-04", "2023-12-27"), ["MLI"])
    assert (window.as_of, window.data_end, window.week) == (date(2023, 12, 31), date(2023, 12, 31),
                                                            pd.Timestamp("2023-12-25"))
    assert "run without a hole" in window.reason and window.reason in window.describe()


def test_a_cut_off_alone_caps_the_events_the_data_end_is_read_from():
    window = resolve_window(_events("2021-01-04", "2023-12-27"), ["MLI"], as_of=date(2023, 6, 30))
    assert window.as_of == date(2023, 6, 30) and window.data_end == date(2023, 6, 25)


def test_a_reporting_lag_moves_the_data_end_back():
    window = resolve_window(_events("2021-01-04", "2023-12-27"), ["MLI"], reporting_lag_weeks=2)
    assert window.data_end == date(2023, 12, 17)


def test_only_the_countries_asked_for_decide_the_window():
    events = pd.concat([_events("2021-01-04", "2023-12-27"), _events("2021-01-04", "2022-12-28", "NER")])
    assert resolve_window(events, ["NER"]).data_end == date(2023, 1, 1)
    with pytest.raises(DataGapError, match="no located event for BEN"):
        resolve_window(events, ["BEN"])


@pytest.mark.slow
def test_the_real_data_supports_the_end_of_2023(real_data, catalog):
    window = find_window(catalog, real_data, ["MLI", "BFA", "NER"])
    assert window.data_end == date(2023, 12, 31) and window.week == pd.Timestamp("2023-12-25")
    assert "follow a hole" in window.reason   # the 2026 Candidate rows are too short a stretch
