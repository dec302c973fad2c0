"""Is the model still looking at the world it learned from, and is the feed still flowing?

Drift: the population stability index (PSI) of the main features between the year before the
latest weeks and the latest weeks. Feed health: located events received per country in the last
weeks against what the country's own previous year makes expected; a feed that stops is an
alert, not a calm map.
"""

from __future__ import annotations

from collections.abc import Iterable

import numpy as np
import pandas as pd

from sahelrisk.calendar import RECENT_WEEKS, DateLike, events_in_weeks

__all__ = ["population_stability", "drift_report", "feed_health", "PSI_ALERT"]

PSI_ALERT = 0.25          # the usual reading: < 0.1 stable, 0.1-0.25 moderate, > 0.25 a shift
LOW_SHARE = 0.25          # a feed below this share of its expected count is low


def population_stability(reference: pd.Series | np.ndarray, current: pd.Series | np.ndarray, bins: int = 10) -> float:
    """PSI of ``current`` against ``reference`` over the reference's quantile bins (ties merged)."""
    reference = np.asarray(reference, dtype=float)
    current = np.asarray(current, dtype=float)
    reference, current = reference[np.isfinite(reference)], current[np.isfinite(current)]
    if len(reference) == 0 or len(current) == 0:
        return float("nan")
    edges = np.unique(np.quantile(reference, np.linspace(0, 1, bins + 1)))
    if len(edges) < 2:
        return 0.0 if np.all(current == edges[0]) else float("inf")
    edges[0], edges[-1] = -np.inf, np.inf
    ref = np.histogram(reference, edges)[0] / len(reference)
    cur = np.histogram(current, edges)[0] / len(current)
    ref, cur = np.clip(ref, 1e-4, None), np.clip(cur, 1e-4, None)
    return float(np.sum((cur - ref) * np.log(cur / ref)))


def drift_report(panel: pd.DataFrame, features: Iterable[str], current_weeks: int = 4) -> list[dict]:
    """PSI per feature: the panel's last ``current_weeks`` weeks against the weeks before them."""
    weeks = np.sort(panel["week"].unique())
    recent = panel["week"].isin(weeks[-current_weeks:])
    out = []
    for name in features:
        psi = population_stability(panel.loc[~recent, name], panel.loc[recent, name])
        out.append({"feature": name, "psi": round(psi, 4), "alert": bool(psi > PSI_ALERT)})
    return out


def feed_health(events: pd.DataFrame, countries: Iterable[str], week: DateLike, *, recent_weeks: int = RECENT_WEEKS, history_weeks: int = 52) -> list[dict]:
    """Per country: located events in the ``recent_weeks`` up to the end of ``week`` against the
    mean of the same span over the ``history_weeks`` before (``expected``); ``status`` is ``ok``,
    ``low`` (under a quarter of expected) or ``stopped`` (none where two or more were expected)."""
    recent = events_in_weeks(events, week, recent_weeks)
    history = events_in_weeks(events, pd.Timestamp(week) - pd.Timedelta(weeks=recent_weeks), history_weeks)
    out = []
    for country in countries:
        received = int((recent["country_iso3"] == country).sum())
        expected = float((history["country_iso3"] == country).sum()) * recent_weeks / history_weeks
        status = "stopped" if received == 0 and expected >= 2 else "low" if received < LOW_SHARE * expected else "ok"
        out.append({"country": country, "received": received, "expected": round(expected, 1), "status": status})
    return out
