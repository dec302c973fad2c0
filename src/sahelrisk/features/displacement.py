"""Displacement: the latest IDP count known at each week for the unit's country and ADM1 area,
its change over recent weeks, and the age of the latest figure.

A figure is known from the week of its reference date (plus the reporting lag) on; no value
from after the week is used. Country series come from national figures (IDMC year-end stock,
national report totals); ADM1 series from DTM and report snapshots matched to OCHA p-codes.
Columns are NaN before the first figure of an area (and for areas that never have one).
"""

from __future__ import annotations

from typing import Iterator

import numpy as np
import pandas as pd

from sahelrisk.calendar import week_of
from sahelrisk.features.base import Feature, PanelContext, check_options, register

__all__ = ["build_displacement", "DEFAULTS", "latest_known"]

DEFAULTS = {"change_weeks": [12, 52]}


def _pad(matrix: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """``matrix[rows]`` where a row of -1 (no area) takes a row of NaN."""
    return np.vstack([matrix, np.full((1, matrix.shape[1]), np.nan)])[rows]


def latest_known(figures: pd.DataFrame, areas: list, history: pd.DatetimeIndex, lag: int) -> tuple[np.ndarray, np.ndarray]:
    """(latest value, age in weeks) per (area, history week); NaN before an area's first figure."""
    n_areas, n_weeks = len(areas), len(history)
    values = np.full((n_areas, n_weeks), np.nan)
    given = np.full((n_areas, n_weeks), np.nan)
    if len(figures) and n_areas:
        area_idx = pd.Index(areas).get_indexer(figures["area"])
        known = week_of(figures["reference_date"]) + pd.Timedelta(weeks=lag)
        # Weeks from the window's start, negative before it: a figure dated before the window still
        # counts (the latest of them is the latest known at its start), and keeps its true age.
        true_pos = ((known - history[0]) // pd.Timedelta(weeks=1)).to_numpy()
        ok = (area_idx >= 0) & (true_pos < n_weeks)
        frame = pd.DataFrame({"a": area_idx[ok], "w": np.maximum(true_pos[ok], 0), "p": true_pos[ok],
                              "v": figures["idps"].to_numpy()[ok], "d": figures["_order"].to_numpy()[ok]})
        frame = frame.sort_values(["a", "w", "p", "d"]).drop_duplicates(["a", "w"], keep="last")
        values[frame["a"], frame["w"]] = frame["v"]
        given[frame["a"], frame["w"]] = frame["p"]
    values = pd.DataFrame(values.T).ffill().to_numpy().T
    last = pd.DataFrame(given.T).ffill().to_numpy().T
    age = np.arange(n_weeks)[None, :] - last
    return values, age


@register("displacement", needs=("displacement",), defaults=DEFAULTS)
def build_displacement(ctx: PanelContext, options: dict) -> Iterator[Feature]:
    """Displacement per unit and week: the latest figure known then, its change and its age."""
    opt = check_options("displacement", options, DEFAULTS)
    figures = ctx.layer("displacement").copy()
    # Among figures for one area and week, a dated report beats a year-end carry-forward.
    figures["_order"] = figures["layout"].map({"idmc_country_year": 0, "snapshots": 1, "dtm": 2}).fillna(3)
    table = ctx.units.table
    for level, column, label in ((0, "country_iso3", "country"), (1, "adm1_pcode", "adm1")):
        rows = figures[(figures["admin_level"] == level) & figures["admin_pcode"].notna()]
        rows = rows.assign(area=rows["admin_pcode"] if level else rows["country_iso3"])
        areas = sorted(set(table[column].dropna().astype(str)))
        values, age = latest_known(rows, areas, ctx.history, ctx.reporting_lag_weeks)
        unit_area = pd.Index(areas).get_indexer(table[column].astype(str))
        v, g = _pad(values, unit_area), _pad(age, unit_area)
        yield Feature(f"displacement_{label}_idps", v.astype(np.float32), allow_nan=True,
                      description=f"latest IDP count known for the unit's {label}")
        yield Feature(f"displacement_{label}_age_weeks", g.astype(np.float32), allow_nan=True,
                      description="weeks since the reference date of that figure")
        for k in opt["change_weeks"]:
            k = int(k)
            before = np.full_like(v, np.nan)
            before[:, k:] = v[:, :-k]
            yield Feature(f"displacement_{label}_change_{k}w", (v - before).astype(np.float32), allow_nan=True,
                          description=f"change of the latest known IDP count over {k} weeks")
