"""Feature-set specs: which units, which weeks, which builders with which options.

Declared in TOML under ``features/`` and read through a strict schema (:mod:`sahelrisk.specs`):
an unknown section, key or builder option is an error with the closest valid name. The spec
holds no "now": ``[period] end`` is optional and defaults to the last week the data supports.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from datetime import date
from functools import cache
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Mapping, Optional

import pandas as pd
from pydantic import Field, create_model, field_validator

from sahelrisk.calendar import DateLike, parse_week
from sahelrisk.countries import get_country
from sahelrisk.errors import SpecError
from sahelrisk.specs import StrictModel, parse_spec, parse_toml_text
from sahelrisk.units import SUPPORTED_RESOLUTIONS

__all__ = ["PanelSpec", "load_spec", "spec_from_text", "spec_from_json"]

_UNIT_KINDS = ("grid", "adm1", "adm2")
WHAT = "feature spec"


class UnitsSection(StrictModel):
    kind: Literal["grid", "adm1", "adm2"]
    resolution: Optional[float] = None
    countries: Annotated[list[str], Field(min_length=1)]

    @field_validator("resolution")
    @classmethod
    def _supported(cls, value: float | None) -> float | None:
        if value is not None and value not in SUPPORTED_RESOLUTIONS:
            raise ValueError(f"use one of {SUPPORTED_RESOLUTIONS} (degrees)")
        return value


class EventsSection(StrictModel):
    sources: Annotated[list[Literal["ucdp", "acled"]], Field(min_length=1)] = ["ucdp"]


class PeriodSection(StrictModel):
    start: date
    end: Optional[date] = None
    reporting_lag_weeks: Annotated[int, Field(ge=0, le=52)] = 0


@cache
def _builders_schema() -> type[StrictModel]:
    """One optional section per registered builder, each with that builder's options."""
    from sahelrisk.features.base import OPTIONS

    def option_type(default: object) -> Any:
        if isinstance(default, list):
            numbers: type = float if any(isinstance(v, float) for v in default) else int
            return list[Annotated[numbers, Field(gt=0)]]  # type: ignore[valid-type]
        return type(default)

    sections: dict[str, Any] = {}
    for theme, defaults in OPTIONS.items():
        fields: dict[str, Any] = {key: (Optional[option_type(value)], None) for key, value in defaults.items()}
        sections[theme] = (Optional[create_model(f"{theme}_options", __base__=StrictModel, **fields)], None)
    return create_model("builders", __base__=StrictModel, **sections)


@cache
def _file_schema() -> type[StrictModel]:
    """The feature spec file: its sections, each strict (an unknown key is an error)."""
    return create_model("FeatureSpecFile", __base__=StrictModel, name=(Optional[str], None),
                        units=(UnitsSection, ...), period=(PeriodSection, ...),
                        events=(EventsSection, EventsSection()), builders=(_builders_schema(), ...))


@dataclass(frozen=True)
class PanelSpec:
    """A feature set: its units, countries, first week, builders and their options.

    Attributes
    ----------
    name : str
        The spec's name (the file's stem unless ``name`` is given).
    units : {"grid", "adm1", "adm2"}
        The spatial unit level.
    countries : tuple of str
        ISO3 codes in scope.
    start : date
        The first week (a Monday) of a panel built from the spec.
    end : date or None
        The last week; None means the last week the data supports.
    builders : mapping
        Theme -> the options given in the spec (builders add their defaults).
    resolution : float or None
        Cell size in degrees, for grid units.
    reporting_lag_weeks : int
        Features for week t use events dated up to week t - lag.
    sources : tuple of str
        The event source families the features read (``[events] sources``, default UCDP alone).
    """

    name: str
    units: str
    countries: tuple[str, ...]
    start: date
    end: date | None
    builders: Mapping[str, Mapping]
    # No defaults here: they live once, in the schema above (a spec file is the only way in).
    resolution: float | None
    reporting_lag_weeks: int
    sources: tuple[str, ...]
    origin: str = "<spec>"
    text: str = field(default="", repr=False, compare=False)

    def __post_init__(self) -> None:
        where = f"{WHAT} {self.origin}"
        if self.units not in _UNIT_KINDS:
            raise SpecError(f"{where}: [units] kind = {self.units!r} is invalid; use one of {_UNIT_KINDS}")
        if self.units == "grid" and self.resolution not in SUPPORTED_RESOLUTIONS:
            raise SpecError(f"{where}: [units] resolution = {self.resolution} is invalid for grid units; "
                            f"use one of {SUPPORTED_RESOLUTIONS}")
        for code in self.countries:
            get_country(code)
        if self.end is not None and self.end < self.start:
            raise SpecError(f"{where}: [period] end = {self.end} is before start = {self.start}")
        if not self.builders:
            raise SpecError(f"{where}: no [builders.*] section; add at least [builders.conflict]")
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

    def with_period(self, start: DateLike | None = None, end: DateLike | None = None) -> "PanelSpec":
        """The same spec over other weeks."""
        end = end if end is not None else self.end
        return replace(self, start=pd.Timestamp(start or self.start).date(),
                       end=None if end is None else pd.Timestamp(end).date())

    def to_json(self) -> str:
        """The spec as JSON (logged with every model)."""
        return json.dumps({"name": self.name, "units": self.units, "resolution": self.resolution,
                           "countries": list(self.countries), "start": str(self.start), "end": str(self.end),
                           "reporting_lag_weeks": self.reporting_lag_weeks, "sources": list(self.sources),
                           "builders": {k: dict(v) for k, v in self.builders.items()}}, sort_keys=True)


def load_spec(path: str | Path) -> PanelSpec:
    """Read a feature spec TOML file.

    Parameters
    ----------
    path : str or Path
        The spec, e.g. ``features/default.toml``.

    Returns
    -------
    PanelSpec

    Raises
    ------
    SpecError
        The file is missing, is not TOML, or has an unknown or invalid section, key or value.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{WHAT} {path} not found; the shipped specs are in features/ (e.g. features/default.toml)")
    return spec_from_text(path.read_text("utf-8"), path)


def spec_from_text(text: str, path: str | Path = "<text>") -> PanelSpec:
    """A spec from its TOML text (e.g. the copy logged with a model); see :func:`load_spec`."""
    path = Path(path)
    raw = parse_toml_text(text, path, WHAT)
    spec = parse_spec(_file_schema(), raw, path, WHAT)
    builders = {theme: section for theme, section in raw.get("builders", {}).items()}
    return PanelSpec(name=spec.name or path.stem, units=spec.units.kind, resolution=spec.units.resolution,
                     countries=tuple(spec.units.countries), start=parse_week(spec.period.start, "[period] start").date(),
                     end=None if spec.period.end is None else parse_week(spec.period.end, "[period] end").date(),
                     reporting_lag_weeks=spec.period.reporting_lag_weeks, sources=tuple(spec.events.sources),
                     builders=builders, origin=str(path),
                     text=text)


def spec_from_json(data: Mapping) -> PanelSpec:
    """The spec a model or a published week recorded (:meth:`PanelSpec.to_json`, read back).

    Parameters
    ----------
    data : mapping
        The recorded fields (``name``, ``units``, ``countries``, ``start``, ``builders``...).

    Returns
    -------
    PanelSpec

    Raises
    ------
    SpecError
        A field is missing or invalid.
    """
    try:
        end = data.get("end")
        return PanelSpec(name=str(data["name"]), units=str(data["units"]), resolution=data.get("resolution"),
                         countries=tuple(data["countries"]), start=parse_week(data["start"], "start").date(),
                         end=None if end in (None, "None") else parse_week(end, "end").date(),
                         builders=dict(data["builders"]), reporting_lag_weeks=int(data["reporting_lag_weeks"]),
                         sources=tuple(data.get("sources", ("ucdp",))), origin="<recorded feature spec>")
    except (KeyError, TypeError, ValueError) as e:
        raise SpecError(f"the recorded feature spec lacks or mistypes {e}; it was written by another sahelrisk") from None
