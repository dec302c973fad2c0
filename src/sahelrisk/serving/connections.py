"""Connections the web app accepts: deadlines on a request's headers and body, and room kept for
clients that send their requests.

uvicorn closes an idle kept-alive connection, but waits without end for a request whose headers
arrive slowly, and a few thousand such connections take every file descriptor, so that normal
requests fail. :class:`GuardedHttp` (uvicorn's own httptools protocol with three rules added):

- a request's headers must arrive within :data:`HEADER_S` of the connection (or of the request's
  first byte on a kept-alive one), its body within :data:`BODY_S` of the headers; past either
  the connection gets ``408`` and is closed;
- one client (an IP address) has at most :data:`PER_CLIENT_WAITING` connections waiting for their
  headers: a new one closes that client's oldest;
- past :func:`open_limit` connections in all (three quarters of the process's file limit), a new
  connection closes the oldest one still waiting for its headers.

Of one client's connections, only one that has waited :data:`GRACE_S` for its headers is closed
for room: a browser sends them within milliseconds, so one arriving amid a flood of slow
connections from the same address (a proxy, a shared NAT) is not taken for one of them. A
request that has sent its headers is never closed for room: it is being answered.
"""

from __future__ import annotations

import asyncio
import resource
import weakref
from typing import Any

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

__all__ = ["GuardedHttp", "HEADER_S", "BODY_S", "PER_CLIENT_WAITING", "open_limit"]

HEADER_S = 10.0
"""Seconds a request's headers may take (a browser sends them in one packet)."""
BODY_S = 120.0
"""Seconds a request's body may take once its headers are in (the largest upload on a slow link)."""
PER_CLIENT_WAITING = 64
"""Connections of one client waiting for their headers at once."""
GRACE_S = 0.25
"""A connection waiting for its headers for less than this is not closed for its client's room."""

_TIMEOUT = b"HTTP/1.1 408 Request Timeout\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"


def open_limit() -> int:
    """Connections open at once before the slowest are shed: 3/4 of the file limit, leaving the
    rest for the app's own files (the data, the published weeks, the model)."""
    soft, _ = resource.getrlimit(resource.RLIMIT_NOFILE)
    return max(16, int(soft * 0.75) - 32) if soft != resource.RLIM_INFINITY else 1_000_000


class _Waiting:
    """The connections of one server still waiting for their headers, oldest first."""

    def __init__(self) -> None:
        self.all: dict[GuardedHttp, None] = {}
        self.by_client: dict[str, dict[GuardedHttp, None]] = {}
        self.limit = open_limit()

    def add(self, connection: GuardedHttp) -> None:
        connection.since = connection.loop.time()
        self.all[connection] = None
        self.by_client.setdefault(connection.peer, {})[connection] = None

    def discard(self, connection: GuardedHttp) -> None:
        self.all.pop(connection, None)
        mine = self.by_client.get(connection.peer)
        if mine is not None:
            mine.pop(connection, None)
            if not mine:
                del self.by_client[connection.peer]

    def oldest(self, peer: str | None = None, grace: float = 0.0) -> GuardedHttp | None:
        """The connection waiting longest (of ``peer``), if it has waited ``grace`` seconds."""
        pool = self.all if peer is None else self.by_client.get(peer, {})
        found = next(iter(pool), None)
        return found if found is not None and found.loop.time() - found.since >= grace else None


_SERVERS: weakref.WeakKeyDictionary[Any, _Waiting] = weakref.WeakKeyDictionary()


class GuardedHttp(HttpToolsProtocol):
    """uvicorn's HTTP protocol with header and body deadlines and room kept (see the module)."""

    peer = ""
    since = 0.0
    _timer: asyncio.TimerHandle | None = None

    def _waiting(self) -> _Waiting:
        found = _SERVERS.get(self.server_state)
        if found is None:
            found = _SERVERS[self.server_state] = _Waiting()
        return found

    def _arm(self, seconds: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(seconds, self._expire)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _expire(self) -> None:
        """Too slow: a request not yet answered is told so, then the connection is closed."""
        self._timer = None
        if not self.transport.is_closing():
            if self.cycle is None or not self.cycle.response_started:
                self.transport.write(_TIMEOUT)
            self.transport.close()

    def _shed(self, connection: GuardedHttp | None) -> None:
        if connection is not None and connection is not self:
            self._waiting().discard(connection)
            connection._expire()

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        """Count the connection as waiting for its headers; make room if it passes a limit."""
        super().connection_made(transport)
        self.peer = self.client[0] if self.client else ""
        waiting = self._waiting()
        if len(waiting.by_client.get(self.peer, {})) >= PER_CLIENT_WAITING:
            self._shed(waiting.oldest(self.peer, GRACE_S))
        if len(self.connections) > waiting.limit:   # the files run short: the slowest goes, however young
            self._shed(waiting.oldest())
        waiting.add(self)
        self._arm(HEADER_S)

    def on_message_begin(self) -> None:
        """A request on a kept-alive connection: its headers are awaited again."""
        super().on_message_begin()
        waiting = self._waiting()
        if self not in waiting.all and (self.cycle is None or self.cycle.response_complete):
            waiting.add(self)
            self._arm(HEADER_S)

    def on_headers_complete(self) -> None:
        """The headers are in: the body's deadline starts."""
        self._waiting().discard(self)
        self._arm(BODY_S)
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        """The request is whole: it is answered without a deadline of ours."""
        self._disarm()
        super().on_message_complete()

    def connection_lost(self, exc: Exception | None) -> None:
        """Forget the connection."""
        self._disarm()
        self._waiting().discard(self)
        super().connection_lost(exc)
