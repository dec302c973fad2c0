"""The weekly job, unattended: update the data, check it, retrain when due, promote only a better
model, score the latest week the data supports, publish, and write a run record.

Exit codes (besides the error codes of :mod:`sahelrisk.errors`): 0 published, 10 published but
some data is stale (a country's feed went dark, or a source could not be reached), 11 nothing new
(the same data, spec and champion as the last published run: nothing is redone).

Safety: one job at a time (:func:`sahelrisk.jobs.lock.job_lock`); outputs, the manifest, models and
aliases are written to temporary places and renamed, so whatever fails the previous champion and
outputs stay usable; hidden leftovers of a killed run are removed by the next one.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from pathlib import Path
from typing import Callable

import pandas as pd

from sahelrisk.api import load_model, score_all
from sahelrisk.data.catalog import Catalog, load_catalog
from sahelrisk.data.datadir import resolve_data_dir
from sahelrisk.data.manifest import Manifest
from sahelrisk.errors import FetchError, SahelriskError
from sahelrisk.features.panel import compute_panel, load_inputs
from sahelrisk.features.targets import last_full_week
from sahelrisk.files import write_text_atomic
from sahelrisk.jobs.health import drift_report, feed_health
from sahelrisk.jobs.lock import job_lock
from sahelrisk.modeling import tracking
from sahelrisk.modeling.spec import TrainingSpec, load_training_spec
from sahelrisk.modeling.training import resolve_window, train_and_track
from sahelrisk.publishing.outputs import write_outputs

__all__ = ["run_weekly", "WeeklyResult", "PUBLISHED", "PUBLISHED_STALE", "NOTHING_NEW", "retrain_reasons",
           "cleanup_leftovers"]

PUBLISHED, PUBLISHED_STALE, NOTHING_NEW = 0, 10, 11
STATUS = {PUBLISHED: "published", PUBLISHED_STALE: "published, some data stale", NOTHING_NEW: "nothing new"}
RECORDS = "weekly"


@dataclass
class Step:
    name: str
    status: str = "ok"            # ok | skipped | warning | failed
    seconds: float = 0.0
    detail: str = ""


@dataclass
class WeeklyResult:
    """What a weekly run did: its exit code, status and run record (also written to disk)."""

    exit_code: int
    status: str
    record: dict = field(default_factory=dict)
    record_path: Path | None = None


class _Steps:
    """Timed steps, each logged as it starts and ends (a log file shows progress too)."""

    def __init__(self, log: Callable[[str], None]):
        self.steps: list[Step] = []
        self.log = log

    def run(self, name: str, work: Callable[[Step], object]):
        step = Step(name)
        self.steps.append(step)
        self.log(f"{name}...")
        started = time.perf_counter()
        try:
            return work(step)
        except BaseException as e:
            step.status, step.detail = "failed", str(e)[:300] or type(e).__name__
            raise
        finally:
            step.seconds = round(time.perf_counter() - started, 2)
            self.log(f"{name}: {step.status} ({step.seconds:.1f} s){' - ' + step.detail if step.detail else ''}")


def cleanup_leftovers(out_dir: Path) -> list[str]:
    """Remove hidden folders a killed run left while writing (``.<name>-<random>``, ``.<name>-old``).

    Called under the job lock, so no other job is writing them."""
    removed = []
    for folder in [out_dir, *(p for p in (*out_dir.glob("*"), *out_dir.glob("*/*")) if p.is_dir())]:
        if not folder.is_dir():
            continue
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


def _key(*parts) -> str:
    return hashlib.sha256("\n".join(str(p) for p in parts).encode()).hexdigest()


def _read_json(path: Path) -> dict | None:
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def run_weekly(spec_path: str | Path, *, data_dir=None, out_dir: str | Path = "outputs", mlruns: str | Path = "mlruns",
               models_dir: str | Path = "models", tracking_uri: str | None = None, offline: bool = False,
               ucdp_url: str | None = None, today: date, started_at: str, catalog: Catalog | None = None,
               force_retrain: bool = False, as_of: date | None = None,
               log: Callable[[str], None] = print) -> WeeklyResult:
    """Run the weekly job once.

    Parameters
    ----------
    spec_path : path
        The training spec (the model's identity, the retrain schedule).
    offline : bool
        Skip the data update (air-gapped machines, tests).
    ucdp_url : str, optional
        A site laid out like UCDP's download site (default the official one).
    today, started_at : date, str
        The caller's date (releases due after it are not asked for) and timestamp (recorded).
    force_retrain : bool
        Retrain even when the schedule does not ask for it.
    as_of : date, optional
        The data cut-off (default: what the data supports); a replay of past weeks passes it.

    Returns
    -------
    WeeklyResult
        ``exit_code`` 0 (published), 10 (published, some data stale) or 11 (nothing new).

    Raises
    ------
    SahelriskError
        A step failed (the run record says which); the champion and the outputs are as before.
    """
    out_dir = Path(out_dir)
    data_dir = resolve_data_dir(data_dir)
    catalog = catalog or load_catalog()
    with job_lock(out_dir / ".weekly.lock"):
        steps = _Steps(log)
        record: dict = {"started_at": started_at, "spec": str(spec_path), "data_dir": str(data_dir),
                        "offline": offline, "steps": []}
        try:
            result = _run(steps, record, Path(spec_path), data_dir, out_dir, mlruns, models_dir, tracking_uri,
                          offline, ucdp_url, today, started_at, catalog, force_retrain, as_of)
        except BaseException as e:
            record.update(status="failed", exit_code=getattr(e, "exit_code", 70), error=str(e)[:500],
                          steps=[asdict(s) for s in steps.steps])
            _write_record(out_dir, record, last=False)
            raise
        return result


def _run(steps: _Steps, record: dict, spec_path: Path, data_dir: Path, out_dir: Path, mlruns, models_dir, tracking_uri,
         offline, ucdp_url, today, started_at, catalog, force_retrain, cut_off) -> WeeklyResult:
    removed = steps.run("clean up", lambda s: cleanup_leftovers(out_dir))
    if removed:
        steps.steps[-1].detail = f"removed {len(removed)} leftover(s) of a stopped run"
    spec = load_training_spec(spec_path)
    record["update"] = steps.run("update", lambda s: _update(s, data_dir, offline, ucdp_url, today, started_at,
                                                             spec.features.countries))
    as_of, data_end, reason = steps.run("window", lambda s: resolve_window(spec.features, catalog, data_dir,
                                                                          as_of=cut_off))
    week = last_full_week(data_end)
    record.update(as_of=str(as_of), data_end=str(data_end), week=str(week.date()), window_reason=reason)
    inputs = steps.run("load", lambda s: load_inputs(catalog, data_dir, spec=spec.features, as_of=as_of))
    record["data_fingerprint"] = inputs.fingerprint
    tracking.configure(tracking_uri, mlruns)
    before = steps.run("champion", lambda s: tracking.champion(spec.registered_model))
    ged_now = _final_ged_releases(data_dir)
    last = _read_json(out_dir / RECORDS / "last_run.json")
    key = _key(inputs.fingerprint, spec.text, spec.features.text, before.version if before else "none", week.date())
    record["key"] = key
    update_ok = record["update"].get("status") in ("ok", "skipped")
    # A source that failed is news: the run goes on and publishes flagged stale (exit 10) rather
    # than report "nothing new" while the feed is down.
    if last and last.get("key") == key and update_ok and not force_retrain and (out_dir / str(week.date())).is_dir():
        record.update(status=STATUS[NOTHING_NEW], exit_code=NOTHING_NEW, champion=before.version if before else None,
                      steps=[asdict(s) for s in steps.steps])
        log_line = f"nothing new: the data, spec and champion are those of the run published for {week.date()}"
        steps.log(log_line)
        path = _write_record(out_dir, record, last=False)
        return WeeklyResult(NOTHING_NEW, STATUS[NOTHING_NEW], record, path)
    identity = None
    if before is not None:
        try:
            identity = json.loads(tracking.load_run_text(before.run_id, "spec/identity.json"))
        except (SahelriskError, ValueError):
            identity = {}   # unreadable: treated as trained on no data, so a retrain is due
    reasons = ["asked (--retrain)"] if force_retrain else retrain_reasons(
        spec, identity, data_end, ged_now, (last or {}).get("ged_trained", ged_now if before else None),
        (last or {}).get("trained_data_end"))
    record["retrain"] = {"due": bool(reasons), "reasons": reasons}
    ged_trained = (last or {}).get("ged_trained", ged_now)
    trained_end = (last or {}).get("trained_data_end")
    if reasons:
        outcome = steps.run("retrain", lambda s: train_and_track(
            spec, data_dir, as_of=as_of, data_end=data_end, register=True, out_dir=out_dir / "training",
            models_dir=models_dir, tracking_uri=tracking_uri, mlruns=mlruns, catalog=catalog,
            on_fold=lambda fold, k, n: steps.log(f"backtest fold {k + 1}/{n} ({fold.name})")))
        record["promotion"] = {"challenger": outcome.version, "champion_before": outcome.champion_before,
                               "promoted": outcome.promoted, "reason": outcome.decision}
        ged_trained, trained_end = ged_now, str(data_end)
    else:
        steps.steps.append(Step("retrain", "skipped", 0.0, "not due"))
    record["ged_trained"] = ged_trained
    record["trained_data_end"] = trained_end
    loaded = steps.run("load model", lambda s: load_model("champion", spec_path, tracking_uri=tracking_uri,
                                                          mlruns=mlruns))
    record.update(champion=loaded.version, model=loaded.name, model_identity=loaded.identity)
    result, _ = steps.run("score", lambda s: score_all(week, None, loaded, data_dir, levels=("adm2", "adm1"),
                                                       inputs=inputs, catalog=catalog, allow_stale=True))
    stale = [c.country for c in result.coverage if c.stale]
    record["health"] = steps.run("health", lambda s: _health(loaded, inputs, week, spec))
    folder = steps.run("publish", lambda s: write_outputs(result, loaded, inputs, out_dir,
                                                          horizon_weeks=loaded.horizon_weeks,
                                                          extra={"weekly_run": key}, health=record["health"]))
    record["outputs"] = str(folder)
    record["coverage"] = [asdict(c) for c in result.coverage]
    code = PUBLISHED_STALE if stale or not update_ok else PUBLISHED
    record.update(status=STATUS[code], exit_code=code, stale_countries=stale,
                  steps=[asdict(s) for s in steps.steps])
    record["mlflow_run_id"] = _track(record)
    path = _write_record(out_dir, record, last=True)
    return WeeklyResult(code, STATUS[code], record, path)


def _update(step: Step, data_dir: Path, offline: bool, ucdp_url, today, started_at, countries) -> dict:
    from sahelrisk.data.update import DEFAULT_UCDP_URL, update_ucdp

    if offline:
        step.status, step.detail = "skipped", "offline"
        return {"status": "skipped"}
    try:
        outcome = update_ucdp(data_dir, until=today, retrieved_at=started_at, base_url=ucdp_url or DEFAULT_UCDP_URL,
                              countries=tuple(countries))
    except (FetchError, OSError) as e:
        # the job goes on with the data it holds, flagged stale
        step.status, step.detail = "warning", f"source not reached: {str(e)[:200]}"
        return {"status": "failed", "warning": step.detail}
    if outcome.warnings:
        step.status, step.detail = "warning", "; ".join(outcome.warnings)[:300]
    revisions = outcome.revisions
    return {"status": "warning" if outcome.warnings else "ok", "new": outcome.new, "changed": outcome.changed,
            "warnings": outcome.warnings, "added": revisions.added, "revised": revisions.revised,
            "withdrawn": revisions.withdrawn}


def _health(loaded, inputs, week: pd.Timestamp, spec: TrainingSpec) -> dict:
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
