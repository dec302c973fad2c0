"""The last champion a job loaded, kept on local disk with its identity, for the weeks the
tracking server cannot be reached: the weekly job then scores with it and publishes flagged,
and never writes the registry.

The cache lives in the job's output folder (``weekly/champion/``), not in ``models/``, which
holds model cards only. It is written whole or not at all.
"""

from __future__ import annotations

import hashlib
import json
import pickle
from pathlib import Path

from sahelrisk.errors import ModelNotFoundError
from sahelrisk.evaluation.areas import AreaCalibration
from sahelrisk.features.spec import spec_from_text
from sahelrisk.files import write_folder_atomic
from sahelrisk.modeling.severity import SeverityModel
from sahelrisk.registry.models import LoadedModel

__all__ = ["save_champion", "load_cached_champion", "cached_version"]

_META, _MODEL, _SPEC = "meta.json", "model.pkl", "features.toml"


def cached_version(folder: str | Path) -> tuple[str, str, str] | None:
    """The registered name, version and MLflow run held in ``folder``; None when there is no cache or
    its files are not the bytes it wrote (a cut or edited file: the job then keeps a fresh copy while
    the registry is up, so the copy is whole on the day it is needed)."""
    try:
        meta = json.loads((Path(folder) / _META).read_text())
        if meta.get("sha256") != _hashes(Path(folder)):
            return None
        return str(meta["name"]), str(meta["version"]), str(meta["run_id"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _hashes(folder: Path) -> dict[str, str]:
    """The SHA-256 of the model and spec files kept in ``folder``."""
    return {name: hashlib.sha256((folder / name).read_bytes()).hexdigest() for name in (_MODEL, _SPEC)}


def save_champion(loaded: LoadedModel, folder: str | Path) -> Path:
    """Keep ``loaded`` in ``folder``, replacing what was there (whole or not at all).

    Parameters
    ----------
    loaded : LoadedModel
        The champion as loaded from the registry.
    folder : str or Path
        The cache folder.

    Returns
    -------
    Path
        ``folder``.
    """
    def fill(tmp: Path) -> None:
        (tmp / _MODEL).write_bytes(pickle.dumps(loaded.model, protocol=pickle.HIGHEST_PROTOCOL))
        (tmp / _SPEC).write_text(loaded.spec.text, encoding="utf-8")
        meta = {"sha256": _hashes(tmp), "name": loaded.name, "version": loaded.version, "run_id": loaded.run_id, "metrics": loaded.metrics,
                "identity": loaded.identity,
                "area_calibration": loaded.area_calibration.to_dict() if loaded.area_calibration else None,
                "severity": loaded.severity.to_dict() if loaded.severity else None}
        (tmp / _META).write_text(json.dumps(meta, indent=2, default=str), encoding="utf-8")

    return write_folder_atomic(folder, fill)


def load_cached_champion(folder: str | Path, name: str) -> LoadedModel:
    """The champion kept in ``folder``, with its identity.

    Parameters
    ----------
    folder : str or Path
        The cache folder written by :func:`save_champion`.
    name : str
        The registered name the caller expects (a cache of another model is refused).

    Returns
    -------
    LoadedModel

    Raises
    ------
    ModelNotFoundError
        No cache, a damaged one, or one of another model.
    """
    folder = Path(folder)
    try:
        meta = json.loads((folder / _META).read_text())
        model = pickle.loads((folder / _MODEL).read_bytes())
        spec = spec_from_text((folder / _SPEC).read_text("utf-8"), folder / _SPEC)
    except FileNotFoundError:
        raise ModelNotFoundError(f"no cached champion in {folder}: the job has never loaded one from the registry; "
                                 "bring the tracking server back and run again") from None
    except Exception as e:  # noqa: BLE001 - a damaged cache fails in many ways: JSON, pickle, TOML
        raise ModelNotFoundError(f"the cached champion in {folder} cannot be read ({type(e).__name__}); bring the "
                                 "tracking server back and run again") from None
    if meta.get("name") != name:
        raise ModelNotFoundError(f"the cached champion in {folder} is {meta.get('name')!r}, not {name!r}; bring the "
                                 "tracking server back and run again")
    calibration = AreaCalibration(meta["area_calibration"]) if meta.get("area_calibration") else None
    severity = SeverityModel.from_dict(meta["severity"]) if meta.get("severity") else None
    return LoadedModel(model, meta["name"], str(meta["version"]), meta["run_id"], spec, meta.get("metrics") or {},
                       meta.get("identity") or {}, calibration, severity)
