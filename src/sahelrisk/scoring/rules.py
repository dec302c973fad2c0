"""What the simple rules said about a week, frozen with the forecast so the track record can measure
the model against them on what each week knew.

- **History rules** (:mod:`sahelrisk.modeling.baselines`): each unit's raw score from its own
  event history (``decay_neighbours``, ``decay``, ``rate52``), higher is riskier; and
  ``persistence`` (any event in the unit in the last weeks), a flag.
- **HDX-Signals-style rule** (OCHA's HDX Signals): an area is flagged when its fatalities of the
  30 days up to the week's end reach the highest 30-day total of the year before (a "1-year
  high"; ``3`` when also of the three years before) and at least :data:`SIGNAL_MIN_FATALITIES`.
  Applied per country and per ADM1 area; a unit is flagged when its country or ADM1 area is.
- **Surge rule** (ACLED's surge tracker): an ADM1 area is flagged when its fatal events of the week
  are at least :data:`SURGE_FACTOR` times its weekly mean of the 4 weeks before, that mean being
  at least one event.

Only events dated up to the week's end are read: the rules know what the forecast knew.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sahelrisk.calendar import DateLike, parse_week, week_end
from sahelrisk.errors import SpecError
from sahelrisk.modeling.baselines import BASELINES, baseline_score

__all__ = ["history_rules", "practice_rules", "signal_levels", "surge_flags", "HISTORY_RULES", "SIGNAL_MIN_FATALITIES",
           "SURGE_FACTOR", "PRACTICE_RULES"]

HISTORY_RULES = tuple(name for name in BASELINES if name not in ("zero", "persistence"))
"""The history rules that rank units (``rule_<name>``); ``persistence`` is a flag (``flag_persistence``)."""
PRACTICE_RULES = ("flag_hdx_signal", "flag_surge")
"""Their columns; history rules are ``rule_<name>`` (raw scores), practice rules ``flag_<name>``."""
SIGNAL_MIN_FATALITIES = 100
SURGE_FACTOR = 2.0
_DAYS = 30


def history_rules(panel_week: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """Each history rule's raw score per unit, for the rules whose columns the panel has.

    Parameters
    ----------
    panel_week : pandas.DataFrame
        One week of the feature panel (``unit_id`` and the history columns).
    horizon : int
        The model's horizon (``persistence`` looks back as far).

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, one ``rule_<name>`` column per ranking rule that could be computed, and
        ``flag_persistence`` (1 where the unit had an event in the last weeks).
    """
    out = pd.DataFrame({"unit_id": panel_week["unit_id"].to_numpy()})
    for name in (*HISTORY_RULES, "persistence"):
        try:
            score = baseline_score(name, panel_week, horizon)
        except SpecError:   # a rule whose columns the feature spec lacks is left out, not guessed
            continue
        # a yes/no rule calls what it flags: ranking its ties would call units by their order
        out[f"flag_{name}" if name == "persistence" else f"rule_{name}"] = score.astype("int64") \
            if name == "persistence" else score
    return out


def _fatal(events: pd.DataFrame, until: pd.Timestamp) -> pd.DataFrame:
    return events[(events["date_start"] <= until).to_numpy() & (events["fatalities_best"] >= 1).to_numpy()]


def signal_levels(events: pd.DataFrame, by: str, week: DateLike) -> pd.Series:
    """The HDX-Signals-style level of each group of ``by`` for ``week``: 3 (a 3-year high), 1 (a
    1-year high) or 0, with at least :data:`SIGNAL_MIN_FATALITIES` fatalities in the 30 days.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events (``date_start``, ``fatalities_best`` and the ``by`` column).
    by : str
        The grouping column (``country_iso3``, or an ADM1 code column).
    week : date-like
        The week forecast from: the 30 days end on its Sunday.

    Returns
    -------
    pandas.Series
        Level per group (groups with no fatal event in three years are absent).
    """
    end = week_end(parse_week(week)).normalize()
    start = end - pd.Timedelta(days=3 * 365 + _DAYS)
    fatal = _fatal(events, end)
    fatal = fatal[(fatal["date_start"] > start).to_numpy() & fatal[by].notna().to_numpy()]
    days = pd.date_range(start + pd.Timedelta(days=1), end, freq="D")
    levels = {}
    for group, rows in fatal.groupby(by, observed=True):
        daily = rows.groupby(rows["date_start"].dt.normalize())["fatalities_best"].sum().reindex(days, fill_value=0.0)
        rolling = daily.rolling(_DAYS, min_periods=1).sum().to_numpy()
        now = rolling[-1]
        year = rolling[-366:-1].max(initial=0.0)
        three = rolling[_DAYS:-1].max(initial=0.0)
        level = 0
        if now >= SIGNAL_MIN_FATALITIES and now >= year:
            level = 3 if now >= three else 1
        levels[group] = level
    return pd.Series(levels, dtype="int64", name="hdx_signal")


def surge_flags(events: pd.DataFrame, by: str, week: DateLike) -> pd.Series:
    """The surge rule per group of ``by``: the fatal events of the week up to ``week``'s end at least
    :data:`SURGE_FACTOR` times the weekly mean of the 4 weeks before, that mean at least 1.

    Returns
    -------
    pandas.Series
        1 (surge) or 0 per group with any fatal event in those 5 weeks.
    """
    end = week_end(parse_week(week)).normalize()
    first = end - pd.Timedelta(days=35)
    fatal = _fatal(events, end)
    fatal = fatal[(fatal["date_start"] > first).to_numpy() & fatal[by].notna().to_numpy()]
    back = ((end - fatal["date_start"].dt.normalize()).dt.days // 7).to_numpy()   # 0: the last week
    counts = pd.crosstab(fatal[by].to_numpy(), back).reindex(columns=range(5), fill_value=0)
    mean = counts[[1, 2, 3, 4]].mean(axis=1)
    flags = ((mean >= 1) & (counts[0] >= SURGE_FACTOR * mean)).astype("int64")
    flags.name = "surge"
    return flags


def practice_rules(events: pd.DataFrame, units: pd.DataFrame, adm1: pd.DataFrame | None, week: DateLike) -> pd.DataFrame:
    """Each unit's flags by the practice rules for ``week``.

    Parameters
    ----------
    events : pandas.DataFrame
        Canonical events as known at the cut-off (located ones are placed in ADM1 areas).
    units : pandas.DataFrame
        ``unit_id``, ``country_iso3`` and ``adm1_pcode`` of each unit.
    adm1 : geopandas.GeoDataFrame, optional
        The ADM1 layer (``pcode`` and geometry, as the catalog's ``admin1``) to place events in;
        without it only the country rule is applied.
    week : date-like
        The week forecast from.

    Returns
    -------
    pandas.DataFrame
        ``unit_id``, ``flag_hdx_signal`` (0, 1 or 3: the stronger of its country's and its ADM1
        area's) and ``flag_surge`` (0 or 1).
    """
    country = signal_levels(events, "country_iso3", week)
    out = pd.DataFrame({"unit_id": units["unit_id"].to_numpy()})
    level = units["country_iso3"].map(country).fillna(0).to_numpy()
    surge = np.zeros(len(units), dtype="int64")
    if adm1 is not None and len(adm1):
        import geopandas as gpd
        located = events[events["has_location"].to_numpy()]
        points = gpd.GeoDataFrame(located[["date_start", "fatalities_best"]].reset_index(drop=True),
                                  geometry=gpd.points_from_xy(located["longitude"], located["latitude"]),
                                  crs="EPSG:4326")
        areas = adm1[["pcode", "geometry"]].rename(columns={"pcode": "adm1_pcode"}).to_crs("EPSG:4326")
        placed = gpd.sjoin(points, areas, how="left", predicate="within")
        placed = placed[~placed.index.duplicated()]   # a point on a shared border counts once
        area_level = units["adm1_pcode"].map(signal_levels(placed, "adm1_pcode", week)).fillna(0).to_numpy()
        level = np.maximum(level, area_level)
        surge = units["adm1_pcode"].map(surge_flags(placed, "adm1_pcode", week)).fillna(0).to_numpy("int64")
    out["flag_hdx_signal"] = level.astype("int64")
    out["flag_surge"] = surge
    return out
