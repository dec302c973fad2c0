"""Targets: what happens in a unit in the ``h`` weeks after week ``t``.

- ``target_any_fatal_<h>w``: 1 if at least one event with ``fatalities_best >= 1`` falls in the
  unit in weeks t+1 .. t+h, else 0;
- ``target_civilian_<h>w``: the same for one-sided violence against civilians;
- ``target_fatalities_<h>w``: the fatalities (best) of those weeks.

A target is observed only when week t+h is no later than the last week the data covers; later
rows are NaN (never 0: an unobserved week is not a quiet week).
Units take events by the same precision rules as their features (:mod:`sahelrisk.units.assignment`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sahelrisk.calendar import DateLike, last_full_week, week_range
from sahelrisk.errors import SpecError
from sahelrisk.features.windows import weekly_matrix
from sahelrisk.units import Units, assign_events

__all__ = ["build_targets", "TARGET_KINDS", "target_column", "last_observed_origin"]

TARGET_KINDS = ("any_fatal", "civilian", "fatalities")


def target_column(kind: str, horizon: int) -> str:
    """The target column's name: ``target_<kind>_<horizon>w``."""
    if kind not in TARGET_KINDS:
        raise SpecError(f"unknown target {kind!r}; use one of {TARGET_KINDS}")
    return f"target_{kind}_{horizon}w"


def last_observed_origin(data_end: DateLike, horizon: int) -> pd.Timestamp:
    """The last week t whose target window t+1 .. t+h lies within the data."""
    return last_full_week(data_end) - pd.Timedelta(weeks=horizon)


def _forward_sum(mat: np.ndarray, h: int) -> np.ndarray:
    """Sum over weeks t+1 .. t+h, clipped at the matrix end (the caller masks unobserved weeks)."""
    n = mat.shape[1]
    cs = np.concatenate([np.zeros((mat.shape[0], 1)), np.cumsum(mat, axis=1, dtype=np.float64)], axis=1)
    idx = np.arange(n)
    return cs[:, np.minimum(idx + h, n - 1) + 1] - cs[:, idx + 1]


def build_targets(events: pd.DataFrame, units: Units, start: DateLike, end: DateLike, *, horizons: Sequence[int] = (1, 4, 12),
                  kinds: Sequence[str] = TARGET_KINDS, data_end: DateLike) -> pd.DataFrame:
    """Targets for every (unit, week) of ``start``..``end``, in the panel's row order."""
    weeks = week_range(start, end)
    last_week = last_full_week(data_end)
    span = pd.date_range(weeks[0], max(weeks[-1], last_week) + pd.Timedelta(weeks=max(horizons)), freq="7D")
    assigned, _ = assign_events(events, units)
    week_pos = span.get_indexer(pd.DatetimeIndex(assigned["week"]))
    unit_pos = assigned["unit_pos"].to_numpy()
    fatal = assigned["fatalities"].to_numpy() >= 1
    civilian = fatal & (assigned["violence_type"].to_numpy() == "one_sided")
    n_units, n_span = len(units), len(span)
    mats = {
        "any_fatal": weekly_matrix(unit_pos, np.where(fatal, week_pos, -1), None, n_units, n_span),
        "civilian": weekly_matrix(unit_pos, np.where(civilian, week_pos, -1), None, n_units, n_span),
        "fatalities": weekly_matrix(unit_pos, week_pos, assigned["fatalities"].to_numpy(), n_units, n_span),
    }
    columns = {"unit_id": np.repeat(units.ids, len(weeks)), "week": np.tile(weeks.to_numpy(), len(units))}
    for h in horizons:
        observed = (weeks + pd.Timedelta(weeks=h)) <= last_week
        for kind in kinds:
            fwd = _forward_sum(mats[kind], h)[:, :len(weeks)]
            values = (fwd > 0).astype(np.float32) if kind != "fatalities" else fwd.astype(np.float32)
            values[:, ~np.asarray(observed)] = np.nan
            columns[target_column(kind, h)] = values.ravel()
    return pd.DataFrame(columns)
