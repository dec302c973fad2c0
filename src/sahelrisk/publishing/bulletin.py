"""The weekly bulletin in French and English: one self-contained HTML page planners can print or
forward, and the same page as an A4 PDF.

The page is a Jinja2 template (``templates/bulletin.html.j2``) with autoescaping on: every text
from data or a user's file lands escaped. Its words come from the gettext catalog and its dates,
numbers and percentages from Babel (:mod:`sahelrisk.i18n`).
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, BinaryIO

import numpy as np
import pandas as pd
from jinja2 import Environment, PackageLoader, select_autoescape

from sahelrisk.calendar import DateLike, forecast_period, parse_week
from sahelrisk.countries import known_countries
from sahelrisk.evaluation.zones import DEFAULT_RADIUS_KM
from sahelrisk.i18n import Formatter, check_language, gettext, translations
from sahelrisk.scoring.drivers import phrase_all
from sahelrisk.scoring.week import TIER_CUTS, TIERS, tier_index

__all__ = ["render_bulletin", "what_changed", "write_pdf", "tier_name", "violence_name", "template_environment",
           "area_rows", "site_rows", "tier_rows"]


def N_(message: str) -> str:
    return message


_TIER_NAMES = {"low": N_("low"), "elevated": N_("elevated"), "high": N_("high"), "very high": N_("very high")}
_VIOLENCE = {"state_based": N_("state-based"), "non_state": N_("between armed groups"),
             "one_sided": N_("against civilians")}


def tier_name(tier: str, lang: str) -> str:
    """A tier's name in ``lang``."""
    return gettext(lang, _TIER_NAMES[tier]) if tier in _TIER_NAMES else str(tier)


def violence_name(kind: object, lang: str) -> str:
    """A UCDP type of violence (1 state-based, 2 non-state, 3 one-sided) in words, in ``lang``."""
    return gettext(lang, _VIOLENCE[kind]) if kind in _VIOLENCE else str(kind).replace("_", " ")


@lru_cache(maxsize=None)
def template_environment(lang: str, package: str = "sahelrisk.publishing") -> Environment:
    """Jinja2 templates of ``package`` (its ``templates/`` folder), autoescaped, speaking ``lang``."""
    env = Environment(loader=PackageLoader(package, "templates"),
                      autoescape=select_autoescape(default=True, default_for_string=True),
                      extensions=["jinja2.ext.i18n"])
    # The i18n extension adds this method when it loads.
    env.install_gettext_translations(translations(lang), newstyle=True)  # type: ignore[attr-defined]
    return env


def what_changed(adm2: pd.DataFrame, cells: pd.DataFrame | None, recent: pd.DataFrame | None,
                 limit: int = 10, lang: str = "en") -> dict[str, list[dict]]:
    """The bulletin's "what changed" section as records, formatted for ``lang``.

    Parameters
    ----------
    adm2 : pandas.DataFrame
        Areas with ``probability`` and ``probability_last_week``.
    cells : pandas.DataFrame, optional
        Cells with ``risk_tier`` and ``events_52w`` (fatal events in the past year).
    recent : pandas.DataFrame, optional
        Located events of the past weeks (``date_start``, ``fatalities_best``, ``admin1``, ``admin2``).

    Returns
    -------
    dict
        ``up`` (areas that moved up a tier), ``onsets`` (high-risk cells with no event in a year)
        and ``events`` (the deadliest recent events), each a list of dicts of display values.
    """
    fmt = Formatter(lang)
    last = adm2["probability_last_week"] if "probability_last_week" in adm2 else pd.Series(np.nan, index=adm2.index)
    now, before = tier_index(adm2["probability"]), tier_index(last.fillna(0))
    rose = (now > before) & last.notna().to_numpy()
    moved = adm2[rose].assign(_now=now[rose], _before=before[rose])
    up = [{"area": r["adm2_name"], "region": r["adm1_name"], "before_tier": tier_name(TIERS[r["_before"]], lang),
           "tier": tier_name(TIERS[r["_now"]], lang), "before": fmt.percent(r["probability_last_week"]),
           "now": fmt.percent(r["probability"])}
          for _, r in moved.sort_values("probability", ascending=False).head(limit).iterrows()]
    onsets = []
    if cells is not None and "events_52w" in cells:
        quiet = cells[cells["risk_tier"].isin(["high", "very high"]) & (cells["events_52w"] == 0)]
        onsets = [{"cell": r["unit_id"], "area": r["adm2_name"], "region": r["adm1_name"], "p": fmt.percent(r["probability"])}
                  for _, r in quiet.nsmallest(limit, "rank").iterrows()]
    events = []
    if recent is not None and len(recent):
        for _, e in recent.sort_values("fatalities_best", ascending=False).head(limit).iterrows():
            place = ", ".join(str(v) for v in (e.get("admin2"), e.get("admin1")) if isinstance(v, str) and v)
            events.append({"date": fmt.date(e["date_start"], "medium"), "killed": fmt.number(e["fatalities_best"]),
                           "place": place, "kind": violence_name(e["violence_type"], lang)})
    return {"up": up, "onsets": onsets, "events": events}


def _area_note(metrics: dict, lang: str) -> str:
    """How far area probabilities can be taken at their word, from the model's area backtest."""
    independent, calibrated = metrics.get("adm2_independent_ece"), metrics.get("adm2_calibrated_ece")
    if independent is None:
        return gettext(lang, "Area probabilities treat the cells as independent, which can lean high for large areas.")
    ece = min(independent, calibrated if calibrated is not None else 1)
    return gettext(lang, "Area probabilities were checked against what happened in each area in the backtest: the gap "
                         "between forecast and observed frequency (ECE) is %(ece)s, so the tiers hold for areas too.",
                   ece=Formatter(lang).number(round(ece, 3)) if ece >= 0.01 else f"{ece:.3f}")


def _accuracy(metrics: dict, fmt: Formatter) -> dict | None:
    if pd.isna(metrics.get("model_ap", float("nan"))):
        return None

    def two(name: str) -> str:
        return fmt.number(round(metrics.get(name, float("nan")), 2)) if name in metrics else "-"
    rate = metrics.get("zero_positives", float("nan")) / max(metrics.get("zero_rows", 1), 1)
    return {"rate": fmt.percent(rate), "top10": fmt.percent(metrics.get("model_top10_recall")),
            "ap": two("model_ap"), "base_ap": two("decay_neighbours_ap"), "auc": two("model_roc_auc"),
            "bss": two("model_brier_skill")}


def _coverage(item: Any, lang: str, fmt: Formatter) -> dict:
    if isinstance(item, str):   # a line already written (older run records)
        return {"text": item, "stale": False}
    name = fmt.country(_iso2(item.country))
    text = gettext(lang, "%(country)s: latest located event %(date)s; %(n)s events in the past 52 weeks, against "
                         "%(expected)s expected from its previous three years", country=name,
                   date=fmt.date(item.last_event), n=fmt.number(item.events_last_year),
                   expected=fmt.number(item.expected))
    if item.stale:
        text = gettext(lang, "%(line)s: STALE, its map reads calm only because its data stopped", line=text)
    return {"text": text, "stale": bool(item.stale)}


def _iso2(iso3: str) -> str:
    country = known_countries().get(iso3)
    return country.iso2 if country else iso3


def area_rows(frame: pd.DataFrame, lang: str, fmt: Formatter) -> list[dict]:
    """Display rows of scored areas: rank, names, probability, tier, change and reasons."""
    rows = []
    for _, r in frame.iterrows():
        rows.append({"rank": r["rank"], "area": r["adm2_name"], "region": r["adm1_name"],
                     "country": fmt.country(_iso2(r["country_iso3"])), "p": fmt.percent(r["probability"]),
                     "tier": tier_name(r["risk_tier"], lang), "change": fmt.points(r.get("change_vs_last_week")),
                     "drivers": _reasons(r, "driver_records", "top_drivers", lang),
                     "changes": _reasons(r, "change_records", "top_changes", lang)})
    return rows


def site_rows(sites: pd.DataFrame | None, top: int, lang: str, fmt: Formatter) -> list[dict] | None:
    """Display rows of the ``top`` scored sites (None when there are no sites)."""
    if sites is None:
        return None
    ranked = sites.dropna(subset=["probability"]).sort_values("rank").head(top)
    return [{"rank": r["rank"], "name": r["name"], "kind": r.get("site_kind") or "-", "commodity": r.get("commodity") or "-",
             "country": fmt.country(_iso2(r["country_iso3"])) if isinstance(r.get("country_iso3"), str) else "-",
             "p": fmt.percent(r["probability"]), "tier": tier_name(r["risk_tier"], lang),
             "events_4w": fmt.number(r["events_4w"]), "events_52w": fmt.number(r["events_52w"])}
            for _, r in ranked.iterrows()]


def _deadly_rows(adm2: pd.DataFrame, lang: str, fmt: Formatter, top: int = 10) -> list[dict] | None:
    """Areas most at risk of a mass-casualty event (10 or more deaths), when the model forecasts deaths."""
    if "p_10plus_deaths" not in adm2:
        return None
    ranked = adm2.sort_values(["p_10plus_deaths", "probability"], ascending=False).head(top)
    return [{"area": r["adm2_name"], "region": r["adm1_name"], "p10": fmt.percent(r["p_10plus_deaths"]),
             "p25": fmt.percent(r["p_25plus_deaths"]), "expected": fmt.number(r["deaths_expected"]),
             "low": fmt.number(r["deaths_q05"]), "high": fmt.number(r["deaths_q95"]),
             "mid_low": fmt.number(r["deaths_q25"]), "mid_high": fmt.number(r["deaths_q75"])}
            for _, r in ranked.iterrows()]


_FEED_STATUS = {"ok": N_("ok"), "low": N_("low"), "stopped": N_("stopped")}


def _feeds(health: dict | None, fmt: Formatter) -> list[dict]:
    return [{"country": fmt.country(_iso2(f["country"])), "received": fmt.number(f["received"]),
             "expected": fmt.number(f["expected"]), "status": gettext(fmt.lang, _FEED_STATUS.get(f["status"], f["status"])),
             "alert": f["status"] != "ok"} for f in (health or {}).get("feeds", [])]


def _row_drops(health: dict | None, fmt: Formatter) -> list[dict]:
    return [{"country": fmt.country(_iso2(d["country"])), "now": fmt.number(d["now"]),
             "previous": fmt.number(d["previous"])} for d in (health or {}).get("row_drops") or []]


def _fallback(health: dict | None) -> dict | None:
    fallback = (health or {}).get("fallback")
    return {"model": fallback["model"], "version": fallback["version"]} if fallback else None


def _reasons(row: pd.Series, records: str, text: str, lang: str) -> list[str]:
    if records in row and isinstance(row[records], str):
        return phrase_all(row[records], lang)
    value = row.get(text)
    return [value] if isinstance(value, str) and value else []


def tier_rows(units: pd.DataFrame, fmt: Formatter) -> list[dict]:
    """Each tier's name, probability range and number of ``units`` in it."""
    counts = units["risk_tier"].value_counts()
    cuts = [0.0, *TIER_CUTS, 1.0]
    return [{"tier": t, "name": tier_name(t, fmt.lang), "count": int(counts.get(t, 0)),
             "range": f"{fmt.percent(cuts[i])}–{fmt.percent(cuts[i + 1])}"} for i, t in enumerate(TIERS)]


def render_bulletin(*, week: DateLike, horizon_weeks: int, model_version: str, latest_event: DateLike | str | None, adm2: pd.DataFrame,
                    metrics: dict, map_png: str | Path | None = None, top: int = 20, risers: int = 10,
                    coverage: Sequence[Any] = (), cells: pd.DataFrame | None = None, recent: pd.DataFrame | None = None,
                    sites: pd.DataFrame | None = None, top_sites: int = 10, health: dict | None = None,
                    track: dict | None = None, lang: str = "en") -> str:
    """The bulletin as an HTML page in ``lang``.

    Parameters
    ----------
    week : date-like
        The week forecast from.
    adm2 : pandas.DataFrame
        The scored ADM2 areas (``rank``, ``probability``, ``risk_tier``, names, driver records).
    metrics : dict
        The model's logged backtest metrics (the accuracy and area paragraphs).
    map_png : path, optional
        The static map, embedded in the page.
    sites : pandas.DataFrame, optional
        Scored mining sites (:func:`sahelrisk.routes.risk.site_risk`); the ``top_sites`` first listed.
    coverage : sequence
        Per-country coverage (:class:`sahelrisk.data.extent.CountryCoverage`, or lines of text).
    track : dict, optional
        The track record as ``sahelrisk verify`` last wrote it (``track_record.json``): its most
        recent verified week and last 4 weeks are told in words.
    lang : {"fr", "en"}

    Returns
    -------
    str
    """
    check_language(lang)
    fmt = Formatter(lang)
    week = parse_week(week)
    tiers = tier_rows(adm2, fmt)
    image = None
    if map_png is not None and Path(map_png).is_file():
        image = base64.b64encode(Path(map_png).read_bytes()).decode()
    changed = what_changed(adm2, cells, recent, lang=lang)
    rising = adm2.dropna(subset=["change_vs_last_week"]).nlargest(risers, "change_vs_last_week")
    first_day, last_day = forecast_period(week, horizon_weeks)
    return template_environment(lang).get_template("bulletin.html.j2").render(
        lang=lang, week_long=fmt.date(week), first_day=fmt.date(first_day),
        last_day=fmt.date(last_day), horizon_weeks=horizon_weeks,
        model_version=model_version, latest_event=fmt.date(latest_event) if _is_date(latest_event) else latest_event,
        tiers=tiers, area_note=_area_note(metrics, lang), coverage=[_coverage(c, lang, fmt) for c in coverage],
        top=area_rows(adm2.sort_values("rank").head(top), lang, fmt), risers=area_rows(rising, lang, fmt),
        moved_up=changed["up"], onsets=changed["onsets"], events=changed["events"], map_png=image,
        accuracy=_accuracy(metrics, fmt), sites=site_rows(sites, top_sites, lang, fmt),
        site_radius_km=fmt.number(DEFAULT_RADIUS_KM), feeds=_feeds(health, fmt), deadly=_deadly_rows(adm2, lang, fmt),
        drifted=[d["feature"] for d in (health or {}).get("drift", []) if d.get("alert")],
        row_drops=_row_drops(health, fmt), fallback=_fallback(health), track=_track(track, fmt))


def _rule_caught(calls: dict) -> int | None:
    rule = calls.get("rule_decay_neighbours") or calls.get("rule_decay")
    return None if rule is None else int(rule["caught"])


def _track(track: dict | None, fmt: Formatter) -> dict | None:
    """The last verified week's cells and the last 4 verified weeks, for the bulletin's sentences."""
    weeks = [w for w in (track or {}).get("weeks", []) if w.get("level") == "cells" and w.get("calls")]
    if not weeks:
        return None
    last = weeks[-1]
    out: dict = {"week": fmt.date(last["week"]), "positives": fmt.number(last["positives"]),
                 "caught": fmt.number(last["calls"]["model"]["caught"]),
                 "called": fmt.number(last["calls"]["model"]["called"]), "rule": _rule_caught(last["calls"]),
                 "window": None}
    window = next((e for e in (track or {}).get("summary", []) if e.get("scope") == "all" and e.get("window_weeks") == 4),
                  None)
    if window is not None and _rule_caught(window["calls"]) is not None:
        out["window"] = {"weeks": window["weeks"], "positives": fmt.number(window["positives"]),
                         "caught": fmt.number(window["calls"]["model"]["caught"]),
                         "rule": fmt.number(_rule_caught(window["calls"]))}
    if out["rule"] is not None:
        out["rule"] = fmt.number(out["rule"])
    return out


def _is_date(value: object) -> bool:
    try:
        pd.Timestamp(value)
        return True
    except (ValueError, TypeError):
        return False


def write_pdf(page: str, path: str | Path | BinaryIO) -> None:
    """The bulletin page as an A4 PDF (the page's own print styles set the paper and margins) into
    ``path``, a file path or a binary file object."""
    from weasyprint import HTML
    from weasyprint.urls import URLFetcher

    # The page is self-contained (its map is inline): it fetches nothing, whatever a name in it says.
    HTML(string=page, base_url=None, url_fetcher=URLFetcher(allowed_protocols=["data"])).write_pdf(
        path if hasattr(path, "write") else str(path))
