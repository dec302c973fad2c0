"""The team deployment's registry: an MLflow server whose backend store is a real PostgreSQL
(Debian's package, started here on 127.0.0.1), a registry round trip and a weekly run through it."""

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from datetime import date
from pathlib import Path

import pytest

pytestmark = [pytest.mark.slow,
              pytest.mark.skipif(not glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                                 reason="Debian's postgresql is not installed (.ci/run installs it)")]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _as_postgres(command: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: CI runs as root, so the server runs as its own user."""
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


def _wait(url: str, process: subprocess.Popen, what: str, seconds: float = 90) -> None:
    deadline = time.time() + seconds
    while True:
        try:
            urllib.request.urlopen(url, timeout=2)
            return
        except OSError:
            if time.time() > deadline or process.poll() is not None:
                pytest.fail(f"{what} did not start on 127.0.0.1")
            time.sleep(0.5)


@pytest.fixture(scope="module")
def postgres():
    """A PostgreSQL server on 127.0.0.1 with an empty database ``mlflow``; its URI."""
    import psycopg2

    bin_dir = Path(sorted(glob.glob("/usr/lib/postgresql/*/bin"))[-1])
    # not under pytest's folder: that one is private to root, and the server runs as postgres
    root = Path(tempfile.mkdtemp(prefix="sahelrisk-postgres-"))
    data, sockets = root / "data", root / "sockets"
    data.mkdir()
    sockets.mkdir()
    if os.geteuid() == 0:
        for path in (root, data, sockets):
            shutil.chown(path, "postgres", "postgres")
    subprocess.run(_as_postgres([str(bin_dir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres"]),
                   check=True, capture_output=True)
    port = _free_port()
    server = subprocess.Popen(_as_postgres([str(bin_dir / "postgres"), "-D", str(data), "-p", str(port),
                                            "-h", "127.0.0.1", "-k", str(sockets)]),
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.time() + 60
        while True:
            try:
                connection = psycopg2.connect(host="127.0.0.1", port=port, user="postgres", dbname="postgres")
                break
            except psycopg2.OperationalError:
                if time.time() > deadline or server.poll() is not None:
                    pytest.fail("postgres did not start on 127.0.0.1")
                time.sleep(0.3)
        connection.autocommit = True
        connection.cursor().execute("CREATE DATABASE mlflow")
        connection.close()
        yield f"postgresql+psycopg2://postgres@127.0.0.1:{port}/mlflow", port
    finally:
        server.terminate()
        server.wait(timeout=30)
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="module")
def mlflow_server(postgres, tmp_path_factory):
    """``mlflow server`` on the PostgreSQL store, artifacts served from a folder of its own."""
    uri, _ = postgres
    root = tmp_path_factory.mktemp("mlflow-server")
    port = _free_port()
    server = subprocess.Popen(
        [str(Path(sys.executable).with_name("mlflow")), "server", "--host", "127.0.0.1", "--port", str(port),
         "--workers", "1", "--backend-store-uri", uri, "--artifacts-destination", str(root / "artifacts")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env={**os.environ, "MLFLOW_TRACKING_URI": ""})
    try:
        _wait(f"http://127.0.0.1:{port}/health", server, "mlflow server")
        yield f"http://127.0.0.1:{port}", root / "artifacts"
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_a_weekly_run_registers_promotes_and_publishes_through_postgres(mlflow_server, postgres, small_spec,
                                                                        real_data, tmp_path):
    import psycopg2

    from sahelrisk import api
    from sahelrisk.jobs.weekly import NOTHING_NEW, PUBLISHED, run_weekly

    uri, artifacts = mlflow_server

    def job():
        return run_weekly(small_spec.origin, data_dir=real_data, out_dir=tmp_path / "out", tracking_uri=uri,
                          models_dir=tmp_path / "models", offline=True, today=date(2024, 1, 8),
                          started_at="2024-01-08T06:00:00+00:00", log=lambda line: None)

    first = job()
    assert first.exit_code == PUBLISHED, first.record
    assert first.record["promotion"]["promoted"] is True
    assert (tmp_path / "out" / "2023-12-25" / "risk_grid.parquet").is_file()
    # the registry lives in PostgreSQL and the model files on the server's artifact store
    with psycopg2.connect(host="127.0.0.1", port=postgres[1], user="postgres", dbname="mlflow") as connection:
        cursor = connection.cursor()
        cursor.execute("SELECT name FROM registered_models")
        assert [row[0] for row in cursor.fetchall()] == ["test-grid-any-fatal-4w"]
        cursor.execute("SELECT alias, version FROM registered_model_aliases")
        assert cursor.fetchall() == [("champion", 1)]
    assert any(artifacts.rglob("MLmodel"))
    # the round trip: the champion loaded back from the server scores as the published week
    loaded = api.load_model("champion", small_spec.origin, tracking_uri=uri)
    assert loaded.version == "1" and loaded.spec.countries == small_spec.features.countries
    cells, _ = api.score_all("2023-12-25", model=loaded, data_dir=real_data, levels=("adm2",), as_of="2023-12-31")
    import pandas as pd
    published = pd.read_parquet(tmp_path / "out" / "2023-12-25" / "risk_grid.parquet")
    assert (published["probability"].to_numpy() == cells.cells["probability"].to_numpy()).all()
    # the next Monday with the same data does nothing again
    assert job().exit_code == NOTHING_NEW
