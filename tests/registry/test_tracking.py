"""MLflow round trips: the embedded SQLite store, and a real `mlflow server` on 127.0.0.1."""

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import numpy as np
import pytest

from sahelrisk.errors import ModelNotFoundError
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.registry import tracking
from tests.modeling.test_boosted import FAST, synthetic_panel


@pytest.fixture(autouse=True)
def _isolated_mlflow(monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    yield
    import mlflow
    if mlflow.active_run():
        mlflow.end_run()


def test_the_users_tracking_uri_holds_for_every_call_of_a_run(monkeypatch, tmp_path):
    """Train then load in one run: both in the store the user named (the load used to fall back to ./mlruns)."""
    users = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("MLFLOW_TRACKING_URI", users)
    assert tracking.configure(None, tmp_path / "mlruns") == users
    assert tracking.configure(None, tmp_path / "mlruns") == users


def test_our_choice_of_store_is_not_left_for_child_processes(tmp_path):
    """MLflow copies the URI into the variable; a child would take it for the user's."""
    ours = tracking.configure(None, tmp_path / "mlruns")
    assert ours.endswith("mlruns/mlflow.db") and "MLFLOW_TRACKING_URI" not in os.environ
    assert tracking.configure(None, tmp_path / "other").endswith("other/mlflow.db")
    import mlflow
    assert mlflow.get_tracking_uri().endswith("other/mlflow.db")   # this process still uses it


def _fitted():
    frame = synthetic_panel(units=30)
    X = frame[["mining_signal", "conflict_events_4w"]]
    return RiskModel(**FAST).fit(X, frame["target_any_fatal_4w"], weeks=frame["week"]), X


def _round_trip(root):
    model, X = _fitted()
    with tracking.run("test-exp", "round trip", tags={"git_commit": "abc"}, root=root) as run_id:
        tracking.log_params({"n_estimators": model.n_estimators, "windows": [4, 52]})
        tracking.log_metrics({"ap": 0.5, "nan_is_skipped": float("nan")}, prefix="model_")
        ref = tracking.log_risk_model(model, X, "test-model")
    assert ref.version == "1" and ref.run_id == run_id
    assert tracking.champion("test-model") is None
    tracking.set_alias("test-model", ref.version)
    champ = tracking.champion("test-model")
    assert champ.version == "1" and champ.metrics["model_ap"] == 0.5
    loaded, loaded_ref = tracking.load_risk_model("test-model", "champion")
    np.testing.assert_array_equal(loaded.predict_proba(X), model.predict_proba(X))
    with pytest.raises(ModelNotFoundError, match="no model 'test-model' at alias 'staging'.*aliases of 'test-model': \\['champion'\\]"):
        tracking.load_risk_model("test-model", "staging")


def test_sqlite_default_store_round_trip(tmp_path):
    uri = tracking.configure(None, tmp_path / "mlruns")
    assert uri.startswith("sqlite:///")
    _round_trip(tmp_path / "mlruns")
    assert (tmp_path / "mlruns" / "mlflow.db").exists()
    assert any((tmp_path / "mlruns" / "artifacts").rglob("MLmodel"))


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_remote_mlflow_server_round_trip(tmp_path):
    port = _free_port()
    mlflow_bin = Path(sys.executable).with_name("mlflow")
    server = subprocess.Popen(
        [str(mlflow_bin), "server", "--host", "127.0.0.1", "--port", str(port), "--workers", "1",
         "--backend-store-uri", f"sqlite:///{tmp_path / 'server.db'}", "--artifacts-destination", str(tmp_path / "art")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "MLFLOW_TRACKING_URI": ""})
    try:
        deadline = time.time() + 90
        while True:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2)
                break
            except OSError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail("mlflow server did not start on 127.0.0.1")
                time.sleep(1)
        uri = tracking.configure(f"http://127.0.0.1:{port}", tmp_path / "unused")
        assert uri.startswith("http://127.0.0.1")
        _round_trip(tmp_path / "unused")
        assert any((tmp_path / "art").rglob("MLmodel"))  # artifacts went to the server, not local files
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_damaged_model_file_is_a_clear_error_naming_the_model(tmp_path, monkeypatch):
    from sahelrisk.errors import ModelNotFoundError
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    model, X = _fitted()
    tracking.configure(None, tmp_path / "mlruns")
    with tracking.run("exp", "damage", root=tmp_path / "mlruns"):
        ref = tracking.log_risk_model(model, X, "damaged-model")
    [pickle] = list((tmp_path / "mlruns").rglob("python_model.pkl"))
    pickle.write_bytes(pickle.read_bytes()[:100])                        # truncated on disk
    with pytest.raises(ModelNotFoundError, match=r"model damaged-model v1 cannot be loaded .*retrain it"):
        tracking.load_risk_model("damaged-model", version=ref.version)


def test_an_unreachable_tracking_server_is_a_one_line_error(monkeypatch):
    from sahelrisk.errors import TrackingUnavailableError
    for name in ("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "MLFLOW_HTTP_REQUEST_TIMEOUT"):
        monkeypatch.setenv(name, "")               # remembered, so the defaults set below are undone after
        monkeypatch.delenv(name)                   # configure() sets short defaults for http stores
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()                                  # nothing listens there now
    tracking.configure(f"http://127.0.0.1:{port}")
    assert os.environ["MLFLOW_HTTP_REQUEST_MAX_RETRIES"] == "2"
    with pytest.raises(TrackingUnavailableError, match=f"127.0.0.1:{port} is not usable") as e:
        with tracking.run("exp", "never"):
            pass
    assert "\n" not in str(e.value)
