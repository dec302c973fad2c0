"""The ``sahelrisk`` command line.

Errors the user can fix print as one line on stderr, and the exit code says which cause
(:mod:`sahelrisk.errors`); no traceback. Dates come from the caller or the data: ``--as-of`` (the
data cut-off) and ``--data-end`` default to what the loaded data supports, ``--week`` to the
latest week it supports; only ``data check`` defaults its cut-off to today, at this edge.
"""

from __future__ import annotations

import contextlib
import logging
import os
import sys
import time
from datetime import date
from pathlib import Path
from typing import Annotated, Optional

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from sahelrisk.data.catalog import load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.errors import (
    EXIT_INTERNAL,
    DataError,
    DataGapError,
    FetchError,
    SahelriskError,
    SpecError,
)

app = typer.Typer(add_completion=False, pretty_exceptions_enable=False, no_args_is_help=True,
                  help="Weekly conflict-attack risk for the central Sahel.")
data_app = typer.Typer(no_args_is_help=True, help="Fetch and check the source data.")
app.add_typer(data_app, name="data")
features_app = typer.Typer(no_args_is_help=True, help="Build the weekly feature panel.")
app.add_typer(features_app, name="features")

# Piped output (CI logs, files) gets a wide table instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)

DataOpt = Annotated[Optional[Path], typer.Option("--data-dir", "--data", help="Data directory (else $SAHELRISK_DATA, ./data, ../shared/data).")]
CatalogOpt = Annotated[Optional[Path], typer.Option("--catalog", help="Catalog TOML (default: the packaged one).")]
AsOfOpt = Annotated[Optional[str], typer.Option("--as-of", help="Data cut-off YYYY-MM-DD: rows dated later are not used (default: today for 'data check', else what the data supports).")]
DataEndOpt = Annotated[Optional[str], typer.Option("--data-end", help="Last day the data covers, YYYY-MM-DD (default: the last complete week of the located events).")]
CountriesOpt = Annotated[Optional[str], typer.Option("--countries", help="Comma-separated ISO3 codes in scope (default: every known country).")]
LangOpt = Annotated[Optional[str], typer.Option("--lang", help="fr or en: the language of the maps, bulletins and the printed summary (default: both written, summary in English).")]
OutOpt = Annotated[Path, typer.Option("--out", help="Output folder (quarantine files, reports).")]


def _as_of(value: str | None) -> date:
    return date.today() if value is None else _date_arg(value, "--as-of")


def _countries(value: str | None) -> set[str] | None:
    if not value:
        return None
    from sahelrisk.countries import get_country
    return {get_country(code.strip().upper()).iso3 for code in value.split(",") if code.strip()}


def _print_reports(reports) -> None:
    # Notes first, so the summary table closes the output.
    for r in reports:
        if r.message and r.status != "ok":
            console.print(f"[bold]{r.name}[/]: {r.message}", soft_wrap=True)
        for note in r.notes:
            console.print(f"{r.name}: {note}", soft_wrap=True)
        if r.quarantine_file:
            console.print(f"{r.name}: {r.quarantined} rejected rows with reasons in {r.quarantine_file}", soft_wrap=True)
    table = Table(title="Data check", caption="* required dataset")
    for column in ("dataset", "status", "read", "loaded", "quarantined", "out of scope", "dates", "countries"):
        table.add_column(column, justify="right" if column in {"read", "loaded", "quarantined", "out of scope"} else "left")
    for r in reports:
        dates = f"{r.date_min} .. {r.date_max}" if r.date_min else "-"
        countries = ",".join(r.countries) if len(r.countries) <= 4 else f"{len(r.countries)} countries"
        status = {"ok": "[green]ok[/]", "missing": "[yellow]missing[/]", "error": "[red]error[/]"}[r.status]
        table.add_row(r.name + (" *" if r.required else ""), status, f"{r.rows_read:,}", f"{r.rows_loaded:,}",
                      f"{r.quarantined:,}", f"{r.out_of_scope:,}", dates, countries or "-")
    console.print(table)


def _coverage_scope(countries: str | None, spec: Path | None) -> list[str]:
    if countries:
        return sorted(_countries(countries))
    if spec is not None and spec.is_file():
        from sahelrisk.features.spec import load_spec
        return sorted(load_spec(spec).countries)
    return []


def _check(data, catalog, as_of, countries, out, command: str, spec: Path | None = None) -> None:
    from sahelrisk.data.check import (
        check_data,
        coverage_report,
        missing_required,
        reports_to_json,
    )

    data_dir = resolve_data_dir(data)
    as_of_date = _as_of(as_of)
    cat = load_catalog(catalog)
    with _status("loading") as status:
        reports = check_data(cat, data_dir, as_of=as_of_date, countries=_countries(countries), out_dir=out,
                             on_dataset=lambda name: status.update(f"loading {name}"))
    scope = _coverage_scope(countries, spec)
    missing = missing_required(reports)
    coverage = [] if missing or not scope else coverage_report(cat, data_dir, as_of=as_of_date, countries=scope)
    path = reports_to_json(reports, Path(out) / "data_check.json", coverage=coverage, data_dir=str(data_dir),
                           as_of=str(as_of_date), command=command)
    console.print(f"report written to {path}")
    _print_reports(reports)
    for c in coverage:
        console.print(("[red]stale[/] " if c.stale else "covered ") + c.reason, soft_wrap=True, highlight=False)
    if not scope:
        console.print("per-country coverage not checked: pass --countries or --spec", soft_wrap=True)
    if missing:
        raise DataError(f"required dataset(s) not usable: {', '.join(r.name for r in missing)}. "
                        "Run 'sahelrisk data fetch' or fix the files named above")
    stale = [c for c in coverage if c.stale]
    if stale:
        raise DataGapError(f"the data of {', '.join(c.country for c in stale)} is stale: "
                           + "; ".join(c.reason.split(': ', 1)[1] for c in stale)
                           + ". Bring in newer events ('sahelrisk data update') or fix the files named above")


@data_app.command("check")
def data_check(data: DataOpt = None, catalog: CatalogOpt = None, as_of: AsOfOpt = None,
               countries: CountriesOpt = None, out: OutOpt = Path("outputs"),
               spec: Annotated[Path, typer.Option("--spec", help="Feature spec whose countries' coverage is checked (unless --countries).")] = Path("features/default.toml")):
    """Load and validate every dataset; print rows loaded, quarantined, date range and countries, and
    whether each country's events still cover the last week the data supports."""
    _check(data, catalog, as_of, countries, out, "data check", spec)


@data_app.command("list")
def data_list(catalog: CatalogOpt = None):
    """List the catalog: datasets, files, licences and official sources."""
    table = Table(title="Catalog")
    for column in ("dataset", "kind", "files", "licence", "official source"):
        table.add_column(column)
    for d in load_catalog(catalog):
        table.add_row(d.name, d.kind, str(len(d.files)), d.licence, d.official)
    console.print(table)


@data_app.command("fetch")
def data_fetch(data: DataOpt = None, catalog: CatalogOpt = None,
               mirror: Annotated[Optional[str], typer.Option("--mirror", help="Base URL of a mirror laid out like the data directory.")] = None,
               dataset: Annotated[Optional[list[str]], typer.Option("--dataset", help="Only this dataset (repeatable).")] = None,
               force: Annotated[bool, typer.Option("--force", help="Download again even if the file is up to date.")] = False):
    """Download the catalog's files (SHA-256 checked, resumable) into the data directory."""
    from sahelrisk.data.fetch import fetch_catalog

    target = Path(data) if data is not None else Path(os.environ.get("SAHELRISK_DATA", "data"))
    cat = load_catalog(catalog)
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True) as progress:
        tasks = {}

        def on_progress(path, done, total):
            if path not in tasks:
                tasks[path] = progress.add_task(Path(path).name, total=total)
            progress.update(tasks[path], completed=done, total=total)

        outcomes = fetch_catalog(cat, target, mirror=mirror, datasets=dataset, force=force, on_progress=on_progress)
    for o in outcomes:
        console.print(f"{o.status:>11}  {o.path}" + (f"  ({o.message})" if o.message else ""), soft_wrap=True)
    failed = [o for o in outcomes if o.status == "failed"]
    console.print(f"{sum(o.status == 'downloaded' for o in outcomes)} downloaded, "
                  f"{sum(o.status == 'up-to-date' for o in outcomes)} up to date, "
                  f"{sum(o.status == 'skipped' for o in outcomes)} skipped, {len(failed)} failed -> {target}")
    if failed:
        raise FetchError(f"{len(failed)} file(s) failed to download; see the messages above")


@data_app.command("update")
def data_update(data: DataOpt = None,
                countries: Annotated[Optional[str], typer.Option("--countries", help="Comma-separated ISO3 codes in scope (default: the feature spec's).")] = None,
                ucdp_url: Annotated[Optional[str], typer.Option("--ucdp-url", help="UCDP download root (else $SAHELRISK_UCDP_URL, else https://ucdp.uu.se/downloads/).")] = None,
                spec: Annotated[Path, typer.Option("--spec", help="Feature spec whose countries are in scope.")] = Path("features/default.toml"),
                ucdp_api: Annotated[Optional[list[str]], typer.Option("--ucdp-api", help="Also pull this GED or Candidate version (e.g. 26.0.8) through the UCDP API; token in $SAHELRISK_UCDP_TOKEN (repeatable).")] = None,
                acled: Annotated[bool, typer.Option("--acled", help="Also update ACLED's events through its API; account in $SAHELRISK_ACLED_USERNAME / _PASSWORD. Rows stay in your data directory.")] = False):
    """Bring in UCDP's newest releases (final GED, monthly and cumulative Candidate) and report what changed."""
    from datetime import datetime, timezone

    from sahelrisk.data.update import DEFAULT_UCDP_URL, UCDP_URL_ENV, update_ucdp
    from sahelrisk.features.spec import load_spec

    target = Path(data) if data is not None else Path(os.environ.get("SAHELRISK_DATA", "data"))
    scope = sorted(_countries(countries) or load_spec(spec).countries)
    base = ucdp_url or os.environ.get(UCDP_URL_ENV) or DEFAULT_UCDP_URL
    now = datetime.now(timezone.utc)  # the edge: the library takes the date from its caller
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    with Progress(*columns, console=console, transient=True, disable=not console.is_terminal) as progress:
        tasks = {}

        def on_progress(path, done, total):
            if path not in tasks:
                tasks[path] = progress.add_task(Path(path).name, total=total)
                if not console.is_terminal:
                    console.print(f"downloading {Path(path).name.removesuffix('.download')}")
            progress.update(tasks[path], completed=done, total=total)

        with _status(f"looking for new UCDP releases at {base}"):
            outcome = update_ucdp(target, until=now.date(), retrieved_at=now.isoformat(timespec="seconds"),
                                  base_url=base, countries=scope, on_progress=on_progress)
    if ucdp_api:
        from sahelrisk.data.apis import UcdpApi
        from sahelrisk.data.update import update_from_ucdp_api

        with _status(f"pulling UCDP {', '.join(ucdp_api)} through the API"):
            pulled = update_from_ucdp_api(target, UcdpApi.from_env(), ucdp_api, countries=scope,
                                          retrieved_at=now.isoformat(timespec="seconds"))
        outcome.new += pulled.new
        outcome.changed += pulled.changed
        outcome.warnings += pulled.warnings
        if not pulled.nothing_new:
            outcome.revisions, outcome.report_path = pulled.revisions, pulled.report_path
    if acled:
        from sahelrisk.data.apis import AcledApi
        from sahelrisk.data.update import update_acled

        with _status("updating ACLED's events through its API"):
            done = update_acled(target, AcledApi.from_env(), countries=scope)
        console.print(f"ACLED: {done['updated']} events new or updated, {done['deleted']} deleted, "
                      f"{done['rows']} held")
    for line in outcome.warnings:
        err.print(line, soft_wrap=True, markup=False, highlight=False)
    if outcome.nothing_new:
        console.print(f"nothing new: {len(outcome.unchanged)} releases held are up to date -> {target}")
        return
    for name in outcome.new:
        console.print(f"new release {name}")
    for name in outcome.changed:
        console.print(f"changed on the server: {name} (the new file is kept beside the old one)")
    for line in outcome.revisions.lines() or ["no event added, revised or withdrawn"]:
        console.print(line, soft_wrap=True)
    console.print(f"report written to {outcome.report_path}")


@features_app.command("build")
def features_build(spec: Annotated[Path, typer.Option("--spec", help="Feature spec TOML.")] = Path("features/default.toml"),
                   data: DataOpt = None, catalog: CatalogOpt = None, as_of: AsOfOpt = None,
                   start: Annotated[Optional[str], typer.Option("--start", help="First week (default: the spec's).")] = None,
                   end: Annotated[Optional[str], typer.Option("--end", help="Last week (default: the spec's).")] = None,
                   out: Annotated[Optional[Path], typer.Option("--out", help="Parquet file to write.")] = None):
    """Build the (unit_id, week) feature panel from a spec and save it as Parquet."""

    from sahelrisk.features.panel import compute_panel, load_inputs, save_panel
    from sahelrisk.features.spec import load_spec

    panel_spec = load_spec(spec)
    data_dir = resolve_data_dir(data)
    as_of_date = _as_of(as_of)
    started = time.perf_counter()
    with _status("loading sources"):
        inputs = load_inputs(load_catalog(catalog), data_dir, as_of=as_of_date, spec=panel_spec)
    with _status(f"building the {panel_spec.name} panel"):
        frame = compute_panel(panel_spec, inputs, start=_date_arg(start, "--start"), end=_date_arg(end, "--end"))
    target = out or Path("outputs") / f"panel_{panel_spec.name}.parquet"
    save_panel(frame, target)
    meta = frame.attrs["sahelrisk"]
    console.print(f"{len(frame):,} rows ({meta['n_units']:,} {meta['units']} units x "
                  f"{len(frame) // max(meta['n_units'], 1):,} weeks, {meta['start']} .. {meta['end']}), "
                  f"{len(meta['columns'])} features, {time.perf_counter() - started:.1f} s -> {target}")
    console.print("events: " + ", ".join(f"{k} {v:,}" for k, v in meta["event_assignment"].items()))


def _date_arg(value: str | None, name: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise SpecError(f"{name} {value!r} is not a date; use YYYY-MM-DD, e.g. 2023-12-25") from None


SpecOpt = Annotated[Path, typer.Option("--spec", help="Training spec TOML (the model's identity).")]
DEFAULT_SPEC = "training/default.toml"
TrackingOpt = Annotated[Optional[str], typer.Option("--tracking-uri", help="MLflow tracking URI (default: SQLite under mlruns/).")]


class _LogStatus(contextlib.nullcontext):
    """console.status for a log file: each message printed once, as a line, with the time taken so far."""

    def __init__(self, message: str):
        super().__init__(self)
        self.started = time.perf_counter()
        self.update(message)

    def update(self, message: str) -> None:
        console.print(f"{message} ({time.perf_counter() - self.started:.0f} s)", soft_wrap=True)


def _status(message: str):
    """A spinner on a terminal; a line in a log file, so long work shows progress there too."""
    return console.status(message) if console.is_terminal else _LogStatus(message)


def _fold_progress():
    """A progress bar on a terminal; in a log file (not redrawn) a timed line per fold instead."""
    if not console.is_terminal:
        started = time.perf_counter()

        def log_fold(fold, k, n):
            console.print(f"backtest fold {k + 1}/{n} ({fold.name}), {time.perf_counter() - started:.0f} s elapsed")
        return contextlib.nullcontext(), log_fold
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} folds"))
    progress = Progress(*columns, console=console, transient=True)
    state = {}

    def on_fold(fold, k, n):
        if "task" not in state:
            state["task"] = progress.add_task("backtest", total=n)
        progress.update(state["task"], completed=k, total=n, description=f"backtest {fold.name}")
    return progress, on_fold


def _print_table(table, title: str) -> None:
    out = Table(title=title)
    for column in ("model", "AP", "ROC AUC", "Brier", "Brier skill", "log loss", "ECE", "top-10% recall"):
        out.add_column(column, justify="left" if column == "model" else "right")
    for name, r in table.iterrows():
        out.add_row(name, f"{r.ap:.4f}", f"{r.roc_auc:.4f}", f"{r.brier:.5f}", f"{r.brier_skill:.4f}",
                    f"{r.log_loss:.4f}", f"{r.ece:.4f}", f"{r.top10_recall:.4f}")
    console.print(out)


def _window(training_spec, data, catalog, as_of, data_end):
    """(as_of, data_end, reason) from the options, else from the data, printed so a log says why."""
    from sahelrisk.modeling.training import resolve_window

    with _status("finding what the data supports"):
        window = resolve_window(training_spec.features, load_catalog(catalog), resolve_data_dir(data),
                                as_of=_date_arg(as_of, "--as-of"), data_end=_date_arg(data_end, "--data-end"))
    console.print(f"data as of {window[0]}, covering up to {window[1]}"
                  + ("" if window[2] == "given" else f": {window[2]}"), soft_wrap=True)
    return window


@app.command("backtest")
def backtest_cmd(spec: SpecOpt = Path(DEFAULT_SPEC), data: DataOpt = None, catalog: CatalogOpt = None,
                 out: OutOpt = Path("outputs"), as_of: AsOfOpt = None, data_end: DataEndOpt = None,
                 all_horizons: Annotated[bool, typer.Option("--all-horizons", help="Every report horizon of the spec, not only the trained one.")] = False,
                 baselines_only: Annotated[bool, typer.Option("--baselines-only", help="Skip the model (fast).")] = False,
                 protocol: Annotated[str, typer.Option("--protocol", help="rolling (the spec's rolling origins) or views-challenge (the ViEWS 2023/24 challenge: monthly state-based deaths, 3-14 months ahead, draws).")] = "rolling",
                 years: Annotated[str, typer.Option("--years", help="views-challenge: the window years, e.g. 2018-2023.")] = "2018-2023",
                 draws: Annotated[int, typer.Option("--draws", min=10, max=10000, help="views-challenge: draws per cell-month.")] = 1000):
    """Rolling-origin backtest of the model and every baseline: backtest.json and an HTML report
    (or, with --protocol views-challenge, the challenge's draws, actuals and metrics per window)."""
    if protocol == "views-challenge":
        return _views_challenge(spec, data, catalog, out, years, draws)
    if protocol != "rolling":
        raise SpecError(f"unknown protocol {protocol!r}; use rolling or views-challenge")
    from sahelrisk.modeling.report import write_backtest_report
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.modeling.training import prepare_frame, run_backtests

    training_spec = load_training_spec(spec)
    cut_off, end, _ = _window(training_spec, data, catalog, as_of, data_end)
    with _status("building the panel and targets"):
        tf = prepare_frame(training_spec, resolve_data_dir(data), as_of=cut_off, data_end=end,
                           catalog=load_catalog(catalog))
    horizons = list(training_spec.report_horizons) if all_horizons else [training_spec.horizon_weeks]
    progress, on_fold = _fold_progress()
    with progress:
        result = run_backtests(training_spec, tf, horizons, include_model=not baselines_only, on_fold=on_fold)
    json_path, html_path = write_backtest_report(result, training_spec, out)
    for h in horizons:
        _print_table(result.table(h), f"Backtest, target {training_spec.target_kind}, horizon {h} weeks")
    console.print(f"{result.seconds:.0f} s; written {json_path} and {html_path}")


def _views_challenge(spec: Path, data, catalog, out: Path, years: str, n_draws: int) -> None:
    import json

    import pandas as pd

    from sahelrisk.features.panel import build_units, load_inputs
    from sahelrisk.files import write_folder_atomic
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.modeling.views_protocol import (
        FORECASTERS,
        monthly_deaths,
        score_draws,
        window_forecasts,
    )

    try:
        first, last = (int(y) for y in years.split("-")) if "-" in years else (int(years), int(years))
    except ValueError:
        raise SpecError(f"--years {years!r}: write a year or a span, e.g. 2018-2023") from None
    training_spec = load_training_spec(spec)
    if training_spec.features.units != "grid" or training_spec.features.resolution != 0.5:
        raise SpecError("the ViEWS challenge is scored on PRIO-GRID cells: use a spec with 0.5-degree grid units")
    data_dir, cat = resolve_data_dir(data), load_catalog(catalog)
    with _status("loading the events and cells"):
        end = date(last, 12, 31)
        inputs = load_inputs(cat, data_dir, spec=training_spec.features, as_of=end)
        units = build_units(training_spec.features, inputs)
        deaths = monthly_deaths(inputs.events, units, 1989, last)
    rows = []
    for year in range(first, last + 1):
        with _status(f"window {year}: fitting on the data to October {year - 1}, drawing {n_draws} per cell-month"):
            window = window_forecasts(deaths, units, year, n_draws=n_draws)
            scores = {name: score_draws(window.draws[name], window.actuals) for name in FORECASTERS}

        def fill(tmp: Path, window=window, scores=scores) -> None:
            window.actuals_frame().to_parquet(tmp / "actuals.parquet", index=False)
            for name in FORECASTERS:
                window.frame(name).to_parquet(tmp / f"{name}.parquet", index=False)
            (tmp / "metrics.json").write_text(json.dumps(scores, indent=2) + "\n")

        folder = write_folder_atomic(Path(out) / "views_challenge" / str(year), fill)
        rows += [{"window": year, "forecaster": name, **values} for name, values in scores.items()]
        console.print(f"window {year}: written {folder}")
    table = pd.DataFrame(rows)
    table.to_csv(Path(out) / "views_challenge" / "metrics.csv", index=False)
    shown = Table(title=f"ViEWS challenge protocol, windows {first}-{last} (mean over windows)")
    for column in ("forecaster", "CRPS", "ignorance", "MIS 90%", "coverage 90%"):
        shown.add_column(column, justify="left" if column == "forecaster" else "right")
    for name, part in table.groupby("forecaster", sort=False):
        shown.add_row(name, f"{part['crps'].mean():.3f}", f"{part['ignorance'].mean():.3f}",
                      f"{part['mis_90'].mean():.2f}", f"{part['coverage_90'].mean():.3f}")
    console.print(shown)


@app.command("train")
def train_cmd(spec: SpecOpt = Path(DEFAULT_SPEC), data: DataOpt = None, catalog: CatalogOpt = None,
              out: OutOpt = Path("outputs"), tracking_uri: TrackingOpt = None, as_of: AsOfOpt = None,
              data_end: DataEndOpt = None,
              register: Annotated[bool, typer.Option("--register", help="Register a model version; promote it to champion if better on the same folds.")] = False,
              models_dir: Annotated[Path, typer.Option("--models-dir", help="Where model cards of promoted models go.")] = Path("models")):
    """Backtest, train on every observed week, log to MLflow and (with --register) register and promote."""
    from sahelrisk.modeling.spec import load_training_spec
    from sahelrisk.modeling.training import train_and_track

    training_spec = load_training_spec(spec)
    cut_off, end, _ = _window(training_spec, data, catalog, as_of, data_end)
    progress, on_fold = _fold_progress()
    with progress:
        outcome = train_and_track(training_spec, resolve_data_dir(data), as_of=cut_off, data_end=end,
                                  register=register, out_dir=out, models_dir=models_dir, tracking_uri=tracking_uri,
                                  on_fold=on_fold, catalog=load_catalog(catalog))
    _print_table(outcome.backtest.table(training_spec.horizon_weeks), f"Backtest, {training_spec.target}")
    if outcome.promotion is not None and outcome.promotion.table is not None:
        _print_table(outcome.promotion.table, f"Promotion: both on the latest {len(outcome.compared_folds)} folds")
    console.print(f"MLflow run {outcome.run_id}: {outcome.decision}", soft_wrap=True)
    for path in (*outcome.report_paths, *outcome.card_paths):
        console.print(f"written {path}")


def _score_and_write(week: str, horizon_weeks: int | None, units: str, model: str, spec: Path, data, catalog,
                     out: Path, tracking_uri, as_of: str | None = None, lang: str | None = None):
    import pandas as pd

    from sahelrisk.api import load_model, score_all
    from sahelrisk.calendar import week_of
    from sahelrisk.features.panel import load_inputs
    from sahelrisk.i18n import LANGUAGES, Formatter, check_language, gettext
    from sahelrisk.publishing.bulletin import tier_name
    from sahelrisk.publishing.outputs import write_outputs
    from sahelrisk.scoring.drivers import phrase_all
    from sahelrisk.scoring.week import check_unit_level

    check_unit_level(units)
    langs = (check_language(lang),) if lang else LANGUAGES
    say = langs[0] if lang else "en"
    day = _date_arg(week, "--week")
    loaded = load_model(model, spec, tracking_uri=tracking_uri)
    loaded.check_scores(horizon_weeks, units)
    monday = week_of(pd.Timestamp(day))
    cut_off = _date_arg(as_of, "--as-of") or (monday + pd.Timedelta(days=6)).date()
    with _status(f"scoring the week of {monday.date()}"):
        # Loaded once, as known at the cut-off, for the scores and the maps alike.
        inputs = load_inputs(load_catalog(catalog), resolve_data_dir(data), spec=loaded.spec, as_of=cut_off)
        result, _ = score_all(monday, None, loaded, data, levels=("adm2", "adm1"), inputs=inputs)
    with _status("writing maps and the bulletin"):
        folder = write_outputs(result, loaded, inputs, out, horizon_weeks=loaded.horizon_weeks, langs=langs)
    frame = result.cells if units == "grid" else result.areas[units]
    fmt = Formatter(say)
    table = Table(title=gettext(say, "Highest risk (%(units)s), week of %(week)s, next %(h)s weeks", units=units,
                                week=fmt.date(monday), h=loaded.horizon_weeks))
    for column in (gettext(say, "rank"), gettext(say, "unit"), gettext(say, "area"), gettext(say, "region"),
                   gettext(say, "probability"), gettext(say, "tier"), gettext(say, "change"), gettext(say, "main drivers")):
        table.add_column(column)
    for _, r in frame.nsmallest(10, "rank").iterrows():
        table.add_row(str(r["rank"]), str(r["unit_id"]), str(r["adm2_name"] or "-"), str(r["adm1_name"]),
                      fmt.percent(r["probability"]), tier_name(r["risk_tier"], say), fmt.points(r["change_vs_last_week"]),
                      "; ".join(phrase_all(r["driver_records"], say)) or "-")
    console.print(table)
    console.print(gettext(say, "outputs written to %(folder)s: %(files)s", folder=folder,
                          files=", ".join(sorted(p.name for p in folder.iterdir()))), soft_wrap=True)
    return folder


@app.command("score")
def score_cmd(week: Annotated[str, typer.Option("--week", help="The week to forecast from: its Monday or any day of it (YYYY-MM-DD).")],
              horizon_weeks: Annotated[Optional[int], typer.Option("--horizon-weeks", help="Must be the model's horizon (default: the model's).")] = None,
              units: Annotated[str, typer.Option("--units", help="grid, adm2 or adm1 (table printed; all are written).")] = "grid",
              model: Annotated[str, typer.Option("--model", help="Registry alias or version number.")] = "champion",
              spec: Annotated[Path, typer.Option("--spec", help="Training spec naming the registered model.")] = Path(DEFAULT_SPEC),
              as_of: AsOfOpt = None, data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
              tracking_uri: TrackingOpt = None, lang: LangOpt = None):
    """Score one week with a registered model; write grids, maps and the bulletins to <out>/<week>/."""
    _score_and_write(week, horizon_weeks, units, model, spec, data, catalog, out, tracking_uri, as_of, lang)


def _slug(texts) -> str:
    from sahelrisk.countries import normalize_name

    return "-".join(normalize_name(t).replace(" ", "_").replace(",", "") for t in texts)[:80] or "route"


@app.command("route")
def route_cmd(week: Annotated[str, typer.Option("--week", help="The week to forecast from (YYYY-MM-DD, any day of it).")],
              origin: Annotated[Optional[str], typer.Option("--from", help="Origin: a place name (accents and case ignored; 'Name, ISO3' to pick a country) or lat,lon.")] = None,
              via: Annotated[Optional[list[str]], typer.Option("--via", help="A stop on the way (repeat for several).")] = None,
              destination: Annotated[Optional[str], typer.Option("--to", help="Destination: a place name or lat,lon.")] = None,
              track: Annotated[Optional[Path], typer.Option("--track", help="The route as recorded: a GPX or GeoJSON line (instead of --from/--to).")] = None,
              alternatives: Annotated[int, typer.Option("--alternatives", min=0, max=5, help="Up to K other routes from origin to destination, each a different way.")] = 0,
              buffer_km: Annotated[float, typer.Option("--buffer-km", min=0.5, max=100, help="Half-width of the corridor (km).")] = 10.0,
              speed_kmh: Annotated[float, typer.Option("--speed-kmh", min=1, max=150, help="Speed assumed on a --track (km/h).")] = 50.0,
              model: Annotated[str, typer.Option("--model", help="Registry alias or version number.")] = "champion",
              spec: Annotated[Path, typer.Option("--spec", help="Training spec naming the registered model.")] = Path(DEFAULT_SPEC),
              as_of: AsOfOpt = None, data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
              tracking_uri: TrackingOpt = None, lang: LangOpt = None):
    """The risk along a convoy route for a week: per stretch and for the whole route, with safer alternatives."""
    import pandas as pd

    from sahelrisk.api import plan_routes, score_with_layers
    from sahelrisk.i18n import LANGUAGES, Formatter, check_language, gettext
    from sahelrisk.publishing.bulletin import tier_name
    from sahelrisk.publishing.outputs import write_route_outputs
    from sahelrisk.publishing.route_map import route_label
    from sahelrisk.routes.risk import assess_routes

    langs = (check_language(lang),) if lang else LANGUAGES
    say = langs[0] if lang else "en"
    if (track is None) == (origin is None or destination is None):
        raise SpecError("give either --from and --to (with optional --via), or --track FILE")
    if track is not None and (via or alternatives):
        raise SpecError("--via and --alternatives route on the road network; a --track is taken as recorded")
    stops = [origin, *(via or []), destination] if track is None else None
    _date_arg(week, "--week")
    with _status("scoring the week and routing"):
        result, loaded, inputs = score_with_layers(week, model, data, spec=spec, tracking_uri=tracking_uri,
                                                   as_of=_date_arg(as_of, "--as-of"), catalog=load_catalog(catalog))
        routes = plan_routes(stops if track is None else track, inputs, loaded.spec.countries,
                             alternatives=alternatives, speed_kmh=speed_kmh)
        segments = assess_routes(routes, result.cells, inputs.events, result.cells["week"].iloc[0],
                                 buffer_km=buffer_km, calibration=loaded.area_calibration)
    fmt = Formatter(say)
    for summary in segments.attrs["routes"]:
        part = segments[segments["route"] == summary["route"]]
        table = Table(title=gettext(say, "%(route)s: %(km)s km, %(hours)s h; P(fatal event in the corridor, next %(h)s weeks) %(p)s; risk per hour %(rate)s",
                                    route=route_label(summary["route"], say), km=fmt.number(summary["km"]),
                                    hours=fmt.number(summary["hours"]),
                                    h=loaded.horizon_weeks, p=fmt.percent(summary["probability"]),
                                    rate=fmt.percent(summary["risk_per_hour"])))
        for column in (gettext(say, "stretch"), gettext(say, "from km"), "km", gettext(say, "cell"), gettext(say, "area"),
                       gettext(say, "probability"), gettext(say, "tier"), gettext(say, "events, 4 weeks"),
                       gettext(say, "events, 52 weeks")):
            table.add_column(column)
        for _, r in part.iterrows():
            table.add_row(str(r["segment"]), fmt.number(r["from_km"]), fmt.number(r["km"]),
                          "-" if pd.isna(r["unit_id"]) else str(r["unit_id"]),
                          "-" if pd.isna(r["adm2_name"]) else str(r["adm2_name"]),
                          fmt.percent(r["probability"]), "-" if pd.isna(r["probability"]) else tier_name(r["risk_tier"], say),
                          str(r["events_4w"]), str(r["events_52w"]))
        console.print(table)
    if len(segments.attrs["routes"]) > 1:
        console.print(gettext(say, "routes by risk:") + " " + "; ".join(
            gettext(say, "%(route)s %(p)s in %(hours)s h (%(extra)s h more than the fastest)",
                    route=route_label(s["route"], say),
                    p=fmt.percent(s["probability"]), hours=fmt.number(s["hours"]), extra=fmt.number(s["extra_hours"]))
            for s in sorted(segments.attrs["routes"], key=lambda s: s["rank_by_risk"])), soft_wrap=True)
    name = _slug(stops) if track is None else _slug([track.stem])
    folder = write_route_outputs(segments, result.cells, inputs, out, name, langs=langs)
    console.print(gettext(say, "outputs written to %(folder)s: %(files)s", folder=folder,
                          files=", ".join(sorted(p.name for p in folder.iterdir()))), soft_wrap=True)


@app.command("sites")
def sites_cmd(week: Annotated[str, typer.Option("--week", help="The week to forecast from (YYYY-MM-DD, any day of it).")],
              sites: Annotated[Optional[Path], typer.Option("--sites", help="Your own sites: a CSV (name, latitude, longitude) or GeoJSON of points, scored with the mining sites.")] = None,
              radius_km: Annotated[float, typer.Option("--radius-km", min=1, max=200, help="The surroundings of a site (km).")] = 25.0,
              only_mine: Annotated[bool, typer.Option("--only-mine", help="Score only the --sites file, not the mining layers.")] = False,
              top: Annotated[int, typer.Option("--top", min=1, help="Rows printed.")] = 15,
              model: Annotated[str, typer.Option("--model", help="Registry alias or version number.")] = "champion",
              spec: Annotated[Path, typer.Option("--spec", help="Training spec naming the registered model.")] = Path(DEFAULT_SPEC),
              as_of: AsOfOpt = None, data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
              tracking_uri: TrackingOpt = None, lang: LangOpt = None):
    """The risk at and around every mining site (and your own sites) for a week, ranked."""
    import pandas as pd

    from sahelrisk.api import site_risk
    from sahelrisk.i18n import Formatter, check_language, gettext
    from sahelrisk.publishing.bulletin import tier_name
    from sahelrisk.publishing.outputs import write_site_outputs

    say = check_language(lang) if lang else "en"
    if only_mine and sites is None:
        raise SpecError("--only-mine needs --sites FILE")
    _date_arg(week, "--week")
    with _status("scoring the week and the sites"):
        table = site_risk(week, sites, radius_km=radius_km, include_mining=not only_mine, model=model, data_dir=data,
                          spec=spec, tracking_uri=tracking_uri, as_of=_date_arg(as_of, "--as-of"),
                          catalog=load_catalog(catalog))
    fmt = Formatter(say)
    shown = Table(title=gettext(say, "Sites most at risk: P(fatal event within %(r)s km, next weeks)", r=fmt.number(radius_km)))
    for column in (gettext(say, "rank"), gettext(say, "site"), gettext(say, "kind"), gettext(say, "commodity"),
                   gettext(say, "country"), gettext(say, "probability"), gettext(say, "tier"),
                   gettext(say, "events, 4 weeks"), gettext(say, "events, 52 weeks")):
        shown.add_column(column)
    for _, r in table.head(top).iterrows():
        shown.add_row(str(r["rank"]), str(r["name"]), str(r["site_kind"] or "-"), str(r["commodity"] or "-"),
                      str(r["country_iso3"] or "-"), fmt.percent(r["probability"]),
                      "-" if pd.isna(r["probability"]) else tier_name(r["risk_tier"], say), str(r["events_4w"]),
                      str(r["events_52w"]))
    console.print(shown)
    folder = write_site_outputs(table, out, week)
    console.print(gettext(say, "outputs written to %(folder)s: %(files)s", folder=folder,
                          files=", ".join(sorted(p.name for p in folder.iterdir()))), soft_wrap=True)


@app.command("weekly")
def weekly_cmd(data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
               spec: SpecOpt = Path(DEFAULT_SPEC), tracking_uri: TrackingOpt = None,
               offline: Annotated[bool, typer.Option("--offline", help="Skip the data update (air-gapped machines, tests).")] = False,
               ucdp_url: Annotated[Optional[str], typer.Option("--ucdp-url", envvar="SAHELRISK_UCDP_URL", help="A site laid out like UCDP's download site.")] = None,
               retrain: Annotated[bool, typer.Option("--retrain", help="Retrain even if the schedule does not ask for it.")] = False):
    """The weekly job: update, check, retrain when due, promote only a better model, score, publish, record.

    Exits 0 when published, 10 when published with some data stale, 11 when there was nothing new."""
    from datetime import datetime, timezone

    from sahelrisk.jobs.weekly import run_weekly

    now = datetime.now(timezone.utc)   # the CLI is the edge: the library takes the date as an argument
    result = run_weekly(spec, data_dir=data, out_dir=out, tracking_uri=tracking_uri, offline=offline,
                        ucdp_url=ucdp_url, today=now.date(), started_at=now.isoformat(timespec="seconds"),
                        catalog=load_catalog(catalog), force_retrain=retrain,
                        log=lambda line: console.print(line, soft_wrap=True, highlight=False, markup=False))
    record = result.record
    console.print(f"{result.status}: week {record.get('week')}, model v{record.get('champion')}; "
                  f"run record {result.record_path}", soft_wrap=True)
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@app.command("run")
def run(data: DataOpt = None, catalog: CatalogOpt = None, out: OutOpt = Path("outputs"),
        spec: SpecOpt = Path(DEFAULT_SPEC), tracking_uri: TrackingOpt = None, as_of: AsOfOpt = None,
        data_end: DataEndOpt = None,
        skip_training: Annotated[bool, typer.Option("--skip-training", help="Score with the current champion; do not retrain.")] = False,
        lang: LangOpt = None):
    """The main job end to end: check the data, backtest, train and register, score the latest week the data supports, write outputs."""
    from sahelrisk.features.targets import last_full_week
    from sahelrisk.modeling.spec import load_training_spec

    training_spec = load_training_spec(spec)
    cut_off, end, _ = _window(training_spec, data, catalog, as_of, data_end)
    _check(data, catalog, str(cut_off), ",".join(training_spec.features.countries), out, "run")
    if not skip_training:
        train_cmd(spec=spec, data=data, catalog=catalog, out=out, tracking_uri=tracking_uri, register=True,
                  models_dir=Path("models"), as_of=str(cut_off), data_end=str(end))
    latest = last_full_week(end)
    console.print(f"scoring the week of {latest.date()}: the last complete week of data up to {end}", soft_wrap=True)
    _score_and_write(str(latest.date()), training_spec.horizon_weeks, "adm2", "champion", spec, data, catalog, out,
                     tracking_uri, as_of=str(cut_off), lang=lang)


def main() -> None:
    """The ``sahelrisk`` command: exit codes per cause (:mod:`sahelrisk.errors`), one line, no traceback."""
    logging.basicConfig(level=os.environ.get("SAHELRISK_LOG", "WARNING"), format="%(levelname)s %(name)s: %(message)s")
    try:
        app()
    except SahelriskError as e:
        err.print(f"error: {e}", soft_wrap=True, markup=False, highlight=False)
        sys.exit(e.exit_code)
    except KeyboardInterrupt:
        err.print("interrupted")
        sys.exit(130)
    except Exception as e:  # a bug, not a user error: still one line, the traceback on request
        if os.environ.get("SAHELRISK_DEBUG"):
            raise
        err.print(f"internal error: {type(e).__name__}: {e}. Re-run with SAHELRISK_DEBUG=1 for the traceback "
                  "and report it", soft_wrap=True, markup=False, highlight=False)
        sys.exit(EXIT_INTERNAL)


if __name__ == "__main__":
    main()
