"""Row-level validation with a quarantine.

A loader builds its canonical columns, then flags rows that break a rule. Flagged rows leave the
table with every reason they failed and the file and record they came from; the rest load.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sahelrisk.data.readers import RECORD
from sahelrisk.escaping import write_csv
from sahelrisk.files import writable

__all__ = ["RowChecker", "LoadResult", "parse_dates", "to_number", "QUARANTINE_COLUMNS",
           "write_quarantine"]

QUARANTINE_COLUMNS = ["dataset", "file", "record", "id", "field", "reason"]


@dataclass
class LoadResult:
    """What a loader returns: the valid canonical table, the rejected rows and what it noted.

    ``out_of_scope`` counts valid rows left out on purpose (another country, a proposed road),
    so the summary accounts for every row read.
    """

    dataset: str
    table: pd.DataFrame
    quarantine: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=QUARANTINE_COLUMNS))
    rows_read: int = 0
    out_of_scope: int = 0
    notes: list[str] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        """Rows that passed every rule."""
        return len(self.table)


class RowChecker:
    """Collect per-row failures on a canonical frame, then split it into valid and rejected."""

    def __init__(self, frame: pd.DataFrame, *, dataset: str, file: str, id_column: str | None = None) -> None:
        self.frame = frame
        self.dataset = dataset
        self.file = file
        self.id_column = id_column
        self._failures: list[pd.DataFrame] = []

    def flag(self, bad: pd.Series | np.ndarray, field: str, reason: str | pd.Series) -> None:
        """Mark rows where ``bad`` is true; ``reason`` is a string or a per-row Series of strings."""
        bad = np.asarray(pd.Series(bad, index=self.frame.index).fillna(False), dtype=bool)
        if not bad.any():
            return
        reasons = reason[bad] if isinstance(reason, pd.Series) else reason
        self._failures.append(pd.DataFrame({"pos": np.flatnonzero(bad), "field": field,
                                            "reason": reasons}))

    @property
    def bad_mask(self) -> np.ndarray:
        """Which rows a rule flagged."""
        mask = np.zeros(len(self.frame), dtype=bool)
        for failure in self._failures:
            mask[failure["pos"].to_numpy()] = True
        return mask

    def split(self) -> tuple[pd.DataFrame, pd.DataFrame]:
        """The valid rows, and the quarantine (each rejected row with its reasons)."""
        mask = self.bad_mask
        valid = self.frame.loc[~mask].reset_index(drop=True)
        if not self._failures:
            return valid, pd.DataFrame(columns=QUARANTINE_COLUMNS)
        failures = pd.concat(self._failures, ignore_index=True)
        grouped = failures.groupby("pos", sort=True).agg(
            field=("field", lambda s: ";".join(dict.fromkeys(s))),
            reason=("reason", lambda s: "; ".join(dict.fromkeys(map(str, s)))))
        rows = self.frame.iloc[grouped.index.to_numpy()]
        quarantine = pd.DataFrame({
            "dataset": self.dataset,
            "file": self.file,
            "record": rows[RECORD].to_numpy() if RECORD in rows else grouped.index.to_numpy() + 1,
            "id": rows[self.id_column].astype(str).to_numpy() if self.id_column else "",
            "field": grouped["field"].to_numpy(),
            "reason": grouped["reason"].to_numpy(),
        })
        return valid, quarantine


def parse_dates(values: pd.Series, formats: list[str]) -> pd.Series:
    """Parse strings with the first of ``formats`` that fits each value; NaT where none does.

    Formats are tried in order and per value, so a file mixing ``2020-01-31`` and
    ``31 January 2020`` parses whole. Only declared formats are tried: guessing day-first vs
    month-first would silently swap dates.
    """
    values = values.astype("string").str.strip()
    result = pd.Series(pd.NaT, index=values.index, dtype="datetime64[ns]")
    for fmt in formats:
        todo = result.isna() & values.notna() & (values != "")
        if not todo.any():
            break
        parsed = pd.to_datetime(values[todo], format=fmt, errors="coerce")
        result.loc[todo] = parsed.astype("datetime64[ns]")
    return result


def to_number(values: pd.Series) -> tuple[pd.Series, pd.Series]:
    """Convert strings to float; return (numbers, mask of non-empty values that are not numbers)."""
    text = values.astype("string").str.strip()
    numbers = pd.to_numeric(text.where(text != ""), errors="coerce").astype("float64")
    malformed = numbers.isna() & text.notna() & (text != "")
    return numbers, malformed


def write_quarantine(quarantine: pd.DataFrame, out_dir: str | Path, dataset: str) -> Path | None:
    """Write rejected rows to ``<out_dir>/quarantine/<dataset>.csv``; nothing when none were rejected."""
    if quarantine.empty:
        return None
    path = Path(out_dir) / "quarantine" / f"{dataset}.csv"
    with writable(path):
        path.parent.mkdir(parents=True, exist_ok=True)
        write_csv(quarantine, path)   # planners open these in a spreadsheet
    return path
