"""What keeps the web app safe by default: response headers, the optional bearer token and the
bounded reading of uploads.

- Every page carries a Content-Security-Policy that allows scripts from the app's own files only:
  text from the data or a user's upload can reach a page only as escaped text or JSON, and even a
  slip in escaping could not run as script.
- The weekly job's own HTML files (the self-contained Leaflet map, the bulletin) carry inline
  scripts; they are served in a CSP *sandbox* (an opaque origin with no access to the app, its
  cookies or its API).
- With ``SAHELRISK_API_TOKEN`` set, computations and uploads need ``Authorization: Bearer <token>``
  (or the cookie the sign-in page sets); reading published weeks stays open.
"""

from __future__ import annotations

import hmac
from collections.abc import AsyncIterator, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from sahelrisk.errors import SahelriskError, SpecError

__all__ = ["APP_CSP", "DOCS_CSP", "PUBLISHED_HTML_CSP", "TokenError", "TooLargeError", "SafeHeaders", "check_token", "check_token_value", "cache_control",
           "read_bounded", "TOKEN_COOKIE", "LOGIN_BYTES"]

APP_CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; "
           "font-src 'self'; frame-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
           "frame-ancestors 'self'")
DOCS_CSP = APP_CSP.replace("style-src 'self'", "style-src 'self' 'unsafe-inline'") + "; worker-src 'self' blob:"
"""``/docs`` and ``/redoc`` draw their styles from script: inline styles allowed, scripts still the app's."""
PUBLISHED_HTML_CSP = ("sandbox allow-scripts allow-popups; default-src 'none'; script-src 'unsafe-inline'; "
                      "style-src 'unsafe-inline'; img-src data:; font-src data:")
TOKEN_COOKIE = "sahelrisk_token"
LOGIN_BYTES = 4096
"""The sign-in form's body at most: a token, not a file."""


class TooLargeError(SpecError):
    """An upload over the size limit (HTTP 413)."""


class TokenError(SahelriskError):
    """A request that needs the API token came without it, or with another one."""

    exit_code = 3


def check_token(request: Request, token: str | None) -> None:
    """Refuse ``request`` unless it carries ``token`` (nothing to check when no token is set)."""
    if not token:
        return
    header = request.headers.get("authorization", "")
    sent = header[7:].strip() if header.lower().startswith("bearer ") else request.cookies.get(TOKEN_COOKIE, "")
    check_token_value(sent, token)


def check_token_value(sent: str, token: str) -> None:
    """Refuse ``sent`` unless it is ``token`` (compared in constant time)."""
    if not sent:
        raise TokenError("this server asks for its API token: send 'Authorization: Bearer <token>' "
                         "or sign in on the /login page")
    if len(sent) > 4 * len(token) + 64 or not hmac.compare_digest(sent.encode(), token.encode()):
        raise TokenError("the API token sent is not this server's; check SAHELRISK_API_TOKEN with its administrator")


async def read_bounded(stream: AsyncIterator[bytes], limit: int, name: str) -> bytes:
    """The bytes of an upload, refusing it as soon as it passes ``limit`` (never held whole)."""
    chunks, size = [], 0
    async for chunk in stream:
        size += len(chunk)
        if size > limit:
            raise TooLargeError(f"{name}: the file is over the limit of {limit:,} bytes; send a shorter track or "
                            "fewer sites")
        chunks.append(chunk)
    return b"".join(chunks)


CACHE_WEEK = "max-age=3600"
"""A dated week's answers: the same until the week is published again (rare: a revision), so
a browser or proxy may keep them an hour."""
CACHE_FRESH = "no-cache"
"""Pages and ``latest``: kept, but asked again each time (a new week may be out)."""
CACHE_NEVER = "no-store"
"""Answers that set or clear the token's cookie."""

DEFAULT_HEADERS = {"content-security-policy": APP_CSP, "x-content-type-options": "nosniff",
                   "referrer-policy": "no-referrer", "x-frame-options": "SAMEORIGIN", "cache-control": CACHE_FRESH}


def cache_control(request: Request, week: str) -> str:
    """How long an answer about ``week`` (as asked: a date or ``latest``) may be kept, and by whom:
    shared caches only for what anyone may read."""
    if week == "latest":
        return CACHE_FRESH
    signed = "authorization" in request.headers or TOKEN_COOKIE in request.cookies
    return f"{'private' if signed else 'public'}, {CACHE_WEEK}"


class SafeHeaders:
    """ASGI middleware: every response gets :data:`DEFAULT_HEADERS` it does not set itself, and a
    request ``refuse`` answers (an upload too large, say) is answered before its body is read.

    A plain ASGI wrapper rather than Starlette's ``BaseHTTPMiddleware``, which costs several
    milliseconds a request under load.
    """

    def __init__(self, app: ASGIApp, refuse: Callable[[Request], Response | None]) -> None:
        self.app = app
        self.refuse = refuse

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Answer one ASGI call."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                present = {name.lower() for name, _ in message.get("headers", [])}
                extra = [(k.encode(), v.encode()) for k, v in DEFAULT_HEADERS.items() if k.encode() not in present]
                message = {**message, "headers": [*message.get("headers", []), *extra]}
            await send(message)

        refused = self.refuse(Request(scope))
        if refused is not None:
            await refused(scope, receive, send_with_headers)
            return
        await self.app(scope, receive, send_with_headers)
