"""Slow and idle connections against the app under uvicorn in its own process, with a lowered file
limit: they are closed at the deadline, and requests that come whole keep being answered."""

import socket
import subprocess
import sys
import threading
import time

import httpx
import pytest

from tests.serving.published import synthetic_archive

pytestmark = pytest.mark.slow

FILE_LIMIT = 1024
SERVER = """
import resource, sys
import uvicorn
resource.setrlimit(resource.RLIMIT_NOFILE, ({limit}, resource.getrlimit(resource.RLIMIT_NOFILE)[1]))
from sahelrisk.serving import connections
connections.HEADER_S = {header_s}
from sahelrisk.serving.app import ServeSettings, create_app
from pathlib import Path
from datetime import datetime, timezone
app = create_app(ServeSettings(out_dir=Path(sys.argv[1]), data_dir=Path(sys.argv[2]), mlruns=Path(sys.argv[3]),
                               clock=lambda: datetime(2024, 1, 2, 8, tzinfo=timezone.utc)))
uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[4]), log_level="warning", http=connections.GuardedHttp)
"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def server(tmp_path):
    out, port = synthetic_archive(tmp_path), _free_port()
    code = SERVER.format(limit=FILE_LIMIT, header_s=4)
    process = subprocess.Popen([sys.executable, "-c", code, str(out), str(tmp_path / "no-data"),
                                str(tmp_path / "mlruns"), str(port)])
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            httpx.get(url + "/healthz", timeout=1)
            break
        except httpx.TransportError:
            if time.monotonic() > deadline or process.poll() is not None:
                process.kill()
                raise RuntimeError("the app did not start") from None
            time.sleep(0.2)
    yield url, port, process
    process.kill()
    process.wait()


def _slow(port: int, first: bytes = b"GET /weeks/latest HTTP/1.1\r\nHost: x\r\n") -> socket.socket:
    """A connection that sends part of its headers and then nothing."""
    s = socket.create_connection(("127.0.0.1", port))
    s.sendall(first)
    return s


def test_headers_that_never_finish_get_a_408_at_the_deadline(server):
    _, port, _ = server
    started = time.monotonic()
    s = _slow(port)
    s.settimeout(30)
    answer = s.recv(200)
    took = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408") and 3.5 < took < 15
    assert s.recv(100) == b""                                   # and closed
    idle = socket.create_connection(("127.0.0.1", port))        # one that sends nothing at all
    idle.settimeout(30)
    assert idle.recv(200).startswith(b"HTTP/1.1 408")


def test_requests_keep_being_answered_while_2000_slow_connections_are_open(server):
    url, port, process = server
    errors, answered, stop = [], [], threading.Event()

    def normal_client():
        with httpx.Client(base_url=url, timeout=10) as client:
            while not stop.is_set():
                try:
                    answer = client.get("/api/v1/weeks")
                    answered.append(answer.status_code)
                    if answer.status_code != 200:
                        errors.append(answer.status_code)
                except httpx.HTTPError as e:
                    errors.append(repr(e))

    clients = [threading.Thread(target=normal_client) for _ in range(8)]
    for t in clients:
        t.start()
    slow = []
    try:
        for _ in range(2000):            # twice the server's file limit
            try:
                slow.append(_slow(port))
            except OSError as e:
                errors.append(f"connect: {e!r}")
        time.sleep(2)
    finally:
        stop.set()
        for t in clients:
            t.join()
        for s in slow:
            s.close()
    assert process.poll() is None and len(answered) > 100
    assert errors == []
