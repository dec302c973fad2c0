"""The data window of a run: the cut-off (``as_of``), the last day the data covers (``data_end``)
and so the week forecast from, decided in one place from the caller's dates or the events.

Every entry point (``sahelrisk run``, ``score``, ``weekly``, the Python API) resolves its window
here, so a replay with the same dates sees the same data.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import pandas as pd

from sahelrisk.calendar import last_full_week, week_end
from sahelrisk.data.catalog import Catalog
from sahelrisk.data.extent import data_extent
from sahelrisk.data.sources import load_events
from sahelrisk.data.sources.held import NO_CUTOFF

__all__ = ["DataWindow", "resolve_window", "find_window", "GIVEN"]

GIVEN = "given"


@dataclass(frozen=True)
class DataWindow:
    """What a run may read and what it forecasts from.

    Attributes
    ----------
    as_of : datetime.date
        The data cut-off: rows dated later are not used.
    data_end : datetime.date
        The last day the data covers: targets after it are unobserved.
    reason : str
        Why that ``data_end``: ``"given"`` by the caller, else a sentence on the located events.
    """

    as_of: date
    data_end: date
    reason: str

    @property
    def week(self) -> pd.Timestamp:
        """The latest week (Monday) a forecast can be made from: the last full week of data."""
        return last_full_week(self.data_end)

    def describe(self) -> str:
        """One line for a log: the dates and, when derived from the data, why."""
        line = f"data as of {self.as_of}, covering up to {self.data_end}"
        return line if self.reason == GIVEN else f"{line}: {self.reason}"


def resolve_window(events: pd.DataFrame, countries: Iterable[str], *, reporting_lag_weeks: int = 0,
                   as_of: date | None = None, data_end: date | None = None) -> DataWindow:
    """The caller's dates, else what the located events of ``countries`` support.

    Parameters
    ----------
    events : pandas.DataFrame
        The canonical events table (any cut-off: ``as_of`` is applied here).
    countries : iterable of str
        ISO3 codes whose located events decide the window.
    reporting_lag_weeks : int
        Weeks at the end of the data taken as not yet fully reported.
    as_of, data_end : datetime.date, optional
        The caller's cut-off and data end. ``as_of`` alone caps the data (``data_end`` is then
        derived from the events known on it); ``data_end`` alone sets the cut-off to it.

    Returns
    -------
    DataWindow

    Raises
    ------
    DataGapError
        The located events have no stretch long enough to forecast from.
    """
    if as_of is not None and data_end is not None:
        return DataWindow(as_of, data_end, GIVEN)
    if as_of is not None:
        events = events[events["date_start"] <= pd.Timestamp(as_of)]
    extent = data_extent(events, countries, reporting_lag_weeks=reporting_lag_weeks)
    end = data_end or extent.data_end
    if as_of is not None and data_end is None:
        # A week cut short by the cut-off is not a week of data: its quiet days are unknown, not calm.
        end = min(end, week_end(last_full_week(as_of)).date())
    return DataWindow(as_of or end, end, extent.reason)


def find_window(catalog: Catalog, data_dir: Path, countries: Iterable[str], *, reporting_lag_weeks: int = 0,
                as_of: date | None = None, data_end: date | None = None) -> DataWindow:
    """:func:`resolve_window` on the events of the data directory (loaded only when needed)."""
    if as_of is not None and data_end is not None:
        return DataWindow(as_of, data_end, GIVEN)
    # Without a cut-off the events show what the data supports; the cut-off is applied after.
    events = load_events(catalog, data_dir, as_of=as_of or NO_CUTOFF).table
    return resolve_window(events, countries, reporting_lag_weeks=reporting_lag_weeks, as_of=as_of,
                          data_end=data_end)
