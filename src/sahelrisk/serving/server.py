"""Running the web app: one process, or several sharing the settings through the environment."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

from sahelrisk.errors import SpecError
from sahelrisk.serving.connections import GuardedHttp
from sahelrisk.serving.context import ServeSettings

__all__ = ["serve"]


def serve(settings: ServeSettings, *, host: str = "127.0.0.1", port: int = 8000, root_path: str = "",
          workers: int = 1, factory: str = "", log: Callable[[str], None] = print) -> None:
    """Serve the app with uvicorn until stopped.

    Parameters
    ----------
    settings : ServeSettings
        Where it reads from, and what it allows.
    host, port : str, int
        Where it listens (``0.0.0.0`` for every interface, behind a proxy).
    root_path : str
        The path it is served under behind a reverse proxy, e.g. ``/sahelrisk``.
    workers : int
        Server processes; each keeps its own data in memory and reads its settings from the
        environment (:func:`sahelrisk.serving.app.app_from_environment`).
    factory : str
        With several workers, where each finds the function building its app, ``module:function``
        (uvicorn's ``--factory``): the caller's, which hands the app its clock.
    log : callable
        Receives the lines said before serving.

    Raises
    ------
    SpecError
        ``root_path`` does not start with ``/``, or several workers have no ``factory``.
    """
    import uvicorn

    from sahelrisk.serving.app import create_app

    if root_path and not root_path.startswith("/"):
        raise SpecError(f"--root-path {root_path!r} must start with '/', e.g. /sahelrisk")
    if workers > 1 and not factory:
        raise SpecError("several server processes need the factory that builds each one's app (module:function)")
    root_path = root_path.rstrip("/")
    out = settings.out_dir
    if not out.is_dir():
        log(f"{out} does not exist yet: the app will show the weeks the weekly job publishes there")
    log(f"serving {out} on http://{host}:{port}{root_path}/ (API docs at {root_path}/docs); Ctrl-C stops")
    common: dict[str, Any] = {"host": host, "port": port, "log_level": "info", "proxy_headers": True,
                              "forwarded_allow_ips": "127.0.0.1", "http": GuardedHttp}
    if workers == 1:
        uvicorn.run(create_app(settings, root_path=root_path), **common)
        return
    # several processes import the app by name and read their settings from the environment
    os.environ.update({"SAHELRISK_OUT": str(out.resolve()), "SAHELRISK_DATA": str(settings.data_dir.resolve()),
                       "SAHELRISK_MLRUNS": str(settings.mlruns), "SAHELRISK_ROOT_PATH": root_path,
                       **({"MLFLOW_TRACKING_URI": settings.tracking_uri} if settings.tracking_uri else {})})
    uvicorn.run(factory, factory=True, workers=workers, **common)
