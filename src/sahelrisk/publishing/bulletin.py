"""The weekly bulletin: one self-contained HTML page planners can print or forward."""

from __future__ import annotations

import base64
import html
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.scoring.week import TIER_CUTS, TIERS, tier_index

__all__ = ["render_bulletin", "what_changed"]


def _pct(value) -> str:
    return "-" if pd.isna(value) else f"{value:.0%}" if abs(value) >= 0.01 else f"{value:.1%}"


def _change(value) -> str:
    return "-" if pd.isna(value) else f"{value * 100:+.1f} pts"


def _rows(frame: pd.DataFrame) -> str:
    return "\n".join(
        f"<tr><td>{r['rank']}</td><td>{html.escape(str(r['adm2_name']))}</td><td>{html.escape(str(r['adm1_name']))}</td>"
        f"<td>{html.escape(str(r['country_iso3']))}</td><td>{_pct(r['probability'])}</td><td>{html.escape(r['risk_tier'])}</td>"
        f"<td>{_change(r['change_vs_last_week'])}</td><td>{html.escape(r['top_drivers'] or '-')}</td></tr>"
        for _, r in frame.iterrows())


def _accuracy(metrics: dict, horizon_weeks: int) -> str:
    def get(name):
        return metrics.get(name, float("nan"))
    ap, auc, top10 = get("model_ap"), get("model_roc_auc"), get("model_top10_recall")
    base_ap = get("decay_neighbours_ap")
    bss, rate = get("model_brier_skill"), get("zero_positives") / max(get("zero_rows"), 1)
    if pd.isna(ap):
        return "<p>No backtest metrics were logged with this model.</p>"
    return (f"<p>In the rolling-origin backtest (every week of 2020-2023, forecasts made with the data known at the time), "
            f"{_pct(rate)} of cell-weeks saw a fatal event within {horizon_weeks} weeks. Of the cells that did, "
            f"<b>{top10:.0%} had been among that week's 10% highest-risk cells</b>. Average precision was {ap:.2f} "
            f"(the decayed-history baseline reached {base_ap:.2f}), ROC AUC {auc:.2f}, Brier skill against climatology "
            f"{bss:.2f}. Probabilities are calibrated: among cells given 20%, about one in five saw an event.</p>")


def _area_note(metrics: dict) -> str:
    """How far area probabilities can be taken at their word, from the model's area backtest."""
    independent, calibrated = metrics.get("adm2_independent_ece"), metrics.get("adm2_calibrated_ece")
    if independent is None:
        return "Area probabilities treat the cells as independent, which can lean high for large areas."
    return (f"Area probabilities were checked against what happened in each area in the backtest: the gap "
            f"between forecast and observed frequency (ECE) is {min(independent, calibrated or 1):.3f}, so the "
            f"tiers hold for areas too.")


def _changes(changed: dict) -> str:
    return ("<h3>Areas that moved up a tier</h3>" + _items(changed["up"], "none this week")
            + "<h3>Possible onsets: high risk, no fatal event in the past year</h3>"
            + _items(changed["onsets"], "none this week")
            + "<h3>The deadliest events of the past four weeks</h3>" + _items(changed["events"], "none recorded"))


def what_changed(adm2: pd.DataFrame, cells: pd.DataFrame | None, recent: pd.DataFrame | None,
                 limit: int = 10) -> dict[str, list[str]]:
    """Plain lines for the bulletin's "what changed" section.

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
        and ``events`` (the deadliest recent events), each a list of lines.
    """
    last = adm2["probability_last_week"] if "probability_last_week" in adm2 else pd.Series(np.nan, index=adm2.index)
    now, before = tier_index(adm2["probability"]), tier_index(last.fillna(0))
    rose = (now > before) & last.notna().to_numpy()
    moved = adm2[rose].assign(_now=now[rose])
    up = [f"{r['adm2_name']} ({r['adm1_name']}): {TIERS[tier_index([r['probability_last_week']])[0]]} → "
          f"{TIERS[r['_now']]}, {_pct(r['probability_last_week'])} → {_pct(r['probability'])}"
          for _, r in moved.sort_values("probability", ascending=False).head(limit).iterrows()]
    onsets = []
    if cells is not None and "events_52w" in cells:
        quiet = cells[cells["risk_tier"].isin(["high", "very high"]) & (cells["events_52w"] == 0)]
        onsets = [f"cell {r['unit_id']} in {r['adm2_name']} ({r['adm1_name']}): {_pct(r['probability'])}, no fatal "
                  "event there in the past year" for _, r in quiet.nsmallest(limit, "rank").iterrows()]
    events = []
    if recent is not None and len(recent):
        for _, e in recent.sort_values("fatalities_best", ascending=False).head(limit).iterrows():
            place = ", ".join(str(v) for v in (e.get("admin2"), e.get("admin1")) if isinstance(v, str) and v)
            events.append(f"{pd.Timestamp(e['date_start']).date()}: {int(e['fatalities_best'])} killed"
                          f"{' in ' + place if place else ''} ({str(e['violence_type']).replace('_', ' ')})")
    return {"up": up, "onsets": onsets, "events": events}


def _items(lines: list[str], empty: str) -> str:
    return "<ul>" + ("".join(f"<li>{html.escape(line)}</li>" for line in lines) or f"<li>{empty}</li>") + "</ul>"


def render_bulletin(*, week, horizon_weeks: int, model_version: str, latest_event: str, adm2: pd.DataFrame,
                    metrics: dict, map_png: str | Path | None = None, top: int = 20, risers: int = 10,
                    coverage: tuple[str, ...] = (), cells: pd.DataFrame | None = None,
                    recent: pd.DataFrame | None = None) -> str:
    ordered = adm2.sort_values("rank")
    rising = adm2.dropna(subset=["change_vs_last_week"]).nlargest(risers, "change_vs_last_week")
    image = ""
    if map_png is not None and Path(map_png).is_file():
        image = (f"<img alt='risk map' style='max-width:100%' src='data:image/png;base64,"
                 f"{base64.b64encode(Path(map_png).read_bytes()).decode()}'>")
    counts = adm2["risk_tier"].value_counts()
    cuts = [0.0, *TIER_CUTS, 1.0]
    tiers = ", ".join(f"{counts.get(t, 0)} {t} ({cuts[i]:.0%}-{cuts[i + 1]:.0%})" for i, t in enumerate(TIERS))
    head = ("<tr><th>rank</th><th>ADM2</th><th>ADM1</th><th>country</th><th>probability</th><th>tier</th>"
            "<th>change vs last week</th><th>main drivers</th></tr>")
    week = pd.Timestamp(week)
    return f"""<!doctype html><html><head><meta charset="utf-8">
<title>Conflict risk bulletin, week of {week.date()}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:1.5em auto;color:#222}} table{{border-collapse:collapse;font-size:13px;width:100%}}
td,th{{border-bottom:1px solid #ddd;padding:4px 6px;text-align:left}} .meta{{color:#555}}</style></head><body>
<h1>Risk of a fatal attack in the next {horizon_weeks} weeks</h1>
<p class="meta">Week of {week.date()} (forecast for {(week + pd.Timedelta(weeks=1)).date()} to
{(week + pd.Timedelta(weeks=horizon_weeks, days=6)).date()}) &middot; model {html.escape(model_version)} &middot;
latest event used {html.escape(str(latest_event))} &middot; areas by tier: {tiers}</p>
<p>Each probability is the chance of at least one event with a death in the area in the coming {horizon_weeks} weeks,
combined over the area's 0.5-degree cells. {_area_note(metrics)} Drivers are the three inputs that raised the score most in the area's
highest-risk cell.</p>
<h2>Data coverage</h2><ul>{"".join(f"<li>{html.escape(line)}</li>" for line in coverage)}</ul>
<h2>The {top} highest-risk areas</h2><table>{head}{_rows(ordered.head(top))}</table>
<h2>Where risk rose most since last week</h2><table>{head}{_rows(rising)}</table>
<h2>What changed</h2>{_changes(what_changed(adm2, cells, recent))}
<h2>Map</h2>{image}
<h2>How accurate is this?</h2>{_accuracy(metrics, horizon_weeks)}
<h2>Limits</h2><ul>
<li>Built on UCDP events, which record only violence that killed someone and place it to a village or district;
unreported attacks and recent weeks not yet coded are missing.</li>
<li>The model ranks best where violence already is; attacks in areas quiet for a year or more are rarely foreseen.</li>
<li>Mining sites are industrial only (no artisanal gold sites) and roads are the main inter-city corridors.</li>
</ul>
</body></html>"""
