"""Text from the data or a user's file, made safe for where it lands: one rule per renderer.

- HTML, attributes and the JavaScript of the maps: :func:`sahelrisk.publishing.maps.escape_text`
  (and Jinja2's autoescaping in the templates);
- spreadsheets: :func:`csv_safe` (the OWASP rule against formula injection);
- GeoJSON and JSON: :func:`geojson_text` (Python's JSON encoder);
- the console: Rich markup is escaped where it is printed (:mod:`sahelrisk.console`);
- matplotlib's text (mathtext reads ``$...$``): :func:`plot_text`;
- file and folder names: :func:`file_slug`.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

if TYPE_CHECKING:
    import geopandas as gpd

__all__ = ["csv_cell", "csv_safe", "write_csv", "write_geojson", "geojson_text", "plot_text", "file_slug", "distinct_slug", "FORMULA_START"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection)."""

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def csv_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'`` to stay text.

    Spreadsheets skip leading spaces and line breaks before ``=``, ``+``, ``-`` or ``@``, so those
    count too. Numbers, and text that is a plain number such as ``-0.5``, are left as they are.
    """
    if not isinstance(value, str):
        return value
    bare = value.lstrip()
    if (value.startswith(FORMULA_START) or bare.startswith(FORMULA_START)) and not _NUMBER.match(bare) \
            and bare != "-":
        return "'" + value
    return value


def csv_safe(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns went through :func:`csv_cell` (for ``to_csv``)."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object or pd.api.types.is_string_dtype(out[column]):
            out[column] = out[column].map(csv_cell)
    return out


def write_csv(frame: pd.DataFrame, path: str | Path) -> None:
    """Write ``frame`` as a CSV planners open in a spreadsheet: cells through :func:`csv_cell`, and
    CRLF line ends (RFC 4180), so a field holding a lone CR is quoted rather than read as a row end."""
    csv_safe(frame).to_csv(path, index=False, lineterminator="\r\n")


def _json_value(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def geojson_text(frame: gpd.GeoDataFrame) -> str:
    """A GeoDataFrame as GeoJSON text (RFC 7946: lon/lat; dates in ISO 8601; NaN as null)."""
    return frame.to_crs("EPSG:4326").to_json(drop_id=True, default=_json_value)


def write_geojson(frame: gpd.GeoDataFrame, path: str | Path) -> None:
    """Write :func:`geojson_text` through Python's own file I/O, so a full or read-only disk is an
    ``OSError`` naming its cause (GDAL's writer reports it as a feature it could not add)."""
    with open(path, "w", encoding="utf-8") as handle:
        handle.write(geojson_text(frame))


def plot_text(value: object) -> str:
    """Text for a matplotlib label: ``$`` escaped, so a name is never read as mathtext."""
    return str(value).replace("$", r"\$")


def file_slug(text: str, fallback: str = "unnamed", max_length: int = 80) -> str:
    """A file or folder name from a user's text: ASCII letters, digits, ``_`` and ``-`` only.

    It is never empty, ``.`` or ``..``, holds no separator, so it cannot reach outside the folder
    it is joined to.

    Examples
    --------
    >>> file_slug("Ségou, MLI / Niono")
    'segou_mli_niono'
    >>> file_slug("..")
    'unnamed'
    """
    ascii_text = unicodedata.normalize("NFKD", str(text)).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9-]+", "_", ascii_text).strip("_-")[:max_length].strip("_-")
    return slug or fallback


def distinct_slug(text: str, fallback: str = "unnamed", max_length: int = 80) -> str:
    """:func:`file_slug`, made distinct where the slug keeps too little of the text to tell names apart.

    A name in Arabic or Tifinagh script, or one of dots only, has no Latin letters to keep: two such
    names would share one folder and replace each other. Their slug gets a short hash of the whole
    text; a name whose letters and digits mostly survive keeps its readable slug alone.

    Examples
    --------
    >>> distinct_slug("Ségou-Niono-Sokolo")
    'segou-niono-sokolo'
    >>> distinct_slug("..", "route")
    'route-5ec1f7e7'
    """
    slug = file_slug(text, "", max_length)
    total = sum(c.isalnum() for c in str(text))
    if slug and 2 * sum(c.isalnum() for c in slug) >= total:
        return slug
    return f"{slug or fallback}-{hashlib.sha256(str(text).encode('utf-8')).hexdigest()[:8]}"
