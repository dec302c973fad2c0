"""Small helpers the geo loaders share: catalog field mappings and text repair."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sahelrisk.data.quarantine import QUARANTINE_COLUMNS
from sahelrisk.data.readers import require_columns
from sahelrisk.errors import DataFileError

__all__ = ["select_fields", "apply_where", "repair_mojibake", "stack", "blank_to_na"]


def select_fields(frame: pd.DataFrame, fields: dict, path: Path, layout: str) -> pd.DataFrame:
    """Canonical columns from the source columns a catalog entry maps them to."""
    require_columns(frame, path, list(fields.values()), layout)
    return pd.DataFrame({canon: frame[src] for canon, src in fields.items()}, index=frame.index)


def apply_where(frame: pd.DataFrame, where: dict, path: Path) -> pd.DataFrame:
    """Keep rows whose columns equal the catalog entry's ``where`` values (one of them, for a list)."""
    for column, value in where.items():
        if column not in frame:
            raise DataFileError(path, f"has no column {column!r} to filter on",
                                "Fix the 'where' of this file in the catalog")
        frame = frame[frame[column].isin(value) if isinstance(value, list) else frame[column] == value]
    return frame


def blank_to_na(values: pd.Series) -> pd.Series:
    text = values.astype("string").str.strip()
    return text.where((text != "") & (text.str.lower() != "<null>"))


def repair_mojibake(values: pd.Series) -> pd.Series:
    """Undo UTF-8 text that was decoded as Latin-1 once ("CÃ´te" -> "Côte"); leave the rest."""
    def fix(text: object) -> object:
        if not isinstance(text, str) or "Ã" not in text and "Â" not in text:
            return text
        try:
            return text.encode("latin-1").decode("utf-8")
        except (UnicodeEncodeError, UnicodeDecodeError):
            return text
    return values.map(fix)


def stack(frames: list[pd.DataFrame], columns: Sequence[str] = QUARANTINE_COLUMNS) -> pd.DataFrame:
    frames = [f for f in frames if len(f)]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=columns)
