"""Weeks: ISO weeks starting Monday; a week is named by its Monday's date.

An event belongs to the week of its ``date_start`` (an event spanning several days counts once,
in the week it began).
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd

from sahelrisk.errors import SpecError

__all__ = ["week_of", "week_range", "as_monday", "week_number", "EPOCH"]

# A Monday; week numbers count from it so any two weeks differ by an integer.
EPOCH = pd.Timestamp("1970-01-05")


def week_of(dates) -> pd.Series | pd.Timestamp:
    """The Monday of each date's week (time of day dropped)."""
    if isinstance(dates, (pd.Timestamp, date)):
        ts = pd.Timestamp(dates).normalize()
        return ts - pd.Timedelta(days=ts.weekday())
    dates = pd.to_datetime(pd.Series(dates)).dt.normalize()
    return dates - pd.to_timedelta(dates.dt.day_of_week, unit="D")


def as_monday(value, name: str = "week") -> pd.Timestamp:
    """A date that must be a Monday, else a :class:`SpecError` naming the nearest Mondays."""
    ts = pd.Timestamp(value).normalize()
    if ts.weekday() != 0:
        before = week_of(ts)
        raise SpecError(f"{name} {ts.date()} is a {ts.day_name()}; weeks are named by their Monday: use "
                          f"{before.date()} or {(before + pd.Timedelta(weeks=1)).date()}")
    return ts


def week_range(start, end) -> pd.DatetimeIndex:
    """Mondays from the week of ``start`` to the week of ``end``, inclusive."""
    first, last = week_of(pd.Timestamp(start)), week_of(pd.Timestamp(end))
    if last < first:
        raise SpecError(f"end {pd.Timestamp(end).date()} is before start {pd.Timestamp(start).date()}")
    return pd.date_range(first, last, freq="7D")


def week_number(weeks) -> np.ndarray:
    """Integer week count since :data:`EPOCH` (for array indexing)."""
    weeks = pd.to_datetime(pd.Series(weeks))
    return ((weeks - EPOCH).dt.days // 7).to_numpy(dtype=np.int64)
