"""Why a unit scores high, and what moved it since last week, in words a planner reads.

:func:`explain` turns the LightGBM member's per-row contributions into records (a feature, the
unit's value, a point of comparison); :func:`phrase` turns a record into a sentence in French or
English ("6 deadly events within 50 km in the last 4 weeks, against 1 per 4 weeks over the past
year"). Records are kept as data in the outputs so every language reads the same reasons.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable

import numpy as np
import pandas as pd

from sahelrisk.i18n import Formatter, gettext

__all__ = ["explain", "phrase", "phrase_all", "describe_feature", "SENTENCES"]


def N_(message: str) -> str:
    """Marks a message for the catalog; translated where it is phrased."""
    return message


# Column name (the feature spec's <theme>_<measure>_<window> convention) -> sentence. ``n`` is
# the unit's value; ``w`` (weeks) and ``r`` (km) come from the name.
SENTENCES = [
    (r"conflict_events_(?P<w>\d+)w", N_("%(n)s deadly events in the cell in the last %(w)s weeks")),
    (r"conflict_fatalities_(?P<w>\d+)w", N_("%(n)s deaths in the cell in the last %(w)s weeks")),
    (r"conflict_events_hl(?P<w>\d+)w",
     N_("%(n)s recent deadly events in the cell (older ones count less: half after %(w)s weeks)")),
    (r"conflict_fatalities_hl(?P<w>\d+)w",
     N_("%(n)s recent deaths in the cell (older ones count less: half after %(w)s weeks)")),
    (r"conflict_events_queen_(?P<w>\d+)w", N_("%(n)s deadly events in the neighbouring cells in the last %(w)s weeks")),
    (r"conflict_fatalities_queen_(?P<w>\d+)w", N_("%(n)s deaths in the neighbouring cells in the last %(w)s weeks")),
    (r"conflict_events_r(?P<r>\d+)km_(?P<w>\d+)w", N_("%(n)s deadly events within %(r)s km in the last %(w)s weeks")),
    (r"conflict_fatalities_r(?P<r>\d+)km_(?P<w>\d+)w", N_("%(n)s deaths within %(r)s km in the last %(w)s weeks")),
    (r"conflict_country_events_(?P<w>\d+)w", N_("%(n)s deadly events in the country in the last %(w)s weeks")),
    (r"conflict_country_fatalities_(?P<w>\d+)w", N_("%(n)s deaths in the country in the last %(w)s weeks")),
    (r"conflict_events_onesided_(?P<w>\d+)w", N_("%(n)s killings of civilians in the cell in the last %(w)s weeks")),
    (r"conflict_events_state_(?P<w>\d+)w",
     N_("%(n)s deadly clashes involving a government in the cell in the last %(w)s weeks")),
    (r"conflict_events_nonstate_(?P<w>\d+)w",
     N_("%(n)s deadly clashes between armed groups in the cell in the last %(w)s weeks")),
    (r"conflict_weeks_since_(event|fatal)", N_("%(n)s weeks since the last deadly event in the cell")),
    (r"intensity_k(?P<r>\d+)km_hl(?P<w>\d+)w",
     N_("%(n)s deadly events nearby, weighted by distance (%(r)s km) and age (half after %(w)s weeks)")),
    (r"intensity_nearest_fatal_km_(?P<w>\d+)w", N_("the nearest deadly event of the last %(w)s weeks was %(n)s km away")),
    (r"mining_gold_distance_km", N_("a gold-mining site %(n)s km away")),
    (r"mining_gold_sites_r(?P<r>\d+)km", N_("%(n)s gold-mining sites within %(r)s km")),
    (r"roads_distance_km", N_("a main road %(n)s km away")),
    (r"roads_nearest_importance", N_("the nearest main road carries %(n)s city-to-city routes")),
    (r"roads_length_km", N_("%(n)s km of main road in the cell")),
    (r"static_border_distance_km", N_("%(n)s km from an international border")),
    (r"static_capital_distance_km", N_("%(n)s km from the capital")),
    (r"static_town_distance_km", N_("%(n)s km from the nearest town")),
    (r"static_latitude", N_("latitude %(n)s")),
    (r"static_longitude", N_("longitude %(n)s")),
    (r"displacement_country_idps", N_("%(n)s people displaced by conflict in the country")),
    (r"displacement_adm1_idps", N_("%(n)s people displaced by conflict in the region")),
]
_COMPILED = [(re.compile(pattern + "$"), message) for pattern, message in SENTENCES]
_WINDOWED = re.compile(r"(?P<stem>.+_)(?P<w>\d+)w$")


def _window_weeks(feature: str) -> int:
    """The window of a windowed column (``conflict_events_4w`` -> 4)."""
    match = _WINDOWED.match(feature)
    if match is None:
        raise ValueError(f"{feature!r} is not a windowed column (<stem>_<weeks>w)")
    return int(match["w"])


def _past_year(name: str, columns: Iterable[str]) -> str | None:
    """The 52-week column of the same count, to compare a short window with the unit's own year."""
    match = _WINDOWED.match(name)
    if match is None or "_hl" in name or int(match["w"]) >= 52:
        return None
    other = f"{match['stem']}52w"
    return other if other in columns else None


def _record(name: str, value: float, typical: float, past_year: float | None, w: int | None) -> dict:
    record = {"feature": name, "value": float(value), "typical": float(typical)}
    if past_year is not None and w is not None:
        record["past_year_rate"] = float(past_year) * w / 52
    return record


def explain(contrib_now: pd.DataFrame, contrib_before: pd.DataFrame | None, values_now: pd.DataFrame,
            values_before: pd.DataFrame | None, k: int = 3, k_changes: int = 2) -> tuple[list[list], list[list]]:
    """Records of the drivers of each row and of what moved its risk since last week.

    Parameters
    ----------
    contrib_now, contrib_before : pandas.DataFrame
        Per-feature contributions to the raw score (LightGBM's ``pred_contrib``) of the same units
        this week and last week, rows aligned.
    values_now, values_before : pandas.DataFrame
        The feature values behind them (every feature column of the panel, for comparisons).
    k, k_changes : int
        How many drivers and changes to keep per unit.

    Returns
    -------
    drivers, changes : list of list of dict
        Drivers: the ``k`` features that raise the unit's score most compared with the median
        unit explained (a region-wide surge does not crowd out what sets a unit apart), one per
        family of columns (``conflict_events_hl4w`` and ``conflict_events_hl52w`` are one), with the
        unit's value, the typical value and, for short-window counts, the unit's own rate over
        the past year. Changes: the ``k_changes`` features whose change of contribution moved the
        score most in the direction it moved, with last week's and this week's values.
    """
    names = np.asarray(contrib_now.columns)
    now = contrib_now.to_numpy()
    relative = now - np.median(now, axis=0)
    values = values_now[list(names)].to_numpy(dtype=float)
    typical = np.nanmedian(values, axis=0)
    past = {j: _past_year(name, values_now.columns) for j, name in enumerate(names)}
    families = [re.sub(r"\d+", "#", name) for name in names]
    drivers = []
    for i in range(len(now)):
        # one sentence per family: three half-lives of the same count say one thing three times
        chosen: list[int] = []
        seen: set[str] = set()
        for j in np.argsort(-relative[i], kind="stable"):
            if relative[i, j] <= 0 or len(chosen) == k:
                break
            if families[j] not in seen:
                seen.add(families[j])
                chosen.append(j)
        drivers.append([_record(names[j], values[i, j], typical[j],
                                values_now[past[j]].iloc[i] if past[j] else None,
                                _window_weeks(names[j]) if past[j] else None) for j in chosen])
    changes: list[list[dict]] = [[] for _ in range(len(now))]
    if contrib_before is not None and values_before is not None:
        delta = now - contrib_before.to_numpy()
        before = values_before[list(names)].to_numpy(dtype=float)
        moved = delta.sum(axis=1)
        for i in range(len(now)):
            direction = 1.0 if moved[i] >= 0 else -1.0
            order = np.argsort(-direction * delta[i], kind="stable")[:k_changes]
            # a change of contribution under 0.01 (log-odds) is noise, not a reason
            changes[i] = [{"feature": names[j], "before": float(before[i, j]), "value": float(values[i, j]),
                           "effect": "up" if delta[i, j] > 0 else "down"}
                          for j in order if direction * delta[i, j] > 0.01 and before[i, j] != values[i, j]]
    return drivers, changes


def describe_feature(name: str, described: dict | None = None) -> str:
    """Readable name of a feature column, from the builder's description or the column name."""
    if described and described.get(name, {}).get("description"):
        return described[name]["description"]
    return name.replace("_", " ")


def _sentence(feature: str, value: float, lang: str, fmt: Formatter, described: dict | None = None) -> str:
    for pattern, message in _COMPILED:
        match = pattern.match(feature)
        if match:
            params = {key: fmt.number(int(v)) for key, v in match.groupdict().items() if v is not None}
            return gettext(lang, message, n=fmt.number(value), **params)
    return f"{describe_feature(feature, described)}: {fmt.number(value)}"


def phrase(record: dict, lang: str = "en", described: dict | None = None) -> str:
    """One driver or change record as a sentence in ``lang``."""
    fmt = Formatter(lang)
    text = _sentence(record["feature"], record["value"], lang, fmt, described)
    if "before" in record:
        return gettext(lang, "%(sentence)s (last week: %(before)s)", sentence=text, before=fmt.number(record["before"]))
    if "past_year_rate" in record:
        w = _window_weeks(record["feature"])
        return gettext(lang, "%(sentence)s, against %(rate)s per %(w)s weeks over the past year", sentence=text,
                       rate=fmt.number(record["past_year_rate"]), w=w)
    return gettext(lang, "%(sentence)s (typical: %(typical)s)", sentence=text, typical=fmt.number(record["typical"]))


def phrase_all(records: str | list | None, lang: str = "en", described: dict | None = None) -> list[str]:
    """Sentences of a list of records, or of its JSON text (as stored in the outputs)."""
    if isinstance(records, str):
        records = json.loads(records) if records else []
    if records is None or (not isinstance(records, list) and pd.isna(records)):
        return []
    return [phrase(r, lang, described) for r in records]
