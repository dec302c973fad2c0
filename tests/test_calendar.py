from datetime import date

import pandas as pd
import pytest

from sahelrisk.calendar import as_monday, last_full_week, parse_week, week_end, week_number, week_of, week_range
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
