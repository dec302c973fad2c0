"""The country registry: codes, the names sources use, bounding boxes."""

from __future__ import annotations

import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import pandas as pd

from sahelrisk.errors import SpecError

__all__ = ["Country", "get_country", "country_codes", "to_iso3", "in_scope", "known_countries", "iso3_from_name", "iso3_from_gw",
           "iso3_from_iso2", "normalize_name"]


@dataclass(frozen=True)
class Country:
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
    raw = tomllib.loads(resources.files(__package__).joinpath("countries.toml").read_text("utf-8"))
    return {c["iso3"]: Country(iso3=c["iso3"], iso2=c["iso2"], names=tuple(c["names"]),
                               bbox=tuple(c["bbox"]), gw=c.get("gw"))
            for c in raw["country"]}


def get_country(iso3: str) -> Country:
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


def iso3_from_name(name) -> str | None:
    return _name_index().get(normalize_name(name))


def iso3_from_gw(gw) -> str | None:
    by_gw = {c.gw: c.iso3 for c in known_countries().values() if c.gw is not None}
    try:
        return by_gw.get(int(gw))
    except (TypeError, ValueError):
        return None


def iso3_from_iso2(iso2) -> str | None:
    by_iso2 = {c.iso2: c.iso3 for c in known_countries().values()}
    return by_iso2.get(str(iso2).upper())


def to_iso3(values) -> pd.Series:
    """ISO3 codes from a Series of ISO3 codes, ISO2 codes or country names; NA where unknown."""
    known = known_countries()

    def one(value):
        if not isinstance(value, str) or not value.strip():
            return None
        text = value.strip()
        if text.upper() in known:
            return text.upper()
        if len(text) == 2:
            return iso3_from_iso2(text)
        return iso3_from_name(text)

    return pd.Series(values).map(one).astype("string")


def in_scope(iso3, countries=None) -> pd.Series:
    """Rows to keep: country in ``countries``, or in the registry when ``countries`` is None."""
    allowed = set(known_countries()) if countries is None else set(countries)
    return pd.Series(iso3).isin(sorted(allowed)).fillna(False).astype(bool)
