"""Careless calls of the Python API, generated: every one ends in the project's error naming what
was wrong (or in an answer), never in a raw exception. The model store and the data folders here
are empty, so a call whose arguments pass goes as far as the missing model or data, which is one
more of the project's errors."""

import math
from datetime import date, datetime, timezone
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sahelrisk
from sahelrisk.errors import SahelriskError

pytestmark = pytest.mark.slow

ANYTHING = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6), st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12), st.sampled_from(["2023-12-25", "05/06/2023", "MLI", "MLI,BFA", "grid", "champion", "", " ",
                                           "latest", "../..", "four", "1e309"]),
    st.just(Path("nowhere")), st.just(date(2023, 12, 25)), st.just(datetime(2023, 12, 25, tzinfo=timezone.utc)),
    st.just(pd.Timestamp("2023-12-25", tz="UTC")), st.lists(st.text(max_size=5), max_size=3),
    st.just(math.inf), st.just(object()))

CALLS = {
    "score": lambda week, x, y, where: sahelrisk.score(week, horizon_weeks=x, units=y, mlruns=where / "mlruns",
                                                       data_dir=where / "data"),
    "site_risk": lambda week, x, y, where: sahelrisk.site_risk(week, sites=y, radius_km=x, mlruns=where / "mlruns",
                                                               data_dir=where / "data"),
    "route_risk": lambda week, x, y, where: sahelrisk.route_risk(y, week, buffer_km=x, alternatives=x,
                                                                 mlruns=where / "mlruns", data_dir=where / "data"),
    "load_events": lambda week, x, y, where: sahelrisk.load_events(sahelrisk.load_catalog(), where / "data", as_of=week,
                                                                   countries=y),
    "verify": lambda week, x, y, where: sahelrisk.verify(y if isinstance(y, (str, Path)) else where, check_only=True),
}


@pytest.mark.parametrize("name", sorted(CALLS))
@settings(max_examples=60, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(week=ANYTHING, x=ANYTHING, y=ANYTHING)
def test_a_careless_call_is_the_projects_error_or_an_answer(name, week, x, y, tmp_path):
    try:
        CALLS[name](week, x, y, tmp_path)
    except SahelriskError as e:
        assert str(e) and "\n" not in str(e).strip()          # one line, saying what was wrong
