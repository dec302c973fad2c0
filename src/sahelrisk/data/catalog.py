"""The data catalog: which datasets exist, which loader reads them, where their files come from.

Declared in TOML (the packaged ``catalog.toml`` by default) and read into frozen objects that
validate on creation, so a typo in the catalog fails at start-up with the entry's name.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Annotated, Any, Literal, Mapping, Optional

from pydantic import Field

from sahelrisk.errors import SpecError
from sahelrisk.specs import StrictModel, parse_spec, parse_toml_text

__all__ = ["Catalog", "Dataset", "CatalogFile", "load_catalog"]

_DATASET_KEYS = {"title", "kind", "loader", "required", "licence", "official", "files"}
_FILE_KEYS = {"path", "sha256", "url"}


@dataclass(frozen=True)
class CatalogFile:
    """One file of a dataset: its path in the data folder, its official source and its checksum."""

    path: str
    sha256: str | None = None
    url: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if Path(self.path).is_absolute() or ".." in Path(self.path).parts:
            raise SpecError(f"catalog file path {self.path!r} must be relative to the data directory")
        if self.sha256 is not None and (len(self.sha256) != 64 or not all(c in "0123456789abcdef" for c in self.sha256)):
            raise SpecError(f"catalog file {self.path}: sha256 must be 64 lower-case hex digits")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


@dataclass(frozen=True)
class Dataset:
    """One dataset of the catalog: its kind, its files, licence, source, loader and the countries it covers."""

    name: str
    title: str
    kind: str
    loader: str
    files: tuple[CatalogFile, ...]
    required: bool = False
    licence: str = ""
    official: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.files:
            raise SpecError(f"catalog dataset {self.name!r} lists no files")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def written_by_update(self) -> bool:
        """Whether ``sahelrisk data update`` writes this dataset's files (none ships with sahelrisk)."""
        return self.options.get("written_by") == "data update"

    @property
    def countries(self) -> tuple[str, ...] | None:
        """The countries (ISO3) the dataset declares it covers; None where it declares none."""
        value = self.options.get("countries")
        return tuple(value) if value is not None else None

    @property
    def released(self) -> date | None:
        """The release date the catalog states, if any."""
        value = self.options.get("released")
        return date.fromisoformat(str(value)) if value is not None else None


@dataclass(frozen=True)
class Catalog:
    """Every dataset the project reads, by name (``catalog.toml``)."""

    datasets: Mapping[str, Dataset]
    origin: str = "<packaged catalog.toml>"

    def __getitem__(self, name: str) -> Dataset:
        try:
            return self.datasets[name]
        except KeyError:
            raise SpecError(f"no dataset {name!r} in the catalog ({self.origin}); "
                              f"known: {', '.join(self.datasets)}") from None

    def __iter__(self) -> Iterator[Dataset]:
        return iter(self.datasets.values())

    def of_kind(self, kind: str) -> list[Dataset]:
        """The datasets of one kind (``events``, ``admin``...), in the catalog's order."""
        return [d for d in self if d.kind == kind]

    def reporting_lags(self) -> dict[str, int]:
        """Each event source's declared reporting lag in weeks (``reporting_lag_weeks``, default 0):
        the last weeks of a source that reports late are not yet complete."""
        lags: dict[str, int] = {}
        for d in self.of_kind("events"):
            source = str(d.options.get("source", "ucdp_ged"))
            lags[source] = max(lags.get(source, 0), int(d.options.get("reporting_lag_weeks", 0)))
        return lags


class _FileEntry(StrictModel):
    path: str
    sha256: Optional[str] = None
    url: Optional[str] = None
    # loader options of one file
    country: Optional[str] = None
    fields: Optional[dict[str, str]] = None
    where: Optional[dict[str, Any]] = None
    layout: Optional[str] = None
    place_kind: Optional[str] = None
    site_kind: Optional[str] = None
    reference_date: Optional[date] = None


class _DatasetEntry(StrictModel):
    title: str
    kind: str
    loader: str
    files: Annotated[list[_FileEntry], Field(min_length=1)]
    required: bool = False
    licence: str = ""
    official: str = ""
    # loader options of the dataset
    source: Optional[str] = None
    release: Optional[str] = None
    released: Optional[date] = None
    gazetteer: Optional[str] = None
    level: Optional[Annotated[int, Field(ge=0, le=2)]] = None
    written_by: Optional[Literal["data update"]] = None
    reporting_lag_weeks: Optional[Annotated[int, Field(ge=0, le=52)]] = None
    # the countries (ISO3) the dataset's files cover; absent: any country they hold
    countries: Optional[Annotated[list[Annotated[str, Field(pattern=r"^[A-Z]{3}$")]], Field(min_length=1)]] = None


class _CatalogFile(StrictModel):
    datasets: dict[Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")], _DatasetEntry]


_DATASET_KEYS = {"title", "kind", "loader", "required", "licence", "official", "files"}
_FILE_KEYS = {"path", "sha256", "url"}


def _dataset(name: str, entry: _DatasetEntry, origin: str) -> Dataset:
    files = []
    for f in entry.files:
        given = f.model_dump(exclude_unset=True)
        files.append(CatalogFile(path=f.path, sha256=f.sha256, url=f.url,
                                 options={k: v for k, v in given.items() if k not in _FILE_KEYS}))
    options = {k: v for k, v in entry.model_dump(exclude_unset=True).items() if k not in _DATASET_KEYS}
    if "released" in options:
        options["released"] = str(options["released"])
    try:
        return Dataset(name=name, title=entry.title, kind=entry.kind, loader=entry.loader, files=tuple(files),
                       required=entry.required, licence=entry.licence, official=entry.official, options=options)
    except SpecError as e:
        raise SpecError(f"catalog {origin}: [datasets.{name}]: {e}") from None


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read a catalog TOML; without ``path`` the one shipped with sahelrisk.

    Parameters
    ----------
    path : str or Path, optional
        A catalog file laid out like the packaged ``catalog.toml``.

    Returns
    -------
    Catalog

    Raises
    ------
    SpecError
        The file is missing, is not TOML, has an unknown key, or a dataset name that is not an
        identifier (lower-case letters, digits and ``_``).
    """
    if path is None:
        text, origin = resources.files(__package__).joinpath("catalog.toml").read_text("utf-8"), "<packaged catalog.toml>"
    else:
        path = Path(path)
        if not path.is_file():
            raise SpecError(f"catalog {path} not found. Pass an existing TOML file or omit --catalog")
        text, origin = path.read_text("utf-8"), str(path)
    raw = parse_toml_text(text, origin, "catalog")
    parsed = parse_spec(_CatalogFile, raw, origin, "catalog")
    datasets = {name: _dataset(name, entry, origin) for name, entry in parsed.datasets.items()}
    return Catalog(datasets=MappingProxyType(datasets), origin=origin)
