"""A registered model with its identity: what it forecasts, how far ahead, on which units, from
which features, with the maps and deaths model that were logged beside it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from sahelrisk.errors import ModelNotFoundError, SpecError
from sahelrisk.evaluation.areas import AreaCalibration
from sahelrisk.features.spec import PanelSpec, spec_from_text
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.severity import SeverityModel
from sahelrisk.registry import tracking

__all__ = ["LoadedModel", "load_model", "DEFAULT_SPEC", "AREA_CALIBRATION_ARTIFACT", "SEVERITY_ARTIFACT",
           "IDENTITY_ARTIFACT"]

DEFAULT_SPEC = "training/default.toml"
AREA_CALIBRATION_ARTIFACT = "area_calibration.json"
SEVERITY_ARTIFACT = "severity.json"
IDENTITY_ARTIFACT = "spec/identity.json"


@dataclass
class LoadedModel:
    """A registered model with its identity: what it forecasts, how far ahead, on which units.

    Attributes
    ----------
    model : fitted estimator
        The registered estimator (the blend, or the boosted-trees model alone).
    name, version, run_id : str
        Registry name and version, and the MLflow run that trained it.
    spec : PanelSpec
        The feature spec it was trained on.
    identity : dict
        ``registered_model``, ``target``, ``horizon_weeks``, ``units``, ``as_of``, ``data_end``...
    area_calibration : AreaCalibration or None
        The map from an area's independence score to its probability (None: a model trained
        before areas were calibrated; areas then use the independence formula).
    severity : SeverityModel or None
        The count part of the deaths forecast (None: a model trained before it; no death columns).
    metrics : dict
        The run's logged backtest metrics.
    """

    model: RiskModel | BlendedModel
    name: str
    version: str
    run_id: str
    spec: PanelSpec
    metrics: dict
    identity: dict = field(default_factory=dict)
    area_calibration: AreaCalibration | None = None
    severity: SeverityModel | None = None

    @property
    def horizon_weeks(self) -> int:
        """Weeks ahead the model forecasts."""
        return int(self.identity["horizon_weeks"])

    @property
    def units(self) -> str:
        """The units it was trained on: ``grid``, ``adm1`` or ``adm2``."""
        return self.identity["units"]

    @property
    def target(self) -> str:
        """The target column it forecasts, e.g. ``target_any_fatal_4w``."""
        return self.identity["target"]

    @property
    def countries(self) -> tuple[str, ...]:
        """The countries (ISO3) it was trained on."""
        return tuple(self.identity.get("countries") or self.spec.countries)

    def check_scores(self, horizon_weeks: int | None = None, units: str | None = None,
                     countries: Iterable[str] | None = None) -> None:
        """Raise :class:`SpecError` when asked for a horizon, unit level or country the model was not
        trained for."""
        unknown = sorted(set(countries) - set(self.countries)) if countries else []
        if unknown:
            raise SpecError(f"model {self.name} v{self.version} was trained on {', '.join(self.countries)} and cannot "
                            f"score {', '.join(unknown)}; use a model trained on a feature spec that covers "
                            f"{'them' if len(unknown) > 1 else 'it'} (training/west_africa.toml: the eight UEMOA "
                            "countries)")
        if horizon_weeks is not None and int(horizon_weeks) != self.horizon_weeks:
            raise SpecError(f"model {self.name} v{self.version} forecasts {self.horizon_weeks} weeks ahead, not "
                            f"{horizon_weeks}; score with horizon_weeks={self.horizon_weeks} or train a model for "
                            f"{horizon_weeks} weeks (a training spec with [target] horizon_weeks = {horizon_weeks})")
        if units is not None and units in ("grid", "adm1", "adm2") and units != self.units \
                and not (self.units == "grid" and units in ("adm1", "adm2")):
            raise SpecError(f"model {self.name} v{self.version} is trained on {self.units} units and cannot score "
                            f"{units} units; use a model trained with a {units} feature spec")


def _registered_name(spec: str | Path, name: str | None) -> str:
    if name:
        return name
    from sahelrisk.modeling.spec import load_training_spec
    return load_training_spec(spec).registered_model


def load_model(model: str = "champion", spec: str | Path = DEFAULT_SPEC, *, name: str | None = None,
               tracking_uri: str | None = None, mlruns: str | Path = "mlruns") -> LoadedModel:
    """A registered model by alias or version, with the spec and identity it was trained with.

    Parameters
    ----------
    model : str
        A registry alias (``"champion"``) or a version number.
    spec : str or Path
        The training spec whose ``registered_model`` names the model.
    name : str, optional
        The registered name itself, instead of reading it from ``spec``.
    tracking_uri, mlruns
        The MLflow store (default SQLite under ``mlruns/``).

    Returns
    -------
    LoadedModel

    Raises
    ------
    ModelNotFoundError
        No such model, alias or version, or the model was logged without its identity.
    """
    tracking.configure(tracking_uri, mlruns)
    name = _registered_name(spec, name)
    version = str(model) if str(model).isdigit() else None
    fitted, ref = tracking.load_risk_model(name, alias=None if version else str(model), version=version)
    try:
        identity = json.loads(tracking.load_run_text(ref.run_id, IDENTITY_ARTIFACT))
    except ModelNotFoundError:
        raise ModelNotFoundError(f"model {name} v{ref.version} was logged without its identity (target, horizon, "
                                 "units) by an older sahelrisk; retrain it with 'sahelrisk train --register'") from None
    panel_spec = spec_from_text(tracking.load_run_text(ref.run_id, "spec/features.toml"), f"<{name} v{ref.version}>")
    try:
        calibration = AreaCalibration(json.loads(tracking.load_run_text(ref.run_id, AREA_CALIBRATION_ARTIFACT)))
    except ModelNotFoundError:
        calibration = None
    try:
        severity = SeverityModel.from_dict(json.loads(tracking.load_run_text(ref.run_id, SEVERITY_ARTIFACT)))
    except ModelNotFoundError:
        severity = None     # a model trained before the deaths forecast: probabilities only
    return LoadedModel(fitted, name, ref.version, ref.run_id, panel_spec, ref.metrics, identity, calibration, severity)
