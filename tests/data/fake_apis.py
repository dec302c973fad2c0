"""Local stand-ins for the UCDP API and ACLED's API, on 127.0.0.1, implementing the documented
behaviour: tokens, paging, an access token that expires, incremental reads and deletions."""

from __future__ import annotations

import json
import urllib.parse
from http.server import BaseHTTPRequestHandler

from tests.data.local_server import LocalServer

UCDP_TOKEN = "ucdp-secret-token-5f2e"
ACLED_USER, ACLED_PASSWORD = "analyst@example.org", "acled-secret-password-9c1d"


class _Json(BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _send(self, status: int, body: dict | None = None):
        data = json.dumps(body or {}).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _query(self) -> tuple[str, dict]:
        parsed = urllib.parse.urlparse(self.path)
        return parsed.path, {k: v[0] for k, v in urllib.parse.parse_qs(parsed.query).items()}


class FakeUcdpApi(LocalServer):
    """``GET /api/gedevents/{version}``: 401 without the token; pages named by ``NextPageUrl``."""

    def __init__(self, versions: dict[str, list[dict]]):
        state = self
        self.versions, self.requests = versions, []

        class Handler(_Json):
            def do_GET(self):
                path, query = self._query()
                state.requests.append((path, query, dict(self.headers)))
                if self.headers.get("x-ucdp-access-token") != UCDP_TOKEN:
                    return self._send(401, {"message": "Unauthorized"})
                version = path.rsplit("/", 1)[-1]
                if version not in state.versions:
                    return self._send(404, {"message": "no such version"})
                codes = set(query.get("Country", "").split(","))
                rows = [r for r in state.versions[version] if not codes - {""} or r["country_id"] in codes]
                size, page = int(query.get("pagesize", 100)), int(query.get("page", 0))
                pages = max(1, -(-len(rows) // size))
                nxt = ""
                if page + 1 < pages:
                    nxt = state.url.rstrip("/") + path + "?" + urllib.parse.urlencode({**query, "page": page + 1})
                self._send(200, {"TotalCount": len(rows), "TotalPages": pages, "PreviousPageUrl": "",
                                 "NextPageUrl": nxt, "Result": rows[page * size:(page + 1) * size]})

        super().__init__(Handler)


class FakeAcledApi(LocalServer):
    """``POST /oauth/token`` (password and refresh grants), ``GET /api/acled/read`` and
    ``/api/deleted/read`` with a bearer token, ``limit`` / ``page`` and ``timestamp`` filters.
    ``expire_every`` data requests, the access token expires."""

    def __init__(self, rows: list[dict], deleted: list[dict], expire_every: int = 2):
        state = self
        self.rows, self.deleted, self.expire_every = rows, deleted, expire_every
        self.grants, self.data_requests, self.issued = [], 0, 0
        self.access, self.refresh = None, None

        class Handler(_Json):
            def do_POST(self):
                form = {k: v[0] for k, v in urllib.parse.parse_qs(
                    self.rfile.read(int(self.headers.get("Content-Length", 0))).decode()).items()}
                grant = form.get("grant_type")
                state.grants.append(grant)
                ok = (grant == "password" and form.get("username") == ACLED_USER
                      and form.get("password") == ACLED_PASSWORD and form.get("client_id") == "acled") or \
                     (grant == "refresh_token" and form.get("refresh_token") == state.refresh)
                if not ok:
                    return self._send(401, {"error": "invalid_grant"})
                state.issued += 1
                state.access, state.refresh = f"access-{state.issued}", f"refresh-{state.issued}"
                self._send(200, {"access_token": state.access, "refresh_token": state.refresh,
                                 "token_type": "Bearer", "expires_in": 86400})

            def do_GET(self):
                path, query = self._query()
                if self.headers.get("Authorization") != f"Bearer {state.access}" or state.access is None:
                    return self._send(401, {"error": "invalid_token"})
                state.data_requests += 1
                if state.data_requests % state.expire_every == 0:
                    state.access = "expired"  # this token dies after this request
                since = int(query.get("timestamp", 0)) if query.get("timestamp_where") == ">" else None
                source = state.rows if path.endswith("/acled/read") else state.deleted
                key = "timestamp" if path.endswith("/acled/read") else "deleted_timestamp"
                rows = [r for r in source if since is None or int(r[key]) > since]
                if "country" in query:
                    rows = [r for r in rows if r.get("country") in query["country"].split("|")]
                limit, page = int(query.get("limit", 5000)), int(query.get("page", 1))
                part = rows[(page - 1) * limit: page * limit]
                self._send(200, {"status": 200, "success": True, "count": len(part), "data": part})

        super().__init__(Handler)
