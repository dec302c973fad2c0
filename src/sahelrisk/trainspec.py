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

from .backtest import RollingOrigin
from .baselines import BASELINES
from .errors import ConfigError
from .features.spec import PanelSpec, load_spec
from .model import RiskModel
from .targets import TARGET_KINDS, last_observed_origin, target_column

__all__ = ["TrainingSpec", "load_training_spec"]


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
        object.__setattr__(self, "backtest", MappingProxyType(dict(self.backtest)))
        object.__setattr__(self, "model", MappingProxyType(dict(self.model)))
        self.splitter()  # validates the backtest section now, not at fold 7

    def select_features(self, columns: list[str]) -> list[str]:
        """The panel columns the model reads: those matching ``[model_features] include`` (all if empty)."""
        if not self.model_features:
            return list(columns)
        chosen = [c for c in columns if any(fnmatch.fnmatchcase(c, pattern) for pattern in self.model_features)]
        unmatched = [p for p in self.model_features if not any(fnmatch.fnmatchcase(c, p) for c in columns)]
        if unmatched:
            raise ConfigError(f"training spec {self.origin}: [model_features] include {unmatched} match no column of "
                              f"the {self.features.name!r} feature spec; check the names (e.g. conflict_events_hl26w)")
        return chosen

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
            promotion_metric=raw.get("promotion", {}).get("metric", "ap"),
            min_improvement=float(raw.get("promotion", {}).get("min_improvement", 0.0)),
            origin=str(path), text=text)
    except KeyError as e:
        raise ConfigError(f"training spec {path}: missing {e.args[0]!r}; see training/default.toml for every field") from e
    except ValueError as e:
        raise ConfigError(f"training spec {path}: {e}") from e
