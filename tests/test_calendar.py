import re
from datetime import date

import pandas as pd
import pytest

from sahelrisk.calendar import (
    Week,
    as_monday,
    events_in_weeks,
    forecast_period,
    last_full_week,
    parse_date,
    parse_week,
    week_end,
    week_number,
    week_of,
    week_range,
    weeks_up_to,
)
from sahelrisk.errors import SpecError


def test_week_of_is_the_monday_of_the_iso_week():
    days = pd.Series([pd.Timestamp("2023-12-25"), pd.Timestamp("2023-12-31 23:59"), pd.Timestamp("2024-01-01"),
                       pd.Timestamp("2022-02-08")])
    assert week_of(days).dt.strftime("%Y-%m-%d").tolist() == ["2023-12-25", "2023-12-25", "2024-01-01", "2022-02-07"]
    assert (week_of(days).dt.day_of_week == 0).all()


def test_week_range_is_inclusive_and_weekly():
    weeks = week_range("2023-12-20", "2024-01-10")
    assert [w.strftime("%Y-%m-%d") for w in weeks] == ["2023-12-18", "2023-12-25", "2024-01-01", "2024-01-08"]
    with pytest.raises(SpecError, match="before start"):
        week_range("2024-01-10", "2023-01-01")


def test_as_monday_names_the_nearest_mondays():
    assert as_monday("2023-12-25") == pd.Timestamp("2023-12-25")
    with pytest.raises(SpecError, match="2023-12-27 is a Wednesday.*2023-12-25 or 2024-01-01"):
        as_monday("2023-12-27")


def test_week_numbers_differ_by_one_per_week():
    numbers = week_number(week_range("2020-01-06", "2020-02-03"))
    assert numbers[0] == (pd.Timestamp("2020-01-06") - pd.Timestamp("1970-01-05")).days // 7
    assert list(numbers - numbers[0]) == [0, 1, 2, 3, 4]


@pytest.mark.parametrize("day", ["2023-12-25", "2023-12-27", "2023-12-31", date(2023, 12, 29),
                                 pd.Timestamp("2023-12-31 23:59")])
def test_parse_week_snaps_any_day_to_its_monday(day):
    assert parse_week(day) == pd.Timestamp("2023-12-25")


@pytest.mark.parametrize("value", [20231225, 2023.5, None, True, "2023-13-45", "next week", ""])
def test_parse_week_refuses_what_is_not_a_date_naming_the_argument(value):
    with pytest.raises(SpecError, match=r"--week .* is not a date"):
        parse_week(value, "--week")


def test_week_end_is_the_sunday_of_the_week():
    assert week_end("2023-12-25") == pd.Timestamp("2023-12-31")
    assert week_end("2023-12-28") == pd.Timestamp("2023-12-31")
    assert week_end(pd.Timestamp("2023-12-31")) == pd.Timestamp("2023-12-31")


@pytest.mark.parametrize("data_end, last", [("2023-12-31", "2023-12-25"), ("2023-12-30", "2023-12-18"),
                                            ("2024-01-01", "2023-12-25"), ("2024-01-07", "2024-01-01")])
def test_last_full_week_is_the_last_monday_whose_sunday_the_data_reaches(data_end, last):
    week = last_full_week(data_end)
    assert week == pd.Timestamp(last) and week_end(week) <= pd.Timestamp(data_end)
    assert week_end(week + pd.Timedelta(weeks=1)) > pd.Timestamp(data_end)


@pytest.mark.parametrize("text, fix", [("05/06/2023", "2023-06-05 day first, 2023-05-06 month first"),
                                       ("25/12/2023", "write 2023-12-25"), ("25.12.2023", "write 2023-12-25")])
def test_a_slashed_date_is_refused_with_its_iso_spelling_never_read_month_first(text, fix):
    with pytest.raises(SpecError, match=f"--week '{re.escape(text)}'.*{fix}"):
        parse_week(text, "--week")
    with pytest.raises(SpecError, match="as_of"):
        parse_date(text, "as_of")


@pytest.mark.parametrize("text", ["20231225", "2023-W52-1", "Dec 25 2023", "2023/12/25", "2023-12-25+01:00"])
def test_only_iso_calendar_dates_are_read(text):
    with pytest.raises(SpecError, match="YYYY-MM-DD"):
        parse_date(text, "--as-of")


def test_a_date_with_a_time_zone_is_refused():
    with pytest.raises(SpecError, match="time zone"):
        parse_date(pd.Timestamp("2023-12-25", tz="UTC"), "week")


def test_iso_dates_and_times_are_read():
    assert parse_date(" 2023-12-25 ") == pd.Timestamp("2023-12-25")
    assert parse_date("2023-12-25T10:30:00") == pd.Timestamp("2023-12-25 10:30")


def test_week_is_a_validated_monday_that_parses_once():
    week = Week.parse("2023-12-27")
    assert week == Week(date(2023, 12, 25)) and str(week) == "2023-12-25"
    assert week.end == pd.Timestamp("2023-12-31") and Week.parse(week) is week
    assert parse_week(week) == pd.Timestamp("2023-12-25") and week_end(week) == week.end
    with pytest.raises(SpecError, match="Wednesday"):
        Week(date(2023, 12, 27))
    with pytest.raises(SpecError, match="Week.parse"):
        Week("2023-12-25")  # type: ignore[arg-type]


def test_the_last_four_weeks_are_28_days_ending_the_weeks_sunday():
    first, last = weeks_up_to("2023-12-25", 4)
    assert (first, last) == (pd.Timestamp("2023-12-04"), pd.Timestamp("2023-12-31"))
    assert (last - first).days + 1 == 28


def test_events_in_weeks_keeps_the_window_whole_and_only_located_rows():
    events = pd.DataFrame({"date_start": pd.to_datetime(["2023-12-03 00:00", "2023-12-04 00:00", "2023-12-31 23:00", "2024-01-01 00:00",
                                                         "2023-12-10 00:00"]),
                           "has_location": [True, True, True, True, False]})
    kept = events_in_weeks(events, "2023-12-25", 4)
    assert kept["date_start"].dt.strftime("%m-%d").tolist() == ["12-04", "12-31"]
    assert len(events_in_weeks(events, "2023-12-25", 4, located=False)) == 3


def test_forecast_period_is_the_horizon_after_the_week():
    assert forecast_period("2023-12-25", 4) == (pd.Timestamp("2024-01-01"), pd.Timestamp("2024-01-28"))
