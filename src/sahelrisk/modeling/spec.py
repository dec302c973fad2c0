"""Training and backtest specs (``training/*.toml``) read into a frozen, validated object."""

from __future__ import annotations

import fnmatch
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from sahelrisk.errors import ConfigError
from sahelrisk.features.spec import PanelSpec, load_spec
from sahelrisk.features.targets import TARGET_KINDS, last_observed_origin, target_column
from sahelrisk.modeling.baselines import BASELINES
from sahelrisk.modeling.blend import BlendedModel
from sahelrisk.modeling.boosted import RiskModel
from sahelrisk.modeling.folds import RollingOrigin

__all__ = ["TrainingSpec", "load_training_spec"]

BLEND_KEYS = ("glm_include", "glm_C", "baseline")


@dataclass(frozen=True)
class TrainingSpec:
    name: str
    features: PanelSpec
    registered_model: str
    as_of: date
    data_end: date
    target_kind: str
    horizon: int
    report_horizons: tuple[int, ...]
    backtest: Mapping
    model: Mapping
    baselines: tuple[str, ...]
    model_features: tuple[str, ...] = ()
    blend: Mapping = field(default_factory=dict)
    promotion_metric: str = "ap"
    min_improvement: float = 0.0
    origin: str = "<spec>"
    text: str = field(default="", repr=False, compare=False)

    def __post_init__(self):
        where = f"training spec {self.origin}"
        if self.target_kind not in TARGET_KINDS:
            raise ConfigError(f"{where}: target.kind {self.target_kind!r} unknown; use one of {TARGET_KINDS}")
        if self.target_kind == "fatalities":
            raise ConfigError(f"{where}: the fatalities target is a count; the risk model forecasts any_fatal or civilian")
        unknown = sorted(set(self.baselines) - set(BASELINES))
        if unknown:
            raise ConfigError(f"{where}: unknown baseline(s) {unknown}; known: {list(BASELINES)}")
        RiskModel(**dict(self.model))._validate()
        unknown = sorted(set(self.blend) - set(BLEND_KEYS))
        if unknown:
            raise ConfigError(f"{where}: [blend] has unknown key(s) {unknown}; known: {sorted(BLEND_KEYS)}")
        if self.blend and not self.blend.get("glm_include"):
            raise ConfigError(f"{where}: [blend] needs glm_include, the columns of the logistic member")
        if self.blend.get("baseline", "decay_neighbours") not in BASELINES:
            raise ConfigError(f"{where}: [blend] baseline {self.blend['baseline']!r} unknown; known: {list(BASELINES)}")
        glm_c = self.blend.get("glm_C", 1.0)
        if isinstance(glm_c, bool) or not isinstance(glm_c, (int, float)) or glm_c <= 0:
            raise ConfigError(f"{where}: [blend] glm_C must be a positive number (inverse penalty), got {glm_c!r}")
        object.__setattr__(self, "backtest", MappingProxyType(dict(self.backtest)))
        object.__setattr__(self, "model", MappingProxyType(dict(self.model)))
        object.__setattr__(self, "blend", MappingProxyType(dict(self.blend)))
        self.splitter()  # validates the backtest section now, not at fold 7

    def select_features(self, columns: list[str]) -> list[str]:
        """The panel columns LightGBM reads: those matching ``[model_features] include`` (all if empty)."""
        return self._match(columns, self.model_features, "[model_features] include")

    def _match(self, columns: list[str], patterns: tuple[str, ...], where: str) -> list[str]:
        if not patterns:
            return list(columns)
        chosen = [c for c in columns if any(fnmatch.fnmatchcase(c, pattern) for pattern in patterns)]
        unmatched = [p for p in patterns if not any(fnmatch.fnmatchcase(c, p) for c in columns)]
        if unmatched:
            raise ConfigError(f"training spec {self.origin}: {where} {unmatched} match no column of "
                              f"the {self.features.name!r} feature spec; check the names (e.g. conflict_events_hl26w)")
        return chosen

    def model_columns(self, columns: list[str], horizon: int | None = None) -> list[str]:
        """The panel columns the estimator of :meth:`make_model` reads."""
        if not self.blend:
            return self.select_features(columns)
        return self.make_model(columns, horizon).columns()

    def make_model(self, columns: list[str], horizon: int | None = None):
        """The estimator this spec trains, for a panel with ``columns``: LightGBM alone, or the
        blend of ``[blend]`` (LightGBM, the logistic intensity model and a calibrated baseline)."""
        if not self.blend:
            return RiskModel(**dict(self.model))
        glm = self._match(columns, tuple(self.blend["glm_include"]), "[blend] glm_include")
        return BlendedModel(model_params=dict(self.model), model_columns=tuple(self.select_features(columns)),
                            glm_columns=tuple(glm), glm_C=float(self.blend.get("glm_C", 1.0)),
                            baseline=self.blend.get("baseline", "decay_neighbours"), horizon=horizon or self.horizon)

    @property
    def target(self) -> str:
        return target_column(self.target_kind, self.horizon)

    def splitter(self, horizon: int | None = None) -> RollingOrigin:
        h = horizon or self.horizon
        raw = dict(self.backtest)
        last = raw.pop("last_origin", "last_observed")
        last = last_observed_origin(self.data_end, h) if last == "last_observed" else pd.Timestamp(last)
        try:
            return RollingOrigin(first_origin=pd.Timestamp(raw.pop("first_origin")), last_origin=last, horizon=h,
                                 train_start=pd.Timestamp(raw.pop("train_start")), **raw)
        except (KeyError, TypeError) as e:
            raise ConfigError(f"training spec {self.origin}: [backtest] is incomplete or has an unknown key ({e}); "
                              "it needs first_origin and train_start") from e


def load_training_spec(path: str | Path) -> TrainingSpec:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"training spec {path} not found; the shipped one is training/default.toml")
    text = path.read_text("utf-8")
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"training spec {path} is not valid TOML: {e}") from e
    try:
        data, target = raw["data"], raw["target"]
        features = load_spec((path.parent / raw["features"]).resolve())
        return TrainingSpec(
            name=raw.get("name", path.stem), features=features, registered_model=raw["registered_model"],
            as_of=date.fromisoformat(str(data["as_of"])), data_end=date.fromisoformat(str(data["data_end"])),
            target_kind=target["kind"], horizon=int(target["horizon_weeks"]),
            report_horizons=tuple(int(h) for h in target.get("report_horizons", [target["horizon_weeks"]])),
            backtest=raw["backtest"], model=raw.get("model", {}),
            baselines=tuple(raw.get("baselines", {}).get("names", BASELINES)),
            model_features=tuple(raw.get("model_features", {}).get("include", ())),
            blend=raw.get("blend", {}),
            promotion_metric=raw.get("promotion", {}).get("metric", "ap"),
            min_improvement=float(raw.get("promotion", {}).get("min_improvement", 0.0)),
            origin=str(path), text=text)
    except KeyError as e:
        raise ConfigError(f"training spec {path}: missing {e.args[0]!r}; see training/default.toml for every field") from e
    except ValueError as e:
        raise ConfigError(f"training spec {path}: {e}") from e
