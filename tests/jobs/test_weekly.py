"""The weekly job on the real data, with faults on purpose: each leaves the previous champion and
outputs usable, and the next run recovers without manual cleanup."""

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from sahelrisk.errors import ModelNotFoundError, TrackingUnavailableError
from sahelrisk.jobs.weekly import FALLBACK_STATUS, NOTHING_NEW, PUBLISHED, PUBLISHED_STALE, run_weekly
from sahelrisk.registry import tracking

pytestmark = pytest.mark.slow
WEEK = "2023-12-25"


def _job(site: Path, spec, data, **kwargs):
    return run_weekly(spec.origin, data_dir=data, out_dir=site / "out", mlruns=site / "mlruns",
                      models_dir=site / "models", offline=True, today=date(2024, 1, 8),
                      started_at="2024-01-08T06:00:00+00:00", log=lambda line: None, **kwargs)


def _snapshot(folder: Path) -> dict:
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


@pytest.fixture(scope="module")
def base(registered, small_spec, real_data, tmp_path_factory):
    """A registry with a champion, and the outputs of a first published run."""
    mlruns, _ = registered
    site = tmp_path_factory.mktemp("weekly-base")
    shutil.copytree(mlruns, site / "mlruns")
    (site / "out" / f".{WEEK}-x1y2").mkdir(parents=True)       # leftovers of a run killed while writing
    (site / "out" / f".{WEEK}-old").mkdir()
    first = _job(site, small_spec, real_data)
    return site, first


@pytest.fixture
def site(base, tmp_path):
    """A private copy of the base site (registry and outputs) for a test to break."""
    shutil.copytree(base[0], tmp_path / "site")
    return tmp_path / "site"


def test_a_first_run_publishes_cleans_leftovers_and_records_every_step(base):
    site, first = base
    assert first.exit_code == PUBLISHED and first.record["week"] == WEEK
    assert sorted(p.name for p in (site / "out").iterdir() if p.name.startswith(".2023")) == []
    assert (site / "out" / WEEK / "bulletin.fr.pdf").is_file()
    steps = {s["name"]: s for s in first.record["steps"]}
    # the .old copy was the week's only one (no live folder): put back, then published over
    assert steps["clean up"]["detail"] == ("removed 1 leftover(s) of a stopped run; put back 1 folder(s) left only as "
                                           "their .old copy")
    assert steps["update"]["status"] == "skipped" and steps["retrain"]["detail"] == "not due"
    assert all(s["seconds"] >= 0 for s in steps.values()) and first.record["data_fingerprint"]
    assert {f["country"] for f in first.record["health"]["feeds"]} == {"MLI", "BFA", "NER"}
    assert first.record["health"]["drift"] and first.record["mlflow_run_id"]
    assert json.loads((site / "out" / "weekly" / "last_run.json").read_text())["key"] == first.record["key"]
    assert json.loads((site / "out" / "weekly" / "champion" / "meta.json").read_text())["version"] == "1"


def test_a_retraining_run_checks_the_data_first_and_loads_its_sources_once(site, small_spec, real_data, monkeypatch):
    import sahelrisk.features.panel as panel

    loads = []

    def counted(*args, **kwargs):
        loads.append(kwargs.get("as_of"))
        return panel.load_inputs(*args, **kwargs)

    for where in ("sahelrisk.jobs.run.load_inputs", "sahelrisk.modeling.frame.load_inputs"):
        monkeypatch.setattr(where, counted)
    run = _job(site, small_spec, real_data, force_retrain=True)
    names = [s["name"] for s in run.record["steps"]]
    assert names.index("check") < names.index("load") < names.index("retrain") < names.index("score")
    assert names.count("load") == 1 and len(loads) == 1                 # the retrain fits from the sources loaded
    # the week published is frozen, and the track record brought up to date from the same sources
    assert names.index("publish") < names.index("verify") and run.record["track_record"]["pending"] >= 1
    assert (site / "out" / "ledger" / "ledger.jsonl").is_file()
    assert run.record["promotion"]["challenger"] and run.exit_code in (PUBLISHED, PUBLISHED_STALE)
    report = json.loads((site / "out" / "data_check.json").read_text())
    assert report["command"] == "weekly" and {d["name"] for d in report["datasets"]} >= {"ucdp_ged", "admin2"}


def test_a_second_run_on_the_same_data_does_nothing_and_says_so(site, small_spec, real_data):
    before = _snapshot(site / "out" / WEEK)
    again = _job(site, small_spec, real_data)
    assert again.exit_code == NOTHING_NEW and again.status == "nothing new"
    assert _snapshot(site / "out" / WEEK) == before


def test_a_moved_registry_loads_its_own_model(site, small_spec, real_data, tmp_path):
    moved = tmp_path / "elsewhere"
    shutil.move(str(site), moved)                  # the original folder is gone
    (moved / "out" / "weekly" / "last_run.json").unlink()
    assert _job(moved, small_spec, real_data).exit_code == PUBLISHED
    # a copy reads its own files: damage the copy's model and the copy fails, naming the version
    copy = tmp_path / "copy"
    shutil.copytree(moved, copy)
    for pickle in (copy / "mlruns" / "artifacts").rglob("python_model.pkl"):
        pickle.write_bytes(pickle.read_bytes()[:100])
    (copy / "out" / "weekly" / "last_run.json").unlink()
    with pytest.raises(ModelNotFoundError, match=r"model test-grid-any-fatal-4w v1 cannot be loaded"):
        _job(copy, small_spec, real_data)
    tracking.configure(None, moved / "mlruns")     # the moved original still loads
    assert tracking.load_risk_model("test-grid-any-fatal-4w")[1].version == "1"


def test_a_truncated_model_fails_clearly_and_leaves_the_outputs(site, small_spec, real_data):
    before = _snapshot(site / "out" / WEEK)
    for pickle in (site / "mlruns" / "artifacts").rglob("python_model.pkl"):
        pickle.write_bytes(pickle.read_bytes()[:64])
    (site / "out" / "weekly" / "last_run.json").unlink()
    with pytest.raises(ModelNotFoundError, match=r"v1 cannot be loaded from .*damaged or moved"):
        _job(site, small_spec, real_data)
    assert _snapshot(site / "out" / WEEK) == before
    failed = sorted((site / "out" / "weekly" / "runs").glob("*failed*.json"))
    assert failed and json.loads(failed[-1].read_text())["steps"][-1]["status"] == "failed"


def _cli(site: Path, spec, data, *extra) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "sahelrisk.cli", "weekly", "--offline", "--spec", spec.origin,
                             "--data-dir", str(data), "--out", str(site / "out"), *extra],
                            cwd=site, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def _kill_when(process: subprocess.Popen, ready, timeout: float = 300) -> None:
    deadline = time.time() + timeout
    while not ready():
        assert process.poll() is None, process.stdout.read()
        assert time.time() < deadline, "the moment to kill never came"
        time.sleep(0.02)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()


def test_sigkill_while_publishing_keeps_the_outputs_and_the_next_run_recovers(site, small_spec, real_data):
    before = _snapshot(site / "out" / WEEK)
    (site / "out" / "weekly" / "last_run.json").unlink()
    job = _cli(site, small_spec, real_data)
    _kill_when(job, lambda: any(p.name.startswith(f".{WEEK}-") for p in (site / "out").iterdir()))
    assert _snapshot(site / "out" / WEEK) == before                # the published week is whole
    assert any(p.name.startswith(f".{WEEK}-") for p in (site / "out").iterdir())
    done = _cli(site, small_spec, real_data)
    assert done.wait(timeout=600) == PUBLISHED, done.stdout.read()
    assert not any(p.name.startswith(".2023") for p in (site / "out").iterdir())


def test_sigkill_while_training_keeps_the_champion_and_the_next_run_recovers(site, small_spec, real_data):
    job = _cli(site, small_spec, real_data, "--retrain")
    lines = []

    def training():
        lines.append(job.stdout.readline())
        return "backtest fold 1/" in lines[-1]
    _kill_when(job, training)
    tracking.configure(None, site / "mlruns")
    assert tracking.champion("test-grid-any-fatal-4w").version == "1"
    done = _cli(site, small_spec, real_data)
    assert done.wait(timeout=600) in (PUBLISHED, NOTHING_NEW), done.stdout.read()


def test_a_second_job_started_while_the_first_runs_exits_at_once(site, small_spec, real_data):
    (site / "out" / "weekly" / "last_run.json").unlink()
    lock = site / "out" / ".weekly.lock"
    lock.unlink()                                   # the copy's: written by the base run, long released
    first = _cli(site, small_spec, real_data)
    try:
        deadline = time.time() + 120
        while not lock.exists() or lock.read_text() != f"pid {first.pid}":
            assert time.time() < deadline and first.poll() is None
            time.sleep(0.05)
        second = _cli(site, small_spec, real_data)
        assert second.wait(timeout=60) == 9
        assert "another weekly job runs on this output folder" in second.stdout.read()
    finally:
        first.wait(timeout=600)
    assert first.returncode == PUBLISHED


@pytest.mark.parametrize("fault", ["full", "read-only"])
def test_a_full_or_read_only_output_folder_fails_and_leaves_the_previous_outputs(site, small_spec, real_data, tmp_path,
                                                                                 fault):
    small = tmp_path / "small-disk"
    small.mkdir()
    size = "size=9m" if fault == "full" else "size=20m"       # room for one week's outputs, not two
    if subprocess.run(["mount", "-t", "tmpfs", "-o", size, "tmpfs", str(small)], capture_output=True).returncode:
        pytest.skip("cannot mount a small tmpfs here (needs root): the full or read-only disk is not exercised")
    try:
        shutil.copytree(site / "out" / WEEK, small / WEEK)
        (small / "weekly").mkdir()
        if fault == "read-only":
            subprocess.run(["mount", "-o", "remount,ro", str(small)], check=True)
        before = _snapshot(small / WEEK)
        with pytest.raises(OSError):
            run_weekly(small_spec.origin, data_dir=real_data, out_dir=small, mlruns=site / "mlruns",
                       models_dir=site / "models", offline=True, today=date(2024, 1, 8), started_at="t",
                       log=lambda line: None)
        assert _snapshot(small / WEEK) == before
        assert not any(p.name.startswith(f".{WEEK}-") for p in small.iterdir())   # no partial folder left
    finally:
        subprocess.run(["umount", str(small)], capture_output=True)


def test_sigkill_while_registering_keeps_the_champion_and_the_next_run_recovers(site, small_spec, real_data):
    import sqlite3

    def versions() -> int:
        try:
            with sqlite3.connect(f"file:{site / 'mlruns' / 'mlflow.db'}?mode=ro", uri=True, timeout=1) as db:
                return db.execute("SELECT count(*) FROM model_versions").fetchone()[0]
        except sqlite3.Error:
            return 0
    before = versions()
    job = _cli(site, small_spec, real_data, "--retrain")
    _kill_when(job, lambda: versions() > before, timeout=600)    # the new version exists, its fate not yet decided
    tracking.configure(None, site / "mlruns")
    assert tracking.champion("test-grid-any-fatal-4w").version == "1"
    done = _cli(site, small_spec, real_data)
    assert done.wait(timeout=600) in (PUBLISHED, NOTHING_NEW), done.stdout.read()


def _closed_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]        # nothing listens there once closed


def _tree(folder: Path) -> dict:
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*") if p.is_file()}


def test_an_unreachable_tracking_server_scores_with_the_cached_champion_and_says_so(site, small_spec, real_data):
    port = _closed_port()
    registry = _tree(site / "mlruns")
    (site / "out" / "weekly" / "last_run.json").unlink()
    started = time.perf_counter()
    run = _job(site, small_spec, real_data, tracking_uri=f"http://127.0.0.1:{port}")
    assert time.perf_counter() - started < 120
    assert run.exit_code == PUBLISHED_STALE and run.status == FALLBACK_STATUS
    assert run.record["fallback"]["version"] == run.record["champion"] == "1"
    assert f"127.0.0.1:{port}" in run.record["fallback"]["reason"]
    assert run.record["model_identity"]["registered_model"] == "test-grid-any-fatal-4w"
    steps = {s["name"]: s for s in run.record["steps"]}
    assert steps["champion"]["status"] == "warning" and "not written" in steps["retrain"]["detail"]
    assert run.record["mlflow_run_id"] is None and _tree(site / "mlruns") == registry     # the registry untouched
    assert "could not be reached this week" in (site / "out" / WEEK / "bulletin.en.html").read_text()
    assert "injoignable cette semaine" in (site / "out" / WEEK / "bulletin.fr.html").read_text()
    published = json.loads((site / "out" / WEEK / "run.json").read_text())
    assert published["health"]["fallback"]["version"] == "1"


def test_an_unreachable_tracking_server_without_a_cached_champion_fails_fast_and_touches_nothing(site, small_spec,
                                                                                              real_data):
    port = _closed_port()
    shutil.rmtree(site / "out" / "weekly" / "champion")
    before = _snapshot(site / "out" / WEEK)
    (site / "out" / "weekly" / "last_run.json").unlink()
    started = time.perf_counter()
    with pytest.raises(TrackingUnavailableError, match=f"127.0.0.1:{port}.*no cached champion"):
        _job(site, small_spec, real_data, tracking_uri=f"http://127.0.0.1:{port}")
    assert time.perf_counter() - started < 60
    assert _snapshot(site / "out" / WEEK) == before


def test_a_country_far_below_the_last_runs_rows_is_published_flagged_naming_it(site, small_spec, real_data, tmp_path):
    from tests.data.test_coverage import MALI, thin_copy
    thinned = tmp_path / "data"
    shutil.copytree(real_data, thinned, copy_function=os.symlink)       # only Mali's file is a real copy
    (thinned / MALI).unlink()
    thin_copy(real_data / MALI, thinned / MALI)                         # two rows in three lost, no error
    run = _job(site, small_spec, thinned)
    assert run.exit_code == PUBLISHED_STALE
    [drop] = run.record["health"]["row_drops"]
    assert drop["country"] == "MLI" and drop["now"] < drop["previous"] / 2
    assert "check that these countries" in (site / "out" / WEEK / "bulletin.en.html").read_text()


@pytest.mark.parametrize("fault", ["truncate", "error_csv"])   # cut short; a gateway's error CSV with a 200
def test_a_bad_new_data_file_is_a_warning_published_stale_then_the_next_run_takes_it_in(site, small_spec, real_data,
                                                                                        tmp_path, fault):
    from tests.data.ucdp_site import UcdpSite

    data = tmp_path / "data"
    shutil.copytree(real_data, data)
    before = _snapshot(site / "out" / WEEK)
    with UcdpSite(tmp_path / "ucdp") as served:
        served.publish(real_data, "GEDEvent_v26_0_1.csv")
        served.faults["candidateged/GEDEvent_v26_0_1.csv"] = fault
        cut = run_weekly(small_spec.origin, data_dir=data, out_dir=site / "out", mlruns=site / "mlruns",
                         models_dir=site / "models", ucdp_url=served.url, today=date(2026, 3, 2),
                         started_at="2026-03-02T03:00:00+00:00", log=lambda line: None)
        assert cut.exit_code == PUBLISHED_STALE and cut.record["update"]["status"] == "warning"
        assert "GEDEvent_v26_0_1.csv" in cut.record["update"]["warning" if "warning" in cut.record["update"]
                                                               else "warnings"][0]
        assert not (data / "events" / "ucdp" / "manifest.json").exists()       # nothing half-taken
        assert set(_snapshot(site / "out" / WEEK)) == set(before)             # the week republished whole
        served.faults.clear()
        fixed = run_weekly(small_spec.origin, data_dir=data, out_dir=site / "out", mlruns=site / "mlruns",
                           models_dir=site / "models", ucdp_url=served.url, today=date(2026, 3, 9),
                           started_at="2026-03-09T03:00:00+00:00", log=lambda line: None)
    assert fixed.exit_code == PUBLISHED and fixed.record["update"]["new"] == ["candidate_26_0_1"]
    assert fixed.record["update"]["added"]                                     # events counted per country


def test_a_ucdp_site_that_cannot_be_reached_publishes_flagged_stale_not_nothing_new(site, small_spec, real_data):
    before = _snapshot(site / "out" / WEEK)
    run = run_weekly(small_spec.origin, data_dir=real_data, out_dir=site / "out", mlruns=site / "mlruns",
                     models_dir=site / "models", offline=False, ucdp_url=f"http://127.0.0.1:{_closed_port()}/",
                     # by March, January's Candidate release is due: there is something to ask for
                     today=date(2024, 3, 4), started_at="2024-03-04T06:00:00+00:00", log=lambda line: None)
    assert run.exit_code == PUBLISHED_STALE                     # the same data as last week, but the feed is down
    assert run.record["update"]["status"] == "failed" and run.record["update"]["unreached"] is True
    steps = {s["name"]: s for s in run.record["steps"]}
    assert steps["update"]["status"] == "warning" and "could not reach the site" in steps["update"]["detail"]
    assert _snapshot(site / "out" / WEEK) != before               # published again, flagged
