"""Weeks: ISO weeks starting Monday; a week is named by its Monday's date.

An event belongs to the week of its ``date_start`` (an event spanning several days counts once,
in the week it began).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from typing import TypeAlias

import numpy as np
import pandas as pd

from sahelrisk.errors import SpecError

__all__ = ["Week", "DateLike", "RECENT_WEEKS", "week_of", "parse_date", "parse_week", "weeks_up_to", "events_in_weeks", "deadly_in_forecast", "forecast_period", "week_end", "last_full_week", "week_range", "as_monday", "week_number", "EPOCH"]

DateLike: TypeAlias = "str | date | pd.Timestamp | np.datetime64"
"""What a caller may pass for a date: ISO text, a ``datetime.date`` or a ``pandas.Timestamp``."""

# "Recent" events everywhere a planner reads them (maps, bulletin, routes, sites, feed health,
# the web app): the week forecast from and the three before it, 28 days.
RECENT_WEEKS = 4

# A Monday; week numbers count from it so any two weeks differ by an integer.
EPOCH = pd.Timestamp("1970-01-05")


def week_of(dates: object) -> pd.Series | pd.Timestamp:
    """The Monday of each date's week (time of day dropped); vectorised over a series of dates."""
    if isinstance(dates, Week):
        return dates.start
    if isinstance(dates, (pd.Timestamp, date)):
        ts = pd.Timestamp(dates).normalize()
        return ts - pd.Timedelta(days=ts.weekday())
    series = pd.to_datetime(pd.Series(dates)).dt.normalize()
    return series - pd.to_timedelta(series.dt.day_of_week, unit="D")


# ISO 8601 calendar dates only (a time of day may follow): the one form no reader can take for
# another. 05/06/2023 is 5 June to a French planner and 6 May to pandas, so it is refused.
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d+)?)?)?")
_SLASHED = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.](\d{4})")
_EXAMPLE = "use YYYY-MM-DD, e.g. 2023-12-25"


def _not_a_date(value: object, name: str) -> SpecError:
    """The one-line refusal; for a slashed date, its ISO spelling (day first, the French way)."""
    if isinstance(value, str) and (m := _SLASHED.fullmatch(value.strip())):
        first, second, year = (int(g) for g in m.groups())
        readings = [f"{year}-{mo:02d}-{d:02d}" for d, mo in ((first, second), (second, first)) if 1 <= mo <= 12 and 1 <= d <= 31]
        if len(set(readings)) > 1:
            return SpecError(f"{name} {value!r} can be read two ways ({readings[0]} day first, {readings[1]} "
                             f"month first); write it as YYYY-MM-DD, e.g. {readings[0]}")
        if readings:
            return SpecError(f"{name} {value!r} is not in YYYY-MM-DD form; write {readings[0]}")
    return SpecError(f"{name} {value!r} is not a date; {_EXAMPLE}")


def parse_date(value: object, name: str = "date") -> pd.Timestamp:
    """A caller's date (``as_of``, ``data_end``, a week), strictly, or a :class:`SpecError` naming it.

    The one date reader of the edges (CLI, Python API, web app). Text must be ISO 8601
    (``YYYY-MM-DD``, optionally with a time): ``05/06/2023`` is refused with its day-first ISO
    spelling, never read month-first. A number is refused rather than read as nanoseconds since
    1970, and so is ``None``, a date with a time zone (a week has none) and a missing value.

    Parameters
    ----------
    value : str, datetime.date, datetime.datetime, pandas.Timestamp or Week
        The date.
    name : str
        The argument's name, for the error message (``"--as-of"`` on the command line).

    Returns
    -------
    pandas.Timestamp
        The date, time zone free.

    Raises
    ------
    SpecError
        ``value`` is not a date in one of the forms above.
    """
    if isinstance(value, Week):
        return value.start
    if isinstance(value, str):
        if not _ISO_DATE.fullmatch(value.strip()):
            raise _not_a_date(value, name)
        value = value.strip()
    elif not isinstance(value, (date, pd.Timestamp, np.datetime64)):
        raise _not_a_date(value, name)
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError, OverflowError):
        raise _not_a_date(value, name) from None
    if pd.isna(ts):
        raise _not_a_date(value, name)
    if ts.tzinfo is not None:
        raise SpecError(f"{name} {value!r} has a time zone; weeks are calendar days: pass the date alone, "
                        f"e.g. {ts.date()}")
    return ts


@dataclass(frozen=True, order=True)
class Week:
    """A forecast week, named by its Monday: checked once at an edge, then trusted inward.

    Parameters
    ----------
    monday : datetime.date
        The week's Monday; any other day is an error naming the nearest Mondays (use
        :meth:`parse` to snap a day to its week).

    Examples
    --------
    >>> Week.parse("2023-12-27")
    Week(2023-12-25)
    >>> str(Week.parse("2023-12-25").end.date())
    '2023-12-31'
    """

    monday: date

    def __post_init__(self) -> None:
        if isinstance(self.monday, datetime) or not isinstance(self.monday, date):
            raise SpecError(f"Week takes a datetime.date, got {self.monday!r}; use Week.parse for text")
        as_monday(self.monday, "Week")

    @classmethod
    def parse(cls, value: object, name: str = "week") -> Week:
        """The week holding ``value`` (any of its days), read strictly as :func:`parse_date` reads.

        Parameters
        ----------
        value : str, datetime.date, pandas.Timestamp or Week
            Any day of the week, e.g. ``"2023-12-27"`` (a Wednesday) gives Monday 2023-12-25.
        name : str
            The argument's name, for the error message.

        Returns
        -------
        Week
            The week.
        """
        if isinstance(value, Week):
            return value
        return cls(week_of(parse_date(value, name)).date())

    @property
    def start(self) -> pd.Timestamp:
        """The Monday, at midnight."""
        return pd.Timestamp(self.monday)

    @property
    def end(self) -> pd.Timestamp:
        """The Sunday that closes the week (the last day it covers)."""
        return self.start + pd.Timedelta(days=6)

    def __str__(self) -> str:
        return self.monday.isoformat()

    def __repr__(self) -> str:
        return f"Week({self.monday.isoformat()})"


def parse_week(value: object, name: str = "week") -> pd.Timestamp:
    """The Monday of the week holding ``value``: the one place a caller's week is read.

    Parameters
    ----------
    value : str, datetime.date, pandas.Timestamp or Week
        Any day of the week, e.g. ``"2023-12-27"`` (a Wednesday) gives Monday 2023-12-25.
    name : str
        The argument's name, for the error message (``"--week"`` on the command line).

    Returns
    -------
    pandas.Timestamp
        The Monday, at midnight.

    Raises
    ------
    SpecError
        ``value`` is missing, a number, or not an ISO date (:func:`parse_date`).
    """
    return Week.parse(value, name).start


def weeks_up_to(week: object, weeks: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last day of the ``weeks`` whole weeks that end with ``week``'s Sunday.

    "The last 4 weeks" of a forecast from Monday 2023-12-25 are the 28 days from 2023-12-04 to
    2023-12-31: the week forecast from and the three before it, as the features saw them.

    Parameters
    ----------
    week : date-like or Week
        Any day of the last week.
    weeks : int
        How many weeks, at least 1.

    Returns
    -------
    tuple of pandas.Timestamp
        The first day (a Monday) and the last (a Sunday), both included.
    """
    if int(weeks) < 1:
        raise SpecError(f"weeks {weeks!r} must be at least 1")
    last = week_end(week)
    return last - pd.Timedelta(days=7 * int(weeks) - 1), last


def events_in_weeks(events: pd.DataFrame, week: object, weeks: int, *, located: bool = True) -> pd.DataFrame:
    """The events of the ``weeks`` whole weeks up to the end of ``week`` (:func:`weeks_up_to`).

    The one window behind "deadly events of the last N weeks" on maps, bulletins, routes, sites,
    feed health and the web app.

    Parameters
    ----------
    events : pandas.DataFrame
        Events with ``date_start`` (and ``has_location`` when ``located``).
    week : date-like or Week
        The week forecast from.
    weeks : int
        How many weeks.
    located : bool
        Keep only events with a location (those a map or a distance can use).

    Returns
    -------
    pandas.DataFrame
        The rows of ``events`` in the window, in their order.
    """
    first, last = weeks_up_to(week, weeks)
    dates = events["date_start"]
    keep = (dates >= first) & (dates < last + pd.Timedelta(days=1))   # the whole last day, whatever its time
    if located:
        keep &= events["has_location"].astype(bool)
    return events[keep.to_numpy()]


def deadly_in_forecast(events: pd.DataFrame, week: object, horizon_weeks: int) -> pd.DataFrame:
    """The located events with a death in the days a forecast from ``week`` covers
    (:func:`forecast_period`): what the forecast is checked against, in the track record and in a
    place's history."""
    first, last = forecast_period(week, horizon_weeks)
    dates = events["date_start"]
    keep = ((dates >= first) & (dates < last + pd.Timedelta(days=1)) & events["has_location"].astype(bool)
            & (events["fatalities_best"] >= 1))
    return events[keep.to_numpy()]


def forecast_period(week: object, horizon_weeks: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """The first and last day a forecast from ``week`` covers: the ``horizon_weeks`` weeks after it.

    Parameters
    ----------
    week : date-like or Week
        The week forecast from.
    horizon_weeks : int
        The model's horizon.

    Returns
    -------
    tuple of pandas.Timestamp
        The next Monday and the Sunday ``horizon_weeks`` weeks on, both included.
    """
    monday = week_of(pd.Timestamp(week.start if isinstance(week, Week) else week))
    return monday + pd.Timedelta(weeks=1), week_end(monday + pd.Timedelta(weeks=int(horizon_weeks)))


def week_end(week: object) -> pd.Timestamp:
    """The Sunday that closes the week holding ``week`` (the last day it covers)."""
    if isinstance(week, Week):
        return week.end
    return week_of(pd.Timestamp(week)) + pd.Timedelta(days=6)


def last_full_week(data_end: object) -> pd.Timestamp:
    """The last week (Monday) whose Sunday the data reaches: ``week_end(w) <= data_end``."""
    end = pd.Timestamp(data_end).normalize()
    monday = week_of(end)
    return monday if week_end(monday) <= end else monday - pd.Timedelta(weeks=1)


def as_monday(value: object, name: str = "week") -> pd.Timestamp:
    """A date that must be a Monday, else a :class:`SpecError` naming the nearest Mondays."""
    ts = pd.Timestamp(value).normalize()
    if ts.weekday() != 0:
        before = week_of(ts)
        raise SpecError(f"{name} {ts.date()} is a {ts.day_name()}; weeks are named by their Monday: use "
                          f"{before.date()} or {(before + pd.Timedelta(weeks=1)).date()}")
    return ts


def week_range(start: object, end: object) -> pd.DatetimeIndex:
    """Mondays from the week of ``start`` to the week of ``end``, inclusive."""
    first, last = week_of(pd.Timestamp(start)), week_of(pd.Timestamp(end))
    if last < first:
        raise SpecError(f"end {pd.Timestamp(end).date()} is before start {pd.Timestamp(start).date()}")
    return pd.date_range(first, last, freq="7D")


def week_number(weeks: object) -> np.ndarray:
    """Integer week count since :data:`EPOCH` (for array indexing)."""
    weeks = pd.to_datetime(pd.Series(weeks))
    return ((weeks - EPOCH).dt.days // 7).to_numpy(dtype=np.int64)
