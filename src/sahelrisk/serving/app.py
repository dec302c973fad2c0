"""The planners' web app (``sahelrisk serve``): this week's map, the archive, routes and sites.

Pages are rendered on the server from the package's Jinja2 templates in French or English
(:mod:`sahelrisk.serving.pages`); the JSON API lives under ``/api/v1`` (:mod:`sahelrisk.serving.api_v1`,
OpenAPI docs at ``/docs``). The app only reads: the weekly job publishes, the app shows what is
published (:mod:`sahelrisk.serving.archive`) and computes route and site risk against it
(:mod:`sahelrisk.serving.planner`). Everything a page needs is served by the app itself (Leaflet
included), so it works on a field laptop with no internet.
"""

from __future__ import annotations

import asyncio
import gc
import logging
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from sahelrisk.errors import SahelriskError, SpecError
from sahelrisk.serving import api_docs, api_v1, pages
from sahelrisk.serving.archive import Archive
from sahelrisk.serving.context import ServeSettings, Services, error_response, services, status_of
from sahelrisk.serving.planner import Planner
from sahelrisk.serving.security import SafeHeaders, TooLargeError

__all__ = ["create_app", "app_from_environment", "ServeSettings", "status_of"]

log = logging.getLogger("sahelrisk.serve")

DESCRIPTION = ("Weekly risk of deadly armed-conflict attacks: the published weeks, their cells, areas and mining "
               "sites, and the risk along a route.")


def _refuse_upload(request: Request) -> Response | None:
    """An upload refused before its body is read: no length, or a length over the limit."""
    if request.method != "POST" or request.url.path.endswith("/login"):
        return None
    limit = services(request).settings.limits.upload_bytes
    length = request.headers.get("content-length")
    if length is None:
        return error_response(request, SpecError("an upload needs a Content-Length header; send the file whole"), 411)
    if not length.isdigit() or int(length) > limit + 64_000:   # the file and a form's few fields
        return error_response(request, TooLargeError(f"the upload is {length} bytes, over the limit of {limit:,}; "
                                                      "send a shorter track or fewer sites"))
    return None


async def _on_invalid(request: Request, error: Exception) -> Response:
    """A parameter of the wrong type or out of its range: one line naming it, as for our own errors."""
    problems = error.errors() if isinstance(error, RequestValidationError) else []
    first = problems[0] if problems else {}
    where = ".".join(str(p) for p in first.get("loc", ())[1:]) or "the request"
    got = first.get("input")
    shown = "" if got is None or isinstance(got, (dict, list)) else f" (got {str(got)[:40]!r})"
    more = f"; and {len(problems) - 1} more" if len(problems) > 1 else ""
    return error_response(request, SpecError(f"{where}: {first.get('msg', 'is not valid')}{shown}{more}"), 400)


async def _on_http(request: Request, error: Exception) -> Response:
    """Starlette's own refusals (no such path, a method not allowed) in the app's one-line form."""
    status = error.status_code if isinstance(error, StarletteHTTPException) else 400
    said = {404: f"no page or API path {request.url.path!r}; the API's paths are listed at /docs",
            405: f"{request.method} is not allowed on {request.url.path!r}"}
    text = said.get(status) or (error.detail if isinstance(error, StarletteHTTPException) else "") or "refused"
    return error_response(request, SpecError(str(text)), status)


async def _on_error(request: Request, error: Exception) -> Response:
    if isinstance(error, SahelriskError):
        return error_response(request, error)
    log.exception("internal error on %s", request.url.path)
    return error_response(request, SahelriskError("internal error; the server's log has the details"), 500)


def create_app(settings: ServeSettings, *, root_path: str = "") -> FastAPI:
    """The web app over ``settings.out_dir``.

    Parameters
    ----------
    settings : ServeSettings
        Where it reads from, and what it allows.
    root_path : str
        The path the app is mounted under behind a reverse proxy (links and the API use it).

    Returns
    -------
    fastapi.FastAPI
        The app: the pages' router and the API's, the error handlers and the safe headers.
    """
    archive = Archive(settings.out_dir)
    planner = Planner(archive, settings.data_dir, tracking_uri=settings.tracking_uri, mlruns=settings.mlruns,
                      limits=settings.limits)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        # Accept requests once the data and the model are in memory: no user waits for the loading.
        await asyncio.to_thread(planner.warm)
        # What is loaded now stays for the process's life: out of the garbage collector's sweeps,
        # which otherwise walk it all and cost a new route a third of its time.
        gc.freeze()
        yield

    app = FastAPI(title="sahelrisk", version="1", root_path=root_path, lifespan=lifespan, description=DESCRIPTION,
                  docs_url=None, redoc_url=None)   # served offline by api_docs
    app.state.services = Services(settings, archive, planner)
    app.add_middleware(SafeHeaders, refuse=_refuse_upload)
    app.add_exception_handler(RequestValidationError, _on_invalid)
    app.add_exception_handler(StarletteHTTPException, _on_http)
    app.add_exception_handler(SahelriskError, _on_error)
    app.add_exception_handler(Exception, _on_error)
    app.include_router(pages.router)
    app.include_router(api_docs.router)
    app.include_router(api_v1.router)
    return app


def app_from_environment(clock: Callable[[], datetime]) -> FastAPI:
    """The app configured from the environment, for one of several server processes.

    Reads ``SAHELRISK_OUT`` (default ``outputs``), ``SAHELRISK_DATA``, ``MLFLOW_TRACKING_URI``,
    ``SAHELRISK_MLRUNS`` (default ``mlruns``), ``SAHELRISK_API_TOKEN`` and ``SAHELRISK_ROOT_PATH``.

    Parameters
    ----------
    clock : callable
        Today's date and time (UTC), as :class:`ServeSettings` takes it: the caller's (the command
        line's factory, :func:`sahelrisk.cli.served_app`).

    Returns
    -------
    fastapi.FastAPI
        The app, as :func:`create_app` makes it.
    """
    from sahelrisk.data.datadir import resolve_data_dir

    settings = ServeSettings(out_dir=Path(os.environ.get("SAHELRISK_OUT", "outputs")), data_dir=resolve_data_dir(None),
                             tracking_uri=os.environ.get("MLFLOW_TRACKING_URI") or None,
                             mlruns=Path(os.environ.get("SAHELRISK_MLRUNS", "mlruns")),
                             token=os.environ.get("SAHELRISK_API_TOKEN") or None, clock=clock)
    return create_app(settings, root_path=os.environ.get("SAHELRISK_ROOT_PATH", ""))
