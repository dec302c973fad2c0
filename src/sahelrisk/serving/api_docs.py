"""The API's documentation pages, ``/docs`` (Swagger UI) and ``/redoc`` (ReDoc), served with their
own files (packaged by ``fastapi-offline``) so they work on a field laptop with no internet.

FastAPI's own pages load both from a CDN and start Swagger UI with an inline script, which the
app's Content-Security-Policy blocks: here the start is a file of the app (``docs.js``). Both
draw their styles from script, so these two pages alone allow inline styles; scripts stay the
app's own.
"""

from __future__ import annotations

from importlib import resources

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from sahelrisk.serving.context import lang_of, templates
from sahelrisk.serving.security import DOCS_CSP

__all__ = ["router", "DOCS_FILES"]

router = APIRouter(include_in_schema=False)

_OFFLINE = resources.files("fastapi_offline") / "static"
DOCS_FILES = {"swagger-ui-bundle.js": (_OFFLINE / "swagger-ui-bundle.js", "text/javascript"),
              "swagger-ui.css": (_OFFLINE / "swagger-ui.css", "text/css"),
              "redoc.standalone.js": (_OFFLINE / "redoc.standalone.js", "text/javascript")}


def _page(request: Request, template: str) -> HTMLResponse:
    lang = lang_of(request)
    base = request.scope.get("root_path", "")
    html = templates(lang).get_template(template).render(lang=lang, base=base, openapi=f"{base}/openapi.json")
    return HTMLResponse(html, headers={"Content-Security-Policy": DOCS_CSP})


@router.get("/docs", response_class=HTMLResponse)
def swagger(request: Request) -> HTMLResponse:
    """The API's endpoints to read and try (Swagger UI)."""
    return _page(request, "docs.html.j2")


@router.get("/redoc", response_class=HTMLResponse)
def redoc(request: Request) -> HTMLResponse:
    """The API's reference on one page (ReDoc)."""
    return _page(request, "redoc.html.j2")
