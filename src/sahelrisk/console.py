"""Printing a run's records for a person: tables on a terminal, timed lines in a log file.

The command line (:mod:`sahelrisk.cli`) reads options and calls the run's steps; this module turns
the records they return into text. Text from the data or a user's file is never read as Rich
markup: it is printed with markup off or escaped (:func:`rich.markup.escape`).
"""

from __future__ import annotations

import contextlib
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.markup import escape
from rich.progress import (
    BarColumn,
    DownloadColumn,
    Progress,
    TextColumn,
    TransferSpeedColumn,
)
from rich.table import Table

from sahelrisk.errors import FetchError

__all__ = ["console", "err", "line", "print_summary", "print_written", "status", "fold_progress", "download_progress",
           "print_check", "print_backtest", "print_training", "print_scored", "print_catalog", "print_views"]

# Piped output (CI logs, files) gets a wide table instead of rich's 80-column default.
console = Console(width=None if sys.stdout.isatty() else 140)
err = Console(stderr=True, width=None if sys.stderr.isatty() else 200)


def log_level(value: str) -> str:
    """``$SAHELRISK_LOG`` as a level name, or a one-line error naming the levels."""
    from sahelrisk.errors import SpecError
    levels = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    if value.strip().upper() not in levels:
        raise SpecError(f"SAHELRISK_LOG={value!r} is not a log level; use one of {', '.join(levels)}")
    return value.strip().upper()


def line(text: str) -> None:
    """A line of text from the data or the user: printed as it is, never read as console markup."""
    console.print(text, soft_wrap=True, markup=False, highlight=False)


def print_summary(summary: Any) -> None:
    """A :class:`~sahelrisk.publishing.summaries.Summary` as a table; cells are escaped for Rich."""
    table = Table(title=escape(summary.title))
    for column in summary.columns:
        table.add_column(escape(column))
    for row in summary.rows:
        table.add_row(*(escape(cell) for cell in row))
    console.print(table)


def print_written(folder: Path, lang: str) -> None:
    """Where the outputs went, and the files written."""
    from sahelrisk.i18n import gettext
    line(gettext(lang, "outputs written to %(folder)s: %(files)s", folder=folder,
                  files=", ".join(sorted(p.name for p in folder.iterdir()))))


class _LogStatus(contextlib.nullcontext):
    """console.status for a log file: each message printed once, as a line, with the time taken so far."""

    def __init__(self, message: str) -> None:
        super().__init__(self)
        self.started = time.perf_counter()
        self.update(message)

    def update(self, message: str) -> None:
        line(f"{message} ({time.perf_counter() - self.started:.0f} s)")


def status(message: str) -> Any:
    """A spinner on a terminal; a line in a log file, so long work shows progress there too."""
    return console.status(escape(message)) if console.is_terminal else _LogStatus(message)


@contextlib.contextmanager
def fold_progress() -> Iterator[Callable]:
    """A progress bar on a terminal; in a log file (not redrawn) a timed line per fold instead."""
    started = time.perf_counter()
    if not console.is_terminal:
        yield lambda fold, k, n: line(f"backtest fold {k + 1}/{n} ({fold.name}) done, "
                                       f"{time.perf_counter() - started:.0f} s elapsed")
        return
    columns = (TextColumn("{task.description}"), BarColumn(), TextColumn("{task.completed}/{task.total} folds"))
    with Progress(*columns, console=console, transient=True) as progress:
        task = progress.add_task("backtest", total=None)
        yield lambda fold, k, n: progress.update(task, completed=k + 1, total=n, description=f"backtest {fold.name}")


def download_progress() -> tuple[Any, Callable]:
    """A download bar per file on a terminal; a line per file in a log file."""
    columns = (TextColumn("{task.description}"), BarColumn(), DownloadColumn(), TransferSpeedColumn())
    progress = Progress(*columns, console=console, transient=True, disable=not console.is_terminal)
    tasks: dict = {}

    def on_progress(path: str, done: int, total: int | None) -> None:
        if path not in tasks:
            tasks[path] = progress.add_task(Path(path).name, total=total)
            if not console.is_terminal:
                line(f"downloading {Path(path).name.removesuffix('.download')}")
        progress.update(tasks[path], completed=done, total=total)
    return progress, on_progress


def print_check(record: Any) -> None:
    """The data check: notes first, so the summary table closes the output."""
    for r in record.reports:
        if r.message and r.status != "ok":
            line(f"{r.name}: {r.message}")
        for note in r.notes:
            line(f"{r.name}: {note}")
        if r.quarantine_file:
            line(f"{r.name}: {r.quarantined} rejected rows with reasons in {r.quarantine_file}")
    table = Table(title="Data check", caption="* required dataset")
    for column in ("dataset", "status", "read", "loaded", "quarantined", "out of scope", "dates", "countries"):
        table.add_column(column, justify="right" if column in {"read", "loaded", "quarantined", "out of scope"} else "left")
    for r in record.reports:
        dates = f"{r.date_min} .. {r.date_max}" if r.date_min else "-"
        countries = ",".join(r.countries) if len(r.countries) <= 4 else f"{len(r.countries)} countries"
        status = {"ok": "[green]ok[/]", "missing": "[yellow]missing[/]", "error": "[red]error[/]"}[r.status]
        table.add_row(escape(r.name) + (" *" if r.required else ""), status, f"{r.rows_read:,}", f"{r.rows_loaded:,}",
                      f"{r.quarantined:,}", f"{r.out_of_scope:,}", dates, escape(countries or "-"))
    console.print(table)
    for c in record.coverage:
        console.print(("[red]stale[/] " if c.stale else "covered ") + escape(c.reason), soft_wrap=True, highlight=False)
    line(f"report written to {record.path}")


def print_backtest(table: Any, title: str) -> None:
    """A backtest table: one row per model, the metrics as columns."""
    out = Table(title=title)
    for column in ("model", "AP", "ROC AUC", "Brier", "Brier skill", "log loss", "ECE", "top-10% recall"):
        out.add_column(column, justify="left" if column == "model" else "right")
    for name, r in table.iterrows():
        out.add_row(name, f"{r.ap:.4f}", f"{r.roc_auc:.4f}", f"{r.brier:.5f}", f"{r.brier_skill:.4f}",
                    f"{r.log_loss:.4f}", f"{r.ece:.4f}", f"{r.top10_recall:.4f}")
    console.print(out)


def print_training(outcome: Any, spec: Any) -> None:
    """A training run: its backtest, the promotion comparison and decision, and what it wrote."""
    print_backtest(outcome.backtest.table(spec.horizon_weeks), f"Backtest, {spec.target}")
    if outcome.promotion is not None and outcome.promotion.table is not None:
        print_backtest(outcome.promotion.table, f"Promotion: both on the latest {len(outcome.compared_folds)} folds")
    line(f"MLflow run {outcome.run_id}: {outcome.decision}")
    if outcome.severity_note.startswith("probabilities only"):
        line(f"deaths forecast: {outcome.severity_note}")
    for path in (*outcome.report_paths, *outcome.card_paths):
        line(f"written {path}")


def print_scored(scored: Any, units: str, lang: str, countries: Any = None) -> None:
    """The highest-risk units of a scored week, in ``lang`` (of ``countries`` only, if given)."""
    from sahelrisk.publishing.summaries import top_units
    frame = scored.result.cells if units == "grid" else scored.result.areas[units]
    if countries:
        frame = frame[frame["country_iso3"].isin(sorted(countries))]
    for note in scored.result.notes:
        line(note)
    print_summary(top_units(frame, units=units, week=scored.week, horizon_weeks=scored.model.horizon_weeks,
                             lang=lang))


def print_catalog(catalog: Any) -> None:
    """The catalog's datasets, files, licences and official sources."""
    table = Table(title="Catalog")
    for column in ("dataset", "kind", "files", "licence", "official source"):
        table.add_column(column)
    for d in catalog:
        table.add_row(escape(d.name), d.kind, str(len(d.files)), escape(d.licence), escape(d.official))
    console.print(table)


def print_views(metrics: Any, years: str) -> None:
    """The ViEWS challenge protocol's scores, the mean over windows per forecaster."""
    shown = Table(title=f"ViEWS challenge protocol, windows {escape(years)} (mean over windows)")
    for column in ("forecaster", "CRPS", "ignorance", "MIS 90%", "coverage 90%"):
        shown.add_column(column, justify="left" if column == "forecaster" else "right")
    for name, part in metrics.groupby("forecaster", sort=False):
        shown.add_row(str(name), f"{part['crps'].mean():.3f}", f"{part['ignorance'].mean():.3f}",
                      f"{part['mis_90'].mean():.2f}", f"{part['coverage_90'].mean():.3f}")
    console.print(shown)


def print_route(segments: Any, horizon_weeks: int, lang: str) -> None:
    """A route's tables (each route, its stretches), the ranking of the alternatives and what was not scored."""
    from sahelrisk.publishing.summaries import route_notes, route_tables
    for summary in route_tables(segments, horizon_weeks=horizon_weeks, lang=lang):
        print_summary(summary)
    for text in route_notes(segments, lang=lang):
        line(text)


def print_fetched(outcomes: list, target: Path) -> int:
    """What ``data fetch`` did, file by file and in total; returns how many files failed."""
    for o in outcomes:
        line(f"{o.status:>11}  {o.path}" + (f"  ({o.message})" if o.message else ""))
    failed = sum(o.status == "failed" for o in outcomes)
    line(f"{sum(o.status == 'downloaded' for o in outcomes)} downloaded, "
         f"{sum(o.status == 'up-to-date' for o in outcomes)} up to date, "
         f"{sum(o.status == 'skipped' for o in outcomes)} skipped, {failed} failed -> {target}")
    return failed


def print_verified(result: Any) -> None:
    """What ``verify`` found: the ledger's problems, or the weeks verified and each window in words."""
    for problem in result.problems:
        line(f"changed: {problem}")
    if result.checked_only or result.problems:
        line(f"{len(result.problems)} problem(s) found" if result.problems else
             "the ledger and every frozen week are intact")
        return
    line(f"{len(result.verified)} week(s) verified, {len(result.pending)} waiting for their outcomes "
         f"(the data ends {result.data_end})")
    for entry in result.summary:
        if entry["scope"] != "all":
            continue
        calls = entry["calls"]
        rule = calls.get("rule_decay_neighbours") or calls.get("rule_decay")
        said = f"; the rule of recent violence had {rule['caught']}" if rule else ""
        line(f"last {entry['weeks']} verified week(s) ({entry['first_week']} .. {entry['last_week']}): of the "
             f"{entry['positives']} units with a fatal attack, {calls['model']['caught']} were called high or very "
             f"high{said}; AP {entry['ap']}, Brier {entry['brier']}")
    if result.folder is not None:
        line(f"written {result.folder}")


def print_update(record: Any, target: Path) -> None:
    """What ``data update`` brought in: ACLED's counts, warnings, new and changed releases, revisions."""
    outcome = record.ucdp
    if outcome.unreached:   # one line, not one per release asked for; the CLI exits non-zero
        raise FetchError(f"could not reach UCDP's site: {outcome.warnings[0].removeprefix('warning: ')} "
                         f"(and {len(outcome.warnings) - 1} more requests); the data held is unchanged -> {target}. "
                         "Check the network or --ucdp-url")
    if record.acled is not None:
        line(f"ACLED: {record.acled['updated']} events new or updated, {record.acled['deleted']} deleted, "
             f"{record.acled['rows']} held")
    for warning in outcome.warnings:
        err.print(warning, soft_wrap=True, markup=False, highlight=False)
    if outcome.nothing_new:
        line(f"nothing new: {len(outcome.unchanged)} releases held are up to date -> {target}")
        return
    for name in outcome.new:
        line(f"new release {name}")
    for name in outcome.changed:
        line(f"changed on the server: {name} (the new file is kept beside the old one)")
    for change in outcome.revisions.lines() or ["no event added, revised or withdrawn"]:
        line(change)
    line(f"report written to {outcome.report_path} (data in {target})")
