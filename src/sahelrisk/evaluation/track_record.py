"""The track record: the forecasts that were published, scored as they were published once their
outcomes are in, beside what the simple rules said the same week.

The input is one row per unit and verified week (:func:`sahelrisk.jobs.verify.verified_rows`
builds it from the frozen revisions): the published ``probability`` and ``risk_tier``, the
``outcome`` (a fatal event in the unit in the weeks t+1 .. t+h), the deaths, each history rule's
raw score (``rule_<name>``) and the practice rules' flags (``flag_<name>``, e.g. ``flag_surge``).

"Called" is how a planner reads the map: a unit in the high or very high tier. A history rule is
given as many calls as the model made that week (its top-scored units), so the two are compared
on equal terms; a practice rule calls the units it flags.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

from sahelrisk.evaluation.intervals import percentile_interval, resample_sums
from sahelrisk.evaluation.metrics import score_forecast

__all__ = ["week_record", "tier_reliability", "rolling_summary", "called", "CALLED_TIERS", "WINDOWS", "RULE_NAMES"]

CALLED_TIERS = ("high", "very high")
WINDOWS = (4, 13, 52)
RULE_NAMES = {"rule_decay_neighbours": "recent violence nearby (decay_neighbours)",
              "rule_decay": "recent violence (decay)", "rule_rate52": "events of the last 52 weeks (rate52)",
              "flag_persistence": "any event in the unit in the last weeks (persistence)",
              "flag_hdx_signal": "30-day fatalities at a 1-year high (HDX Signals)",
              "flag_surge": "ADM1 surge: the week at least twice the 4 weeks before (ACLED)"}


def _rules_in(rows: pd.DataFrame) -> list[str]:
    """The rule columns of ``rows``: history rules' raw scores, then practice rules' flags."""
    return [c for c in rows if c.startswith("rule_")] + [c for c in rows if c.startswith("flag_")]


def called(rows: pd.DataFrame, rule: str | None = None) -> np.ndarray:
    """Which rows are called: the model's high and very high units, a history rule's as many top
    units per week, a practice rule's flagged units.

    Parameters
    ----------
    rows : pandas.DataFrame
        Verified rows (``week``, ``risk_tier`` and the rule columns).
    rule : str, optional
        A rule column (``rule_<name>`` or ``flag_<name>``); default the model.

    Returns
    -------
    numpy.ndarray of bool
    """
    model = rows["risk_tier"].isin(CALLED_TIERS).to_numpy()
    if rule is None:
        return model
    if rule.startswith("flag_"):
        return (rows[rule].fillna(0) > 0).to_numpy()
    out = np.zeros(len(rows), dtype=bool)
    for _, part in rows.groupby("week", sort=False):
        n = int(model[rows.index.get_indexer(part.index)].sum())
        if n:
            top = part[rule].rank(ascending=False, method="first") <= n
            out[rows.index.get_indexer(part.index[top.to_numpy()])] = True
    return out


def week_record(rows: pd.DataFrame) -> dict:
    """One verified week (or any set of rows): the model's metrics, its calls and each rule's.

    Returns
    -------
    dict
        ``rows``, ``positives``; the model's ``brier``, ``ap``, ``roc_auc``, ``top10_recall``;
        ``called`` and ``caught`` (positives among the called) for the model and each rule; the
        rules' ``ap`` for the history rules; the deaths' ``crps`` and interval ``coverage`` when
        published.
    """
    rows = rows.reset_index(drop=True)
    y = rows["outcome"].to_numpy(dtype=float)
    metrics = score_forecast(y, rows["probability"], rows["week"])
    record: dict = {"rows": int(len(rows)), "positives": int(y.sum()),
                    **{k: _round(metrics[k]) for k in ("brier", "ap", "roc_auc", "top10_recall")}}
    calls = {"model": called(rows)}
    for rule in _rules_in(rows):
        calls[rule] = called(rows, rule)
    record["calls"] = {name: {"called": int(c.sum()), "caught": int((c & (y > 0)).sum())} for name, c in calls.items()}
    record["rule_ap"] = {rule: _round(score_forecast(y, _rank01(rows[rule]), rows["week"])["ap"])
                         for rule in _rules_in(rows) if rule.startswith("rule_")}
    if {"deaths", "deaths_q05", "deaths_q95"} <= set(rows):
        record["deaths"] = _deaths(rows)
    return record


def _rank01(values: pd.Series) -> np.ndarray:
    """A rule's raw score as a number in [0, 1] with the same order (ranking metrics only)."""
    ranked = values.fillna(values.min()).rank(method="average").to_numpy()
    return (ranked - 1) / max(len(ranked) - 1, 1)


def _round(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else round(float(value), 4)


def _deaths(rows: pd.DataFrame) -> dict:
    """The deaths forecast against the deaths: how often the 50% and 90% intervals held them, and
    the CRPS approximated from the published quantiles (twice the mean pinball loss)."""
    deaths = rows["deaths"].to_numpy(dtype=float)
    levels = {"deaths_q05": 0.05, "deaths_q25": 0.25, "deaths_q75": 0.75, "deaths_q95": 0.95}
    present = {c: q for c, q in levels.items() if c in rows}
    losses = []
    for column, q in present.items():
        diff = deaths - rows[column].to_numpy(dtype=float)
        losses.append(np.maximum(q * diff, (q - 1) * diff))
    out = {"crps_quantiles": _round(2 * float(np.mean(losses))) if losses else None,
           "coverage_90": _round(float(np.mean((deaths >= rows["deaths_q05"]) & (deaths <= rows["deaths_q95"]))))}
    if {"deaths_q25", "deaths_q75"} <= set(rows):
        out["coverage_50"] = _round(float(np.mean((deaths >= rows["deaths_q25"]) & (deaths <= rows["deaths_q75"]))))
    return out


def tier_reliability(rows: pd.DataFrame, tiers: Sequence[str], cuts: Sequence[float]) -> list[dict]:
    """Per risk tier: its range, the units in it and the share that saw a fatal event.

    Parameters
    ----------
    rows : pandas.DataFrame
        Verified rows (``risk_tier``, ``probability``, ``outcome``).
    tiers : sequence of str
        The tier names, lowest first (:data:`sahelrisk.scoring.week.TIERS`).
    cuts : sequence of float
        The probabilities between them (:data:`sahelrisk.scoring.week.TIER_CUTS`).

    Returns
    -------
    list of dict
    """
    edges = (0.0, *cuts, 1.0)
    out = []
    for k, tier in enumerate(tiers):
        part = rows[rows["risk_tier"] == tier]
        out.append({"tier": tier, "low": edges[k], "high": edges[k + 1], "units": int(len(part)),
                    "with_event": int(part["outcome"].sum()),
                    "share": _round(float(part["outcome"].mean())) if len(part) else None,
                    "mean_forecast": _round(float(part["probability"].mean())) if len(part) else None})
    return out


def rolling_summary(rows: pd.DataFrame, windows: Sequence[int] = WINDOWS, *, resamples: int = 1000,
                    seed: int = 0) -> list[dict]:
    """The last 4, 13 and 52 verified weeks, for all countries and per country: the model's
    metrics, its calls against each rule's, and the difference in the share of units with an
    event that were called (model minus rule) with a 95% interval over resampled weeks.

    Parameters
    ----------
    rows : pandas.DataFrame
        Verified rows of every verified week (with ``country_iso3``).
    windows : sequence of int
        Numbers of most recent verified weeks.
    resamples, seed
        Of the week-block bootstrap (:mod:`sahelrisk.evaluation.intervals`).

    Returns
    -------
    list of dict
        One per window and scope (``"all"`` first), with the weeks it spans.
    """
    weeks = sorted(rows["week"].unique())
    out = []
    for n in windows:
        if not weeks:
            break
        chosen = weeks[-n:]
        window = rows[rows["week"].isin(chosen)]
        scopes = [("all", window), *((str(c), part) for c, part in window.groupby("country_iso3", sort=True))]
        for scope, part in scopes:
            entry = {"window_weeks": n, "weeks": len(chosen), "first_week": str(pd.Timestamp(chosen[0]).date()),
                     "last_week": str(pd.Timestamp(chosen[-1]).date()), "scope": scope, **week_record(part)}
            entry["versus"] = _versus(part, resamples=resamples, seed=seed)
            out.append(entry)
    return out


def _versus(rows: pd.DataFrame, *, resamples: int, seed: int) -> dict:
    """Per rule: the share of units with an event called by the model minus the rule's, with its
    95% interval over resampled weeks."""
    rows = rows.reset_index(drop=True)
    y = rows["outcome"].to_numpy(dtype=float) > 0
    mine = called(rows) & y
    per_week = pd.DataFrame({"week": rows["week"], "positives": y, "model": mine})
    out = {}
    for rule in _rules_in(rows):
        per_week[rule] = called(rows, rule) & y
    sums = per_week.groupby("week", sort=True).sum()
    if sums["positives"].sum() == 0:
        return {}
    if len(sums) < 2:   # one week: the difference, and no interval to claim
        return {rule: {"difference": _round((sums["model"].sum() - sums[rule].sum()) / sums["positives"].sum()),
                       "low": None, "high": None} for rule in _rules_in(rows)}
    draws = resample_sums(sums.to_numpy(dtype=float), resamples=resamples, seed=seed)
    columns = list(sums.columns)
    positives = draws[:, columns.index("positives")]
    with np.errstate(invalid="ignore", divide="ignore"):
        model_share = draws[:, columns.index("model")] / positives
        for rule in _rules_in(rows):
            gap = model_share - draws[:, columns.index(rule)] / positives
            low, high = percentile_interval(gap)
            estimate = (sums["model"].sum() - sums[rule].sum()) / sums["positives"].sum()
            out[rule] = {"difference": _round(estimate), "low": _round(low), "high": _round(high)}
    return out
