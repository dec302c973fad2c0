"""Short tables of a run's results in a reader's language: the highest-risk units, a route's
stretches, the sites most at risk. Plain text cells: the command line prints them, a web page
could serve them; each renderer escapes them for where they land.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from sahelrisk.i18n import Formatter, gettext
from sahelrisk.publishing.bulletin import tier_name
from sahelrisk.publishing.route_map import route_label
from sahelrisk.routes.network import MAX_DETOUR, MAX_SHARED
from sahelrisk.scoring.drivers import phrase_all

__all__ = ["Summary", "top_units", "route_tables", "route_ranking", "unscored_notes", "top_sites"]


@dataclass(frozen=True)
class Summary:
    """A titled table of text cells.

    Attributes
    ----------
    title : str
        One line above the table.
    columns : tuple of str
        Column headers.
    rows : tuple of tuple of str
        The cells, as text.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]


def _text(value: object) -> str:
    return "-" if value is None or (not isinstance(value, str) and pd.isna(value)) or value == "" else str(value)


def _tier(row: pd.Series, lang: str) -> str:
    return "-" if pd.isna(row["probability"]) else tier_name(row["risk_tier"], lang)


def top_units(frame: pd.DataFrame, *, units: str, week: pd.Timestamp, horizon_weeks: int, lang: str,
              n: int = 10) -> Summary:
    """The ``n`` highest-ranked units (cells or areas) with their tier, change and main drivers."""
    fmt = Formatter(lang)
    # Each header is its own gettext call, so Babel's extraction finds it.
    columns = (gettext(lang, "rank"), gettext(lang, "unit"), gettext(lang, "area"), gettext(lang, "region"),
               gettext(lang, "probability"), gettext(lang, "tier"), gettext(lang, "change"),
               gettext(lang, "main drivers"))
    rows = tuple((str(r["rank"]), str(r["unit_id"]), _text(r["adm2_name"]), _text(r["adm1_name"]),
                  fmt.percent(r["probability"]), _tier(r, lang), fmt.points(r["change_vs_last_week"]),
                  "; ".join(phrase_all(r["driver_records"], lang)) or "-")
                 for _, r in frame.nsmallest(n, "rank").iterrows())
    title = gettext(lang, "Highest risk (%(units)s), week of %(week)s, next %(h)s weeks", units=units,
                    week=fmt.date(week), h=horizon_weeks)
    return Summary(title, columns, rows)


def route_tables(segments: pd.DataFrame, *, horizon_weeks: int, lang: str) -> list[Summary]:
    """One table per route: its stretches with the cell, area, probability and recent events."""
    fmt = Formatter(lang)
    columns = (gettext(lang, "stretch"), gettext(lang, "from km"), "km", gettext(lang, "cell"), gettext(lang, "area"),
               gettext(lang, "probability"), gettext(lang, "tier"), gettext(lang, "events, 4 weeks"),
               gettext(lang, "events, 52 weeks"))
    tables = []
    for summary in segments.attrs["routes"]:
        part = segments[segments["route"] == summary["route"]]
        title = gettext(lang, "%(route)s: %(km)s km, %(hours)s h; P(fatal event in the corridor, next %(h)s weeks) "
                              "%(p)s; risk per hour %(rate)s",
                        route=route_label(summary["route"], lang), km=fmt.number(summary["km"]),
                        hours=fmt.number(summary["hours"]), h=horizon_weeks, p=fmt.percent(summary["probability"]),
                        rate=fmt.percent(summary["risk_per_hour"]))
        rows = tuple((str(r["segment"]), fmt.number(r["from_km"]), fmt.number(r["km"]), _text(r["unit_id"]),
                      _text(r["adm2_name"]), fmt.percent(r["probability"]), _tier(r, lang), str(r["events_4w"]),
                      str(r["events_52w"])) for _, r in part.iterrows())
        tables.append(Summary(title, columns, rows))
    return tables


def route_ranking(segments: pd.DataFrame, *, lang: str) -> str | None:
    """The routes by risk in one line (None for a single route)."""
    routes = segments.attrs["routes"]
    if len(routes) < 2:
        return None
    fmt = Formatter(lang)
    return gettext(lang, "routes by risk:") + " " + "; ".join(
        gettext(lang, "%(route)s %(p)s in %(hours)s h (%(extra)s h more than the fastest)",
                route=route_label(s["route"], lang), p=fmt.percent(s["probability"]),
                hours=fmt.number(s["hours"]), extra=fmt.number(s["extra_hours"]))
        for s in sorted(routes, key=lambda s: s["rank_by_risk"]))


def unscored_notes(segments: pd.DataFrame, *, lang: str) -> list[str]:
    """One sentence per route with kilometres outside the scored countries (its probability
    covers only the rest)."""
    fmt = Formatter(lang)
    return [gettext(lang, "%(km)s km of %(route)s lie outside the scored countries and are not scored",
                    km=fmt.number(s["km_outside"]), route=route_label(s["route"], lang))
            for s in segments.attrs["routes"] if s.get("km_outside", 0) > 0]


def alternatives_note(segments: pd.DataFrame, *, lang: str) -> str | None:
    """A sentence when fewer different routes were found than asked for: the road network has no
    other way that is not mostly the same road."""
    asked, found = segments.attrs.get("alternatives_asked", 0), segments.attrs.get("alternatives_found", 0)
    if found >= asked:
        return None
    fmt = Formatter(lang)
    return gettext(lang, "%(found)s of the %(asked)s alternatives asked for: no other road taking at most "
                   "%(times)s times the fastest route's time shares less than %(share)s of its length with the "
                   "routes shown", found=fmt.number(found), asked=fmt.number(asked), share=fmt.percent(MAX_SHARED),
                   times=fmt.number(MAX_DETOUR))


def route_notes(segments: pd.DataFrame, *, lang: str) -> list[str]:
    """What a route's tables need said beside them: the ranking of the routes, the alternatives not
    found, the kilometres not scored (the console, the web page and the printed page)."""
    said = [route_ranking(segments, lang=lang), alternatives_note(segments, lang=lang)]
    return [text for text in said if text] + unscored_notes(segments, lang=lang)


def top_sites(sites: pd.DataFrame, *, radius_km: float, lang: str, n: int = 15) -> Summary:
    """The ``n`` sites most at risk, with their kind, commodity, tier and recent events."""
    fmt = Formatter(lang)
    columns = (gettext(lang, "rank"), gettext(lang, "site"), gettext(lang, "kind"), gettext(lang, "commodity"),
               gettext(lang, "country"), gettext(lang, "probability"), gettext(lang, "tier"),
               gettext(lang, "events, 4 weeks"), gettext(lang, "events, 52 weeks"))
    rows = tuple((str(r["rank"]), _text(r["name"]), _text(r["site_kind"]), _text(r["commodity"]),
                  _text(r["country_iso3"]), fmt.percent(r["probability"]), _tier(r, lang), str(r["events_4w"]),
                  str(r["events_52w"])) for _, r in sites.head(n).iterrows())
    title = gettext(lang, "Sites most at risk: P(fatal event within %(r)s km, next weeks)", r=fmt.number(radius_km))
    return Summary(title, columns, rows)
