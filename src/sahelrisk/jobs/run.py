"""One week's run, assembled in one place: the steps every entry point shares.

``sahelrisk run``, ``score``, ``route``, ``sites``, ``weekly`` and the Python API (``sahelrisk.score``,
``route_risk``, ``site_risk``) all go through these steps, each a plain function returning a
frozen record:

1. :func:`check_step`: load and validate every dataset, and each country's coverage;
2. :func:`window_step` (or :func:`week_window` for a given week): the cut-off (``as_of``), the
   data end and the week forecast from;
3. :func:`load_step`: the sources the model's features (and the outputs' layers) need;
4. :func:`retrain_step`: backtest, fit, register, promote (:mod:`sahelrisk.jobs.train`);
5. :func:`score_step`: the week's risk per cell and admin area, behind the data guard;
6. :func:`publish_step`: maps, bulletins and tables, written whole or not at all.

:func:`run_week` is the one composition of these steps, timed by a :class:`StepRunner` and
steered by a :class:`RunPolicy`; :func:`run_once` (``sahelrisk run``) finds the window and calls
it, and so does the weekly job (:mod:`sahelrisk.jobs.weekly`) after its data update, its "nothing
new" test and its retrain schedule.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TypeVar

import pandas as pd

from sahelrisk.calendar import parse_week, week_end
from sahelrisk.cluster import ClusterSpec
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.check import (
    DatasetReport,
    check_data,
    coverage_report,
    flag_row_drops,
    missing_required,
    reports_to_json,
)
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.data.extent import CountryCoverage
from sahelrisk.data.row_counts import RowDrop
from sahelrisk.data.sources import load_dataset
from sahelrisk.data.vintage import data_vintage
from sahelrisk.data.window import GIVEN, DataWindow, find_window
from sahelrisk.errors import DataError, DataGapError
from sahelrisk.evaluation.backtest import FoldCallback
from sahelrisk.features.panel import PanelInputs, layers_needed, load_inputs
from sahelrisk.features.spec import PanelSpec
from sahelrisk.i18n import LANGUAGES
from sahelrisk.jobs.train import TrainOutcome, train_and_track
from sahelrisk.jobs.verify import read_track_record
from sahelrisk.modeling.spec import TrainingSpec, load_training_spec
from sahelrisk.publishing.ledger import freeze
from sahelrisk.publishing.outputs import write_outputs
from sahelrisk.registry.models import DEFAULT_SPEC, LoadedModel, load_model
from sahelrisk.routes.gazetteer import build_gazetteer
from sahelrisk.scoring.week import ScoreResult, score_week

__all__ = ["CheckRecord", "check_step", "week_window", "window_step", "load_step", "retrain_step", "Scored", "score_step",
           "publish_step", "data_vintage_of", "Step", "StepRunner", "RunPolicy", "RunRecord", "run_once", "run_week", "ROUTE_LAYERS"]

ROUTE_LAYERS = ("places", "roads", "mining_sites")
"""Layers routes and sites need beyond the model's features (a feature spec without them still routes)."""

Log = Callable[[str], None]
T = TypeVar("T")


def _quiet(line: str) -> None:
    """The default log: nothing (the CLI and the weekly job pass their own)."""


@dataclass(frozen=True)
class CheckRecord:
    """What the data check found: each dataset's report, each country's coverage, the JSON report.

    Attributes
    ----------
    reports : tuple of DatasetReport
        Rows read, loaded, quarantined, dates and countries per dataset.
    coverage : tuple of CountryCoverage
        Per country in scope (empty when no scope was given or a required dataset is missing).
    path : pathlib.Path
        The ``data_check.json`` written.
    drops : tuple of RowDrop
        Countries whose rows fell far below the previous check's (also a note on the dataset).
    """

    reports: tuple[DatasetReport, ...]
    coverage: tuple[CountryCoverage, ...]
    path: Path
    drops: tuple[RowDrop, ...] = ()

    def raise_for_problems(self, *, allow_stale: bool = False) -> None:
        """Raise when a required dataset is unusable or (unless ``allow_stale``) a country in scope is stale.

        Raises
        ------
        DataError
            A required dataset could not be loaded.
        DataGapError
            A country's located events stopped covering the last week the data supports.
        """
        missing = missing_required(list(self.reports))
        if missing:
            raise DataError(f"required dataset(s) not usable: {', '.join(r.name for r in missing)}. "
                            "Run 'sahelrisk data fetch' or fix the files named above")
        stale = [c for c in self.coverage if c.stale]
        if stale and not allow_stale:
            raise DataGapError(f"the data of {', '.join(c.country for c in stale)} is stale: "
                               + "; ".join(c.reason.split(': ', 1)[1] for c in stale)
                               + ". Bring in newer events ('sahelrisk data update') or fix the files named above")


def check_step(catalog: Catalog, data_dir: Path, *, as_of: date, countries: Iterable[str] | None, out_dir: Path,
               command: str, on_dataset: Callable[[str], None] | None = None) -> CheckRecord:
    """Load and validate every dataset; with ``countries``, check each one's coverage too.

    Parameters
    ----------
    catalog : Catalog
        The data catalog.
    data_dir : pathlib.Path
        The data directory.
    as_of : date
        The data cut-off.
    countries : iterable of str, optional
        ISO3 codes in scope (None: every dataset's rows, no coverage check).
    out_dir : pathlib.Path
        Where ``data_check.json`` and the quarantine files go.
    command : str
        The command recorded in the report.
    on_dataset : callable, optional
        Progress: called with each dataset's name as it loads.

    Returns
    -------
    CheckRecord
    """
    scope = sorted(countries) if countries else []
    reports = check_data(catalog, data_dir, as_of=as_of, countries=set(scope) or None, out_dir=out_dir,
                         on_dataset=on_dataset)
    coverage = [] if missing_required(reports) or not scope else coverage_report(catalog, data_dir, as_of=as_of,
                                                                                 countries=scope)
    path = Path(out_dir) / "data_check.json"
    drops = flag_row_drops(reports, path, as_of=as_of, countries=scope or None)
    reports_to_json(reports, path, coverage=coverage, data_dir=str(data_dir), as_of=str(as_of), command=command)
    return CheckRecord(tuple(reports), tuple(coverage), path, tuple(drops))


def week_window(week: object, *, as_of: date | None = None) -> tuple[DataWindow, pd.Timestamp]:
    """A given week's Monday, and the data as known at its end (or at ``as_of``): what was known
    when forecasting it."""
    monday = parse_week(week)
    cut_off = as_of or week_end(monday).date()
    return DataWindow(cut_off, cut_off, GIVEN), monday


def window_step(spec: TrainingSpec, catalog: Catalog, data_dir: Path, *, as_of: date | None = None,
                data_end: date | None = None) -> tuple[DataWindow, pd.Timestamp]:
    """The data window and the latest week the located events support (the week forecast from)."""
    window = find_window(catalog, data_dir, spec.features.countries,
                         reporting_lag_weeks=spec.features.reporting_lag_weeks, as_of=as_of, data_end=data_end)
    return window, window.week


def load_step(catalog: Catalog, data_dir: Path, spec: PanelSpec, as_of: date, *,
              layers: Sequence[str] = (), inputs: PanelInputs | None = None) -> PanelInputs:
    """The sources a feature spec needs (a model's, or the training spec's), as known at ``as_of``,
    plus the named ``layers`` (with ``places``, the ``gazetteer`` built from it); given ``inputs``
    of the same cut-off, only the layers they lack are read."""
    if inputs is None or inputs.as_of != as_of:
        inputs = load_inputs(catalog, data_dir, spec=spec, as_of=as_of)
    for layer in sorted({*layers_needed(spec), *layers}):
        if layer not in inputs.layers:
            inputs.layers[layer] = load_dataset(catalog[layer], data_dir, as_of=as_of).table
    if "places" in inputs.layers and "gazetteer" not in inputs.layers:
        # what a planner types: the towns, the places the events name, the admin areas
        inputs.layers["gazetteer"] = build_gazetteer(inputs.layers["places"], inputs.events,
                                                     inputs.layers.get("admin1"), inputs.layers.get("admin2"))
    return inputs


def retrain_step(spec: TrainingSpec, data_dir: Path, window: DataWindow, *, catalog: Catalog, out_dir: Path,
                 models_dir: str | Path = "models", tracking_uri: str | None = None, mlruns: str | Path = "mlruns",
                 on_fold: FoldCallback | None = None, inputs: PanelInputs | None = None,
                 cluster: ClusterSpec | None = None, log: Log = _quiet) -> TrainOutcome:
    """Backtest, train on every observed week, register, and promote only a better model (from
    ``inputs`` when the run has loaded them already: the sources are read once), on ``cluster``
    when one is named."""
    return train_and_track(spec, data_dir, as_of=window.as_of, data_end=window.data_end, register=True,
                           out_dir=out_dir, models_dir=models_dir, tracking_uri=tracking_uri, mlruns=mlruns,
                           on_fold=on_fold, catalog=catalog, inputs=inputs, cluster=cluster, log=log)


@dataclass(frozen=True)
class Scored:
    """A scored week with what it was scored from (for outputs, routes and sites).

    Attributes
    ----------
    week : pandas.Timestamp
        The Monday forecast from.
    model : LoadedModel
        The model that scored it.
    inputs : PanelInputs
        The data, as known at the cut-off.
    result : ScoreResult
        Cells, areas, timings and each country's coverage.
    """

    week: pd.Timestamp
    model: LoadedModel
    inputs: PanelInputs
    result: ScoreResult


def score_step(model: LoadedModel, week: pd.Timestamp, inputs: PanelInputs, *, catalog: Catalog,
               levels: Sequence[str] = ("adm2", "adm1"), allow_stale: bool = False) -> Scored:
    """Score ``week`` with ``model`` behind the data guard (a stale country refuses the week unless
    ``allow_stale``)."""
    result = score_week(model.model, model.spec, inputs, week, horizon_weeks=model.horizon_weeks,
                        model_version=f"{model.name} v{model.version}", levels=tuple(levels),
                        area_calibration=model.area_calibration, severity=model.severity,
                        reporting_lags=catalog.reporting_lags(), allow_stale=allow_stale)
    return Scored(parse_week(week), model, inputs, result)


def publish_step(scored: Scored, out_dir: Path, *, langs: Sequence[str] = LANGUAGES, extra: dict | None = None,
                 health: dict | None = None, catalog: Catalog | None = None, data_dir: Path | None = None,
                 published_at: str | None = None) -> Path:
    """Write the week's grids, area tables, maps and bulletins into ``<out_dir>/<week>/``, and
    freeze them as the week's next revision in the ledger (:mod:`sahelrisk.publishing.ledger`).
    The bulletins tell the track record as last verified in ``out_dir``.

    Parameters
    ----------
    scored : Scored
        The scored week.
    out_dir : pathlib.Path
        The outputs folder.
    langs : sequence of {"fr", "en"}
        Languages of the maps and bulletins.
    extra, health : dict, optional
        More fields for ``run.json``; feed health and drift for the bulletins.
    catalog, data_dir : optional
        The data the week was made from: its vintage (:func:`data_vintage_of`) is kept in the manifest.
    published_at : str, optional
        The caller's timestamp, kept in the manifest.

    Returns
    -------
    pathlib.Path
        The week's folder.
    """
    folder = write_outputs(scored.result, scored.model, scored.inputs, out_dir,
                           horizon_weeks=scored.model.horizon_weeks, langs=tuple(langs), extra=extra, health=health,
                           track=read_track_record(out_dir))
    vintage = data_vintage_of(scored, catalog, data_dir) if catalog is not None and data_dir is not None else None
    freeze(folder, vintage=vintage, published_at=published_at)
    return folder


def data_vintage_of(scored: Scored, catalog: Catalog, data_dir: Path) -> dict:
    """The data vintage of a scored week: the files of every dataset it read, releases, latest events."""
    names = [d.name for d in catalog.of_kind("events")] + list(scored.inputs.layers)
    return data_vintage(catalog, data_dir, names, as_of=scored.inputs.as_of, events=scored.inputs.events)


@dataclass
class Step:
    """One step of a run, as its record shows it.

    Attributes
    ----------
    name : str
        What the step does (``check``, ``load``, ``retrain``, ``score``, ``publish``...).
    status : str
        ``ok``, ``skipped``, ``warning`` or ``failed``.
    seconds : float
        Wall time.
    detail : str
        Why it was skipped, what it warns of, or the error.
    """

    name: str
    status: str = "ok"
    seconds: float = 0.0
    detail: str = ""


class StepRunner:
    """Runs a run's steps, timing each and logging a line as it starts and ends (so a log file
    shows progress too); the steps are kept for the run record.

    Parameters
    ----------
    log : callable
        Receives each line.
    """

    def __init__(self, log: Log = _quiet) -> None:
        self.steps: list[Step] = []
        self.log = log

    def run(self, name: str, work: Callable[[Step], T], say: str | None = None) -> T:
        """Run ``work`` as the step ``name`` (it may set the step's status and detail).

        Parameters
        ----------
        name : str
            The step's name in the record.
        work : callable
            Called with the :class:`Step`; its result is returned.
        say : str, optional
            The line logged as it starts (default ``"<name>..."``).

        Returns
        -------
        object
            What ``work`` returned.
        """
        step = Step(name)
        self.steps.append(step)
        self.log(say or f"{name}...")
        started = time.perf_counter()
        try:
            return work(step)
        except BaseException as e:
            step.status, step.detail = "failed", str(e)[:300] or type(e).__name__
            raise
        finally:
            step.seconds = round(time.perf_counter() - started, 2)
            self.log(f"{name}: {step.status} ({step.seconds:.1f} s){' - ' + step.detail if step.detail else ''}")

    def skip(self, name: str, detail: str) -> None:
        """Record the step ``name`` as skipped, and why."""
        self.steps.append(Step(name, "skipped", 0.0, detail))
        self.log(f"{name}: skipped - {detail}")


@dataclass(frozen=True)
class RunPolicy:
    """What a run does besides scoring and publishing.

    Attributes
    ----------
    check : bool
        Check every dataset and each country's coverage first; a required dataset that cannot be
        used stops the run.
    allow_stale : bool
        A country whose feed went dark is published flagged (the weekly job) instead of stopping
        the run (``sahelrisk run``).
    train : bool
        Backtest, train, register and promote before scoring (False: score with the champion).
    """

    check: bool = True
    allow_stale: bool = False
    train: bool = True


@dataclass(frozen=True)
class RunRecord:
    """What :func:`run_once` did.

    Attributes
    ----------
    window : DataWindow
        The data window.
    check : CheckRecord or None
        The data check (None when skipped).
    training : TrainOutcome or None
        The retrain and its promotion decision (None: scored with the current champion).
    scored : Scored
        The week scored.
    folder : pathlib.Path
        The outputs written.
    health : dict or None
        What the run's health hook returned (feeds and drift, for the weekly job).
    """

    window: DataWindow
    check: CheckRecord | None
    training: TrainOutcome | None
    scored: Scored
    folder: Path
    health: dict | None = None


def run_once(spec: str | Path = DEFAULT_SPEC, *, data_dir: str | Path | None = None, catalog: Catalog | None = None,
             out_dir: str | Path = "outputs", as_of: date | None = None, data_end: date | None = None,
             policy: RunPolicy = RunPolicy(), steps: StepRunner | None = None, langs: Sequence[str] = LANGUAGES,
             models_dir: str | Path = "models", tracking_uri: str | None = None, mlruns: str | Path = "mlruns",
             log: Log = _quiet, on_check: Callable[[CheckRecord], None] | None = None,
             on_fold: FoldCallback | None = None, cluster: ClusterSpec | None = None,
             published_at: str | None = None) -> RunRecord:
    """The main job end to end (``sahelrisk run``): find the window, then :func:`run_week`.

    Parameters
    ----------
    spec : str or Path
        The training spec (the model's identity).
    data_dir : path-like, optional
        Default ``$SAHELRISK_DATA``, ``./data`` or ``../shared/data``.
    catalog : Catalog, optional
        Default the packaged catalog.
    out_dir : path-like
        Outputs, reports and quarantine files.
    as_of, data_end : date, optional
        The data window; default what the located events support.
    policy : RunPolicy
        Check or not, stale countries allowed or not, train or not.
    steps : StepRunner, optional
        Times and records each step (default one logging to ``log``).
    langs : sequence of {"fr", "en"}
        Languages of the maps and bulletins.
    models_dir, tracking_uri, mlruns
        Model cards and the MLflow store.
    log : callable
        Receives a line as each step starts and ends (progress in a log file too).
    on_check : callable, optional
        Receives the data check's record before its problems are raised (to print it).
    on_fold : callable, optional
        Backtest progress ``(fold, k, n)``.
    cluster : ClusterSpec, optional
        Where a retrain runs (:func:`sahelrisk.cluster.parse_cluster`); started by the retrain step
        and stopped when it ends. Default this machine.
    published_at : str, optional
        The caller's timestamp, kept in the frozen week's manifest.

    Returns
    -------
    RunRecord

    Raises
    ------
    SahelriskError
        A step failed: bad data, a stale country, no champion, an unreachable tracking server.
    """
    training_spec = load_training_spec(spec)
    data = resolve_data_dir(data_dir)
    catalog = catalog or load_catalog()
    steps = steps or StepRunner(log)
    window, week = steps.run("window", lambda s: window_step(training_spec, catalog, data, as_of=as_of,
                                                             data_end=data_end),
                             say="finding what the data supports")
    steps.log(window.describe())
    return run_week(training_spec, window, week, data_dir=data, catalog=catalog, out_dir=Path(out_dir), policy=policy,
                    steps=steps, langs=langs, models_dir=models_dir, tracking_uri=tracking_uri, mlruns=mlruns,
                    on_check=on_check, on_fold=on_fold, cluster=cluster, published_at=published_at)


def run_week(spec: TrainingSpec, window: DataWindow, week: pd.Timestamp, *, data_dir: Path, catalog: Catalog,
             out_dir: Path, policy: RunPolicy = RunPolicy(), steps: StepRunner | None = None,
             champion: Callable[[], LoadedModel] | None = None, training_dir: Path | None = None,
             langs: Sequence[str] = LANGUAGES, models_dir: str | Path = "models", tracking_uri: str | None = None,
             mlruns: str | Path = "mlruns", on_check: Callable[[CheckRecord], None] | None = None,
             on_fold: FoldCallback | None = None,
             health: Callable[[LoadedModel, PanelInputs, pd.Timestamp], dict] | None = None,
             extra: dict | None = None, command: str = "run", cluster: ClusterSpec | None = None,
             published_at: str | None = None) -> RunRecord:
    """One week's run once its window is known: the one composition every run goes through.

    check (by ``policy``) -> load the sources once -> retrain (by ``policy``, from the sources
    loaded) -> load the champion (and any layer its spec needs that the training spec does not)
    -> score -> health (when given) -> publish.

    Parameters
    ----------
    spec : TrainingSpec
        The training spec (what a retrain fits; its countries are checked).
    window : DataWindow
        The data window (:func:`window_step`).
    week : pandas.Timestamp
        The Monday forecast from.
    data_dir, catalog
        The data.
    out_dir : pathlib.Path
        Where the check's report and the week's outputs go.
    policy : RunPolicy
        Check or not, stale countries allowed or not, train or not.
    steps : StepRunner, optional
        Times and records each step.
    champion : callable, optional
        Returns the model to score with (the weekly job's: the registry's, or its cached copy);
        default the registry's champion of ``spec``.
    training_dir : pathlib.Path, optional
        Where a retrain's backtest report goes (default ``out_dir``).
    langs, models_dir, tracking_uri, mlruns, on_check, on_fold, cluster
        As for :func:`run_once`.
    health : callable, optional
        ``(model, inputs, week) -> dict``: shown in the bulletins and kept in ``run.json``.
    extra : dict, optional
        More fields for ``run.json``.
    command : str
        The command recorded in the data check's report.
    published_at : str, optional
        The caller's timestamp, kept in the frozen week's manifest.

    Returns
    -------
    RunRecord
    """
    steps = steps or StepRunner()
    checked = None
    if policy.check:
        def check(step: Step) -> CheckRecord:
            found = check_step(catalog, data_dir, as_of=window.as_of, countries=spec.features.countries,
                               out_dir=out_dir, command=command)
            if on_check:
                on_check(found)
            found.raise_for_problems(allow_stale=policy.allow_stale)
            stale = [c.country for c in found.coverage if c.stale]
            if stale:
                step.status, step.detail = "warning", f"stale: {', '.join(stale)}"
            return found
        checked = steps.run("check", check, say="checking the data")
    inputs = steps.run("load", lambda s: load_step(catalog, data_dir, spec.features, window.as_of),
                       say="loading the sources")
    training = None
    if policy.train:
        training = steps.run("retrain", lambda s: retrain_step(
            spec, data_dir, window, catalog=catalog, out_dir=training_dir or out_dir, models_dir=models_dir,
            tracking_uri=tracking_uri, mlruns=mlruns, on_fold=on_fold, inputs=inputs, cluster=cluster, log=steps.log),
            say="backtesting, training and registering")
    model = steps.run("load model", lambda s: champion() if champion else load_model(
        "champion", name=spec.registered_model, tracking_uri=tracking_uri, mlruns=mlruns))
    inputs = load_step(catalog, data_dir, model.spec, window.as_of, inputs=inputs)   # only what the model adds
    scored = steps.run("score", lambda s: score_step(model, week, inputs, catalog=catalog,
                                                     allow_stale=policy.allow_stale),
                       say=f"scoring the week of {week.date()}: the last complete week of data up to {window.data_end}")
    checked_health = steps.run("health", lambda s: health(model, inputs, week)) if health else None
    folder = steps.run("publish", lambda s: publish_step(scored, out_dir, langs=langs, extra=extra,
                                                         health=checked_health, published_at=published_at,
                                                         catalog=catalog, data_dir=data_dir),
                       say="writing maps and the bulletin")
    return RunRecord(window, checked, training, scored, folder, checked_health)
