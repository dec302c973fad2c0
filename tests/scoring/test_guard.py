"""The data guard of scoring: a week is scored only where the located events cover it, and a
country whose feed went dark is refused, or flagged when the caller allows it."""

import pandas as pd
import pytest

from sahelrisk.errors import DataGapError
from sahelrisk.features.panel import PanelInputs
from sahelrisk.scoring.guard import check_week, coverage_gap


def _inputs(*spans):
    frames = []
    for country, start, end in spans:
        days = pd.date_range(start, end, freq="2D")
        frames.append(pd.DataFrame({"date_start": days, "has_location": True, "country_iso3": country,
                                    "source": "ucdp_ged"}))
    return PanelInputs(events=pd.concat(frames, ignore_index=True))


BOTH = _inputs(("MLI", "2019-01-01", "2023-12-31"), ("NER", "2019-01-01", "2023-12-31"))


def test_a_covered_week_passes_with_each_countrys_coverage():
    coverage = check_week(BOTH, pd.Timestamp("2023-12-25"), ["NER", "MLI"], reporting_lags={})
    assert [(c.country, c.stale) for c in coverage] == [("MLI", False), ("NER", False)]


@pytest.mark.parametrize("week, message", [
    ("2018-06-04", "before the event data starts"),
    ("2024-03-04", "after the located event data ends"),
])
def test_a_week_outside_the_located_events_is_refused(week, message):
    with pytest.raises(DataGapError, match=message):
        check_week(BOTH, pd.Timestamp(week), ["MLI", "NER"], reporting_lags={})


def test_a_hole_in_the_year_before_is_refused_rather_than_read_as_peace():
    holed = _inputs(("MLI", "2019-01-01", "2023-03-31"), ("MLI", "2023-09-01", "2023-12-31"))
    with pytest.raises(DataGapError, match="no located events from 2023-04-03 to 2023-08-21"):
        check_week(holed, pd.Timestamp("2023-12-25"), ["MLI"], reporting_lags={})
    assert coverage_gap(holed.events["date_start"], pd.Timestamp("2023-12-25")) == (
        pd.Timestamp("2023-04-03"), pd.Timestamp("2023-08-21"))


def test_a_stale_country_refuses_the_week_unless_allowed_then_it_is_flagged():
    dark = _inputs(("MLI", "2019-01-01", "2023-12-31"), ("NER", "2019-01-01", "2023-05-31"))
    with pytest.raises(DataGapError, match="NER: its located events stop"):
        check_week(dark, pd.Timestamp("2023-12-25"), ["MLI", "NER"], reporting_lags={})
    coverage = check_week(dark, pd.Timestamp("2023-12-25"), ["MLI", "NER"], reporting_lags={}, allow_stale=True)
    assert {c.country: c.stale for c in coverage} == {"MLI": False, "NER": True}
