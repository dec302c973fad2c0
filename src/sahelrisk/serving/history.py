"""How the risk of one place moved over the published weeks, beside what happened there.

For a cell, an ADM1 or ADM2 area, a mining site or a route: each published week's probability and
tier (as published, never recomputed for cells and areas; sites and routes scored against each
week as the planner scores them), and the deadly events that fell in the weeks each forecast
covered, counted from the data the app holds now. A window the data does not cover yet is
``pending``, not zero.
"""

from __future__ import annotations

from collections.abc import Callable

import geopandas as gpd
import pandas as pd

from sahelrisk.calendar import deadly_in_forecast, forecast_period
from sahelrisk.errors import NotFoundError, SpecError
from sahelrisk.serving.archive import Archive

__all__ = ["HISTORY_WEEKS", "unit_history", "scored_history", "outcomes"]

HISTORY_WEEKS = 12
"""Published weeks a history goes back at most (newest last)."""


def outcomes(shape: object, events: pd.DataFrame, week: str, horizon_weeks: int,
             data_end: pd.Timestamp) -> dict:
    """Deadly events inside ``shape`` (lon/lat) in the weeks a forecast from ``week`` covers."""
    if forecast_period(week, horizon_weeks)[1] > data_end:
        return {"events": None, "deaths": None, "pending": True}
    window = deadly_in_forecast(events, week, horizon_weeks)
    if window.empty:
        return {"events": 0, "deaths": 0, "pending": False}
    points = gpd.GeoSeries(gpd.points_from_xy(window["longitude"], window["latitude"]), crs="EPSG:4326")
    inside = points.intersects(shape).to_numpy()
    return {"events": int(inside.sum()), "deaths": int(window.loc[inside, "fatalities_best"].sum()), "pending": False}


def _published(archive: Archive, weeks: int) -> list[str]:
    return sorted(archive.weeks()[:weeks])


def unit_history(archive: Archive, events: pd.DataFrame, data_end: pd.Timestamp, kind: str, unit: str, *,
                 weeks: int = HISTORY_WEEKS) -> dict:
    """A cell's (``kind="cell"``) or an area's (``"adm1"``, ``"adm2"``) published probabilities.

    Parameters
    ----------
    archive : Archive
        The published weeks.
    events : pandas.DataFrame
        The events the app holds (for what happened).
    data_end : pandas.Timestamp
        The last day those events cover.
    kind : {"cell", "adm1", "adm2"}
    unit : str
        The cell's ``unit_id`` or the area's p-code.
    weeks : int
        How many published weeks back.

    Returns
    -------
    dict
        ``kind``, ``unit``, ``name`` and ``weeks``: one entry per published week holding the unit,
        oldest first, with ``probability``, ``risk_tier`` and the outcome (:func:`outcomes`).

    Raises
    ------
    NotFoundError
        No published week holds the unit.
    """
    if kind not in ("cell", "adm1", "adm2"):
        raise SpecError(f"a history is of a cell, an adm1 or an adm2 area, not {kind!r}")
    rows, shape, name = [], None, ""
    for week in _published(archive, weeks):
        table = archive.cells(week) if kind == "cell" else archive.areas(week, kind)
        ids = table["unit_id"].astype(str)
        found = table[ids == str(unit).strip()]
        if found.empty:
            continue
        row = found.iloc[0]
        shape = row.geometry if shape is None else shape
        name = ", ".join(str(row[c]) for c in ("adm2_name", "adm1_name")
                         if c in row and isinstance(row[c], str) and row[c]) or name
        rows.append({"week": week, "probability": float(row["probability"]), "risk_tier": str(row["risk_tier"]),
                     **outcomes(shape, events, week, int(row["horizon_weeks"]), data_end)})
    if not rows:
        raise NotFoundError(f"no published week holds the {kind} {unit!r}; take its id from the week's "
                            f"{'cells' if kind == 'cell' else 'areas'}")
    return {"kind": kind, "unit": str(unit), "name": name, "weeks": rows}


def scored_history(archive: Archive, score: Callable[[str], tuple[float, str, object, int]], kind: str, name: str,
                   events: pd.DataFrame, data_end: pd.Timestamp, *, weeks: int = HISTORY_WEEKS) -> dict:
    """A site's or a route's probability in each published week, ``score(week)`` giving the
    probability, the tier, the zone it covers (lon/lat) and the horizon."""
    rows = []
    for week in _published(archive, weeks):
        p, tier, zone, horizon = score(week)
        rows.append({"week": week, "probability": p, "risk_tier": tier,
                     **outcomes(zone, events, week, horizon, data_end)})
    return {"kind": kind, "unit": name, "name": name, "weeks": rows}
