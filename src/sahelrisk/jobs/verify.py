"""Verifying the published weeks (``sahelrisk verify``, a step of the weekly job): every week
whose outcomes are now in the data, scored as it was published on time.

Reads each week's first frozen revision (:func:`sahelrisk.publishing.ledger.on_time`) and the
located events as known now; writes ``<out>/track_record/`` whole or not at all:

- ``track_record.json``: the rolling summaries (last 4, 13 and 52 verified weeks, all countries
  and per country, against every rule), each verified week's record, the tiers' reliability and
  the weeks still waiting for their outcomes;
- ``weeks.csv``: one row per verified week and level (cells, ADM1, ADM2, mining sites, and the
  route corridors planners had scored for that week), for spreadsheets;
- ``last_week.<lang>.png``: the last verified week's hits (called, and an attack), misses (an
  attack not called) and false alarms (called, no attack).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import geopandas as gpd
import numpy as np
import pandas as pd

from sahelrisk.calendar import deadly_in_forecast
from sahelrisk.data.catalog import Catalog
from sahelrisk.data.sources import load_dataset
from sahelrisk.data.sources.families import select_sources
from sahelrisk.data.window import find_window, resolve_window
from sahelrisk.errors import DataError, LedgerError, SpecError
from sahelrisk.evaluation.track_record import CALLED_TIERS, rolling_summary, tier_reliability, week_record
from sahelrisk.features.panel import PanelInputs, build_units, load_inputs
from sahelrisk.features.spec import spec_from_json
from sahelrisk.features.targets import build_targets, last_observed_origin, target_column
from sahelrisk.files import write_folder_atomic
from sahelrisk.geo import metric_crs_for
from sahelrisk.i18n import LANGUAGES
from sahelrisk.publishing.ledger import Revision, check_ledger, on_time
from sahelrisk.publishing.maps import hits_map
from sahelrisk.scoring.week import TIER_CUTS, TIERS, risk_tier

__all__ = ["verify_published", "verified_rows", "read_track_record", "VerifyResult", "TRACK_RECORD_DIR"]

TRACK_RECORD_DIR = "track_record"
_CELL_COLUMNS = ["unit_id", "country_iso3", "adm1_pcode", "adm2_pcode", "probability", "risk_tier",
                 "deaths_q05", "deaths_q25", "deaths_q75", "deaths_q95"]


@dataclass
class VerifyResult:
    """What :func:`verify_published` found and wrote.

    Attributes
    ----------
    verified : list of str
        The weeks scored (their outcomes are in the data).
    pending : list of str
        The published weeks whose outcomes are not in yet.
    summary : list of dict
        The rolling summaries (:func:`sahelrisk.evaluation.track_record.rolling_summary`).
    folder : pathlib.Path or None
        ``<out>/track_record``, None when nothing could be verified yet.
    data_end : date or None
        The last day the outcomes cover.
    problems : list of str
        What changed in the ledger or the frozen weeks (nothing is scored then).
    checked_only : bool
        Only the ledger was checked.
    """

    verified: list[str] = field(default_factory=list)
    pending: list[str] = field(default_factory=list)
    summary: list[dict] = field(default_factory=list)
    folder: Path | None = None
    data_end: date | None = None
    problems: list[str] = field(default_factory=list)
    checked_only: bool = False

    def raise_for_problems(self) -> None:
        """Raise when the ledger or a frozen week changed.

        Raises
        ------
        LedgerError
            Naming how many changed and the first.
        """
        if self.problems:
            raise LedgerError(f"{len(self.problems)} frozen file(s) or ledger line(s) changed; first: "
                              f"{self.problems[0]}; restore the outputs folder from a backup")


def read_track_record(out_dir: str | Path) -> dict | None:
    """The track record last written in ``out_dir``; None when there is none or it cannot be read
    (a bulletin is published without its track-record section rather than not at all)."""
    path = Path(out_dir) / TRACK_RECORD_DIR / "track_record.json"
    try:
        return json.loads(path.read_text("utf-8"))
    except (OSError, ValueError):
        return None


def _run(revision: Revision) -> dict:
    return json.loads(revision.read("run.json").read_text("utf-8"))


def verified_rows(revision: Revision, targets: pd.DataFrame, target: str, deaths: str) -> pd.DataFrame:
    """One published week's units as published, with their outcome and what the rules said.

    Parameters
    ----------
    revision : Revision
        The frozen revision (its ``risk_grid.parquet`` and ``rules.parquet``).
    targets : pandas.DataFrame
        ``unit_id``, ``week``, ``target`` and ``deaths`` of the revision's units.
    target, deaths : str
        The target and deaths columns.

    Returns
    -------
    pandas.DataFrame
        One row per unit: the published columns, ``outcome``, ``deaths`` and the rules.

    Raises
    ------
    DataError
        A published unit has no outcome (the units changed since it was published).
    """
    grid = pd.read_parquet(revision.read("risk_grid.parquet"))
    cells = pd.DataFrame(grid[[c for c in _CELL_COLUMNS if c in grid]])
    cells["week"] = pd.Timestamp(revision.week)
    rules_path = revision.read("rules.parquet")
    if rules_path.is_file():
        cells = cells.merge(pd.read_parquet(rules_path), on="unit_id", how="left")
    week = targets[targets["week"] == pd.Timestamp(revision.week)][["unit_id", target, deaths]]
    rows = cells.merge(week.rename(columns={target: "outcome", deaths: "deaths"}), on="unit_id", how="left")
    missing = int(rows["outcome"].isna().sum())
    if missing:
        raise DataError(f"week {revision.week} revision {revision.revision}: {missing} published units have no "
                        "outcome (the units were built differently); verify with the data it was published from")
    return rows


def _areas(rows: pd.DataFrame, revision: Revision, level: str) -> pd.DataFrame | None:
    """The week's published areas of ``level`` with their outcome: an event in any of their units."""
    path = revision.read(f"risk_{level}.csv")
    if not path.is_file():
        return None
    key = f"{level}_pcode"
    published = pd.read_csv(path, usecols=lambda c: c in (key, "country_iso3", "probability", "risk_tier"))
    agg = {"outcome": "max", **{c: "max" for c in rows if c.startswith("flag_")},
           **{c: "sum" for c in rows if c.startswith("rule_")}}
    per_area = rows.groupby(key).agg(agg).reset_index()
    out = published.merge(per_area, on=key, how="inner")
    out["week"] = pd.Timestamp(revision.week)
    return out


SITE_RADIUS_KM = 25.0
"""The surroundings a published site's probability is for (the weekly outputs' default)."""


def _fatal_points(events: pd.DataFrame, week: str, horizon: int) -> gpd.GeoSeries:
    """The located fatal events of the weeks t+1 .. t+h after ``week`` (the outcome window), as points."""
    fatal = deadly_in_forecast(events, week, horizon)
    return gpd.GeoSeries(gpd.points_from_xy(fatal["longitude"], fatal["latitude"]), crs="EPSG:4326")


def _sites(revision: Revision, mining: gpd.GeoDataFrame | None, events: pd.DataFrame, horizon: int) -> pd.DataFrame | None:
    """The week's published mining sites with their outcome: a fatal located event within
    :data:`SITE_RADIUS_KM` in the weeks t+1 .. t+h (None when the week published no sites)."""
    path = revision.read("risk_sites.csv")
    if mining is None or not path.is_file():
        return None
    published = pd.read_csv(path, usecols=lambda c: c in ("site_id", "country_iso3", "probability", "risk_tier"))
    places = mining[["site_id", "geometry"]].merge(published, on="site_id", how="inner")
    if places.empty:
        return None
    sites = gpd.GeoDataFrame(places, geometry="geometry", crs=mining.crs).to_crs("EPSG:4326")
    crs = metric_crs_for(sites.geometry.union_all())
    points = gpd.GeoDataFrame(geometry=_fatal_points(events, revision.week, horizon))
    hit = gpd.sjoin(sites.to_crs(crs), points.to_crs(crs), predicate="dwithin", distance=SITE_RADIUS_KM * 1000,
                    how="inner")
    out = pd.DataFrame(sites.drop(columns="geometry"))
    out["outcome"] = out.index.isin(hit.index).astype(float)
    out["week"] = pd.Timestamp(revision.week)
    return out


def _corridors(out_dir: Path, week: str, events: pd.DataFrame, horizon: int) -> pd.DataFrame | None:
    """The route corridors planners had scored for ``week`` (``<out>/routes/<week>/*/``), each with
    its outcome: a fatal located event within the corridor's half-width in the weeks t+1 .. t+h."""
    folders = sorted((out_dir / "routes" / week).glob("*/summary.json")) if (out_dir / "routes" / week).is_dir() else []
    if not folders:   # most weeks: no planner scored a route
        return None
    rows = []
    points = _fatal_points(events, week, horizon)
    for path in folders:
        try:
            summary = json.loads(path.read_text("utf-8"))
            stretches = gpd.read_file(path.with_name("route.geojson"))
        except (OSError, ValueError):
            continue   # a route folder being written, or damaged: not a published answer
        for route in summary.get("routes", []):
            line = stretches.loc[stretches["route"] == route["route"]].geometry.union_all()
            if line.is_empty:
                continue
            crs = metric_crs_for(line)
            reach = gpd.GeoSeries([line], crs="EPSG:4326").to_crs(crs).iloc[0]
            near = points.to_crs(crs).dwithin(reach, float(summary.get("buffer_km", 10.0)) * 1000).any()
            rows.append({"week": pd.Timestamp(week), "route": f"{path.parent.name}: {route['route']}",
                         "probability": float(route["probability"]), "outcome": float(near)})
    if not rows:
        return None
    out = pd.DataFrame(rows)
    out["risk_tier"] = risk_tier(out["probability"])
    return out


def verify_published(out_dir: str | Path, data_dir: Path | None, catalog: Catalog, *, as_of: date | None = None,
                     data_end: date | None = None, inputs: PanelInputs | None = None, check_only: bool = False,
                     log: Callable[[str], None] = lambda _: None) -> VerifyResult:
    """Score every published week whose outcomes are in the data, as it was published on time.

    Parameters
    ----------
    out_dir : path-like
        The outputs folder (with ``ledger/``).
    data_dir : pathlib.Path or None
        The data directory (the outcomes: the located events as known now); None only to check.
    catalog : Catalog
        The data catalog.
    as_of, data_end : date, optional
        The data window of the outcomes (default what the data supports).
    inputs : PanelInputs, optional
        The sources already loaded (their cut-off is then the outcomes').
    check_only : bool
        Only recompute every hash of the ledger and the frozen weeks (no data is read).
    log : callable
        Receives progress lines.

    Returns
    -------
    VerifyResult
        With ``problems`` (and nothing scored) when anything frozen changed: a changed record is
        not scored as if it were the one published.

    Raises
    ------
    DataError
        A published unit has no outcome.
    """
    out_dir = Path(out_dir)
    result = VerifyResult(problems=check_ledger(out_dir), checked_only=check_only)
    if check_only or result.problems:
        return result
    published = on_time(out_dir)
    if not published:
        log("nothing published yet: no week to verify")
        return result
    runs = {week: _run(revision) for week, revision in published.items()}
    first = spec_from_json(next(iter(runs.values()))["feature_spec"])
    if inputs is None:
        if data_dir is None:
            raise SpecError("verifying the published weeks needs the data directory of their outcomes")
        window = find_window(catalog, data_dir, first.countries, as_of=as_of, data_end=data_end)
        inputs = load_inputs(catalog, data_dir, as_of=window.as_of, spec=first)
        if "places" in catalog.datasets:   # the towns named on the last verified week's map
            inputs.layers["places"] = load_dataset(catalog["places"], data_dir, as_of=window.as_of).table
    else:
        window = resolve_window(inputs.events, first.countries, as_of=inputs.as_of, data_end=data_end)
    result.data_end = window.data_end
    groups: dict[tuple, list[Revision]] = {}
    for week, revision in published.items():
        run = runs[week]
        identity = run.get("model_identity") or {}
        key = (json.dumps(run["feature_spec"], sort_keys=True), identity.get("target_kind", "any_fatal"),
               identity.get("target_source", "ucdp"), int(run["horizon_weeks"]))
        groups.setdefault(key, []).append(revision)
    cells: list[pd.DataFrame] = []
    areas: dict[str, list[pd.DataFrame]] = {"adm1": [], "adm2": [], "sites": [], "corridors": []}
    mining = inputs.layers.get("mining_sites")
    for (spec_json, kind, source, horizon), revisions in groups.items():
        last = last_observed_origin(window.data_end, horizon)
        due = [r for r in revisions if pd.Timestamp(r.week) <= last]
        result.pending += [r.week for r in revisions if pd.Timestamp(r.week) > last]
        if not due:
            continue
        spec = spec_from_json(json.loads(spec_json))
        units = build_units(spec, inputs)
        events = select_sources(inputs.events, (source,))
        weeks = [pd.Timestamp(r.week) for r in due]
        target, deaths = target_column(kind, horizon), target_column("fatalities", horizon)
        targets = build_targets(events, units, min(weeks), max(weeks), horizons=(horizon,),
                                kinds=tuple(dict.fromkeys((kind, "fatalities"))), data_end=window.data_end)
        for revision in due:
            rows = verified_rows(revision, targets, target, deaths)
            cells.append(rows)
            for level in ("adm1", "adm2"):
                found = _areas(rows, revision, level)
                if found is not None:
                    areas[level].append(found)
            published_sites = _sites(revision, mining, events, horizon)
            if published_sites is not None:
                areas["sites"].append(published_sites)
            corridors = _corridors(out_dir, revision.week, events, horizon)
            if corridors is not None:
                areas["corridors"].append(corridors)
            result.verified.append(revision.week)
        log(f"verified {len(due)} week(s) of {spec.name} ({kind}, {horizon} weeks ahead)")
    result.verified.sort()
    result.pending.sort()
    if not cells:
        log(f"no published week has its outcomes in the data yet (the data ends {window.data_end})")
        return result
    every = pd.concat(cells, ignore_index=True)
    result.summary = rolling_summary(every)
    record = _record(every, {level: pd.concat(found, ignore_index=True) for level, found in areas.items() if found},
                     result)
    last = published[result.verified[-1]]
    result.folder = _write(out_dir, record, _statuses(last, every[every["week"] == pd.Timestamp(last.week)]),
                           inputs.layers)
    return result


def _statuses(revision: Revision, rows: pd.DataFrame) -> gpd.GeoDataFrame:
    """The last verified week's cells as published, each a hit, a miss, a false alarm or quiet."""
    grid = gpd.read_parquet(revision.read("risk_grid.parquet"), columns=["unit_id", "geometry"])
    called = rows["risk_tier"].isin(CALLED_TIERS).to_numpy()
    event = rows["outcome"].to_numpy() > 0
    status = np.select([called & event, event, called], ["hit", "miss", "false alarm"], "quiet")
    return grid.merge(pd.DataFrame({"unit_id": rows["unit_id"].to_numpy(), "status": status}), on="unit_id")


def _record(cells: pd.DataFrame, areas: dict[str, pd.DataFrame], result: VerifyResult) -> dict:
    """What ``track_record.json`` holds."""
    weeks = []
    for week, part in cells.groupby("week", sort=True):
        entry = {"week": str(pd.Timestamp(week).date()), "level": "cells", **week_record(part),
                 "tiers": tier_reliability(part, TIERS, TIER_CUTS)}
        weeks.append(entry)
        for level, rows in areas.items():
            those = rows[rows["week"] == week]
            if len(those):
                weeks.append({"week": entry["week"], "level": level, **week_record(those)})
    return {"data_end": str(result.data_end), "verified": result.verified, "last_verified": result.verified[-1], "pending": result.pending,
            "called_tiers": ["high", "very high"], "summary": result.summary, "tiers": tier_reliability(cells, TIERS, TIER_CUTS),
            "weeks": weeks}


def _write(out_dir: Path, record: dict, last_week: gpd.GeoDataFrame, layers: dict) -> Path:
    rows = []
    for entry in record["weeks"]:
        flat = {k: v for k, v in entry.items() if not isinstance(v, (dict, list))}
        for name, calls in entry.get("calls", {}).items():
            flat[f"called_{name}"], flat[f"caught_{name}"] = calls["called"], calls["caught"]
        rows.append(flat)

    def fill(tmp: Path) -> None:
        (tmp / "track_record.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
        pd.DataFrame(rows).to_csv(tmp / "weeks.csv", index=False)
        for lang in LANGUAGES:   # printable, and readable offline
            hits_map(last_week, tmp / f"last_week.{lang}.png", week=record["verified"][-1], lang=lang,
                     countries=layers.get("admin0"), adm1=layers.get("admin1"), places=layers.get("places"))

    return write_folder_atomic(out_dir / TRACK_RECORD_DIR, fill)
