"""Where the work runs: in this process, or on a Dask cluster started on 127.0.0.1 by the test."""

import os
import signal

import numpy as np
import pandas as pd
import pytest

from sahelrisk.cluster import ClusterSpec, LazyClient, cluster_from, connect, parse_cluster
from sahelrisk.errors import SpecError
from sahelrisk.modeling.executors import DaskFolds, open_executor


def test_a_cluster_is_named_local_n_or_a_scheduler_address():
    assert parse_cluster(None) is None and parse_cluster("  ") is None
    assert parse_cluster("local:2") == ClusterSpec(workers=2)
    assert parse_cluster("tcp://10.0.0.5:8786") == ClusterSpec(address="tcp://10.0.0.5:8786")
    with pytest.raises(SpecError, match="TLS schedulers need certificates .* SSH tunnel"):
        parse_cluster("tls://scheduler.example.org:8786")
    for bad, message in (("local:0", "needs 1 to 256 workers"), ("local", "is not a cluster"),
                         ("http://host:8786", "is not a cluster"), ("tcp://host", "is not a cluster")):
        with pytest.raises(SpecError, match=message):
            parse_cluster(bad)


def test_the_option_wins_over_the_variable_which_wins_over_in_process():
    assert cluster_from(None, {}) is None
    assert cluster_from(None, {"SAHELRISK_CLUSTER": "local:3"}) == ClusterSpec(workers=3)
    assert cluster_from("local:1", {"SAHELRISK_CLUSTER": "local:3"}) == ClusterSpec(workers=1)
    with pytest.raises(SpecError, match="SAHELRISK_CLUSTER='nope' is not a cluster"):
        cluster_from(None, {"SAHELRISK_CLUSTER": "nope"})


def test_a_lazy_client_starts_nothing_until_called_and_closes_only_what_it_started():
    lines: list[str] = []
    lazy = LazyClient(ClusterSpec(workers=2), log=lines.append)
    assert not lazy.started
    lazy.close()                       # never started: nothing to stop
    assert not lazy.started and lines == []


@pytest.mark.parametrize("answer", [b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok" * 50, None])
def test_a_port_where_no_scheduler_speaks_is_one_line_within_the_deadline(answer):
    """The dashboard's port answers HTTP (Dask reads it as a huge frame); another port accepts and
    never answers (the handshake must not wait forever)."""
    import socket
    import threading
    import time
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    port, held = server.getsockname()[1], []

    def serve():
        while True:
            try:
                conn, _ = server.accept()
            except OSError:
                return
            held.append(conn)
            if answer:
                conn.sendall(answer)

    threading.Thread(target=serve, daemon=True).start()
    started = time.monotonic()
    try:
        with pytest.raises(SpecError, match=f"--cluster tcp://127.0.0.1:{port}: no Dask scheduler answered within 3 s"):
            with connect(ClusterSpec(address=f"tcp://127.0.0.1:{port}"), timeout_s=3):
                pass
    finally:
        server.close()
        for conn in held:
            conn.close()
    assert time.monotonic() - started < 30


def test_an_unreachable_scheduler_is_one_clear_error():
    with pytest.raises(SpecError, match="no Dask scheduler answered within 2 s"):
        with connect(ClusterSpec(address="tcp://127.0.0.1:9"), timeout_s=2):
            pass


@pytest.fixture(scope="module")
def client():
    lines = []
    with connect(ClusterSpec(workers=2), log=lines.append) as c:
        assert lines and "dashboard http://127.0.0.1:" in lines[0]
        yield c


@pytest.fixture(scope="module")
def short_panel(default_spec, real_inputs, real_grid):
    from sahelrisk.features.panel import compute_panel
    return compute_panel(default_spec, real_inputs, start="2021-01-04", end="2023-12-25", units=real_grid)


@pytest.mark.slow
def test_the_panel_built_on_a_local_cluster_is_the_in_process_panel(client, default_spec, real_inputs, real_grid,
                                                                      short_panel, tmp_path):
    from sahelrisk.features.partitions import build_panel_dataset
    dataset = build_panel_dataset(default_spec, real_inputs, tmp_path, start="2021-01-04", end="2023-12-25",
                                  units=real_grid, client=client, tile_deg=6.0, block_weeks=80)
    assert dataset.manifest["where"] == "cluster" and len(dataset.files) > 8
    # the tasks ran in the workers' processes, not here
    assert {p["peak_rss_mib"] for p in dataset.manifest["partitions"]} and len(client.scheduler_info()["workers"]) == 2
    pd.testing.assert_frame_equal(dataset.read()[list(short_panel.columns)], short_panel)


@pytest.mark.slow
def test_a_worker_killed_mid_build_is_survived(client, default_spec, real_inputs, real_grid, short_panel, tmp_path):
    from sahelrisk.features.partitions import build_panel_dataset
    pids = list(client.run(os.getpid).values())
    killed = []

    def kill_one(record, k, n):
        if not killed:   # after the first partition ends, while the others are running
            os.kill(pids[0], signal.SIGKILL)
            killed.append(pids[0])

    dataset = build_panel_dataset(default_spec, real_inputs, tmp_path, start="2021-01-04", end="2023-12-25",
                                  units=real_grid, client=client, tile_deg=4.0, block_weeks=60, on_partition=kill_one)
    assert killed and pids[0] not in client.run(os.getpid).values()   # the nanny started a new worker
    pd.testing.assert_frame_equal(dataset.read()[list(short_panel.columns)], short_panel)


@pytest.mark.slow
def test_backtest_folds_on_a_cluster_give_exactly_the_in_process_predictions(small_spec, small_frame):
    from sahelrisk.evaluation.backtest import run_backtests
    here = run_backtests(small_spec, small_frame).predictions[small_spec.horizon_weeks]
    with open_executor(ClusterSpec(workers=2), by="fold") as executor:
        assert isinstance(executor, DaskFolds)
        there = run_backtests(small_spec, small_frame, executor=executor).predictions[small_spec.horizon_weeks]
        assert executor.client.started                 # the folds ran as tasks
    assert not executor.client.started                 # and the cluster was stopped with the step
    pd.testing.assert_frame_equal(there, here)


@pytest.mark.slow
def test_on_a_cluster_the_frame_stays_there_and_the_model_trained_there_scores_as_in_process(
        small_spec, small_frame, real_data, real_inputs, tmp_path, monkeypatch):
    from distributed import KilledWorker
    from lightgbm.dask import DaskLGBMClassifier
    from scipy.stats import spearmanr

    from sahelrisk.evaluation.backtest import run_backtests
    from sahelrisk.modeling.distributed import ClusterFrame
    from sahelrisk.modeling.fit import fit_final_model, fit_severity
    from sahelrisk.modeling.frame import prepare_frame
    monkeypatch.setenv("SAHELRISK_PANELS", str(tmp_path))
    here, lines, calls = small_frame, [], []
    real_fit = DaskLGBMClassifier.fit

    def loses_a_worker_once(self, *args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise KilledWorker("_train_part", None, 3)
        return real_fit(self, *args, **kwargs)

    with open_executor(ClusterSpec(workers=2), log=lines.append) as executor:
        there = prepare_frame(small_spec, real_data, inputs=real_inputs, executor=executor)
        assert there.executor is executor
        assert isinstance(there.frame, ClusterFrame) and there.data_end == here.data_end
        assert [p.name.split("-")[0] for p in tmp_path.iterdir()] == [small_spec.features.name]
        pd.testing.assert_frame_equal(there.frame.to_pandas(), here.frame, check_dtype=False)
        backtest = run_backtests(small_spec, there)
        model, severity = fit_final_model(small_spec, there), fit_severity(small_spec, there)
        monkeypatch.setattr(DaskLGBMClassifier, "fit", loses_a_worker_once)
        again = fit_final_model(small_spec, there)   # its first training loses a worker and is run again
    assert {entry["where"] for entry in backtest.folds[4]} == {"cluster"}
    assert any(line.startswith(f"panel {small_spec.features.name}: ") and line.endswith("partitions built")
               for line in lines)
    assert any(line.startswith("stated sample of target_any_fatal_4w: ") for line in lines)
    assert "a worker was lost while the trees trained (KilledWorker); training again (1/3)" in lines
    assert len(calls) == 2   # the failed training and its second try (the test spec does not refit_full)
    # the deaths model reads every row with a death: exactly the in-process fit
    alone = fit_severity(small_spec, here)
    assert severity.note == alone.note
    np.testing.assert_allclose(severity.model.coef_, alone.model.coef_, rtol=1e-9)
    # the rest is fitted on the stated sample, the trees by lightgbm.dask: within what a new seed moves
    week = here.frame[here.frame["week"] == here.frame["week"].max()]
    mine = fit_final_model(small_spec, here).predict_proba(week)[:, 1]
    for other in (model, again):
        theirs = other.predict_proba(week)[:, 1]
        top = len(set(np.argsort(-mine)[:50]) & set(np.argsort(-theirs)[:50]))
        assert np.abs(mine - theirs).mean() < 0.006 and spearmanr(mine, theirs)[0] > 0.99 and top >= 42
    table, alone_table = backtest.table(4), run_backtests(small_spec, here).table(4)
    assert table.loc["model", "rows"] == alone_table.loc["model", "rows"]
    assert abs(table.loc["model", "ap"] - alone_table.loc["model", "ap"]) < 0.01
    assert table.loc["model", "ap"] > table.loc["decay_neighbours", "ap"]
    assert not backtest.onsets.empty


@pytest.mark.slow
def test_a_running_scheduler_is_joined_by_its_address_and_left_running():
    from distributed import LocalCluster
    with LocalCluster(n_workers=1, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as running:
        lines = []
        with connect(ClusterSpec(address=running.scheduler_address), log=lines.append, timeout_s=10) as client:
            assert client.submit(lambda x: x + 1, 1).result() == 2
        assert lines[0].startswith(f"running on the Dask scheduler at {running.scheduler_address}")
        assert running.scheduler.status.name == "running"            # joined and left as it was
