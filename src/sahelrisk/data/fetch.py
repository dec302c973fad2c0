"""Download the catalog's files into a data directory: resumable, checksummed, atomic.

A file is written to ``<name>.part`` and moved into place only once complete and matching its
SHA-256, so the data directory never holds a half-written or wrong file under its real name.
An interrupted download leaves the ``.part`` behind and the next run resumes it with an HTTP
Range request; a checksum mismatch deletes it.
"""

from __future__ import annotations

import hashlib
import http.client
import os
import socket
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from sahelrisk.data.catalog import Catalog, CatalogFile
from sahelrisk.errors import FetchError

__all__ = ["fetch_file", "fetch_catalog", "open_url", "FetchOutcome", "sha256_of", "source_url", "SPEED_LIMIT", "SPEED_TIME"]

_CHUNK = 1 << 16
ProgressFn = Callable[[str, int, int | None], None]  # (file path, bytes done, total or None)


@dataclass(frozen=True)
class FetchOutcome:
    """What happened to one file: downloaded, up to date, skipped or failed, and why."""

    path: str
    status: str  # downloaded, up-to-date, skipped, failed
    message: str = ""
    bytes: int = 0


def not_http(error: Exception) -> str:
    """What a server that does not speak HTTP properly did, in words."""
    kind = type(error).__name__
    if isinstance(error, ValueError):
        return f"not a URL this client can open ({error})"
    if kind == "BadStatusLine":
        return f"the server's answer is not HTTP (it began {str(error)[:60]!r})"
    return f"the server's answer is not valid HTTP ({kind}: {str(error)[:80]})"


def sha256_of(path: Path) -> str:
    """The file's SHA-256, read in blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def source_url(entry: CatalogFile, mirror: str | None) -> str | None:
    """Where to download a catalog file: the mirror (same layout as the data directory) or its URL."""
    if mirror:
        return mirror.rstrip("/") + "/" + urllib.parse.quote(entry.path)
    return entry.url


SPEED_LIMIT = 1024
"""Bytes per second below which a transfer is stalled (as curl's ``--speed-limit``)..."""
SPEED_TIME = 60.0
"""... when it stays below for this many seconds (curl's ``--speed-time``): a stall ends within
about two minutes, while a slow link that keeps moving finishes."""


class _Watched:
    """The sockets a request opens, so a watchdog can close them when the headers come too slowly."""

    def __init__(self) -> None:
        self.sockets: list[socket.socket] = []
        self.fired = False

    def opener(self) -> urllib.request.OpenerDirector:
        sockets = self.sockets

        class Connection(http.client.HTTPConnection):
            def connect(self) -> None:
                super().connect()
                sockets.append(self.sock)

        class SecureConnection(http.client.HTTPSConnection):
            def connect(self) -> None:
                super().connect()
                sockets.append(self.sock)

        class Plain(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(Connection, req)

        class Secure(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> http.client.HTTPResponse:
                return self.do_open(SecureConnection, req)

        return urllib.request.build_opener(Plain, Secure)

    def abort(self) -> None:
        """Close every socket: a read blocked on a server that drips its headers returns at once."""
        self.fired = True
        for sock in self.sockets:
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def open_url(url: str, request: urllib.request.Request, timeout: float) -> http.client.HTTPResponse:
    """The response, its status line and headers received within ``timeout`` seconds in all (a
    socket timeout alone restarts with every byte a dripping server sends)."""
    watched = _Watched()
    watchdog = threading.Timer(timeout, watched.abort)
    watchdog.daemon = True
    watchdog.start()
    stalled = FetchError(f"{url}: the server did not send its answer's headers within {timeout:.0f} s (it stalled "
                         "or sends them byte by byte). The next run tries again")
    try:
        response = watched.opener().open(request, timeout=timeout)
    except (OSError, http.client.HTTPException) as e:
        if watched.fired and not isinstance(e, urllib.error.HTTPError):
            raise stalled from e
        raise
    finally:
        watchdog.cancel()
    if watched.fired:   # the headers were cut short by the watchdog: what arrived is not an answer
        response.close()
        raise stalled
    return response


def fetch_file(url: str, dest: str | Path, *, sha256: str | None = None, on_progress: ProgressFn | None = None,
               timeout: float = 60.0, deadline: float | None = None, max_bytes: int | None = None,
               speed_limit: float = SPEED_LIMIT, speed_time: float = SPEED_TIME) -> int:
    """Download ``url`` to ``dest``; return the number of bytes in the finished file.

    ``timeout`` bounds each network wait and the arrival of the answer's headers; ``deadline``
    (a :func:`time.monotonic` time) the whole download, so a server sending a byte a second cannot
    hold it for hours; a transfer slower than ``speed_limit`` bytes per second over
    ``speed_time`` seconds is stopped as stalled; ``max_bytes`` bounds its size, checked on the
    announced length first. Past any, the partial file is removed and a :class:`FetchError` names
    the URL.
    """
    dest = Path(dest)
    dest.parent.mkdir(parents=True, exist_ok=True)
    part = dest.with_name(dest.name + ".part")
    have = part.stat().st_size if part.exists() else 0
    if deadline is not None:
        timeout = max(0.1, min(timeout, deadline - time.monotonic()))
    try:
        request = urllib.request.Request(url, headers={"Range": f"bytes={have}-"} if have else {})
        response = open_url(url, request, timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # nothing left to send: the .part is already whole
            response = None
        else:
            raise FetchError(f"{url}: server answered HTTP {e.code} {e.reason}. Check the URL or --mirror") from e
    except (urllib.error.URLError, OSError) as e:
        raise FetchError(f"{url}: cannot connect ({getattr(e, 'reason', e)}). Check the network or --mirror") from e
    except (http.client.HTTPException, ValueError) as e:   # not HTTP, a header flood, a line too long, a bad URL
        raise FetchError(f"{url}: {not_http(e)}. Check the URL or --mirror") from e
    if response is not None:
        with response:
            resumed = response.status == 206
            length = response.headers.get("Content-Length")
            total = (int(length) + (have if resumed else 0)) if length and length.isdigit() else None
            done = have if resumed else 0
            if max_bytes is not None and total is not None and total > max_bytes:
                raise FetchError(f"{url}: the server announces {total:,} bytes, more than the {max_bytes:,} such a file "
                                 "can have; it was not downloaded")
            with open(part, "ab" if resumed else "wb") as out:
                pace = _Pace(url, part, done, speed_limit, speed_time)
                try:
                    # read1: whatever has arrived, so the deadline is checked however slowly bytes come
                    while block := response.read1(_CHUNK):
                        out.write(block)
                        done += len(block)
                        if on_progress:
                            on_progress(str(dest), done, total)
                        _check_limits(url, part, done, deadline, max_bytes)
                        pace.check(done)
                except (http.client.IncompleteRead, ConnectionError, TimeoutError, OSError) as e:
                    raise FetchError(f"{url}: download stopped at {done:,} of {total or '?'} bytes ({e}); "
                                     f"run the same command again to resume") from e
                except http.client.HTTPException as e:   # e.g. a chunk-size line over 64 KiB
                    raise FetchError(f"{url}: {not_http(e)} after {done:,} bytes. Check the URL or --mirror") from e
            if total is not None and done < total:
                raise FetchError(f"{url}: download stopped at {done:,} of {total:,} bytes; "
                                 "run the same command again to resume")
    if sha256 is not None:
        actual = sha256_of(part)
        if actual != sha256:
            part.unlink()
            raise FetchError(f"{url}: SHA-256 {actual} does not match the catalog's {sha256}; the file was not "
                             f"saved. The source or mirror serves different bytes: check it, or update the "
                             "catalog if the source was re-published")
    os.replace(part, dest)
    return dest.stat().st_size


class _Pace:
    """The minimum-throughput rule: over each ``speed_time`` seconds at least ``speed_limit``
    bytes per second, or the transfer is stalled and stopped (the partial file removed)."""

    def __init__(self, url: str, part: Path, done: int, speed_limit: float, speed_time: float) -> None:
        self.url, self.part, self.limit, self.window = url, part, speed_limit, speed_time
        self.since, self.at = time.monotonic(), done

    def check(self, done: int) -> None:
        now = time.monotonic()
        if now - self.since < self.window:
            return
        rate = (done - self.at) / (now - self.since)
        if rate < self.limit:
            self.part.unlink(missing_ok=True)
            raise FetchError(f"{self.url}: the transfer stalled ({rate:,.0f} bytes/s over {now - self.since:.0f} s, "
                             f"under {self.limit:,.0f}) after {done:,} bytes; stopped. The next run tries again")
        self.since, self.at = now, done


def _check_limits(url: str, part: Path, done: int, deadline: float | None, max_bytes: int | None) -> None:
    """Stop a download past its deadline or its size cap, removing the partial file."""
    if deadline is not None and time.monotonic() > deadline:
        part.unlink(missing_ok=True)
        raise FetchError(f"{url}: the download passed its deadline after {done:,} bytes; the server is too slow "
                         "or stalled. The next run tries again (raise --timeout for a slow link)")
    if max_bytes is not None and done > max_bytes:
        part.unlink(missing_ok=True)
        raise FetchError(f"{url}: the download passed {max_bytes:,} bytes, more than such a file can have; "
                         "it was stopped and removed")


def fetch_catalog(catalog: Catalog, data_dir: str | Path, *, mirror: str | None = None,
                  datasets: list[str] | None = None, force: bool = False,
                  on_progress: ProgressFn | None = None) -> list[FetchOutcome]:
    """Fetch every file of the chosen datasets; a failure is recorded and the rest still fetched."""
    data_dir = Path(data_dir)
    chosen = [catalog[n] for n in datasets] if datasets else list(catalog)
    outcomes, seen = [], set()
    for dataset in chosen:
        if dataset.written_by_update:
            continue  # 'sahelrisk data update' brings these in and writes their manifest
        for entry in dataset.files:
            if entry.path in seen:  # one file can serve two datasets (Natural Earth admin-1)
                continue
            seen.add(entry.path)
            dest = data_dir / entry.path
            if not force and dest.is_file() and (entry.sha256 is None or sha256_of(dest) == entry.sha256):
                outcomes.append(FetchOutcome(entry.path, "up-to-date", bytes=dest.stat().st_size))
                continue
            url = source_url(entry, mirror)
            if url is None:
                outcomes.append(FetchOutcome(entry.path, "skipped",
                                             "derived file with no public URL; fetch it with --mirror URL"))
                continue
            try:
                size = fetch_file(url, dest, sha256=entry.sha256, on_progress=on_progress)
            except FetchError as e:
                outcomes.append(FetchOutcome(entry.path, "failed", str(e)))
                continue
            outcomes.append(FetchOutcome(entry.path, "downloaded", bytes=size))
    return outcomes
