"""Optional credentialed sources: the UCDP API and ACLED's API.

Credentials come from environment variables and stay in memory: they are never written to a
file, a log, MLflow or an output, and never appear in an error message. ACLED rows are written
only into the user's own data directory (ACLED's terms forbid redistributing them).

- UCDP API: ``GET {root}gedevents/{version}`` with the token in the ``x-ucdp-access-token``
  header, ``pagesize`` / ``page``, filters ``Country`` (Gleditsch-Ward codes), ``StartDate`` and
  ``EndDate``; each page names the ``NextPageUrl``.
- ACLED API: an OAuth password grant at ``{root}oauth/token`` gives a bearer token (refreshed
  with its refresh token when it expires); ``{root}api/acled/read`` pages with ``limit`` /
  ``page`` and updates incrementally by ``timestamp``; ``{root}api/deleted/read`` lists deleted
  events.
"""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field

import pandas as pd

from sahelrisk.errors import FetchError, SpecError

__all__ = ["UcdpApi", "AcledApi", "UCDP_TOKEN_ENV", "UCDP_API_ENV", "ACLED_USER_ENV", "ACLED_PASSWORD_ENV",
           "ACLED_URL_ENV", "MAX_PAGES"]

UCDP_TOKEN_ENV, UCDP_API_ENV = "SAHELRISK_UCDP_TOKEN", "SAHELRISK_UCDP_API_URL"
ACLED_USER_ENV, ACLED_PASSWORD_ENV, ACLED_URL_ENV = ("SAHELRISK_ACLED_USERNAME", "SAHELRISK_ACLED_PASSWORD",
                                                      "SAHELRISK_ACLED_URL")
MAX_PAGES = 10_000  # a bound on paging, far above any real query


def _request(url: str, *, headers: dict, data: bytes | None = None, timeout: float) -> tuple[int, dict | None]:
    """(status, JSON body) of a request; the URL named in errors carries no credential."""
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, json.loads(response.read().decode("utf-8"))
    except urllib.error.HTTPError as e:
        return e.code, None
    except (urllib.error.URLError, OSError) as e:
        raise FetchError(f"{_public(url)}: cannot connect ({getattr(e, 'reason', e)})") from None
    except ValueError:
        raise FetchError(f"{_public(url)}: the answer is not JSON") from None


def _public(url: str) -> str:
    """The URL without its query (which may carry filters, never credentials, but stays short)."""
    return url.split("?", 1)[0]


@dataclass
class UcdpApi:
    """The UCDP API, with the token from ``$SAHELRISK_UCDP_TOKEN``.

    Parameters
    ----------
    root : str
        The API root, default ``https://ucdp.uu.se/api/`` (or ``$SAHELRISK_UCDP_API_URL``).
    token : str
        The access token (``repr`` hides it).
    """

    root: str
    token: str = field(repr=False)
    timeout: float = 60.0

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "UcdpApi":
        """The client with the token of ``$SAHELRISK_UCDP_TOKEN``."""
        token = environ.get(UCDP_TOKEN_ENV)
        if not token:
            raise SpecError(f"the UCDP API needs a token: set ${UCDP_TOKEN_ENV} (request one from UCDP)")
        return cls(environ.get(UCDP_API_ENV, "https://ucdp.uu.se/api/"), token)

    def events(self, version: str, countries_gw: list[int], start: str | None = None, end: str | None = None,
               pagesize: int = 1000) -> pd.DataFrame:
        """Every event of a GED or Candidate ``version`` for the countries, all pages.

        Raises
        ------
        FetchError
            The token is refused (401/403), a page fails, or the paging does not end.
        """
        query = {"pagesize": pagesize, "page": 0, "Country": ",".join(str(c) for c in countries_gw)}
        if start:
            query["StartDate"] = start
        if end:
            query["EndDate"] = end
        url = f"{self.root.rstrip('/')}/gedevents/{version}?{urllib.parse.urlencode(query)}"
        rows: list[dict] = []
        for _ in range(MAX_PAGES):
            status, body = _request(url, headers={"x-ucdp-access-token": self.token}, timeout=self.timeout)
            if status in (401, 403):
                raise FetchError(f"{_public(url)}: the UCDP API refused the token (HTTP {status}); "
                                 f"check ${UCDP_TOKEN_ENV}")
            if status != 200 or body is None:
                raise FetchError(f"{_public(url)}: UCDP API answered HTTP {status}")
            rows.extend(body.get("Result") or [])
            url = body.get("NextPageUrl") or ""
            if not url:
                return pd.DataFrame(rows).astype(str) if rows else pd.DataFrame()
        raise FetchError(f"{self.root}: the UCDP API kept paging past {MAX_PAGES} pages")


@dataclass
class AcledApi:
    """ACLED's API, with the account from ``$SAHELRISK_ACLED_USERNAME`` / ``_PASSWORD``.

    Parameters
    ----------
    root : str
        Default ``https://acleddata.com/`` (or ``$SAHELRISK_ACLED_URL``).
    username, password : str
        The account (``repr`` hides the password and tokens).
    """

    root: str
    username: str
    password: str = field(repr=False)
    timeout: float = 60.0
    _access: str = field(default="", repr=False)
    _refresh: str = field(default="", repr=False)

    @classmethod
    def from_env(cls, environ: Mapping[str, str] = os.environ) -> "AcledApi":
        """The client with the account of ``$SAHELRISK_ACLED_USERNAME`` and ``_PASSWORD``."""
        user, password = environ.get(ACLED_USER_ENV), environ.get(ACLED_PASSWORD_ENV)
        if not (user and password):
            raise SpecError(f"ACLED's API needs an account: set ${ACLED_USER_ENV} and ${ACLED_PASSWORD_ENV}")
        return cls(environ.get(ACLED_URL_ENV, "https://acleddata.com/"), user, password)

    def _token(self, grant: dict) -> None:
        url = f"{self.root.rstrip('/')}/oauth/token"
        data = urllib.parse.urlencode({**grant, "client_id": "acled"}).encode()
        status, body = _request(url, headers={"Content-Type": "application/x-www-form-urlencoded"}, data=data,
                                timeout=self.timeout)
        if status != 200 or not body or "access_token" not in body:
            raise FetchError(f"{url}: ACLED refused the login (HTTP {status}); check ${ACLED_USER_ENV} and "
                             f"${ACLED_PASSWORD_ENV}")
        self._access, self._refresh = body["access_token"], body.get("refresh_token", "")

    def _get(self, path: str, query: dict) -> dict:
        url = f"{self.root.rstrip('/')}/{path}?{urllib.parse.urlencode({'_format': 'json', **query})}"
        if not self._access:
            self._token({"username": self.username, "password": self.password, "grant_type": "password"})
        for attempt in range(2):
            status, body = _request(url, headers={"Authorization": f"Bearer {self._access}"}, timeout=self.timeout)
            if status == 401 and attempt == 0:  # expired: refresh, else log in again
                try:
                    self._token({"refresh_token": self._refresh, "grant_type": "refresh_token"})
                except FetchError:
                    self._token({"username": self.username, "password": self.password, "grant_type": "password"})
                continue
            if status != 200 or body is None:
                raise FetchError(f"{_public(url)}: ACLED answered HTTP {status}")
            return body
        raise FetchError(f"{_public(url)}: ACLED refused a fresh token")

    def _pages(self, path: str, query: dict, limit: int) -> list[dict]:
        rows: list[dict] = []
        for page in range(1, MAX_PAGES + 1):
            data = self._get(path, {**query, "limit": limit, "page": page}).get("data") or []
            rows.extend(data)
            if len(data) < limit:
                return rows
        raise FetchError(f"{self.root}: ACLED kept paging past {MAX_PAGES} pages")

    def events(self, countries: list[str], since: int | None = None, limit: int = 5000) -> pd.DataFrame:
        """Events of the countries (ACLED names), only those updated after ``since`` (a Unix time)."""
        query: dict[str, str | int] = {"country": "|".join(countries)}
        if since is not None:
            query.update({"timestamp": since, "timestamp_where": ">"})
        rows = self._pages("api/acled/read", query, limit)
        return pd.DataFrame(rows).astype(str) if rows else pd.DataFrame()

    def deleted(self, since: int | None = None, limit: int = 5000) -> list[str]:
        """``event_id_cnty`` of the events ACLED deleted after ``since``."""
        query = {} if since is None else {"timestamp": since, "timestamp_where": ">"}
        return [str(r["event_id_cnty"]) for r in self._pages("api/deleted/read", query, limit)]
