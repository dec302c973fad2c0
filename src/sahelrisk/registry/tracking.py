"""MLflow, and only here: runs, metrics, artifacts, the model registry and its aliases.

The default store is embedded: a SQLite database and an artifact folder under ``mlruns/`` (no
server to start). Any tracking URI works instead (``--tracking-uri`` or ``MLFLOW_TRACKING_URI``),
including a remote ``mlflow server``.
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import mlflow
import mlflow.pyfunc
import pandas as pd
from mlflow.exceptions import MlflowException
from mlflow.pyfunc import PythonModel
from mlflow.tracking import MlflowClient

from sahelrisk.errors import ModelNotFoundError, TrackingUnavailableError

__all__ = ["RunLog", "log_run", "configure", "run", "log_params", "log_metrics", "log_text", "log_json", "log_figure", "log_file",
           "log_risk_model", "resume", "load_run_text", "set_alias", "load_risk_model", "champion", "ModelRef", "git_commit", "DEFAULT_ROOT",
           "relocate_store"]

DEFAULT_ROOT = Path("mlruns")
CHAMPION = "champion"


@dataclass(frozen=True)
class ModelRef:
    """A registered model version: its name, version and the run that logged it."""

    name: str
    version: str
    run_id: str
    metrics: dict

    @property
    def uri(self) -> str:
        """The registry's address of this version (``models:/<name>/<version>``)."""
        return f"models:/{self.name}/{self.version}"


_URI_VARIABLES = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")


def configure(tracking_uri: str | None = None, root: str | Path = DEFAULT_ROOT) -> str:
    """Point MLflow at ``tracking_uri``, else $MLFLOW_TRACKING_URI, else SQLite under ``root``.

    The variables stay as the user left them. MLflow copies the URI it is given into
    ``MLFLOW_TRACKING_URI`` for child processes. Those, and this process's next call, would then
    take our choice for the user's: a run would train in one store and look for its champion in
    another, and a test's ``sahelrisk`` child would register in a store the test did not give it.
    """
    users = {name: os.environ.get(name) for name in _URI_VARIABLES}
    uri = tracking_uri or users["MLFLOW_TRACKING_URI"]
    if not uri:
        root = Path(root).resolve()
        root.mkdir(parents=True, exist_ok=True)
        uri = f"sqlite:///{root / 'mlflow.db'}"
        relocate_store(root)
    if uri.startswith(("http://", "https://")):
        # MLflow's defaults retry an unreachable server for minutes; an unattended weekly job
        # should say so within a minute. A user's own settings win.
        for name, value in (("MLFLOW_HTTP_REQUEST_MAX_RETRIES", "2"), ("MLFLOW_HTTP_REQUEST_BACKOFF_FACTOR", "1"),
                            ("MLFLOW_HTTP_REQUEST_TIMEOUT", "20")):
            os.environ.setdefault(name, value)
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    for name, set_by_user in users.items():
        if set_by_user is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = set_by_user
    return uri


# Where MLflow records the location of artifacts in its SQLite store (absolute file URIs).
_LOCATION_COLUMNS = (("experiments", "artifact_location"), ("runs", "artifact_uri"),
                     ("logged_models", "artifact_location"), ("model_versions", "storage_location"),
                     ("model_versions", "source"))


def relocate_store(root: str | Path) -> int:
    """Point an embedded store copied or moved to ``root`` at its own artifacts.

    MLflow writes absolute paths (``file:///old/place/mlruns/artifacts/...``) into its database, so
    a moved ``mlruns/`` would load the old folder's models, or fail once it is gone. The paths
    under another folder's ``artifacts/`` are rewritten to ``root/artifacts/`` in one transaction.

    Returns
    -------
    int
        The number of values rewritten (0 when the store is where it was made, or new).
    """
    import sqlite3

    root = Path(root).resolve()
    database = root / "mlflow.db"
    if not database.is_file():
        return 0
    here = (root / "artifacts").as_uri()
    with contextlib.closing(sqlite3.connect(database, timeout=30)) as db, db:
        tables = {row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        if "experiments" not in tables:
            return 0
        old = {row[0][: -len("/artifacts")] for row in db.execute(
            "SELECT artifact_location FROM experiments WHERE artifact_location LIKE 'file://%/artifacts'")}
        old.discard(here[: -len("/artifacts")])
        changed = 0
        for prefix in old:
            for table, column in _LOCATION_COLUMNS:
                if table in tables:
                    changed += db.execute(
                        f"UPDATE {table} SET {column} = ? || substr({column}, ?) WHERE {column} LIKE ?",  # noqa: S608
                        (here, len(prefix + "/artifacts") + 1, prefix + "/artifacts%")).rowcount
        return changed


def _experiment(name: str, root: str | Path) -> str:
    client = MlflowClient()
    found = client.get_experiment_by_name(name)
    if found is not None:
        return found.experiment_id
    artifacts = None
    if mlflow.get_tracking_uri().startswith("sqlite:"):
        artifacts = (Path(root).resolve() / "artifacts").as_uri()
    return client.create_experiment(name, artifact_location=artifacts)


def git_commit(cwd: str | Path | None = None) -> str:
    """The checkout's commit (recorded with every run), or ``unknown`` outside a checkout."""
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, cwd=cwd,
                              check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


@contextlib.contextmanager
def run(experiment: str, run_name: str, tags: dict | None = None, root: str | Path = DEFAULT_ROOT) -> Iterator[str]:
    """A tracked run; yields its id."""
    try:
        experiment_id = _experiment(experiment, root)
    except MlflowException as e:
        detail = str(e.message).splitlines()[0][:200]
        raise TrackingUnavailableError(f"MLflow tracking at {mlflow.get_tracking_uri()} is not usable ({detail}). "
                                       "Check that the server runs, or --tracking-uri / MLFLOW_TRACKING_URI") from None
    with mlflow.start_run(experiment_id=experiment_id, run_name=run_name, tags=tags or {}) as active:
        yield active.info.run_id


@contextlib.contextmanager
def resume(run_id: str) -> Iterator[str]:
    """Log more to a finished run (e.g. the promotion decision, made after the model is logged)."""
    with mlflow.start_run(run_id=run_id):
        yield run_id


def log_params(params: dict) -> None:
    """Log parameters to the active run (lists and dicts as JSON, each at most 6,000 characters)."""
    flat = {k: (json.dumps(v) if isinstance(v, (list, dict, tuple)) else v) for k, v in params.items()}
    mlflow.log_params({k: str(v)[:6000] for k, v in flat.items()})


def log_metrics(metrics: dict, prefix: str = "") -> None:
    """Log the numeric, non-missing metrics to the active run, their names prefixed."""
    mlflow.log_metrics({f"{prefix}{k}": float(v) for k, v in metrics.items()
                        if isinstance(v, (int, float)) and pd.notna(v)})


def log_text(text: str, path: str) -> None:
    """Log a text artifact to the active run."""
    mlflow.log_text(text, path)


def log_json(data: object, path: str) -> None:
    """Log ``data`` as an indented JSON artifact to the active run."""
    mlflow.log_text(json.dumps(data, indent=2, default=str), path)


def log_figure(figure: Any, path: str) -> None:
    """Log a matplotlib figure to the active run."""
    mlflow.log_figure(figure, path)


def log_file(path: str | Path, folder: str | None = None) -> None:
    """Log a file to the active run, in ``folder`` of its artifacts."""
    mlflow.log_artifact(str(path), folder)


class _PyfuncRiskModel(PythonModel):
    """pyfunc face of a fitted estimator: predict() returns the calibrated probability.

    The type hints keep MLflow from printing a note on every load; the input is a frame of the
    feature columns, as the logged signature says."""

    def __init__(self, model: Any) -> None:
        self.model = model

    def predict(self, context: object, model_input: pd.DataFrame, params: dict | None = None) -> list[float]:
        return self.model.predict_proba(model_input)[:, 1].tolist()


def log_risk_model(model: Any, example: pd.DataFrame, registered_name: str | None = None) -> ModelRef | None:
    """Log the fitted model with its signature; register a new version when ``registered_name`` is given."""
    from mlflow.models import infer_signature
    example = example[model.feature_names_].head(50)
    signature = infer_signature(example, model.predict_proba(example)[:, 1])
    info = mlflow.pyfunc.log_model(name="model", python_model=_PyfuncRiskModel(model), signature=signature,
                                   input_example=example.head(5),
                                   pip_requirements=["lightgbm==4.7.0", "scikit-learn==1.9.1", "pandas==3.1.1"])
    if registered_name is None:
        return None
    version = mlflow.register_model(info.model_uri, registered_name)
    active = mlflow.active_run()
    if active is None:
        raise RuntimeError("log_risk_model is called inside a tracked run (tracking.run)")
    return ModelRef(registered_name, str(version.version), active.info.run_id, {})


def _unreachable(error: MlflowException) -> TrackingUnavailableError | None:
    """The store could not be reached or failed (as opposed to "no such model or alias")."""
    if getattr(error, "error_code", "") in ("RESOURCE_DOES_NOT_EXIST", "INVALID_PARAMETER_VALUE", "NOT_FOUND"):
        return None
    detail = str(error.message).splitlines()[0][:160]
    return TrackingUnavailableError(f"MLflow tracking at {mlflow.get_tracking_uri()} is not usable ({detail}). "
                                    "Check that the server runs, or --tracking-uri / MLFLOW_TRACKING_URI")


def set_alias(name: str, version: str, alias: str = CHAMPION) -> None:
    """Point the registry's ``alias`` of model ``name`` at ``version``."""
    MlflowClient().set_registered_model_alias(name, alias, version)


def champion(name: str, alias: str = CHAMPION) -> ModelRef | None:
    """The version an alias points to, with its run's metrics; None if there is none."""
    client = MlflowClient()
    try:
        version = client.get_model_version_by_alias(name, alias)
    except MlflowException as e:
        unreachable = _unreachable(e)
        if unreachable is not None:
            raise unreachable from None
        return None
    metrics = client.get_run(version.run_id).data.metrics if version.run_id else {}
    return ModelRef(name, str(version.version), version.run_id or "", dict(metrics))


def load_run_text(run_id: str, path: str) -> str:
    """A text artifact of a run (e.g. the feature spec a model was trained with)."""
    try:
        return mlflow.artifacts.load_text(f"runs:/{run_id}/{path}")
    except MlflowException as e:
        raise ModelNotFoundError(f"run {run_id} has no artifact {path!r}; was it logged by 'sahelrisk train'?") from e


def load_risk_model(name: str, alias: str | None = CHAMPION, version: str | None = None) -> tuple[Any, ModelRef]:
    """The RiskModel registered under ``name`` at ``alias`` (or ``version``), and its reference."""
    client = MlflowClient()
    try:
        mv = client.get_model_version(name, version) if version else client.get_model_version_by_alias(name, str(alias))
    except MlflowException as e:
        unreachable = _unreachable(e)
        if unreachable is not None:
            raise unreachable from None
        known = sorted({a for m in client.search_registered_models() if m.name == name for a in (m.aliases or {})})
        raise ModelNotFoundError(f"no model {name!r} at {'version ' + version if version else 'alias ' + repr(alias)} in "
                          f"the registry at {mlflow.get_tracking_uri()} (aliases of {name!r}: {known or 'none'}). "
                          "Train and register one with 'sahelrisk train --register'") from e
    try:
        loaded = mlflow.pyfunc.load_model(f"models:/{name}/{mv.version}")
    except Exception as e:  # noqa: BLE001 - a damaged artifact fails in many ways: pickle, YAML, missing file
        where = getattr(mv, "storage_location", None) or mv.source
        raise ModelNotFoundError(f"model {name} v{mv.version} cannot be loaded from {where} ({type(e).__name__}: "
                                 f"{str(e)[:200]}); its files are damaged or moved: retrain it with 'sahelrisk train "
                                 "--register' or restore mlruns/ from a backup") from None
    metrics = client.get_run(mv.run_id).data.metrics if mv.run_id else {}
    return loaded.unwrap_python_model().model, ModelRef(name, str(mv.version), mv.run_id or "", dict(metrics))


@dataclass
class RunLog:
    """Everything one tracked run records, gathered before MLflow is touched.

    Attributes
    ----------
    experiment, run_name : str
        Where the run goes and its name.
    tags, params, metrics : dict
        Flat name -> value (lists and dicts in ``params`` are logged as JSON).
    json, texts : dict
        Artifact path -> data (written as JSON) or text.
    files : dict
        Local path -> artifact folder.
    figures : dict
        Artifact path -> matplotlib figure.
    model : fitted estimator, optional
        Logged as the run's pyfunc model with ``example`` as its input example.
    registered_name : str, optional
        Register the model as a new version of this name.
    """

    experiment: str
    run_name: str
    tags: dict = field(default_factory=dict)
    params: dict = field(default_factory=dict)
    metrics: dict = field(default_factory=dict)
    json: dict = field(default_factory=dict)
    texts: dict = field(default_factory=dict)
    files: dict = field(default_factory=dict)
    figures: dict = field(default_factory=dict)
    model: Any = None
    example: pd.DataFrame | None = None
    registered_name: str | None = None


def log_run(entry: RunLog, root: str | Path = DEFAULT_ROOT) -> tuple[str, ModelRef | None]:
    """Log a whole run in one go; returns its id and the registered version (None: not registered)."""
    with run(entry.experiment, entry.run_name, tags=entry.tags, root=root) as run_id:
        log_params(entry.params)
        log_metrics(entry.metrics)
        for path, data in entry.json.items():
            log_json(data, path)
        for path, text in entry.texts.items():
            log_text(text, path)
        for local, folder in entry.files.items():
            log_file(local, folder)
        for path, figure in entry.figures.items():
            log_figure(figure, path)
        ref = None
        if entry.model is not None:
            ref = log_risk_model(entry.model, entry.example, entry.registered_name)
    return run_id, ref
