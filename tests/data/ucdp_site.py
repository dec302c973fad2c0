"""A local HTTP server laid out like UCDP's download site, built from the real files in
../shared/data, with faults a test can switch on per file."""

from __future__ import annotations

import functools
import shutil
import time
import zipfile
from http.server import SimpleHTTPRequestHandler
from pathlib import Path

from tests.data.local_server import LocalServer

EVENTS = "events"
GED_EXTRACTS = ["Mali.csv", "Burkina.csv", "Niger_repaired.csv"]
CANDIDATES = {  # name on UCDP's site -> file in ../shared/data/events
    "GEDEvent_v26_0_1.csv": "ucdp_candidate_v26_0_1/GEDEvent_v26_0_1.csv",
    "GEDEvent_v26_0_2.csv": "ucdp_candidate_v26_0_2/GEDevent_v26_0_2.csv",
    "GEDEvent_v26_01_26_06.csv": "ucdp_candidate_v26_01_26_06_sahel/GEDEvent_v26_01_26_06_MLI_BFA_NER.csv",
    "GEDEvent_v26_0_7.csv": "ucdp_candidate_v26_0_7_sahel/GEDEvent_v26_0_7_MLI_BFA_NER.csv",
}


class _Handler(SimpleHTTPRequestHandler):
    faults: dict  # url path -> "500" | "reset" | "truncate" | "html" | "error_csv" | "drip" | "huge" | "not_http"
    #              | "header_flood" | "long_chunk_line" | "drip_headers"

    def log_message(self, *args):  # keep test output clean
        pass

    def _fault(self):
        return self.faults.get(self.path.lstrip("/"))

    def _protocol_fault(self, fault: str | None) -> bool:
        """Answers that are not HTTP as a client can read it; True when one was sent."""
        if fault == "not_http":          # another service on the port (an SSH banner)
            self.wfile.write(b"SSH-2.0-OpenSSH_9.6\r\n")
        elif fault == "header_flood":    # more headers than any client takes
            self.wfile.write(b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) + b"\r\n")
        elif fault == "long_chunk_line":   # a chunk-size line over 64 KiB
            self.wfile.write(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 70_000 + b"\r\n")
        elif fault == "drip_headers":      # the answer's headers a byte every 0.2 s (bounded: 30 s)
            try:
                for byte in b"HTTP/1.1 200 OK\r\n" + b"X-Slow: " + b"y" * 200:
                    self.wfile.write(bytes([byte]))
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass                 # the client gave up, as it should
        else:
            return False
        self.close_connection = True
        return True

    def do_HEAD(self):
        if self._protocol_fault(self._fault()):
            return None
        if self._fault() == "500":
            return self.send_error(500, "Internal Server Error")
        if self._fault() == "html":
            return self._html(body=False)
        return super().do_HEAD()

    def do_GET(self):
        fault = self._fault()
        if self._protocol_fault(fault):
            return None
        if fault == "500":
            return self.send_error(500, "Internal Server Error")
        if fault == "html":
            return self._html(body=True)
        if fault == "error_csv":   # a gateway's error as a tiny CSV, with a 200
            body = b"status,message\r\n503,Service unavailable\r\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/csv")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
            return None
        if fault == "drip":       # a byte every 0.2 s: bounded, it stops by itself after 30 s
            self.send_response(200)
            self.send_header("Content-Length", "100000")
            self.end_headers()
            try:
                for _ in range(150):
                    self.wfile.write(b"1")
                    self.wfile.flush()
                    time.sleep(0.2)
            except (BrokenPipeError, ConnectionResetError):
                pass                 # the client gave up, as it should
            self.close_connection = True
            return None
        if fault == "huge":       # announces 2 GB, sends a line
            self.send_response(200)
            self.send_header("Content-Length", str(2_000_000_000))
            self.end_headers()
            self.wfile.write(b"id,country\r\n")
            self.close_connection = True
            return None
        if fault == "reset":
            self.close_connection = True
            self.connection.shutdown(2)
            return None
        if fault == "truncate":
            data = Path(self.translate_path(self.path)).read_bytes()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data[: len(data) // 2])
            self.close_connection = True
            return None
        return super().do_GET()

    def _html(self, body: bool):
        page = b"<!DOCTYPE html><html><body><h1>Maintenance</h1>We will be back soon.</body></html>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(page)))
        self.end_headers()
        if body:
            self.wfile.write(page)


class UcdpSite(LocalServer):
    """``root/ged/`` and ``root/candidateged/`` served on 127.0.0.1; ``url`` is the download root."""

    def __init__(self, root: Path):
        self.root = root
        self.faults: dict[str, str] = {}
        handler = type("Handler", (_Handler,), {"faults": self.faults})
        super().__init__(functools.partial(handler, directory=str(root)))

    def publish(self, shared: Path, name: str) -> Path:
        """Put one real Candidate file on the site under its UCDP name."""
        target = self.root / "candidateged" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(shared / EVENTS / CANDIDATES[name], target)
        return target

    def publish_ged(self, shared: Path) -> Path:
        """GED 24.1 as its annual zip, holding the Mali, Burkina Faso and Niger extracts."""
        target = self.root / "ged" / "ged241-csv.zip"
        target.parent.mkdir(parents=True, exist_ok=True)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
            for name in GED_EXTRACTS:
                archive.write(shared / EVENTS / "ucdp_ged_v24_1_uemoa_country_extracts" / name, name)
        return target
