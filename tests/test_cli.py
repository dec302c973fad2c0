"""The command line on the real data and on a damaged copy of it (in a temp folder)."""

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def _cli(*args, cwd, env=None):
    return subprocess.run([sys.executable, "-m", "sahelrisk.cli", *args], capture_output=True, text=True, cwd=cwd,
                          env=env)


@pytest.fixture
def data_copy(real_data, tmp_path):
    copy = tmp_path / "data"
    shutil.copytree(real_data, copy)
    for path in copy.rglob("*"):
        path.chmod(0o755 if path.is_dir() else 0o644)
    return copy


def test_run_on_real_data_prints_the_summary_and_writes_the_report(real_data, tmp_path):
    result = _cli("data", "check", "--data", str(real_data), "--as-of", "2026-11-24", "--out", str(tmp_path / "out"),
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "Data check" in result.stdout and "ucdp_ged *" in result.stdout
    report = json.loads((tmp_path / "out" / "data_check.json").read_text())
    by_name = {d["name"]: d for d in report["datasets"]}
    assert by_name["ucdp_ged"]["rows_read"] == 5073 and by_name["ucdp_ged"]["quarantined"] == 1
    # the shipped data holds nothing brought in by 'sahelrisk data update'
    fetched_by_update = {"ucdp_updates", "acled_api"}
    assert all(by_name[n]["status"] == "missing" for n in fetched_by_update) and "sahelrisk data update" in result.stdout
    assert all(d["status"] == "ok" for name, d in by_name.items() if name not in fetched_by_update)
    assert (tmp_path / "out" / "quarantine" / "ucdp_ged.csv").is_file()


def test_missing_required_dataset_exits_non_zero_without_traceback(data_copy, tmp_path):
    (data_copy / "geo/roads/krantz2024_africa_road_network_sahel.geojson").unlink()
    result = _cli("data", "check", "--data", str(data_copy), "--as-of", "2026-11-24", "--out", str(tmp_path / "o"),
                  cwd=tmp_path)
    assert result.returncode == 4  # DataError
    assert "missing file(s): geo/roads/krantz2024_africa_road_network_sahel.geojson" in result.stdout
    assert "required dataset(s) not usable: roads" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr


def test_damaged_file_is_reported_and_bad_rows_quarantined(data_copy, tmp_path):
    mali = data_copy / "events/ucdp_ged_v24_1_uemoa_country_extracts/Mali.csv"
    text = mali.read_text()
    mali.write_text(text.replace("05/26/2016 00:00:00,05/26/2016 00:00:00", "05/26/2036 00:00:00,05/26/2036 00:00:00", 1))
    (data_copy / "geo/population/mli_hno_2018_adm2_population.csv").write_text("")
    result = _cli("data", "check", "--data", str(data_copy), "--as-of", "2026-11-24", "--out", str(tmp_path / "o"),
                  cwd=tmp_path)
    assert result.returncode == 0, result.stderr  # population is optional; events still load
    assert "mli_hno_2018_adm2_population.csv: file is empty" in result.stdout
    quarantine = (tmp_path / "o" / "quarantine" / "ucdp_ged.csv").read_text()
    assert "235799" in quarantine and "after the data's as-of 2026-11-24" in quarantine


@pytest.mark.parametrize("args, message, code", [
    (["data", "check", "--as-of", "2023-13-01"], "--as-of '2023-13-01' is not a date", 3),
    # a French planner's 5 June is never read as 6 May, at any option that takes a date
    (["data", "check", "--as-of", "05/06/2023"], "--as-of '05/06/2023' can be read two ways (2023-06-05 day first", 3),
    (["score", "--week", "05/06/2023"], "--week '05/06/2023' can be read two ways (2023-06-05 day first", 3),
    (["score", "--week", "25/12/2023"], "--week '25/12/2023' is not in YYYY-MM-DD form; write 2023-12-25", 3),
    (["data", "check", "--countries", "MLI,XYZ"], "unknown country code 'XYZ'", 3),
    (["data", "check", "--data", "/does/not/exist"], "does not exist", 4),
    (["data", "check", "--catalog", "/no/catalog.toml"], "catalog /no/catalog.toml not found", 3),
    (["run", "--spec", "/no/spec.toml"], "training spec /no/spec.toml not found", 3),
    (["score", "--week", "2023-12-25", "--units", "hexagons"], "unknown unit level 'hexagons'", 3),
    (["features", "build", "--spec", "/no/f.toml"], "feature spec /no/f.toml not found", 3),
])
def test_bad_arguments_give_one_clear_line(real_data, tmp_path, args, message, code):
    if "--data" not in args:
        args = [*args, "--data-dir", str(real_data)]
    result = _cli(*args, cwd=tmp_path)
    assert result.returncode == code
    assert result.stderr.strip().startswith("error:") and message in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_data_list_names_licences(tmp_path):
    result = _cli("data", "list", cwd=tmp_path)
    assert result.returncode == 0 and "CC BY 4.0 (UCDP)" in result.stdout


def test_a_bad_thread_count_is_one_line_naming_the_variable(tmp_path):
    import os
    result = _cli("data", "list", cwd=tmp_path, env={**os.environ, "SAHELRISK_THREADS": "many"})
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert result.stderr.strip() == ("error: SAHELRISK_THREADS='many' is not a thread count; set a whole number of "
                                     "at least 1 (e.g. SAHELRISK_THREADS=2) or unset it to use the cores available")
    assert _cli("--threads", "0", "data", "list", cwd=tmp_path).returncode == 2      # usage: at least 1
    ok = _cli("--threads", "1", "data", "list", cwd=tmp_path, env={**os.environ, "SAHELRISK_THREADS": "many"})
    assert ok.returncode == 0, ok.stderr                                              # the option wins


def test_a_bad_cluster_is_one_line_and_a_command_that_needs_none_starts_none(tmp_path):
    import os
    bad = _cli("--cluster", "local:many", "data", "list", cwd=tmp_path)
    assert bad.returncode == 3 and bad.stderr.strip().startswith("error: --cluster='local:many' is not a cluster")
    own = _cli("backtest", "--cluster", "tcp://nowhere", cwd=tmp_path)    # a command's own option
    assert own.returncode == 3 and own.stderr.strip().startswith("error: --cluster='tcp://nowhere' is not a cluster")
    env = {**os.environ, "SAHELRISK_CLUSTER": "local:2"}
    listed = _cli("data", "list", cwd=tmp_path, env=env)
    assert listed.returncode == 0 and "Dask" not in listed.stdout + listed.stderr


@pytest.mark.slow
def test_a_backtest_on_a_local_cluster_prints_its_dashboard_and_the_table(small_spec, real_data, tmp_path):
    import os
    from pathlib import Path
    env = {**os.environ, "SAHELRISK_PANELS": str(tmp_path / "panels")}
    result = _cli("backtest", "--spec", str(Path(small_spec.origin)), "--baselines-only", "--cluster", "local:2",
                  "--data-dir", str(real_data), "--out", str(tmp_path), cwd=tmp_path, env=env)
    assert result.returncode == 0, result.stderr
    assert "running on a local Dask cluster of 2 worker processes; dashboard http://127.0.0.1:" in result.stdout
    assert "decay_neighbours" in result.stdout and "INFO distributed" not in result.stdout + result.stderr
    assert [p.name.split("-")[0] for p in (tmp_path / "panels").iterdir()] == ["default"]


def test_the_command_line_is_wiring_only():
    # options, one call, printing: the work lives in jobs/, console and serving (a command that grows
    # past this is doing a step's job)
    from pathlib import Path
    cli = Path(__file__).resolve().parents[1] / "src" / "sahelrisk" / "cli.py"
    assert len(cli.read_text().splitlines()) < 450


def test_a_log_level_that_is_none_is_one_line_naming_the_levels(tmp_path):
    import os
    result = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "data", "list"], capture_output=True, text=True,
                            cwd=tmp_path, env={**os.environ, "SAHELRISK_LOG": "verbose"})
    assert result.returncode == 3 and "Traceback" not in result.stderr
    assert result.stderr.strip() == "error: SAHELRISK_LOG='verbose' is not a log level; use one of DEBUG, INFO, WARNING, ERROR, CRITICAL"
    quiet = subprocess.run([sys.executable, "-m", "sahelrisk.cli", "data", "list"], capture_output=True, text=True,
                           cwd=tmp_path, env={**os.environ, "SAHELRISK_LOG": "info"})
    assert quiet.returncode == 0


class _Reached(Exception):
    """The step was called: what it was given is recorded, the rest of the command is not run."""


@pytest.mark.parametrize(("module", "step", "argv"), [
    ("sahelrisk.jobs.run", "run_once", ["run"]),
    ("sahelrisk.jobs.train", "train_and_track", ["train"]),
    ("sahelrisk.jobs.weekly", "run_weekly", ["weekly", "--offline"]),
    ("sahelrisk.jobs.panel", "build_panel_step", ["features", "build"]),
])
def test_the_cluster_named_on_the_command_line_is_handed_to_the_step_that_runs(module, step, argv, monkeypatch,
                                                                                 tmp_path):
    # the step opens the cluster it is handed; nothing global is set by the command line
    import importlib

    from typer.testing import CliRunner

    from sahelrisk.cli import app
    from sahelrisk.cluster import ClusterSpec
    given: list = []

    def reached(*args, **kwargs):
        given.append(kwargs.get("cluster"))
        raise _Reached

    monkeypatch.setattr(importlib.import_module(module), step, reached)
    monkeypatch.delenv("SAHELRISK_CLUSTER", raising=False)
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    runner = CliRunner()
    for options in ([], ["--cluster", "local:3"]):
        result = runner.invoke(app, [*options, *argv])
        assert isinstance(result.exception, _Reached), result.output
    own = runner.invoke(app, ["--cluster", "local:3", *argv, "--cluster", "tcp://10.0.0.5:8786"])
    assert isinstance(own.exception, _Reached)
    monkeypatch.setenv("SAHELRISK_CLUSTER", "local:2")
    from_env = runner.invoke(app, argv)
    assert isinstance(from_env.exception, _Reached)
    assert given == [None, ClusterSpec(workers=3), ClusterSpec(address="tcp://10.0.0.5:8786"), ClusterSpec(workers=2)]


def test_verify_check_names_what_changed_and_exits_14(tmp_path):
    from tests.publishing.test_ledger import _publish
    out = tmp_path / "outputs"
    _publish(out, "2023-01-02", 0.1)
    intact = _cli("verify", "--check", "--out", str(out), cwd=tmp_path)
    assert intact.returncode == 0 and "the ledger and every frozen week are intact" in intact.stdout
    (out / "ledger" / "2023-01-02" / "r1" / "risk_adm2.csv").write_text("edited")
    changed = _cli("verify", "--check", "--out", str(out), cwd=tmp_path)
    assert changed.returncode == 14, changed.stderr
    assert "changed: week 2023-01-02 revision 1: risk_adm2.csv changed since it was frozen" in changed.stdout
    assert changed.stderr.strip().startswith("error: 1 frozen file(s) or ledger line(s) changed; first: week "
                                             "2023-01-02 revision 1") and "Traceback" not in changed.stderr


def test_the_weekly_job_takes_the_updates_time_limit(monkeypatch):
    from typer.testing import CliRunner

    import sahelrisk.jobs.weekly as weekly
    from sahelrisk.cli import app
    given = []
    monkeypatch.setattr(weekly, "run_weekly", lambda *a, **kw: (given.append(kw["update_timeout_s"]), _raise())[1])
    monkeypatch.chdir(Path(__file__).resolve().parents[1])
    runner = CliRunner()
    assert isinstance(runner.invoke(app, ["weekly", "--timeout", "120"]).exception, _Reached)
    assert isinstance(runner.invoke(app, ["weekly"]).exception, _Reached)
    assert given == [120.0, 1800.0]
    assert runner.invoke(app, ["weekly", "--timeout", "0"]).exit_code == 2      # at least a second


def _raise():
    raise _Reached
