"""Fixtures of the web app on the real data: two published weeks and the app under uvicorn."""

import socket
import threading
import time
from datetime import date

import pandas as pd
import pytest

from sahelrisk.serving.app import ServeSettings, create_app
from sahelrisk.serving.connections import GuardedHttp
from tests.serving.published import a_clock

LATEST = "2023-12-25"


@pytest.fixture(scope="session")
def published(registered, real_data, catalog, tmp_path_factory):
    """The small champion's weeks of 2023-11-20 (English, verified: its track record is written),
    2023-12-18 (English) and 2023-12-25 (both languages)."""
    from sahelrisk import api
    from sahelrisk.jobs.run import ROUTE_LAYERS, load_step, publish_step, score_step

    mlruns, _ = registered
    loaded = api.load_model("champion", name="test-grid-any-fatal-4w", mlruns=mlruns)
    inputs = load_step(catalog, real_data, loaded.spec, date(2023, 12, 31), layers=ROUTE_LAYERS)
    out = tmp_path_factory.mktemp("published")
    for week, langs in (("2023-11-20", ("en",)), ("2023-12-18", ("en",)), (LATEST, ("fr", "en"))):
        publish_step(score_step(loaded, pd.Timestamp(week), inputs, catalog=catalog), out, langs=langs)
    from sahelrisk.jobs.verify import verify_published
    assert verify_published(out, real_data, catalog, inputs=inputs).verified == ["2023-11-20"]
    return out, mlruns


@pytest.fixture(scope="session")
def settings(published, real_data):
    out, mlruns = published
    return ServeSettings(out_dir=out, data_dir=real_data, mlruns=mlruns, clock=a_clock())


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class LiveServer:
    """The app under uvicorn on 127.0.0.1, in a thread of the test process, stopped on exit."""

    def __init__(self, app):
        import uvicorn

        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning",
                                                    http=GuardedHttp))
        self.thread = threading.Thread(target=self.server.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("uvicorn did not start")
            time.sleep(0.05)
        return self

    def __exit__(self, *exc):
        self.server.should_exit = True
        self.thread.join(timeout=15)


@pytest.fixture(scope="session")
def live(settings):
    with LiveServer(create_app(settings)) as server:
        server.server.config.app.state.services.planner.warm()   # the data in memory before the first request
        yield server
