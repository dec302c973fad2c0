"""The country registry: codes, the names sources use, bounding boxes."""

from __future__ import annotations

import tomllib
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from sahelrisk.errors import SpecError

__all__ = ["Country", "get_country", "country_codes", "to_iso3", "in_scope", "known_countries", "iso3_from_name", "iso3_from_gw",
           "iso3_from_iso2", "normalize_name"]


@dataclass(frozen=True)
class Country:
    """A country the project knows: its codes, names in several spellings, bounding box and Gleditsch-Ward number."""

    iso3: str
    iso2: str
    names: tuple[str, ...]
    bbox: tuple[float, float, float, float]  # min lon, min lat, max lon, max lat
    gw: int | None = None


def normalize_name(name: str) -> str:
    """Lower-case ASCII form of a place name, for joins across sources that spell differently."""
    text = unicodedata.normalize("NFKD", str(name)).encode("ascii", "ignore").decode()
    return " ".join(text.lower().replace("-", " ").replace("'", " ").split())


@lru_cache(maxsize=1)
def known_countries() -> dict[str, Country]:
    """Every country of ``countries.toml``, by ISO3 code."""
    raw = tomllib.loads(resources.files(__package__).joinpath("countries.toml").read_text("utf-8"))
    return {c["iso3"]: Country(iso3=c["iso3"], iso2=c["iso2"], names=tuple(c["names"]),
                               bbox=tuple(c["bbox"]), gw=c.get("gw"))
            for c in raw["country"]}


def get_country(iso3: str) -> Country:
    """One country by ISO3 code, or a one-line error listing the known ones."""
    try:
        return known_countries()[iso3]
    except KeyError:
        raise SpecError(f"unknown country code {iso3!r}; known: {', '.join(sorted(known_countries()))}. "
                          "Add it to sahelrisk/countries.toml") from None


def country_codes(value: object, name: str = "countries") -> set[str] | None:
    """ISO3 codes from what a caller passes: None (every country), one code or ``"MLI,BFA"``, or a
    list of codes; each checked. A string is never read letter by letter."""
    if value is None:
        return None
    if isinstance(value, str):
        value = value.split(",")
    try:
        codes = [str(code).strip().upper() for code in value if str(code).strip()]  # type: ignore[attr-defined]
    except TypeError:
        raise SpecError(f"{name} must be ISO3 codes, e.g. ['MLI', 'BFA'] or 'MLI', not {value!r}") from None
    if not codes:
        raise SpecError(f"{name} is empty; give ISO3 codes, e.g. ['MLI', 'BFA'], or None for every country")
    return {get_country(code).iso3 for code in codes}


@lru_cache(maxsize=1)
def _name_index() -> dict[str, str]:
    return {normalize_name(n): c.iso3 for c in known_countries().values() for n in c.names}


def iso3_from_name(name: str) -> str | None:
    """The ISO3 code of a country name in any of its spellings (accents and case ignored)."""
    return _name_index().get(normalize_name(name))


def iso3_from_gw(gw: str | float | None) -> str | None:
    """The ISO3 code of a Gleditsch-Ward number (UCDP's country codes)."""
    by_gw = {c.gw: c.iso3 for c in known_countries().values() if c.gw is not None}
    if gw is None:
        return None
    try:
        return by_gw.get(int(gw))
    except (TypeError, ValueError):
        return None


def iso3_from_iso2(iso2: object) -> str | None:
    """The ISO3 code of an ISO2 code."""
    by_iso2 = {c.iso2: c.iso3 for c in known_countries().values()}
    return by_iso2.get(str(iso2).upper())


def to_iso3(values: Iterable[object] | pd.Series) -> pd.Series:
    """ISO3 codes from a Series of ISO3 codes, ISO2 codes or country names; NA where unknown."""
    known = known_countries()

    def one(value: object) -> str | None:
        if not isinstance(value, str) or not value.strip():
            return None
        text = value.strip()
        if text.upper() in known:
            return text.upper()
        if len(text) == 2:
            return iso3_from_iso2(text)
        return iso3_from_name(text)

    return pd.Series(values).map(one).astype("string")


def in_scope(iso3: Iterable[object] | pd.Series, countries: Iterable[str] | None = None) -> pd.Series:
    """Rows to keep: country in ``countries``, or in the registry when ``countries`` is None."""
    allowed = set(known_countries()) if countries is None else set(countries)
    return pd.Series(iso3).isin(sorted(allowed)).fillna(False).astype(bool)
