"""What the data supports is read from the located events: the default data_end and latest week."""

import pandas as pd
import pytest

from sahelrisk.data.extent import data_extent
from sahelrisk.errors import DataGapError


def _events(*spans, country="MLI", located=True):
    days = pd.DatetimeIndex([])
    for start, end in spans:
        days = days.append(pd.date_range(start, end, freq="D"))
    return pd.DataFrame({"date_start": days, "has_location": located, "country_iso3": country})


def test_data_end_is_the_sunday_of_the_last_event_week():
    extent = data_extent(_events(("2021-01-04", "2023-12-27")), ["MLI"])
    assert extent.last_week == pd.Timestamp("2023-12-25") and str(extent.data_end) == "2023-12-31"
    assert extent.as_of == extent.data_end


def test_a_short_stretch_after_a_hole_is_not_enough_and_the_reason_says_so():
    extent = data_extent(_events(("2021-01-04", "2023-12-27"), ("2026-01-05", "2026-06-30")), ["MLI"])
    assert extent.last_week == pd.Timestamp("2023-12-25")
    assert "from 2026-01-05 on follow a hole" in extent.reason


def test_a_long_enough_recent_stretch_is_used():
    extent = data_extent(_events(("2019-01-07", "2020-12-27"), ("2022-01-03", "2023-06-30")), ["MLI"])
    assert extent.first_week == pd.Timestamp("2022-01-03") and extent.last_week == pd.Timestamp("2023-06-26")


def test_reporting_lag_drops_the_last_weeks():
    extent = data_extent(_events(("2021-01-04", "2023-12-27")), ["MLI"], reporting_lag_weeks=3)
    assert extent.last_week == pd.Timestamp("2023-12-04") and "reporting lag of 3 weeks" in extent.reason


@pytest.mark.parametrize("events, countries", [
    (_events(("2021-01-04", "2023-12-27"), located=False), ["MLI"]),
    (_events(("2021-01-04", "2023-12-27"), country="NER"), ["MLI"]),
    (_events(("2023-01-02", "2023-06-30")), ["MLI"]),
])
def test_no_usable_stretch_is_a_data_gap_error(events, countries):
    with pytest.raises(DataGapError):
        data_extent(events, countries)


def test_the_shipped_data_supports_up_to_the_last_week_of_2023(real_events):
    extent = data_extent(real_events.table, ["MLI", "BFA", "NER"])
    assert str(extent.data_end) == "2023-12-31" and extent.last_week == pd.Timestamp("2023-12-25")
    assert "follow a hole" in extent.reason  # the 2026 Candidate events are too few weeks to forecast from


def test_a_source_that_reports_late_covers_fewer_weeks():
    from sahelrisk.data.extent import country_coverage
    days = pd.date_range("2021-01-04", "2023-12-27", freq="D")
    ev = pd.DataFrame({"date_start": days, "has_location": True, "country_iso3": "MLI", "source": "acled"})
    on_time = country_coverage(ev, ["MLI"], "2023-12-25")[0]
    late = country_coverage(ev, ["MLI"], "2023-12-25", lag_weeks={"acled": 3}, max_quiet_weeks=2)[0]
    assert not on_time.stale and str(on_time.last_event) == "2023-12-25"
    assert late.stale and str(late.last_event) == "2023-12-04" and "3 weeks before" in late.reason


def test_the_catalog_declares_each_sources_reporting_lag(catalog):
    lags = catalog.reporting_lags()
    assert lags["acled"] == 1 and lags["ucdp_ged"] == 0 and lags["ucdp_candidate"] == 0


def test_a_long_quiet_country_is_at_peace_and_a_violent_one_that_stops_is_stale():
    from sahelrisk.data.extent import country_coverage
    rare = pd.DataFrame({"date_start": pd.to_datetime(["1998-06-01", "1999-03-01", "2000-04-10"]),
                         "has_location": True, "country_iso3": "GNB"})
    busy = pd.DataFrame({"date_start": pd.date_range("2012-01-02", "2023-05-01", freq="7D"), "has_location": True,
                         "country_iso3": "MLI"})
    gnb, mli = country_coverage(pd.concat([rare, busy]), ["GNB", "MLI"], "2023-12-25")
    assert not gnb.stale and "its silence reads as peace" in gnb.reason and str(gnb.last_event) == "2000-04-10"
    assert mli.stale and "its located events stop in the week of 2023-05-01" in mli.reason
