"""Languages of what planners read: French and English.

Texts are written in English in the templates and the code and translated through a gettext
catalog (``locale/<lang>/LC_MESSAGES/sahelrisk.po``, kept in sync with ``pybabel extract`` and
``pybabel update``, see docs/explanation/outputs.md). Dates, numbers and percentages follow the language's own
conventions through Babel ("28 décembre 2023", "90 %").
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from importlib import resources
from typing import Any

import pandas as pd
from babel import Locale
from babel.dates import format_date as _babel_date
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.numbers import format_decimal, format_percent
from babel.support import NullTranslations, Translations

from sahelrisk.errors import SpecError

__all__ = ["LANGUAGES", "check_language", "translations", "gettext", "ngettext", "Formatter"]

LANGUAGES = ("fr", "en")
DOMAIN = "sahelrisk"


def check_language(lang: str) -> str:
    """``lang`` if it is one of :data:`LANGUAGES`, else a one-line error naming them."""
    if lang not in LANGUAGES:
        raise SpecError(f"unknown language {lang!r}; use one of {', '.join(LANGUAGES)}")
    return lang


@lru_cache(maxsize=None)
def translations(lang: str) -> NullTranslations:
    """The gettext translations of ``lang`` (English is the source language: no catalog)."""
    check_language(lang)
    if lang == "en":
        return NullTranslations()
    source = resources.files(__package__) / "locale" / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    with source.open("rb") as handle:
        catalog = read_po(handle, locale=lang, domain=DOMAIN)
    # Compiled in memory: the .po in the repository is the one source, no .mo to forget to rebuild.
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain=DOMAIN)


def gettext(lang: str, message: str, **params: Any) -> str:
    """``message`` in ``lang``, with ``%(name)s`` placeholders filled from ``params``."""
    text = translations(lang).gettext(message)
    return text % params if params else text


def ngettext(lang: str, singular: str, plural: str, n: int, **params: Any) -> str:
    """The singular or plural text for ``n`` in ``lang``, its ``%(name)s`` placeholders filled."""
    return translations(lang).ngettext(singular, plural, n) % {"n": n, **params}


class Formatter:
    """Dates, numbers, percentages and country names the way ``lang`` writes them."""

    def __init__(self, lang: str) -> None:
        self.lang = check_language(lang)
        self.locale = Locale.parse(lang)

    def date(self, value: Any, style: str = "long") -> str:
        """A date the language's way ("25 décembre 2023"); "-" for none."""
        if value is None or pd.isna(value):
            return "-"
        return _babel_date(pd.Timestamp(value).date(), format=style, locale=self.locale)

    def number(self, value: Any) -> str:
        """A number with the language's separators, one decimal under 10; "-" for none."""
        if value is None or pd.isna(value):
            return "-"
        value = float(value)
        return format_decimal(value, format="#,##0" if abs(value) >= 10 or value.is_integer() else "#,##0.0",
                              locale=self.locale)

    def percent(self, value: Any) -> str:
        """A probability as a percentage: whole points from 1 %, one decimal below."""
        if value is None or pd.isna(value):
            return "-"
        pattern = self.locale.percent_formats[None].pattern
        if 0 < abs(value) < 0.01:
            pattern = re.sub(r"0(?=[^0]*$)", "0.0", pattern, count=1)
        return format_percent(float(value), format=pattern, locale=self.locale)

    def decimal(self, value: Any, digits: int = 3) -> str:
        """A score (average precision, Brier) with ``digits`` decimals; "-" for none."""
        if value is None or pd.isna(value):
            return "-"
        return format_decimal(float(value), format="0." + "0" * digits, locale=self.locale)

    def points(self, value: Any) -> str:
        """A change of probability in percentage points, signed."""
        if value is None or pd.isna(value):
            return "-"
        number = format_decimal(abs(float(value)) * 100, format="0.0", locale=self.locale)
        return gettext(self.lang, "%(sign)s%(number)s pts", sign="+" if value >= 0 else "−", number=number)

    def country(self, iso2: str) -> str:
        """A country's name in the language, from its ISO2 code."""
        return self.locale.territories.get(str(iso2).upper(), str(iso2))
