"""The ``sahelrisk`` command line: options, one call into the run's steps, and printing.

One week's run is assembled in :mod:`sahelrisk.jobs.run`; each command here reads its options,
makes one call there (or into the Python API, which calls the same steps) and prints the records it
gets back. Errors the user can fix print as one line on stderr, and the exit code says which cause
(:mod:`sahelrisk.errors`); no traceback. Dates come from the caller or the data: ``--as-of`` (the
data cut-off) and ``--data-end`` default to what the loaded data supports, ``--week`` to the latest
week it supports; only ``data check`` defaults its cut-off to today, at this edge.
"""

from __future__ import annotations

import logging
import os
import sys
from datetime import date, datetime, timezone
from pathlib import Path
from typing import Annotated, Any, Optional

import typer

from sahelrisk import console as show
from sahelrisk.data.catalog import load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.errors import EXIT_INTERNAL, FetchError, SahelriskError, SpecError
from sahelrisk.registry.models import DEFAULT_SPEC

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Weekly conflict-attack risk for the central Sahel.")
data_app = typer.Typer(no_args_is_help=True, help="Fetch and check the source data.")
app.add_typer(data_app, name="data")
features_app = typer.Typer(no_args_is_help=True, help="Build the weekly feature panel.")
app.add_typer(features_app, name="features")

DataOpt = Annotated[Optional[Path], typer.Option("--data-dir", "--data", help="Data directory (else $SAHELRISK_DATA, ./data, ../shared/data).")]
CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="Catalog TOML (default: the packaged one).")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="Data cut-off YYYY-MM-DD: rows dated later are not used (default: today for 'data check', else what the data supports).")]
DataEndOpt = Annotated[Optional[str], typer.Option("--data-end", help="Last day the data covers, YYYY-MM-DD (default: the last complete week of the located events).")]
CountriesOpt = Annotated[Optional[str], typer.Option("--countries", help="Comma-separated ISO3 codes in scope (default: every known country).")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="fr or en: the language of the maps, bulletins and the printed summary (default: both written, summary in English).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (quarantine files, reports).")]
SpecOpt = Annotated[Path, typer.Option("--spec", help="Training spec TOML (the model's identity).")]
TrackingOpt = Annotated[Optional[str], typer.Option("--tracking-uri", help="MLflow tracking URI (default: SQLite under mlruns/).")]
WeekOpt = Annotated[str, typer.Option("--week", help="The week to forecast from: its Monday or any day of it (YYYY-MM-DD).")]
ModelOpt = Annotated[str, typer.Option("--model", help="Registry alias or version number.")]
FeatureSpecOpt = Annotated[Path, typer.Option("--spec", help="Feature spec TOML.")]
UpdateTimeoutOpt = Annotated[float, typer.Option("--timeout", min=1, help="Seconds UCDP's site may take, all files together (a file at most 900; a transfer under 1 KiB/s for 60 s, or headers slower than a minute, stop sooner); past it, a warning and the data held unchanged.")]
ClusterOpt = Annotated[Optional[str], typer.Option("--cluster", help="This command on a Dask cluster: local:N or tcp://host:8786 (as the global --cluster, which it overrides).")]


def _on_cluster(ctx: typer.Context, value: str | None) -> Any:
    """A command's cluster: its own ``--cluster``, else the global one (or ``$SAHELRISK_CLUSTER``'s), else None (here); the step that needs it starts it."""
    from sahelrisk.cluster import parse_cluster
    return parse_cluster(value) if value else (ctx.obj or {}).get("cluster")


@app.callback()
def _options(ctx: typer.Context, threads: Annotated[Optional[int], typer.Option(
        "--threads", min=1, help="Cores a run may use: backtest folds fitted at once, threads of a single fit "
                                 "(else $SAHELRISK_THREADS, else the cores this process may run on: affinity and "
                                 "cgroup quota).")] = None,
             cluster: Annotated[Optional[str], typer.Option(
        "--cluster", help="Where panels are built and backtest folds fitted: local:N (N Dask worker processes "
                          "here) or tcp://host:8786 (a running Dask scheduler); else $SAHELRISK_CLUSTER, else "
                          "this process. Started only when a step needs it.")] = None) -> None:
    """Weekly conflict-attack risk for the central Sahel."""
    from threadpoolctl import threadpool_limits

    from sahelrisk.cluster import cluster_from
    from sahelrisk.cores import THREADS_VARIABLE, thread_count
    if threads is not None:
        os.environ[THREADS_VARIABLE] = str(threads)  # the process and any worker it starts
    threadpool_limits(thread_count())  # BLAS and OpenMP pools of numpy and scikit-learn too
    ctx.obj = {"cluster": cluster_from(cluster)}   # checked here, for every command


def utc_now() -> datetime:
    """The system clock in UTC, read here at the edge: the library is handed it or what it says."""
    return datetime.now(timezone.utc)


def served_app() -> Any:
    """One process of ``serve --workers N`` (uvicorn's factory): its settings from the environment, its clock from here."""
    from sahelrisk.serving.app import app_from_environment
    return app_from_environment(clock=utc_now)


def _date_arg(value: str | None, name: str) -> date | None:
    from sahelrisk.calendar import parse_date
    return None if value is None else parse_date(value, name).date()


def _countries(value: str | None) -> set[str] | None:
    from sahelrisk.countries import country_codes
    return country_codes(value or None, "--countries")


def _languages(lang: str | None) -> tuple[tuple[str, ...], str]:
    """The languages written (both by default) and the one the summary is printed in."""
    from sahelrisk.i18n import LANGUAGES, check_language
    return ((check_language(lang),), check_language(lang)) if lang else (LANGUAGES, "en")


@data_app.command("check")
def data_check(data: DataOpt = None, catalog: CatalogOpt = None, as_of: AsOfOpt = None,
               countries: CountriesOpt = None, out: OutOpt = Path("outputs"),
               spec: Annotated[Path, typer.Option("--spec", help="Feature spec whose countries' coverage is checked (unless --countries).")] = Path("features/default.toml")) -> None:
    """Load and validate every dataset; print rows loaded, quarantined, date range and countries, and
    whether each country's events still cover the last week the data supports."""
    from sahelrisk.features.spec import load_spec
    from sahelrisk.jobs.run import check_step

    scope = _countries(countries) or (load_spec(spec).countries if spec.is_file() else None)
    cut_off = _date_arg(as_of, "--as-of") or date.today()   # the edge: only here does "today" default
    with show.status("loading") as status:
        record = check_step(load_catalog(catalog), resolve_data_dir(data), as_of=cut_off, countries=scope,
                            out_dir=out, command="data check", on_dataset=lambda name: status.update(f"loading {name}"))
    show.print_check(record)
    if not scope:
        show.line("per-country coverage not checked: pass --countries or --spec")
    record.raise_for_problems()


@data_app.command("list")
def data_list(catalog: CatalogOpt = None) -> None:
    """List the catalog: datasets, files, licences and official sources."""
    show.print_catalog(load_catalog(catalog))


@data_app.command("fetch")
def data_fetch(data: DataOpt = None, catalog: CatalogOpt = None,
               mirror: Annotated[Optional[str], typer.Option("--mirror", help="Base URL of a mirror laid out like the data directory.")] = None,
               dataset: Annotated[Optional[list[str]], typer.Option("--dataset", help="Only this dataset (repeatable).")] = None,
               force: Annotated[bool, typer.Option("--force", help="Download again even if the file is up to date.")] = False) -> None:
    """Download the catalog's files (SHA-256 checked, resumable) into the data directory."""
    from sahelrisk.data.fetch import fetch_catalog

    target = resolve_data_dir(data, create=True)   # where every other command reads
    progress, on_progress = show.download_progress()
    with progress:
        outcomes = fetch_catalog(load_catalog(catalog), target, mirror=mirror, datasets=dataset, force=force,
                                 on_progress=on_progress)
    failed = show.print_fetched(outcomes, target)
    if failed:
        raise FetchError(f"{failed} file(s) failed to download; see the messages above")


@data_app.command("update")
def data_update(data: DataOpt = None,
                countries: Annotated[Optional[str], typer.Option("--countries", help="Comma-separated ISO3 codes in scope (default: the feature spec's).")] = None,
                ucdp_url: Annotated[Optional[str], typer.Option("--ucdp-url", help="UCDP download root (else $SAHELRISK_UCDP_URL, else https://ucdp.uu.se/downloads/).")] = None,
                spec: Annotated[Path, typer.Option("--spec", help="Feature spec whose countries are in scope.")] = Path("features/default.toml"),
                ucdp_api: Annotated[Optional[list[str]], typer.Option("--ucdp-api", help="Also pull this GED or Candidate version (e.g. 26.0.8) through the UCDP API; token in $SAHELRISK_UCDP_TOKEN (repeatable).")] = None,
                acled: Annotated[bool, typer.Option("--acled", help="Also update ACLED's events through its API; account in $SAHELRISK_ACLED_USERNAME / _PASSWORD. Rows stay in your data directory.")] = False,
                timeout: UpdateTimeoutOpt = 1800.0) -> None:
    """Bring in UCDP's newest releases (final GED, monthly and cumulative Candidate) and report what changed."""
    from sahelrisk.data.update import DEFAULT_UCDP_URL, UCDP_URL_ENV
    from sahelrisk.features.spec import load_spec
    from sahelrisk.jobs.update import update_step

    target = resolve_data_dir(data, create=True)   # where every other command reads
    now = utc_now()   # the edge: the library takes the date from its caller
    progress, on_progress = show.download_progress()
    with progress:
        record = update_step(target, today=now.date(), retrieved_at=now.isoformat(timespec="seconds"),
                             base_url=ucdp_url or os.environ.get(UCDP_URL_ENV) or DEFAULT_UCDP_URL,
                             countries=sorted(_countries(countries) or load_spec(spec).countries),
                             ucdp_api=ucdp_api or (), acled=acled, deadline_s=timeout, on_progress=on_progress,
                             log=show.line)
    show.print_update(record, target)


@features_app.command("build")
def features_build(ctx: typer.Context, spec: FeatureSpecOpt = Path("features/default.toml"), data: DataOpt = None,
                   catalog: CatalogOpt = None, as_of: AsOfOpt = None,
                   start: Annotated[Optional[str], typer.Option("--start", help="First week (default: the spec's).")] = None,
                   end: Annotated[Optional[str], typer.Option("--end", help="Last week (default: the spec's).")] = None,
                   out: Annotated[Optional[Path], typer.Option("--out", help="Parquet file to write (on a cluster: the folder of panel datasets).")] = None,
                   cluster: ClusterOpt = None) -> None:
    """Build the (unit_id, week) feature panel from a spec and save it as Parquet (on a cluster, by
    partition into a Parquet dataset)."""
    from sahelrisk.features.spec import load_spec
    from sahelrisk.jobs.panel import build_panel_step

    with show.status("loading sources and building the panel"):
        build_panel_step(load_spec(spec), resolve_data_dir(data), load_catalog(catalog), as_of=_date_arg(as_of, "--as-of"),
                         start=_date_arg(start, "--start"), end=_date_arg(end, "--end"), out=out, log=show.line,
                         cluster=_on_cluster(ctx, cluster))


@app.command("backtest")
def backtest_cmd(ctx: typer.Context, spec: SpecOpt = Path(DEFAULT_SPEC), data: DataOpt = None, catalog: CatalogOpt = None,
                 out: OutOpt = Path("outputs"), as_of: AsOfOpt = None, data_end: DataEndOpt = None,
                 all_horizons: Annotated[bool, typer.Option("--all-horizons", help="Every report horizon of the spec, not only the trained one.")] = False,
                 baselines_only: Annotated[bool, typer.Option("--baselines-only", help="Skip the model (fast).")] = False,
                 protocol: Annotated[str, typer.Option("--protocol", help="rolling (the spec's rolling origins) or views-challenge (the ViEWS 2023/24 challenge: monthly state-based deaths, 3-14 months ahead, draws).")] = "rolling",
                 years: Annotated[str, typer.Option("--years", help="views-challenge: the window years, e.g. 2018-2023.")] = "2018-2023",
                 draws: Annotated[int, typer.Option("--draws", min=10, max=10000, help="views-challenge: draws per cell-month of the model, zero, last and boot_240 (the conflictology benchmarks draw their own 12 and 108 months).")] = 1000,
                 cluster: ClusterOpt = None) -> None:
    """Rolling-origin backtest of the model and every baseline: backtest.json and an HTML report
    (or, with --protocol views-challenge, the challenge's draws, actuals and metrics per window)."""
    from sahelrisk.data.window import DataWindow
    from sahelrisk.evaluation.backtest import run_backtests
    from sahelrisk.evaluation.report import write_backtest_report
    from sahelrisk.modeling.executors import open_executor
    from sahelrisk.modeling.frame import prepare_frame
    from sahelrisk.modeling.spec import load_training_spec

    where = _on_cluster(ctx, cluster)
    if protocol not in ("rolling", "views-challenge"):
        raise SpecError(f"unknown protocol {protocol!r}; use rolling or views-challenge")
    training_spec = load_training_spec(spec)
    if protocol == "views-challenge":
        return _views_challenge(training_spec, data, catalog, out, years, draws)
    horizons = list(training_spec.report_horizons) if all_horizons else [training_spec.horizon_weeks]
    with open_executor(where, log=show.line) as executor:
        with show.status("building the panel and targets"):
            tf = prepare_frame(training_spec, resolve_data_dir(data), as_of=_date_arg(as_of, "--as-of"),
                               data_end=_date_arg(data_end, "--data-end"), catalog=load_catalog(catalog),
                               executor=executor)
        show.line(DataWindow(tf.as_of, tf.data_end, tf.extent_reason).describe())
        with show.fold_progress() as on_fold:
            result = run_backtests(training_spec, tf, horizons, include_model=not baselines_only, on_fold=on_fold)
    json_path, html_path = write_backtest_report(result, training_spec, out)
    for h in horizons:
        show.print_backtest(result.table(h), f"Backtest, target {training_spec.target_kind}, horizon {h} weeks")
    show.line(f"{result.seconds:.0f} s; written {json_path} and {html_path}")


def _views_challenge(spec: Any, data: Path | None, catalog: Path | None, out: Path, years: str, draws: int) -> None:
    from sahelrisk.jobs.views import run_views_challenge

    record = run_views_challenge(spec, resolve_data_dir(data), load_catalog(catalog), out, years=years,
                                 n_draws=draws, log=show.line)
    show.print_views(record.table, years)


@app.command("train")
def train_cmd(ctx: typer.Context, spec: SpecOpt = Path(DEFAULT_SPEC), data: DataOpt = None, catalog: CatalogOpt = None,
              out: OutOpt = Path("outputs"), tracking_uri: TrackingOpt = None, as_of: AsOfOpt = None,
              data_end: DataEndOpt = None,
              register: Annotated[bool, typer.Option("--register", help="Register a model version; promote it to champion if better on the same folds.")] = False,
              models_dir: Annotated[Path, typer.Option("--models-dir", help="Where model cards of promoted models go.")] = Path("models"),
              cluster: ClusterOpt = None) -> None:
    """Backtest, train on every observed week, log to MLflow and (with --register) register and promote."""
    from sahelrisk.jobs.train import train_and_track
    from sahelrisk.modeling.spec import load_training_spec

    where = _on_cluster(ctx, cluster)
    training_spec = load_training_spec(spec)
    with show.fold_progress() as on_fold:
        outcome = train_and_track(training_spec, resolve_data_dir(data), as_of=_date_arg(as_of, "--as-of"),
                                  data_end=_date_arg(data_end, "--data-end"), register=register, out_dir=out,
                                  models_dir=models_dir, tracking_uri=tracking_uri, on_fold=on_fold,
                                  catalog=load_catalog(catalog), cluster=where, log=show.line)
    show.print_training(outcome, training_spec)


@app.command("score")
def score_cmd(week: WeekOpt,
              horizon_weeks: Annotated[Optional[int], typer.Option("--horizon-weeks", help="Must be the model's horizon (default: the model's).")] = None,
              units: Annotated[str, typer.Option("--units", help="grid, adm2 or adm1 (table printed; all are written).")] = "grid",
              model: ModelOpt = "champion", spec: SpecOpt = Path(DEFAULT_SPEC), as_of: AsOfOpt = None,
              data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
              tracking_uri: TrackingOpt = None, lang: LangOpt = None,
              countries: Annotated[Optional[str], typer.Option("--countries", help="Comma-separated ISO3 codes the printed table shows; each must be one the model was trained on (all of the model's are written).")] = None) -> None:
    """Score one week with a registered model; write grids, maps and the bulletins to <out>/<week>/."""
    from sahelrisk.api import load_model, score_with_layers
    from sahelrisk.calendar import parse_week
    from sahelrisk.jobs.run import publish_step
    from sahelrisk.scoring.week import check_unit_level

    check_unit_level(units)
    langs, say = _languages(lang)
    wanted = _countries(countries)
    monday, cut_off = parse_week(week, "--week"), _date_arg(as_of, "--as-of")   # the edge: before any model is read
    loaded = load_model(model, spec, tracking_uri=tracking_uri)
    loaded.check_scores(horizon_weeks, units, wanted)
    with show.status(f"scoring the week of {monday.date()}"):
        scored = score_with_layers(monday, model=loaded, data_dir=data, as_of=cut_off,
                                   catalog=load_catalog(catalog), levels=("adm2", "adm1"), layers=())
    with show.status("writing maps and the bulletin"):
        folder = publish_step(scored, out, langs=langs, published_at=utc_now().isoformat(timespec="seconds"), catalog=load_catalog(catalog),
                              data_dir=resolve_data_dir(data))
    show.print_scored(scored, units, say, countries=wanted)
    show.print_written(folder, say)


@app.command("route")
def route_cmd(week: WeekOpt,
              origin: Annotated[Optional[str], typer.Option("--from", help="Origin: a place name (accents and case ignored; 'Name, ISO3' to pick a country) or lat,lon.")] = None,
              via: Annotated[Optional[list[str]], typer.Option("--via", help="A stop on the way (repeat for several).")] = None,
              destination: Annotated[Optional[str], typer.Option("--to", help="Destination: a place name or lat,lon.")] = None,
              track: Annotated[Optional[Path], typer.Option("--track", help="The route as recorded: a GPX or GeoJSON line (instead of --from/--to).")] = None,
              alternatives: Annotated[int, typer.Option("--alternatives", min=0, max=5, help="Up to K other routes through the same stops, each a different way.")] = 0,
              buffer_km: Annotated[float, typer.Option("--buffer-km", min=0.5, max=100, help="Half-width of the corridor (km).")] = 10.0,
              speed_kmh: Annotated[float, typer.Option("--speed-kmh", min=1, max=150, help="Speed assumed on a --track (km/h).")] = 50.0,
              model: ModelOpt = "champion", spec: SpecOpt = Path(DEFAULT_SPEC), as_of: AsOfOpt = None,
              data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
              tracking_uri: TrackingOpt = None, lang: LangOpt = None) -> None:
    """The risk along a convoy route for a week: per stretch and for the whole route, with safer alternatives."""
    from sahelrisk.api import route_of, score_with_layers
    from sahelrisk.calendar import parse_week
    from sahelrisk.publishing.outputs import write_route_outputs

    langs, say = _languages(lang)
    if (track is None) == (origin is None or destination is None):
        raise SpecError("give either --from and --to (with optional --via), or --track FILE")
    if track is not None and (via or alternatives):
        raise SpecError("--via and --alternatives route on the road network; a --track is taken as recorded")
    stops = [origin, *(via or []), destination] if track is None else None
    monday, cut_off = parse_week(week, "--week"), _date_arg(as_of, "--as-of")
    with show.status("scoring the week and routing"):
        scored = score_with_layers(monday, model=model, data_dir=data, spec=spec, tracking_uri=tracking_uri,
                                   as_of=cut_off, catalog=load_catalog(catalog))
        segments = route_of(scored, stops if track is None else track, alternatives=alternatives,
                            buffer_km=buffer_km, speed_kmh=speed_kmh)
    show.print_route(segments, scored.model.horizon_weeks, say)
    # a folder name from the stops or the track's file name (made safe where the folder is written)
    name = "-".join(str(s) for s in stops) if stops is not None else Path(str(track)).stem
    folder = write_route_outputs(segments, scored.result.cells, scored.inputs, out, name, langs=langs)
    show.print_written(folder, say)


@app.command("sites")
def sites_cmd(week: WeekOpt,
              sites: Annotated[Optional[Path], typer.Option("--sites", help="Your own sites: a CSV (name, latitude, longitude) or GeoJSON of points, scored with the mining sites.")] = None,
              radius_km: Annotated[float, typer.Option("--radius-km", min=1, max=200, help="The surroundings of a site (km).")] = 25.0,
              only_mine: Annotated[bool, typer.Option("--only-mine", help="Score only the --sites file, not the mining layers.")] = False,
              top: Annotated[int, typer.Option("--top", min=1, help="Rows printed.")] = 15,
              model: ModelOpt = "champion", spec: SpecOpt = Path(DEFAULT_SPEC), as_of: AsOfOpt = None,
              data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
              tracking_uri: TrackingOpt = None, lang: LangOpt = None) -> None:
    """The risk at and around every mining site (and your own sites) for a week, ranked."""
    from sahelrisk.api import site_risk
    from sahelrisk.calendar import parse_week
    from sahelrisk.publishing.outputs import write_site_outputs
    from sahelrisk.publishing.summaries import top_sites

    _, say = _languages(lang)
    if only_mine and sites is None:
        raise SpecError("--only-mine needs --sites FILE")
    monday = parse_week(week, "--week")
    with show.status("scoring the week and the sites"):
        table = site_risk(monday, sites, radius_km=radius_km, include_mining=not only_mine, model=model,
                          data_dir=data, spec=spec, tracking_uri=tracking_uri, as_of=_date_arg(as_of, "--as-of"),
                          catalog=load_catalog(catalog))
    show.print_summary(top_sites(table, radius_km=radius_km, lang=say, n=top))
    show.print_written(write_site_outputs(table, out, monday), say)


@app.command("weekly")
def weekly_cmd(ctx: typer.Context, data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
               spec: SpecOpt = Path(DEFAULT_SPEC), tracking_uri: TrackingOpt = None,
               offline: Annotated[bool, typer.Option("--offline", help="Skip the data update (air-gapped machines, tests).")] = False,
               ucdp_url: Annotated[Optional[str], typer.Option("--ucdp-url", envvar="SAHELRISK_UCDP_URL", help="A site laid out like UCDP's download site.")] = None,
               retrain: Annotated[bool, typer.Option("--retrain", help="Retrain even if the schedule does not ask for it.")] = False,
               as_of: AsOfOpt = None, data_end: DataEndOpt = None, cluster: ClusterOpt = None,
               timeout: UpdateTimeoutOpt = 1800.0) -> None:
    """The weekly job: update, check, retrain when due, promote only a better model, score, publish, record.

    --as-of and --data-end replay a past week. Exits 0 when published, 10 when published with some
    data stale, 11 when there was nothing new."""
    from sahelrisk.jobs.weekly import run_weekly

    where = _on_cluster(ctx, cluster)
    now = utc_now()   # the CLI is the edge: the library takes the date as an argument
    result = run_weekly(spec, data_dir=data, out_dir=out, tracking_uri=tracking_uri, offline=offline,
                        ucdp_url=ucdp_url, today=now.date(), started_at=now.isoformat(timespec="seconds"),
                        catalog=load_catalog(catalog), force_retrain=retrain, as_of=_date_arg(as_of, "--as-of"),
                        data_end=_date_arg(data_end, "--data-end"), log=show.line, cluster=where,
                        update_timeout_s=timeout)
    record = result.record
    show.line(f"{result.status}: week {record.get('week')}, model v{record.get('champion')}; run record {result.record_path}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command("run")
def run_cmd(ctx: typer.Context, data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
            spec: SpecOpt = Path(DEFAULT_SPEC), tracking_uri: TrackingOpt = None, as_of: AsOfOpt = None,
            data_end: DataEndOpt = None,
            skip_training: Annotated[bool, typer.Option("--skip-training", help="Score with the current champion; do not retrain.")] = False,
            lang: LangOpt = None, cluster: ClusterOpt = None) -> None:
    """The main job end to end: check the data, backtest, train and register, score the latest week the data supports, write outputs."""
    from sahelrisk.jobs.run import RunPolicy, run_once
    from sahelrisk.modeling.spec import load_training_spec

    langs, say = _languages(lang)
    with show.fold_progress() as on_fold:
        record = run_once(spec, data_dir=data, catalog=load_catalog(catalog), out_dir=out,
                          as_of=_date_arg(as_of, "--as-of"), data_end=_date_arg(data_end, "--data-end"),
                          policy=RunPolicy(train=not skip_training), langs=langs, tracking_uri=tracking_uri, log=show.line,
                          on_check=show.print_check, on_fold=on_fold, cluster=_on_cluster(ctx, cluster),
                          published_at=utc_now().isoformat(timespec="seconds"))
    if record.training is not None:
        show.print_training(record.training, load_training_spec(spec))
    show.print_scored(record.scored, "adm2", say)
    show.print_written(record.folder, say)


@app.command("verify")
def verify_cmd(data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
               check: Annotated[bool, typer.Option("--check", help="Only recompute every hash of the frozen weeks and the ledger; exit 14 naming what changed.")] = False) -> None:
    """Score every published week whose outcomes are in, as it was published: <out>/track_record/."""
    from sahelrisk.api import verify
    with show.status("verifying the published weeks"):
        result = verify(out, data_dir=data, catalog=load_catalog(catalog), check_only=check, log=show.line)
    show.print_verified(result)
    result.raise_for_problems()


@app.command("serve")
def serve_cmd(out: Annotated[Path, typer.Option("--out-dir", "--out", help="The weekly job's outputs folder (the published weeks).")] = Path("outputs"),
              data: DataOpt = None, tracking_uri: TrackingOpt = None,
              host: Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0 for every interface, behind a proxy).")] = "127.0.0.1",
              port: Annotated[int, typer.Option("--port", min=1, max=65535, help="Port to listen on.")] = 8000,
              root_path: Annotated[str, typer.Option("--root-path", help="The path the app is served under behind a reverse proxy, e.g. /sahelrisk.")] = "",
              workers: Annotated[int, typer.Option("--workers", min=1, max=64, help="Server processes (each keeps its own data in memory).")] = 1) -> None:
    """The planners' web app: this week's map, the archive, the route planner, mining sites and the JSON API (/api/v1, docs at /docs)."""
    from sahelrisk.serving import ServeSettings, serve

    settings = ServeSettings(out_dir=out, data_dir=resolve_data_dir(data), tracking_uri=tracking_uri,
                             token=os.environ.get("SAHELRISK_API_TOKEN") or None, clock=utc_now)
    serve(settings, host=host, port=port, root_path=root_path, workers=workers, factory="sahelrisk.cli:served_app", log=show.line)


def main() -> None:
    """The ``sahelrisk`` command: exit codes per cause (:mod:`sahelrisk.errors`), one line, no traceback."""
    try:
        logging.basicConfig(level=show.log_level(os.environ.get("SAHELRISK_LOG", "WARNING")),
                            format="%(levelname)s %(name)s: %(message)s")
        app()
    except SahelriskError as e:
        show.err.print(f"error: {e}", soft_wrap=True, markup=False, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        show.err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # a bug, not a user error: still one line, the traceback on request
        if os.environ.get("SAHELRISK_DEBUG"):
            raise
        show.err.print(f"internal error: {type(e).__name__}: {e}. Re-run with SAHELRISK_DEBUG=1 for the traceback "
                  "and report it", soft_wrap=True, markup=False, highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
