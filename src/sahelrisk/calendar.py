"""Weeks: ISO weeks starting Monday; a week is named by its Monday's date.

An event belongs to the week of its ``date_start`` (an event spanning several days counts once,
in the week it began).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sahelrisk.errors import SpecError

__all__ = ["week_of", "parse_date", "parse_week", "week_end", "last_full_week", "week_range", "as_monday", "week_number", "EPOCH"]

# A Monday; week numbers count from it so any two weeks differ by an integer.
EPOCH = pd.Timestamp("1970-01-05")


def week_of(dates: object) -> pd.Series | pd.Timestamp:
    """The Monday of each date's week (time of day dropped); vectorised over a series of dates."""
    if isinstance(dates, (pd.Timestamp, date)):
        ts = pd.Timestamp(dates).normalize()
        return ts - pd.Timedelta(days=ts.weekday())
    series = pd.to_datetime(pd.Series(dates)).dt.normalize()
    return series - pd.to_timedelta(series.dt.day_of_week, unit="D")


def parse_date(value: object, name: str = "date") -> pd.Timestamp:
    """A caller's date (``as_of``, ``data_end``, a week), or a :class:`SpecError` naming the argument.

    A number is refused rather than read as nanoseconds since 1970 (20231225 is not a day of 1969),
    and so is ``None`` or text that is not a date.
    """
    if value is None or isinstance(value, (bool, int, float, np.number)):
        raise SpecError(f"{name} {value!r} is not a date; use YYYY-MM-DD, e.g. 2023-12-25")
    try:
        ts = pd.Timestamp(value)
    except (ValueError, TypeError):
        raise SpecError(f"{name} {value!r} is not a date; use YYYY-MM-DD, e.g. 2023-12-25") from None
    if pd.isna(ts):
        raise SpecError(f"{name} {value!r} is not a date; use YYYY-MM-DD, e.g. 2023-12-25")
    return ts


def parse_week(value: object, name: str = "week") -> pd.Timestamp:
    """The Monday of the week holding ``value``: the one place a caller's week is read.

    Parameters
    ----------
    value : str, datetime.date or pandas.Timestamp
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
        ``value`` is missing, a number, or not a date (:func:`parse_date`).
    """
    return week_of(parse_date(value, name))


def week_end(week: object) -> pd.Timestamp:
    """The Sunday that closes the week holding ``week`` (the last day it covers)."""
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
