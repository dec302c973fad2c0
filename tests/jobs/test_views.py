"""The ViEWS protocol run: window years are checked against what the data covers before any work."""

import pytest

from sahelrisk.errors import SpecError
from sahelrisk.jobs.views import FIRST_WINDOW_YEAR, parse_years


@pytest.mark.parametrize("text, years", [("2018-2023", (2018, 2023)), ("2020", (2020, 2020))])
def test_a_year_or_a_span_is_read(text, years):
    assert parse_years(text) == years


@pytest.mark.parametrize("text, message", [
    ("2018-20x", "write a year or a span"),
    ("twenty", "write a year or a span"),
    ("2023-2018", "ends before it starts"),
    ("1989-1995", f"the first window the data allows is {FIRST_WINDOW_YEAR}"),
])
def test_bad_years_are_the_users_error_naming_the_option(text, message):
    with pytest.raises(SpecError, match=f"--years '{text}': .*{message}"):
        parse_years(text)
