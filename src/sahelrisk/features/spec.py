"""Feature-set specs: which units, which weeks, which builders with which options.

Declared in TOML under ``features/`` and read into a frozen object that validates on creation.
"""

from __future__ import annotations

import json
import tomllib
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import MappingProxyType
from typing import Mapping

import pandas as pd

from sahelrisk.calendar import week_of
from sahelrisk.countries import get_country
from sahelrisk.errors import ConfigError
from sahelrisk.units import SUPPORTED_RESOLUTIONS

__all__ = ["PanelSpec", "load_spec", "spec_from_text"]

_UNIT_KINDS = ("grid", "adm1", "adm2")


@dataclass(frozen=True)
class PanelSpec:
    name: str
    units: str
    countries: tuple[str, ...]
    start: date
    end: date
    builders: Mapping[str, Mapping]
    resolution: float | None = 0.5
    reporting_lag_weeks: int = 0
    origin: str = "<spec>"
    text: str = field(default="", repr=False, compare=False)

    def __post_init__(self):
        from sahelrisk.features import BUILDERS
        from sahelrisk.features.base import OPTIONS, check_options
        where = f"feature spec {self.origin}"
        if self.units not in _UNIT_KINDS:
            raise ConfigError(f"{where}: units.kind {self.units!r} unknown; use one of {_UNIT_KINDS}")
        if self.units == "grid" and self.resolution not in SUPPORTED_RESOLUTIONS:
            raise ConfigError(f"{where}: units.resolution {self.resolution} unsupported; use one of {SUPPORTED_RESOLUTIONS}")
        if not self.countries:
            raise ConfigError(f"{where}: units.countries is empty; list ISO3 codes, e.g. [\"MLI\", \"BFA\", \"NER\"]")
        for code in self.countries:
            get_country(code)
        if self.end < self.start:
            raise ConfigError(f"{where}: period.end {self.end} is before period.start {self.start}")
        if not isinstance(self.reporting_lag_weeks, int) or self.reporting_lag_weeks < 0:
            raise ConfigError(f"{where}: period.reporting_lag_weeks must be a whole number >= 0")
        unknown = sorted(set(self.builders) - set(BUILDERS))
        if unknown:
            raise ConfigError(f"{where}: unknown builder(s) {unknown}; known: {sorted(BUILDERS)}")
        if not self.builders:
            raise ConfigError(f"{where}: no [builders.*] section; add at least [builders.conflict]")
        for theme, options in self.builders.items():
            check_options(theme, dict(options), OPTIONS[theme])
        object.__setattr__(self, "builders", MappingProxyType({k: MappingProxyType(dict(v)) for k, v in self.builders.items()}))

    @property
    def max_window(self) -> int:
        """The longest look-back any builder uses, in weeks (sets how much history a panel needs)."""
        longest = 52
        for options in self.builders.values():
            for key, value in options.items():
                if key.endswith("windows") or key in ("half_lives", "change_weeks"):
                    longest = max([longest, *(int(v) for v in value)])
        return longest

    def with_period(self, start=None, end=None) -> "PanelSpec":
        from dataclasses import replace
        return replace(self, start=pd.Timestamp(start or self.start).date(), end=pd.Timestamp(end or self.end).date())

    def to_json(self) -> str:
        return json.dumps({"name": self.name, "units": self.units, "resolution": self.resolution,
                           "countries": list(self.countries), "start": str(self.start), "end": str(self.end),
                           "reporting_lag_weeks": self.reporting_lag_weeks,
                           "builders": {k: dict(v) for k, v in self.builders.items()}}, sort_keys=True)


def _date(raw, key: str, origin: str) -> date:
    try:
        return week_of(pd.Timestamp(str(raw[key]))).date()
    except KeyError:
        raise ConfigError(f"feature spec {origin}: [period] needs {key!r} (YYYY-MM-DD); there is no default") from None
    except ValueError as e:
        raise ConfigError(f"feature spec {origin}: period.{key} {raw[key]!r} is not a date") from e


def load_spec(path: str | Path) -> PanelSpec:
    path = Path(path)
    if not path.is_file():
        raise ConfigError(f"feature spec {path} not found; the shipped specs are in features/ (e.g. features/default.toml)")
    return spec_from_text(path.read_text("utf-8"), path)


def spec_from_text(text: str, path: str | Path = "<text>") -> PanelSpec:
    """A spec from its TOML text (e.g. the copy logged with a model)."""
    path = Path(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"feature spec {path} is not valid TOML: {e}") from e
    units, period = raw.get("units", {}), raw.get("period", {})
    for key in ("kind", "countries"):
        if key not in units:
            raise ConfigError(f"feature spec {path}: [units] needs {key!r}; there is no default")
    return PanelSpec(name=raw.get("name", path.stem), units=units["kind"], resolution=units.get("resolution"),
                     countries=tuple(units["countries"]), start=_date(period, "start", str(path)),
                     end=_date(period, "end", str(path)), reporting_lag_weeks=period.get("reporting_lag_weeks", 0),
                     builders=raw.get("builders", {}), origin=str(path), text=text)
