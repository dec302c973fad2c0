"""The weekly job, unattended: update the data, check it, retrain when due, promote only a better
model, score the latest week the data supports, publish, and write a run record.

Exit codes (besides the error codes of :mod:`sahelrisk.errors`): 0 published, 10 published but
flagged (a country's feed went dark or fell far below the last run's rows, a source could not be
reached, or the tracking server could not and the cached champion scored), 11 nothing new (the same
data, spec and champion as the last published run: nothing is redone).

Safety: one job at a time (:func:`sahelrisk.jobs.lock.job_lock`); outputs, the manifest, models and
aliases are written to temporary places and renamed, so whatever fails the previous champion and
outputs stay usable; hidden leftovers of a killed run are removed by the next one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path

import pandas as pd

from sahelrisk.cluster import ClusterSpec
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.data.manifest import Manifest
from sahelrisk.data.row_counts import row_drops, rows_by_country
from sahelrisk.data.update import DEFAULT_DEADLINE_S
from sahelrisk.data.window import DataWindow
from sahelrisk.errors import FetchError, ModelNotFoundError, SahelriskError, TrackingUnavailableError
from sahelrisk.features.panel import PanelInputs, compute_panel, inputs_fingerprint
from sahelrisk.files import restore_old, write_text_atomic
from sahelrisk.jobs.health import drift_report, feed_health
from sahelrisk.jobs.lock import job_lock
from sahelrisk.jobs.run import RunPolicy, Step, StepRunner, run_week, window_step
from sahelrisk.jobs.verify import verify_published
from sahelrisk.modeling.spec import TrainingSpec, load_training_spec
from sahelrisk.registry import tracking
from sahelrisk.registry.cache import cached_version, load_cached_champion, save_champion
from sahelrisk.registry.models import IDENTITY_ARTIFACT, LoadedModel, load_model
from sahelrisk.registry.tracking import ModelRef

__all__ = ["run_weekly", "WeeklyJob", "WeeklyResult", "PUBLISHED", "PUBLISHED_STALE", "NOTHING_NEW", "retrain_reasons",
           "cleanup_leftovers"]

PUBLISHED, PUBLISHED_STALE, NOTHING_NEW = 0, 10, 11
STATUS = {PUBLISHED: "published", PUBLISHED_STALE: "published, some data stale", NOTHING_NEW: "nothing new"}
RECORDS = "weekly"
FALLBACK_STATUS = "published, with the cached champion (tracking unreachable)"
CHAMPION_CACHE = "champion"     # under RECORDS: the last champion loaded, for weeks the registry is down


@dataclass
class WeeklyResult:
    """What a weekly run did: its exit code, status and run record (also written to disk)."""

    exit_code: int
    status: str
    record: dict = field(default_factory=dict)
    record_path: Path | None = None


def cleanup_leftovers(out_dir: Path) -> list[str]:
    """Remove hidden folders a killed run left while writing (``.<name>-<random>``, ``.<name>-old``),
    after putting back any ``.<name>-old`` that is a published folder's only copy.

    Called under the job lock, so no other job is writing them."""
    removed = []
    for folder in [out_dir, *(p for p in (*out_dir.glob("*"), *out_dir.glob("*/*")) if p.is_dir())]:
        if not folder.is_dir():
            continue
        for old in folder.glob(".*-old"):
            if restore_old(folder / old.name[1:-len("-old")]):
                removed.append(f"restored {folder / old.name[1:-len('-old')]}")
        for leftover in folder.glob(".*-*"):
            if leftover.is_dir():
                shutil.rmtree(leftover, ignore_errors=True)
                removed.append(str(leftover))
    for partial in out_dir.glob(f"{RECORDS}/**/.*.tmp"):
        partial.unlink(missing_ok=True)
        removed.append(str(partial))
    return removed


def _final_ged_releases(data_dir: Path) -> list[str]:
    try:
        manifest = Manifest.read(data_dir)
    except SahelriskError:
        return []
    return sorted({e.release for e in manifest.entries if e.kind == "ged" and not e.replaced_by})


def retrain_reasons(spec: TrainingSpec, champion_identity: dict | None, data_end: date, ged_now: list[str],
                    ged_trained: list[str] | None, last_trained_end: str | None = None) -> list[str]:
    """Why the schedule asks for a new model now (empty: not due).

    Parameters
    ----------
    champion_identity : dict or None
        The champion's logged identity (its ``data_end``); None when there is no champion.
    ged_now, ged_trained : list of str
        Final GED releases held now, and at the last training (None: not known).
    last_trained_end : str, optional
        The ``data_end`` of the job's last training, promoted or not: the schedule counts from the
        later of it and the champion's, so a kept champion does not make every later week due.
    """
    if champion_identity is None:
        return ["no champion yet"]
    reasons = []
    trained_end = max(pd.Timestamp(champion_identity.get("data_end") or "1900-01-01"),
                      pd.Timestamp(last_trained_end or "1900-01-01"))
    weeks = int((pd.Timestamp(data_end) - trained_end).days // 7)
    if weeks >= spec.retrain_every_weeks:
        reasons.append(f"{weeks} weeks of data since the champion's (every {spec.retrain_every_weeks})")
    if spec.retrain_on_new_ged and ged_trained is not None and set(ged_now) - set(ged_trained):
        reasons.append(f"new final GED release {', '.join(sorted(set(ged_now) - set(ged_trained)))}")
    return reasons


def _key(*parts: object) -> str:
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


@dataclass(frozen=True)
class WeeklyJob:
    """The settings of one weekly run (see :func:`run_weekly`)."""

    spec_path: Path
    data_dir: Path
    out_dir: Path
    catalog: Catalog
    today: date
    started_at: str
    mlruns: str | Path = "mlruns"
    models_dir: str | Path = "models"
    tracking_uri: str | None = None
    offline: bool = False
    ucdp_url: str | None = None
    force_retrain: bool = False
    as_of: date | None = None
    data_end: date | None = None
    cluster: ClusterSpec | None = None
    update_timeout_s: float = DEFAULT_DEADLINE_S


def run_weekly(spec_path: str | Path, *, data_dir: str | Path | None = None, out_dir: str | Path = "outputs",
               mlruns: str | Path = "mlruns", models_dir: str | Path = "models", tracking_uri: str | None = None,
               offline: bool = False, ucdp_url: str | None = None, today: date, started_at: str,
               catalog: Catalog | None = None, force_retrain: bool = False, as_of: date | None = None,
               data_end: date | None = None, log: Callable[[str], None] = print,
               cluster: ClusterSpec | None = None, update_timeout_s: float = DEFAULT_DEADLINE_S) -> WeeklyResult:
    """Run the weekly job once.

    Parameters
    ----------
    spec_path : path
        The training spec (the model's identity, the retrain schedule).
    data_dir, out_dir, mlruns, models_dir, tracking_uri
        The data, the outputs, the MLflow store and the model cards.
    offline : bool
        Skip the data update (air-gapped machines, tests).
    ucdp_url : str, optional
        A site laid out like UCDP's download site (default the official one).
    today, started_at : date, str
        The caller's date (releases due after it are not asked for) and timestamp (recorded).
    catalog : Catalog, optional
        Default the packaged catalog.
    force_retrain : bool
        Retrain even when the schedule does not ask for it.
    as_of, data_end : date, optional
        The data window (default: what the data supports); a replay of past weeks passes them.
    log : callable
        Receives a line as each step starts and ends.
    cluster : ClusterSpec, optional
        Where a retrain runs; started by the retrain step and stopped when it ends.
    update_timeout_s : float
        Seconds the update may spend on UCDP's site, all files together (``--timeout``); a stalled
        transfer or header stops sooner (:data:`sahelrisk.data.fetch.SPEED_TIME`).

    Returns
    -------
    WeeklyResult
        ``exit_code`` 0 (published), 10 (published, flagged: stale data or the cached champion) or
        11 (nothing new).

    Raises
    ------
    SahelriskError
        A step failed (the run record says which); the champion and the outputs are as before.
        An unreachable tracking server with no cached champion is :class:`TrackingUnavailableError`.
    """
    job = WeeklyJob(Path(spec_path), resolve_data_dir(data_dir), Path(out_dir), catalog or load_catalog(), today,
                    started_at, mlruns, models_dir, tracking_uri, offline, ucdp_url, force_retrain, as_of, data_end,
                    cluster, update_timeout_s)
    with job_lock(job.out_dir / ".weekly.lock"):
        steps = StepRunner(log)
        record: dict = {"started_at": started_at, "spec": str(spec_path), "data_dir": str(job.data_dir),
                        "offline": offline, "steps": []}
        try:
            return _run(job, steps, record)
        except BaseException as e:
            record.update(status="failed", exit_code=getattr(e, "exit_code", 70), error=str(e)[:500],
                          steps=[asdict(s) for s in steps.steps])
            _write_record(job.out_dir, record, last=False)
            raise


def _run(job: WeeklyJob, steps: StepRunner, record: dict) -> WeeklyResult:
    """Update, then the one composition of a week's run (:func:`sahelrisk.jobs.run.run_week`)
    with the weekly policy: checked, stale countries published flagged, retrained when due."""
    cleaned = steps.run("clean up", lambda s: cleanup_leftovers(job.out_dir))
    restored = [c for c in cleaned if c.startswith("restored ")]
    if cleaned:
        steps.steps[-1].detail = "; ".join(
            [f"removed {len(cleaned) - len(restored)} leftover(s) of a stopped run"]
            + ([f"put back {len(restored)} folder(s) left only as their .old copy"] if restored else []))
    spec = load_training_spec(job.spec_path)
    record["update"] = steps.run("update", lambda s: _update(s, job, spec.features.countries))
    window, week = steps.run("window", lambda s: window_step(spec, job.catalog, job.data_dir, as_of=job.as_of,
                                                             data_end=job.data_end))
    record.update(as_of=str(window.as_of), data_end=str(window.data_end), week=str(week.date()),
                  window_reason=window.reason)
    # From the files' hashes: the same data is known before anything is loaded.
    fingerprint = inputs_fingerprint(job.catalog, job.data_dir, as_of=window.as_of, spec=spec.features)
    record["data_fingerprint"] = fingerprint
    last = _read_json(job.out_dir / RECORDS / "last_run.json")
    tracking.configure(job.tracking_uri, job.mlruns)
    cache = job.out_dir / RECORDS / CHAMPION_CACHE
    champion = steps.run("champion", lambda s: _champion(s, spec, cache))
    if champion.cached is not None:
        record["fallback"] = {"reason": champion.unreachable, "model": champion.cached.name,
                              "version": champion.cached.version}
    key = _key(fingerprint, spec.text, spec.features.text, champion.version, week.date())
    record["key"] = key
    update_ok = record["update"].get("status") in ("ok", "skipped")
    # The same files give the same rows, so no country can have fallen since the run published with
    # this key. A source that failed is news: the run goes on and publishes flagged stale (exit 10)
    # rather than report "nothing new" while the feed is down.
    if last and last.get("key") == key and update_ok and not job.force_retrain \
            and (job.out_dir / str(week.date())).is_dir():
        return _nothing_new(job, steps, record, champion.version, week)
    due = _retrain_due(job, steps, record, spec, window, champion, last)
    drops: list = []

    def health(loaded: LoadedModel, inputs: PanelInputs, week: pd.Timestamp) -> dict:
        record["rows"] = {"events": rows_by_country(inputs.events)}
        drops.extend(row_drops((last or {}).get("rows") or {}, record["rows"], previous_as_of=(last or {}).get("as_of"),
                               as_of=window.as_of, countries=spec.features.countries))
        found = _health(loaded, inputs, week, spec)
        found.update(row_drops=[asdict(d) for d in drops], fallback=record.get("fallback"))
        return found

    # The key names the model that scores the week: after a promotion, next Monday with the same data
    # finds nothing new instead of scoring the same week again with the same model. Filled when the
    # model is loaded, before the week is published with it.
    published_key: dict = {}

    def model() -> LoadedModel:
        loaded = _champion_model(job, steps, champion, cache)
        published_key["weekly_run"] = record["key"] = _key(fingerprint, spec.text, spec.features.text, loaded.version,
                                                           week.date())
        return loaded

    run = run_week(spec, window, week, data_dir=job.data_dir, catalog=job.catalog, out_dir=job.out_dir,
                   policy=RunPolicy(check=True, allow_stale=True, train=due), steps=steps,
                   champion=model,
                   training_dir=job.out_dir / "training", models_dir=job.models_dir, tracking_uri=job.tracking_uri,
                   mlruns=job.mlruns, on_fold=lambda fold, k, n: steps.log(f"backtest fold {k + 1}/{n} ({fold.name}) done"),
                   health=health, extra=published_key, command="weekly", cluster=job.cluster,
                   published_at=job.started_at)
    if run.training is not None:
        outcome = run.training
        record["promotion"] = {"challenger": outcome.version, "champion_before": outcome.champion_before,
                               "promoted": outcome.promoted, "reason": outcome.decision,
                               "deaths_forecast": outcome.severity_note}
    record["track_record"] = steps.run("verify", lambda s: _verify(s, job, run.scored.inputs),
                                       say="verifying the published weeks whose outcomes are in")
    loaded = run.scored.model
    record.update(champion=loaded.version, model=loaded.name, model_identity=loaded.identity)
    stale = [c.country for c in run.scored.result.coverage if c.stale]
    record["health"] = run.health
    record["outputs"] = str(run.folder)
    record["coverage"] = [asdict(c) for c in run.scored.result.coverage]
    code = PUBLISHED_STALE if stale or not update_ok or drops or champion.cached else PUBLISHED
    status = STATUS[code] if champion.cached is None else FALLBACK_STATUS
    record.update(status=status, exit_code=code, stale_countries=stale, steps=[asdict(s) for s in steps.steps])
    if champion.cached is None:
        record["mlflow_run_id"] = _track(record)
    else:
        record["mlflow_run_id"], record["mlflow_warning"] = None, "not logged: the tracking server is unreachable"
    path = _write_record(job.out_dir, record, last=True)
    return WeeklyResult(code, status, record, path)


@dataclass(frozen=True)
class _Champion:
    """The registry's champion, or, when the tracking server is unreachable, the cached one."""

    ref: ModelRef | None
    cached: LoadedModel | None = None
    unreachable: str | None = None

    @property
    def version(self) -> str:
        return self.cached.version if self.cached else self.ref.version if self.ref else "none"


def _champion(step: Step, spec: TrainingSpec, cache: Path) -> _Champion:
    try:
        return _Champion(tracking.champion(spec.registered_model))
    except TrackingUnavailableError as e:
        try:
            cached = load_cached_champion(cache, spec.registered_model)
        except ModelNotFoundError as missing:
            raise TrackingUnavailableError(f"{e} ({missing})") from None
        step.status = "warning"
        step.detail = f"tracking unreachable: scoring with the cached champion v{cached.version}"
        return _Champion(None, cached, str(e))


def _champion_model(job: WeeklyJob, steps: StepRunner, champion: _Champion, cache: Path) -> LoadedModel:
    """The champion to score with: the registry's (a copy kept for the weeks it is down), or that copy."""
    if champion.cached is not None:
        return champion.cached
    loaded = load_model("champion", job.spec_path, tracking_uri=job.tracking_uri, mlruns=job.mlruns)
    if cached_version(cache) != (loaded.name, loaded.version, loaded.run_id):   # another store may reuse a version
        steps.run("keep champion", lambda s: save_champion(loaded, cache))
    return loaded


def _nothing_new(job: WeeklyJob, steps: StepRunner, record: dict, version: str, week: pd.Timestamp) -> WeeklyResult:
    record.update(status=STATUS[NOTHING_NEW], exit_code=NOTHING_NEW, champion=None if version == "none" else version,
                  steps=[asdict(s) for s in steps.steps])
    steps.log(f"nothing new: the data, spec and champion are those of the run published for {week.date()}")
    path = _write_record(job.out_dir, record, last=False)
    return WeeklyResult(NOTHING_NEW, STATUS[NOTHING_NEW], record, path)


def _retrain_due(job: WeeklyJob, steps: StepRunner, record: dict, spec: TrainingSpec, window: DataWindow,
                 champion: _Champion, last: dict | None) -> bool:
    """Whether to retrain now (asked, or the schedule says so); the reasons go in the record, and a
    step that will not run is recorded as skipped with why."""
    if champion.cached is not None:
        steps.skip("retrain", "the tracking server is unreachable: the registry is not written")
        return False
    before = champion.ref
    ged_now = _final_ged_releases(job.data_dir)
    identity = None
    if before is not None:
        try:
            identity = json.loads(tracking.load_run_text(before.run_id, IDENTITY_ARTIFACT))
        except (SahelriskError, ValueError):
            identity = {}   # unreadable: treated as trained on no data, so a retrain is due
    reasons = ["asked (--retrain)"] if job.force_retrain else retrain_reasons(
        spec, identity, window.data_end, ged_now, (last or {}).get("ged_trained", ged_now if before else None),
        (last or {}).get("trained_data_end"))
    record["retrain"] = {"due": bool(reasons), "reasons": reasons}
    if reasons:
        record["ged_trained"], record["trained_data_end"] = ged_now, str(window.data_end)
    else:
        steps.skip("retrain", "not due")
        record["ged_trained"] = (last or {}).get("ged_trained", ged_now)
        record["trained_data_end"] = (last or {}).get("trained_data_end")
    return bool(reasons)


def _update(step: Step, job: WeeklyJob, countries: Sequence[str]) -> dict:
    from sahelrisk.data.update import DEFAULT_UCDP_URL, update_ucdp

    if job.offline:
        step.status, step.detail = "skipped", "offline"
        return {"status": "skipped"}
    try:
        outcome = update_ucdp(job.data_dir, until=job.today, retrieved_at=job.started_at,
                              base_url=job.ucdp_url or DEFAULT_UCDP_URL, countries=tuple(countries),
                              deadline_s=job.update_timeout_s)
    except (FetchError, OSError) as e:
        # the job goes on with the data it holds, flagged stale
        step.status, step.detail = "warning", f"source not reached: {str(e)[:200]}"
        return {"status": "failed", "warning": step.detail}
    if outcome.unreached:   # a site down is not "nothing new": the week is published flagged stale
        step.status, step.detail = "warning", f"could not reach the site: {outcome.warnings[0][:200]}"
        return {"status": "failed", "warning": step.detail, "unreached": True}
    if outcome.warnings:
        step.status, step.detail = "warning", "; ".join(outcome.warnings)[:300]
    revisions = outcome.revisions
    return {"status": "warning" if outcome.warnings else "ok", "new": outcome.new, "changed": outcome.changed,
            "warnings": outcome.warnings, "added": revisions.added, "revised": revisions.revised,
            "withdrawn": revisions.withdrawn}


def _verify(step: Step, job: WeeklyJob, inputs: PanelInputs) -> dict:
    """The track record brought up to date from the data just loaded. The week is published
    already: a damaged ledger or a failure here is a warning in the record, not a failed run."""
    try:
        result = verify_published(job.out_dir, job.data_dir, job.catalog, inputs=inputs)
    except SahelriskError as e:
        step.status, step.detail = "warning", str(e)[:300]
        return {"error": str(e)[:500]}
    if result.problems:
        step.status, step.detail = "warning", f"{len(result.problems)} frozen file(s) changed: {result.problems[0]}"
    else:
        step.detail = f"{len(result.verified)} verified, {len(result.pending)} waiting for their outcomes"
    return {"verified": len(result.verified), "pending": len(result.pending), "problems": result.problems[:20]}


def _health(loaded: LoadedModel, inputs: PanelInputs, week: pd.Timestamp, spec: TrainingSpec) -> dict:
    panel = compute_panel(loaded.spec, inputs, start=week - pd.Timedelta(weeks=55), end=week)
    importances = loaded.model.feature_importances_
    features = [f for f in importances.index[:8] if f in panel.columns]
    return {"drift": drift_report(panel, features), "feeds": feed_health(inputs.events, spec.features.countries, week)}


def _track(record: dict) -> str | None:
    """Log the run record to MLflow (experiment ``weekly``); the record says why when it cannot."""
    try:
        with tracking.run("weekly", f"weekly {record['week']}", tags={"status": record["status"]}) as run_id:
            tracking.log_metrics({f"step_{s['name'].replace(' ', '_')}_s": s["seconds"] for s in record["steps"]})
            tracking.log_json(record, "weekly_run.json")
        return run_id
    except Exception as e:  # noqa: BLE001 - the outputs are published; tracking the record is extra
        record["mlflow_warning"] = f"{type(e).__name__}: {str(e)[:200]}"
        return None


def _write_record(out_dir: Path, record: dict, *, last: bool) -> Path:
    text = json.dumps(record, indent=2, default=str) + "\n"
    name = f"{record.get('week', 'unknown')}-{record.get('status', 'failed').split(',')[0].replace(' ', '-')}-" \
           f"{record.get('key', _key(record.get('started_at')))[:8]}.json"
    path = write_text_atomic(out_dir / RECORDS / "runs" / name, text)
    if last:
        write_text_atomic(out_dir / RECORDS / "last_run.json", text)
    return path
