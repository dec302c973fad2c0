"""The data guard of scoring: a week is scored only where the located events cover it.

A hole in the event data (2024-2025 have no located UCDP rows here) would read as peace, and a
country whose feed went dark would be mapped as calm; both are refused, or flagged on request.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from sahelrisk.calendar import week_of
from sahelrisk.data.extent import CountryCoverage, country_coverage
from sahelrisk.errors import DataGapError
from sahelrisk.features.panel import PanelInputs

__all__ = ["check_week", "coverage_gap"]


def coverage_gap(dates: pd.Series, week: pd.Timestamp, lookback_weeks: int = 52,
                 max_quiet_weeks: int = 13) -> tuple[pd.Timestamp, pd.Timestamp] | None:
    """The longest stretch without a single located event (``dates``) before ``week``, if too long.

    A hole in the event data (2024-2025 have no located UCDP rows here) would read as peace.
    """
    weeks = week_of(dates)
    start = week - pd.Timedelta(weeks=lookback_weeks)
    present = pd.DatetimeIndex(weeks[(weeks > start) & (weeks <= week)].unique()).sort_values()
    edges = pd.DatetimeIndex([start, *present, week + pd.Timedelta(weeks=1)])
    gaps = (edges[1:] - edges[:-1]).days // 7 - 1
    i = int(np.argmax(gaps))
    if gaps[i] > max_quiet_weeks:
        return edges[i] + pd.Timedelta(weeks=1), edges[i + 1] - pd.Timedelta(weeks=1)
    return None



def check_week(inputs: PanelInputs, week: pd.Timestamp, countries: Iterable[str], *,
               reporting_lags: dict[str, int], allow_stale: bool = False) -> list[CountryCoverage]:
    """Refuse a week the data does not cover; return each country's coverage of it.

    Parameters
    ----------
    inputs : PanelInputs
        The data the week is scored from.
    week : pandas.Timestamp
        The Monday scored.
    countries : iterable of str
        The model's countries.
    reporting_lags : dict
        Each event source's reporting lag in weeks (:meth:`Catalog.reporting_lags`).
    allow_stale : bool
        A stale country refuses the week unless this is set: then it is flagged in the outputs.

    Returns
    -------
    list of CountryCoverage

    Raises
    ------
    DataGapError
        The week is outside the located events, follows a hole in them, or a country is stale.
    """
    countries = sorted(countries)
    located = inputs.events[inputs.events["has_location"] & inputs.events["country_iso3"].isin(countries)]
    if located.empty:  # inputs are loaded as of the scored week, so an early week leaves none
        raise DataGapError(f"week {week.date()} is before the event data starts: no located event for "
                          f"{', '.join(countries)} is dated on or before it; score a later week")
    first, last = located["date_start"].min(), located["date_start"].max()
    if week < week_of(first):
        raise DataGapError(f"week {week.date()} is before the event data starts ({first.date()}); "
                          "score a later week")
    if week > week_of(last):
        raise DataGapError(f"week {week.date()} is after the located event data ends ({last.date()}); score a week "
                          f"up to {week_of(last).date()}, or bring in newer data ('sahelrisk data update')")
    gap = coverage_gap(located["date_start"], week)
    if gap:
        raise DataGapError(f"the event data has no located events from {gap[0].date()} to {gap[1].date()}, within the "
                          f"year before {week.date()}; features would read that hole as peace. Score a week the data "
                          "covers or bring in event data for the gap ('sahelrisk data update' fetches UCDP GED 25.1 and later)")
    coverage = country_coverage(inputs.events, countries, week, lag_weeks=reporting_lags)
    stale = [c for c in coverage if c.stale]
    if stale and not allow_stale:
        raise DataGapError("; ".join(c.reason for c in stale) + ". Scoring refuses rather than map a country whose "
                           "data went dark as calm: bring in its newer events ('sahelrisk data update'), fix its "
                           "files, or score with a feature spec without it")
    return coverage
