"""What the web app's pages show, as plain records of display text in the page's language.

The templates only lay these out; numbers, dates and tier names are formatted here with
:class:`sahelrisk.i18n.Formatter`, as in the bulletin, so a page and the bulletin of a week agree.
"""

from __future__ import annotations

from datetime import date

import geopandas as gpd
import numpy as np
import pandas as pd

from sahelrisk.calendar import forecast_period
from sahelrisk.countries import known_countries
from sahelrisk.errors import SahelriskError
from sahelrisk.i18n import Formatter
from sahelrisk.publishing.bulletin import area_rows, site_rows, tier_name, tier_rows, violence_name, what_changed
from sahelrisk.publishing.route_map import route_label
from sahelrisk.publishing.summaries import route_notes
from sahelrisk.serving.archive import Archive

__all__ = ["week_view", "archive_view", "route_view", "sites_view", "EVENTS_SHOWN"]

EVENTS_SHOWN = 40
"""Deadly events along a route listed on its page at most (the most recent; the count says how many)."""

TOP_AREAS = 10


def _downloads(archive: Archive, week: str, lang: str) -> list[dict]:
    published = set(archive.files(week))
    wanted = [("bulletin", f"bulletin.{lang}.pdf", "PDF"), ("map", f"map.{lang}.html", "HTML"),
              ("areas", "risk_adm2.csv", "CSV"), ("areas_adm1", "risk_adm1.csv", "CSV"),
              ("cells", "risk_grid.geojson", "GeoJSON"), ("sites", "risk_sites.csv", "CSV")]
    return [{"kind": kind, "file": name, "format": form} for kind, name, form in wanted if name in published]


def week_view(archive: Archive, week: str, lang: str) -> dict:
    """The week page: the run, tier counts, the highest areas, what changed and the downloads."""
    fmt = Formatter(lang)
    run = archive.run(week)
    cells = archive.cells(week)
    adm2 = archive.adm2_table(week)
    horizon = int(run["horizon_weeks"])
    monday = pd.Timestamp(week)
    first_day, last_day = forecast_period(monday, horizon)
    changed = what_changed(adm2, cells, None, lang=lang)
    rising = adm2.dropna(subset=["change_vs_last_week"]).nlargest(5, "change_vs_last_week")
    falling = adm2.dropna(subset=["change_vs_last_week"]).nsmallest(5, "change_vs_last_week")
    coverage = [c for c in run.get("country_coverage", []) if isinstance(c, dict)]
    return {
        "week": week, "week_long": fmt.date(monday), "as_of": fmt.date(run["as_of"]),
        "first_day": fmt.date(first_day), "last_day": fmt.date(last_day), "horizon_weeks": horizon,
        "model": f"{run['model']} v{run['model_version']}", "latest_event": fmt.date(run.get("latest_event")),
        "cell_tiers": tier_rows(cells, fmt), "area_tiers": tier_rows(adm2, fmt),
        "top": area_rows(adm2.sort_values("rank").head(TOP_AREAS), lang, fmt),
        "rising": area_rows(rising[rising["change_vs_last_week"] > 0], lang, fmt),
        "falling": area_rows(falling[falling["change_vs_last_week"] < 0], lang, fmt),
        "moved_up": changed["up"], "onsets": changed["onsets"],
        "stale": [_country(c.get("country"), fmt) for c in coverage if c.get("stale")],
        "downloads": _downloads(archive, week, lang), "previous": archive.previous(week),
    }


def archive_view(archive: Archive, lang: str) -> list[dict]:
    """One row per published week, newest first."""
    fmt = Formatter(lang)
    rows = []
    for week in archive.weeks():
        run = archive.run(week)
        rows.append({"week": week, "week_long": fmt.date(week), "as_of": fmt.date(run["as_of"]),
                     "model": f"{run['model']} v{run['model_version']}", "units": fmt.number(run.get("units")),
                     "downloads": _downloads(archive, week, lang)})
    return rows


FRESH_DAYS = 14
"""A newest week whose data end longer ago than this is flagged as old on every week page."""


def _newest(archive: Archive, today: date) -> tuple[str, dict, int] | None:
    weeks = archive.weeks()
    if not weeks:
        return None
    run = archive.run(weeks[0])
    return weeks[0], run, (today - pd.Timestamp(run["as_of"]).date()).days


def freshness(archive: Archive, today: date, lang: str) -> dict | None:
    """The banner's words when the newest published week's data end more than :data:`FRESH_DAYS`
    days before ``today``; None when the map is fresh."""
    newest = _newest(archive, today)
    if newest is None or newest[2] <= FRESH_DAYS:
        return None
    fmt = Formatter(lang)
    return {"days": fmt.number(newest[2]), "as_of": fmt.date(newest[1]["as_of"]), "week": fmt.date(newest[0])}


def health_view(archive: Archive, today: date) -> dict:
    """What ``GET /api/v1/health`` answers: the newest week, how old its data is, each source's
    latest release and latest event, each country's staleness, and when the next run is due."""
    next_run = today + pd.Timedelta(days=7 - today.weekday())   # the weekly job runs on Mondays
    newest = _newest(archive, today)
    if newest is None:
        return {"status": "nothing published", "newest_week": None, "next_run_due": str(next_run)}
    week, run, age = newest
    sources: dict = {}
    try:
        sources = archive.provenance(week)[-1]["manifest"].get("data", {}).get("events", {})
    except SahelriskError:   # published before the ledger was kept: no vintage to tell
        sources = {}
    stale = [c.get("country") for c in run.get("country_coverage", []) if c.get("stale")]
    return {"status": "stale" if age > FRESH_DAYS or stale else "ok", "newest_week": week, "as_of": run["as_of"],
            "data_age_days": age, "fresh_within_days": FRESH_DAYS, "model": run.get("model"),
            "model_version": run.get("model_version"), "sources": sources, "stale_countries": stale,
            "next_run_due": str(next_run)}


_RULE_LABELS = {"model": "sahelrisk", "rule_decay_neighbours": "recent violence nearby",
                "rule_decay": "recent violence", "rule_rate52": "events of the last 52 weeks",
                "flag_persistence": "any event of the last weeks",
                "flag_hdx_signal": "30-day deaths at a 1-year high (HDX Signals)",
                "flag_surge": "surge of the week (ACLED)"}


def track_view(archive: Archive, lang: str) -> dict:
    """The track-record page: each window's record in words, the table against every rule and the
    tiers' reliability (empty when no published week is verified yet)."""
    from sahelrisk.errors import NotFoundError
    from sahelrisk.i18n import gettext
    fmt = Formatter(lang)
    try:
        record = archive.track_record()
    except NotFoundError:
        return {"windows": [], "tiers": [], "pending": [], "verified": 0}
    windows = []
    for entry in (e for e in record.get("summary", []) if e.get("scope") == "all"):
        calls, versus = entry["calls"], entry.get("versus", {})
        rule = calls.get("rule_decay_neighbours") or calls.get("rule_decay")
        rows = []
        for name, counts in calls.items():
            gap = versus.get(name)
            rows.append({"caller": gettext(lang, _RULE_LABELS.get(name, name)), "called": fmt.number(counts["called"]),
                         "caught": fmt.number(counts["caught"]),
                         "share": fmt.percent(counts["caught"] / entry["positives"]) if entry["positives"] else "",
                         "gap": "" if not gap or gap["difference"] is None else fmt.points(gap["difference"]) + (
                             "" if gap["low"] is None else f" ({fmt.points(gap['low'])} .. {fmt.points(gap['high'])})")})
        windows.append({"weeks": entry["weeks"], "first": fmt.date(entry["first_week"]),
                        "last": fmt.date(entry["last_week"]), "positives": fmt.number(entry["positives"]),
                        "caught": fmt.number(calls["model"]["caught"]),
                        "rule": fmt.number(rule["caught"]) if rule else None, "rows": rows,
                        "ap": fmt.decimal(entry.get("ap")), "brier": fmt.decimal(entry.get("brier"))})
    tiers = [{"tier": tier_name(t["tier"], lang), "range": f"{fmt.percent(t['low'])} – {fmt.percent(t['high'])}",
              "units": fmt.number(t["units"]), "share": fmt.percent(t["share"]) if t["share"] is not None else "",
              "width": round(100 * (t["share"] or 0)), "low": round(100 * t["low"]), "high": round(100 * t["high"])}
             for t in record.get("tiers", [])]
    last = record.get("last_verified")
    return {"windows": windows, "tiers": tiers, "verified": len(record.get("verified", [])),
            "last_week": fmt.date(last) if last else None,
            "pending": [fmt.date(w) for w in record.get("pending", [])], "data_end": fmt.date(record["data_end"])}


def route_view(segments: gpd.GeoDataFrame, events: pd.DataFrame, lang: str) -> dict:
    """The route planner's answer: the routes ranked, the riskiest stretches, the events along them."""
    fmt = Formatter(lang)
    summaries = sorted(segments.attrs["routes"], key=lambda s: s["rank_by_risk"])
    routes = [{"label": route_label(s["route"], lang), "p": fmt.percent(s["probability"]),
               "tier": tier_name(_tier(s["probability"]), lang), "tier_key": _tier(s["probability"]),
               "km": fmt.number(s["km"]), "hours": fmt.number(s["hours"]),
               "extra_hours": fmt.number(s["extra_hours"]), "events_4w": fmt.number(s["events_4w"]),
               "events_52w": fmt.number(s["events_52w"]), "rank_by_risk": s["rank_by_risk"],
               "rank_by_time": s["rank_by_time"], "km_outside": fmt.number(s["km_outside"])} for s in summaries]
    first = segments[segments["route"] == segments.attrs["routes"][0]["route"]]
    riskiest = first.dropna(subset=["probability"]).nlargest(8, "probability")
    stretches = [{"segment": int(r["segment"]), "area": r["adm2_name"] if isinstance(r["adm2_name"], str) else "-",
                  "p": fmt.percent(r["probability"]), "tier": tier_name(r["risk_tier"], lang), "tier_key": r["risk_tier"],
                  "from_km": fmt.number(r["from_km"]), "km": fmt.number(r["km"]), "events_4w": fmt.number(r["events_4w"]),
                  "events_52w": fmt.number(r["events_52w"])} for _, r in riskiest.iterrows()]
    shown = events.nlargest(EVENTS_SHOWN, "date_start").sort_values("km_along", kind="stable")
    along = [{"date": fmt.date(e["date_start"], "medium"), "killed": fmt.number(e["fatalities_best"]),
              "place": _text(e.get("locality")) or _text(e.get("admin2")) or "-",
              "area": ", ".join(v for v in (_text(e.get("admin2")), _text(e.get("admin1"))) if v) or "-",
              "km": fmt.number(round(float(e["km_along"]))), "off": fmt.number(round(float(e["km_off"]), 1)),
              "kind": violence_name(e["violence_type"], lang)} for _, e in shown.iterrows()]
    return {"week": segments.attrs["week"], "buffer_km": fmt.number(segments.attrs["buffer_km"]), "routes": routes,
            "stretches": stretches, "events": along, "events_total": len(events), "events_shown": len(along),
            "notes": route_notes(segments, lang=lang)}


def _text(value: object) -> str:
    return value.strip() if isinstance(value, str) else ""


def _country(iso3: object, fmt: Formatter) -> str:
    known = known_countries().get(str(iso3))
    return fmt.country(known.iso2) if known else str(iso3)


def _tier(p: float) -> str:
    from sahelrisk.scoring.week import risk_tier
    return str(risk_tier(np.array([p]))[0])


def sites_view(sites: pd.DataFrame, lang: str) -> list[dict]:
    """Every scored site as a table row (the page sorts them in the browser)."""
    fmt = Formatter(lang)
    rows = site_rows(sites, len(sites), lang, fmt) or []
    ranked = sites.dropna(subset=["probability"]).sort_values("rank")
    for row, (_, site) in zip(rows, ranked.iterrows()):
        row["p_value"] = float(site["probability"])
        row["tier_key"] = site["risk_tier"]
        # what the page's map draws (JSON in the page, escaped by tojson)
        row["point"] = {"name": str(site["name"]), "latitude": round(float(site.geometry.y), 5),
                        "longitude": round(float(site.geometry.x), 5), "probability": row["p_value"],
                        "risk_tier": str(site["risk_tier"]),
                        # a history for the data's sites: one's own exist for this upload only
                        "site_id": "" if str(site.get("site_id", "user-")).startswith("user-") else str(site["site_id"])}
    return rows
