"""Writing one scoring run's outputs into ``<out>/<as_of>/``, atomically: the folder appears
complete or not at all (a failed run leaves the previous outputs in place)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Sequence
from dataclasses import asdict
from pathlib import Path

import geopandas as gpd
import pandas as pd

from sahelrisk.calendar import RECENT_WEEKS, DateLike, events_in_weeks, parse_week
from sahelrisk.escaping import distinct_slug, write_csv, write_geojson
from sahelrisk.features.panel import PanelInputs
from sahelrisk.files import write_folder_atomic
from sahelrisk.i18n import LANGUAGES, Formatter, check_language, gettext
from sahelrisk.publishing.bulletin import render_bulletin, write_pdf
from sahelrisk.publishing.maps import interactive_map, static_map
from sahelrisk.publishing.route_map import route_map
from sahelrisk.publishing.summaries import unscored_notes
from sahelrisk.registry.models import LoadedModel
from sahelrisk.routes.plan import plan_sites
from sahelrisk.scoring.week import ScoreResult

__all__ = ["write_outputs", "output_files", "write_route_outputs", "write_site_outputs"]

DATA_FILES = ("risk_grid.parquet", "risk_grid.geojson", "risk_adm2.csv", "risk_adm1.csv", "risk_areas.parquet",
              "risk_sites.csv", "rules.parquet", "run.json")
LANGUAGE_FILES = ("map.{lang}.html", "map.{lang}.png", "bulletin.{lang}.html", "bulletin.{lang}.pdf")


def _recent_events(events: pd.DataFrame, week: pd.Timestamp, countries: Iterable[str] | None = None) -> pd.DataFrame:
    """Located events of the :data:`RECENT_WEEKS` up to the end of ``week``, the ones the maps show."""
    recent = events_in_weeks(events, week, RECENT_WEEKS)
    return recent if countries is None else recent[recent["country_iso3"].isin(list(countries)).to_numpy()]


def output_files(langs: Sequence[str] = LANGUAGES) -> tuple[str, ...]:
    """The files of one output folder when written in ``langs``."""
    return DATA_FILES + tuple(name.format(lang=lang) for lang in langs for name in LANGUAGE_FILES)


def write_outputs(result: ScoreResult, loaded: LoadedModel, inputs: PanelInputs, out_dir: str | Path, *, horizon_weeks: int, extra: dict | None = None,
                  langs: Sequence[str] = LANGUAGES, health: dict | None = None, track: dict | None = None) -> Path:
    """Write one scoring run's outputs into ``<out_dir>/<week>/``, whole or not at all.

    Parameters
    ----------
    result : ScoreResult
    loaded : LoadedModel
    inputs : PanelInputs
        The data the run scored with (events for the map and bulletin, layers for places).
    langs : sequence of {"fr", "en"}
        Languages of the maps and bulletins (each: ``map.<lang>.html``, ``map.<lang>.png``,
        ``bulletin.<lang>.html``, ``bulletin.<lang>.pdf``).
    health : dict, optional
        Feed health and feature drift (:mod:`sahelrisk.jobs.health`), shown in the bulletins and
        kept in ``run.json``.
    track : dict, optional
        The track record as last verified (``track_record.json``), told in the bulletins.

    Returns
    -------
    pathlib.Path
        The folder written.
    """
    langs = tuple(check_language(lang) for lang in langs)
    started = time.perf_counter()
    cells, adm2 = result.cells, result.areas["adm2"]
    week = pd.Timestamp(cells["week"].iloc[0])
    coverage = result.coverage
    final = Path(out_dir) / str(week.date())

    def fill(tmp: Path) -> None:
        cells.to_parquet(tmp / "risk_grid.parquet")
        if result.rules is not None:   # what the simple rules said, for the track record
            result.rules.to_parquet(tmp / "rules.parquet")
        write_geojson(cells, tmp / "risk_grid.geojson")
        write_csv(adm2.drop(columns="geometry"), tmp / "risk_adm2.csv")
        if "adm1" in result.areas:
            write_csv(result.areas["adm1"].drop(columns="geometry"), tmp / "risk_adm1.csv")
        # both levels with their shapes, for the web app's area maps and GeoJSON downloads
        pd.concat([frame.assign(level=level) for level, frame in result.areas.items()],
                  ignore_index=True).to_parquet(tmp / "risk_areas.parquet")
        recent = _recent_events(inputs.events, week, loaded.spec.countries)
        sites = None
        if inputs.layers.get("mining_sites") is not None:
            sites = plan_sites(week, cells, inputs.events, inputs.layers["mining_sites"], loaded.spec.countries,
                               calibration=loaded.area_calibration)
            write_csv(sites.drop(columns="geometry"), tmp / "risk_sites.csv")
        countries = inputs.layers["admin0"]
        countries = countries[countries["country_iso3"].isin(list(loaded.spec.countries))]
        model_version = f"{loaded.name} v{loaded.version}"
        for lang in langs:
            fmt = Formatter(lang)
            title = gettext(lang, "Risk of a fatal attack in the next %(h)s weeks", h=horizon_weeks)
            subtitle = gettext(lang, "week of %(week)s, model %(model)s", week=fmt.date(week), model=model_version)
            (tmp / f"map.{lang}.html").write_text(interactive_map(
                cells, adm2, recent, inputs.layers.get("mining_sites"), inputs.layers.get("roads"), title=title,
                places=inputs.layers.get("places"), countries=countries, adm1=result.areas.get("adm1"), lang=lang),
                encoding="utf-8")
            static_map(cells, adm2, countries, tmp / f"map.{lang}.png", title=title, subtitle=subtitle, lang=lang)
            page = render_bulletin(
                week=week, horizon_weeks=horizon_weeks, model_version=model_version,
                latest_event=cells["latest_event"].iloc[0], adm2=adm2, metrics=loaded.metrics,
                map_png=tmp / f"map.{lang}.png", coverage=coverage, cells=cells, recent=recent, sites=sites,
                health=health, track=track, lang=lang)
            (tmp / f"bulletin.{lang}.html").write_text(page, encoding="utf-8")
            write_pdf(page, tmp / f"bulletin.{lang}.pdf")
        run = {"week": str(week.date()), "as_of": str(inputs.as_of), "horizon_weeks": horizon_weeks,
               "model": loaded.name, "model_version": loaded.version, "model_identity": loaded.identity,
               "mlflow_run_id": loaded.run_id, "data_fingerprint": inputs.fingerprint, "latest_event": cells["latest_event"].iloc[0],
               "feature_spec": json.loads(loaded.spec.to_json()),
               "country_coverage": [asdict(c) for c in coverage], "units": len(cells), "adm2_areas": len(adm2), "languages": list(langs),
               "timings_s": {**result.seconds, "outputs_s": round(time.perf_counter() - started, 2)},
               **({"health": health} if health else {}), **(extra or {})}
        (tmp / "run.json").write_text(json.dumps(run, indent=2, default=str) + "\n")

    return write_folder_atomic(final, fill)



def write_route_outputs(segments: gpd.GeoDataFrame, cells: gpd.GeoDataFrame, inputs: PanelInputs, out_dir: str | Path, name: str, *, langs: Sequence[str] = LANGUAGES) -> Path:
    """A route assessment (:func:`sahelrisk.routes.risk.assess_routes`) into
    ``<out_dir>/routes/<week>/<name>/``, whole or not at all: ``route.geojson`` (every stretch of
    every route), ``segments.csv``, ``summary.json`` and ``route.<lang>.html``. ``name`` is made a
    safe folder name (:func:`sahelrisk.escaping.file_slug`): it cannot be empty, ``..`` or a path."""
    week = pd.Timestamp(segments.attrs["week"])
    recent = _recent_events(inputs.events, week)

    def fill(tmp: Path) -> None:
        write_geojson(segments, tmp / "route.geojson")
        write_csv(segments.drop(columns="geometry"), tmp / "segments.csv")
        (tmp / "summary.json").write_text(json.dumps({"week": segments.attrs["week"], "buffer_km": segments.attrs["buffer_km"],
                                                      "routes": segments.attrs["routes"]}, indent=2, default=str) + "\n")
        countries = inputs.layers["admin0"]
        for lang in langs:
            title = "; ".join([gettext(lang, "Risk along the route, week of %(week)s", week=Formatter(lang).date(week)),
                               *unscored_notes(segments, lang=lang)])
            (tmp / f"route.{lang}.html").write_text(route_map(segments, cells, recent, places=inputs.layers.get("places"),
                                                              countries=countries[countries["country_iso3"].isin(
                                                                  sorted(set(cells["country_iso3"])))],
                                                              title=title, lang=lang), encoding="utf-8")

    return write_folder_atomic(Path(out_dir) / "routes" / str(week.date()) / distinct_slug(name, "route"), fill)


def write_site_outputs(sites: gpd.GeoDataFrame, out_dir: str | Path, week: DateLike) -> Path:
    """Scored sites into ``<out_dir>/sites/<week>/``: ``sites.csv`` and ``sites.geojson``."""
    week = parse_week(week)   # a folder per Monday, whatever day of the week was asked

    def fill(tmp: Path) -> None:
        write_csv(sites.drop(columns="geometry"), tmp / "sites.csv")
        write_geojson(sites, tmp / "sites.geojson")

    return write_folder_atomic(Path(out_dir) / "sites" / str(week.date()), fill)
