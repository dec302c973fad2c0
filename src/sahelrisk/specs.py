"""Strict TOML specs: a file read into a typed pydantic model, or one line that says what is wrong.

Every spec (feature spec, training spec, catalog) declares its sections and keys as a
:class:`StrictModel`. An unknown section or key is an error naming the file, the section, the key
and the closest valid key; a wrong value names the file, section, key, value and what is allowed.
Nothing is silently ignored, so a typo never turns into a default.
"""

from __future__ import annotations

import difflib
import tomllib
import typing
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from sahelrisk.errors import SpecError

__all__ = ["StrictModel", "read_toml", "parse_spec", "closest"]


class StrictModel(BaseModel):
    """A spec section: unknown keys are errors, values are validated and frozen."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def closest(word: str, choices: Iterable[str]) -> str:
    """`` (did you mean 'x'?)`` for the nearest of ``choices``, or the list of choices."""
    choices = sorted(str(c) for c in choices)
    match = difflib.get_close_matches(str(word), choices, n=1, cutoff=0.6)
    if match:
        return f"; did you mean {match[0]!r}?"
    return f"; valid keys: {', '.join(choices)}" if choices else ""


def read_toml(path: str | Path, what: str, hint: str = "") -> dict:
    """The TOML file at ``path`` as a dict; a missing or malformed file is a :class:`SpecError`.

    Parameters
    ----------
    path : str or Path
        The file.
    what : str
        What the file is, for messages ("feature spec").
    hint : str
        Appended to the not-found message (e.g. where the shipped files are).

    Raises
    ------
    SpecError
        The file does not exist or is not valid TOML.
    """
    path = Path(path)
    if not path.is_file():
        raise SpecError(f"{what} {path} not found{'; ' + hint if hint else ''}")
    return parse_toml_text(path.read_text("utf-8"), path, what)


def parse_toml_text(text: str, origin: object, what: str) -> dict:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise SpecError(f"{what} {origin} is not valid TOML: {e}") from None


def _model_of(annotation: Any) -> list[type[BaseModel]]:
    """The StrictModel classes an annotation can hold (through Optional, unions, dicts and lists)."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    found = []
    for arg in typing.get_args(annotation):
        found.extend(_model_of(arg))
    return found


def _keys_at(model: type[BaseModel], loc: tuple) -> list[str]:
    """The valid keys of the section at ``loc`` (empty when it is not a section)."""
    current = [model]
    for part in loc:
        if isinstance(part, int):
            continue
        inner = [sub for m in current if part in m.model_fields
                 for sub in _model_of(m.model_fields[part].annotation)]
        current = inner or current  # no field of that name: an entry of a table of sections
    return sorted({k for m in current for k in m.model_fields})


def _where(loc: tuple) -> tuple[str, str]:
    """(section, key) for messages: ``("[backtest]", "first_origin")``."""
    names = [str(p) for p in loc if not isinstance(p, int)]
    if not names:
        return "top level", ""
    key = names[-1] + "".join(f"[{p}]" for p in loc[loc.index(names[-1]) + 1:] if isinstance(p, int))
    section = ".".join(names[:-1])
    return (f"[{section}]" if section else "top level"), key


def _describe(error: Mapping[str, Any], model: type[BaseModel]) -> str:
    loc = tuple(error["loc"])
    section, key = _where(loc)
    kind = error["type"]
    if kind == "extra_forbidden":
        place = "section" if isinstance(error.get("input"), dict) else "key"
        return f"{section}: unknown {place} {key!r}{closest(key, _keys_at(model, loc[:-1]))}"
    if kind == "missing":
        return f"{section}: {key!r} is missing; there is no default"
    value = error.get("input")
    if "[key]" in loc:  # the name of an entry in a table of sections (e.g. a dataset)
        section = f"[{'.'.join(str(p) for p in loc[:loc.index('[key]') - 1])}]"
        key = "name"
    message = error["msg"].removeprefix("Value error, ")
    message = message[0].lower() + message[1:]
    return f"{section}: {key} = {value!r} is invalid: {message}"


def parse_spec(model: type[BaseModel], raw: dict, origin: object, what: str) -> Any:
    """``raw`` validated into ``model``; the first problem raised as a one-line :class:`SpecError`.

    Parameters
    ----------
    model : type of StrictModel
        The spec's schema.
    raw : dict
        The parsed TOML.
    origin : str or Path
        Where it came from (the file), named in the message.
    what : str
        What the file is ("training spec").

    Returns
    -------
    StrictModel
        The validated spec.

    Raises
    ------
    SpecError
        With the file, section, key, the closest valid key or the allowed values.

    Examples
    --------
    >>> class Period(StrictModel):
    ...     reporting_lag_weeks: int = 0
    >>> parse_spec(Period, {"reporting_lag_week": 2}, "f.toml", "feature spec")
    Traceback (most recent call last):
    ...
    sahelrisk.errors.SpecError: feature spec f.toml: top level: unknown key 'reporting_lag_week'; did you mean 'reporting_lag_weeks'?
    """
    try:
        return model.model_validate(raw)
    except ValidationError as e:
        # A typo'd name shows as an unknown key and as a missing one: name the typo first.
        errors = sorted(e.errors(include_url=False), key=lambda err: err["type"] != "extra_forbidden")
        more = f" (and {len(errors) - 1} more problem{'s' if len(errors) > 2 else ''})" if len(errors) > 1 else ""
        raise SpecError(f"{what} {origin}: {_describe(errors[0], model)}{more}") from None

