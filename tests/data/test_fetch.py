"""`sahelrisk data fetch` against a real HTTP server on 127.0.0.1 serving ../shared/data."""

import subprocess
import sys
import threading
import urllib.parse
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from sahelrisk.data.fetch import fetch_catalog, sha256_of

SMALL = ["pcodes", "ucdp_candidate_26_0_1"]  # one derived file, one with a public URL


class MirrorHandler(BaseHTTPRequestHandler):
    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):
        server = self.server
        rel = urllib.parse.unquote(self.path.lstrip("/"))
        server.requests.append((rel, self.headers.get("Range")))
        path = server.root / rel
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        fault = server.faults.get(rel)
        if fault == "corrupt":
            body = body[:-10] + b"X" * 10
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].removeprefix("bytes=").split("-")[0])
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        if fault == "truncate":  # promise the whole file, send half, hang up
            self.wfile.write(body[start:start + (len(body) - start) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        self.wfile.write(body[start:])


@pytest.fixture
def mirror(real_data):
    server = ThreadingHTTPServer(("127.0.0.1", 0), MirrorHandler)
    server.root, server.faults, server.requests = real_data, {}, []
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    server.url = f"http://127.0.0.1:{server.server_address[1]}/"
    yield server
    server.shutdown()
    server.server_close()


def test_fetch_from_mirror_writes_verified_identical_files(tmp_path, mirror, catalog, real_data):
    outcomes = fetch_catalog(catalog, tmp_path, mirror=mirror.url, datasets=SMALL)
    assert [o.status for o in outcomes] == ["downloaded", "downloaded"]
    for dataset in SMALL:
        for entry in catalog[dataset].files:
            assert (tmp_path / entry.path).read_bytes() == (real_data / entry.path).read_bytes()
    again = fetch_catalog(catalog, tmp_path, mirror=mirror.url, datasets=SMALL)
    assert [o.status for o in again] == ["up-to-date", "up-to-date"]


def test_truncated_download_leaves_nothing_in_place_then_resumes(tmp_path, mirror, catalog, real_data):
    entry = catalog["ucdp_candidate_26_0_1"].files[0]
    mirror.faults[entry.path] = "truncate"
    [outcome] = fetch_catalog(catalog, tmp_path, mirror=mirror.url, datasets=["ucdp_candidate_26_0_1"])
    assert outcome.status == "failed" and "download stopped at" in outcome.message and "resume" in outcome.message
    dest = tmp_path / entry.path
    assert not dest.exists()
    part = dest.with_name(dest.name + ".part")
    half = part.stat().st_size
    assert 0 < half < (real_data / entry.path).stat().st_size

    del mirror.faults[entry.path]
    [outcome] = fetch_catalog(catalog, tmp_path, mirror=mirror.url, datasets=["ucdp_candidate_26_0_1"])
    assert outcome.status == "downloaded"
    assert mirror.requests[-1] == (entry.path, f"bytes={half}-")  # resumed, not restarted
    assert sha256_of(dest) == entry.sha256 and not part.exists()


def test_wrong_checksum_is_rejected_and_nothing_is_kept(tmp_path, mirror, catalog):
    entry = catalog["ucdp_candidate_26_0_1"].files[0]
    mirror.faults[entry.path] = "corrupt"
    [outcome] = fetch_catalog(catalog, tmp_path, mirror=mirror.url, datasets=["ucdp_candidate_26_0_1"])
    assert outcome.status == "failed" and "does not match the catalog" in outcome.message
    dest = tmp_path / entry.path
    assert not dest.exists() and not dest.with_name(dest.name + ".part").exists()


def test_missing_file_on_mirror_and_derived_file_without_mirror(tmp_path, mirror, catalog):
    [outcome] = fetch_catalog(catalog, tmp_path, datasets=["pcodes"])
    assert outcome.status == "skipped" and "--mirror" in outcome.message
    [outcome] = fetch_catalog(catalog, tmp_path, mirror=mirror.url + "nowhere/", datasets=["pcodes"])
    assert outcome.status == "failed" and "HTTP 404" in outcome.message


def _cli(*args, cwd):
    return subprocess.run([sys.executable, "-m", "sahelrisk.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_cli_fetch_success_and_failure_exit_codes(tmp_path, mirror, catalog):
    ok = _cli("data", "fetch", "--data", str(tmp_path / "d"), "--mirror", mirror.url, "--dataset", "pcodes", cwd=tmp_path)
    assert ok.returncode == 0, ok.stderr
    assert "1 downloaded" in ok.stdout
    mirror.faults[catalog["ucdp_candidate_26_0_1"].files[0].path] = "corrupt"
    bad = _cli("data", "fetch", "--data", str(tmp_path / "d"), "--mirror", mirror.url,
               "--dataset", "ucdp_candidate_26_0_1", cwd=tmp_path)
    assert bad.returncode == 8  # FetchError
    assert "does not match the catalog" in bad.stdout and bad.stderr.startswith("error:")
    assert "Traceback" not in bad.stdout + bad.stderr
