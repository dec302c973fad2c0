"""What every handler of the web app shares: its services, the page's language, rendering and errors.

The app (:func:`sahelrisk.serving.app.create_app`) builds one :class:`Services` and keeps it on
``app.state``; each handler of the routers (:mod:`~sahelrisk.serving.pages`,
:mod:`~sahelrisk.serving.api_v1`) reads it with :func:`services`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from jinja2 import Environment

from sahelrisk.errors import (
    DataError,
    DataFileError,
    ModelNotFoundError,
    NotFoundError,
    SahelriskError,
    SpecError,
    TrackingUnavailableError,
)
from sahelrisk.i18n import LANGUAGES, Formatter
from sahelrisk.publishing.bulletin import template_environment, tier_name
from sahelrisk.publishing.maps import TIER_COLOURS
from sahelrisk.serving.archive import Archive
from sahelrisk.serving.cache import Answers
from sahelrisk.serving.planner import Limits, Planner
from sahelrisk.serving.security import CACHE_FRESH, TOKEN_COOKIE, TokenError, TooLargeError, cache_control

__all__ = ["ServeSettings", "Services", "services", "lang_of", "render", "templates", "error_response", "status_of", "cached",
           "whole_number", "number", "ANSWERS_BYTES"]

ANSWERS_BYTES = 200_000_000   # answers of GET requests kept in memory, the least recently asked dropped first

_STATUS = ((TokenError, 401), (TooLargeError, 413), (NotFoundError, 404), (ModelNotFoundError, 404),
           (TrackingUnavailableError, 503), (DataFileError, 400), (SpecError, 400), (DataError, 422),
           (SahelriskError, 400))


@dataclass(frozen=True)
class ServeSettings:
    """Where the app reads from, and what it allows.

    Attributes
    ----------
    out_dir : Path
        The weekly job's outputs folder (the published weeks).
    data_dir : Path
        The data directory (events, places, roads, mining sites for routes and sites).
    tracking_uri, mlruns
        The model store holding the models that scored the weeks.
    token : str or None
        When set, computations and uploads need it (``SAHELRISK_API_TOKEN``).
    limits : Limits
        Upload size, track points, sites, stops and alternatives per request.
    clock : callable
        Today's date and time (UTC), for how old the newest week is: the caller's, never read here
        (``sahelrisk serve`` hands over the system clock; tests a fixed one).
    """

    out_dir: Path
    data_dir: Path
    tracking_uri: str | None = None
    mlruns: Path = Path("mlruns")
    token: str | None = None
    limits: Limits = field(default_factory=Limits)
    clock: Callable[[], datetime] = field(kw_only=True)


def _copy(response: Response) -> Response:
    return Response(response.body, status_code=response.status_code, headers=dict(response.headers))


def _weight(response: Response) -> int:
    return len(response.body)


@dataclass
class Services:
    """The app's published weeks, its route planner, its settings and its answers.

    Attributes
    ----------
    settings : ServeSettings
        Where it reads from, and what it allows.
    archive : Archive
        The published weeks.
    planner : Planner
        Routes and sites against them.
    answers : Answers
        Responses kept in memory (:func:`cached`).
    """

    settings: ServeSettings
    archive: Archive
    planner: Planner
    answers: Answers[Response] = field(default_factory=lambda: Answers(ANSWERS_BYTES, _weight, _copy))


def services(request: Request) -> Services:
    """The services of the app serving ``request``."""
    found: Services = request.app.state.services
    return found


def status_of(error: SahelriskError) -> int:
    """The HTTP status of one of our errors: 4xx for what the user sent, 503 for a store down."""
    return next(code for kind, code in _STATUS if isinstance(error, kind))


def lang_of(request: Request) -> str:
    """The page's language: ``?lang=``, else the cookie, else the browser's first choice."""
    asked = request.query_params.get("lang") or request.cookies.get("lang")
    if asked in LANGUAGES:
        return str(asked)
    accepted = request.headers.get("accept-language", "").lower()
    return "fr" if accepted.startswith("fr") else "en"


def templates(lang: str) -> Environment:
    """The pages' templates in ``lang``."""
    return template_environment(lang, "sahelrisk.serving")


def _with_lang(request: Request, lang: str) -> str:
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return urlencode([*params, ("lang", lang)])


def render(request: Request, template: str, context: dict, status: int = 200) -> HTMLResponse:
    """A page in the request's language, with the language switch and the root path for links."""
    lang = lang_of(request)
    base = request.scope.get("root_path", "")
    path = request.url.path[len(base):] if request.url.path.startswith(base) else request.url.path
    switch = {other: f"{base}{path}?{_with_lang(request, other)}" for other in LANGUAGES}
    html = templates(lang).get_template(template).render(
        lang=lang, base=base, switch=switch, token_needed=bool(services(request).settings.token),
        signed_in=TOKEN_COOKIE in request.cookies, basemap=services(request).planner.basemap_version(),
        tier_labels={tier: tier_name(tier, lang) for tier in TIER_COLOURS},
        tier_colours=TIER_COLOURS, fmt=Formatter(lang), **context)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 86400, samesite="lax")
    return response


def error_response(request: Request, error: SahelriskError, status: int | None = None) -> Response:
    """One line: JSON for the API (or a client asking for JSON), else the error page."""
    status = status or status_of(error)
    message = str(error).splitlines()[0] if str(error) else type(error).__name__
    if request.url.path.startswith("/api/") or "application/json" in request.headers.get("accept", ""):
        return JSONResponse({"error": message, "status": status}, status_code=status)
    return render(request, "error.html.j2", {"message": message, "status": status}, status=status)


def cached(request: Request, key: tuple, make: Callable[[], Response]) -> Response:
    """The same answer for the same request of the same published week (``key[1]``), computed once.

    The key takes the week's publication time, so a week published again is computed afresh.
    """
    found = services(request)
    week = found.archive.week(key[1])
    stamp = found.archive.file(week, "run.json").stat().st_mtime_ns
    answer = found.answers.get((key[0], week, stamp, *key[2:]), make)
    page = answer.headers.get("content-type", "").startswith("text/html")   # a page follows the reader's language: never kept by week
    answer.headers["cache-control"] = CACHE_FRESH if page else cache_control(request, str(key[1]))
    return answer


def whole_number(text: str, name: str) -> int:
    """A form's whole number, or a one-line error naming the field."""
    try:
        return int(str(text).strip() or 0)
    except ValueError:
        raise SpecError(f"{name} must be a whole number, not {text!r}") from None


def number(text: str, name: str) -> float:
    """A form's number (a decimal comma accepted), or a one-line error naming the field."""
    try:
        return float(str(text).strip().replace(",", "."))
    except ValueError:
        raise SpecError(f"{name} must be a number, not {text!r}") from None
