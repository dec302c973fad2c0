"""Text from the data or a user's file, made safe for where it lands: one rule per renderer.

- HTML, attributes and the JavaScript of the maps: :func:`sahelrisk.publishing.maps.escape_text`
  (and Jinja2's autoescaping in the templates);
- spreadsheets: :func:`csv_safe` (the OWASP rule against formula injection);
- the console: Rich markup is escaped where it is printed (:mod:`sahelrisk.console`);
- matplotlib's text (mathtext reads ``$...$``): :func:`plot_text`;
- file and folder names: :func:`file_slug`.
"""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path

import pandas as pd

__all__ = ["csv_cell", "csv_safe", "write_csv", "plot_text", "file_slug", "FORMULA_START"]

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
"""A spreadsheet reads a cell starting with one of these as a formula (OWASP, CSV injection)."""

_NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")


def csv_cell(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula, prefixed with ``'`` to stay text.

    Numbers, and text that is a plain number such as ``-0.5``, are left as they are.
    """
    if isinstance(value, str) and value.startswith(FORMULA_START) and not _NUMBER.match(value) and value != "-":
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
