"""The planners' web app (``sahelrisk serve``): pages and a JSON API over the published weeks.

:func:`~sahelrisk.serving.app.create_app` builds it; :func:`~sahelrisk.serving.server.serve` runs it.
"""

from sahelrisk.serving.app import create_app
from sahelrisk.serving.context import ServeSettings
from sahelrisk.serving.server import serve

__all__ = ["create_app", "ServeSettings", "serve"]
