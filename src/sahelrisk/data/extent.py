"""What the loaded data supports: the last day it covers (``data_end``) and the latest week a
forecast can be made from, read from the located events themselves, never from a committed date.

The event data may hold holes (here: no located rows for 2024-2025) and a short recent stretch
after one (the 2026 Candidate releases). Features read a hole as peace, so the data supports only
weeks with a full look-back of located events and no quiet stretch longer than a source can have.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from sahelrisk.calendar import DateLike, parse_week, week_end, week_of
from sahelrisk.errors import DataGapError

__all__ = ["DataExtent", "data_extent", "CountryCoverage", "country_coverage", "LOOKBACK_WEEKS", "MAX_QUIET_WEEKS"]

LOOKBACK_WEEKS = 52      # a scored week needs a year of located events before it
MAX_QUIET_WEEKS = 13     # longer without a single located event in the whole region is a hole, not peace
HISTORY_YEARS = 10       # a country's usual rate of events: the year to the week and the nine before


@dataclass(frozen=True)
class DataExtent:
    """The span of weeks the located events support.

    Attributes
    ----------
    data_end : date
        The last day (a Sunday) of the last week the data covers, reporting lag removed: targets
        after it are unobserved, and it is the default ``as_of`` (the data cut-off).
    last_week : pandas.Timestamp
        The Monday of that week: the latest ``week`` a forecast can be made from.
    first_week : pandas.Timestamp
        The first week of the contiguous stretch that ends at ``last_week``.
    reason : str
        Why that week, in one sentence (printed by ``sahelrisk run``).
    """

    data_end: date
    last_week: pd.Timestamp
    first_week: pd.Timestamp
    reason: str

    @property
    def as_of(self) -> date:
        """The default data cut-off: the last day the data covers."""
        return self.data_end


def data_extent(events: pd.DataFrame, countries: Iterable[str], *, reporting_lag_weeks: int = 0,
                lookback_weeks: int = LOOKBACK_WEEKS, max_quiet_weeks: int = MAX_QUIET_WEEKS) -> DataExtent:
    """The latest stretch of located events in ``countries`` long enough to forecast from.

    Parameters
    ----------
    events : pandas.DataFrame
        The canonical event table (``date_start``, ``has_location``, ``country_iso3``).
    countries : iterable of str
        ISO3 codes in scope.
    reporting_lag_weeks : int
        Weeks a source takes to report: the last ones are not yet complete and are dropped.
    lookback_weeks : int
        How many weeks of located events a forecast week needs before it.
    max_quiet_weeks : int
        A longer run of weeks without any located event splits the data into stretches.

    Returns
    -------
    DataExtent

    Raises
    ------
    DataGapError
        No stretch of located events is long enough.

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.date_range("2022-01-03", "2023-12-31", freq="3D")
    >>> ev = pd.DataFrame({"date_start": days, "has_location": True, "country_iso3": "MLI"})
    >>> str(data_extent(ev, ["MLI"]).data_end)
    '2023-12-31'
    """
    countries = sorted(countries)
    located = events[events["has_location"] & events["country_iso3"].isin(countries)]
    if located.empty:
        raise DataGapError(f"no located event for {', '.join(countries)} in the event data; "
                           "run 'sahelrisk data fetch' or check the events files")
    weeks = pd.DatetimeIndex(week_of(located["date_start"]).unique()).sort_values()
    steps = np.asarray((weeks[1:] - weeks[:-1]) / pd.Timedelta(weeks=1))
    breaks = np.flatnonzero(steps > max_quiet_weeks + 1)
    starts = np.concatenate([[0], breaks + 1])
    ends = np.concatenate([breaks, [len(weeks) - 1]])
    lag = pd.Timedelta(weeks=reporting_lag_weeks)
    for i in range(len(starts) - 1, -1, -1):
        first, last = weeks[starts[i]], weeks[ends[i]] - lag
        if (last - first).days // 7 + 1 >= lookback_weeks:
            reason = (f"the located events of {', '.join(countries)} run without a hole from {first.date()} to "
                      f"the week of {last.date()}")
            if reporting_lag_weeks:
                reason += f" (less a reporting lag of {reporting_lag_weeks} weeks)"
            if i < len(starts) - 1:
                later = weeks[starts[i + 1]]
                reason += (f"; the later events from {later.date()} on follow a hole of "
                           f"{(later - weeks[ends[i]]).days // 7 - 1} weeks and are fewer than the "
                           f"{lookback_weeks} weeks a forecast needs")
            return DataExtent(data_end=week_end(last).date(), last_week=last, first_week=first,
                              reason=reason)
    raise DataGapError(f"the located events of {', '.join(countries)} have no stretch of {lookback_weeks} weeks "
                       f"without a hole of more than {max_quiet_weeks} weeks; add event data for the gaps")


@dataclass(frozen=True)
class CountryCoverage:
    """Whether one country's located events still cover a week.

    Attributes
    ----------
    country : str
    last_event : date or None
        The latest located event on or before the week.
    events_last_year : int
        Located events in the 52 weeks up to the week.
    expected : float
        The mean of the three 52-week windows before that (what its own history makes expected).
    stale : bool
        True when the events stop more than ``max_quiet_weeks`` before the week in a country whose
        previous nine years held at least ``min_expected`` a year (a quieter country's silence is
        peace), or fall below a quarter of what is expected: the country would read as calm when
        its data went dark.
    reason : str
    """

    country: str
    last_event: date | None
    events_last_year: int
    expected: float
    stale: bool
    reason: str


def country_coverage(events: pd.DataFrame, countries: Iterable[str], week: DateLike, *, max_quiet_weeks: int = MAX_QUIET_WEEKS,
                     low_share: float = 0.25, min_expected: float = 8.0,
                     lag_weeks: dict[str, int] | None = None) -> list[CountryCoverage]:
    """Per country: do its located events cover the weeks up to ``week``?

    Parameters
    ----------
    events : pandas.DataFrame
        The canonical event table.
    countries : iterable of str
        ISO3 codes to check.
    week : date-like
        The week forecast from (or the last week the data covers).
    max_quiet_weeks : int
        Longer without a located event is a stop, not peace, in a country whose previous nine
        years averaged at least ``min_expected`` located events a year.
    low_share : float
        A last year with fewer than this share of the expected events is a country gone dark...
    min_expected : float
        ...when at least this many were expected (and the rate a year below which a long silence
        is a quiet country's peace).
    lag_weeks : dict, optional
        Each source's declared reporting lag (``source`` value -> weeks, from the catalog's
        ``reporting_lag_weeks``): the last weeks of a source that reports late are not yet complete,
        so a country's coverage ends that many weeks before its latest event from that source.

    Returns
    -------
    list of CountryCoverage

    Examples
    --------
    >>> import pandas as pd
    >>> days = pd.date_range("2020-01-06", "2023-06-30", freq="5D")
    >>> ev = pd.DataFrame({"date_start": days, "has_location": True, "country_iso3": "MLI"})
    >>> country_coverage(ev, ["MLI"], "2023-12-25")[0].stale
    True
    """
    week = parse_week(week)
    located = events[events["has_location"]]
    weeks = week_of(located["date_start"])
    out = []
    for country in sorted(countries):
        mine = weeks[(located["country_iso3"] == country).to_numpy() & (weeks <= week).to_numpy()]
        windows = [int(((mine > week - pd.Timedelta(weeks=52 * (k + 1))) & (mine <= week - pd.Timedelta(weeks=52 * k))).sum())
                   for k in range(HISTORY_YEARS)]
        recent, expected = windows[0], float(np.mean(windows[1:4]))
        usual = float(np.mean(windows[1:]))    # located events a year over the nine years before
        if mine.empty:
            out.append(CountryCoverage(country, None, 0, expected, True,
                                       f"{country}: no located event on or before the week of {week.date()}"))
            continue
        last = _covered_until(located, weeks, country, week, lag_weeks or {})
        quiet = (week - last).days // 7
        if quiet > max_quiet_weeks and usual < min_expected:
            # A country that has long been quiet (Guinea-Bissau, Senegal) is at peace, not dark: the
            # silence is what its own history makes likely.
            reason = (f"{country}: quiet, {recent} located events in the 52 weeks to {week.date()} and {usual:.1f} a "
                      f"year over the nine years before (last {last.date()}); its silence reads as peace")
            stale = False
        elif quiet > max_quiet_weeks:
            reason = (f"{country}: its located events stop in the week of {last.date()}, {quiet} weeks before the "
                      f"week of {week.date()}; its risk would read as calm")
            stale = True
        elif expected >= min_expected and recent < low_share * expected:
            reason = (f"{country}: only {recent} located events in the 52 weeks to {week.date()}, against "
                      f"{expected:.0f} a year before; its data looks incomplete")
            stale = True
        else:
            reason = f"{country}: {recent} located events in the 52 weeks to {week.date()} (last {last.date()})"
            stale = False
        out.append(CountryCoverage(country, last.date(), recent, expected, stale, reason))
    return out


def _covered_until(located: pd.DataFrame, weeks: pd.Series, country: str, week: DateLike, lag_weeks: dict) -> pd.Timestamp:
    """The latest week a country's events are complete to: per source, its last event week less its lag."""
    mine = (located["country_iso3"] == country).to_numpy() & (weeks <= week).to_numpy()
    sources = located["source"].to_numpy() if "source" in located else np.full(len(located), "")
    ends = [w.max() - pd.Timedelta(weeks=int(lag_weeks.get(source, 0)))
            for source, w in weeks[mine].groupby(sources[mine])]
    return max(ends)
