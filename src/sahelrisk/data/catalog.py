"""The data catalog: which datasets exist, which loader reads them, where their files come from.

Declared in TOML (the packaged ``catalog.toml`` by default) and read into frozen objects that
validate on creation, so a typo in the catalog fails at start-up with the entry's name.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Mapping

from sahelrisk.errors import ConfigError

__all__ = ["Catalog", "Dataset", "CatalogFile", "load_catalog"]

_DATASET_KEYS = {"title", "kind", "loader", "required", "licence", "official", "files"}
_FILE_KEYS = {"path", "sha256", "url"}


@dataclass(frozen=True)
class CatalogFile:
    path: str
    sha256: str | None = None
    url: str | None = None
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if Path(self.path).is_absolute() or ".." in Path(self.path).parts:
            raise ConfigError(f"catalog file path {self.path!r} must be relative to the data directory")
        if self.sha256 is not None and (len(self.sha256) != 64 or not all(c in "0123456789abcdef" for c in self.sha256)):
            raise ConfigError(f"catalog file {self.path}: sha256 must be 64 lower-case hex digits")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))


@dataclass(frozen=True)
class Dataset:
    name: str
    title: str
    kind: str
    loader: str
    files: tuple[CatalogFile, ...]
    required: bool = False
    licence: str = ""
    official: str = ""
    options: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self):
        if not self.files:
            raise ConfigError(f"catalog dataset {self.name!r} lists no files")
        object.__setattr__(self, "options", MappingProxyType(dict(self.options)))

    @property
    def released(self) -> date | None:
        value = self.options.get("released")
        return date.fromisoformat(str(value)) if value is not None else None


@dataclass(frozen=True)
class Catalog:
    datasets: Mapping[str, Dataset]
    origin: str = "<packaged catalog.toml>"

    def __getitem__(self, name: str) -> Dataset:
        try:
            return self.datasets[name]
        except KeyError:
            raise ConfigError(f"no dataset {name!r} in the catalog ({self.origin}); "
                              f"known: {', '.join(self.datasets)}") from None

    def __iter__(self):
        return iter(self.datasets.values())

    def of_kind(self, kind: str) -> list[Dataset]:
        return [d for d in self if d.kind == kind]


def _parse_dataset(name: str, raw: dict, origin: str) -> Dataset:
    for key in ("title", "kind", "loader", "files"):
        if key not in raw:
            raise ConfigError(f"{origin}: dataset {name!r} has no {key!r}")
    files = []
    for entry in raw["files"]:
        if "path" not in entry:
            raise ConfigError(f"{origin}: a file of dataset {name!r} has no 'path'")
        files.append(CatalogFile(path=entry["path"], sha256=entry.get("sha256"), url=entry.get("url"),
                                 options={k: v for k, v in entry.items() if k not in _FILE_KEYS}))
    try:
        return Dataset(name=name, title=raw["title"], kind=raw["kind"], loader=raw["loader"],
                       files=tuple(files), required=bool(raw.get("required", False)),
                       licence=raw.get("licence", ""), official=raw.get("official", ""),
                       options={k: v for k, v in raw.items() if k not in _DATASET_KEYS})
    except ConfigError as e:
        raise ConfigError(f"{origin}: {e}") from e


def load_catalog(path: str | Path | None = None) -> Catalog:
    """Read a catalog TOML; without ``path`` the one shipped with sahelrisk."""
    if path is None:
        text, origin = resources.files(__package__).joinpath("catalog.toml").read_text("utf-8"), "<packaged catalog.toml>"
    else:
        path = Path(path)
        if not path.is_file():
            raise ConfigError(f"catalog {path} not found. Pass an existing TOML file or omit --catalog")
        text, origin = path.read_text("utf-8"), str(path)
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{origin} is not valid TOML: {e}") from e
    datasets = {name: _parse_dataset(name, entry, origin) for name, entry in raw.get("datasets", {}).items()}
    return Catalog(datasets=MappingProxyType(datasets), origin=origin)
